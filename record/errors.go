package record

import "errors"

// Errors of the record. The ledger's errors of the same meaning are these
// same values, so errors.Is holds whichever package a caller names.
var (
	// ErrInvalid: a value out of range for the record (an unknown kind, a
	// string that is not UTF-8 or too long, a malformed id, schedule or rule).
	ErrInvalid = errors.New("record: invalid value")
	// ErrCorrupt: bytes that are not a canonical entry encoding.
	ErrCorrupt = errors.New("record: corrupt data")
	// ErrBadUID: a read that is not a card UID (malformed hex, wrong length).
	ErrBadUID = errors.New("record: malformed card UID")
	// ErrDurationAbsurd: a shift's duration is negative (the clock went back)
	// or longer than the activity allows; nothing is credited, staff decide.
	ErrDurationAbsurd = errors.New("record: absurd shift duration")
)
