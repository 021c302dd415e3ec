package chipsim

import (
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/drivers/mfrc522/commands"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
)

func connect(t *testing.T) (*Chip, spi.Conn) {
	t.Helper()
	c := New()
	conn, err := c.Port().Connect(4*physic.MegaHertz, spi.Mode0, 8)
	if err != nil {
		t.Fatal(err)
	}
	return c, conn
}

func write(t *testing.T, c spi.Conn, reg byte, data ...byte) {
	t.Helper()
	if err := c.Tx(append([]byte{commands.WriteAddr(reg)}, data...), nil); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, c spi.Conn, regs ...byte) []byte {
	t.Helper()
	w := make([]byte, len(regs)+1)
	for i, r := range regs {
		w[i] = commands.ReadAddr(r)
	}
	r := make([]byte, len(w))
	if err := c.Tx(w, r); err != nil {
		t.Fatal(err)
	}
	return r[1:]
}

func TestAddressDecoding(t *testing.T) {
	chip, c := connect(t)
	// One transaction reads several registers, each a byte late.
	got := read(t, c, commands.VersionReg, commands.TxControlReg, commands.VersionReg)
	if got[0] != 0x92 || got[1] != 0x80 || got[2] != 0x92 {
		t.Fatalf("multi-byte read = % X", got)
	}
	// Bit 0 of an address must be zero.
	if err := c.Tx([]byte{0xEF, 0x00}, make([]byte, 2)); err == nil {
		t.Error("address byte with bit 0 set accepted")
	}
	// A read ends with 00h.
	if err := c.Tx([]byte{0xEE, 0xEE}, make([]byte, 2)); err == nil {
		t.Error("read not ending in 00h accepted")
	}
	// Writes to one address take every following byte.
	write(t, c, commands.FIFODataReg, 1, 2, 3)
	if got := read(t, c, commands.FIFOLevelReg, commands.FIFODataReg, commands.FIFODataReg, commands.FIFOLevelReg); got[0] != 3 || got[1] != 1 || got[2] != 2 || got[3] != 1 {
		t.Fatalf("FIFO level and data = % X", got)
	}
	write(t, c, commands.FIFOLevelReg, commands.FlushBuffer)
	if got := read(t, c, commands.FIFOLevelReg); got[0] != 0 {
		t.Fatalf("FIFO level after flush = %d", got[0])
	}
	if st := chip.Stats(); st.Tx != 7 || st.Time <= 0 {
		t.Fatalf("stats = %+v, want 7 transactions and some time", st)
	}
}

func TestFIFOOverflow(t *testing.T) {
	_, c := connect(t)
	write(t, c, commands.FIFODataReg, make([]byte, commands.FIFOSize+1)...)
	if got := read(t, c, commands.FIFOLevelReg, commands.ErrorReg); got[0] != 64 || got[1]&commands.BufferOvfl == 0 {
		t.Fatalf("level %d, ErrorReg %#x after 65 bytes", got[0], got[1])
	}
}

func TestInterruptBitsSetAndClear(t *testing.T) {
	_, c := connect(t)
	write(t, c, commands.ComIrqReg, commands.ComIrqAll)
	if got := read(t, c, commands.ComIrqReg); got[0] != 0 {
		t.Fatalf("ComIrqReg after clear = %#x", got[0])
	}
	write(t, c, commands.ComIrqReg, commands.Set1|commands.TimerIRq)
	if got := read(t, c, commands.ComIrqReg); got[0] != commands.TimerIRq {
		t.Fatalf("ComIrqReg after set = %#x", got[0])
	}
}

func TestCalcCRC(t *testing.T) {
	chip, c := connect(t)
	write(t, c, commands.ModeReg, commands.ModeInit)
	write(t, c, commands.FIFODataReg, commands.HLTA, 0x00)
	write(t, c, commands.CommandReg, byte(commands.CalcCRC))
	chip.Clock().After(time.Microsecond * 10)
	got := read(t, c, commands.DivIrqReg, commands.CRCResultRegL, commands.CRCResultRegH)
	if got[0]&commands.CRCIRq == 0 || got[1] != 0x57 || got[2] != 0xCD {
		t.Fatalf("DivIrqReg, CRC = % X, want CRCIRq and 57 CD", got)
	}
}

func TestSoftReset(t *testing.T) {
	chip, c := connect(t)
	write(t, c, commands.TxControlReg, 0x83)
	write(t, c, commands.CommandReg, byte(commands.SoftReset))
	if got := read(t, c, commands.CommandReg); got[0]&commands.PowerDown == 0 {
		t.Fatal("PowerDown not set right after SoftReset")
	}
	chip.Clock().After(time.Millisecond)
	if got := read(t, c, commands.CommandReg, commands.TxControlReg); got[0] != 0x20 || got[1] != 0x80 {
		t.Fatalf("after reset CommandReg, TxControlReg = % X, want 20 80", got)
	}
}

