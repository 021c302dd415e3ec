// Package mfrc522 drives the NXP MFRC522 contactless reader IC over SPI, on
// periph.io's spi.Port, as an rfid.Detector for ISO/IEC 14443A cards.
//
// References: NXP MFRC522 datasheet rev 3.9 (register and command sections
// are cited as §n in the code, constants live in package commands);
// ISO/IEC 14443-3:2018 type A for REQA/WUPA, anticollision, SELECT, HLTA and
// CRC_A; NXP MF1S50yyX (MIFARE Classic 1K) for authentication, READ, WRITE
// and ACK/NAK; NXP AN10833 for the SAK values.
//
// Choices that are not in the datasheet:
//   - The timer runs at 40 kHz (TPrescaler 169, §8.5) so one tick is 25 µs;
//     ISO/IEC 14443-3 commands get 1 ms (a card answers REQA 91 µs after the
//     frame), MIFARE Classic commands 25 ms (authentication, EEPROM writes).
//   - CollReg ValuesAfterColl stays 0: this driver only speaks 106 kbit/s
//     type A, where bits after a collision must be cleared (§9.3.1.15).
//   - CRC_A of outgoing frames comes from the chip's CalcCRC (§10.3.1.4);
//     CRCs of answers are checked in software, so RxCRCEn stays off and a
//     bad answer is visible as such.
//   - The poll is WUPA, not REQA, so that a card in HALT is always found.
//     A card found is halted (HLTA); while it may still be in the field the
//     poll sends REQA first, which only a new card answers, so two cards in
//     the field are read one after the other. A card that stays is woken
//     again, so Detect keeps reporting it until it leaves.
//   - The IRQ pin only replaces polling ComIrqReg during an exchange; the
//     chip cannot notice a card arriving without transmitting, so finding
//     one is always a poll (PollInterval).
package mfrc522

import (
	"context"
	"fmt"
	"time"

	"github.com/hongmajia/hongmajia/drivers/mfrc522/commands"
	"github.com/hongmajia/hongmajia/drivers/rfid"
	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
)

// Clock is how the driver waits: clock.Real and *clock.Fake from the ledger
// satisfy it, and so does chipsim's simulated clock.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// Gain is the receiver gain, RFCfgReg RxGain (§9.3.3.6, table 98).
type Gain uint8

// Receiver gains. GainDefault keeps the chip's reset value (33 dB).
const (
	GainDefault Gain = iota
	Gain18dB
	Gain23dB
	Gain33dB
	Gain38dB
	Gain43dB
	Gain48dB
)

// rxGain is the RxGain field value (table 98: 000 18 dB, 001 23 dB, 100 33
// dB, 101 38 dB, 110 43 dB, 111 48 dB).
func (g Gain) rxGain() byte {
	switch g {
	case Gain18dB:
		return 0b000
	case Gain23dB:
		return 0b001
	case Gain38dB:
		return 0b101
	case Gain43dB:
		return 0b110
	case Gain48dB:
		return 0b111
	}
	return 0b100
}

func (g Gain) String() string {
	switch g {
	case GainDefault, Gain33dB:
		return "33dB"
	case Gain18dB:
		return "18dB"
	case Gain23dB:
		return "23dB"
	case Gain38dB:
		return "38dB"
	case Gain43dB:
		return "43dB"
	case Gain48dB:
		return "48dB"
	}
	return fmt.Sprintf("Gain(%d)", uint8(g))
}

// Opts configures a Dev.
type Opts struct {
	// Speed is the SPI clock; the MFRC522 takes up to 10 MHz (§8.1.2).
	// Long wires want less.
	Speed physic.Frequency
	// Gain is the receiver gain: more reads cards further away, and more
	// noise with them.
	Gain Gain
	// PollInterval is how often WaitForCard looks for a card.
	PollInterval time.Duration
	// ResetPin, when set, drives NRSTPD for a hard reset at start (§8.8.1).
	ResetPin gpio.PinOut
	// IRQPin, when set, is waited on (falling edge) instead of polling
	// ComIrqReg during an exchange.
	IRQPin gpio.PinIn
	// Clock is how the driver waits. Nil uses one reusable timer of the
	// system, so that an idle poll allocates nothing.
	Clock Clock
	// Logf receives warnings, such as a clone chip; nil drops them.
	Logf func(format string, args ...any)
}

// DefaultOpts is 4 MHz, the chip's 33 dB gain, 10 polls per second and no
// reset or IRQ pin.
var DefaultOpts = Opts{
	Speed:        4 * physic.MegaHertz,
	Gain:         Gain33dB,
	PollInterval: 100 * time.Millisecond,
}

// Timer settings, §8.5 and §9.3.3.10: f_timer = 13.56 MHz / (2·169+1) = 40 kHz.
const (
	timerPrescaler = 169
	timerTick      = (2*timerPrescaler + 1) * time.Second / commands.CarrierHz
	// shortTimeout covers every ISO/IEC 14443-3 answer: the latest, a SAK,
	// ends about 0.4 ms after the command.
	shortTimeout = time.Millisecond
	// longTimeout covers MIFARE authentication and block writes (an EEPROM
	// write takes a few ms).
	longTimeout = 25 * time.Millisecond
)

