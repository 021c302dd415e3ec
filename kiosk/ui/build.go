package ui

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/assets"
	"github.com/hongmajia/hongmajia/kiosk"
)

// Strings looks up catalog text in the terminal's locale.
type Strings struct {
	Catalog *assets.Catalog
	Locale  assets.Locale
}

// ChineseStrings is the embedded catalog in Chinese, the terminal's language.
func ChineseStrings() Strings { return Strings{Catalog: assets.Strings(), Locale: assets.Chinese} }

// T is the text of key.
func (s Strings) T(key string) string { return s.Catalog.Text(s.Locale, key) }

// F is the text of key with fmt verbs filled.
func (s Strings) F(key string, args ...any) string { return s.Catalog.Format(s.Locale, key, args...) }

// Measurer measures text at a size and weight; Fonts is the real one.
type Measurer interface {
	Advance(text string, size float64, bold bool) float64
}

// Builder lays out one Frame. Scenes call its widget methods.
type Builder struct {
	L     Layout
	S     Strings
	M     Measurer
	Now   time.Time
	frame Frame
}

// NewBuilder starts an empty frame on the light background.
func NewBuilder(l Layout, s Strings, m Measurer, now time.Time) *Builder {
	return &Builder{L: l, S: s, M: m, Now: now, frame: Frame{Background: colBackground}}
}

// Frame is what was built.
func (b *Builder) Frame() Frame { return b.frame }

// Fill paints a rectangle.
func (b *Builder) Fill(r Rect, c color.RGBA, radius float64) {
	b.frame.Items = append(b.frame.Items, Item{Kind: FillItem, Rect: r, Fill: c, Radius: radius, Target: -1})
}

// lineHeight is the box height of one text line at size.
func lineHeight(size float64) float64 { return math.Ceil(size * 1.35) }

// Line draws one line of text in r, vertically centred, shrinking the text
// (down to 28 units) if it is too wide, and recording an overflow if even
// that does not fit.
func (b *Builder) Line(r Rect, s string, st TextStyle) {
	b.line(r, s, st, -1)
}

func (b *Builder) line(r Rect, s string, st TextStyle, target int) {
	min := math.Min(st.Size, b.L.Small())
	for st.Size > min && b.M.Advance(s, st.Size, st.Bold) > r.W {
		st.Size = math.Max(min, st.Size-2)
	}
	if b.M.Advance(s, st.Size, st.Bold) > r.W+0.5 || lineHeight(st.Size) > r.H+0.5 && st.Size > min {
		b.frame.Overflows = append(b.frame.Overflows, s)
	}
	b.frame.Items = append(b.frame.Items, Item{Kind: TextItem, Rect: r, Text: s, Style: st, Target: target})
}

// Paragraph wraps s into r from the top and returns the height used. Lines
// that do not fit below r are dropped and recorded as an overflow.
func (b *Builder) Paragraph(r Rect, s string, st TextStyle) float64 {
	return b.paragraph(r, s, st, -1, false)
}

// paragraph lays wrapped lines; centred vertically when center is set.
func (b *Builder) paragraph(r Rect, s string, st TextStyle, target int, center bool) float64 {
	lines := Wrap(s, r.W, func(t string) float64 { return b.M.Advance(t, st.Size, st.Bold) })
	lh := lineHeight(st.Size)
	// Shrink towards the smallest size while the block is too tall, or its
	// last line holds one character alone (keepCompany could not help).
	for (float64(len(lines))*lh > r.H || len(lines) > 1 && Lonely(lines[len(lines)-1])) && st.Size > b.L.Small() {
		st.Size = math.Max(b.L.Small(), st.Size-2)
		lh = lineHeight(st.Size)
		lines = Wrap(s, r.W, func(t string) float64 { return b.M.Advance(t, st.Size, st.Bold) })
	}
	y := r.Y
	if center {
		y = r.Y + math.Max(0, (r.H-float64(len(lines))*lh)/2)
	}
	used := 0.0
	for i, l := range lines {
		if y+lh > r.Y+r.H+0.5 {
			b.frame.Overflows = append(b.frame.Overflows, fmt.Sprint(lines[i:]))
			break
		}
		b.line(Rect{r.X, y, r.W, lh}, l, st, target)
		y += lh
		used += lh
	}
	return used
}

// Button adds a touch target with a label. A disabled button is drawn grey
// and is not a target.
func (b *Builder) Button(r Rect, label string, kind ButtonKind, act Action, enabled bool) {
	b.button(r, label, kind, act, enabled, b.buttonSize(r))
}

