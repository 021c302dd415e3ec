package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hongmajia/hongmajia/kiosk/xsession"
)

// sessionDisplay is a display number no X server uses here.
func sessionDisplay(t *testing.T) int {
	t.Helper()
	for n := 400 + os.Getpid()%200; n < 700; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); err != nil && xsession.Taken(n) == nil {
			return n
		}
	}
	t.Fatal("no free X display")
	return 0
}

// `kiosk session` starts an X server and runs this kiosk on it with the
// session's cookie; it exits with the kiosk's status: 0 for a display that
// opens, 2 for a kiosk that refuses its flags (xinit would have said 0).
func TestSessionRunsTheKioskOnItsOwnDisplay(t *testing.T) {
	xvfb, err := exec.LookPath("Xvfb")
	if err != nil {
		t.Fatal("no Xvfb: `make test` installs it (deploy/dev/ensure-deps.sh test)")
	}
	dir := kioskBeside(t)
	for _, tc := range []struct {
		kioskArgs []string
		code      int
		want      string
	}{
		{[]string{"--check-display"}, 0, "opens"},
		{[]string{"--no-such-flag"}, 2, "no-such-flag"},
	} {
		n := sessionDisplay(t)
		args := append([]string{"session", "--server", xvfb + " -screen 0 320x240x24", "--display", fmt.Sprintf(":%d", n),
			"--runtime", t.TempDir(), "--"}, tc.kioskArgs...)
		cmd := exec.Command(filepath.Join(dir, "kiosk"), args...)
		// No cookie of the caller's: the session's alone opens the display.
		cmd.Env = append(os.Environ(), "HONGMAJIA_KIOSK_MAIN=1", "XAUTHORITY=/dev/null", "DISPLAY=")
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code || !strings.Contains(string(out), tc.want) {
			t.Errorf("kiosk %v: exit %d, want %d with %q:\n%s", args, code, tc.code, tc.want, out)
		}
		if xsession.Taken(n) != nil {
			t.Errorf("an X server still answers on :%d", n)
		}
	}
}

func TestSessionFlags(t *testing.T) {
	var out strings.Builder
	if code := runSession(t.Context(), []string{"--display", "0"}, &out); code != 2 || !strings.Contains(out.String(), "want :N") {
		t.Fatalf("exit %d: %s", code, out.String())
	}
}
