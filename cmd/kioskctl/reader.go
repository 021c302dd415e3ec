package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/spi"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/drivers/board"
	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/drivers/rfid/spirec"
	"github.com/hongmajia/hongmajia/drivers/wedge"
)

func init() {
	commands["reader"] = command{summary: "test a card reader: chip version, antenna, every tap", run: runReader}
}

const readerUsage = `usage: kioskctl reader test [--spi /dev/spidev0.0] [--reset PIN] [--irq PIN] [--record FILE]
       kioskctl reader test --wedge /dev/input/by-id/NAME [--wedge-format dec-lsb|dec-msb|hex-msb|hex-lsb]
Prints what the reader is, then every tap until Ctrl-C. PIN is a BCM GPIO
number (--reset 25, --irq 24). --record writes the SPI traffic to FILE for a
playback test.`

// openMFRC522 connects the MFRC522 driver to an SPI port; reader_mfrc522.go
// sets it, and tests put a fake in its place.
var openMFRC522 func(p spi.Port, reset gpio.PinOut, irq gpio.PinIn, logf func(format string, args ...any)) (rfid.Detector, error)

// readerTest is one run of `kioskctl reader test`; its fields are what a test
// replaces.
type readerTest struct {
	out       io.Writer
	clk       rfid.Clock
	interval  time.Duration                             // MFRC522 poll interval
	openPort  func(name string) (spi.PortCloser, error) // nil: periph's
	openWedge func(o *wedge.Opts) (rfid.Detector, error)

	mu       sync.Mutex   // out is written from the poller's goroutine too
	lastRead atomic.Int64 // ns the last successful Detect took
}

func newReaderTest(out io.Writer) *readerTest {
	return &readerTest{
		out:      out,
		clk:      clock.Real{},
		interval: rfid.DefaultPollerOpts.Interval,
		openWedge: func(o *wedge.Opts) (rfid.Detector, error) {
			d, err := wedge.Open(o)
			if err != nil {
				return nil, err
			}
			return d, nil
		},
	}
}

func (t *readerTest) printf(format string, a ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.out, format, a...)
}

func runReader(e *env, args []string) error {
	if len(args) == 0 || args[0] != "test" {
		fmt.Fprintln(e.stderr, readerUsage)
		return errUsage
	}
	fl := flag.NewFlagSet("reader test", flag.ContinueOnError)
	fl.SetOutput(e.stderr)
	fl.Usage = func() { fmt.Fprintln(e.stderr, readerUsage) }
	spiDev := fl.String("spi", "/dev/spidev0.0", "SPI device of the MFRC522")
	reset := fl.String("reset", "", "BCM GPIO wired to the MFRC522's RST (none when empty)")
	irq := fl.String("irq", "", "BCM GPIO wired to the MFRC522's IRQ (none when empty)")
	record := fl.String("record", "", "write the SPI traffic to this file")
	wedgeDev := fl.String("wedge", "", "test a keyboard-wedge reader at this input device instead")
	wedgeFmt := fl.String("wedge-format", "dec-lsb", "how the wedge types the number")
	if err := fl.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fl.Arg(0))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	t := newReaderTest(e.stdout)
	if *wedgeDev != "" {
		f, err := parseWedgeFormat(*wedgeFmt)
		if err != nil {
			return err
		}
		return t.wedge(ctx, *wedgeDev, f)
	}
	return t.mfrc522(ctx, *spiDev, *reset, *irq, *record)
}

func parseWedgeFormat(s string) (wedge.Format, error) {
	f, err := wedge.ParseFormat(s)
	if err != nil {
		return f, fmt.Errorf("%w: --wedge-format %q: want %s", errUsage, s, wedge.FormatNames)
	}
	return f, nil
}

func (t *readerTest) mfrc522(ctx context.Context, dev, reset, irq, record string) error {
	// What is missing is said before a recording is created.
	if err := board.CheckSPI(dev); err != nil {
		return err
	}
	if openMFRC522 == nil {
		return errors.New("this kioskctl was built without the MFRC522 driver")
	}
	var rec *spirec.Writer // set below, once the pins are known to exist
	open, err := board.MFRC522{
		SPI:   dev,
		Reset: board.Pin{Setting: "--reset", Name: reset},
		IRQ:   board.Pin{Setting: "--irq", Name: irq},
		Logf:  func(format string, args ...any) { t.printf(format+"\n", args...) },
		Tap: func(p spi.Port) spi.Port {
			if rec == nil {
				return p
			}
			return spirec.Record(p, rec)
		},
		OpenPort: t.openPort,
		OpenChip: openMFRC522,
	}.Opener()
	if err != nil {
		return err
	}
	if record != "" {
		f, err := os.Create(record)
		if err != nil {
			return fmt.Errorf("create recording: %w", err)
		}
		defer func() {
			if err := f.Close(); err != nil {
				t.printf("recording %s: %v\n", record, err)
			}
		}()
		if rec, err = spirec.NewWriter(f); err != nil {
			return err
		}
		defer func() {
			if err := rec.Err(); err != nil {
				t.printf("recording %s incomplete: %v\n", record, err)
				return
			}
			t.printf("SPI traffic recorded in %s\n", record)
		}()
	}
	return t.run(ctx, rfid.KindMFRC522, "mfrc522 "+dev, t.interval, open, describeMFRC522, nil)
}

