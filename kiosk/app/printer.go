package app

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hongmajia/hongmajia/drivers/board"
	"github.com/hongmajia/hongmajia/drivers/printer"
)

// PrinterConfig is the receipt printer for pickup slips ([printer]); an
// empty device: none fitted.
type PrinterConfig struct {
	// Device is a USB printer (/dev/usb/lp0) or a serial port
	// (/dev/ttyUSB0, /dev/ttyS0).
	Device string `toml:"device"`
	// Baud is a serial printer's speed (most leave the factory at 9600,
	// some at 19200); 0: 9600. A USB printer has none.
	Baud int `toml:"baud"`
}

// check refuses a printer that could never work; one switched off or
// unplugged is no configuration error.
func (p PrinterConfig) check() error {
	bad := func(key, format string, args ...any) error {
		return &ConfigError{Key: key, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case p.Device == "" && p.Baud != 0:
		return bad("printer.baud", "set, but printer.device is not: give the printer's device, e.g. /dev/ttyUSB0")
	case p.Device == "":
		return nil
	case !filepath.IsAbs(p.Device) || filepath.Clean(p.Device) != p.Device || !strings.HasPrefix(p.Device, "/dev/"):
		return bad("printer.device", "%q: want a device under /dev, e.g. /dev/usb/lp0 (USB) or /dev/ttyUSB0 (serial)", p.Device)
	case p.Baud != 0 && !printer.ValidBaud(p.Baud):
		return bad("printer.baud", "%d: want 1200, 2400, 4800, 9600, 19200, 38400, 57600 or 115200 (the printer's self-test page says which)", p.Baud)
	}
	return nil
}

// openPrinter is the configured printer, nil when none is. One that cannot
// print now is logged with what to do, and tried again at each slip.
func (a *App) openPrinter() *board.Printer {
	c := a.cfg.Printer
	if c.Device == "" {
		return nil
	}
	p := board.NewPrinter("printer.device", c.Device, c.Baud)
	if err := p.Check(); err != nil {
		a.logf("kiosk: %v (pickup slips are printed once it answers)", err)
	} else {
		a.logf("kiosk: pickup slips print on %s", c.Device)
	}
	return p
}
