package sim

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/drivers/rfid"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// running starts r and returns its events; Run ends with the test.
func running(t *testing.T, r *Reader) <-chan rfid.Event {
	t.Helper()
	out := make(chan rfid.Event, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, out) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v", err)
		}
	})
	return out
}

func next(t *testing.T, out <-chan rfid.Event) rfid.Event {
	t.Helper()
	select {
	case ev := <-out:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	return rfid.Event{}
}

// quiet checks that nothing more comes: a marker card tapped now must be the
// next event.
func quiet(t *testing.T, r *Reader, out <-chan rfid.Event) {
	t.Helper()
	marker := rfid.UID{0xff, 0xff, 0xff, byte(len(out))}
	if err := r.Tap(marker); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, out); !ev.Tap.UID.Equal(marker) {
		t.Fatalf("unexpected event %v %v", ev.Kind, ev.Tap.UID)
	}
}

func TestTapIsDebounced(t *testing.T) {
	clk := clock.NewFake(t0)
	r := New(clk, nil)
	out := running(t, r)
	uid := rfid.UID{0x04, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6}
	if err := r.Tap(uid); err != nil {
		t.Fatal(err)
	}
	ev := next(t, out)
	if ev.Kind != rfid.EventTap || !ev.Tap.UID.Equal(uid) || ev.Tap.Kind != rfid.KindSim || ev.Tap.Type != CardType || !ev.Tap.At.Equal(t0) {
		t.Fatalf("event = %+v", ev)
	}
	if err := r.Tap(uid); err != nil { // again at once: same presentation
		t.Fatal(err)
	}
	if err := r.Remove(); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, out); ev.Kind != rfid.EventLeft || !ev.Tap.UID.Equal(uid) {
		t.Fatalf("event = %+v, want left", ev)
	}
	st := r.Status()
	if st.State != rfid.StateOK || st.Taps != 1 || st.Kind != rfid.KindSim || st.Device != "sim" {
		t.Fatalf("status = %+v", st)
	}
}

