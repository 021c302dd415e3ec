package ui

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadItemImages(t *testing.T) {
	dir := t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.RGBA{200, 0, 0, 255})
	f, err := os.Create(filepath.Join(dir, "大米.png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.WriteFile(filepath.Join(dir, "坏图.png"), []byte("not a png"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "说明.txt"), []byte("ignored"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := LoadItemImages(dir)
	if err == nil || !strings.Contains(err.Error(), "坏图.png") {
		t.Errorf("err = %v, want the broken file named", err)
	}
	if len(got) != 1 || got["大米"] == nil || got["大米"].Bounds().Dx() != 8 {
		t.Fatalf("images = %v", got)
	}
	none, err := LoadItemImages(filepath.Join(dir, "missing"))
	if err != nil || len(none) != 0 {
		t.Fatalf("missing dir: %v, %v", none, err)
	}
}
