package xsession

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jezek/xgb"
)

// The tests run a real X server (Xvfb, as the screen's tests do) and this
// test binary as its client, in the mode HMJ_XSESSION_CLIENT names.
const clientEnv = "HMJ_XSESSION_CLIENT"

func TestMain(m *testing.M) {
	if mode := os.Getenv(clientEnv); mode != "" {
		os.Exit(client(mode))
	}
	os.Exit(m.Run())
}

// client is the kiosk's stand-in.
func client(mode string) int {
	switch mode {
	case "exit2":
		return 2
	case "check":
		// Only the cookie opens the display.
		c, err := xgb.NewConn()
		if err != nil {
			fmt.Fprintf(os.Stderr, "with the cookie: %v\n", err)
			return 3
		}
		c.Close()
		os.Setenv("XAUTHORITY", "/dev/null")
		if c, err := xgb.NewConn(); err == nil {
			c.Close()
			fmt.Fprintln(os.Stderr, "connected without the cookie")
			return 4
		}
		if os.Getenv("WATCHDOG_PID") != "" || os.Getenv("WATCHDOG_USEC") != "30000000" || os.Getenv("NOTIFY_SOCKET") != "@notify" {
			fmt.Fprintf(os.Stderr, "watchdog environment: %q %q %q\n", os.Getenv("WATCHDOG_PID"), os.Getenv("WATCHDOG_USEC"), os.Getenv("NOTIFY_SOCKET"))
			return 5
		}
		return 0
	case "killed":
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Minute)
	case "run", "stubborn":
		// Runs until SIGTERM (then exits 0, as the kiosk does), or, stubborn,
		// ignores it.
		ch := make(chan os.Signal, 1)
		if mode == "stubborn" {
			signal.Ignore(syscall.SIGTERM)
		} else {
			signal.Notify(ch, syscall.SIGTERM)
		}
		os.WriteFile(os.Getenv("HMJ_XSESSION_PIDFILE"), []byte(strconv.Itoa(os.Getpid())), 0o644)
		select {
		case <-ch:
			return 0
		case <-time.After(time.Minute):
			return 9
		}
	}
	return 8
}

var displays struct {
	sync.Mutex
	next int
}

// freeDisplay is a display number no X server uses here.
func freeDisplay(t *testing.T) int {
	t.Helper()
	displays.Lock()
	defer displays.Unlock()
	if displays.next == 0 {
		displays.next = 140 + os.Getpid()%300
	}
	for range 100 {
		n := displays.next
		displays.next++
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); err == nil {
			continue
		}
		if Taken(n) == nil {
			return n
		}
	}
	t.Fatal("no free X display")
	return 0
}

func xvfb(t *testing.T) []string {
	t.Helper()
	path, err := exec.LookPath("Xvfb")
	if err != nil {
		t.Fatal("no Xvfb: `make test` installs it (deploy/dev/ensure-deps.sh test)")
	}
	return []string{path, "-screen", "0", "320x240x24"}
}

// session is a Session of Xvfb and this binary in mode.
func session(t *testing.T, mode string, extraEnv ...string) (*Session, *bytes.Buffer) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	env := append(os.Environ(), clientEnv+"="+mode, "WATCHDOG_USEC=30000000", "WATCHDOG_PID=1", "NOTIFY_SOCKET=@notify")
	env = append(env, extraEnv...)
	s := &Session{
		Server:       xvfb(t),
		Display:      freeDisplay(t),
		RuntimeDir:   t.TempDir(),
		Client:       []string{self},
		Env:          env,
		StartTimeout: 20 * time.Second,
		StopTimeout:  2 * time.Second,
		Stdout:       &out,
		Stderr:       &out,
		Logf:         t.Logf,
	}
	return s, &out.buf
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// gone fails when an X server still runs on display n.
func gone(t *testing.T, n int) {
	t.Helper()
	for range 50 {
		if Taken(n) == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("an X server still answers on :%d after the session", n)
}

// xinit exits 0 whatever its client returned; the session exits with the
// kiosk's status, so systemd's Restart=on-failure sees a kiosk that failed.
func TestSessionExitsWithTheKiosksStatus(t *testing.T) {
	s, out := session(t, "exit2")
	code, err := s.Run(context.Background())
	if code != 2 || err != nil {
		t.Fatalf("Run = %d, %v; want 2 (the client's status)\n%s", code, err, out)
	}
	gone(t, s.Display)
	if _, err := os.Stat(AuthPath(s.RuntimeDir, s.Display)); !os.IsNotExist(err) {
		t.Errorf("the cookie outlives the session: %v", err)
	}
}

func TestSessionKioskKilledBySignal(t *testing.T) {
	s, out := session(t, "killed")
	code, err := s.Run(context.Background())
	if code != 128+9 || err != nil {
		t.Fatalf("Run = %d, %v; want 137 (SIGKILL)\n%s", code, err, out)
	}
	gone(t, s.Display)
}

// Only a client with the session's cookie opens the display; the kiosk gets
// the watchdog systemd gave the session, as its own.
func TestSessionOnlyTheCookieOpensTheDisplay(t *testing.T) {
	s, out := session(t, "check")
	code, err := s.Run(context.Background())
	if code != 0 || err != nil {
		t.Fatalf("Run = %d, %v\n%s", code, err, out)
	}
}

// systemctl stop: the kiosk gets SIGTERM and ends, then the server; the
// session exits 0. A kiosk that ignores SIGTERM is killed.
func TestSessionStopped(t *testing.T) {
	for _, mode := range []string{"run", "stubborn"} {
		t.Run(mode, func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "pid")
			s, out := session(t, mode, "HMJ_XSESSION_PIDFILE="+pidFile)
			ctx, cancel := context.WithCancel(context.Background())
			type result struct {
				code int
				err  error
			}
			done := make(chan result, 1)
			go func() {
				code, err := s.Run(ctx)
				done <- result{code, err}
			}()
			pid := waitPID(t, pidFile)
			cancel()
			select {
			case r := <-done:
				if r.code != 0 || r.err != nil {
					t.Fatalf("Run = %d, %v\n%s", r.code, r.err, out)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the session did not end")
			}
			if err := syscall.Kill(pid, 0); err == nil {
				t.Errorf("the kiosk (process %d) still runs", pid)
			}
			gone(t, s.Display)
		})
	}
}

