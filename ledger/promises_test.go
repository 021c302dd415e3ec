package ledger_test

// Tests that pin what the README and the rules promise, with literal
// numbers: each fails when the promise's constant or comparison changes.

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// cst is the center's zone in the test ledgers (the ledger's default).
var cst = ledgertest.Start.Location()

// The README: "five wrong PINs lock the card for 15 minutes".
func TestPromiseFiveWrongPINsLockFor15Minutes(t *testing.T) {
	e := ledgertest.MustOpen(t)
	for i := 1; i <= 4; i++ {
		if _, err := e.CheckPIN(ctx, e.Staff, "0000"); !errors.Is(err, ledger.ErrPINWrong) {
			t.Fatalf("wrong PIN %d: %v, want ErrPINWrong", i, err)
		}
	}
	if _, err := e.CheckPIN(ctx, e.Staff, "0000"); !errors.Is(err, ledger.ErrPINLocked) {
		t.Fatalf("fifth wrong PIN: %v, want ErrPINLocked", err)
	}
	e.Clock.Advance(15*time.Minute - time.Second)
	if _, err := e.CheckPIN(ctx, e.Staff, ledgertest.StaffPIN); !errors.Is(err, ledger.ErrPINLocked) {
		t.Fatalf("right PIN 14:59 after the lock: %v, want ErrPINLocked", err)
	}
	e.Clock.Advance(time.Second)
	if _, err := e.CheckPIN(ctx, e.Staff, ledgertest.StaffPIN); err != nil {
		t.Fatalf("right PIN 15:00 after the lock: %v", err)
	}
}

// Four wrong PINs do not lock; the right one then resets the count, so the
// next lock again takes five.
func TestPromiseFourWrongPINsDoNotLock(t *testing.T) {
	e := ledgertest.MustOpen(t)
	for round := range 2 {
		for i := 1; i <= 4; i++ {
			if _, err := e.CheckPIN(ctx, e.Staff, "0000"); !errors.Is(err, ledger.ErrPINWrong) {
				t.Fatalf("round %d, wrong PIN %d: %v, want ErrPINWrong", round, i, err)
			}
		}
		if _, err := e.CheckPIN(ctx, e.Staff, ledgertest.StaffPIN); err != nil {
			t.Fatalf("round %d, right PIN after four wrong: %v", round, err)
		}
	}
}

func TestPromiseRedeemWithExactlyThePrice(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, card := e.AddPerson(t, "赵大妈", record.Resident)
	it := e.AddItem(t, "食用油", 50, 5)
	e.Credit(t, p.ID, 49)
	if _, err := redeem(e, card, it.ID); !errors.Is(err, ledger.ErrInsufficientPoints) {
		t.Fatalf("49 points for a 50-point item: %v, want ErrInsufficientPoints", err)
	}
	e.Credit(t, p.ID, 1)
	offers, err := e.CatalogFor(ctx, card)
	if err != nil || len(offers) != 1 || !offers[0].CanRedeem() {
		t.Fatalf("catalog with exactly the price: %+v, %v; want it offered", offers, err)
	}
	r, err := redeem(e, card, it.ID)
	if err != nil {
		t.Fatalf("50 points for a 50-point item: %v", err)
	}
	if r.Balance.Points != 0 {
		t.Fatalf("balance after = %d, want 0", r.Balance.Points)
	}
	if b, _ := e.Balance(ctx, p.ID); b.Points != 0 {
		t.Fatalf("stored balance %d, want 0", b.Points)
	}
	e.MustVerify(t)
}

// capRules cap a person at 60 minutes a day at the activity, 60 points an
// hour, no rounding and no minimum.
var capRules = record.Rules{AnyTime: true, DailyCapMinutes: 60,
	PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 60}}

