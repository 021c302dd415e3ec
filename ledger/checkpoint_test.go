package ledger_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// checkpointEnv is a test ledger reopened with the given checkpoint options,
// with one card to tap.
func checkpointEnv(t *testing.T, o ledger.CheckpointOptions) (*ledgertest.Env, record.CardUID, record.ActivityID) {
	t.Helper()
	e := ledgertest.MustOpen(t)
	act := e.AnyTime(t).ID
	_, uid := e.AddPerson(t, "志愿者", record.RedVest)
	e.Opts.Checkpoint = o
	e.Reopen(t)
	return e, uid, act
}

// tapPairs checks the card in and out n times and returns the entry ids.
func tapPairs(t *testing.T, e *ledgertest.Env, uid record.CardUID, act record.ActivityID, n int) []record.EntryID {
	t.Helper()
	ctx := context.Background()
	var ids []record.EntryID
	for range n {
		in := record.NewEntryID()
		if _, err := e.CheckIn(ctx, ledger.CheckIn{ID: in, Card: uid, Activity: act}); err != nil {
			t.Fatal(err)
		}
		e.Clock.Advance(time.Hour)
		out := record.NewEntryID()
		if _, err := e.CheckOut(ctx, ledger.CheckOut{ID: out, Card: uid}); err != nil {
			t.Fatal(err)
		}
		e.Clock.Advance(time.Minute)
		ids = append(ids, in, out)
	}
	return ids
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// mustHold opens the data directory dir and checks that it verifies and
// holds every entry of ids.
func mustHold(t *testing.T, dir string, ids []record.EntryID) {
	t.Helper()
	ctx := context.Background()
	l, err := ledger.Open(ctx, dir, crashOptions(clock.Real{}))
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	defer l.Close()
	if rep, err := l.Verify(ctx); err != nil || !rep.OK() {
		t.Fatalf("verify %s: %v %v", dir, err, rep.Problems)
	}
	for _, id := range ids {
		if _, err := l.Entry(ctx, id); err != nil {
			t.Fatalf("%s: entry %s: %v", dir, id, err)
		}
	}
}

// With SQLite's auto-checkpoint off and no background one, the WAL only
// grows; Checkpoint puts every page in the file and empties the WAL, and
// the file alone then holds every entry.
func TestCheckpointEmptiesWAL(t *testing.T) {
	e, uid, act := checkpointEnv(t, ledger.CheckpointOptions{Off: true})
	wal := e.Path() + "-wal"
	ids := tapPairs(t, e, uid, act, 5)
	before := fileSize(t, wal)
	ids = append(ids, tapPairs(t, e, uid, act, 20)...)
	after := fileSize(t, wal)
	if before == 0 || after <= before {
		t.Fatalf("WAL %d bytes after 5 tap pairs, %d after 25: it should only grow with checkpoints off", before, after)
	}
	r, err := e.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.Busy || r.Log == 0 || r.Checkpointed != r.Log || !r.Restarted {
		t.Fatalf("checkpoint: %+v", r)
	}
	if n := fileSize(t, wal); n != 0 {
		t.Fatalf("WAL %d bytes after Checkpoint, want 0", n)
	}
	// The database file alone, without its WAL, holds everything.
	alone := t.TempDir()
	b, err := os.ReadFile(e.Path())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(alone, ledger.FileName), b, 0o600); err != nil {
		t.Fatal(err)
	}
	mustHold(t, alone, ids)
	// And the ledger goes on.
	ids = append(ids, tapPairs(t, e, uid, act, 1)...)
	e.Reopen(t)
	mustHold(t, e.Dir, ids)
}

