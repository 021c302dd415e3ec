package control_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/kiosk/control"
)

// TestLockData: one holder at a time, the second told who holds it; the
// lock is free again once the holder lets go.
func TestLockData(t *testing.T) {
	dir := t.TempDir()
	first, err := control.LockData(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = control.LockData(dir)
	if !errors.Is(err, control.ErrAnotherTerminal) {
		t.Fatalf("a second lock: %v, want ErrAnotherTerminal", err)
	}
	if want := "process " + strconv.Itoa(os.Getpid()); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), filepath.Join(dir, control.LockName)) {
		t.Errorf("%q does not name the holder (%s) and the lock", err, want)
	}
	first.Close()
	again, err := control.LockData(dir)
	if err != nil {
		t.Fatalf("the lock after its holder let go: %v", err)
	}
	again.Close()
	if _, err := control.LockData(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing directory: %v, want fs.ErrNotExist", err)
	}
}

// TestSlowCommandOutlastsTheIdleTimeout: a command that runs longer than
// the idle timeout (a sync) is answered: the timeout is for a client that
// says nothing, not for a command at work.
func TestSlowCommandOutlastsTheIdleTimeout(t *testing.T) {
	const idle = 100 * time.Millisecond
	path := serving(t, &control.Server{IdleTimeout: idle, Handler: func(ctx context.Context, line string) (string, error) {
		select {
		case <-time.After(4 * idle):
			return "done " + line, nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}})
	if got, err := ask(t, path, "sync"); err != nil || got != "done sync" {
		t.Fatalf("a slow command: %q %v", got, err)
	}
}
