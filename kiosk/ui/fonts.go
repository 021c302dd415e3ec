package ui

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"sync"
	"unicode"

	"github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/font/opentype"
	"github.com/hajimehoshi/ebiten/v2/text/v2"

	"github.com/hongmajia/hongmajia/assets"
)

// The font chain, for each character of a string, in order:
//
//  1. the embedded Noto Sans SC subset (GB2312, the 8,105 characters of the
//     通用规范汉字表, the catalog): every UI string and nearly every name;
//  2. the embedded Unifont glyphs of U+4DB6–U+4DBF, the end of CJK
//     Extension A that Noto Sans CJK lacks: one weight only, so in a bold
//     name they stay regular (no bold face exists, and a faked one, the
//     glyph drawn twice a pixel apart, smears these 16-pixel bitmaps);
//  3. a system CJK font, Noto Sans CJK SC from Debian's fonts-noto-cjk,
//     loaded the first time a string needs it: the rest of Extension A, of
//     the unified ideographs and 2,365 characters of the supplementary
//     planes; bold text takes its bold face (NotoSansCJK-Bold.ttc), so a
//     bold name is bold in every character; only where no bold face is
//     installed (WenQuanYi) does bold text take the regular one;
//  4. the placeholder: a box with the code point's hex digits, for a
//     character no font has, logged once.
//
// The system font is parsed only when needed because it costs memory: its
// glyph table is 15 MB, read into the heap whole.

// SystemCJKFonts are the system fonts tried, in order, for characters the
// embedded fonts lack; the first that loads is used. Noto Sans CJK (Debian's
// fonts-noto-cjk) covers CJK Extension A; WenQuanYi (no Extension A) serves a
// kiosk installed before fonts-noto-cjk was a dependency.
var SystemCJKFonts = []string{
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
}

// SystemCJKBoldFonts are the same for bold text; when none loads, bold text
// takes the regular system font.
var SystemCJKBoldFonts = []string{
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
}

// ErrNoFallbackFont means no system CJK font was found: characters outside
// the embedded fonts are drawn as placeholders.
var ErrNoFallbackFont = errors.New("ui: no system CJK font for characters outside the embedded subset")

// Fonts are the font chain: the embedded faces and, loaded the first time a
// string needs one, a system CJK font for each weight.
type Fonts struct {
	regular, bold *text.GoTextFaceSource
	extA13        *text.GoTextFaceSource

	system [2]systemFont // regular, bold

	mu      sync.Mutex
	chains  map[chainKey]text.Face
	logf    func(format string, args ...any)
	missing map[rune]bool // characters logged as drawn as placeholders
}

type chainKey struct {
	size   float64
	bold   bool
	system bool // the chain holds the system font
}

// systemFont is one weight's system font, loaded at most once.
type systemFont struct {
	paths []string
	once  sync.Once
	src   *text.GoTextFaceSource
	path  string
	err   error
}

// LoadFonts parses the embedded fonts. fallbackPaths are the system fonts
// tried in order for characters the embedded fonts lack, for both weights
// (nil means SystemCJKFonts and SystemCJKBoldFonts). Nothing is read from
// them until a string needs it.
func LoadFonts(fallbackPaths []string) (*Fonts, error) {
	var bold []string
	if fallbackPaths == nil {
		fallbackPaths, bold = SystemCJKFonts, SystemCJKBoldFonts
	}
	f := &Fonts{chains: map[chainKey]text.Face{}, missing: map[rune]bool{}, logf: log.Printf}
	f.system[0].paths, f.system[1].paths = fallbackPaths, bold
	var err error
	for _, e := range []struct {
		name string
		data []byte
		dst  **text.GoTextFaceSource
	}{{"regular", assets.FontRegular(), &f.regular}, {"bold", assets.FontBold(), &f.bold}, {"Unifont", assets.FontExtA13(), &f.extA13}} {
		if *e.dst, err = text.NewGoTextFaceSource(bytes.NewReader(e.data)); err != nil {
			return nil, fmt.Errorf("ui: load embedded %s font: %w", e.name, err)
		}
		// Parsed, the font is in the heap: its bytes in the binary are not
		// read again (a glyph drawn later reads the heap's copy), so they
		// leave the resident set, 7 MB of the kiosk's PSS.
		releasePages(e.data)
	}
	return f, nil
}