// A reader inside a read transaction (a long Verify, a Backup) keeps the
// WAL pages it may read: Checkpoint copies what it can and says busy at
// once, taps go on meanwhile, and the next Checkpoint after the read ends
// empties the WAL.
func TestCheckpointBesideLongRead(t *testing.T) {
	e, uid, act := checkpointEnv(t, ledger.CheckpointOptions{Off: true})
	ctx := context.Background()
	ids := tapPairs(t, e, uid, act, 3)
	db, err := sql.Open("sqlite", "file:"+e.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRow("SELECT count(*) FROM entries").Scan(&n); err != nil {
		t.Fatal(err)
	}
	ids = append(ids, tapPairs(t, e, uid, act, 3)...)
	r, err := e.Checkpoint(ctx)
	if !errors.Is(err, ledger.ErrBusy) || !r.Busy || r.Checkpointed >= r.Log {
		t.Fatalf("checkpoint beside a read: %+v %v, want busy with frames left", r, err)
	}
	ids = append(ids, tapPairs(t, e, uid, act, 1)...) // taps are not blocked
	var m int
	if err := tx.QueryRow("SELECT count(*) FROM entries").Scan(&m); err != nil || m != n {
		t.Fatalf("the reader's snapshot changed: %d entries, then %d (%v)", n, m, err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if r, err := e.Checkpoint(ctx); err != nil || r.Busy || r.Checkpointed != r.Log {
		t.Fatalf("checkpoint after the read: %+v %v", r, err)
	}
	if n := fileSize(t, e.Path()+"-wal"); n != 0 {
		t.Fatalf("WAL %d bytes after Checkpoint, want 0", n)
	}
	mustHold(t, e.Dir, ids)
}

// Past MaxWAL, the background's checkpoint holds the write mutex for a
// RESTART, and the next commit cuts the WAL file back to MaxWAL
// (journal_size_limit), however big it grew.
func TestCheckpointRestartBoundsWAL(t *testing.T) {
	const maxWAL = 64 << 10
	e, uid, act := checkpointEnv(t, ledger.CheckpointOptions{Off: true, MaxWAL: maxWAL})
	wal := e.Path() + "-wal"
	ids := tapPairs(t, e, uid, act, 40)
	if n := fileSize(t, wal); n <= 4*maxWAL {
		t.Fatalf("WAL %d bytes after 40 tap pairs with checkpoints off; the test wants it past %d", n, 4*maxWAL)
	}
	r, err := ledger.CheckpointLikeBackground(e.Ledger)
	if err != nil || !r.Restarted || r.Checkpointed != r.Log {
		t.Fatalf("checkpoint past MaxWAL: %+v %v", r, err)
	}
	in := record.NewEntryID()
	if _, err := e.CheckIn(context.Background(), ledger.CheckIn{ID: in, Card: uid, Activity: act}); err != nil {
		t.Fatal(err)
	}
	ids = append(ids, in)
	if n := fileSize(t, wal); n > maxWAL {
		t.Fatalf("WAL %d bytes after a restart and a tap, want at most %d", n, maxWAL)
	}
	// Under MaxWAL it copies without the mutex and leaves the WAL as is.
	if r, err := ledger.CheckpointLikeBackground(e.Ledger); err != nil || r.Restarted || r.Checkpointed != r.Log {
		t.Fatalf("checkpoint under MaxWAL: %+v %v", r, err)
	}
	e.Clock.Advance(time.Hour)
	out := record.NewEntryID()
	if _, err := e.CheckOut(context.Background(), ledger.CheckOut{ID: out, Card: uid}); err != nil {
		t.Fatal(err)
	}
	ids = append(ids, out)
	e.Reopen(t)
	mustHold(t, e.Dir, ids)
}

// The goroutine checkpoints after Every commits, and restarts the WAL past
// MaxWAL.
func TestCheckpointEveryCommits(t *testing.T) {
	e, uid, act := checkpointEnv(t, ledger.CheckpointOptions{Every: 1, MaxWAL: 1, Idle: time.Hour})
	tapPairs(t, e, uid, act, 3)
	waitFor(t, "a background checkpoint with a restart", func() bool {
		ran, restarts := ledger.BackgroundCheckpoints(e.Ledger)
		return ran > 0 && restarts > 0
	})
}

// With writes paused for Idle, the goroutine checkpoints what they wrote.
func TestCheckpointWhenIdle(t *testing.T) {
	e, uid, act := checkpointEnv(t, ledger.CheckpointOptions{Every: 1 << 30, Idle: time.Millisecond})
	tapPairs(t, e, uid, act, 2)
	waitFor(t, "an idle checkpoint", func() bool { ran, _ := ledger.BackgroundCheckpoints(e.Ledger); return ran > 0 })
}

// waitFor polls cond until it holds; the test's own timeout bounds it, so a
// slow (emulated) machine only waits longer.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > 2*time.Minute {
			t.Fatalf("no %s after %v", what, time.Since(start).Round(time.Second))
		}
		time.Sleep(time.Millisecond)
	}
}

// A crash in the middle of a checkpoint loses nothing: SQLite empties the
// WAL only after the database file is synced, and a file whose pages are
// half old, half new, beside the whole WAL, is recovered from the WAL. The
// test builds those files from the real ones before and after a checkpoint.
func TestCrashMidCheckpointLosesNothing(t *testing.T) {
	e, uid, act := checkpointEnv(t, ledger.CheckpointOptions{Off: true})
	ids := tapPairs(t, e, uid, act, 30)
	db0, err := os.ReadFile(e.Path())
	if err != nil {
		t.Fatal(err)
	}
	wal, err := os.ReadFile(e.Path() + "-wal")
	if err != nil || len(wal) == 0 {
		t.Fatalf("WAL before the checkpoint: %d bytes, %v", len(wal), err)
	}
	if _, err := e.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	db1, err := os.ReadFile(e.Path())
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	torn := make([]byte, len(db1))
	copy(torn, db1)
	changed := 0
	for off := 0; off+page <= len(db0) && off+page <= len(torn); off += 2 * page {
		if string(db0[off:off+page]) != string(torn[off:off+page]) {
			changed++
		}
		copy(torn[off:off+page], db0[off:off+page])
	}
	if changed == 0 {
		t.Fatal("the checkpoint changed none of the pages the torn file takes from before it")
	}
	for name, files := range map[string][2][]byte{
		"torn file, whole WAL":     {torn, wal},
		"synced file, whole WAL":   {db1, wal},
		"old file, whole WAL":      {db0, wal},
		"synced file, WAL emptied": {db1, nil},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, ledger.FileName), files[0], 0o600); err != nil {
				t.Fatal(err)
			}
			if files[1] != nil {
				if err := os.WriteFile(filepath.Join(dir, ledger.FileName+"-wal"), files[1], 0o600); err != nil {
					t.Fatal(err)
				}
			}
			mustHold(t, dir, ids)
		})
	}
}
