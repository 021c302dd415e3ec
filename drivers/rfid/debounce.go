package rfid

import (
	"fmt"
	"time"
)

// MaxUIDLen is the longest UID a reader may report: ISO/IEC 14443A has 10
// bytes at most (triple size); a keyboard-wedge number of up to 20 digits fits
// in 16.
const MaxUIDLen = 16

// DebounceOpts says how sightings of cards become taps.
type DebounceOpts struct {
	// Window is how long the same card is ignored after it was last in the
	// field, so a wobbling hand or a reader that types the number twice is one
	// tap. Zero means the default.
	Window time.Duration
	// LeaveAfter is how many polls in a row must find the field empty before the
	// card counts as gone (EventLeft). One missed poll is common: the card sits
	// at the edge of the field. Zero means the default.
	LeaveAfter int
}

// DefaultDebounceOpts: a 2 s window, a card gone after 3 empty polls (300 ms at
// the default 10 Hz).
var DefaultDebounceOpts = DebounceOpts{Window: 2 * time.Second, LeaveAfter: 3}

// recentSlots is how many departed cards the debouncer remembers; two or three
// cards shuffled on the reader by one person stay one tap each.
const recentSlots = 4

// uidBuf holds a UID without allocating.
type uidBuf struct {
	b [MaxUIDLen]byte
	n uint8
}

func (u *uidBuf) set(id UID)          { u.n = uint8(copy(u.b[:], id)) }
func (u *uidBuf) equal(id UID) bool   { return u.n > 0 && string(u.b[:u.n]) == string(id) }
func (u *uidBuf) uid() UID            { return append(UID(nil), u.b[:u.n]...) }
func (u *uidBuf) clear()              { u.n = 0 }
func (u *uidBuf) empty() bool         { return u.n == 0 }
func (u *uidBuf) same(v *uidBuf) bool { return u.n == v.n && u.b == v.b }

type departure struct {
	id uidBuf
	at time.Time
}

// Debouncer turns raw sightings of cards into taps and departures. It is the
// one place every reader is debounced:
//
//   - a card held in the field is one tap;
//   - the same card again within Window after it was last in the field is ignored;
//   - a different card is a new tap at once;
//   - a tapped card that LeaveAfter polls in a row did not see, or that the
//     reader says has gone, yields EventLeft.
//
// A reader that cannot see a card leave (a keyboard-wedge) only reports
// sightings: a card not seen for Window counts as gone, silently.
//
// The zero value is not usable; use NewDebouncer. A Debouncer is not safe for
// concurrent use, and it does not allocate except to hand a UID out in an Event.
type Debouncer struct {
	opts DebounceOpts
	kind Kind

	held     uidBuf // the card in the field, if any
	heldType string
	tapped   bool // the held card's presentation was a tap (not ignored)
	lastSeen time.Time
	misses   int

	recent [recentSlots]departure
	next   int // ring index into recent
}

// NewDebouncer returns a debouncer for a reader of the given kind; nil opts
// means DefaultDebounceOpts.
func NewDebouncer(kind Kind, opts *DebounceOpts) *Debouncer {
	o := DefaultDebounceOpts
	if opts != nil {
		o = *opts
	}
	if o.Window <= 0 {
		o.Window = DefaultDebounceOpts.Window
	}
	if o.LeaveAfter < 1 {
		o.LeaveAfter = DefaultDebounceOpts.LeaveAfter
	}
	return &Debouncer{opts: o, kind: kind}
}

// ValidUID reports whether a reader's UID can be debounced: 1 to MaxUIDLen bytes.
func ValidUID(id UID) error {
	if len(id) == 0 || len(id) > MaxUIDLen {
		return fmt.Errorf("rfid: UID of %d bytes, want 1 to %d", len(id), MaxUIDLen)
	}
	return nil
}

// Seen records that the reader saw card c at now. It returns an EventTap when
// this is a new tap. c.UID must satisfy ValidUID (a longer one is cut).
func (d *Debouncer) Seen(c Card, now time.Time) (Event, bool) {
	if !d.held.empty() && d.held.equal(c.UID) {
		if d.elapsed(d.lastSeen, now) < d.opts.Window {
			d.lastSeen, d.misses = now, 0
			return Event{}, false
		}
		// Not seen for longer than the window: the card went unnoticed (a
		// wedge cannot tell) and this is a new presentation.
		d.depart(d.lastSeen)
	} else if !d.held.empty() {
		// Another card replaced it; the reader has no word on whether the first
		// one left, so no EventLeft, but it may not tap again within the window.
		d.depart(now)
	}
	d.held.set(c.UID)
	d.heldType = c.Type
	d.lastSeen, d.misses = now, 0
	if d.tapped = !d.recentlyGone(now); !d.tapped {
		return Event{}, false
	}
	return Event{Kind: EventTap, Tap: Tap{Card: Card{UID: d.held.uid(), Type: c.Type}, Kind: d.kind, At: now}}, true
}

// Missed records a poll at now that found the field empty. After LeaveAfter of
// them in a row it returns EventLeft for the held card.
func (d *Debouncer) Missed(now time.Time) (Event, bool) {
	if d.held.empty() {
		return Event{}, false
	}
	d.misses++
	if d.misses < d.opts.LeaveAfter {
		return Event{}, false
	}
	return d.Left(now)
}

// Left records that the reader knows the held card has gone at now (the
// simulator's "remove"). It returns EventLeft when the held card had been
// tapped; a presentation that was ignored leaves quietly, but its leaving
// restarts the window all the same.
func (d *Debouncer) Left(now time.Time) (Event, bool) {
	if d.held.empty() {
		return Event{}, false
	}
	tapped := d.tapped
	var ev Event
	if tapped {
		ev = Event{Kind: EventLeft, Tap: Tap{Card: Card{UID: d.held.uid(), Type: d.heldType}, Kind: d.kind, At: now}}
	}
	d.depart(now)
	return ev, tapped
}

// depart moves the held card to the recently departed ring.
func (d *Debouncer) depart(at time.Time) {
	for i := range d.recent {
		if d.recent[i].id.same(&d.held) {
			d.recent[i].id.clear()
		}
	}
	d.recent[d.next] = departure{id: d.held, at: at}
	d.next = (d.next + 1) % recentSlots
	d.held.clear()
	d.heldType = ""
	d.tapped = false
	d.misses = 0
}

// recentlyGone reports whether the held card left less than Window before now.
func (d *Debouncer) recentlyGone(now time.Time) bool {
	for i := range d.recent {
		r := &d.recent[i]
		if r.id.same(&d.held) && d.elapsed(r.at, now) < d.opts.Window {
			return true
		}
	}
	return false
}

// elapsed is now-then, except that a clock stepping backwards (NTP fixing a Pi
// that booted in 1970) counts as the window having passed: better one extra
// tap than a card locked out until the clock catches up.
func (d *Debouncer) elapsed(then, now time.Time) time.Duration {
	e := now.Sub(then)
	if e < 0 {
		return d.opts.Window
	}
	return e
}
