package kiosk

// Tests that pin the README's numbers with literal values: each fails when
// its default changes.

import (
	"context"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// The README: "back to idle after 30 s without a touch".
func TestPromiseIdleAfter30Seconds(t *testing.T) {
	r := newRig(t)
	_, card := r.env.AddPerson(t, "张三明", record.RedVest)
	r.tap(card)
	r.want(ScenePerson)
	r.env.Clock.Advance(30*time.Second - time.Millisecond)
	r.term.Poll()
	r.term.Settle()
	if s := r.term.View().Scene; s == SceneIdle {
		t.Fatalf("idle %v after the tap, want 30 s", 30*time.Second-time.Millisecond)
	}
	r.env.Clock.Advance(time.Millisecond)
	r.term.Poll()
	r.term.Settle()
	r.want(SceneIdle)
}

// A card laid on the reader for 3 s ends the session when taken away; one
// taken away sooner was a tap, and the screen stays.
func TestPromiseCardLaidFor3SecondsEndsTheSession(t *testing.T) {
	r := newRig(t)
	_, card := r.env.AddPerson(t, "王堃", record.RedVest)
	r.tap(card)
	r.env.Clock.Advance(3*time.Second - time.Millisecond)
	r.event(rfid.EventLeft, card)
	if s := r.term.View().Scene; s == SceneIdle {
		t.Fatalf("a card taken away after %v ended the session, want 3 s", 3*time.Second-time.Millisecond)
	}
	r.tap(card)
	r.env.Clock.Advance(3 * time.Second)
	r.event(rfid.EventLeft, card)
	r.want(SceneIdle)
}

// The station answers the same card within 60 s of a check-in or check-out
// with the same answer, writing nothing; from 60 s on a tap is new.
func TestPromiseStationRepeatWindowIs60Seconds(t *testing.T) {
	env := ledgertest.MustOpen(t)
	st := stationOn(t, env, StationOptions{})
	_, card := env.AddPerson(t, "李喆", record.GreenVest)
	tap := func() StationResult {
		t.Helper()
		return st.Tap(context.Background(), rfid.Tap{Card: rfid.Card{UID: card.Bytes()}, Kind: rfid.KindSim, At: env.Clock.Now()})
	}
	if r := tap(); r.Outcome != CheckedIn {
		t.Fatalf("first tap: %+v", r)
	}
	before := entries(t, env)
	env.Clock.Advance(59 * time.Second)
	if r := tap(); r.Outcome != Repeated {
		t.Fatalf("tap 59 s later: %v, want repeated", r.Outcome)
	}
	if n := entries(t, env); n != before {
		t.Fatalf("a repeat wrote %d entries", n-before)
	}
	env.Clock.Advance(time.Second)
	if r := tap(); r.Outcome != CheckedOut {
		t.Fatalf("tap 60 s later: %v (%v), want a check-out", r.Outcome, r.Err)
	}
	if n := entries(t, env); n != before+1 {
		t.Fatalf("the check-out wrote %d entries, want 1", n-before)
	}
}
