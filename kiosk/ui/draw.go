package ui

import (
	"image"
	"image/color"
	"math"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/text/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"
)

// painter draws Frames; it caches item pictures as ebiten images.
type painter struct {
	fonts  *Fonts
	images map[image.Image]*ebiten.Image
}

func newPainter(f *Fonts) *painter {
	return &painter{fonts: f, images: map[image.Image]*ebiten.Image{}}
}

// paint draws fr onto dst; items of the pressed target are drawn darker.
func (p *painter) paint(dst *ebiten.Image, fr *Frame, pressed int) {
	dst.Fill(fr.Background)
	p.items(dst, fr, pressed, nil)
}

// repaint brings dst, which shows was (painted with the same pressed
// target), to fr by painting only where they differ: each area that an
// item of one and not of the other covers is filled with the background
// and every item of fr that reaches into it is drawn again, clipped to it.
// Elsewhere the two frames draw the same items in the same order, so the
// pixels there are already fr's. It reports the areas painted (nil: none;
// one covering dst: fr was painted whole, being too unlike was).
//
// A page turn of the idle scene repaints the activity list's rows and
// heading, 28 % of 1280×800, the minute the header's clock, 6 %. Measured
// on the demo's idle scene under Xvfb (Mesa llvmpipe, 2-core x86, load 13
// to 24), 4 page turns in 60 s: the kiosk spent 0.21–0.22 s of CPU, 0.30–
// 0.34 s painting each frame whole (about 25 ms less a turn).
func (p *painter) repaint(dst *ebiten.Image, was, fr *Frame, pressed int) []image.Rectangle {
	bounds := dst.Bounds()
	if was.Background != fr.Background {
		p.paint(dst, fr, pressed)
		return []image.Rectangle{bounds}
	}
	var areas []image.Rectangle
	add := func(it *Item) {
		r := p.reach(it).Intersect(bounds)
		if r.Empty() {
			return
		}
		// Areas near each other are painted as one: fewer fills and passes.
		for i := 0; i < len(areas); i++ {
			if areas[i].Inset(-mergeWithin).Overlaps(r) {
				r = r.Union(areas[i])
				areas = append(areas[:i], areas[i+1:]...)
				i = -1
			}
		}
		areas = append(areas, r)
	}
	keptWas, keptNew := commonItems(was.Items, fr.Items)
	for i := range was.Items {
		if !keptWas[i] {
			add(&was.Items[i])
		}
	}
	for i := range fr.Items {
		if !keptNew[i] {
			add(&fr.Items[i])
		}
	}
	area := 0
	for _, r := range areas {
		area += r.Dx() * r.Dy()
	}
	if area*2 > bounds.Dx()*bounds.Dy() {
		// Mostly new: one paint of the whole is fewer passes.
		p.paint(dst, fr, pressed)
		return []image.Rectangle{bounds}
	}
	for _, r := range areas {
		sub := dst.SubImage(r).(*ebiten.Image)
		sub.Fill(fr.Background)
		p.items(sub, fr, pressed, &r)
	}
	return areas
}

// mergeWithin is how close (pixels) two areas to repaint are painted as one.
const mergeWithin = 24

// sameItem reports whether a and b draw the same pixels.
func sameItem(a, b *Item) bool { return *a == *b }

// commonItems marks the items of a and b in a longest common subsequence of
// the two lists. A pixel that no unmarked item reaches is drawn by the same
// items in the same order in both frames, so it is the same: the repaint
// needs only the areas of the unmarked ones. (An item's index alone is not
// enough: a page with fewer rows moves every item after them.)
func commonItems(a, b []Item) (inA, inB []bool) {
	n, m := len(a), len(b)
	// lcs[i*(m+1)+j] is the length of a common subsequence of a[i:], b[j:].
	lcs := make([]int32, (n+1)*(m+1))
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if sameItem(&a[i], &b[j]) {
				lcs[i*(m+1)+j] = lcs[(i+1)*(m+1)+j+1] + 1
			} else {
				lcs[i*(m+1)+j] = max(lcs[(i+1)*(m+1)+j], lcs[i*(m+1)+j+1])
			}
		}
	}
	inA, inB = make([]bool, n), make([]bool, m)
	for i, j := 0, 0; i < n && j < m; {
		switch {
		case sameItem(&a[i], &b[j]):
			inA[i], inB[j] = true, true
			i++
			j++
		case lcs[(i+1)*(m+1)+j] >= lcs[i*(m+1)+j+1]:
			i++
		default:
			j++
		}
	}
	return inA, inB
}

