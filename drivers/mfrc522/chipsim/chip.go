// Package chipsim is a software model of the NXP MFRC522 and of the cards in
// its field, behind the same spi.Port and spi.Conn the driver uses on a Pi.
//
// The model decodes SPI address bytes as the chip does (MFRC522 datasheet
// §8.1.2.3), holds the 64 registers and the 64-byte FIFO, executes Idle,
// CalcCRC, Transceive, MFAuthent and SoftReset (§10.3), sets ComIrqReg,
// DivIrqReg and ErrorReg, and honours BitFramingReg (TxLastBits, RxAlign,
// StartSend). Cards follow the ISO/IEC 14443-3 state machine (IDLE, READY,
// ACTIVE, HALT) with 4-, 7- and 10-byte UIDs; MIFARE Classic keys are checked
// without Crypto1, as the real chip hides Crypto1 from the host anyway.
//
// Time is simulated: each SPI transaction takes its transfer time at the
// connected speed plus a per-transaction overhead, radio frames take their
// ISO/IEC 14443-2 bit times, and the Clock returned by Clock advances the
// simulated time instead of sleeping. So a benchmark can tell how long a read
// takes on the bus, in SPI transactions and in simulated time, without a Pi.
//
// A Chip is safe for concurrent use.
package chipsim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/hongmajia/hongmajia/drivers/mfrc522/commands"
	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
)

// Radio timing of ISO/IEC 14443-2/-3 type A at 106 kbit/s.
const (
	// authTime is how long the three-pass MIFARE authentication takes on
	// the air: four frames and three frame delays.
	authTime = 1500 * time.Microsecond
	// eepromWrite is how long a MIFARE Classic takes to program a block
	// before it ACKs the data (MF1S50yyX §10: t_write ≈ 2.5 ms).
	eepromWrite = 2500 * time.Microsecond
	// resetTime is how long SoftReset keeps PowerDown set (§8.8.2: the
	// oscillator restarts).
	resetTime = 40 * time.Microsecond
	// fieldGuard is how long a card may need in the field before it
	// takes a command; the reader waits as long after switching the field on
	// (ISO/IEC 14443-3 §6.2.3: at least 5 ms of unmodulated carrier).
	fieldGuard = 5 * time.Millisecond
	// crcTimePerByte is the CRC coprocessor's speed (one byte per 8 clocks).
	crcTimePerByte = 8 * time.Second / commands.CarrierHz
)

// DefaultTxOverhead is the fixed cost of one SPI transaction besides its
// bits: chip select, the spidev ioctl and scheduling on a Raspberry Pi.
const DefaultTxOverhead = 20 * time.Microsecond

// Stats are what the chip saw on its SPI bus.
type Stats struct {
	Tx   int           // SPI transactions (chip select cycles)
	Time time.Duration // simulated time since New
}

// Chip is the simulated MFRC522.
type Chip struct {
	mu sync.Mutex

	regs    [commands.NumRegisters]byte
	fifo    [commands.FIFOSize]byte
	fifoN   int
	version byte
	speed   physic.Frequency

	now        time.Duration
	epoch      time.Time
	txOverhead time.Duration
	txCount    int

	pending   *operation
	op        operation // storage for pending, so Transceive does not allocate
	resetDone time.Duration
	crcDone   time.Duration

	cards     []*Card
	antennaOn bool
	fieldOnAt time.Duration
	crypto1   bool // Status2Reg MFCrypto1On: every frame goes through Crypto1

	dead        bool // every read returns deadValue
	deadValue   byte
	timerBroken bool
	overheated  bool                          // ErrorReg TempErr, antenna drivers off
	glitches    [commands.NumRegisters][]byte // what the next reads of a register return instead
	garbage     *rand.Rand

	irqActive bool
	irqEdges  int
	clockCh   chan time.Time

	txBuf  [commands.FIFOSize]byte
	rxBits [8 * 2 * commands.FIFOSize]byte
}

