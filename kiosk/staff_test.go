package kiosk

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// TestPINPadTakesTheLedgersPINs: the PIN pad takes as many digits as the
// ledger accepts in a PIN and no more, so the longest PIN AddStaff takes
// logs in; one too short never reaches the ledger, so it does not count
// towards the lockout.
func TestPINPadTakesTheLedgersPINs(t *testing.T) {
	r := newRig(t)
	pin := strings.Repeat("7391", ledger.MaxPINDigits)[:ledger.MaxPINDigits]
	uid := r.env.NewUID()
	if _, err := r.env.AddStaff(context.Background(), ledger.AddStaff{ID: record.NewEntryID(), UID: uid, Name: "刘珺", Role: ledger.RoleStaff, PIN: pin}); err != nil {
		t.Fatal(err)
	}
	r.tap(uid)
	r.typeDigits(pin + "5")
	if v := r.want(ScenePIN); v.Pad != pin {
		t.Fatalf("pad = %q after %d digits, want the first %d", v.Pad, len(pin)+1, len(pin))
	}
	r.press(ActConfirm)
	r.wantTitle(SceneStaffMenu, "staff.menu")
	r.press(ActBack)

	short := ledgertest.StaffPIN[:ledger.MinPINDigits-1]
	r.tap(r.env.Staff)
	for range ledger.MaxPINFailures {
		r.typeDigits(short)
		r.press(ActConfirm)
		if v := r.want(ScenePIN); len(v.Lines) != 1 || v.Lines[0].Key != "staff.pin_wrong" || v.Pad != "" {
			t.Fatalf("a %d-digit PIN: lines %v pad %q", len(short), v.Lines, v.Pad)
		}
	}
	r.staffLogin()
}

// TestNumberPadLimit: the number pad (a member number, an amount) keeps its
// own limit, whatever a PIN may be.
func TestNumberPadLimit(t *testing.T) {
	r := newRig(t)
	r.staffLogin()
	r.do(Action{Kind: ActStaff, Staff: StaffBind})
	r.typeDigits(strings.Repeat("1", maxNumber+3))
	if v := r.want(SceneStaffFind); len(v.Pad) != maxNumber {
		t.Fatalf("find pad = %q, want %d digits", v.Pad, maxNumber)
	}
}

// closeFirstShift closes the first open shift from the staff menu.
func (r *rig) closeFirstShift() View {
	r.t.Helper()
	r.do(Action{Kind: ActStaff, Staff: StaffShifts})
	r.want(SceneStaffShifts)
	r.do(Action{Kind: ActChoose, Index: 0})
	return r.term.View()
}

// TestStaffClosesAShiftByTheCheckOutRules: a forgotten check-out closed by
// staff is credited as a check-out would be, rounding down to the quarter
// hour, never more than the maximum; it pays no better than checking out.
func TestStaffClosesAShiftByTheCheckOutRules(t *testing.T) {
	r := newRig(t)
	act := r.env.AddActivity(t, "网格巡查", record.Schedule{}, record.Rules{AnyTime: true, RoundMinutes: 15, MaxMinutes: 180,
		PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 60}})
	p, card := r.env.AddPerson(t, "周玥", record.RedVest)
	q, other := r.env.AddPerson(t, "王堃", record.RedVest)
	for _, c := range []record.CardUID{card, other} {
		if _, err := r.env.CheckIn(context.Background(), ledger.CheckIn{ID: record.NewEntryID(), Card: c, Activity: act.ID}); err != nil {
			t.Fatal(err)
		}
	}
	r.env.Clock.Advance(67 * time.Minute)
	if _, err := r.env.CheckOut(context.Background(), ledger.CheckOut{ID: record.NewEntryID(), Card: other}); err != nil {
		t.Fatal(err)
	}
	r.staffLogin()
	r.closeFirstShift()
	if b, want := r.balance(p.ID), r.balance(q.ID); b != want || b.Minutes != 60 {
		t.Fatalf("closed by staff after 67 minutes: %+v; a check-out got %+v, want 60 minutes", b, want)
	}

	// Forgotten for 10 hours: the maximum of 3 hours, not more.
	if _, err := r.env.CheckIn(context.Background(), ledger.CheckIn{ID: record.NewEntryID(), Card: card, Activity: act.ID}); err != nil {
		t.Fatal(err)
	}
	r.env.Clock.Advance(10 * time.Hour)
	r.staffLogin()
	r.closeFirstShift()
	if b := r.balance(p.ID); b.Minutes != 60+180 {
		t.Fatalf("closed after 10 hours: %d minutes in all, want 60+180", b.Minutes)
	}
}
