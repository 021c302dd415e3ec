// Package xsession runs the touch kiosk's X session: an X server with one
// client, the kiosk, as xinit would, with what a kiosk needs and xinit
// lacks. The session ends with the client's exit status (xinit exits 0
// whatever its client returned, so systemd never saw a crash and never
// restarted it); the server only accepts clients holding a cookie made for
// this start (an X authority file under /run, 0600), so no other local user
// can connect and inject touches; and a display that another X server
// already holds (a desktop's display manager) is refused in words.
package xsession

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hongmajia/hongmajia/clock"
)

// Defaults of a Session's timeouts.
const (
	DefaultStartTimeout = 30 * time.Second
	DefaultStopTimeout  = 10 * time.Second
)

// ExitFailed is the session's exit status when the session itself failed:
// the server did not start or died under the kiosk, the display is taken.
const ExitFailed = 1

// ServerArgs are given to every server after the session's display: only
// cookie holders connect, no TCP, no pointer on a touch screen, no screen
// saver or power saving, and no reset when the last client leaves (kiosk
// connects once to check the display before the screen opens it).
var ServerArgs = []string{"-nolisten", "tcp", "-nocursor", "-s", "0", "-dpms", "-noreset"}

// Session is one X server and its one client.
type Session struct {
	// Server is the X server's command and the arguments of its own,
	// e.g. {"/usr/bin/Xorg", "vt7", "-keeptty", "-novtswitch"}; the session
	// adds the display, -auth, -displayfd and ServerArgs.
	Server []string
	// Display is the display's number (0 for :0).
	Display int
	// RuntimeDir holds the cookie (Xauthority, 0600); it must exist and
	// be the kiosk user's alone (systemd's RuntimeDirectory=).
	RuntimeDir string
	// Client is the kiosk's command line. It gets DISPLAY and XAUTHORITY,
	// and the watchdog systemd gave the session (WATCHDOG_PID dropped: the
	// kiosk is the one to keep it).
	Client []string
	// Env is the environment both start from; nil: this process's.
	Env []string
	// StartTimeout bounds the server's start; StopTimeout how long each
	// process has to end after SIGTERM before SIGKILL.
	StartTimeout, StopTimeout time.Duration
	// Logf says what the session does; nil: nothing.
	Logf func(format string, args ...any)
	// Stdout and Stderr of both processes; nil: discarded.
	Stdout, Stderr io.Writer
}

// AuthPath is the cookie's file in dir for display n.
func AuthPath(dir string, n int) string {
	return filepath.Join(dir, "Xauthority."+strconv.Itoa(n))
}

// Run starts the server, waits until it takes connections, runs the client
// and returns the status the session should exit with: the client's own
// (128+N when a signal N killed it), ExitFailed when the session failed
// (err says why), or 0 when ctx ended first (a stop that was asked for).
// Both processes are gone when Run returns.
func (s *Session) Run(ctx context.Context) (int, error) {
	if len(s.Server) == 0 || len(s.Client) == 0 {
		return ExitFailed, errors.New("xsession: no server or no client")
	}
	logf := s.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if err := Taken(s.Display); err != nil {
		return ExitFailed, err
	}
	auth, err := WriteCookie(AuthPath(s.RuntimeDir, s.Display), s.Display)
	if err != nil {
		return ExitFailed, err
	}
	defer os.Remove(auth)

	srv, err := s.startServer(ctx, auth)
	if err != nil {
		return ExitFailed, err
	}
	logf("xsession: X server %s ready on :%d (process %d)", s.Server[0], s.Display, srv.cmd.Process.Pid)

	env := s.env()
	env = setenv(env, "DISPLAY", ":"+strconv.Itoa(s.Display))
	env = setenv(env, "XAUTHORITY", auth)
	env = unsetenv(env, "WATCHDOG_PID")
	cli := exec.Command(s.Client[0], s.Client[1:]...)
	cli.Env, cli.Stdout, cli.Stderr = env, s.Stdout, s.Stderr
	if err := cli.Start(); err != nil {
		s.stop(srv.cmd, srv.done, "X server")
		return ExitFailed, fmt.Errorf("xsession: start %s: %w", s.Client[0], err)
	}
	logf("xsession: %s started (process %d)", s.Client[0], cli.Process.Pid)
	cliDone := wait(cli)

	select {
	case err := <-cliDone:
		code := exitCode(cli, err)
		logf("xsession: %s exited with status %d; stopping the X server", s.Client[0], code)
		s.stop(srv.cmd, srv.done, "X server")
		return code, nil
	case err := <-srv.done:
		logf("xsession: the X server exited under the kiosk (%v); stopping the kiosk", describe(srv.cmd, err))
		s.stop(cli, cliDone, s.Client[0])
		return ExitFailed, fmt.Errorf("xsession: the X server exited while the kiosk ran: %s", describe(srv.cmd, err))
	case <-ctx.Done():
		logf("xsession: stopping %s and the X server", s.Client[0])
		s.stop(cli, cliDone, s.Client[0])
		s.stop(srv.cmd, srv.done, "X server")
		return 0, nil
	}
}

type server struct {
	cmd  *exec.Cmd
	done <-chan error
}

