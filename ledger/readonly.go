package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// dsnReadOnly is dsn's reader connection opened with SQLite's mode=ro: it
// cannot write the database file, switch its journal mode or checkpoint.
func dsnReadOnly(path string, busy time.Duration) string {
	return dsn(path, busy, false) + "&" + readOnlyQuery(path)
}

// readOnlyQuery is the URI query of a reader that never writes: mode=ro.
// A reader that may not write the ledger's directory (a technician in the
// hongmajia group, whose kioskctl status, verify, backup and export read
// the kiosk's ledger) cannot make the WAL index SQLite reads through. When
// there is none, no terminal has the file open (its connections keep one),
// and when no -wal waits to be checkpointed the file holds everything: it
// is read as it lies (immutable=1). A terminal that starts meanwhile writes
// to its new -wal, not to the file, until a checkpoint.
func readOnlyQuery(path string) string {
	if readAsItLies(path) {
		return "mode=ro&immutable=1"
	}
	return "mode=ro"
}

func readAsItLies(path string) bool {
	const writable = 2 // W_OK
	if syscall.Access(filepath.Dir(path), writable) == nil {
		return false
	}
	return noTerminal(path)
}

// noTerminal reports whether no terminal has the file open (it would keep
// a -shm) and no WAL waits to be checkpointed.
func noTerminal(path string) bool {
	if _, err := os.Stat(path + "-shm"); err == nil {
		return false
	}
	if st, err := os.Stat(path + "-wal"); err == nil && st.Size() > 0 {
		return false
	}
	return true
}

// openReadOnly makes l a reader of its file (Options.ReadOnly): readers only,
// no migration. A schema newer than this program's is refused as Open
// refuses it; an older one is read as it is (the terminal upgrades it at its
// next start).
func (l *Ledger) openReadOnly(ctx context.Context) error {
	var err error
	if readAsItLies(l.path) {
		st, err := stampOf(l.path)
		if err != nil {
			return err
		}
		l.lay = &st
	}
	if l.r, err = sql.Open("sqlite", dsnReadOnly(l.path, l.opts.BusyTimeout)); err != nil {
		return err
	}
	l.r.SetMaxOpenConns(4)
	err = func() error {
		var v int
		if err := l.r.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
			return fmt.Errorf("read schema version: %w", storageErr(err))
		}
		if v > schemaVersion {
			return fmt.Errorf("schema version %d, this program knows %d: %w", v, schemaVersion, ErrTooNew)
		}
		l.schema = v
		meta, err := readMeta(ctx, l.r)
		if err != nil {
			return err
		}
		l.term = Terminal{ID: meta["terminal"], Center: meta["center"], CenterName: meta["center_name"]}
		if l.term.ID == "" || l.term.Center == "" {
			return fmt.Errorf("no terminal identity in meta: %w", ErrCorrupt)
		}
		return l.loadHead(ctx, l.r)
	}()
	if err != nil {
		l.r.Close()
		return err
	}
	l.rcache = newStmtCache(l.r.PrepareContext)
	return nil
}

// fileStamp is what says a file was not written: its identity, size and
// time of last change.
type fileStamp struct {
	dev, ino uint64
	size     int64
	ctime    syscall.Timespec
	mtime    syscall.Timespec
}

func stampOf(path string) (fileStamp, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return fileStamp{}, err
	}
	return fileStamp{dev: uint64(st.Dev), ino: st.Ino, size: st.Size, ctime: st.Ctim, mtime: st.Mtim}, nil
}

// unchangedSinceOpen returns ErrChangedWhileRead when the ledger is read as
// it lies (immutable: no locks, no WAL index) and the file, or a WAL beside
// it, changed since it was opened: a terminal that starts meanwhile
// checkpoints into the file within a second of its first writes
// (checkpoint.go), and a long read (verify, backup) could then mix pages
// of two moments. Verify and Backup end with it.
func (l *Ledger) unchangedSinceOpen() error {
	if l.lay == nil {
		return nil
	}
	st, err := stampOf(l.path)
	if err != nil || st != *l.lay || !noTerminal(l.path) {
		return fmt.Errorf("%s: %w", l.path, ErrChangedWhileRead)
	}
	return nil
}

// ReadOnly reports whether the ledger was opened with Options.ReadOnly.
func (l *Ledger) ReadOnly() bool { return l.w == nil }

// SchemaVersion is the schema version this program's ledger writes (and
// migrates an older file to at Open).
func SchemaVersion() int { return schemaVersion }

// SchemaOf reads the schema version of the ledger in dir read-only, without
// checking or opening it as a ledger, whatever version it is: an update asks
// whether the version it goes back to can open the file.
func SchemaOf(ctx context.Context, dir string) (int, error) {
	path := filepath.Join(dir, FileName)
	if _, err := os.Stat(path); err != nil {
		return 0, fmt.Errorf("schema of %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", fileURI(path)+"?"+readOnlyQuery(path))
	if err != nil {
		return 0, fmt.Errorf("schema of %s: %w", path, err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("schema of %s: %w", path, storageErr(err))
	}
	return v, nil
}
