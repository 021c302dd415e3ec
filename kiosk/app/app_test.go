package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/drivers/feedback"
	"github.com/hongmajia/hongmajia/drivers/feedback/feedbacktest"
	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/kiosk"
	"github.com/hongmajia/hongmajia/kiosk/app"
	"github.com/hongmajia/hongmajia/kiosk/control"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/demo"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// shortDir is a data directory whose control socket path fits in a
// sockaddr_un (108 bytes), which t.TempDir's long names may not.
func shortDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "hmj")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// appFixture is an App on a small demo data directory with fake clock and
// feedback.
type appFixture struct {
	app  *app.App
	dir  string
	clk  *clock.Fake
	fb   *feedbacktest.Recorder
	opts ledger.Options
}

func newDemoDir(t *testing.T, clk *clock.Fake) (string, ledger.Options) {
	t.Helper()
	dir := shortDir(t)
	lo := ledgertest.Options(clk, clock.NewFakeSync(true))
	if _, err := demo.Create(context.Background(), dir, demo.Options{People: 12, NoHistory: true, Ledger: lo}); err != nil {
		t.Fatal(err)
	}
	return dir, lo
}

func startApp(t *testing.T, dir string, clk *clock.Fake, lo ledger.Options, edit func(*app.Config)) *appFixture {
	t.Helper()
	cfg := app.DefaultConfig()
	cfg.Data = dir
	if edit != nil {
		edit(&cfg)
	}
	fb := &feedbacktest.Recorder{}
	a, err := app.NewApp(context.Background(), cfg, &app.AppOptions{Clock: clk, Logf: t.Logf, Feedback: fb, Ledger: lo})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return &appFixture{app: a, dir: dir, clk: clk, fb: fb, opts: lo}
}

func (f *appFixture) ask(t *testing.T, line string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return control.Request(ctx, control.SocketPath(f.dir), line)
}

// status asks the terminal's control socket for its status.
func (f *appFixture) status(t *testing.T) control.Status {
	t.Helper()
	got, err := f.ask(t, "status")
	if err != nil {
		t.Fatal(err)
	}
	var st control.Status
	if err := json.Unmarshal([]byte(got), &st); err != nil {
		t.Fatalf("status %q: %v", got, err)
	}
	return st
}

func nextEvent(t *testing.T, events <-chan rfid.Event) rfid.Event {
	t.Helper()
	select {
	case ev := <-events:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no reader event within 5 s")
		return rfid.Event{}
	}
}

