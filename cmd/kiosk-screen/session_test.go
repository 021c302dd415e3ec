package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/kiosk/xsession"
)

// TestSessionTellsSystemdTheScreenIsReadyAndAlive runs what
// hongmajia-kiosk.service runs, `kiosk session`, with Xvfb for Xorg and a
// notify socket for systemd's: the touch screen, two processes below the
// session, says READY=1 once drawn and WATCHDOG=1 while its frame loop and
// ledger answer, and STOPPING=1 when the session is stopped.
func TestSessionTellsSystemdTheScreenIsReadyAndAlive(t *testing.T) {
	xvfb, err := exec.LookPath("Xvfb")
	if err != nil {
		t.Fatal("no Xvfb: `make test` installs it (deploy/dev/ensure-deps.sh test)")
	}
	bin := t.TempDir()
	if out, err := exec.Command("go", "build", "-o", bin+"/", "../kiosk", ".", "../kioskctl").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir, err := os.MkdirTemp("", "hmj-session")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data := filepath.Join(dir, "data")
	if out, err := exec.Command(filepath.Join(bin, "kioskctl"), "demo", "--data", data, "--people", "5", "--entries", "10").CombinedOutput(); err != nil {
		t.Fatalf("kioskctl demo: %v\n%s", err, out)
	}
	sock := filepath.Join(dir, "notify")
	notify, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer notify.Close()

	display := -1
	for n := 700 + os.Getpid()%200; n < 1000; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); err != nil && xsession.Taken(n) == nil {
			display = n
			break
		}
	}
	session := exec.Command(filepath.Join(bin, "kiosk"), "session", "--server", xvfb+" -screen 0 1024x600x24",
		"--display", fmt.Sprintf(":%d", display), "--runtime", dir, "--",
		"--data", data, "--windowed", "--size", "800x480")
	session.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock, "WATCHDOG_USEC=2000000", "WATCHDOG_PID=1", "DISPLAY=", "XAUTHORITY=/dev/null")
	logs, err := os.Create(filepath.Join(dir, "session.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	session.Stdout, session.Stderr = logs, logs
	// Its own process group: a test that fails ends the X server and the
	// screen too, as systemd ends the unit's cgroup.
	session.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := session.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- session.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-session.Process.Pid, syscall.SIGKILL)
		<-exited
		if t.Failed() {
			b, _ := os.ReadFile(logs.Name())
			t.Logf("session:\n%s", b)
		}
	})

	want := func(state string, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		var seen []string
		for time.Now().Before(deadline) {
			b := make([]byte, 4096)
			notify.SetReadDeadline(deadline)
			n, err := notify.Read(b)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b[:n]), state) {
				return
			}
			seen = append(seen, string(b[:n]))
		}
		t.Fatalf("no %s within %v; got %q", state, within, seen)
	}
	want("READY=1", 60*time.Second)
	want("WATCHDOG=1", 5*time.Second)
	want("WATCHDOG=1", 5*time.Second)

	session.Process.Signal(syscall.SIGTERM)
	want("STOPPING=1", 20*time.Second)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("the session exited with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the session did not stop on SIGTERM")
	}
	if xsession.Taken(display) != nil {
		t.Errorf("an X server still answers on :%d", display)
	}
}
