package ledger

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/hongmajia/hongmajia/record"
	"modernc.org/sqlite"
)

// Errors a caller acts on. Refusals are answers to show in plain words and
// leave the ledger unchanged; transient errors may succeed when retried with
// the same request id; corruption errors mean a technician is needed and the
// file must not be written to.
var (
	// Refusals of a card.

	// ErrUnknownCard: the UID is not bound to any person or staff member (未登记的卡).
	ErrUnknownCard = errors.New("ledger: unknown card")
	// ErrCardLost: the card was reported lost (卡已挂失); it is refused from then on.
	ErrCardLost = errors.New("ledger: card reported lost")
	// ErrCardRevoked: the card was revoked by staff (卡已注销).
	ErrCardRevoked = errors.New("ledger: card revoked")
	// ErrCardInUse: the UID is already bound to a person or a staff member.
	ErrCardInUse = errors.New("ledger: card already bound")
	// ErrBadUID: a read that is not a card UID (malformed hex, wrong length);
	// record.ErrBadUID, the same value.
	ErrBadUID = record.ErrBadUID

	// Refusals of a redemption (积分兑换).

	// ErrInsufficientPoints: the balance would go below zero (余额不足).
	ErrInsufficientPoints = errors.New("ledger: insufficient points")
	// ErrOutOfStock: the center's stock would go below zero (库存不足).
	ErrOutOfStock = errors.New("ledger: out of stock")
	// ErrPeriodLimit: the person has reached the item's limit for this period (本月已兑换).
	ErrPeriodLimit = errors.New("ledger: period limit reached")
	// ErrOfflineCap: the card has redeemed its cap of points since the last sync (离线兑换已达上限).
	ErrOfflineCap = errors.New("ledger: offline redemption cap reached")
	// ErrSyncTooOld: an enrolled terminal has not synced for longer than the
	// policy allows, so redemption is refused until it syncs (earning goes on).
	ErrSyncTooOld = errors.New("ledger: last sync too old to redeem")

	// Refusals of a shift (志愿服务记录).

	// ErrNotInWindow: the activity does not accept check-ins now.
	ErrNotInWindow = errors.New("ledger: not in check-in window")
	// ErrNoOpenShift: check-out without an open shift.
	ErrNoOpenShift = errors.New("ledger: no open shift")
	// ErrShiftOpen: check-in while a shift is open; returned as a *ShiftOpenError
	// carrying the open shift.
	ErrShiftOpen = errors.New("ledger: shift already open")
	// ErrDurationAbsurd: a shift's duration is negative (the clock went back)
	// or longer than the activity allows; the shift is flagged for staff.
	// record.ErrDurationAbsurd, the same value (the rules say it).
	ErrDurationAbsurd = record.ErrDurationAbsurd

	// Refusals of staff.

	// ErrPINWrong: the PIN does not match (密码错误).
	ErrPINWrong = errors.New("ledger: wrong PIN")
	// ErrPINLocked: too many wrong PINs; the staff card is locked for a while.
	ErrPINLocked = errors.New("ledger: staff card locked")
	// ErrNotStaff: an operation that needs a staff card got another card.
	ErrNotStaff = errors.New("ledger: not a staff card")
	// ErrStaffDisabled: the staff card was disabled (kioskctl staff disable):
	// it opens no PIN screen and does nothing.
	ErrStaffDisabled = errors.New("ledger: staff card disabled")

	// Refusals of a request.

	// ErrNoRequestID: a write request without an idempotency id (a program error).
	ErrNoRequestID = errors.New("ledger: request without id")
	// ErrIDReused: the request id was used before for a different operation.
	ErrIDReused = errors.New("ledger: request id used for another operation")
	// ErrDuplicate: an import names a member number, an activity or an item
	// the ledger holds already (imports add; they never overwrite).
	ErrDuplicate = errors.New("ledger: already registered")
	// ErrNotFound: the named person, activity, item, shift or entry does not exist.
	ErrNotFound = errors.New("ledger: not found")
	// ErrNotReversible: the entry's kind cannot be reversed, or it was reversed already.
	ErrNotReversible = errors.New("ledger: entry cannot be reversed")
	// ErrInvalid: a request with a missing or out-of-range field;
	// record.ErrInvalid, the same value, so a record's refusal (a bad
	// schedule, an unknown kind) is the ledger's too.
	ErrInvalid = record.ErrInvalid

	// Storage. ErrBusy and ErrDiskFull are transient: nothing was written and
	// the same request may be retried. ErrCorrupt and ErrNotDatabase mean
	// corruption: the terminal shows "needs a technician" and never writes.

	// ErrBusy: another process held the database past the busy timeout.
	ErrBusy = errors.New("ledger: database busy")
	// ErrDiskFull: the disk (or the database's page limit) is full (SQLITE_FULL, ENOSPC).
	ErrDiskFull = errors.New("ledger: disk full")
	// ErrCorrupt: the database fails its integrity check or its hash chain;
	// record.ErrCorrupt, the same value, which a bad entry encoding and a
	// broken chain (record.ChainError) wrap too.
	ErrCorrupt = record.ErrCorrupt
	// ErrNotDatabase: the file is not an SQLite database.
	ErrNotDatabase = errors.New("ledger: not a database")
	// ErrForeign: the file is an SQLite database of another program (its
	// application_id is not ApplicationID, and it holds no ledger). It is
	// never written to: no table is added, WAL is not switched on.
	ErrForeign = errors.New("ledger: another program's database, not a ledger")
	// ErrReadOnly: a write on a ledger opened with Options.ReadOnly.
	ErrReadOnly = errors.New("ledger: opened read-only")
	// ErrChangedWhileRead: a read-only ledger read as it lay on disk
	// (without SQLite's locks: see readOnlyQuery) changed meanwhile — a
	// terminal started and wrote to it. What was read may mix two
	// moments; read again (the terminal's locks are then there to use).
	ErrChangedWhileRead = errors.New("ledger: the file changed while it was read as it lay (a terminal started?): run again")
	// ErrNoLedger: the data directory holds no ledger (Open never creates one).
	ErrNoLedger = errors.New("ledger: no ledger in data directory")
	// ErrExists: Create found a ledger already there.
	ErrExists = errors.New("ledger: ledger already exists")
	// ErrTooNew: the database's schema is newer than this program.
	ErrTooNew = errors.New("ledger: schema newer than this program")
	// ErrClosed: the ledger was closed.
	ErrClosed = errors.New("ledger: closed")
)