// SetLog sends the fonts' notices (a system font loaded, a character no font
// has) to logf instead of the standard logger.
func (f *Fonts) SetLog(logf func(format string, args ...any)) {
	f.mu.Lock()
	f.logf = logf
	f.mu.Unlock()
}

func (f *Fonts) log(format string, args ...any) {
	f.mu.Lock()
	logf := f.logf
	f.mu.Unlock()
	logf(format, args...)
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

// invisible reports whether r is drawn as nothing: controls, format
// characters (joiners, marks of direction) and variation selectors. They
// never become placeholders.
func invisible(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Variation_Selector, r)
}

// Covered reports whether the embedded font has every character of s.
func (f *Fonts) Covered(s string) bool {
	for _, r := range s {
		if !invisible(r) && !sourceHas(f.regular, r) {
			return false
		}
	}
	return true
}

// Fallback loads the regular system CJK font if not done yet, and reports
// which file it is, or ErrNoFallbackFont.
func (f *Fonts) Fallback() (string, error) {
	s := f.loadSystem(0)
	return s.path, s.err
}

// FallbackFile is the regular system CJK font the chain would load, found
// without reading it, or ErrNoFallbackFont: a check at start that costs
// nothing.
func (f *Fonts) FallbackFile() (string, error) {
	for _, p := range f.system[0].paths {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", ErrNoFallbackFont
}

// loadSystem loads weight w's system font once (0 regular, 1 bold).
func (f *Fonts) loadSystem(w int) *systemFont {
	s := &f.system[w]
	s.once.Do(func() {
		s.err = ErrNoFallbackFont
		for _, p := range s.paths {
			src, err := loadSystemFont(p)
			if err != nil {
				if !errors.Is(err, os.ErrNotExist) {
					f.log("ui: system font %s: %v", p, err)
				}
				continue
			}
			s.src, s.path, s.err = src, p, nil
			f.log("ui: system font %s (%s) loaded for characters outside the embedded fonts", p, src.Metadata().Family)
			return
		}
	})
	return s
}

// systemSource is the system font for bold or regular text, or nil: bold
// text takes the regular one when there is no bold one.
func (f *Fonts) systemSource(bold bool) *text.GoTextFaceSource {
	if bold {
		if s := f.loadSystem(1); s.src != nil {
			return s.src
		}
	}
	return f.loadSystem(0).src
}

// loadSystemFont opens a font or collection; from a collection it takes the
// Simplified Chinese face (a family named "… SC"), else the first. The file
// stays open: the face reads glyphs from it as needed.
func loadSystemFont(path string) (*text.GoTextFaceSource, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	res, err := oneFace(file)
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("ui: load %s: %w", path, err)
	}
	srcs, err := text.NewGoTextFaceSourcesFromCollection(res)
	if err != nil || len(srcs) != 1 {
		file.Close()
		return nil, fmt.Errorf("ui: load %s: %d faces, %v", path, len(srcs), err)
	}
	return srcs[0], nil
}

// oneFace presents the SC face of a collection as a collection of one, so
// that only that face is parsed: go-text parses every face of a collection,
// and the ten faces of Noto Sans CJK share one 15 MB glyph table, which it
// would read into memory ten times. A collection's tables are addressed from
// the start of the file, so changing its header (one face, at the SC face's
// offset) is enough. A single font is returned as it is.
func oneFace(file *os.File) (opentype.Resource, error) {
	var hdr [12]byte
	if _, err := file.ReadAt(hdr[:], 0); err != nil {
		return nil, err
	}
	if string(hdr[:4]) != "ttcf" {
		return file, nil
	}
	n := binary.BigEndian.Uint32(hdr[8:12])
	if n == 0 || n > 64 {
		return nil, fmt.Errorf("collection of %d faces", n)
	}
	offsets := make([]byte, 4*n)
	if _, err := file.ReadAt(offsets, 12); err != nil {
		return nil, err
	}
	loaders, err := opentype.NewLoaders(file)
	if err != nil {
		return nil, err
	}
	pick := 0
	for i, ld := range loaders {
		if d, _ := font.Describe(ld, nil); strings.HasSuffix(d.Family, " SC") {
			pick = i
			break
		}
	}
	head := make([]byte, 16)
	copy(head, hdr[:8])
	binary.BigEndian.PutUint32(head[8:], 1)
	copy(head[12:], offsets[4*pick:4*pick+4])
	return &overlay{file: file, head: head}, nil
}

