package hubtest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BundleFile writes a file shaped like a release bundle of version for
// arch into dir and returns its path: a manifest naming two programs (a
// kiosk and the kioskctl every release holds), a signature of the right
// length by no key (the hub checks a bundle's form, never its signature),
// the programs. tamper, when set, changes the bundle's kiosk after its hash
// went into the manifest.
func BundleFile(t testing.TB, dir, version, arch string, tamper bool) string {
	t.Helper()
	prog := []byte("#!/bin/sh\necho kiosk " + version + "\n")
	ctl := []byte("#!/bin/sh\necho kioskctl " + version + "\n")
	sum, ctlSum := sha256.Sum256(prog), sha256.Sum256(ctl)
	if tamper {
		prog[len(prog)-2] ^= 1
	}
	manifest, err := json.Marshal(map[string]any{"format": 1, "version": version, "arch": arch, "min_schema": 1,
		"key_id": "test", "files": []map[string]any{
			{"name": "kiosk", "size": len(prog), "sha256": hex.EncodeToString(sum[:]), "mode": 0o755},
			{"name": "kioskctl", "size": len(ctl), "sha256": hex.EncodeToString(ctlSum[:]), "mode": 0o755}}})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, m := range []struct {
		name string
		body []byte
	}{{"manifest.json", manifest}, {"manifest.sig", bytes.Repeat([]byte{7}, 64)}, {"kiosk", prog}, {"kioskctl", ctl}} {
		if err := tw.WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(m.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("hongmajia-%s-%s-%t.bundle", version, arch, tamper))
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
