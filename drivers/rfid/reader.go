package rfid

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Reader yields debounced events from one card reader. Every kind of reader
// (MFRC522, keyboard-wedge, simulator) is a Reader, debounced by the same
// Debouncer.
type Reader interface {
	// Run reads until ctx ends or Halt is called, sending each debounced Event
	// on out. A reader that fails is reported in Status and reopened inside Run
	// with backoff; Run never returns because of the hardware. It returns nil
	// after Halt and ctx.Err() when ctx ended. Several readers may share one out
	// channel. Run must not be called twice at the same time.
	Run(ctx context.Context, out chan<- Event) error
	// Status tells how the reader is doing, for the UI and kioskctl. Safe to
	// call from any goroutine.
	Status() Status
	String() string
	// Halt ends Run and releases the device.
	Halt() error
}

// ErrCardLeft is returned by Detect of a reader that knows when a card was
// taken away and tells it rather than reporting an empty field on every poll
// (the simulator's "remove").
var ErrCardLeft = errors.New("rfid: card left the field")

// State is a reader's health.
type State uint8

// Reader states.
const (
	StateStarting State = iota // not opened yet
	StateOK                    // opened and reading
	StateAbsent                // no reader there; retrying with backoff
	StateWiring                // the reader answers garbage; retrying with backoff
	StateFatal                 // the reader failed otherwise; retrying with backoff
	StateStopped               // Run has returned
)

func (s State) String() string {
	switch s {
	case StateStarting:
		return "starting"
	case StateOK:
		return "ok"
	case StateAbsent:
		return "absent"
	case StateWiring:
		return "wiring"
	case StateFatal:
		return "fatal"
	case StateStopped:
		return "stopped"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// stateOf maps a reader failure to the state it leaves the reader in.
func stateOf(k ErrorKind) State {
	switch k {
	case Absent:
		return StateAbsent
	case Wiring:
		return StateWiring
	}
	return StateFatal
}

// Status is a snapshot of a reader's health.
type Status struct {
	Kind   Kind
	Device string // what the reader is: "mfrc522 /dev/spidev0.0", a wedge's input device
	State  State
	Since  time.Time // when State last changed
	// Err is the last error, transient or not; nil when none happened yet.
	Err error
	// Transient counts the transient errors (RF glitches, malformed numbers)
	// since Run started; each was retried.
	Transient uint64
	// Reopens counts how often the reader was opened again after it failed.
	Reopens uint64
	// Taps counts the debounced taps delivered.
	Taps uint64
	// Retry is when a failed reader is opened again; zero while it is OK.
	Retry time.Time
}

func (s Status) String() string {
	msg := fmt.Sprintf("%s: %s since %s, %d taps, %d transient errors, %d reopens",
		s.Device, s.State, s.Since.Format(time.RFC3339), s.Taps, s.Transient, s.Reopens)
	if s.Err != nil {
		msg += ", last error: " + s.Err.Error()
	}
	if !s.Retry.IsZero() {
		msg += ", retry at " + s.Retry.Format(time.RFC3339)
	}
	return msg
}
