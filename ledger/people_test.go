package ledger_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

func TestReplaceLostCard(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, old := e.AddPerson(t, "周玥", record.GreenVest)
	e.Credit(t, p.ID, 80)
	act := e.AnyTime(t)
	checkIn(t, e, old, act.ID)
	newUID := e.NewUID()
	rep, err := e.ReplaceCard(ctx, ledger.ReplaceCard{ID: record.NewEntryID(), Old: old, New: newUID, Operator: e.Staff})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Kind != record.KindReplaceCard || rep.Card != newUID || rep.OtherCard != old || rep.Person != p.ID {
		t.Fatalf("replacement entry %+v", rep)
	}
	info, err := e.LookupCard(ctx, newUID)
	if err != nil || info.Balance.Points != 80 || info.Person.ID != p.ID {
		t.Fatalf("new card: %+v, %v", info, err)
	}
	if info.OpenShift == nil {
		t.Fatal("the open shift did not follow the person to the new card")
	}
	// The old card is refused from now on, for everything.
	if _, err := e.LookupCard(ctx, old); !errors.Is(err, ledger.ErrCardLost) {
		t.Fatalf("old card lookup: %v", err)
	}
	if _, err := e.CheckOut(ctx, ledger.CheckOut{ID: record.NewEntryID(), Card: old}); !errors.Is(err, ledger.ErrCardLost) {
		t.Fatalf("old card check-out: %v", err)
	}
	e.Clock.Advance(time.Hour)
	if r := checkOut(t, e, newUID); r.Credit.Minutes != 60 {
		t.Fatalf("check-out with new card: %+v", r.Credit)
	}
	if _, err := e.ReplaceCard(ctx, ledger.ReplaceCard{ID: record.NewEntryID(), Old: newUID, New: old, Operator: e.Staff}); !errors.Is(err, ledger.ErrCardInUse) {
		t.Fatalf("rebinding the old card: %v", err)
	}
	cards, _ := e.Cards(ctx, p.ID)
	if len(cards) != 2 {
		t.Fatalf("cards = %+v", cards)
	}
	e.MustVerify(t)
}

func TestCardStatesAndLookup(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, card := e.AddPerson(t, "李喆", record.RedVest)
	if _, err := e.LookupCard(ctx, "0BADCAFE"); !errors.Is(err, ledger.ErrUnknownCard) {
		t.Fatalf("unknown: %v", err)
	}
	info, err := e.LookupCard(ctx, e.Staff)
	if err != nil || info.Staff == nil || info.Person != nil || info.Staff.Role != ledger.RoleStaff {
		t.Fatalf("staff card lookup: %+v, %v", info, err)
	}
	if _, err := e.BindCard(ctx, ledger.BindCard{ID: record.NewEntryID(), Person: p.ID, UID: e.Staff}); !errors.Is(err, ledger.ErrCardInUse) {
		t.Fatalf("binding a staff card to a person: %v", err)
	}
	if _, err := e.BindCard(ctx, ledger.BindCard{ID: record.NewEntryID(), Person: p.ID, UID: "04:a1:b2:c3"}); !errors.Is(err, ledger.ErrBadUID) {
		t.Fatalf("binding an unnormalised UID: %v", err)
	}
	if _, err := e.SetCardState(ctx, ledger.SetCardState{ID: record.NewEntryID(), UID: card, State: ledger.CardRevoked, Operator: card}); !errors.Is(err, ledger.ErrNotStaff) {
		t.Fatalf("revoking without staff: %v", err)
	}
	if _, err := e.SetCardState(ctx, ledger.SetCardState{ID: record.NewEntryID(), UID: card, State: ledger.CardRevoked, Operator: e.Staff, Reason: "注销"}); err != nil {
		t.Fatal(err)
	}
	info, err = e.LookupCard(ctx, card)
	if !errors.Is(err, ledger.ErrCardRevoked) || info.Person == nil || info.Card.State != ledger.CardRevoked {
		t.Fatalf("revoked lookup: %+v, %v", info, err)
	}
	act := e.AnyTime(t)
	if _, err := e.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: card, Activity: act.ID}); !errors.Is(err, ledger.ErrCardRevoked) {
		t.Fatalf("revoked check-in: %v", err)
	}
}

