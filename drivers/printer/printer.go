// Package printer prints pickup slips on an ESC/POS receipt printer, the
// cheap 58 mm and 80 mm thermal printers sold with a USB port (the kernel's
// usblp driver: /dev/usb/lp0) or a serial one (/dev/ttyUSB0, /dev/ttyS0,
// 9600 or 19200 baud).
//
// A slip is ESC/POS text: ESC @ resets the printer, FS & switches it to its
// Chinese mode, where it reads two-byte GB18030 (GBK) characters, GS !
// prints the pickup code at double width and height, and GS V cuts the paper
// (a printer without a cutter ignores it). GB18030 is the character set every
// printer sold in China must take; its first two-byte range is GBK's.
//
// The device is opened for each slip and closed after it, so a printer
// switched off, unplugged or out of paper costs one slip, never the next.
package printer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Slip is one pickup slip, in words: the kiosk takes them from its string
// catalog and formats the time in the center's zone; the printer only lays
// them out.
type Slip struct {
	Heading   string // the center's name, at the top
	Title     string // what the slip is ("兑换凭证")
	Lines     []Line // label and value, one a line: the item, the points, the time
	CodeLabel string // the code's label ("取货码")
	Code      string // the pickup code, printed large
	Footer    string // the last words ("请凭取货码到服务台领取")
}

// Line is one "label：value" line.
type Line struct{ Label, Value string }

// ESC/POS commands (Epson's ESC/POS reference; the Chinese-mode FS commands
// as the Chinese printers implement them).
var (
	cmdInit        = []byte{0x1B, '@'}       // ESC @: reset the printer
	cmdChineseOn   = []byte{0x1C, '&'}       // FS &: two-byte characters
	cmdChineseOff  = []byte{0x1C, '.'}       // FS .: one-byte characters
	cmdAlignLeft   = []byte{0x1B, 'a', 0}    // ESC a 0
	cmdAlignCenter = []byte{0x1B, 'a', 1}    // ESC a 1
	cmdBoldOn      = []byte{0x1B, 'E', 1}    // ESC E 1
	cmdBoldOff     = []byte{0x1B, 'E', 0}    // ESC E 0
	cmdSizeNormal  = []byte{0x1D, '!', 0x00} // GS ! 0
	cmdSizeDouble  = []byte{0x1D, '!', 0x11} // GS !: double width and height
	cmdFeed        = []byte{0x1B, 'd', 4}    // ESC d 4: feed past the cutter
	cmdCut         = []byte{0x1D, 'V', 1}    // GS V 1: partial cut
)

// Encode returns the bytes of s for the printer.
func Encode(s Slip) ([]byte, error) {
	var b bytes.Buffer
	enc := simplifiedchinese.GB18030.NewEncoder()
	text := func(v string) error {
		out, err := enc.String(clean(v))
		if err != nil {
			return fmt.Errorf("printer: encode %q: %w", v, err)
		}
		b.WriteString(out)
		b.WriteByte('\n')
		return nil
	}
	b.Write(cmdInit)
	b.Write(cmdChineseOn)
	b.Write(cmdAlignCenter)
	b.Write(cmdBoldOn)
	if err := text(s.Heading); err != nil {
		return nil, err
	}
	b.Write(cmdBoldOff)
	if err := text(s.Title); err != nil {
		return nil, err
	}
	b.Write(cmdAlignLeft)
	for _, l := range s.Lines {
		if err := text(l.Label + "：" + l.Value); err != nil {
			return nil, err
		}
	}
	b.Write(cmdAlignCenter)
	if err := text(s.CodeLabel); err != nil {
		return nil, err
	}
	b.Write(cmdSizeDouble)
	if err := text(s.Code); err != nil {
		return nil, err
	}
	b.Write(cmdSizeNormal)
	if err := text(s.Footer); err != nil {
		return nil, err
	}
	b.Write(cmdChineseOff)
	b.Write(cmdFeed)
	b.Write(cmdCut)
	return b.Bytes(), nil
}

// clean drops control characters: an item's name must never carry a
// printer command (a cut, a reset) or break its line.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7F {
			return -1
		}
		return r
	}, s)
}

