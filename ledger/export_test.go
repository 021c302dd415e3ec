package ledger

import (
	"context"
	"database/sql"
	"fmt"
)

// SetMaxPageCount caps the database's size on the writer connection, so a
// test can make SQLite hit SQLITE_FULL for real. It returns the page count now.
func SetMaxPageCount(l *Ledger, extra int) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var n int
	if err := l.wc.QueryRowContext(context.Background(), "PRAGMA page_count").Scan(&n); err != nil {
		return 0, err
	}
	var got int
	err := l.wc.QueryRowContext(context.Background(), fmt.Sprintf("PRAGMA max_page_count = %d", n+extra)).Scan(&got)
	return n, err
}

// MigrateTo runs the migrations up to version v on db, to make a ledger of
// an earlier version.
func MigrateTo(ctx context.Context, db *sql.DB, v int) error { return migrateTo(ctx, db, v) }

// BackgroundCheckpoints returns how many checkpoints the ledger's goroutine
// ran, and how many of them held the write mutex to restart the WAL.
func BackgroundCheckpoints(l *Ledger) (ran, restarts int64) {
	return l.ck.background.Load(), l.ck.restarts.Load()
}

// CheckpointLikeBackground runs one checkpoint as the ledger's goroutine
// does (PASSIVE, then RESTART holding the write mutex past MaxWAL), now.
func CheckpointLikeBackground(l *Ledger) (CheckpointResult, error) {
	return l.ck.checkpoint(context.Background())
}

// SetMinChainPart makes Verify split the chain into parts of n entries and
// returns the undo.
func SetMinChainPart(n int64) func() {
	old := minChainPart
	minChainPart = n
	return func() { minChainPart = old }
}

// ReadAsItLay makes a read-only ledger check, as one that reads its file as
// it lies would, that the file did not change since now (a test runs as
// root, who may write any directory, so never reads as it lies).
func ReadAsItLay(l *Ledger) error {
	st, err := stampOf(l.path)
	l.lay = &st
	return err
}
