package mfrc522_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hongmajia/hongmajia/drivers/mfrc522"
	"github.com/hongmajia/hongmajia/drivers/mfrc522/chipsim"
	"github.com/hongmajia/hongmajia/drivers/mfrc522/commands"
	"github.com/hongmajia/hongmajia/drivers/rfid"
)

// wantKind checks that err is an *rfid.Error of kind and wraps target.
func wantKind(t *testing.T, err error, kind rfid.ErrorKind, target error, step string) {
	t.Helper()
	var re *rfid.Error
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not an *rfid.Error", err, err)
	}
	if re.Kind != kind {
		t.Errorf("kind = %v, want %v (%v)", re.Kind, kind, err)
	}
	if target != nil && !errors.Is(err, target) {
		t.Errorf("error %q does not wrap %q", err, target)
	}
	if !strings.Contains(err.Error(), "mfrc522: ") || !strings.Contains(err.Error(), step) {
		t.Errorf("error %q does not name the package and the step %q", err, step)
	}
}

func TestNewSPIVersion(t *testing.T) {
	for _, tc := range []struct {
		version byte
		warn    bool
		kind    rfid.ErrorKind // 0: accepted
	}{
		{0x91, false, 0},
		{0x92, false, 0},
		{0x88, true, 0},
		{0x12, true, 0},
		{0x00, false, rfid.Wiring},
		{0xFF, false, rfid.Wiring},
		// Modules sold and known to work answer other values: they start,
		// with a warning naming the version.
		{0x80, true, 0},
		{0x82, true, 0},
		{0x89, true, 0},
		{0x90, true, 0},
		{0xB2, true, 0},
		{0x42, true, 0},
	} {
		t.Run(fmt.Sprintf("%#02x", tc.version), func(t *testing.T) {
			chip := chipsim.New()
			chip.SetVersion(tc.version)
			var warnings []string
			opts := mfrc522.DefaultOpts
			opts.Clock = chip.Clock()
			opts.Logf = func(format string, args ...any) { warnings = append(warnings, fmt.Sprintf(format, args...)) }
			d, err := mfrc522.NewSPI(chip.Port(), &opts)
			if tc.kind != 0 {
				wantKind(t, err, tc.kind, mfrc522.ErrWiring, "VersionReg")
				if !strings.Contains(err.Error(), "check the wiring") {
					t.Errorf("error %q does not tell to check the wiring", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewSPI: %v", err)
			}
			if d.Version() != tc.version {
				t.Errorf("Version = %#x", d.Version())
			}
			if got := len(warnings) > 0; got != tc.warn {
				t.Errorf("warnings %q, want a warning: %v", warnings, tc.warn)
			}
			if name := fmt.Sprintf("%#02x", tc.version); tc.warn && !strings.Contains(strings.Join(warnings, "\n"), name) {
				t.Errorf("warnings %q do not name the version %s", warnings, name)
			}
			if strings.Contains(strings.Join(warnings, "\n"), "wiring") {
				t.Errorf("warnings %q send the technician to the wiring", warnings)
			}
			// The chip works: a card is read.
			chip.Insert(chipsim.NewClassic1K(uid4))
			if card, err := d.Detect(context.Background()); err != nil || !card.UID.Equal(uid4) {
				t.Errorf("Detect = %v %v", card.UID, err)
			}
			if chip.Register(commands.TxControlReg)&0x03 != 0x03 {
				t.Error("antenna not on after init")
			}
			if chip.Register(commands.TxASKReg) != commands.Force100ASK || chip.Register(commands.ModeReg)&3 != commands.CRCPreset6363 {
				t.Error("100 % ASK or CRC preset 6363h not set")
			}
		})
	}
}

func TestNewSPIDeadChip(t *testing.T) {
	for _, v := range []byte{0x00, 0xFF} {
		chip := chipsim.New()
		chip.SetDead(v)
		_, err := mfrc522.NewSPI(chip.Port(), &mfrc522.Opts{Clock: chip.Clock()})
		wantKind(t, err, rfid.Wiring, mfrc522.ErrWiring, fmt.Sprintf("%#02x", v))
	}
}

func TestNewSPIAbsent(t *testing.T) {
	port := chipsim.New().Port()
	port.ConnectErr = errors.New("open /dev/spidev0.0: no such file or directory")
	_, err := mfrc522.NewSPI(port, nil)
	wantKind(t, err, rfid.Absent, nil, "connect")
}

func TestNewSPIPinsAndGain(t *testing.T) {
	chip := chipsim.New()
	reset := chip.ResetPin()
	d := mustOpen(t, chip, func(o *mfrc522.Opts) {
		o.ResetPin = reset
		o.IRQPin = chip.IRQPin()
		o.Gain = mfrc522.Gain48dB
	})
	if reset.Resets != 1 {
		t.Errorf("hard resets = %d, want 1", reset.Resets)
	}
	if g := chip.Register(commands.RFCfgReg) >> 4 & 7; g != 7 {
		t.Errorf("RxGain = %d, want 7 (48 dB)", g)
	}
	if chip.Register(commands.ComIEnReg)&commands.IRqInv == 0 {
		t.Error("IRQ not set up active low")
	}
	chip.Insert(chipsim.NewCard(uid10, 0x20))
	card, err := d.Detect(context.Background())
	if err != nil || !card.UID.Equal(uid10) {
		t.Fatalf("Detect with the IRQ pin: %v %v", card.UID, err)
	}
	if !strings.Contains(d.String(), "MFRC522") {
		t.Errorf("String = %q", d.String())
	}
}

// The IRQ pin saves the ComIrqReg polls: never more transactions than
// polling, for an empty field and for a card.
func TestIRQPinNoMoreTransactions(t *testing.T) {
	count := func(irq bool, card bool) int {
		chip := chipsim.New()
		d := mustOpen(t, chip, func(o *mfrc522.Opts) {
			if irq {
				o.IRQPin = chip.IRQPin()
			}
		})
		if card {
			chip.Insert(chipsim.NewUltralight(uid7))
		}
		before := chip.Stats().Tx
		if _, err := d.Detect(context.Background()); err != nil && err != rfid.ErrNoCard {
			t.Fatal(err)
		}
		return chip.Stats().Tx - before
	}
	for _, card := range []bool{false, true} {
		if irq, poll := count(true, card), count(false, card); irq > poll {
			t.Errorf("card %v: %d transactions with IRQ, %d polling", card, irq, poll)
		}
	}
}

func TestHaltSwitchesAntennaOffAndDetectOn(t *testing.T) {
	chip := chipsim.New()
	d := mustOpen(t, chip, nil)
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
	if on, err := d.AntennaOn(); err != nil || on {
		t.Fatalf("AntennaOn after Halt = %v, %v", on, err)
	}
	chip.Insert(chipsim.NewClassic1K(uid4))
	if card, err := d.Detect(context.Background()); err != nil || !card.UID.Equal(uid4) {
		t.Fatalf("Detect after Halt: %v %v", card.UID, err)
	}
}

// tamper rewrites the answer to the frames that start with first.
func tamper(first byte, f func(data []byte, bits int) ([]byte, int)) func(req, data []byte, bits int) ([]byte, int) {
	return func(req, data []byte, bits int) ([]byte, int) {
		if len(req) > 0 && req[0] == first {
			return f(append([]byte(nil), data...), bits)
		}
		return data, bits
	}
}

func TestDetectBadAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		card   func() *chipsim.Card
		target error
		step   string
	}{
		{"BCC does not match", func() *chipsim.Card {
			k := chipsim.NewClassic1K(uid4)
			k.Tamper = tamper(commands.SelCL1, func(d []byte, bits int) ([]byte, int) {
				if bits == 40 {
					d[4] ^= 0x01
				}
				return d, bits
			})
			return k
		}, mfrc522.ErrBCC, "anticollision cascade 1"},
		{"BCC does not match at cascade 2", func() *chipsim.Card {
			k := chipsim.NewClassic1K(uid7)
			k.Tamper = tamper(commands.SelCL2, func(d []byte, bits int) ([]byte, int) {
				if bits == 40 {
					d[4] ^= 0x80
				}
				return d, bits
			})
			return k
		}, mfrc522.ErrBCC, "anticollision cascade 2"},
		{"short UID answer", func() *chipsim.Card {
			k := chipsim.NewClassic1K(uid4)
			k.Tamper = tamper(commands.SelCL1, func(d []byte, bits int) ([]byte, int) {
				if bits == 40 {
					return d[:3], 24
				}
				return d, bits
			})
			return k
		}, mfrc522.ErrFrame, "anticollision cascade 1"},
		{"overlong UID answer", func() *chipsim.Card {
			k := chipsim.NewClassic1K(uid4)
			k.Tamper = tamper(commands.SelCL1, func(d []byte, bits int) ([]byte, int) {
				if bits == 40 {
					return append(d, 0x00, 0x11), 56
				}
				return d, bits
			})
			return k
		}, mfrc522.ErrFrame, "anticollision cascade 1"},
		{"SAK CRC mismatch", func() *chipsim.Card {
			k := chipsim.NewClassic1K(uid4)
			k.Tamper = tamper(commands.SelCL1, func(d []byte, bits int) ([]byte, int) {
				if bits == 24 {
					d[2] ^= 0x10
				}
				return d, bits
			})
			return k
		}, mfrc522.ErrCRC, "select cascade 1"},
		{"short SAK", func() *chipsim.Card {
			k := chipsim.NewCard(uid10, 0x20)
			k.Tamper = tamper(commands.SelCL3, func(d []byte, bits int) ([]byte, int) {
				if bits == 24 {
					return d[:1], 8
				}
				return d, bits
			})
			return k
		}, mfrc522.ErrFrame, "select cascade 3"},
		{"SAK asks for a fourth level", func() *chipsim.Card {
			k := chipsim.NewCard(uid10, 0x24)
			return k
		}, mfrc522.ErrFrame, "select cascade 3"},
		{"cascade bit without cascade tag", func() *chipsim.Card {
			return chipsim.NewCard(uid4, 0x0C)
		}, mfrc522.ErrFrame, "select cascade 1"},
		{"ATQA of one byte", func() *chipsim.Card {
			k := chipsim.NewClassic1K(uid4)
			k.Tamper = tamper(commands.WUPA, func(d []byte, bits int) ([]byte, int) { return d[:1], 8 })
			return k
		}, mfrc522.ErrFrame, "wake-up"},
		{"card removed mid-select", func() *chipsim.Card {
			k := chipsim.NewClassic1K(uid7)
			k.LeaveAfter(4) // WUPA, anticollision 1, select 1, anticollision 2
			return k
		}, mfrc522.ErrTimeout, "anticollision cascade 2"},
		{"card removed during SELECT", func() *chipsim.Card {
			k := chipsim.NewClassic1K(uid4)
			k.LeaveAfter(3) // WUPA, anticollision 1, select 1
			return k
		}, mfrc522.ErrTimeout, "select cascade 1"},
		{"card mute after its ATQA", func() *chipsim.Card {
			k := chipsim.NewClassic1K(uid4)
			k.Tamper = tamper(commands.SelCL1, func(d []byte, bits int) ([]byte, int) { return nil, 0 })
			return k
		}, mfrc522.ErrTimeout, "anticollision cascade 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chip := chipsim.New()
			d := mustOpen(t, chip, nil)
			chip.Insert(tc.card())
			card, err := d.Detect(context.Background())
			if err == nil {
				t.Fatalf("Detect = %v, want an error", card.UID)
			}
			wantKind(t, err, rfid.Transient, tc.target, tc.step)
		})
	}
}

