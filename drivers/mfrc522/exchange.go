package mfrc522

import (
	"context"
	"fmt"
	"time"

	"github.com/hongmajia/hongmajia/drivers/mfrc522/commands"
)

const (
	// pollStep is the wait between two looks at ComIrqReg when an answer is
	// late; slack covers the SPI transfers and a sleep that overshoots.
	pollStep = 250 * time.Microsecond
	slack    = 100 * time.Microsecond
)

// readReg reads one register: address, then 00h (§8.1.2.1).
func (d *Dev) readReg(reg byte) (byte, error) {
	d.w[0], d.w[1] = commands.ReadAddr(reg), 0
	if err := d.c.Tx(d.w[:2], d.r[:2]); err != nil {
		return 0, fmt.Errorf("spi: %w", err)
	}
	return d.r[1], nil
}

// readRegs reads several registers in one transaction; the values land in
// d.r[1:len(regs)+1].
func (d *Dev) readRegs(regs ...byte) error {
	for i, reg := range regs {
		d.w[i] = commands.ReadAddr(reg)
	}
	n := len(regs) + 1
	d.w[n-1] = 0
	if err := d.c.Tx(d.w[:n], d.r[:n]); err != nil {
		return fmt.Errorf("spi: %w", err)
	}
	return nil
}

// writeReg writes one register (§8.1.2.2).
func (d *Dev) writeReg(reg, v byte) error {
	d.w[0], d.w[1] = commands.WriteAddr(reg), v
	if err := d.c.Tx(d.w[:2], nil); err != nil {
		return fmt.Errorf("spi: %w", err)
	}
	return nil
}

// writeFIFO sends data to the FIFO in one transaction.
func (d *Dev) writeFIFO(data []byte) error {
	d.w[0] = commands.WriteAddr(commands.FIFODataReg)
	n := copy(d.w[1:], data)
	if err := d.c.Tx(d.w[:n+1], nil); err != nil {
		return fmt.Errorf("spi: %w", err)
	}
	return nil
}