// buttonSize is the largest label size whose line fits r's height.
func (b *Builder) buttonSize(r Rect) float64 {
	for _, sz := range []float64{b.L.Huge(), b.L.Title()} {
		if r.H >= lineHeight(sz)+b.L.U(16) {
			return sz
		}
	}
	return b.L.Body()
}

// oneLineSize is the largest size, at most buttonSize, at which label fits
// r's button on one line (a word is not broken); the smallest size when
// none does.
func (b *Builder) oneLineSize(r Rect, label string) float64 {
	w := r.Inset(b.L.U(14)).W // a little air either side
	size := b.buttonSize(r)
	for size > b.L.Small() && b.M.Advance(label, size, true) > w {
		size = math.Max(b.L.Small(), size-2)
	}
	return size
}

// button is Button with its label's size.
func (b *Builder) button(r Rect, label string, kind ButtonKind, act Action, enabled bool, size float64) {
	target := -1
	if enabled {
		target = len(b.frame.Targets)
		b.frame.Targets = append(b.frame.Targets, r)
		b.frame.Actions = append(b.frame.Actions, act)
	}
	bg, fg, border := kind.colors(enabled)
	b.frame.Items = append(b.frame.Items, Item{
		Kind: FillItem, Rect: r, Fill: bg, Border: border, BorderW: math.Max(2, b.L.U(3)),
		Radius: b.L.U(12), Target: target,
	})
	b.paragraph(r.Inset(b.L.U(8)), label, TextStyle{Size: size, Bold: true, Color: fg, Align: AlignCenter}, target, true)
}

// Header is the red band at the top: a title on the left and the date and
// time on the right. It returns the rest of the screen below it.
func (b *Builder) Header(title string) Rect {
	band, rest := b.L.Screen().Top(math.Round(b.L.U(84)))
	b.Fill(band, colHeader, 0)
	inner := band.Inset(b.L.Margin())
	inner.Y, inner.H = band.Y, band.H
	clock := ClockLine(b.S, b.Now)
	cw := b.M.Advance(clock, b.L.Body(), false) + b.L.Gap()
	titleBox, clockBox := inner.Left(inner.W - cw)
	b.Line(titleBox, title, TextStyle{Size: b.L.Title(), Bold: true, Color: colOnDark})
	b.Line(clockBox, clock, TextStyle{Size: b.L.Body(), Color: colOnDark, Align: AlignEnd})
	return rest
}

// Banner is a full-width coloured band with a large centred message: the
// colour of success or refusal, and its mark (✓, ✗) beside the words, so the
// colour is not all that tells them apart.
func (b *Builder) Banner(r Rect, tone Tone, text string) {
	b.Fill(r, tone.Color(), 0)
	inner := r.Inset(b.L.U(8))
	st := TextStyle{Size: b.L.Huge(), Bold: true, Color: colOnDark, Align: AlignCenter}
	mark := tone.Mark()
	if mark == NoMark {
		b.paragraph(inner, text, st, -1, true)
		return
	}
	side := math.Min(inner.H*0.8, math.Ceil(st.Size*1.2))
	gap := b.L.Gap()
	w := math.Min(b.M.Advance(text, st.Size, st.Bold)+1, inner.W-side-gap)
	x := inner.X + (inner.W-side-gap-w)/2
	b.Mark(Rect{x, inner.Y + (inner.H-side)/2, side, side}, mark, colOnDark, tone.Color())
	b.paragraph(Rect{x + side + gap, inner.Y, w, inner.H}, text, st, -1, true)
}

// Mark draws a sign (✓, ✗, !) in r: a disc of bg with the sign in fg.
func (b *Builder) Mark(r Rect, m Mark, bg, fg color.RGBA) {
	b.frame.Items = append(b.frame.Items, Item{Kind: MarkItem, Rect: r, Fill: bg, Border: fg, Mark: m, Target: -1})
}

// Picture draws an image scaled into r.
func (b *Builder) Picture(r Rect, img image.Image) {
	b.frame.Items = append(b.frame.Items, Item{Kind: ImageItem, Rect: r, Image: img, Target: -1})
}

// Tile is a catalog item (a core Choice): its picture img, or a generated
// tile of its colour with its name; then its price and state below. A tile
// the person cannot take is drawn grey with the reason, and is not a target.
func (b *Builder) Tile(r Rect, c kiosk.Choice, img image.Image, act Action) {
	b.tile(r, c, img, act, b.tileStateRows(r, c))
}

