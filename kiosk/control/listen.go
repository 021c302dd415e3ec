package control

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// SocketName is the control socket's name in the data directory.
const SocketName = "control.sock"

// SocketPath is the control socket of the terminal using dataDir.
func SocketPath(dataDir string) string { return filepath.Join(dataDir, SocketName) }

// SocketMode is the control socket's mode: the owner and its group.
const SocketMode = 0o660

// ErrInUse is Listen's answer when another process answers on the socket:
// for a terminal, another terminal on the same data directory.
var ErrInUse = errors.New("another process is listening")

// probeTimeout bounds Listen's question whether a socket still answers.
const probeTimeout = time.Second

// Listen opens a Unix socket at path that its owner and its group may
// connect to (0660: the hongmajia group's technicians ask a running
// terminal its status; Server.Shared says which commands they may run). The
// socket is made under a temporary name, restricted, then renamed into
// place, so no other user can connect in between. A stale socket left by a crash
// (nobody answers) is replaced; one that still answers is left alone and the
// error wraps ErrInUse. Closing the listener removes the socket.
func Listen(path string) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("control: listen %s: exists and is not a socket", path)
		}
		c, err := net.DialTimeout("unix", path, probeTimeout)
		switch {
		case err == nil:
			c.Close()
			return nil, fmt.Errorf("control: listen %s: %w", path, ErrInUse)
		case !errors.Is(err, syscall.ECONNREFUSED):
			// Not plainly stale (no permission, a full backlog): replacing
			// it could cut off a live terminal.
			return nil, fmt.Errorf("control: listen %s: probe the old socket: %w", path, err)
		}
	}
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	_ = os.Remove(tmp)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control: listen %s: %w", path, err)
	}
	ln.SetUnlinkOnClose(false) // it will not be at tmp any more
	fail := func(err error) (net.Listener, error) {
		ln.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("control: listen %s: %w", path, err)
	}
	if err := os.Chmod(tmp, SocketMode); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(err)
	}
	return &listener{UnixListener: ln, path: path}, nil
}

// listener removes its socket file on Close.
type listener struct {
	*net.UnixListener
	path string
	once sync.Once
}

func (l *listener) Close() error {
	err := l.UnixListener.Close()
	l.once.Do(func() { os.Remove(l.path) })
	return err
}
