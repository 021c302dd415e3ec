package ui

import (
	"fmt"
	"image"
	"math"

	"github.com/hajimehoshi/ebiten/v2/text/v2"
	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

// The placeholder is the last face of the chain: it draws any character as
// a box holding the code point's hex digits in two rows (4E00 as 4E over 00,
// a supplementary-plane character as six digits), so a character no font
// has is visibly there and can be read off the screen, never an empty box
// or nothing. Controls and format characters are drawn as nothing.

// hexDigits are 3×5 pixel digits 0–F, a row of three bits each, top row
// first, the left pixel the high bit.
var hexDigits = [16][5]uint8{
	{7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7},
	{5, 5, 7, 1, 1}, {7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1},
	{7, 5, 7, 5, 7}, {7, 5, 7, 1, 7}, {7, 5, 7, 5, 5}, {6, 5, 6, 5, 6},
	{7, 4, 4, 4, 7}, {6, 5, 5, 5, 6}, {7, 4, 7, 4, 7}, {7, 4, 7, 4, 4},
}

// placeholderFace is a golang.org/x/image/font.Face drawing hex boxes at
// one size, with the metrics of the face it stands in for, so a line's
// height does not change.
type placeholderFace struct {
	size    float64
	metrics font.Metrics
}

func newPlaceholderFace(size float64, m text.Metrics) text.Face {
	fx := func(v float64) fixed.Int26_6 { return fixed.Int26_6(math.Round(v * 64)) }
	return text.NewGoXFace(&placeholderFace{size: size, metrics: font.Metrics{
		Height:    fx(m.HAscent + m.HDescent + m.HLineGap),
		Ascent:    fx(m.HAscent),
		Descent:   fx(m.HDescent),
		XHeight:   fx(m.XHeight),
		CapHeight: fx(m.CapHeight),
	}})
}

// box is r's placeholder in whole pixels: the advance, the box's height
// above and below the baseline (an ideograph's em box), and its digits.
func (p *placeholderFace) box(r rune) (adv, top, bottom int, digits string) {
	if invisible(r) {
		return 0, 0, 0, ""
	}
	digits = fmt.Sprintf("%04X", r)
	wide := 1.0
	if len(digits) > 4 {
		digits = fmt.Sprintf("%06X", r)
		wide = 1.3
	}
	return int(math.Round(p.size * wide)), int(math.Round(0.84 * p.size)), int(math.Round(0.08 * p.size)), digits
}

func (p *placeholderFace) Close() error { return nil }

func (p *placeholderFace) Metrics() font.Metrics { return p.metrics }

func (p *placeholderFace) Kern(r0, r1 rune) fixed.Int26_6 { return 0 }

func (p *placeholderFace) GlyphAdvance(r rune) (fixed.Int26_6, bool) {
	adv, _, _, _ := p.box(r)
	return fixed.I(adv), true
}

func (p *placeholderFace) GlyphBounds(r rune) (fixed.Rectangle26_6, fixed.Int26_6, bool) {
	adv, top, bottom, _ := p.box(r)
	if adv == 0 {
		return fixed.Rectangle26_6{}, 0, true
	}
	return fixed.R(0, -top, adv, bottom), fixed.I(adv), true
}

func (p *placeholderFace) Glyph(dot fixed.Point26_6, r rune) (image.Rectangle, image.Image, image.Point, fixed.Int26_6, bool) {
	adv, top, bottom, digits := p.box(r)
	x, y := dot.X.Round(), dot.Y.Round()
	dr := image.Rect(x, y-top, x+adv, y+bottom)
	if adv == 0 {
		return dr, nil, image.Point{}, 0, true
	}
	mask := image.NewAlpha(image.Rect(0, 0, adv, top+bottom))
	fill := func(x0, y0, x1, y1 int) {
		for yy := max(y0, 0); yy < min(y1, top+bottom); yy++ {
			for xx := max(x0, 0); xx < min(x1, adv); xx++ {
				mask.Pix[yy*mask.Stride+xx] = 0xFF
			}
		}
	}
	s := p.size
	mx := max(1, int(math.Round(0.06*s)))
	t := max(1, int(math.Round(s/16)))
	gap := max(1, int(math.Round(s/24)))
	x0, y0, x1, y1 := mx, 0, adv-mx, top+bottom
	fill(x0, y0, x1, y0+t)
	fill(x0, y1-t, x1, y1)
	fill(x0, y0, x0+t, y1)
	fill(x1-t, y0, x1, y1)
	// Two rows of digits, 3×5 units each, one unit apart, filling the box:
	// a unit may be up to half again as wide as it is high.
	cols := len(digits) / 2
	wu, hu := 4*cols-1, 11
	iw, ih := x1-x0-2*t-2*gap, y1-y0-2*t-2*gap
	uh := max(1, ih/hu)
	uw := max(1, min(iw/wu, uh*3/2))
	bx := x0 + t + gap + (iw-wu*uw)/2
	by := y0 + t + gap + (ih-hu*uh)/2
	for i, c := range digits {
		d := hexDigits[hexValue(c)]
		cx, cy := bx+(i%cols)*4*uw, by+(i/cols)*6*uh
		for row, bits := range d {
			for col := range 3 {
				if bits&(4>>col) != 0 {
					fill(cx+col*uw, cy+row*uh, cx+(col+1)*uw, cy+(row+1)*uh)
				}
			}
		}
	}
	return dr, mask, image.Point{}, fixed.I(adv), true
}

func hexValue(c rune) int {
	if c >= 'A' {
		return int(c-'A') + 10
	}
	return int(c - '0')
}
