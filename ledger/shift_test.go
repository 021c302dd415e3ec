package ledger_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

func checkIn(t *testing.T, e *ledgertest.Env, card record.CardUID, a record.ActivityID) ledger.Shift {
	t.Helper()
	s, err := e.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: card, Activity: a})
	if err != nil {
		t.Fatalf("check in: %v", err)
	}
	return s
}

func checkOut(t *testing.T, e *ledgertest.Env, card record.CardUID) ledger.CheckOutResult {
	t.Helper()
	r, err := e.CheckOut(ctx, ledger.CheckOut{ID: record.NewEntryID(), Card: card})
	if err != nil {
		t.Fatalf("check out: %v", err)
	}
	return r
}

func TestCheckInRefusals(t *testing.T) {
	e := ledgertest.MustOpen(t)
	_, card := e.AddPerson(t, "李喆", record.GreenVest)
	act := e.AnyTime(t)
	closed := e.AddActivity(t, "周二助老", record.Schedule{Weekdays: []time.Weekday{time.Tuesday}, Start: "09:00", End: "11:00"}, record.Rules{})

	t.Run("unknown card", func(t *testing.T) {
		_, err := e.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: "DEADBEEF", Activity: act.ID})
		if !errors.Is(err, ledger.ErrUnknownCard) {
			t.Fatalf("err = %v, want ErrUnknownCard", err)
		}
	})
	t.Run("not in window", func(t *testing.T) {
		_, err := e.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: card, Activity: closed.ID})
		if !errors.Is(err, ledger.ErrNotInWindow) {
			t.Fatalf("err = %v, want ErrNotInWindow (Monday)", err)
		}
	})
	t.Run("unknown activity", func(t *testing.T) {
		_, err := e.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: card, Activity: 12345})
		if !errors.Is(err, ledger.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("no open shift to check out", func(t *testing.T) {
		_, err := e.CheckOut(ctx, ledger.CheckOut{ID: record.NewEntryID(), Card: card})
		if !errors.Is(err, ledger.ErrNoOpenShift) {
			t.Fatalf("err = %v, want ErrNoOpenShift", err)
		}
	})
	t.Run("second check-in answers with the open shift", func(t *testing.T) {
		first := checkIn(t, e, card, act.ID)
		_, err := e.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: card, Activity: act.ID})
		var open *ledger.ShiftOpenError
		if !errors.Is(err, ledger.ErrShiftOpen) || !errors.As(err, &open) || open.Shift.ID != first.ID {
			t.Fatalf("err = %v, want ShiftOpenError with shift %s", err, first.ID)
		}
		shifts, _ := e.OpenShifts(ctx)
		if len(shifts) != 1 {
			t.Fatalf("%d open shifts, want 1", len(shifts))
		}
	})
	e.MustVerify(t)
}

