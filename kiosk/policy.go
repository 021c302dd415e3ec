package kiosk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

// The decisions the screen and the headless station share, made once here:
// what a reader's bytes are as a card, what a ledger error means, and how a
// write that meets a busy database is tried again (ARCHITECTURE.md, "The way
// of a tap" and "Errors").

// CardOf is the card a reader delivered: ISO/IEC 14443A UIDs are 4, 7 or 10
// bytes, and a keyboard-wedge reader's number was turned into such bytes by
// its driver. Anything else is a bad read (ledger.ErrBadUID): a 3-byte read
// is not a 4-byte card with a zero in front.
func CardOf(uid rfid.UID) (record.CardUID, error) { return record.UIDFromBytes(uid) }

// Fault codes: what the "needs a technician" scene, the station's log and
// the control socket's status name a trouble by (README, "The ledger").
const (
	FaultCorrupt  = "E-DB-CORRUPT" // integrity check or hash chain failed
	FaultNotDB    = "E-DB-NOTDB"   // the ledger file is not a database
	FaultForeign  = "E-DB-FOREIGN" // the ledger file is another program's database
	FaultNoLedger = "E-DB-MISSING" // no ledger in the data directory
	FaultDiskFull = "E-DISK-FULL"  // a write failed for want of space
	FaultOpen     = "E-DB-OPEN"    // the ledger could not be opened for another reason
	FaultTooNew   = "E-DB-NEWER"   // the ledger was written by a newer program
	FaultInternal = "E-INTERNAL"   // an error the terminal does not know
)

// Trouble is what an error means to a terminal, the screen and the station
// alike.
type Trouble uint8

// Troubles, from the visitor's view.
const (
	// TroubleNone: there was no error.
	TroubleNone Trouble = iota
	// TroubleRefused: an answer about the card or the request (an unknown card, a
	// check-in outside the activity's window, too few points). The visitor
	// is told why; nothing is wrong with the terminal.
	TroubleRefused
	// TroubleBusy: another process (a backup, kioskctl) held the database through
	// every attempt. Nothing was written; the visitor tries again soon.
	TroubleBusy
	// Storage: the write could not be stored (the disk is full). Nothing was
	// written and a technician is needed, but the terminal keeps serving
	// and the next write tries again: space may come back.
	TroubleStorage
	// Broken: the ledger cannot be trusted (corrupt, not a database, closed,
	// written by a newer program). No write happens until a technician has
	// repaired it and restarted the terminal.
	TroubleBroken
	// Unknown: an error the terminal does not know. It is logged; the
	// visitor sees E-INTERNAL, and the next tap tries again.
	TroubleUnknown
)

func (t Trouble) String() string {
	switch t {
	case TroubleNone:
		return "none"
	case TroubleRefused:
		return "refused"
	case TroubleBusy:
		return "busy"
	case TroubleStorage:
		return "storage"
	case TroubleBroken:
		return "broken"
	case TroubleUnknown:
		return "unknown"
	}
	return fmt.Sprintf("Trouble(%d)", uint8(t))
}

// refusals are the ledger's answers about a card or a request.
var refusals = []error{
	errStaffCard, ErrUpdating,
	ledger.ErrUnknownCard, ledger.ErrCardLost, ledger.ErrCardRevoked, ledger.ErrCardInUse, ledger.ErrBadUID,
	ledger.ErrInsufficientPoints, ledger.ErrOutOfStock, ledger.ErrPeriodLimit, ledger.ErrOfflineCap, ledger.ErrSyncTooOld,
	ledger.ErrNotInWindow, ledger.ErrNoOpenShift, ledger.ErrShiftOpen, ledger.ErrDurationAbsurd,
	ledger.ErrPINWrong, ledger.ErrPINLocked, ledger.ErrNotStaff, ledger.ErrStaffDisabled,
	ledger.ErrNotFound, ledger.ErrNotReversible, ledger.ErrInvalid,
}

// Classify says what err means to a terminal.
func Classify(err error) Trouble {
	switch {
	case err == nil:
		return TroubleNone
	case ledger.IsCorruption(err), errors.Is(err, ledger.ErrClosed), errors.Is(err, ledger.ErrTooNew),
		errors.Is(err, ledger.ErrNoLedger):
		return TroubleBroken
	case errors.Is(err, ledger.ErrDiskFull):
		return TroubleStorage
	case errors.Is(err, ledger.ErrBusy):
		return TroubleBusy
	}
	for _, r := range refusals {
		if errors.Is(err, r) {
			return TroubleRefused
		}
	}
	return TroubleUnknown
}

// ErrUpdating refuses every write while the terminal is on probation: an
// update that migrated the ledger has not yet decided to keep this version,
// and a rollback would put back the ledger from before it, losing the tap.
var ErrUpdating = errors.New("an update is being checked: please wait")

// errStaffCard refuses a staff card at the headless station: staff work at
// the screen.
var errStaffCard = errors.New("a staff card: staff use the screen, not a station")

// Retry is how a write that meets a busy database is tried again. The
// request keeps its id, so a write that did commit before its answer was
// lost is not written twice.
type Retry struct {
	Attempts int           // in all, the first one included
	Delay    time.Duration // between attempts
}

// DefaultRetry: another process's lock (a backup's copy, a kioskctl
// command) is waited for three times in all, a quarter second apart, on
// top of the ledger's own busy timeout.
var DefaultRetry = Retry{Attempts: 3, Delay: 250 * time.Millisecond}

func (r Retry) withDefaults() Retry {
	if r.Attempts <= 0 {
		r.Attempts = DefaultRetry.Attempts
	}
	if r.Delay <= 0 {
		r.Delay = DefaultRetry.Delay
	}
	return r
}

// write runs a ledger write, again while the database is busy.
func (r Retry) write(ctx context.Context, clk clock.Clock, write func() error) error {
	for attempt := 1; ; attempt++ {
		err := write()
		if !errors.Is(err, ledger.ErrBusy) || attempt >= r.Attempts {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-clk.After(r.Delay):
		}
	}
}

// FaultCode names a fault for the technician's screen and the log.
func FaultCode(err error) string {
	switch {
	case errors.Is(err, ledger.ErrForeign):
		return FaultForeign
	case errors.Is(err, ledger.ErrNotDatabase):
		return FaultNotDB
	case errors.Is(err, ledger.ErrCorrupt):
		return FaultCorrupt
	case errors.Is(err, ledger.ErrDiskFull):
		return FaultDiskFull
	case errors.Is(err, ledger.ErrNoLedger):
		return FaultNoLedger
	case errors.Is(err, ledger.ErrTooNew):
		return FaultTooNew
	case err == nil:
		return FaultInternal
	}
	return FaultOpen
}
