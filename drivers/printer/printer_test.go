package printer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/text/encoding/simplifiedchinese"
)

var slip = Slip{
	Heading:   "和平里街道党群服务中心",
	Title:     "兑换凭证",
	Lines:     []Line{{"物品", "金龙鱼食用油 5L"}, {"使用积分", "120"}, {"剩余积分", "380"}, {"兑换时间", "2026-05-01 14:03"}},
	CodeLabel: "取货码",
	Code:      "4827",
	Footer:    "请凭取货码到服务台领取",
}

// printed is what a slip's bytes do on paper, as the test reads them back.
type printed struct {
	commands []string // every command in order: "ESC @", "GS ! 11", …
	lines    []line
}

// line is a printed line of text with the modes in force when it was sent.
type line struct {
	text     string
	chinese  bool // FS & was in force
	centered bool
	bold     bool
	size     byte // GS ! value
}

// parse reads ESC/POS bytes as a printer would: the commands a slip uses,
// and text up to each LF, two-byte GB18030 in Chinese mode. Anything else
// fails the test, so a stray command byte in the text shows.
func parse(t *testing.T, data []byte) printed {
	t.Helper()
	var (
		p   printed
		cur line
		buf []byte
	)
	dec := simplifiedchinese.GB18030.NewDecoder()
	arg := func(i int) byte {
		if i >= len(data) {
			t.Fatalf("command at the end of the data has no argument: % X", data[max(0, i-3):])
		}
		return data[i]
	}
	for i := 0; i < len(data); i++ {
		b := data[i]
		switch {
		case b == 0x1B && arg(i+1) == '@':
			p.commands = append(p.commands, "ESC @")
			cur = line{}
			i++
		case b == 0x1B && arg(i+1) == 'a':
			p.commands = append(p.commands, fmt.Sprintf("ESC a %d", arg(i+2)))
			cur.centered = data[i+2] == 1
			i += 2
		case b == 0x1B && arg(i+1) == 'E':
			p.commands = append(p.commands, fmt.Sprintf("ESC E %d", arg(i+2)))
			cur.bold = data[i+2] == 1
			i += 2
		case b == 0x1B && arg(i+1) == 'd':
			p.commands = append(p.commands, fmt.Sprintf("ESC d %d", arg(i+2)))
			i += 2
		case b == 0x1D && arg(i+1) == '!':
			p.commands = append(p.commands, fmt.Sprintf("GS ! %02X", arg(i+2)))
			cur.size = data[i+2]
			i += 2
		case b == 0x1D && arg(i+1) == 'V':
			p.commands = append(p.commands, fmt.Sprintf("GS V %d", arg(i+2)))
			i += 2
		case b == 0x1C && arg(i+1) == '&':
			p.commands = append(p.commands, "FS &")
			cur.chinese = true
			i++
		case b == 0x1C && arg(i+1) == '.':
			p.commands = append(p.commands, "FS .")
			cur.chinese = false
			i++
		case b == '\n':
			s, err := dec.Bytes(buf)
			if err != nil {
				t.Fatalf("line % X is not GB18030: %v", buf, err)
			}
			l := cur
			l.text = string(s)
			p.lines = append(p.lines, l)
			p.commands = append(p.commands, "LF")
			buf = buf[:0]
		case b < 0x20 || b == 0x7F:
			t.Fatalf("unknown control byte %02X at %d: % X", b, i, data[i:min(len(data), i+8)])
		case b >= 0x80 && !cur.chinese:
			t.Fatalf("two-byte text outside Chinese mode at %d", i)
		default:
			buf = append(buf, b)
		}
	}
	if len(buf) > 0 {
		t.Fatalf("text % X never ends with LF", buf)
	}
	return p
}

func (p printed) find(text string) (line, bool) {
	for _, l := range p.lines {
		if l.text == text {
			return l, true
		}
	}
	return line{}, false
}

