package ui

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/text/v2"
)

// The font tests: probeGlyphs runs in the screen game's first Draw (ebiten
// draws on the main goroutine only) and records what the tests check.

// Names whose every character is in the embedded fonts (the 通用规范汉字表
// holds 䶮 U+4DAE and 㛃 U+36C3 of CJK Extension A), then names that need
// the system font (龘 of the unified ideographs, 㐂 U+3402 of Extension A)
// and the embedded Unifont glyphs (䶶 U+4DB6).
var (
	embeddedNames = []string{"王堃", "李喆", "陈赟", "周玥", "刘䶮", "张㛃"}
	chainNames    = []string{"赵龘", "孙㐂", "吴䶶"}
	// Characters no font has: a private-use one, and one of Extension B
	// that Noto Sans CJK lacks.
	missingRunes = []rune{0xE000, 0x20000}
)

const probeSize = 64

type glyphProbe struct {
	font            string // FontFor's answer
	ink             int    // ink pixels
	diffNotdef      int    // pixels differing from the .notdef box
	diffPlaceholder int    // pixels differing from the rune's placeholder
}

type probeKey struct {
	r    rune
	bold bool
}

// logCapture records a Fonts' notices.
type logCapture struct {
	mu    sync.Mutex
	lines []string
}

func (l *logCapture) printf(format string, args ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

// count is how many lines contain s.
func (l *logCapture) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}

var fontResults struct {
	err       error
	chain     *Fonts // LoadFonts(nil), its notices in log
	log       logCapture
	bare      *Fonts // no system font, its notices in bareLog
	bareLg    logCapture
	notdef    int
	notdefImg *image.RGBA
	glyphs    map[probeKey]glyphProbe
	// missing[r] is r drawn by the chain; placeholder[r] by the
	// placeholder face alone; bareMissing by the chain without a system
	// font.
	missing, placeholder, bareMissing map[rune]*image.RGBA
	names                             []shot // the names screen at each size
	placeholders                      []shot // a screen of names no font has
}

// drawProbe draws s at probeSize in black on white.
func drawProbe(s string, face text.Face) *image.RGBA {
	dst := ebiten.NewImage(2*probeSize, 2*probeSize)
	dst.Fill(color.White)
	op := &text.DrawOptions{}
	op.GeoM.Translate(probeSize/2, probeSize/2)
	op.ColorScale.ScaleWithColor(color.Black)
	text.Draw(dst, s, face, op)
	img := image.NewRGBA(image.Rect(0, 0, 2*probeSize, 2*probeSize))
	dst.ReadPixels(img.Pix)
	dst.Deallocate()
	return img
}

func pixelDiff(a, b *image.RGBA) int {
	n := 0
	for i := 0; i < len(a.Pix); i += 4 {
		if absDiff(a.Pix[i], b.Pix[i]) > 64 {
			n++
		}
	}
	return n
}

