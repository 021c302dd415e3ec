package app

import (
	"context"
	"time"

	"github.com/hongmajia/hongmajia/ledger"
)

// watchFullCheck logs how the ledger's background full check (the one Open
// starts after its start check) went, and runs it again every night at
// the nightly time (sync.at, 02:00 by default, with or without a hub), so
// a terminal that runs for months still has its whole file checked each
// day. A failed check stops every write (ledger.Fault): the screen and
// the station show "needs a technician" on their own.
func (a *App) watchFullCheck(ctx context.Context) {
	l := a.led
	if l == nil {
		return
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		select {
		case <-l.Checked():
		case <-ctx.Done():
			return
		}
		a.logFullCheck(l.LastFullCheck(ctx))
		for l.Fault() == nil {
			at, err := a.cfg.Sync.AtOfDay()
			if err != nil {
				at = 2 * time.Hour
			}
			now := a.clk.Now()
			select {
			case <-a.clk.After(nextAt(now, at, l.Location()).Sub(now)):
			case <-ctx.Done():
				return
			}
			c, err := l.CheckNow(ctx)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				a.logf("kiosk: the nightly full check did not run: %v", err)
				continue
			}
			a.logFullCheck(c)
		}
	}()
}

func (a *App) logFullCheck(c ledger.FullCheck) {
	switch {
	case c.OK():
		a.logf("kiosk: full check of the ledger passed in %s", c.Took.Round(100*time.Millisecond))
	case c.Err != nil:
		a.logf("kiosk: full check of the ledger: %v", c.Err)
	}
}

// nextAt is the next time of day at (since midnight in loc) after now.
func nextAt(now time.Time, at time.Duration, loc *time.Location) time.Time {
	n := now.In(loc)
	t := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc).Add(at)
	for !t.After(now) {
		t = t.AddDate(0, 0, 1)
	}
	return t
}
