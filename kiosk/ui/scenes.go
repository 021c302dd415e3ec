package ui

import (
	"image"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/kiosk"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

// IdleScene invites a tap: center, clock, 请刷卡, today's activities and the
// honour roll (本月志愿之星), from the core's view (Center, Demo, Idle).
// Activities that do not all fit are shown a page at a time, each for
// IdlePageEvery: the idle scene has no buttons to turn pages with.
type IdleScene struct {
	View  kiosk.View
	pages int // pages of today's activities, from the last Build
}

// IdlePageEvery is how long the idle scene shows each page of today's
// activities. The scene is repainted only then (and each minute, for the
// clock), so the idle kiosk stays asleep between. 15 s: a page of up to a
// dozen activities is read at leisure by an elderly resident, and a minute
// holds whole pages, so the clock's minute comes with a page turn and
// costs no paint of its own (8 s, before, turned 7.5 pages a minute plus
// the clock's paint). Each paint costs about 0.1 s of CPU on a software
// renderer (see settleFrames), so the turns are most of the idle cost.
const IdlePageEvery = 15 * time.Second

func (s *IdleScene) NextChange(now time.Time) time.Time {
	next := nextMinute(now)
	if s.pages > 1 {
		next = earlier(next, idlePageStart(now).Add(IdlePageEvery))
	}
	return next
}

// idlePage is the page of n shown at now: they turn every IdlePageEvery.
func idlePage(now time.Time, n int) int {
	return int((now.Unix() / int64(IdlePageEvery/time.Second)) % int64(n))
}

func idlePageStart(now time.Time) time.Time {
	secs := int64(IdlePageEvery / time.Second)
	return time.Unix(now.Unix()/secs*secs, 0)
}

func (s *IdleScene) Build(b *Builder) {
	l := b.L
	v := s.View
	body := b.Header(v.Center).Inset(l.Margin())
	left, right := body.Left(math.Round(body.W * 0.56))
	right.X += l.Gap()
	right.W -= l.Gap()

	// 请刷卡: the largest thing on screen, on a panel that reads as a card slot.
	promptBox, rest := left.Top(math.Round(l.U(170)))
	b.Fill(promptBox, colPanel, l.U(16))
	b.frame.Items[len(b.frame.Items)-1].Border = colHeader
	b.frame.Items[len(b.frame.Items)-1].BorderW = math.Max(3, l.U(4))
	b.paragraph(promptBox.Inset(l.U(8)), b.S.T("idle.prompt"), TextStyle{Size: l.U(96), Bold: true, Color: colHeader, Align: AlignCenter}, -1, true)

	if v.Demo {
		var hint Rect
		hint, rest = rest.Bottom(lineHeight(l.Small()))
		b.Line(hint, b.S.T("demo.cards"), TextStyle{Size: l.Small(), Color: colMuted})
	}
	rest.Y += l.Gap()
	rest.H -= l.Gap()
	title, list := rest.Top(lineHeight(l.Body()))
	lh := lineHeight(l.Body())
	acts, heading := v.Idle.Activities, b.S.T("idle.activities")
	s.pages = 0
	if rows := int((list.H + 0.5) / lh); len(acts) > rows && rows > 0 {
		// Never drop one silently: a page at a time, the page said.
		s.pages = (len(acts) + rows - 1) / rows
		page := idlePage(b.Now, s.pages)
		acts = acts[page*rows : min(len(acts), (page+1)*rows)]
		heading = b.S.F("idle.activities_page", page+1, s.pages)
	}
	b.Line(title, heading, TextStyle{Size: l.Body(), Bold: true, Color: colInk})
	if len(v.Idle.Activities) == 0 {
		b.Paragraph(list, b.S.T("idle.no_activities"), TextStyle{Size: l.Body(), Color: colMuted})
	}
	for i, a := range acts {
		if float64(i+1)*lh > list.H+0.5 {
			b.frame.Overflows = append(b.frame.Overflows, a.Name)
			continue
		}
		row := Rect{list.X, list.Y + float64(i)*lh, list.W, lh}
		tw := b.M.Advance("00:00–00:00", l.Body(), false) + l.Gap()
		tb, nb := row.Left(tw)
		b.Line(tb, activityTimes(b.S, a), TextStyle{Size: l.Body(), Color: colMuted})
		b.Line(nb, a.Name, TextStyle{Size: l.Body(), Color: colInk})
	}

	// The honour roll panel: a public screen, so names are masked. It shows
	// the rows that fit; when that is fewer than the core gave, the title
	// says how many (前 8 名): no name is dropped unsaid.
	b.Fill(right, colPanel, l.U(16))
	b.frame.Items[len(b.frame.Items)-1].Border = colRule
	b.frame.Items[len(b.frame.Items)-1].BorderW = math.Max(2, l.U(2))
	inner := right.Inset(l.U(16))
	title, list = inner.Top(lineHeight(l.Body()) + l.U(8))
	roll := v.Idle.Honour
	heading = b.S.T("idle.honour_roll")
	if fit := int((list.H + 0.5) / lh); len(roll) > fit {
		roll = roll[:fit]
		heading = b.S.F("idle.honour_roll_top", fit)
	}
	b.Line(title, heading, TextStyle{Size: l.Body(), Bold: true, Color: colHeader})
	if len(roll) == 0 {
		b.Paragraph(list, b.S.T("idle.honour_empty"), TextStyle{Size: l.Body(), Color: colMuted})
	}
	// The name's column is as wide as the widest masked name; the hours
	// (25小时15分钟) take the rest.
	rankW := b.M.Advance(strconv.Itoa(len(roll))+".", l.Body(), false) + l.U(8)
	nameW := 0.0
	for _, h := range roll {
		nameW = math.Max(nameW, b.M.Advance(kiosk.MaskName(h.Name), l.Body(), false)+l.Gap())
	}
	for i, h := range roll {
		row := Rect{list.X, list.Y + float64(i)*lh, list.W, lh}
		rb, row := row.Left(rankW)
		b.Line(rb, strconv.Itoa(i+1)+".", TextStyle{Size: l.Body(), Color: colMuted})
		nb, hb := row.Left(math.Min(nameW, row.W/2))
		b.Line(nb, kiosk.MaskName(h.Name), TextStyle{Size: l.Body(), Color: colInk})
		b.Line(hb, Duration(b.S, int(h.Minutes)), TextStyle{Size: l.Body(), Color: colInk, Align: AlignEnd})
	}
}

// activityTimes is when an activity runs today, as the idle scene lists it:
// its schedule's HH:MM–HH:MM, or 随时可签到 for one without a schedule.
func activityTimes(s Strings, a ledger.Activity) string {
	if a.Schedule.Start == "" {
		return s.T("checkin.any_time")
	}
	return a.Schedule.Start + "–" + a.Schedule.End
}

// PersonScene shows the balance and one big obvious action: 签退 when a
// shift is open, otherwise 签到; then 兑换, 记录 and 返回. It draws the
// core's Person.
type PersonScene struct{ View kiosk.View }

func (s *PersonScene) NextChange(now time.Time) time.Time { return nextMinute(now) }

func (s *PersonScene) Build(b *Builder) {
	l := b.L
	p := s.View.Person
	body := b.Header(personName(b.S, p.Name, p.Provisional)).Inset(l.Margin())
	stats, rest := body.Top(math.Round(l.U(170)))
	boxes := stats.Columns(2, l.Gap())
	for i, st := range []struct{ label, value string }{
		{b.S.T("person.points"), strconv.FormatInt(p.Points, 10)},
		{b.S.T("person.hours"), Duration(b.S, int(p.Minutes))},
	} {
		box := boxes[i]
		b.Fill(box, colPanel, l.U(12))
		b.frame.Items[len(b.frame.Items)-1].Border = colRule
		b.frame.Items[len(b.frame.Items)-1].BorderW = math.Max(2, l.U(2))
		lb, vb := box.Inset(l.U(10)).Top(lineHeight(l.Body()))
		b.Line(lb, st.label, TextStyle{Size: l.Body(), Color: colMuted, Align: AlignCenter})
		b.Line(vb, st.value, TextStyle{Size: l.Huge(), Bold: true, Color: colInk, Align: AlignCenter})
	}
	rest.Y += l.Gap()
	rest.H -= l.Gap()

	buttons, rest := rest.Bottom(l.Target())
	rest.H -= l.Gap()
	lh := lineHeight(l.Body())
	main, info := rest.Bottom(math.Max(l.Target(), rest.H-lh-l.Gap()))
	info, _ = info.Top(lh)
	label, act := b.S.T("person.check_in"), Act(kiosk.ActCheckIn)
	if o := p.OpenShift; o != nil {
		label, act = b.S.T("person.check_out"), Act(kiosk.ActCheckOut)
		mins := int(b.Now.Sub(o.Since) / time.Minute)
		b.Line(info, b.S.F("person.shift_open", o.Activity, Duration(b.S, max(0, mins))),
			TextStyle{Size: l.Body(), Bold: true, Color: colSuccess, Align: AlignCenter})
	} else if p.Provisional {
		// A walk-in sees 待补登记 where their name goes: say what to do.
		b.Line(info, b.S.T("person.walk_in_hint"), TextStyle{Size: l.Body(), Bold: true, Color: colInk, Align: AlignCenter})
	}
	b.Button(main, label, Primary, act, true)
	cols := buttons.Columns(3, l.Gap())
	b.Button(cols[0], b.S.T("person.redeem"), Secondary, Act(kiosk.ActRedeem), true)
	b.Button(cols[1], b.S.T("person.history"), Secondary, Act(kiosk.ActHistory), true)
	b.Button(cols[2], b.S.T("button.back"), Secondary, Act(kiosk.ActBack), true)
}

// ResultScene is a one-message screen: a coloured banner (success, refusal
// or neutral), lines of detail, and one button, which goes back; no button
// when Button is "" (nothing to go back to).
type ResultScene struct {
	Tone   Tone
	Title  string
	Lines  []string
	Button string // label
}

func (s *ResultScene) NextChange(time.Time) time.Time { return time.Time{} }

func (s *ResultScene) Build(b *Builder) {
	l := b.L
	body := l.Screen()
	banner, rest := body.Top(math.Round(body.H * 0.36))
	b.Banner(banner, s.Tone, s.Title)
	text := rest.Inset(l.Margin())
	if s.Button != "" {
		var btn Rect
		btn, text = text.Bottom(l.Target())
		text.H -= l.Gap()
		bw := math.Max(l.MM(50), btn.W/3)
		btn.X += (btn.W - bw) / 2
		btn.W = bw
		b.Button(btn, s.Button, Secondary, Act(kiosk.ActBack), true)
	}
	lines(b, text, s.Lines, l.Title())
}

// ChoiceScene asks one question with large options, a screenful at a time:
// a list longer than the screen pages with 上一页/下一页, as the catalog
// does, so no option is ever dropped. Paging is the screen's own state; the
// choice is the core's.
type ChoiceScene struct {
	Title   string
	Options []Option
	Empty   string // shown when there are no options
	// MinWidthMM is the narrowest an option may be; 0 means 40 mm. Options
	// are never narrower than their widest line.
	MinWidthMM float64
	Page       int
	perPage    int // from the last Build
	// Back is the label of the button that leaves ("" is 返回); Extra, when
	// set, an action beside it, drawn as the primary button (输入取货码):
	// not one of the options.
	Back  string
	Extra *Option
	// Note is a line beside the back button (the staff menu's sync
	// standing), drawn when the row has room (no pages, no Extra); in the
	// refusal colour when NoteAlert.
	Note      string
	NoteAlert bool
}

// Option is one button of a ChoiceScene: a label and, when Detail is set, a
// second, smaller line under it. A Disabled option is drawn grey and is
// not a target: its detail says why.
type Option struct {
	Label    string
	Detail   string
	Act      Action
	Disabled bool
}

// Handle turns pages.
func (s *ChoiceScene) Handle(a Action) bool {
	switch a {
	case prevPage:
		s.Page = max(0, s.Page-1)
		return true
	case nextPage:
		if s.perPage > 0 && (s.Page+1)*s.perPage < len(s.Options) {
			s.Page++
		}
		return true
	}
	return false
}

func (s *ChoiceScene) NextChange(now time.Time) time.Time { return nextMinute(now) }

func (s *ChoiceScene) Build(b *Builder) {
	l := b.L
	body := b.Header(s.Title).Inset(l.Margin())
	nav, grid := body.Bottom(l.Target())
	grid.H -= l.Gap()
	if len(s.Options) == 0 {
		b.Paragraph(grid, s.Empty, TextStyle{Size: l.Title(), Color: colInk, Align: AlignCenter})
	}
	minW := s.MinWidthMM
	if minW <= 0 {
		minW = 40
	}
	minW = l.MM(minW)
	minH := l.Target()
	for _, o := range s.Options {
		w := b.M.Advance(o.Label, l.Body(), true)
		if o.Detail != "" {
			w = math.Max(w, b.M.Advance(o.Detail, l.Small(), false))
			minH = math.Max(minH, lineHeight(l.Body())+lineHeight(l.Small())+l.U(16))
		}
		minW = math.Max(minW, math.Min(grid.W, w+l.U(24)))
	}
	cols, rows := gridShape(len(s.Options), grid, minH, l.Gap(), minW)
	cells := grid.Grid(rows, cols, l.Gap())
	s.perPage = max(1, len(cells))
	s.Page = min(s.Page, max(0, (len(s.Options)-1)/s.perPage))
	first := s.Page * s.perPage
	// One size for the labels of a page, the largest at which each fits its
	// button on one line: labels of one size read as one list, and no word
	// is broken across lines.
	size := 0.0
	for i := first; i < len(s.Options) && i-first < len(cells); i++ {
		c := cells[i-first]
		c.H = math.Min(c.H, math.Max(minH, l.Target()*1.5))
		if s.Options[i].Detail != "" {
			continue // drawn at the body size, over its detail
		}
		if sz := b.oneLineSize(c, s.Options[i].Label); size == 0 || sz < size {
			size = sz
		}
	}
	for i := first; i < len(s.Options) && i-first < len(cells); i++ {
		c := cells[i-first]
		c.H = math.Min(c.H, math.Max(minH, l.Target()*1.5))
		b.option(c, s.Options[i], size)
	}
	navs := nav.Columns(4, l.Gap())
	back := s.Back
	if back == "" {
		back = b.S.T("button.back")
	}
	b.Button(navs[0], back, Secondary, Act(kiosk.ActBack), true)
	if s.Extra != nil {
		ex := navs[1]
		if len(s.Options) <= s.perPage {
			ex.W = navs[2].X + navs[2].W - ex.X // no pages to turn: room for its words
		}
		b.Button(ex, s.Extra.Label, Primary, s.Extra.Act, true)
	}
	b.pager(navs, s.Page, len(s.Options), s.perPage, s.Extra == nil)
	if s.Note != "" && s.Extra == nil && len(s.Options) <= s.perPage && len(navs) == 4 {
		r := Rect{navs[1].X, navs[1].Y, navs[3].X + navs[3].W - navs[1].X, navs[1].H}
		st := TextStyle{Size: l.Body(), Color: colMuted}
		if s.NoteAlert {
			st.Bold, st.Color = true, colRefusal
		}
		b.paragraph(r, s.Note, st, -1, true)
	}
}

// pager turns the pages of a list of n shown per a page, in the last three
// of a nav row's four columns: 上一页, where the list is (第 1/2 页, unless
// that column holds another button: say false), 下一页. Nothing when the
// list fits one page.
func (b *Builder) pager(navs []Rect, page, n, per int, where bool) {
	if per <= 0 || n <= per || len(navs) < 4 {
		return
	}
	pages := (n + per - 1) / per
	b.Button(navs[2], b.S.T("redeem.prev_page"), Secondary, prevPage, page > 0)
	if where {
		b.Line(navs[1], b.S.F("page.of", page+1, pages), TextStyle{Size: b.L.Title(), Bold: true, Color: colInk, Align: AlignCenter})
	}
	b.Button(navs[3], b.S.T("redeem.next_page"), Secondary, nextPage, page+1 < pages)
}

// option draws an Option: a plain button with its label at size, or a
// button with a second line.
func (b *Builder) option(r Rect, o Option, size float64) {
	if o.Detail == "" {
		b.button(r, o.Label, Secondary, o.Act, !o.Disabled, size)
		return
	}
	target := -1
	if !o.Disabled {
		target = len(b.frame.Targets)
		b.frame.Targets = append(b.frame.Targets, r)
		b.frame.Actions = append(b.frame.Actions, o.Act)
	}
	bg, fg, border := Secondary.colors(!o.Disabled)
	b.frame.Items = append(b.frame.Items, Item{Kind: FillItem, Rect: r, Fill: bg, Border: border, BorderW: math.Max(2, b.L.U(3)),
		Radius: b.L.U(12), Target: target})
	inner := r.Inset(b.L.U(8))
	lh1, lh2 := lineHeight(b.L.Body()), lineHeight(b.L.Small())
	top := inner.Y + math.Max(0, (inner.H-lh1-lh2)/2)
	b.line(Rect{inner.X, top, inner.W, lh1}, o.Label, TextStyle{Size: b.L.Body(), Bold: true, Color: fg, Align: AlignCenter}, target)
	b.paragraph(Rect{inner.X, top + lh1, inner.W, inner.Y + inner.H - top - lh1}, o.Detail,
		TextStyle{Size: b.L.Small(), Color: fg, Align: AlignCenter}, target, false)
}

// gridShape picks columns and rows for n cells in area so that each cell is
// at least minH tall and minW wide, preferring fewer columns.
func gridShape(n int, area Rect, minH, gap, minW float64) (cols, rows int) {
	if n <= 0 {
		return 1, 0
	}
	maxRows := max(1, int((area.H+gap)/(minH+gap)))
	maxCols := max(1, int((area.W+gap)/(minW+gap)))
	for cols = 1; cols < maxCols; cols++ {
		if (n+cols-1)/cols <= maxRows {
			break
		}
	}
	rows = min(maxRows, (n+cols-1)/cols)
	return cols, rows
}

// ConfirmScene asks a visitor to confirm one decision: a question, a
// detail line, 返回 and the action's verb (签到, 兑换).
type ConfirmScene struct {
	Question, Detail string
	Confirm          string // the primary button's label; "" is 确认
}

func (s *ConfirmScene) NextChange(time.Time) time.Time { return time.Time{} }

func (s *ConfirmScene) Build(b *Builder) {
	l := b.L
	body := b.CountdownBand(l.Screen()).Inset(l.Margin())
	buttons, text := body.Bottom(math.Max(l.Target(), l.U(120)))
	text.H -= l.Gap()
	q, d := text.Top(text.H * 0.55)
	b.paragraph(q, s.Question, TextStyle{Size: l.Huge(), Bold: true, Color: colInk, Align: AlignCenter}, -1, true)
	b.paragraph(d, s.Detail, TextStyle{Size: l.Title(), Color: colInk, Align: AlignCenter}, -1, false)
	cols := buttons.Columns(2, l.U(48))
	b.Button(cols[0], b.S.T("button.back"), Secondary, Act(kiosk.ActBack), true)
	confirm := s.Confirm
	if confirm == "" {
		confirm = b.S.T("button.confirm")
	}
	b.Button(cols[1], confirm, Primary, Act(kiosk.ActConfirm), true)
}

// CatalogScene is the redeem grid of the core's Choices: every item, with
// the ones the person cannot take shown greyed with the reason rather than
// hidden, a screenful at a time. 上一页/下一页 turn pages here: the page is
// the screen's business, the choice the core's.
type CatalogScene struct {
	View    kiosk.View
	Images  map[string]image.Image // pictures by item name; nil: generated tiles
	Page    int
	perPage int // from the last Build
}

// The page-turning buttons' actions, handled by the CatalogScene itself.
var (
	prevPage = Action{Page: -1}
	nextPage = Action{Page: +1}
)

// Handle turns pages.
func (s *CatalogScene) Handle(a Action) bool {
	switch a {
	case prevPage:
		s.Page = max(0, s.Page-1)
		return true
	case nextPage:
		if s.perPage > 0 && (s.Page+1)*s.perPage < len(s.View.Choices) {
			s.Page++
		}
		return true
	}
	return false
}

func (s *CatalogScene) NextChange(now time.Time) time.Time { return nextMinute(now) }

func (s *CatalogScene) Build(b *Builder) {
	l := b.L
	items := s.View.Choices
	body := b.Header(b.S.T("redeem.title") + "  " + b.S.F("unit.points", s.View.Person.Points)).Inset(l.Margin())
	nav, grid := body.Bottom(l.Target())
	grid.H -= l.Gap()
	if none := nothingToRedeem(items); none != "" {
		// Nothing can be had: say it once, over the tiles that say why.
		var line Rect
		line, grid = grid.Top(lineHeight(l.Body()))
		grid.Y += l.Gap() / 2
		grid.H -= l.Gap() / 2
		b.Line(line, b.S.T(none), TextStyle{Size: l.Body(), Bold: true, Color: colRefusal, Align: AlignCenter})
	}
	tileMin := math.Max(l.MM(28), l.U(180))
	cols, rows := gridShape(len(items), grid, tileMin, l.Gap(), tileMin)
	cols = max(cols, min(4, len(items)))
	cells := grid.Grid(rows, cols, l.Gap())
	s.perPage = max(1, len(cells))
	s.Page = min(s.Page, max(0, (len(items)-1)/s.perPage))
	first := s.Page * s.perPage
	stateRows := 1
	for i := first; i < len(items) && i-first < len(cells); i++ {
		stateRows = max(stateRows, b.tileStateRows(cells[i-first], items[i]))
	}
	for i := first; i < len(items) && i-first < len(cells); i++ {
		b.tile(cells[i-first], items[i], s.Images[items[i].Label], Choose(i), stateRows)
	}
	navs := nav.Columns(4, l.Gap())
	b.Button(navs[0], b.S.T("button.back"), Secondary, Act(kiosk.ActBack), true)
	b.pager(navs, s.Page, len(items), s.perPage, true)
}

// nothingToRedeem is the catalog key of the line saying that no item can
// be had, with the reason when every item has the same one (积分不够兑换任何
// 物品); "" when one can.
func nothingToRedeem(items []kiosk.Choice) string {
	if len(items) == 0 {
		return ""
	}
	points, stock := true, true
	for _, c := range items {
		switch c.Refusal {
		case "":
			return ""
		case "refusal.insufficient_points", "refusal.not_enough_points":
			stock = false
		case "refusal.out_of_stock":
			points = false
		default:
			points, stock = false, false
		}
	}
	switch {
	case points:
		return "redeem.none_points"
	case stock:
		return "redeem.none_stock"
	}
	return "redeem.none"
}

// PickupScene shows a redemption's pickup code (取货码) in very large digits.
type PickupScene struct{ Redeem kiosk.RedeemView }

func (s *PickupScene) NextChange(time.Time) time.Time { return time.Time{} }

func (s *PickupScene) Build(b *Builder) {
	l := b.L
	banner, rest := l.Screen().Top(math.Round(l.U(110)))
	b.Banner(banner, Success, b.S.T("redeem.done"))
	rest = rest.Inset(l.Margin())
	btn, rest := rest.Bottom(l.Target())
	rest.H -= l.Gap()
	detail, rest := rest.Top(lineHeight(l.Title()))
	b.Line(detail, pickupDetail(b.S, s.Redeem), TextStyle{Size: l.Title(), Color: colInk, Align: AlignCenter})
	rest.Y += l.Gap() / 2
	rest.H -= l.Gap() / 2
	label, rest := rest.Top(lineHeight(l.Body()))
	b.Line(label, b.S.T("redeem.pickup_code"), TextStyle{Size: l.Body(), Bold: true, Color: colMuted, Align: AlignCenter})
	hint, digits := rest.Bottom(lineHeight(l.Body()) + l.Gap())
	b.Digits(digits, string(s.Redeem.Code))
	b.Line(hint, b.S.T("redeem.pickup_hint"), TextStyle{Size: l.Body(), Color: colInk, Align: AlignCenter})
	bw := math.Max(l.MM(50), btn.W/3)
	btn.X += (btn.W - bw) / 2
	btn.W = bw
	b.Button(btn, b.S.T("button.back"), Secondary, Act(kiosk.ActBack), true)
}

// HistoryScene lists the core's History, newest first, with times in Loc,
// a screenful at a time: 上一页/下一页 turn pages, as in the catalog.
type HistoryScene struct {
	View    kiosk.View
	Loc     *time.Location
	Page    int
	perPage int // from the last Build
}

// Handle turns pages.
func (s *HistoryScene) Handle(a Action) bool {
	switch a {
	case prevPage:
		s.Page = max(0, s.Page-1)
		return true
	case nextPage:
		if s.perPage > 0 && (s.Page+1)*s.perPage < len(s.View.History) {
			s.Page++
		}
		return true
	}
	return false
}

func (s *HistoryScene) NextChange(now time.Time) time.Time { return nextMinute(now) }

func (s *HistoryScene) Build(b *Builder) {
	l := b.L
	loc := s.Loc
	if loc == nil {
		loc = time.Local
	}
	body := b.Header(b.S.T("history.title")).Inset(l.Margin())
	back, list := body.Bottom(l.Target())
	list.H -= l.Gap()
	if len(s.View.History) == 0 {
		b.Paragraph(list, b.S.T("history.empty"), TextStyle{Size: l.Title(), Color: colMuted, Align: AlignCenter})
	}
	lh := lineHeight(l.Body())
	dw := b.M.Advance("12-31 23:59", l.Body(), false) + l.Gap()
	s.perPage = max(1, int((list.H+0.5)/lh))
	s.Page = min(s.Page, max(0, (len(s.View.History)-1)/s.perPage))
	first := s.Page * s.perPage
	shown := s.View.History[first:min(len(s.View.History), first+s.perPage)]
	for i, e := range shown {
		row := Rect{list.X, list.Y + float64(i)*lh, list.W, lh}
		db, tb := row.Left(dw)
		b.Line(db, e.At.In(loc).Format("01-02 15:04"), TextStyle{Size: l.Body(), Color: colMuted})
		b.Line(tb, historyText(b.S, e), TextStyle{Size: l.Body(), Color: colInk})
	}
	navs := back.Columns(4, l.Gap())
	b.Button(navs[0], b.S.T("button.back"), Secondary, Act(kiosk.ActBack), true)
	b.pager(navs, s.Page, len(s.View.History), s.perPage, true)
}

// historyText is an entry in plain words. The ledger counts a redemption's
// and an expiry's points as negative; the words say how many were spent.
func historyText(s Strings, e kiosk.HistoryLine) string {
	switch e.Kind {
	case record.KindCheckIn:
		return s.F("history.check_in", e.What)
	case record.KindCheckOut:
		return s.F("history.check_out", e.What, Duration(s, int(e.Minutes)), e.Points)
	case record.KindRedeem:
		if e.Code != "" {
			return s.F("history.redeem_code", e.What, -e.Points, e.Code)
		}
		return s.F("history.redeem", e.What, -e.Points)
	case record.KindAdjust:
		return s.F("history.adjust", Signed(e.Points), e.What)
	case record.KindReverse:
		return s.F("history.reverse", e.What, e.Points)
	case record.KindReplaceCard:
		return s.T("history.card_replaced")
	case record.KindExpire:
		return s.F("history.expire", -e.Points)
	}
	return e.What
}

// PadScene is the PIN and number pad. The core owns what is typed (Pad) and
// its limits: every key goes to it as it is pressed, and the scene draws
// the view it gets back. A PIN is drawn as dots; the amount pad of an
// adjustment (Signed) has 加分 and 扣分.
type PadScene struct{ View kiosk.View }

func (s *PadScene) NextChange(time.Time) time.Time { return time.Time{} }

var padKeys = [12]string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "del", "0", "ok"}