// reach is the area an item may paint: its Rect, and for text the ink of
// its glyphs, which may run past the Rect (a line that did not fit) and
// above and below it (a line box lower than the font's ascent and descent),
// with a pixel more on every side for anti-aliasing and rounding.
func (p *painter) reach(it *Item) image.Rectangle {
	x0, y0, x1, y1 := it.Rect.X, it.Rect.Y, it.Rect.X+it.Rect.W, it.Rect.Y+it.Rect.H
	if it.Kind == TextItem {
		w := text.Advance(it.Text, p.fonts.Face(it.Text, it.Style.Size, it.Style.Bold))
		var tx float64
		switch it.Style.Align {
		case AlignCenter:
			tx = it.Rect.X + it.Rect.W/2 - w/2
		case AlignEnd:
			tx = it.Rect.X + it.Rect.W - w
		default:
			tx = it.Rect.X
		}
		cy := it.Rect.Y + it.Rect.H/2
		// A font's ascent and descent are each well under its size.
		x0, x1 = math.Min(x0, tx-it.Style.Size/4), math.Max(x1, tx+w+it.Style.Size/4)
		y0, y1 = math.Min(y0, cy-it.Style.Size), math.Max(y1, cy+it.Style.Size)
	}
	return image.Rect(int(math.Floor(x0))-1, int(math.Floor(y0))-1, int(math.Ceil(x1))+1, int(math.Ceil(y1))+1)
}

// items draws fr's items onto dst in order; with clip set, only those that
// reach into it.
func (p *painter) items(dst *ebiten.Image, fr *Frame, pressed int, clip *image.Rectangle) {
	for i := range fr.Items {
		it := &fr.Items[i]
		if clip != nil && !p.reach(it).Overlaps(*clip) {
			continue
		}
		down := pressed >= 0 && it.Target == pressed
		switch it.Kind {
		case FillItem:
			fill := it.Fill
			if down {
				fill = darken(fill)
			}
			if it.BorderW > 0 && it.Border != fill {
				roundRect(dst, it.Rect, it.Radius, it.Border)
				roundRect(dst, it.Rect.Inset(it.BorderW), math.Max(0, it.Radius-it.BorderW), fill)
			} else {
				roundRect(dst, it.Rect, it.Radius, fill)
			}
		case TextItem:
			p.text(dst, it)
		case ImageItem:
			p.picture(dst, it)
		case MarkItem:
			drawMark(dst, it)
		}
	}
}

func (p *painter) text(dst *ebiten.Image, it *Item) {
	face := p.fonts.Face(it.Text, it.Style.Size, it.Style.Bold)
	op := &text.DrawOptions{}
	x := it.Rect.X
	switch it.Style.Align {
	case AlignCenter:
		x += it.Rect.W / 2
		op.PrimaryAlign = text.AlignCenter
	case AlignEnd:
		x += it.Rect.W
		op.PrimaryAlign = text.AlignEnd
	}
	op.SecondaryAlign = text.AlignCenter
	op.GeoM.Translate(x, it.Rect.Y+it.Rect.H/2)
	op.ColorScale.ScaleWithColor(it.Style.Color)
	text.Draw(dst, it.Text, face, op)
}

