package kiosk

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/drivers/feedback"
	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

// DefaultRepeatWindow is how long after a station's answer the same card
// gets the same answer again instead of a new one: a volunteer who did not
// hear the beep taps again, and must not be checked out a minute after
// checking in.
const DefaultRepeatWindow = time.Minute

// Station is the headless service station (服务站点, `kiosk --headless`): a
// reader, a buzzer and LEDs, no screen. A volunteer's tap checks them out of
// their open shift, or else in to the station's activity; the buzzer and
// LEDs say whether it worked.
type Station struct {
	*desk
	fb   feedback.Player
	logf func(format string, args ...any)
	// activity is the configured activity, by name or id; "" the ledger's.
	activity string
	repeat   time.Duration
	onTap    func(TapAnswer)

	mu   sync.Mutex
	last StationResult
	// probes are Alive's questions to Run's loop, each answered by closing it.
	probes chan chan struct{}
}

// StationOptions configure a Station.
type StationOptions struct {
	Clock    clock.Clock
	Feedback feedback.Player // default feedback.Nop{}
	Logf     func(format string, args ...any)
	// Activity overrides the ledger's station activity: a name or an id.
	Activity string
	// RepeatWindow: default DefaultRepeatWindow; negative: none.
	RepeatWindow time.Duration
	// Retry is how a write that meets a busy database is tried again;
	// the zero value is DefaultRetry, as on the screen.
	Retry Retry
	// OnTap learns what the station did with each tap (the control
	// socket's `tap` answers with it); may be nil.
	OnTap func(TapAnswer)
	// Held holds taps while it says true (Options.Held).
	Held func() bool
}

// StationOutcome is what a tap did.
type StationOutcome uint8

// Station outcomes.
const (
	CheckedIn  StationOutcome = iota + 1 // a shift opened
	CheckedOut                           // the open shift closed and was credited
	Repeated                             // the same card again within the repeat window: same answer, nothing written
	Refused                              // unknown, lost, revoked or staff card; a check-in the ledger refused
	Faulted                              // the ledger cannot be used: a technician is needed
)

func (o StationOutcome) String() string {
	switch o {
	case CheckedIn:
		return "checked in"
	case CheckedOut:
		return "checked out"
	case Repeated:
		return "repeated"
	case Refused:
		return "refused"
	case Faulted:
		return "needs a technician"
	}
	return "StationOutcome(" + strconv.Itoa(int(o)) + ")"
}

// StationResult is one tap's outcome.
type StationResult struct {
	Outcome StationOutcome
	Card    record.CardUID
	// Member is the person's member number; Masked their name as the honour
	// roll shows it (王*): a log is read by more people than the ledger.
	Member string
	Masked string
	Shift  ledger.Shift
	Credit record.Credit // for CheckedOut
	Err    error         // why it was refused or faulted
	At     time.Time
	// Pattern is what the buzzer and LEDs played.
	Pattern feedback.Pattern
	// Activity is the name of the activity checked in to or out of.
	Activity string
}

func (r StationResult) String() string {
	s := fmt.Sprintf("%s card %s", r.Outcome, r.Card)
	if r.Member != "" {
		s += " member " + r.Member + " (" + r.Masked + ")"
	}
	switch r.Outcome {
	case CheckedOut:
		s += fmt.Sprintf(": %d min, %d points", r.Credit.Minutes, r.Credit.Points)
		switch {
		case r.Credit.Flag != record.FlagNone:
			s += " (flagged for staff: " + string(r.Credit.Flag) + ")"
		case r.Credit.BelowMinimum:
			s += " (below the activity's minimum)"
		case r.Credit.Capped:
			s += " (daily cap)"
		}
	case Refused, Faulted:
		s += ": " + r.Err.Error()
	}
	return s
}

