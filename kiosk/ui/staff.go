package ui

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/kiosk"
)

// StaffConfirmScene asks before a staff action the same person cannot
// undo: the question says what will happen (whom, how much, which item or
// card), a warning in red what to look out for, the lines the details;
// 返回 and the action's verb.
type StaffConfirmScene struct {
	Question string
	Warning  string
	Lines    []string
	Confirm  string // the confirming button: what it does; "" is 确认
}

func (s *StaffConfirmScene) NextChange(time.Time) time.Time { return time.Time{} }

func (s *StaffConfirmScene) Build(b *Builder) {
	l := b.L
	body := b.Header(b.S.T("staff.confirm_title")).Inset(l.Margin())
	buttons, text := body.Bottom(l.Target())
	text.H -= l.Gap()
	y := text.Y
	rest := func() Rect { return Rect{text.X, y, text.W, math.Max(0, text.Y+text.H-y)} }
	y += b.paragraph(rest(), s.Question, TextStyle{Size: l.Title(), Bold: true, Color: colInk}, -1, false) + l.Gap()
	if s.Warning != "" {
		y += b.paragraph(rest(), s.Warning, TextStyle{Size: l.Body(), Bold: true, Color: colRefusal}, -1, false)
	}
	for _, line := range s.Lines {
		y += b.paragraph(rest(), line, TextStyle{Size: l.Body(), Color: colInk}, -1, false)
	}
	cols := buttons.Columns(2, l.U(48))
	b.Button(cols[0], b.S.T("button.back"), Secondary, Act(kiosk.ActBack), true)
	confirm := s.Confirm
	if confirm == "" {
		confirm = b.S.T("button.confirm")
	}
	b.Button(cols[1], confirm, Primary, Act(kiosk.ActConfirm), true)
}

// SummaryScene is today's summary: a line for each sum, at the body size
// under the header (there are more of them than a result's banner leaves
// room for), and 返回.
type SummaryScene struct {
	Lines []string
}

func (s *SummaryScene) NextChange(now time.Time) time.Time { return nextMinute(now) }

func (s *SummaryScene) Build(b *Builder) {
	l := b.L
	body := b.Header(b.S.T("staff.summary")).Inset(l.Margin())
	btn, text := body.Bottom(l.Target())
	text.H -= l.Gap()
	// One size for every line: the title's when they all fit, else the body's.
	size := l.Title()
	if float64(len(s.Lines))*lineHeight(size) > text.H {
		size = l.Body()
	}
	y := text.Y
	for _, line := range s.Lines {
		y += b.paragraph(Rect{text.X, y, text.W, math.Max(0, text.Y+text.H-y)}, line, TextStyle{Size: size, Color: colInk}, -1, false)
	}
	bw := math.Max(l.MM(50), btn.W/3)
	btn.X += (btn.W - bw) / 2
	btn.W = bw
	b.Button(btn, b.S.T("button.back"), Secondary, Act(kiosk.ActBack), true)
}

// ReaderScene is the reader test: the card just read (or 请刷一张卡试试),
// then each reader in words: what it is, its state and taps, and the last
// error as a hint for the technician.
type ReaderScene struct {
	Tone    Tone
	Prompt  string // the card read, or what to do
	Readers []rfid.Status
}

func (s *ReaderScene) NextChange(now time.Time) time.Time { return nextMinute(now) }

func (s *ReaderScene) Build(b *Builder) {
	l := b.L
	body := b.Header(b.S.T("staff.reader_test")).Inset(l.Margin())
	btn, text := body.Bottom(l.Target())
	text.H -= l.Gap()
	color := colInk
	if s.Tone == Success {
		color = colSuccess
	}
	prompt, list := text.Top(lineHeight(l.Title()) + l.Gap())
	b.Line(prompt, s.Prompt, TextStyle{Size: l.Title(), Bold: true, Color: color, Align: AlignCenter})
	y := list.Y
	rest := func() Rect { return Rect{list.X, y, list.W, math.Max(0, list.Y+list.H-y)} }
	if len(s.Readers) == 0 {
		b.Paragraph(rest(), b.S.T("readertest.none"), TextStyle{Size: l.Body(), Color: colMuted})
	}
	for _, r := range s.Readers {
		device, status, hint := readerWords(b.S, r)
		y += b.paragraph(rest(), device, TextStyle{Size: l.Body(), Bold: true, Color: colInk}, -1, false)
		y += b.paragraph(rest(), status, TextStyle{Size: l.Body(), Color: colInk}, -1, false)
		if hint != "" {
			y += b.paragraph(rest(), hint, TextStyle{Size: l.Small(), Color: colMuted}, -1, false)
		}
		y += l.U(8)
	}
	bw := math.Max(l.MM(50), btn.W/3)
	btn.X += (btn.W - bw) / 2
	btn.W = bw
	b.Button(btn, b.S.T("button.back"), Secondary, Act(kiosk.ActBack), true)
}

// readerWords says a reader's state in the catalog's words: what and where
// it is, its state and taps, and its last error as the technician's hint
// ("" when none).
func readerWords(s Strings, r rfid.Status) (device, status, hint string) {
	kind := "readertest.kind_unknown"
	switch r.Kind {
	case rfid.KindMFRC522:
		kind = "readertest.kind_spi"
	case rfid.KindWedge:
		kind = "readertest.kind_wedge"
	case rfid.KindSim:
		kind = "readertest.kind_sim"
	}
	state := "readertest.state_fatal"
	switch r.State {
	case rfid.StateStarting:
		state = "readertest.state_starting"
	case rfid.StateOK:
		state = "readertest.state_ok"
	case rfid.StateAbsent:
		state = "readertest.state_absent"
	case rfid.StateWiring:
		state = "readertest.state_wiring"
	case rfid.StateStopped:
		state = "readertest.state_stopped"
	}
	device = s.T(kind)
	if r.Device != "" && r.Kind != rfid.KindSim {
		device = s.F("readertest.device", s.T(kind), r.Device)
	}
	status = s.F("readertest.status", s.T(state), r.Taps)
	// The reader's own error is English and for the log; the screen says
	// what to do, and `kioskctl reader test` shows the details.
	switch {
	case r.Err == nil:
	case r.State == rfid.StateAbsent && r.Kind == rfid.KindMFRC522:
		hint = s.T("readertest.hint_spi")
	case r.State == rfid.StateAbsent:
		hint = s.T("readertest.hint_absent")
	case r.State == rfid.StateWiring:
		hint = s.T("readertest.hint_wiring")
	default:
		hint = s.T("readertest.hint_other")
	}
	return device, status, hint
}

// clauseBreak breaks a one-line heading too wide for w after its first
// clause (绑定新卡：/ 手机后四位或会员号), where it reads best, rather than
// inside a word; a heading that fits, or whose first clause does not, is
// left to Wrap.
func clauseBreak(heading string, w float64, measure Measure) string {
	if strings.Contains(heading, "\n") || measure(heading) <= w {
		return heading
	}
	i := strings.IndexAny(heading, "：，")
	if i < 0 {
		return heading
	}
	_, n := utf8.DecodeRuneInString(heading[i:])
	head, tail := heading[:i+n], heading[i+n:]
	if tail == "" || measure(head) > w {
		return heading
	}
	return head + "\n" + tail
}