// tileState is what a tile says under its price: the stock, or why it
// cannot be taken, and in which colour.
func (b *Builder) tileState(c kiosk.Choice) (string, color.RGBA) {
	if c.Refusal != "" {
		return phrase(b.S, kiosk.T(c.Refusal, c.RefusalArgs...)), colRefusal
	}
	return b.S.F("redeem.stock", c.Stock), colMuted
}

// tileStateRows is how many lines a tile of r needs for its state: two when
// it does not fit one (积分不够，/还差 80 分).
func (b *Builder) tileStateRows(r Rect, c kiosk.Choice) int {
	state, _ := b.tileState(c)
	if b.M.Advance(state, b.L.Small(), false) > r.Inset(b.L.U(8)).W {
		return 2
	}
	return 1
}

// tile is Tile with stateRows lines for its state: a page of tiles gives
// each as many as the one needing most, so their pictures line up.
func (b *Builder) tile(r Rect, c kiosk.Choice, img image.Image, act Action, stateRows int) {
	enabled := c.Refusal == ""
	target := -1
	if enabled {
		target = len(b.frame.Targets)
		b.frame.Targets = append(b.frame.Targets, r)
		b.frame.Actions = append(b.frame.Actions, act)
	}
	b.frame.Items = append(b.frame.Items, Item{Kind: FillItem, Rect: r, Fill: colPanel, Border: colRule,
		BorderW: math.Max(2, b.L.U(2)), Radius: b.L.U(10), Target: target})
	inner := r.Inset(b.L.U(8))
	foot := lineHeight(b.L.Small())
	state, col := b.tileState(c)
	if b.M.Advance(state, b.L.Small(), false) > inner.W {
		// On two lines, at the comma, where it reads best.
		if head, tail, ok := strings.Cut(state, "，"); ok {
			state = head + "，\n" + tail
		}
	}
	pic, info := inner.Bottom(float64(1+stateRows) * foot)
	info, pic = pic, info
	if img != nil {
		// The item's own picture, with its name under it: a picture alone
		// does not say 5 公斤 or 理发券.
		name, picture := pic.Bottom(lineHeight(b.L.Body()))
		b.Picture(picture, img)
		b.line(name, c.Label, TextStyle{Size: b.L.Body(), Bold: true, Color: colInk, Align: AlignCenter}, target)
	} else {
		col := TileColor(c.Label)
		if !enabled {
			col = colDisabledFg
		}
		b.frame.Items = append(b.frame.Items, Item{Kind: FillItem, Rect: pic, Fill: col, Radius: b.L.U(8), Target: target})
		b.paragraph(pic.Inset(b.L.U(6)), c.Label, TextStyle{Size: b.L.Body(), Bold: true, Color: colOnDark, Align: AlignCenter}, target, true)
	}
	price, rest := info.Top(foot)
	b.line(price, b.S.F("redeem.price", c.Price), TextStyle{Size: b.L.Small(), Bold: true, Color: colInk, Align: AlignCenter}, target)
	b.paragraph(rest, state, TextStyle{Size: b.L.Small(), Color: col, Align: AlignCenter}, target, false)
}

// Digits draws a code in very large digits, spaced for reading aloud: as
// large as Giant, or as r's height allows.
func (b *Builder) Digits(r Rect, code string) {
	spaced := ""
	for i, c := range code {
		if i > 0 {
			spaced += " "
		}
		spaced += string(c)
	}
	size := math.Max(b.L.Huge(), math.Min(b.L.Giant(), math.Floor(r.H/1.35)))
	b.Line(r, spaced, TextStyle{Size: size, Bold: true, Color: colInk, Align: AlignCenter})
}

// ClockLine is the date, weekday and time, e.g. 2026年11月25日 星期三 18:30.
func ClockLine(s Strings, now time.Time) string {
	weekdays := [7]string{"week.sunday", "week.monday", "week.tuesday", "week.wednesday", "week.thursday", "week.friday", "week.saturday"}
	return s.F("clock.date", now.Year(), int(now.Month()), now.Day()) + " " + s.T(weekdays[now.Weekday()]) + " " + now.Format("15:04")
}

// Duration is minutes in words: 1小时20分钟, or 45分钟.
func Duration(s Strings, minutes int) string {
	if minutes < 60 {
		return s.F("duration.m", minutes)
	}
	return s.F("duration.hm", minutes/60, minutes%60)
}

// Hours is minutes as hours with at most one decimal: 12.5小时.
func Hours(s Strings, minutes int) string {
	h := float64(minutes) / 60
	v := fmt.Sprintf("%.1f", math.Floor(h*10)/10)
	if len(v) > 2 && v[len(v)-2:] == ".0" {
		v = v[:len(v)-2]
	}
	return s.F("unit.hours", v)
}