func TestEncodeSlip(t *testing.T) {
	data, err := Encode(slip)
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, data)
	if p.commands[0] != "ESC @" || p.commands[1] != "FS &" {
		t.Errorf("slip starts with %q, want ESC @ then FS &", p.commands[:2])
	}
	if n := len(p.commands); n < 3 || p.commands[n-3] != "FS ." || p.commands[n-2] != "ESC d 4" || p.commands[n-1] != "GS V 1" {
		t.Errorf("slip ends with %q, want FS ., a feed and a cut", p.commands[max(0, n-3):])
	}
	for _, want := range []struct {
		text     string
		centered bool
		bold     bool
		size     byte
	}{
		{"和平里街道党群服务中心", true, true, 0},
		{"兑换凭证", true, false, 0},
		{"物品：金龙鱼食用油 5L", false, false, 0},
		{"使用积分：120", false, false, 0},
		{"剩余积分：380", false, false, 0},
		{"兑换时间：2026-05-01 14:03", false, false, 0},
		{"取货码", true, false, 0},
		{"4827", true, false, 0x11},
		{"请凭取货码到服务台领取", true, false, 0},
	} {
		l, ok := p.find(want.text)
		switch {
		case !ok:
			t.Errorf("no line %q in %+v", want.text, p.lines)
		case !l.chinese || l.centered != want.centered || l.bold != want.bold || l.size != want.size:
			t.Errorf("line %q printed as %+v, want centred %v, bold %v, size %02X", want.text, l, want.centered, want.bold, want.size)
		}
	}
	if len(p.lines) != 9 {
		t.Errorf("%d lines, want 9: %+v", len(p.lines), p.lines)
	}
}

// A name holding printer commands prints as text: no cut, no reset, no
// line break from it.
func TestEncodeDropsControlCharacters(t *testing.T) {
	s := slip
	s.Lines = []Line{{"物品", "大米\x1dV\x01\x1b@\n5kg"}}
	data, err := Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, data)
	if _, ok := p.find("物品：大米V@5kg"); !ok {
		t.Fatalf("lines %+v, want the name without its control bytes", p.lines)
	}
	if got := strings.Count(strings.Join(p.commands, ","), "GS V"); got != 1 {
		t.Fatalf("%d cuts, want 1: %q", got, p.commands)
	}
}

// A character outside GBK (a CJK Extension B name) still encodes, in
// GB18030's four bytes.
func TestEncodeBeyondGBK(t *testing.T) {
	s := slip
	s.Lines = []Line{{"物品", "𠀾茶"}}
	data, err := Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := parse(t, data).find("物品：𠀾茶"); !ok {
		t.Fatal("a name beyond GBK does not round-trip")
	}
}

// A file stands in for /dev/usb/lp0: a USB printer takes the bytes as they
// are.
func TestPrintToFile(t *testing.T) {
	dev := filepath.Join(t.TempDir(), "lp0")
	if err := os.WriteFile(dev, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p := New(dev, 0)
	if err := p.Check(); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if err := p.Print(context.Background(), slip); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(dev)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Encode(slip)
	if !bytes.Equal(got, want) {
		t.Fatalf("device got % X\nwant % X", got, want)
	}
	if _, ok := parse(t, got).find("物品：金龙鱼食用油 5L"); !ok {
		t.Fatal("the item's name is not on the slip")
	}
}

// Slips printed at once come out one after the other, never interleaved.
func TestPrintSerializesSlips(t *testing.T) {
	dev := filepath.Join(t.TempDir(), "lp0")
	if err := os.WriteFile(dev, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p := New(dev, 0)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := slip
			s.Code = fmt.Sprintf("%04d", i)
			if err := p.Print(context.Background(), s); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, err := os.ReadFile(dev)
	if err != nil {
		t.Fatal(err)
	}
	one, _ := Encode(slip)
	if len(got) != 8*len(one) {
		t.Fatalf("%d bytes, want 8 slips of %d", len(got), len(one))
	}
	for i := range 8 {
		chunk := got[i*len(one) : (i+1)*len(one)]
		if !bytes.HasPrefix(chunk, cmdInit) || !bytes.HasSuffix(chunk, cmdCut) {
			t.Fatalf("slip %d is not whole: % X", i, chunk)
		}
	}
}

// openPTY returns a pseudo-terminal's master and the path of its slave: a
// serial port whose far end the test reads.
func openPTY(t *testing.T) (*os.File, string) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	var (
		n    uint32
		perr error
	)
	rc, err := m.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Control(func(fd uintptr) {
		if perr = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); perr == nil {
			n, perr = unix.IoctlGetUint32(int(fd), unix.TIOCGPTN)
		}
	}); err != nil || perr != nil {
		t.Fatalf("unlock pty: %v %v", err, perr)
	}
	return m, fmt.Sprintf("/dev/pts/%d", n)
}

