package ledger_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
)

func TestRulesCredit(t *testing.T) {
	rates := map[ledger.VolunteerKind]int64{ledger.RedVest: 12, ledger.GreenVest: 10}
	for _, tc := range []struct {
		name  string
		rules ledger.Rules
		kind  ledger.VolunteerKind
		d     time.Duration
		today int64
		want  ledger.Credit
	}{
		{"plain hour red", ledger.Rules{PointsPerHour: rates}, ledger.RedVest, time.Hour, 0, ledger.Credit{Minutes: 60, Points: 12}},
		{"green rate differs", ledger.Rules{PointsPerHour: rates}, ledger.GreenVest, time.Hour, 0, ledger.Credit{Minutes: 60, Points: 10}},
		{"kind without rate earns minutes only", ledger.Rules{PointsPerHour: rates}, ledger.Resident, time.Hour, 0, ledger.Credit{Minutes: 60}},
		{"seconds dropped", ledger.Rules{PointsPerHour: rates}, ledger.RedVest, 59*time.Minute + 59*time.Second, 0, ledger.Credit{Minutes: 59, Points: 11}},
		{"round down to 15", ledger.Rules{PointsPerHour: rates, RoundMinutes: 15}, ledger.RedVest, 104 * time.Minute, 0, ledger.Credit{Minutes: 90, Points: 18}},
		{"exact multiple kept", ledger.Rules{PointsPerHour: rates, RoundMinutes: 15}, ledger.RedVest, 45 * time.Minute, 0, ledger.Credit{Minutes: 45, Points: 9}},
		{"below minimum", ledger.Rules{PointsPerHour: rates, MinMinutes: 30}, ledger.RedVest, 29 * time.Minute, 0, ledger.Credit{BelowMinimum: true}},
		{"at minimum", ledger.Rules{PointsPerHour: rates, MinMinutes: 30}, ledger.RedVest, 30 * time.Minute, 0, ledger.Credit{Minutes: 30, Points: 6}},
		{"at maximum", ledger.Rules{PointsPerHour: rates, MaxMinutes: 240}, ledger.RedVest, 4 * time.Hour, 0, ledger.Credit{Minutes: 240, Points: 48}},
		{"over maximum flagged", ledger.Rules{PointsPerHour: rates, MaxMinutes: 240}, ledger.RedVest, 4*time.Hour + time.Minute, 0, ledger.Credit{Flag: ledger.FlagOverMax}},
		{"default maximum a day", ledger.Rules{PointsPerHour: rates}, ledger.RedVest, 25 * time.Hour, 0, ledger.Credit{Flag: ledger.FlagOverMax}},
		{"negative flagged", ledger.Rules{PointsPerHour: rates}, ledger.RedVest, -time.Minute, 0, ledger.Credit{Flag: ledger.FlagNegative}},
		{"zero duration", ledger.Rules{PointsPerHour: rates}, ledger.RedVest, 0, 0, ledger.Credit{}},
		{"daily cap cuts", ledger.Rules{PointsPerHour: rates, DailyCapMinutes: 120}, ledger.RedVest, 90 * time.Minute, 60, ledger.Credit{Minutes: 60, Points: 12, Capped: true}},
		{"daily cap used up", ledger.Rules{PointsPerHour: rates, DailyCapMinutes: 120}, ledger.RedVest, time.Hour, 150, ledger.Credit{Capped: true}},
		{"daily cap not reached", ledger.Rules{PointsPerHour: rates, DailyCapMinutes: 120}, ledger.RedVest, time.Hour, 30, ledger.Credit{Minutes: 60, Points: 12}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.rules.Credit(tc.kind, tc.d, tc.today)
			if got != tc.want {
				t.Fatalf("Credit = %+v, want %+v", got, tc.want)
			}
			if (got.Flag != ledger.FlagNone) != errors.Is(got.Flag.Err(), ledger.ErrDurationAbsurd) {
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
	tuesday := ledger.Schedule{Weekdays: []time.Weekday{time.Tuesday}, Start: "09:00", End: "11:00"}
	for _, tc := range []struct {
		name string
		a    ledger.Activity
		now  time.Time
		want bool
	}{
		{"inside", ledger.Activity{Active: true, Schedule: tuesday}, at("2026-03-03", "09:30"), true},
		{"before start", ledger.Activity{Active: true, Schedule: tuesday}, at("2026-03-03", "08:59"), false},
		{"early window", ledger.Activity{Active: true, Schedule: tuesday, Rules: ledger.Rules{EarlyMinutes: 15}}, at("2026-03-03", "08:45"), true},
		{"before early window", ledger.Activity{Active: true, Schedule: tuesday, Rules: ledger.Rules{EarlyMinutes: 15}}, at("2026-03-03", "08:44"), false},
		{"at end closed", ledger.Activity{Active: true, Schedule: tuesday}, at("2026-03-03", "11:00"), false},
		{"late window closes", ledger.Activity{Active: true, Schedule: tuesday, Rules: ledger.Rules{LateMinutes: 30}}, at("2026-03-03", "09:30"), false},
		{"late window open", ledger.Activity{Active: true, Schedule: tuesday, Rules: ledger.Rules{LateMinutes: 30}}, at("2026-03-03", "09:29"), true},
		{"wrong weekday", ledger.Activity{Active: true, Schedule: tuesday}, at("2026-03-04", "09:30"), false},
		{"inactive", ledger.Activity{Active: false, Schedule: tuesday}, at("2026-03-03", "09:30"), false},
		{"any time", ledger.Activity{Active: true, Rules: ledger.Rules{AnyTime: true}}, at("2026-03-04", "03:00"), true},
		{"any time before from date", ledger.Activity{Active: true, Schedule: ledger.Schedule{From: "2026-04-01"}, Rules: ledger.Rules{AnyTime: true}}, at("2026-03-04", "10:00"), false},
		{"until date inclusive", ledger.Activity{Active: true, Schedule: ledger.Schedule{Start: "09:00", End: "11:00", Until: "2026-03-03"}}, at("2026-03-03", "10:00"), true},
		{"after until", ledger.Activity{Active: true, Schedule: ledger.Schedule{Start: "09:00", End: "11:00", Until: "2026-03-03"}}, at("2026-03-04", "10:00"), false},
		{"no times, not any time", ledger.Activity{Active: true}, at("2026-03-03", "10:00"), false},
		{"UTC input converted", ledger.Activity{Active: true, Schedule: tuesday}, at("2026-03-03", "09:30").UTC(), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.AcceptsCheckIn(tc.now, cst); got != tc.want {
				t.Fatalf("AcceptsCheckIn(%v) = %v, want %v", tc.now, got, tc.want)
			}
		})
	}
}

func TestPutActivityRejectsBadRules(t *testing.T) {
	e := ledgertest.MustOpen(t)
	for _, tc := range []struct {
		name string
		a    ledger.Activity
	}{
		{"no name", ledger.Activity{Rules: ledger.Rules{AnyTime: true}}},
		{"negative rate", ledger.Activity{Name: "x", Rules: ledger.Rules{PointsPerHour: map[ledger.VolunteerKind]int64{ledger.RedVest: -1}}}},
		{"unknown kind", ledger.Activity{Name: "x", Rules: ledger.Rules{PointsPerHour: map[ledger.VolunteerKind]int64{9: 1}}}},
		{"min over max", ledger.Activity{Name: "x", Rules: ledger.Rules{MinMinutes: 100, MaxMinutes: 50}}},
		{"end before start", ledger.Activity{Name: "x", Schedule: ledger.Schedule{Start: "11:00", End: "09:00"}}},
		{"start without end", ledger.Activity{Name: "x", Schedule: ledger.Schedule{Start: "11:00"}}},
		{"bad time", ledger.Activity{Name: "x", Schedule: ledger.Schedule{Start: "25:00", End: "26:00"}}},
		{"bad date", ledger.Activity{Name: "x", Schedule: ledger.Schedule{From: "2026-13-01"}}},
		{"bad policy", ledger.Activity{Name: "x", Rules: ledger.Rules{Forgotten: "ignore"}}},
		{"negative round", ledger.Activity{Name: "x", Rules: ledger.Rules{RoundMinutes: -15}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.PutActivity(ctx, ledger.PutActivity{ID: ledger.NewEntryID(), Activity: tc.a}); !errors.Is(err, ledger.ErrInvalid) {
				t.Fatalf("PutActivity = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestRulesRoundTripThroughDatabase(t *testing.T) {
	e := ledgertest.MustOpen(t)
	in := ledger.Activity{Name: "助老服务", Active: true,
		Schedule: ledger.Schedule{Weekdays: []time.Weekday{time.Monday, time.Thursday}, Start: "09:00", End: "11:30", From: "2026-01-01"},
		Rules: ledger.Rules{PointsPerHour: map[ledger.VolunteerKind]int64{ledger.RedVest: 12, ledger.GreenVest: 10, ledger.InService: 12},
			RoundMinutes: 15, MinMinutes: 30, MaxMinutes: 240, DailyCapMinutes: 180, EarlyMinutes: 15, Forgotten: ledger.CloseAtEnd}}
	a, err := e.PutActivity(ctx, ledger.PutActivity{ID: ledger.NewEntryID(), Activity: in})
	if err != nil {
		t.Fatal(err)
	}
	e.Reopen(t)
	got, err := e.Activity(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != in.Name || got.Center != ledgertest.Center || got.Rules.PointsPerHour[ledger.GreenVest] != 10 ||
		got.Rules.Forgotten != ledger.CloseAtEnd || len(got.Schedule.Weekdays) != 2 || got.Rules.DailyCapMinutes != 180 {
		t.Fatalf("activity after reopen = %+v", got)
	}
}
