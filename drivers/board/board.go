// Package board opens the terminal's hardware by name: the MFRC522's SPI
// port and its reset and IRQ pins, the buzzer and the LEDs. The kiosk (from
// its configuration) and `kioskctl reader test` (from its flags) both open
// hardware here, so that a technician reads the same words, saying what is
// wrong and what to do, in the kiosk's log and in kioskctl's output.
//
// periph's host drivers are initialised once per process, on first use.
package board

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3"
)

// What the technician does. Each follows the fault it answers:
// "no SPI device /dev/spidev0.0: " HintEnableSPI, and
// "reader.reset_pin 99: no such GPIO pin: " HintPinName.
const (
	HintEnableSPI = "enable SPI with dtparam=spi=on in /boot/firmware/config.txt and reboot"
	HintPinName   = "give the BCM GPIO number, e.g. 25 or GPIO25 (is this a Raspberry Pi?)"
)

// groupHint says how to let this process's user open the devices of group
// (spi, gpio). It names the user, because the kiosk runs as its own service
// user while kioskctl runs as the technician.
func groupHint(group string) string {
	name := "$USER"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	return fmt.Sprintf("add user %s to the %s group (sudo usermod -aG %s %s), then log in again or restart the service",
		name, group, group, name)
}

// hostInit initialises periph's host drivers (SPI, GPIO) once per process.
var hostInit = sync.OnceValue(func() error {
	_, err := host.Init()
	return err
})

// The hardware edge, replaced by tests: how device nodes are opened, and
// where the GPIO devices are.
var (
	openDevice = os.OpenFile
	gpioDevs   = []string{"/dev/gpiochip*", "/dev/gpiomem"}
)

// Pin is a GPIO pin by name, "GPIO25" or "25" (the BCM number), with the
// setting that named it ("reader.reset_pin", "--reset") for the error
// messages. An empty Name is a pin not wired.
type Pin struct {
	Setting string
	Name    string
}

// open looks the pin up; a pin not wired is nil.
func (p Pin) open() (gpio.PinIO, error) {
	if p.Name == "" {
		return nil, nil
	}
	// A GPIO device the user may not open also hides its pins from gpioreg:
	// say so, rather than "no such pin".
	if dev := gpioDenied(); dev != "" {
		return nil, fmt.Errorf("%s %s: permission denied on %s: %s", p.Setting, p.Name, dev, groupHint("gpio"))
	}
	if err := hostInit(); err != nil {
		return nil, fmt.Errorf("%s %s: init periph host: %w", p.Setting, p.Name, err)
	}
	pin := gpioreg.ByName(p.Name)
	if _, err := strconv.Atoi(p.Name); pin == nil && err == nil {
		// bcm283x registers the BCM number as an alias; the character
		// device driver (a Pi 5) registers only the line name "GPIO25".
		pin = gpioreg.ByName("GPIO" + p.Name)
	}
	if pin == nil {
		return nil, fmt.Errorf("%s %s: no such GPIO pin: %s", p.Setting, p.Name, HintPinName)
	}
	return pin, nil
}

// gpioDenied returns the first GPIO device this process may not open, or ""
// when it may open them all (or there are none: not a Pi).
func gpioDenied() string {
	for _, pattern := range gpioDevs {
		paths, _ := filepath.Glob(pattern)
		for _, p := range paths {
			f, err := openDevice(p, os.O_RDONLY, 0)
			if errors.Is(err, fs.ErrPermission) {
				return p
			}
			if err == nil {
				f.Close()
			}
		}
	}
	return ""
}
