package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestBinariesDoNotLinkTheDemoGenerator: the terminal finds demo data by the
// ledger's demo mark, so neither binary on a kiosk carries ledger/demo.
func TestBinariesDoNotLinkTheDemoGenerator(t *testing.T) {
	const module = "github.com/hongmajia/hongmajia"
	cmd := exec.Command("go", "list", "-deps", module+"/cmd/kiosk", module+"/cmd/kiosk-screen")
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go list: %v\n%s", err, stderr)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, module+"/ledger") {
		t.Fatalf("go list -deps names no ledger among %d packages: not the binaries' dependencies", len(deps))
	}
	if slices.Contains(deps, module+"/ledger/demo") {
		t.Errorf("cmd/kiosk or cmd/kiosk-screen links %s/ledger/demo (the demo generator)", module)
	}
}
