package control_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/kiosk/control"
)

// socketPath is a socket path in a fresh directory; t.TempDir can be longer
// than a socket path may be (108 bytes).
func socketPath(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ctl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return control.SocketPath(dir)
}

// handle is the tests' command set.
func handle(ctx context.Context, line string) (string, error) {
	cmd, arg, _ := strings.Cut(line, " ")
	switch cmd {
	case "echo":
		return arg, nil
	case "quiet":
		return "", nil
	case "fail":
		return "", errors.New(arg)
	case "lines":
		return "", errors.New("two\nlines")
	}
	return "", fmt.Errorf("unknown command %q", line)
}

// serving runs srv on a fresh socket until the test ends, and checks then
// that Serve returned nil and removed the socket.
func serving(t *testing.T, srv *control.Server) string {
	t.Helper()
	path := socketPath(t)
	ln, err := control.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	if srv.Handler == nil {
		srv.Handler = handle
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve = %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return within 5 s of the end of its context")
		}
		if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("socket left behind: %v", err)
		}
	})
	return path
}

type client struct {
	t  *testing.T
	c  *net.UnixConn
	in *bufio.Reader
}

func dial(t *testing.T, path string) *client {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	return &client{t: t, c: c.(*net.UnixConn), in: bufio.NewReader(c)}
}

func (c *client) send(s string) {
	c.t.Helper()
	if _, err := c.c.Write([]byte(s)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) read() string {
	c.t.Helper()
	line, err := c.in.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read an answer: %q %v", line, err)
	}
	return line
}

func (c *client) say(s string) string {
	c.t.Helper()
	c.send(s)
	return c.read()
}

// closed checks that the server closed the connection.
func (c *client) closed() {
	c.t.Helper()
	if line, err := c.in.ReadString('\n'); err == nil {
		c.t.Fatalf("connection still open: %q", line)
	} else if errors.Is(err, os.ErrDeadlineExceeded) {
		c.t.Fatal("connection still open after 5 s")
	}
}

func ask(t *testing.T, path, line string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return control.Request(ctx, path, line)
}

// eventually retries ask until it succeeds: a slot frees just after the
// client sees its connection closed.
func eventually(t *testing.T, path, line string) string {
	t.Helper()
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		var got string
		if got, err = ask(t, path, line); err == nil {
			return got
		}
	}
	t.Fatalf("%q not answered within 5 s: %v", line, err)
	return ""
}

func TestServeProtocol(t *testing.T) {
	path := serving(t, &control.Server{})
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o660 {
		t.Fatalf("socket mode = %v, want a socket for its owner and its group", fi.Mode())
	}

	c := dial(t, path)
	for _, tc := range []struct{ line, want string }{
		{"echo hello there\n", "ok hello there\n"},
		{"quiet\r\n", "ok\n"},
		{"fail no such card\n", "error no such card\n"},
		{"lines\n", "error two lines\n"},
		{"\n", "error unknown command \"\"\n"},
	} {
		if got := c.say(tc.line); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.line, got, tc.want)
		}
	}
	// Several commands in one write are answered in order.
	c.send("echo 1\necho 2\n")
	if a, b := c.read(), c.read(); a != "ok 1\n" || b != "ok 2\n" {
		t.Errorf("pipelined: %q %q", a, b)
	}
	// A second client at the same time.
	c2 := dial(t, path)
	if got := c2.say("echo two\n"); got != "ok two\n" {
		t.Errorf("second client: %q", got)
	}
	// The longest line is served; one byte more is refused and the
	// connection closed.
	longest := "echo " + strings.Repeat("x", control.DefaultMaxLine-5)
	if got := c.say(longest + "\r\n"); got != "ok "+longest[5:]+"\n" {
		t.Errorf("a line of %d bytes: %q", len(longest), got)
	}
	if got := c.say(longest + "x\n"); got != fmt.Sprintf("error line longer than %d bytes\n", control.DefaultMaxLine) {
		t.Errorf("a line too long: %q", got)
	}
	c.closed()
	c3 := dial(t, path)
	if got := c3.say(strings.Repeat("y", 5000) + "\n"); !strings.HasPrefix(got, "error line longer than") {
		t.Errorf("a line much too long: %q", got)
	}
	c3.closed()
	// A last command without its "\n" before the client's EOF is answered.
	c4 := dial(t, path)
	c4.send("echo last")
	if err := c4.c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if got := c4.read(); got != "ok last\n" {
		t.Errorf("last line without a line end: %q", got)
	}
	c4.closed()

	// The client.
	if got, err := ask(t, path, "echo hi"); err != nil || got != "hi" {
		t.Errorf("Request echo: %q %v", got, err)
	}
	if got, err := ask(t, path, "quiet"); err != nil || got != "" {
		t.Errorf("Request quiet: %q %v", got, err)
	}
	if _, err := ask(t, path, "fail disk full"); err == nil || err.Error() != "disk full" {
		t.Errorf("Request fail: %v, want the reason as the error", err)
	}
	if _, err := ask(t, path, "echo a\necho b"); err == nil || !strings.Contains(err.Error(), "spans lines") {
		t.Errorf("Request with two lines: %v", err)
	}
	if _, err := ask(t, filepath.Join(filepath.Dir(path), "other.sock"), "echo"); err == nil || !strings.Contains(err.Error(), "is kiosk running?") {
		t.Errorf("Request to no socket: %v", err)
	}
}

