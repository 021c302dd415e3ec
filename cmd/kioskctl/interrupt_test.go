package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/internal/atomicfile"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// bigLedger is a data directory whose export and backup take long enough
// to be interrupted: thousands of entries. Made once: export and backup
// only read it.
func bigLedger(t *testing.T) string {
	t.Helper()
	bigTemplate.once.Do(func() { bigTemplate.dir = makeBigLedger(t) })
	if bigTemplate.dir == "" {
		t.Fatal("no big ledger")
	}
	return bigTemplate.dir
}

var bigTemplate struct {
	once sync.Once
	dir  string
}

func makeBigLedger(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "kioskctl-big-")
	if err != nil {
		t.Fatal(err)
	}
	cleanups = append(cleanups, func() { os.RemoveAll(dir) })
	opts := ledgertest.Options(clock.NewFake(ledgertest.Start), clock.NewFakeSync(true))
	l, err := ledger.Create(context.Background(), dir, ledger.Terminal{Center: ledgertest.Center}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	staff := record.CardUID("99000001")
	if _, err := l.AddStaff(context.Background(), ledger.AddStaff{ID: record.NewEntryID(), UID: staff, Name: "值班员", Role: ledger.RoleStaff, PIN: "2468"}); err != nil {
		t.Fatal(err)
	}
	p, err := l.EnrolPerson(context.Background(), ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: "M1", Name: "王堃", Kind: record.RedVest})
	if err != nil {
		t.Fatal(err)
	}
	err = l.Batch(context.Background(), func(b *ledger.Batch) error {
		for i := range 1500 {
			if _, err := b.Adjust(ledger.Adjust{ID: record.NewEntryID(), Person: p.ID, Points: 1, Reason: "a long history " + strings.Repeat("长", i%40), Operator: staff}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// startKioskctl runs this test binary as kioskctl in a child process.
func startKioskctl(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), "HONGMAJIA_KIOSKCTL_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &stderr
}

// tempFiles lists dir's temporary files (atomicfile's).
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if atomicfile.IsTemp(e.Name()) {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

// waitForTemp waits until the child has begun filling its temporary file.
func waitForTemp(t *testing.T, dir string, cmd *exec.Cmd, stderr *bytes.Buffer) string {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if tmp := tempFiles(t, dir); len(tmp) == 1 {
			return tmp[0]
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	t.Fatalf("no temporary file in %s within 20 s:\n%s", dir, stderr)
	return ""
}

func TestInterruptedWriteLeavesNothing(t *testing.T) {
	data := bigLedger(t)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"export", []string{"export", "--format", "xlsx", "-o", "OUT/entries.xlsx"}},
		{"backup", []string{"backup", "-o", "OUT/copy.db"}},
	} {
		for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
			t.Run(tc.name+" "+sig.String(), func(t *testing.T) {
				out := t.TempDir()
				args := append([]string{}, tc.args...)
				args[len(args)-1] = filepath.Join(out, strings.TrimPrefix(args[len(args)-1], "OUT/"))
				cmd, stderr := startKioskctl(t, append(args, "--data", data)...)
				waitForTemp(t, out, cmd, stderr)
				if err := cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
				err := cmd.Wait()
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.ExitCode() != 1 {
					t.Fatalf("exit %v, want 1 (finished before the signal? make the ledger bigger):\n%s", err, stderr)
				}
				wantIn(t, "stderr", stderr.String(), "interrupted", "not written")
				if ents, _ := os.ReadDir(out); len(ents) != 0 {
					t.Errorf("left behind after %v: %v", sig, ents)
				}
			})
		}
	}
}

// TestKilledWriteIsCleanedUpLater: SIGKILL cannot be caught, so the next
// export or backup (and the kiosk's start) removes what the killed one left.
func TestKilledWriteIsCleanedUpLater(t *testing.T) {
	data := bigLedger(t)
	out := t.TempDir()
	cmd, stderr := startKioskctl(t, "export", "--format", "xlsx", "-o", filepath.Join(out, "entries.xlsx"), "--data", data)
	tmp := waitForTemp(t, out, cmd, stderr)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if got := tempFiles(t, out); len(got) != 1 || got[0] != tmp {
		t.Fatalf("after SIGKILL: temporary files %v, want %s", got, tmp)
	}
	// A minute later the next export removes it, and writes its own file.
	old := time.Now().Add(-atomicfile.StaleAfter - time.Second)
	if err := os.Chtimes(tmp, old, old); err != nil {
		t.Fatal(err)
	}
	code, _, errs := kioskctl(t, "export", "--table", "shifts", "-o", filepath.Join(out, "shifts.csv"), "--data", data)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	wantIn(t, "stderr", errs, "removed "+tmp, "interrupted")
	if got := tempFiles(t, out); len(got) != 0 {
		t.Errorf("temporary files left: %v", got)
	}
	if _, err := os.Stat(filepath.Join(out, "shifts.csv")); err != nil {
		t.Error(err)
	}
	// A fresh one (a writer at work) is left alone, by backup too.
	fresh := filepath.Join(out, ".copy.db.1.hmj-tmp")
	if err := os.WriteFile(fresh, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := kioskctl(t, "backup", "-o", filepath.Join(out, "copy.db"), "--data", data); code != 0 {
		t.Fatalf("backup: exit %d: %s", code, errs)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a temporary file still being written was removed: %v", err)
	}
}
