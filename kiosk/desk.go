package kiosk

import (
	"context"
	"sync"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/ledger"
)

// desk is what the screen (Terminal) and the headless station (Station)
// share: the ledger, the clock, the retry of a busy write, and what the
// writes have found out about the ledger's health. Both faces write only
// through it, so they cannot disagree on what an error means.
type desk struct {
	led   *ledger.Ledger
	clk   clock.Clock
	retry Retry
	// held says the terminal is on probation (an update not yet
	// committed): nothing is written while it holds.
	held func() bool

	mu sync.Mutex
	// broken is set once the ledger cannot be trusted: nothing is written
	// after it until a restart.
	broken error
	// storage is the last write's storage trouble (a full disk); a write
	// that succeeds clears it.
	storage error
}

func newDesk(l *ledger.Ledger, clk clock.Clock, retry Retry, broken error) *desk {
	if clk == nil {
		clk = clock.Real{}
	}
	return &desk{led: l, clk: clk, retry: retry.withDefaults(), broken: broken}
}

// write runs a ledger write with the retry policy and notes what its error
// says about the ledger. A broken ledger is not written to at all.
func (d *desk) write(ctx context.Context, write func() error) error {
	if err := d.Broken(); err != nil {
		return err
	}
	if d.Held() {
		return ErrUpdating
	}
	err := d.retry.write(ctx, d.clk, write)
	d.note(err)
	return err
}

// Held says whether the terminal holds taps (on probation).
func (d *desk) Held() bool { return d.held != nil && d.held() }

// note records what an error (or its absence) says about the ledger; reads
// report theirs here too.
func (d *desk) note(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch Classify(err) {
	case TroubleBroken:
		if d.broken == nil {
			d.broken = err
		}
	case TroubleStorage:
		d.storage = err
	case TroubleNone, TroubleRefused:
		d.storage = nil
	}
}

// Broken returns the error that stopped all writing, if any: a write's, or
// the corruption the ledger's background full check found (Ledger.Fault),
// which stops the terminal as a corrupt file found at start does.
func (d *desk) Broken() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.checkFault()
	return d.broken
}

// checkFault adopts the ledger's fault; the caller holds d.mu.
func (d *desk) checkFault() {
	if d.broken == nil && d.led != nil {
		if err := d.led.Fault(); err != nil {
			d.broken = err
		}
	}
}

// Health is the ledger as the last writes found it: nil when it is fine,
// else the error a technician must see (a broken ledger, or a full disk
// until a write gets through again).
func (d *desk) Health() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.checkFault()
	if d.broken != nil {
		return d.broken
	}
	return d.storage
}