// sleep waits on the injected clock, or on the reusable timer.
func (d *Dev) sleep(ctx context.Context, dur time.Duration) error {
	if d.opts.Clock != nil {
		select {
		case <-d.opts.Clock.After(dur):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	d.timer.Reset(dur)
	select {
	case <-d.timer.C:
		return nil
	case <-ctx.Done():
		d.timer.Stop()
		return ctx.Err()
	}
}

// setTimeout loads TReloadReg when the timeout changes.
func (d *Dev) setTimeout(t time.Duration) error {
	reload := reloadFor(t)
	if reload == d.reload {
		return nil
	}
	if err := d.writeReg(commands.TReloadRegH, byte(reload>>8)); err != nil {
		return err
	}
	if err := d.writeReg(commands.TReloadRegL, byte(reload)); err != nil {
		return err
	}
	d.reload = reload
	return nil
}

func (d *Dev) timeout() time.Duration { return time.Duration(d.reload+1) * timerTick }

// start loads the FIFO and starts cmd: stop what runs, clear the interrupt
// bits, flush the FIFO, fill it, go (§10.2, §10.3).
func (d *Dev) start(cmd commands.Command, data []byte) error {
	if err := d.writeReg(commands.CommandReg, byte(commands.Idle)); err != nil {
		return err
	}
	if err := d.writeReg(commands.ComIrqReg, commands.ComIrqAll); err != nil {
		return err
	}
	if err := d.writeReg(commands.FIFOLevelReg, commands.FlushBuffer); err != nil {
		return err
	}
	if err := d.writeFIFO(data); err != nil {
		return err
	}
	return d.writeReg(commands.CommandReg, byte(cmd))
}

// status is what one read of the interrupt and error registers says.
type status struct {
	irq, err, level, control, coll, status2 byte
}

func (d *Dev) readStatus() (status, error) {
	if err := d.readRegs(commands.ComIrqReg, commands.ErrorReg, commands.FIFOLevelReg,
		commands.ControlReg, commands.CollReg, commands.Status2Reg); err != nil {
		return status{}, err
	}
	st := status{d.r[1], d.r[2], d.r[3], d.r[4], d.r[5], d.r[6]}
	if st.status2&commands.MFCrypto1On != 0 {
		d.crypto = true
	}
	return st, nil
}

// crypto1Off clears Status2Reg MFCrypto1On when an authentication may have
// set it. Only software clears it (§9.3.1.9), and while it is set the chip
// enciphers every frame, REQA and WUPA too, which no card outside the
// session understands: a NAK or a forgotten Release would hide every card
// for good. The driver sets it only through MFAuthent, so a poll that never
// authenticated writes nothing (the idle poll stays seven transactions).
func (d *Dev) crypto1Off() error {
	if !d.crypto {
		return nil
	}
	if err := d.writeReg(commands.Status2Reg, 0); err != nil {
		return fmt.Errorf("crypto1 off: %w", err)
	}
	d.crypto = false
	return nil
}

// await waits for one of the done bits in ComIrqReg. first is when the
// answer should be complete; deadline is when the chip's own timer must have
// ended the command. It never spins: each look at the chip follows a wait
// on the clock or an edge on the IRQ pin.
func (d *Dev) await(ctx context.Context, done byte, first, deadline time.Duration) (status, error) {
	if pin := d.opts.IRQPin; pin != nil {
		for range 4 {
			edge := pin.WaitForEdge(deadline)
			st, err := d.readStatus()
			if err != nil || st.irq&done != 0 {
				return st, err
			}
			if !edge {
				break
			}
		}
		return status{}, ErrChip
	}
	waited := first
	if err := d.sleep(ctx, first); err != nil {
		return status{}, err
	}
	for {
		st, err := d.readStatus()
		if err != nil || st.irq&done != 0 {
			return st, err
		}
		if waited >= deadline {
			return status{}, ErrChip
		}
		if err := d.sleep(ctx, pollStep); err != nil {
			return status{}, err
		}
		waited += pollStep
	}
}

// confirmTemperature reads ErrorReg again after a read that had TempErr
// set. One byte is not yet an overheated chip: a floating MISO reads 0xFF,
// TempErr included, and one glitched byte looks the same. 0xFF again is the
// wiring (the reserved bit 5 of a real ErrorReg reads 0); TempErr again is
// the chip's word; anything else was a glitch, and the second value stands.
func (d *Dev) confirmTemperature(st *status) error {
	v, err := d.readReg(commands.ErrorReg)
	switch {
	case err != nil:
		return err
	case v == 0xFF:
		return fmt.Errorf("ErrorReg reads 0xff: %w", ErrWiring)
	case v&commands.TempErr != 0:
		return ErrTemperature
	}
	st.err = v
	return nil
}

// reply is a received frame in d.rx.
type reply struct {
	n        int  // bytes
	lastBits int  // valid bits of the last byte, 1..8
	collErr  bool // ErrorReg CollErr
	coll     byte // CollReg
}

func (r reply) bits() int {
	if r.n == 0 {
		return 0
	}
	return (r.n-1)*8 + r.lastBits
}

// transceive sends txBits bits of data (BitFramingReg TxLastBits) and
// receives the answer, its first bit stored at bit rxAlign (RxAlign).
// wantBits is the expected answer's length, to know when to look; 0 means
// silence is the likely outcome (a poll in an empty field, HLTA), so the
// first look comes after the chip's timeout. It returns ErrTimeout when the
// timer ran out, and leaves collisions to the caller.
func (d *Dev) transceive(ctx context.Context, data []byte, txBits, rxAlign, wantBits int) (reply, error) {
	if err := d.start(commands.Transceive, data); err != nil {
		return reply{}, err
	}
	framing := commands.StartSend | byte(rxAlign)<<commands.RxAlignShift | byte(txBits%8)
	if err := d.writeReg(commands.BitFramingReg, framing); err != nil {
		return reply{}, err
	}
	tx := commands.FrameTime(txBits)
	// The timer stops when an answer starts, so the chip may go on
	// receiving after the timeout: allow for the longest frame the FIFO holds.
	first := tx + d.timeout() + slack
	deadline := first + commands.FrameTime(8*commands.FIFOSize)
	if wantBits > 0 {
		first = tx + commands.FDT + commands.FrameTime(wantBits) + slack
	}
	st, err := d.await(ctx, commands.RxIRq|commands.TimerIRq, first, deadline)
	if err != nil {
		return reply{}, err
	}
	if st.err&commands.TempErr != 0 {
		if err := d.confirmTemperature(&st); err != nil {
			return reply{}, err
		}
	}
	switch {
	case st.irq&commands.RxIRq == 0:
		return reply{}, ErrTimeout
	case st.err&(commands.BufferOvfl|commands.ParityErr|commands.ProtocolErr) != 0:
		return reply{}, fmt.Errorf("%w: ErrorReg %#02x", ErrRadio, st.err)
	}
	r := reply{n: int(st.level & commands.FIFOLevel), lastBits: int(st.control & commands.RxLastBits),
		collErr: st.err&commands.CollErr != 0, coll: st.coll}
	if r.lastBits == 0 {
		r.lastBits = 8
	}
	if r.n > len(d.rx) {
		return reply{}, fmt.Errorf("%w: FIFO level %d", ErrFrame, r.n)
	}
	if r.n > 0 {
		if err := d.readFIFO(r.n); err != nil {
			return reply{}, err
		}
	}
	return r, nil
}

// readFIFO reads n bytes of the FIFO into d.rx in one transaction.
func (d *Dev) readFIFO(n int) error {
	a := commands.ReadAddr(commands.FIFODataReg)
	for i := range n {
		d.w[i] = a
	}
	d.w[n] = 0
	if err := d.c.Tx(d.w[:n+1], d.r[:n+1]); err != nil {
		return fmt.Errorf("spi: %w", err)
	}
	copy(d.rx[:n], d.r[1:n+1])
	return nil
}

// appendCRC computes CRC_A of data with the CRC coprocessor (§10.3.1.4) and
// appends it.
func (d *Dev) appendCRC(ctx context.Context, data []byte) ([]byte, error) {
	if err := d.writeReg(commands.CommandReg, byte(commands.Idle)); err != nil {
		return nil, err
	}
	if err := d.writeReg(commands.DivIrqReg, commands.CRCIRq); err != nil {
		return nil, err
	}
	if err := d.writeReg(commands.FIFOLevelReg, commands.FlushBuffer); err != nil {
		return nil, err
	}
	if err := d.writeFIFO(data); err != nil {
		return nil, err
	}
	if err := d.writeReg(commands.CommandReg, byte(commands.CalcCRC)); err != nil {
		return nil, err
	}
	// 64 bytes take under 40 µs (8 clocks each); the read itself takes
	// about as long, so look at once and then in short steps.
	for range 10 {
		if err := d.readRegs(commands.DivIrqReg, commands.CRCResultRegL, commands.CRCResultRegH); err != nil {
			return nil, err
		}
		if d.r[1]&commands.CRCIRq != 0 {
			return append(data, d.r[2], d.r[3]), nil
		}
		if err := d.sleep(ctx, 50*time.Microsecond); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("calculate CRC: %w", ErrChip)
}

// checkCRC verifies the CRC_A that ends a received frame, in software.
func checkCRC(frame []byte) error {
	if !commands.CheckCRCA(frame) {
		return ErrCRC
	}
	return nil
}
