package datadisk

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestRAMIsSaidToBeLost(t *testing.T) {
	d, err := Of("/dev/shm") // a tmpfs on Linux
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "tmpfs" || !d.InRAM || !d.Lost() || !strings.Contains(d.Warning(), "lost at power-off") {
		t.Fatalf("/dev/shm: %+v %q", d, d.Warning())
	}
	if d, err := Of("/proc"); err != nil || d.Lost() || d.Warning() != "" || d.Name == "" {
		t.Fatalf("/proc: %+v %v", d, err)
	}
	for _, d := range []Disk{{Name: "overlay", Overlay: true}} {
		if !d.Lost() || !strings.Contains(d.Warning(), "Overlay File System") {
			t.Errorf("%+v: %q", d, d.Warning())
		}
	}
	if _, err := Of("/nonexistent-" + t.Name()); !os.IsNotExist(errors.Unwrap(err)) {
		t.Fatalf("a directory that does not exist: %v", err)
	}
}
