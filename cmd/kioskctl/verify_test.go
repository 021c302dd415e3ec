package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

func TestVerifyDemo(t *testing.T) {
	dir := demoData(t)
	code, out, stderr := kioskctl(t, "verify", "--data", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	st, err := openDemo(t, dir).Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantIn(t, "verify", out, filepath.Join(dir, ledger.FileName)+": OK", strconv.FormatInt(st.Entries, 10)+" entries", "15 people")
}

func TestVerifyMissingDataDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not-mounted")
	code, _, stderr := kioskctl(t, "verify", "--data", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	wantIn(t, "stderr", stderr, dir, "does not exist")
}

func TestVerifyDirectoryWithoutLedger(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := kioskctl(t, "verify", "--data", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	wantIn(t, "stderr", stderr, "no ledger in "+dir, ledger.FileName)
}

func TestVerifyNotADatabase(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ledger.FileName)
	junk := []byte("these are a technician's notes, not a ledger\n")
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := kioskctl(t, "verify", "--data", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	wantIn(t, "stderr", stderr, path, "not a database")
	if got, _ := os.ReadFile(path); !bytes.Equal(got, junk) {
		t.Error("verify wrote to the file it was checking")
	}
}

// A ledger edited behind the ledger's back — triggers dropped, an entry's
// points changed with raw SQL — fails on the missing trigger, the entry's
// hash, the balance and the shift the entry closed.
func TestVerifyEditedEntry(t *testing.T) {
	dir := demoData(t)
	path := filepath.Join(dir, ledger.FileName)
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	var seq, person int64
	err = db.QueryRow("SELECT seq, person FROM entries WHERE kind = ? AND points > 0 ORDER BY seq LIMIT 1", int(record.KindCheckOut)).Scan(&seq, &person)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"DROP TRIGGER entries_no_update", "UPDATE entries SET points = points + 50 WHERE seq = " + strconv.FormatInt(seq, 10)} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	code, out, stderr := kioskctl(t, "verify", "--data", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	wantIn(t, "verify", out, "4 problem(s)", "trigger: entries_no_update is missing", "shift: shift ", "hash: terminal", "seq "+strconv.FormatInt(seq, 10)+" ",
		"stored hash does not match", "balance: person "+strconv.FormatInt(person, 10))
	wantIn(t, "stderr", stderr, "failed verification")
}

// Shifts and redemptions edited with sqlite3, the entries left alone: the
// chain holds, and verify still finds that the tables no longer agree with
// their entries.
func TestVerifyEditedShiftAndRedemption(t *testing.T) {
	dir := demoData(t)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, ledger.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"UPDATE shifts SET minutes = minutes + 120, points = points + 120 WHERE id IN (SELECT id FROM shifts WHERE state = 2 LIMIT 1)",
		"UPDATE redemptions SET points = 0 WHERE id IN (SELECT id FROM redemptions LIMIT 1)",
	} {
		if res, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		} else if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("%s: %d rows", q, n)
		}
	}
	db.Close()
	code, out, _ := kioskctl(t, "verify", "--data", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	wantIn(t, "verify", out, "2 problem(s)", "shift: shift ", "credits", "redemption: redemption ", "does not match its entry")
}

// damageLastEntry changes the database file where the last entry's hash is
// stored: damage gets the file's bytes, the offset of the hash and the page size.
func damageLastEntry(t *testing.T, dir string, damage func(file []byte, off, pageSize int)) {
	t.Helper()
	h := lastEntryHash(t, dir)
	path := filepath.Join(dir, ledger.FileName)
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	off := bytes.Index(file, h[:])
	if off < 0 {
		t.Fatal("the last entry's hash is not in the database file")
	}
	pageSize := int(binary.BigEndian.Uint16(file[16:18])) // SQLite file header: page size, 1 for 65536
	if pageSize == 1 {
		pageSize = 65536
	}
	damage(file, off, pageSize)
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
}

// lastEntry returns the hash of the ledger's last entry, closing the ledger.
func lastEntryHash(t *testing.T, dir string) record.Hash {
	t.Helper()
	l, err := ledger.Open(context.Background(), dir, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s, err := l.SyncState(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	es, err := l.EntriesAfter(context.Background(), s.HeadSeq-1, 1)
	if err != nil || len(es) != 1 {
		t.Fatalf("last entry: %v %v", es, err)
	}
	return es[0].Hash
}

// One bit rotted in an entry's stored hash: the file is sound to SQLite, the
// chain is not.
func TestVerifyFlippedBitInEntry(t *testing.T) {
	dir := demoData(t)
	damageLastEntry(t, dir, func(file []byte, off, _ int) { file[off+5] ^= 0x10 })
	code, out, _ := kioskctl(t, "verify", "--data", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	wantIn(t, "verify", out, "hash: terminal", "stored hash does not match")
}

// A page of the entries table overwritten: the ledger will not open, and
// verify says what SQLite's integrity check found instead of stopping at
// "corrupt".
func TestVerifyDamagedPage(t *testing.T) {
	dir := demoData(t)
	damageLastEntry(t, dir, func(file []byte, off, size int) {
		// The b-tree page header's cell count and cell pointers: garbage.
		page := off / size * size
		for i := page + 3; i < page+40; i++ {
			file[i] = 0xA5
		}
	})
	code, out, stderr := kioskctl(t, "verify", "--data", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	wantIn(t, "verify", out, filepath.Join(dir, ledger.FileName), "integrity: ")
	wantIn(t, "stderr", stderr, "failed verification")
}

func TestVerifyStrayArgument(t *testing.T) {
	code, _, stderr := kioskctl(t, "verify", "--data", t.TempDir(), "now")
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	wantIn(t, "stderr", stderr, `unexpected argument "now"`)
}
