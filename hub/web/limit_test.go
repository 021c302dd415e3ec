package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/hub/hubtest"
)

func TestLimiterLocksAfterMaxFailuresWithinTheWindow(t *testing.T) {
	clk := clock.NewFake(hubtest.Start)
	l := newLimiter(clk, 3, 15*time.Minute)
	if fails(l, "a", 2) {
		t.Fatal("locked before the third failure")
	}
	if !l.lockedUntil("a").IsZero() {
		t.Fatal("locked after two failures")
	}
	clk.Advance(14 * time.Minute)
	if !l.fail("a") {
		t.Fatal("the third failure within 15 minutes did not lock")
	}
	if got, want := l.lockedUntil("a"), clk.Now().Add(15*time.Minute); !got.Equal(want) {
		t.Errorf("locked until %v, want %v", got, want)
	}
	if !l.lockedUntil("b").IsZero() {
		t.Error("another key is locked")
	}
	// Failures while locked neither count nor stretch the lock.
	clk.Advance(10 * time.Minute)
	for range 5 {
		if l.fail("a") {
			t.Error("a failure while locked locked again")
		}
	}
	clk.Advance(5*time.Minute - time.Nanosecond)
	if l.lockedUntil("a").IsZero() {
		t.Error("the lock ended early")
	}
	clk.Advance(time.Nanosecond)
	if !l.lockedUntil("a").IsZero() {
		t.Error("the lock outlasted 15 minutes")
	}
	// Counting starts again after the lock.
	if fails(l, "a", 2) {
		t.Error("locked again before three new failures")
	}
}

// fails fails key n times and reports whether any failure locked it.
func fails(l *limiter, key string, n int) bool {
	locked := false
	for range n {
		locked = l.fail(key) || locked
	}
	return locked
}

func TestLimiterForgetsOldFailures(t *testing.T) {
	clk := clock.NewFake(hubtest.Start)
	l := newLimiter(clk, 3, 15*time.Minute)
	l.fail("a")
	l.fail("a")
	clk.Advance(15 * time.Minute)
	if l.fail("a") {
		t.Error("failures 15 minutes old counted")
	}
	l.fail("a")
	l.clear("a")
	if fails(l, "a", 2) {
		t.Error("failures before a clear counted")
	}
	if !l.fail("a") {
		t.Error("three failures after the clear did not lock")
	}
	l.clear("a")
	if !l.lockedUntil("a").IsZero() {
		t.Error("a clear left the lock")
	}
}

// TestLimiterMemoryIsBounded: any number of names tried keeps the map at
// maxTracked, and a lock is not dropped to make room.
func TestLimiterMemoryIsBounded(t *testing.T) {
	clk := clock.NewFake(hubtest.Start)
	l := newLimiter(clk, 2, 15*time.Minute)
	l.fail("locked")
	l.fail("locked")
	for i := range maxTracked + 5000 {
		l.fail(fmt.Sprintf("name%d", i))
	}
	if n := len(l.keys); n > maxTracked {
		t.Errorf("%d keys held, want at most %d", n, maxTracked)
	}
	if l.lockedUntil("locked").IsZero() {
		t.Error("a lock was dropped to make room")
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"":                     "/",
		"/":                    "/",
		"/audit?before=3":      "/audit?before=3",
		"/people/1#card":       "/people/1#card",
		"//evil.example/x":     "/",
		"/\\evil.example":      "/",
		"https://evil.example": "/",
		"javascript:alert(1)":  "/",
		"audit":                "/",
		"/a\r\nSet-Cookie: x":  "/",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClientAddr(t *testing.T) {
	for _, c := range []struct {
		remote string
		xff    []string
		proto  string
		want   string
		tls    bool
	}{
		{"192.0.2.1:5000", nil, "", "192.0.2.1", false},
		// Only the proxy on this machine is believed.
		{"192.0.2.1:5000", []string{"198.51.100.7"}, "https", "192.0.2.1", false},
		{"127.0.0.1:5000", []string{"198.51.100.7"}, "https", "198.51.100.7", true},
		{"[::1]:5000", []string{"203.0.113.9, 198.51.100.7"}, "", "198.51.100.7", false},
		{"127.0.0.1:5000", []string{"203.0.113.9", "198.51.100.8"}, "http", "198.51.100.8", false},
		{"127.0.0.1:5000", nil, "", "127.0.0.1", false},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = c.remote
		for _, x := range c.xff {
			r.Header.Add("X-Forwarded-For", x)
		}
		if c.proto != "" {
			r.Header.Set("X-Forwarded-Proto", c.proto)
		}
		if got := clientAddr(r); got != c.want {
			t.Errorf("%s with %q: %q, want %q", c.remote, c.xff, got, c.want)
		}
		if got := isTLS(r); got != c.tls {
			t.Errorf("%s with proto %q: TLS %t", c.remote, c.proto, got)
		}
	}
}

func TestCut(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{{"王芳", 64, "王芳"}, {"王芳芳", 2, "王芳"}, {"abc", 0, ""}, {"", 3, ""}} {
		if got := cut(c.in, c.n); got != c.want {
			t.Errorf("cut(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