func waitPID(t *testing.T, path string) int {
	t.Helper()
	for range 200 {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			pid, err := strconv.Atoi(string(b))
			if err != nil {
				t.Fatal(err)
			}
			return pid
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the client did not start")
	return 0
}

// The X server dies under the kiosk: the kiosk is stopped and the session
// fails, so systemd restarts both.
func TestSessionServerDiesUnderTheKiosk(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	s, out := session(t, "run", "HMJ_XSESSION_PIDFILE="+pidFile)
	var serverPID atomic.Int64
	s.Logf = func(format string, args ...any) {
		line := fmt.Sprintf(format, args...)
		t.Log(line)
		if strings.Contains(line, "ready on") {
			// "… (process N)"
			f := strings.Fields(strings.TrimSuffix(line, ")"))
			pid, _ := strconv.Atoi(f[len(f)-1])
			serverPID.Store(int64(pid))
		}
	}
	done := make(chan int, 1)
	var runErr error
	go func() {
		code, err := s.Run(context.Background())
		runErr = err
		done <- code
	}()
	kiosk := waitPID(t, pidFile)
	if serverPID.Load() == 0 {
		t.Fatal("the session did not say which process the server is")
	}
	syscall.Kill(int(serverPID.Load()), syscall.SIGKILL)
	select {
	case code := <-done:
		if code != ExitFailed || runErr == nil || !strings.Contains(runErr.Error(), "X server exited") {
			t.Fatalf("Run = %d, %v\n%s", code, runErr, out)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the session did not end")
	}
	if err := syscall.Kill(kiosk, 0); err == nil {
		t.Errorf("the kiosk (process %d) still runs", kiosk)
	}
}

func TestSessionServerThatDoesNotStart(t *testing.T) {
	s, _ := session(t, "exit2")
	s.Server = append(s.Server, "-no-such-option")
	code, err := s.Run(context.Background())
	if code != ExitFailed || err == nil || !strings.Contains(err.Error(), "did not start") {
		t.Fatalf("Run = %d, %v", code, err)
	}
	s.Server = []string{filepath.Join(t.TempDir(), "X")}
	code, err = s.Run(context.Background())
	if code != ExitFailed || err == nil || !strings.Contains(err.Error(), "start the X server") {
		t.Fatalf("missing server: Run = %d, %v", code, err)
	}
}

// A display manager holds :N: the session says what to do, and starts
// nothing.
func TestSessionRefusesADisplayThatIsTaken(t *testing.T) {
	n := freeDisplay(t)
	dm := exec.Command(xvfb(t)[0], ":"+strconv.Itoa(n), "-nolisten", "tcp")
	if err := dm.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dm.Process.Kill(); dm.Wait() })
	for i := 0; Taken(n) == nil; i++ {
		if i == 100 {
			t.Fatal("Xvfb did not start")
		}
		time.Sleep(100 * time.Millisecond)
	}
	s, out := session(t, "exit2")
	s.Display = n
	code, err := s.Run(context.Background())
	if code != ExitFailed || err == nil || !strings.Contains(err.Error(), "display manager") || !strings.Contains(err.Error(), "Console") {
		t.Fatalf("Run = %d, %v\n%s", code, err, out)
	}
	if out.Len() != 0 {
		t.Fatalf("something ran: %s", out)
	}
}

// The cookie is the user's alone and in the format xauth reads.
func TestCookieFile(t *testing.T) {
	dir := t.TempDir()
	path, err := WriteCookie(AuthPath(dir, 7), 7)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(path)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("cookie mode %v, want 0600", st.Mode().Perm())
	}
	if _, err := WriteCookie(path, 7); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(path)
	if bytes.Equal(first, second) {
		t.Fatal("the same cookie twice")
	}
	if xauth, err := exec.LookPath("xauth"); err == nil {
		out, err := exec.Command(xauth, "-f", path, "list").CombinedOutput()
		if err != nil {
			t.Fatalf("xauth list: %v\n%s", err, out)
		}
		// xauth writes a wild entry as "#ffff#:7".
		if f := strings.Fields(string(out)); len(f) != 3 || !strings.HasSuffix(f[0], ":7") || f[1] != CookieName || len(f[2]) != 32 {
			t.Fatalf("xauth list: %q", out)
		}
	} else {
		t.Log("no xauth here: the format is checked by the server in TestSessionOnlyTheCookieOpensTheDisplay")
	}
}
