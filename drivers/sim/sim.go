// Package sim is the simulated card reader (模拟读卡器). Its taps come from
// code: the demo window's keys 1–9, `kioskctl tap` through the terminal's
// control socket (whose commands kiosk/app handles), and tests.
//
// Its taps go through the same rfid.Poller and Debouncer as a real reader's,
// so a test that taps the same card twice within the window sees one tap.
package sim

import (
	"context"
	"errors"
	"fmt"

	"github.com/hongmajia/hongmajia/drivers/rfid"
)

// CardType is the Card.Type of a simulated card.
const CardType = "simulated"

// ErrBusy is returned by Tap and Remove when the queue of actions waiting for
// Run is full: nobody is reading the reader.
var ErrBusy = errors.New("sim: reader busy: taps are not being read")

// Opts configures a simulated reader.
type Opts struct {
	// Name is the reader's name in Status (default "sim").
	Name string
	// Debounce: zero fields mean rfid.DefaultDebounceOpts.
	Debounce rfid.DebounceOpts
	// Queue is how many taps may wait for Run (default 16).
	Queue int
}

// DefaultOpts: a reader named "sim" queueing 16 taps.
var DefaultOpts = Opts{Name: "sim", Debounce: rfid.DefaultDebounceOpts, Queue: 16}

// Reader is a simulated reader. Run, Status and Halt come from the rfid.Poller
// it is built on.
type Reader struct {
	*rfid.Poller
	field *field
}

var _ rfid.Reader = (*Reader)(nil)

// New returns a simulated reader; nil opts means DefaultOpts.
func New(clk rfid.Clock, opts *Opts) *Reader {
	o := DefaultOpts
	if opts != nil {
		o = *opts
	}
	if o.Name == "" {
		o.Name = DefaultOpts.Name
	}
	if o.Queue <= 0 {
		o.Queue = DefaultOpts.Queue
	}
	f := &field{name: o.Name, actions: make(chan action, o.Queue)}
	p := rfid.NewPoller(func() (rfid.Detector, error) { return f, nil }, clk, &rfid.PollerOpts{
		Kind:     rfid.KindSim,
		Name:     o.Name,
		Interval: 0, // Detect blocks until a tap or a remove
		Debounce: o.Debounce,
	})
	f.taps = func() uint64 { return p.Status().Taps }
	return &Reader{Poller: p, field: f}
}

// TapWait presents the card uid as Tap does and waits until the reader has
// dealt with it: true when it became a tap (an event was delivered), false
// when the debouncer took it for the card it read less than its window ago.
func (r *Reader) TapWait(ctx context.Context, uid rfid.UID) (bool, error) {
	if err := rfid.ValidUID(uid); err != nil {
		return false, fmt.Errorf("sim: tap: %w", err)
	}
	done := make(chan bool, 1)
	if err := r.field.push(action{uid: append(rfid.UID(nil), uid...), done: done}); err != nil {
		return false, err
	}
	select {
	case tapped := <-done:
		return tapped, nil
	case <-ctx.Done():
		return false, fmt.Errorf("sim: tap: the reader did not take the card: %w", ctx.Err())
	}
}

// Tap presents the card uid to the reader. It does not wait for Run.
func (r *Reader) Tap(uid rfid.UID) error {
	if err := rfid.ValidUID(uid); err != nil {
		return fmt.Errorf("sim: tap: %w", err)
	}
	return r.field.push(action{uid: append(rfid.UID(nil), uid...)})
}

// Remove takes the card away: EventLeft for the last tapped card.
func (r *Reader) Remove() error {
	return r.field.push(action{remove: true})
}

// action is one thing done to the simulated field; done, when set, learns
// whether the tap became an event.
type action struct {
	uid    rfid.UID
	remove bool
	done   chan<- bool
}

// field is the Detector behind a simulated Reader: Detect blocks until a tap or
// a remove arrives.
type field struct {
	name    string
	actions chan action
	taps    func() uint64 // the poller's tap count

	// waiting is the last tap handed out whose caller waits to learn what
	// became of it, with the tap count before it; only Detect touches it.
	waiting *action
	before  uint64
}

func (f *field) push(a action) error {
	select {
	case f.actions <- a:
		return nil
	default:
		return ErrBusy
	}
}

func (f *field) Detect(ctx context.Context) (rfid.Card, error) {
	// The poller calls Detect again only once it has debounced the last
	// card and delivered its event, if any: the count says which it was.
	if w := f.waiting; w != nil {
		f.waiting = nil
		w.done <- f.taps() > f.before
	}
	select {
	case a := <-f.actions:
		if a.remove {
			return rfid.Card{}, rfid.ErrCardLeft
		}
		if a.done != nil {
			f.waiting, f.before = &a, f.taps()
		}
		return rfid.Card{UID: a.uid, Type: CardType}, nil
	case <-ctx.Done():
		return rfid.Card{}, ctx.Err()
	}
}

func (f *field) String() string { return f.name }

// Halt does nothing: queued taps stay for the next Run.
func (f *field) Halt() error { return nil }
