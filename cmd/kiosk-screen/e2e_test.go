package main

import (
	"context"
	"encoding/json"
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
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/demo"
	"github.com/hongmajia/hongmajia/record"
)

// The end-to-end test: the real binaries, built here, on `kioskctl demo`
// data, in a real window on the X display (make test runs under Xvfb).
// Cards are tapped through the control socket, buttons are tapped with
// xdotool as a touchscreen taps on X11 (motion and press at once, some of
// the taps quicker than a frame), and the ledger is checked afterwards with
// `kioskctl verify` and its balances.

const e2eW, e2eH = 1024, 600

type e2e struct {
	t    *testing.T
	bin  string
	data string
	sock string
	win  string
	fnts *ui.Fonts
	strs ui.Strings
}

func TestEndToEndCheckInCheckOutRedeem(t *testing.T) {
	if os.Getenv("DISPLAY") == "" {
		t.Fatal("no X display: run under xvfb-run (make test does)")
	}
	if _, err := exec.LookPath("xdotool"); err != nil {
		t.Fatal("xdotool is needed (make test installs it): ", err)
	}
	e := &e2e{t: t, bin: t.TempDir(), strs: ui.ChineseStrings()}
	dir, err := os.MkdirTemp("", "kiosk-e2e")
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

	// Pick a demo card with no open shift, and note its balance and what it can redeem.
	ctx := context.Background()
	led, err := ledger.Open(ctx, e.data, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var card record.CardUID
	var before ledger.CardInfo
	for n := 1; n <= demo.Keys; n++ {
		info, err := led.LookupCard(ctx, demo.CardUID(n))
		if err == nil && info.OpenShift == nil && info.Person != nil && info.Balance.Points >= 30 {
			card, before = demo.CardUID(n), info
			break
		}
	}
	if card == "" {
		t.Fatal("no demo card without an open shift and with points")
	}
	offers, err := led.CatalogFor(ctx, card)
	if err != nil {
		t.Fatal(err)
	}
	item := -1
	for i, o := range offers {
		if o.CanRedeem() {
			item = i
			break
		}
	}
	if item < 0 {
		t.Fatalf("card %s can redeem nothing", card)
	}
	open, err := led.ActivitiesOpenNow(ctx)
	if err != nil || len(open) < 2 {
		t.Fatalf("activities open now: %d, %v", len(open), err)
	}
	led.Close()

	kioskCmd := exec.Command(filepath.Join(e.bin, "kiosk"), "--data", e.data, "--windowed", "--size", fmt.Sprintf("%dx%d", e2eW, e2eH))
	kioskCmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // a killed test binary takes its kiosk along
	logs, err := os.Create(filepath.Join(dir, "kiosk.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	kioskCmd.Stdout, kioskCmd.Stderr = logs, logs
	if err := kioskCmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { err := kioskCmd.Wait(); exited <- err; close(exited) }()
	t.Cleanup(func() {
		kioskCmd.Process.Kill()
		<-exited
		if t.Failed() {
			b, _ := os.ReadFile(logs.Name())
			t.Logf("kiosk log:\n%s", b)
		}
	})
	e.waitScene("idle")
	e.win = strings.Fields(e.output("xdotool", "search", "--sync", "--onlyvisible", "--name", ui.WindowTitle(e.strs)))[0]

	e.tap(card)
	e.waitScene("person")
	person := kiosk.View{Scene: kiosk.ScenePerson, Person: kiosk.PersonView{Name: before.Person.Name}}
	e.click(person, ui.Act(kiosk.ActCheckIn), tapHold)
	e.waitScene("checkin-choose")
	choose := kiosk.View{Scene: kiosk.SceneCheckInChoose, Choices: make([]kiosk.Choice, len(open))}
	e.click(choose, ui.Choose(0), tapHold)
	e.waitScene("checkin-done")
	e.click(kiosk.View{Scene: kiosk.SceneCheckInDone}, ui.Act(kiosk.ActBack), quickHold)
	e.waitScene("person")
	person.Person.OpenShift = &kiosk.OpenShift{Activity: open[0].Name, Since: time.Now()}
	e.click(person, ui.Act(kiosk.ActCheckOut), tapHold)
	// A look at what the check-out will credit first; 签退 there confirms.
	e.waitScene("checkout-confirm")
	e.click(kiosk.View{Scene: kiosk.SceneCheckOutConfirm, CheckOut: kiosk.CheckOutView{Activity: open[0].Name}}, ui.Act(kiosk.ActConfirm), tapHold)
	e.waitScene("checkout-done")
	e.click(kiosk.View{Scene: kiosk.SceneCheckOutDone}, ui.Act(kiosk.ActBack), quickHold)
	e.waitScene("person")
	person.Person.OpenShift = nil
	e.click(person, ui.Act(kiosk.ActRedeem), tapHold)
	e.waitScene("redeem-grid")
	grid := kiosk.View{Scene: kiosk.SceneRedeemGrid, Choices: make([]kiosk.Choice, len(offers))}
	for i, o := range offers {
		grid.Choices[i] = kiosk.Choice{Label: o.Item.Name, Price: o.Item.Price, Stock: o.Stock}
	}
	e.click(grid, ui.Choose(item), tapHold)
	e.waitScene("redeem-confirm")
	e.click(kiosk.View{Scene: kiosk.SceneRedeemConfirm, Redeem: kiosk.RedeemView{Item: offers[item].Item.Name}}, ui.Act(kiosk.ActConfirm), tapHold)
	e.waitScene("redeem-done")

	// SIGTERM: the kiosk closes the ledger and exits cleanly.
	kioskCmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("kiosk exited with %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("kiosk did not stop on SIGTERM")
	}
	e.run(filepath.Join(e.bin, "kioskctl"), "verify", "--data", e.data)

	led, err = ledger.Open(ctx, e.data, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	after, err := led.LookupCard(ctx, card)
	if err != nil {
		t.Fatal(err)
	}
	// The shift lasted seconds: below any minimum, so no points; the redemption took its price.
	if want := before.Balance.Points - offers[item].Item.Price; after.Balance.Points != want {
		t.Errorf("points after = %d, want %d (before %d, price %d)", after.Balance.Points, want, before.Balance.Points, offers[item].Item.Price)
	}
	hist, err := led.History(ctx, before.Person.ID, 3)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []record.Kind
	for _, h := range hist {
		kinds = append(kinds, h.Kind)
	}
	if want := []record.Kind{record.KindRedeem, record.KindCheckOut, record.KindCheckIn}; fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Errorf("last entries = %v, want %v", kinds, want)
	}
}

func (e *e2e) run(name string, args ...string) {
	e.t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		e.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func (e *e2e) output(name string, args ...string) string {
	e.t.Helper()
	cmd := exec.Command(name, args...)
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		e.t.Fatalf("%s %v: no answer in 30 s", name, args)
	}
	if err != nil {
		e.t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func (e *e2e) tap(uid record.CardUID) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := control.Request(ctx, e.sock, "tap "+string(uid)); err != nil {
		e.t.Fatalf("tap %s: %v", uid, err)
	}
}

// waitScene polls the control socket's status until the screen shows scene.
func (e *e2e) waitScene(scene string) {
	e.t.Helper()
	var last string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		ans, err := control.Request(ctx, e.sock, "status")
		cancel()
		if err != nil {
			last = err.Error()
			continue
		}
		var st control.Status
		if err := json.Unmarshal([]byte(strings.TrimPrefix(ans, "ok ")), &st); err != nil {
			last = ans
			continue
		}
		last = st.Scene
		if st.Scene == scene {
			return
		}
	}
	e.t.Fatalf("screen never showed %s; last status: %s", scene, last)
}

// A tap as a touchscreen delivers it on X11: the pointer's motion and the
// press in one go, the finger resting, the release. Quick taps are shorter
// than a frame of a busy loop: the press and release are read together.
const (
	tapHold   = 80 * time.Millisecond
	quickHold = 30 * time.Millisecond
)

// click taps the button with action a, found where the frontend draws it
// for view v at the window's size, holding it for hold.
func (e *e2e) click(v kiosk.View, a ui.Action, hold time.Duration) {
	e.t.Helper()
	l := ui.NewLayout(e2eW, e2eH, ui.DefaultLayoutOpts)
	b := ui.NewBuilder(l, e.strs, e.fnts, time.Now())
	ui.ScreenFor(e.strs, v, time.Local, nil).Build(b)
	r, ok := b.Frame().TargetOf(a)
	if !ok {
		e.t.Fatalf("no button %v on %v", a, v.Scene)
	}
	x, y := fmt.Sprint(int(r.X+r.W/2)), fmt.Sprint(int(r.Y+r.H/2))
	if os.Getenv("E2E_DEBUG") != "" {
		// The status names a scene at the update that builds it, before
		// it is painted: give the paint time before the screenshot.
		time.Sleep(300 * time.Millisecond)
		exec.Command("import", "-window", "root", fmt.Sprintf("/tmp/e2e-%s.png", v.Scene)).Run()
		e.t.Logf("tap %s on %v at %s,%s (%v) for %v", a, v.Scene, x, y, r, hold)
	}
	e.output("xdotool", "mousemove", "--window", e.win, x, y, "mousedown", "1")
	time.Sleep(hold)
	e.output("xdotool", "mouseup", "1")
}