func TestRequestRejectsAStrangeAnswer(t *testing.T) {
	path := socketPath(t)
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		bufio.NewReader(c).ReadString('\n')
		c.Write([]byte("maybe\n"))
	}()
	if _, err := ask(t, path, "echo"); err == nil || !strings.Contains(err.Error(), `unexpected answer to "echo": "maybe"`) {
		t.Errorf("Request = %v", err)
	}
}

func TestListenRefusesLiveSocketAndReplacesStaleOne(t *testing.T) {
	path := socketPath(t)
	// a stale socket: bound, then its listener gone without unlinking
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()
	ln, err := control.Listen(path)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	defer ln.Close()
	if _, err := control.Listen(path); !errors.Is(err, control.ErrInUse) || !strings.Contains(err.Error(), "another process is listening") {
		t.Fatalf("second Listen = %v, want ErrInUse", err)
	}
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("the refused Listen removed the live socket: %v", err)
	}

	file := filepath.Join(filepath.Dir(path), "plain")
	if err := os.WriteFile(file, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := control.Listen(file); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("Listen on a file = %v", err)
	}
	if b, _ := os.ReadFile(file); string(b) != "data" {
		t.Fatal("Listen clobbered a regular file")
	}
	if _, err := control.Listen(filepath.Join(filepath.Dir(path), "no", "such", "dir.sock")); err == nil {
		t.Fatal("Listen in a missing directory succeeded")
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*.tmp"))
	if len(left) != 0 {
		t.Errorf("temporary sockets left: %v", left)
	}
}

func TestServeBusyBeyondTheCap(t *testing.T) {
	const maxConns = 3
	path := serving(t, &control.Server{MaxConns: maxConns})
	// maxConns clients hold every slot (each answered, so each was accepted).
	var held []*client
	for i := range maxConns {
		c := dial(t, path)
		if got := c.say(fmt.Sprintf("echo %d\n", i)); got != fmt.Sprintf("ok %d\n", i) {
			t.Fatalf("client %d: %q", i, got)
		}
		held = append(held, c)
	}
	// A flood beyond the cap is turned away, each connection with an answer.
	var wg sync.WaitGroup
	var busy atomic.Int32
	for range 50 {
		wg.Go(func() {
			c, err := net.Dial("unix", path)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			if line, _ := bufio.NewReader(c).ReadString('\n'); line == "error busy\n" {
				busy.Add(1)
			} else {
				t.Errorf("over the cap: %q", line)
			}
		})
	}
	wg.Wait()
	if busy.Load() != 50 {
		t.Errorf("%d of 50 connections over the cap told busy", busy.Load())
	}
	if _, err := ask(t, path, "echo"); err == nil || err.Error() != "busy" {
		t.Errorf("Request over the cap: %v, want busy", err)
	}
	// The clients holding slots are still served.
	for i, c := range held {
		if got := c.say("echo still\n"); got != "ok still\n" {
			t.Errorf("held client %d after the flood: %q", i, got)
		}
	}
	// Once one leaves, a new client is answered.
	held[0].c.Close()
	if got := eventually(t, path, "echo later"); got != "later" {
		t.Errorf("later client: %q", got)
	}
}

