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
	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
)

// scriptedChip answers every register read with the next byte of a script,
// as a chip gone mad would: any value, in any order. VersionReg and
// CommandReg's PowerDown are pinned so that start-up passes and the fuzzer
// reaches the radio code.
type scriptedChip struct {
	script []byte
	next   int
	txs    int
}

func (s *scriptedChip) String() string { return "scripted" }
func (s *scriptedChip) Connect(physic.Frequency, spi.Mode, int) (spi.Conn, error) {
	return s, nil
}
func (s *scriptedChip) Duplex() conn.Duplex          { return conn.Full }
func (s *scriptedChip) TxPackets([]spi.Packet) error { return errors.New("not used") }
func (s *scriptedChip) Tx(w, r []byte) error {
	s.txs++
	if len(r) == 0 || w[0]&commands.ReadBit == 0 {
		return nil
	}
	for i := 0; i < len(w)-1; i++ {
		var v byte
		if s.next < len(s.script) {
			v = s.script[s.next]
		}
		s.next++
		reg, _, _ := commands.DecodeAddr(w[i])
		switch reg {
		case commands.VersionReg:
			v = commands.Version2
		case commands.CommandReg:
			v &^= commands.PowerDown
		}
		r[i+1] = v
	}
	return nil
}

// recorder keeps what a chip answered to every register read, to seed the
// fuzzer with a real exchange.
type recorder struct {
	spi.Conn
	got []byte
}

func (r *recorder) Tx(w, rd []byte) error {
	err := r.Conn.Tx(w, rd)
	if len(rd) > 0 && w[0]&commands.ReadBit != 0 {
		r.got = append(r.got, rd[1:]...)
	}
	return err
}

type recordingPort struct {
	spi.Port
	rec *recorder
}

func (p *recordingPort) Connect(f physic.Frequency, m spi.Mode, bits int) (spi.Conn, error) {
	c, err := p.Port.Connect(f, m, bits)
	p.rec = &recorder{Conn: c}
	return p.rec, err
}

// instantClock never waits.
type instantClock struct{}

func (instantClock) Now() time.Time { return time.Time{} }
func (instantClock) After(time.Duration) <-chan time.Time {
	c := make(chan time.Time, 1)
	c <- time.Time{}
	return c
}

// recordSession is what the chip model answers to start-up, a Detect and a
// Classic read of card.
func recordSession(tb testing.TB, card *chipsim.Card) []byte {
	chip := chipsim.New()
	chip.Insert(card)
	p := &recordingPort{Port: chip.Port()}
	d, err := mfrc522.NewSPI(p, &mfrc522.Opts{Clock: chip.Clock()})
	if err != nil {
		tb.Fatal(err)
	}
	runSession(d)
	return p.rec.got
}

// runSession is what the fuzzer drives: two looks, then block access.
func runSession(d *mfrc522.Dev) []error {
	ctx := context.Background()
	var errs []error
	for range 2 {
		card, err := d.Detect(ctx)
		if err == nil && len(card.UID) != 4 && len(card.UID) != 7 && len(card.UID) != 10 {
			errs = append(errs, errors.New("UID of a length ISO/IEC 14443-3 does not have"))
		}
		errs = append(errs, err)
	}
	_, err := d.Select(ctx)
	errs = append(errs, err)
	errs = append(errs, d.Authenticate(ctx, 4, mfrc522.KeyA, mfrc522.DefaultKey))
	var b [16]byte
	errs = append(errs, d.ReadBlock(ctx, 4, &b))
	errs = append(errs, d.WriteBlock(ctx, 4, &b))
	errs = append(errs, d.Release(ctx))
	return errs
}

// FuzzChipReplies feeds arbitrary register values to the driver: it must
// return errors of the reader contract's kinds, never panic, never hang.
func FuzzChipReplies(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF})
	f.Add([]byte{0x92, 0x20, 0x80, 0x41, 0x00, 0x00, 0x10, 0x20, 0x00})
	f.Add(recordSession(f, chipsim.NewClassic1K(uid4)))
	f.Add(recordSession(f, chipsim.NewClassic1K(uid7)))
	f.Add(recordSession(f, chipsim.NewCard(uid10, 0x20)))
	f.Fuzz(func(t *testing.T, script []byte) {
		chip := &scriptedChip{script: script}
		d, err := mfrc522.NewSPI(chip, &mfrc522.Opts{Clock: instantClock{}})
		if err != nil {
			if k := rfid.KindOf(err); k != rfid.Wiring && k != rfid.Fatal {
				t.Fatalf("NewSPI error of kind %v: %v", k, err)
			}
			return
		}
		for _, err := range runSession(d) {
			var re *rfid.Error
			if err != nil && err != rfid.ErrNoCard && !errors.As(err, &re) {
				t.Fatalf("error outside the reader contract: %v", err)
			}
		}
		// Bounded work: every wait is a clock wait with a deadline.
		if chip.txs > 5000 {
			t.Fatalf("%d SPI transactions for one session", chip.txs)
		}
	})
}

// The recorded session replays through the scripted chip: the seed is a
// real exchange, so the fuzzer starts from deep inside the protocol.
func TestFuzzSeedReachesCard(t *testing.T) {
	script := recordSession(t, chipsim.NewClassic1K(uid7))
	d, err := mfrc522.NewSPI(&scriptedChip{script: script}, &mfrc522.Opts{Clock: instantClock{}})
	if err != nil {
		t.Fatal(err)
	}
	card, err := d.Detect(context.Background())
	if err != nil || !card.UID.Equal(uid7) {
		t.Fatalf("replayed Detect = %v %v, want %X", card.UID, err, uid7)
	}
}
