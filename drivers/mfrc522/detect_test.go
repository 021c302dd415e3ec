package mfrc522_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/drivers/mfrc522"
	"github.com/hongmajia/hongmajia/drivers/mfrc522/chipsim"
	"github.com/hongmajia/hongmajia/drivers/mfrc522/commands"
	"github.com/hongmajia/hongmajia/drivers/rfid"
)

// mustOpen connects a driver to chip with the simulated clock.
func mustOpen(tb testing.TB, chip *chipsim.Chip, edit func(*mfrc522.Opts)) *mfrc522.Dev {
	tb.Helper()
	opts := mfrc522.DefaultOpts
	opts.Clock = chip.Clock()
	opts.Logf = func(format string, args ...any) { tb.Logf(format, args...) }
	if edit != nil {
		edit(&opts)
	}
	d, err := mfrc522.NewSPI(chip.Port(), &opts)
	if err != nil {
		tb.Fatalf("NewSPI: %v", err)
	}
	return d
}

var (
	uid4  = []byte{0xDE, 0xAD, 0xBE, 0xEF}
	uid7  = []byte{0x04, 0x1A, 0x2B, 0x3C, 0x4D, 0x5E, 0x80}
	uid10 = []byte{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A}
)

func TestDetectEmptyField(t *testing.T) {
	chip := chipsim.New()
	d := mustOpen(t, chip, nil)
	for range 3 {
		if _, err := d.Detect(context.Background()); err != rfid.ErrNoCard {
			t.Fatalf("Detect on an empty field = %v, want rfid.ErrNoCard", err)
		}
	}
}

func TestDetectUIDSizes(t *testing.T) {
	for _, tc := range []struct {
		name string
		card *chipsim.Card
		uid  []byte
		typ  string
	}{
		{"4 bytes, Classic 1K", chipsim.NewClassic1K(uid4), uid4, "MIFARE Classic 1K"},
		{"7 bytes, Ultralight", chipsim.NewUltralight(uid7), uid7, "MIFARE Ultralight/NTAG"},
		{"7 bytes, Classic 1K", chipsim.NewClassic1K(uid7), uid7, "MIFARE Classic 1K"},
		{"10 bytes, ISO 14443-4", chipsim.NewCard(uid10, 0x20), uid10, "ISO 14443-4"},
		{"4 bytes, Classic 4K", chipsim.NewCard(uid4, 0x18), uid4, "MIFARE Classic 4K"},
		{"4 bytes, Mini", chipsim.NewCard(uid4, 0x09), uid4, "MIFARE Mini"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chip := chipsim.New()
			d := mustOpen(t, chip, nil)
			chip.Insert(tc.card)
			card, err := d.Detect(context.Background())
			if err != nil {
				t.Fatalf("Detect: %v", err)
			}
			if !card.UID.Equal(tc.uid) || card.Type != tc.typ {
				t.Fatalf("Detect = %v %q, want %X %q", card.UID, card.Type, tc.uid, tc.typ)
			}
			if !tc.card.Halted() {
				t.Error("the card was not halted after it was read")
			}
		})
	}
}

// A card held in the field stays detected (WUPA wakes it from HALT), and
// Detect says the field is empty as soon as it leaves.
func TestDetectHeldCardThenGone(t *testing.T) {
	chip := chipsim.New()
	d := mustOpen(t, chip, nil)
	card := chipsim.NewClassic1K(uid4)
	chip.Insert(card)
	for i := range 3 {
		got, err := d.Detect(context.Background())
		if err != nil || !got.UID.Equal(uid4) {
			t.Fatalf("poll %d with the card held: %v, %v", i, got.UID, err)
		}
	}
	chip.Remove(card)
	if _, err := d.Detect(context.Background()); err != rfid.ErrNoCard {
		t.Fatalf("Detect after the card left = %v, want ErrNoCard", err)
	}
	if _, err := d.Detect(context.Background()); err != rfid.ErrNoCard {
		t.Fatalf("second Detect after the card left = %v, want ErrNoCard", err)
	}
}