func TestAppControlSocket(t *testing.T) {
	clk := clock.NewFake(ledgertest.Start)
	dir, lo := newDemoDir(t, clk)
	f := startApp(t, dir, clk, lo, nil)
	a := f.app

	if !a.Demo() {
		t.Error("a ledger made by ledger/demo is demo data")
	}
	var want []string
	for k := 1; k <= demo.Keys; k++ {
		want = append(want, string(demo.CardUID(k)))
	}
	if got := a.DemoCards(); !slices.Equal(got, want) {
		t.Errorf("demo cards %v, want %v", got, want)
	}

	sock := control.SocketPath(dir)
	fi, err := os.Lstat(sock)
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o660 {
		t.Fatalf("control socket: %v %v, want a socket for its owner and its group", fi.Mode(), err)
	}

	if got, err := f.ask(t, "ping"); err != nil || got != "pong" {
		t.Errorf("ping: %q %v", got, err)
	}
	// A technician types the UID as it is printed, with separators and in
	// lower case; the tap reaches the terminal like a real reader's.
	if got, err := f.ask(t, "tap 88:00:00:03"); err != nil || got != "tapped 88000003" {
		t.Fatalf("tap: %q %v", got, err)
	}
	ev := nextEvent(t, a.Events())
	if ev.Kind != rfid.EventTap || ev.Tap.UID.Hex() != "88000003" || ev.Tap.Kind != rfid.KindSim {
		t.Errorf("event %+v", ev)
	}
	if _, err := f.ask(t, "remove"); err != nil {
		t.Errorf("remove: %v", err)
	}
	if ev := nextEvent(t, a.Events()); ev.Kind != rfid.EventLeft || ev.Tap.UID.Hex() != "88000003" {
		t.Errorf("after remove: %+v", ev)
	}
	// SimTap is the demo window's keys.
	if err := a.SimTap(a.DemoCards()[0]); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, a.Events()); ev.Tap.UID.Hex() != "88000001" {
		t.Errorf("SimTap: %+v", ev)
	}
	a.DemoKey(9)
	a.DemoKey(10) // no such key: nothing
	if ev := nextEvent(t, a.Events()); ev.Tap.UID.Hex() != "88000009" {
		t.Errorf("DemoKey(9): %+v", ev)
	}

	// The screen's terminal core starts at idle, in demo mode.
	core := a.Terminal(kiosk.Options{})
	if v := core.View(); v.Scene != kiosk.SceneIdle || !v.Demo || core.Faulted() {
		t.Errorf("terminal view: scene %v demo %v faulted %v", v.Scene, v.Demo, core.Faulted())
	}
	core.Close()

	// A second terminal on the same data directory is refused.
	if second, err := app.NewApp(context.Background(), a.Config(), &app.AppOptions{Clock: clk, Logf: t.Logf, Ledger: lo}); !errors.Is(err, app.ErrAnotherTerminal) {
		t.Errorf("second terminal: %v", err)
		if second != nil {
			second.Close()
		}
	}

	a.OnStatus(func(st *control.Status) { st.Scene = "idle" })
	st := f.status(t)
	term := a.Ledger().Terminal()
	if st.Terminal != term.ID || st.Center != demo.CenterID || st.CenterName != demo.CenterName || st.Mode != "screen" ||
		!st.Demo || st.Scene != "idle" || st.Ledger != "ok" || st.LastSync != nil || st.Unsynced == 0 {
		t.Errorf("status %+v", st)
	}
	if len(st.Readers) != 1 || st.Readers[0].Kind != "sim" || st.Readers[0].State != "ok" || st.Readers[0].Taps != 3 {
		t.Errorf("readers %+v", st.Readers)
	}

	for _, tc := range []struct{ line, want string }{
		{"sync", "not enrolled with a hub (kioskctl enroll)"},
		{"anchor", "not enrolled with a hub (kioskctl enroll)"},
		{"tap", "which card"},
		{"tap 04:zz", "malformed card UID"},
		{"shutdown", `unknown command "shutdown"`},
		{"", "empty command"},
	} {
		if _, err := f.ask(t, tc.line); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error with %q", tc.line, err, tc.want)
		}
	}

	if err := a.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if _, err := os.Lstat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left after Close: %v", err)
	}
	if _, err := f.ask(t, "ping"); err == nil || !strings.Contains(err.Error(), "is kiosk running?") {
		t.Errorf("ping a stopped terminal: %v", err)
	}
}

// waitFor polls cond (a ledger read, a status) until it holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("%s: not within 5 s", what)
}

func TestAppHeadlessStation(t *testing.T) {
	clk := clock.NewFake(ledgertest.Start)
	dir, lo := newDemoDir(t, clk)
	f := startApp(t, dir, clk, lo, func(c *app.Config) { c.Headless = true })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.app.RunStation(ctx) }()

	l := f.app.Ledger()
	card := demo.CardUID(2)
	before, err := l.LookupCard(ctx, card)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ask(t, "tap "+string(card)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "check-in", func() bool {
		info, err := l.LookupCard(ctx, card)
		return err == nil && info.OpenShift != nil
	})
	clk.Advance(2*time.Hour + 10*time.Minute)
	if _, err := f.ask(t, "tap "+string(card)); err != nil {
		t.Fatal(err)
	}
	var after ledger.CardInfo
	waitFor(t, "check-out", func() bool {
		after, err = l.LookupCard(ctx, card)
		return err == nil && after.OpenShift == nil
	})
	// The demo's station activity credits quarter hours: 2h10 is 2h.
	if d := after.Balance.Minutes - before.Balance.Minutes; d != 120 {
		t.Errorf("credited %d minutes, want 120", d)
	}
	// The station reports a tap (status, buzzer) just after its write commits.
	var st control.Status
	waitFor(t, "check-out reported", func() bool {
		st = f.status(t)
		return strings.HasPrefix(st.LastTap, "checked out card "+string(card)) && len(f.fb.Played()) == 2
	})
	if st.Mode != "headless" || st.Station != demo.StationActivity || !strings.HasPrefix(st.LastTap, "checked out card "+string(card)) {
		t.Errorf("status %+v", st)
	}
	if p := f.fb.Played(); !slices.Equal(p, []feedback.Pattern{feedback.Success, feedback.Success}) {
		t.Errorf("played %v", p)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("RunStation: %v", err)
	}
}