func TestCheckOutCredits(t *testing.T) {
	rules := record.Rules{AnyTime: true, RoundMinutes: 15, MinMinutes: 30, MaxMinutes: 240, DailyCapMinutes: 180,
		PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 12, record.GreenVest: 10, record.InService: 12}}
	for _, tc := range []struct {
		name        string
		kind        record.VolunteerKind
		durations   []time.Duration // successive shifts the same day; the last is checked
		wantMinutes int64
		wantPoints  int64
		wantState   ledger.ShiftState
		wantFlag    record.FlagReason
	}{
		{"red vest 1h44 rounds to 1h30", record.RedVest, []time.Duration{104 * time.Minute}, 90, 18, ledger.ShiftClosed, ""},
		{"green vest rate", record.GreenVest, []time.Duration{2 * time.Hour}, 120, 20, ledger.ShiftClosed, ""},
		{"双报到 rate", record.InService, []time.Duration{time.Hour}, 60, 12, ledger.ShiftClosed, ""},
		{"resident earns minutes only", record.Resident, []time.Duration{time.Hour}, 60, 0, ledger.ShiftClosed, ""},
		{"too short", record.RedVest, []time.Duration{20 * time.Minute}, 0, 0, ledger.ShiftClosed, ""},
		{"daily cap across shifts", record.RedVest, []time.Duration{2 * time.Hour, 2 * time.Hour}, 60, 12, ledger.ShiftClosed, ""},
		{"over max is flagged", record.RedVest, []time.Duration{5 * time.Hour}, 0, 0, ledger.ShiftFlagged, record.FlagOverMax},
		{"clock went back is flagged", record.RedVest, []time.Duration{-3 * time.Hour}, 0, 0, ledger.ShiftFlagged, record.FlagNegative},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := ledgertest.MustOpen(t)
			p, card := e.AddPerson(t, "陈赟", tc.kind)
			a := e.AddActivity(t, "环境整治", record.Schedule{}, rules)
			var r ledger.CheckOutResult
			for _, d := range tc.durations {
				checkIn(t, e, card, a.ID)
				e.Clock.Advance(d)
				r = checkOut(t, e, card)
				e.Clock.Advance(time.Minute)
			}
			if r.Credit.Minutes != tc.wantMinutes || r.Credit.Points != tc.wantPoints || r.Shift.State != tc.wantState || r.Shift.Flag != tc.wantFlag {
				t.Fatalf("result = %+v", r)
			}
			if r.Entry.Minutes != tc.wantMinutes || r.Entry.Points != tc.wantPoints || r.Entry.Kind != record.KindCheckOut || r.Entry.Shift != r.Shift.ID {
				t.Fatalf("entry = %+v", r.Entry)
			}
			if tc.wantFlag != "" && !errors.Is(r.Credit.Flag.Err(), ledger.ErrDurationAbsurd) {
				t.Fatalf("flag %q does not mean ErrDurationAbsurd", r.Credit.Flag)
			}
			got, _ := e.Shift(ctx, r.Shift.ID)
			if got.State != tc.wantState || got.Minutes != tc.wantMinutes {
				t.Fatalf("stored shift = %+v", got)
			}
			// The person can check in again: a flagged shift is not open.
			checkIn(t, e, card, a.ID)
			bal, _ := e.Balance(ctx, p.ID)
			var sumM, sumP int64
			hist, _ := e.History(ctx, p.ID, 100)
			for _, h := range hist {
				sumM += h.Minutes
				sumP += h.Points
			}
			if bal.Minutes != sumM || bal.Points != sumP {
				t.Fatalf("balance %+v, history sums %d min %d points", bal, sumM, sumP)
			}
			e.MustVerify(t)
		})
	}
}

