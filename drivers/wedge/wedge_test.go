package wedge

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/drivers/rfid"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// testWait bounds every wait of these tests on a reader: one that stops
// answering fails its test instead of hanging the run until go test's
// own timeout (ten minutes, with no word on where).
const testWait = 5 * time.Second

// recv receives from ch within testWait.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(testWait):
		t.Fatalf("no %s within %v", what, testWait)
		panic("not reached")
	}
}

// waitUntil polls cond until it holds, for at most testWait.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	timeout := time.After(testWait)
	for !cond() {
		select {
		case <-timeout:
			t.Fatalf("%s: not within %v", what, testWait)
		case <-time.After(time.Millisecond):
		}
	}
}

// bounded is a context that ends after testWait, for a Detect that must
// not block forever.
func bounded(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	t.Cleanup(cancel)
	return ctx
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "event0")
	if err := os.WriteFile(regular, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	byID := filepath.Join(dir, "usb-Reader-event-kbd")
	if err := os.Symlink(regular, byID); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "usb-Gone-event-kbd")
	if err := os.Symlink(filepath.Join(dir, "event9"), dangling); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, dev string
		kind      rfid.ErrorKind
		msg       string
	}{
		{"none configured", "", rfid.Absent, "no input device configured"},
		{"missing", filepath.Join(dir, "event7"), rfid.Absent, "no such input device"},
		{"dangling by-id link", dangling, rfid.Absent, "no such input device"},
		{"not an input device", regular, rfid.Fatal, "is not an input event device"},
		{"by-id link resolved", byID, rfid.Fatal, "(" + regular + ") is not an input event device"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Open(&Opts{Device: tc.dev})
			if err == nil {
				d.Halt()
				t.Fatal("Open succeeded")
			}
			if rfid.KindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Open = %v (%v), want %v containing %q", err, rfid.KindOf(err), tc.kind, tc.msg)
			}
		})
	}
}

func TestOpenPermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		// root opens anything; the mapping is tested directly instead
		err := openError("/dev/input/event3", "/dev/input/event3", syscall.EACCES)
		if rfid.KindOf(err) != rfid.Fatal || !strings.Contains(err.Error(), "input group") {
			t.Fatalf("openError(EACCES) = %v", err)
		}
		return
	}
	p := filepath.Join(t.TempDir(), "event0")
	if err := os.WriteFile(p, nil, 0o000); err != nil {
		t.Fatal(err)
	}
	_, err := Open(&Opts{Device: p})
	if rfid.KindOf(err) != rfid.Fatal || !strings.Contains(err.Error(), "input group") {
		t.Fatalf("Open = %v", err)
	}
}

func TestGrabErrors(t *testing.T) {
	for _, tc := range []struct {
		err  error
		kind rfid.ErrorKind
		msg  string
	}{
		{syscall.EBUSY, rfid.Fatal, "grabbed by another program"},
		{syscall.ENODEV, rfid.Absent, "unplugged"},
		{syscall.EIO, rfid.Fatal, "grab"},
	} {
		err := grabError("/dev/input/event3", "/dev/input/event3", tc.err)
		if rfid.KindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("grabError(%v) = %v", tc.err, err)
		}
	}
}

// pipeDev is a Dev reading from a pipe, as it would from /dev/input/eventN:
// both are pollable files with read deadlines.
func pipeDev(t *testing.T, o Opts) (*Dev, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	o = o.withDefaults()
	o.Layout = Layout64
	return newDev("wedge test", r, &o), w
}

func TestDetect(t *testing.T) {
	d, w := pipeDev(t, Opts{})
	ctx := bounded(t)
	go func() {
		w.Write(encode(Layout64, newTypist().typeString("3283263748\n12G\n99999999999\n").evs))
	}()
	c, err := d.Detect(ctx)
	if err != nil || c.UID.Hex() != "04A1B2C3" || c.Type != CardType {
		t.Fatalf("Detect = %+v, %v", c, err)
	}
	if _, err := d.Detect(ctx); rfid.KindOf(err) != rfid.Transient || !errors.Is(err, ErrGarbage) {
		t.Fatalf("garbage: %v", err)
	}
	if _, err := d.Detect(ctx); rfid.KindOf(err) != rfid.Transient || !errors.Is(err, ErrBadNumber) {
		t.Fatalf("11 digits in a 4-byte format: %v", err)
	}
	// the reader unplugged: the kernel ends the file
	w.Close()
	if _, err := d.Detect(ctx); rfid.KindOf(err) != rfid.Absent {
		t.Fatalf("after unplug: %v (%v)", err, rfid.KindOf(err))
	}
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
	if err := d.Halt(); err != nil {
		t.Fatalf("second Halt: %v", err)
	}
}

