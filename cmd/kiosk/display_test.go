package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// freeDisplay is a display number nothing listens on, :99 when free (the
// number xvfb-run tries first, so it may be taken while tests run).
func freeDisplay(t *testing.T) int {
	t.Helper()
	for n := 99; n < 1099; n++ {
		d := x11Display{number: n}
		if c, err := d.dial(time.Now().Add(time.Second)); err == nil {
			c.Close()
			continue
		}
		return n
	}
	t.Fatal("no free display number")
	return 0
}

// fakeX is an X server's first step: it reads a client's connection setup
// and answers with reply, recording the authorisation it was sent.
type fakeX struct {
	display  string
	authName chan string
	authData chan []byte
}

// startFakeX listens on TCP 127.0.0.1:6000+n. answer gets the setup's
// authorisation and returns the reply bytes; nil answers nothing.
func startFakeX(t *testing.T, answer func(name string, data []byte) []byte) *fakeX {
	t.Helper()
	var ln net.Listener
	for port := 6100; ; port++ {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			break
		}
		if port > 6999 {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { ln.Close() })
	port := ln.Addr().(*net.TCPAddr).Port
	x := &fakeX{display: "127.0.0.1:" + strconv.Itoa(port-6000), authName: make(chan string, 8), authData: make(chan []byte, 8)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				var hdr [12]byte
				if _, err := io.ReadFull(c, hdr[:]); err != nil || hdr[0] != 'l' || binary.LittleEndian.Uint16(hdr[2:]) != 11 {
					return
				}
				pad := func(n int) int { return (4 - n%4) % 4 }
				nn, nd := int(binary.LittleEndian.Uint16(hdr[6:])), int(binary.LittleEndian.Uint16(hdr[8:]))
				rest := make([]byte, nn+pad(nn)+nd+pad(nd))
				if _, err := io.ReadFull(c, rest); err != nil {
					return
				}
				name, data := string(rest[:nn]), rest[nn+pad(nn):nn+pad(nn)+nd]
				x.authName <- name
				x.authData <- data
				reply := answer(name, data)
				if reply == nil {
					time.Sleep(10 * time.Second)
					return
				}
				c.Write(reply)
			}()
		}
	}()
	return x
}

// xSuccess is the start of a successful setup reply (the rest, the
// server's description, is not read).
func xSuccess() []byte {
	b := make([]byte, 8)
	b[0] = 1
	binary.LittleEndian.PutUint16(b[2:], 11)
	return b
}

// xFailed is a refused setup with reason.
func xFailed(reason string) []byte {
	padded := reason + strings.Repeat("\x00", (4-len(reason)%4)%4)
	b := make([]byte, 8, 8+len(padded))
	b[0], b[1] = 0, byte(len(reason))
	binary.LittleEndian.PutUint16(b[2:], 11)
	binary.LittleEndian.PutUint16(b[6:], uint16(len(padded)/4))
	return append(b, padded...)
}

// xauthority writes an Xauthority file with one cookie for display n.
func xauthority(t *testing.T, family uint16, addr string, n int, cookie []byte) string {
	t.Helper()
	var b bytes.Buffer
	field := func(s []byte) {
		binary.Write(&b, binary.BigEndian, uint16(len(s)))
		b.Write(s)
	}
	binary.Write(&b, binary.BigEndian, family)
	field([]byte(addr))
	field([]byte(strconv.Itoa(n)))
	field([]byte("MIT-MAGIC-COOKIE-1"))
	field(cookie)
	p := filepath.Join(t.TempDir(), "Xauthority")
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDisplayThatCannotBeOpened: DISPLAY names a display nothing serves.
// kiosk says so in one line (no panic, no stack trace from the touch UI)
// and exits, or runs the headless station with --fallback-headless.
func TestDisplayThatCannotBeOpened(t *testing.T) {
	n := freeDisplay(t)
	t.Setenv("DISPLAY", ":"+strconv.Itoa(n))
	dir := demoData(t)
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"--data", dir}, &stderr)
	want := "cannot open display :" + strconv.Itoa(n) + ": no X server is listening at /tmp/.X11-unix/X" + strconv.Itoa(n)
	if code != 1 || !strings.Contains(stderr.String(), want) || strings.Contains(stderr.String(), "goroutine") {
		t.Errorf("exit %d:\n%s\nwant %q", code, stderr.String(), want)
	}
	errs, stop := startKiosk(t, "--data", dir, "--fallback-headless")
	if got := ask(t, dir, "ping"); got != "pong" {
		t.Errorf("ping: %q", got)
	}
	if code := stop(); code != 0 || !strings.Contains(errs.String(), want) || !strings.Contains(errs.String(), "running the headless station instead") {
		t.Errorf("exit %d:\n%s", code, errs)
	}
	stderr.Reset()
	if code := run(context.Background(), []string{"--check-display"}, &stderr); code != 1 || !strings.Contains(stderr.String(), want) {
		t.Errorf("--check-display: exit %d: %s", code, stderr.String())
	}
}