// A serial printer: the line is set raw at the configured baud, and the far
// end receives the slip byte for byte (no LF turned into CR LF).
func TestPrintToSerialPort(t *testing.T) {
	m, dev := openPTY(t)
	// Hold the slave open so its settings outlive Print's close.
	hold, err := os.OpenFile(dev, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	want, _ := Encode(slip)
	got := make(chan []byte, 1)
	go func() {
		b := make([]byte, 0, len(want))
		buf := make([]byte, 4096)
		for len(b) < len(want) {
			n, err := m.Read(buf)
			b = append(b, buf[:n]...)
			if err != nil {
				break
			}
		}
		got <- b
	}()
	if err := New(dev, 19200).Print(context.Background(), slip); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-got:
		if !bytes.Equal(b, want) {
			t.Fatalf("far end got % X\nwant % X", b, want)
		}
		if _, ok := parse(t, b).find("取货码"); !ok {
			t.Fatal("the code's label is not on the slip")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the slip did not reach the far end")
	}
	tio, err := unix.IoctlGetTermios(int(hold.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if tio.Cflag&unix.CBAUD != unix.B19200 || tio.Cflag&unix.CSIZE != unix.CS8 || tio.Oflag&unix.OPOST != 0 || tio.Cflag&unix.CRTSCTS != 0 {
		t.Fatalf("line set to cflag %#o oflag %#o, want 19200 baud, 8 bits, raw, no flow control", tio.Cflag, tio.Oflag)
	}
}

func TestPrintMissingDevice(t *testing.T) {
	dev := filepath.Join(t.TempDir(), "lp9")
	err := New(dev, 0).Print(context.Background(), slip)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), dev) || !strings.HasPrefix(err.Error(), "printer: ") {
		t.Fatalf("Print on a missing device = %v", err)
	}
	if err := New(dev, 0).Check(); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Check on a missing device = %v", err)
	}
}

// A printer that takes nothing (a FIFO nobody reads stands in for one out
// of paper) holds its caller no longer than the context allows.
func TestPrintEndsWithContext(t *testing.T) {
	dev := filepath.Join(t.TempDir(), "lp0")
	if err := unix.Mkfifo(dev, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := os.OpenFile(dev, os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s := slip
	s.Footer = strings.Repeat("纸", 100_000) // more than a pipe holds
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- New(dev, 0).Print(ctx, s) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Print = %v, want the context's deadline", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Print still blocked 5 s after its context ended")
	}
	// The printer is free again for the next slip.
	if _, err := io.Copy(io.Discard, r); err != nil && !errors.Is(err, unix.EAGAIN) {
		t.Fatal(err)
	}
}

func TestValidBaud(t *testing.T) {
	for baud, want := range map[int]bool{9600: true, 19200: true, 115200: true, 0: false, 9601: false, -1: false} {
		if ValidBaud(baud) != want {
			t.Errorf("ValidBaud(%d) = %v", baud, !want)
		}
	}
}
