package update_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hongmajia/hongmajia/kiosk/update"
	"github.com/hongmajia/hongmajia/ledger"
)

func TestUpdateThenRollbackByHand(t *testing.T) {
	k := newKiosk(t)
	var log strings.Builder
	u := k.updater(&log)
	if err := u.Update(context.Background(), k.bundle("1.1.0", "healthy", ledger.SchemaVersion()), update.Options{}); err != nil {
		t.Fatalf("update: %v\n%s", err, log.String())
	}
	k.settled("1.1.0")
	if in := k.installed(); in.Previous != "1.0.0" {
		t.Errorf("previous %q, want 1.0.0", in.Previous)
	}
	for _, step := range []string{"signed by " + update.KeyID(mustKey(t, k.trusted)), "unpacked 1.1.0", "backed up the ledger",
		"switched: current is 1.1.0", "started 1.1.0", "updated: 1.1.0 is current and healthy"} {
		if !strings.Contains(log.String(), step) {
			t.Errorf("the log lacks %q:\n%s", step, log.String())
		}
	}
	// Every step is in the versions directory's log too.
	if b, err := os.ReadFile(filepath.Join(k.versions, "update.log")); err != nil || !strings.Contains(string(b), "updated: 1.1.0") {
		t.Errorf("update.log: %v\n%s", err, b)
	}
	backups, _ := filepath.Glob(filepath.Join(k.versions, "backups", "ledger-*-1.0.0-to-1.1.0.db"))
	if len(backups) != 1 {
		t.Fatalf("backups %v, want one before 1.1.0", backups)
	}
	if rep, err := ledger.VerifyFile(context.Background(), backups[0]); err != nil || !rep.OK() || rep.Entries != k.entries {
		t.Errorf("the backup: %v %+v", err, rep)
	}

	log.Reset()
	if err := u.Rollback(context.Background(), false); err != nil {
		t.Fatalf("rollback: %v\n%s", err, log.String())
	}
	k.settled("1.0.0")
	if in := k.installed(); in.Previous != "1.1.0" {
		t.Errorf("after the rollback previous is %q, want 1.1.0", in.Previous)
	}
	if !strings.Contains(log.String(), "rolled back: 1.0.0 is current and healthy") {
		t.Errorf("rollback log:\n%s", log.String())
	}
}

func mustKey(t *testing.T, dir string) []byte {
	t.Helper()
	keys, err := update.LoadTrusted(dir)
	if err != nil {
		t.Fatal(err)
	}
	return keys[0].Key
}

func TestAnUnhealthyVersionIsRolledBack(t *testing.T) {
	for _, tc := range []struct{ behaviour, why string }{
		{"sick", "not healthy: reader: mfrc522 /dev/spidev0.0: wiring"},
		{"crash", "never answered"},
	} {
		t.Run(tc.behaviour, func(t *testing.T) {
			k := newKiosk(t)
			var log strings.Builder
			err := k.updater(&log).Update(context.Background(), k.bundle("1.1.0", tc.behaviour, ledger.SchemaVersion()), update.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.why) || !strings.Contains(err.Error(), "rolled back to 1.0.0") {
				t.Fatalf("update = %v, want it rolled back because %s\n%s", err, tc.why, log.String())
			}
			k.settled("1.0.0")
			if in := k.installed(); in.Previous != "" {
				t.Errorf("previous %q after a rollback, want what it was (none)", in.Previous)
			}
			if !strings.Contains(log.String(), "rolled back: 1.0.0 is current and healthy") {
				t.Errorf("log:\n%s", log.String())
			}
			// The failed version's directory stays until the next update
			// replaces or prunes it; the next good one goes in.
			if err := k.updater(nil).Update(context.Background(), k.bundle("1.1.1", "healthy", ledger.SchemaVersion()), update.Options{}); err != nil {
				t.Fatal(err)
			}
			k.settled("1.1.1")
			if _, err := os.Stat(filepath.Join(k.versions, "1.1.0")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the failed version was not pruned: %v", err)
			}
		})
	}
}

