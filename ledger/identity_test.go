package ledger_test

import (
	"bytes"
	"database/sql"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// fileState is what a look at a file must not change.
type fileState struct {
	data  []byte
	mtime time.Time
}

func stateOf(t *testing.T, path string) fileState {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fileState{b, st.ModTime()}
}

func (s fileState) same(o fileState) bool {
	return bytes.Equal(s.data, o.data) && s.mtime.Equal(o.mtime)
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestCreateMarksTheLedger(t *testing.T) {
	e := ledgertest.MustOpen(t)
	f, err := os.Open(filepath.Join(e.Dir, ledger.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	hdr := make([]byte, 100)
	if _, err := io.ReadFull(f, hdr); err != nil {
		t.Fatal(err)
	}
	if got := string(hdr[68:72]); got != "HMJL" {
		t.Errorf("application_id bytes %q, want HMJL", got)
	}
	if got := binary.BigEndian.Uint32(hdr[68:72]); got != ledger.ApplicationID {
		t.Errorf("application_id %#x, want %#x", got, ledger.ApplicationID)
	}
}

// foreignDB writes an SQLite database another program might keep as
// ledger.db, with SQLite's defaults (a rollback journal).
func foreignDB(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefusesAnotherProgramsDatabase(t *testing.T) {
	for name, stmts := range map[string][]string{
		"notes app": {"CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT)", "INSERT INTO notes(body) VALUES ('买菜')"},
		"own application_id": {"PRAGMA application_id = 305419896", "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT)",
			"INSERT INTO meta VALUES ('terminal', 'T1'), ('center', 'C1')"},
		"a meta table of its own": {"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT)", "INSERT INTO meta VALUES ('version', '7')",
			"PRAGMA user_version = 1"},
		"no tables": {"PRAGMA user_version = 4"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, ledger.FileName)
			foreignDB(t, path, stmts...)
			before, names := stateOf(t, path), dirNames(t, dir)
			time.Sleep(10 * time.Millisecond) // a write now would show in the mtime
			for _, ro := range []bool{false, true} {
				opts := ledgertest.Options(nil, nil)
				opts.ReadOnly = ro
				l, err := ledger.Open(ctx, dir, opts)
				var fe *ledger.FileError
				if !errors.Is(err, ledger.ErrForeign) || !errors.As(err, &fe) || fe.Path != path || !ledger.IsCorruption(err) {
					l.Close()
					t.Fatalf("Open(read-only %v) = %v; want ErrForeign naming %s", ro, err, path)
				}
				if errors.Is(err, ledger.ErrCorrupt) || errors.Is(err, ledger.ErrNotDatabase) {
					t.Errorf("a foreign database is called damaged: %v", err)
				}
			}
			if _, err := ledger.VerifyFile(ctx, path); !errors.Is(err, ledger.ErrForeign) {
				t.Errorf("VerifyFile = %v, want ErrForeign", err)
			}
			if !stateOf(t, path).same(before) {
				t.Error("the foreign database was changed")
			}
			if got := dirNames(t, dir); !slices.Equal(got, names) {
				t.Errorf("files %v after the look, %v before (a WAL switched on?)", got, names)
			}
		})
	}
}

// TestReadOnlyChangesNothing opens a ledger a terminal left with entries in
// its WAL (as after a crash): a read-write open would checkpoint them into
// the file when it closes; a read-only one reads them and writes nothing.
func TestReadOnlyChangesNothing(t *testing.T) {
	e := ledgertest.MustOpen(t)
	act := e.AnyTime(t)
	_, card := e.AddPerson(t, "王堃", record.RedVest)
	checkIn(t, e, card, act.ID)
	// Copy the files while the ledger is open: the copy is a crashed
	// terminal's data directory, its last entries in the WAL only.
	dir := t.TempDir()
	for _, name := range []string{ledger.FileName, ledger.FileName + "-wal"} {
		b, err := os.ReadFile(filepath.Join(e.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, ledger.FileName)
	db, wal := stateOf(t, path), stateOf(t, path+"-wal")
	time.Sleep(10 * time.Millisecond)

	opts := e.Opts
	opts.ReadOnly = true
	l, err := ledger.Open(ctx, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !l.ReadOnly() {
		t.Error("ReadOnly() false")
	}
	st, err := l.Status(ctx)
	if err != nil || st.OpenShifts != 1 || st.Entries == 0 {
		t.Errorf("status %+v, %v: want the open shift in the WAL", st, err)
	}
	rep, err := l.Verify(ctx)
	if err != nil || !rep.OK() {
		t.Errorf("verify: %v %v", rep, err)
	}
	n := 0
	for _, err := range l.ExportEntries(ctx, time.Time{}, ledgertest.Start.Add(24*time.Hour)) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != int(st.Entries) {
		t.Errorf("exported %d entries of %d", n, st.Entries)
	}
	if err := l.Backup(ctx, filepath.Join(t.TempDir(), "copy.db")); err != nil {
		t.Errorf("backup of a read-only ledger: %v", err)
	}
	if _, err := l.CheckOut(ctx, ledger.CheckOut{ID: record.NewEntryID(), Card: card}); !errors.Is(err, ledger.ErrReadOnly) {
		t.Errorf("a write on a read-only ledger: %v, want ErrReadOnly", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if !stateOf(t, path).same(db) || !stateOf(t, path+"-wal").same(wal) {
		t.Error("a read-only look changed the ledger or its WAL")
	}
}

// TestOlderLedgerIsMarked: a ledger made before the application id is
// recognised by its meta table, read as it is read-only, and marked when a
// terminal opens it.
func TestOlderLedgerIsMarked(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ledger.FileName)
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA journal_mode=WAL"); err != nil {
		t.Fatal(err)
	}
	if err := ledger.MigrateTo(ctx, db, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO meta(key, value) VALUES ('terminal', 'T-OLD'), ('center', ?), ('center_name', '老中心'), ('created_at', '0')", ledgertest.Center); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	appID := func() uint32 {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return binary.BigEndian.Uint32(b[68:72])
	}
	if id := appID(); id != 0 {
		t.Fatalf("the old ledger has application_id %#x", id)
	}
	opts := ledgertest.Options(nil, nil)
	opts.ReadOnly = true
	l, err := ledger.Open(ctx, dir, opts)
	if err != nil {
		t.Fatalf("read-only open of an older ledger: %v", err)
	}
	if st, err := l.Status(ctx); err != nil || st.SchemaVersion != 2 || st.Terminal.ID != "T-OLD" {
		t.Errorf("status %+v %v", st, err)
	}
	l.Close()
	if id := appID(); id != 0 {
		t.Fatalf("a read-only open wrote application_id %#x", id)
	}
	opts.ReadOnly = false
	l, err = ledger.Open(ctx, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if id := appID(); id != ledger.ApplicationID {
		t.Errorf("after a terminal's open: application_id %#x, want %#x", id, ledger.ApplicationID)
	}
}

func TestForeignErrorSaysSo(t *testing.T) {
	dir := t.TempDir()
	foreignDB(t, filepath.Join(dir, ledger.FileName), "CREATE TABLE t(x)")
	_, err := ledger.Open(ctx, dir, ledgertest.Options(nil, nil))
	if err == nil || !strings.Contains(err.Error(), "another program's database") {
		t.Errorf("error %v: want it to say whose file it is not", err)
	}
}