// probeGlyphs draws each probe character alone through the chain, in both
// weights, beside the .notdef box (a private-use character drawn with the
// embedded face alone) and its placeholder; the characters no font has;
// and the names screens.
func probeGlyphs(_ *Fonts) {
	r := &fontResults
	if r.chain, r.err = LoadFonts(nil); r.err != nil {
		return
	}
	r.chain.SetLog(r.log.printf)
	if r.bare, r.err = LoadFonts([]string{"/nonexistent/NotoSansCJK-Regular.ttc"}); r.err != nil {
		return
	}
	r.bare.SetLog(r.bareLg.printf)
	f := r.chain
	notdef := drawProbe("\uE000", &text.GoTextFace{Source: f.regular, Size: probeSize})
	r.notdef, r.notdefImg = inkCount(notdef), notdef
	r.glyphs = map[probeKey]glyphProbe{}
	for _, name := range append(append([]string{}, embeddedNames...), chainNames...) {
		for _, c := range name {
			for _, bold := range []bool{false, true} {
				src := f.regular
				if bold {
					src = f.bold
				}
				img := drawProbe(string(c), f.Face(string(c), probeSize, bold))
				ph := drawProbe(string(c), newPlaceholderFace(probeSize, (&text.GoTextFace{Source: src, Size: probeSize}).Metrics()))
				r.glyphs[probeKey{c, bold}] = glyphProbe{font: f.FontFor(c, bold), ink: inkCount(img),
					diffNotdef: pixelDiff(img, notdef), diffPlaceholder: pixelDiff(img, ph)}
			}
		}
	}
	primary := (&text.GoTextFace{Source: f.regular, Size: probeSize}).Metrics()
	r.missing, r.placeholder, r.bareMissing = map[rune]*image.RGBA{}, map[rune]*image.RGBA{}, map[rune]*image.RGBA{}
	for _, c := range append(missingRunes, 0x3402) {
		// Drawn and measured again and again, as frames are: logged once.
		for range 3 {
			r.missing[c] = drawProbe(string(c), f.Face(string(c), probeSize, false))
			f.Advance("钱"+string(c), 40, true)
			r.bareMissing[c] = drawProbe(string(c), r.bare.Face(string(c), probeSize, false))
		}
		r.placeholder[c] = drawProbe(string(c), newPlaceholderFace(probeSize, primary))
	}
	s := ChineseStrings()
	screen := func(names []string) []shot {
		var shots []shot
		c := &ChoiceScene{Title: s.F("staff.choose_person_for", s.T("staff.bind_card"))}
		for i, n := range names {
			c.Options = append(c.Options, Option{Label: n, Act: Choose(i)})
		}
		p := newPainter(f)
		for _, size := range testSizes[:2] {
			dst := ebiten.NewImage(size[0], size[1])
			b := NewBuilder(NewLayout(size[0], size[1], DefaultLayoutOpts), s, f, testNow)
			c.Build(b)
			fr := b.Frame()
			p.paint(dst, &fr, -1)
			img := image.NewRGBA(image.Rect(0, 0, size[0], size[1]))
			dst.ReadPixels(img.Pix)
			dst.Deallocate()
			shots = append(shots, shot{size: size, frame: fr, img: img})
		}
		return shots
	}
	r.names = screen(append(append([]string{}, embeddedNames...), chainNames...))
	r.placeholders = screen([]string{"钱\uE000", "孙𠀀"})
}

func waitFonts(t *testing.T) {
	t.Helper()
	waitScreens(t)
	if fontResults.err != nil {
		t.Fatal(fontResults.err)
	}
	if fontResults.glyphs == nil {
		t.Fatal("the glyph probes did not run")
	}
}

// systemFontOrFail fails the test when the system font it needs is not
// installed.
func systemFontOrFail(t *testing.T, f *Fonts) string {
	t.Helper()
	path, err := f.Fallback()
	if err != nil {
		t.Fatalf("%v (tried %v): install fonts-noto-cjk (deploy/dev/ensure-deps.sh test)", err, SystemCJKFonts)
	}
	if !strings.Contains(path, "NotoSansCJK") {
		t.Fatalf("system font %s: the tests expect Noto Sans CJK first (fonts-noto-cjk)", path)
	}
	return path
}

