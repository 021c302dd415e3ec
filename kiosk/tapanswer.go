package kiosk

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/assets"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

// TapAnswer is what a terminal did with one tap, in one line of plain
// words for a technician: the control socket's `tap` answers with it
// (kioskctl tap). Names are masked, as in the station's log.
type TapAnswer struct {
	Card record.CardUID
	Text string
}

// The screen's answer to a tap: what it shows once the tap's ledger work is
// done. A Terminal reports it through Options.OnTap.

// tapAnswered reports the answer to the tap being waited for, if any, once
// no ledger work is left for it.
func (t *Terminal) tapAnswered() {
	if !t.tapWaiting || t.pending > 0 {
		return
	}
	t.tapWaiting = false
	if t.opts.OnTap != nil {
		t.opts.OnTap(TapAnswer{Card: t.tapCard, Text: describeScreen(t.view, t.loc())})
	}
}

// describeScreen says what the screen shows after a tap.
func describeScreen(v View, loc *time.Location) string {
	switch v.Scene {
	case SceneTechnician:
		return "needs a technician: the screen shows fault code " + v.Fault
	case ScenePerson:
		p := v.Person
		s := fmt.Sprintf("showing %s: %d points, %s of service", tapPerson(p.Name, p.Provisional), p.Points, time.Duration(p.Minutes)*time.Minute)
		if p.OpenShift != nil {
			return s + fmt.Sprintf("; checked in at %s since %s (签退 checks out)", p.OpenShift.Activity, p.OpenShift.Since.In(loc).Format("15:04"))
		}
		return s + "; not checked in (签到 checks in)"
	case ScenePIN:
		return "a staff card (" + MaskName(v.Staff.Name) + "): the screen asks for the PIN"
	case SceneNotice:
		what := "refused"
		if v.Tone == ToneAttention {
			what = "needs a technician"
		}
		parts := []string{textWords(v.Title)}
		for _, l := range v.Lines {
			parts = append(parts, textWords(l))
		}
		return what + ": " + strings.Join(parts, "; ")
	case SceneStaffReader:
		return "read on the reader test: " + v.Staff.LastUID
	}
	s := "the screen shows " + v.Scene.String()
	if v.Title.Key != "" {
		s += ": " + textWords(v.Title)
	}
	return s
}

// personWords is a person as an answer names them: masked, or a walk-in.
func tapPerson(name string, provisional bool) string {
	if provisional {
		return "a walk-in with no name yet"
	}
	return MaskName(name)
}

// textWords is a catalog text in English, then the screen's Chinese.
func textWords(t Text) string {
	c := assets.Strings()
	args := make([]any, len(t.Args))
	for i, a := range t.Args {
		switch a := a.(type) {
		case Text:
			args[i] = textWords(a)
		case Minutes:
			args[i] = time.Duration(a) * time.Minute
		default:
			args[i] = a
		}
	}
	en, zh := c.Format(assets.English, t.Key, args...), c.Format(assets.Chinese, t.Key, args...)
	if en == zh {
		return en
	}
	return en + " (" + zh + ")"
}

// The station's answer to a tap, from its result.

// describe says what the station did with a tap.
func (s *Station) describe(r StationResult) string {
	who := r.Masked
	if r.Member != "" {
		who += " (" + r.Member + ")"
	}
	at := r.At.In(s.location()).Format("15:04")
	switch r.Outcome {
	case CheckedIn:
		return fmt.Sprintf("checked in: %s at %s, %s", who, r.Activity, at)
	case CheckedOut:
		d := r.Shift.ClosedAt.Sub(r.Shift.OpenedAt).Round(time.Minute)
		line := fmt.Sprintf("checked out: %s from %s after %s: %d minutes, %d points", who, r.Activity, d, r.Credit.Minutes, r.Credit.Points)
		switch {
		case r.Credit.Flag != record.FlagNone:
			line += " (flagged for staff: " + string(r.Credit.Flag) + "; nothing credited)"
		case r.Credit.BelowMinimum:
			line += " (shorter than the activity's minimum: nothing credited)"
		case r.Credit.Capped:
			line += " (the daily cap was reached)"
		}
		return line
	case Repeated:
		last := s.Last()
		return fmt.Sprintf("ignored as a repeat: %s was %s at %s, less than %s ago; the same answer, nothing written",
			who, last.Outcome, last.At.In(s.location()).Format("15:04:05"), s.repeat)
	case Refused:
		return "refused: " + refusalWords(r.Err)
	case Faulted:
		return fmt.Sprintf("needs a technician (%s): %v", FaultCode(r.Err), r.Err)
	}
	return r.String()
}

// location is the center's time zone, for the station's answers.
func (s *Station) location() *time.Location {
	if s.led != nil {
		return s.led.Location()
	}
	return time.UTC
}

// refusalWords says why a card or a check-in was refused.
func refusalWords(err error) string {
	for _, w := range []struct {
		err   error
		words string
	}{
		{ledger.ErrUnknownCard, "the card is not registered"},
		{ledger.ErrCardLost, "the card was reported lost"},
		{ledger.ErrCardRevoked, "the card was revoked"},
		{ledger.ErrBadUID, "not a card's UID (a bad read)"},
		{errStaffCard, "a staff card: staff use the screen, not a station"},
		{ledger.ErrNotInWindow, "the activity does not take check-ins now"},
		{ledger.ErrBusy, "the ledger was busy: tap again"},
		{ErrUpdating, "an update is being checked (on probation): nothing written, tap again once it is committed"},
	} {
		if errors.Is(err, w.err) {
			if err.Error() == w.words {
				return w.words
			}
			return w.words + " (" + err.Error() + ")"
		}
	}
	return err.Error()
}
