package ledger_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

var ctx = context.Background()

func TestCoreFlow(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, card := e.AddPerson(t, "王堃", record.RedVest)
	act := e.AnyTime(t)
	shift, err := e.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: card, Activity: act.ID})
	if err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(90 * time.Minute)
	out, err := e.CheckOut(ctx, ledger.CheckOut{ID: record.NewEntryID(), Card: card})
	if err != nil {
		t.Fatal(err)
	}
	if out.Shift.ID != shift.ID || out.Credit.Minutes != 90 || out.Credit.Points != 90 {
		t.Fatalf("check-out = %+v", out)
	}
	it := e.AddItem(t, "大米", 50, 3)
	r, err := e.Redeem(ctx, ledger.Redeem{ID: record.NewEntryID(), Card: card, Item: it.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Code) != 4 || r.Balance.Points != 40 {
		t.Fatalf("redemption = %+v", r)
	}
	info, err := e.LookupCard(ctx, card)
	if err != nil {
		t.Fatal(err)
	}
	if info.Person.ID != p.ID || info.Balance != (ledger.Balance{Points: 40, Minutes: 90}) || info.OpenShift != nil {
		t.Fatalf("lookup = %+v", info)
	}
	if _, err := e.Redeem(ctx, ledger.Redeem{ID: record.NewEntryID(), Card: card, Item: it.ID}); !errors.Is(err, ledger.ErrInsufficientPoints) {
		t.Fatalf("second redeem err = %v, want insufficient", err)
	}
	e.Reopen(t)
	rep := e.MustVerify(t)
	if rep.Entries != 4 {
		t.Fatalf("entries = %d, want 4 (restock, check-in, check-out, redeem)", rep.Entries)
	}
}