// Two cards that share a UID but answer different SAKs collide where no
// choice of bit can help.
func TestDetectUnresolvableCollision(t *testing.T) {
	chip := chipsim.New()
	d := mustOpen(t, chip, nil)
	chip.Insert(chipsim.NewCard(uid4, 0x08))
	chip.Insert(chipsim.NewCard(uid4, 0x20))
	_, err := d.Detect(context.Background())
	wantKind(t, err, rfid.Transient, mfrc522.ErrCollision, "select cascade 1")
}

// A card that answers HLTA did not halt; its UID is still good.
func TestDetectHLTAAnswered(t *testing.T) {
	chip := chipsim.New()
	d := mustOpen(t, chip, nil)
	k := chipsim.NewClassic1K(uid4)
	k.Tamper = tamper(commands.HLTA, func(d []byte, bits int) ([]byte, int) { return []byte{0x04}, 4 })
	chip.Insert(k)
	if card, err := d.Detect(context.Background()); err != nil || !card.UID.Equal(uid4) {
		t.Fatalf("Detect = %v %v", card.UID, err)
	}
}

// After a transient error the next polls read the card.
func TestDetectRecoversAfterTransientError(t *testing.T) {
	chip := chipsim.New()
	d := mustOpen(t, chip, nil)
	k := chipsim.NewClassic1K(uid4)
	bad := 1
	k.Tamper = tamper(commands.SelCL1, func(d []byte, bits int) ([]byte, int) {
		if bits == 24 && bad > 0 {
			bad--
			d[1] ^= 0xFF
		}
		return d, bits
	})
	chip.Insert(k)
	_, err := d.Detect(context.Background())
	wantKind(t, err, rfid.Transient, mfrc522.ErrCRC, "select")
	for range 3 {
		if card, err := d.Detect(context.Background()); err == nil {
			if !card.UID.Equal(uid4) {
				t.Fatalf("read %v after a CRC error, want %X", card.UID, uid4)
			}
			return
		}
	}
	t.Fatal("the card was not read within three polls after a CRC error")
}