// Cards need the field on for the guard time before they answer.
func TestFieldGuardTime(t *testing.T) {
	chip, c := connect(t)
	chip.Insert(NewClassic1K([]byte{1, 2, 3, 4}))
	write(t, c, commands.TModeReg, commands.TAuto)
	write(t, c, commands.TPrescalerReg, 169)
	write(t, c, commands.TReloadRegL, 39)
	write(t, c, commands.TxControlReg, 0x83)
	if irq, _, _, _, _ := transceive(t, chip, c, 7, commands.REQA); irq&commands.RxIRq != 0 {
		t.Fatal("a card answered right after the field came on")
	}
	if irq, _, _, _, _ := transceive(t, chip, c, 7, commands.REQA); irq&commands.RxIRq == 0 {
		t.Fatal("no answer after the guard time")
	}
}

func TestConnectChecksMode(t *testing.T) {
	if _, err := New().Port().Connect(physic.MegaHertz, spi.Mode3, 8); err == nil {
		t.Fatal("mode 3 accepted")
	}
}

// startChip sets up timer and antenna as a driver would, without the driver.
func startChip(t *testing.T, chip *Chip, c spi.Conn) {
	defer chip.Clock().After(fieldGuard)
	write(t, c, commands.TModeReg, commands.TAuto)
	write(t, c, commands.TPrescalerReg, 169)
	write(t, c, commands.TReloadRegL, 39)
	write(t, c, commands.TxControlReg, 0x83)
	write(t, c, commands.CollReg, 0)
}

func transceive(t *testing.T, chip *Chip, c spi.Conn, framing byte, data ...byte) (irq, errReg byte, fifo []byte, lastBits, coll byte) {
	t.Helper()
	write(t, c, commands.ComIrqReg, commands.ComIrqAll)
	write(t, c, commands.FIFOLevelReg, commands.FlushBuffer)
	write(t, c, commands.FIFODataReg, data...)
	write(t, c, commands.CommandReg, byte(commands.Transceive))
	write(t, c, commands.BitFramingReg, commands.StartSend|framing)
	chip.Clock().After(5 * time.Millisecond)
	st := read(t, c, commands.ComIrqReg, commands.ErrorReg, commands.FIFOLevelReg, commands.ControlReg, commands.CollReg)
	fifo = make([]byte, st[2])
	for i := range fifo {
		fifo[i] = read(t, c, commands.FIFODataReg)[0]
	}
	return st[0], st[1], fifo, st[3] & 7, st[4]
}

func TestTransceiveREQAAndTimeout(t *testing.T) {
	chip, c := connect(t)
	startChip(t, chip, c)
	irq, _, _, _, _ := transceive(t, chip, c, 7, commands.REQA)
	if irq&commands.TimerIRq == 0 || irq&commands.RxIRq != 0 {
		t.Fatalf("empty field: ComIrqReg %#x, want TimerIRq only", irq)
	}
	chip.Insert(NewClassic1K([]byte{1, 2, 3, 4}))
	irq, _, fifo, last, _ := transceive(t, chip, c, 7, commands.REQA)
	if irq&commands.RxIRq == 0 || len(fifo) != 2 || fifo[0] != 0x04 || fifo[1] != 0 || last != 0 {
		t.Fatalf("ATQA: irq %#x fifo % X last %d", irq, fifo, last)
	}
}

// Two cards differing first in bit 2 of UID0: the chip reports the
// collision at position 3 and clears the bits after it.
func TestTransceiveCollision(t *testing.T) {
	chip, c := connect(t)
	startChip(t, chip, c)
	chip.Insert(NewCard([]byte{0x01, 0xAA, 0xBB, 0xCC}, 0x08))
	chip.Insert(NewCard([]byte{0x05, 0xAA, 0xBB, 0xCC}, 0x08))
	irq, _, _, _, _ := transceive(t, chip, c, 7, commands.REQA)
	if irq&commands.RxIRq == 0 {
		t.Fatal("no ATQA")
	}
	_, errReg, fifo, _, coll := transceive(t, chip, c, 0, commands.SelCL1, commands.NVBAnticol)
	if errReg&commands.CollErr == 0 || coll&commands.CollPosMask != 3 || coll&commands.CollPosNotValid != 0 {
		t.Fatalf("ErrorReg %#x CollReg %#x, want CollErr at 3", errReg, coll)
	}
	if len(fifo) != 5 || fifo[0] != 0x01 || fifo[1] != 0 {
		t.Fatalf("FIFO % X, want bits after the collision cleared", fifo)
	}
	// Ask again with 3 known bits, the third one 1: only 05.. answers,
	// its bits aligned at RxAlign 3.
	_, errReg, fifo, last, _ := transceive(t, chip, c, 3<<commands.RxAlignShift|3, commands.SelCL1, 0x23, 0x05)
	if errReg != 0 || len(fifo) != 5 || fifo[0] != 0x00 || fifo[1] != 0xAA || last != 0 {
		t.Fatalf("ErrorReg %#x FIFO % X last %d", errReg, fifo, last)
	}
}

