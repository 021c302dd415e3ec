package ledger_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// TestActivityAcceptsCheckIn: an activity takes check-ins when it is active
// and its schedule's window is open (the window itself is tested in record).
func TestActivityAcceptsCheckIn(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	tuesday := record.Schedule{Weekdays: []time.Weekday{time.Tuesday}, Start: "09:00", End: "11:00"}
	inside := time.Date(2026, 3, 3, 9, 30, 0, 0, cst)
	for _, tc := range []struct {
		name string
		a    ledger.Activity
		now  time.Time
		want bool
	}{
		{"inside", ledger.Activity{Active: true, Schedule: tuesday}, inside, true},
		{"wrong weekday", ledger.Activity{Active: true, Schedule: tuesday}, inside.AddDate(0, 0, 1), false},
		{"inactive", ledger.Activity{Active: false, Schedule: tuesday}, inside, false},
		{"inactive any time", ledger.Activity{Active: false, Rules: record.Rules{AnyTime: true}}, inside, false},
		{"UTC input converted", ledger.Activity{Active: true, Schedule: tuesday}, inside.UTC(), true},
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
		{"no name", ledger.Activity{Rules: record.Rules{AnyTime: true}}},
		{"negative rate", ledger.Activity{Name: "x", Rules: record.Rules{PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: -1}}}},
		{"unknown kind", ledger.Activity{Name: "x", Rules: record.Rules{PointsPerHour: map[record.VolunteerKind]int64{9: 1}}}},
		{"min over max", ledger.Activity{Name: "x", Rules: record.Rules{MinMinutes: 100, MaxMinutes: 50}}},
		{"end before start", ledger.Activity{Name: "x", Schedule: record.Schedule{Start: "11:00", End: "09:00"}}},
		{"start without end", ledger.Activity{Name: "x", Schedule: record.Schedule{Start: "11:00"}}},
		{"bad time", ledger.Activity{Name: "x", Schedule: record.Schedule{Start: "25:00", End: "26:00"}}},
		{"bad date", ledger.Activity{Name: "x", Schedule: record.Schedule{From: "2026-13-01"}}},
		{"bad policy", ledger.Activity{Name: "x", Rules: record.Rules{Forgotten: "ignore"}}},
		{"negative round", ledger.Activity{Name: "x", Rules: record.Rules{RoundMinutes: -15}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.PutActivity(ctx, ledger.PutActivity{ID: record.NewEntryID(), Activity: tc.a}); !errors.Is(err, ledger.ErrInvalid) {
				t.Fatalf("PutActivity = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestRulesRoundTripThroughDatabase(t *testing.T) {
	e := ledgertest.MustOpen(t)
	in := ledger.Activity{Name: "助老服务", Active: true,
		Schedule: record.Schedule{Weekdays: []time.Weekday{time.Monday, time.Thursday}, Start: "09:00", End: "11:30", From: "2026-01-01"},
		Rules: record.Rules{PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 12, record.GreenVest: 10, record.InService: 12},
			RoundMinutes: 15, MinMinutes: 30, MaxMinutes: 240, DailyCapMinutes: 180, EarlyMinutes: 15, Forgotten: record.CloseAtEnd}}
	a, err := e.PutActivity(ctx, ledger.PutActivity{ID: record.NewEntryID(), Activity: in})
	if err != nil {
		t.Fatal(err)
	}
	e.Reopen(t)
	got, err := e.Activity(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != in.Name || got.Center != ledgertest.Center || got.Rules.PointsPerHour[record.GreenVest] != 10 ||
		got.Rules.Forgotten != record.CloseAtEnd || len(got.Schedule.Weekdays) != 2 || got.Rules.DailyCapMinutes != 180 {
		t.Fatalf("activity after reopen = %+v", got)
	}
}