func TestDetectEndsWithContext(t *testing.T) {
	d, w := pipeDev(t, Opts{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := d.Detect(ctx)
		done <- err
	}()
	cancel()
	if err := recv(t, done, "return of Detect after the context ended"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Detect = %v, want context.Canceled", err)
	}
	// the deadline is cleared again: the next Detect reads normally
	go w.Write(encode(Layout64, newTypist().typeString("1\n").evs))
	if c, err := d.Detect(bounded(t)); err != nil || c.UID.Hex() != "01000000" {
		t.Fatalf("Detect after cancel = %+v, %v", c, err)
	}
}

// enodev fails as a read on an unplugged evdev node does.
type enodev struct{}

func (enodev) Read([]byte) (int, error) {
	return 0, &os.PathError{Op: "read", Path: "/dev/input/event3", Err: syscall.ENODEV}
}
func (enodev) Close() error                    { return nil }
func (enodev) SetReadDeadline(time.Time) error { return nil }

func TestDetectENODEVIsAbsent(t *testing.T) {
	o := DefaultOpts.withDefaults()
	d := newDev("wedge x", enodev{}, &o)
	_, err := d.Detect(bounded(t))
	if rfid.KindOf(err) != rfid.Absent || !strings.Contains(err.Error(), "unplugged") {
		t.Fatalf("Detect = %v", err)
	}
}

// TestReaderReopensUnpluggedWedge runs the wedge Reader on pipes standing in
// for the device: a tap, the reader unplugged, absent while it stays away,
// plugged in again, a tap.
func TestReaderReopensUnpluggedWedge(t *testing.T) {
	clk := clock.NewFake(t0)
	var (
		mu      sync.Mutex
		writers = make(chan *os.File, 4)
		opens   int
	)
	o := DefaultOpts.withDefaults()
	o.Device = "/dev/input/by-id/usb-test-event-kbd"
	o.Layout = Layout64
	open := func() (rfid.Detector, error) {
		mu.Lock()
		defer mu.Unlock()
		opens++
		if opens == 2 { // unplugged for a while
			return nil, &rfid.Error{Kind: rfid.Absent, Err: errors.New("wedge: no such input device")}
		}
		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { r.Close(); w.Close() })
		writers <- w
		return newDev("wedge test", r, &o), nil
	}
	p := newReader(open, clk, &o)
	out := make(chan rfid.Event, 4)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, out) }()
	defer func() {
		cancel()
		recv(t, done, "end of Run after cancel")
	}()

	w := recv(t, writers, "first open")
	w.Write(encode(Layout64, newTypist().typeString("3283263748\n3283263748\n").evs))
	ev := recv(t, out, "tap")
	if ev.Kind != rfid.EventTap || ev.Tap.UID.Hex() != "04A1B2C3" || ev.Tap.Kind != rfid.KindWedge || !ev.Tap.At.Equal(t0) {
		t.Fatalf("event = %+v", ev)
	}
	w.Close() // unplugged
	waitUntil(t, "backoff after the unplug", func() bool { return clk.Waiters() > 0 })
	if st := p.Status(); st.State != rfid.StateAbsent {
		t.Fatalf("state = %v, want absent", st)
	}
	clk.Advance(500 * time.Millisecond) // second open: still absent
	waitUntil(t, "backoff after the second open", func() bool { return clk.Waiters() > 0 })
	clk.Advance(time.Second) // third open: back
	w = recv(t, writers, "third open")
	w.Write(encode(Layout64, newTypist().typeString("0000000001\n").evs))
	ev = recv(t, out, "tap after the replug")
	if ev.Tap.UID.Hex() != "01000000" || !ev.Tap.At.Equal(t0.Add(1500*time.Millisecond)) {
		t.Fatalf("event after replug = %+v", ev)
	}
	st := p.Status()
	if st.State != rfid.StateOK || st.Reopens != 1 || st.Taps != 2 {
		t.Fatalf("status = %+v", st)
	}
	if !strings.HasPrefix(p.String(), "wedge") {
		t.Fatalf("String = %q", p.String())
	}
}

func TestNewWithoutDeviceIsAbsent(t *testing.T) {
	clk := clock.NewFake(t0)
	p := New(clk, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, make(chan rfid.Event)) }()
	defer func() {
		cancel()
		recv(t, done, "end of Run after cancel")
	}()
	waitUntil(t, "backoff after the failed open", func() bool { return clk.Waiters() > 0 })
	st := p.Status()
	if st.State != rfid.StateAbsent || !strings.Contains(st.Err.Error(), "no input device configured") {
		t.Fatalf("status = %+v", st)
	}
}

var _ io.Reader = enodev{}