// TestNamesRenderNoTofu: 王堃, 李喆, 陈赟, 周玥, 刘䶮 (U+4DAE, Extension A)
// and 张㛃 are drawn from the embedded fonts, 赵龘 and 孙㐂 (U+3402) from the
// system font and 吴䶶 (U+4DB6) from the embedded Unifont glyphs: each
// character, in both weights, is a real glyph, neither the .notdef box nor
// the placeholder; and the names screen shows them all.
func TestNamesRenderNoTofu(t *testing.T) {
	waitFonts(t)
	r := &fontResults
	system := systemFontOrFail(t, r.chain)
	if r.notdef < 50 {
		t.Fatalf(".notdef probe drew %d ink pixels; the probe itself is broken", r.notdef)
	}
	want := map[string]string{"龘": system, "㐂": system, "䶶": "embedded Unifont"}
	for _, name := range append(append([]string{}, embeddedNames...), chainNames...) {
		for _, c := range name {
			for _, bold := range []bool{false, true} {
				g := r.glyphs[probeKey{c, bold}]
				from := "embedded"
				if w, ok := want[string(c)]; ok {
					from = w
				}
				if bold && from == system {
					from = strings.Replace(system, "Regular", "Bold", 1)
				}
				if g.font != from {
					t.Errorf("%q (U+%04X, bold %v) is drawn from %q, want %q", c, c, bold, g.font, from)
				}
				if g.ink < 100 || g.diffNotdef < g.ink/3 || g.diffPlaceholder < g.ink/3 {
					t.Errorf("%q (U+%04X, bold %v): %d ink pixels, %d differ from the .notdef box (%d ink), %d from the placeholder: looks like tofu",
						c, c, bold, g.ink, g.diffNotdef, r.notdef, g.diffPlaceholder)
				}
			}
		}
	}
	for _, sh := range r.names {
		name := fmt.Sprintf("names-%dx%d", sh.size[0], sh.size[1])
		if err := writePNG(filepath.Join(results.dir, name+".png"), sh.img); err != nil {
			t.Fatal(err)
		}
		if len(sh.frame.Overflows) > 0 {
			t.Errorf("%s: text does not fit: %q", name, sh.frame.Overflows)
		}
		for _, n := range append(append([]string{}, embeddedNames...), chainNames...) {
			it, ok := sh.frame.Find(n)
			if !ok {
				t.Errorf("%s: %q is not on screen; lines are %q", name, n, sh.frame.Texts())
				continue
			}
			for _, c := range n {
				if r.chain.FontFor(c, it.Style.Bold) == "" {
					t.Errorf("%s: no font draws %q of %q", name, c, n)
				}
			}
			if ink := inkOf(sh.img, it.Rect, it.Style.Color); ink < 40*utf8.RuneCountInString(n) {
				t.Errorf("%s: %q: only %d pixels of its colour in %v", name, n, ink, it.Rect)
			}
		}
	}
	for _, n := range append(append([]string{}, embeddedNames...), chainNames...) {
		for _, c := range n {
			if r.log.count(fmt.Sprintf("U+%04X", c)) != 0 {
				t.Errorf("%q of %q was logged as missing: %q", c, n, r.log.lines)
			}
		}
	}
}

// TestPlaceholderForCharacterNoFontHas: a private-use character and an
// Extension B one Noto lacks are drawn as a box holding their hex digits,
// not the .notdef box or nothing, and logged once each however often they
// are drawn.
func TestPlaceholderForCharacterNoFontHas(t *testing.T) {
	waitFonts(t)
	r := &fontResults
	systemFontOrFail(t, r.chain)
	for _, c := range missingRunes {
		if from := r.chain.FontFor(c, false); from != "" {
			t.Fatalf("U+%04X is drawn from %s; pick a character no font has", c, from)
		}
		got, want := r.missing[c], r.placeholder[c]
		ink := inkCount(got)
		if ink < 150 {
			t.Errorf("U+%04X: %d ink pixels: the placeholder is not visible", c, ink)
		}
		if d := pixelDiff(got, want); d > 0 {
			t.Errorf("U+%04X: %d pixels differ from its placeholder", c, d)
		}
		if d := pixelDiff(got, r.notdefImg); d < ink/3 {
			t.Errorf("U+%04X: only %d pixels differ from the .notdef box: an empty box", c, d)
		}
		if n := r.log.count(fmt.Sprintf("U+%04X", c)); n != 1 {
			t.Errorf("U+%04X logged %d times, want once: %q", c, n, r.log.lines)
		}
	}
	// The digits are drawn: two code points, two different pictures.
	if d := pixelDiff(r.missing[missingRunes[0]], r.missing[missingRunes[1]]); d < 50 {
		t.Errorf("the placeholders of U+E000 and U+20000 differ in %d pixels: no digits?", d)
	}
	for _, sh := range r.placeholders {
		name := fmt.Sprintf("placeholder-%dx%d", sh.size[0], sh.size[1])
		if err := writePNG(filepath.Join(results.dir, name+".png"), sh.img); err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"钱\uE000", "孙𠀀"} {
			it, ok := sh.frame.Find(n)
			if !ok {
				t.Errorf("%s: %q is not on screen; lines are %q", name, n, sh.frame.Texts())
			} else if ink := inkOf(sh.img, it.Rect, it.Style.Color); ink < 150 {
				t.Errorf("%s: %q: only %d pixels of its colour", name, n, ink)
			}
		}
	}
}

