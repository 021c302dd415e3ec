package board

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spitest"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/drivers/feedback"
	"github.com/hongmajia/hongmajia/drivers/rfid"
)

func TestHintsSayWhatToDo(t *testing.T) {
	for _, w := range []string{"dtparam=spi=on", "/boot/firmware/config.txt", "reboot"} {
		if !strings.Contains(HintEnableSPI, w) {
			t.Errorf("HintEnableSPI %q lacks %q", HintEnableSPI, w)
		}
	}
	for _, w := range []string{"BCM", "25", "GPIO25"} {
		if !strings.Contains(HintPinName, w) {
			t.Errorf("HintPinName %q lacks %q", HintPinName, w)
		}
	}
	if h := groupHint("spi"); !strings.Contains(h, "spi group") || !strings.Contains(h, "usermod -aG spi ") {
		t.Errorf("groupHint(spi) = %q", h)
	}
}

// denyOpen makes opening the paths fail as for a user outside the device's
// group, whoever runs the test.
func denyOpen(t *testing.T, paths ...string) {
	t.Helper()
	saved := openDevice
	openDevice = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		for _, p := range paths {
			if name == p {
				return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.EACCES}
			}
		}
		return saved(name, flag, perm)
	}
	t.Cleanup(func() { openDevice = saved })
}

// gpioDevices makes the GPIO devices the files in a temporary directory.
func gpioDevices(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	saved := gpioDevs
	gpioDevs = []string{filepath.Join(dir, "gpiochip*"), filepath.Join(dir, "gpiomem")}
	t.Cleanup(func() { gpioDevs = saved })
	return dir
}

func TestCheckSPI(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "spidev9.9")
	plain := filepath.Join(dir, "spidev0.0")
	if err := os.WriteFile(plain, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	const charDev = "/dev/null"
	denyOpen(t, charDev)
	for _, tc := range []struct {
		name string
		dev  string
		kind rfid.ErrorKind
		want []string
	}{
		{"missing", missing, rfid.Absent, []string{"no SPI device " + missing + ": " + HintEnableSPI}},
		{"not a device", plain, rfid.Fatal, []string{plain + " is not an SPI device (not a character device)"}},
		{"permission", charDev, rfid.Fatal, []string{"open SPI device /dev/null: permission denied: ", groupHint("spi")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckSPI(tc.dev)
			if rfid.KindOf(err) != tc.kind {
				t.Errorf("CheckSPI(%s) = %v, want kind %s", tc.dev, err, tc.kind)
			}
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("CheckSPI(%s) = %v, want %q", tc.dev, err, w)
				}
			}
		})
	}
}

// closingPort is an SPI port that counts its closes.
type closingPort struct {
	spitest.Playback
	closed int
}

func (p *closingPort) Close() error { p.closed++; return nil }

// fakeChip stands in for the MFRC522 driver.
type fakeChip struct {
	port   spi.Port
	reset  gpio.PinOut
	irq    gpio.PinIn
	halted bool
	rfid.Detector
}

func (c *fakeChip) Halt() error    { c.halted = true; return nil }
func (c *fakeChip) String() string { return "fake chip" }

func TestMFRC522MissingSPIIsAbsentWithHint(t *testing.T) {
	dev := filepath.Join(t.TempDir(), "spidev0.0")
	opened := false
	open, err := MFRC522{SPI: dev, OpenPort: func(string) (spi.PortCloser, error) {
		opened = true
		return &closingPort{}, nil
	}}.Opener()
	if err != nil {
		t.Fatal(err)
	}
	d, err := open()
	if d != nil || rfid.KindOf(err) != rfid.Absent || !strings.Contains(err.Error(), "no SPI device "+dev+": "+HintEnableSPI) {
		t.Fatalf("open() = %v, %v; want an Absent error with the enable-SPI hint", d, err)
	}
	if opened {
		t.Error("the port was opened without an SPI device")
	}

	// The poller reports the reader absent, with the hint, and tries again.
	clk := clock.NewFake(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	p := rfid.NewPoller(open, clk, &rfid.PollerOpts{Kind: rfid.KindMFRC522, Name: "mfrc522 " + dev})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx, make(chan rfid.Event)) }()
	for deadline := time.Now().Add(10 * time.Second); p.Status().State != rfid.StateAbsent; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("status %v, want absent", p.Status())
		}
	}
	if st := p.Status(); st.Err == nil || !strings.Contains(st.Err.Error(), HintEnableSPI) {
		t.Errorf("status %v lacks the hint", st)
	}
	cancel()
	<-done
}

