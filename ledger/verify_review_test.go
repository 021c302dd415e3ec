package ledger_test

import (
	"os"
	"testing"

	"github.com/hongmajia/hongmajia/ledger"
)

// TestVerifyFindsEntryRowsOutOfOrder: entry_rows is WITHOUT ROWID, its
// rows an index b-tree of their own that Verify does not walk and
// quick_check does not order (only integrity_check says "row not in
// PRIMARY KEY order"): two rows swapped on a leaf must still be found, by
// the chain scan that reads them in the primary key's order.
func TestVerifyFindsEntryRowsOutOfOrder(t *testing.T) {
	e, path := indexedLedger(t, 1500)
	leaves, _ := pagesOf(t, path, "entry_rows", "leaf")
	if len(leaves) < 3 {
		t.Fatalf("entry_rows has %d leaves; the test wants a middle one", len(leaves))
	}
	pg := leaves[len(leaves)/2]
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page := data[(pg-1)*4096 : pg*4096]
	if page[0] != 10 {
		t.Fatalf("entry_rows' leaf is of type %d, not an index leaf", page[0])
	}
	p := page[8+2*2:]
	p[0], p[1], p[2], p[3] = p[2], p[3], p[0], p[1] // cells 2 and 3 swapped
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := integrity(t, path, "integrity_check"); got == "ok" {
		t.Fatal("integrity_check passes the swapped rows: the test changes nothing that matters")
	}
	quick := integrity(t, path, "quick_check")
	opts := e.Opts
	opts.ReadOnly = true
	l, err := ledger.Open(ctx, e.Dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	rep, err := l.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() {
		t.Fatalf("Verify passes entry_rows with two rows out of their primary key's order (quick_check: %s)", quick)
	}
	seqs := 0
	for _, p := range rep.Problems {
		if p.Check == "sequence" {
			seqs++
		}
	}
	if seqs == 0 {
		t.Errorf("no sequence problem for rows read out of order: %v", rep.Problems)
	}
	t.Logf("quick_check: %s; Verify: %v", quick, rep.Problems)
}
