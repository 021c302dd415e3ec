// Package rfid is the contract every card reader meets: taps of a card's UID,
// debounced in one place, with typed errors so the terminal can tell a missing
// reader from a loose wire from a passing RF glitch.
//
// A polling reader (the MFRC522) implements Detector; the package turns any
// Detector into a Reader (Poller). Readers that push (a keyboard-wedge, the
// simulator) are Detectors whose Detect blocks until something happens, run by
// a Poller with Interval 0, so every reader is debounced by the same Debouncer
// and reopened the same way.
package rfid

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind says which kind of reader a tap came from.
type Kind uint8

// Reader kinds.
const (
	KindUnknown Kind = iota
	KindMFRC522      // MFRC522 on SPI
	KindWedge        // USB keyboard-wedge reader via evdev
	KindSim          // simulated reader (demo window, control socket, tests)
)

func (k Kind) String() string {
	switch k {
	case KindMFRC522:
		return "mfrc522"
	case KindWedge:
		return "wedge"
	case KindSim:
		return "sim"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// UID is a card's identifier as read: 4, 7 or 10 bytes for ISO/IEC 14443A, or
// the bytes of the number a keyboard-wedge reader types.
type UID []byte

// Hex is the normalised form: upper-case hex, no separators.
func (u UID) Hex() string { return strings.ToUpper(hex.EncodeToString(u)) }

func (u UID) String() string { return u.Hex() }

// Equal reports whether two UIDs are the same bytes.
func (u UID) Equal(v UID) bool { return string(u) == string(v) }

// Card is what a reader found in its field.
type Card struct {
	UID UID
	// Type names the card family where the reader can tell (from the SAK):
	// "MIFARE Classic 1K", "MIFARE Ultralight/NTAG", "ISO 14443-4"; "" otherwise.
	Type string
}

// Tap is one debounced presentation of a card.
type Tap struct {
	Card
	Kind Kind
	At   time.Time // from the injected clock
}

// EventKind tells a tap from a card leaving the field.
type EventKind uint8

// Event kinds.
const (
	EventTap  EventKind = iota + 1 // a card arrived (debounced)
	EventLeft                      // the card of the last tap left the field, where the reader can tell
)

func (k EventKind) String() string {
	switch k {
	case EventTap:
		return "tap"
	case EventLeft:
		return "left"
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// Event is what a Reader yields.
type Event struct {
	Kind EventKind
	Tap  Tap // for EventLeft: the card that left, At is when it was seen gone
}

// Clock is the time source a reader needs. clock.Real and *clock.Fake
// satisfy it; drivers do not import the ledger.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// Detector is a reader that is asked, one poll at a time, whether a card is
// in its field (the MFRC522). Implementations need not be safe for concurrent
// use: one goroutine polls.
type Detector interface {
	// Detect looks once. It returns ErrNoCard when the field is empty, and an
	// *Error for anything else that went wrong.
	Detect(ctx context.Context) (Card, error)
	String() string
	Halt() error
}

// ErrNoCard is returned by Detect when no card answered: the normal idle case.
var ErrNoCard = errors.New("rfid: no card in field")

// ErrorKind classifies reader failures so the terminal can act on them.
type ErrorKind uint8

// Error kinds.
const (
	// Absent: no reader there (no SPI device, no evdev node). Reopen with backoff.
	Absent ErrorKind = iota + 1
	// Wiring: the reader answers garbage, e.g. VersionReg 0x00 or 0xFF (MISO
	// floating or shorted). A technician must look; reopen with backoff.
	Wiring
	// Transient: one failed exchange (CRC error, collision, timeout, card
	// pulled away). Retry; count it.
	Transient
	// Fatal: the reader cannot go on (closed port, permission denied).
	Fatal
)

func (k ErrorKind) String() string {
	switch k {
	case Absent:
		return "absent"
	case Wiring:
		return "wiring"
	case Transient:
		return "transient"
	case Fatal:
		return "fatal"
	}
	return fmt.Sprintf("ErrorKind(%d)", uint8(k))
}

// Error is a reader failure of a known kind.
type Error struct {
	Kind ErrorKind
	Err  error
}

func (e *Error) Error() string { return e.Kind.String() + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the ErrorKind of err, or Fatal when err is not an *Error.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Fatal
}