func (p *painter) picture(dst *ebiten.Image, it *Item) {
	img, ok := p.images[it.Image]
	if !ok {
		img = ebiten.NewImageFromImage(it.Image)
		p.images[it.Image] = img
	}
	b := img.Bounds()
	scale := math.Min(it.Rect.W/float64(b.Dx()), it.Rect.H/float64(b.Dy()))
	op := &ebiten.DrawImageOptions{Filter: ebiten.FilterLinear}
	op.GeoM.Scale(scale, scale)
	op.GeoM.Translate(it.Rect.X+(it.Rect.W-scale*float64(b.Dx()))/2, it.Rect.Y+(it.Rect.H-scale*float64(b.Dy()))/2)
	dst.DrawImage(img, op)
}

// roundRect fills r with corners of radius rad: two crossing rectangles and
// four anti-aliased discs.
func roundRect(dst *ebiten.Image, r Rect, rad float64, c color.RGBA) {
	rad = math.Min(rad, math.Min(r.W, r.H)/2)
	x, y, w, h := float32(r.X), float32(r.Y), float32(r.W), float32(r.H)
	if rad < 1 {
		vector.DrawFilledRect(dst, x, y, w, h, c, false)
		return
	}
	rr := float32(rad)
	vector.DrawFilledRect(dst, x+rr, y, w-2*rr, h, c, false)
	vector.DrawFilledRect(dst, x, y+rr, w, h-2*rr, c, false)
	for _, p := range [4][2]float32{{x + rr, y + rr}, {x + w - rr, y + rr}, {x + rr, y + h - rr}, {x + w - rr, y + h - rr}} {
		// Not anti-aliased: ebiten draws anti-aliased shapes through an
		// offscreen pass that is flushed at the next plain draw, and with a
		// rounded box every few draws a repaint cost 200–450 ms of the Pi's
		// software renderer (a tap waited for it). At these radii the
		// difference is hard to see.
		vector.DrawFilledCircle(dst, p[0], p[1], rr, c, false)
	}
}

// darken is the pressed look of a colour: a quarter darker, or a light grey
// for white.
func darken(c color.RGBA) color.RGBA {
	if c.R > 0xF0 && c.G > 0xF0 && c.B > 0xF0 {
		return color.RGBA{0xCF, 0xD8, 0xDC, 0xFF}
	}
	return color.RGBA{uint8(float64(c.R) * 0.75), uint8(float64(c.G) * 0.75), uint8(float64(c.B) * 0.75), c.A}
}

// drawMark paints a Mark: a disc of it.Fill filling it.Rect, the sign on it
// in it.Border, in strokes a sixth of its size. Not anti-aliased, as
// roundRect explains.
func drawMark(dst *ebiten.Image, it *Item) {
	r := it.Rect
	side := math.Min(r.W, r.H)
	cx, cy := r.X+r.W/2, r.Y+r.H/2
	vector.DrawFilledCircle(dst, float32(cx), float32(cy), float32(side/2), it.Fill, false)
	w := float32(side / 6)
	// Points on the disc, in units of its side from its centre.
	at := func(x, y float64) (float32, float32) { return float32(cx + x*side), float32(cy + y*side) }
	line := func(x0, y0, x1, y1 float64) {
		ax, ay := at(x0, y0)
		bx, by := at(x1, y1)
		vector.StrokeLine(dst, ax, ay, bx, by, w, it.Border, false)
		// Round the joints: a square stroke's ends leave notches at a bend.
		vector.DrawFilledCircle(dst, ax, ay, w/2, it.Border, false)
		vector.DrawFilledCircle(dst, bx, by, w/2, it.Border, false)
	}
	switch it.Mark {
	case MarkCheck:
		line(-0.24, 0.02, -0.07, 0.2)
		line(-0.07, 0.2, 0.25, -0.18)
	case MarkCross:
		line(-0.18, -0.18, 0.18, 0.18)
		line(0.18, -0.18, -0.18, 0.18)
	case MarkAttention:
		line(0, -0.25, 0, 0.06)
		x, y := at(0, 0.22)
		vector.DrawFilledCircle(dst, x, y, w*0.6, it.Border, false)
	}
}
