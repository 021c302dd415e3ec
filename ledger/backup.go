package ledger

import (
	"context"
	"fmt"

	"github.com/hongmajia/hongmajia/internal/atomicfile"
)

// Backup writes a consistent copy of the ledger to path while it stays open
// and in use: VACUUM INTO a temporary file beside path, check that it opens
// and passes PRAGMA integrity_check, fsync it, then rename it into place and
// fsync the directory. An existing file at path is replaced only by a copy
// that passed; a failed backup leaves no temporary file behind.
func (l *Ledger) Backup(ctx context.Context, path string) error {
	err := atomicfile.Replace(path, 0o600, func(tmp string) error {
		// VACUUM INTO wants an empty or missing file; Replace gives an empty one.
		if _, err := l.r.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
			return fmt.Errorf("vacuum into %s: %w", tmp, storageErr(err))
		}
		if err := integrityCheck(ctx, tmp); err != nil {
			return fmt.Errorf("check copy: %w", err)
		}
		return l.unchangedSinceOpen()
	})
	if err != nil {
		return fmt.Errorf("backup: %w", storageErr(err))
	}
	return nil
}
