// Package clock is the one place the program reads the time.
//
// Everything that needs the time takes a Clock; tests use Fake. No other package
// calls time.Now (a test in package kiosk checks). The Pi has no real-time clock,
// so wall time is a hint, never an order: order comes from the ledger's
// per-terminal sequence. Whether a reading can be trusted is decided by Trust in
// this package (NTP status and a persisted floor).
package clock

import (
	"sort"
	"sync"
	"time"
)

// Clock tells the time and waits. Implementations must be safe for concurrent use.
type Clock interface {
	// Now returns the current wall time.
	Now() time.Time
	// After returns a channel that receives the time once d has passed.
	After(d time.Duration) <-chan time.Time
}

// Real is the system clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// After is time.After.
func (Real) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Fake is a clock for tests: time moves only when Set or Advance is called.
// The zero value is not usable; use NewFake.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	boot    time.Duration // SinceBoot: moved by Advance, not by Set
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

// NewFake returns a fake clock reading t, an hour after its boot.
func NewFake(t time.Time) *Fake { return &Fake{now: t, boot: time.Hour} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// After returns a channel that fires when the fake time reaches now+d.
func (f *Fake) After(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan time.Time, 1)
	at := f.now.Add(d)
	if d <= 0 {
		ch <- f.now
		return ch
	}
	f.waiters = append(f.waiters, waiter{at: at, ch: ch})
	return ch
}

// Advance moves the fake time forward by d and fires due waiters in order:
// time passes, so the time since boot moves too. A negative d is a jump back
// of the wall clock only.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	t := f.now.Add(d)
	if d > 0 {
		f.boot += d
	}
	f.mu.Unlock()
	f.Set(t)
}

// Set moves the fake time to t (backwards too, as a real clock may jump) and
// fires the waiters that are due.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = t
	sort.SliceStable(f.waiters, func(i, j int) bool { return f.waiters[i].at.Before(f.waiters[j].at) })
	keep := f.waiters[:0]
	for _, w := range f.waiters {
		if !w.at.After(t) {
			w.ch <- t
			continue
		}
		keep = append(keep, w)
	}
	f.waiters = keep
}

// Waiters reports how many After channels have not fired yet; tests use it to
// know a goroutine is blocked on the clock before advancing it.
func (f *Fake) Waiters() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.waiters)
}