// Two cards whose UIDs differ in many bits, at every cascade level: each is
// read whole, one after the other, and never a mix of both.
func TestDetectTwoCardsOneAfterTheOther(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b []byte
	}{
		{"4 bytes, first bit", []byte{0x01, 0x00, 0x00, 0x00}, []byte{0x00, 0x00, 0x00, 0x00}},
		{"4 bytes, many bits", []byte{0x12, 0x34, 0x56, 0x78}, []byte{0x92, 0x35, 0x57, 0xF8}},
		{"4 bytes, last bit", []byte{0xAA, 0xBB, 0xCC, 0x01}, []byte{0xAA, 0xBB, 0xCC, 0x00}},
		{"7 bytes, differ in CL2", []byte{0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66}, []byte{0x04, 0x11, 0x22, 0x33, 0x45, 0x55, 0x67}},
		{"7 and 4 bytes", uid7, uid4},
		{"10 bytes, differ in CL3", uid10, []byte{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0B}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chip := chipsim.New()
			d := mustOpen(t, chip, nil)
			chip.Insert(chipsim.NewCard(tc.a, 0x08))
			chip.Insert(chipsim.NewCard(tc.b, 0x08))
			seen := map[string]int{}
			for range 6 {
				card, err := d.Detect(context.Background())
				if err != nil {
					t.Fatalf("Detect: %v", err)
				}
				seen[card.UID.Hex()]++
			}
			a, b := rfid.UID(tc.a).Hex(), rfid.UID(tc.b).Hex()
			if seen[a] == 0 || seen[b] == 0 || seen[a]+seen[b] != 6 {
				t.Fatalf("read %v, want both %s and %s and nothing else", seen, a, b)
			}
		})
	}
}

func TestDetectHeldPairDoesNotReadNewCardAsMix(t *testing.T) {
	chip := chipsim.New()
	d := mustOpen(t, chip, nil)
	a := chipsim.NewClassic1K(uid4)
	chip.Insert(a)
	if got, err := d.Detect(context.Background()); err != nil || !got.UID.Equal(uid4) {
		t.Fatalf("first card: %v %v", got.UID, err)
	}
	// A second card arrives while the first is held: REQA finds it first.
	chip.Insert(chipsim.NewUltralight(uid7))
	got, err := d.Detect(context.Background())
	if err != nil || !got.UID.Equal(uid7) {
		t.Fatalf("second card: %v %v, want %X", got.UID, err, uid7)
	}
}

func TestDetectContextCancelled(t *testing.T) {
	chip := chipsim.New()
	d := mustOpen(t, chip, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.Detect(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Detect with a cancelled context = %v", err)
	}
}

// The idle poll is seven SPI transactions and allocates nothing, whatever
// came before: nothing, a card read and gone, a Classic session closed
// with Release, or one left open (a forgotten Release). The first poll
// after a card leaves may do more; the steady state may not.
func TestIdlePollCost(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		history func(t *testing.T, chip *chipsim.Chip, d *mfrc522.Dev)
	}{
		{"fresh", func(*testing.T, *chipsim.Chip, *mfrc522.Dev) {}},
		{"card read and gone", func(t *testing.T, chip *chipsim.Chip, d *mfrc522.Dev) {
			k := chipsim.NewClassic1K(uid4)
			chip.Insert(k)
			if _, err := d.Detect(ctx); err != nil {
				t.Fatal(err)
			}
			chip.Remove(k)
		}},
		{"session released", func(t *testing.T, chip *chipsim.Chip, d *mfrc522.Dev) {
			k := classicSession(t, chip, d)
			if err := d.Release(ctx); err != nil {
				t.Fatal(err)
			}
			chip.Remove(k)
		}},
		{"session left open", func(t *testing.T, chip *chipsim.Chip, d *mfrc522.Dev) {
			chip.Remove(classicSession(t, chip, d))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chip := chipsim.New()
			d := mustOpen(t, chip, nil)
			tc.history(t, chip, d)
			for range 2 { // the card's departure is noticed
				if _, err := d.Detect(ctx); err != rfid.ErrNoCard {
					t.Fatalf("Detect = %v, want ErrNoCard", err)
				}
			}
			for i := range 5 {
				before := chip.Stats().Tx
				if _, err := d.Detect(ctx); err != rfid.ErrNoCard {
					t.Fatalf("Detect = %v, want ErrNoCard", err)
				}
				if n := chip.Stats().Tx - before; n != 7 {
					t.Fatalf("idle poll %d: %d SPI transactions, want 7", i, n)
				}
			}
			allocs := testing.AllocsPerRun(20, func() {
				if _, err := d.Detect(ctx); err != rfid.ErrNoCard {
					t.Fatalf("Detect = %v, want ErrNoCard", err)
				}
			})
			if allocs != 0 {
				t.Fatalf("idle poll allocates %v times, want 0", allocs)
			}
			if chip.Crypto1On() {
				t.Fatal("MFCrypto1On still set")
			}
		})
	}
}

