package record

import (
	"fmt"
	"time"
)

// Schedule is when an activity runs: on the given weekdays (every day when
// empty), from Start to End ("HH:MM", the center's time zone), optionally
// only between two dates ("2006-01-02", inclusive).
type Schedule struct {
	Weekdays []time.Weekday `json:"weekdays,omitempty"`
	Start    string         `json:"start,omitempty"`
	End      string         `json:"end,omitempty"`
	From     string         `json:"from,omitempty"`
	Until    string         `json:"until,omitempty"`
}

// ForgottenPolicy says what the end-of-day sweep does with a shift nobody
// closed.
type ForgottenPolicy string

// Forgotten-shift policies.
const (
	// CloseAtEnd closes the shift at the activity's scheduled end that day and
	// credits it by the rules; when there is no scheduled end it flags.
	CloseAtEnd ForgottenPolicy = "close-at-end"
	// FlagForStaff leaves the shift for staff to resolve (the default).
	FlagForStaff ForgottenPolicy = "flag"
)

// Rules are an activity's crediting rules, held in data.
type Rules struct {
	// PointsPerHour by volunteer kind (红马甲 and 绿马甲 may differ); a kind
	// not listed earns minutes but no points.
	PointsPerHour map[VolunteerKind]int64 `json:"points_per_hour"`
	// RoundMinutes rounds credited minutes down to a multiple (15: a shift of
	// 1h44 credits 1h30). 0 or 1: no rounding.
	RoundMinutes int64 `json:"round_minutes,omitempty"`
	// MinMinutes: a shorter shift credits nothing.
	MinMinutes int64 `json:"min_minutes,omitempty"`
	// MaxMinutes: a longer shift is absurd (a forgotten check-out, a clock
	// jump) and is flagged for staff instead of credited. 0 means 24 hours.
	MaxMinutes int64 `json:"max_minutes,omitempty"`
	// DailyCapMinutes caps what one person is credited at this activity per
	// day; 0: no cap.
	DailyCapMinutes int64 `json:"daily_cap_minutes,omitempty"`
	// AnyTime accepts check-ins whenever (demo, drop-in stations).
	AnyTime bool `json:"any_time,omitempty"`
	// EarlyMinutes opens check-in this long before the scheduled start.
	EarlyMinutes int64 `json:"early_minutes,omitempty"`
	// LateMinutes closes check-in this long after the start; 0: at the end.
	LateMinutes int64 `json:"late_minutes,omitempty"`
	// Forgotten is the sweep's policy; "" means FlagForStaff.
	Forgotten ForgottenPolicy `json:"forgotten,omitempty"`
}

// DefaultMaxMinutes is the longest shift when the rules set no maximum: no
// shift is longer than a day.
const DefaultMaxMinutes = 24 * 60

func (r Rules) maxMinutes() int64 {
	if r.MaxMinutes <= 0 {
		return DefaultMaxMinutes
	}
	return r.MaxMinutes
}

// FlagReason says why a shift needs staff; "" when it does not.
type FlagReason string

// Flag reasons.
const (
	FlagNone         FlagReason = ""
	FlagNegative     FlagReason = "duration-negative" // check-out earlier than check-in: the clock went back
	FlagOverMax      FlagReason = "duration-over-max" // longer than the activity's maximum
	FlagForgotten    FlagReason = "forgotten"         // nobody checked out; closed or flagged by the sweep
	FlagNoScheduleTo FlagReason = "no-scheduled-end"  // forgotten, and no scheduled end to close at
)

// Err is the error a flag stands for: ErrDurationAbsurd for the durations,
// nil otherwise.
func (f FlagReason) Err() error {
	switch f {
	case FlagNegative, FlagOverMax:
		return ErrDurationAbsurd
	}
	return nil
}

// Credit is what a shift earns.
type Credit struct {
	Minutes      int64
	Points       int64
	BelowMinimum bool       // shorter than MinMinutes: nothing credited
	Capped       bool       // the daily cap cut it
	Flag         FlagReason // absurd: nothing credited, staff decide
}

// Credit computes what a shift of duration d earns a person of the given
// kind who was already credited creditedToday minutes at this activity today.
// Negative and over-long durations are flagged, never credited.
func (r Rules) Credit(kind VolunteerKind, d time.Duration, creditedToday int64) Credit {
	if d < 0 {
		return Credit{Flag: FlagNegative}
	}
	m := int64(d / time.Minute)
	if m > r.maxMinutes() {
		return Credit{Flag: FlagOverMax}
	}
	if m < r.MinMinutes {
		return Credit{BelowMinimum: true}
	}
	if r.RoundMinutes > 1 {
		m -= m % r.RoundMinutes
	}
	var c Credit
	if r.DailyCapMinutes > 0 {
		left := max(r.DailyCapMinutes-creditedToday, 0)
		if m > left {
			m, c.Capped = left, true
		}
	}
	c.Minutes = m
	c.Points = m * r.PointsPerHour[kind] / 60
	return c
}

