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
