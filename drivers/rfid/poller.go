package rfid

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// PollerOpts configures a Poller.
type PollerOpts struct {
	Kind Kind
	// Name names the device in Status before it was ever opened
	// ("/dev/spidev0.0"); afterwards the Detector's String() is used.
	Name string
	// Interval is the time between two polls (default 100 ms: 10 Hz). A
	// Detector whose Detect blocks until something happens (a keyboard-wedge,
	// the simulator) runs with Interval 0: Detect is called again at once.
	Interval time.Duration
	// Debounce: zero fields mean DefaultDebounceOpts.
	Debounce DebounceOpts
	// MinBackoff and MaxBackoff bound the wait before a failed reader is opened
	// again; the wait doubles after each failure (defaults 500 ms and 30 s).
	MinBackoff, MaxBackoff time.Duration
	// ReopenAfter is how many transient errors in a row make the Poller open the
	// reader afresh, on the theory that the chip is stuck (default 50; negative:
	// never).
	ReopenAfter int
	// OnStatus, when set, is called from Run's goroutine each time the State
	// changes or an attempt to reopen fails, e.g. to log it. It must not block
	// and must not call Halt.
	OnStatus func(Status)
}

// DefaultPollerOpts polls at 10 Hz.
var DefaultPollerOpts = PollerOpts{
	Interval:    100 * time.Millisecond,
	Debounce:    DefaultDebounceOpts,
	MinBackoff:  500 * time.Millisecond,
	MaxBackoff:  30 * time.Second,
	ReopenAfter: 50,
}

// Poller turns a Detector into a Reader: it polls at an interval, debounces,
// counts and retries transient errors, and when the reader dies (Absent,
// Wiring, Fatal) reports it and opens it again with exponential backoff.
type Poller struct {
	open func() (Detector, error)
	clk  Clock
	opts PollerOpts
	deb  *Debouncer

	mu      sync.Mutex
	st      Status
	cancel  context.CancelFunc // of the Run in progress
	done    chan struct{}      // closed when that Run returns
	running bool
}

var _ Reader = (*Poller)(nil)

// NewPoller returns a Reader that opens its Detector with open, now and each
// time it failed. Nil opts means DefaultPollerOpts; zero backoffs and
// ReopenAfter take their defaults.
func NewPoller(open func() (Detector, error), clk Clock, opts *PollerOpts) *Poller {
	o := DefaultPollerOpts
	if opts != nil {
		o = *opts
	}
	if o.Interval < 0 {
		o.Interval = 0
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = DefaultPollerOpts.MinBackoff
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(DefaultPollerOpts.MaxBackoff, o.MinBackoff)
	}
	if o.ReopenAfter == 0 {
		o.ReopenAfter = DefaultPollerOpts.ReopenAfter
	}
	name := o.Name
	if name == "" {
		name = o.Kind.String()
	}
	return &Poller{
		open: open,
		clk:  clk,
		opts: o,
		deb:  NewDebouncer(o.Kind, &o.Debounce),
		st:   Status{Kind: o.Kind, Device: name, State: StateStarting, Since: clk.Now()},
	}
}

func (p *Poller) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.st.Device
}

// Status returns a snapshot of the reader's health.
func (p *Poller) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.st
}

// Halt ends a Run in progress, waits for it to release the device, and
// returns. It does nothing when Run is not running.
func (p *Poller) Halt() error {
	p.mu.Lock()
	cancel, done := p.cancel, p.done
	p.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	return nil
}

