package board

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spireg"

	"github.com/hongmajia/hongmajia/drivers/mfrc522"
	"github.com/hongmajia/hongmajia/drivers/rfid"
)

// CheckSPI says in a technician's words why dev cannot be an SPI port: an
// *rfid.Error, Absent when there is no such device (SPI not enabled), Fatal
// when it may not be opened or is something else.
func CheckSPI(dev string) error {
	fi, err := os.Stat(dev)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &rfid.Error{Kind: rfid.Absent, Err: fmt.Errorf("no SPI device %s: %s", dev, HintEnableSPI)}
	case err != nil:
		return &rfid.Error{Kind: rfid.Fatal, Err: fmt.Errorf("SPI device %s: %w", dev, err)}
	case fi.Mode()&fs.ModeCharDevice == 0:
		return &rfid.Error{Kind: rfid.Fatal, Err: fmt.Errorf("%s is not an SPI device (not a character device)", dev)}
	}
	f, err := openDevice(dev, os.O_RDWR, 0)
	switch {
	case errors.Is(err, fs.ErrPermission):
		return &rfid.Error{Kind: rfid.Fatal, Err: fmt.Errorf("open SPI device %s: permission denied: %s", dev, groupHint("spi"))}
	case err != nil:
		return &rfid.Error{Kind: rfid.Absent, Err: fmt.Errorf("open SPI device %s: %w", dev, err)}
	}
	return f.Close()
}

// openSPI opens the SPI port dev through periph.
func openSPI(dev string) (spi.PortCloser, error) {
	if err := hostInit(); err != nil {
		return nil, fmt.Errorf("init periph host: %w", err)
	}
	return spireg.Open(dev)
}

// StartMFRC522 starts the MFRC522 driver on port p: the chip opener that
// MFRC522.OpenChip defaults to.
func StartMFRC522(p spi.Port, reset gpio.PinOut, irq gpio.PinIn, logf func(format string, args ...any)) (rfid.Detector, error) {
	o := mfrc522.DefaultOpts
	o.ResetPin, o.IRQPin, o.Logf = reset, irq, logf
	d, err := mfrc522.NewSPI(p, &o)
	if err != nil {
		return nil, err // not d: a nil *Dev in an interface is not nil
	}
	return d, nil
}

// MFRC522 is an MFRC522 reader wired to the Pi, by name.
type MFRC522 struct {
	// SPI is the SPI device, e.g. /dev/spidev0.0.
	SPI string
	// Reset and IRQ are the pins wired to the module's RST and IRQ.
	Reset, IRQ Pin
	// Logf receives the driver's warnings (a clone chip); nil drops them.
	Logf func(format string, args ...any)
	// Tap, when set, stands between the port and the chip, e.g. to record
	// the SPI traffic.
	Tap func(spi.Port) spi.Port
	// OpenPort opens the SPI device after CheckSPI passed; nil: periph's
	// spireg. Tests put a fake port here.
	OpenPort func(dev string) (spi.PortCloser, error)
	// OpenChip starts the driver on the port; nil: StartMFRC522. Tests put
	// a fake chip here.
	OpenChip func(p spi.Port, reset gpio.PinOut, irq gpio.PinIn, logf func(format string, args ...any)) (rfid.Detector, error)
}

// Opener looks the pins up and returns what opens the reader, for
// rfid.NewPoller: each call checks the SPI device, opens the port and starts
// the chip, and the Detector it returns closes the port when halted, so
// that the poller can open both again after a failure. Its errors are
// *rfid.Error (Absent when there is no SPI device) carrying the hint.
// The Detector has a method Chip() rfid.Detector returning the driver's own
// (for its Version and AntennaOn).
//
// Opener fails for a pin that does not exist or may not be used: the
// configuration must change, and retrying would not help.
func (m MFRC522) Opener() (func() (rfid.Detector, error), error) {
	reset, err := m.Reset.open()
	if err != nil {
		return nil, err
	}
	irq, err := m.IRQ.open()
	if err != nil {
		return nil, err
	}
	openPort, openChip := m.OpenPort, m.OpenChip
	if openPort == nil {
		openPort = openSPI
	}
	if openChip == nil {
		openChip = StartMFRC522
	}
	return func() (rfid.Detector, error) {
		if err := CheckSPI(m.SPI); err != nil {
			return nil, err
		}
		port, err := openPort(m.SPI)
		if err != nil {
			return nil, &rfid.Error{Kind: rfid.Absent, Err: fmt.Errorf("open SPI %s: %w", m.SPI, err)}
		}
		var p spi.Port = port
		if m.Tap != nil {
			p = m.Tap(port)
		}
		chip, err := openChip(p, reset, irq, m.Logf)
		if err != nil {
			port.Close()
			return nil, err
		}
		return &portDetector{Detector: chip, port: port}, nil
	}, nil
}

// portDetector is the chip with its SPI port, closed together.
type portDetector struct {
	rfid.Detector
	port spi.PortCloser
}

func (d *portDetector) Halt() error { return errors.Join(d.Detector.Halt(), d.port.Close()) }

// Chip returns the driver's Detector.
func (d *portDetector) Chip() rfid.Detector { return d.Detector }
