package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/ledger"
)

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

// crashedKiosk is a data directory as a terminal killed mid-day leaves it:
// its last writes are in the WAL only, which the next writer to close
// would checkpoint into ledger.db.
func crashedKiosk(t *testing.T) string {
	t.Helper()
	src := demoData(t)
	l := openDemo(t, src)
	if err := l.RecordSync(context.Background()); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range []string{ledger.FileName, ledger.FileName + "-wal"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == 0 {
			t.Fatalf("%s is empty", name)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestALookChangesNothing: status, export, verify and backup read the
// ledger without changing it or its WAL.
func TestALookChangesNothing(t *testing.T) {
	for _, args := range [][]string{
		{"status"},
		{"status", "--json"},
		{"verify"},
		{"export", "--format", "csv", "-o", "OUT/entries.csv"},
		{"export", "--format", "xlsx", "-o", "OUT/book.xlsx"},
		{"backup", "-o", "OUT/copy.db"},
	} {
		t.Run(args[0]+" "+filepath.Base(args[len(args)-1]), func(t *testing.T) {
			dir, out := crashedKiosk(t), t.TempDir()
			args = slices.Clone(args)
			for i, a := range args {
				if rest, ok := strings.CutPrefix(a, "OUT/"); ok {
					args[i] = filepath.Join(out, rest)
				}
			}
			path := filepath.Join(dir, ledger.FileName)
			db, wal := stateOf(t, path), stateOf(t, path+"-wal")
			time.Sleep(10 * time.Millisecond) // a write now shows in the mtime
			code, _, stderr := kioskctl(t, append(args, "--data", dir)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !stateOf(t, path).same(db) {
				t.Error("ledger.db changed")
			}
			if !stateOf(t, path+"-wal").same(wal) {
				t.Error("its WAL changed")
			}
		})
	}
}

// TestAnotherProgramsDatabaseIsLeftAlone: every command that opens the
// ledger refuses another program's database at its name, saying so, and
// leaves it as it was, byte for byte.
func TestAnotherProgramsDatabaseIsLeftAlone(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ledger.FileName)
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE recipes(name TEXT); INSERT INTO recipes VALUES ('饺子')"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before := stateOf(t, path)
	time.Sleep(10 * time.Millisecond)
	for _, args := range [][]string{
		{"status"},
		{"verify"},
		{"export", "-o", filepath.Join(t.TempDir(), "x.csv")},
		{"backup", "-o", filepath.Join(t.TempDir(), "x.db")},
	} {
		code, _, stderr := kioskctl(t, append(args, "--data", dir)...)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1", args[0], code)
		}
		wantIn(t, args[0], stderr, path, "another program's database")
	}
	if !stateOf(t, path).same(before) {
		t.Error("the other program's database was changed")
	}
	es, _ := os.ReadDir(dir)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{ledger.FileName}) {
		t.Errorf("files beside it: %v", names)
	}
}
