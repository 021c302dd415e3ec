package ui

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/record"
	"github.com/jezek/xgb/xproto"
)

// Recorder hears the X server's pointer events on connections of its own,
// through the RECORD extension, so that no tap is lost while the frame loop
// sleeps in glfw.WaitEvents: there GLFW keeps only the button's state after
// all the events it read at once, and a press and release read together
// (a quick tap, or any tap while a scene is being painted) would never be
// seen. Every press, motion with the button down and release of the first
// button is queued, in order and in the window's coordinates, and wakes the
// frame loop; the Manager feeds them to its Tracker in place of GLFW's
// state. A touchscreen arrives on X11 as this pointer.
type Recorder struct {
	ctl  *xgb.Conn // the control connection: the context, the window's place
	data net.Conn  // the data connection: EnableContext's replies, forever
	wake func()
	pid  uint32
	atom xproto.Atom // _NET_WM_PID

	mu      sync.Mutex
	queue   []Pointer
	failed  error // the data connection broke: the Manager falls back
	down    bool  // the first button is held (guarded by mu)
	win     xproto.Window
	dx, dy  int // the window's origin on the root, found at each press
	closing bool
}

// X protocol numbers the recorder uses.
const (
	xButtonPress   = 4
	xButtonRelease = 5
	xMotionNotify  = 6
	xGenericEvent  = 35
	recordEnable   = 5 // RECORD's EnableContext minor opcode
	recordFromSrv  = 0 // reply category: from the server (the device events)
)

// StartRecorder connects twice to $DISPLAY (the authority from XAUTHORITY,
// as any client) and records the device events ButtonPress, ButtonRelease
// and MotionNotify of every client. wake is called after each event queued.
// An error means no recording (no display, no RECORD extension, refused):
// the caller polls GLFW's state instead.
func StartRecorder(wake func()) (*Recorder, error) {
	ctl, err := xgb.NewConn()
	if err != nil {
		return nil, fmt.Errorf("ui: X record: %w", err)
	}
	r := &Recorder{ctl: ctl, wake: wake, pid: uint32(os.Getpid())}
	if err := r.start(); err != nil {
		ctl.Close()
		if r.data != nil {
			r.data.Close()
		}
		return nil, fmt.Errorf("ui: X record: %w", err)
	}
	go r.read()
	return r, nil
}

func (r *Recorder) start() error {
	if err := record.Init(r.ctl); err != nil {
		return err
	}
	if _, err := record.QueryVersion(r.ctl, 1, 13).Reply(); err != nil {
		return err
	}
	a, err := xproto.InternAtom(r.ctl, false, uint16(len("_NET_WM_PID")), "_NET_WM_PID").Reply()
	if err != nil {
		return err
	}
	r.atom = a.Atom
	ctx, err := record.NewContextId(r.ctl)
	if err != nil {
		return err
	}
	rg := record.Range{DeviceEvents: record.Range8{First: xButtonPress, Last: xMotionNotify}}
	if err := record.CreateContextChecked(r.ctl, ctx, 0, 1, 1,
		[]record.ClientSpec{record.CsAllClients}, []record.Range{rg}).Check(); err != nil {
		return err
	}
	r.ctl.ExtLock.RLock()
	major := r.ctl.Extensions["RECORD"]
	r.ctl.ExtLock.RUnlock()
	// EnableContext answers with one reply per recorded batch, all with
	// the request's sequence number: xgb takes one reply per request, so
	// the data connection speaks the protocol itself.
	if r.data, err = dialX(); err != nil {
		return err
	}
	req := make([]byte, 8)
	req[0], req[1] = major, recordEnable
	binary.LittleEndian.PutUint16(req[2:], 2)
	binary.LittleEndian.PutUint32(req[4:], uint32(ctx))
	_, err = r.data.Write(req)
	return err
}

