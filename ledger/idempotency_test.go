package ledger_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

func TestSameIDTwiceWritesOnce(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, card := e.AddPerson(t, "王堃", record.RedVest)
	e.Credit(t, p.ID, 100)
	act := e.AnyTime(t)
	it := e.AddItem(t, "大米", 30, 10)

	inID := record.NewEntryID()
	s1, err := e.CheckIn(ctx, ledger.CheckIn{ID: inID, Card: card, Activity: act.ID})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := e.CheckIn(ctx, ledger.CheckIn{ID: inID, Card: card, Activity: act.ID})
	if err != nil || s2.ID != s1.ID || !s2.OpenedAt.Equal(s1.OpenedAt) {
		t.Fatalf("repeated check-in = %+v, %v; want the first result", s2, err)
	}
	e.Clock.Advance(time.Hour)
	outID := record.NewEntryID()
	o1, err := e.CheckOut(ctx, ledger.CheckOut{ID: outID, Card: card})
	if err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(time.Hour)
	o2, err := e.CheckOut(ctx, ledger.CheckOut{ID: outID, Card: card})
	if err != nil {
		t.Fatal(err)
	}
	if o2.Entry.Hash != o1.Entry.Hash || o2.Credit != o1.Credit {
		t.Fatalf("repeated check-out differs: %+v vs %+v", o2, o1)
	}
	// The stored result names its entry; the repeat reads it back whole.
	if !o2.Entry.At.Equal(o1.Entry.At) {
		t.Fatalf("repeated entry time %v, first %v", o2.Entry.At, o1.Entry.At)
	}
	o2.Entry.At = o1.Entry.At
	if o2.Entry != o1.Entry {
		t.Fatalf("repeated check-out entry:\n%+v\nfirst:\n%+v", o2.Entry, o1.Entry)
	}
	rid := record.NewEntryID()
	r1, err := e.Redeem(ctx, ledger.Redeem{ID: rid, Card: card, Item: it.ID})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := e.Redeem(ctx, ledger.Redeem{ID: rid, Card: card, Item: it.ID})
	if err != nil || r2.Code != r1.Code || r2.Entry.Seq != r1.Entry.Seq {
		t.Fatalf("repeated redemption = %+v, %v", r2, err)
	}
	if b, _ := e.Balance(ctx, p.ID); b.Points != 100+60-30 {
		t.Fatalf("balance %d: a repeat was written twice", b.Points)
	}
	if _, err := e.Adjust(ctx, ledger.Adjust{ID: rid, Person: p.ID, Points: 1, Reason: "x", Operator: e.Staff}); !errors.Is(err, ledger.ErrIDReused) {
		t.Fatalf("id reused for another op: %v", err)
	}
	if _, err := e.CheckIn(ctx, ledger.CheckIn{Card: card, Activity: act.ID}); !errors.Is(err, ledger.ErrNoRequestID) {
		t.Fatalf("zero id: %v", err)
	}
	// Survives a restart.
	e.Reopen(t)
	r3, err := e.Redeem(ctx, ledger.Redeem{ID: rid, Card: card, Item: it.ID})
	if err != nil || r3.Code != r1.Code {
		t.Fatalf("repeat after reopen = %+v, %v", r3, err)
	}
	rep := e.MustVerify(t)
	// restock, adjust, check-in, check-out, redeem
	if rep.Entries != 5 {
		t.Fatalf("%d entries, want 5", rep.Entries)
	}
}

// A refusal is not remembered: the same id may succeed once the cause is gone.
func TestRefusedIDMayBeRetried(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, card := e.AddPerson(t, "王堃", record.RedVest)
	e.Credit(t, p.ID, 100)
	it := e.AddItem(t, "大米", 30, 0)
	id := record.NewEntryID()
	if _, err := e.Redeem(ctx, ledger.Redeem{ID: id, Card: card, Item: it.ID}); !errors.Is(err, ledger.ErrOutOfStock) {
		t.Fatalf("first: %v", err)
	}
	if _, err := e.Restock(ctx, ledger.Restock{ID: record.NewEntryID(), Item: it.ID, Quantity: 1, Operator: e.Staff}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Redeem(ctx, ledger.Redeem{ID: id, Card: card, Item: it.ID}); err != nil {
		t.Fatalf("retry after restock: %v", err)
	}
}