// Validate refuses rules that cannot be applied: a negative rate or number of
// minutes, a rate for an unknown kind, a minimum above the maximum, an
// unknown forgotten-shift policy. The error wraps ErrInvalid.
func (r Rules) Validate() error {
	for k, v := range r.PointsPerHour {
		if !k.Valid() || v < 0 {
			return fmt.Errorf("rules: points per hour %v=%d: %w", k, v, ErrInvalid)
		}
	}
	if r.RoundMinutes < 0 || r.MinMinutes < 0 || r.MaxMinutes < 0 || r.DailyCapMinutes < 0 || r.EarlyMinutes < 0 || r.LateMinutes < 0 {
		return fmt.Errorf("rules: negative minutes: %w", ErrInvalid)
	}
	if r.MinMinutes > r.maxMinutes() {
		return fmt.Errorf("rules: minimum %d above maximum %d: %w", r.MinMinutes, r.maxMinutes(), ErrInvalid)
	}
	switch r.Forgotten {
	case "", CloseAtEnd, FlagForStaff:
	default:
		return fmt.Errorf("rules: forgotten-shift policy %q: %w", r.Forgotten, ErrInvalid)
	}
	return nil
}

func parseHHMM(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("schedule time %q: %w", s, ErrInvalid)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// Validate refuses a schedule that cannot be read: a start without an end
// or the reverse, an end not after the start, a malformed time, date or
// weekday. The error wraps ErrInvalid.
func (s Schedule) Validate() error {
	if (s.Start == "") != (s.End == "") {
		return fmt.Errorf("schedule: start and end go together: %w", ErrInvalid)
	}
	if s.Start != "" {
		a, err := parseHHMM(s.Start)
		if err != nil {
			return err
		}
		b, err := parseHHMM(s.End)
		if err != nil {
			return err
		}
		if b <= a {
			return fmt.Errorf("schedule: end %s not after start %s: %w", s.End, s.Start, ErrInvalid)
		}
	}
	for _, d := range []string{s.From, s.Until} {
		if d != "" {
			if _, err := time.Parse(time.DateOnly, d); err != nil {
				return fmt.Errorf("schedule: date %q: %w", d, ErrInvalid)
			}
		}
	}
	for _, w := range s.Weekdays {
		if w < time.Sunday || w > time.Saturday {
			return fmt.Errorf("schedule: weekday %d: %w", w, ErrInvalid)
		}
	}
	return nil
}

// RunsOn reports whether the schedule runs on the day of t, in t's location.
func (s Schedule) RunsOn(t time.Time) bool {
	day := t.Format(time.DateOnly)
	if (s.From != "" && day < s.From) || (s.Until != "" && day > s.Until) {
		return false
	}
	if len(s.Weekdays) == 0 {
		return true
	}
	for _, w := range s.Weekdays {
		if w == t.Weekday() {
			return true
		}
	}
	return false
}

// Times returns the scheduled start and end on the day of t, in t's
// location; ok is false when the schedule has no times or does not run that
// day.
func (s Schedule) Times(t time.Time) (start, end time.Time, ok bool) {
	if s.Start == "" || !s.RunsOn(t) {
		return start, end, false
	}
	a, err1 := parseHHMM(s.Start)
	b, err2 := parseHHMM(s.End)
	if err1 != nil || err2 != nil {
		return start, end, false
	}
	midnight := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
	return midnight.Add(a), midnight.Add(b), true
}

// AcceptsCheckIn reports whether an activity with schedule s and rules r
// takes a check-in at t (any location; the day and the times are read in
// loc, the center's time zone): with AnyTime on any day the schedule runs,
// else from EarlyMinutes before the start until the end, or until
// LateMinutes after the start when that is set.
func AcceptsCheckIn(s Schedule, r Rules, t time.Time, loc *time.Location) bool {
	t = t.In(loc)
	if r.AnyTime {
		return s.RunsOn(t)
	}
	start, end, ok := s.Times(t)
	if !ok {
		return false
	}
	open := start.Add(-time.Duration(r.EarlyMinutes) * time.Minute)
	closeAt := end
	if r.LateMinutes > 0 {
		closeAt = start.Add(time.Duration(r.LateMinutes) * time.Minute)
	}
	return !t.Before(open) && t.Before(closeAt)
}
