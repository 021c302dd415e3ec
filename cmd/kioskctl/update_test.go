package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// release is a directory of files to bundle: a program (this test binary,
// for its architecture) and a note.
func release(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kiosk"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "NOTES"), []byte("release notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The version's kioskctl, which an update runs for the ledger's part
	// (as the data directory's owner): this test binary as kioskctl.
	script := "#!/bin/sh\nHONGMAJIA_KIOSKCTL_MAIN=1 exec '" + exe + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "kioskctl"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestKeygenBundleAndADryRunUpdate(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "release.key")
	if code, out, errs := kioskctl(t, "keygen", "-o", key, "--name", "区技术员 王工"); code != 0 || !strings.Contains(out, "key id ") {
		t.Fatalf("keygen: %d %q %q", code, out, errs)
	}
	for p, mode := range map[string]os.FileMode{key: 0o600, key + ".pub": 0o644} {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != mode {
			t.Errorf("%s: %v %v, want mode %v", p, st.Mode(), err, mode)
		}
	}
	if code, _, errs := kioskctl(t, "keygen", "-o", key); code != 1 || !strings.Contains(errs, "exists: not replacing a key") {
		t.Errorf("keygen over a key: %d %q", code, errs)
	} else if !strings.HasPrefix(errs, "kioskctl keygen: ") || strings.Contains(errs, "keygen: keygen:") {
		t.Errorf("keygen over a key: %q, want the command named once", errs)
	}
	trusted := filepath.Join(dir, "trusted")
	os.Mkdir(trusted, 0o755)
	pub, _ := os.ReadFile(key + ".pub")
	os.WriteFile(filepath.Join(trusted, "release.pub"), pub, 0o644)

	rel := release(t)
	bundle := filepath.Join(dir, "hongmajia-0.2.0.bundle")
	code, out, errs := kioskctl(t, "bundle", "--key", key, "--version", "0.2.0", "-o", bundle, filepath.Join(rel, "kiosk"), filepath.Join(rel, "kioskctl"), filepath.Join(rel, "NOTES"))
	if code != 0 || !strings.Contains(out, "version 0.2.0 for "+runtime.GOARCH) {
		t.Fatalf("bundle: %d %q %q", code, out, errs)
	}
	// A release without kioskctl would install, and then no update or
	// rollback could run (each runs the current version's kioskctl):
	// refused when it is made.
	noTool := filepath.Join(dir, "hongmajia-0.2.1.bundle")
	if code, _, errs := kioskctl(t, "bundle", "--key", key, "--version", "0.2.1", "-o", noTool, filepath.Join(rel, "kiosk"), filepath.Join(rel, "NOTES")); code != 1 || !strings.Contains(errs, "no kioskctl") {
		t.Errorf("bundle without kioskctl: %d %q", code, errs)
	}
	if _, err := os.Stat(noTool); err == nil {
		t.Error("bundle without kioskctl was written")
	}
	if code, _, errs := kioskctl(t, "bundle", "--key", key+".pub", "--version", "0.2.0", "-o", bundle+"2", filepath.Join(rel, "NOTES")); code != 1 || !strings.Contains(errs, "this is a public key") {
		t.Errorf("bundle with the public key: %d %q", code, errs)
	}

	data := demoData(t)
	versions := filepath.Join(dir, "versions")
	common := []string{"--data", data, "--versions", versions, "--trusted", trusted}
	if code, out, errs := kioskctl(t, append([]string{"update", "--seed", rel, "--version", "0.1.0"}, common...)...); code != 0 || !strings.Contains(out, "0.1.0 is current") {
		t.Fatalf("seed: %d %q %q", code, out, errs)
	}
	if code, out, _ := kioskctl(t, append([]string{"update", "--seed", rel, "--version", "0.0.9"}, common...)...); code != 0 || !strings.Contains(out, "0.1.0 stays current") {
		t.Errorf("seed an older package: %d %q", code, out)
	}
	code, out, errs = kioskctl(t, append(append([]string{"update", "--dry-run"}, common...), bundle)...)
	if code != 0 || !strings.Contains(out, "would update 0.1.0 to 0.2.0; nothing changed") {
		t.Fatalf("update --dry-run: %d %q %q", code, out, errs)
	}
	// From the hub, or any web server: the same checks.
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	code, out, errs = kioskctl(t, append(append([]string{"update", "--dry-run"}, common...), srv.URL+"/hongmajia-0.2.0.bundle")...)
	if code != 0 || !strings.Contains(out, "downloaded ") || !strings.Contains(out, "would update 0.1.0 to 0.2.0") {
		t.Fatalf("update --dry-run URL: %d %q %q", code, out, errs)
	}
	if left, _ := filepath.Glob(filepath.Join(versions, ".download-*")); len(left) != 0 {
		t.Errorf("downloads left: %v", left)
	}
	code, _, errs = kioskctl(t, append(append([]string{"update", "--dry-run"}, common...), srv.URL+"/nothing.bundle")...)
	if code != 1 || !strings.Contains(errs, "404") {
		t.Errorf("update from a missing URL: %d %q", code, errs)
	}
	// A kiosk that trusts another key refuses it.
	other := filepath.Join(dir, "other")
	kioskctl(t, "keygen", "-o", other)
	os.Rename(other+".pub", filepath.Join(trusted, "release.pub"))
	code, _, errs = kioskctl(t, append(append([]string{"update", "--dry-run"}, common...), bundle)...)
	if code != 1 || !strings.Contains(errs, "does not trust") || !strings.Contains(errs, "nothing changed") {
		t.Errorf("update with an untrusted key: %d %q", code, errs)
	}
	if strings.Contains(errs, "update: update:") {
		t.Errorf("update with an untrusted key: %q, want the command named once", errs)
	}
	if code, _, errs := kioskctl(t, "rollback", "--data", data, "--versions", versions); code != 1 || !strings.Contains(errs, "no previous version") {
		t.Errorf("rollback without a previous version: %d %q", code, errs)
	}
}

