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

// TestFrontendTapToPersonScene drives the frontend's update step by step, as
// the frame loop does: a tap from the reader channel becomes the person
// scene once the ledger has answered, a button becomes a check-in, and a
// refusal is cued once.
func TestFrontendTapToPersonScene(t *testing.T) {
	waitScreens(t)
	ctx := context.Background()
	clk := clock.NewFake(testNow)
	led, err := ledger.Create(ctx, t.TempDir(), ledger.Terminal{Center: "C", CenterName: "和平里街道党群服务中心"},
		ledger.Options{Clock: clk, Sync: clock.NewFakeSync(true), BootID: clock.FixedBootID("t"), Location: cst, PIN: ledger.PINParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	if _, err := led.PutActivity(ctx, ledger.PutActivity{ID: record.NewEntryID(), Activity: ledger.Activity{Name: "便民服务", Active: true,
		Rules: record.Rules{AnyTime: true, PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 10}}}}); err != nil {
		t.Fatal(err)
	}
	p, err := led.EnrolPerson(ctx, ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: "1", Name: "李喆", Kind: record.RedVest})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := led.BindCard(ctx, ledger.BindCard{ID: record.NewEntryID(), Person: p.ID, UID: "04A1B2C3"}); err != nil {
		t.Fatal(err)
	}
	term := kiosk.New(led, kiosk.Options{Clock: clk})
	defer term.Close()
	fe := NewFrontend(results.fonts, ChineseStrings(), term, FrontendOpts{Clock: clk})

	// settle runs frames until the terminal has answered.
	settle := func() {
		t.Helper()
		for i := 0; i < 200; i++ {
			fe.update()
			if !term.View().Busy {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatal("the terminal did not answer in 200 frames")
	}
	settle()
	if _, ok := fe.mgr.Scene().(*IdleScene); !ok {
		t.Fatalf("first scene %T, want idle", fe.mgr.Scene())
	}
	fe.events <- rfid.Event{Kind: rfid.EventTap, Tap: rfid.Tap{Card: rfid.Card{UID: rfid.UID{0x04, 0xA1, 0xB2, 0xC3}}, At: clk.Now()}}
	settle()
	ps, ok := fe.mgr.Scene().(*PersonScene)
	if !ok || ps.View.Person.Name != "李喆" {
		t.Fatalf("after the tap: %T %+v", fe.mgr.Scene(), fe.mgr.Scene())
	}
	// The status names the scene as drawn only once a frame has shown it.
	if s, frames, updates := fe.Drawn(); s != "" || frames != 0 || updates == 0 {
		t.Fatalf("before a frame: Drawn() = %q, %d frames, %d updates", s, frames, updates)
	}
	fe.painted()
	if s, frames, _ := fe.Drawn(); s != "person" || frames != 1 {
		t.Fatalf("after a frame: Drawn() = %q, %d frames", s, frames)
	}
	fe.action(Act(kiosk.ActCheckIn))
	settle()
	if _, ok := fe.mgr.Scene().(*ConfirmScene); !ok {
		t.Fatalf("after 签到: %T", fe.mgr.Scene())
	}
	fe.action(Act(kiosk.ActConfirm))
	settle()
	rs, ok := fe.mgr.Scene().(*ResultScene)
	if !ok || rs.Title != "签到成功" {
		t.Fatalf("after 确认: %T %+v", fe.mgr.Scene(), fe.mgr.Scene())
	}
	open, err := led.OpenShifts(ctx)
	if err != nil || len(open) != 1 {
		t.Fatalf("open shifts %v %v", open, err)
	}
	// The idle timeout, with nobody touching.
	clk.Advance(kiosk.DefaultIdleTimeout + time.Second)
	settle()
	if _, ok := fe.mgr.Scene().(*IdleScene); !ok {
		t.Fatalf("after the timeout: %T", fe.mgr.Scene())
	}
}

// The watchdog's question: Alive answers only once a frame is drawn, and
// only while the frame loop runs Updates.
func TestFrontendAliveOnlyWhileTheFrameLoopRuns(t *testing.T) {
	waitScreens(t)
	clk := clock.NewFake(testNow)
	term := kiosk.NewFaulted(ledger.ErrNoLedger, kiosk.Options{Clock: clk})
	defer term.Close()
	fe := NewFrontend(results.fonts, ChineseStrings(), term, FrontendOpts{Clock: clk})
	alive := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		return fe.Alive(ctx)
	}
	fe.update()
	if err := alive(); err == nil {
		t.Fatal("Alive before the first frame")
	}
	fe.painted()
	if err := alive(); err == nil {
		t.Fatal("Alive with no frame loop running")
	}
	// A frame loop: an Update every 10 ms, until stopped.
	stop := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
				fe.update()
			}
		}
	}()
	if err := alive(); err != nil {
		t.Fatalf("Alive while the loop runs: %v", err)
	}
	close(stop)
	<-stopped
	if err := alive(); err == nil {
		t.Fatal("Alive once the loop is stuck")
	}
}