func TestAppLedgerUnusable(t *testing.T) {
	clk := clock.NewFake(ledgertest.Start)
	notDB := shortDir(t)
	if err := os.WriteFile(filepath.Join(notDB, ledger.FileName), []byte("this is not an SQLite file, it is a shopping list"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Another program's database, as it might be left at the ledger's name.
	foreign := shortDir(t)
	foreignPath := filepath.Join(foreign, ledger.FileName)
	db, err := sql.Open("sqlite", "file:"+foreignPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes(body) VALUES ('买菜')"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	foreignBytes, err := os.ReadFile(foreignPath)
	if err != nil {
		t.Fatal(err)
	}
	demoDir, lo := newDemoDir(t, clk)
	for _, tc := range []struct {
		name  string
		dir   string
		edit  func(*app.Config)
		want  error
		fault string
	}{
		{"not a database", notDB, nil, ledger.ErrNotDatabase, "E-DB-NOTDB"},
		{"another program's database", foreign, nil, ledger.ErrForeign, "E-DB-FOREIGN"},
		{"no ledger", shortDir(t), nil, ledger.ErrNoLedger, "E-DB-MISSING"},
		{"another center's disk", demoDir, func(c *app.Config) { c.Center = "andingmen" }, ledger.ErrInvalid, "E-DB-OPEN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startApp(t, tc.dir, clk, lo, func(c *app.Config) {
				c.Headless = true
				if tc.edit != nil {
					tc.edit(c)
				}
			})
			if err := f.app.LedgerErr(); !errors.Is(err, tc.want) || f.app.Ledger() != nil {
				t.Fatalf("LedgerErr %v (ledger %v), want %v", err, f.app.Ledger(), tc.want)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- f.app.RunStation(ctx) }()
			// The control socket still answers, and says what is wrong.
			st := f.status(t)
			if st.Ledger != tc.fault || st.LedgerError == "" {
				t.Errorf("status %+v, want fault %s", st, tc.fault)
			}
			if got, err := f.ask(t, "tap 88000001"); err != nil || !strings.HasPrefix(got, "needs a technician ("+tc.fault+")") {
				t.Fatalf("tap: %q %v, want needs a technician (%s)", got, err, tc.fault)
			}
			waitFor(t, "attention for the tap", func() bool { return len(f.fb.Played()) == 2 })
			if p := f.fb.Played(); !slices.Equal(p, []feedback.Pattern{feedback.Attention, feedback.Attention}) {
				t.Errorf("played %v", p)
			}
			cancel()
			<-done
			// A screen on the same App shows "needs a technician" with the same code.
			term := f.app.Terminal(kiosk.Options{})
			if v := term.View(); !term.Faulted() || v.Fault != tc.fault {
				t.Errorf("terminal: scene %v fault %q, want %s", v.Scene, v.Fault, tc.fault)
			}
			term.Close()
		})
	}
	// Nothing was created where there was no ledger.
	if b, err := os.ReadFile(filepath.Join(notDB, ledger.FileName)); err != nil || !strings.HasPrefix(string(b), "this is not") {
		t.Errorf("the file was touched: %q %v", b, err)
	}
	if b, err := os.ReadFile(foreignPath); err != nil || !bytes.Equal(b, foreignBytes) {
		t.Errorf("the other program's database was changed: %v", err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(foreignPath + suffix); err == nil {
			t.Errorf("%s%s: WAL switched on in another program's database", foreignPath, suffix)
		}
	}
}

func TestAppRefusesPinsThatDoNotExist(t *testing.T) {
	cfg := app.DefaultConfig()
	cfg.Data = shortDir(t)
	cfg.Feedback.Buzzer = "GPIO_NO_SUCH_PIN"
	_, err := app.NewApp(context.Background(), cfg, &app.AppOptions{Logf: t.Logf})
	if err == nil || !strings.Contains(err.Error(), "feedback pins") {
		t.Errorf("NewApp: %v, want an error naming the feedback pins", err)
	}
}

func TestAppHardwareReaderAbsent(t *testing.T) {
	clk := clock.NewFake(ledgertest.Start)
	dir, lo := newDemoDir(t, clk)
	for _, tc := range []struct {
		name   string
		edit   func(*app.Config)
		kind   rfid.Kind
		device string
	}{
		{"mfrc522", func(c *app.Config) { c.Reader.Kind, c.Reader.SPI = app.ReaderMFRC522, "/dev/spidev9.9" }, rfid.KindMFRC522, "/dev/spidev9.9"},
		{"wedge", func(c *app.Config) {
			c.Reader.Kind, c.Reader.WedgeDevice = app.ReaderWedge, filepath.Join(dir, "no-such-event-kbd")
		}, rfid.KindWedge, "no-such-event-kbd"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// No such reader here: the terminal runs all the same, says so in
			// its status, and taps from the control socket still work.
			f := startApp(t, dir, clk, lo, tc.edit)
			var hw rfid.Status
			waitFor(t, "the reader reported absent", func() bool {
				rs := f.app.ReaderStatus()
				if len(rs) != 2 {
					t.Fatalf("readers %v, want the simulated one and %s", rs, tc.name)
				}
				hw = rs[1]
				return hw.State == rfid.StateAbsent
			})
			if hw.Kind != tc.kind || !strings.Contains(hw.Device, tc.device) {
				t.Errorf("reader %+v", hw)
			}
			st := f.status(t)
			if len(st.Readers) != 2 || st.Readers[1].State != "absent" || st.Readers[1].Error == "" {
				t.Errorf("status readers %+v", st.Readers)
			}
			if _, err := f.ask(t, "tap 88000005"); err != nil {
				t.Fatal(err)
			}
			if ev := nextEvent(t, f.app.Events()); ev.Tap.UID.Hex() != "88000005" {
				t.Errorf("event %+v", ev)
			}
			f.app.Close()
		})
	}
}