type opKind uint8

const (
	opTransceive opKind = iota + 1
	opAuth
)

// operation is a radio exchange in flight: it lands at done.
type operation struct {
	kind opKind
	done time.Duration
	// outcome of a transceive
	timeout bool
	rxBits  []byte // one byte per bit, 0 or 1; 2 marks a collided bit
	collAt  int    // index of the first collided bit, -1 if none
	errBits byte
	// outcome of an authentication
	authOK bool
}

// New returns a chip of version 0x92 with its antenna off and no card.
func New() *Chip {
	c := &Chip{
		version:    commands.Version2,
		epoch:      time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		txOverhead: DefaultTxOverhead,
		clockCh:    make(chan time.Time, 1),
	}
	c.reset()
	return c
}

// reset loads the reset values of §9.3 (table 20 and the register sections).
func (c *Chip) reset() {
	c.regs = [commands.NumRegisters]byte{}
	r := &c.regs
	r[commands.CommandReg] = 0x20
	r[commands.ComIEnReg] = 0x80
	r[commands.ComIrqReg] = 0x14
	r[commands.Status1Reg] = 0x21
	r[commands.WaterLevelReg] = 0x08
	r[commands.ControlReg] = 0x10
	r[commands.CollReg] = 0xA0
	r[commands.ModeReg] = 0x3F
	r[commands.TxControlReg] = 0x80
	r[commands.TxSelReg] = 0x10
	r[commands.RxSelReg] = 0x84
	r[commands.RxThresholdReg] = 0x84
	r[commands.DemodReg] = 0x4D
	r[commands.MfTxReg] = 0x62
	r[commands.SerialSpeedReg] = 0xEB
	r[commands.CRCResultRegH] = 0xFF
	r[commands.CRCResultRegL] = 0xFF
	r[commands.ModWidthReg] = 0x26
	r[commands.RFCfgReg] = 0x48
	r[commands.GsNReg] = 0x88
	r[commands.CWGsPReg] = 0x20
	r[commands.ModGsPReg] = 0x20
	c.fifoN = 0
	c.pending = nil
	c.crypto1 = false
	c.setAntenna(false)
	c.updateIRQ()
}

// SetVersion sets what VersionReg reads.
func (c *Chip) SetVersion(v byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.version = v
}

// SetDead makes every register read return v (0x00: MISO pulled low or the
// chip unpowered; 0xFF: MISO floating), as a miswired module does. Writes are
// lost.
func (c *Chip) SetDead(v byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dead, c.deadValue = true, v
}

// SetOverheated makes the chip too hot (or cool again): ErrorReg reads
// TempErr and the antenna drivers are off, so no card answers (§9.3.1.7).
func (c *Chip) SetOverheated(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.overheated = on
}

// GlitchRead makes the next reads of reg return values, one read each,
// instead of the register: bytes glitched on MISO by a long or loose wire.
// The chip itself is unchanged.
func (c *Chip) GlitchRead(reg byte, values ...byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	reg &= 0x3F
	c.glitches[reg] = append(c.glitches[reg], values...)
}

// SetTimerBroken stops the timer from ever raising TimerIRq, so an exchange
// nobody answers never ends: the driver must give up on its own.
func (c *Chip) SetTimerBroken(broken bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timerBroken = broken
}

// SetGarbage replaces every radio answer, and the silence when nobody
// answers, with random bits from a generator seeded with seed, as a strong
// interferer would. A zero seed turns it off.
func (c *Chip) SetGarbage(seed uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if seed == 0 {
		c.garbage = nil
		return
	}
	c.garbage = rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15))
}

// SetTxOverhead sets the fixed cost of each SPI transaction.
func (c *Chip) SetTxOverhead(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.txOverhead = d
}

// Insert puts card into the field now.
func (c *Chip) Insert(card *Card) { c.InsertAt(card, 0) }