func TestSweepForgottenShifts(t *testing.T) {
	e := ledgertest.MustOpen(t) // Monday 09:00
	mon := record.Schedule{Start: "09:00", End: "11:00"}
	rates := map[record.VolunteerKind]int64{record.RedVest: 12}
	closeAtEnd := e.AddActivity(t, "政策宣传", mon, record.Rules{PointsPerHour: rates, EarlyMinutes: 30, Forgotten: record.CloseAtEnd, RoundMinutes: 15})
	flag := e.AddActivity(t, "网格巡查", mon, record.Rules{PointsPerHour: rates, Forgotten: record.FlagForStaff})
	anyTime := e.AddActivity(t, "便民服务", record.Schedule{}, record.Rules{AnyTime: true, PointsPerHour: rates, Forgotten: record.CloseAtEnd})

	p1, c1 := e.AddPerson(t, "张三明", record.RedVest)
	_, c2 := e.AddPerson(t, "周玥", record.RedVest)
	_, c3 := e.AddPerson(t, "王五", record.RedVest)
	e.Clock.Advance(10 * time.Minute) // 09:10
	s1 := checkIn(t, e, c1, closeAtEnd.ID)
	s2 := checkIn(t, e, c2, flag.ID)
	s3 := checkIn(t, e, c3, anyTime.ID)
	e.Clock.Advance(4 * time.Hour) // 13:10: still today, nothing swept yet
	id := record.NewEntryID()
	res, err := e.SweepShifts(ctx, ledger.SweepShifts{ID: id})
	if err != nil || len(res.Closed)+len(res.Flagged) != 0 {
		t.Fatalf("sweep today = %+v, %v; want nothing", res, err)
	}
	e.Clock.Advance(20 * time.Hour) // Tuesday 09:10
	res, err = e.SweepShifts(ctx, ledger.SweepShifts{ID: record.NewEntryID()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Closed) != 1 || res.Closed[0].Shift.ID != s1.ID || res.Closed[0].Credit.Minutes != 105 || res.Closed[0].Credit.Points != 21 ||
		res.Closed[0].Entry.Kind != record.KindCheckOut || res.Closed[0].Entry.Minutes != 105 {
		t.Fatalf("closed = %+v; want shift 1 closed at 11:00 with 1h45", res.Closed)
	}
	if !res.Closed[0].Shift.ClosedAt.Equal(time.Date(2026, 3, 2, 11, 0, 0, 0, ledgertest.Start.Location())) {
		t.Fatalf("closed at %v, want the scheduled end", res.Closed[0].Shift.ClosedAt)
	}
	flagged := map[record.EntryID]record.FlagReason{}
	for _, s := range res.Flagged {
		flagged[s.ID] = s.Flag
	}
	if flagged[s2.ID] != record.FlagForgotten || flagged[s3.ID] != record.FlagNoScheduleTo || len(flagged) != 2 {
		t.Fatalf("flagged = %+v", res.Flagged)
	}
	bal, _ := e.Balance(ctx, p1.ID)
	if bal.Minutes != 105 {
		t.Fatalf("balance %+v after sweep", bal)
	}
	// Staff resolve a flagged one: open a day, the rules' default maximum.
	r, err := e.ResolveShift(ctx, ledger.ResolveShift{ID: record.NewEntryID(), Shift: s2.ID, Operator: e.Staff, Reason: "值班记录"})
	if err != nil || r.Shift.State != ledger.ShiftResolved || r.Entry.Minutes != 24*60 || r.Entry.Points != 24*12 || r.Entry.Operator != e.Staff {
		t.Fatalf("resolve = %+v, %v", r, err)
	}
	open, _ := e.OpenShifts(ctx)
	if len(open) != 1 || open[0].ID != s3.ID {
		t.Fatalf("open shifts = %+v, want only shift 3", open)
	}
	e.MustVerify(t)
}

// TestResolveShiftFollowsTheRules: staff closing a shift by hand credit it
// as a check-out at that moment would (rounding, minimum, daily cap, at the
// person's rate), and never more than the rules' maximum, where a check-out
// would have flagged it; a shift flagged at its check-out ends then, not
// when staff get to it.
func TestResolveShiftFollowsTheRules(t *testing.T) {
	e := ledgertest.MustOpen(t)
	rules := record.Rules{AnyTime: true, RoundMinutes: 15, MinMinutes: 30, MaxMinutes: 240, DailyCapMinutes: 300,
		PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 12, record.GreenVest: 6}}
	act := e.AddActivity(t, "网格巡查", record.Schedule{}, rules)
	resolve := func(s ledger.Shift) (ledger.Resolution, ledger.CheckOutResult) {
		t.Helper()
		pre, err := e.PreviewResolve(ctx, s.ID)
		if err != nil {
			t.Fatalf("preview: %v", err)
		}
		r, err := e.ResolveShift(ctx, ledger.ResolveShift{ID: record.NewEntryID(), Shift: s.ID, Operator: e.Staff, Reason: "代为签退"})
		if err != nil {
			t.Fatalf("resolve: %v", err)
		}
		if r.Credit != pre.Credit || r.Entry.Minutes != r.Credit.Minutes || r.Entry.Points != r.Credit.Points || r.Shift.State != ledger.ShiftResolved {
			t.Fatalf("resolved %+v, previewed %+v", r, pre.Credit)
		}
		return pre, r
	}
	for _, tc := range []struct {
		name    string
		kind    record.VolunteerKind
		served  time.Duration
		minutes int64
		points  int64
		atMax   bool
	}{
		{"rounded down like a check-out", record.RedVest, 67 * time.Minute, 60, 12, false},
		{"the green vest's rate", record.GreenVest, 67 * time.Minute, 60, 6, false},
		{"below the minimum", record.RedVest, 20 * time.Minute, 0, 0, false},
		{"never more than the maximum", record.RedVest, 10 * time.Hour, 240, 48, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, card := e.AddPerson(t, "张三明", tc.kind)
			_, twin := e.AddPerson(t, "李四", tc.kind)
			s := checkIn(t, e, card, act.ID)
			checkIn(t, e, twin, act.ID)
			e.Clock.Advance(tc.served)
			pre, r := resolve(s)
			if r.Credit.Minutes != tc.minutes || r.Credit.Points != tc.points || pre.AtMax != tc.atMax || pre.Served != tc.served {
				t.Fatalf("resolved %+v (served %v, at max %v), want %d minutes, %d points", r.Credit, pre.Served, pre.AtMax, tc.minutes, tc.points)
			}
			if !tc.atMax {
				if co := checkOut(t, e, twin); co.Credit != r.Credit {
					t.Fatalf("a check-out credits %+v, staff closing %+v", co.Credit, r.Credit)
				}
			}
			e.Clock.Advance(24 * time.Hour)
		})
	}

	t.Run("the daily cap counts resolved shifts", func(t *testing.T) {
		p, card := e.AddPerson(t, "周玥", record.RedVest)
		next := ledgertest.Start.AddDate(0, 0, 10) // a morning: both shifts on one day
		e.Clock.Advance(next.Sub(e.Clock.Now()))
		s := checkIn(t, e, card, act.ID)
		e.Clock.Advance(4 * time.Hour)
		if _, r := resolve(s); r.Credit.Minutes != 240 {
			t.Fatalf("first long shift: %+v", r.Credit)
		}
		s = checkIn(t, e, card, act.ID)
		e.Clock.Advance(2 * time.Hour)
		if _, r := resolve(s); r.Credit.Minutes != 60 || !r.Credit.Capped {
			t.Fatalf("after 240 minutes resolved today, 2 hours more: %+v, want 60 capped", r.Credit)
		}
		if b, _ := e.Balance(ctx, p.ID); b.Minutes != 300 {
			t.Fatalf("balance %+v, want the cap of 300 minutes", b)
		}
	})

	t.Run("flagged at check-out", func(t *testing.T) {
		_, card := e.AddPerson(t, "陈赟", record.RedVest)
		s := checkIn(t, e, card, act.ID)
		e.Clock.Advance(5 * time.Hour)
		if co := checkOut(t, e, card); co.Shift.State != ledger.ShiftFlagged {
			t.Fatalf("5 hours over a 4-hour maximum: %+v", co.Shift)
		}
		e.Clock.Advance(3 * 24 * time.Hour)
		pre, r := resolve(s)
		if pre.Served != 5*time.Hour || !pre.AtMax || r.Credit.Minutes != 240 || !r.Shift.ClosedAt.Equal(s.OpenedAt.Add(5*time.Hour)) {
			t.Fatalf("resolved %+v served %v at max %v closed %v", r.Credit, pre.Served, pre.AtMax, r.Shift.ClosedAt)
		}
		if _, err := e.PreviewResolve(ctx, s.ID); !errors.Is(err, ledger.ErrNoOpenShift) {
			t.Fatalf("preview of a resolved shift: %v", err)
		}
	})
	e.MustVerify(t)
}
