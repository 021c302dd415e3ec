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
	L   Layout
	S   Strings
	M   Measurer
	Now time.Time
	// Countdown is the seconds left before the session returns to idle,
	// shown by the header or the banner (or the scene's own band); 0: none.
	Countdown int
	frame     Frame
	// countdownShown: a widget drew the countdown.
	countdownShown bool
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
	b.button(r, label, kind, act, enabled, b.labelSize(r, label, kind))
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

// labelSize is the size of a button's label: the largest of Huge, Title and
// Body whose line fits the button's height; for the primary action, as
// large as its height and width allow, up to half as large again, so the
// one obvious action is also the largest word around it.
func (b *Builder) labelSize(r Rect, label string, kind ButtonKind) float64 {
	size := b.buttonSize(r)
	if kind != Primary {
		return size
	}
	base := size
	size = math.Max(base, math.Min(math.Min(b.L.U(96), 1.5*base), math.Floor((r.H-b.L.U(16))/1.35)))
	for size > base && b.M.Advance(label, size, true) > r.W-b.L.U(40) {
		size = math.Max(base, size-2)
	}
	return size
}

// Header is the red band at the top: a title on the left and the date and
// time on the right, or, in the last seconds of a session, the countdown in
// the clock's place, so the title (a person's name) stays in view. It
// returns the rest of the screen below it.
func (b *Builder) Header(title string) Rect {
	band, rest := b.L.Screen().Top(math.Round(b.L.U(84)))
	b.Fill(band, colHeader, 0)
	inner := band.Inset(b.L.Margin())
	inner.Y, inner.H = band.Y, band.H
	titleStyle := TextStyle{Size: b.L.Title(), Bold: true, Color: colOnDark}
	if b.Countdown > 0 {
		b.Line(b.countdownPill(inner), title, titleStyle)
		return rest
	}
	clock := ClockLine(b.S, b.Now)
	cw := b.M.Advance(clock, b.L.Body(), false) + b.L.Gap()
	titleBox, clockBox := inner.Left(inner.W - cw)
	b.Line(titleBox, title, titleStyle)
	b.Line(clockBox, clock, TextStyle{Size: b.L.Body(), Color: colOnDark, Align: AlignEnd})
	return rest
}

// countdownPill draws the countdown as a pill at the right end of r (a
// header's or a short banner's inside), and returns the part of r left of
// it.
func (b *Builder) countdownPill(r Rect) Rect {
	msg := b.S.F("countdown.return", b.Countdown)
	st := TextStyle{Size: b.L.Body(), Bold: true, Color: colWarnInk, Align: AlignCenter}
	pw := math.Ceil(b.M.Advance(msg, st.Size, st.Bold) + 2*b.L.U(16))
	left, pill := r.Left(r.W - pw)
	left.W -= b.L.Gap()
	pill.Y, pill.H = r.Y+b.L.U(10), r.H-2*b.L.U(10)
	b.Fill(pill, colCountdown, b.L.U(10))
	b.Line(pill, msg, st)
	b.countdownShown = true
	return left
}

// countdownHeight is the height of the countdown's band (CountdownBand):
// 0 when no countdown runs.
func (b *Builder) countdownHeight() float64 {
	if b.Countdown <= 0 {
		return 0
	}
	return math.Round(lineHeight(b.L.Title()) + b.L.U(16))
}

// CountdownBand draws, when a countdown runs, a band across the top of r
// saying how many seconds are left before the session returns to idle (10
// 秒后返回首页，轻触屏幕继续), and returns the rest of r below it; otherwise it
// returns r. A scene without a header or banner starts with it, so the
// countdown pushes its words down instead of covering them.
func (b *Builder) CountdownBand(r Rect) Rect {
	h := b.countdownHeight()
	if h == 0 {
		return r
	}
	band, rest := r.Top(h)
	b.Fill(band, colCountdown, 0)
	b.Line(band.Inset(b.L.U(8)), b.S.F("countdown.return", b.Countdown),
		TextStyle{Size: b.L.Title(), Bold: true, Color: colWarnInk, Align: AlignCenter})
	b.countdownShown = true
	return rest
}

