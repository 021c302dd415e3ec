package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/drivers/feedback"
	"github.com/hongmajia/hongmajia/kiosk"
	"github.com/hongmajia/hongmajia/kiosk/app"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/demo"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
)

// A page in the middle of an index that the start check does not read: the
// terminal starts and serves at once; when its background full check finds
// the page, the station blinks for attention and refuses every tap, the
// screen shows "needs a technician", status says why, and nothing more is
// written to the file.
func TestAppBackgroundCheckFails(t *testing.T) {
	clk := clock.NewFake(ledgertest.Start)
	dir := shortDir(t)
	lo := ledgertest.Options(clk, clock.NewFakeSync(true))
	if _, err := demo.Create(context.Background(), dir, demo.Options{People: 3000, NoHistory: true, Ledger: lo}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, ledger.FileName)
	if _, err := os.Stat(path + "-wal"); err == nil {
		t.Fatal("WAL left after demo.Create; the test wants everything in the main file")
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var page, total int64
	err = db.QueryRow("SELECT min(pageno), (SELECT page_count FROM pragma_page_count) FROM dbstat WHERE name = 'people_phone' AND pagetype = 'leaf'").Scan(&page, &total)
	db.Close()
	if err != nil || page == 0 || page > total-200 {
		t.Fatalf("no leaf of people_phone before the file's tail: page %d of %d: %v", page, total, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const pageSize = 4096
	for i := int(page-1)*pageSize + 8; i < int(page)*pageSize; i += 7 {
		data[i] ^= 0x5A
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}

	f := startApp(t, dir, clk, lo, func(c *app.Config) { c.Headless = true })
	l := f.app.Ledger()
	if l == nil {
		t.Fatalf("the start check refused the file: %v", f.app.LedgerErr())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.app.RunStation(ctx) }()
	select {
	case <-l.Checked():
	case <-time.After(time.Minute):
		t.Fatal("the full check did not end within a minute")
	}
	waitFor(t, "attention for the failed check", func() bool { return len(f.fb.Played()) == 1 })
	st := f.status(t)
	if st.Ledger != kiosk.FaultCorrupt || !strings.Contains(st.LedgerError, path) {
		t.Errorf("status ledger %q %q, want %s naming the file", st.Ledger, st.LedgerError, kiosk.FaultCorrupt)
	}
	if c := st.FullCheck; c == nil || c.OK || c.Running || c.Error == "" || c.At.IsZero() {
		t.Errorf("status full_check %+v", c)
	}
	db0, _ := os.ReadFile(path)
	wal0, _ := os.ReadFile(path + "-wal")
	card := demo.CardUID(2)
	if got, err := f.ask(t, "tap "+string(card)); err != nil || !strings.HasPrefix(got, "needs a technician ("+kiosk.FaultCorrupt+")") {
		t.Fatalf("tap: %q %v, want needs a technician (%s)", got, err, kiosk.FaultCorrupt)
	}
	waitFor(t, "attention for the tap", func() bool { return len(f.fb.Played()) == 2 })
	if p := f.fb.Played(); !slices.Equal(p, []feedback.Pattern{feedback.Attention, feedback.Attention}) {
		t.Errorf("played %v", p)
	}
	cancel()
	<-done
	if info, err := l.LookupCard(context.Background(), card); err != nil || info.OpenShift != nil {
		t.Errorf("the tap checked in: %+v %v", info.OpenShift, err)
	}
	// A screen on the same ledger shows "needs a technician" at its first poll.
	term := f.app.Terminal(kiosk.Options{})
	term.Poll()
	if v := term.View(); !term.Faulted() || v.Fault != kiosk.FaultCorrupt {
		t.Errorf("terminal: scene %v fault %q, want %s", v.Scene, v.Fault, kiosk.FaultCorrupt)
	}
	term.Close()
	if got, _ := os.ReadFile(path); !bytes.Equal(got, db0) {
		t.Error("the file changed after the failed check")
	}
	if got, _ := os.ReadFile(path + "-wal"); !bytes.Equal(got, wal0) {
		t.Error("the WAL changed after the failed check")
	}
}

// The full check runs again every night at the nightly time.
func TestAppNightlyFullCheck(t *testing.T) {
	clk := clock.NewFake(ledgertest.Start)
	dir, lo := newDemoDir(t, clk)
	f := startApp(t, dir, clk, lo, func(c *app.Config) { c.Headless = true })
	l := f.app.Ledger()
	<-l.Checked()
	first := l.LastFullCheck(context.Background())
	if !first.OK() {
		t.Fatalf("first full check %+v", first)
	}
	if st := f.status(t); st.FullCheck == nil || !st.FullCheck.OK || !st.FullCheck.At.Equal(first.At) {
		t.Fatalf("status full_check %+v, want %+v", st.FullCheck, first)
	}
	waitFor(t, "a nightly full check", func() bool {
		clk.Advance(time.Hour)
		c := l.LastFullCheck(context.Background())
		return c.OK() && c.At.After(first.At)
	})
}

// A file damaged after the start's check passed: the nightly check finds
// it, and the station blinks for attention then, not at the next tap.
func TestAppNightlyFullCheckFails(t *testing.T) {
	clk := clock.NewFake(ledgertest.Start)
	dir := shortDir(t)
	lo := ledgertest.Options(clk, clock.NewFakeSync(true))
	if _, err := demo.Create(context.Background(), dir, demo.Options{People: 3000, NoHistory: true, Ledger: lo}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, ledger.FileName)
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var page, total int64
	err = db.QueryRow("SELECT min(pageno), (SELECT page_count FROM pragma_page_count) FROM dbstat WHERE name = 'people_phone' AND pagetype = 'leaf'").Scan(&page, &total)
	db.Close()
	if err != nil || page == 0 || page > total-200 {
		t.Fatalf("no leaf of people_phone before the file's tail: page %d of %d: %v", page, total, err)
	}

	f := startApp(t, dir, clk, lo, func(c *app.Config) { c.Headless = true })
	l := f.app.Ledger()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.app.RunStation(ctx) }()
	defer func() { cancel(); <-done }()
	<-l.Checked()
	if c := l.LastFullCheck(context.Background()); !c.OK() {
		t.Fatalf("first full check %+v", c)
	}

	const pageSize = 4096
	buf := make([]byte, pageSize)
	file, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := file.ReadAt(buf, (page-1)*pageSize); err != nil {
		t.Fatal(err)
	}
	for i := 8; i < pageSize; i += 7 {
		buf[i] ^= 0x5A
	}
	if _, err := file.WriteAt(buf, (page-1)*pageSize); err != nil {
		t.Fatal(err)
	}
	file.Close()

	waitFor(t, "the nightly check's fault", func() bool {
		clk.Advance(time.Hour)
		return l.Fault() != nil
	})
	waitFor(t, "attention for the failed nightly check", func() bool { return len(f.fb.Played()) == 1 })
	if p := f.fb.Played(); !slices.Equal(p, []feedback.Pattern{feedback.Attention}) {
		t.Errorf("played %v", p)
	}
}
