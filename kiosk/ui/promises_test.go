package ui

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The README: a catalog picture may be at most 2 MB (2 MiB): one of exactly
// that size loads, one byte more is skipped and named.
func TestPromiseItemPicturesUpTo2MB(t *testing.T) {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, size := range map[string]int{"大米.png": 2 << 20, "食用油.png": 2<<20 + 1} {
		// A PNG decoder stops at IEND: the padding after it only adds size.
		data := append(bytes.Clone(b.Bytes()), make([]byte, size-b.Len())...)
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := LoadItemImages(dir)
	if got["大米"] == nil {
		t.Errorf("a picture of exactly 2 MiB was not loaded: %v", err)
	}
	if got["食用油"] != nil || err == nil || !strings.Contains(err.Error(), "食用油.png") {
		t.Errorf("a picture of 2 MiB and a byte: loaded %v, err %v; want it skipped and named", got["食用油"] != nil, err)
	}
}
