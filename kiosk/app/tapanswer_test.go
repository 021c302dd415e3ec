package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/kiosk"
	"github.com/hongmajia/hongmajia/kiosk/app"
	"github.com/hongmajia/hongmajia/ledger/demo"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
)

// tapSays taps card through the control socket and checks the answer.
func (f *appFixture) tapSays(t *testing.T, card string, want ...string) string {
	t.Helper()
	got, err := f.ask(t, "tap "+card)
	if err != nil {
		t.Fatalf("tap %s: %v", card, err)
	}
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("tap %s answered %q: want %q in it", card, got, w)
		}
	}
	return got
}

// TestTapAnswersWhatTheStationDid: the control socket's tap answers with
// what the station did with that tap.
func TestTapAnswersWhatTheStationDid(t *testing.T) {
	clk := clock.NewFake(ledgertest.Start) // 09:00
	dir, lo := newDemoDir(t, clk)
	f := startApp(t, dir, clk, lo, func(c *app.Config) { c.Headless = true })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.app.RunStation(ctx) }()
	defer func() { cancel(); <-done }()

	card := string(demo.CardUID(2))
	f.tapSays(t, card, "checked in: ", "(HPL00002) at 便民服务, 09:00")
	// At once again: the reader takes it for the same tap.
	f.tapSays(t, card, "ignored: card "+card+" was read less than 2s ago")
	// Ten seconds later: the station's repeat window.
	clk.Advance(10 * time.Second)
	f.tapSays(t, card, "ignored as a repeat: ", "was checked in at 09:00:00, less than 1m0s ago; the same answer, nothing written")
	clk.Advance(2*time.Hour + 10*time.Minute)
	f.tapSays(t, card, "checked out: ", "from 便民服务 after 2h10m0s: 120 minutes, 20 points")
	// Ten minutes' shift: too short to credit anything, and it says so.
	clk.Advance(2 * time.Minute)
	f.tapSays(t, card, "checked in: ")
	clk.Advance(10 * time.Minute)
	f.tapSays(t, card, "checked out: ", "0 minutes, 0 points (shorter than the activity's minimum: nothing credited)")
	f.tapSays(t, "0A0B0C0D", "refused: the card is not registered")
	f.tapSays(t, "99000001", "refused: a staff card: staff use the screen")
}

// TestTapAnswersWhatTheScreenShows: on the screen, a tap shows the person
// (or a refusal), and the control socket says which.
func TestTapAnswersWhatTheScreenShows(t *testing.T) {
	clk := clock.NewFake(ledgertest.Start)
	dir, lo := newDemoDir(t, clk)
	f := startApp(t, dir, clk, lo, nil)
	term := f.app.Terminal(kiosk.Options{})
	// The frontend's loop: events from the readers, answers from the ledger.
	ctx, cancel := context.WithCancel(context.Background())
	loop := make(chan struct{})
	go func() {
		defer close(loop)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-f.app.Events():
				term.Reader(ev)
			case <-tick.C:
				term.Poll()
			}
		}
	}()
	defer func() { cancel(); <-loop; term.Close() }()

	f.tapSays(t, string(demo.CardUID(3)), "showing 陈*: ", "points", "; not checked in (签到 checks in)")
	f.tapSays(t, "0A0B0C0D", "refused: This card is not registered (这张卡还没有登记); Please register at the service desk")
	f.tapSays(t, "99000001", "a staff card (刘*): the screen asks for the PIN")
}
