package ledger_test

import (
	"bufio"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// indexedLedger makes a closed ledger of n adjustments over some people,
// with a few reversals, everything in the main file, and returns its
// environment and path.
func indexedLedger(t *testing.T, n int) (*ledgertest.Env, string) {
	t.Helper()
	e := ledgertest.MustOpen(t)
	var people []record.PersonID
	for i := range 20 {
		p, _ := e.AddPerson(t, fmt.Sprintf("志愿者%d", i), record.GreenVest)
		people = append(people, p.ID)
	}
	err := e.Batch(ctx, func(b *ledger.Batch) error {
		for i := range n {
			en, err := b.Adjust(ledger.Adjust{ID: record.NewEntryID(), Person: people[i%len(people)], Points: int64(1 + i%7), Reason: "测试", Operator: e.Staff})
			if err != nil {
				return err
			}
			if i%97 == 0 {
				if _, err := b.Reverse(ledger.Reverse{ID: record.NewEntryID(), Entry: en.ID, Reason: "撤销", Operator: e.Staff}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e.MustVerify(t)
	<-e.Checked()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e.Ledger = nil
	path := filepath.Join(e.Dir, ledger.FileName)
	if _, err := os.Stat(path + "-wal"); err == nil {
		t.Fatal("WAL left after close")
	}
	return e, path
}

// cellFields locates the fields of cell i's record on an index leaf page:
// each field's offset in the page and its length.
func cellFields(t *testing.T, page []byte, i int) (off, size []int) {
	t.Helper()
	if page[0] != 10 {
		t.Fatalf("page type %d, not an index leaf", page[0])
	}
	pc := int(binary.BigEndian.Uint16(page[8+2*i:]))
	_, k := varint(page[pc:]) // payload size
	rec := pc + k
	hs, k := varint(page[rec:])
	at, body := rec+k, rec+int(hs)
	for at < rec+int(hs) {
		st, k := varint(page[at:])
		at += k
		n := 0
		switch {
		case st >= 1 && st <= 6:
			n = []int{0, 1, 2, 3, 4, 6, 8}[st]
		case st == 7:
			n = 8
		case st >= 12:
			n = int(st-12) / 2
		}
		off, size = append(off, body), append(size, n)
		body += n
	}
	return off, size
}

func varint(b []byte) (uint64, int) {
	var v uint64
	for i := range 9 {
		if i == 8 {
			return v<<8 | uint64(b[i]), 9
		}
		v = v<<7 | uint64(b[i]&0x7f)
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	return v, 9
}

// TestVerifyFindsIndexesThatDisagree changes entry_rows' index pages the
// way a bad sector or a stray write would, keeping each page well formed
// (so SQLite's quick_check passes it), and wants Verify to find each
// as SQLite's integrity_check does: Verify reads those indexes itself
// instead of integrity_check's lookups (verify_index.go).
func TestVerifyFindsIndexesThatDisagree(t *testing.T) {
	for _, tc := range []struct {
		name, index, want string
		change            func(t *testing.T, page []byte)
	}{
		{"an entry points to another row", "entries_person", "entries_person", func(t *testing.T, page []byte) {
			off, size := cellFields(t, page, 3)
			page[off[2]+size[2]-1] ^= 0x01 // the seq of the row it points to
		}},
		{"an entry's key changed", "entries_at", "entries_at", func(t *testing.T, page []byte) {
			off, _ := cellFields(t, page, 5)
			page[off[0]+7] ^= 0x01 // the at: a nanosecond later
		}},
		{"two entries of a unique index share a key", "sqlite_autoindex_entry_rows_1", "non-unique", func(t *testing.T, page []byte) {
			// The id of an entry copied onto the next, of a greater seq:
			// the entries, (id, terminal, seq), stay in order, only the
			// key repeats.
			seq := func(off, size []int) (v int64) {
				for _, c := range page[off[2] : off[2]+size[2]] {
					v = v<<8 | int64(c)
				}
				return v
			}
			var a, b, size []int
			for i := 1; a == nil; i++ {
				a, size = cellFields(t, page, i)
				var bsize []int
				b, bsize = cellFields(t, page, i+1)
				if seq(a, size) > seq(b, bsize) {
					a = nil
				}
			}
			copy(page[b[0]:b[0]+size[0]], page[a[0]:a[0]+size[0]])
		}},
		{"entries out of order", "entries_at", "out of order", func(t *testing.T, page []byte) {
			p := page[8+2*6:]
			p[0], p[1], p[2], p[3] = p[2], p[3], p[0], p[1] // cells 6 and 7 swapped
		}},
		{"an entry missing", "entries_person", "entries_person", func(t *testing.T, page []byte) {
			// The last cell's pointer dropped, its bytes counted as
			// fragments: a well-formed page one entry short.
			n := int(binary.BigEndian.Uint16(page[3:]))
			off, size := cellFields(t, page, n-1)
			pc := int(binary.BigEndian.Uint16(page[8+2*(n-1):]))
			frag := int(page[7]) + off[len(off)-1] + size[len(size)-1] - pc
			if frag > 60 {
				t.Fatalf("%d fragment bytes: more than a page may hold", frag)
			}
			binary.BigEndian.PutUint16(page[3:], uint16(n-1))
			page[7] = byte(frag)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, path := indexedLedger(t, 1500)
			leaves, _ := pagesOf(t, path, tc.index, "leaf")
			if len(leaves) < 2 {
				t.Fatalf("%s has %d leaves; the test wants a middle one", tc.index, len(leaves))
			}
			pg := leaves[len(leaves)/2]
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			tc.change(t, data[(pg-1)*4096:pg*4096])
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			// SQLite's own full check finds it, its quick one does not: the
			// page is well formed, its content wrong.
			if got := integrity(t, path, "integrity_check"); got == "ok" {
				t.Fatal("integrity_check passes the changed page: the test changes nothing that matters")
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
			found := false
			for _, p := range rep.Problems {
				if p.Check == "integrity" && strings.Contains(p.Detail, tc.want) {
					found = true
				}
			}
			if !found {
				t.Fatalf("Verify did not find it (quick_check: %s): %v", quick, rep.Problems)
			}
			t.Logf("quick_check: %s; Verify: %v", quick, rep.Problems)
		})
	}
}

// integrity is PRAGMA check's first line on the file.
func integrity(t *testing.T, path, check string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var s string
	if err := db.QueryRow("PRAGMA " + check).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestVerifyReadsEveryEntryInParts: a chain read in several parts at once
// (one each minChainPart entries) adds up as one: a balance that went
// below zero in a later part only, an entry changed in the middle, every
// entry counted once, the indexes' digests whole.
func TestVerifyReadsEveryEntryInParts(t *testing.T) {
	defer ledger.SetMinChainPart(100)()
	e, _ := indexedLedger(t, 1500)
	l, err := ledger.Open(ctx, e.Dir, e.Opts)
	if err != nil {
		t.Fatal(err)
	}
	e.Ledger = l
	rep := e.MustVerify(t)
	st, err := l.SyncState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Entries != st.HeadSeq {
		t.Fatalf("Verify read %d entries of %d", rep.Entries, st.HeadSeq)
	}
	db := rawDB(t, e)
	for _, q := range []string{"DROP TRIGGER entries_no_update", fmt.Sprintf("UPDATE entry_rows SET points = points + 1 WHERE seq = %d", st.HeadSeq/2)} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	rep, err = l.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var hashes, balances int
	for _, p := range rep.Problems {
		switch p.Check {
		case "hash":
			hashes++
		case "balance":
			balances++
		}
	}
	if hashes != 1 || balances != 1 {
		t.Fatalf("want one hash and one balance problem: %v", rep.Problems)
	}
}

// A technician's verify or backup of a stopped terminal reads the file as
// it lies, without SQLite's locks (readOnlyQuery: a reader who may not
// write the data directory, as the technician may not); a terminal that
// starts meanwhile writes to it, and what was read may mix two moments:
// both then say so rather than report damage that is not there, or keep
// such a copy. The reader runs as nobody (root may write any directory,
// and so never reads as it lies), in a child of the test.
func TestReadAsItLayRefusesAFileThatChanged(t *testing.T) {
	if dir := os.Getenv("HONGMAJIA_AS_IT_LAY"); dir != "" {
		readAsItLayChild(t, dir)
		return
	}
	e, path := indexedLedger(t, 50)
	// A directory and a binary nobody can reach.
	dir, err := os.MkdirTemp("", "asitlay")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data := filepath.Join(dir, "data")
	bin := filepath.Join(dir, "ledger.test")
	for _, c := range [][2]string{{path, filepath.Join(data, ledger.FileName)}, {os.Args[0], bin}} {
		b, err := os.ReadFile(c[0])
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(c[1]), 0o755)
		if err := os.WriteFile(c[1], b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{dir, data} {
		os.Chmod(d, 0o755)
	}
	cmd := exec.Command(bin, "-test.run=^TestReadAsItLayRefusesAFileThatChanged$", "-test.v")
	cmd.Env = append(os.Environ(), "HONGMAJIA_AS_IT_LAY="+data)
	if os.Geteuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	} else {
		os.Chmod(data, 0o555) // not root: the directory read-only is enough
		defer os.Chmod(data, 0o755)
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	wait := func(want string) {
		t.Helper()
		for lines.Scan() {
			if strings.HasPrefix(lines.Text(), "asitlay: ") {
				if got := strings.TrimPrefix(lines.Text(), "asitlay: "); got != want {
					cmd.Process.Kill()
					t.Fatalf("reader: %s; want %s", got, want)
				}
				return
			}
		}
		t.Fatalf("reader ended before %q: %v", want, cmd.Wait())
	}
	wait("unchanged ok")
	// The terminal starts and writes.
	if os.Geteuid() != 0 {
		os.Chmod(data, 0o755)
	}
	w, err := ledger.Open(ctx, data, e.Opts)
	if err != nil {
		t.Fatal(err)
	}
	e.Ledger = w
	p, _ := e.AddPerson(t, "新来的", record.GreenVest)
	e.Credit(t, p.ID, 3)
	fmt.Fprintln(in, "written")
	wait("changed refused")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	e.Ledger = nil
	fmt.Fprintln(in, "stopped")
	wait("stopped refused")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("reader: %v", err)
	}
}

// readAsItLayChild is the technician's side of
// TestReadAsItLayRefusesAFileThatChanged: it says each step's outcome on a
// line of its own and waits for the terminal's between them.
func readAsItLayChild(t *testing.T, dir string) {
	say := func(s string) { fmt.Printf("asitlay: %s\n", s) }
	l, err := ledger.Open(ctx, dir, ledger.Options{ReadOnly: true})
	if err != nil {
		say(fmt.Sprintf("open: %v", err))
		return
	}
	defer l.Close()
	backup := filepath.Join(os.TempDir(), fmt.Sprintf("asitlay-%d.db", os.Getpid()))
	defer os.Remove(backup)
	rep, err := l.Verify(ctx)
	switch {
	case err != nil || !rep.OK():
		say(fmt.Sprintf("verify of an unchanged file: %v %v", err, rep))
		return
	case l.Backup(ctx, backup) != nil:
		say(fmt.Sprintf("backup of an unchanged file: %v", l.Backup(ctx, backup)))
		return
	}
	say("unchanged ok")
	in := bufio.NewScanner(os.Stdin)
	for _, step := range []string{"changed", "stopped"} {
		in.Scan()
		_, verr := l.Verify(ctx)
		os.Remove(backup)
		berr := l.Backup(ctx, backup)
		_, statErr := os.Stat(backup)
		if !errors.Is(verr, ledger.ErrChangedWhileRead) || !errors.Is(berr, ledger.ErrChangedWhileRead) || statErr == nil {
			say(fmt.Sprintf("%s: verify %v, backup %v, copy kept %v", step, verr, berr, statErr == nil))
			return
		}
		say(step + " refused")
	}
}
