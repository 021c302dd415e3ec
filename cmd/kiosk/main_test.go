package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/kiosk/control"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/demo"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

func demoData(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hmj") // short: the socket path must fit in 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if _, err := demo.Create(context.Background(), dir, demo.Options{People: 10, NoHistory: true,
		Ledger: ledger.Options{PIN: ledgertest.CheapPIN}}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startKiosk runs `kiosk args...` in this process until the returned stop;
// stderr may be read after stop, when nothing writes to it any more.
func startKiosk(t *testing.T, args ...string) (stderr *bytes.Buffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr = &bytes.Buffer{}
	code := make(chan int, 1)
	go func() { code <- run(ctx, args, stderr) }()
	return stderr, func() int { cancel(); return <-code }
}

func ask(t *testing.T, dir, line string) string {
	t.Helper()
	var answer string
	var err error
	// The socket appears when the station has started: seconds on a
	// loaded machine (a race-built binary, 2 cores shared with other tests).
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		answer, err = control.Request(ctx, control.SocketPath(dir), line)
		cancel()
		if err == nil {
			return answer
		}
	}
	t.Fatalf("%s: %v", line, err)
	return ""
}

func TestHeadlessOnDemoDataNeedsNothingElse(t *testing.T) {
	dir := demoData(t)
	stderr, stop := startKiosk(t, "--headless", "--data", dir)
	card := string(demo.CardUID(1))
	// The answer is what the station did with the tap.
	if got := ask(t, dir, "tap "+card); !strings.HasPrefix(got, "checked in: 王* (HPL00001) at 便民服务") {
		t.Fatalf("tap: %q", got)
	}
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(ask(t, dir, "status"), `"last_tap":"checked in card `+card); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the station did not check the card in within 5 s")
		}
	}
	if code := stop(); code != 0 {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
	log := stderr.String()
	for _, want := range []string{"headless station on " + dir, "便民服务", "demo cards: [88000001", "checked in card " + card, "stopped"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	// The ledger was closed cleanly and holds the check-in; the socket is gone.
	l, err := ledger.Open(context.Background(), dir, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	info, err := l.LookupCard(context.Background(), record.CardUID(card))
	if err != nil || info.OpenShift == nil {
		t.Errorf("after the tap: %+v %v", info.OpenShift, err)
	}
	if _, err := os.Lstat(control.SocketPath(dir)); !os.IsNotExist(err) {
		t.Errorf("control socket left behind: %v", err)
	}
}

func TestNoDisplay(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	dir := demoData(t)
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"--data", dir}, &stderr); code != 1 || !strings.Contains(stderr.String(), "no display") {
		t.Errorf("exit %d: %s", code, stderr.String())
	}
	// --fallback-headless runs the station instead.
	errs, stop := startKiosk(t, "--data", dir, "--fallback-headless")
	if got := ask(t, dir, "ping"); got != "pong" {
		t.Errorf("ping: %q", got)
	}
	if code := stop(); code != 0 || !strings.Contains(errs.String(), "running the headless station instead") {
		t.Errorf("exit %d:\n%s", code, errs)
	}
}

func TestScreenBinaryMissing(t *testing.T) {
	// The test binary has no kiosk-screen beside it; the display opens.
	x := startFakeX(t, func(string, []byte) []byte { return xSuccess() })
	t.Setenv("DISPLAY", x.display)
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"--data", t.TempDir()}, &stderr); code != 1 || !strings.Contains(stderr.String(), "kiosk-screen is not installed next to kiosk") {
		t.Errorf("exit %d: %s", code, stderr.String())
	}
}

func TestBadConfiguration(t *testing.T) {
	cfg := t.TempDir() + "/kiosk.toml"
	if err := os.WriteFile(cfg, []byte("[reader]\nkind = \"nfc\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"--config", cfg}, &stderr); code != 2 || !strings.Contains(stderr.String(), cfg+":2: reader.kind: unknown reader") {
		t.Errorf("exit %d: %s", code, stderr.String())
	}
}

func TestLogFile(t *testing.T) {
	dir := demoData(t)
	logFile := filepath.Join(t.TempDir(), "kiosk.log")
	cfg := filepath.Join(t.TempDir(), "kiosk.toml")
	if err := os.WriteFile(cfg, []byte("headless = true\nlog_file = \""+logFile+"\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr, stop := startKiosk(t, "--config", cfg, "--data", dir)
	ask(t, dir, "ping")
	if code := stop(); code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{string(b), stderr.String()} {
		if !strings.Contains(out, "headless station on "+dir) || !strings.Contains(out, "kiosk: stopped") {
			t.Errorf("log:\n%s", out)
		}
	}
}

// TestMain lets a test run this binary as `kiosk` itself: the exec into
// kiosk-screen replaces the process, so it is tested in a child.
func TestMain(m *testing.M) {
	if os.Getenv("HONGMAJIA_KIOSK_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

// kioskBeside copies this test binary to a directory as kiosk, beside a
// kiosk-screen script that says how it was started.
func kioskBeside(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "kiosk"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	screen := "#!/bin/sh\necho \"screen $0 $* DISPLAY=$DISPLAY\"\n"
	if err := os.WriteFile(filepath.Join(dir, "kiosk-screen"), []byte(screen), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestExecsScreenWithTheSameArguments(t *testing.T) {
	x := startFakeX(t, func(string, []byte) []byte { return xSuccess() })
	dir := kioskBeside(t)
	cmd := exec.Command(filepath.Join(dir, "kiosk"), "--data", "/srv/hmj", "--windowed", "--size", "800x480", "--demo")
	cmd.Env = append(os.Environ(), "HONGMAJIA_KIOSK_MAIN=1", "DISPLAY="+x.display, "WAYLAND_DISPLAY=")
	out, err := cmd.CombinedOutput()
	want := "screen " + filepath.Join(dir, "kiosk-screen") + " --data /srv/hmj --windowed --size 800x480 --demo DISPLAY=" + x.display + "\n"
	if err != nil || string(out) != want {
		t.Errorf("kiosk: %v\n got %q\nwant %q", err, out, want)
	}
}

// TestSecondKioskRefused: a kiosk process runs on a ledger; a second one on
// the same data directory is refused even after the first one's control
// socket was deleted, and starts once the first one has stopped.
func TestSecondKioskRefused(t *testing.T) {
	dir := demoData(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	first := exec.Command(self, "--headless", "--data", dir)
	first.Env = append(os.Environ(), "HONGMAJIA_KIOSK_MAIN=1")
	var firstErr bytes.Buffer
	first.Stderr = &firstErr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer first.Process.Kill()
	if got := ask(t, dir, "ping"); got != "pong" {
		t.Fatalf("ping: %q", got)
	}
	if err := os.Remove(control.SocketPath(dir)); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"--headless", "--data", dir}, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "another terminal is running") || !strings.Contains(stderr.String(), "process "+strconv.Itoa(first.Process.Pid)) {
		t.Fatalf("second kiosk: exit %d:\n%s", code, stderr.String())
	}
	if err := first.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("first kiosk: %v\n%s", err, firstErr.String())
	}
	errs, stop := startKiosk(t, "--headless", "--data", dir)
	if got := ask(t, dir, "ping"); got != "pong" {
		t.Errorf("ping: %q", got)
	}
	if code := stop(); code != 0 {
		t.Errorf("exit %d:\n%s", code, errs)
	}
}
