package hongmajia_test

import (
	"os"
	"strings"
	"testing"
)

// The README: "A bad configuration stops the service after 5 tries in 10
// minutes". Both units say so to systemd.
func TestPromiseServicesStopAfter5TriesIn10Minutes(t *testing.T) {
	for _, unit := range []string{"deploy/systemd/hongmajia-kiosk.service", "deploy/systemd/hongmajia-station.service"} {
		b, err := os.ReadFile(unit)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && !strings.HasPrefix(k, "#") {
				got[k] = v
			}
		}
		for k, want := range map[string]string{"StartLimitBurst": "5", "StartLimitIntervalSec": "600", "Restart": "on-failure"} {
			if got[k] != want {
				t.Errorf("%s: %s=%q, want %q", unit, k, got[k], want)
			}
		}
	}
}