// TestDisplayAsXlibOpensIt: the check speaks X11's connection setup, sends
// the cookie XAUTHORITY holds for the display, and reports a refusal in the
// server's words.
func TestDisplayAsXlibOpensIt(t *testing.T) {
	cookie := []byte("0123456789abcdef")
	x := startFakeX(t, func(name string, data []byte) []byte {
		if name != "MIT-MAGIC-COOKIE-1" || !bytes.Equal(data, cookie) {
			return xFailed("Authorization required, but no authorization protocol specified")
		}
		return xSuccess()
	})
	t.Setenv("DISPLAY", x.display)
	d, _ := parseDisplay(x.display)

	t.Setenv("XAUTHORITY", filepath.Join(t.TempDir(), "none"))
	err := checkDisplay()
	if err == nil || !strings.Contains(err.Error(), "cannot open display "+x.display+": the X server refused this client: Authorization required, but no authorization protocol specified") {
		t.Errorf("without a cookie: %v", err)
	}
	if name := <-x.authName; name != "" {
		t.Errorf("sent authorisation %q without an Xauthority file", name)
	}
	<-x.authData

	t.Setenv("XAUTHORITY", xauthority(t, familyWild, "", d.number, cookie))
	if err := checkDisplay(); err != nil {
		t.Errorf("with the display's cookie: %v", err)
	}
	if name, data := <-x.authName, <-x.authData; name != "MIT-MAGIC-COOKIE-1" || !bytes.Equal(data, cookie) {
		t.Errorf("sent %q %x, want the cookie", name, data)
	}

	// A cookie for another display is not sent.
	t.Setenv("XAUTHORITY", xauthority(t, familyWild, "", d.number+1, cookie))
	if err := checkDisplay(); err == nil {
		t.Error("another display's cookie opened this one")
	}
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"--check-display"}, &stderr); code != 1 || !strings.Contains(stderr.String(), "XAUTHORITY") {
		t.Errorf("--check-display: exit %d: %s", code, stderr.String())
	}
}

func TestDisplayThatDoesNotAnswer(t *testing.T) {
	x := startFakeX(t, func(string, []byte) []byte { return nil })
	t.Setenv("DISPLAY", x.display)
	start := time.Now()
	err := checkDisplay()
	if err == nil || !strings.Contains(err.Error(), "did not answer") {
		t.Errorf("check: %v", err)
	}
	if d := time.Since(start); d > displayTimeout+2*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestParseDisplay(t *testing.T) {
	for _, tc := range []struct {
		in     string
		host   string
		number int
		bad    bool
	}{
		{":0", "", 0, false},
		{":99.0", "", 99, false},
		{"unix:1", "unix", 1, false},
		{"localhost:10.0", "localhost", 10, false},
		{"tcp/10.0.0.5:2", "10.0.0.5", 2, false},
		{"0", "", 0, true},
		{":x", "", 0, true},
	} {
		d, err := parseDisplay(tc.in)
		if (err != nil) != tc.bad || (!tc.bad && (d.host != tc.host || d.number != tc.number)) {
			t.Errorf("%q: %+v %v", tc.in, d, err)
		}
	}
}
