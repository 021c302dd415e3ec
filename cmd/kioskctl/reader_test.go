package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spitest"

	"github.com/hongmajia/hongmajia/drivers/board"
	"github.com/hongmajia/hongmajia/drivers/mfrc522"
	"github.com/hongmajia/hongmajia/drivers/mfrc522/chipsim"
	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/drivers/rfid/spirec"
	"github.com/hongmajia/hongmajia/drivers/wedge"
)

func runCmd(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(&env{stdout: &out, stderr: &errb}, args)
	return code, out.String(), errb.String()
}

func TestReaderTestNoHardware(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "spidev0.0")
	if err := os.WriteFile(plain, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no SPI device", []string{"reader", "test", "--spi", filepath.Join(dir, "spidev9.9")}, 1,
			"no SPI device " + filepath.Join(dir, "spidev9.9") + ": enable SPI with dtparam=spi=on in /boot/firmware/config.txt"},
		{"not a character device", []string{"reader", "test", "--spi", plain}, 1, "is not an SPI device"},
		{"no wedge", []string{"reader", "test", "--wedge", filepath.Join(dir, "event7")}, 1, "no such input device"},
		{"wedge not an input device", []string{"reader", "test", "--wedge", plain}, 1, "is not an input event device"},
		{"bad wedge format", []string{"reader", "test", "--wedge", plain, "--wedge-format", "octal"}, 2, `--wedge-format "octal"`},
		{"no subcommand", []string{"reader"}, 2, "usage: kioskctl reader test"},
		{"unknown subcommand", []string{"reader", "calibrate"}, 2, "usage: kioskctl reader test"},
		{"stray argument", []string{"reader", "test", "now"}, 2, `unexpected argument "now"`},
		{"unknown flag", []string{"reader", "test", "--speed", "9"}, 2, "flag provided but not defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCmd(tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.msg) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.msg)
			}
		})
	}
}

// TestReaderTestHints: kioskctl says what is wrong and what the technician
// does in the words the kiosk logs (package board's).
func TestReaderTestHints(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "spidev0.0")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--spi", missing}, "kioskctl reader: absent: no SPI device " + missing + ": " + board.HintEnableSPI + "\n"},
		{[]string{"--spi", "/dev/null", "--reset", "99"}, "kioskctl reader: --reset 99: no such GPIO pin: " + board.HintPinName + "\n"},
		{[]string{"--spi", "/dev/null", "--irq", "GPIO_NO_SUCH_PIN"}, "kioskctl reader: --irq GPIO_NO_SUCH_PIN: no such GPIO pin: " + board.HintPinName + "\n"},
	} {
		code, stdout, stderr := runCmd(append([]string{"reader", "test"}, tc.args...)...)
		if code != 1 || stderr != tc.want || stdout != "" {
			t.Errorf("reader test %q: exit %d, stdout %q, stderr\n%s\nwant\n%s", tc.args, code, stdout, stderr, tc.want)
		}
	}
}

func TestReaderTestWiresTheDriver(t *testing.T) {
	if openMFRC522 == nil {
		t.Fatal("reader_mfrc522.go did not wire the MFRC522 driver")
	}
	// a port with nothing on it: the driver reads VersionReg 0x00 and refuses
	chip := &spitest.Playback{Playback: conntest.Playback{DontPanic: true}}
	_, err := openMFRC522(chip, nil, nil, nil)
	if err == nil {
		t.Fatal("the driver opened a port with no chip")
	}
}

func TestReaderTestWithoutDriver(t *testing.T) {
	saved := openMFRC522
	openMFRC522 = nil
	defer func() { openMFRC522 = saved }()
	code, _, stderr := runCmd("reader", "test", "--spi", "/dev/null")
	if code != 1 || !strings.Contains(stderr, "built without the MFRC522 driver") {
		t.Fatalf("exit %d, %q", code, stderr)
	}
}

// syncBuffer is a bytes.Buffer safe for the printer and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// chipDetector stands in for the MFRC522 driver: it reads VersionReg over the
// SPI connection as the driver does at start, then finds one card.
type chipDetector struct {
	c       spi.Conn
	version byte
	mu      sync.Mutex
	polls   int
}

func (d *chipDetector) Detect(context.Context) (rfid.Card, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.polls++
	if d.polls == 2 {
		return rfid.Card{UID: rfid.UID{0xde, 0xad, 0xbe, 0xef}, Type: "MIFARE Classic 1K"}, nil
	}
	return rfid.Card{}, rfid.ErrNoCard
}
func (d *chipDetector) String() string { return "MFRC522{playback}" }
func (d *chipDetector) Halt() error    { return nil }
func (d *chipDetector) Version() byte  { return d.version }

// AntennaOn reads TxControlReg as the driver does; the clone's antenna is off.
func (d *chipDetector) AntennaOn() (bool, error) { return d.version != 0x88, nil }

