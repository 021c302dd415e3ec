package ledger_test

import (
	"errors"
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
	for _, q := range []string{"5678", "HPL-0042"} {
		got, err := e.FindPeople(ctx, q, 10)
		if err != nil || len(got) != 1 || got[0].ID != p.ID {
			t.Fatalf("FindPeople(%q) = %+v, %v", q, got, err)
		}
	}
	if got, _ := e.FindPeople(ctx, "1234", 10); len(got) != 0 {
		t.Fatalf("middle digits matched: %+v", got)
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
