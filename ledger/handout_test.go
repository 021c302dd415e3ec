package ledger_test

import (
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// TestHandOutOnce: staff hand a redemption's goods out once, recorded with
// the operator and the time; a second time is refused with when and by
// whom; a handed-out redemption cannot be reversed, nor a reversed one
// handed out; the lists say which were handed out.
func TestHandOutOnce(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, card := e.AddPerson(t, "王堃", record.Resident)
	e.Credit(t, p.ID, 300)
	rice := e.AddItem(t, "大米", 80, 5)
	r, err := redeem(e, card, rice.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.RedemptionByCode(ctx, r.Code)
	if err != nil || got.Entry != r.Entry.ID || got.ItemName != "大米" || got.PersonName != "王堃" || !got.HandedOut.At.IsZero() {
		t.Fatalf("RedemptionByCode(%s) = %+v, %v", r.Code, got, err)
	}
	e.Clock.Advance(10 * time.Minute)
	first := ledger.HandOut{ID: record.NewEntryID(), Redemption: r.Entry.ID, Operator: e.Staff}
	h, err := e.HandOut(ctx, first)
	if err != nil || h.By != "值班员" || h.Operator != e.Staff || !h.At.Equal(e.Clock.Now()) {
		t.Fatalf("HandOut = %+v, %v", h, err)
	}
	at := e.Clock.Now()
	e.Clock.Advance(time.Minute)
	if again, err := e.HandOut(ctx, first); err != nil || !again.At.Equal(h.At) || again.By != h.By || again.Redemption != h.Redemption {
		t.Fatalf("the same request again = %+v, %v; want the first answer", again, err)
	}
	_, err = e.HandOut(ctx, ledger.HandOut{ID: record.NewEntryID(), Redemption: r.Entry.ID, Operator: e.Staff})
	var he *ledger.HandedOutError
	if !errors.Is(err, ledger.ErrHandedOut) || !errors.As(err, &he) || !he.Handout.At.Equal(at) || he.Handout.By != "值班员" {
		t.Fatalf("a second hand-out: %v, want ErrHandedOut at %v by 值班员", err, at)
	}
	recs, err := e.Redemptions(ctx, ledgertest.Start.Format(time.DateOnly))
	if err != nil || len(recs) != 1 || !recs[0].HandedOut.At.Equal(at) || recs[0].HandedOut.By != "值班员" {
		t.Fatalf("redemptions = %+v, %v", recs, err)
	}
	if got, err := e.RedemptionByCode(ctx, r.Code); err != nil || !got.HandedOut.At.Equal(at) {
		t.Fatalf("by code after the hand-out: %+v, %v", got, err)
	}
	_, err = e.Reverse(ctx, ledger.Reverse{ID: record.NewEntryID(), Entry: r.Entry.ID, Operator: e.Staff, Reason: "撤销"})
	if !errors.Is(err, ledger.ErrNotReversible) || !errors.Is(err, ledger.ErrHandedOut) {
		t.Fatalf("reversing a handed-out redemption: %v", err)
	}

	// A reversed redemption's code is void.
	r2, err := redeem(e, card, rice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Reverse(ctx, ledger.Reverse{ID: record.NewEntryID(), Entry: r2.Entry.ID, Operator: e.Staff, Reason: "撤销"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.HandOut(ctx, ledger.HandOut{ID: record.NewEntryID(), Redemption: r2.Entry.ID, Operator: e.Staff}); !errors.Is(err, ledger.ErrRedemptionReversed) {
		t.Fatalf("handing out a reversed redemption: %v", err)
	}
	if _, err := e.HandOut(ctx, ledger.HandOut{ID: record.NewEntryID(), Redemption: record.NewEntryID(), Operator: e.Staff}); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("handing out no redemption: %v", err)
	}

	// Yesterday's code is found today; one from 40 days ago is not.
	r3, err := redeem(e, card, rice.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(24 * time.Hour)
	if got, err := e.RedemptionByCode(ctx, r3.Code); err != nil || got.Entry != r3.Entry.ID {
		t.Fatalf("yesterday's code: %+v, %v", got, err)
	}
	e.Clock.Advance(40 * 24 * time.Hour)
	if _, err := e.RedemptionByCode(ctx, r3.Code); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("a code of 40 days ago: %v", err)
	}

	// The record is append-only.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(e.Dir, ledger.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{"UPDATE handouts SET operator = 'X'", "DELETE FROM handouts"} {
		if _, err := db.ExecContext(ctx, q); err == nil {
			t.Errorf("%s: allowed", q)
		}
	}
	e.MustVerify(t)
}