// reloadFor is TReloadReg for a timeout: the timer counts reload+1 ticks.
func reloadFor(d time.Duration) uint16 { return uint16(d/timerTick) - 1 }

// Dev is an MFRC522 on an SPI port. It is not safe for concurrent use: one
// goroutine polls it.
type Dev struct {
	c       spi.Conn
	opts    Opts
	port    string
	version byte
	timer   *time.Timer // waits when opts.Clock is nil
	reload  uint16      // TReloadReg as last written
	halted  bool        // antenna switched off by Halt

	// woke: a card this driver woke may still be in the field, halted or
	// left READY or ACTIVE; Detect sends REQA before WUPA.
	woke     bool
	selected bool // a card is ACTIVE for block commands
	crypto   bool // MFCrypto1On may be set: a MIFARE authentication ran
	uid      [10]byte
	uidLen   int

	w  [2*commands.FIFOSize + 2]byte // SPI out
	r  [2*commands.FIFOSize + 2]byte // SPI in
	rx [commands.FIFOSize]byte       // received frame
	tx [commands.FIFOSize]byte       // frame being built
}

var (
	_ conn.Resource = (*Dev)(nil)
	_ rfid.Detector = (*Dev)(nil)
)

// NewSPI connects to an MFRC522 on p, resets it, checks its version and
// switches its antenna on. An error is an *rfid.Error: Absent when the port
// cannot be connected, Wiring when the chip does not answer sensibly.
func NewSPI(p spi.Port, opts *Opts) (*Dev, error) {
	o := DefaultOpts
	if opts != nil {
		o = *opts
		if o.Speed <= 0 {
			o.Speed = DefaultOpts.Speed
		}
		if o.PollInterval <= 0 {
			o.PollInterval = DefaultOpts.PollInterval
		}
	}
	c, err := p.Connect(o.Speed, spi.Mode0, 8)
	if err != nil {
		return nil, &rfid.Error{Kind: rfid.Absent, Err: fmt.Errorf("mfrc522: connect %s: %w", p, err)}
	}
	d := &Dev{c: c, opts: o, port: p.String(), reload: reloadFor(shortTimeout)}
	if o.Clock == nil {
		d.timer = time.NewTimer(time.Hour)
		d.timer.Stop()
	}
	if err := d.init(context.Background()); err != nil {
		return nil, classify(err)
	}
	return d, nil
}

func (d *Dev) String() string { return fmt.Sprintf("MFRC522{%s}", d.port) }

// Version is what VersionReg read at start (0x91, 0x92 or a clone's).
func (d *Dev) Version() byte { return d.version }

// PollInterval is the configured time between two looks for a card.
func (d *Dev) PollInterval() time.Duration { return d.opts.PollInterval }

// Halt switches the antenna off and stops any command; cards in the field
// lose power. The next Detect switches it on again.
func (d *Dev) Halt() error {
	// Without the field every card resets to IDLE.
	d.woke, d.selected = false, false
	if err := d.writeReg(commands.CommandReg, byte(commands.Idle)); err != nil {
		return classify(fmt.Errorf("mfrc522: halt: %w", err))
	}
	if err := d.antenna(false); err != nil {
		return classify(fmt.Errorf("mfrc522: halt: %w", err))
	}
	d.halted = true
	return nil
}

