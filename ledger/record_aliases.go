package ledger

import "github.com/hongmajia/hongmajia/record"

// Transitional: the entry record moved to package record, and these names
// keep the ledger's old API working for callers outside the ledger until
// they name record themselves. The ledger's own code does not use them; the
// file is deleted once the callers are rewritten. The errors of the same
// meaning (ErrInvalid, ErrCorrupt, ErrBadUID, ErrDurationAbsurd) are not
// transitional and stay in errors.go.

type (
	EntryID         = record.EntryID
	Hash            = record.Hash
	Kind            = record.Kind
	Entry           = record.Entry
	CardUID         = record.CardUID
	PersonID        = record.PersonID
	ActivityID      = record.ActivityID
	ItemID          = record.ItemID
	VolunteerKind   = record.VolunteerKind
	Schedule        = record.Schedule
	Rules           = record.Rules
	ForgottenPolicy = record.ForgottenPolicy
	FlagReason      = record.FlagReason
	Credit          = record.Credit
	Policy          = record.Policy
)

const (
	KindCheckIn     = record.KindCheckIn
	KindCheckOut    = record.KindCheckOut
	KindRedeem      = record.KindRedeem
	KindAdjust      = record.KindAdjust
	KindReverse     = record.KindReverse
	KindReplaceCard = record.KindReplaceCard
	KindExpire      = record.KindExpire
	KindRestock     = record.KindRestock

	RedVest   = record.RedVest
	GreenVest = record.GreenVest
	InService = record.InService
	Resident  = record.Resident

	CloseAtEnd   = record.CloseAtEnd
	FlagForStaff = record.FlagForStaff

	FlagNone         = record.FlagNone
	FlagNegative     = record.FlagNegative
	FlagOverMax      = record.FlagOverMax
	FlagForgotten    = record.FlagForgotten
	FlagNoScheduleTo = record.FlagNoScheduleTo
)

var (
	NewEntryID    = record.NewEntryID
	ParseEntryID  = record.ParseEntryID
	DecodeEntry   = record.DecodeEntry
	ParseUID      = record.ParseUID
	DefaultPolicy = record.DefaultPolicy
)