func TestEnrolAndFindPeople(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, err := e.EnrolPerson(ctx, ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: "HPL-0042", Name: " 王堃 ", Phone: "138-1234-5678", Community: "和平里社区", Kind: record.InService})
	if err != nil {
		t.Fatal(err)
	}
	if p.Phone != "138****5678" || p.Name != "王堃" {
		t.Fatalf("person %+v", p)
	}
	for _, q := range []string{"5678", "HPL-0042", "42", "0042", "000042"} {
		got, err := e.FindPeople(ctx, q, 10)
		if err != nil || len(got) != 1 || got[0].ID != p.ID {
			t.Fatalf("FindPeople(%q) = %+v, %v", q, got, err)
		}
	}
	for _, q := range []string{"1234", "2", "0000", "HPL"} {
		if got, _ := e.FindPeople(ctx, q, 10); len(got) != 0 {
			t.Fatalf("FindPeople(%q) matched %+v", q, got)
		}
	}
	if _, err := e.EnrolPerson(ctx, ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: "HPL-0042", Name: "另一人", Kind: record.Resident}); !errors.Is(err, ledger.ErrInvalid) {
		t.Fatalf("duplicate member number: %v", err)
	}
	for _, bad := range []ledger.EnrolPerson{
		{MemberNo: "X1", Kind: record.Resident},
		{Name: "无号", Kind: record.Resident},
		{MemberNo: "X2", Name: "无类", Kind: 0},
	} {
		bad.ID = record.NewEntryID()
		if _, err := e.EnrolPerson(ctx, bad); !errors.Is(err, ledger.ErrInvalid) {
			t.Fatalf("EnrolPerson(%+v) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestMaskPhone(t *testing.T) {
	for in, want := range map[string]string{
		"13812345678":       "138****5678",
		"+86 138 1234 5678": "138****5678",
		"138****5678":       "138****5678",
		"12345":             "12345",
		"":                  "",
	} {
		if got := ledger.MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFindPeopleByTheNumberInAMemberNumber: the kiosk's pad types digits,
// member numbers have letters: the number in a member number finds it,
// with or without leading zeros, and no other number does.
func TestFindPeopleByTheNumberInAMemberNumber(t *testing.T) {
	e := ledgertest.MustOpen(t)
	enrol := func(member, name string) ledger.Person {
		t.Helper()
		p, err := e.EnrolPerson(ctx, ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: member, Name: name, Kind: record.RedVest})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := enrol("HPL0012", "王堃")
	b := enrol("HPL0112", "李喆")
	c := enrol("HP2024-0012", "陈赟")
	d := enrol("X12Y", "周玥")
	for q, want := range map[string][]record.PersonID{
		"12":       {a.ID, c.ID, d.ID},
		"0012":     {a.ID, c.ID, d.ID},
		"112":      {b.ID},
		"0112":     {b.ID},
		"20240012": nil,
		"HPL0012":  {a.ID},
		"2024":     nil,
		"012":      {a.ID, c.ID, d.ID},
		"1":        nil,
	} {
		got, err := e.FindPeople(ctx, q, 10)
		if err != nil {
			t.Fatal(err)
		}
		var ids []record.PersonID
		for _, p := range got {
			ids = append(ids, p.ID)
		}
		slices.Sort(ids)
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Errorf("FindPeople(%q) = %v, want %v", q, ids, want)
		}
	}
	if got, _ := e.FindPeople(ctx, "12", 2); len(got) != 2 {
		t.Errorf("limit 2: %d people", len(got))
	}
}

// TestWalkInGetsAMemberNumberOfThisTerminal: a walk-in registered without a
// member number gets one no other kiosk can make (this terminal's id and
// six random digits), different each time, found by its digits.
func TestWalkInGetsAMemberNumberOfThisTerminal(t *testing.T) {
	e := ledgertest.MustOpen(t)
	seen := map[string]bool{}
	for range 5 {
		p, err := e.EnrolPerson(ctx, ledger.EnrolPerson{ID: record.NewEntryID(), Kind: record.GreenVest, Provisional: true})
		if err != nil {
			t.Fatal(err)
		}
		digits, ok := strings.CutPrefix(p.MemberNo, e.Terminal().ID+"-")
		if !ok || len(digits) != 6 || seen[p.MemberNo] {
			t.Fatalf("walk-in member number %q (seen before: %v), want %s-NNNNNN", p.MemberNo, seen[p.MemberNo], e.Terminal().ID)
		}
		seen[p.MemberNo] = true
		got, err := e.FindPeople(ctx, digits, 10)
		if err != nil || !slices.ContainsFunc(got, func(q ledger.Person) bool { return q.ID == p.ID }) {
			t.Fatalf("FindPeople(%q) = %+v, %v", digits, got, err)
		}
	}
	// Named people still need a member number.
	if _, err := e.EnrolPerson(ctx, ledger.EnrolPerson{ID: record.NewEntryID(), Name: "王堃", Kind: record.GreenVest}); !errors.Is(err, ledger.ErrInvalid) {
		t.Fatalf("a named person without a member number: %v", err)
	}
}