// TestWithoutSystemFont: with no system font, a character only it has (㐂,
// Extension A) becomes the placeholder and is logged once, and the names of
// the embedded fonts still render from them.
func TestWithoutSystemFont(t *testing.T) {
	waitFonts(t)
	r := &fontResults
	if p, err := r.bare.FallbackFile(); err == nil {
		t.Fatalf("FallbackFile found %s among nonexistent paths", p)
	}
	if from := r.bare.FontFor(0x3402, false); from != "" {
		t.Fatalf("㐂 drawn from %q without a system font", from)
	}
	if d := pixelDiff(r.bareMissing[0x3402], r.placeholder[0x3402]); d > 0 {
		t.Errorf("㐂 without a system font: %d pixels differ from its placeholder", d)
	}
	if n := r.bareLg.count("U+3402"); n != 1 {
		t.Errorf("㐂 logged %d times, want once: %q", n, r.bareLg.lines)
	}
	for _, n := range embeddedNames {
		for _, c := range n {
			if from := r.bare.FontFor(c, true); from != "embedded" {
				t.Errorf("%q drawn from %q without a system font, want the embedded font", c, from)
			}
		}
	}
	if from := r.bare.FontFor(0x4DB6, false); from != "embedded Unifont" {
		t.Errorf("U+4DB6 drawn from %q without a system font", from)
	}
}