func TestTapValidatesAndQueueFull(t *testing.T) {
	r := New(clock.NewFake(t0), &Opts{Queue: 2})
	if err := r.Tap(nil); err == nil {
		t.Fatal("empty UID accepted")
	}
	for i := range 2 {
		if err := r.Tap(rfid.UID{1, 2, 3, byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Tap(rfid.UID{1, 2, 3, 4}); !errors.Is(err, ErrBusy) {
		t.Fatalf("third tap with nobody reading = %v, want ErrBusy", err)
	}
	if err := r.Remove(); !errors.Is(err, ErrBusy) {
		t.Fatalf("remove = %v, want ErrBusy", err)
	}
	// the queued taps are delivered once Run starts
	out := running(t, r)
	for i := range 2 {
		if ev := next(t, out); !ev.Tap.UID.Equal(rfid.UID{1, 2, 3, byte(i)}) {
			t.Fatalf("tap %d = %v", i, ev.Tap.UID)
		}
	}
}

func TestDo(t *testing.T) {
	r := New(clock.NewFake(t0), nil)
	for _, tc := range []struct {
		line, err string
	}{
		{"tap 04A1B2C3", ""},
		{"  tap   04:a1:b2:c3  ", ""},
		{"remove", ""},
		{"tap", "missing UID"},
		{"tap XYZ1", "not hex"},
		{"tap 123", "odd number"},
		{"remove now", "takes no argument"},
		{"frob", `unknown command "frob"`},
		{"", "empty command"},
	} {
		_, err := r.Do(tc.line)
		if tc.err == "" {
			if err != nil {
				t.Errorf("Do(%q) = %v", tc.line, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Do(%q) = %v, want an error containing %q", tc.line, err, tc.err)
		}
	}
	reply, err := r.Do("status")
	if err != nil || !strings.HasPrefix(reply, "sim: starting") {
		t.Fatalf("status = %q, %v", reply, err)
	}
}

func socketPath(t *testing.T) string {
	// t.TempDir can be longer than a socket path may be (108 bytes).
	dir, err := os.MkdirTemp("", "sim")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "control.sock")
}

func serving(t *testing.T, r *Reader, path string) {
	t.Helper()
	ln, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve = %v", err)
		}
		if _, err := os.Lstat(path); !os.IsNotExist(err) {
			t.Errorf("socket left behind: %v", err)
		}
	})
}

type client struct {
	t  *testing.T
	c  net.Conn
	in *bufio.Reader
}

func dial(t *testing.T, path string) *client {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{t: t, c: c, in: bufio.NewReader(c)}
}

func (c *client) say(line string) string {
	c.t.Helper()
	if _, err := c.c.Write([]byte(line)); err != nil {
		c.t.Fatal(err)
	}
	reply, err := c.in.ReadString('\n')
	if err != nil {
		c.t.Fatalf("reply to %q: %v", line, err)
	}
	return reply
}

func TestSocketProtocol(t *testing.T) {
	clk := clock.NewFake(t0)
	r := New(clk, nil)
	out := running(t, r)
	path := socketPath(t)
	serving(t, r, path)

	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode = %v, want an owner-only socket", fi.Mode())
	}

	c := dial(t, path)
	if got := c.say("tap 04A1B2C3D4E5F6\n"); got != "ok\n" {
		t.Fatalf("tap reply = %q", got)
	}
	if ev := next(t, out); ev.Kind != rfid.EventTap || ev.Tap.UID.Hex() != "04A1B2C3D4E5F6" {
		t.Fatalf("event = %+v", ev)
	}
	if got := c.say("tap nonsense\r\n"); !strings.HasPrefix(got, "error sim: tap: rfid: UID") {
		t.Fatalf("bad tap reply = %q", got)
	}
	if got := c.say("remove\n"); got != "ok\n" {
		t.Fatalf("remove reply = %q", got)
	}
	if ev := next(t, out); ev.Kind != rfid.EventLeft {
		t.Fatalf("event = %+v, want left", ev)
	}
	if got := c.say("status\n"); !strings.HasPrefix(got, "ok sim: ok since") || !strings.Contains(got, "1 taps") {
		t.Fatalf("status reply = %q", got)
	}
	// a second client at the same time
	c2 := dial(t, path)
	if got := c2.say("tap DEADBEEF\n"); got != "ok\n" {
		t.Fatalf("second client = %q", got)
	}
	next(t, out)
	// a line too long is refused and the connection closed
	if got := c.say(strings.Repeat("x", MaxLine+10) + "\n"); !strings.HasPrefix(got, "error sim: line longer") {
		t.Fatalf("long line reply = %q", got)
	}
	if _, err := c.in.ReadString('\n'); err == nil {
		t.Fatal("connection still open after a long line")
	}
	quiet(t, r, out)
}

func TestListenRefusesLiveSocketAndReplacesStaleOne(t *testing.T) {
	path := socketPath(t)
	// a stale socket: bound, then its listener gone without unlinking
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()
	ln, err := Listen(path)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	defer ln.Close()
	if _, err := Listen(path); err == nil || !strings.Contains(err.Error(), "another process is listening") {
		t.Fatalf("second Listen = %v, want refusal", err)
	}

	file := filepath.Join(filepath.Dir(path), "plain")
	if err := os.WriteFile(file, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(file); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("Listen on a file = %v", err)
	}
	if b, _ := os.ReadFile(file); string(b) != "data" {
		t.Fatal("Listen clobbered a regular file")
	}
	if _, err := Listen(filepath.Join(filepath.Dir(path), "no", "such", "dir.sock")); err == nil {
		t.Fatal("Listen in a missing directory succeeded")
	}
}

func TestHaltKeepsQueuedTaps(t *testing.T) {
	r := New(clock.NewFake(t0), nil)
	out := make(chan rfid.Event, 4)
	done := make(chan error, 1)
	go func() { done <- r.Run(context.Background(), out) }()
	if err := r.Tap(rfid.UID{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	next(t, out)
	if err := r.Halt(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Run after Halt = %v", err)
	}
	if err := r.Tap(rfid.UID{5, 6, 7, 8}); err != nil {
		t.Fatal(err)
	}
	run2 := running(t, r)
	if ev := next(t, run2); !ev.Tap.UID.Equal(rfid.UID{5, 6, 7, 8}) {
		t.Fatalf("after restart: %v", ev.Tap.UID)
	}
}