func TestPromiseDailyCapCountsOnlyThisPersonsMinutes(t *testing.T) {
	e := ledgertest.MustOpen(t) // Monday 09:00
	a := e.AddActivity(t, "环境整治", record.Schedule{}, capRules)
	_, other := e.AddPerson(t, "李喆", record.RedVest)
	_, card := e.AddPerson(t, "王堃", record.RedVest)

	// Monday evening: yesterday's hour does not count on Tuesday.
	e.Clock.Set(time.Date(2026, 3, 2, 22, 0, 0, 0, cst))
	checkIn(t, e, card, a.ID)
	e.Clock.Advance(time.Hour)
	if r := checkOut(t, e, card); r.Credit.Minutes != 60 {
		t.Fatalf("Monday: %+v", r.Credit)
	}
	// Tuesday 07:00 (Monday 23:00 UTC): both serve an hour.
	e.Clock.Set(time.Date(2026, 3, 3, 7, 0, 0, 0, cst))
	checkIn(t, e, other, a.ID)
	checkIn(t, e, card, a.ID)
	e.Clock.Advance(time.Hour)
	if r := checkOut(t, e, other); r.Credit.Minutes != 60 || r.Credit.Capped {
		t.Fatalf("the other volunteer: %+v", r.Credit)
	}
	if r := checkOut(t, e, card); r.Credit.Minutes != 60 || r.Credit.Points != 60 || r.Credit.Capped {
		t.Fatalf("another volunteer's hour (or yesterday's) reduced this one's cap: %+v", r.Credit)
	}
	// The cap bites on this person's own second hour that day, the day
	// being the center's (07:00 and 10:00 are one day in China, two in UTC).
	e.Clock.Set(time.Date(2026, 3, 3, 10, 0, 0, 0, cst))
	checkIn(t, e, card, a.ID)
	e.Clock.Advance(time.Hour)
	if r := checkOut(t, e, card); r.Credit.Minutes != 0 || !r.Credit.Capped {
		t.Fatalf("own second hour: %+v, want capped to 0", r.Credit)
	}
	e.MustVerify(t)
}

func TestPromiseDailyCapCountsStaffResolvedShifts(t *testing.T) {
	e := ledgertest.MustOpen(t) // Monday 09:00
	a := e.AddActivity(t, "环境整治", record.Schedule{}, capRules)
	p, card := e.AddPerson(t, "王堃", record.RedVest)
	s := checkIn(t, e, card, a.ID)
	e.Clock.Advance(40 * time.Minute)
	res, err := e.ResolveShift(ctx, ledger.ResolveShift{ID: record.NewEntryID(), Shift: s.ID, Operator: e.Staff, Reason: "代为签退"})
	if err != nil || res.Shift.State != ledger.ShiftResolved || res.Credit.Minutes != 40 {
		t.Fatalf("resolve: %+v, %v", res, err)
	}
	checkIn(t, e, card, a.ID)
	e.Clock.Advance(time.Hour)
	r := checkOut(t, e, card)
	if r.Credit.Minutes != 20 || r.Credit.Points != 20 || !r.Credit.Capped {
		t.Fatalf("after 40 resolved minutes: %+v, want 20 minutes (cap 60)", r.Credit)
	}
	if b, _ := e.Balance(ctx, p.ID); b.Minutes != 60 {
		t.Fatalf("minutes today %d, want the cap, 60", b.Minutes)
	}
	e.MustVerify(t)
}

func TestPromiseCheckInToAnotherCentersActivityIsRefused(t *testing.T) {
	e := ledgertest.MustOpen(t)
	_, card := e.AddPerson(t, "王堃", record.RedVest)
	theirs, err := e.PutActivity(ctx, ledger.PutActivity{ID: record.NewEntryID(), Activity: ledger.Activity{Center: "C-OTHER", Name: "别处服务",
		Rules: record.Rules{AnyTime: true, PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 60}}, Active: true}})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := e.Status(ctx)
	_, err = e.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: card, Activity: theirs.ID})
	if !errors.Is(err, ledger.ErrNotInWindow) && !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("check-in to another center's activity: %v, want refused", err)
	}
	after, _ := e.Status(ctx)
	if after.Entries != before.Entries || after.OpenShifts != 0 {
		t.Fatalf("a refused check-in wrote: entries %d -> %d, open shifts %d", before.Entries, after.Entries, after.OpenShifts)
	}
	// The same activity at this center is taken: the center is what refused.
	ours, err := e.PutActivity(ctx, ledger.PutActivity{ID: record.NewEntryID(), Activity: ledger.Activity{Name: "本站服务",
		Rules: theirs.Rules, Active: true}})
	if err != nil {
		t.Fatal(err)
	}
	checkIn(t, e, card, ours.ID)
}