// InsertAt puts card into the field at simulated time at (since New); before
// that it does not answer.
func (c *Chip) InsertAt(card *Card, at time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.settle()
	card.enterAt = at
	card.inField = true
	card.powerOff()
	for _, k := range c.cards {
		if k == card {
			return
		}
	}
	c.cards = append(c.cards, card)
}

// Remove takes card out of the field.
func (c *Chip) Remove(card *Card) {
	c.mu.Lock()
	defer c.mu.Unlock()
	card.inField = false
	card.powerOff()
}

// Stats returns the SPI transaction count and the simulated time.
func (c *Chip) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Tx: c.txCount, Time: c.now}
}

// Elapsed is the simulated time since New.
func (c *Chip) Elapsed() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Crypto1On reports Status2Reg's MFCrypto1On.
func (c *Chip) Crypto1On() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.crypto1
}

// Register returns a register's raw value, for tests.
func (c *Chip) Register(reg byte) byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.regs[reg&0x3F]
}

// advance moves simulated time and lands the operation in flight when due.
func (c *Chip) advance(d time.Duration) {
	c.now += d
	c.settle()
}

// Port returns an spi.Port whose Connect returns this chip.
func (c *Chip) Port() *Port { return &Port{chip: c, MaxSpeed: 10 * physic.MegaHertz} }

// Port is the SPI port the chip hangs on.
type Port struct {
	chip *Chip
	// MaxSpeed is the bus limit; the connection runs at the lower of it and
	// the speed asked for. The MFRC522 takes up to 10 Mbit/s (§8.1.2).
	MaxSpeed physic.Frequency
	// ConnectErr, when set, is what Connect returns (no /dev/spidev, say).
	ConnectErr error
}

func (p *Port) String() string { return "chipsim" }

// Connect checks the mode the MFRC522 needs (mode 0, 8 bits, §8.1.2) and
// returns the connection.
func (p *Port) Connect(f physic.Frequency, mode spi.Mode, bits int) (spi.Conn, error) {
	if p.ConnectErr != nil {
		return nil, p.ConnectErr
	}
	if mode&spi.Mode3 != spi.Mode0 || bits != 8 {
		return nil, fmt.Errorf("chipsim: MFRC522 needs SPI mode 0 with 8 bits, got %s with %d", mode, bits)
	}
	if f <= 0 || f > p.MaxSpeed {
		f = p.MaxSpeed
	}
	p.chip.mu.Lock()
	p.chip.speed = f
	p.chip.mu.Unlock()
	return &Conn{chip: p.chip}, nil
}

// Conn is the chip's end of the SPI bus.
type Conn struct{ chip *Chip }

func (c *Conn) String() string { return "chipsim" }

// Duplex is Full: the MFRC522 answers on MISO while it reads MOSI.
func (c *Conn) Duplex() conn.Duplex { return conn.Full }

// TxPackets runs each packet as its own transaction.
func (c *Conn) TxPackets(p []spi.Packet) error {
	for i := range p {
		if err := c.Tx(p[i].W, p[i].R); err != nil {
			return err
		}
	}
	return nil
}

