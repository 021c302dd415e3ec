package app_test

import (
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/kiosk"
	"github.com/hongmajia/hongmajia/ledger/demo"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
)

// The screen as the default configuration makes it keeps the README's
// numbers: back to idle 30 s after the last touch, and a card laid on the
// reader for 3 s ends the session when taken away.
func TestPromiseDefaultConfigTimings(t *testing.T) {
	clk := clock.NewFake(ledgertest.Start)
	dir, lo := newDemoDir(t, clk)
	f := startApp(t, dir, clk, lo, nil)
	term := f.app.Terminal(kiosk.Options{})
	t.Cleanup(term.Close)
	term.Settle()
	card := demo.CardUID(1)
	event := func(kind rfid.EventKind) {
		t.Helper()
		term.Reader(rfid.Event{Kind: kind, Tap: rfid.Tap{Card: rfid.Card{UID: rfid.UID(card.Bytes())}, Kind: rfid.KindSim, At: clk.Now()}})
		term.Settle()
	}
	scene := func() kiosk.Scene { t.Helper(); term.Poll(); term.Settle(); return term.View().Scene }

	event(rfid.EventTap)
	if s := scene(); s != kiosk.ScenePerson {
		t.Fatalf("after the tap: %v", s)
	}
	clk.Advance(30*time.Second - time.Millisecond)
	if s := scene(); s == kiosk.SceneIdle {
		t.Fatal("idle before 30 s")
	}
	clk.Advance(time.Millisecond)
	if s := scene(); s != kiosk.SceneIdle {
		t.Fatalf("30 s after the tap: %v, want idle", s)
	}

	event(rfid.EventTap)
	clk.Advance(3*time.Second - time.Millisecond)
	event(rfid.EventLeft)
	if s := scene(); s == kiosk.SceneIdle {
		t.Fatal("a card taken away before 3 s ended the session")
	}
	event(rfid.EventTap)
	clk.Advance(3 * time.Second)
	event(rfid.EventLeft)
	if s := scene(); s != kiosk.SceneIdle {
		t.Fatalf("a card laid for 3 s and taken away: %v, want idle", s)
	}
}