func TestDetectChipFaults(t *testing.T) {
	t.Run("timer never fires", func(t *testing.T) {
		chip := chipsim.New()
		d := mustOpen(t, chip, nil)
		chip.SetTimerBroken(true)
		_, err := d.Detect(context.Background())
		wantKind(t, err, rfid.Fatal, mfrc522.ErrChip, "wake-up")
	})
	t.Run("timer never fires, IRQ pin", func(t *testing.T) {
		chip := chipsim.New()
		d := mustOpen(t, chip, func(o *mfrc522.Opts) { o.IRQPin = chip.IRQPin() })
		chip.SetTimerBroken(true)
		_, err := d.Detect(context.Background())
		wantKind(t, err, rfid.Fatal, mfrc522.ErrChip, "wake-up")
	})
	t.Run("chip reads 0x00 after start", func(t *testing.T) {
		chip := chipsim.New()
		d := mustOpen(t, chip, nil)
		chip.SetDead(0x00)
		_, err := d.Detect(context.Background())
		wantKind(t, err, rfid.Fatal, mfrc522.ErrChip, "wake-up")
	})
	// A floating MISO reads 0xFF, TempErr included: that is the wiring,
	// as at start, not an overheated chip.
	t.Run("chip reads 0xff after start", func(t *testing.T) {
		chip := chipsim.New()
		d := mustOpen(t, chip, nil)
		chip.SetDead(0xFF)
		_, err := d.Detect(context.Background())
		wantKind(t, err, rfid.Wiring, mfrc522.ErrWiring, "wake-up")
		if errors.Is(err, mfrc522.ErrTemperature) || !strings.Contains(err.Error(), "check the wiring") {
			t.Errorf("error %q, want the wiring and no overheating", err)
		}
	})
	t.Run("overheated", func(t *testing.T) {
		chip := chipsim.New()
		d := mustOpen(t, chip, nil)
		chip.Insert(chipsim.NewClassic1K(uid4))
		chip.SetOverheated(true)
		_, err := d.Detect(context.Background())
		wantKind(t, err, rfid.Fatal, mfrc522.ErrTemperature, "wake-up")
	})
}