// Run implements Reader.
func (p *Poller) Run(ctx context.Context, out chan<- Event) error {
	p.mu.Lock()
	if p.running {
		p.mu.Unlock()
		return errors.New("rfid: Run called while already running")
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	p.running, p.cancel, p.done = true, cancel, done
	p.mu.Unlock()

	p.loop(runCtx, out)

	cancel()
	p.setState(StateStopped, nil)
	p.mu.Lock()
	p.running, p.cancel, p.done = false, nil, nil
	p.mu.Unlock()
	close(done)
	return ctx.Err()
}

// loop polls until ctx ends; it never returns for a hardware failure.
func (p *Poller) loop(ctx context.Context, out chan<- Event) {
	var det Detector
	defer func() {
		if det != nil {
			_ = det.Halt()
		}
	}()
	backoff := p.opts.MinBackoff
	failed := false // the reader failed since it was last opened
	streak := 0     // transient errors in a row
	for ctx.Err() == nil {
		if det == nil {
			d, err := p.openDetector()
			if err != nil {
				failed = true
				if !p.retryAfter(ctx, err, &backoff) {
					return
				}
				continue
			}
			det = d
			p.opened(d.String(), failed)
			failed = false
		}
		ev, err := p.poll(ctx, det)
		switch {
		case err == nil:
			backoff, streak = p.opts.MinBackoff, 0
		case ctx.Err() != nil:
			return
		case KindOf(err) == Transient:
			streak++
			if p.opts.ReopenAfter > 0 && streak >= p.opts.ReopenAfter {
				_ = det.Halt()
				det, streak, failed = nil, 0, true
				continue
			}
		default:
			_ = det.Halt()
			det, failed = nil, true
			if !p.retryAfter(ctx, err, &backoff) {
				return
			}
			continue
		}
		if ev.Kind != 0 {
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
		if p.opts.Interval > 0 && !p.wait(ctx, p.opts.Interval) {
			return
		}
	}
}

// poll asks det once and feeds the answer to the debouncer. It returns the
// event to deliver (Kind 0 for none) and the reader's error, if any; transient
// errors are already counted.
func (p *Poller) poll(ctx context.Context, det Detector) (Event, error) {
	card, err := detect(ctx, det)
	now := p.clk.Now()
	var (
		ev Event
		ok bool
	)
	switch {
	case err == nil:
		if verr := ValidUID(card.UID); verr != nil {
			err = &Error{Kind: Transient, Err: verr}
			break
		}
		if ev, ok = p.deb.Seen(card, now); ok {
			p.mu.Lock()
			p.st.Taps++
			p.mu.Unlock()
		}
		return ev, nil
	case errors.Is(err, ErrNoCard):
		ev, _ = p.deb.Missed(now)
		return ev, nil
	case errors.Is(err, ErrCardLeft):
		ev, _ = p.deb.Left(now)
		return ev, nil
	case ctx.Err() != nil:
		return Event{}, err
	}
	if KindOf(err) == Transient {
		p.mu.Lock()
		p.st.Transient++
		p.st.Err = err
		p.mu.Unlock()
	}
	return Event{}, err
}

// openDetector calls the opener, making a panic in the driver's start-up or
// an opener that returns nothing a Fatal error.
func (p *Poller) openDetector() (d Detector, err error) {
	defer func() {
		if r := recover(); r != nil {
			d, err = nil, &Error{Kind: Fatal, Err: fmt.Errorf("rfid: opening the reader panicked: %v", r)}
		}
	}()
	d, err = p.open()
	if err == nil && d == nil {
		err = &Error{Kind: Fatal, Err: errors.New("rfid: open returned no reader")}
	}
	return d, err
}

// detect calls det.Detect and turns a panic in the driver (a bug met on
// garbage from the hardware) into a Fatal error: the reader is reopened and
// the terminal goes on.
func detect(ctx context.Context, det Detector) (c Card, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = Card{}, &Error{Kind: Fatal, Err: fmt.Errorf("rfid: %s panicked: %v", det, r)}
		}
	}()
	return det.Detect(ctx)
}

// opened records a reader that opened.
func (p *Poller) opened(device string, reopen bool) {
	p.mu.Lock()
	p.st.Device = device
	p.st.Retry = time.Time{}
	if reopen {
		p.st.Reopens++
	}
	p.mu.Unlock()
	p.setState(StateOK, nil)
}

// retryAfter reports the failure err, waits the backoff and doubles it. It
// returns false when ctx ended meanwhile.
func (p *Poller) retryAfter(ctx context.Context, err error, backoff *time.Duration) bool {
	d := *backoff
	p.mu.Lock()
	p.st.Err = fmt.Errorf("%s: %w", p.st.Device, err)
	p.st.Retry = p.clk.Now().Add(d)
	p.mu.Unlock()
	p.setState(stateOf(KindOf(err)), err)
	*backoff = min(2*d, p.opts.MaxBackoff)
	return p.wait(ctx, d)
}

// setState changes State and tells OnStatus; err, when not nil, is the cause.
func (p *Poller) setState(s State, err error) {
	p.mu.Lock()
	changed := p.st.State != s
	if changed {
		p.st.State = s
		p.st.Since = p.clk.Now()
	}
	st := p.st
	p.mu.Unlock()
	if (changed || err != nil) && p.opts.OnStatus != nil {
		p.opts.OnStatus(st)
	}
}

// wait waits d on the injected clock; false when ctx ended first.
func (p *Poller) wait(ctx context.Context, d time.Duration) bool {
	select {
	case <-p.clk.After(d):
		return true
	case <-ctx.Done():
		return false
	}
}
