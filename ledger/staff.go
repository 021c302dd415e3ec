package ledger

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/record"
	"golang.org/x/crypto/argon2"
)

// Role is what a staff card may do.
type Role uint8

// Roles. Stored as numbers: never renumber.
const (
	RoleStaff      Role = 1 // center staff: enrol, adjust, restock, close shifts (工作人员)
	RoleTechnician Role = 2 // also the technician's screens (技术员)
)

func (r Role) String() string {
	switch r {
	case RoleStaff:
		return "staff"
	case RoleTechnician:
		return "technician"
	}
	return fmt.Sprintf("Role(%d)", uint8(r))
}

// Staff is a staff card's holder.
type Staff struct {
	UID    record.CardUID
	Name   string
	Role   Role
	Active bool
	// LockedUntil is set after too many wrong PINs.
	LockedUntil time.Time
}

// PINParams are argon2id's costs. They are stored with each hash, so
// changing them affects only new PINs.
type PINParams struct {
	Time      uint32 // passes
	MemoryKiB uint32
	Threads   uint8
}

// DefaultPINParams follow RFC 9106's second recommendation (64 MiB, 3
// passes, 4 lanes): a few hundred ms on a Raspberry Pi 4, once per staff login.
var DefaultPINParams = PINParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 4}

// PIN lockout: MaxPINFailures wrong PINs in a row lock the card, the first
// time for PINLockout (PINLockouts: longer after each lock in a row).
const (
	MaxPINFailures = 5
	PINLockout     = 15 * time.Minute
)

const pinKeyLen = 32

// hashPIN returns "argon2id$v=19$m=...,t=...,p=...$salt$hash" (base64, no padding).
func hashPIN(pin string, p PINParams) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pin), salt, p.Time, p.MemoryKiB, p.Threads, pinKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

func pinMatches(pin, stored string) (bool, error) {
	p, salt, want, err := parsePINHash(stored)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pin), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// parsePINHash reads a stored hash (hashPIN's form) into its parameters,
// salt and key.
func parsePINHash(stored string) (p PINParams, salt, key []byte, err error) {
	parts := strings.Split(stored, "$")
	if len(parts) != 5 || parts[0] != "argon2id" || parts[1] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, nil, nil, fmt.Errorf("stored PIN hash: format: %w", ErrCorrupt)
	}
	if _, err := fmt.Sscanf(parts[2], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, fmt.Errorf("stored PIN hash: params: %w", ErrCorrupt)
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[3])
	key, err2 := enc.DecodeString(parts[4])
	if err1 != nil || err2 != nil || len(key) == 0 || p.Time == 0 || p.Threads == 0 {
		return p, nil, nil, fmt.Errorf("stored PIN hash: encoding: %w", ErrCorrupt)
	}
	return p, salt, key, nil
}

// pinHashFromPHC is the stored form of a PIN hash the hub sends in PHC
// form ($argon2id$v=19$m=…,t=…,p=…$salt$hash): the same fields without the
// leading $. A hash this ledger cannot check is ErrInvalid.
func pinHashFromPHC(phc string) (string, error) {
	stored := strings.TrimPrefix(phc, "$")
	if _, _, _, err := parsePINHash(stored); err != nil {
		return "", fmt.Errorf("PIN hash %.12q…: not an argon2id hash in PHC form: %w", phc, ErrInvalid)
	}
	return stored, nil
}

// A PIN is MinPINDigits to MaxPINDigits digits. The kiosk's pad takes as
// many, so every PIN AddStaff accepts can be typed.
const (
	MinPINDigits = 4
	MaxPINDigits = 12
)

