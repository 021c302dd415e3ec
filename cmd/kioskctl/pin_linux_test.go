package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal: the technician's side (the master, where
// the test types and reads what the terminal shows) and the program's side.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open a pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock the pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pseudo-terminal number: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open the pseudo-terminal's other side: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// screen collects what the terminal shows.
type screen struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (s *screen) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.buf.String() }

func (s *screen) waitFor(t *testing.T, text string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.String(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("the terminal never showed %q; it shows:\n%s", text, s.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// On a terminal the PIN is asked twice with echo off: what is typed never
// shows, and the terminal's echo is back on afterwards.
func TestStaffAddOnATerminalHidesThePIN(t *testing.T) {
	dir := newCenter(t)
	master, tty := openPTY(t)
	if !isTerminal(tty) {
		t.Fatal("a pseudo-terminal is not taken for a terminal")
	}
	var shown screen
	go func() {
		b := make([]byte, 256)
		for {
			n, err := master.Read(b)
			shown.mu.Lock()
			shown.buf.Write(b[:n])
			shown.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	done := make(chan int, 1)
	go func() {
		done <- run(&env{stdout: tty, stderr: tty, stdin: tty}, []string{"staff", "add", "--data", dir, "--name", "刘芳", "--card", "99000001"})
	}()
	shown.waitFor(t, "PIN (4–12 digits")
	fmt.Fprint(master, "2580\r")
	shown.waitFor(t, "PIN again")
	fmt.Fprint(master, "2580\r")
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d; the terminal shows:\n%s", code, shown.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("staff add never finished; the terminal shows:\n%s", shown.String())
	}
	shown.waitFor(t, "已添加 added")
	if strings.Contains(shown.String(), "2580") {
		t.Fatalf("the PIN showed on the terminal:\n%s", shown.String())
	}
	tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil || tio.Lflag&unix.ECHO == 0 {
		t.Fatalf("echo not restored: %+v, %v", tio, err)
	}
	l := openDemo(t, dir)
	if _, err := l.CheckPIN(context.Background(), "99000001", "2580"); err != nil {
		t.Fatalf("the PIN typed: %v", err)
	}
}
