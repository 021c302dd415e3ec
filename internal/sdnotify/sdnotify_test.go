package sdnotify

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// listen makes the socket systemd would, and returns a read of one datagram.
func listen(t *testing.T, addr string) func() string {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	t.Setenv("NOTIFY_SOCKET", addr)
	return func() string {
		t.Helper()
		b := make([]byte, 4096)
		if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
			t.Fatal(err)
		}
		n, err := c.Read(b)
		if err != nil {
			t.Fatal(err)
		}
		return string(b[:n])
	}
}

func TestNotifyPathSocket(t *testing.T) {
	read := listen(t, filepath.Join(t.TempDir(), "notify"))
	sent, err := Notify(Ready, Status("serving 和平里"))
	if err != nil || !sent {
		t.Fatalf("Notify = %v, %v", sent, err)
	}
	if got, want := read(), "READY=1\nSTATUS=serving 和平里\n"; got != want {
		t.Fatalf("datagram %q, want %q", got, want)
	}
	if _, err := Notify(Watchdog); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "WATCHDOG=1\n" {
		t.Fatalf("datagram %q", got)
	}
}

func TestNotifyAbstractSocket(t *testing.T) {
	read := listen(t, "@hongmajia-sdnotify-test-"+strconv.Itoa(os.Getpid()))
	if sent, err := Notify(Watchdog); err != nil || !sent {
		t.Fatalf("Notify = %v, %v", sent, err)
	}
	if got := read(); got != "WATCHDOG=1\n" {
		t.Fatalf("datagram %q", got)
	}
}

func TestNotifyWithoutSystemdDoesNothing(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	if Enabled() {
		t.Fatal("Enabled without NOTIFY_SOCKET")
	}
	if sent, err := Notify(Ready); sent || err != nil {
		t.Fatalf("Notify = %v, %v; want false, nil", sent, err)
	}
}

func TestNotifyRefusesWhatSystemdWouldMisread(t *testing.T) {
	listen(t, filepath.Join(t.TempDir(), "notify"))
	for _, bad := range []string{"READY", "STATUS=a\nREADY=1"} {
		if _, err := Notify(bad); err == nil {
			t.Errorf("Notify(%q) succeeded", bad)
		}
	}
	if _, err := Notify(); err == nil {
		t.Error("Notify() succeeded")
	}
	t.Setenv("NOTIFY_SOCKET", "relative/notify")
	if _, err := Notify(Ready); err == nil || !strings.Contains(err.Error(), "NOTIFY_SOCKET") {
		t.Errorf("relative NOTIFY_SOCKET: %v", err)
	}
}

func TestNotifyGoneSocketIsAnError(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "gone"))
	if sent, err := Notify(Watchdog); sent || err == nil {
		t.Fatalf("Notify to a missing socket = %v, %v", sent, err)
	}
}

func TestWatchdogInterval(t *testing.T) {
	self := strconv.Itoa(os.Getpid())
	for _, tc := range []struct {
		usec, pid string
		want      time.Duration
		bad       bool
	}{
		{"", "", 0, false},
		{"30000000", "", 30 * time.Second, false},
		{"30000000", self, 30 * time.Second, false},
		{"30000000", "1", 0, false}, // another process's watchdog
		{"0", "", 0, true},
		{"30s", "", 0, true},
		{"30000000", "me", 0, true},
	} {
		t.Setenv("WATCHDOG_USEC", tc.usec)
		t.Setenv("WATCHDOG_PID", tc.pid)
		got, err := WatchdogInterval()
		if got != tc.want || (err != nil) != tc.bad {
			t.Errorf("WATCHDOG_USEC=%q WATCHDOG_PID=%q: %v, %v; want %v (error %v)", tc.usec, tc.pid, got, err, tc.want, tc.bad)
		}
	}
}
