package web

import (
	"sync"
	"time"

	"github.com/hongmajia/hongmajia/clock"
)

// The login's rate limit: DefaultMaxFailures wrong passwords for one name,
// or from one address, within DefaultLockFor lock that name or address
// out for DefaultLockFor. A name is counted whether a user has it or not,
// so a lock says nothing of whether the name exists; a lock refuses the
// right password too. The right password clears its name's count (not its
// address's: one's own login must not clear an attacker's count).
const (
	DefaultMaxFailures = 20
	DefaultLockFor     = 15 * time.Minute
)

// maxTracked bounds the names and addresses the limiter holds (see prune).
const maxTracked = 100_000

// limiter counts failures per key in memory: a hub restart forgets them,
// which an attacker at the login page cannot cause.
type limiter struct {
	clk     clock.Clock
	max     int
	lockFor time.Duration

	mu   sync.Mutex
	keys map[string]*failures
}

type failures struct {
	n      int       // failures since first
	first  time.Time // the first failure counted
	locked time.Time // locked until then; zero: not locked
}

func newLimiter(clk clock.Clock, max int, lockFor time.Duration) *limiter {
	return &limiter{clk: clk, max: max, lockFor: lockFor, keys: map[string]*failures{}}
}

// lockedUntil is when key's lock ends; zero when it is not locked.
func (l *limiter) lockedUntil(key string) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.keys[key]
	if f == nil || !l.clk.Now().Before(f.locked) {
		return time.Time{}
	}
	return f.locked
}

// fail counts a failure of key and reports whether it locked key now.
func (l *limiter) fail(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clk.Now()
	f := l.keys[key]
	if f == nil {
		if len(l.keys) >= maxTracked {
			l.prune(now)
		}
		f = &failures{}
		l.keys[key] = f
	}
	if now.Before(f.locked) {
		return false
	}
	if f.n == 0 || now.Sub(f.first) >= l.lockFor {
		f.n, f.first, f.locked = 0, now, time.Time{}
	}
	f.n++
	if f.n >= l.max {
		f.n, f.locked = 0, now.Add(l.lockFor)
		return true
	}
	return false
}

// clear forgets key's failures (its lock too).
func (l *limiter) clear(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
}

// prune drops the counts whose time is over and, if that is not enough,
// counts not locked until a quarter of the room is free: memory stays
// bounded whatever names are tried, and a lock is never dropped.
func (l *limiter) prune(now time.Time) {
	for k, f := range l.keys {
		if !now.Before(f.locked) && now.Sub(f.first) >= l.lockFor {
			delete(l.keys, k)
		}
	}
	for k, f := range l.keys {
		if len(l.keys) < maxTracked*3/4 {
			return
		}
		if !now.Before(f.locked) {
			delete(l.keys, k)
		}
	}
}