// VersionReg (0x37) read: address byte (0x37<<1)|0x80, then a dummy byte.
var versionRead = conntest.IO{W: []byte{0xee, 0x00}, R: []byte{0x00, 0x92}}

func fakeChip(p spi.Port, _ gpio.PinOut, _ gpio.PinIn, _ func(string, ...any)) (rfid.Detector, error) {
	c, err := p.Connect(4*physic.MegaHertz, spi.Mode0, 8)
	if err != nil {
		return nil, err
	}
	r := make([]byte, 2)
	if err := c.Tx(versionRead.W, r); err != nil {
		return nil, err
	}
	return &chipDetector{c: c, version: r[1]}, nil
}

// withDriver puts open in the place of the MFRC522 driver for the test, and
// returns a reader test polling every millisecond.
func withDriver(t *testing.T, open func(spi.Port, gpio.PinOut, gpio.PinIn, func(string, ...any)) (rfid.Detector, error)) (*readerTest, *syncBuffer) {
	saved := openMFRC522
	openMFRC522 = open
	t.Cleanup(func() { openMFRC522 = saved })
	out := &syncBuffer{}
	rt := newReaderTest(out)
	rt.interval = time.Millisecond
	return rt, out
}

// untilPrinted waits until the output holds s.
func untilPrinted(t *testing.T, out *syncBuffer, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("%q never printed:\n%s", s, out.String())
		}
		time.Sleep(time.Millisecond)
	}
}

// recordUntilTap runs `reader test --record` until card DEADBEEF is printed,
// and returns the output, the capture's path and its sessions.
func recordUntilTap(t *testing.T, rt *readerTest, out *syncBuffer) (string, string, []spirec.Session) {
	t.Helper()
	record := filepath.Join(t.TempDir(), "capture.spi")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- rt.mfrc522(ctx, "/dev/null", "", "", record) }()
	untilPrinted(t, out, "DEADBEEF")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(record)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sessions, err := spirec.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), record, sessions
}

func mustContain(t *testing.T, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("output lacks %q:\n%s", w, got)
		}
	}
}

func TestReaderTestPrintsChipAndTapsAndRecords(t *testing.T) {
	rt, out := withDriver(t, fakeChip)
	chip := &spitest.Playback{Playback: conntest.Playback{Ops: []conntest.IO{versionRead}, DontPanic: true}}
	rt.openPort = func(name string) (spi.PortCloser, error) {
		if name != "/dev/null" {
			t.Errorf("opened %q", name)
		}
		return chip, nil
	}
	got, record, sessions := recordUntilTap(t, rt, out)
	mustContain(t, got,
		"MFRC522{playback}: chip version 0x92 (MFRC522 v2.0), antenna on\n",
		"waiting for cards",
		" tap  DEADBEEF             MIFARE Classic 1K (field to UID ",
		"MFRC522{playback}: stopped since",
		"SPI traffic recorded in "+record,
	)
	// the capture loads back and replays the chip's answers
	if len(sessions) != 1 || len(sessions[0].Ops) != 1 || !bytes.Equal(sessions[0].Ops[0].R, versionRead.R) {
		t.Fatalf("sessions = %+v", sessions)
	}
	if _, err := fakeChip(sessions[0].Playback(), nil, nil, nil); err != nil {
		t.Fatalf("replaying the capture: %v", err)
	}
}