// overlay reads file with its first bytes replaced by head.
type overlay struct {
	file *os.File
	head []byte
	pos  int64
}

func (o *overlay) ReadAt(p []byte, off int64) (int, error) {
	n, err := o.file.ReadAt(p, off)
	if off < int64(len(o.head)) {
		copy(p[:n], o.head[off:])
	}
	return n, err
}

func (o *overlay) Read(p []byte) (int, error) {
	n, err := o.ReadAt(p, o.pos)
	o.pos += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

func (o *overlay) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += o.pos
	case io.SeekEnd:
		st, err := o.file.Stat()
		if err != nil {
			return 0, err
		}
		off += st.Size()
	default:
		return 0, errors.New("ui: bad whence")
	}
	if off < 0 {
		return 0, errors.New("ui: negative offset")
	}
	o.pos = off
	return off, nil
}

// FontFor names the font of the chain that draws r in that weight:
// "embedded", "embedded Unifont", the system font's path, or "" when no
// font has r and it is drawn as the placeholder. It loads the system font
// when r needs it.
func (f *Fonts) FontFor(r rune, bold bool) string {
	src := f.regular
	if bold {
		src = f.bold
	}
	switch {
	case sourceHas(src, r):
		return "embedded"
	case sourceHas(f.extA13, r):
		return "embedded Unifont"
	}
	if sys := f.systemSource(bold); sys != nil && sourceHas(sys, r) {
		if bold && f.system[1].src == sys {
			return f.system[1].path
		}
		return f.system[0].path
	}
	return ""
}

// Face is the face to draw s with: the embedded one when it has every
// character of s, else the chain.
func (f *Fonts) Face(s string, size float64, bold bool) text.Face {
	src := f.regular
	if bold {
		src = f.bold
	}
	primary := &text.GoTextFace{Source: src, Size: size}
	beyond := false // s has characters neither embedded font has
	covered := true
	for _, r := range s {
		if invisible(r) || sourceHas(src, r) {
			continue
		}
		covered = false
		if !sourceHas(f.extA13, r) {
			beyond = true
		}
	}
	if covered {
		return primary
	}
	var sys *text.GoTextFaceSource
	if beyond {
		sys = f.systemSource(bold)
		f.logMissing(s, src, sys)
	}
	key := chainKey{size, bold, sys != nil}
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.chains[key]; ok {
		return c
	}
	faces := []text.Face{primary, &text.GoTextFace{Source: f.extA13, Size: size}}
	if sys != nil {
		faces = append(faces, &text.GoTextFace{Source: sys, Size: size})
	}
	faces = append(faces, newPlaceholderFace(size, primary.Metrics()))
	c, err := text.NewMultiFace(faces...)
	if err != nil {
		return primary
	}
	f.chains[key] = c
	return c
}

// logMissing logs, once each, the characters of s no font has.
func (f *Fonts) logMissing(s string, src, sys *text.GoTextFaceSource) {
	for _, r := range s {
		if invisible(r) || sourceHas(src, r) || sourceHas(f.extA13, r) || sys != nil && sourceHas(sys, r) {
			continue
		}
		f.mu.Lock()
		seen := f.missing[r]
		f.missing[r] = true
		logf := f.logf
		f.mu.Unlock()
		if !seen {
			logf("ui: no font has U+%04X %q: drawn as a box with its code", r, r)
		}
	}
}

// Advance is the width of s in pixels: Fonts is the Builder's Measurer.
func (f *Fonts) Advance(s string, size float64, bold bool) float64 {
	return text.Advance(s, f.Face(s, size, bold))
}