// Close ends the recording.
func (r *Recorder) Close() {
	r.mu.Lock()
	r.closing = true
	r.mu.Unlock()
	r.data.Close()
	r.ctl.Close()
}

// Take returns the pointer's samples queued since the last call, oldest
// first; ok is false once the recording has broken (the caller falls back
// to polling), and err says why, once.
func (r *Recorder) Take() (samples []Pointer, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	samples, r.queue = r.queue, nil
	return samples, r.failed == nil
}

// Err is why the recording stopped, nil while it runs.
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

// read takes EnableContext's replies until the connection ends.
func (r *Recorder) read() {
	br := bufio.NewReader(r.data)
	head := make([]byte, 32)
	var body []byte
	for {
		if _, err := io.ReadFull(br, head); err != nil {
			r.fail(err)
			return
		}
		switch {
		case head[0] == 0:
			r.fail(fmt.Errorf("error %d from the X server on the record connection", head[1]))
			return
		case head[0]&0x7f == xGenericEvent:
			// Events come to every client unasked (MappingNotify when xdotool
			// or a keyboard changes the keymap): a generic one has a body.
		case head[0] != 1:
			continue
		}
		n := int(binary.LittleEndian.Uint32(head[4:])) * 4
		if cap(body) < n {
			body = make([]byte, n)
		}
		body = body[:n]
		if _, err := io.ReadFull(br, body); err != nil {
			r.fail(err)
			return
		}
		if head[0] != 1 || head[1] != recordFromSrv {
			continue
		}
		for ev := body; len(ev) >= 32; ev = ev[32:] {
			r.event(ev[:32])
		}
	}
}

func (r *Recorder) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		err = errors.New("closed")
	}
	r.failed = err
	r.wake()
}

// event queues one recorded core event (32 bytes, this client's byte
// order): presses and releases of the first button, and motion while it
// is held.
func (r *Recorder) event(ev []byte) {
	kind, detail := ev[0]&0x7f, ev[1]
	rx := int(int16(binary.LittleEndian.Uint16(ev[20:])))
	ry := int(int16(binary.LittleEndian.Uint16(ev[22:])))
	switch {
	case kind == xButtonPress && detail == 1:
		// The window's place, once per press: it moves only in windowed mode.
		dx, dy := r.origin()
		r.mu.Lock()
		r.dx, r.dy, r.down = dx, dy, true
	case kind == xButtonRelease && detail == 1:
		r.mu.Lock()
		r.down = false
	case kind == xMotionNotify:
		r.mu.Lock()
		if !r.down {
			r.mu.Unlock()
			return
		}
	default:
		return
	}
	r.queue = append(r.queue, Pointer{X: float64(rx - r.dx), Y: float64(ry - r.dy), Down: r.down})
	r.mu.Unlock()
	r.wake()
}

// origin is where this process's window is on the root window (0, 0 when
// it is not found: fullscreen puts it there).
func (r *Recorder) origin() (int, int) {
	if r.win == 0 {
		r.win = r.find(xproto.Setup(r.ctl).DefaultScreen(r.ctl).Root, 3)
	}
	if r.win == 0 {
		return 0, 0
	}
	root := xproto.Setup(r.ctl).DefaultScreen(r.ctl).Root
	t, err := xproto.TranslateCoordinates(r.ctl, r.win, root, 0, 0).Reply()
	if err != nil {
		r.win = 0 // gone: look again at the next press
		return 0, 0
	}
	return int(t.DstX), int(t.DstY)
}

// find is the window whose _NET_WM_PID is this process (GLFW sets it),
// searched depth levels below w (a window manager reparents).
func (r *Recorder) find(w xproto.Window, depth int) xproto.Window {
	tree, err := xproto.QueryTree(r.ctl, w).Reply()
	if err != nil {
		return 0
	}
	for _, c := range tree.Children {
		p, err := xproto.GetProperty(r.ctl, false, c, r.atom, xproto.AtomCardinal, 0, 1).Reply()
		if err == nil && p.Format == 32 && len(p.Value) >= 4 && xgb.Get32(p.Value) == r.pid {
			return c
		}
	}
	if depth > 1 {
		for _, c := range tree.Children {
			if f := r.find(c, depth-1); f != 0 {
				return f
			}
		}
	}
	return 0
}

