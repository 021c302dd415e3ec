package ledger

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the ledger to path while it stays open
// and in use: VACUUM INTO a temporary file beside path, fsync it, check that
// it opens and passes PRAGMA integrity_check, then rename it into place and
// fsync the directory. An existing file at path is replaced only by a copy
// that passed; a failed backup leaves no temporary file behind.
func (l *Ledger) Backup(ctx context.Context, path string) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	name := tmp.Name()
	tmp.Close()
	ok := false
	defer func() {
		if !ok {
			os.Remove(name)
		}
	}()
	// VACUUM INTO wants an empty or missing file; CreateTemp gave an empty one.
	if _, err := l.r.ExecContext(ctx, "VACUUM INTO ?", name); err != nil {
		return fmt.Errorf("backup: vacuum into %s: %w", name, storageErr(err))
	}
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("backup: sync %s: %w", name, storageErr(err))
	}
	if err := os.Chmod(name, 0o600); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := integrityCheck(ctx, name); err != nil {
		return fmt.Errorf("backup: check copy: %w", err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	ok = true
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}
