package app_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/kiosk/app"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
)

// systemd is the notify socket a unit with Type=notify and WatchdogSec
// gives its service: the test reads what the terminal tells it.
type systemd struct {
	t    *testing.T
	conn *net.UnixConn
}

// watchdogPeriod is half the test's WatchdogSec: how often the terminal
// says it is alive.
const watchdogPeriod = 100 * time.Millisecond

func newSystemd(t *testing.T) *systemd {
	t.Helper()
	path := filepath.Join(shortDir(t), "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	t.Setenv("WATCHDOG_USEC", "200000")
	t.Setenv("WATCHDOG_PID", "")
	return &systemd{t: t, conn: c}
}

// next is the next message within d; "" when none came.
func (s *systemd) next(d time.Duration) string {
	s.t.Helper()
	b := make([]byte, 4096)
	s.conn.SetReadDeadline(time.Now().Add(d))
	n, err := s.conn.Read(b)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return ""
		}
		s.t.Fatal(err)
	}
	return string(b[:n])
}

// want waits up to d for a message holding text, and returns it.
func (s *systemd) want(text string, d time.Duration) string {
	s.t.Helper()
	deadline := time.Now().Add(d)
	var seen []string
	for time.Now().Before(deadline) {
		m := s.next(time.Until(deadline))
		if strings.Contains(m, text) {
			return m
		}
		seen = append(seen, m)
	}
	s.t.Fatalf("no %q from the terminal in %v; got %q", text, d, seen)
	return ""
}

// none fails if a message holding text comes within d.
func (s *systemd) none(text string, d time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if m := s.next(time.Until(deadline)); strings.Contains(m, text) {
			s.t.Fatalf("%q from the terminal, want none", m)
		}
	}
}

// The terminal says it is ready once its face answers, then that it is
// alive while it answers; a face that stops answering stops the WATCHDOG=1s
// (systemd restarts it), and they come again when it answers again.
func TestWatchdogWhileTheFaceAnswers(t *testing.T) {
	sd := newSystemd(t)
	clk := clock.NewFake(ledgertest.Start)
	dir, lo := newDemoDir(t, clk)
	f := startApp(t, dir, clk, lo, nil)
	var stuck atomic.Bool
	stuck.Store(true) // the first screen is not drawn yet
	f.app.Watch(func(ctx context.Context) error {
		if stuck.Load() {
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	})
	sd.none("READY=1", 3*watchdogPeriod)
	stuck.Store(false)
	if m := sd.want("READY=1", time.Second); !strings.Contains(m, "STATUS=serving") {
		t.Errorf("ready: %q", m)
	}
	sd.want("WATCHDOG=1", time.Second)
	sd.want("WATCHDOG=1", time.Second)

	stuck.Store(true)
	sd.want("STATUS=the terminal did not answer", time.Second)
	sd.none("WATCHDOG=1", 4*watchdogPeriod)
	stuck.Store(false)
	sd.want("WATCHDOG=1", time.Second)

	f.app.Close()
	sd.want("STOPPING=1", time.Second)
}

// holdLedger takes the locks SQLite takes to read the ledger (every
// reader's slot of its WAL index, and the writer's), as another
// process stuck inside a checkpoint or a recovery would hold them, until
// release. Open file description locks conflict with SQLite's own even in
// this process.
func holdLedger(t *testing.T, path string) (release func()) {
	t.Helper()
	const ofdSetLock = 37 // F_OFD_SETLK
	var files []*os.File
	for _, l := range []struct {
		suffix       string
		start, count int64
	}{{"-shm", 120, 8}} {
		fl, err := os.OpenFile(path+l.suffix, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, fl)
		lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0, Start: l.start, Len: l.count}
		if err := syscall.FcntlFlock(fl.Fd(), ofdSetLock, &lk); err != nil {
			t.Fatalf("lock %s%s: %v", path, l.suffix, err)
		}
	}
	return func() {
		for _, fl := range files {
			fl.Close()
		}
	}
}

// A ledger that does not answer a read (another process holds its locks)
// stops the WATCHDOG=1s too.
func TestWatchdogWhileTheLedgerAnswers(t *testing.T) {
	sd := newSystemd(t)
	clk := clock.NewFake(ledgertest.Start)
	dir, lo := newDemoDir(t, clk)
	lo.BusyTimeout = 2 * time.Second
	f := startApp(t, dir, clk, lo, nil)
	f.app.Watch(func(context.Context) error { return nil })
	sd.want("READY=1", time.Second)
	sd.want("WATCHDOG=1", time.Second)

	release := holdLedger(t, filepath.Join(dir, ledger.FileName))
	sd.want("STATUS=the ledger does not answer", time.Second)
	sd.none("WATCHDOG=1", 5*watchdogPeriod)
	release()
	sd.want("WATCHDOG=1", 3*time.Second)
}

// A ledger that cannot be opened is the technician's scene, not a reason to
// restart into the same file: ready, and alive.
func TestWatchdogKeepsAFaultedTerminal(t *testing.T) {
	sd := newSystemd(t)
	clk := clock.NewFake(ledgertest.Start)
	dir := shortDir(t)
	if err := os.WriteFile(filepath.Join(dir, ledger.FileName), []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := startApp(t, dir, clk, ledgertest.Options(clk, clock.NewFakeSync(true)), func(c *app.Config) { c.Headless = true })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.app.RunStation(ctx) }()
	if m := sd.want("READY=1", 2*time.Second); !strings.Contains(m, "E-DB-NOTDB") {
		t.Errorf("ready: %q, want the fault's code", m)
	}
	sd.want("WATCHDOG=1", time.Second)
	cancel()
	<-done
}

// The headless station tells systemd it is ready and alive by itself.
func TestWatchdogHeadlessStation(t *testing.T) {
	sd := newSystemd(t)
	clk := clock.NewFake(ledgertest.Start)
	dir, lo := newDemoDir(t, clk)
	f := startApp(t, dir, clk, lo, func(c *app.Config) { c.Headless = true })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.app.RunStation(ctx) }()
	sd.want("READY=1", 2*time.Second)
	sd.want("WATCHDOG=1", time.Second)
	cancel()
	<-done
	// The station's loop has stopped: no more WATCHDOG=1.
	sd.want("STATUS=", time.Second)
	sd.none("WATCHDOG=1", 3*watchdogPeriod)
}
