package ui

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/kiosk"
)

// TestRecorderHearsAQuickTap: a press and release sent at once by xdotool
// (XTEST, as a touchscreen's driver injects them) reach the recorder as a
// press and a release at the pointer's root position, in order, each with a
// wake; motion without a button is not queued.
func TestRecorderHearsAQuickTap(t *testing.T) {
	if os.Getenv("DISPLAY") == "" {
		t.Fatal("no X display: run under xvfb-run (make test does)")
	}
	if _, err := exec.LookPath("xdotool"); err != nil {
		t.Fatal("xdotool is needed (make test installs it): ", err)
	}
	var wakes atomic.Int32
	rec, err := StartRecorder(func() { wakes.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	xdo := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("xdotool", args...).CombinedOutput(); err != nil {
			t.Fatalf("xdotool %v: %v\n%s", args, err, out)
		}
	}
	// A key missing from the keymap: xdotool maps it for a moment, and
	// every client, the recorder's data connection too, is sent
	// MappingNotify events it did not ask for.
	xdo("key", "U2603")
	xdo("mousemove", "300", "200")
	xdo("mousemove", "310", "210", "mousedown", "1", "mouseup", "1", "mousedown", "1", "mousemove", "320", "215", "mouseup", "1")
	var got []Pointer
	for deadline := time.Now().Add(5 * time.Second); len(got) < 5 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		s, ok := rec.Take()
		if !ok {
			t.Fatal(rec.Err())
		}
		got = append(got, s...)
	}
	want := []Pointer{{310, 210, true}, {310, 210, false}, {310, 210, true}, {320, 215, true}, {320, 215, false}}
	if len(got) != len(want) {
		t.Fatalf("samples %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("samples %v, want %v", got, want)
		}
	}
	if n := wakes.Load(); n < 5 {
		t.Errorf("%d wakes for 5 samples", n)
	}
}

// TestRecorderWithoutRECORD: an X server without the extension gives an
// error at once, so Run falls back to polling GLFW.
func TestRecorderWithoutRECORD(t *testing.T) {
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Fatal("Xvfb is needed (make test installs it): ", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	x := exec.Command("Xvfb", "-displayfd", "3", "-extension", "RECORD", "-nolisten", "tcp", "-screen", "0", "320x240x24")
	x.ExtraFiles = []*os.File{w}
	if err := x.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	defer func() { x.Process.Kill(); x.Wait() }()
	num, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("Xvfb gave no display number: %v", err)
	}
	t.Setenv("DISPLAY", ":"+strings.TrimSpace(num))
	t.Setenv("XAUTHORITY", "/nonexistent")
	rec, err := StartRecorder(func() {})
	if err == nil {
		rec.Close()
		t.Fatal("a recorder on an X server without RECORD")
	}
	if !strings.Contains(err.Error(), "RECORD") {
		t.Errorf("error %q does not name the extension", err)
	}
}

// TestManagerTakesEveryRecordedSample: samples recorded between two Updates
// are all fed to the tracker: a press and release that came together fire
// the button once, two quick taps fire it twice, and GLFW's button state is
// not read at all (a press it also saw is not counted again). With the
// pointer recorded the loop sleeps on a scene with buttons once its paint
// is presented; when the recording breaks it polls again.
func TestManagerTakesEveryRecordedSample(t *testing.T) {
	waitScreens(t)
	clk := clock.NewFake(testNow)
	var fired []Action
	var queue []Pointer
	recording := true
	polls := []bool{}
	m := NewManager(results.fonts, ChineseStrings(), &tapScene{}, ManagerOpts{
		Clock:    clk,
		OnAction: func(a Action) { fired = append(fired, a) },
		Pointer:  func() Pointer { return Pointer{X: 1, Y: 1, Down: true} }, // GLFW's state: must not count
		Samples: func() ([]Pointer, bool) {
			s := queue
			queue = nil
			return s, recording
		},
		Wake: func() {},
		Poll: func(on bool) { polls = append(polls, on) },
	})
	m.Layout(1024, 600)
	update := func() {
		t.Helper()
		if err := m.Update(); err != nil {
			t.Fatal(err)
		}
		m.repaint = false // Draw, without a screen
	}
	update()
	r, ok := m.Frame().TargetOf(Act(kiosk.ActCheckIn))
	if !ok {
		t.Fatal("no button")
	}
	x, y := r.X+r.W/2, r.Y+r.H/2
	queue = []Pointer{{x, y, true}, {x, y, false}}
	update()
	if len(fired) != 1 {
		t.Fatalf("a quick tap fired %d times", len(fired))
	}
	queue = []Pointer{{x, y, true}, {x, y, false}, {x, y, true}, {x, y, false}}
	update()
	if len(fired) != 3 {
		t.Fatalf("two quick taps: %d fired in all, want 3", len(fired))
	}
	for range settleFrames + 1 {
		update()
	}
	if m.Polling() {
		t.Errorf("the loop polls on a still scene with buttons though the pointer is recorded (polls %v)", polls)
	}
	recording = false
	update()
	if !m.Polling() {
		t.Errorf("the recording broke and the loop does not poll")
	}
}

// tapScene is one button, 签到.
type tapScene struct{}

func (*tapScene) Build(b *Builder) {
	b.Button(Rect{X: 100, Y: 100, W: 300, H: 200}, "签到", Primary, Act(kiosk.ActCheckIn), true)
}

func (*tapScene) NextChange(time.Time) time.Time { return time.Time{} }