func TestIRQPin(t *testing.T) {
	chip, c := connect(t)
	startChip(t, chip, c)
	pin := chip.IRQPin()
	write(t, c, commands.ComIEnReg, commands.IRqInv|commands.RxIEn|commands.TimerIEn)
	write(t, c, commands.ComIrqReg, commands.ComIrqAll)
	if pin.Read() != true {
		t.Fatal("IRQ line low with no interrupt (active low)")
	}
	write(t, c, commands.FIFODataReg, commands.REQA)
	write(t, c, commands.CommandReg, byte(commands.Transceive))
	before := chip.Elapsed()
	write(t, c, commands.BitFramingReg, commands.StartSend|7)
	if !pin.WaitForEdge(10 * time.Millisecond) {
		t.Fatal("no edge for the timeout")
	}
	if waited := chip.Elapsed() - before; waited < time.Millisecond || waited > 2*time.Millisecond {
		t.Fatalf("edge after %v, want the 1 ms timeout", waited)
	}
	if pin.Read() != false {
		t.Fatal("IRQ line high with TimerIRq pending")
	}
	if pin.WaitForEdge(time.Millisecond) {
		t.Fatal("a second edge with nothing in flight")
	}
}

// selectRaw selects the only card in the field at cascade level 1, as a
// driver would, and returns its UID CL1 with BCC.
func selectRaw(t *testing.T, chip *Chip, c spi.Conn) []byte {
	t.Helper()
	if irq, _, _, _, _ := transceive(t, chip, c, 7, commands.REQA); irq&commands.RxIRq == 0 {
		t.Fatal("no ATQA")
	}
	_, _, cl, _, _ := transceive(t, chip, c, 0, commands.SelCL1, commands.NVBAnticol)
	if len(cl) != 5 {
		t.Fatalf("UID CL1 % X", cl)
	}
	sel := appendCRCA(append([]byte{commands.SelCL1, commands.NVBSelect}, cl...))
	if _, _, sak, _, _ := transceive(t, chip, c, 0, sel...); len(sak) != 3 || !crcAOK(sak) {
		t.Fatalf("SAK % X", sak)
	}
	return cl
}

// With MFCrypto1On set every frame is enciphered: a card outside the
// session hears noise, REQA included, until software clears the bit.
func TestCrypto1EnciphersRequests(t *testing.T) {
	chip, c := connect(t)
	startChip(t, chip, c)
	chip.Insert(NewClassic1K([]byte{1, 2, 3, 4}))
	selectRaw(t, chip, c)
	write(t, c, commands.FIFODataReg, append([]byte{commands.MFAuthKeyA, 4, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 1, 2, 3, 4)...)
	write(t, c, commands.CommandReg, byte(commands.MFAuthent))
	chip.Clock().After(5 * time.Millisecond)
	if got := read(t, c, commands.Status2Reg); got[0]&commands.MFCrypto1On == 0 || !chip.Crypto1On() {
		t.Fatalf("Status2Reg %#x after MFAuthent, want MFCrypto1On", got[0])
	}
	for i := range 3 {
		if irq, _, _, _, _ := transceive(t, chip, c, 7, commands.REQA); irq&commands.RxIRq != 0 {
			t.Fatalf("REQA %d answered with MFCrypto1On set", i)
		}
	}
	write(t, c, commands.Status2Reg, 0)
	if irq, _, _, _, _ := transceive(t, chip, c, 7, commands.REQA); irq&commands.RxIRq == 0 {
		t.Fatal("no ATQA after MFCrypto1On was cleared")
	}
}

// A glitched read returns its value once; the register is untouched.
func TestGlitchRead(t *testing.T) {
	chip, c := connect(t)
	chip.GlitchRead(commands.ErrorReg, commands.TempErr, 0xFF)
	if got := read(t, c, commands.ErrorReg, commands.ErrorReg, commands.ErrorReg); got[0] != commands.TempErr || got[1] != 0xFF || got[2] != 0 {
		t.Fatalf("ErrorReg reads % X, want 40 FF 00", got)
	}
}

// An overheated chip says so in ErrorReg and no card answers.
func TestOverheated(t *testing.T) {
	chip, c := connect(t)
	startChip(t, chip, c)
	chip.Insert(NewClassic1K([]byte{1, 2, 3, 4}))
	chip.SetOverheated(true)
	irq, errReg, _, _, _ := transceive(t, chip, c, 7, commands.WUPA)
	if irq&commands.RxIRq != 0 || errReg&commands.TempErr == 0 {
		t.Fatalf("overheated: ComIrqReg %#x ErrorReg %#x, want no answer and TempErr", irq, errReg)
	}
	chip.SetOverheated(false)
	irq, errReg, _, _, _ = transceive(t, chip, c, 7, commands.WUPA)
	if irq&commands.RxIRq == 0 || errReg&commands.TempErr != 0 {
		t.Fatalf("cool again: ComIrqReg %#x ErrorReg %#x, want an ATQA", irq, errReg)
	}
}
