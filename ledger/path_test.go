package ledger_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// TestDataDirectoryWithURICharacters: a data directory whose path holds
// what an SQLite URI reads as its own ('#' begins a fragment, '?' a query,
// '%' an escape) is that directory: two such ledgers are two files, each
// opened, verified and read as itself.
func TestDataDirectoryWithURICharacters(t *testing.T) {
	base := t.TempDir()
	names := []string{"kiosk#1", "kiosk#2", "kiosk?x=1", "100%25", "100%"}
	ids := map[string]record.PersonID{}
	opts := ledgertest.Options(clock.NewFake(ledgertest.Start), clock.NewFakeSync(true))
	for _, n := range names {
		dir := filepath.Join(base, n)
		l, err := ledger.Create(ctx, dir, ledger.Terminal{Center: ledgertest.Center}, opts)
		if err != nil {
			t.Fatalf("create in %q: %v", n, err)
		}
		p, err := l.EnrolPerson(ctx, ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: n, Name: "王五", Kind: record.RedVest})
		if err != nil {
			t.Fatalf("%q: %v", n, err)
		}
		ids[n] = p.ID
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range names {
		dir := filepath.Join(base, n)
		if _, err := os.Stat(filepath.Join(dir, ledger.FileName)); err != nil {
			t.Errorf("%q: no ledger file in its directory: %v", n, err)
		}
		l, err := ledger.Open(ctx, dir, opts)
		if err != nil {
			t.Fatalf("open %q: %v", n, err)
		}
		ps, err := l.FindPeople(ctx, n, 10)
		if err != nil || len(ps) != 1 || ps[0].ID != ids[n] {
			t.Errorf("%q holds %+v, %v; want its own person only", n, ps, err)
		}
		l.Close()
		rep, err := ledger.VerifyFile(ctx, filepath.Join(dir, ledger.FileName))
		if err != nil || !rep.OK() {
			t.Errorf("verify %q: %+v, %v", n, rep, err)
		}
	}
	if ents, _ := os.ReadDir(base); len(ents) != len(names) {
		t.Errorf("%d files beside the data directories: %v", len(ents)-len(names), ents)
	}
}
