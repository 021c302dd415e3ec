package ledger_test

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// bigLedger makes a closed ledger of some 2,000 people (well over the start
// check's 128 tail pages), everything checkpointed into the main file, and
// returns its path.
func bigLedger(t *testing.T) (*ledgertest.Env, string) {
	t.Helper()
	e := ledgertest.MustOpen(t)
	err := e.Batch(ctx, func(b *ledger.Batch) error {
		for i := range 2000 {
			p, err := b.EnrolPerson(ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: fmt.Sprintf("B%06d", i), Name: "志愿者",
				Phone: fmt.Sprintf("137%08d", i*7919%100000000), Kind: record.GreenVest})
			if err != nil {
				return err
			}
			if _, err := b.BindCard(ledger.BindCard{ID: record.NewEntryID(), Person: p.ID, UID: record.CardUID(fmt.Sprintf("%08X", 0x20000000+i))}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	<-e.Checked()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.Dir, ledger.FileName)
	if _, err := os.Stat(path + "-wal"); err == nil {
		t.Fatal("WAL left after close; the test wants everything in the main file")
	}
	return e, path
}

// pagesOf lists the pages of a b-tree (dbstat), read-only.
func pagesOf(t *testing.T, path, name, pagetype string) (pages []int64, total int64) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = ? ORDER BY pageno", name, pagetype)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var p int64
		if err := rows.Scan(&p); err != nil {
			t.Fatal(err)
		}
		pages = append(pages, p)
	}
	if err := db.QueryRow("PRAGMA page_count").Scan(&total); err != nil {
		t.Fatal(err)
	}
	return pages, total
}

// scribble breaks page pg's cell pointers and cells, as TestOpenRefusesCorruptDatabase does.
func scribble(data []byte, pg int64) {
	const pageSize = 4096
	for i := int(pg-1)*pageSize + 8; i < int(pg)*pageSize; i += 7 {
		data[i] ^= 0x5A
	}
}

func TestStartCheckRefusesARootPage(t *testing.T) {
	e, path := bigLedger(t)
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var root int64
	if err := db.QueryRow("SELECT rootpage FROM sqlite_schema WHERE name = 'people'").Scan(&root); err != nil {
		t.Fatal(err)
	}
	db.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	scribble(data, root)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	_, err = ledger.Open(ctx, e.Dir, e.Opts)
	var fe *ledger.FileError
	if !errors.Is(err, ledger.ErrCorrupt) || !errors.As(err, &fe) || fe.Path != path {
		t.Fatalf("Open = %v; want ErrCorrupt naming %s", err, path)
	}
	t.Logf("refused in %v: %v", time.Since(t0), err)
	if got, _ := os.ReadFile(path); !bytes.Equal(got, data) {
		t.Fatal("the corrupt file was changed")
	}
	e.Ledger = nil
}

func TestStartCheckRefusesAChangedSchema(t *testing.T) {
	e := ledgertest.MustOpen(t)
	if _, err := rawDB(t, e).Exec("DROP INDEX people_phone"); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := ledger.Open(ctx, e.Dir, e.Opts)
	if !errors.Is(err, ledger.ErrCorrupt) {
		t.Fatalf("Open = %v; want ErrCorrupt (an index missing)", err)
	}
	e.Ledger = nil
}

