package ui

import (
	"context"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/kiosk"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

// tapper runs a Frontend's Manager by hand, as the frame loop does, with a
// pointer the test moves: a tap is a press in one Update and a release in
// the next, hit-tested on the frame the Manager built.
type tapper struct {
	t    *testing.T
	fe   *Frontend
	term *kiosk.Terminal
	ptr  Pointer
}

func newTapper(t *testing.T, term *kiosk.Terminal, clk Clock) *tapper {
	tp := &tapper{t: t, term: term}
	tp.fe = NewFrontend(results.fonts, ChineseStrings(), term, FrontendOpts{Clock: clk})
	m := tp.fe.mgr
	m.opts.Pointer = func() Pointer { return tp.ptr }
	m.opts.Poll = func(bool) {}
	m.opts.Wake = func() {}
	m.Layout(1024, 600)
	tp.settle()
	return tp
}

func (tp *tapper) update() {
	tp.t.Helper()
	if err := tp.fe.mgr.Update(); err != nil {
		tp.t.Fatal(err)
	}
}

// settle runs frames until the terminal has answered.
func (tp *tapper) settle() {
	tp.t.Helper()
	for range 400 {
		tp.update()
		if !tp.term.View().Busy {
			tp.update()
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	tp.t.Fatal("the terminal did not answer in 400 frames")
}

// card taps a card on the reader.
func (tp *tapper) card(uid record.CardUID, at time.Time) {
	tp.t.Helper()
	tp.fe.events <- rfid.Event{Kind: rfid.EventTap, Tap: rfid.Tap{Card: rfid.Card{UID: rfid.UID(uid.Bytes())}, At: at}}
	tp.settle()
}

// press touches the button labelled label on the frame on screen.
func (tp *tapper) press(label string) {
	tp.t.Helper()
	f := tp.fe.mgr.Frame()
	for _, it := range f.Items {
		if it.Kind != TextItem || it.Text != label || it.Target < 0 {
			continue
		}
		r := f.Targets[it.Target]
		tp.ptr = Pointer{X: r.X + r.W/2, Y: r.Y + r.H/2, Down: true}
		tp.update()
		tp.ptr.Down = false
		tp.update()
		tp.settle()
		return
	}
	tp.t.Fatalf("no button %q on %T; texts %q", label, tp.fe.mgr.Scene(), f.Texts())
}

// TestStaffLogsInWithTheLongestPIN: a staff card whose PIN is as long as
// the ledger accepts logs in by pressing its digits on the screen's pad.
func TestStaffLogsInWithTheLongestPIN(t *testing.T) {
	waitScreens(t)
	ctx := context.Background()
	clk := clock.NewFake(testNow)
	led, err := ledger.Create(ctx, t.TempDir(), ledger.Terminal{Center: "C", CenterName: "和平里街道党群服务中心"},
		ledger.Options{Clock: clk, Sync: clock.NewFakeSync(true), BootID: clock.FixedBootID("t"), Location: cst, PIN: ledger.PINParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	const pin = "918273645091" // 12 digits
	staff := record.CardUID("5A5A0012")
	if _, err := led.AddStaff(ctx, ledger.AddStaff{ID: record.NewEntryID(), UID: staff, Name: "刘珺", Role: ledger.RoleStaff, PIN: pin}); err != nil {
		t.Fatal(err)
	}
	term := kiosk.New(led, kiosk.Options{Clock: clk})
	defer term.Close()
	tp := newTapper(t, term, clk)
	tp.card(staff, clk.Now())
	if v := term.View(); v.Scene != kiosk.ScenePIN {
		t.Fatalf("after the staff card: scene %v", v.Scene)
	}
	for _, d := range pin {
		tp.press(string(d))
	}
	tp.press("确认")
	if v := term.View(); v.Scene != kiosk.SceneStaffMenu {
		t.Fatalf("after %d digits and 确认: scene %v, lines %v", len(pin), v.Scene, v.Lines)
	}
}
