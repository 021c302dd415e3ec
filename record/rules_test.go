package record_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/record"
)

func TestRulesCredit(t *testing.T) {
	rates := map[record.VolunteerKind]int64{record.RedVest: 12, record.GreenVest: 10}
	for _, tc := range []struct {
		name  string
		rules record.Rules
		kind  record.VolunteerKind
		d     time.Duration
		today int64
		want  record.Credit
	}{
		{"plain hour red", record.Rules{PointsPerHour: rates}, record.RedVest, time.Hour, 0, record.Credit{Minutes: 60, Points: 12}},
		{"green rate differs", record.Rules{PointsPerHour: rates}, record.GreenVest, time.Hour, 0, record.Credit{Minutes: 60, Points: 10}},
		{"kind without rate earns minutes only", record.Rules{PointsPerHour: rates}, record.Resident, time.Hour, 0, record.Credit{Minutes: 60}},
		{"seconds dropped", record.Rules{PointsPerHour: rates}, record.RedVest, 59*time.Minute + 59*time.Second, 0, record.Credit{Minutes: 59, Points: 11}},
		{"round down to 15", record.Rules{PointsPerHour: rates, RoundMinutes: 15}, record.RedVest, 104 * time.Minute, 0, record.Credit{Minutes: 90, Points: 18}},
		{"exact multiple kept", record.Rules{PointsPerHour: rates, RoundMinutes: 15}, record.RedVest, 45 * time.Minute, 0, record.Credit{Minutes: 45, Points: 9}},
		{"below minimum", record.Rules{PointsPerHour: rates, MinMinutes: 30}, record.RedVest, 29 * time.Minute, 0, record.Credit{BelowMinimum: true}},
		{"at minimum", record.Rules{PointsPerHour: rates, MinMinutes: 30}, record.RedVest, 30 * time.Minute, 0, record.Credit{Minutes: 30, Points: 6}},
		{"at maximum", record.Rules{PointsPerHour: rates, MaxMinutes: 240}, record.RedVest, 4 * time.Hour, 0, record.Credit{Minutes: 240, Points: 48}},
		{"over maximum flagged", record.Rules{PointsPerHour: rates, MaxMinutes: 240}, record.RedVest, 4*time.Hour + time.Minute, 0, record.Credit{Flag: record.FlagOverMax}},
		{"default maximum a day", record.Rules{PointsPerHour: rates}, record.RedVest, 25 * time.Hour, 0, record.Credit{Flag: record.FlagOverMax}},
		{"negative flagged", record.Rules{PointsPerHour: rates}, record.RedVest, -time.Minute, 0, record.Credit{Flag: record.FlagNegative}},
		{"zero duration", record.Rules{PointsPerHour: rates}, record.RedVest, 0, 0, record.Credit{}},
		{"daily cap cuts", record.Rules{PointsPerHour: rates, DailyCapMinutes: 120}, record.RedVest, 90 * time.Minute, 60, record.Credit{Minutes: 60, Points: 12, Capped: true}},
		{"daily cap used up", record.Rules{PointsPerHour: rates, DailyCapMinutes: 120}, record.RedVest, time.Hour, 150, record.Credit{Capped: true}},
		{"daily cap not reached", record.Rules{PointsPerHour: rates, DailyCapMinutes: 120}, record.RedVest, time.Hour, 30, record.Credit{Minutes: 60, Points: 12}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.rules.Credit(tc.kind, tc.d, tc.today)
			if got != tc.want {
				t.Fatalf("Credit = %+v, want %+v", got, tc.want)
			}
			if (got.Flag != record.FlagNone) != errors.Is(got.Flag.Err(), record.ErrDurationAbsurd) {
				t.Fatalf("flag %q: Err() = %v", got.Flag, got.Flag.Err())
			}
		})
	}
}

func TestAcceptsCheckIn(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	at := func(day, hhmm string) time.Time {
		ts, err := time.ParseInLocation("2006-01-02 15:04", day+" "+hhmm, cst)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	tuesday := record.Schedule{Weekdays: []time.Weekday{time.Tuesday}, Start: "09:00", End: "11:00"}
	for _, tc := range []struct {
		name string
		s    record.Schedule
		r    record.Rules
		now  time.Time
		want bool
	}{
		{"inside", tuesday, record.Rules{}, at("2026-03-03", "09:30"), true},
		{"before start", tuesday, record.Rules{}, at("2026-03-03", "08:59"), false},
		{"early window", tuesday, record.Rules{EarlyMinutes: 15}, at("2026-03-03", "08:45"), true},
		{"before early window", tuesday, record.Rules{EarlyMinutes: 15}, at("2026-03-03", "08:44"), false},
		{"at end closed", tuesday, record.Rules{}, at("2026-03-03", "11:00"), false},
		{"late window closes", tuesday, record.Rules{LateMinutes: 30}, at("2026-03-03", "09:30"), false},
		{"late window open", tuesday, record.Rules{LateMinutes: 30}, at("2026-03-03", "09:29"), true},
		{"wrong weekday", tuesday, record.Rules{}, at("2026-03-04", "09:30"), false},
		{"any time", record.Schedule{}, record.Rules{AnyTime: true}, at("2026-03-04", "03:00"), true},
		{"any time before from date", record.Schedule{From: "2026-04-01"}, record.Rules{AnyTime: true}, at("2026-03-04", "10:00"), false},
		{"until date inclusive", record.Schedule{Start: "09:00", End: "11:00", Until: "2026-03-03"}, record.Rules{}, at("2026-03-03", "10:00"), true},
		{"after until", record.Schedule{Start: "09:00", End: "11:00", Until: "2026-03-03"}, record.Rules{}, at("2026-03-04", "10:00"), false},
		{"no times, not any time", record.Schedule{}, record.Rules{}, at("2026-03-03", "10:00"), false},
		{"UTC input converted", tuesday, record.Rules{}, at("2026-03-03", "09:30").UTC(), true},
		// 01:30 UTC on Tuesday is 09:30 CST: the day is read in loc, not in t's zone.
		{"day read in loc", tuesday, record.Rules{}, time.Date(2026, 3, 3, 1, 30, 0, 0, time.UTC), true},
		{"previous day in UTC", tuesday, record.Rules{}, time.Date(2026, 3, 2, 17, 30, 0, 0, time.UTC), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := record.AcceptsCheckIn(tc.s, tc.r, tc.now, cst); got != tc.want {
				t.Fatalf("AcceptsCheckIn(%v) = %v, want %v", tc.now, got, tc.want)
			}
		})
	}
}

