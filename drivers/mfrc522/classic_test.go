package mfrc522_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/hongmajia/hongmajia/drivers/mfrc522"
	"github.com/hongmajia/hongmajia/drivers/mfrc522/chipsim"
	"github.com/hongmajia/hongmajia/drivers/rfid"
)

var secretKey = mfrc522.Key{0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5}

// classicCard is a Classic 1K whose sector 1 has key A secretKey and data
// block 4 writable with key A (transport access bits).
func classicCard(uid []byte) *chipsim.Card {
	k := chipsim.NewClassic1K(uid)
	k.SetKey(1, false, secretKey)
	return k
}

func selectCard(t *testing.T, d *mfrc522.Dev, uid []byte) {
	t.Helper()
	card, err := d.Select(context.Background())
	if err != nil || !card.UID.Equal(uid) {
		t.Fatalf("Select = %v %v, want %X", card.UID, err, uid)
	}
}

func TestClassicWriteReadBack(t *testing.T) {
	for _, uid := range [][]byte{uid4, uid7} {
		chip := chipsim.New()
		d := mustOpen(t, chip, nil)
		k := classicCard(uid)
		chip.Insert(k)
		ctx := context.Background()
		// Detect halts the card; Select must wake it.
		if _, err := d.Detect(ctx); err != nil {
			t.Fatal(err)
		}
		selectCard(t, d, uid)
		if err := d.Authenticate(ctx, 4, mfrc522.KeyA, secretKey); err != nil {
			t.Fatalf("Authenticate: %v", err)
		}
		if !chip.Crypto1On() {
			t.Fatal("MFCrypto1On not set after authentication")
		}
		want := [16]byte{'h', 'o', 'n', 'g', 'm', 'a', 'j', 'i', 'a', 0, 1, 2, 3, 4, 5, 6}
		if err := d.WriteBlock(ctx, 4, &want); err != nil {
			t.Fatalf("WriteBlock: %v", err)
		}
		var got [16]byte
		if err := d.ReadBlock(ctx, 4, &got); err != nil {
			t.Fatalf("ReadBlock: %v", err)
		}
		if got != want || !bytes.Equal(k.Block(4), want[:]) {
			t.Fatalf("read back % X, card holds % X, want % X", got, k.Block(4), want)
		}
		// The trailer reads with key A hidden.
		if err := d.ReadBlock(ctx, 7, &got); err != nil {
			t.Fatalf("ReadBlock trailer: %v", err)
		}
		if !bytes.Equal(got[:6], make([]byte, 6)) || !bytes.Equal(got[6:9], []byte{0xFF, 0x07, 0x80}) {
			t.Fatalf("trailer reads % X", got)
		}
		if err := d.Release(ctx); err != nil {
			t.Fatalf("Release: %v", err)
		}
		if chip.Crypto1On() || !k.Halted() {
			t.Fatal("Release left Crypto1 on or the card awake")
		}
	}
}

func TestClassicWrongKey(t *testing.T) {
	chip := chipsim.New()
	d := mustOpen(t, chip, nil)
	chip.Insert(classicCard(uid4))
	ctx := context.Background()
	selectCard(t, d, uid4)
	err := d.Authenticate(ctx, 4, mfrc522.KeyA, mfrc522.DefaultKey)
	wantKind(t, err, rfid.Transient, mfrc522.ErrWrongKey, "authenticate block 4")
	if chip.Crypto1On() {
		t.Fatal("Crypto1 on after a wrong key")
	}
	// The card is no longer selected: block commands are refused.
	var b [16]byte
	wantKind(t, d.ReadBlock(ctx, 4, &b), rfid.Transient, mfrc522.ErrNotSelected, "read block 4")
	// Selecting again and the right key work.
	selectCard(t, d, uid4)
	if err := d.Authenticate(ctx, 4, mfrc522.KeyA, secretKey); err != nil {
		t.Fatalf("Authenticate after a wrong key: %v", err)
	}
}

func TestClassicKeyBReadableIsNoKey(t *testing.T) {
	// In transport configuration key B is readable, so it cannot
	// authenticate (MF1S50yyX §8.7.3).
	chip := chipsim.New()
	d := mustOpen(t, chip, nil)
	chip.Insert(chipsim.NewClassic1K(uid4))
	selectCard(t, d, uid4)
	err := d.Authenticate(context.Background(), 0, mfrc522.KeyB, mfrc522.DefaultKey)
	wantKind(t, err, rfid.Transient, mfrc522.ErrWrongKey, "key B")
}

func TestClassicNAK(t *testing.T) {
	chip := chipsim.New()
	d := mustOpen(t, chip, nil)
	k := classicCard(uid4)
	// Sector 2: data blocks read-only for key A (C1C2C3 = 010), trailer 001.
	k.SetBlock(11, []byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x8F, 0x07, 0x87, 0x69, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF})
	chip.Insert(k)
	ctx := context.Background()
	selectCard(t, d, uid4)
	if err := d.Authenticate(ctx, 4, mfrc522.KeyA, secretKey); err != nil {
		t.Fatal(err)
	}
	// Block 8 is in sector 2, not authenticated.
	var b [16]byte
	err := d.ReadBlock(ctx, 8, &b)
	wantKind(t, err, rfid.Transient, mfrc522.ErrNAK, "read block 8")
	var nak *mfrc522.NAKError
	if !errors.As(err, &nak) || nak.Code != 0x4 {
		t.Fatalf("NAK = %v, want code 4", err)
	}
	// Block 0 (manufacturer) is never writable.
	selectCard(t, d, uid4)
	if err := d.Authenticate(ctx, 0, mfrc522.KeyA, mfrc522.DefaultKey); err != nil {
		t.Fatal(err)
	}
	wantKind(t, d.WriteBlock(ctx, 0, &b), rfid.Transient, mfrc522.ErrNAK, "write block 0")
	// Sector 2 with its access bits: reads, refuses writes.
	selectCard(t, d, uid4)
	if err := d.Authenticate(ctx, 9, mfrc522.KeyA, mfrc522.DefaultKey); err != nil {
		t.Fatal(err)
	}
	if err := d.ReadBlock(ctx, 9, &b); err != nil {
		t.Fatalf("ReadBlock of a read-only block: %v", err)
	}
	wantKind(t, d.WriteBlock(ctx, 9, &b), rfid.Transient, mfrc522.ErrNAK, "write block 9")
}

