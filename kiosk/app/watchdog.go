package app

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/internal/sdnotify"
	"github.com/hongmajia/hongmajia/kiosk"
)

// readyPoll is how often Notify looks whether the terminal is ready yet.
const readyPoll = 200 * time.Millisecond

// defaultCheck bounds each check of a face and of the ledger when systemd
// set no watchdog (READY=1 alone is sent).
const defaultCheck = 5 * time.Second

// Watch tells systemd about the terminal from Start until Close, as a face
// proves itself alive with alive (the screen's frame loop, the station's
// loop): see notifyLoop. Call it once, after Start.
func (a *App) Watch(alive func(context.Context) error) {
	a.mu.Lock()
	ctx := a.runCtx
	a.mu.Unlock()
	if ctx == nil {
		a.logf("kiosk: watchdog: the terminal was not started")
		return
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.notifyLoop(ctx, alive)
	}()
}

// notifyLoop tells systemd about the terminal (sdnotify: nothing happens
// without NOTIFY_SOCKET), until ctx ends: READY=1 once alive answers and
// the ledger answers (the first screen drawn, the station's loop serving),
// then WATCHDOG=1 at half the unit's WatchdogSec each time both answer
// again within that half. A frame loop or a station stuck, or a ledger that
// does not answer a read (a disk that hangs, a lock never let go), stops
// the WATCHDOG=1s, and systemd kills and restarts the terminal. A ledger
// that answers with an error is no reason: the terminal shows "needs a
// technician" (a broken file), and a restart would find the same file.
// STOPPING=1 when ctx ends.
func (a *App) notifyLoop(ctx context.Context, alive func(context.Context) error) {
	if !sdnotify.Enabled() {
		return
	}
	interval, err := sdnotify.WatchdogInterval()
	if err != nil {
		a.logf("kiosk: watchdog: %v", err)
	}
	period := interval / 2
	check := period
	if check <= 0 {
		check = defaultCheck
	}
	w := &watch{app: a, alive: alive, timeout: check}

	for ready := false; !ready; {
		if err := w.check(ctx); err == nil {
			ready = true
			a.notify(sdnotify.Ready, sdnotify.Status(a.readyStatus()))
			break
		}
		select {
		case <-ctx.Done():
			a.notify(sdnotify.Stopping)
			return
		case <-clock.Real{}.After(readyPoll):
		}
	}
	if period <= 0 {
		<-ctx.Done()
		a.notify(sdnotify.Stopping)
		return
	}
	var withheld error
	for {
		select {
		case <-ctx.Done():
			a.notify(sdnotify.Stopping)
			return
		case <-clock.Real{}.After(period):
		}
		err := w.check(ctx)
		switch {
		case err == nil:
			if withheld != nil {
				a.logf("kiosk: watchdog: the terminal answers again")
				a.notify(sdnotify.Status(a.readyStatus()))
			}
			withheld = nil
			a.notify(sdnotify.Watchdog)
		case ctx.Err() != nil:
		case withheld == nil:
			withheld = err
			a.logf("kiosk: watchdog: %v: not telling systemd the terminal is alive (it restarts the terminal after %v)", err, interval)
			a.notify(sdnotify.Status(err.Error()))
		}
	}
}

func (a *App) notify(states ...string) {
	if _, err := sdnotify.Notify(states...); err != nil {
		a.logf("kiosk: %v", err)
	}
}

// readyStatus is the unit's status line for `systemctl status`.
func (a *App) readyStatus() string {
	if a.ledErr != nil {
		return "serving; the ledger needs a technician: " + kiosk.FaultCode(a.ledErr)
	}
	return "serving"
}

// watch runs the checks; one ledger read at a time, so a ledger that hangs
// holds one goroutine, not one per check.
type watch struct {
	app     *App
	alive   func(context.Context) error
	timeout time.Duration
	reading atomic.Bool
}

var errLedgerHangs = errors.New("the ledger does not answer")

func (w *watch) check(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	deadline := clock.Real{}.After(w.timeout)
	done := make(chan error, 1)
	go func() { done <- w.alive(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			return err
		}
	case <-deadline:
		return fmt.Errorf("the terminal did not answer in %v", w.timeout)
	}
	led := w.app.led
	if led == nil {
		return nil // a ledger that could not be opened: the technician's scene
	}
	if !w.reading.CompareAndSwap(false, true) {
		return fmt.Errorf("%w: a read is still waiting", errLedgerHangs)
	}
	read := make(chan struct{})
	go func() {
		defer w.reading.Store(false)
		// Any answer, an error too: the terminal says what is wrong.
		_, _ = led.SyncState(context.WithoutCancel(ctx))
		close(read)
	}()
	select {
	case <-read:
		return nil
	case <-deadline:
		return fmt.Errorf("%w in %v", errLedgerHangs, w.timeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}