// readTongyong is the 通用规范汉字表 of assets/fonts.
func readTongyong(t *testing.T) []rune {
	t.Helper()
	file, err := os.Open(filepath.Join("..", "..", "assets", "fonts", "tongyong-guifan.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	var out []rune
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		if line := sc.Text(); !strings.HasPrefix(line, "#") {
			out = append(out, []rune(strings.TrimSpace(line))...)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) != 8105 {
		t.Fatalf("tongyong-guifan.txt has %d characters, want 8105", len(out))
	}
	return out
}

// TestFontChainCoversTongyongAndExtA: every character of the 通用规范汉字表
// is in the embedded fonts, in both weights, and every one of CJK Extension
// A (U+3400–U+4DBF) has a glyph in the chain the kiosk loads: looked up in
// the fonts' character maps, not drawn.
func TestFontChainCoversTongyongAndExtA(t *testing.T) {
	waitFonts(t)
	f := fontResults.chain
	systemFontOrFail(t, f)
	for _, bold := range []bool{false, true} {
		for _, c := range readTongyong(t) {
			if from := f.FontFor(c, bold); from != "embedded" {
				t.Errorf("通用规范汉字表 %q (U+%04X, bold %v) is drawn from %q, not the embedded font", c, c, bold, from)
			}
		}
		by := map[string]int{}
		for c := rune(0x3400); c <= 0x4DBF; c++ {
			from := f.FontFor(c, bold)
			if from == "" {
				t.Errorf("CJK Extension A U+%04X (bold %v): no font has it", c, bold)
			}
			by[from]++
		}
		t.Logf("CJK Extension A, bold %v, drawn from: %v", bold, by)
	}
}

// TestSystemFontParsesOneFace: from the Noto Sans CJK collection only its
// SC face is parsed; the whole collection would read its shared 15 MB glyph
// table once per face, ten times, and the kiosk's memory would peak 150 MB
// higher while it did.
func TestSystemFontParsesOneFace(t *testing.T) {
	waitFonts(t)
	path := systemFontOrFail(t, fontResults.chain)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	src, err := loadSystemFont(path)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if fam := src.Metadata().Family; fam != "Noto Sans CJK SC" {
		t.Errorf("loaded face %q, want Noto Sans CJK SC", fam)
	}
	// Other tests may allocate meanwhile, but not a hundred megabytes.
	allocated := (after.TotalAlloc - before.TotalAlloc) >> 20
	kept := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) >> 20
	t.Logf("loading %s allocated %d MB and kept %d MB", path, allocated, kept)
	if allocated > 60 {
		t.Errorf("loading %s allocated %d MB: more than one face parsed?", path, allocated)
	}
	if !sourceHas(src, 0x3402) {
		t.Error("the face loaded lacks U+3402")
	}
	runtime.KeepAlive(src)
}

// TestBoldNamesStayBold: a bold name drawn from several fonts is bold in
// each: a character of the system font comes from its bold face, drawn
// with clearly more ink than the regular one (龘 looks light beside 赵 only
// for its many strokes). The embedded Unifont glyphs (䶶) exist in one
// weight and are drawn as they are, not faked bold.
func TestBoldNamesStayBold(t *testing.T) {
	waitFonts(t)
	r := &fontResults
	system := systemFontOrFail(t, r.chain)
	for _, name := range chainNames {
		for _, c := range name {
			reg, bold := r.glyphs[probeKey{c, false}], r.glyphs[probeKey{c, true}]
			switch bold.font {
			case "embedded", strings.Replace(system, "Regular", "Bold", 1):
				if float64(bold.ink) < 1.1*float64(reg.ink) {
					t.Errorf("%q of %q: bold from %s has %d ink pixels, regular %d: not bold", c, name, bold.font, bold.ink, reg.ink)
				}
			case "embedded Unifont":
				if bold.ink != reg.ink {
					t.Errorf("%q of %q: the Unifont glyph differs in bold (%d ink pixels, regular %d): faked bold?", c, name, bold.ink, reg.ink)
				}
			default:
				t.Errorf("%q of %q: bold drawn from %q, not a bold face", c, name, bold.font)
			}
		}
	}
}

// TestPlaceholderDigitsReadable: at every text size of the 800×480 screen
// (the smallest) a placeholder's hex digits are at least
// MinPlaceholderDigitPx tall, in two rows where the box allows, else in one;
// its advance is what it draws.
func TestPlaceholderDigitsReadable(t *testing.T) {
	l := NewLayout(800, 480, DefaultLayoutOpts)
	for _, size := range []float64{l.Small(), l.Body(), l.Title(), l.Huge()} {
		p := &placeholderFace{size: size}
		for _, r := range []rune{0xE000, 0x20000} {
			b := p.box(r)
			m := b.mask()
			if m.Bounds().Dx() != b.adv || m.Bounds().Dy() != b.top+b.bottom {
				t.Fatalf("size %v U+%04X: mask %v for a %d×%d box", size, r, m.Bounds(), b.adv, b.top+b.bottom)
			}
			// The rows of digits: runs of lines with ink inside the frame.
			var runs []int
			run := 0
			for y := b.t; y < b.top+b.bottom-b.t; y++ {
				ink := false
				for x := b.mx + b.t; x < b.adv-b.mx-b.t; x++ {
					ink = ink || m.AlphaAt(x, y).A > 0
				}
				if ink {
					run++
				} else if run > 0 {
					runs = append(runs, run)
					run = 0
				}
			}
			if run > 0 {
				runs = append(runs, run)
			}
			if len(runs) != b.rows || len(runs) == 0 {
				t.Errorf("size %v U+%04X: %d rows of digits drawn (%v), want %d", size, r, len(runs), runs, b.rows)
			}
			for _, h := range runs {
				if h < MinPlaceholderDigitPx {
					t.Errorf("size %v U+%04X: digits %d px tall (rows %v), want at least %d", size, r, h, runs, MinPlaceholderDigitPx)
				}
			}
		}
	}
}