func TestClassicReadCRCMismatch(t *testing.T) {
	chip := chipsim.New()
	d := mustOpen(t, chip, nil)
	k := classicCard(uid4)
	k.Tamper = tamper(0x30, func(d []byte, bits int) ([]byte, int) {
		d[17] ^= 0x01
		return d, bits
	})
	chip.Insert(k)
	ctx := context.Background()
	selectCard(t, d, uid4)
	if err := d.Authenticate(ctx, 4, mfrc522.KeyA, secretKey); err != nil {
		t.Fatal(err)
	}
	var b [16]byte
	wantKind(t, d.ReadBlock(ctx, 4, &b), rfid.Transient, mfrc522.ErrCRC, "read block 4")
}

func TestUltralightRead(t *testing.T) {
	chip := chipsim.New()
	d := mustOpen(t, chip, nil)
	chip.Insert(chipsim.NewUltralight(uid7))
	selectCard(t, d, uid7)
	var b [16]byte
	if err := d.ReadBlock(context.Background(), 0, &b); err != nil {
		t.Fatal(err)
	}
	// Pages 0 and 1: UID0..2, BCC0, UID3..6 (MF0ICU1 §8.5.1).
	want := []byte{uid7[0], uid7[1], uid7[2], 0x88 ^ uid7[0] ^ uid7[1] ^ uid7[2], uid7[3], uid7[4], uid7[5], uid7[6]}
	if !bytes.Equal(b[:8], want) {
		t.Fatalf("pages 0-1 = % X, want % X", b[:8], want)
	}
}

func TestBlockCommandsNeedSelect(t *testing.T) {
	chip := chipsim.New()
	d := mustOpen(t, chip, nil)
	err := d.Authenticate(context.Background(), 4, mfrc522.KeyA, secretKey)
	wantKind(t, err, rfid.Transient, mfrc522.ErrNotSelected, "authenticate")
	if _, err := d.Select(context.Background()); err != rfid.ErrNoCard {
		t.Fatalf("Select on an empty field = %v", err)
	}
}

// After an authentication, MFCrypto1On enciphers every frame until software
// clears it. A forgotten Release must not leave the reader blind: the card
// that stays and any card that comes later are read by the next Detect.
func TestClassicForgottenReleaseDoesNotHideCards(t *testing.T) {
	chip := chipsim.New()
	d := mustOpen(t, chip, nil)
	k := classicCard(uid4)
	chip.Insert(k)
	ctx := context.Background()
	selectCard(t, d, uid4)
	if err := d.Authenticate(ctx, 4, mfrc522.KeyA, secretKey); err != nil {
		t.Fatal(err)
	}
	var b [16]byte
	if err := d.ReadBlock(ctx, 4, &b); err != nil {
		t.Fatal(err)
	}
	// No Release.
	if card, err := d.Detect(ctx); err != nil || !card.UID.Equal(uid4) {
		t.Fatalf("Detect after a forgotten Release = %v %v, want %X", card.UID, err, uid4)
	}
	if chip.Crypto1On() {
		t.Error("MFCrypto1On still set after Detect")
	}
	chip.Remove(k)
	chip.Insert(chipsim.NewUltralight(uid7))
	if card, err := detectWithin(d, 3); err != nil || !card.UID.Equal(uid7) {
		t.Fatalf("a new card after a forgotten Release: %v %v, want %X", card.UID, err, uid7)
	}
}

// A NAK ends the session on the card, not MFCrypto1On on the chip: Detect
// and Select find the card again without a Release.
func TestClassicNAKThenDetectAndSelect(t *testing.T) {
	for _, next := range []string{"Detect", "Select"} {
		t.Run(next, func(t *testing.T) {
			chip := chipsim.New()
			d := mustOpen(t, chip, nil)
			chip.Insert(classicCard(uid4))
			ctx := context.Background()
			selectCard(t, d, uid4)
			if err := d.Authenticate(ctx, 4, mfrc522.KeyA, secretKey); err != nil {
				t.Fatal(err)
			}
			var b [16]byte
			wantKind(t, d.ReadBlock(ctx, 8, &b), rfid.Transient, mfrc522.ErrNAK, "read block 8")
			// The card left ACTIVE with the NAK: block commands need a Select.
			wantKind(t, d.ReadBlock(ctx, 4, &b), rfid.Transient, mfrc522.ErrNotSelected, "read block 4")
			var (
				card rfid.Card
				err  error
			)
			if next == "Detect" {
				card, err = d.Detect(ctx)
			} else {
				card, err = d.Select(ctx)
			}
			if err != nil || !card.UID.Equal(uid4) {
				t.Fatalf("%s after a NAK = %v %v, want %X", next, card.UID, err, uid4)
			}
		})
	}
}

// detectWithin polls up to n times and returns the first card found.
func detectWithin(d *mfrc522.Dev, n int) (rfid.Card, error) {
	var err error
	for range n {
		var card rfid.Card
		if card, err = d.Detect(context.Background()); err == nil {
			return card, nil
		}
	}
	return rfid.Card{}, err
}
