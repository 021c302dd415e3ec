package ui

import "math"

// Rect is an axis-aligned rectangle in screen pixels; Max is exclusive.
type Rect struct{ X, Y, W, H float64 }

// Contains reports whether the point is inside r.
func (r Rect) Contains(x, y float64) bool {
	return x >= r.X && x < r.X+r.W && y >= r.Y && y < r.Y+r.H
}

// Inset shrinks r by d on every side (never below zero size).
func (r Rect) Inset(d float64) Rect {
	w, h := math.Max(0, r.W-2*d), math.Max(0, r.H-2*d)
	return Rect{r.X + d, r.Y + d, w, h}
}

// Top cuts a band of height h off the top of r: the band, then the rest.
func (r Rect) Top(h float64) (Rect, Rect) {
	h = math.Min(h, r.H)
	return Rect{r.X, r.Y, r.W, h}, Rect{r.X, r.Y + h, r.W, r.H - h}
}

// Bottom cuts a band of height h off the bottom of r: the band, then the rest.
func (r Rect) Bottom(h float64) (Rect, Rect) {
	h = math.Min(h, r.H)
	return Rect{r.X, r.Y + r.H - h, r.W, h}, Rect{r.X, r.Y, r.W, r.H - h}
}

// Left cuts a column of width w off the left of r: the column, then the rest.
func (r Rect) Left(w float64) (Rect, Rect) {
	w = math.Min(w, r.W)
	return Rect{r.X, r.Y, w, r.H}, Rect{r.X + w, r.Y, r.W - w, r.H}
}

// Columns splits r into n equal columns separated by gap.
func (r Rect) Columns(n int, gap float64) []Rect {
	return r.Grid(1, n, gap)
}

// Rows splits r into n equal rows separated by gap.
func (r Rect) Rows(n int, gap float64) []Rect {
	return r.Grid(n, 1, gap)
}

// Grid splits r into rows×cols equal cells separated by gap, row by row.
func (r Rect) Grid(rows, cols int, gap float64) []Rect {
	if rows <= 0 || cols <= 0 {
		return nil
	}
	cw := (r.W - gap*float64(cols-1)) / float64(cols)
	ch := (r.H - gap*float64(rows-1)) / float64(rows)
	out := make([]Rect, 0, rows*cols)
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			out = append(out, Rect{r.X + float64(j)*(cw+gap), r.Y + float64(i)*(ch+gap), cw, ch})
		}
	}
	return out
}

// Overlaps reports whether r and s share any area.
func (r Rect) Overlaps(s Rect) bool {
	return r.X < s.X+s.W && s.X < r.X+r.W && r.Y < s.Y+s.H && s.Y < r.Y+r.H
}

// LayoutOpts describe the physical screen.
type LayoutOpts struct {
	// DPI is the screen's pixels per inch, the same across and down; 0
	// takes the panel's size (Panel, or a known panel of the screen's
	// resolution), else the diagonal.
	DPI float64
	// Panel is the active area of the screen in millimetres; zero: a known
	// panel of the screen's resolution (KnownPanels), else square pixels
	// from DiagonalInches.
	Panel PanelSize
	// DiagonalInches is the screen's diagonal for a screen of unknown
	// panel; 0 means 7.
	DiagonalInches float64
}

// PanelSize is a display's active area in millimetres.
type PanelSize struct{ W, H float64 }

// OfficialPanel is the active area of the official Raspberry Pi 7"
// touchscreen (800×480). The common 7" 1024×600 HDMI panels have the same
// glass. Neither has square pixels: 800×480 over 154.2×85.9 mm is 0.193 mm
// across and 0.179 mm down, so a target sized by the diagonal is a few
// percent short of its height.
var OfficialPanel = PanelSize{W: 154.2, H: 85.9}

// KnownPanels are the panels assumed for a resolution when LayoutOpts say
// nothing: the 7" panels the kiosk is built with. Other resolutions
// (1280×800 and the like) are taken as square pixels over DiagonalInches.
var KnownPanels = map[[2]int]PanelSize{
	{800, 480}:  OfficialPanel,
	{1024, 600}: OfficialPanel,
}

// DefaultLayoutOpts suit a 7" touchscreen filled by the kiosk.
var DefaultLayoutOpts = LayoutOpts{DiagonalInches: 7}