func TestScheduleTimes(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	s := record.Schedule{Weekdays: []time.Weekday{time.Monday}, Start: "09:00", End: "11:30"}
	start, end, ok := s.Times(time.Date(2026, 3, 2, 15, 0, 0, 0, cst))
	if !ok || !start.Equal(time.Date(2026, 3, 2, 9, 0, 0, 0, cst)) || !end.Equal(time.Date(2026, 3, 2, 11, 30, 0, 0, cst)) {
		t.Fatalf("Times(Monday) = %v, %v, %v", start, end, ok)
	}
	if _, _, ok := s.Times(time.Date(2026, 3, 3, 10, 0, 0, 0, cst)); ok {
		t.Fatal("Times(Tuesday) ok for a Monday schedule")
	}
	if _, _, ok := (record.Schedule{}).Times(time.Date(2026, 3, 2, 10, 0, 0, 0, cst)); ok {
		t.Fatal("Times ok for a schedule without times")
	}
}

func TestValidateRejectsBadRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    record.Schedule
		r    record.Rules
	}{
		{"negative rate", record.Schedule{}, record.Rules{PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: -1}}},
		{"unknown kind", record.Schedule{}, record.Rules{PointsPerHour: map[record.VolunteerKind]int64{9: 1}}},
		{"min over max", record.Schedule{}, record.Rules{MinMinutes: 100, MaxMinutes: 50}},
		{"min over the default max", record.Schedule{}, record.Rules{MinMinutes: record.DefaultMaxMinutes + 1}},
		{"end before start", record.Schedule{Start: "11:00", End: "09:00"}, record.Rules{}},
		{"start without end", record.Schedule{Start: "11:00"}, record.Rules{}},
		{"bad time", record.Schedule{Start: "25:00", End: "26:00"}, record.Rules{}},
		{"bad date", record.Schedule{From: "2026-13-01"}, record.Rules{}},
		{"bad weekday", record.Schedule{Weekdays: []time.Weekday{7}}, record.Rules{}},
		{"bad policy", record.Schedule{}, record.Rules{Forgotten: "ignore"}},
		{"negative round", record.Schedule{}, record.Rules{RoundMinutes: -15}},
		{"negative late", record.Schedule{}, record.Rules{LateMinutes: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := errors.Join(tc.s.Validate(), tc.r.Validate())
			if !errors.Is(err, record.ErrInvalid) {
				t.Fatalf("Validate = %v, want ErrInvalid", err)
			}
		})
	}
	good := record.Schedule{Weekdays: []time.Weekday{time.Monday, time.Saturday}, Start: "09:00", End: "11:30", From: "2026-01-01", Until: "2026-12-31"}
	rules := record.Rules{PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 12, record.Resident: 0}, RoundMinutes: 15,
		MinMinutes: 30, MaxMinutes: 240, DailyCapMinutes: 180, EarlyMinutes: 15, LateMinutes: 30, Forgotten: record.CloseAtEnd}
	if err := errors.Join(good.Validate(), rules.Validate()); err != nil {
		t.Fatalf("Validate of good rules: %v", err)
	}
}

func TestVolunteerKindText(t *testing.T) {
	for _, k := range []record.VolunteerKind{record.RedVest, record.GreenVest, record.InService, record.Resident} {
		b, err := k.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back record.VolunteerKind
		if err := back.UnmarshalText(b); err != nil || back != k {
			t.Fatalf("%v: UnmarshalText(%q) = %v, %v", k, b, back, err)
		}
	}
	if _, err := record.VolunteerKind(9).MarshalText(); !errors.Is(err, record.ErrInvalid) {
		t.Fatalf("MarshalText(9) = %v, want ErrInvalid", err)
	}
	var k record.VolunteerKind
	if err := k.UnmarshalText([]byte("blue-vest")); !errors.Is(err, record.ErrInvalid) {
		t.Fatalf("UnmarshalText(blue-vest) = %v, want ErrInvalid", err)
	}
}