// Tx is one chip-select cycle. The first byte is an address byte (bit 7
// read, bits 6..1 register, bit 0 zero). A write sends data bytes to that one
// register; a read sends further address bytes, each answered one byte
// later, and ends with 00h (§8.1.2.1, §8.1.2.2).
func (c *Conn) Tx(w, r []byte) error {
	ch := c.chip
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if len(w) == 0 {
		return errors.New("chipsim: empty transaction")
	}
	if len(r) != 0 && len(r) != len(w) {
		return fmt.Errorf("chipsim: full duplex needs len(r) == len(w), got %d and %d", len(r), len(w))
	}
	ch.txCount++
	speed := ch.speed
	if speed <= 0 {
		return errors.New("chipsim: Tx before Connect")
	}
	ch.advance(ch.txOverhead + time.Duration(len(w)*8)*speed.Period())
	reg, read, ok := commands.DecodeAddr(w[0])
	if !ok {
		return fmt.Errorf("chipsim: address byte %#02x has bit 0 set", w[0])
	}
	if !read {
		for _, v := range w[1:] {
			if !ch.dead {
				ch.write(reg, v)
			}
		}
		for i := range r {
			r[i] = 0
		}
		return nil
	}
	if w[len(w)-1] != 0 {
		return fmt.Errorf("chipsim: read must end with 00h, got %#02x", w[len(w)-1])
	}
	if len(r) > 0 {
		r[0] = 0
	}
	for i := 0; i < len(w)-1; i++ {
		reg, read, ok := commands.DecodeAddr(w[i])
		if !ok || !read {
			return fmt.Errorf("chipsim: byte %d (%#02x) of a read is not a read address", i, w[i])
		}
		v := ch.read(reg)
		if len(r) > 0 {
			r[i+1] = v
		}
	}
	return nil
}

func (c *Chip) read(reg byte) byte {
	if g := c.glitches[reg]; len(g) > 0 {
		c.glitches[reg] = g[1:]
		return g[0]
	}
	if c.dead {
		return c.deadValue
	}
	switch reg {
	case commands.ErrorReg:
		if c.overheated {
			return c.regs[reg] | commands.TempErr
		}
	case commands.FIFODataReg:
		if c.fifoN == 0 {
			return 0
		}
		v := c.fifo[0]
		copy(c.fifo[:], c.fifo[1:c.fifoN])
		c.fifoN--
		return v
	case commands.FIFOLevelReg:
		return byte(c.fifoN)
	case commands.VersionReg:
		return c.version
	case commands.CommandReg:
		v := c.regs[reg]
		if c.now < c.resetDone {
			v |= commands.PowerDown
		}
		return v
	case commands.Status1Reg:
		v := byte(0x01) // LoAlert: the FIFO is nearly empty when idle
		if c.now >= c.crcDone && c.regs[commands.DivIrqReg]&commands.CRCIRq != 0 {
			v |= commands.CRCReady
		}
		if c.irqActive {
			v |= commands.IRq
		}
		if c.pending != nil {
			v |= commands.TRunning
		}
		return v
	case commands.Status2Reg:
		v := c.regs[reg] &^ commands.MFCrypto1On
		if c.crypto1 {
			v |= commands.MFCrypto1On
		}
		return v
	case commands.CRCResultRegH, commands.CRCResultRegL:
		if c.now < c.crcDone {
			return 0 // still computing
		}
	case commands.DivIrqReg:
		if c.now < c.crcDone {
			return c.regs[reg] &^ commands.CRCIRq
		}
	}
	return c.regs[reg]
}