func TestMigrateVerifies(t *testing.T) {
	data := demoData(t)
	if code, out, errs := kioskctl(t, "migrate", "--data", data); code != 0 || !strings.Contains(out, "verified") {
		t.Errorf("migrate: %d %q %q", code, out, errs)
	}
	if code, _, errs := kioskctl(t, "migrate", "--data", t.TempDir()); code != 1 || !strings.Contains(errs, "no ledger") {
		t.Errorf("migrate without a ledger: %d %q", code, errs)
	}
}

// The units' ExecStartPre (update --recover --no-start) seeds the package's
// programs when the versions directory has no current version, so a kiosk
// whose versions directory was lost still starts; a current version, or an
// update still in progress, is left alone.
func TestRecoverSeedsWhenThereIsNoCurrentVersion(t *testing.T) {
	dir := t.TempDir()
	rel := release(t)
	data := filepath.Join(dir, "data")
	versions := filepath.Join(dir, "data", "versions")
	// The data directory is there (the package's tmpfiles make it); the
	// versions directory in it was lost.
	if err := os.Mkdir(data, 0o750); err != nil {
		t.Fatal(err)
	}
	common := []string{"update", "--recover", "--no-start", "--data", data, "--versions", versions, "--seed", rel}

	// This test binary is a development build: no release to seed as.
	code, _, errs := kioskctl(t, common...)
	if code != 1 || !strings.Contains(errs, "development build") || !strings.Contains(errs, "--seed") {
		t.Errorf("recover without a version to seed as: %d %q", code, errs)
	}
	if _, err := os.Lstat(filepath.Join(versions, "current")); err == nil {
		t.Error("a refused seed made a current version")
	}

	code, out, errs := kioskctl(t, append(common, "--version", "0.3.0")...)
	if code != 0 || !strings.Contains(out, "seeded 0.3.0") {
		t.Fatalf("recover with no versions directory: %d %q %q", code, out, errs)
	}
	if b, err := os.ReadFile(filepath.Join(versions, "current", "NOTES")); err != nil || string(b) != "release notes\n" {
		t.Errorf("current/NOTES: %q %v", b, err)
	}
	// The version that is current stays, even when the package is newer
	// (that is postinst's seed, not recover's).
	code, out, errs = kioskctl(t, append(common, "--version", "0.4.0")...)
	if code != 0 || out != "" {
		t.Errorf("recover with a current version: %d %q %q", code, out, errs)
	}
	if got, _ := os.Readlink(filepath.Join(versions, "current")); got != "0.3.0" {
		t.Errorf("current is %q, want 0.3.0", got)
	}
	// Lost again: seeded again.
	if err := os.Remove(filepath.Join(versions, "current")); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := kioskctl(t, append(common, "--version", "0.4.0")...); code != 0 || !strings.Contains(out, "seeded 0.4.0") {
		t.Errorf("recover after current was removed: %d %q %q", code, out, errs)
	}
	// Nothing to seed from: says to reinstall.
	os.Remove(filepath.Join(versions, "current"))
	code, _, errs = kioskctl(t, "update", "--recover", "--no-start", "--data", data, "--versions", versions, "--seed", filepath.Join(dir, "none"), "--version", "0.4.0")
	if code != 1 || !strings.Contains(errs, "reinstall hongmajia-kiosk") {
		t.Errorf("recover with nothing to seed from: %d %q", code, errs)
	}
}