// classicSession selects a Classic card, authenticates and reads a block.
func classicSession(t *testing.T, chip *chipsim.Chip, d *mfrc522.Dev) *chipsim.Card {
	t.Helper()
	k := chipsim.NewClassic1K(uid4)
	chip.Insert(k)
	ctx := context.Background()
	if _, err := d.Select(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Authenticate(ctx, 4, mfrc522.KeyA, mfrc522.DefaultKey); err != nil {
		t.Fatal(err)
	}
	var b [16]byte
	if err := d.ReadBlock(ctx, 4, &b); err != nil {
		t.Fatal(err)
	}
	return k
}

// A card halted by Select and Release, never seen by Detect, stays in the
// field: Detect finds it at the next poll and at every poll after, as it
// does any card held in the field.
func TestDetectFindsCardHaltedBySelectRelease(t *testing.T) {
	chip := chipsim.New()
	d := mustOpen(t, chip, nil)
	k := chipsim.NewClassic1K(uid4)
	chip.Insert(k)
	ctx := context.Background()
	if _, err := d.Select(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if !k.Halted() {
		t.Fatal("Release did not halt the card")
	}
	for i := range 3 {
		if card, err := d.Detect(ctx); err != nil || !card.UID.Equal(uid4) {
			t.Fatalf("poll %d after Select and Release: %v %v, want %X", i, card.UID, err, uid4)
		}
	}
}

// cancellingClock is the chip's clock that cancels a Detect once the card
// is halted: a read abandoned after its HLTA went out.
type cancellingClock struct {
	chipsim.Clock
	card   *chipsim.Card
	cancel context.CancelFunc
}

func (c *cancellingClock) After(d time.Duration) <-chan time.Time {
	if c.cancel != nil && c.card.Halted() {
		c.cancel()
		c.cancel = nil
		return nil // never fires: the Detect ends with its context
	}
	return c.Clock.After(d)
}

// A first read cancelled after the card was halted leaves it halted in the
// field: the next Detect still finds it.
func TestDetectFindsCardHaltedByCancelledRead(t *testing.T) {
	chip := chipsim.New()
	k := chipsim.NewClassic1K(uid7)
	clk := &cancellingClock{Clock: chip.Clock(), card: k}
	d := mustOpen(t, chip, func(o *mfrc522.Opts) { o.Clock = clk })
	chip.Insert(k)
	ctx, cancel := context.WithCancel(context.Background())
	clk.cancel = cancel
	if _, err := d.Detect(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Detect = %v, want context.Canceled", err)
	}
	if !k.Halted() {
		t.Fatal("the card is not halted: the test does not test what it says")
	}
	for i := range 3 {
		if card, err := d.Detect(context.Background()); err != nil || !card.UID.Equal(uid7) {
			t.Fatalf("poll %d after a cancelled read: %v %v, want %X", i, card.UID, err, uid7)
		}
	}
}

// A held card whose answer to WUPA is lost once (it sits at the edge of the
// field) stays halted: the driver must not forget it is there.
func TestDetectFindsHeldCardAfterAMissedWakeUp(t *testing.T) {
	chip := chipsim.New()
	d := mustOpen(t, chip, nil)
	k := chipsim.NewClassic1K(uid4)
	lose := false
	k.Tamper = func(req, data []byte, bits int) ([]byte, int) {
		if lose && len(req) == 1 && req[0] == commands.WUPA {
			lose = false
			return nil, 0
		}
		return data, bits
	}
	chip.Insert(k)
	ctx := context.Background()
	if card, err := d.Detect(ctx); err != nil || !card.UID.Equal(uid4) {
		t.Fatalf("first read: %v %v", card.UID, err)
	}
	lose = true
	if _, err := d.Detect(ctx); err != rfid.ErrNoCard {
		t.Fatalf("poll with the ATQA lost = %v, want ErrNoCard", err)
	}
	// The card was left READY, which the next wake-up sends back to HALT:
	// one more poll may pass, fewer than debouncing's three.
	if card, err := detectWithin(d, 2); err != nil || !card.UID.Equal(uid4) {
		t.Fatalf("after the lost ATQA: %v %v, want %X", card.UID, err, uid4)
	}
	for i := range 3 {
		if card, err := d.Detect(ctx); err != nil || !card.UID.Equal(uid4) {
			t.Fatalf("poll %d after the lost ATQA: %v %v, want %X", i, card.UID, err, uid4)
		}
	}
}
