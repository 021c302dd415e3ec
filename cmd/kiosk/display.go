package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/clock"
)

// The touch UI's toolkit opens the X display when its package initialises
// and panics with a stack trace when it cannot, so kiosk opens the display
// first, the way Xlib would (DISPLAY, XAUTHORITY), and says plainly what is
// wrong. Only the X11 connection setup is spoken: the server's first answer
// says whether a client may use the display.

// displayTimeout bounds the check: a display over the network that does
// not answer must not hold the kiosk's start.
const displayTimeout = 3 * time.Second

// x11Display is a parsed DISPLAY: "[host]:number[.screen]".
type x11Display struct {
	name   string // as given
	host   string // "" or "unix": this machine's socket
	number int
}

func parseDisplay(s string) (x11Display, error) {
	d := x11Display{name: s}
	i := strings.LastIndex(s, ":")
	if i < 0 {
		return d, fmt.Errorf("DISPLAY=%q: want [host]:number, e.g. :0", s)
	}
	d.host = s[:i]
	num, _, _ := strings.Cut(s[i+1:], ".")
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 {
		return d, fmt.Errorf("DISPLAY=%q: want [host]:number, e.g. :0", s)
	}
	d.number = n
	d.host = strings.TrimPrefix(d.host, "tcp/")
	return d, nil
}

func (d x11Display) local() bool { return d.host == "" || d.host == "unix" }

// socketPath is the X server's socket on this machine.
func (d x11Display) socketPath() string { return "/tmp/.X11-unix/X" + strconv.Itoa(d.number) }

// dial connects to the display's server: on this machine the abstract
// socket Linux servers listen on, then the socket file; else TCP 6000+n.
func (d x11Display) dial(deadline time.Time) (net.Conn, error) {
	dialer := net.Dialer{Deadline: deadline}
	if !d.local() {
		return dialer.Dial("tcp", net.JoinHostPort(d.host, strconv.Itoa(6000+d.number)))
	}
	if c, err := dialer.Dial("unix", "@"+d.socketPath()); err == nil {
		return c, nil
	}
	c, err := dialer.Dial("unix", d.socketPath())
	if err != nil {
		return nil, fmt.Errorf("no X server is listening at %s", d.socketPath())
	}
	return c, nil
}

// checkDisplay opens the X display named by DISPLAY as a client would and
// returns what is wrong, in words for the technician; nil when the touch UI
// can open it.
func checkDisplay() error {
	name := os.Getenv("DISPLAY")
	if name == "" {
		if os.Getenv("WAYLAND_DISPLAY") != "" {
			return errors.New("no X display: DISPLAY is unset (a Wayland session needs Xwayland for the touch UI)")
		}
		return errors.New("no display: DISPLAY and WAYLAND_DISPLAY are unset. Run the touch UI in an X session " +
			"(kiosk session, as hongmajia-kiosk.service starts it), or a station without a screen with --headless")
	}
	d, err := parseDisplay(name)
	if err != nil {
		return err
	}
	deadline := clock.Real{}.Now().Add(displayTimeout)
	c, err := d.dial(deadline)
	if err != nil {
		return fmt.Errorf("cannot open display %s: %v (is X running? is DISPLAY right?)", name, err)
	}
	defer c.Close()
	if err := c.SetDeadline(deadline); err != nil {
		return err
	}
	authName, authData := xauthCookie(d)
	if err := x11Setup(c, authName, authData); err != nil {
		return fmt.Errorf("cannot open display %s: %v", name, err)
	}
	return nil
}

// x11Setup sends the X11 connection setup and reads the server's verdict.
func x11Setup(c io.ReadWriter, authName string, authData []byte) error {
	pad := func(n int) int { return (4 - n%4) % 4 }
	req := make([]byte, 12, 12+len(authName)+pad(len(authName))+len(authData)+pad(len(authData)))
	req[0] = 'l' // little-endian
	binary.LittleEndian.PutUint16(req[2:], 11)
	binary.LittleEndian.PutUint16(req[4:], 0)
	binary.LittleEndian.PutUint16(req[6:], uint16(len(authName)))
	binary.LittleEndian.PutUint16(req[8:], uint16(len(authData)))
	req = append(req, authName...)
	req = append(req, make([]byte, pad(len(authName)))...)
	req = append(req, authData...)
	req = append(req, make([]byte, pad(len(authData)))...)
	if _, err := c.Write(req); err != nil {
		return fmt.Errorf("the X server did not take the connection: %w", err)
	}
	var hdr [8]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return fmt.Errorf("the X server did not answer: %w", err)
	}
	extra := int(binary.LittleEndian.Uint16(hdr[6:])) * 4
	switch hdr[0] {
	case 1:
		return nil
	case 0, 2: // failed, or more authentication wanted: a reason follows
		reason := make([]byte, min(extra, 4096))
		n, _ := io.ReadFull(c, reason)
		reason = reason[:n]
		if hdr[0] == 0 && int(hdr[1]) < len(reason) {
			reason = reason[:hdr[1]]
		}
		why := strings.TrimRight(string(reason), "\x00\n ")
		if why == "" {
			why = "refused"
		}
		return fmt.Errorf("the X server refused this client: %s (check XAUTHORITY: the kiosk must run as the X session's user, or with its cookie)", why)
	}
	return fmt.Errorf("the X server answered %d, not an X11 setup reply", hdr[0])
}

// Xauthority families.
const (
	familyInternet = 0
	familyLocal    = 256
	familyWild     = 65535
)

// xauthCookie finds the display's cookie in XAUTHORITY (default
// ~/.Xauthority), as Xlib does; none when there is no file or no entry
// (a server that needs none, or grants by host).
func xauthCookie(d x11Display) (string, []byte) {
	path := os.Getenv("XAUTHORITY")
	if path == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", nil
		}
		path = filepath.Join(home, ".Xauthority")
	}
	f, err := os.Open(path)
	if err != nil {
		return "", nil
	}
	defer f.Close()
	host, _ := os.Hostname()
	number := strconv.Itoa(d.number)
	r := bufio.NewReader(f)
	field := func() ([]byte, error) {
		var n uint16
		if err := binary.Read(r, binary.BigEndian, &n); err != nil {
			return nil, err
		}
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		return b, err
	}
	for {
		var family uint16
		if err := binary.Read(r, binary.BigEndian, &family); err != nil {
			return "", nil
		}
		addr, err1 := field()
		num, err2 := field()
		name, err3 := field()
		data, err4 := field()
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			return "", nil
		}
		if len(num) > 0 && string(num) != number {
			continue
		}
		switch {
		case family == familyWild:
		case family == familyLocal && d.local() && string(addr) == host:
		case family == familyLocal && !d.local() && string(addr) == d.host:
		case family == familyInternet && !d.local() && sameIP(addr, d.host):
		default:
			continue
		}
		return string(name), data
	}
}

func sameIP(addr []byte, host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.Equal(net.IP(addr))
}
