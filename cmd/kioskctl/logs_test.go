package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeJournalctl puts a journalctl in PATH that prints its arguments, and
// fails when asked for a time it cannot read, as journalctl does.
func fakeJournalctl(t *testing.T) {
	t.Helper()
	bin := t.TempDir()
	script := `#!/bin/sh
for a in "$@"; do
	[ "$a" = "yesterday-ish" ] && { echo "Failed to parse timestamp: $a" >&2; exit 1; }
done
echo "journalctl $*"
`
	if err := os.WriteFile(filepath.Join(bin, "journalctl"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
}

func TestLogs(t *testing.T) {
	fakeJournalctl(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "journalctl --no-pager -n 200 -u hongmajia-kiosk.service -u hongmajia-station.service\n"},
		{[]string{"--unit", "kiosk", "-n", "50", "--since", "1h ago", "-f"}, "journalctl --no-pager -n 50 -u hongmajia-kiosk.service --since 1h ago -f\n"},
		{[]string{"--unit", "station"}, "journalctl --no-pager -n 200 -u hongmajia-station.service\n"},
	} {
		code, out, stderr := kioskctl(t, append([]string{"logs"}, tc.args...)...)
		if code != 0 || out != tc.want {
			t.Errorf("logs %v: exit %d\n got %q\nwant %q\n%s", tc.args, code, out, tc.want, stderr)
		}
	}
	code, _, stderr := kioskctl(t, "logs", "--since", "yesterday-ish")
	if code != 1 || !strings.Contains(stderr, "Failed to parse timestamp") || !strings.Contains(stderr, "kioskctl logs: journalctl: exit status 1") {
		t.Errorf("a time journalctl refuses: exit %d: %s", code, stderr)
	}
	for _, bad := range [][]string{{"--unit", "hub"}, {"-n", "-3"}, {"extra"}} {
		if code, _, _ := kioskctl(t, append([]string{"logs"}, bad...)...); code != 2 {
			t.Errorf("logs %v: exit %d, want 2", bad, code)
		}
	}
	t.Setenv("PATH", t.TempDir())
	if code, _, stderr := kioskctl(t, "logs"); code != 1 || !strings.Contains(stderr, "no journalctl") {
		t.Errorf("without journalctl: exit %d: %s", code, stderr)
	}
}
