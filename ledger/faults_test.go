package ledger_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

func TestDiskFull(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, card := e.AddPerson(t, "王堃", record.RedVest)
	e.Credit(t, p.ID, 1_000_000)
	it := e.AddItem(t, "大米", 1, 1_000_000)
	if err := e.SetPolicy(ctx, record.Policy{}); err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.SetMaxPageCount(e.Ledger, 0); err != nil {
		t.Fatal(err)
	}
	var (
		full     error
		failedID record.EntryID
		okCount  int
	)
	for i := 0; i < 5000 && full == nil; i++ {
		id := record.NewEntryID()
		_, err := e.Redeem(ctx, ledger.Redeem{ID: id, Card: card, Item: it.ID})
		switch {
		case err == nil:
			okCount++
		case errors.Is(err, ledger.ErrDiskFull):
			full, failedID = err, id
		default:
			t.Fatalf("redeem %d: %v", i, err)
		}
	}
	if full == nil {
		t.Fatal("the database never filled up")
	}
	if !ledger.IsTransient(full) || ledger.IsCorruption(full) {
		t.Fatalf("disk full should be transient: %v", full)
	}
	t.Logf("%d redemptions fit; then: %v", okCount, full)
	bal, _ := e.Balance(ctx, p.ID)
	if bal.Points != 1_000_000-int64(okCount) {
		t.Fatalf("balance %d after %d redemptions and a failed one", bal.Points, okCount)
	}
	if _, err := e.Entry(ctx, failedID); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("the failed redemption left an entry: %v", err)
	}
	e.MustVerify(t)
	// Room again: the same request goes through once, the chain continues.
	if _, err := ledger.SetMaxPageCount(e.Ledger, 1000); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Redeem(ctx, ledger.Redeem{ID: failedID, Card: card, Item: it.ID}); err != nil {
		t.Fatalf("retry after space freed: %v", err)
	}
	e.Reopen(t)
	if b, _ := e.Balance(ctx, p.ID); b.Points != bal.Points-1 {
		t.Fatalf("balance %d after retry, want %d", b.Points, bal.Points-1)
	}
	e.MustVerify(t)
}

func TestOpenRefusesNotADatabase(t *testing.T) {
	for name, content := range map[string][]byte{
		"text":          []byte(strings.Repeat("这不是数据库 this is not a database\n", 200)),
		"empty":         {},
		"short":         []byte("SQLite"),
		"header only":   append([]byte("SQLite format 3\x00"), bytes.Repeat([]byte{0xAB}, 5000)...),
		"zeroed header": make([]byte, 8192),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, ledger.FileName)
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := ledger.Open(ctx, dir, ledgertest.Options(nil, nil))
			var fe *ledger.FileError
			if !ledger.IsCorruption(err) || !errors.As(err, &fe) || fe.Path != path || !strings.Contains(err.Error(), path) {
				t.Fatalf("Open = %v; want a FileError naming %s", err, path)
			}
			got, _ := os.ReadFile(path)
			if !bytes.Equal(got, content) {
				t.Fatal("the file was changed")
			}
			if _, err := ledger.Create(ctx, dir, ledger.Terminal{Center: "C"}, ledgertest.Options(nil, nil)); !errors.Is(err, ledger.ErrExists) {
				t.Fatalf("Create over it = %v, want ErrExists", err)
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, content) {
				t.Fatal("Create changed the file")
			}
		})
	}
}

func TestOpenRefusesCorruptDatabase(t *testing.T) {
	e := ledgertest.MustOpen(t)
	act := e.AnyTime(t)
	for range 40 {
		_, card := e.AddPerson(t, "居民", record.GreenVest)
		checkIn(t, e, card, act.ID)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.Dir, ledger.FileName)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		t.Fatal("WAL left after close; the test wants everything in the main file")
	}
	const pageSize = 4096
	// Scribble over the cell area of the last few pages (entries and indexes),
	// leaving page 1 (header and schema) alone.
	for pg := len(data)/pageSize - 3; pg < len(data)/pageSize; pg++ {
		for i := pg*pageSize + 8; i < (pg+1)*pageSize; i += 7 {
			data[i] ^= 0x5A
		}
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = ledger.Open(ctx, e.Dir, e.Opts)
	var fe *ledger.FileError
	if !errors.Is(err, ledger.ErrCorrupt) || !errors.As(err, &fe) || fe.Path != path {
		t.Fatalf("Open = %v; want ErrCorrupt naming %s", err, path)
	}
	t.Logf("refused: %v", err)
	if got, _ := os.ReadFile(path); !bytes.Equal(got, data) {
		t.Fatal("the corrupt file was changed")
	}
	e.Ledger = nil
}

