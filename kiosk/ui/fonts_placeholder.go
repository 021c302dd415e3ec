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
// a box holding the code point's hex digits, so a character no font has is
// visibly there and can be read off the screen, never an empty box or
// nothing. At a size where two rows of digits (4E over 00) would be under
// MinPlaceholderDigitPx tall, the digits stand in one row (4E00) in a box
// wider than an ideograph: the smallest text of the 800×480 screen (22 px)
// still shows 15-pixel digits. Controls and format characters are drawn as
// nothing.

// MinPlaceholderDigitPx is the least height of a placeholder's digits, in
// pixels, where the box allows it (text of 20 px and more).
const MinPlaceholderDigitPx = 12

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

// phBox is the geometry of a placeholder in whole pixels: its advance, its
// height above and below the baseline, the digits, and how they are laid
// out: rows of cols digits, each digit 3×5 units of uw×uh pixels, one unit
// apart, the first at (dx, dy) from the glyph's top left; the frame is t
// thick, inset mx from the advance's edges.
type phBox struct {
	adv, top, bottom int
	digits           string
	rows, cols       int
	uw, uh           int
	dx, dy           int
	mx, t            int
}

// box is r's placeholder at p's size.
func (p *placeholderFace) box(r rune) phBox {
	if invisible(r) {
		return phBox{}
	}
	s := p.size
	b := phBox{digits: fmt.Sprintf("%04X", r), top: int(math.Round(0.84 * s)), bottom: int(math.Round(0.08 * s)),
		mx: max(1, int(math.Round(0.06*s))), t: max(1, int(math.Round(s/16)))}
	wide := 1.0
	if len(b.digits) > 4 {
		b.digits = fmt.Sprintf("%06X", r)
		wide = 1.3
	}
	gap := max(1, int(math.Round(s/24)))
	ih := b.top + b.bottom - 2*b.t - 2*gap // the frame's inside, less a gap each side
	// Two rows in an ideograph's box, when their digits are tall enough.
	b.rows, b.cols = 2, len(b.digits)/2
	b.adv = int(math.Round(s * wide))
	b.uh = max(1, ih/11)
	iw := b.adv - 2*b.mx - 2*b.t - 2*gap
	b.uw = max(1, min(iw/(4*b.cols-1), b.uh*3/2))
	if 5*b.uh < MinPlaceholderDigitPx && 5*(ih/5) > 5*b.uh {
		// One row, as tall as the box allows; digits two thirds as wide as
		// tall, the box as wide as they need.
		b.rows, b.cols = 1, len(b.digits)
		b.uh = max(1, ih/5)
		b.uw = max(1, (2*b.uh+2)/3)
		iw = (4*b.cols - 1) * b.uw
		b.adv = iw + 2*b.mx + 2*b.t + 2*gap
	}
	wu, hu := 4*b.cols-1, 6*b.rows-1
	b.dx = b.mx + b.t + gap + (iw-wu*b.uw)/2
	b.dy = b.t + gap + (ih-hu*b.uh)/2
	return b
}

func (p *placeholderFace) Close() error { return nil }

func (p *placeholderFace) Metrics() font.Metrics { return p.metrics }

func (p *placeholderFace) Kern(r0, r1 rune) fixed.Int26_6 { return 0 }

func (p *placeholderFace) GlyphAdvance(r rune) (fixed.Int26_6, bool) {
	return fixed.I(p.box(r).adv), true
}

func (p *placeholderFace) GlyphBounds(r rune) (fixed.Rectangle26_6, fixed.Int26_6, bool) {
	b := p.box(r)
	if b.adv == 0 {
		return fixed.Rectangle26_6{}, 0, true
	}
	return fixed.R(0, -b.top, b.adv, b.bottom), fixed.I(b.adv), true
}

func (p *placeholderFace) Glyph(dot fixed.Point26_6, r rune) (image.Rectangle, image.Image, image.Point, fixed.Int26_6, bool) {
	b := p.box(r)
	x, y := dot.X.Round(), dot.Y.Round()
	dr := image.Rect(x, y-b.top, x+b.adv, y+b.bottom)
	if b.adv == 0 {
		return dr, nil, image.Point{}, 0, true
	}
	return dr, b.mask(), image.Point{}, fixed.I(b.adv), true
}

// mask draws the placeholder: the frame, then the digits.
func (b phBox) mask() *image.Alpha {
	h := b.top + b.bottom
	mask := image.NewAlpha(image.Rect(0, 0, b.adv, h))
	fill := func(x0, y0, x1, y1 int) {
		for yy := max(y0, 0); yy < min(y1, h); yy++ {
			for xx := max(x0, 0); xx < min(x1, b.adv); xx++ {
				mask.Pix[yy*mask.Stride+xx] = 0xFF
			}
		}
	}
	x0, x1 := b.mx, b.adv-b.mx
	fill(x0, 0, x1, b.t)
	fill(x0, h-b.t, x1, h)
	fill(x0, 0, x0+b.t, h)
	fill(x1-b.t, 0, x1, h)
	for i, c := range b.digits {
		d := hexDigits[hexValue(c)]
		cx, cy := b.dx+(i%b.cols)*4*b.uw, b.dy+(i/b.cols)*6*b.uh
		for row, bits := range d {
			for col := range 3 {
				if bits&(4>>col) != 0 {
					fill(cx+col*b.uw, cy+row*b.uh, cx+(col+1)*b.uw, cy+(row+1)*b.uh)
				}
			}
		}
	}
	return mask
}

func hexValue(c rune) int {
	if c >= 'A' {
		return int(c-'A') + 10
	}
	return int(c - '0')
}
