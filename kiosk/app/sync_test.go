package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/drivers/feedback/feedbacktest"
	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/server"
	"github.com/hongmajia/hongmajia/hub/sqlitestore"
	"github.com/hongmajia/hongmajia/kiosk"
	"github.com/hongmajia/hongmajia/kiosk/app"
	"github.com/hongmajia/hongmajia/kiosk/control"
	"github.com/hongmajia/hongmajia/kiosk/hublink"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/demo"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// testHub is a real district hub (SQLite store, HTTP server on loopback)
// on the tests' fake clock, serving the demo center.
type testHub struct {
	hub *hub.Hub
	url string
}

func startHub(t *testing.T, clk *clock.Fake) *testHub {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlitestore.Open(ctx, dir, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := hub.Open(ctx, dir, hub.Options{Store: st, Clock: clk, Log: log, PIN: hub.PINParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.AddCenter(ctx, demo.CenterID, demo.CenterName); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- server.New(h, log).Serve(sctx, ln, nil) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		h.Close()
	})
	return &testHub{hub: h, url: "http://" + ln.Addr().String()}
}

// enrolledDemo is a demo data directory enrolled at h, as kioskctl enroll
// leaves it (the terminal stopped).
func enrolledDemo(t *testing.T, clk *clock.Fake, h *testHub) (string, ledger.Options) {
	t.Helper()
	ctx := context.Background()
	dir, lo := newDemoDir(t, clk)
	tok, _, err := h.hub.IssueToken(ctx, demo.CenterID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(ctx, dir, lo)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := hublink.Enroll(ctx, dir, l, h.url, tok, hublink.Options{Clock: clk, Sync: lo.Sync}); err != nil {
		t.Fatalf("enroll: %v", err)
	}
	return dir, lo
}

// deadHub is an address where nothing listens.
func deadHub(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	return "http://" + ln.Addr().String()
}

func (f *appFixture) syncReport(t *testing.T, line string) control.SyncReport {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := control.Request(ctx, control.SocketPath(f.dir), line)
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	var r control.SyncReport
	if err := json.Unmarshal([]byte(got), &r); err != nil {
		t.Fatalf("%s: %q: %v", line, got, err)
	}
	return r
}

// TestAppSyncsNightly: an enrolled terminal (the headless station as the
// screen) syncs by itself at the configured time, in the center's zone,
// and its status says so.
func TestAppSyncsNightly(t *testing.T) {
	for _, headless := range []bool{true, false} {
		name := map[bool]string{true: "headless", false: "screen"}[headless]
		t.Run(name, func(t *testing.T) {
			clk := clock.NewFake(ledgertest.Start) // Monday 09:00 CST
			h := startHub(t, clk)
			dir, lo := enrolledDemo(t, clk, h)
			f := startApp(t, dir, clk, lo, func(c *app.Config) {
				c.Headless = headless
				c.Sync.At = "21:30"
				c.Sync.Window = app.Duration(time.Hour)
			})
			st := f.status(t)
			if !st.Enrolled || st.SyncLink != "on" || st.Hub != h.url || st.Syncing || st.LastTry != nil || st.Unsynced == 0 || st.LastSync != nil {
				t.Fatalf("status before the night: %+v", st)
			}
			// The night's start: 21:30 CST plus this kiosk's jitter (under 30 min).
			if st.NextSync == nil || st.NextSync.Before(ledgertest.Start.Add(12*time.Hour+30*time.Minute)) ||
				!st.NextSync.Before(ledgertest.Start.Add(13*time.Hour)) {
				t.Fatalf("next sync %v, want 21:30–22:00 today", st.NextSync)
			}
			// Nothing happens before it.
			waitWaiter(t, clk)
			clk.Advance(12 * time.Hour)
			waitWaiter(t, clk)
			if st := f.status(t); st.LastTry != nil || st.Unsynced == 0 {
				t.Fatalf("synced before the night: %+v", st.LastTry)
			}
			clk.Set(*st.NextSync)
			st = waitSynced(t, f)
			if !st.LastTry.OK || st.LastTry.Pushed == 0 || st.Unsynced != 0 || st.AckedSeq != st.HeadSeq || st.LastSync == nil || st.LastPush == nil {
				t.Fatalf("after the night's sync: %+v, last try %+v", st, st.LastTry)
			}
			// Tomorrow's is next.
			if st.NextSync == nil || !st.NextSync.After(ledgertest.Start.Add(24*time.Hour)) {
				t.Errorf("next sync %v, want tomorrow night", st.NextSync)
			}
		})
	}
}

// waitWaiter waits until a goroutine waits on clk.
func waitWaiter(t *testing.T, clk *clock.Fake) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for clk.Waiters() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("nothing waits on the clock")
		}
		time.Sleep(time.Millisecond)
	}
}