// Banner is a full-width coloured band with a large centred message: the
// colour of success or refusal, and its mark (✓, ✗) beside the words, so the
// colour is not all that tells them apart.
//
// In the last seconds of a session the countdown takes a band across the
// banner's top (CountdownBand), or, on a banner too short to give one up, a
// pill at its right end: the result's words stay in view, and nothing
// below the banner moves.
func (b *Builder) Banner(r Rect, tone Tone, text string) {
	st := TextStyle{Size: b.L.Huge(), Bold: true, Color: colOnDark, Align: AlignCenter}
	short := r.H < lineHeight(st.Size)+b.countdownHeight()+b.L.U(16)
	if !short {
		r = b.CountdownBand(r)
	}
	b.Fill(r, tone.Color(), 0)
	inner := r.Inset(b.L.U(8))
	if short && b.Countdown > 0 {
		pillRow := r.Inset(b.L.Margin())
		pillRow.Y, pillRow.H = r.Y, r.H
		left := b.countdownPill(pillRow)
		inner.W = left.X + left.W - inner.X
	}
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
// the person cannot take is drawn light and grey, with a drawn ✗ badge and
// the reason, and is not a target.
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
	if b.M.Advance(state, b.L.Body(), c.Refusal != "") > r.Inset(b.L.U(8)).W {
		return 2
	}
	return 1
}

// tile is Tile with stateRows lines for its state: a page of tiles gives
// each as many as the one needing most, so their pictures line up. The
// state is at body size (the reason is what a refused tile is read for),
// the reason in bold.
func (b *Builder) tile(r Rect, c kiosk.Choice, img image.Image, act Action, stateRows int) {
	enabled := c.Refusal == ""
	target := -1
	if enabled {
		target = len(b.frame.Targets)
		b.frame.Targets = append(b.frame.Targets, r)
		b.frame.Actions = append(b.frame.Actions, act)
	}
	ground, border, ink := colPanel, colRule, colInk
	if !enabled {
		ground, border, ink = colRefusedTile, colRefusedTile, colMuted
	}
	b.frame.Items = append(b.frame.Items, Item{Kind: FillItem, Rect: r, Fill: ground, Border: border,
		BorderW: math.Max(2, b.L.U(2)), Radius: b.L.U(10), Target: target})
	inner := r.Inset(b.L.U(8))
	priceH, stateH := lineHeight(b.L.Small()), lineHeight(b.L.Body())
	state, col := b.tileState(c)
	if b.M.Advance(state, b.L.Body(), !enabled) > inner.W {
		// On two lines, at the comma, where it reads best.
		if head, tail, ok := strings.Cut(state, "，"); ok {
			state = head + "，\n" + tail
		}
	}
	pic, info := inner.Bottom(priceH + float64(stateRows)*stateH)
	info, pic = pic, info
	if img != nil {
		// The item's own picture, with its name under it: a picture alone
		// does not say 5 公斤 or 理发券.
		name, picture := pic.Bottom(lineHeight(b.L.Body()))
		b.Picture(picture, img)
		if !enabled {
			// Washed out: a refused item's photo must not look takeable.
			b.frame.Items = append(b.frame.Items, Item{Kind: FillItem, Rect: picture, Fill: colVeil, Target: -1})
		}
		b.line(name, c.Label, TextStyle{Size: b.L.Body(), Bold: true, Color: ink, Align: AlignCenter}, target)
	} else {
		face, label := TileColor(c.Label), colOnDark
		if !enabled {
			face, label = colRefusedFace, colMuted
		}
		b.frame.Items = append(b.frame.Items, Item{Kind: FillItem, Rect: pic, Fill: face, Radius: b.L.U(8), Target: target})
		b.paragraph(pic.Inset(b.L.U(6)), c.Label, TextStyle{Size: b.L.Body(), Bold: true, Color: label, Align: AlignCenter}, target, true)
	}
	if !enabled {
		// The ✗ badge, drawn (no font glyph): refused is not said by
		// colour alone.
		side := math.Round(lineHeight(b.L.Body()))
		b.Mark(Rect{pic.X + pic.W - side - b.L.U(4), pic.Y + b.L.U(4), side, side}, MarkCross, colRefusal, colOnDark)
	}
	price, rest := info.Top(priceH)
	b.line(price, b.S.F("redeem.price", c.Price), TextStyle{Size: b.L.Small(), Bold: true, Color: ink, Align: AlignCenter}, target)
	b.paragraph(rest, state, TextStyle{Size: b.L.Body(), Bold: !enabled, Color: col, Align: AlignCenter}, target, false)
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

// Duration is minutes in words, the one way every screen says a length of
// time (a shift, a balance of service, the honour roll): 1小时35分钟, 2小时
// (no 0分钟), or 45 分钟. With hours it is one word, as in speech; minutes
// alone are an amount like 80 积分, with a space.
func Duration(s Strings, minutes int) string {
	switch {
	case minutes < 60:
		return s.F("duration.m", minutes)
	case minutes%60 == 0:
		return s.F("duration.h", minutes/60)
	}
	return s.F("duration.hm", minutes/60, minutes%60)
}
