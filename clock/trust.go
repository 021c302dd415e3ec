package clock

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// SyncSource says whether the system clock is disciplined by NTP. The ledger
// marks an entry untrusted when it is not (the Pi has no real-time clock, so
// before NTP the time may read 1970). Implementations must be safe for
// concurrent use and cheap: the ledger asks once per entry.
type SyncSource interface {
	Synced() bool
}

// KernelSync asks the kernel through adjtimex(2): the clock is synced when
// the STA_UNSYNC status bit is clear (systemd-timesyncd and chrony clear it
// once they have set the time).
type KernelSync struct{}

// Synced reports whether the kernel considers the clock synchronised.
func (KernelSync) Synced() bool {
	var tx unix.Timex // Modes 0: read only
	state, err := unix.Adjtimex(&tx)
	if err != nil {
		return false
	}
	return state != unix.TIME_ERROR && tx.Status&unix.STA_UNSYNC == 0
}

// FakeSync is a SyncSource for tests; the zero value is not synced.
type FakeSync struct{ synced atomic.Bool }

// NewFakeSync returns a FakeSync reporting synced.
func NewFakeSync(synced bool) *FakeSync {
	f := &FakeSync{}
	f.synced.Store(synced)
	return f
}

// Synced reports the value last Set.
func (f *FakeSync) Synced() bool { return f.synced.Load() }

// Set changes what Synced reports.
func (f *FakeSync) Set(synced bool) { f.synced.Store(synced) }

// BootIDPath is where Linux publishes a random id made at each boot.
const BootIDPath = "/proc/sys/kernel/random/boot_id"

// BootID reads the kernel's boot id, so entries written in one boot can be
// told from another's when the clock jumps between them.
type BootID func() (string, error)

// KernelBootID reads BootIDPath.
func KernelBootID() (string, error) {
	b, err := os.ReadFile(BootIDPath)
	if err != nil {
		return "", fmt.Errorf("clock: read boot id: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// FixedBootID returns a BootID that always answers id (tests, demo data).
func FixedBootID(id string) BootID {
	return func() (string, error) { return id, nil }
}