func (c *Chip) write(reg, v byte) {
	defer c.updateIRQ()
	switch reg {
	case commands.CommandReg:
		c.regs[reg] = v & (commands.RcvOff | commands.PowerDown | commands.CommandMask)
		c.command(commands.Command(v & commands.CommandMask))
	case commands.ComIrqReg:
		if v&commands.Set1 != 0 {
			c.regs[reg] |= v & 0x7F
		} else {
			c.regs[reg] &^= v & 0x7F
		}
	case commands.DivIrqReg:
		if v&commands.Set2 != 0 {
			c.regs[reg] |= v & 0x7F
		} else {
			c.regs[reg] &^= v & 0x7F
		}
	case commands.FIFODataReg:
		if c.fifoN == commands.FIFOSize {
			c.regs[commands.ErrorReg] |= commands.BufferOvfl
			return
		}
		c.fifo[c.fifoN] = v
		c.fifoN++
	case commands.FIFOLevelReg:
		if v&commands.FlushBuffer != 0 {
			c.fifoN = 0
			c.regs[commands.ErrorReg] &^= commands.BufferOvfl
		}
	case commands.BitFramingReg:
		c.regs[reg] = v &^ commands.StartSend
		if v&commands.StartSend != 0 && c.currentCommand() == commands.Transceive {
			c.startTransceive()
		}
	case commands.Status2Reg:
		// MFCrypto1On can only be cleared by software (§9.3.1.9).
		if v&commands.MFCrypto1On == 0 {
			c.crypto1 = false
		}
		c.regs[reg] = v & 0xC0
	case commands.CollReg:
		c.regs[reg] = c.regs[reg]&^commands.ValuesAfterColl | v&commands.ValuesAfterColl
	case commands.ErrorReg, commands.Status1Reg, commands.VersionReg,
		commands.CRCResultRegH, commands.CRCResultRegL, commands.TCounterValRegH, commands.TCounterValRegL:
		// read-only
	case commands.TxControlReg:
		c.regs[reg] = v
		c.setAntenna(v&(commands.Tx1RFEn|commands.Tx2RFEn) != 0)
	case commands.ControlReg:
		c.regs[reg] = c.regs[reg]&commands.RxLastBits | v&^(commands.TStopNow|commands.TStartNow|commands.RxLastBits)
	default:
		c.regs[reg] = v
	}
}

func (c *Chip) currentCommand() commands.Command {
	return commands.Command(c.regs[commands.CommandReg] & commands.CommandMask)
}

func (c *Chip) setCommand(cmd commands.Command) {
	c.regs[commands.CommandReg] = c.regs[commands.CommandReg]&^commands.CommandMask | byte(cmd)
}

func (c *Chip) command(cmd commands.Command) {
	c.pending = nil
	switch cmd {
	case commands.Idle, commands.Transceive, commands.NoCmdChange:
		// Transceive waits for StartSend.
	case commands.SoftReset:
		c.reset()
		c.resetDone = c.now + resetTime
	case commands.CalcCRC:
		var preset uint16
		switch c.regs[commands.ModeReg] & commands.CRCPresetMask {
		case commands.CRCPreset6363:
			preset = 0x6363
		case commands.CRCPresetA671:
			preset = 0xA671
		case commands.CRCPresetFFFF:
			preset = 0xFFFF
		}
		crc := crcA(preset, c.fifo[:c.fifoN])
		c.regs[commands.CRCResultRegL] = byte(crc)
		c.regs[commands.CRCResultRegH] = byte(crc >> 8)
		c.crcDone = c.now + time.Duration(c.fifoN+1)*crcTimePerByte
		c.fifoN = 0
		// The result is visible once crcDone has passed; the IRQ bit is set
		// now and read through crcDone so an early poll sees nothing.
		c.regs[commands.DivIrqReg] |= commands.CRCIRq
	case commands.MFAuthent:
		c.startAuth()
	default:
		// Mem, Generate RandomID, Transmit, Receive: end at once.
		c.regs[commands.ComIrqReg] |= commands.IdleIRq
		c.setCommand(commands.Idle)
	}
}

// updateIRQ recomputes the IRQ line (§9.3.1.3: IRq is ComIrqReg and DivIrqReg
// masked by their enable registers) and counts its activations as edges.
func (c *Chip) updateIRQ() {
	active := c.regs[commands.ComIrqReg]&c.regs[commands.ComIEnReg]&0x7F != 0 ||
		c.regs[commands.DivIrqReg]&c.regs[commands.DivIEnReg]&0x14 != 0
	if active && !c.irqActive {
		c.irqEdges++
	}
	c.irqActive = active
}

