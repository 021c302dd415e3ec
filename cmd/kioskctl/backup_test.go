package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

func TestBackupIsVerifiedCopy(t *testing.T) {
	dir := demoData(t)
	out := filepath.Join(t.TempDir(), "ledger-backup.db")
	code, stdout, stderr := kioskctl(t, "backup", "--data", dir, "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	wantIn(t, "stdout", stdout, "wrote "+out, "verified")
	rep, err := ledger.VerifyFile(context.Background(), out)
	if err != nil || !rep.OK() {
		t.Fatalf("backup does not verify: %v %v", err, rep)
	}
	// Restored as a data directory, it is the same ledger.
	restored := t.TempDir()
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(restored, ledger.FileName), b, 0o600); err != nil {
		t.Fatal(err)
	}
	orig, err := openDemo(t, dir).Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	copied, err := openDemo(t, restored).Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if copied.Entries != orig.Entries || copied.People != orig.People || copied.Terminal != orig.Terminal || copied.Sync.HeadSeq != orig.Sync.HeadSeq {
		t.Errorf("restored %+v, original %+v", copied, orig)
	}
}

func TestBackupRefusesToReplace(t *testing.T) {
	dir := demoData(t)
	out := filepath.Join(t.TempDir(), "yesterday.db")
	if err := os.WriteFile(out, []byte("yesterday's backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := kioskctl(t, "backup", "--data", dir, "-o", out)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	wantIn(t, "stderr", stderr, out+" exists", "--force")
	if b, _ := os.ReadFile(out); string(b) != "yesterday's backup" {
		t.Fatal("the refused backup changed the file")
	}
	if code, _, stderr := kioskctl(t, "backup", "--data", dir, "-o", out, "--force"); code != 0 {
		t.Fatalf("--force: exit %d: %s", code, stderr)
	}
	if rep, err := ledger.VerifyFile(context.Background(), out); err != nil || !rep.OK() {
		t.Fatalf("forced backup does not verify: %v %v", err, rep)
	}
}

func TestBackupBadTargets(t *testing.T) {
	dir := demoData(t)
	for name, tc := range map[string]struct {
		args []string
		code int
		want string
	}{
		"no output":         {nil, 2, "-o FILE is required"},
		"a directory":       {[]string{"-o", t.TempDir()}, 1, "is a directory"},
		"the ledger itself": {[]string{"-o", filepath.Join(dir, ledger.FileName), "--force"}, 1, "is the ledger itself"},
		"no such directory": {[]string{"-o", filepath.Join(t.TempDir(), "gone", "b.db")}, 1, "no such file or directory"},
		"missing data":      {[]string{"-o", filepath.Join(t.TempDir(), "b.db"), "--data", filepath.Join(dir, "nope")}, 1, "does not exist"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := kioskctl(t, append([]string{"backup", "--data", dir}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, stderr)
			}
			wantIn(t, "stderr", stderr, tc.want)
		})
	}
	if rep, err := ledger.VerifyFile(context.Background(), filepath.Join(dir, ledger.FileName)); err != nil || !rep.OK() {
		t.Fatalf("the ledger was harmed: %v %v", err, rep)
	}
}

// A backup taken while the kiosk is tapping is a consistent copy: it
// verifies, and holds a prefix of the terminal's entries.
func TestBackupWhileTapping(t *testing.T) {
	dir := demoData(t)
	l := openDemo(t, dir)
	ctx := context.Background()
	station, err := l.StationActivity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var taps int
	var tapErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, uid := range []record.CardUID{"88000001", "88000002", "88000003"} {
				_, err := l.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: uid, Activity: station.ID})
				if errors.Is(err, ledger.ErrShiftOpen) {
					_, err = l.CheckOut(ctx, ledger.CheckOut{ID: record.NewEntryID(), Card: uid})
				}
				if err != nil {
					tapErr = err
					return
				}
				taps++
			}
		}
	}()
	out := t.TempDir()
	for i, name := range []string{"a.db", "b.db", "c.db"} {
		path := filepath.Join(out, name)
		code, _, stderr := kioskctl(t, "backup", "--data", dir, "-o", path)
		if code != 0 {
			close(stop)
			wg.Wait()
			t.Fatalf("backup %d: exit %d: %s", i, code, stderr)
		}
		rep, err := ledger.VerifyFile(ctx, path)
		if err != nil || !rep.OK() {
			t.Errorf("backup %d taken while tapping does not verify: %v %v", i, err, rep.Problems)
		}
	}
	close(stop)
	wg.Wait()
	if tapErr != nil {
		t.Fatalf("tapping beside the backups: %v", tapErr)
	}
	if taps == 0 {
		t.Fatal("no taps happened during the backups")
	}
	t.Logf("%d taps during three backups", taps)
}
