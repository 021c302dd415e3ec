package app

import (
	"errors"
	"io/fs"

	"github.com/hongmajia/hongmajia/kiosk/control"
)

// LockName is the file in the data directory that a running terminal holds
// an exclusive lock on for its whole life (control.LockName).
const LockName = control.LockName

// ErrAnotherTerminal: another process holds the data directory's lock.
var ErrAnotherTerminal = control.ErrAnotherTerminal

// lock takes the data directory's lock for the App; it fails only when
// another terminal (or a kioskctl command that needs the terminal stopped)
// holds it. Trouble making the lock file (a directory that is missing or
// read-only) is logged: the ledger's own error will say more.
func (a *App) lock() error {
	f, err := control.LockData(a.cfg.Data)
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