// listing is every name under dir with its size, to see that nothing
// changed.
func listing(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Name() == "update.log" || d.Name() == "update.lock" { // every real try is logged; the lock is a fixture
			return nil
		}
		info, _ := d.Info()
		l, _ := os.Readlink(p)
		out = append(out, strings.TrimPrefix(p, dir)+" "+info.Mode().String()+" "+l+" "+itoa(info.Size()))
		return nil
	})
	slices.Sort(out)
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// rewrite copies a bundle member by member, letting edit change (or drop,
// returning nil) each.
func rewrite(t *testing.T, from string, edit func(name string, body []byte) []byte, add ...string) string {
	t.Helper()
	f, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if body = edit(hdr.Name, body); body == nil {
			continue
		}
		hdr.Size = int64(len(body))
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		tw.Write(body)
	}
	for _, n := range add {
		tw.WriteHeader(&tar.Header{Name: n, Mode: 0o755, Size: 2, Typeflag: tar.TypeReg})
		tw.Write([]byte("hi"))
	}
	tw.Close()
	zw.Close()
	out := filepath.Join(t.TempDir(), "edited.bundle")
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRefusedBundlesChangeNothing(t *testing.T) {
	k := newKiosk(t)
	good := k.bundle("1.1.0", "healthy", ledger.SchemaVersion())
	other := runtime.GOARCH + "x"
	if runtime.GOARCH == "amd64" {
		other = "arm64"
	}
	for _, tc := range []struct {
		name   string
		bundle func() string
		free   uint64
		want   error
		says   string
	}{
		{"a file changed", func() string {
			return rewrite(t, good, func(n string, b []byte) []byte {
				if n == "behaviour" {
					return []byte("crash\n\n\n") // the same length
				}
				return b
			})
		}, 0, update.ErrTampered, "behaviour has SHA-256"},
		{"a file added", func() string {
			return rewrite(t, good, func(n string, b []byte) []byte {
				if n == "behaviour" {
					return b
				}
				return b
			}, "kiosk-helper")
		}, 0, update.ErrTampered, "kiosk-helper is not in the manifest"},
		{"a file missing", func() string {
			return rewrite(t, good, func(n string, b []byte) []byte {
				if n == "kioskctl" {
					return nil
				}
				return b
			})
		}, 0, update.ErrTampered, "kioskctl is missing"},
		{"the manifest changed", func() string {
			return rewrite(t, good, func(n string, b []byte) []byte {
				if n == "manifest.json" {
					return bytes.Replace(b, []byte(`"1.1.0"`), []byte(`"1.1.9"`), 1)
				}
				return b
			})
		}, 0, update.ErrTampered, "does not hold"},
		{"unsigned", func() string {
			return rewrite(t, good, func(n string, b []byte) []byte {
				if n == "manifest.sig" {
					return nil
				}
				return b
			})
		}, 0, update.ErrUnsigned, "not signed"},
		{"an untrusted key", func() string {
			return k.bundleWith(bundles.otherKey, "1.1.0", "healthy", ledger.SchemaVersion(), "")
		}, 0, update.ErrUntrusted, "does not trust"},
		{"another architecture", func() string {
			return k.bundleWith(bundles.key, "1.1.0", "healthy", ledger.SchemaVersion(), other)
		}, 0, update.ErrArch, "this kiosk is " + runtime.GOARCH},
		{"older", func() string { return k.bundle("0.9.0", "healthy", ledger.SchemaVersion()) }, 0, update.ErrDowngrade, "--allow-downgrade"},
		{"the same version", func() string { return k.bundle("1.0.0", "healthy", ledger.SchemaVersion()) }, 0, update.ErrDowngrade, "already current"},
		{"a version older than the ledger", func() string { return k.bundle("1.2.0", "healthy", ledger.SchemaVersion()-1) }, 0, update.ErrDowngrade, "opens ledgers up to schema"},
		{"larger than the free disk", func() string { return good }, 1 << 20, update.ErrNoSpace, "free"},
		{"not a bundle", func() string {
			p := filepath.Join(t.TempDir(), "x.bundle")
			os.WriteFile(p, []byte("hello"), 0o644)
			return p
		}, 0, update.ErrNotBundle, "not a release bundle"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := listing(t, k.root)
			u := k.updater(nil)
			if tc.free != 0 {
				u.Free = func(string) (uint64, error) { return tc.free, nil }
			}
			for _, o := range []update.Options{{DryRun: true}, {}} {
				err := u.Update(context.Background(), tc.bundle(), o)
				if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), "nothing changed") {
					t.Errorf("update %+v = %v, want %v saying %q and that nothing changed", o, err, tc.want, tc.says)
				}
			}
			if after := listing(t, k.root); !slices.Equal(before, after) {
				t.Errorf("something changed:\nbefore %q\nafter  %q", before, after)
			}
			k.settled("1.0.0")
		})
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	k := newKiosk(t)
	before := listing(t, k.root)
	var log strings.Builder
	if err := k.updater(&log).Update(context.Background(), k.bundle("1.1.0", "healthy", ledger.SchemaVersion()), update.Options{DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if after := listing(t, k.root); !slices.Equal(before, after) {
		t.Errorf("a dry run changed something:\nbefore %q\nafter  %q", before, after)
	}
	if _, err := os.Stat(filepath.Join(k.versions, "update.log")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a dry run wrote update.log: %v", err)
	}
	for _, s := range []string{"files match the signed manifest", "the ledger verifies", "would update 1.0.0 to 1.1.0; nothing changed"} {
		if !strings.Contains(log.String(), s) {
			t.Errorf("dry run log lacks %q:\n%s", s, log.String())
		}
	}
	if k.svc.starts != 1 {
		t.Errorf("a dry run restarted the kiosk")
	}
}

func TestADowngradeIsRecorded(t *testing.T) {
	k := newKiosk(t)
	u := k.updater(nil)
	if err := u.Update(context.Background(), k.bundle("1.1.0", "healthy", ledger.SchemaVersion()), update.Options{}); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	u.Log = &log
	if err := u.Update(context.Background(), k.bundle("1.0.5", "healthy", ledger.SchemaVersion()), update.Options{AllowDowngrade: true}); err != nil {
		t.Fatal(err)
	}
	k.settled("1.0.5")
	if !strings.Contains(log.String(), "DOWNGRADE from 1.1.0 to 1.0.5") {
		t.Errorf("log:\n%s", log.String())
	}
	b, err := os.ReadFile(filepath.Join(k.versions, "1.0.5", "installed.json"))
	var rec struct {
		From      string `json:"from"`
		Downgrade bool   `json:"downgrade"`
	}
	if err == nil {
		err = json.Unmarshal(b, &rec)
	}
	if err != nil || rec.From != "1.1.0" || !rec.Downgrade {
		t.Errorf("installed.json %s: %v", b, err)
	}
}