// startServer starts the X server and waits until it writes its display
// number to -displayfd: then it takes connections.
func (s *Session) startServer(ctx context.Context, auth string) (*server, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("xsession: %w", err)
	}
	args := append(slices.Clone(s.Server[1:]), ":"+strconv.Itoa(s.Display), "-auth", auth, "-displayfd", "3")
	args = append(args, ServerArgs...)
	cmd := exec.Command(s.Server[0], args...)
	// The kiosk, not the server, tells systemd it is ready and alive.
	cmd.Env = unsetenv(unsetenv(unsetenv(s.env(), "NOTIFY_SOCKET"), "WATCHDOG_USEC"), "WATCHDOG_PID")
	cmd.Stdout, cmd.Stderr = s.Stdout, s.Stderr
	cmd.ExtraFiles = []*os.File{w}
	err = cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("xsession: start the X server %s: %w", s.Server[0], err)
	}
	done := wait(cmd)
	ready := make(chan error, 1)
	go func() {
		// The number and a newline once the server listens; EOF when it
		// exits first.
		b := make([]byte, 16)
		n, err := io.ReadAtLeast(r, b, 1)
		if err == nil && !strings.HasPrefix(strings.TrimSpace(string(b[:n])), strconv.Itoa(s.Display)) {
			err = fmt.Errorf("it names display %q", b[:n])
		}
		ready <- err
		// The server may write again (Xvfb does at a client's first
		// connection) and dies of a closed pipe: read it to its end.
		io.Copy(io.Discard, r)
		r.Close()
	}()
	timeout := s.StartTimeout
	if timeout <= 0 {
		timeout = DefaultStartTimeout
	}
	fail := func(why string) (*server, error) {
		s.stop(cmd, done, "X server")
		return nil, fmt.Errorf("xsession: the X server %s did not start: %s", s.Server[0], why)
	}
	select {
	case err := <-ready:
		if err == nil {
			return &server{cmd: cmd, done: done}, nil
		}
		select {
		case werr := <-done:
			return nil, fmt.Errorf("xsession: the X server %s did not start: %s", s.Server[0], describe(cmd, werr))
		case <-clock.Real{}.After(time.Second):
			return fail(fmt.Sprintf("no display number on -displayfd: %v", err))
		}
	case err := <-done:
		return nil, fmt.Errorf("xsession: the X server %s did not start: %s", s.Server[0], describe(cmd, err))
	case <-clock.Real{}.After(timeout):
		return fail(fmt.Sprintf("not ready after %v", timeout))
	case <-ctx.Done():
		return fail("stopped")
	}
}

// stop ends a process: SIGTERM, then SIGKILL after StopTimeout.
func (s *Session) stop(cmd *exec.Cmd, done <-chan error, name string) {
	timeout := s.StopTimeout
	if timeout <= 0 {
		timeout = DefaultStopTimeout
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		return
	case <-clock.Real{}.After(timeout):
	}
	if s.Logf != nil {
		s.Logf("xsession: %s did not end %v after SIGTERM: killing it", name, timeout)
	}
	_ = cmd.Process.Kill()
	<-done
}

func (s *Session) env() []string {
	if s.Env != nil {
		return slices.Clone(s.Env)
	}
	return os.Environ()
}

// wait waits for cmd in a goroutine; the channel yields Wait's error once.
func wait(cmd *exec.Cmd) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- cmd.Wait() }()
	return ch
}

// exitCode is what a shell would say of the finished cmd: its status, or
// 128+N for signal N.
func exitCode(cmd *exec.Cmd, err error) int {
	ps := cmd.ProcessState
	if ps == nil { // Wait failed before the process ended
		return ExitFailed
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	if c := ps.ExitCode(); c >= 0 && (err == nil || c != 0) {
		return c
	}
	return ExitFailed
}

func describe(cmd *exec.Cmd, err error) string {
	if cmd.ProcessState != nil {
		return cmd.ProcessState.String()
	}
	return err.Error()
}

func setenv(env []string, key, value string) []string {
	return append(unsetenv(env, key), key+"="+value)
}

func unsetenv(env []string, key string) []string {
	return slices.DeleteFunc(env, func(kv string) bool { return strings.HasPrefix(kv, key+"=") })
}

// Taken reports, as an error a technician can act on, that an X server
// already answers on display n: a second one would fail with "server
// already active", and the kiosk would restart into it for ever. The
// abstract socket is asked, which a service's private /tmp does not hide.
func Taken(n int) error {
	for _, addr := range []string{"@/tmp/.X11-unix/X" + strconv.Itoa(n), "/tmp/.X11-unix/X" + strconv.Itoa(n)} {
		c, err := net.DialTimeout("unix", addr, time.Second)
		if err == nil {
			c.Close()
			return fmt.Errorf("xsession: display :%d is held by another X server, most likely a desktop's display manager: "+
				"make this Pi boot to the console (sudo systemctl disable --now display-manager, "+
				"or raspi-config: System Options → Boot / Auto Login → Console) and start hongmajia-kiosk again", n)
		}
	}
	return nil
}

// CookieName is the only authorization the session's server accepts.
const CookieName = "MIT-MAGIC-COOKIE-1"

// familyWild matches any address: the cookie is for this machine's display
// n whatever its host name (which may change when a technician renames the
// Pi while it runs).
const familyWild = 0xFFFF

// WriteCookie makes a new random cookie for display n and writes it to path
// (0600, replacing the last start's) in the X authority format Xlib, xauth
// and the server read. It returns path.
func WriteCookie(path string, n int) (string, error) {
	cookie := make([]byte, 16)
	if _, err := rand.Read(cookie); err != nil {
		return "", fmt.Errorf("xsession: make a cookie: %w", err)
	}
	var b []byte
	b = binary.BigEndian.AppendUint16(b, familyWild)
	for _, field := range [][]byte{nil, []byte(strconv.Itoa(n)), []byte(CookieName), cookie} {
		b = binary.BigEndian.AppendUint16(b, uint16(len(field)))
		b = append(b, field...)
	}
	// A new file each start: one left by a crash is not reused, and the
	// name never points at a file another user put there.
	tmp := path + ".new"
	_ = os.Remove(tmp)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("xsession: write the cookie: %w", err)
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("xsession: write the cookie: %w", err)
	}
	return path, nil
}