func validPIN(pin string) bool {
	if len(pin) < MinPINDigits || len(pin) > MaxPINDigits {
		return false
	}
	for _, r := range pin {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// AddStaff registers a staff card with a PIN (MinPINDigits to MaxPINDigits
// digits).
type AddStaff struct {
	ID   record.EntryID
	UID  record.CardUID
	Name string
	Role Role
	PIN  string
}

// AddStaff stores a staff card; the PIN is kept only as an argon2id hash.
func (l *Ledger) AddStaff(ctx context.Context, req AddStaff) (Staff, error) {
	// Hash outside the write lock: it is slow on purpose.
	h, err := staffHash(l, req)
	if err != nil {
		return Staff{}, err
	}
	return do(l, ctx, opAddStaff, req.ID, func(t *wtx) (Staff, error) { return t.addStaff(req, h) })
}

func staffHash(l *Ledger, req AddStaff) (string, error) {
	if !validPIN(req.PIN) {
		return "", fmt.Errorf("add staff: PIN must be %d to %d digits: %w", MinPINDigits, MaxPINDigits, ErrInvalid)
	}
	h, err := hashPIN(req.PIN, l.opts.PIN)
	if err != nil {
		return "", fmt.Errorf("add staff: %w", err)
	}
	return h, nil
}

func (t *wtx) addStaff(req AddStaff, hash string) (Staff, error) {
	if _, err := record.ParseUID(string(req.UID)); err != nil {
		return Staff{}, fmt.Errorf("add staff: %w", err)
	}
	if strings.TrimSpace(req.Name) == "" || (req.Role != RoleStaff && req.Role != RoleTechnician) {
		return Staff{}, fmt.Errorf("add staff: name and role are required: %w", ErrInvalid)
	}
	if err := t.uidFree(req.UID); err != nil {
		return Staff{}, err
	}
	if _, err := t.exec("INSERT INTO staff(uid, name, role, pin) VALUES (?, ?, ?, ?)", string(req.UID), req.Name, int(req.Role), hash); err != nil {
		return Staff{}, err
	}
	return Staff{UID: req.UID, Name: req.Name, Role: req.Role, Active: true}, t.outboxStaff(req.UID)
}

func readStaff(ctx context.Context, q querier, uid record.CardUID) (Staff, error) {
	var s Staff
	var locked int64
	err := q.QueryRowContext(ctx, "SELECT uid, name, role, active, locked_until FROM staff WHERE uid = ?", string(uid)).
		Scan((*string)(&s.UID), &s.Name, (*uint8)(&s.Role), &s.Active, &locked)
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("staff card %s: %w", uid, ErrNotStaff)
	}
	if locked != 0 {
		s.LockedUntil = time.Unix(0, locked)
	}
	return s, storageErr(err)
}

// staffOperator checks that an operator is an active, unlocked staff card.
func (t *wtx) staffOperator(uid record.CardUID) error {
	s, err := readStaff(t.ctx, t.q, uid)
	if err != nil {
		return err
	}
	if !s.Active {
		return fmt.Errorf("staff card %s: %w", uid, ErrStaffDisabled)
	}
	return t.operatorLock(uid)
}

// CheckPIN verifies a staff card's PIN. A wrong one counts; the fifth in a
// row locks the card (ErrPINLocked) for PINLockouts' next length: 15
// minutes, then an hour, then 4 hours, until the right PIN resets the
// count. The lock is persisted and counted in time since boot, so neither a
// restart nor a clock jump ends it early, and a reboot never makes it
// longer than its length. While locked even the right PIN is refused. A
// refusal is a *PINError with the tries left or the lock's end.
func (l *Ledger) CheckPIN(ctx context.Context, uid record.CardUID, pin string) (Staff, error) {
	s, err := readStaff(ctx, l.r, uid)
	if err != nil {
		return Staff{}, fmt.Errorf("check PIN: %w", err)
	}
	if !s.Active {
		return Staff{}, fmt.Errorf("check PIN: staff card %s: %w", uid, ErrStaffDisabled)
	}
	var stored string
	if err := l.read().QueryRowContext(ctx, "SELECT pin FROM staff WHERE uid = ?", string(uid)).Scan(&stored); err != nil {
		return Staff{}, fmt.Errorf("check PIN: %w", storageErr(err))
	}
	ok, err := pinMatches(pin, stored) // slow: outside the write lock
	if err != nil {
		return Staff{}, fmt.Errorf("check PIN: staff card %s: %w", uid, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	t, err := l.begin(ctx)
	if err != nil {
		return Staff{}, fmt.Errorf("check PIN: %w", err)
	}
	t.tick()
	refusal := t.checkPINLock(uid, ok)
	var pe *PINError
	if refusal != nil && !errors.As(refusal, &pe) {
		t.rollback()
		return Staff{}, fmt.Errorf("check PIN: %w", refusal)
	}
	if err := t.commit(); err != nil {
		return Staff{}, fmt.Errorf("check PIN: %w", err)
	}
	if refusal != nil {
		return Staff{}, fmt.Errorf("check PIN: %w", refusal)
	}
	s.LockedUntil = time.Time{}
	return s, nil
}

// StaffCard returns a staff card's holder (ErrNotStaff if it is not one).
func (l *Ledger) StaffCard(ctx context.Context, uid record.CardUID) (Staff, error) {
	return readStaff(ctx, l.r, uid)
}
