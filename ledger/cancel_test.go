package ledger_test

import (
	"context"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// TestACancelledWriteLeavesTheWriterFree: a write whose context ends while
// it runs (a sync cancelled mid-flight, a request timing out) fails or
// succeeds, but never leaves the writer inside its transaction: the next
// tap is recorded. The driver may report the context's end over a BEGIN
// that took effect, so every moment of the write is tried.
func TestACancelledWriteLeavesTheWriterFree(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, _ := e.AddPerson(t, "王堃", record.RedVest)
	for i := range 400 {
		c, cancel := context.WithTimeout(ctx, time.Duration(i%200)*time.Microsecond)
		_, cerr := e.NextCounter(c)
		cancel()
		if _, err := e.Adjust(ctx, ledger.Adjust{ID: record.NewEntryID(), Person: p.ID, Points: 1, Reason: "测试", Operator: e.Staff}); err != nil {
			t.Fatalf("try %d: a tap after a write cancelled (%v): %v", i, cerr, err)
		}
	}
	e.MustVerify(t)
}
