package control_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/kiosk/control"
)

// TestMain lets a test ask a server from a child process as another user.
func TestMain(m *testing.M) {
	if line := os.Getenv("HMJ_CONTROL_ASK"); line != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		answer, err := control.Request(ctx, os.Getenv("HMJ_CONTROL_SOCKET"), line)
		if err != nil {
			fmt.Print("error ", err)
			os.Exit(1)
		}
		fmt.Print("ok ", answer)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The terminal's own user (and root) runs every command; another user who
// may connect (the socket's group: technicians) only the shared ones, and
// is told who may run the rest; one outside the group cannot connect.
func TestSharedCommands(t *testing.T) {
	path := serving(t, &control.Server{Shared: []string{"echo"}})
	for _, line := range []string{"echo hi", "quiet"} {
		if _, err := ask(t, path, line); err != nil {
			t.Errorf("the owner's %q: %v", line, err)
		}
	}
	if os.Geteuid() != 0 {
		// Another user's view needs root to become one: make test runs as
		// root, and checks it there.
		t.Log("not root: only the owner's side is checked")
		return
	}
	const group = 4242
	for _, p := range []string{filepath.Dir(path), path} {
		if err := os.Chown(p, -1, group); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	// This test binary, where the other users may run it.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.MkdirTemp("", "ctlbin")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(bin) })
	self = filepath.Join(bin, "control.test")
	if err := os.Chmod(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(self, b, 0o755); err != nil {
		t.Fatal(err)
	}
	as := func(uid uint32, groups []uint32, line string) (string, bool) {
		t.Helper()
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), "HMJ_CONTROL_ASK="+line, "HMJ_CONTROL_SOCKET="+path)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid, Groups: groups}}
		out, err := cmd.Output()
		if _, ok := err.(*exec.ExitError); err != nil && !ok {
			t.Fatal(err)
		}
		return string(out), err == nil
	}
	technician := []uint32{group}
	if out, ok := as(4343, technician, "echo status"); !ok || out != "ok status" {
		t.Errorf("a technician's shared command: %q", out)
	}
	if out, ok := as(4343, technician, "quiet"); ok || !strings.Contains(out, "permission denied") ||
		!strings.Contains(out, `"quiet" is for the terminal's user root`) || !strings.Contains(out, "its group may ask echo") {
		t.Errorf("a technician's other command: %q", out)
	}
	if out, ok := as(4444, nil, "echo status"); ok || !strings.Contains(out, "permission denied") {
		t.Errorf("a stranger: %q", out)
	}
}