func TestOpenWithoutLedger(t *testing.T) {
	dir := t.TempDir()
	if _, err := ledger.Open(ctx, dir, ledgertest.Options(nil, nil)); !errors.Is(err, ledger.ErrNoLedger) {
		t.Fatalf("Open(empty dir) = %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("Open created %v", entries)
	}
}

func TestClockTrust(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, _ := e.AddPerson(t, "王堃", record.RedVest)
	credit := func() record.Entry {
		t.Helper()
		en, err := e.Adjust(ctx, ledger.Adjust{ID: record.NewEntryID(), Person: p.ID, Points: 1, Reason: "clock test", Operator: e.Staff})
		if err != nil {
			t.Fatal(err)
		}
		return en
	}
	real := e.Clock.Now()
	for _, tc := range []struct {
		name    string
		at      time.Time
		synced  bool
		trusted bool
	}{
		{"synced now", real, true, true},
		{"synced, later", real.Add(5 * time.Minute), true, true},
		{"not synced yet", real.Add(6 * time.Minute), false, false},
		{"1970 before NTP", time.Unix(0, 0), false, false},
		{"1970 while claiming sync: before the floor", time.Unix(60, 0), true, false},
		{"a year ahead before NTP", real.AddDate(1, 0, 0), false, false},
		{"back to normal", real.Add(7 * time.Minute), true, true},
		{"a minute before the floor", real.Add(6 * time.Minute), true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.Clock.Set(tc.at)
			e.Sync.Set(tc.synced)
			en := credit()
			if en.Trusted != tc.trusted || !en.At.Equal(tc.at) {
				t.Fatalf("entry at %v trusted=%v; want trusted=%v", en.At, en.Trusted, tc.trusted)
			}
		})
	}
	// The floor survives a restart: 7 minutes past start was trusted.
	e.Reopen(t)
	e.Clock.Set(real.Add(3 * time.Minute))
	e.Sync.Set(true)
	if en := credit(); en.Trusted {
		t.Fatal("an entry earlier than the persisted floor was trusted after reopen")
	}
	// Order is by sequence whatever the wall time says.
	hist, err := e.History(ctx, p.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(hist); i++ {
		if hist[i].Seq >= hist[i-1].Seq {
			t.Fatalf("history not in sequence order at %d: %d then %d", i, hist[i-1].Seq, hist[i].Seq)
		}
	}
	e.MustVerify(t)
}

func rawDB(t *testing.T, e *ledgertest.Env) *sql.DB {
	t.Helper()
	// A busy timeout: the ledger's background full check records its end
	// in meta, a write of its own.
	db, err := sql.Open("sqlite", "file:"+e.Path()+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestEntriesAreAppendOnly(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, _ := e.AddPerson(t, "王堃", record.RedVest)
	e.Credit(t, p.ID, 10)
	db := rawDB(t, e)
	for _, q := range []string{"UPDATE entries SET points = 1000", "DELETE FROM entries", "UPDATE entries SET trusted = 1 - trusted"} {
		if _, err := db.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("%s: %v, want refused", q, err)
		}
	}
	e.MustVerify(t)
}

func TestVerifyFindsTampering(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sql    []string
		checks []string
	}{
		{"points changed", []string{"UPDATE entries SET points = points + 100 WHERE kind = 4"}, []string{"hash", "balance"}},
		{"balance changed", []string{"UPDATE balances SET points = points + 1"}, []string{"balance"}},
		{"entry deleted", []string{"DELETE FROM entries WHERE seq = 2"}, []string{"sequence", "chain"}},
		{"stock changed", []string{"UPDATE stock SET qty = qty + 1"}, []string{"stock"}},
		{"hash replaced", []string{"UPDATE entries SET hash = zeroblob(32) WHERE seq = 3"}, []string{"hash", "chain"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := ledgertest.MustOpen(t)
			p, card := e.AddPerson(t, "王堃", record.RedVest)
			e.Credit(t, p.ID, 100)
			it := e.AddItem(t, "大米", 10, 5)
			if _, err := redeem(e, card, it.ID); err != nil {
				t.Fatal(err)
			}
			e.Credit(t, p.ID, 5)
			e.MustVerify(t)
			db := rawDB(t, e)
			for _, q := range append([]string{"DROP TRIGGER entries_no_update", "DROP TRIGGER entries_no_delete"}, tc.sql...) {
				if _, err := db.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			for _, quick := range []bool{false, true} {
				rep, err := e.VerifyWith(ctx, ledger.VerifyOptions{Quick: quick})
				if err != nil {
					t.Fatal(err)
				}
				found := map[string]bool{}
				for _, p := range rep.Problems {
					found[p.Check] = true
				}
				for _, c := range tc.checks {
					if !found[c] {
						t.Fatalf("Verify (quick %v) missed a %q problem: %v", quick, c, rep.Problems)
					}
				}
			}
		})
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	e := ledgertest.MustOpen(t)
	if _, err := rawDB(t, e).Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := ledger.Open(ctx, e.Dir, e.Opts)
	if !errors.Is(err, ledger.ErrTooNew) {
		t.Fatalf("Open = %v, want ErrTooNew", err)
	}
	e.Ledger = nil
}

func TestCancelledRequestLeavesWriterUsable(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, card := e.AddPerson(t, "王堃", record.RedVest)
	act := e.AnyTime(t)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.CheckIn(cctx, ledger.CheckIn{ID: record.NewEntryID(), Card: card, Activity: act.ID}); err == nil {
		t.Fatal("check-in with a cancelled context succeeded")
	}
	checkIn(t, e, card, act.ID)
	e.Credit(t, p.ID, 5)
	e.MustVerify(t)
}