// NewStation returns a station on the ledger l; a nil l with ledErr set is a
// station that only signals for a technician.
func NewStation(l *ledger.Ledger, ledErr error, opts StationOptions) *Station {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Feedback == nil {
		opts.Feedback = feedback.Nop{}
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if opts.RepeatWindow == 0 {
		opts.RepeatWindow = DefaultRepeatWindow
	}
	if l == nil && ledErr == nil {
		ledErr = fmt.Errorf("station: no ledger: %w", ledger.ErrNoLedger)
	}
	d := newDesk(l, opts.Clock, opts.Retry, ledErr)
	d.held = opts.Held
	return &Station{desk: d, fb: opts.Feedback, logf: opts.Logf,
		activity: opts.Activity, repeat: opts.RepeatWindow, onTap: opts.OnTap, probes: make(chan chan struct{})}
}

// Alive asks Run's loop to answer, and waits for it until ctx ends: nil
// when the loop serves taps, an error when it is stuck (a tap that never
// returns) or not running. The watchdog asks it.
func (s *Station) Alive(ctx context.Context) error {
	answer := make(chan struct{})
	select {
	case s.probes <- answer:
	case <-ctx.Done():
		return fmt.Errorf("station: the loop does not answer: %w", ctx.Err())
	}
	select {
	case <-answer:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("station: the loop does not answer: %w", ctx.Err())
	}
}

// Run answers every tap from events until ctx ends or events is closed.
// A station that cannot use its ledger blinks for attention at start.
func (s *Station) Run(ctx context.Context, events <-chan rfid.Event) error {
	if err := s.Broken(); err != nil {
		s.fb.Play(feedback.Attention)
	} else if a, err := s.Activity(ctx); err != nil {
		s.logf("station: %v", err)
		s.fb.Play(feedback.Attention)
	} else {
		s.logf("station: checking volunteers in and out of %q (activity %d)", a.Name, a.ID)
	}
	// The ledger's full check, in the background after the start or at
	// night: a failure stops the station as a corrupt file found at start
	// does, and it blinks for attention now.
	var faulted <-chan struct{}
	if s.led != nil {
		faulted = s.led.Faulted()
	}
	for {
		select {
		case <-faulted:
			faulted = nil
			if err := s.Broken(); err != nil {
				s.logf("station: the ledger's full check failed, a technician is needed: %v", err)
				s.fb.Play(feedback.Attention)
			}
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				return nil
			}
			if ev.Kind == rfid.EventTap {
				s.Tap(ctx, ev.Tap)
			}
		case answer := <-s.probes:
			close(answer)
		}
	}
}

// Fault returns the error that stopped the station writing, if any.
func (s *Station) Fault() error { return s.Broken() }

// Last returns the last tap's result.
func (s *Station) Last() StationResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// Activity is the activity the station checks volunteers in to: the
// configured one (a name or an id), else the one the ledger names.
func (s *Station) Activity(ctx context.Context) (ledger.Activity, error) {
	if s.activity == "" {
		a, err := s.led.StationActivity(ctx)
		if errors.Is(err, ledger.ErrNotFound) {
			return a, fmt.Errorf("no station activity: set `station` in the configuration (%w)", err)
		}
		return a, err
	}
	acts, err := s.led.Activities(ctx)
	if err != nil {
		return ledger.Activity{}, fmt.Errorf("station activity: %w", err)
	}
	id, _ := strconv.ParseInt(s.activity, 10, 64)
	for _, a := range acts {
		if a.Name == s.activity || (id != 0 && a.ID == record.ActivityID(id)) {
			return a, nil
		}
	}
	return ledger.Activity{}, fmt.Errorf("station activity %q: no such activity at this center: %w", s.activity, ledger.ErrNotFound)
}

