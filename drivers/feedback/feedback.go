// Package feedback gives the person at the terminal an immediate sound and
// light (蜂鸣器和指示灯): a short beep and green for a tap taken, two longer
// beeps and red for a refusal, a triple blink for attention.
//
// Pins are periph.io gpio.PinOut handed in by the caller (package board
// looks them up by name). Patterns play in the background: Play returns at
// once and a new pattern cuts the running one short, so the screen never
// waits for the buzzer.
package feedback

import (
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
)

// Pattern is one sound-and-light signal.
type Pattern uint8

// Patterns.
const (
	Off       Pattern = iota // everything off
	Success                  // short beep, green
	Refusal                  // two longer beeps, red
	Attention                // three short beeps with both lights blinking
)

func (p Pattern) String() string {
	switch p {
	case Off:
		return "off"
	case Success:
		return "success"
	case Refusal:
		return "refusal"
	case Attention:
		return "attention"
	}
	return fmt.Sprintf("Pattern(%d)", uint8(p))
}

// Player plays patterns. Play never blocks.
type Player interface {
	Play(p Pattern)
	String() string
	Halt() error
}

// Clock is the time source; clock satisfies it.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// Pins are the outputs; a nil pin is not fitted.
type Pins struct {
	Buzzer gpio.PinOut
	Green  gpio.PinOut
	Red    gpio.PinOut
}

// Opts configures the buzzer.
type Opts struct {
	// Tone drives a passive buzzer by PWM at this frequency (2.7 kHz suits
	// most 12 mm piezo buzzers). Zero switches the pin on and off, for an
	// active buzzer with its own oscillator.
	Tone physic.Frequency
	// Duty is the PWM duty cycle for Tone (default 50%: loudest).
	Duty gpio.Duty
}

// DefaultOpts: an active buzzer, switched on and off.
var DefaultOpts = Opts{Duty: gpio.DutyHalf}

// step is one stretch of a pattern: which outputs are on, and for how long.
type step struct {
	buzz, green, red bool
	d                time.Duration
}

var off = step{}

// patterns: a beep under 100 ms reads as "done"; longer, repeated beeps as
// "no". Lights stay on long enough to be seen after the beep.
var patterns = map[Pattern][]step{
	Success: {
		{buzz: true, green: true, d: 80 * time.Millisecond},
		{green: true, d: 920 * time.Millisecond},
	},
	Refusal: {
		{buzz: true, red: true, d: 250 * time.Millisecond},
		{red: true, d: 150 * time.Millisecond},
		{buzz: true, red: true, d: 250 * time.Millisecond},
		{red: true, d: 850 * time.Millisecond},
	},
	Attention: {
		{buzz: true, green: true, red: true, d: 100 * time.Millisecond},
		{d: 100 * time.Millisecond},
		{buzz: true, green: true, red: true, d: 100 * time.Millisecond},
		{d: 100 * time.Millisecond},
		{buzz: true, green: true, red: true, d: 100 * time.Millisecond},
	},
}

// Dev plays patterns on GPIO pins from its own goroutine.
type Dev struct {
	pins Pins
	opts Opts
	clk  Clock

	play chan Pattern
	quit chan struct{}
	done chan struct{}
	once sync.Once

	now step // what the pins are set to; only the goroutine touches it

	mu  sync.Mutex
	err error
}

var _ Player = (*Dev)(nil)

// New starts a player on pins, all off; nil opts means DefaultOpts.
func New(clk Clock, pins Pins, opts *Opts) *Dev {
	o := DefaultOpts
	if opts != nil {
		o = *opts
	}
	if o.Duty == 0 {
		o.Duty = DefaultOpts.Duty
	}
	d := &Dev{pins: pins, opts: o, clk: clk, play: make(chan Pattern, 1), quit: make(chan struct{}), done: make(chan struct{})}
	d.now = step{buzz: true, green: true, red: true} // unknown: force the first write
	d.set(off)
	go d.loop()
	return d
}

func (d *Dev) String() string {
	return fmt.Sprintf("feedback(buzzer=%s, green=%s, red=%s)", pinName(d.pins.Buzzer), pinName(d.pins.Green), pinName(d.pins.Red))
}

func pinName(p gpio.PinOut) string {
	if p == nil {
		return "none"
	}
	return p.String()
}

// Play starts p, cutting short the pattern playing; it never blocks.
func (d *Dev) Play(p Pattern) {
	for {
		select {
		case d.play <- p:
			return
		default:
		}
		select { // a pattern not started yet is replaced
		case <-d.play:
		default:
		}
	}
}

// Err returns the last error setting a pin, if any. A failing buzzer must not
// stop the terminal, so Play does not report it; the status page can.
func (d *Dev) Err() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}

// Halt stops the player and turns everything off.
func (d *Dev) Halt() error {
	d.once.Do(func() { close(d.quit) })
	<-d.done
	return d.Err()
}

func (d *Dev) loop() {
	defer close(d.done)
	defer d.set(off)
	var next Pattern
	for {
		select {
		case next = <-d.play:
		case <-d.quit:
			return
		}
		for ok := true; ok; {
			next, ok = d.run(next)
		}
	}
}

// run plays p; it returns the pattern that cut it short, and whether there is
// one. After Halt it returns false with the pins left for loop to clear.
func (d *Dev) run(p Pattern) (Pattern, bool) {
	for _, s := range patterns[p] {
		d.set(s)
		select {
		case <-d.clk.After(s.d):
		case n := <-d.play:
			return n, true
		case <-d.quit:
			return Off, false
		}
	}
	d.set(off)
	return Off, false
}

// set switches the outputs that differ from s.
func (d *Dev) set(s step) {
	if s.buzz != d.now.buzz && d.pins.Buzzer != nil {
		d.record(d.buzz(s.buzz))
	}
	if s.green != d.now.green && d.pins.Green != nil {
		d.record(d.pins.Green.Out(gpio.Level(s.green)))
	}
	if s.red != d.now.red && d.pins.Red != nil {
		d.record(d.pins.Red.Out(gpio.Level(s.red)))
	}
	d.now = s
}

func (d *Dev) buzz(on bool) error {
	if on && d.opts.Tone > 0 {
		return d.pins.Buzzer.PWM(d.opts.Duty, d.opts.Tone)
	}
	return d.pins.Buzzer.Out(gpio.Level(on))
}

func (d *Dev) record(err error) {
	if err == nil {
		return
	}
	d.mu.Lock()
	d.err = fmt.Errorf("feedback: %w", err)
	d.mu.Unlock()
}

// Nop is a Player for a terminal without buzzer or lights.
type Nop struct{}

// Play does nothing.
func (Nop) Play(Pattern) {}

func (Nop) String() string { return "feedback(none)" }

// Halt does nothing.
func (Nop) Halt() error { return nil }

var _ Player = Nop{}
