package feedback

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/physic"

	"github.com/hongmajia/hongmajia/clock"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// journal records every change made to the pins, with the fake time.
type journal struct {
	mu    sync.Mutex
	clk   *clock.Fake
	lines []string
}

func (j *journal) add(format string, a ...any) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.lines = append(j.lines, fmt.Sprintf("%5dms ", j.clk.Now().Sub(t0).Milliseconds())+fmt.Sprintf(format, a...))
}

func (j *journal) take() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	l := j.lines
	j.lines = nil
	return l
}

// recPin is a gpiotest.Pin that writes what is done to it in a journal.
type recPin struct {
	*gpiotest.Pin
	j    *journal
	fail error
}

func (p *recPin) Out(l gpio.Level) error {
	if p.fail != nil {
		return p.fail
	}
	p.j.add("%s %s", p.N, l)
	return p.Pin.Out(l)
}

func (p *recPin) PWM(d gpio.Duty, f physic.Frequency) error {
	p.j.add("%s PWM %s %s", p.N, d, f)
	return p.Pin.PWM(d, f)
}

type rig struct {
	t    *testing.T
	clk  *clock.Fake
	j    *journal
	dev  *Dev
	pins map[string]*recPin
}

func newRig(t *testing.T, opts *Opts) *rig {
	clk := clock.NewFake(t0)
	j := &journal{clk: clk}
	pin := func(n string, num int) *recPin { return &recPin{Pin: &gpiotest.Pin{N: n, Num: num}, j: j} }
	r := &rig{t: t, clk: clk, j: j, pins: map[string]*recPin{"buzzer": pin("buzzer", 18), "green": pin("green", 23), "red": pin("red", 24)}}
	r.dev = New(clk, Pins{Buzzer: r.pins["buzzer"], Green: r.pins["green"], Red: r.pins["red"]}, opts)
	t.Cleanup(func() { r.dev.Halt() })
	return r
}

// waiting waits until the player has n waits pending on the clock.
func (r *rig) waiting(n int) {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for r.clk.Waiters() != n {
		if time.Now().After(deadline) {
			r.t.Fatalf("waiters = %d, want %d", r.clk.Waiters(), n)
		}
		time.Sleep(10 * time.Microsecond)
	}
}

