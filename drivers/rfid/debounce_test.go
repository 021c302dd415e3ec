package rfid

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

var (
	cardA = Card{UID: UID{0x04, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6}, Type: "MIFARE Ultralight/NTAG"}
	cardB = Card{UID: UID{0xde, 0xad, 0xbe, 0xef}, Type: "MIFARE Classic 1K"}
	cardC = Card{UID: UID{0x01, 0x02, 0x03, 0x04}}
)

// obs is one observation fed to a Debouncer: a card seen, an empty poll
// (missed), or the reader saying the card left.
type obs struct {
	at     int // ms after t0
	seen   *Card
	missed bool
	left   bool
	want   EventKind // 0: no event
	wantID UID
}

func seen(at int, c Card, want EventKind) obs {
	return obs{at: at, seen: &c, want: want, wantID: c.UID}
}
func missed(at int, want EventKind, id UID) obs {
	return obs{at: at, missed: true, want: want, wantID: id}
}
func left(at int, want EventKind, id UID) obs { return obs{at: at, left: true, want: want, wantID: id} }

func TestDebouncer(t *testing.T) {
	for _, tc := range []struct {
		name string
		obs  []obs
	}{
		{"held card is one tap", []obs{
			seen(0, cardA, EventTap), seen(100, cardA, 0), seen(200, cardA, 0), seen(5000, cardA, EventTap),
		}},
		{"held for long while polled is one tap", func() []obs {
			var o []obs
			o = append(o, seen(0, cardA, EventTap))
			for at := 100; at < 10000; at += 100 {
				o = append(o, seen(at, cardA, 0))
			}
			return o
		}()},
		{"card leaves after three empty polls", []obs{
			seen(0, cardA, EventTap), missed(100, 0, nil), missed(200, 0, nil), missed(300, EventLeft, cardA.UID),
			missed(400, 0, nil),
		}},
		{"one missed poll does not end the presentation", []obs{
			seen(0, cardA, EventTap), missed(100, 0, nil), missed(200, 0, nil), seen(300, cardA, 0),
			missed(400, 0, nil), missed(500, 0, nil), missed(600, EventLeft, cardA.UID),
		}},
		{"same card within the window after leaving is ignored", []obs{
			seen(0, cardA, EventTap), missed(100, 0, nil), missed(200, 0, nil), missed(300, EventLeft, cardA.UID),
			seen(1000, cardA, 0), seen(1100, cardA, 0),
			// an ignored presentation leaves quietly: no EventLeft without its tap
			missed(1200, 0, nil), missed(1300, 0, nil), missed(1400, 0, nil),
			// the window runs from when it last left, not from the first tap;
			// a presentation that began inside the window stays ignored
			seen(3300, cardA, 0), seen(3400, cardA, 0), left(3450, 0, nil),
			seen(5450, cardA, EventTap),
		}},
		{"a different card is a new tap at once", []obs{
			seen(0, cardA, EventTap), seen(100, cardB, EventTap), seen(200, cardA, 0), seen(300, cardB, 0),
			seen(400, cardC, EventTap),
		}},
		{"two cards shuffled on the reader are one tap each", []obs{
			seen(0, cardA, EventTap), seen(100, cardB, EventTap), seen(200, cardC, EventTap),
			seen(300, cardA, 0), seen(400, cardB, 0), seen(500, cardC, 0), seen(600, cardA, 0),
		}},
		{"reader says the card left", []obs{
			seen(0, cardA, EventTap), left(50, EventLeft, cardA.UID), left(60, 0, nil), seen(500, cardA, 0),
			left(600, 0, nil), seen(2599, cardA, 0), left(2600, 0, nil), seen(4600, cardA, EventTap),
		}},
		{"a wedge typing the number again while held", []obs{
			seen(0, cardB, EventTap), seen(700, cardB, 0), seen(1400, cardB, 0), seen(2100, cardB, 0),
			// silence longer than the window: a new presentation
			seen(4200, cardB, EventTap),
		}},
		{"nothing held: empty polls and leaves are quiet", []obs{
			missed(0, 0, nil), left(10, 0, nil), missed(20, 0, nil),
		}},
		{"clock stepping back does not lock a card out", []obs{
			seen(0, cardA, EventTap), left(100, EventLeft, cardA.UID),
			seen(-3600000, cardA, EventTap),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDebouncer(KindMFRC522, nil)
			for i, o := range tc.obs {
				var (
					ev Event
					ok bool
				)
				now := ms(o.at)
				switch {
				case o.seen != nil:
					ev, ok = d.Seen(*o.seen, now)
				case o.missed:
					ev, ok = d.Missed(now)
				default:
					ev, ok = d.Left(now)
				}
				if o.want == 0 {
					if ok {
						t.Fatalf("step %d at %d ms: got %v %v, want no event", i, o.at, ev.Kind, ev.Tap.UID)
					}
					continue
				}
				if !ok || ev.Kind != o.want || !ev.Tap.UID.Equal(o.wantID) {
					t.Fatalf("step %d at %d ms: got %v %v (ok=%v), want %v %v", i, o.at, ev.Kind, ev.Tap.UID, ok, o.want, o.wantID)
				}
				if !ev.Tap.At.Equal(now) || ev.Tap.Kind != KindMFRC522 {
					t.Fatalf("step %d: tap at %v kind %v, want %v mfrc522", i, ev.Tap.At, ev.Tap.Kind, now)
				}
			}
		})
	}
}