// Minimum sizes from the terminal's rules (ARCHITECTURE.md, "The screen").
const (
	// MinTargetMM is the smallest touch target edge for an elderly finger.
	MinTargetMM = 15
	// designW and designH are the reference screen: body text is BodyPx
	// there, and everything scales by Unit from it.
	designW, designH = 1024, 600
	// BodyPx is the body text size at 1024×600 (at least 28 px).
	BodyPx = 32
)

// Layout is the sizes of one screen: a unit scaled from 1024×600 and the
// physical pixel pitch, from which touch targets are sized in millimetres.
type Layout struct {
	W, H float64
	// Unit is 1 at 1024×600; it scales type and spacing with the screen.
	Unit float64
	// PxPerMMX and PxPerMMY are the pixels in a millimetre across and down:
	// a panel's pixels need not be square.
	PxPerMMX, PxPerMMY float64
}

// NewLayout sizes a w×h screen. Landscape sizes from 800×480 to 1280×800 are
// the supported range; others are laid out the same way, best effort.
func NewLayout(w, h int, o LayoutOpts) Layout {
	fw, fh := math.Max(1, float64(w)), math.Max(1, float64(h))
	l := Layout{W: fw, H: fh, Unit: math.Min(fw/designW, fh/designH)}
	panel := o.Panel
	if panel == (PanelSize{}) && o.DPI <= 0 && (o.DiagonalInches <= 0 || o.DiagonalInches == 7) {
		panel = KnownPanels[[2]int{w, h}]
	}
	switch {
	case o.DPI > 0:
		l.PxPerMMX, l.PxPerMMY = o.DPI/25.4, o.DPI/25.4
	case panel.W > 0 && panel.H > 0:
		l.PxPerMMX, l.PxPerMMY = fw/panel.W, fh/panel.H
	default:
		diag := o.DiagonalInches
		if diag <= 0 {
			diag = 7
		}
		d := math.Hypot(fw, fh) / (diag * 25.4)
		l.PxPerMMX, l.PxPerMMY = d, d
	}
	return l
}

// Screen is the whole screen.
func (l Layout) Screen() Rect { return Rect{0, 0, l.W, l.H} }

// U is n units in pixels.
func (l Layout) U(n float64) float64 { return n * l.Unit }

// MM is a length in millimetres, in pixels, whichever way it runs: the
// pixels of the denser direction, so it is at least mm both ways.
func (l Layout) MM(mm float64) float64 { return mm * math.Max(l.PxPerMMX, l.PxPerMMY) }

// MMX is a width in millimetres, in pixels.
func (l Layout) MMX(mm float64) float64 { return mm * l.PxPerMMX }

// MMY is a height in millimetres, in pixels.
func (l Layout) MMY(mm float64) float64 { return mm * l.PxPerMMY }

// PxToMMX is a width in pixels, in millimetres.
func (l Layout) PxToMMX(px float64) float64 { return px / l.PxPerMMX }

// PxToMMY is a height in pixels, in millimetres.
func (l Layout) PxToMMY(px float64) float64 { return px / l.PxPerMMY }

// Target is the height of a touch target: at least MinTargetMM by the
// panel's vertical pitch (84 px at 800×480, 105 at 1024×600 on the 7"
// panel), and at least 96 units so targets keep their proportion on dense
// screens.
func (l Layout) Target() float64 { return math.Ceil(math.Max(l.MMY(MinTargetMM), l.U(96))) }

// TargetW is the narrowest a touch target may be: MinTargetMM by the
// panel's horizontal pitch.
func (l Layout) TargetW() float64 { return math.Ceil(l.MMX(MinTargetMM)) }

// Margin is the space around the screen's content.
func (l Layout) Margin() float64 { return math.Round(l.U(24)) }

// Gap is the space between neighbouring elements.
func (l Layout) Gap() float64 { return math.Round(l.U(16)) }

// Text sizes in pixels: at 1024×600 nothing is below 28 px.
func (l Layout) Body() float64  { return math.Round(l.U(BodyPx)) }
func (l Layout) Small() float64 { return math.Round(l.U(28)) }
func (l Layout) Title() float64 { return math.Round(l.U(44)) }
func (l Layout) Huge() float64  { return math.Round(l.U(72)) }

// Giant is the size of the pickup code's digits.
func (l Layout) Giant() float64 { return math.Round(l.U(150)) }