func TestMFRC522ClosesPortWithChip(t *testing.T) {
	reset := &gpiotest.Pin{N: "BOARD_TEST_RESET", Num: 9901}
	irq := &gpiotest.Pin{N: "GPIO9902", Num: 9902}
	for _, p := range []*gpiotest.Pin{reset, irq} {
		if err := gpioreg.Register(p); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { gpioreg.Unregister(p.N) })
	}
	gpioDevices(t) // none: not a Pi, nothing denied
	var ports []*closingPort
	var chip *fakeChip
	var tapped spi.Port
	failChip := false
	m := MFRC522{
		SPI:   "/dev/null",
		Reset: Pin{"reader.reset_pin", "BOARD_TEST_RESET"},
		IRQ:   Pin{"reader.irq_pin", "9902"}, // the BCM number of a pin registered as GPIO9902 only
		Tap:   func(p spi.Port) spi.Port { tapped = p; return p },
		OpenPort: func(dev string) (spi.PortCloser, error) {
			if dev != "/dev/null" {
				t.Errorf("opened %s", dev)
			}
			ports = append(ports, &closingPort{})
			return ports[len(ports)-1], nil
		},
		OpenChip: func(p spi.Port, r gpio.PinOut, i gpio.PinIn, _ func(string, ...any)) (rfid.Detector, error) {
			if failChip {
				return nil, &rfid.Error{Kind: rfid.Wiring, Err: errors.New("VersionReg 0x00")}
			}
			chip = &fakeChip{port: p, reset: r, irq: i}
			return chip, nil
		},
	}
	open, err := m.Opener()
	if err != nil {
		t.Fatal(err)
	}
	d, err := open()
	if err != nil {
		t.Fatal(err)
	}
	if chip.reset != gpio.PinOut(reset) || chip.irq != gpio.PinIn(irq) {
		t.Errorf("chip given pins %v and %v", chip.reset, chip.irq)
	}
	if tapped != ports[0] || chip.port != ports[0] {
		t.Errorf("the chip was not given the tapped port")
	}
	if c, ok := d.(interface{ Chip() rfid.Detector }); !ok || c.Chip() != chip {
		t.Errorf("Chip() of %v is not the driver's detector", d)
	}
	if err := d.Halt(); err != nil || !chip.halted || ports[0].closed != 1 {
		t.Fatalf("Halt: %v; chip halted %v, port closed %d times", err, chip.halted, ports[0].closed)
	}

	// A chip that does not start leaves its port closed too.
	failChip = true
	if _, err := open(); rfid.KindOf(err) != rfid.Wiring || ports[1].closed != 1 {
		t.Fatalf("open() = %v, port closed %d times", err, ports[1].closed)
	}
}

