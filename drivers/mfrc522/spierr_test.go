package mfrc522_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hongmajia/hongmajia/drivers/mfrc522"
	"github.com/hongmajia/hongmajia/drivers/mfrc522/chipsim"
	"github.com/hongmajia/hongmajia/drivers/rfid"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
)

// failingPort breaks the bus at transaction failAt, as an unplugged ribbon
// cable or a revoked /dev/spidev permission would.
type failingPort struct {
	spi.Port
	failAt int
	n      *int
}

type failingConn struct {
	spi.Conn
	p *failingPort
}

var errBus = errors.New("spidev: input/output error")

func (p *failingPort) Connect(f physic.Frequency, m spi.Mode, bits int) (spi.Conn, error) {
	c, err := p.Port.Connect(f, m, bits)
	return &failingConn{Conn: c, p: p}, err
}

func (c *failingConn) Tx(w, r []byte) error {
	*c.p.n++
	if *c.p.n == c.p.failAt {
		return errBus
	}
	return c.Conn.Tx(w, r)
}

// A bus error at any transaction of start-up, a read or a block access is a
// Fatal error that names the package, never a panic or a wrong card.
func TestSPIErrorAtEveryTransaction(t *testing.T) {
	session := func(failAt int) (reached bool) {
		chip := chipsim.New()
		card := chipsim.NewClassic1K(uid7)
		card.SetKey(1, false, secretKey)
		chip.Insert(card)
		n := 0
		port := &failingPort{Port: chip.Port(), failAt: failAt, n: &n}
		check := func(err error) bool {
			t.Helper()
			if err == nil {
				return true
			}
			if rfid.KindOf(err) != rfid.Fatal || !errors.Is(err, errBus) || !strings.HasPrefix(errors.Unwrap(err).Error(), "mfrc522: ") {
				t.Fatalf("fail at %d: %v (kind %v)", failAt, err, rfid.KindOf(err))
			}
			return false
		}
		opts := mfrc522.DefaultOpts
		opts.Clock = chip.Clock()
		d, err := mfrc522.NewSPI(port, &opts)
		if !check(err) {
			return true
		}
		ctx := context.Background()
		var b [16]byte
		steps := []func() error{
			func() error {
				got, err := d.Detect(ctx)
				if err == nil && !got.UID.Equal(uid7) {
					t.Fatalf("fail at %d: read %v", failAt, got.UID)
				}
				return err
			},
			func() error { _, err := d.Select(ctx); return err },
			func() error { return d.Authenticate(ctx, 4, mfrc522.KeyA, secretKey) },
			func() error { return d.ReadBlock(ctx, 4, &b) },
			func() error { return d.WriteBlock(ctx, 4, &b) },
			func() error { return d.Release(ctx) },
			d.Halt,
		}
		for _, step := range steps {
			if !check(step()) {
				break
			}
		}
		return n >= failAt
	}
	for failAt := 1; session(failAt); failAt++ {
	}
}

func TestTypeFromSAK(t *testing.T) {
	for sak, want := range map[byte]string{
		0x08: "MIFARE Classic 1K", 0x88: "MIFARE Classic 1K", 0x28: "MIFARE Classic 1K",
		0x18: "MIFARE Classic 4K", 0x38: "MIFARE Classic 4K", 0x19: "MIFARE Classic 2K",
		0x09: "MIFARE Mini", 0x10: "MIFARE Plus", 0x11: "MIFARE Plus",
		0x00: "MIFARE Ultralight/NTAG", 0x20: "ISO 14443-4", 0x60: "ISO 14443-4", 0x01: "",
	} {
		if got := mfrc522.TypeFromSAK(sak).String(); got != want {
			t.Errorf("TypeFromSAK(%#02x) = %q, want %q", sak, got, want)
		}
	}
}

func TestGain(t *testing.T) {
	for g, want := range map[mfrc522.Gain]byte{
		mfrc522.GainDefault: 4, mfrc522.Gain18dB: 0, mfrc522.Gain23dB: 1, mfrc522.Gain33dB: 4,
		mfrc522.Gain38dB: 5, mfrc522.Gain43dB: 6, mfrc522.Gain48dB: 7,
	} {
		chip := chipsim.New()
		mustOpen(t, chip, func(o *mfrc522.Opts) { o.Gain = g })
		if got := chip.Register(0x26) >> 4 & 7; got != want {
			t.Errorf("%v: RxGain %d, want %d", g, got, want)
		}
		if !strings.HasSuffix(g.String(), "dB") {
			t.Errorf("Gain(%d).String() = %q", g, g)
		}
	}
}
