package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hongmajia/hongmajia/record"
)

// PINLockouts are how long a staff card stays locked after MaxPINFailures
// wrong PINs in a row: the first lock, the second, and every one after,
// until the right PIN resets the count. The first is PINLockout.
var PINLockouts = [...]time.Duration{PINLockout, time.Hour, 4 * time.Hour}

// lockFor is the length of the n-th lock in a row (n ≥ 1).
func lockFor(n int) time.Duration {
	return PINLockouts[min(max(n, 1), len(PINLockouts))-1]
}

// PINError is a refused PIN: Err is ErrPINWrong, with the tries Left
// before the card locks, or ErrPINLocked, with the lock's end (Until, wall
// time read now plus the time the lock still runs).
type PINError struct {
	UID   record.CardUID
	Err   error
	Left  int
	Until time.Time
}

func (e *PINError) Error() string {
	if errors.Is(e.Err, ErrPINLocked) {
		return fmt.Sprintf("staff card %s locked until %s: %v", e.UID, e.Until.Format(time.DateTime), e.Err)
	}
	return fmt.Sprintf("staff card %s: %d tries left: %v", e.UID, e.Left, e.Err)
}

func (e *PINError) Unwrap() error { return e.Err }

// moment is a reading of the wall clock and of the time since boot. The
// lock is counted in the second: a clock set forward or back (NTP at last,
// a wrong "synced" time) neither ends it early nor stretches it.
type moment struct {
	wall  time.Time
	boot  string // "" when the boot or the time since it is unknown
	since time.Duration
}

func (l *Ledger) moment(wall time.Time) moment {
	m := moment{wall: wall, boot: l.boot}
	since, err := l.opts.Boot.SinceBoot()
	if err != nil {
		m.boot = ""
	}
	m.since = since
	return m
}

// pinState is a staff card's wrong PINs and lock, as stored.
type pinState struct {
	failures int
	locks    int           // locks in a row since the last right PIN
	boot     string        // the boot the lock began in
	at       time.Duration // the time since that boot when it began
	wall     time.Time     // the wall time when it began
	length   time.Duration // 0: never locked since the last right PIN
}

func readPINState(ctx context.Context, q querier, uid record.CardUID) (pinState, error) {
	var p pinState
	var at, wall, length int64
	err := q.QueryRowContext(ctx, "SELECT failures, locks, lock_boot, lock_at, lock_wall, lock_len FROM staff WHERE uid = ?", string(uid)).
		Scan(&p.failures, &p.locks, &p.boot, &at, &wall, &length)
	if isNoRows(err) {
		return p, fmt.Errorf("staff card %s: %w", uid, ErrNotStaff)
	}
	p.at, p.wall, p.length = time.Duration(at), time.Unix(0, wall), time.Duration(length)
	return p, storageErr(err)
}

func (t *wtx) savePINState(uid record.CardUID, p pinState) error {
	var until int64 // the wall-time end, for tools that list staff
	if p.length > 0 {
		until = p.wall.Add(p.length).UnixNano()
	}
	_, err := t.exec("UPDATE staff SET failures = ?, locks = ?, lock_boot = ?, lock_at = ?, lock_wall = ?, lock_len = ?, locked_until = ? WHERE uid = ?",
		p.failures, p.locks, p.boot, int64(p.at), p.wall.UnixNano(), int64(p.length), until, string(uid))
	return err
}

// left is how long the lock still runs at m.
func (p pinState) left(m moment) time.Duration {
	if p.length <= 0 {
		return 0
	}
	if m.boot != "" && p.boot == m.boot && m.since >= p.at {
		return max(0, p.length-(m.since-p.at))
	}
	// Locked in another boot (or this one is unknown): the time since boot
	// says nothing of when the lock began. The wall clock may be wrong, so it
	// is believed only within the lock's own length: never longer than that.
	return min(max(0, p.wall.Add(p.length).Sub(m.wall)), p.length)
}

// rebase moves a lock that began in another boot onto this one, with the
// time it has left, so from now on it is counted in this boot's time.
func (p pinState) rebase(m moment, left time.Duration) pinState {
	served := p.length - left
	p.boot, p.at, p.wall = m.boot, m.since-served, m.wall.Add(-served)
	return p
}

// lock starts the next lock in a row at m.
func (p pinState) lock(m moment) pinState {
	p.failures = 0
	p.locks++
	p.boot, p.at, p.wall, p.length = m.boot, m.since, m.wall, lockFor(p.locks)
	return p
}

// lockedErr is the refusal of a locked card with left to run at m.
func lockedErr(uid record.CardUID, m moment, left time.Duration) error {
	return &PINError{UID: uid, Err: ErrPINLocked, Until: m.wall.Add(left)}
}

// checkPINLock answers CheckPIN in t once the PIN was compared (ok): the
// lock first, then the count of wrong PINs. A lock from another boot is
// rebased onto this one even when the card stays locked, so the write is
// committed whatever the answer.
func (t *wtx) checkPINLock(uid record.CardUID, ok bool) error {
	p, err := readPINState(t.ctx, t.q, uid)
	if err != nil {
		return err
	}
	m := t.l.moment(t.now)
	var refusal error
	switch left := p.left(m); {
	case left > 0:
		if m.boot != "" && p.boot != m.boot {
			p = p.rebase(m, left)
		}
		refusal = lockedErr(uid, m, left)
	case ok:
		p = pinState{}
	case p.failures+1 >= MaxPINFailures:
		p = p.lock(m)
		refusal = lockedErr(uid, m, p.length)
	default:
		p.failures++
		refusal = &PINError{UID: uid, Err: ErrPINWrong, Left: MaxPINFailures - p.failures}
	}
	if err := t.savePINState(uid, p); err != nil {
		return storageErr(err)
	}
	return refusal
}

// operatorLock refuses a staff card that is locked now.
func (t *wtx) operatorLock(uid record.CardUID) error {
	p, err := readPINState(t.ctx, t.q, uid)
	if err != nil {
		return err
	}
	m := t.l.moment(t.now)
	if left := p.left(m); left > 0 {
		return lockedErr(uid, m, left)
	}
	return nil
}