func TestServeClosesIdleConnections(t *testing.T) {
	const idle = 200 * time.Millisecond
	path := serving(t, &control.Server{MaxConns: 1, IdleTimeout: idle})
	// A client that keeps talking stays, longer than the idle timeout in all.
	c := dial(t, path)
	start := time.Now()
	for range 5 {
		if got := c.say("echo here\n"); got != "ok here\n" {
			t.Fatalf("talking client: %q", got)
		}
		time.Sleep(idle / 4)
	}
	if time.Since(start) < idle {
		t.Fatalf("the talking client lasted only %v", time.Since(start))
	}
	// While it holds the only slot, nobody else is served.
	if _, err := ask(t, path, "echo"); err == nil || err.Error() != "busy" {
		t.Errorf("second client: %v, want busy", err)
	}
	// Silent, it is closed after the idle timeout and frees its slot.
	silent := time.Now()
	c.closed()
	if d := time.Since(silent); d < idle/2 {
		t.Errorf("closed after %v of silence, want about %v", d, idle)
	}
	if got := eventually(t, path, "echo next"); got != "next" {
		t.Errorf("after the idle client: %q", got)
	}
	// So is a client that connects and says nothing (once the last one's
	// slot is free).
	for deadline := time.Now().Add(5 * time.Second); ; {
		mute := dial(t, path)
		line, err := mute.in.ReadString('\n')
		if line == "error busy\n" && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		if err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("a mute client: %q %v, want it closed", line, err)
		}
		break
	}
}

// flakyListener fails its first fails Accepts the way a process out of file
// descriptors does.
type flakyListener struct {
	net.Listener
	fails   int
	accepts atomic.Int32
}

func (l *flakyListener) Accept() (net.Conn, error) {
	if n := l.accepts.Add(1); int(n) <= l.fails {
		return nil, &net.OpError{Op: "accept", Net: "unix", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

func TestServeRetriesAcceptErrors(t *testing.T) {
	path := socketPath(t)
	ln, err := control.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	fl := &flakyListener{Listener: ln, fails: 4}
	var mu sync.Mutex
	var logged []string
	srv := &control.Server{Handler: handle, Logf: func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		logged = append(logged, fmt.Sprintf(format, args...))
	}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, fl) }()

	if got, err := ask(t, path, "echo through"); err != nil || got != "through" {
		t.Fatalf("after accept errors: %q %v", got, err)
	}
	if n := fl.accepts.Load(); n < 5 {
		t.Errorf("%d accepts, want the 4 failures and then one that works", n)
	}
	mu.Lock()
	log := strings.Join(logged, "\n")
	mu.Unlock()
	if strings.Count(log, "too many open files (retrying)") != 1 || !strings.Contains(log, "accept works again after 4 failures") {
		t.Errorf("log:\n%s", log)
	}
	// Closed by someone else, the listener is gone for good: Serve says so.
	ln.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Serve after its listener closed = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve still running after its listener closed")
	}
}

func TestServeStopsWithItsContext(t *testing.T) {
	path := socketPath(t)
	ln, err := control.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	srv := &control.Server{Handler: func(ctx context.Context, line string) (string, error) {
		if line == "slow" {
			close(started)
			<-release
		}
		return "", nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	idle := dial(t, path)
	if got := idle.say("hi\n"); got != "ok\n" {
		t.Fatalf("hi: %q", got)
	}
	slow := dial(t, path)
	slow.send("slow\n")
	<-started
	cancel()
	idle.closed()
	select {
	case err := <-done:
		t.Fatalf("Serve returned (%v) while a command was running", err)
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("Serve = %v", err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left behind: %v", err)
	}
}

// TestImportsNothingOfTheTerminal keeps the package small to link: kioskctl
// and a health check import it without the terminal, its drivers or SQLite.
func TestImportsNothingOfTheTerminal(t *testing.T) {
	const module = "github.com/hongmajia/hongmajia"
	var stderr bytes.Buffer
	cmd := exec.Command("go", "list", "-deps", ".")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 || deps[len(deps)-1] != module+"/kiosk/control" {
		t.Fatalf("go list -deps gave %v", deps)
	}
	for _, d := range deps {
		switch {
		case d == module+"/kiosk/control" || d == module+"/clock":
		case d == module || strings.HasPrefix(d, module+"/"):
			t.Errorf("kiosk/control depends on %s: it imports nothing of the project but clock", d)
		case strings.HasPrefix(d, "periph.io/"), strings.HasPrefix(d, "github.com/hajimehoshi/ebiten"), strings.HasPrefix(d, "modernc.org/"):
			t.Errorf("kiosk/control depends on %s", d)
		}
	}
}
