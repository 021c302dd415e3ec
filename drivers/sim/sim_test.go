package sim

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/drivers/rfid"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// running starts r and returns its events; Run ends with the test.
func running(t *testing.T, r *Reader) <-chan rfid.Event {
	t.Helper()
	out := make(chan rfid.Event, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, out) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v", err)
		}
	})
	return out
}

func next(t *testing.T, out <-chan rfid.Event) rfid.Event {
	t.Helper()
	select {
	case ev := <-out:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	return rfid.Event{}
}

func TestTapIsDebounced(t *testing.T) {
	clk := clock.NewFake(t0)
	r := New(clk, nil)
	out := running(t, r)
	uid := rfid.UID{0x04, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6}
	if err := r.Tap(uid); err != nil {
		t.Fatal(err)
	}
	ev := next(t, out)
	if ev.Kind != rfid.EventTap || !ev.Tap.UID.Equal(uid) || ev.Tap.Kind != rfid.KindSim || ev.Tap.Type != CardType || !ev.Tap.At.Equal(t0) {
		t.Fatalf("event = %+v", ev)
	}
	if err := r.Tap(uid); err != nil { // again at once: same presentation
		t.Fatal(err)
	}
	if err := r.Remove(); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, out); ev.Kind != rfid.EventLeft || !ev.Tap.UID.Equal(uid) {
		t.Fatalf("event = %+v, want left", ev)
	}
	st := r.Status()
	if st.State != rfid.StateOK || st.Taps != 1 || st.Kind != rfid.KindSim || st.Device != "sim" {
		t.Fatalf("status = %+v", st)
	}
}

func TestTapValidatesAndQueueFull(t *testing.T) {
	r := New(clock.NewFake(t0), &Opts{Queue: 2})
	if err := r.Tap(nil); err == nil {
		t.Fatal("empty UID accepted")
	}
	for i := range 2 {
		if err := r.Tap(rfid.UID{1, 2, 3, byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Tap(rfid.UID{1, 2, 3, 4}); !errors.Is(err, ErrBusy) {
		t.Fatalf("third tap with nobody reading = %v, want ErrBusy", err)
	}
	if err := r.Remove(); !errors.Is(err, ErrBusy) {
		t.Fatalf("remove = %v, want ErrBusy", err)
	}
	// the queued taps are delivered once Run starts
	out := running(t, r)
	for i := range 2 {
		if ev := next(t, out); !ev.Tap.UID.Equal(rfid.UID{1, 2, 3, byte(i)}) {
			t.Fatalf("tap %d = %v", i, ev.Tap.UID)
		}
	}
}

func TestHaltKeepsQueuedTaps(t *testing.T) {
	r := New(clock.NewFake(t0), nil)
	out := make(chan rfid.Event, 4)
	done := make(chan error, 1)
	go func() { done <- r.Run(context.Background(), out) }()
	if err := r.Tap(rfid.UID{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	next(t, out)
	if err := r.Halt(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Run after Halt = %v", err)
	}
	if err := r.Tap(rfid.UID{5, 6, 7, 8}); err != nil {
		t.Fatal(err)
	}
	run2 := running(t, r)
	if ev := next(t, run2); !ev.Tap.UID.Equal(rfid.UID{5, 6, 7, 8}) {
		t.Fatalf("after restart: %v", ev.Tap.UID)
	}
}

// TestTapWaitSaysWhatBecameOfTheTap: a tap delivered as an event reports
// true once the event is out; the same card again within the debounce
// window reports false and delivers nothing.
func TestTapWaitSaysWhatBecameOfTheTap(t *testing.T) {
	clk := clock.NewFake(t0)
	r := New(clk, nil)
	out := running(t, r)
	ctx := context.Background()
	uid := rfid.UID{0x88, 0x00, 0x00, 0x01}
	tapped, err := r.TapWait(ctx, uid)
	if err != nil || !tapped {
		t.Fatalf("first tap: %v %v, want tapped", tapped, err)
	}
	if ev := next(t, out); ev.Kind != rfid.EventTap || !ev.Tap.UID.Equal(uid) {
		t.Fatalf("event %+v", ev)
	}
	clk.Advance(time.Second)
	if tapped, err := r.TapWait(ctx, uid); err != nil || tapped {
		t.Fatalf("again within the window: %v %v, want ignored", tapped, err)
	}
	other := rfid.UID{0x88, 0x00, 0x00, 0x02}
	if tapped, err := r.TapWait(ctx, other); err != nil || !tapped {
		t.Fatalf("another card: %v %v", tapped, err)
	}
	if ev := next(t, out); !ev.Tap.UID.Equal(other) {
		t.Fatalf("event %+v, want the other card (nothing for the ignored one)", ev)
	}
	clk.Advance(3 * time.Second)
	if tapped, err := r.TapWait(ctx, uid); err != nil || !tapped {
		t.Fatalf("after the window: %v %v", tapped, err)
	}
	next(t, out)
	// A reader that is not running does not take the card.
	idle := New(clk, nil)
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := idle.TapWait(cctx, uid); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("reader not running: %v", err)
	}
}
