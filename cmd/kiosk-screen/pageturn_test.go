package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/hongmajia/hongmajia/kiosk/control"
	"github.com/hongmajia/hongmajia/kiosk/ui"
)

// TestIdlePageTurnsReachTheServer: the idle scene turns its page with the
// frame loop asleep (no frame polled after the paint, ui's settleFrames),
// and the new page must still reach the X server at once, not at the next
// event. On `kioskctl demo` data, whose activities take two pages in a
// 1024×600 window, it reads the window's activity list from the server
// 1 s after each of two page turns, then moves the pointer over the window
// (an event: the loop wakes, and ebiten presents the screen again) and
// reads it again: the two must be the same picture, and each turn's must
// differ from the one before.
func TestIdlePageTurnsReachTheServer(t *testing.T) {
	if os.Getenv("DISPLAY") == "" {
		t.Fatal("no X display: run under xvfb-run (make test does)")
	}
	if _, err := exec.LookPath("xdotool"); err != nil {
		t.Fatal("xdotool is needed (make test installs it): ", err)
	}
	e := &e2e{t: t, bin: t.TempDir(), strs: ui.ChineseStrings()}
	dir, err := os.MkdirTemp("", "kiosk-pages")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	e.data = filepath.Join(dir, "data")
	e.sock = control.SocketPath(e.data)
	e.run("go", "build", "-o", e.bin+"/", "../kiosk", ".", "../kioskctl")
	e.run(filepath.Join(e.bin, "kioskctl"), "demo", "--data", e.data)

	cmd := exec.Command(filepath.Join(e.bin, "kiosk"), "--data", e.data, "--windowed", "--size", fmt.Sprintf("%dx%d", e2eW, e2eH))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // a killed test binary takes its kiosk along
	logs, err := os.Create(filepath.Join(dir, "kiosk.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			b, _ := os.ReadFile(logs.Name())
			t.Logf("kiosk log:\n%s", b)
		}
	})
	e.waitScene("idle")
	e.win = strings.Fields(e.output("xdotool", "search", "--sync", "--onlyvisible", "--name", ui.WindowTitle(e.strs)))[0]
	win, err := strconv.ParseUint(e.win, 10, 32)
	if err != nil {
		t.Fatal(err)
	}
	x, err := xgb.NewConn()
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	// The left half below the header and 请刷卡: today's activities, the
	// page said in their heading. The header's clock is left out.
	list := func() string {
		t.Helper()
		r, err := xproto.GetImage(x, xproto.ImageFormatZPixmap, xproto.Drawable(win), 0, e2eH/3, e2eW/2, e2eH-e2eH/3, ^uint32(0)).Reply()
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%x", sha256.Sum256(r.Data))
	}
	every := ui.IdlePageEvery
	var last string
	for turn := range 3 {
		// Pages turn at multiples of IdlePageEvery since the epoch; the
		// first turn waited for is only the reference, the idle scene's
		// activities having come from the ledger after its first paint.
		next := time.Now().Truncate(every).Add(every)
		time.Sleep(time.Until(next) + time.Second)
		asleep := list()
		e.output("xdotool", "mousemove", "--window", e.win, "10", strconv.Itoa(e2eH-10))
		time.Sleep(500 * time.Millisecond)
		woken := list()
		e.output("xdotool", "mousemove", "--window", e.win, "20", strconv.Itoa(e2eH-20))
		if turn > 0 {
			if asleep != woken {
				t.Errorf("turn %d: the server showed another picture of the list 1 s after the page turned than after the next event: the turn was presented late", turn)
			}
			if woken == last {
				t.Errorf("turn %d: the list looks as it did a page before: the page did not turn", turn)
			}
		}
		last = woken
	}
}