func TestPinThatDoesNotExistNamesItsSetting(t *testing.T) {
	gpioDevices(t)
	for _, tc := range []struct {
		name string
		open func() error
		want string
	}{
		{"reader reset", func() error {
			_, err := MFRC522{SPI: "/dev/spidev0.0", Reset: Pin{"--reset", "99"}}.Opener()
			return err
		}, "--reset 99: no such GPIO pin: " + HintPinName},
		{"reader irq", func() error {
			_, err := MFRC522{SPI: "/dev/spidev0.0", IRQ: Pin{"reader.irq_pin", "GPIO_NO_SUCH"}}.Opener()
			return err
		}, "reader.irq_pin GPIO_NO_SUCH: no such GPIO pin: " + HintPinName},
		{"red LED", func() error {
			_, err := Feedback{Red: Pin{"feedback.red", "P1_99"}}.Player(clock.Real{})
			return err
		}, "feedback.red P1_99: no such GPIO pin: " + HintPinName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.open(); err == nil || err.Error() != tc.want {
				t.Errorf("err = %v\nwant  %s", err, tc.want)
			}
		})
	}
}

func TestPinPermissionDenied(t *testing.T) {
	dir := gpioDevices(t, "gpiochip0", "gpiomem")
	chip := filepath.Join(dir, "gpiochip0")
	denyOpen(t, chip)
	p := &gpiotest.Pin{N: "BOARD_TEST_BUZZER", Num: 9903}
	if err := gpioreg.Register(p); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gpioreg.Unregister(p.N) })
	// Found or not, a pin on a device the user may not open cannot be used.
	for _, name := range []string{"BOARD_TEST_BUZZER", "25"} {
		_, err := Feedback{Buzzer: Pin{"feedback.buzzer", name}}.Player(clock.Real{})
		want := "feedback.buzzer " + name + ": permission denied on " + chip + ": " + groupHint("gpio")
		if err == nil || err.Error() != want {
			t.Errorf("err = %v\nwant  %s", err, want)
		}
	}
	if !strings.Contains(groupHint("gpio"), "usermod -aG gpio ") {
		t.Errorf("gpio hint %q", groupHint("gpio"))
	}
}

func TestFeedbackPlayer(t *testing.T) {
	gpioDevices(t, "gpiochip0") // a Pi whose GPIO the user may use
	pins := map[string]*gpiotest.Pin{}
	for i, n := range []string{"BOARD_FB_BUZZER", "BOARD_FB_GREEN", "GPIO9913"} {
		p := &gpiotest.Pin{N: n, Num: 9911 + i, L: gpio.High}
		if err := gpioreg.Register(p); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { gpioreg.Unregister(p.N) })
		pins[n] = p
	}
	clk := clock.NewFake(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	pl, err := Feedback{
		Buzzer: Pin{"feedback.buzzer", "BOARD_FB_BUZZER"},
		Green:  Pin{"feedback.green", "BOARD_FB_GREEN"},
		Red:    Pin{"feedback.red", "9913"},
		ToneHz: 2700,
	}.Player(clk)
	if err != nil {
		t.Fatal(err)
	}
	if s := pl.String(); s != "feedback(buzzer=BOARD_FB_BUZZER(9911), green=BOARD_FB_GREEN(9912), red=GPIO9913(9913))" {
		t.Errorf("String = %q", s)
	}
	pl.Play(feedback.Success)
	level := func(p *gpiotest.Pin) (gpio.Level, physic.Frequency) {
		p.Lock()
		defer p.Unlock()
		return p.L, p.F
	}
	// A passive buzzer is driven at the tone; the fake clock holds the beep.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, f := level(pins["BOARD_FB_BUZZER"]); f == 2700*physic.Hertz {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the buzzer never sounded at 2.7 kHz")
		}
	}
	if l, _ := level(pins["BOARD_FB_GREEN"]); l != gpio.High {
		t.Error("green is off during a success")
	}
	if err := pl.Halt(); err != nil {
		t.Fatal(err)
	}
	for n, p := range pins {
		if l, _ := level(p); l != gpio.Low {
			t.Errorf("%s left %s after Halt", n, l)
		}
	}
}

func TestFeedbackNoneFitted(t *testing.T) {
	pl, err := Feedback{ToneHz: 2700}.Player(clock.Real{})
	if err != nil || pl != (feedback.Nop{}) {
		t.Fatalf("Player() = %v, %v; want feedback.Nop", pl, err)
	}
}
