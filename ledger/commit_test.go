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

// TestWriterRecoversFromAFailedCommit: a COMMIT that fails, or whose answer
// is lost, leaves the writer where the database is: the next write
// chains on, a retry of the same request writes nothing twice, and the
// ledger verifies.
func TestWriterRecoversFromAFailedCommit(t *testing.T) {
	for _, tc := range []struct {
		name string
		// hook runs inside the COMMIT; cancel ends the request's context.
		hook func(cancel context.CancelFunc) int32
	}{
		{"commit refused", func(context.CancelFunc) int32 { return 1 }},
		// The request is cancelled while its COMMIT reaches the disk (the
		// screen closing, a control client gone).
		{"cancelled during commit", func(cancel context.CancelFunc) int32 {
			cancel()
			time.Sleep(50 * time.Millisecond) // the driver's watcher sees it
			return 0
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := ledgertest.MustOpen(t)
			p, _ := e.AddPerson(t, "王堃", record.RedVest)
			e.Credit(t, p.ID, 100)
			reqCtx, cancel := context.WithCancel(ctx)
			defer cancel()
			if err := ledger.OnCommit(e.Ledger, func() int32 { return tc.hook(cancel) }); err != nil {
				t.Fatal(err)
			}
			failed := ledger.Adjust{ID: record.NewEntryID(), Person: p.ID, Points: 10, Reason: "first", Operator: e.Staff}
			_, ferr := e.Adjust(reqCtx, failed)
			if err := ledger.OnCommit(e.Ledger, nil); err != nil {
				t.Fatal(err)
			}
			t.Logf("the write in trouble: %v", ferr)
			// The next tap is written.
			if _, err := e.Adjust(ctx, ledger.Adjust{ID: record.NewEntryID(), Person: p.ID, Points: 1, Reason: "next", Operator: e.Staff}); err != nil {
				t.Fatalf("the write after a failed commit: %v", err)
			}
			// The terminal retries the one it never saw confirmed: written once.
			if _, err := e.Adjust(ctx, failed); err != nil {
				t.Fatalf("retry: %v", err)
			}
			if b, err := e.Balance(ctx, p.ID); err != nil || b.Points != 111 {
				t.Errorf("balance %+v %v, want 111 points", b, err)
			}
			e.MustVerify(t)
			e.Reopen(t)
			e.MustVerify(t)
			if _, err := e.Adjust(ctx, ledger.Adjust{ID: record.NewEntryID(), Person: p.ID, Points: 1, Reason: "after restart", Operator: e.Staff}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestWriterRecoversFromAFullDisk: writes fail while the ledger is at its
// size cap and go on, chained, once there is room again.
func TestWriterRecoversFromAFullDisk(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, _ := e.AddPerson(t, "李喆", record.GreenVest)
	if _, err := ledger.SetMaxPageCount(e.Ledger, 0); err != nil {
		t.Fatal(err)
	}
	full := 0
	for i := 0; i < 5000 && full < 3; i++ {
		_, err := e.Adjust(ctx, ledger.Adjust{ID: record.NewEntryID(), Person: p.ID, Points: 1, Reason: "fill", Operator: e.Staff})
		switch {
		case errors.Is(err, ledger.ErrDiskFull):
			full++
		case err != nil:
			t.Fatal(err)
		}
	}
	if full == 0 {
		t.Fatal("never full")
	}
	if _, err := ledger.SetMaxPageCount(e.Ledger, 1000); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := e.Adjust(ctx, ledger.Adjust{ID: record.NewEntryID(), Person: p.ID, Points: 1, Reason: "room again", Operator: e.Staff}); err != nil {
			t.Fatalf("after room came back: %v", err)
		}
	}
	e.MustVerify(t)
}