func TestStartCheckRefusesABrokenChainHead(t *testing.T) {
	e := ledgertest.MustOpen(t)
	act := e.AnyTime(t)
	_, card := e.AddPerson(t, "居民", record.GreenVest)
	checkIn(t, e, card, act.ID)
	db := rawDB(t, e)
	if _, err := db.Exec("DROP TRIGGER entries_no_update"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE entries SET points = points + 100 WHERE seq = (SELECT MAX(seq) FROM entries)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(entriesNoUpdate); err != nil { // the schema as it was: only the chain is broken
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := ledger.Open(ctx, e.Dir, e.Opts)
	if !errors.Is(err, ledger.ErrCorrupt) {
		t.Fatalf("Open = %v; want ErrCorrupt (the last entry's hash)", err)
	}
	e.Ledger = nil
}

// A page in the middle of an index is read only by the full check: Open
// succeeds at once, the background check finds it, and from then on every
// write is refused and nothing is written.
func TestBackgroundCheckFindsAMiddlePage(t *testing.T) {
	e, path := bigLedger(t)
	leaves, total := pagesOf(t, path, "people_phone", "leaf")
	var mid int64
	for _, p := range leaves {
		if p < total-200 && p > 2 {
			mid = p
			break
		}
	}
	if mid == 0 {
		t.Fatalf("no leaf of people_phone before the tail: %v of %d pages", leaves, total)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	scribble(data, mid)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(ctx, e.Dir, e.Opts)
	if err != nil {
		t.Fatalf("Open = %v; the start check does not read page %d of %d", err, mid, total)
	}
	e.Ledger = l
	select {
	case <-l.Checked():
	case <-time.After(time.Minute):
		t.Fatal("the background check did not end in a minute")
	}
	fault := l.Fault()
	var fe *ledger.FileError
	if !errors.Is(fault, ledger.ErrCorrupt) || !errors.As(fault, &fe) || fe.Path != path {
		t.Fatalf("Fault = %v; want ErrCorrupt naming %s", fault, path)
	}
	c := l.LastFullCheck(ctx)
	if c.OK() || c.Running || !errors.Is(c.Err, ledger.ErrCorrupt) || c.At.IsZero() {
		t.Fatalf("LastFullCheck = %+v", c)
	}
	t.Logf("found in %v: %v", c.Took, fault)
	before, _ := os.ReadFile(path)
	wal, _ := os.ReadFile(path + "-wal")
	_, err = l.EnrolPerson(ctx, ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: "X1", Name: "新人", Phone: "13900000000", Kind: record.GreenVest})
	if !errors.Is(err, ledger.ErrCorrupt) || !ledger.IsCorruption(err) {
		t.Fatalf("a write after the fault = %v; want ErrCorrupt", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
		t.Fatal("the file changed after the fault")
	}
	if after, _ := os.ReadFile(path + "-wal"); !bytes.Equal(after, wal) {
		t.Fatal("the WAL changed after the fault")
	}
	// CheckAll finds it at Open instead.
	l.Close()
	e.Ledger = nil
	opts := e.Opts
	opts.Check = ledger.CheckAll
	if _, err := ledger.Open(ctx, e.Dir, opts); !errors.Is(err, ledger.ErrCorrupt) {
		t.Fatalf("Open with CheckAll = %v; want ErrCorrupt", err)
	}
}

// A leaf whose cell pointers all point past the page gives integrity_check
// a line per cell (up to its 100); the fault says them in one short line,
// as the log, the control socket and kioskctl status show it.
func TestBackgroundCheckSaysManyProblemsInOneLine(t *testing.T) {
	e, path := bigLedger(t)
	leaves, total := pagesOf(t, path, "people_phone", "leaf")
	var mid int64
	for _, p := range leaves {
		if p < total-200 && p > 2 {
			mid = p
			break
		}
	}
	if mid == 0 {
		t.Fatalf("no leaf of people_phone before the tail: %v of %d pages", leaves, total)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const pageSize = 4096
	cells := int(data[(mid-1)*pageSize+3])<<8 | int(data[(mid-1)*pageSize+4])
	for i := range 2 * cells { // every cell pointer 0xFFFF
		data[(mid-1)*pageSize+8+int64(i)] = 0xFF
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(ctx, e.Dir, e.Opts)
	if err != nil {
		t.Fatalf("Open = %v; the start check does not read page %d of %d", err, mid, total)
	}
	e.Ledger = l
	select {
	case <-l.Checked():
	case <-time.After(time.Minute):
		t.Fatal("the background check did not end in a minute")
	}
	fault := l.Fault()
	if !errors.Is(fault, ledger.ErrCorrupt) {
		t.Fatalf("Fault = %v; want ErrCorrupt", fault)
	}
	msg := fault.Error()
	t.Logf("%d cells: %s", cells, msg)
	if strings.Contains(msg, "\n") || strings.Contains(msg, "***") || len(msg) > 600 || !strings.Contains(msg, fmt.Sprintf("page %d", mid)) ||
		!strings.Contains(msg, fmt.Sprintf("and %d more (kioskctl verify lists them all)", min(cells, 100)-3)) {
		t.Fatalf("Fault's words = %q; want one line naming page %d and how many more", msg, mid)
	}
}

func TestBackgroundCheckPassesAndIsRecorded(t *testing.T) {
	e, _ := bigLedger(t)
	l, err := ledger.Open(ctx, e.Dir, e.Opts)
	if err != nil {
		t.Fatal(err)
	}
	e.Ledger = l
	<-l.Checked()
	c := l.LastFullCheck(ctx)
	if !c.OK() || l.Fault() != nil {
		t.Fatalf("LastFullCheck = %+v, Fault = %v", c, l.Fault())
	}
	if _, err := l.EnrolPerson(ctx, ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: "X1", Name: "新人", Phone: "13900000000", Kind: record.GreenVest}); err != nil {
		t.Fatalf("a write after a passed check: %v", err)
	}
	l.Close()
	// A read-only look runs no full check and reads the last one recorded.
	opts := e.Opts
	opts.ReadOnly = true
	ro, err := ledger.Open(ctx, e.Dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	e.Ledger = ro
	<-ro.Checked()
	got := ro.LastFullCheck(ctx)
	if !got.OK() || !got.At.Equal(c.At) || got.Took != c.Took {
		t.Fatalf("read-only LastFullCheck = %+v, the terminal's %+v", got, c)
	}
	// CheckNow reruns it (the nightly window).
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	e.Reopen(t)
	again, err := e.CheckNow(ctx)
	if err != nil || !again.OK() {
		t.Fatalf("CheckNow = %+v, %v", again, err)
	}
}

// Close does not wait for a background check to end by itself.
func TestCloseStopsTheBackgroundCheck(t *testing.T) {
	e, _ := bigLedger(t)
	l, err := ledger.Open(ctx, e.Dir, e.Opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-l.Checked():
	default:
		t.Fatal("Checked still open after Close")
	}
	if c := l.LastFullCheck(ctx); l.Fault() != nil || (c.Err != nil && errors.Is(c.Err, ledger.ErrCorrupt)) {
		t.Fatalf("a cancelled check is no fault: %+v %v", c, l.Fault())
	}
	e.Ledger = nil
}

// entriesNoUpdate is the schema's trigger, word for word.
const entriesNoUpdate = "CREATE TRIGGER entries_no_update BEFORE UPDATE ON entry_rows\nBEGIN SELECT RAISE(ABORT, 'entries are append-only'); END"
