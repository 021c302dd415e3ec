// Package wedge reads USB keyboard-wedge card readers (键盘式读卡器): readers
// that present themselves as a keyboard and type the card number followed by
// Enter.
//
// The reader's input device is opened through evdev (/dev/input/eventN, or a
// stable /dev/input/by-id/... name) and grabbed exclusively (EVIOCGRAB,
// linux/input.h), so the typed digits reach this package and never the screen
// or the focused widget. The number is mapped by a Format to the UID bytes the
// MFRC522 reads from the same card.
package wedge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hongmajia/hongmajia/drivers/rfid"
)

// ioctl requests from linux/input.h: _IOW('E', 0x90, int) and _IOW('E', 0xa0, int).
const (
	evIOCGRAB     = 0x40044590
	evIOCSCLOCKID = 0x400445a0
)

// CardType is the Card.Type of a card read by a wedge: it cannot tell the card family.
const CardType = "wedge"

// Opts configures a keyboard-wedge reader.
type Opts struct {
	// Device is the reader's input device. Prefer the stable
	// /dev/input/by-id/usb-<vendor>_<model>-event-kbd name to eventN, whose
	// number changes with the order devices appear.
	Device string
	Format Format
	// MaxDigits bounds a number (default 20, at most 64).
	MaxDigits int
	// KeyTimeout is the longest pause inside a number (default 200 ms); a
	// reader types its number in a burst.
	KeyTimeout time.Duration
	// Layout of struct input_event; zero means the running program's.
	Layout Layout
	// Debounce: zero fields mean rfid.DefaultDebounceOpts. A wedge cannot see
	// a card leave: the same card typed again within the window is one tap.
	Debounce rfid.DebounceOpts
}

// DefaultOpts: a 10-digit decimal reader.
var DefaultOpts = Opts{
	Format:     DefaultFormat,
	MaxDigits:  20,
	KeyTimeout: 200 * time.Millisecond,
	Debounce:   rfid.DefaultDebounceOpts,
}

func (o *Opts) withDefaults() Opts {
	r := DefaultOpts
	if o != nil {
		r = *o
	}
	if r.Format.Base == 0 {
		r.Format.Base = DefaultFormat.Base
	}
	if r.Format.Order == 0 {
		r.Format.Order = DefaultFormat.Order
	}
	if r.MaxDigits <= 0 {
		r.MaxDigits = DefaultOpts.MaxDigits
	}
	if r.KeyTimeout <= 0 {
		r.KeyTimeout = DefaultOpts.KeyTimeout
	}
	if r.Layout == 0 {
		r.Layout = NativeLayout()
	}
	return r
}

// New returns the Reader for the wedge in opts.Device: it opens and grabs the
// device, reads numbers, debounces them, and opens the device again with
// backoff when it is unplugged. Nil opts means DefaultOpts, which has no
// Device: Run then reports the reader absent.
func New(clk rfid.Clock, opts *Opts) *rfid.Poller {
	o := opts.withDefaults()
	return newReader(func() (rfid.Detector, error) { return Open(&o) }, clk, &o)
}

func newReader(open func() (rfid.Detector, error), clk rfid.Clock, o *Opts) *rfid.Poller {
	return rfid.NewPoller(open, clk, &rfid.PollerOpts{
		Kind:     rfid.KindWedge,
		Name:     "wedge " + o.Device,
		Interval: 0, // Detect blocks until a number is typed
		Debounce: o.Debounce,
	})
}

// Dev is one opened and grabbed wedge reader; it implements rfid.Detector.
type Dev struct {
	name string
	src  source
	dec  *Decoder
	fmt  Format
}

// source is what a Dev reads events from: the device file, or a pipe in tests.
type source interface {
	io.ReadCloser
	SetReadDeadline(t time.Time) error
}

var _ rfid.Detector = (*Dev)(nil)