// TestAppDemoIsTheLedgersMark: demo mode comes from the mark `kioskctl demo`
// writes, not from the center: a real ledger with the demo's center id and
// a card numbered like a demo key card is not demo data.
func TestAppDemoIsTheLedgersMark(t *testing.T) {
	clk := clock.NewFake(ledgertest.Start)
	lo := ledgertest.Options(clk, clock.NewFakeSync(true))
	dir := shortDir(t)
	ctx := context.Background()
	l, err := ledger.Create(ctx, dir, ledger.Terminal{Center: demo.CenterID, CenterName: demo.CenterName}, lo)
	if err != nil {
		t.Fatal(err)
	}
	p, err := l.EnrolPerson(ctx, ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: "HPL00001", Name: "王堃", Kind: record.RedVest})
	if err == nil {
		_, err = l.BindCard(ctx, ledger.BindCard{ID: record.NewEntryID(), Person: p.ID, UID: demo.CardUID(1)})
	}
	if cerr := l.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, forced := range []bool{false, true} {
		f := startApp(t, dir, clk, lo, func(c *app.Config) { c.Demo = forced })
		// --demo turns demo mode on, but no keys tap a card the ledger does
		// not name.
		if f.app.Demo() != forced || len(f.app.DemoCards()) != 0 {
			t.Errorf("--demo %v: Demo() = %v, cards %v; want %v and none", forced, f.app.Demo(), f.app.DemoCards(), forced)
		}
		f.app.Close()
	}
}

