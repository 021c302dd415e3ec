package clock

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// BootClock reads the time since the machine booted, counting time spent
// suspended (CLOCK_BOOTTIME). Unlike the wall clock it never jumps when NTP
// or a technician sets the time, so a span measured with it within one boot
// (same BootID) is real elapsed time. A reboot starts it again near zero.
type BootClock interface {
	SinceBoot() (time.Duration, error)
}

// SinceBoot reads CLOCK_BOOTTIME.
func (Real) SinceBoot() (time.Duration, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0, fmt.Errorf("clock: read boot time: %w", err)
	}
	return time.Duration(ts.Nano()), nil
}

// SinceBoot is the fake time since boot: Advance moves it with the wall
// time, Set (a jump of the wall clock) does not, and Reboot starts it again.
func (f *Fake) SinceBoot() (time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.boot, nil
}

// Reboot starts the fake time since boot again at zero (the wall time stays
// as it is); give the ledger a new BootID with it.
func (f *Fake) Reboot() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.boot = 0
}
