package record_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestOnlyStandardLibrary: the hub imports this package without the kiosk's
// SQLite, argon2 or periph, so it depends on the standard library alone (a
// path whose first element has no dot) and on nothing else of this module.
func TestOnlyStandardLibrary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	const self = "github.com/hongmajia/hongmajia/record"
	var n int
	for _, p := range strings.Fields(string(out)) {
		n++
		if p == self {
			continue
		}
		if first, _, _ := strings.Cut(p, "/"); strings.Contains(first, ".") {
			t.Errorf("record depends on %s, outside the standard library", p)
		}
	}
	if n < 10 {
		t.Fatalf("go list -deps listed %d packages; not the record's dependencies:\n%s", n, out)
	}
}