// Tap answers one tap: it writes to the ledger, plays the pattern and logs a
// line. It is called from one goroutine (Run); Fault and Last may be read
// from others.
func (s *Station) Tap(ctx context.Context, tap rfid.Tap) StationResult {
	r := s.answer(ctx, tap)
	r.At = tap.At
	switch r.Outcome {
	case CheckedIn, CheckedOut:
		r.Pattern = feedback.Success
		if r.Credit.Flag != record.FlagNone {
			r.Pattern = feedback.Refusal // closed without credit: staff must look
		}
	case Repeated:
		r.Pattern = s.Last().Pattern
	case Refused:
		r.Pattern = feedback.Refusal
	case Faulted:
		r.Pattern = feedback.Attention
	}
	s.fb.Play(r.Pattern)
	s.logf("station: %s", r)
	if s.onTap != nil {
		s.onTap(TapAnswer{Card: r.Card, Text: s.describe(r)})
	}
	s.mu.Lock()
	if r.Outcome != Repeated {
		s.last = r
	}
	s.mu.Unlock()
	return r
}

func (s *Station) answer(ctx context.Context, tap rfid.Tap) StationResult {
	r := StationResult{Card: record.CardUID(tap.UID.Hex())}
	if err := s.Broken(); err != nil {
		r.Outcome, r.Err = Faulted, err
		return r
	}
	if s.Held() {
		r.Outcome, r.Err = Refused, ErrUpdating
		return r
	}
	uid, err := CardOf(tap.UID)
	if err != nil {
		return s.refuse(r, err)
	}
	r.Card = uid
	if last := s.Last(); s.repeat > 0 && last.Card == uid && (last.Outcome == CheckedIn || last.Outcome == CheckedOut) &&
		tap.At.Sub(last.At) >= 0 && tap.At.Sub(last.At) < s.repeat {
		r.Outcome, r.Member, r.Masked, r.Shift, r.Credit, r.Activity = Repeated, last.Member, last.Masked, last.Shift, last.Credit, last.Activity
		return r
	}
	info, err := s.led.LookupCard(ctx, uid)
	if info.Person != nil {
		r.Member, r.Masked = info.Person.MemberNo, MaskName(info.Person.Name)
		if info.Person.Provisional {
			r.Masked = "walk-in, no name yet" // the log is English; a walk-in has no name to mask
		}
	}
	switch {
	case err != nil:
		return s.refuse(r, err)
	case info.Staff != nil:
		return s.refuse(r, errStaffCard)
	case info.OpenShift != nil:
		var res ledger.CheckOutResult
		req := ledger.CheckOut{ID: record.NewEntryID(), Card: uid}
		err := s.write(ctx, func() (err error) { res, err = s.led.CheckOut(ctx, req); return err })
		if err != nil {
			return s.refuse(r, err)
		}
		r.Outcome, r.Shift, r.Credit = CheckedOut, res.Shift, res.Credit
		r.Activity = s.activityName(ctx, res.Shift.Activity)
		return r
	}
	act, err := s.Activity(ctx)
	if err != nil {
		return s.refuse(r, err)
	}
	var sh ledger.Shift
	req := ledger.CheckIn{ID: record.NewEntryID(), Card: uid, Activity: act.ID}
	err = s.write(ctx, func() (err error) { sh, err = s.led.CheckIn(ctx, req); return err })
	if err != nil {
		return s.refuse(r, err)
	}
	r.Outcome, r.Shift, r.Activity = CheckedIn, sh, act.Name
	return r
}

// activityName names an activity by its id; "" when it cannot.
func (s *Station) activityName(ctx context.Context, id record.ActivityID) string {
	acts, err := s.led.Activities(ctx)
	if err != nil {
		return ""
	}
	for _, a := range acts {
		if a.ID == id {
			return a.Name
		}
	}
	return ""
}

// refuse makes r a refusal when err is an answer about the card or the
// activity, and a fault otherwise (Classify): a volunteer is not told their
// card is refused when the terminal is what failed. A broken ledger stops
// all writing (the desk keeps it); a full disk or an unknown error is tried
// again at the next tap.
func (s *Station) refuse(r StationResult, err error) StationResult {
	s.note(err)
	r.Outcome, r.Err = Refused, err
	switch Classify(err) {
	case TroubleRefused, TroubleBusy:
	default:
		r.Outcome = Faulted
	}
	return r
}
