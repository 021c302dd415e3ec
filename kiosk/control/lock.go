package control

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockName is the file in the data directory that a running terminal holds
// an exclusive lock on (flock) for its whole life, so a second terminal
// cannot start on the same ledger, even when the first one's control socket
// is gone. The kernel drops the lock when the process ends, however it
// ends. It lives beside the socket, here, so that kioskctl's commands that
// must not run beside a terminal (enroll, a sync or restore of their own)
// take the same lock without linking the terminal. kioskctl's looks
// (status, export, verify, backup) do not take it.
const LockName = "kiosk.lock"

// ErrAnotherTerminal: another process holds the data directory's lock.
var ErrAnotherTerminal = errors.New("another terminal is running on this data directory")

// LockData takes the data directory's lock, writing this process's id into
// the lock file for the next one to name; closing the file releases it. A
// lock held by another process is refused at once (ErrAnotherTerminal,
// naming the holder's process id and the lock). A directory that does not
// exist is not locked: the error wraps fs.ErrNotExist.
func LockData(dir string) (*os.File, error) {
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b := make([]byte, 32)
		n, _ := f.ReadAt(b, 0)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
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
