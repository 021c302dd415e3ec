package mfrc522_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hongmajia/hongmajia/drivers/mfrc522"
	"github.com/hongmajia/hongmajia/drivers/rfid"
	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/spi/spitest"
)

// initOps is the start-up sequence, byte for byte. An address byte is
// register<<1, with 0x80 added to read (datasheet §8.1.2.3).
var initOps = []conntest.IO{
	// Read VersionReg (0x37): 0x92, an MFRC522 version 2.0.
	{W: []byte{0xEE, 0x00}, R: []byte{0x00, 0x92}},
	// CommandReg (0x01) = SoftReset (0xF).
	{W: []byte{0x02, 0x0F}},
	// Read CommandReg after 1 ms: PowerDown (bit 4) is clear, reset done.
	{W: []byte{0x82, 0x00}, R: []byte{0x00, 0x20}},
	// TModeReg (0x2A) = TAuto, TPrescaler_Hi 0.
	{W: []byte{0x54, 0x80}},
	// TPrescalerReg (0x2B) = 169: 40 kHz timer, 25 µs ticks.
	{W: []byte{0x56, 0xA9}},
	// TReloadReg (0x2C, 0x2D) = 39: 40 ticks, 1 ms.
	{W: []byte{0x58, 0x00}},
	{W: []byte{0x5A, 0x27}},
	// TxASKReg (0x15) = Force100ASK.
	{W: []byte{0x2A, 0x40}},
	// ModeReg (0x11) = 0x3D: CRC preset 6363h.
	{W: []byte{0x22, 0x3D}},
	// CollReg (0x0E) = 0: ValuesAfterColl off for bitwise anticollision.
	{W: []byte{0x1C, 0x00}},
	// RFCfgReg (0x26) = RxGain 100 (33 dB), reserved nibble 1000.
	{W: []byte{0x4C, 0x48}},
	// Read TxControlReg (0x14): reset value 0x80, antenna off.
	{W: []byte{0xA8, 0x00}, R: []byte{0x00, 0x80}},
	// TxControlReg = 0x83: Tx1RFEn and Tx2RFEn, antenna on.
	{W: []byte{0x28, 0x83}},
}

func TestPlaybackInit(t *testing.T) {
	p := &spitest.Playback{Playback: conntest.Playback{Ops: initOps}}
	d, err := mfrc522.NewSPI(p, nil)
	if err != nil {
		t.Fatalf("NewSPI: %v", err)
	}
	if d.Version() != 0x92 {
		t.Errorf("Version = %#x", d.Version())
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestPlaybackVersionFloating(t *testing.T) {
	p := &spitest.Playback{Playback: conntest.Playback{Ops: []conntest.IO{
		// Read VersionReg: 0xFF, MISO floating. Nothing else is sent.
		{W: []byte{0xEE, 0x00}, R: []byte{0x00, 0xFF}},
	}}}
	_, err := mfrc522.NewSPI(p, nil)
	if rfid.KindOf(err) != rfid.Wiring || !strings.Contains(err.Error(), "0xff") {
		t.Fatalf("NewSPI = %v, want a wiring error naming 0xff", err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestPlaybackVersionClone(t *testing.T) {
	ops := append([]conntest.IO(nil), initOps...)
	// Read VersionReg: 0x88, the FM17522 clone.
	ops[0] = conntest.IO{W: []byte{0xEE, 0x00}, R: []byte{0x00, 0x88}}
	p := &spitest.Playback{Playback: conntest.Playback{Ops: ops}}
	var warned string
	_, err := mfrc522.NewSPI(p, &mfrc522.Opts{Logf: func(f string, a ...any) { warned = f }})
	if err != nil || !strings.Contains(warned, "clone") {
		t.Fatalf("NewSPI = %v, warning %q", err, warned)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}

// An idle poll is one WUPA: seven transactions.
func TestPlaybackIdlePoll(t *testing.T) {
	ops := append(append([]conntest.IO(nil), initOps...),
		// CommandReg = Idle: stop whatever runs.
		conntest.IO{W: []byte{0x02, 0x00}},
		// ComIrqReg (0x04) = 0x7F: Set1 0 clears every interrupt bit.
		conntest.IO{W: []byte{0x08, 0x7F}},
		// FIFOLevelReg (0x0A) = FlushBuffer.
		conntest.IO{W: []byte{0x14, 0x80}},
		// FIFODataReg (0x09) <- WUPA 0x52.
		conntest.IO{W: []byte{0x12, 0x52}},
		// CommandReg = Transceive (0xC).
		conntest.IO{W: []byte{0x02, 0x0C}},
		// BitFramingReg (0x0D) = StartSend, TxLastBits 7: a short frame.
		conntest.IO{W: []byte{0x1A, 0x87}},
		// Read ComIrqReg, ErrorReg, FIFOLevelReg, ControlReg, CollReg,
		// Status2Reg: TimerIRq, no answer.
		conntest.IO{W: []byte{0x88, 0x8C, 0x94, 0x98, 0x9C, 0x90, 0x00}, R: []byte{0x00, 0x41, 0x00, 0x00, 0x10, 0x20, 0x00}},
	)
	p := &spitest.Playback{Playback: conntest.Playback{Ops: ops}}
	d, err := mfrc522.NewSPI(p, nil)
	if err != nil {
		t.Fatalf("NewSPI: %v", err)
	}
	if _, err := d.Detect(context.Background()); err != rfid.ErrNoCard {
		t.Fatalf("Detect = %v, want ErrNoCard", err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}