// waitSynced waits for the status to report a sync.
func waitSynced(t *testing.T, f *appFixture) control.Status {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := f.status(t)
		if st.LastTry != nil {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("no sync within 10 s: %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestAppControlSyncAndAnchor: `sync` syncs now and answers how it went;
// a hub that cannot be reached is a report that says so (the nightly sync
// tries again); `anchor` checks the ledger against the hub's anchor.
func TestAppControlSyncAndAnchor(t *testing.T) {
	clk := clock.NewFake(ledgertest.Start)
	h := startHub(t, clk)
	dir, lo := enrolledDemo(t, clk, h)
	f := startApp(t, dir, clk, lo, func(c *app.Config) { c.Headless = true })
	before := f.status(t)
	r := f.syncReport(t, "sync")
	if !r.OK || r.Trouble != "" || r.Pushed != int(before.HeadSeq) || r.Acked != before.HeadSeq || r.Unsynced != 0 || r.Pulled == 0 {
		t.Fatalf("sync: %+v (head %d)", r, before.HeadSeq)
	}
	if st := f.status(t); st.LastTry == nil || *st.LastTry != r || st.Syncing {
		t.Errorf("status after sync: last try %+v syncing %v", st.LastTry, st.Syncing)
	}
	// Once more: nothing new.
	if r := f.syncReport(t, "sync"); !r.OK || r.Pushed != 0 {
		t.Errorf("a second sync: %+v", r)
	}
	got, err := f.ask(t, "anchor")
	if err != nil {
		t.Fatal(err)
	}
	var anc control.AnchorReport
	if err := json.Unmarshal([]byte(got), &anc); err != nil {
		t.Fatal(err)
	}
	if anc.Fork || anc.HubSeq != before.HeadSeq || anc.LocalSeq != before.HeadSeq || anc.HubHash != anc.LocalHash {
		t.Errorf("anchor %+v", anc)
	}
	f.app.Close()

	// The hub moved and nobody said: the sync fails and says why.
	f = startApp(t, dir, clk, lo, func(c *app.Config) { c.Headless = true; c.Sync.Hub = deadHub(t) })
	r = f.syncReport(t, "sync")
	if r.OK || r.Trouble != control.TroubleNetwork || r.Error == "" || r.Acked != before.HeadSeq {
		t.Errorf("sync with a hub that does not answer: %+v", r)
	}
}

// TestAppWithoutAHubLink: a terminal not enrolled runs as before; one
// enrolled whose key is gone says why it cannot sync.
func TestAppWithoutAHubLink(t *testing.T) {
	clk := clock.NewFake(ledgertest.Start)
	dir, lo := newDemoDir(t, clk)
	f := startApp(t, dir, clk, lo, nil)
	st := f.status(t)
	if st.Enrolled || st.SyncLink != "off" || st.NextSync != nil || st.Hub != "" {
		t.Errorf("status of a terminal not enrolled: %+v", st)
	}
	if _, err := f.ask(t, "sync"); err == nil || !strings.Contains(err.Error(), "not enrolled") {
		t.Errorf("sync: %v", err)
	}
	f.app.Close()

	h := startHub(t, clk)
	dir, lo = enrolledDemo(t, clk, h)
	if err := os.Remove(filepath.Join(dir, hublink.KeyFile)); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	var mu sync.Mutex
	cfg := app.DefaultConfig()
	cfg.Data = dir
	a, err := app.NewApp(context.Background(), cfg, &app.AppOptions{Clock: clk, Feedback: &feedbacktest.Recorder{}, Ledger: lo,
		Logf: func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			log.WriteString(strings.TrimSpace(format) + "\n")
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	f = &appFixture{app: a, dir: dir, clk: clk}
	st = f.status(t)
	if !st.Enrolled || !strings.Contains(st.SyncLink, hublink.KeyFile) {
		t.Errorf("status of an enrolled terminal without its key: %+v", st)
	}
	if _, err := f.ask(t, "sync"); err == nil || !strings.Contains(err.Error(), "cannot sync") {
		t.Errorf("sync without the key: %v", err)
	}
	mu.Lock()
	if !strings.Contains(log.String(), "cannot sync") {
		t.Errorf("the log does not say why it cannot sync:\n%s", log.String())
	}
	mu.Unlock()
}

// TestAppStaffSyncNow: the staff menu's 立即同步 runs the App's sync, and
// says how it went.
func TestAppStaffSyncNow(t *testing.T) {
	clk := clock.NewFake(ledgertest.Start)
	h := startHub(t, clk)
	dir, lo := enrolledDemo(t, clk, h)
	f := startApp(t, dir, clk, lo, nil)
	term := f.app.Terminal(kiosk.Options{})
	defer term.Close()
	term.Settle()
	staff := record.CardUID("99000001")
	term.Reader(rfid.Event{Kind: rfid.EventTap, Tap: rfid.Tap{Card: rfid.Card{UID: rfid.UID(staff.Bytes())}, At: clk.Now()}})
	term.Settle()
	for _, d := range "2580" {
		term.Press(kiosk.Action{Kind: kiosk.ActDigit, Digit: int(d - '0')})
	}
	term.Press(kiosk.Action{Kind: kiosk.ActConfirm})
	term.Settle()
	v := term.View()
	if v.Scene != kiosk.SceneStaffMenu || v.Staff.Standing.Key != "sync.never" {
		t.Fatalf("staff menu: %v, standing %v", v.Scene, v.Staff.Standing)
	}
	term.Press(kiosk.Action{Kind: kiosk.ActStaff, Staff: kiosk.StaffSync})
	for deadline := time.Now().Add(10 * time.Second); term.View().Title.Key == "sync.running"; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no sync result within 10 s")
		}
		term.Poll()
	}
	v = term.View()
	if v.Scene != kiosk.SceneStaffSync || v.Title.Key != "sync.done" {
		t.Fatalf("after 立即同步: %v %v %v", v.Scene, v.Title, v.Lines)
	}
	if st := f.status(t); st.Unsynced != 0 || st.LastTry == nil || !st.LastTry.OK {
		t.Errorf("status after 立即同步: %+v", st)
	}
}

// TestAppCloseStopsASync: a sync waiting on a hub that never answers ends
// when the terminal stops, and so does the control request waiting for it.
func TestAppCloseStopsASync(t *testing.T) {
	clk := clock.NewFake(ledgertest.Start)
	h := startHub(t, clk)
	dir, lo := enrolledDemo(t, clk, h)
	// A hub that takes the connection and never answers.
	mute, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	go func() {
		for {
			c, err := mute.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	f := startApp(t, dir, clk, lo, func(c *app.Config) { c.Headless = true; c.Sync.Hub = "http://" + mute.Addr().String() })
	// The asked-for sync ends without an answer (the socket closed) or
	// with a report of its failure: never one that says it was done.
	asked := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		answer, err := control.Request(ctx, control.SocketPath(dir), "sync")
		if err == nil {
			var r control.SyncReport
			if jerr := json.Unmarshal([]byte(answer), &r); jerr != nil {
				err = jerr
			} else if !r.OK && r.Error != "" {
				err = errors.New(r.Error)
			}
		}
		asked <- err
	}()
	for deadline := time.Now().Add(5 * time.Second); !f.status(t).Syncing; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the sync did not start")
		}
	}
	closed := make(chan error, 1)
	go func() { closed <- f.app.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return within 10 s of a sync in flight")
	}
	select {
	case err := <-asked:
		if err == nil {
			t.Error("the sync asked for answered as if done")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the control request still waits after Close")
	}
}
