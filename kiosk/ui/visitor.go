package ui

import (
	"math"
	"time"

	"github.com/hongmajia/hongmajia/kiosk"
)

// CheckOutScene is the look before a check-out: how long the shift has run,
// what it will be credited, with the rounding said plainly, and the points;
// then 签退 to confirm, or Back (返回; 继续服务 when the shift is too short
// to count yet).
type CheckOutScene struct {
	Question string
	Lines    []string
	Back     string
}

func (s *CheckOutScene) NextChange(time.Time) time.Time { return time.Time{} }

func (s *CheckOutScene) Build(b *Builder) {
	l := b.L
	body := b.CountdownBand(l.Screen()).Inset(l.Margin())
	buttons, text := body.Bottom(math.Max(l.Target(), l.U(120)))
	text.H -= l.Gap()
	q, rest := text.Top(lineHeight(l.Huge()) + l.Gap())
	b.paragraph(q, s.Question, TextStyle{Size: l.Huge(), Bold: true, Color: colInk, Align: AlignCenter}, -1, true)
	lines(b, rest, s.Lines, l.Title())
	cols := buttons.Columns(2, l.U(48))
	back := s.Back
	if back == "" {
		back = b.S.T("button.back")
	}
	b.Button(cols[0], back, Secondary, Act(kiosk.ActBack), true)
	b.Button(cols[1], b.S.T("person.check_out"), Primary, Act(kiosk.ActConfirm), true)
}

// lines lays out lines of text, each centred, from the top of r, at size
// unless they do not all fit, then smaller (never below Small).
func lines(b *Builder, r Rect, ls []string, size float64) {
	for size > b.L.Small() && float64(len(ls))*lineHeight(size) > r.H {
		size = math.Max(b.L.Small(), size-2)
	}
	y := r.Y
	for _, line := range ls {
		y += b.paragraph(Rect{r.X, y, r.W, r.Y + r.H - y}, line, TextStyle{Size: size, Color: colInk, Align: AlignCenter}, -1, false)
	}
}

// checkOutConfirm is the preview of a check-out. A shift too short to
// count says how much longer it needs, and its way back is 继续服务.
func checkOutConfirm(s Strings, v kiosk.View) Scene {
	co := v.CheckOut
	var ls []string
	if co.Activity != "" {
		ls = append(ls, co.Activity)
	}
	ls = append(ls, s.F("checkout.so_far", Duration(s, minutes(co.Duration))))
	ls = append(ls, creditLines(s, co)...)
	sc := &CheckOutScene{Question: s.T("checkout.confirm")}
	if co.Credited() {
		ls = append(ls, s.F("checkout.points_preview", co.Points))
	}
	if co.Note == "checkout.too_short" {
		if more := int(co.Min) - minutes(co.Duration); more > 0 {
			ls = append(ls, s.F("checkout.more_to_count", more))
		}
		sc.Back = s.T("checkout.keep_serving")
	}
	sc.Lines = ls
	return sc
}

// checkOutDone is a check-out's result: a success when it credited minutes;
// otherwise checked out all the same, in the attention colour, saying why
// nothing was credited. It says from what and when (助老服务 · 11:21 签退),
// with the check-out's time in loc.
func checkOutDone(s Strings, v kiosk.View, loc *time.Location) Scene {
	co := v.CheckOut
	r := &ResultScene{Tone: Success, Title: s.T("checkout.done"), Button: s.T("button.back")}
	switch {
	case co.Note == "checkout.flagged":
		r.Tone, r.Title = Attention, s.T("checkout.done_flagged")
	case !co.Credited():
		r.Tone, r.Title = Attention, s.T("checkout.done_none")
	}
	if !co.At.IsZero() {
		r.Lines = append(r.Lines, s.F("checkout.what_when", co.Activity, co.At.In(loc).Format("15:04")))
	} else if co.Activity != "" {
		r.Lines = append(r.Lines, co.Activity)
	}
	r.Lines = append(r.Lines, s.F("checkout.duration", Duration(s, minutes(co.Duration))))
	r.Lines = append(r.Lines, creditLines(s, co)...)
	if co.Credited() {
		r.Lines = append(r.Lines, s.F("checkout.earned_balance", co.Points, co.Balance.Points))
	} else {
		r.Lines = append(r.Lines, s.F("checkout.balance", co.Balance.Points))
	}
	return r
}

