package board

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"strconv"
	"strings"
	"syscall"

	"github.com/hongmajia/hongmajia/drivers/printer"
)

// HintPrinterMissing follows "no printer at /dev/usb/lp0: ".
const HintPrinterMissing = "plug it in and switch it on (ls /dev/usb/ lists USB printers, ls /dev/ttyUSB* serial adapters)"

// Printer is the receipt printer for pickup slips, by device name: a USB
// printer (/dev/usb/lp0) or a serial port (/dev/ttyUSB0, /dev/ttyS0) at a
// baud. It opens the device for each slip, so a printer switched on after
// the kiosk started prints the next one. Its errors say what to do.
type Printer struct {
	setting string
	dev     string
	p       *printer.Printer
}

// NewPrinter returns the printer on dev; setting names where dev was
// configured ("printer.device"), for the messages. baud sets a serial port
// (0: printer.DefaultBaud). Nothing is opened yet: Check says whether a
// slip could be printed now.
func NewPrinter(setting, dev string, baud int) *Printer {
	return &Printer{setting: setting, dev: dev, p: printer.New(dev, baud)}
}

func (p *Printer) String() string { return p.dev }

// Check says, in a technician's words, why no slip can be printed now; nil
// when the device opens for writing.
func (p *Printer) Check() error {
	if err := p.node(); err != nil {
		return err
	}
	return p.explain(p.p.Check())
}

// Print prints one slip. It implements kiosk.Printer.
func (p *Printer) Print(ctx context.Context, s printer.Slip) error {
	if err := p.node(); err != nil {
		return err
	}
	return p.explain(p.p.Print(ctx, s))
}

// node checks that the device is there and is a device. A plain file where
// the printer should be is a trap worth naming: `echo > /dev/usb/lp0` with
// no printer plugged in makes one, and slips would go into it for good.
func (p *Printer) node() error {
	fi, err := os.Stat(p.dev)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: no printer at %s: %s: %w", p.setting, p.dev, HintPrinterMissing, fs.ErrNotExist)
	case err != nil:
		return fmt.Errorf("%s: printer %s: %w", p.setting, p.dev, err)
	case fi.Mode().IsRegular():
		return fmt.Errorf("%s: %s is a plain file, not a printer: something wrote to it while no printer was plugged in; remove it (sudo rm %s) and plug the printer in", p.setting, p.dev, p.dev)
	case fi.Mode()&fs.ModeCharDevice == 0:
		return fmt.Errorf("%s: %s is not a printer (not a character device)", p.setting, p.dev)
	}
	return nil
}

// explain adds what to do to the printer's own errors.
func (p *Printer) explain(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s: printer %s: permission denied: %s", p.setting, p.dev, groupHint(deviceGroup(p.dev)))
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: printer %s took no slip in time: is it switched on, with paper and its cover shut? (%w)", p.setting, p.dev, err)
	case errors.Is(err, syscall.ENODEV), errors.Is(err, syscall.ENXIO), errors.Is(err, syscall.EIO):
		return fmt.Errorf("%s: printer %s does not answer: is it switched on? (%w)", p.setting, p.dev, err)
	}
	return fmt.Errorf("%s: %w", p.setting, err)
}

// deviceGroup is the group whose members may write dev: its owner group,
// or when that cannot be read, the one Debian gives such devices (lp for
// USB printers, dialout for serial ports).
func deviceGroup(dev string) string {
	if fi, err := os.Stat(dev); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Gid != 0 {
			if g, err := user.LookupGroupId(strconv.FormatUint(uint64(st.Gid), 10)); err == nil {
				return g.Name
			}
		}
	}
	if strings.HasPrefix(dev, "/dev/tty") {
		return "dialout"
	}
	return "lp"
}
