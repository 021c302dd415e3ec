package ui

import (
	"fmt"
	"github.com/hongmajia/hongmajia/kiosk"
	"image"
	"math"
	"strconv"
	"time"
)

// ActivityView is one of today's activities at this center.
type ActivityView struct {
	Name       string
	Start, End time.Time
}

// HonourView is one line of the monthly honour roll; Name is the full name,
// masked when drawn.
type HonourView struct {
	Name    string
	Minutes int
}

// IdleView is what the idle scene shows between visitors.
type IdleView struct {
	Center     string
	Activities []ActivityView
	HonourRoll []HonourView // best first; the scene shows what fits
	// DemoCards shows the hint that keys 1–9 tap demo cards.
	DemoCards bool
}

// IdleScene invites a tap: center, clock, 请刷卡, today's activities and the
// honour roll (本月志愿之星).
type IdleScene struct{ View IdleView }

func (s *IdleScene) NextChange(now time.Time) time.Time { return nextMinute(now) }

func (s *IdleScene) Build(b *Builder) {
	l := b.L
	body := b.Header(s.View.Center).Inset(l.Margin())
	left, right := body.Left(math.Round(body.W * 0.56))
	right.X += l.Gap()
	right.W -= l.Gap()

	// 请刷卡: the largest thing on screen, on a panel that reads as a card slot.
	promptBox, rest := left.Top(math.Round(l.U(170)))
	b.Fill(promptBox, colPanel, l.U(16))
	b.frame.Items[len(b.frame.Items)-1].Border = colHeader
	b.frame.Items[len(b.frame.Items)-1].BorderW = math.Max(3, l.U(4))
	b.paragraph(promptBox.Inset(l.U(8)), b.S.T("idle.prompt"), TextStyle{Size: l.U(96), Bold: true, Color: colHeader, Align: AlignCenter}, -1, true)

	if s.View.DemoCards {
		var hint Rect
		hint, rest = rest.Bottom(lineHeight(l.Small()))
		b.Line(hint, b.S.T("demo.cards"), TextStyle{Size: l.Small(), Color: colMuted})
	}
	rest.Y += l.Gap()
	rest.H -= l.Gap()
	title, list := rest.Top(lineHeight(l.Body()))
	b.Line(title, b.S.T("idle.activities"), TextStyle{Size: l.Body(), Bold: true, Color: colInk})
	if len(s.View.Activities) == 0 {
		b.Paragraph(list, b.S.T("idle.no_activities"), TextStyle{Size: l.Body(), Color: colMuted})
	}
	lh := lineHeight(l.Body())
	for i, a := range s.View.Activities {
		if float64(i+1)*lh > list.H {
			break
		}
		row := Rect{list.X, list.Y + float64(i)*lh, list.W, lh}
		times := a.Start.Format("15:04") + "–" + a.End.Format("15:04")
		tw := b.M.Advance("00:00–00:00", l.Body(), false) + l.Gap()
		tb, nb := row.Left(tw)
		b.Line(tb, times, TextStyle{Size: l.Body(), Color: colMuted})
		b.Line(nb, a.Name, TextStyle{Size: l.Body(), Color: colInk})
	}

	// The honour roll panel.
	b.Fill(right, colPanel, l.U(16))
	b.frame.Items[len(b.frame.Items)-1].Border = colRule
	b.frame.Items[len(b.frame.Items)-1].BorderW = math.Max(2, l.U(2))
	inner := right.Inset(l.U(16))
	title, list = inner.Top(lineHeight(l.Body()) + l.U(8))
	b.Line(title, b.S.T("idle.honour_roll"), TextStyle{Size: l.Body(), Bold: true, Color: colHeader})
	if len(s.View.HonourRoll) == 0 {
		b.Paragraph(list, b.S.T("idle.honour_empty"), TextStyle{Size: l.Body(), Color: colMuted})
	}
	for i, h := range s.View.HonourRoll {
		if float64(i+1)*lh > list.H {
			break
		}
		row := Rect{list.X, list.Y + float64(i)*lh, list.W, lh}
		rank := strconv.Itoa(i+1) + "."
		rb, row := row.Left(b.M.Advance("10.", l.Body(), false) + l.U(8))
		b.Line(rb, rank, TextStyle{Size: l.Body(), Color: colMuted})
		nb, hb := row.Left(row.W * 0.5)
		b.Line(nb, kiosk.MaskName(h.Name), TextStyle{Size: l.Body(), Color: colInk})
		b.Line(hb, Hours(b.S, h.Minutes), TextStyle{Size: l.Body(), Color: colInk, Align: AlignEnd})
	}
}

