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

// Every ledger trims its idempotency log as it writes, synced or not: it
// stays within the kept results and one trim's worth, a log grown before
// (here under a larger keep) shrinks as writes go on, and a trimmed
// request retried is still not written twice.
func TestRequestsTrimmedAsWritten(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, _ := e.AddPerson(t, "李四", record.GreenVest)
	db := rawDB(t, e)
	count := func() (n int) {
		t.Helper()
		if err := db.QueryRow("SELECT count(*) FROM requests").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	adjust := func(n int) []ledger.Adjust {
		t.Helper()
		var reqs []ledger.Adjust
		err := e.Batch(ctx, func(b *ledger.Batch) error {
			for range n {
				req := ledger.Adjust{ID: record.NewEntryID(), Person: p.ID, Points: 1, Reason: "test", Operator: e.Staff}
				if _, err := b.Adjust(req); err != nil {
					return err
				}
				reqs = append(reqs, req)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return reqs
	}
	first := adjust(1000) // kept whole: 1,000 is within KeepRequests
	if n := count(); n != 1003 {
		t.Fatalf("%d results after 1,003 writes, want all", n)
	}
	defer ledger.SetKeepRequests(100)()
	adjust(64) // one trim: the oldest 256 go
	if n := count(); n != 1003+64-256 {
		t.Errorf("%d results after one trim, want %d", n, 1003+64-256)
	}
	last := adjust(640)
	if n := count(); n < 100 || n > 100+64 {
		t.Errorf("%d results, want the latest 100 and at most 64 more", n)
	}
	before, _ := e.Balance(ctx, p.ID)
	if _, err := e.Adjust(ctx, first[0]); err == nil {
		t.Error("a trimmed request retried was written again")
	}
	again, err := e.Adjust(ctx, last[len(last)-1])
	if err != nil {
		t.Errorf("a kept request retried: %v", err)
	} else if again.ID != last[len(last)-1].ID {
		t.Errorf("a kept request retried answered entry %s, want %s", again.ID, last[len(last)-1].ID)
	}
	if after, _ := e.Balance(ctx, p.ID); after != before || after.Points != 1000+64+640 {
		t.Errorf("balance %+v after the retries, want %+v (%d points)", after, before, 1000+64+640)
	}
	e.MustVerify(t)
}