func (r *rig) expect(want ...string) {
	r.t.Helper()
	got := r.j.take()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		r.t.Fatalf("pins:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// steps lets each wait of the pattern pass, one after the other (ms).
func (r *rig) steps(ms ...int) {
	r.t.Helper()
	for _, d := range ms {
		r.waiting(1)
		r.clk.Advance(time.Duration(d) * time.Millisecond)
	}
	r.idle()
}

// idle waits for the player to finish and to have turned everything off.
func (r *rig) idle() {
	r.t.Helper()
	r.waiting(0)
	// a Play of Off is handled only after the pattern ended: a fence
	r.dev.Play(Off)
	for len(r.dev.play) > 0 {
		time.Sleep(10 * time.Microsecond)
	}
}

func TestNewTurnsEverythingOff(t *testing.T) {
	r := newRig(t, nil)
	r.expect("    0ms buzzer Low", "    0ms green Low", "    0ms red Low")
}

func TestSuccessPattern(t *testing.T) {
	r := newRig(t, nil)
	r.j.take()
	r.dev.Play(Success)
	r.steps(80, 920)
	r.expect(
		"    0ms buzzer High", "    0ms green High",
		"   80ms buzzer Low",
		" 1000ms green Low",
	)
}

func TestRefusalPatternWithPWMBuzzer(t *testing.T) {
	r := newRig(t, &Opts{Tone: 2700 * physic.Hertz})
	r.j.take()
	r.dev.Play(Refusal)
	r.steps(250, 150, 250, 850)
	r.expect(
		"    0ms buzzer PWM 50% 2.700kHz", "    0ms red High",
		"  250ms buzzer Low",
		"  400ms buzzer PWM 50% 2.700kHz",
		"  650ms buzzer Low",
		" 1500ms red Low",
	)
}

func TestAttentionPattern(t *testing.T) {
	r := newRig(t, nil)
	r.j.take()
	r.dev.Play(Attention)
	r.steps(100, 100, 100, 100, 100)
	var want []string
	for _, at := range []int{0, 200, 400} {
		want = append(want, fmt.Sprintf("%5dms buzzer High", at), fmt.Sprintf("%5dms green High", at), fmt.Sprintf("%5dms red High", at))
		want = append(want, fmt.Sprintf("%5dms buzzer Low", at+100), fmt.Sprintf("%5dms green Low", at+100), fmt.Sprintf("%5dms red Low", at+100))
	}
	r.expect(want...)
}

func TestNewPatternCutsTheRunningOneShort(t *testing.T) {
	r := newRig(t, nil)
	r.j.take()
	r.dev.Play(Success)
	r.waiting(1)
	r.clk.Advance(40 * time.Millisecond)
	r.dev.Play(Refusal)
	r.waiting(2) // the abandoned success wait is still on the fake clock
	r.clk.Advance(250 * time.Millisecond)
	r.waiting(1)
	r.dev.Play(Success)
	r.waiting(2) // refusal's pause, abandoned, and success's beep
	r.clk.Advance(80 * time.Millisecond)
	r.waiting(2) // refusal's pause and success's light
	r.clk.Advance(920 * time.Millisecond)
	r.idle()
	r.expect(
		"    0ms buzzer High", "    0ms green High",
		// refusal at 40 ms: the buzzer stays on, green gives way to red
		"   40ms green Low", "   40ms red High",
		"  290ms buzzer Low",
		// success at 290 ms, in refusal's pause
		"  290ms buzzer High", "  290ms green High", "  290ms red Low",
		"  370ms buzzer Low",
		" 1290ms green Low",
	)
}

func TestPlayNeverBlocks(t *testing.T) {
	r := newRig(t, nil)
	done := make(chan struct{})
	go func() {
		for range 1000 {
			r.dev.Play(Success)
			r.dev.Play(Refusal)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Play blocked")
	}
}

func TestHaltTurnsOffMidPattern(t *testing.T) {
	r := newRig(t, nil)
	r.j.take()
	r.dev.Play(Refusal)
	r.waiting(1)
	if err := r.dev.Halt(); err != nil {
		t.Fatal(err)
	}
	r.expect("    0ms buzzer High", "    0ms red High", "    0ms buzzer Low", "    0ms red Low")
	if err := r.dev.Halt(); err != nil {
		t.Fatalf("second Halt: %v", err)
	}
	r.dev.Play(Success) // after Halt: ignored, no panic
}

func TestFailingPinIsReportedNotFatal(t *testing.T) {
	r := newRig(t, nil)
	r.pins["buzzer"].fail = errors.New("gpio18: write: input/output error")
	r.dev.Play(Success)
	r.steps(80, 920)
	if err := r.dev.Err(); err == nil || !strings.Contains(err.Error(), "feedback: gpio18") {
		t.Fatalf("Err = %v", err)
	}
	// the green light still worked
	got := strings.Join(r.j.take(), "\n")
	if !strings.Contains(got, "0ms green High") || !strings.Contains(got, "1000ms green Low") {
		t.Fatalf("green did not play:\n%s", got)
	}
}

func TestMissingPinsAreSkipped(t *testing.T) {
	clk := clock.NewFake(t0)
	j := &journal{clk: clk}
	green := &recPin{Pin: &gpiotest.Pin{N: "green"}, j: j}
	d := New(clk, Pins{Green: green}, nil)
	defer d.Halt()
	d.Play(Refusal) // nothing but red and buzzer: no pin touched
	for clk.Waiters() != 1 {
		time.Sleep(10 * time.Microsecond)
	}
	if got := j.take(); len(got) != 1 || got[0] != "    0ms green Low" {
		t.Fatalf("pins = %q", got)
	}
	if s := d.String(); s != "feedback(buzzer=none, green=green(0), red=none)" {
		t.Fatalf("String = %q", s)
	}
}

func TestNop(t *testing.T) {
	var p Player = Nop{}
	p.Play(Success)
	if p.Halt() != nil || p.String() != "feedback(none)" {
		t.Fatal("Nop misbehaves")
	}
	for _, pat := range []Pattern{Off, Success, Refusal, Attention, 9} {
		if pat.String() == "" {
			t.Fatal("empty pattern name")
		}
	}
}
