package ui

import (
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // item pictures may be JPEG
	_ "image/png"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maxImageBytes bounds an item picture's file: a photo straight off a phone
// would cost the Pi's memory more than the tile is worth.
const maxImageBytes = 2 << 20

// LoadItemImages reads the catalog's pictures from dir, one file per item
// named after it (大米.png, 理发服务.jpg), keyed by that name. A missing
// directory is no pictures; a file that is too large or not an image is
// skipped and reported in the error, never fatal: its item keeps its
// generated tile. Called once at start, so the frame loop never reads disk.
func LoadItemImages(dir string) (map[string]image.Image, error) {
	images := map[string]image.Image{}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return images, nil
	}
	if err != nil {
		return images, fmt.Errorf("ui: item pictures: %w", err)
	}
	var errs []error
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || (ext != ".png" && ext != ".jpg" && ext != ".jpeg") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		img, err := loadImage(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		images[strings.TrimSuffix(e.Name(), filepath.Ext(e.Name()))] = img
	}
	return images, errors.Join(errs...)
}

func loadImage(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ui: item picture: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("ui: item picture: %w", err)
	}
	if st.Size() > maxImageBytes {
		return nil, fmt.Errorf("ui: item picture %s: %d bytes, more than %d", path, st.Size(), maxImageBytes)
	}
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("ui: item picture %s: %w", path, err)
	}
	return img, nil
}
