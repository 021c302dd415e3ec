package hongmajia_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The systemd units are checked here for what the kiosk's session promises
// (README "Deploying and updating a Pi"); that the session passes the
// kiosk's exit status on is proven in kiosk/xsession and cmd/kiosk, the
// watchdog's messages in kiosk/app, and what systemd does with both (the
// restarts, the start limit, the watchdog's kill) in e2e/systemd.

var units = []string{"deploy/systemd/hongmajia-kiosk.service", "deploy/systemd/hongmajia-station.service"}

// unitKeys reads a unit's settings: each key's values in order.
func unitKeys(t *testing.T, path string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "[") {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			got[k] = append(got[k], v)
		}
	}
	return got
}

func TestUnitsKeepTheKioskAliveAndItsDataApart(t *testing.T) {
	for _, unit := range units {
		got := unitKeys(t, unit)
		want := map[string]string{
			"Type":              "notify",
			"WatchdogSec":       "30",
			"RequiresMountsFor": "/var/lib/hongmajia",
			"ReadWritePaths":    "/var/lib/hongmajia",
			"ProtectSystem":     "strict",
			"UMask":             "0027",
			"User":              "hongmajia",
			// As root, before each start: an interrupted update finished,
			// and a lost versions directory seeded from the package.
			"ExecStartPre": "+/usr/bin/kioskctl update --recover --no-start",
		}
		for k, v := range want {
			if len(got[k]) != 1 || got[k][0] != v {
				t.Errorf("%s: %s=%q, want %q", unit, k, got[k], v)
			}
		}
		// Nothing of the session (HOME, X's log, Mesa's cache) lands beside
		// the ledger.
		for _, env := range got["Environment"] {
			for _, kv := range strings.Fields(env) {
				k, v, _ := strings.Cut(kv, "=")
				if strings.HasPrefix(v, "/var/lib/hongmajia") {
					t.Errorf("%s: %s=%s is in the data directory", unit, k, v)
				}
			}
		}
		home := ""
		for _, env := range got["Environment"] {
			for _, kv := range strings.Fields(env) {
				if v, ok := strings.CutPrefix(kv, "HOME="); ok {
					home = v
				}
			}
		}
		if !strings.HasPrefix(home, "/run/") {
			t.Errorf("%s: HOME=%q, want a directory under /run", unit, home)
		}
		if len(got["ExecStart"]) != 1 || !strings.HasPrefix(got["ExecStart"][0], "/usr/bin/kiosk ") {
			t.Errorf("%s: ExecStart=%q, want /usr/bin/kiosk", unit, got["ExecStart"])
		}
	}
	kiosk := unitKeys(t, units[0])
	start := kiosk["ExecStart"][0]
	for _, part := range []string{"/usr/bin/kiosk session ", " -- --config /etc/hongmajia/kiosk.toml"} {
		if !strings.Contains(start, part) {
			t.Errorf("kiosk unit: ExecStart=%q lacks %q", start, part)
		}
	}
	if strings.Contains(start, "xinit") {
		t.Errorf("kiosk unit: ExecStart=%q: xinit exits 0 whatever the kiosk did", start)
	}
	if kiosk["NotifyAccess"][0] != "all" {
		t.Errorf("kiosk unit: NotifyAccess=%q: kiosk-screen, not the session, tells systemd", kiosk["NotifyAccess"])
	}
	if !strings.Contains(kiosk["Conflicts"][0], "display-manager.service") {
		t.Errorf("kiosk unit: Conflicts=%q: a desktop's display manager holds the screen", kiosk["Conflicts"])
	}
}

// systemd-analyze verify reads the units as systemd would: every key known,
// every value well formed, ExecStart and ExecStartPre runnable (kiosk and
// kioskctl are put where the units expect them, in a copy that only moves
// /usr/bin).
func TestUnitsVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("no systemd-analyze here: the units' content is checked by TestUnitsKeepTheKioskAliveAndItsDataApart")
		return
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"kiosk", "kioskctl"} {
		if err := os.WriteFile(filepath.Join(bin, b), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var paths []string
	for _, unit := range units {
		b, err := os.ReadFile(unit)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.Base(unit))
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(string(b), "/usr/bin/kiosk", filepath.Join(bin, "kiosk"))), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	out, err := exec.Command(analyze, append([]string{"verify", "--man=no"}, paths...)...).CombinedOutput()
	if err != nil || len(out) != 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}
