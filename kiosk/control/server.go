package control

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hongmajia/hongmajia/clock"
)

// Limits a Server applies when its fields are zero.
const (
	DefaultMaxConns    = 16
	DefaultIdleTimeout = 30 * time.Second
	DefaultMaxLine     = 256
)

// Accept failures (EMFILE when the process is out of file descriptors, and
// the like) are retried after a pause that doubles from minBackoff to
// maxBackoff: the socket stays, and answers again once the cause is gone.
const (
	minBackoff = 5 * time.Millisecond
	maxBackoff = time.Second
)

// busyTimeout bounds the write of "error busy" to a connection over the cap,
// which the accept loop does itself.
const busyTimeout = 100 * time.Millisecond

// Handler runs one command line (without its line end) and returns the
// answer's text, or the error to answer with.
type Handler func(ctx context.Context, line string) (string, error)

// Server answers the control protocol with Handler. It is robust against
// the clients a kiosk may meet: a connection over MaxConns is answered
// "error busy" and closed, one that sends no line for IdleTimeout is closed,
// a line longer than MaxLine is answered with an error and the connection
// closed, and accept failures are retried.
type Server struct {
	Handler Handler
	// MaxConns is how many connections are served at once (default 16).
	MaxConns int
	// IdleTimeout closes a connection that sends no line, or does not read
	// its answer, for this long (default 30 s).
	IdleTimeout time.Duration
	// MaxLine is the longest command line in bytes (default 256), so a stuck
	// client cannot eat memory.
	MaxLine int
	// Logf receives accept failures; nil discards them.
	Logf func(format string, args ...any)
	// Shared are the commands (a line's first word) that a peer other
	// than the server's own user and root may run: the socket's group
	// (Listen), technicians who look but do not change the terminal. Any
	// other command from such a peer is refused with ErrPermission.
	Shared []string
}

// ErrPermission is the answer to a command the peer may not run.
var ErrPermission = errors.New("permission denied")

// Serve answers on ln until ctx ends, then closes ln and every connection
// and returns nil once every command has returned. It returns an error only
// when ln is closed by someone else. ln is closed when Serve returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	maxConns, idle, maxLine := s.MaxConns, s.IdleTimeout, s.MaxLine
	if maxConns <= 0 {
		maxConns = DefaultMaxConns
	}
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	logf := s.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}

	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	// Close here too, not only when ctx ends: the socket file must be gone
	// when Serve returns.
	defer ln.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, maxConns)
	var backoff time.Duration
	failures := 0
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("control: accept: %w", err)
			}
			if failures == 0 {
				logf("control: accept: %v (retrying)", err)
			}
			failures++
			backoff = min(max(2*backoff, minBackoff), maxBackoff)
			select {
			case <-ctx.Done():
				return nil
			case <-clock.Real{}.After(backoff):
			}
			continue
		}
		if failures > 0 {
			logf("control: accept works again after %d failures", failures)
			failures, backoff = 0, 0
		}
		select {
		case slots <- struct{}{}:
		default:
			// Answered here rather than in a goroutine, so that a flood
			// cannot start goroutines without bound.
			c.SetWriteDeadline(deadline(busyTimeout))
			io.WriteString(c, "error busy\n")
			c.Close()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			s.serveConn(ctx, c, idle, maxLine)
		}()
	}
}

// deadline is a net deadline d from now. Net deadlines are real time, so
// they come from the real clock whatever clock the caller runs on.
func deadline(d time.Duration) time.Time { return clock.Real{}.Now().Add(d) }

func (s *Server) serveConn(ctx context.Context, c net.Conn, idle time.Duration, maxLine int) {
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	owner := peerIsOwner(c)
	// Room for a line of maxLine bytes and its "\r\n".
	in := bufio.NewReaderSize(c, maxLine+2)
	for {
		c.SetReadDeadline(deadline(idle))
		b, err := in.ReadSlice('\n')
		line := strings.TrimRight(string(b), "\r\n")
		if errors.Is(err, bufio.ErrBufferFull) || len(line) > maxLine {
			reply(c, idle, "", fmt.Errorf("line longer than %d bytes", maxLine))
			return
		}
		// A last line without "\n" before the client's EOF is still a
		// command (echo -n status | socat).
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return // EOF, idle too long, or closed when ctx ended
		}
		var answer string
		var herr error
		if cmd, _, _ := strings.Cut(strings.TrimSpace(line), " "); owner || slices.Contains(s.Shared, cmd) {
			answer, herr = s.Handler(ctx, line)
		} else {
			herr = s.refuse(cmd)
		}
		if reply(c, idle, answer, herr) != nil || err != nil {
			return
		}
	}
}

// refuse says why a peer may not run cmd, and who may.
func (s *Server) refuse(cmd string) error {
	who := strconv.Itoa(os.Getuid())
	if u, err := user.LookupId(who); err == nil {
		who = u.Username
	}
	shared := "nothing"
	if len(s.Shared) > 0 {
		shared = strings.Join(s.Shared, ", ")
	}
	return fmt.Errorf("%w: %q is for the terminal's user %s (sudo -u %s kioskctl …); its group may ask %s", ErrPermission, cmd, who, who, shared)
}

// peerIsOwner reports whether the process at c's other end runs as this
// process's user, or as root (SO_PEERCRED: what the kernel says, not what
// the peer claims).
func peerIsOwner(c net.Conn) bool {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return false
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return false
	}
	var cred *syscall.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil || cerr != nil {
		return false
	}
	return cred.Uid == 0 || int(cred.Uid) == os.Getuid()
}

// reply writes one answer line: "error REASON", "ok TEXT" or "ok".
func reply(c net.Conn, idle time.Duration, text string, err error) error {
	var line string
	switch {
	case err != nil:
		line = "error " + err.Error()
	case text != "":
		line = "ok " + text
	default:
		line = "ok"
	}
	c.SetWriteDeadline(deadline(idle))
	_, werr := io.WriteString(c, strings.ReplaceAll(strings.ReplaceAll(line, "\r", " "), "\n", " ")+"\n")
	return werr
}
