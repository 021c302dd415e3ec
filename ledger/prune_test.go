package ledger_test

import (
	"testing"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// The idempotency log keeps the latest results only; a retry of a kept
// one is answered as before, and a write whose result was dropped still
// cannot be done twice: its entry's id is taken.
func TestPruneRequests(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, _ := e.AddPerson(t, "张三", record.RedVest)
	var reqs []ledger.Adjust
	for range 30 {
		req := ledger.Adjust{ID: record.NewEntryID(), Person: p.ID, Points: 1, Reason: "test", Operator: e.Staff}
		if _, err := e.Adjust(ctx, req); err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, req)
	}
	n, err := e.PruneRequests(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	// 30 adjustments, the person and the card, the staff card: 33 writes.
	if n != 23 {
		t.Errorf("pruned %d, want 23", n)
	}
	if again, _ := e.PruneRequests(ctx, 10); again != 0 {
		t.Errorf("a second prune dropped %d", again)
	}
	kept := reqs[len(reqs)-1]
	before, _ := e.Balance(ctx, p.ID)
	if _, err := e.Adjust(ctx, kept); err != nil {
		t.Errorf("a kept request retried: %v", err)
	}
	if _, err := e.Adjust(ctx, reqs[0]); err == nil {
		t.Error("a dropped request retried was written again")
	} else {
		t.Logf("a dropped request retried: %v", err)
	}
	if after, _ := e.Balance(ctx, p.ID); after != before || after.Points != 30 {
		t.Errorf("balance %+v after the retries, want %+v (30 points)", after, before)
	}
	e.MustVerify(t)
}