// creditLines say what a shift is credited and why: the minutes, with the
// rounding said plainly (按每15分钟计，记 1小时30分钟), or why nothing.
func creditLines(s Strings, co kiosk.CheckOutView) []string {
	switch co.Note {
	case "checkout.flagged":
		return []string{s.T("checkout.flagged")}
	case "checkout.too_short":
		return []string{s.F("checkout.too_short", co.Min)}
	}
	var out []string
	if co.Round > 1 {
		out = append(out, s.F("checkout.rounded", co.Round, Duration(s, int(co.Minutes))))
	} else {
		out = append(out, s.F("checkout.credit", Duration(s, int(co.Minutes))))
	}
	if co.Note == "checkout.capped" {
		out = append(out, s.F("checkout.capped", Duration(s, int(co.DailyCap))))
	}
	return out
}

// minutes is a duration in whole minutes, as the rules count it.
func minutes(d time.Duration) int { return int(max(0, d) / time.Minute) }

// pickupDetail says what was redeemed and what is left, under the code.
func pickupDetail(s Strings, r kiosk.RedeemView) string {
	return s.F("redeem.done_detail", r.Item, r.Balance.Points)
}

// build lays sc out into b with secs left on the countdown (0: none). A
// header or a banner shows the countdown in its place (Builder.Header,
// Builder.Banner), a scene without either in a band it starts with
// (Builder.CountdownBand); for a scene that has none of them, countdown
// covers the top of the screen.
func build(sc Scene, b *Builder, secs int) {
	b.Countdown = secs
	sc.Build(b)
	if secs > 0 && !b.countdownShown {
		countdown(b, secs)
	}
}

// countdown draws, over the top of the screen, how many seconds are left
// before the session returns to idle (10 秒后返回首页), for a scene that did
// not show it itself. The text and marks it covers are dropped from the
// frame: they are not seen while it shows.
func countdown(b *Builder, secs int) {
	band, _ := b.L.Screen().Top(math.Round(b.L.U(84)))
	kept := b.frame.Items[:0]
	for _, it := range b.frame.Items {
		if (it.Kind == TextItem || it.Kind == MarkItem) && it.Rect.Overlaps(band) {
			continue
		}
		kept = append(kept, it)
	}
	b.frame.Items = kept
	b.Fill(band, colCountdown, 0)
	b.Line(band.Inset(b.L.U(8)), b.S.F("countdown.return", secs), TextStyle{Size: b.L.Title(), Bold: true, Color: colWarnInk, Align: AlignCenter})
	b.countdownShown = true
}

// countdownSecs is the number the countdown shows at now, or 0 when it
// does not show: in the last kiosk.CountdownFrom before returnAt.
func countdownSecs(returnAt, now time.Time) int {
	if returnAt.IsZero() {
		return 0
	}
	left := returnAt.Sub(now)
	if left <= 0 || left > kiosk.CountdownFrom {
		return 0
	}
	return int((left + time.Second - 1) / time.Second)
}

// countdownNext is when the countdown next changes at now: when it starts,
// or when its number goes down; zero when it never will.
func countdownNext(returnAt, now time.Time) time.Time {
	if returnAt.IsZero() || !now.Before(returnAt) {
		return time.Time{}
	}
	if secs := countdownSecs(returnAt, now); secs > 0 {
		return returnAt.Add(-time.Duration(secs-1) * time.Second)
	}
	return returnAt.Add(-kiosk.CountdownFrom)
}

// earlier is the earlier of two times, a zero time counting as never.
func earlier(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}