// One ErrorReg byte with TempErr, or all ones, glitched on MISO, is not an
// overheated chip: a second read says otherwise, and the poll goes on
// (an empty field, or the card in it).
func TestDetectTemperatureGlitch(t *testing.T) {
	for _, glitch := range []byte{commands.TempErr, 0xFF, commands.TempErr | commands.CollErr} {
		for _, card := range []bool{false, true} {
			t.Run(fmt.Sprintf("%#02x card %v", glitch, card), func(t *testing.T) {
				chip := chipsim.New()
				d := mustOpen(t, chip, nil)
				if card {
					chip.Insert(chipsim.NewClassic1K(uid4))
				}
				chip.GlitchRead(commands.ErrorReg, glitch)
				got, err := d.Detect(context.Background())
				switch {
				case card && (err != nil || !got.UID.Equal(uid4)):
					t.Fatalf("Detect = %v %v, want %X", got.UID, err, uid4)
				case !card && err != rfid.ErrNoCard:
					t.Fatalf("Detect = %v %v, want ErrNoCard", got.UID, err)
				}
			})
		}
	}
}

// Random bits from the air never become a card, never panic, and every
// failure is transient.
func TestDetectGarbage(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		chip := chipsim.New()
		d := mustOpen(t, chip, nil)
		chip.Insert(chipsim.NewClassic1K(uid4))
		chip.SetGarbage(seed)
		for range 200 {
			card, err := d.Detect(context.Background())
			switch {
			case err == nil:
				t.Fatalf("seed %d: garbage read as card %v", seed, card.UID)
			case err == rfid.ErrNoCard:
			default:
				if k := rfid.KindOf(err); k != rfid.Transient {
					t.Fatalf("seed %d: %v is %v, want transient", seed, err, k)
				}
			}
		}
	}
}
