package ui

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/go-text/typesetting/font"
	"github.com/hajimehoshi/ebiten/v2/text/v2"
	"github.com/hongmajia/hongmajia/assets"
)

// SystemCJKFonts are where Debian puts CJK fonts, tried in order for
// characters outside the embedded subset. The WenQuanYi files come first:
// they are small, and parsing the whole Noto collection costs tens of MB.
var SystemCJKFonts = []string{
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
}

// ErrNoFallbackFont means no system CJK font was found: characters outside
// the embedded subset cannot be drawn.
var ErrNoFallbackFont = errors.New("ui: no system CJK font for characters outside the embedded subset")

// Fonts are the embedded faces and, loaded the first time a string needs it,
// a system CJK font for the characters the subset lacks.
type Fonts struct {
	regular, bold *text.GoTextFaceSource

	fallbackPaths []string
	fallbackOnce  sync.Once
	fallback      *text.GoTextFaceSource
	fallbackErr   error

	mu    sync.Mutex
	multi map[faceKey]text.Face
}

type faceKey struct {
	size float64
	bold bool
}

// LoadFonts parses the embedded fonts. fallbackPaths are tried in order for
// missing characters (nil means SystemCJKFonts).
func LoadFonts(fallbackPaths []string) (*Fonts, error) {
	if fallbackPaths == nil {
		fallbackPaths = SystemCJKFonts
	}
	reg, err := text.NewGoTextFaceSource(bytes.NewReader(assets.FontRegular()))
	if err != nil {
		return nil, fmt.Errorf("ui: load embedded regular font: %w", err)
	}
	bold, err := text.NewGoTextFaceSource(bytes.NewReader(assets.FontBold()))
	if err != nil {
		return nil, fmt.Errorf("ui: load embedded bold font: %w", err)
	}
	return &Fonts{regular: reg, bold: bold, fallbackPaths: fallbackPaths, multi: map[faceKey]text.Face{}}, nil
}

// sourceHas reports whether a face source maps r to a glyph.
func sourceHas(src *text.GoTextFaceSource, r rune) bool {
	f, ok := src.UnsafeInternal().(*font.Face)
	if !ok {
		return true // cannot tell; the tofu test would catch an ebiten change
	}
	_, ok = f.Cmap.Lookup(r)
	return ok
}

// Covered reports whether the embedded font has every character of s.
func (f *Fonts) Covered(s string) bool {
	for _, r := range s {
		if r != '\n' && !sourceHas(f.regular, r) {
			return false
		}
	}
	return true
}

// Fallback loads the system CJK font if not done yet, and reports which
// file it is, or ErrNoFallbackFont.
func (f *Fonts) Fallback() (string, error) {
	f.fallbackOnce.Do(func() {
		f.fallbackErr = ErrNoFallbackFont
		for _, p := range f.fallbackPaths {
			src, err := loadSystemFont(p)
			if err == nil {
				f.fallback, f.fallbackErr = src, nil
				f.fallbackPaths = []string{p}
				return
			}
		}
	})
	if f.fallbackErr != nil {
		return "", f.fallbackErr
	}
	return f.fallbackPaths[0], nil
}

// loadSystemFont opens a font or collection; from a collection it takes the
// Simplified Chinese face when one is named so, else the first. The file
// stays open: the face reads glyphs from it as needed.
func loadSystemFont(path string) (*text.GoTextFaceSource, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	srcs, err := text.NewGoTextFaceSourcesFromCollection(file)
	if err != nil || len(srcs) == 0 {
		file.Close()
		return nil, fmt.Errorf("ui: load %s: %v", path, err)
	}
	for _, s := range srcs {
		if strings.HasSuffix(s.Metadata().Family, " SC") {
			return s, nil
		}
	}
	return srcs[0], nil
}

// Face is the face to draw s with: the embedded one, or the embedded one
// followed by the system fallback when s has characters the subset lacks.
func (f *Fonts) Face(s string, size float64, bold bool) text.Face {
	src := f.regular
	if bold {
		src = f.bold
	}
	primary := &text.GoTextFace{Source: src, Size: size}
	if f.Covered(s) {
		return primary
	}
	if _, err := f.Fallback(); err != nil {
		return primary
	}
	key := faceKey{size, bold}
	f.mu.Lock()
	defer f.mu.Unlock()
	if m, ok := f.multi[key]; ok {
		return m
	}
	m, err := text.NewMultiFace(primary, &text.GoTextFace{Source: f.fallback, Size: size})
	if err != nil {
		return primary
	}
	f.multi[key] = m
	return m
}

// Advance is the width of s in pixels: Fonts is the Builder's Measurer.
func (f *Fonts) Advance(s string, size float64, bold bool) float64 {
	return text.Advance(s, f.Face(s, size, bold))
}
