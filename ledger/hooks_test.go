package ledger

import (
	"fmt"

	"modernc.org/sqlite"
)

// OnCommit has fn run inside every COMMIT of the writer (SQLite's commit
// hook): a non-zero answer turns the COMMIT into a ROLLBACK. nil removes it.
func OnCommit(l *Ledger, fn func() int32) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.wc.Raw(func(dc any) error {
		h, ok := dc.(interface{ RegisterCommitHook(sqlite.CommitHookFn) })
		if !ok {
			return fmt.Errorf("driver connection %T has no commit hook", dc)
		}
		h.RegisterCommitHook(fn)
		return nil
	})
}

// SetKeepRequests has the idempotency log keep n results instead of
// KeepRequests, until the returned func puts it back. Tests using it must
// not run in parallel with others.
func SetKeepRequests(n int) (restore func()) {
	old := keepRequests.Swap(int64(n))
	return func() { keepRequests.Store(old) }
}
