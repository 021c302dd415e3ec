package ui

import (
	"image/color"
	"math"
	"testing"
)

// contrast is the WCAG contrast ratio of two colours.
func contrast(a, b color.RGBA) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(c color.RGBA) float64 {
	ch := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(c.R) + 0.7152*ch(c.G) + 0.0722*ch(c.B)
}

func TestPaletteContrast(t *testing.T) {
	type pair struct {
		name   string
		fg, bg color.RGBA
		min    float64
	}
	pairs := []pair{
		{"ink on background", colInk, colBackground, 7},
		{"muted on background", colMuted, colBackground, 7},
		{"white on header", colOnDark, colHeader, 4.5},
		{"white on success", colOnDark, colSuccess, 4.5},
		{"white on refusal", colOnDark, colRefusal, 4.5},
		{"white on attention", colOnDark, colAttention, 4.5},
		{"countdown", colWarnInk, colCountdown, 7},
		{"disabled text", colDisabledFg, colDisabledBg, 4.5},
		{"refused tile's name", colMuted, colRefusedFace, 4.5},
		{"refused tile's price", colMuted, colRefusedTile, 4.5},
		{"refused tile's reason", colRefusal, colRefusedTile, 4.5},
		{"reason on a tile", colRefusal, colPanel, 4.5},
		{"white ✗ on its badge", colOnDark, colRefusal, 4.5},
	}
	for _, k := range []ButtonKind{Primary, Secondary, Danger} {
		bg, fg, _ := k.colors(true)
		pairs = append(pairs, pair{"button", fg, bg, 4.5})
	}
	for _, c := range tileColors {
		pairs = append(pairs, pair{"tile", colOnDark, c, 4.5})
	}
	for _, p := range pairs {
		if got := contrast(p.fg, p.bg); got < p.min {
			t.Errorf("%s: contrast %v:%v = %.2f, want at least %.1f", p.name, p.fg, p.bg, got, p.min)
		}
	}
}

func TestTileColorStable(t *testing.T) {
	if name := string([]rune{'毛', '巾'}); TileColor(name) != TileColor("毛巾") {
		t.Fatal("tile colour changes for one name")
	}
	seen := map[color.RGBA]bool{}
	for _, n := range []string{"毛巾", "大米", "洗衣液", "雨伞", "鸡蛋", "食用油", "肥皂", "牙膏"} {
		seen[TileColor(n)] = true
	}
	if len(seen) < 3 {
		t.Errorf("8 items share %d colours; tiles would look alike", len(seen))
	}
}

// TestRefusedTilesAreClearlyLighter: a refused catalog tile's face is
// light, far from every ground an item can have (3:1 at least, where the
// old #555 grey was under 2:1 from the darkest), so a refused item does
// not look like one that can be had.
func TestRefusedTilesAreClearlyLighter(t *testing.T) {
	if l := luminance(colRefusedFace); l < 0.5 {
		t.Errorf("the refused face %v has luminance %.2f: not light", colRefusedFace, l)
	}
	for _, c := range tileColors {
		if got := contrast(colRefusedFace, c); got < 3 {
			t.Errorf("the refused face %v against the tile %v: %.2f:1, want 3:1 at least", colRefusedFace, c, got)
		}
	}
}

// TestRefusalIsNotTheHeadersRed: the refusal banner is told from the red
// header at a glance: a hue at least 25° away and a colour difference
// (CIE76 ΔE) of 25 at least; the old #BF360C was 14° and 12.8 away.
func TestRefusalIsNotTheHeadersRed(t *testing.T) {
	if d := hueDistance(colRefusal, colHeader); d < 25 {
		t.Errorf("refusal %v and header %v: hues %.0f° apart, want 25° at least", colRefusal, colHeader, d)
	}
	if d := deltaE(colRefusal, colHeader); d < 25 {
		t.Errorf("refusal %v and header %v: ΔE %.1f, want 25 at least", colRefusal, colHeader, d)
	}
}

// hueDistance is how far apart two colours' hues are, in degrees.
func hueDistance(a, b color.RGBA) float64 {
	d := math.Abs(hue(a) - hue(b))
	return math.Min(d, 360-d)
}

func hue(c color.RGBA) float64 {
	r, g, b := float64(c.R), float64(c.G), float64(c.B)
	mx, mn := math.Max(r, math.Max(g, b)), math.Min(r, math.Min(g, b))
	d := mx - mn
	var h float64
	switch {
	case d == 0:
		return 0
	case mx == r:
		h = math.Mod((g-b)/d, 6)
	case mx == g:
		h = (b-r)/d + 2
	default:
		h = (r-g)/d + 4
	}
	h *= 60
	if h < 0 {
		h += 360
	}
	return h
}

// deltaE is the CIE76 difference of two sRGB colours (D65).
func deltaE(a, b color.RGBA) float64 {
	l1, a1, b1 := lab(a)
	l2, a2, b2 := lab(b)
	return math.Sqrt((l1-l2)*(l1-l2) + (a1-a2)*(a1-a2) + (b1-b2)*(b1-b2))
}

func lab(c color.RGBA) (l, a, b float64) {
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	r, g, bl := lin(c.R), lin(c.G), lin(c.B)
	x := (0.4124*r + 0.3576*g + 0.1805*bl) / 0.95047
	y := 0.2126*r + 0.7152*g + 0.0722*bl
	z := (0.0193*r + 0.1192*g + 0.9505*bl) / 1.08883
	f := func(t float64) float64 {
		if t > 0.008856 {
			return math.Cbrt(t)
		}
		return 7.787*t + 16.0/116
	}
	return 116*f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))
}