func TestReaderTestReportsReaderFailureAndReopens(t *testing.T) {
	var opens int
	rt, out := withDriver(t, func(p spi.Port, _ gpio.PinOut, _ gpio.PinIn, _ func(string, ...any)) (rfid.Detector, error) {
		opens++
		if opens == 1 {
			return &dyingDetector{}, nil
		}
		return &chipDetector{version: 0x88}, nil
	})
	rt.openPort = func(string) (spi.PortCloser, error) { return &spitest.Playback{}, nil }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- rt.mfrc522(ctx, "/dev/null", "", "", "") }()
	untilPrinted(t, out, "DEADBEEF")
	cancel()
	<-done
	got := out.String()
	for _, want := range []string{"wiring: dying: wiring: VersionReg 0xFF", "reopened: MFRC522{playback}: chip version 0x88 (FM17522 clone), antenna OFF"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

type dyingDetector struct{}

func (dyingDetector) Detect(context.Context) (rfid.Card, error) {
	return rfid.Card{}, &rfid.Error{Kind: rfid.Wiring, Err: errString("VersionReg 0xFF")}
}
func (dyingDetector) String() string { return "dying" }
func (dyingDetector) Halt() error    { return nil }

type errString string

func (e errString) Error() string { return string(e) }

func TestReaderTestBadPins(t *testing.T) {
	rt, _ := withDriver(t, fakeChip)
	err := rt.mfrc522(context.Background(), "/dev/null", "NO_SUCH_PIN", "", "")
	if err == nil || !strings.Contains(err.Error(), "--reset NO_SUCH_PIN: no such GPIO pin") {
		t.Fatalf("err = %v", err)
	}
	err = rt.mfrc522(context.Background(), "/dev/null", "", "NO_SUCH_PIN", "")
	if err == nil || !strings.Contains(err.Error(), "--irq NO_SUCH_PIN") {
		t.Fatalf("err = %v", err)
	}
	err = rt.mfrc522(context.Background(), "/dev/null", "", "", filepath.Join(t.TempDir(), "no", "dir", "x.spi"))
	if err == nil || !strings.Contains(err.Error(), "create recording") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseWedgeFormat(t *testing.T) {
	uid := rfid.UID{0x04, 0xa1, 0xb2, 0xc3}
	for flag, typed := range map[string]string{
		"dec-lsb": "3283263748",
		"dec-msb": "0077705923",
		"hex-msb": "04A1B2C3",
		"hex-lsb": "C3B2A104",
	} {
		f, err := parseWedgeFormat(flag)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Number(uid); got != typed {
			t.Errorf("%s: card 04A1B2C3 typed as %q, want %q", flag, got, typed)
		}
	}
}

// typedCard is a wedge that has a card typed on it once.
type typedCard struct{ n int }

func (d *typedCard) Detect(ctx context.Context) (rfid.Card, error) {
	d.n++
	if d.n == 1 {
		return rfid.Card{UID: rfid.UID{0x04, 0xa1, 0xb2, 0xc3}, Type: "wedge"}, nil
	}
	<-ctx.Done()
	return rfid.Card{}, ctx.Err()
}
func (d *typedCard) String() string { return "wedge /dev/input/by-id/usb-test-event-kbd (event3)" }
func (d *typedCard) Halt() error    { return nil }

func TestReaderTestWedgePrintsNumberAndOtherOrder(t *testing.T) {
	out := &syncBuffer{}
	rt := newReaderTest(out)
	var opened *wedge.Opts
	rt.openWedge = func(o *wedge.Opts) (rfid.Detector, error) {
		opened = o
		return &typedCard{}, nil
	}
	f, _ := parseWedgeFormat("dec-lsb")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- rt.wedge(ctx, "/dev/input/by-id/usb-test-event-kbd", f) }()
	untilPrinted(t, out, "04A1B2C3")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if opened.Device != "/dev/input/by-id/usb-test-event-kbd" || opened.Format != f {
		t.Fatalf("opened with %+v", opened)
	}
	got := out.String()
	for _, want := range []string{
		"wedge /dev/input/by-id/usb-test-event-kbd (event3): grabbed (typed digits no longer reach the screen), format decimal, 4 bytes, LSB first",
		" tap  04A1B2C3             wedge  typed 3283263748; read MSB first it would be C3B2A104",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "field to UID") {
		t.Errorf("a wedge has no field-to-UID time:\n%s", got)
	}
}

// chipsimPort is the MFRC522 model's port as a PortCloser.
type chipsimPort struct{ *chipsim.Port }

func (chipsimPort) LimitSpeed(physic.Frequency) error { return nil }
func (chipsimPort) Close() error                      { return nil }

// TestReaderTestOnChipModel runs `reader test --record` with the real driver
// against its chip model, then replays the capture through the driver: what
// a technician records on a Pi becomes a playback test the same way.
func TestReaderTestOnChipModel(t *testing.T) {
	chip := chipsim.New()
	chip.Insert(chipsim.NewClassic1K([]byte{0xde, 0xad, 0xbe, 0xef}))
	// as reader_mfrc522.go, but on the model's simulated time
	rt, out := withDriver(t, func(p spi.Port, reset gpio.PinOut, irq gpio.PinIn, logf func(string, ...any)) (rfid.Detector, error) {
		o := mfrc522.DefaultOpts
		o.ResetPin, o.IRQPin, o.Logf, o.Clock = reset, irq, logf, chip.Clock()
		return mfrc522.NewSPI(p, &o)
	})
	rt.openPort = func(string) (spi.PortCloser, error) { return chipsimPort{chip.Port()}, nil }
	got, _, sessions := recordUntilTap(t, rt, out)
	mustContain(t, got,
		"MFRC522{chipsim}: chip version 0x92 (MFRC522 v2.0), antenna on\n",
		" tap  DEADBEEF             MIFARE Classic 1K (field to UID ",
	)
	if len(sessions) != 1 || len(sessions[0].Ops) < 10 {
		t.Fatalf("capture: %d sessions", len(sessions))
	}
	replay := sessions[0].Playback()
	d, err := mfrc522.NewSPI(replay, &mfrc522.Opts{Clock: chipsim.New().Clock()})
	if err != nil {
		t.Fatalf("replaying the capture's start-up: %v", err)
	}
	if d.Version() != 0x92 {
		t.Fatalf("replayed version 0x%02X", d.Version())
	}
}