// Bauds a serial printer may be set to.
var bauds = map[int]uint32{
	1200: unix.B1200, 2400: unix.B2400, 4800: unix.B4800, 9600: unix.B9600,
	19200: unix.B19200, 38400: unix.B38400, 57600: unix.B57600, 115200: unix.B115200,
}

// DefaultBaud is the serial speed most ESC/POS printers leave the factory with.
const DefaultBaud = 9600

// ValidBaud reports whether baud is a speed the serial line can be set to.
func ValidBaud(baud int) bool {
	_, ok := bauds[baud]
	return ok
}

// Printer prints on one device. Its methods are safe for concurrent use:
// slips never interleave.
type Printer struct {
	dev  string
	baud int
	mu   sync.Mutex
}

// New returns the printer on dev, a USB printer (/dev/usb/lp0) or a serial
// port (set to baud; 0 is DefaultBaud). Nothing is opened yet.
func New(dev string, baud int) *Printer {
	if baud == 0 {
		baud = DefaultBaud
	}
	return &Printer{dev: dev, baud: baud}
}

func (p *Printer) String() string { return p.dev }

// aLongTimeAgo is a write deadline that has passed whatever the clock says.
var aLongTimeAgo = time.Unix(1, 0)

// Print opens the device, prints s and closes it. When ctx ends first, the
// write stops and Print returns ctx's error: a printer that takes nothing
// (switched off, out of paper, a serial line stuck) costs its caller no more
// than ctx allows.
func (p *Printer) Print(ctx context.Context, s Slip) error {
	data, err := Encode(s)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := p.open()
	if err != nil {
		return err
	}
	// Non-blocking, the file is in Go's poller: a deadline can end a write
	// the device does not take.
	stop := context.AfterFunc(ctx, func() { _ = f.SetWriteDeadline(aLongTimeAgo) })
	_, werr := f.Write(data)
	stop()
	if werr != nil {
		discard(f) // so that closing a serial port does not wait for it
	}
	cerr := f.Close()
	switch {
	case werr != nil && ctx.Err() != nil:
		return fmt.Errorf("printer: write %s: %w", p.dev, ctx.Err())
	case werr != nil:
		return fmt.Errorf("printer: write %s: %w", p.dev, werr)
	case cerr != nil:
		return fmt.Errorf("printer: close %s: %w", p.dev, cerr)
	}
	return nil
}

// discard drops what a serial port still holds to send; for other devices
// it does nothing.
func discard(f *os.File) {
	if rc, err := f.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) { _ = unix.IoctlSetInt(int(fd), unix.TCFLSH, unix.TCOFLUSH) })
	}
}

// Check opens the device for writing and closes it again: nil when a slip
// could be printed now.
func (p *Printer) Check() error {
	f, err := p.open()
	if err != nil {
		return err
	}
	return f.Close()
}

// open opens the device for writing; a serial port has its line set.
func (p *Printer) open() (*os.File, error) {
	// O_APPEND only matters to a file standing in for the printer.
	f, err := os.OpenFile(p.dev, os.O_WRONLY|os.O_APPEND|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("printer: %w", err) // "open /dev/usb/lp0: ..."
	}
	if err := p.setLine(f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// setLine sets a serial port to raw 8N1 at the printer's baud, with no flow
// control: bytes go out as they are, LF unchanged. A device that is not a
// terminal (a USB printer) is left alone.
func (p *Printer) setLine(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return fmt.Errorf("printer: %s: %w", p.dev, err)
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		t, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		if errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.EINVAL) {
			return // not a serial port
		}
		if err != nil {
			serr = fmt.Errorf("printer: read serial settings of %s: %w", p.dev, err)
			return
		}
		speed := bauds[p.baud]
		t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF | unix.IXANY
		t.Oflag &^= unix.OPOST
		t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		t.Cflag &^= unix.CSIZE | unix.PARENB | unix.CSTOPB | unix.CRTSCTS | unix.CBAUD
		t.Cflag |= unix.CS8 | unix.CREAD | unix.CLOCAL | speed
		t.Ispeed, t.Ospeed = speed, speed
		if err := unix.IoctlSetTermios(int(fd), unix.TCSETS, t); err != nil {
			serr = fmt.Errorf("printer: set %s to %d baud: %w", p.dev, p.baud, err)
		}
	})
	if err != nil {
		return fmt.Errorf("printer: %s: %w", p.dev, err)
	}
	return serr
}
