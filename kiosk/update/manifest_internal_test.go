package update

import (
	"archive/tar"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestABundleWithoutKioskctlIsRefused: a signed bundle made by another
// tool, without kioskctl, is refused when it is opened (so by a dry run and
// an update alike): once current, no update or rollback could run, as each
// runs the current version's kioskctl.
func TestABundleWithoutKioskctlIsRefused(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	program := []byte("#!/bin/sh\n")
	sum := sha256.Sum256(program)
	m := Manifest{Format: manifestFormat, Version: "1.2.0", Arch: "amd64", MinSchema: 1, KeyID: KeyID(pub),
		Files: []File{{Name: "kiosk", Size: int64(len(program)), SHA256: hex.EncodeToString(sum[:]), Mode: 0o755}}}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "no-kioskctl.bundle")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	for _, member := range []struct {
		name string
		body []byte
	}{{manifestName, raw}, {signatureName, ed25519.Sign(priv, signedBytes(raw))}, {"kiosk", program}} {
		if err := tw.WriteHeader(&tar.Header{Name: member.name, Mode: 0o644, Size: int64(len(member.body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(member.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := errors.Join(tw.Close(), gz.Close(), f.Close()); err != nil {
		t.Fatal(err)
	}
	b, err := OpenBundle(path, []PublicKey{{Key: pub}})
	if err == nil {
		b.Close()
		t.Fatal("a bundle without kioskctl opened")
	}
	if !errors.Is(err, ErrNotBundle) || !strings.Contains(err.Error(), "no kioskctl") {
		t.Errorf("got %v, want a bundle without kioskctl refused", err)
	}
}

// TestNoVersionsDirectoryIsSaidPlainly: a kiosk whose package never made
// the versions directory is told so, and what makes it, without a system
// call's words; the error still is fs.ErrNotExist for the callers that
// treat a missing directory as nothing to do.
func TestNoVersionsDirectoryIsSaidPlainly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "versions")
	u := &Updater{Versions: dir, Data: t.TempDir(), Arch: "amd64"}
	err := u.Update(t.Context(), filepath.Join(t.TempDir(), "x.bundle"), Options{DryRun: true})
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("update without a versions directory: %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"no versions directory " + dir, "kioskctl update --seed", "nothing changed"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "lstat") || strings.Contains(msg, "no such file") {
		t.Errorf("%q: a system call's words", msg)
	}
}

// TestNoTrustedKeysDirectory: a kiosk without the trusted keys' directory
// is told what to do, as one with an empty directory is.
func TestNoTrustedKeysDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "trusted-keys")
	_, err := LoadTrusted(dir)
	if err == nil || !strings.Contains(err.Error(), "no directory "+dir) || !strings.Contains(err.Error(), ".pub") || strings.Contains(err.Error(), "stat ") {
		t.Errorf("no trusted keys' directory: %v", err)
	}
}