// dialX opens $DISPLAY and sets the connection up, little-endian, with the
// authority XAUTHORITY (or ~/.Xauthority) holds for it, if any.
func dialX() (net.Conn, error) {
	display := os.Getenv("DISPLAY")
	colon := strings.LastIndexByte(display, ':')
	if colon < 0 {
		return nil, fmt.Errorf("DISPLAY %q: no display number", display)
	}
	host, num := display[:colon], display[colon+1:]
	if dot := strings.IndexByte(num, '.'); dot >= 0 {
		num = num[:dot]
	}
	n, err := strconv.Atoi(num)
	if err != nil {
		return nil, fmt.Errorf("DISPLAY %q: %v", display, err)
	}
	var c net.Conn
	switch {
	case strings.HasPrefix(host, "/"): // launchd-style socket path
		c, err = net.Dial("unix", display)
	case host == "" || host == "unix":
		c, err = net.Dial("unix", "/tmp/.X11-unix/X"+num)
	default:
		c, err = net.Dial("tcp", net.JoinHostPort(host, strconv.Itoa(6000+n)))
	}
	if err != nil {
		return nil, err
	}
	name, data := xauthority(host, num)
	pad := func(n int) int { return (4 - n%4) % 4 }
	req := make([]byte, 12, 12+len(name)+pad(len(name))+len(data)+pad(len(data)))
	req[0] = 'l'
	binary.LittleEndian.PutUint16(req[2:], 11)
	binary.LittleEndian.PutUint16(req[6:], uint16(len(name)))
	binary.LittleEndian.PutUint16(req[8:], uint16(len(data)))
	req = append(append(req, name...), make([]byte, pad(len(name)))...)
	req = append(append(req, data...), make([]byte, pad(len(data)))...)
	if _, err := c.Write(req); err != nil {
		c.Close()
		return nil, err
	}
	head := make([]byte, 8)
	if _, err := io.ReadFull(c, head); err != nil {
		c.Close()
		return nil, err
	}
	rest := make([]byte, int(binary.LittleEndian.Uint16(head[6:]))*4)
	if _, err := io.ReadFull(c, rest); err != nil {
		c.Close()
		return nil, err
	}
	if head[0] != 1 {
		c.Close()
		reason := rest
		if int(head[1]) <= len(rest) && head[0] == 0 {
			reason = rest[:head[1]]
		}
		return nil, fmt.Errorf("the X server refused the connection: %s", strings.TrimSpace(string(reason)))
	}
	return c, nil
}

// xauthority is the authority entry for the display: a local one of this
// host (or any host), or nothing.
func xauthority(host, num string) (name string, data []byte) {
	file := os.Getenv("XAUTHORITY")
	if file == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", nil
		}
		file = home + "/.Xauthority"
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", nil
	}
	if host == "" || host == "unix" || host == "localhost" || strings.HasPrefix(host, "/") {
		host, _ = os.Hostname()
	}
	const familyLocal, familyWild = 256, 65535
	field := func() ([]byte, bool) {
		if len(b) < 2 {
			return nil, false
		}
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+n {
			return nil, false
		}
		f := b[2 : 2+n]
		b = b[2+n:]
		return f, true
	}
	for len(b) >= 2 {
		family := binary.BigEndian.Uint16(b)
		b = b[2:]
		addr, ok1 := field()
		disp, ok2 := field()
		nm, ok3 := field()
		dt, ok4 := field()
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return "", nil
		}
		if (family == familyWild || family == familyLocal && string(addr) == host) &&
			(len(disp) == 0 || string(disp) == num) {
			return string(nm), dt
		}
	}
	return "", nil
}
