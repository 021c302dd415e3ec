package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/kiosk"
	"github.com/hongmajia/hongmajia/kiosk/control"
	"github.com/hongmajia/hongmajia/kiosk/ui"
)

// TestEndToEndQuickTapsCountOnce: with the frame loop asleep between X
// events on every scene, taps whose press and release reach the kiosk
// together are each acted on exactly once. On `kioskctl demo` data, in a
// window moved away from the screen's corner (the recorded events are on
// the root window), it types a demo key at idle (key 1 taps demo card 1),
// leaves the person scene with one instant tap, taps the demo staff card
// and, as soon as the status names the PIN scene (before it is painted),
// taps the PIN's four digits and 确认 in one burst of presses and releases
// with no delay at all. Only the staff menu proves every tap counted once:
// a digit lost or doubled is a wrong PIN.
func TestEndToEndQuickTapsCountOnce(t *testing.T) {
	if os.Getenv("DISPLAY") == "" {
		t.Fatal("no X display: run under xvfb-run (make test does)")
	}
	if _, err := exec.LookPath("xdotool"); err != nil {
		t.Fatal("xdotool is needed (make test installs it): ", err)
	}
	e := &e2e{t: t, bin: t.TempDir(), strs: ui.ChineseStrings()}
	dir, err := os.MkdirTemp("", "kiosk-quick")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	e.data = filepath.Join(dir, "data")
	e.sock = control.SocketPath(e.data)
	if e.fnts, err = ui.LoadFonts(nil); err != nil {
		t.Fatal(err)
	}
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
	// Off the corner: a press's root coordinates are not the window's.
	e.output("xdotool", "windowmove", e.win, "97", "61")
	time.Sleep(300 * time.Millisecond)

	// A key pressed and released at once, the pointer over the window so
	// that it has the keyboard (no window manager gives focus).
	e.output("xdotool", "mousemove", "--window", e.win, "5", "5", "key", "1")
	e.waitScene("person")

	// One instant tap on the person scene's way out.
	person := kiosk.View{Scene: kiosk.ScenePerson, Person: kiosk.PersonView{Name: "某"}}
	home, ok := e.target(person, ui.Act(kiosk.ActHome))
	if !ok {
		if home, ok = e.target(person, ui.Act(kiosk.ActBack)); !ok {
			t.Fatal("no way out of the person scene")
		}
	}
	e.output("xdotool", append([]string{"mousemove", "--window", e.win}, append(home, "click", "1")...)...)
	e.waitScene("idle")

	e.tap("99000001") // 刘芳, PIN 2580 (ledger/demo)
	e.waitScene("pin")
	pad := kiosk.View{Scene: kiosk.ScenePIN, Title: kiosk.T("staff.pin"), Pad: "2580"}
	var burst []string
	for _, d := range "2580" {
		at, ok := e.target(pad, ui.Action{Action: kiosk.Action{Kind: kiosk.ActDigit, Digit: int(d - '0')}})
		if !ok {
			t.Fatalf("no key %c on the PIN pad", d)
		}
		burst = append(burst, "mousemove", "--window", e.win, at[0], at[1], "mousedown", "1", "mouseup", "1")
	}
	ok2, found := e.target(pad, ui.Act(kiosk.ActConfirm))
	if !found {
		t.Fatal("no 确认 on the PIN pad")
	}
	burst = append(burst, "mousemove", "--window", e.win, ok2[0], ok2[1], "mousedown", "1", "mouseup", "1")
	e.output("xdotool", burst...)
	e.waitScene("staff-menu")
}

// target is where the button with action a is, in the window, for view v:
// its centre as xdotool arguments.
func (e *e2e) target(v kiosk.View, a ui.Action) ([]string, bool) {
	l := ui.NewLayout(e2eW, e2eH, ui.DefaultLayoutOpts)
	b := ui.NewBuilder(l, e.strs, e.fnts, time.Now())
	ui.ScreenFor(e.strs, v, time.Local, nil).Build(b)
	r, ok := b.Frame().TargetOf(a)
	return []string{fmt.Sprint(int(r.X + r.W/2)), fmt.Sprint(int(r.Y + r.H/2))}, ok
}