// verifyChecks runs Verify and returns its problems by check.
func verifyChecks(t *testing.T, e *ledgertest.Env) (*ledger.VerifyReport, map[string][]string) {
	t.Helper()
	rep, err := e.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string][]string{}
	for _, p := range rep.Problems {
		by[p.Check] = append(by[p.Check], p.Detail)
	}
	return rep, by
}

// credits writes n one-point adjustments for p: n entries.
func credits(t *testing.T, e *ledgertest.Env, p record.PersonID, n int) {
	t.Helper()
	for range n {
		e.Credit(t, p, 1)
	}
}

func headSeq(t *testing.T, e *ledgertest.Env) uint64 {
	t.Helper()
	st, err := e.SyncState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return st.HeadSeq
}

func dropAppendOnly(t *testing.T, e *ledgertest.Env) {
	t.Helper()
	for _, q := range []string{"DROP TRIGGER entries_no_update", "DROP TRIGGER entries_no_delete"} {
		if _, err := rawDB(t, e).Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// Verify checks a terminal's chain in two halves at once, split at
// head/2+1: an entry missing anywhere, near the split above all, is found
// and named.
func TestPromiseVerifyFindsAMissingEntryAnywhere(t *testing.T) {
	for _, where := range []string{"second", "first half", "last of the first half", "first of the second half",
		"second of the second half", "second last"} {
		t.Run(where, func(t *testing.T) {
			e := ledgertest.MustOpen(t)
			p, _ := e.AddPerson(t, "王堃", record.RedVest)
			credits(t, e, p.ID, 30)
			e.MustVerify(t)
			head := headSeq(t, e)
			mid := head/2 + 1
			seq := map[string]uint64{"second": 2, "first half": mid / 2, "last of the first half": mid - 1,
				"first of the second half": mid, "second of the second half": mid + 1, "second last": head - 1}[where]
			dropAppendOnly(t, e)
			if _, err := rawDB(t, e).Exec("DELETE FROM entries WHERE terminal = ? AND seq = ?", e.Terminal().ID, int64(seq)); err != nil {
				t.Fatal(err)
			}
			rep, by := verifyChecks(t, e)
			if rep.Entries != head-1 {
				t.Errorf("Verify read %d entries, want %d", rep.Entries, head-1)
			}
			want := fmt.Sprintf("expected seq %d,", seq)
			found := false
			for _, d := range by["sequence"] {
				found = found || strings.Contains(d, want)
			}
			if !found {
				t.Fatalf("seq %d of %d deleted (split at %d): no sequence problem naming it: %v", seq, head, mid, rep.Problems)
			}
			if len(by["balance"]) == 0 {
				t.Errorf("the deleted point went unnoticed in the balance: %v", rep.Problems)
			}
		})
	}
}

func TestPromiseVerifyFindsAMinutesMismatch(t *testing.T) {
	e := ledgertest.MustOpen(t)
	_, card := e.AddPerson(t, "王堃", record.RedVest)
	a := e.AnyTime(t)
	checkIn(t, e, card, a.ID)
	e.Clock.Advance(time.Hour)
	checkOut(t, e, card)
	e.MustVerify(t)
	if _, err := rawDB(t, e).Exec("UPDATE balances SET minutes = minutes + 1"); err != nil {
		t.Fatal(err)
	}
	rep, by := verifyChecks(t, e)
	if len(by["balance"]) == 0 {
		t.Fatalf("a balance's minutes edited, Verify found %v", rep.Problems)
	}
}

// forgePoints rewrites the points of this terminal's entry seq and re-chains
// every later entry (prev and hash), and moves the person's stored balance by
// the same amount: hashes, chain and sums all hold, and only the running
// balance can tell.
func forgePoints(t *testing.T, e *ledgertest.Env, seq uint64, points int64) {
	t.Helper()
	dropAppendOnly(t, e)
	db := rawDB(t, e)
	var prev record.Hash
	var forged *record.Entry
	for x, err := range e.ExportEntries(ctx, time.Unix(0, 0), ledgertest.Start.AddDate(10, 0, 0)) {
		if err != nil {
			t.Fatal(err)
		}
		en := x.Entry
		if en.Terminal != e.Terminal().ID {
			continue
		}
		if en.Seq == seq {
			forged = &record.Entry{Person: en.Person, Points: points - en.Points}
			en.Points = points
		}
		if forged != nil {
			en.Prev = prev
			h, err := en.ComputeHash()
			if err != nil {
				t.Fatal(err)
			}
			en.Hash = h
			if _, err := db.Exec("UPDATE entries SET points = ?, prev = ?, hash = ? WHERE terminal = ? AND seq = ?",
				en.Points, en.Prev[:], en.Hash[:], en.Terminal, int64(en.Seq)); err != nil {
				t.Fatal(err)
			}
		}
		prev = en.Hash
	}
	if forged == nil {
		t.Fatalf("no entry %d to forge", seq)
	}
	if _, err := db.Exec("UPDATE balances SET points = points + ? WHERE person = ?", forged.Points, int64(forged.Person)); err != nil {
		t.Fatal(err)
	}
}

// Verify reports a balance that went below zero on the way, wherever the
// dip lies relative to its split, even when the end sum is positive.
func TestPromiseVerifyFindsABalanceBelowZeroInEitherHalf(t *testing.T) {
	for _, tc := range []struct {
		name          string
		before, after int  // filler entries before the person's first and after their last
		gap           int  // filler entries between the +100 and the rest
		dipInFirst    bool // where the dip lies, split at head/2+1
	}{
		{"first half", 0, 40, 0, true},
		{"second half", 40, 0, 0, false},
		{"credit in the first half, dip in the second", 0, 0, 40, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := ledgertest.MustOpen(t)
			other, _ := e.AddPerson(t, "李喆", record.RedVest)
			p, _ := e.AddPerson(t, "王堃", record.RedVest)
			credits(t, e, other.ID, tc.before)
			e.Credit(t, p.ID, 100)
			credits(t, e, other.ID, tc.gap)
			if _, err := e.Adjust(ctx, ledger.Adjust{ID: record.NewEntryID(), Person: p.ID, Points: -10, Reason: "test debit", Operator: e.Staff}); err != nil {
				t.Fatal(err)
			}
			dip := headSeq(t, e)
			e.Credit(t, p.ID, 200)
			credits(t, e, other.ID, tc.after)
			e.MustVerify(t)
			if head := headSeq(t, e); (dip < head/2+1) != tc.dipInFirst {
				t.Fatalf("the dip at seq %d is not where the case says (split at %d of %d)", dip, head/2+1, head)
			}
			forgePoints(t, e, dip, -150) // 100 - 150 = -50, then +200: 150 at the end
			if b, _ := e.Balance(ctx, p.ID); b.Points != 150 {
				t.Fatalf("forged balance %d, want 150", b.Points)
			}
			rep, by := verifyChecks(t, e)
			if len(by["hash"])+len(by["chain"])+len(by["sequence"]) != 0 {
				t.Fatalf("the forgery should hold as a chain: %v", rep.Problems)
			}
			want := fmt.Sprintf("person %d's points below zero after terminal %s seq %d (-50)", p.ID, e.Terminal().ID, dip)
			found := false
			for _, d := range by["balance"] {
				found = found || strings.Contains(d, want)
			}
			if !found {
				t.Fatalf("Verify did not report %q: %v", want, rep.Problems)
			}
		})
	}
}

func limitedItem(t *testing.T, e *ledgertest.Env, name string, period ledger.Period) ledger.Item {
	t.Helper()
	it, err := e.PutItem(ctx, ledger.PutItem{ID: record.NewEntryID(), Item: ledger.Item{Name: name, Price: 10, Limit: 1, Period: period, Active: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Restock(ctx, ledger.Restock{ID: record.NewEntryID(), Item: it.ID, Quantity: 10, Operator: e.Staff}); err != nil {
		t.Fatal(err)
	}
	return it
}

// redeemAt sets the clock to at (the center's zone) and redeems one.
func redeemAt(t *testing.T, e *ledgertest.Env, card record.CardUID, it record.ItemID, at time.Time) error {
	t.Helper()
	e.Clock.Set(at)
	_, err := redeem(e, card, it)
	return err
}

// A weekly limit's week starts on Monday at midnight in the center's zone
// (China: UTC+8), not on Sunday and not at midnight UTC.
func TestPromiseWeeklyLimit(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, card := e.AddPerson(t, "赵大妈", record.Resident)
	e.Credit(t, p.ID, 100)
	it := limitedItem(t, e, "鸡蛋", ledger.Weekly)
	for _, step := range []struct {
		at      time.Time
		refused bool
	}{
		{time.Date(2026, 3, 2, 9, 0, 0, 0, cst), false},   // Monday
		{time.Date(2026, 3, 4, 15, 0, 0, 0, cst), true},   // Wednesday, same week
		{time.Date(2026, 3, 8, 23, 59, 0, 0, cst), true},  // Sunday: still the same week
		{time.Date(2026, 3, 9, 0, 0, 0, 0, cst), false},   // Monday 00:00 (Sunday 16:00 UTC): a new week
		{time.Date(2026, 3, 15, 23, 59, 0, 0, cst), true}, // that week's Sunday
		{time.Date(2026, 3, 16, 0, 30, 0, 0, cst), false}, // and the next Monday
	} {
		err := redeemAt(t, e, card, it.ID, step.at)
		if step.refused != errors.Is(err, ledger.ErrPeriodLimit) || (!step.refused && err != nil) {
			t.Fatalf("%s: %v, refused want %v", step.at.Format("Mon 2006-01-02 15:04"), err, step.refused)
		}
	}
	e.MustVerify(t)
}

// A yearly limit's year starts on 1 January at midnight in the center's zone.
func TestPromiseYearlyLimit(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, card := e.AddPerson(t, "赵大妈", record.Resident)
	e.Credit(t, p.ID, 100)
	it := limitedItem(t, e, "体检券", ledger.Yearly)
	for _, step := range []struct {
		at      time.Time
		refused bool
	}{
		{time.Date(2026, 3, 2, 9, 0, 0, 0, cst), false},
		{time.Date(2026, 4, 2, 9, 0, 0, 0, cst), true},     // another month
		{time.Date(2026, 12, 31, 23, 59, 0, 0, cst), true}, // the year's last minute
		{time.Date(2027, 1, 1, 0, 0, 0, 0, cst), false},    // 1 January 00:00 (31 December 16:00 UTC)
		{time.Date(2027, 6, 1, 9, 0, 0, 0, cst), true},
	} {
		err := redeemAt(t, e, card, it.ID, step.at)
		if step.refused != errors.Is(err, ledger.ErrPeriodLimit) || (!step.refused && err != nil) {
			t.Fatalf("%s: %v, refused want %v", step.at.Format("2006-01-02 15:04"), err, step.refused)
		}
	}
	e.MustVerify(t)
}

func TestPromiseReversedRedemptionLeavesTheOfflineCap(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, card := e.AddPerson(t, "周玥", record.Resident)
	e.Credit(t, p.ID, 1000)
	if err := e.SetPolicy(ctx, record.Policy{OfflineCapPoints: 100}); err != nil {
		t.Fatal(err)
	}
	it := e.AddItem(t, "大米", 60, 10)
	r, err := redeem(e, card, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Reverse(ctx, ledger.Reverse{ID: record.NewEntryID(), Entry: r.Entry.ID, Operator: e.Staff, Reason: "拿错了"}); err != nil {
		t.Fatal(err)
	}
	if _, err := redeem(e, card, it.ID); err != nil {
		t.Fatalf("60 points after a reversed 60 (cap 100): %v", err)
	}
	if _, err := redeem(e, card, it.ID); !errors.Is(err, ledger.ErrOfflineCap) {
		t.Fatalf("120 points (cap 100): %v, want ErrOfflineCap", err)
	}
	e.MustVerify(t)
}

// Acknowledging a lower sequence than the hub already holds is ignored: no
// error, nothing moves back, nothing becomes unsynced again.
func TestPromiseAcknowledgeNeverMovesBack(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, _ := e.AddPerson(t, "王堃", record.RedVest)
	credits(t, e, p.ID, 5)
	st, _ := e.SyncState(ctx)
	if err := e.Acknowledge(ctx, st.HeadSeq); err != nil {
		t.Fatal(err)
	}
	credits(t, e, p.ID, 3)
	before, _ := e.SyncState(ctx)
	if before.AckedSeq != st.HeadSeq || before.Unsynced != 3 {
		t.Fatalf("before: %+v", before)
	}
	for _, seq := range []uint64{st.HeadSeq - 1, 1, 0} {
		if err := e.Acknowledge(ctx, seq); err != nil {
			t.Fatalf("acknowledge %d below %d: %v, want ignored", seq, st.HeadSeq, err)
		}
		after, _ := e.SyncState(ctx)
		if after.AckedSeq != before.AckedSeq || after.Unsynced != before.Unsynced {
			t.Fatalf("acknowledge %d moved the sync state back: %+v -> %+v", seq, before, after)
		}
	}
	e.Reopen(t)
	if after, _ := e.SyncState(ctx); after.AckedSeq != before.AckedSeq {
		t.Fatalf("after reopen: %+v", after)
	}
}

// Staff close a forgotten shift with at most the activity's maximum.
func TestPromiseResolveShiftNeverCreditsOverTheMaximum(t *testing.T) {
	e := ledgertest.MustOpen(t)
	a := e.AddActivity(t, "助老服务", record.Schedule{}, record.Rules{AnyTime: true, MaxMinutes: 240,
		PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 60}})
	p, card := e.AddPerson(t, "王堃", record.RedVest)
	s := checkIn(t, e, card, a.ID)
	// Forgotten for six hours: staff close it, and the rules' maximum, four
	// hours, is what counts; a minute more would break the promise.
	e.Clock.Advance(6 * time.Hour)
	r, err := e.ResolveShift(ctx, ledger.ResolveShift{ID: record.NewEntryID(), Shift: s.ID, Operator: e.Staff, Reason: "代为签退"})
	if err != nil || r.Credit.Minutes != 240 || r.Credit.Points != 240 || r.Shift.State != ledger.ShiftResolved {
		t.Fatalf("resolve after 6 h (max 240 min): %+v, %v", r, err)
	}
	if b, _ := e.Balance(ctx, p.ID); b.Minutes != 240 {
		t.Fatalf("minutes %d, want the maximum, 240", b.Minutes)
	}
	// Without a maximum in the rules, a day is the most.
	b := e.AddActivity(t, "全天值守", record.Schedule{}, record.Rules{AnyTime: true,
		PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 60}})
	s2 := checkIn(t, e, card, b.ID)
	e.Clock.Advance(30 * time.Hour)
	r, err = e.ResolveShift(ctx, ledger.ResolveShift{ID: record.NewEntryID(), Shift: s2.ID, Operator: e.Staff})
	if err != nil || r.Credit.Minutes != 24*60 {
		t.Fatalf("resolve after 30 h without a maximum: %+v, %v, want a day", r.Credit, err)
	}
	e.MustVerify(t)
}

// The sweep closes a forgotten shift at the scheduled end only when that
// stays within the maximum; a longer one is left for staff, uncredited.
func TestPromiseSweepNeverCreditsOverTheMaximum(t *testing.T) {
	e := ledgertest.MustOpen(t) // Monday 09:00
	a := e.AddActivity(t, "全天值守", record.Schedule{Start: "08:00", End: "20:00"}, record.Rules{MaxMinutes: 240,
		Forgotten: record.CloseAtEnd, PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 60}})
	p, card := e.AddPerson(t, "王堃", record.RedVest)
	s := checkIn(t, e, card, a.ID) // 09:00; the scheduled end, 20:00, is 11 hours on
	e.Clock.Advance(24 * time.Hour)
	res, err := e.SweepShifts(ctx, ledger.SweepShifts{ID: record.NewEntryID()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Closed) != 0 || len(res.Flagged) != 1 || res.Flagged[0].ID != s.ID || res.Flagged[0].Minutes != 0 {
		t.Fatalf("sweep = %+v, want the shift flagged for staff with nothing credited", res)
	}
	if got, _ := e.Shift(ctx, s.ID); got.State != ledger.ShiftFlagged || got.Minutes != 0 || got.Points != 0 {
		t.Fatalf("stored shift = %+v", got)
	}
	if b, _ := e.Balance(ctx, p.ID); b.Minutes != 0 || b.Points != 0 {
		t.Fatalf("balance %+v after the sweep, want nothing credited", b)
	}
	e.MustVerify(t)
}

// codeDraws is a pickup code generator's randomness that yields the given
// codes in turn, then the last one for ever. crypto/rand.Int(r, 10000) reads
// two bytes per draw and takes them big-endian (its top two bits cleared),
// so each code is its two bytes.
type codeDraws struct {
	codes []uint16
	buf   []byte
}

func (c *codeDraws) Read(p []byte) (int, error) {
	for len(c.buf) < len(p) {
		n := c.codes[0]
		if len(c.codes) > 1 {
			c.codes = c.codes[1:]
		}
		c.buf = append(c.buf, byte(n>>8), byte(n))
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

func draws(codes ...uint16) *codeDraws { return &codeDraws{codes: codes} }

// Pickup codes are unique at the center for the day: a drawn code already
// given out today, even for a redemption since reversed, is drawn again.
func TestPromisePickupCodesNeverCollide(t *testing.T) {
	e := ledgertest.MustOpen(t)
	if err := e.SetPolicy(ctx, record.Policy{}); err != nil {
		t.Fatal(err)
	}
	it := e.AddItem(t, "肥皂", 1, 100)
	p, card := e.AddPerson(t, "赵大妈", record.Resident)
	e.Credit(t, p.ID, 100)
	got := func(r *codeDraws) ledger.Redemption {
		t.Helper()
		ledger.SetPickupRand(t, r)
		red, err := redeem(e, card, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		return red
	}
	if r := got(draws(42)); r.Code != "0042" {
		t.Fatalf("first code %s, want 0042 (the generator is not the one injected)", r.Code)
	}
	if r := got(draws(42, 42, 42, 7)); r.Code != "0007" {
		t.Fatalf("after three collisions: %s, want 0007", r.Code)
	}
	rev := got(draws(9999))
	if _, err := e.Reverse(ctx, ledger.Reverse{ID: record.NewEntryID(), Entry: rev.Entry.ID, Operator: e.Staff, Reason: "不要了"}); err != nil {
		t.Fatal(err)
	}
	if r := got(draws(9999, 7, 42, 1234)); r.Code != "1234" {
		t.Fatalf("code %s, want 1234: 9999 (reversed), 7 and 42 are today's", r.Code)
	}
	// Only collisions: refused, nothing written, no code given twice.
	ledger.SetPickupRand(t, draws(42))
	before, _ := e.Balance(ctx, p.ID)
	st, _ := e.Status(ctx)
	if r, err := redeem(e, card, it.ID); err == nil {
		t.Fatalf("every draw taken, yet redeemed with code %s", r.Code)
	}
	after, _ := e.Balance(ctx, p.ID)
	st2, _ := e.Status(ctx)
	if after != before || st2.Entries != st.Entries {
		t.Fatalf("a refused redemption wrote: balance %+v -> %+v, entries %d -> %d", before, after, st.Entries, st2.Entries)
	}
	// Tomorrow the codes are free again.
	e.Clock.Advance(24 * time.Hour)
	if r := got(draws(42)); r.Code != "0042" {
		t.Fatalf("next day: %s, want 0042 again", r.Code)
	}
	day := ledgertest.Start.Format(time.DateOnly)
	recs, err := e.Redemptions(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[ledger.PickupCode]bool{}
	for _, r := range recs {
		if seen[r.Code] {
			t.Fatalf("code %s given twice on %s: %+v", r.Code, day, recs)
		}
		seen[r.Code] = true
	}
	if len(recs) != 4 {
		t.Fatalf("%d redemptions on %s, want 4", len(recs), day)
	}
	e.MustVerify(t)
}