// TestAppRemovesStaleTemporaryFiles: a backup killed outright left its
// full-size temporary file in the data directory; the terminal's start
// removes it, and leaves one still being written.
func TestAppRemovesStaleTemporaryFiles(t *testing.T) {
	clk := clock.NewFake(ledgertest.Start)
	dir, lo := newDemoDir(t, clk)
	stale := filepath.Join(dir, ".before-update.db.4242.hmj-tmp")
	fresh := filepath.Join(dir, ".entries.csv.77.hmj-tmp")
	for path, age := range map[string]time.Duration{stale: 3 * time.Minute, fresh: 10 * time.Second} {
		if err := os.WriteFile(path, bytes.Repeat([]byte{0}, 1<<20), 0o600); err != nil {
			t.Fatal(err)
		}
		at := clk.Now().Add(-age)
		if err := os.Chtimes(path, at, at); err != nil {
			t.Fatal(err)
		}
	}
	var log strings.Builder
	cfg := app.DefaultConfig()
	cfg.Data = dir
	a, err := app.NewApp(context.Background(), cfg, &app.AppOptions{Clock: clk, Feedback: &feedbacktest.Recorder{}, Ledger: lo,
		Logf: func(format string, args ...any) { fmt.Fprintf(&log, format+"\n", args...) }})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the stale temporary file is still there: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a temporary file still being written was removed: %v", err)
	}
	if !strings.Contains(log.String(), "removed "+stale) {
		t.Errorf("log does not say what was removed:\n%s", log.String())
	}
}

// TestOneTerminalPerLedger: a second terminal cannot start on a data
// directory a terminal runs on, even when the first one's control socket
// has gone (deleted by hand, or lost to an accept error); once the first
// one stops, a terminal starts again.
func TestOneTerminalPerLedger(t *testing.T) {
	clk := clock.NewFake(ledgertest.Start)
	dir, lo := newDemoDir(t, clk)
	first := startApp(t, dir, clk, lo, func(c *app.Config) { c.Headless = true })
	if err := os.Remove(control.SocketPath(dir)); err != nil {
		t.Fatal(err)
	}
	cfg := first.app.Config()
	second, err := app.NewApp(context.Background(), cfg, &app.AppOptions{Clock: clk, Logf: t.Logf, Feedback: &feedbacktest.Recorder{}, Ledger: lo})
	if !errors.Is(err, app.ErrAnotherTerminal) {
		if second != nil {
			second.Close()
		}
		t.Fatalf("a second terminal on the same ledger: %v, want ErrAnotherTerminal", err)
	}
	wantPID := "process " + strconv.Itoa(os.Getpid())
	if !strings.Contains(err.Error(), wantPID) || !strings.Contains(err.Error(), filepath.Join(dir, app.LockName)) {
		t.Errorf("error %q does not name the holder (%s) and the lock", err, wantPID)
	}
	// kioskctl's look is not locked out.
	ro, err := ledger.Open(context.Background(), dir, ledger.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("a read-only look beside the terminal: %v", err)
	}
	if err := ro.Backup(context.Background(), filepath.Join(t.TempDir(), "copy.db")); err != nil {
		t.Errorf("a backup beside the terminal: %v", err)
	}
	ro.Close()
	if err := first.app.Close(); err != nil {
		t.Fatal(err)
	}
	third, err := app.NewApp(context.Background(), cfg, &app.AppOptions{Clock: clk, Logf: t.Logf, Feedback: &feedbacktest.Recorder{}, Ledger: lo})
	if err != nil {
		t.Fatalf("after the first terminal stopped: %v", err)
	}
	if third.LedgerErr() != nil {
		t.Errorf("ledger: %v", third.LedgerErr())
	}
	third.Close()
}