// OpenShiftView is a shift checked in and not yet out.
type OpenShiftView struct {
	Activity string
	Since    time.Time
}

// PersonView is a volunteer or resident whose card was just tapped.
type PersonView struct {
	Name    string
	Points  int
	Minutes int            // service minutes, all time (服务时长)
	Open    *OpenShiftView // nil when no shift is open
}

// PersonScene shows the balance and one big obvious action: 签退 when a
// shift is open, otherwise 签到; then 兑换, 记录 and 返回.
type PersonScene struct{ View PersonView }

func (s *PersonScene) NextChange(now time.Time) time.Time { return nextMinute(now) }

func (s *PersonScene) Build(b *Builder) {
	l := b.L
	body := b.Header(s.View.Name).Inset(l.Margin())
	stats, rest := body.Top(math.Round(l.U(170)))
	boxes := stats.Columns(2, l.Gap())
	for i, st := range []struct{ label, value string }{
		{b.S.T("person.points"), strconv.Itoa(s.View.Points)},
		{b.S.T("person.hours"), Hours(b.S, s.View.Minutes)},
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
	label, act := b.S.T("person.check_in"), ActCheckIn
	if s.View.Open != nil {
		label, act = b.S.T("person.check_out"), ActCheckOut
		mins := int(b.Now.Sub(s.View.Open.Since) / time.Minute)
		b.Line(info, b.S.F("person.shift_open", Duration(b.S, max(0, mins)))+"  "+s.View.Open.Activity,
			TextStyle{Size: l.Body(), Bold: true, Color: colSuccess, Align: AlignCenter})
	}
	b.Button(main, label, Primary, act, true)
	cols := buttons.Columns(3, l.Gap())
	b.Button(cols[0], b.S.T("person.redeem"), Secondary, ActRedeem, true)
	b.Button(cols[1], b.S.T("person.history"), Secondary, ActHistory, true)
	b.Button(cols[2], b.S.T("button.back"), Secondary, ActBack, true)
}

// ResultScene is a one-message screen: a coloured banner (success, refusal
// or neutral), lines of detail, and one button.
type ResultScene struct {
	Tone   Tone
	Title  string
	Lines  []string
	Button string // label; the button's action is ActBack
}

func (s *ResultScene) NextChange(time.Time) time.Time { return time.Time{} }

func (s *ResultScene) Build(b *Builder) {
	l := b.L
	body := l.Screen()
	banner, rest := body.Top(math.Round(body.H * 0.36))
	b.Banner(banner, s.Tone, s.Title)
	rest = rest.Inset(l.Margin())
	btn, text := rest.Bottom(l.Target())
	text.H -= l.Gap()
	y := text.Y
	for _, line := range s.Lines {
		r := Rect{text.X, y, text.W, text.Y + text.H - y}
		y += b.paragraph(r, line, TextStyle{Size: l.Title(), Color: colInk, Align: AlignCenter}, -1, false)
	}
	bw := math.Max(l.MM(50), btn.W/3)
	btn.X += (btn.W - bw) / 2
	btn.W = bw
	b.Button(btn, s.Button, Secondary, ActBack, true)
}

// RefusalReason is why a redemption or another write was refused.
type RefusalReason int

const (
	InsufficientPoints RefusalReason = iota // 余额不足
	OutOfStock                              // 库存不足
	LimitReached                            // 本月已兑换
	OfflineLimit                            // 离线兑换已达上限
	SyncTooOld                              // too long since the last sync
	ReadOnly                                // the ledger refuses writes
)

func (r RefusalReason) key() string {
	return [...]string{"refusal.insufficient_points", "refusal.out_of_stock", "refusal.limit_reached",
		"refusal.offline_limit", "refusal.sync_too_old", "refusal.read_only"}[r]
}

// NewRefusal says in plain words why something was not done.
func NewRefusal(s Strings, r RefusalReason) *ResultScene {
	return &ResultScene{Tone: Refusal, Title: s.T("result.refused"), Lines: []string{s.T(r.key())}, Button: s.T("button.back")}
}

// CardProblem is why a tapped card does not open a session.
type CardProblem int

const (
	CardUnknown CardProblem = iota // never registered
	CardLost                       // reported lost (挂失)
	CardRevoked                    // replaced or withdrawn
)

// NewCardProblem tells the holder of an unusable card what to do.
func NewCardProblem(s Strings, p CardProblem) *ResultScene {
	switch p {
	case CardLost:
		return &ResultScene{Tone: Refusal, Title: s.T("card.lost"), Lines: []string{s.T("card.desk_hint")}, Button: s.T("button.back")}
	case CardRevoked:
		return &ResultScene{Tone: Refusal, Title: s.T("card.revoked"), Lines: []string{s.T("card.desk_hint")}, Button: s.T("button.back")}
	}
	return &ResultScene{Tone: Neutral, Title: s.T("card.unknown"), Lines: []string{s.T("card.unknown_hint")}, Button: s.T("button.back")}
}

// NewTechnician is the "needs a technician" screen with its fault code.
func NewTechnician(s Strings, code string) *ResultScene {
	return &ResultScene{Tone: Refusal, Title: s.T("tech.title"), Lines: []string{s.F("tech.code", code), s.T("refusal.read_only")}, Button: s.T("button.back")}
}

// NewWorking is shown while the ledger answers, if it takes long enough to see.
func NewWorking(s Strings) *ResultScene {
	return &ResultScene{Tone: Neutral, Title: s.T("result.working"), Button: s.T("button.cancel")}
}

// NewCheckedIn confirms a check-in with its time.
func NewCheckedIn(s Strings, activity string, at time.Time) *ResultScene {
	return &ResultScene{Tone: Success, Title: s.T("checkin.done"), Lines: []string{activity, s.F("checkin.time", at.Format("15:04"))}, Button: s.T("button.back")}
}

// NewCheckedOut shows what a finished shift earned.
func NewCheckedOut(s Strings, minutes, points, balance int) *ResultScene {
	return &ResultScene{Tone: Success, Title: s.T("checkout.done"), Lines: []string{
		s.F("checkout.duration", Duration(s, minutes)), s.F("checkout.earned", points), s.F("checkout.balance", balance),
	}, Button: s.T("button.back")}
}

// ChoiceScene asks one question with up to a screenful of large options; the
// n-th option's action is "choice:n" (see Choice).
type ChoiceScene struct {
	Title   string
	Options []string
	Kinds   []ButtonKind // per option; Secondary when missing
	Empty   string       // shown when there are no options
	// MinWidthMM is the narrowest an option may be; 0 means 40 mm.
	MinWidthMM float64
}

// Choice is the action of the n-th option of a ChoiceScene.
func Choice(n int) Action { return Action("choice:" + strconv.Itoa(n)) }

func (s *ChoiceScene) NextChange(now time.Time) time.Time { return nextMinute(now) }

func (s *ChoiceScene) Build(b *Builder) {
	l := b.L
	body := b.Header(s.Title).Inset(l.Margin())
	back, grid := body.Bottom(l.Target())
	grid.H -= l.Gap()
	if len(s.Options) == 0 {
		b.Paragraph(grid, s.Empty, TextStyle{Size: l.Title(), Color: colInk, Align: AlignCenter})
	}
	minW := s.MinWidthMM
	if minW <= 0 {
		minW = 40
	}
	cols, rows := gridShape(len(s.Options), grid, l.Target(), l.Gap(), l.MM(minW))
	cells := grid.Grid(rows, cols, l.Gap())
	for i, opt := range s.Options {
		if i >= len(cells) {
			b.frame.Overflows = append(b.frame.Overflows, opt)
			break
		}
		kind := Secondary
		if i < len(s.Kinds) {
			kind = s.Kinds[i]
		}
		c := cells[i]
		c.H = math.Min(c.H, l.Target()*1.5)
		b.Button(c, opt, kind, Choice(i), true)
	}
	bw := math.Max(l.MM(40), back.W/4)
	back.W = bw
	b.Button(back, b.S.T("button.back"), Secondary, ActBack, true)
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

// NewCheckInChoice asks which of today's activities to check in to.
func NewCheckInChoice(s Strings, activities []ActivityView) *ChoiceScene {
	c := &ChoiceScene{Title: s.T("checkin.choose"), Empty: s.T("checkin.none")}
	for _, a := range activities {
		c.Options = append(c.Options, a.Start.Format("15:04")+" "+a.Name)
	}
	return c
}

// StaffAction is an item of the staff menu.
type StaffAction int

const (
	BindCard StaffAction = iota
	ReplaceCard
	AdjustPoints
	ReverseRedemption
	Restock
	CloseShifts
	SyncNow
	ReaderTest
	Summary
)

// StaffActions are the menu's items in order.
var StaffActions = []StaffAction{BindCard, ReplaceCard, AdjustPoints, ReverseRedemption, Restock, CloseShifts, SyncNow, ReaderTest, Summary}

func (a StaffAction) key() string {
	return [...]string{"staff.bind_card", "staff.replace_card", "staff.adjust_points", "staff.reverse_redemption",
		"staff.restock", "staff.close_shifts", "staff.sync_now", "staff.reader_test", "staff.summary"}[a]
}

// NewStaffMenu is the staff menu; option n is StaffActions[n]. Unsynced is
// the count of entries the hub has not acknowledged.
func NewStaffMenu(s Strings, unsynced int) *ChoiceScene {
	c := &ChoiceScene{Title: s.T("staff.menu") + "  " + s.F("staff.unsynced", unsynced)}
	for _, a := range StaffActions {
		c.Options = append(c.Options, s.T(a.key()))
		kind := Secondary
		if a == ReverseRedemption || a == AdjustPoints {
			kind = Danger
		}
		c.Kinds = append(c.Kinds, kind)
	}
	return c
}

// StaffPrompt is a step of a staff flow that waits for the staff member.
type StaffPrompt int

const (
	PromptFindPerson StaffPrompt = iota // type the last four phone digits or the member number
	PromptTapNewCard                    // tap the card to bind
	PromptReason                        // pick a reason for an adjustment
	PromptReaderOK                      // the reader test read a card
)

// NewStaffPrompt is a prompt screen; detail is e.g. the UID the reader test
// read. The find-person prompt offers registering a walk-in as option 0.
func NewStaffPrompt(s Strings, p StaffPrompt, detail string) Scene {
	switch p {
	case PromptTapNewCard:
		return &ResultScene{Tone: Neutral, Title: s.T("staff.tap_new_card"), Lines: nonEmpty(detail), Button: s.T("button.cancel")}
	case PromptReason:
		return &ChoiceScene{Title: s.T("staff.reason"), Options: nonEmpty(detail)}
	case PromptReaderOK:
		return &ResultScene{Tone: Success, Title: s.T("staff.reader_test"), Lines: []string{s.F("staff.reader_ok", detail)}, Button: s.T("button.back")}
	}
	return &ChoiceScene{Title: s.T("staff.find_person"), Options: []string{s.T("staff.new_person")}}
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// ConfirmScene asks to confirm one decision: a question, a detail line,
// 确认 and 取消.
type ConfirmScene struct {
	Question, Detail string
}

func (s *ConfirmScene) NextChange(time.Time) time.Time { return time.Time{} }

func (s *ConfirmScene) Build(b *Builder) {
	l := b.L
	body := l.Screen().Inset(l.Margin())
	buttons, text := body.Bottom(math.Max(l.Target(), l.U(120)))
	text.H -= l.Gap()
	q, d := text.Top(text.H * 0.55)
	b.paragraph(q, s.Question, TextStyle{Size: l.Huge(), Bold: true, Color: colInk, Align: AlignCenter}, -1, true)
	b.paragraph(d, s.Detail, TextStyle{Size: l.Title(), Color: colInk, Align: AlignCenter}, -1, false)
	cols := buttons.Columns(2, l.U(48))
	b.Button(cols[0], b.S.T("button.cancel"), Secondary, ActCancel, true)
	b.Button(cols[1], b.S.T("button.confirm"), Primary, ActConfirm, true)
}

// NewCheckInConfirm asks to confirm the check-in to one activity.
func NewCheckInConfirm(s Strings, activity string) *ConfirmScene {
	return &ConfirmScene{Question: s.F("checkin.confirm", activity)}
}

// NewRedeemConfirm asks to confirm a redemption, with the price and the
// balance after it.
func NewRedeemConfirm(s Strings, item string, price, balance int) *ConfirmScene {
	return &ConfirmScene{Question: s.F("redeem.confirm", item), Detail: s.F("redeem.confirm_price", price, balance-price)}
}

// ItemState is whether the person can take a catalog item now.
type ItemState int

const (
	Available ItemState = iota
	Unaffordable
	MonthLimitReached
	SoldOut
)

// TileView is one catalog item on the redeem grid.
type TileView struct {
	Name   string
	Price  int
	Stock  int
	Image  image.Image // nil: a generated tile
	Reason string      // why it cannot be taken; empty when it can
}

// CatalogScene is the redeem grid: every item, with the ones the person
// cannot take shown greyed with the reason rather than hidden, a screenful
// at a time (上一页/下一页 turn pages). Tapping item n gives ItemChosen(n).
type CatalogScene struct {
	Balance int
	Tiles   []TileView
	Page    int
	perPage int // from the last Build
}

// Page-turning actions, handled by the CatalogScene itself.
const (
	ActPrevPage Action = "page:prev"
	ActNextPage Action = "page:next"
)

// Handle turns pages.
func (s *CatalogScene) Handle(a Action) bool {
	switch a {
	case ActPrevPage:
		s.Page = max(0, s.Page-1)
		return true
	case ActNextPage:
		if s.perPage > 0 && (s.Page+1)*s.perPage < len(s.Tiles) {
			s.Page++
		}
		return true
	}
	return false
}

// ItemChosen is the action of the n-th catalog tile.
func ItemChosen(n int) Action { return Action("item:" + strconv.Itoa(n)) }

// NewTile is a catalog tile with its state in words.
func NewTile(s Strings, name string, price, stock int, img image.Image, st ItemState) TileView {
	t := TileView{Name: name, Price: price, Stock: stock, Image: img}
	switch st {
	case Unaffordable:
		t.Reason = s.T("redeem.unaffordable")
	case MonthLimitReached:
		t.Reason = s.T("refusal.limit_reached")
	case SoldOut:
		t.Reason = s.T("redeem.sold_out")
	}
	return t
}

func (s *CatalogScene) NextChange(now time.Time) time.Time { return nextMinute(now) }

func (s *CatalogScene) Build(b *Builder) {
	l := b.L
	body := b.Header(b.S.T("redeem.title") + "  " + b.S.F("unit.points", s.Balance)).Inset(l.Margin())
	nav, grid := body.Bottom(l.Target())
	grid.H -= l.Gap()
	tileMin := math.Max(l.MM(28), l.U(180))
	cols, rows := gridShape(len(s.Tiles), grid, tileMin, l.Gap(), tileMin)
	cols = max(cols, min(4, len(s.Tiles)))
	cells := grid.Grid(rows, cols, l.Gap())
	s.perPage = max(1, len(cells))
	s.Page = min(s.Page, max(0, (len(s.Tiles)-1)/s.perPage))
	first := s.Page * s.perPage
	for i := first; i < len(s.Tiles) && i-first < len(cells); i++ {
		b.Tile(cells[i-first], s.Tiles[i], ItemChosen(i))
	}
	navs := nav.Columns(4, l.Gap())
	b.Button(navs[0], b.S.T("button.back"), Secondary, ActBack, true)
	if len(s.Tiles) > s.perPage {
		b.Button(navs[2], b.S.T("redeem.prev_page"), Secondary, ActPrevPage, s.Page > 0)
		b.Button(navs[3], b.S.T("redeem.next_page"), Secondary, ActNextPage, first+s.perPage < len(s.Tiles))
	}
}

// PickupScene shows a redemption's pickup code (取货码) in very large digits.
type PickupScene struct{ Code string }

func (s *PickupScene) NextChange(time.Time) time.Time { return time.Time{} }

func (s *PickupScene) Build(b *Builder) {
	l := b.L
	banner, rest := l.Screen().Top(math.Round(l.U(110)))
	b.Banner(banner, Success, b.S.T("redeem.done"))
	rest = rest.Inset(l.Margin())
	btn, rest := rest.Bottom(l.Target())
	rest.H -= l.Gap()
	label, rest := rest.Top(lineHeight(l.Title()))
	b.Line(label, b.S.T("redeem.pickup_code"), TextStyle{Size: l.Title(), Bold: true, Color: colMuted, Align: AlignCenter})
	hint, digits := rest.Bottom(lineHeight(l.Body()) + l.Gap())
	b.Digits(digits, s.Code)
	b.Line(hint, b.S.T("redeem.pickup_hint"), TextStyle{Size: l.Body(), Color: colInk, Align: AlignCenter})
	bw := math.Max(l.MM(50), btn.W/3)
	btn.X += (btn.W - bw) / 2
	btn.W = bw
	b.Button(btn, b.S.T("button.back"), Secondary, ActBack, true)
}

// HistoryKind is the kind of a ledger entry, as the person sees it.
type HistoryKind int

const (
	HistCheckIn HistoryKind = iota
	HistCheckOut
	HistRedeem
	HistAdjust
	HistReverse
	HistCardReplaced
	HistExpire
)

// HistoryEntry is one line of a person's history.
type HistoryEntry struct {
	Kind    HistoryKind
	When    time.Time
	What    string // activity, item or reason
	Minutes int
	Points  int
}

// Text is the entry in plain words.
func (e HistoryEntry) Text(s Strings) string {
	switch e.Kind {
	case HistCheckIn:
		return s.F("history.check_in", e.What)
	case HistCheckOut:
		return s.F("history.check_out", e.What, Duration(s, e.Minutes), e.Points)
	case HistRedeem:
		return s.F("history.redeem", e.What, e.Points)
	case HistAdjust:
		return s.F("history.adjust", e.Points, e.What)
	case HistReverse:
		return s.F("history.reverse", e.What, e.Points)
	case HistCardReplaced:
		return s.T("history.card_replaced")
	case HistExpire:
		return s.F("history.expire", e.Points)
	}
	return fmt.Sprint(e.Kind)
}

// HistoryScene lists a person's last entries, newest first.
type HistoryScene struct{ Entries []HistoryEntry }

func (s *HistoryScene) NextChange(now time.Time) time.Time { return nextMinute(now) }

func (s *HistoryScene) Build(b *Builder) {
	l := b.L
	body := b.Header(b.S.T("history.title")).Inset(l.Margin())
	back, list := body.Bottom(l.Target())
	list.H -= l.Gap()
	if len(s.Entries) == 0 {
		b.Paragraph(list, b.S.T("history.empty"), TextStyle{Size: l.Title(), Color: colMuted, Align: AlignCenter})
	}
	lh := lineHeight(l.Body())
	dw := b.M.Advance("12-31 23:59", l.Body(), false) + l.Gap()
	for i, e := range s.Entries {
		if float64(i+1)*lh > list.H {
			break
		}
		row := Rect{list.X, list.Y + float64(i)*lh, list.W, lh}
		db, tb := row.Left(dw)
		b.Line(db, e.When.Format("01-02 15:04"), TextStyle{Size: l.Body(), Color: colMuted})
		b.Line(tb, e.Text(b.S), TextStyle{Size: l.Body(), Color: colInk})
	}
	back.W = math.Max(l.MM(40), back.W/4)
	b.Button(back, b.S.T("button.back"), Secondary, ActBack, true)
}

// PinScene is the staff PIN pad. It keeps the digits itself; 确认 gives the
// action "pin:<digits>" (see PinEntered) and clears the pad.
type PinScene struct {
	Digits string
	Max    int  // most digits; 0 means 6
	Wrong  bool // the last PIN was wrong
	Locked bool // too many wrong PINs: the pad is disabled

	// The same pad serves staff numbers (a phone's last four digits, a
	// member number, an amount): Title replaces 请输入密码, Plain shows the
	// digits instead of dots, Message is a line under them (没有找到), and
	// Signed adds a +/− key whose state goes out as a leading "-".
	Title    string
	Plain    bool
	Message  string
	Signed   bool
	Negative bool
}

// ActSign toggles a signed pad between adding and taking away.
const ActSign Action = "pad:sign"

// PinEntered is the action of confirming a PIN.
func PinEntered(pin string) Action { return Action("pin:" + pin) }

func (s *PinScene) NextChange(time.Time) time.Time { return time.Time{} }

var pinKeys = [12]string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "del", "0", "ok"}

// Handle takes digits and deletion; confirming is the owner's business and
// goes out as PinEntered.
func (s *PinScene) Handle(a Action) bool {
	limit := s.Max
	if limit <= 0 {
		limit = 6
	}
	switch {
	case a == ActSign && s.Signed:
		s.Negative = !s.Negative
		return true
	case a == "pin-key:del":
		if len(s.Digits) > 0 {
			s.Digits = s.Digits[:len(s.Digits)-1]
		}
		return true
	case len(a) == len("pin-key:0") && a[:8] == "pin-key:":
		s.Wrong = false
		if len(s.Digits) < limit {
			s.Digits += string(a[8])
		}
		return true
	}
	return false
}

func (s *PinScene) Build(b *Builder) {
	l := b.L
	body := l.Screen().Inset(l.Margin())
	keyW := math.Max(l.Target()*1.3, l.U(150))
	padW := 3*keyW + 2*l.Gap()
	left, pad := body.Left(body.W - padW)
	left.W -= l.Gap()
	title, left := left.Top(lineHeight(l.Title()) * 2)
	heading := s.Title
	if heading == "" {
		heading = b.S.T("staff.pin")
	}
	b.paragraph(title, heading, TextStyle{Size: l.Title(), Bold: true, Color: colInk}, -1, false)
	dots, left := left.Top(lineHeight(l.Huge()))
	shown := ""
	if s.Plain {
		shown = s.Digits
		if s.Signed && s.Negative {
			shown = "−" + shown
		} else if s.Signed {
			shown = "+" + shown
		}
	} else {
		for range s.Digits {
			shown += "● "
		}
	}
	b.Line(dots, shown, TextStyle{Size: l.Huge(), Color: colInk})
	cancel, msg := left.Bottom(l.Target())
	if s.Signed {
		var sign Rect
		sign, msg = msg.Bottom(l.Target())
		msg.H -= l.Gap()
		label := b.S.T("pad.add")
		if s.Negative {
			label = b.S.T("pad.subtract")
		}
		b.Button(sign, label, Secondary, ActSign, true)
		sign.Y -= l.Gap()
	}
	switch {
	case s.Message != "":
		b.Paragraph(msg, s.Message, TextStyle{Size: l.Body(), Bold: true, Color: colRefusal})
	case s.Locked:
		b.Paragraph(msg, b.S.T("staff.pin_locked"), TextStyle{Size: l.Body(), Bold: true, Color: colRefusal})
	case s.Wrong:
		b.Paragraph(msg, b.S.T("staff.pin_wrong"), TextStyle{Size: l.Body(), Bold: true, Color: colRefusal})
	}
	b.Button(cancel, b.S.T("button.cancel"), Secondary, ActCancel, true)
	rows := math.Min(l.Target(), (pad.H-3*l.Gap())/4)
	pad.H = 4*rows + 3*l.Gap()
	pad.Y = body.Y + body.H - pad.H
	for i, cell := range pad.Grid(4, 3, l.Gap()) {
		k := pinKeys[i]
		switch k {
		case "del":
			b.Button(cell, b.S.T("button.delete"), Secondary, "pin-key:del", !s.Locked)
		case "ok":
			entered := s.Digits
			if s.Signed && s.Negative {
				entered = "-" + entered
			}
			b.Button(cell, b.S.T("button.confirm"), Primary, PinEntered(entered), !s.Locked && s.Digits != "")
		default:
			b.Button(cell, k, Secondary, Action("pin-key:"+k), !s.Locked)
		}
	}
}

// WindowTitle is the window's title (seen in --windowed mode).
func WindowTitle(s Strings) string { return s.T("app.title") }

// NewDone confirms that a staff action worked (restocked, synced, bound).
func NewDone(s Strings, lines ...string) *ResultScene {
	return &ResultScene{Tone: Success, Title: s.T("result.success"), Lines: lines, Button: s.T("button.back")}
}