// ShiftOpenError answers a check-in when a shift is already open: it carries
// that shift so the terminal can offer to check out instead.
type ShiftOpenError struct {
	Shift Shift
}

func (e *ShiftOpenError) Error() string {
	return fmt.Sprintf("ledger: shift already open at activity %d since %s", e.Shift.Activity, e.Shift.OpenedAt.Format("15:04"))
}

// Is makes errors.Is(err, ErrShiftOpen) true.
func (e *ShiftOpenError) Is(target error) bool { return target == ErrShiftOpen }

// FileError names the file a storage error is about.
type FileError struct {
	Path string
	Err  error // ErrCorrupt, ErrNotDatabase, ...
	// Detail is what SQLite said (the integrity_check lines, for one).
	Detail string
}

func (e *FileError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("%s: %v: %s", e.Path, e.Err, e.Detail)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// IsCorruption reports whether err means the database cannot be trusted
// (corrupt, not a database, or another program's).
func IsCorruption(err error) bool {
	return errors.Is(err, ErrCorrupt) || errors.Is(err, ErrNotDatabase) || errors.Is(err, ErrForeign)
}

// IsTransient reports whether err may pass when retried with the same request id.
func IsTransient(err error) bool {
	return errors.Is(err, ErrBusy) || errors.Is(err, ErrDiskFull)
}

// SQLite primary result codes (sqlite3.h).
const (
	sqliteBusy    = 5
	sqliteLocked  = 6
	sqliteCorrupt = 11
	sqliteFull    = 13
	sqliteNotADB  = 26
)

// storageErr maps SQLite and system errors to the sentinels above, keeping the
// original for the message.
func storageErr(err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqliteFull:
			return fmt.Errorf("%w: %v", ErrDiskFull, err)
		case sqliteBusy, sqliteLocked:
			return fmt.Errorf("%w: %v", ErrBusy, err)
		case sqliteCorrupt:
			return fmt.Errorf("%w: %v", ErrCorrupt, err)
		case sqliteNotADB:
			return fmt.Errorf("%w: %v", ErrNotDatabase, err)
		}
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("%w: %v", ErrDiskFull, err)
	}
	if errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("%w: %v", ErrClosed, err)
	}
	return err
}