// chipVersions names VersionReg values (datasheet §9.3.4.8) and the clones
// found on cheap modules.
var chipVersions = map[byte]string{
	0x91: "MFRC522 v1.0",
	0x92: "MFRC522 v2.0",
	0x88: "FM17522 clone",
	0x12: "clone",
}

func describeMFRC522(d rfid.Detector) string {
	if c, ok := d.(interface{ Chip() rfid.Detector }); ok {
		d = c.Chip() // the driver's, under the port board closes with it
	}
	s := d.String()
	if v, ok := d.(interface{ Version() byte }); ok {
		name := chipVersions[v.Version()]
		if name == "" {
			name = "a version the driver does not know; it may still work"
		}
		s += fmt.Sprintf(": chip version 0x%02X (%s)", v.Version(), name)
	}
	if a, ok := d.(interface{ AntennaOn() (bool, error) }); ok {
		switch on, err := a.AntennaOn(); {
		case err != nil:
			s += fmt.Sprintf(", antenna state unreadable: %v", err)
		case on:
			s += ", antenna on"
		default:
			s += ", antenna OFF"
		}
	}
	return s
}

func (t *readerTest) wedge(ctx context.Context, dev string, f wedge.Format) error {
	o := wedge.DefaultOpts
	o.Device, o.Format = dev, f
	open := func() (rfid.Detector, error) { return t.openWedge(&o) }
	describe := func(d rfid.Detector) string {
		return fmt.Sprintf("%s: grabbed (typed digits no longer reach the screen), format %s", d, f)
	}
	other := wedge.MSBFirst
	if f.Order == wedge.MSBFirst {
		other = wedge.LSBFirst
	}
	tapNote := func(uid rfid.UID) string {
		return fmt.Sprintf("  typed %s; read %s it would be %s", f.Number(uid), other, reversed(uid))
	}
	return t.run(ctx, rfid.KindWedge, "wedge "+dev, 0, open, describe, tapNote)
}

func reversed(u rfid.UID) string {
	r := make(rfid.UID, len(u))
	for i, b := range u {
		r[len(u)-1-i] = b
	}
	return r.Hex()
}

// run opens the reader once, failing with its error when it is not there,
// then prints every event and status change until ctx ends.
func (t *readerTest) run(ctx context.Context, kind rfid.Kind, name string, interval time.Duration,
	open func() (rfid.Detector, error), describe func(rfid.Detector) string, tapNote func(rfid.UID) string) error {
	first, err := open()
	if err != nil {
		return err
	}
	t.printf("%s\n", describe(first))
	t.printf("waiting for cards; Ctrl-C to stop\n")
	opened := false
	opener := func() (rfid.Detector, error) {
		d := first
		if opened {
			if d, err = open(); err != nil {
				return nil, err
			}
			t.printf("reopened: %s\n", describe(d))
		}
		opened = true
		return &timedDetector{Detector: d, t: t}, nil
	}
	p := rfid.NewPoller(opener, t.clk, &rfid.PollerOpts{
		Kind:     kind,
		Name:     name,
		Interval: interval,
		OnStatus: func(s rfid.Status) {
			if s.State != rfid.StateOK && s.State != rfid.StateStopped {
				t.printf("%s %s: %v; retrying at %s\n", stamp(t.clk.Now()), s.State, s.Err, stamp(s.Retry))
			}
		},
	})
	events := make(chan rfid.Event) // unbuffered: lastRead belongs to the event received
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, events) }()
	for {
		select {
		case ev := <-events:
			t.printEvent(ev, kind, tapNote)
		case <-done:
			t.printf("%s\n", p.Status())
			return nil
		}
	}
}

func (t *readerTest) printEvent(ev rfid.Event, kind rfid.Kind, tapNote func(rfid.UID) string) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %-4s %-20s", stamp(ev.Tap.At), ev.Kind, ev.Tap.UID.Hex())
	if ev.Tap.Type != "" {
		fmt.Fprintf(&b, " %s", ev.Tap.Type)
	}
	if ev.Kind == rfid.EventTap {
		if kind == rfid.KindMFRC522 {
			// from the first answer to REQA to the UID complete
			fmt.Fprintf(&b, " (field to UID %v)", time.Duration(t.lastRead.Load()).Round(10*time.Microsecond))
		}
		if tapNote != nil {
			b.WriteString(tapNote(ev.Tap.UID))
		}
	}
	t.printf("%s\n", b.String())
}

func stamp(at time.Time) string { return at.Format("15:04:05.000") }

// timedDetector measures how long each successful Detect took.
type timedDetector struct {
	rfid.Detector
	t *readerTest
}

func (d *timedDetector) Detect(ctx context.Context) (rfid.Card, error) {
	start := d.t.clk.Now()
	c, err := d.Detector.Detect(ctx)
	if err == nil {
		d.t.lastRead.Store(int64(d.t.clk.Now().Sub(start)))
	}
	return c, err
}