// Open opens opts.Device, resolves a by-id link to its eventN node, and grabs
// it. Errors are *rfid.Error: Absent when there is no such device, Fatal when
// it may not be opened or is not an input device or another program holds it.
func Open(opts *Opts) (*Dev, error) {
	o := opts.withDefaults()
	if o.Device == "" {
		return nil, &rfid.Error{Kind: rfid.Absent, Err: errors.New("wedge: no input device configured")}
	}
	path, err := filepath.EvalSymlinks(o.Device)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &rfid.Error{Kind: rfid.Absent, Err: fmt.Errorf("wedge: %s: no such input device (reader unplugged?)", o.Device)}
		}
		return nil, &rfid.Error{Kind: rfid.Fatal, Err: fmt.Errorf("wedge: resolve %s: %w", o.Device, err)}
	}
	// Non-blocking, so the file joins Go's poller and a read can be
	// interrupted by a deadline when the context ends.
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, openError(o.Device, path, err)
	}
	if err := unix.IoctlSetInt(fd, evIOCGRAB, 1); err != nil {
		unix.Close(fd)
		return nil, grabError(o.Device, path, err)
	}
	// Timestamps from the monotonic clock, so the pause between keys is not
	// upset by NTP stepping the wall clock; older kernels keep wall time.
	_ = unix.IoctlSetPointerInt(fd, evIOCSCLOCKID, unix.CLOCK_MONOTONIC)
	name := o.Device
	if path != o.Device {
		name = fmt.Sprintf("%s (%s)", o.Device, filepath.Base(path))
	}
	return newDev("wedge "+name, os.NewFile(uintptr(fd), path), &o), nil
}

func newDev(name string, src source, o *Opts) *Dev {
	return &Dev{
		name: name,
		src:  src,
		dec:  NewDecoder(src, o.Layout, o.MaxDigits, o.KeyTimeout),
		fmt:  o.Format,
	}
}

func openError(dev, path string, err error) error {
	switch {
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENODEV), errors.Is(err, unix.ENXIO):
		return &rfid.Error{Kind: rfid.Absent, Err: fmt.Errorf("wedge: open %s: no such input device (reader unplugged?)", dev)}
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		return &rfid.Error{Kind: rfid.Fatal, Err: fmt.Errorf("wedge: open %s: permission denied: add the kiosk user to the input group or install the udev rule (see README)", path)}
	}
	return &rfid.Error{Kind: rfid.Fatal, Err: fmt.Errorf("wedge: open %s: %w", path, err)}
}

func grabError(dev, path string, err error) error {
	switch {
	case errors.Is(err, unix.ENOTTY), errors.Is(err, unix.EINVAL):
		return &rfid.Error{Kind: rfid.Fatal, Err: fmt.Errorf("wedge: %s (%s) is not an input event device", dev, path)}
	case errors.Is(err, unix.EBUSY):
		return &rfid.Error{Kind: rfid.Fatal, Err: fmt.Errorf("wedge: %s is grabbed by another program", dev)}
	case errors.Is(err, unix.ENODEV):
		return &rfid.Error{Kind: rfid.Absent, Err: fmt.Errorf("wedge: %s: reader unplugged", dev)}
	}
	return &rfid.Error{Kind: rfid.Fatal, Err: fmt.Errorf("wedge: grab %s: %w", dev, err)}
}

// aLongTimeAgo is a read deadline that has passed whatever the clock says.
var aLongTimeAgo = time.Unix(1, 0)

// Detect blocks until a number is typed and Enter pressed, and returns it as
// a card. A number that had to be discarded is a transient error; the device
// vanishing (ENODEV, end of input) is Absent.
func (d *Dev) Detect(ctx context.Context) (rfid.Card, error) {
	stop := context.AfterFunc(ctx, func() { _ = d.src.SetReadDeadline(aLongTimeAgo) })
	defer func() {
		if !stop() {
			_ = d.src.SetReadDeadline(time.Time{})
		}
	}()
	digits, err := d.dec.Next()
	if err != nil {
		if ctx.Err() != nil {
			return rfid.Card{}, ctx.Err()
		}
		return rfid.Card{}, d.classify(err)
	}
	uid, err := d.fmt.UID(digits)
	if err != nil {
		return rfid.Card{}, &rfid.Error{Kind: rfid.Transient, Err: err}
	}
	return rfid.Card{UID: uid, Type: CardType}, nil
}

func (d *Dev) classify(err error) error {
	for _, discard := range []error{ErrGarbage, ErrTooLong, ErrKeyTimeout, ErrDropped, ErrNoEnter} {
		if errors.Is(err, discard) {
			return &rfid.Error{Kind: rfid.Transient, Err: err}
		}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ENODEV) || errors.Is(err, os.ErrClosed) {
		return &rfid.Error{Kind: rfid.Absent, Err: fmt.Errorf("%s: reader unplugged: %w", d.name, err)}
	}
	return &rfid.Error{Kind: rfid.Fatal, Err: fmt.Errorf("%s: %w", d.name, err)}
}

func (d *Dev) String() string { return d.name }

// Halt closes the device, which also releases the grab.
func (d *Dev) Halt() error {
	if err := d.src.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("wedge: close %s: %w", d.name, err)
	}
	return nil
}