// fillUp writes to the App's own ledger until its size cap refuses a write:
// people until one is refused (the people or the outbox found no page),
// then requests alone (a staff card enabled again, which every write
// stores a result for), until the requests table finds none either.
func fillUp(t *testing.T, l *ledger.Ledger) {
	t.Helper()
	ctx := context.Background()
	staff, err := l.StaffCards(ctx)
	if err != nil || len(staff) == 0 {
		t.Fatalf("staff cards %v %v", staff, err)
	}
	full := false
	for i := range 20000 {
		_, err := l.EnrolPerson(ctx, ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: fmt.Sprintf("FILL%06d", i),
			Name: "占位", Kind: record.Resident})
		if errors.Is(err, ledger.ErrDiskFull) {
			full = true
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; full && i < 100000; i++ {
		_, err := l.SetStaffActive(ctx, ledger.SetStaffActive{ID: record.NewEntryID(), UID: staff[0].UID, Active: staff[0].Active})
		if errors.Is(err, ledger.ErrDiskFull) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Fatal("the ledger never filled up")
}

// TestDiskFullSaysSo: a kiosk whose disk fills up says E-DISK-FULL on the
// screen and in the control socket's status, and keeps serving.
func TestDiskFullSaysSo(t *testing.T) {
	capped := func(t *testing.T) (string, *clock.Fake, ledger.Options) {
		clk := clock.NewFake(ledgertest.Start)
		dir, lo := newDemoDir(t, clk)
		fi, err := os.Stat(filepath.Join(dir, ledger.FileName))
		if err != nil {
			t.Fatal(err)
		}
		lo.MaxSize = fi.Size()
		return dir, clk, lo
	}
	t.Run("station", func(t *testing.T) {
		dir, clk, lo := capped(t)
		f := startApp(t, dir, clk, lo, func(c *app.Config) { c.Headless = true })
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- f.app.RunStation(ctx) }()
		defer func() { cancel(); <-done }()
		if st := f.status(t); st.Ledger != "ok" {
			t.Fatalf("before: status ledger %q", st.Ledger)
		}
		fillUp(t, f.app.Ledger())
		if _, err := f.ask(t, "tap "+string(demo.CardUID(3))); err != nil {
			t.Fatal(err)
		}
		var st control.Status
		waitFor(t, "status says the disk is full", func() bool { st = f.status(t); return st.Ledger == kiosk.FaultDiskFull })
		if !strings.Contains(st.LedgerError, "disk full") || !strings.HasPrefix(st.LastTap, "needs a technician card "+string(demo.CardUID(3))) {
			t.Errorf("status %+v", st)
		}
		if p := f.fb.Played(); len(p) == 0 || p[len(p)-1] != feedback.Attention {
			t.Errorf("played %v, want attention", p)
		}
	})
	t.Run("screen", func(t *testing.T) {
		dir, clk, lo := capped(t)
		f := startApp(t, dir, clk, lo, nil)
		term := f.app.Terminal(kiosk.Options{})
		defer term.Close()
		term.Settle()
		fillUp(t, f.app.Ledger())
		term.Reader(rfid.Event{Kind: rfid.EventTap, Tap: rfid.Tap{Card: rfid.Card{UID: rfid.UID(demo.CardUID(4).Bytes())}, At: clk.Now()}})
		term.Settle()
		if v := term.View(); v.Scene != kiosk.ScenePerson {
			t.Fatalf("scene %v, want the person", v.Scene)
		}
		term.Press(kiosk.Action{Kind: kiosk.ActCheckIn})
		term.Settle()
		switch term.View().Scene {
		case kiosk.SceneCheckInChoose:
			term.Press(kiosk.Action{Kind: kiosk.ActChoose, Index: 0})
		case kiosk.SceneCheckInConfirm:
			term.Press(kiosk.Action{Kind: kiosk.ActConfirm})
		default:
			t.Fatalf("after check-in: scene %v", term.View().Scene)
		}
		term.Settle()
		v := term.View()
		if v.Scene != kiosk.SceneNotice || len(v.Lines) != 1 || v.Lines[0].Key != "tech.code" || v.Lines[0].Args[0] != kiosk.FaultDiskFull {
			t.Fatalf("scene %v lines %v, want the notice with %s", v.Scene, v.Lines, kiosk.FaultDiskFull)
		}
		if st := f.status(t); st.Ledger != kiosk.FaultDiskFull || !strings.Contains(st.LedgerError, "disk full") {
			t.Errorf("status ledger %q (%s), want %s", st.Ledger, st.LedgerError, kiosk.FaultDiskFull)
		}
	})
}