func (s *PadScene) Build(b *Builder) {
	l := b.L
	v := s.View
	body := b.CountdownBand(l.Screen()).Inset(l.Margin())
	keyW := math.Max(l.Target()*1.3, l.U(150))
	padW := 3*keyW + 2*l.Gap()
	left, pad := body.Left(body.W - padW)
	left.W -= l.Gap()
	title, left := left.Top(lineHeight(l.Title()) * 2)
	heading := phrase(b.S, v.Title)
	if v.Scene == kiosk.ScenePIN && v.Staff.Name != "" {
		// Whose card was tapped: the holder knows it is theirs.
		heading = b.S.F("staff.menu_of", v.Staff.Name) + "\n" + heading
	}
	heading = clauseBreak(heading, title.W, func(t string) float64 { return b.M.Advance(t, l.Title(), true) })
	b.paragraph(title, heading, TextStyle{Size: l.Title(), Bold: true, Color: colInk}, -1, false)
	typed, left := left.Top(lineHeight(l.Huge()))
	b.Line(typed, padShown(v), TextStyle{Size: l.Huge(), Color: colInk})
	back, msg := left.Bottom(l.Target())
	if v.Signed {
		// 加分 | 扣分 side by side, the one in force filled: each names what
		// it does, and the typed number shows the sign. Well apart from
		// 返回, so that a sign is not taken for leaving.
		var signs Rect
		msg.H -= 2 * l.Gap()
		signs, msg = msg.Bottom(l.Target())
		msg.H -= l.Gap()
		cols := signs.Columns(2, l.Gap())
		kind := func(on bool) ButtonKind {
			if on {
				return Primary
			}
			return Secondary
		}
		b.Button(cols[0], b.S.T("pad.add"), kind(!v.Negative), Act(kiosk.ActAdd), true)
		b.Button(cols[1], b.S.T("pad.subtract"), kind(v.Negative), Act(kiosk.ActSubtract), true)
	}
	if len(v.Lines) > 0 {
		b.Paragraph(msg, strings.Join(phrases(b.S, v.Lines), "\n"), TextStyle{Size: l.Body(), Bold: true, Color: colRefusal})
	}
	b.Button(back, b.S.T("button.back"), Secondary, Act(kiosk.ActBack), true)
	rows := math.Min(l.Target(), (pad.H-3*l.Gap())/4)
	pad.H = 4*rows + 3*l.Gap()
	pad.Y = body.Y + body.H - pad.H
	for i, cell := range pad.Grid(4, 3, l.Gap()) {
		switch k := padKeys[i]; k {
		case "del":
			b.Button(cell, b.S.T("button.delete"), Secondary, Act(kiosk.ActDelete), true)
		case "ok":
			b.Button(cell, b.S.T("button.confirm"), Primary, Act(kiosk.ActConfirm), v.Pad != "")
		default:
			b.Button(cell, k, Secondary, Action{Action: kiosk.Action{Kind: kiosk.ActDigit, Digit: int(k[0] - '0')}}, true)
		}
	}
}

// padShown is what the pad shows of what was typed: a dot per digit of a
// PIN, the digits of a number, with its sign on a signed pad.
func padShown(v kiosk.View) string {
	switch {
	case v.Scene == kiosk.ScenePIN:
		return strings.Repeat("● ", len(v.Pad))
	case v.Signed && v.Negative:
		return "−" + v.Pad
	case v.Signed:
		return "+" + v.Pad
	}
	return v.Pad
}

// Signed is a number with its sign, + or the minus sign − (U+2212, never a
// hyphen): the one way a change of points is written.
func Signed(n int64) string {
	if n < 0 {
		return "−" + strconv.FormatInt(-n, 10)
	}
	return "+" + strconv.FormatInt(n, 10)
}

// WindowTitle is the window's title (seen in --windowed mode).
func WindowTitle(s Strings) string { return s.T("app.title") }
