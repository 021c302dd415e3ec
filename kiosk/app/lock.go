package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// LockName is the file in the data directory that a running terminal holds
// an exclusive lock on (flock) for its whole life, so a second terminal
// cannot start on the same ledger, even when the first one's control socket
// is gone. The kernel drops the lock when the process ends, however it ends.
// kioskctl's commands do not take it: status, export, verify and backup read
// beside a running terminal.
const LockName = "kiosk.lock"

// ErrAnotherTerminal: another process holds the data directory's lock.
var ErrAnotherTerminal = errors.New("another terminal is running on this data directory")

// lockData takes the data directory's lock, writing this process's id into
// the lock file for the next one to name. A directory that does not exist
// is not locked (fs.ErrNotExist): there is no ledger in it to protect.
func lockData(dir string) (*os.File, error) {
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		b := make([]byte, 32)
		n, _ := f.ReadAt(b, 0)
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			holder := "another process"
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b[:n]))); perr == nil {
				holder = "process " + strconv.Itoa(pid)
			}
			return nil, fmt.Errorf("%w: %s holds %s (stop it first: systemctl stop hongmajia-kiosk hongmajia-station)", ErrAnotherTerminal, holder, path)
		}
		return nil, fmt.Errorf("lock data directory: %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}

// lock takes the data directory's lock for the App; it fails only when
// another terminal holds it. Trouble making the lock file (a directory
// that is missing or read-only) is logged: the ledger's own error will say
// more.
func (a *App) lock() error {
	f, err := lockData(a.cfg.Data)
	switch {
	case errors.Is(err, ErrAnotherTerminal):
		return err
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		a.logf("kiosk: %v", err)
	}
	a.lockFile = f
	return nil
}

// unlock releases the data directory's lock.
func (a *App) unlock() {
	if a.lockFile != nil {
		a.lockFile.Close()
		a.lockFile = nil
	}
}
