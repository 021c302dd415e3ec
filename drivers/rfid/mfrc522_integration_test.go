// The Poller on the real MFRC522 driver against its chip model.

package rfid_test

import (
	"context"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/drivers/mfrc522"
	"github.com/hongmajia/hongmajia/drivers/mfrc522/chipsim"
	"github.com/hongmajia/hongmajia/drivers/rfid"
)

// TestPollerOnMFRC522Model: a card entering the simulated field is one tap,
// stays one tap while held for seconds (the driver wakes its halted card with
// WUPA rather than losing it), and leaves after three empty polls.
func TestPollerOnMFRC522Model(t *testing.T) {
	chip := chipsim.New()
	clk := chip.Clock() // simulated time: every wait advances it at once
	card := chipsim.NewClassic1K([]byte{0xde, 0xad, 0xbe, 0xef})
	start := clk.Now()
	chip.InsertAt(card, 1050*time.Millisecond)
	open := func() (rfid.Detector, error) {
		o := mfrc522.DefaultOpts
		o.Clock = clk
		d, err := mfrc522.NewSPI(chip.Port(), &o)
		if err != nil {
			return nil, err
		}
		return d, nil
	}
	p := rfid.NewPoller(open, clk, &rfid.PollerOpts{Kind: rfid.KindMFRC522})
	out := make(chan rfid.Event, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, out) }()
	defer func() {
		cancel()
		recv(t, done, "end of Run after cancel")
	}()

	ev := recv(t, out, "tap")
	lat := ev.Tap.At.Sub(start) - 1050*time.Millisecond
	if ev.Kind != rfid.EventTap || ev.Tap.UID.Hex() != "DEADBEEF" || ev.Tap.Type != "MIFARE Classic 1K" {
		t.Fatalf("first event = %+v", ev)
	}
	if lat < 0 || lat > 110*time.Millisecond {
		t.Fatalf("tap %v after the card entered, want within one poll", lat)
	}
	stuck := time.After(10 * time.Second)
	for clk.Now().Sub(start) < 6*time.Second {
		select {
		case ev := <-out:
			t.Fatalf("event while the card is held: %v at %v", ev.Kind, ev.Tap.At.Sub(start))
		case <-stuck:
			t.Fatalf("polling stopped at %v of simulated time", clk.Now().Sub(start))
		default:
			time.Sleep(time.Millisecond)
		}
	}
	removed := clk.Now()
	chip.Remove(card)
	ev = recv(t, out, "departure")
	if ev.Kind != rfid.EventLeft || ev.Tap.At.Sub(removed) > 400*time.Millisecond {
		t.Fatalf("after removal: %v %v after", ev.Kind, ev.Tap.At.Sub(removed))
	}
	// Removal may land mid-exchange (a transient error, counted): not checked.
	if st := p.Status(); st.Taps != 1 || st.State != rfid.StateOK {
		t.Fatalf("status = %v", st)
	}
}

// TestPollerOnMFRC522HaltedCard: a card the driver halted without ever
// reporting it (Select and Release right after start) is one tap, and stays
// one tap while held for seconds: the driver finds a halted card at every
// poll, and debouncing makes the sightings one presentation.
func TestPollerOnMFRC522HaltedCard(t *testing.T) {
	chip := chipsim.New()
	clk := chip.Clock()
	card := chipsim.NewClassic1K([]byte{0xde, 0xad, 0xbe, 0xef})
	chip.Insert(card)
	start := clk.Now()
	open := func() (rfid.Detector, error) {
		o := mfrc522.DefaultOpts
		o.Clock = clk
		d, err := mfrc522.NewSPI(chip.Port(), &o)
		if err != nil {
			return nil, err
		}
		if _, err := d.Select(context.Background()); err != nil {
			return nil, err
		}
		if err := d.Release(context.Background()); err != nil {
			return nil, err
		}
		if !card.Halted() {
			t.Error("the card is not halted after Select and Release")
		}
		return d, nil
	}
	p := rfid.NewPoller(open, clk, &rfid.PollerOpts{Kind: rfid.KindMFRC522})
	out := make(chan rfid.Event, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, out) }()
	defer func() {
		cancel()
		recv(t, done, "end of Run after cancel")
	}()

	ev := recv(t, out, "tap of the halted card in the field")
	if ev.Kind != rfid.EventTap || ev.Tap.UID.Hex() != "DEADBEEF" {
		t.Fatalf("first event = %+v", ev)
	}
	if lat := ev.Tap.At.Sub(start); lat > 200*time.Millisecond {
		t.Fatalf("tap %v after start, want at the first polls", lat)
	}
	stuck := time.After(10 * time.Second)
	for clk.Now().Sub(start) < 6*time.Second {
		select {
		case ev := <-out:
			t.Fatalf("event while the card is held: %v at %v", ev.Kind, ev.Tap.At.Sub(start))
		case <-stuck:
			t.Fatalf("polling stopped at %v of simulated time", clk.Now().Sub(start))
		default:
			time.Sleep(time.Millisecond)
		}
	}
	chip.Remove(card)
	if ev = recv(t, out, "departure"); ev.Kind != rfid.EventLeft {
		t.Fatalf("after removal: %v", ev.Kind)
	}
	if st := p.Status(); st.Taps != 1 {
		t.Fatalf("status = %v, want one tap", st)
	}
}

// recv receives from ch within ten seconds of real time (simulated time runs
// far faster): a reader that stops answering fails the test, never hangs it.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s within 10 s", what)
		panic("not reached")
	}
}