// timerPeriod is the timeout TModeReg, TPrescalerReg and TReloadReg give
// (§8.5: f_timer = 13.56 MHz / (2·TPrescaler + 1)); ok is false when the
// timer does not start by itself after a transmission (TAuto clear).
func (c *Chip) timerPeriod() (d time.Duration, ok bool) {
	if c.regs[commands.TModeReg]&commands.TAuto == 0 || c.timerBroken {
		return 0, false
	}
	prescaler := int64(c.regs[commands.TModeReg]&commands.TPrescalerHiMsk)<<8 | int64(c.regs[commands.TPrescalerReg])
	reload := int64(c.regs[commands.TReloadRegH])<<8 | int64(c.regs[commands.TReloadRegL])
	return time.Duration((reload + 1) * (2*prescaler + 1) * int64(time.Second) / commands.CarrierHz), true
}

// settle lands the operation in flight once its time has come.
func (c *Chip) settle() {
	op := c.pending
	if op == nil || c.now < op.done {
		return
	}
	c.pending = nil
	defer c.updateIRQ()
	switch op.kind {
	case opAuth:
		if op.authOK {
			c.crypto1 = true
			c.regs[commands.ComIrqReg] |= commands.IdleIRq
			c.setCommand(commands.Idle)
			return
		}
		c.regs[commands.ComIrqReg] |= commands.TimerIRq
	case opTransceive:
		if op.timeout {
			c.regs[commands.ComIrqReg] |= commands.TimerIRq
			return
		}
		c.receive(op)
	}
}

// receive stores a received frame in the FIFO as §9.3.1.13 to §9.3.1.15 say:
// the first bit at RxAlign, RxLastBits, and CollReg for the first collision.
func (c *Chip) receive(op *operation) {
	align := int(c.regs[commands.BitFramingReg]&commands.RxAlignMask) >> commands.RxAlignShift
	keepAfterColl := c.regs[commands.CollReg]&commands.ValuesAfterColl != 0
	total := align + len(op.rxBits)
	nBytes := (total + 7) / 8
	errBits := op.errBits
	if nBytes > commands.FIFOSize-c.fifoN {
		errBits |= commands.BufferOvfl
		nBytes = commands.FIFOSize - c.fifoN
	}
	buf := c.fifo[c.fifoN : c.fifoN+nBytes]
	for i := range buf {
		buf[i] = 0
	}
	for i, b := range op.rxBits {
		pos := align + i
		if pos/8 >= len(buf) {
			break
		}
		v := b
		if b == 2 { // collided
			v = 0
			if keepAfterColl {
				v = 1
			}
		} else if op.collAt >= 0 && i > op.collAt && !keepAfterColl {
			v = 0
		}
		buf[pos/8] |= v << (pos % 8)
	}
	c.fifoN += nBytes
	c.regs[commands.ControlReg] = c.regs[commands.ControlReg]&^commands.RxLastBits | byte(total%8)
	coll := c.regs[commands.CollReg] & commands.ValuesAfterColl
	if op.collAt >= 0 {
		errBits |= commands.CollErr
		pos := align + op.collAt + 1
		switch {
		case pos == 32:
			coll |= 0
		case pos < 32:
			coll |= byte(pos)
		default:
			coll |= commands.CollPosNotValid
		}
	} else {
		coll |= commands.CollPosNotValid
	}
	c.regs[commands.CollReg] = coll
	c.regs[commands.ErrorReg] = errBits
	irq := byte(commands.RxIRq | commands.TxIRq)
	if errBits != 0 {
		irq |= commands.ErrIRq
	}
	c.regs[commands.ComIrqReg] |= irq
}

func (c *Chip) setAntenna(on bool) {
	if on == c.antennaOn {
		return
	}
	c.antennaOn = on
	c.fieldOnAt = c.now
	// Cards lose power when the field goes and start IDLE when it returns.
	for _, k := range c.cards {
		k.powerOff()
	}
}

// powered reports whether the field powers card k and it had the guard time
// to start.
func (c *Chip) powered(k *Card) bool {
	return c.antennaOn && !c.overheated && k.inField && c.now >= k.enterAt && c.now >= c.fieldOnAt+fieldGuard
}

