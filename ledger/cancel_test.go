package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hubsync"
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

// TestACancelledPullIsNotTheHubsFault: a pull whose context ends while it
// is applied fails as cancelled, never as a pull naming people the ledger
// does not hold (ErrInvalid, the hub's fault), however far it got.
func TestACancelledPullIsNotTheHubsFault(t *testing.T) {
	e := ledgertest.MustOpen(t)
	enrol(t, e)
	pull := hubsync.PullResult{Version: 3}
	for i := range 60 {
		p, card := e.AddPerson(t, fmt.Sprintf("志愿者%d", i), record.GreenVest)
		pull.Cards = append(pull.Cards, hubsync.Card{UID: card, Person: p.ID, State: hubsync.CardActive})
	}
	h := head(t, e)
	for _, c := range pull.Cards {
		pull.Balances = append(pull.Balances, signed(e, c.Person, 10, 60, h.Seq, 3))
	}
	for i := range 300 {
		c, cancel := context.WithTimeout(ctx, time.Duration(i*20)*time.Microsecond)
		err := e.ApplyPull(c, pull)
		cancel()
		if errors.Is(err, ledger.ErrInvalid) {
			t.Fatalf("try %d: a pull cut short by its context: %v", i, err)
		}
	}
	applyPull(t, e, pull)
	e.MustVerify(t)
}