// TestUpdateOffered: `update --offered` reads the offer in DATA/incoming;
// outside its window it says so and exits 0 with nothing changed, a bundle
// given with it is a usage error, and no offer is a failure.
func TestUpdateOffered(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "release.key")
	if code, _, errs := kioskctl(t, "keygen", "-o", key); code != 0 {
		t.Fatalf("keygen: %s", errs)
	}
	trusted := filepath.Join(dir, "trusted")
	os.Mkdir(trusted, 0o755)
	pub, _ := os.ReadFile(key + ".pub")
	os.WriteFile(filepath.Join(trusted, "release.pub"), pub, 0o644)
	data, versions := filepath.Join(dir, "data"), filepath.Join(dir, "versions")
	incoming := filepath.Join(data, "incoming")
	os.MkdirAll(incoming, 0o750)
	args := []string{"update", "--offered", "--data", data, "--versions", versions, "--trusted", trusted, "--unit", "none"}

	if code, _, errs := kioskctl(t, args...); code != 1 || !strings.Contains(errs, "offer") {
		t.Errorf("no offer: %d %q", code, errs)
	}
	if code, _, _ := kioskctl(t, append(args, "some.bundle")...); code != 2 {
		t.Errorf("--offered with a bundle: %d, want 2", code)
	}
	body := []byte("the bundle")
	sum := sha256.Sum256(body)
	hexSum := hex.EncodeToString(sum[:])
	os.WriteFile(filepath.Join(incoming, hexSum+".bundle"), body, 0o640)
	offer := fmt.Sprintf(`{"version":"1.4.2","arch":%q,"size":%d,"sha256":%q,"not_before":"2001-01-01T02:00:00Z","not_after":"2001-01-01T04:00:00Z"}`,
		runtime.GOARCH, len(body), hexSum)
	os.WriteFile(filepath.Join(incoming, "offer.json"), []byte(offer), 0o640)
	code, out, errs := kioskctl(t, args...)
	if code != 0 || !strings.Contains(out, "outside the sync window") {
		t.Errorf("outside the window: %d %q %q", code, out, errs)
	}
	// The window in one zone, as a technician reads a time; said once.
	if !strings.Contains(out, "2001-01-01 02:00 to 04:00") || strings.Contains(out, "T02:00:00") || strings.Contains(out, "update: offered") {
		t.Errorf("outside the window: %q, want the window in plain words", out)
	}
	if _, err := os.Stat(filepath.Join(versions, "offered.json")); err == nil {
		t.Error("an outcome recorded outside the window")
	}
}