// startTransceive sends the FIFO on the air (BitFramingReg's TxLastBits) and
// schedules what comes back: the merged answers of the cards, or a timeout.
func (c *Chip) startTransceive() {
	lastBits := int(c.regs[commands.BitFramingReg] & commands.TxLastBitsMask)
	n := c.fifoN
	copy(c.txBuf[:], c.fifo[:n])
	c.fifoN = 0
	c.regs[commands.ErrorReg] = 0
	bits := n * 8
	if lastBits != 0 && n > 0 {
		bits = (n-1)*8 + lastBits
	}
	tx := frame{data: c.txBuf[:n], bits: bits}
	txEnd := c.now + commands.FrameTime(bits)

	op := &c.op
	*op = operation{kind: opTransceive, collAt: -1, rxBits: c.rxBits[:0]}
	answers, longest, extra := 0, 0, time.Duration(0)
	if c.antennaOn && n > 0 {
		for _, k := range c.cards {
			if !c.powered(k) {
				continue
			}
			ans, delay, ok := k.receive(tx, c.crypto1)
			if !ok {
				continue
			}
			answers++
			extra = max(extra, delay)
			op.rxBits = mergeBits(op, ans)
			longest = max(longest, ans.bits)
		}
	}
	if c.garbage != nil {
		answers = 1
		op.rxBits = op.rxBits[:0]
		op.collAt = -1
		nb := c.garbage.IntN(8 * 20)
		for range nb {
			op.rxBits = append(op.rxBits, byte(c.garbage.IntN(2)))
		}
		longest = nb
		if c.garbage.IntN(8) == 0 {
			op.errBits = byte(c.garbage.IntN(256)) & (commands.CollErr | commands.ParityErr | commands.ProtocolErr)
		}
	}
	if answers == 0 {
		period, ok := c.timerPeriod()
		if !ok {
			c.pending = nil // nothing will ever end this exchange
			return
		}
		op.timeout = true
		op.done = txEnd + period
		c.pending = op
		return
	}
	op.done = txEnd + commands.FDT + extra + commands.FrameTime(longest)
	c.pending = op
}

// mergeBits overlays one card's answer on the others' as the reader hears
// them (Manchester coding makes a differing bit a collision, ISO/IEC
// 14443-3 §6.4.4).
func mergeBits(op *operation, ans frame) []byte {
	out := op.rxBits
	for i := range ans.bits {
		b := (ans.data[i/8] >> (i % 8)) & 1
		if i >= len(out) {
			out = append(out, b)
			continue
		}
		if out[i] != b && out[i] != 2 {
			out[i] = 2
			if op.collAt < 0 || i < op.collAt {
				op.collAt = i
			}
		}
	}
	return out
}

// startAuth runs MFAuthent (§10.3.1.9): the FIFO holds the AUTH command,
// block address, six key bytes and four UID bytes. Success sets
// MFCrypto1On and ends the command; otherwise only the timer ends it.
func (c *Chip) startAuth() {
	op := &c.op
	*op = operation{kind: opAuth, collAt: -1}
	if c.fifoN != 12 {
		c.regs[commands.ErrorReg] |= commands.ProtocolErr
		c.regs[commands.ComIrqReg] |= commands.ErrIRq | commands.IdleIRq
		c.setCommand(commands.Idle)
		c.fifoN = 0
		return
	}
	var in [12]byte
	copy(in[:], c.fifo[:12])
	c.fifoN = 0
	for _, k := range c.cards {
		if c.powered(k) && k.state == stateActive {
			op.authOK = k.authenticate(in[0], in[1], in[2:8], in[8:12])
			break
		}
	}
	if op.authOK {
		op.done = c.now + authTime
		c.pending = op
		return
	}
	period, ok := c.timerPeriod()
	if !ok {
		return
	}
	op.done = c.now + authTime/4 + period
	c.pending = op
}
