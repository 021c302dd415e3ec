package chipsim

import (
	"errors"
	"time"

	"github.com/hongmajia/hongmajia/drivers/mfrc522/commands"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/pin"
)

var errNotOutput = errors.New("chipsim: the IRQ line is an input")

// Clock is the chip's simulated time as the driver's clock: Now reads it and
// After advances it by d at once, so a wait costs no real time. It is meant
// for the one goroutine that drives the chip.
type Clock struct{ chip *Chip }

// Clock returns the simulated clock.
func (c *Chip) Clock() Clock { return Clock{chip: c} }

// Now is the simulated wall time.
func (k Clock) Now() time.Time {
	c := k.chip
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch.Add(c.now)
}

// After advances simulated time by d and returns a channel that already
// holds the new time. The channel is reused so that waiting allocates
// nothing; a value left unread by a caller that stopped waiting is harmless,
// as the time it announces has passed.
func (k Clock) After(d time.Duration) <-chan time.Time {
	c := k.chip
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.advance(d)
	}
	select {
	case c.clockCh <- c.epoch.Add(c.now):
	default:
	}
	return c.clockCh
}

// IRQPin is the chip's IRQ output as a gpio.PinIn. The line follows Status1Reg
// IRq, inverted while ComIEnReg IRqInv is set (§9.3.1.3), so with the reset
// value it falls when an enabled interrupt arrives. WaitForEdge advances
// simulated time to the next such arrival.
type IRQPin struct{ chip *Chip }

// IRQPin returns the IRQ line.
func (c *Chip) IRQPin() *IRQPin { return &IRQPin{chip: c} }

func (p *IRQPin) String() string   { return "chipsim IRQ" }
func (p *IRQPin) Name() string     { return "IRQ" }
func (p *IRQPin) Number() int      { return -1 }
func (p *IRQPin) Function() string { return "In/High" }
func (p *IRQPin) Halt() error      { return nil }

// In accepts the pull and edge the driver sets.
func (p *IRQPin) In(pull gpio.Pull, edge gpio.Edge) error {
	c := p.chip
	c.mu.Lock()
	defer c.mu.Unlock()
	c.irqEdges = 0
	return nil
}

// Read returns the line level.
func (p *IRQPin) Read() gpio.Level {
	c := p.chip
	c.mu.Lock()
	defer c.mu.Unlock()
	c.settle()
	inv := c.regs[commands.ComIEnReg]&commands.IRqInv != 0
	return gpio.Level(c.irqActive != inv)
}

// WaitForEdge returns true at once when an interrupt arrived since the last
// call; otherwise it moves simulated time to the end of the exchange in
// flight, or by timeout when nothing will come.
func (p *IRQPin) WaitForEdge(timeout time.Duration) bool {
	c := p.chip
	c.mu.Lock()
	defer c.mu.Unlock()
	c.settle()
	if c.irqEdges > 0 {
		c.irqEdges = 0
		return true
	}
	if c.pending != nil && (timeout < 0 || c.pending.done-c.now <= timeout) {
		c.advance(c.pending.done - c.now)
	} else if timeout >= 0 {
		c.advance(timeout)
	}
	if c.irqEdges > 0 {
		c.irqEdges = 0
		return true
	}
	return false
}

// Pull is PullUp: the driver's open-drain or push-pull line idles high.
func (p *IRQPin) Pull() gpio.Pull { return gpio.PullUp }

// DefaultPull is PullUp.
func (p *IRQPin) DefaultPull() gpio.Pull { return gpio.PullUp }

// Out is refused: IRQ is an input.
func (p *IRQPin) Out(gpio.Level) error { return errNotOutput }

// PWM is refused: IRQ is an input.
func (p *IRQPin) PWM(gpio.Duty, physic.Frequency) error { return errNotOutput }

// Func is the pin's function.
func (p *IRQPin) Func() pin.Func { return gpio.IN_HIGH }

// SupportedFuncs lists the input function only.
func (p *IRQPin) SupportedFuncs() []pin.Func { return []pin.Func{gpio.IN} }

// SetFunc is refused.
func (p *IRQPin) SetFunc(pin.Func) error { return errNotOutput }

// ResetPin is the chip's NRSTPD input (§8.8.1): low holds the chip in hard
// power-down, the rising edge resets it.
type ResetPin struct {
	IRQPin
	level gpio.Level
	// Resets counts rising edges.
	Resets int
}

// ResetPin returns the NRSTPD line, high.
func (c *Chip) ResetPin() *ResetPin { return &ResetPin{IRQPin: IRQPin{chip: c}, level: gpio.High} }

func (p *ResetPin) String() string { return "chipsim NRSTPD" }

// Out drives NRSTPD; a rising edge resets the chip.
func (p *ResetPin) Out(l gpio.Level) error {
	c := p.chip
	c.mu.Lock()
	defer c.mu.Unlock()
	if l == gpio.High && p.level == gpio.Low {
		c.reset()
		c.resetDone = c.now + resetTime
		p.Resets++
	}
	p.level = l
	return nil
}