func TestDebouncerEventOwnsItsUID(t *testing.T) {
	d := NewDebouncer(KindSim, nil)
	buf := UID{1, 2, 3, 4}
	ev, ok := d.Seen(Card{UID: buf, Type: "x"}, t0)
	if !ok {
		t.Fatal("no tap")
	}
	buf[0] = 9 // a detector reusing its buffer must not change a delivered tap
	if !ev.Tap.UID.Equal(UID{1, 2, 3, 4}) || ev.Tap.Type != "x" {
		t.Fatalf("tap UID = %v type %q", ev.Tap.UID, ev.Tap.Type)
	}
	lv, ok := d.Left(ms(10))
	if !ok || !lv.Tap.UID.Equal(UID{1, 2, 3, 4}) {
		t.Fatalf("left = %v %v", lv, ok)
	}
	if lv.Tap.Type != "x" {
		t.Fatalf("left type = %q, want the tapped card's", lv.Tap.Type)
	}
}

func TestDebouncerCustomWindowAndLeave(t *testing.T) {
	d := NewDebouncer(KindWedge, &DebounceOpts{Window: 500 * time.Millisecond, LeaveAfter: 1})
	if _, ok := d.Seen(cardA, ms(0)); !ok {
		t.Fatal("first sighting is no tap")
	}
	if ev, ok := d.Missed(ms(100)); !ok || ev.Kind != EventLeft {
		t.Fatalf("LeaveAfter 1: got %v %v", ev, ok)
	}
	if _, ok := d.Seen(cardA, ms(599)); ok {
		t.Fatal("tap inside a 500 ms window")
	}
	d.Left(ms(600))
	if _, ok := d.Seen(cardA, ms(1100)); !ok {
		t.Fatal("no tap 500 ms after leaving")
	}
}

func TestValidUID(t *testing.T) {
	if err := ValidUID(nil); err == nil {
		t.Error("empty UID accepted")
	}
	if err := ValidUID(make(UID, MaxUIDLen+1)); err == nil {
		t.Error("17-byte UID accepted")
	}
	if err := ValidUID(make(UID, 10)); err != nil {
		t.Errorf("10-byte UID: %v", err)
	}
}

func BenchmarkDebouncerIdle(b *testing.B) {
	d := NewDebouncer(KindMFRC522, nil)
	d.Seen(cardA, t0)
	d.Left(t0)
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(100 * time.Millisecond)
		d.Missed(now)
	}
}

func BenchmarkDebouncerHeld(b *testing.B) {
	d := NewDebouncer(KindMFRC522, nil)
	d.Seen(cardA, t0)
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(100 * time.Millisecond)
		d.Seen(cardA, now)
	}
}