// init is the start-up sequence: hard reset, version check, soft reset,
// timer, modulation, CRC preset, gain, interrupts, antenna.
func (d *Dev) init(ctx context.Context) error {
	if pin := d.opts.ResetPin; pin != nil {
		// NRSTPD low powers down, the rising edge resets (§8.8.1); the
		// crystal needs time to start before SPI works.
		if err := pin.Out(gpio.Low); err != nil {
			return fmt.Errorf("mfrc522: reset pin: %w", err)
		}
		if err := d.sleep(ctx, 100*time.Microsecond); err != nil {
			return err
		}
		if err := pin.Out(gpio.High); err != nil {
			return fmt.Errorf("mfrc522: reset pin: %w", err)
		}
		if err := d.sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
	v, err := d.readReg(commands.VersionReg)
	if err != nil {
		return fmt.Errorf("mfrc522: read version: %w", err)
	}
	d.version = v
	switch v {
	case commands.Version1, commands.Version2:
	case commands.VersionFM, commands.VersionClone:
		d.logf("mfrc522: %s: VersionReg %#02x is a clone, not an NXP MFRC522; it usually works, with less range", d.port, v)
	case 0x00, 0xFF:
		// MISO held low or floating, or no power: no chip answers at all.
		return &rfid.Error{Kind: rfid.Wiring, Err: fmt.Errorf("mfrc522: VersionReg reads %#02x: %w", v, ErrWiring)}
	default:
		// Modules sold as MFRC522 answer many other values (0x80, 0x82,
		// 0x89, 0x90, 0xB2 have been seen) and work; a chip that answers
		// anything at all is wired. The soft reset below still checks it.
		d.logf("mfrc522: %s: VersionReg %#02x is not a version this driver knows (NXP 0x91, 0x92; clones 0x88, 0x12); going on, as many modules answer other values and work", d.port, v)
	}
	if err := d.softReset(ctx); err != nil {
		return err
	}
	steps := []struct{ reg, v byte }{
		// Timer starts at the end of each transmission, 25 µs ticks (§8.5).
		{commands.TModeReg, commands.TAuto | timerPrescaler>>8},
		{commands.TPrescalerReg, timerPrescaler & 0xFF},
		{commands.TReloadRegH, byte(d.reload >> 8)},
		{commands.TReloadRegL, byte(d.reload)},
		// ISO/IEC 14443A needs 100 % ASK (§9.3.2.6).
		{commands.TxASKReg, commands.Force100ASK},
		// CRC preset 6363h of CRC_A (§9.3.2.2).
		{commands.ModeReg, commands.ModeInit},
		// Clear bits after a collision, for bitwise anticollision (§9.3.1.15).
		{commands.CollReg, 0},
		{commands.RFCfgReg, d.opts.Gain.rxGain()<<commands.RxGainShift | commands.RFCfgReserve},
	}
	if d.opts.IRQPin != nil {
		steps = append(steps,
			// IRQ active low on end of frame, end of command and timeout.
			struct{ reg, v byte }{commands.ComIEnReg, commands.IRqInv | commands.RxIEn | commands.IdleIEn | commands.TimerIEn},
			// A push-pull output needs no pull-up on the module (§9.3.1.4).
			struct{ reg, v byte }{commands.DivIEnReg, commands.IRQPushPull},
		)
	}
	for _, s := range steps {
		if err := d.writeReg(s.reg, s.v); err != nil {
			return fmt.Errorf("mfrc522: init: %w", err)
		}
	}
	if pin := d.opts.IRQPin; pin != nil {
		if err := pin.In(gpio.PullUp, gpio.FallingEdge); err != nil {
			return fmt.Errorf("mfrc522: irq pin: %w", err)
		}
	}
	if err := d.fieldOn(ctx); err != nil {
		return fmt.Errorf("mfrc522: init: %w", err)
	}
	return nil
}

// softReset runs SoftReset and waits for PowerDown to clear (§10.3.1.10).
func (d *Dev) softReset(ctx context.Context) error {
	if err := d.writeReg(commands.CommandReg, byte(commands.SoftReset)); err != nil {
		return fmt.Errorf("mfrc522: soft reset: %w", err)
	}
	for range 50 {
		if err := d.sleep(ctx, time.Millisecond); err != nil {
			return err
		}
		v, err := d.readReg(commands.CommandReg)
		if err != nil {
			return fmt.Errorf("mfrc522: soft reset: %w", err)
		}
		if v&commands.PowerDown == 0 {
			return nil
		}
	}
	return fmt.Errorf("mfrc522: soft reset: still powered down after 50 ms: %w", ErrChip)
}

// fieldGuard is the unmodulated carrier a card gets before the first
// command after the field comes on (ISO/IEC 14443-3 §6.2.3: 5 ms).
const fieldGuard = 5 * time.Millisecond

// AntennaOn reads whether TX1 and TX2 drive the antenna.
func (d *Dev) AntennaOn() (bool, error) {
	v, err := d.readReg(commands.TxControlReg)
	if err != nil {
		return false, classify(fmt.Errorf("mfrc522: read antenna state: %w", err))
	}
	return v&(commands.Tx1RFEn|commands.Tx2RFEn) == commands.Tx1RFEn|commands.Tx2RFEn, nil
}

// fieldOn switches the antenna on and gives cards their guard time.
func (d *Dev) fieldOn(ctx context.Context) error {
	if err := d.antenna(true); err != nil {
		return err
	}
	return d.sleep(ctx, fieldGuard)
}

// antenna switches TX1 and TX2 (§9.3.2.5).
func (d *Dev) antenna(on bool) error {
	v, err := d.readReg(commands.TxControlReg)
	if err != nil {
		return err
	}
	if on {
		v |= commands.Tx1RFEn | commands.Tx2RFEn
	} else {
		v &^= commands.Tx1RFEn | commands.Tx2RFEn
	}
	return d.writeReg(commands.TxControlReg, v)
}

func (d *Dev) logf(format string, args ...any) {
	if d.opts.Logf != nil {
		d.opts.Logf(format, args...)
	}
}

// WaitForCard calls Detect every PollInterval until a card answers, an error
// other than rfid.ErrNoCard comes, or ctx ends.
func (d *Dev) WaitForCard(ctx context.Context) (rfid.Card, error) {
	for {
		card, err := d.Detect(ctx)
		if err != rfid.ErrNoCard {
			return card, err
		}
		if err := d.sleep(ctx, d.opts.PollInterval); err != nil {
			return rfid.Card{}, err
		}
	}
}
