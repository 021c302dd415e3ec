package ui

import (
	"slices"
	"time"

	"github.com/hongmajia/hongmajia/kiosk"
)

// ScreenFor is the scene that draws a terminal's view: a pure function of
// the view, so every scene of the core has a picture and a test. Its buttons
// carry the core's actions (a staff menu entry its StaffAction, a choice its
// index, a pad key its digit). loc is where the view's times are shown. prev
// is the scene on screen, whose catalog page is kept: paging is the screen's
// own state, lost by a rebuild.
func ScreenFor(s Strings, v kiosk.View, loc *time.Location, prev Scene) Scene {
	if loc == nil {
		loc = time.Local
	}
	v = detach(v)
	lines := phrases(s, v.Lines)
	back := s.T("button.back")
	switch v.Scene {
	case kiosk.SceneIdle:
		return &IdleScene{View: v}
	case kiosk.ScenePerson:
		return &PersonScene{View: v}
	case kiosk.SceneCheckInChoose:
		c := &ChoiceScene{Title: s.T("checkin.choose"), Empty: s.T("checkin.none")}
		for i, ch := range v.Choices {
			c.Options = append(c.Options, Option{Label: ch.Label, Act: Choose(i)})
		}
		return keepPage(c, prev)
	case kiosk.SceneCheckInConfirm:
		return &ConfirmScene{Question: s.F("checkin.confirm", v.CheckIn.Activity), Confirm: s.T("person.check_in")}
	case kiosk.SceneCheckInDone:
		return &ResultScene{Tone: Success, Title: s.T("checkin.done"), Button: back,
			Lines: []string{v.CheckIn.Activity, s.F("checkin.time", v.CheckIn.At.In(loc).Format("15:04"))}}
	case kiosk.SceneCheckOutDone:
		return checkOutDone(s, v, loc)
	case kiosk.SceneCheckOutConfirm:
		return checkOutConfirm(s, v)
	case kiosk.SceneRedeemGrid:
		c := &CatalogScene{View: v}
		if p, ok := prev.(*CatalogScene); ok {
			c.Page = p.Page
		}
		return c
	case kiosk.SceneRedeemConfirm:
		return &ConfirmScene{Question: s.F("redeem.confirm", v.Redeem.Item), Detail: s.F("redeem.confirm_price", v.Redeem.Price, v.Redeem.After),
			Confirm: s.T("person.redeem")}
	case kiosk.SceneRedeemDone:
		return &PickupScene{Redeem: v.Redeem}
	case kiosk.SceneHistory:
		h := &HistoryScene{View: v, Loc: loc}
		if p, ok := prev.(*HistoryScene); ok {
			h.Page = p.Page
		}
		return h
	case kiosk.SceneNotice:
		return &ResultScene{Tone: tone(v.Tone), Title: phrase(s, v.Title), Lines: lines, Button: back}
	case kiosk.ScenePIN, kiosk.SceneStaffFind, kiosk.SceneStaffAmount:
		return &PadScene{View: v}
	case kiosk.SceneStaffMenu:
		// Staff are trained: the menu's buttons may be narrower than a
		// visitor's, so all of it fits on one screen.
		c := &ChoiceScene{Title: s.F("staff.menu_of", v.Staff.Name), MinWidthMM: 26, Back: s.T("button.exit"), NoteAlert: v.Staff.StandingAlert}
		if v.Staff.Standing.Key != "" {
			c.Note = phrase(s, v.Staff.Standing)
		}
		for _, m := range v.Staff.Menu {
			c.Options = append(c.Options, Option{Label: s.T(m.Key), Act: Action{Action: kiosk.Action{Kind: kiosk.ActStaff, Staff: m.Action}}})
		}
		return c
	case kiosk.SceneStaffPeople, kiosk.SceneStaffRedemptions, kiosk.SceneStaffItems, kiosk.SceneStaffShifts, kiosk.SceneStaffReasons,
		kiosk.SceneStaffCards, kiosk.SceneStaffHandouts:
		// A name (or item, or card) over its detail; a choice that is only
		// words (a reason, 输入取货码) is one line.
		c := &ChoiceScene{Title: phrase(s, v.Title)}
		choices, first := v.Choices, 0
		if v.Scene == kiosk.SceneStaffHandouts && len(choices) > 0 {
			// The core's first choice is 输入取货码: an action, drawn as a
			// button beside 返回, not as one of the redemptions.
			c.Extra = &Option{Label: phrase(s, choices[0].Detail), Act: Choose(0)}
			c.Empty = s.T("staff.no_handouts")
			choices, first = choices[1:], 1
		}
		for i, ch := range choices {
			o := Option{Label: personName(s, ch.Label, ch.Provisional), Act: Choose(first + i)}
			if ch.Detail.Key != "" {
				o.Detail = phrase(s, ch.Detail)
			}
			if ch.Refusal != "" {
				// Shown, for staff looking for it, but not to be taken.
				o.Detail = s.T(ch.Refusal) + "　" + o.Detail
				o.Disabled = true
			}
			if o.Label == "" {
				o.Label, o.Detail = o.Detail, ""
			}
			c.Options = append(c.Options, o)
		}
		return keepPage(c, prev)
	case kiosk.SceneStaffConfirm:
		c := &StaffConfirmScene{Question: phrase(s, v.Title), Lines: lines}
		if v.Staff.Confirm != "" {
			c.Confirm = s.T(v.Staff.Confirm)
		}
		if v.Staff.Warning.Key != "" {
			c.Warning = phrase(s, v.Staff.Warning)
		}
		return c
	case kiosk.SceneStaffTapCard:
		// The headline is 请刷新卡, or what is wrong with the card tapped.
		r := &ResultScene{Tone: tone(v.Tone), Title: s.T("staff.tap_new_card"), Button: back}
		if v.Title.Key != "" {
			r.Title = phrase(s, v.Title)
		}
		if target := personName(s, v.Staff.Target, v.Staff.TargetProvisional); target != "" {
			r.Lines = append(r.Lines, target)
		}
		r.Lines = append(r.Lines, lines...)
		return r
	case kiosk.SceneStaffSummary:
		// Today's alone, and each sum apart: points for service are not
		// points adjusted by hand, a shift left open yesterday is not
		// today's.
		sum := v.Staff.Summary
		lines := []string{s.F("summary.shifts", sum.CheckIns, sum.CheckOuts, sum.OpenShifts)}
		if sum.OpenEarlier > 0 {
			lines = append(lines, s.F("summary.open_earlier", sum.OpenEarlier))
		}
		lines = append(lines, s.F("summary.credited", Duration(s, int(sum.MinutesCredit)), sum.PointsEarned))
		if sum.Adjustments > 0 {
			lines = append(lines, s.F("summary.adjusted", kiosk.Signed(sum.PointsAdjusted), sum.Adjustments))
		}
		lines = append(lines, s.F("summary.redeemed", sum.Redemptions, sum.PointsRedeemed), s.F("staff.unsynced", v.Staff.Unsynced))
		return &SummaryScene{Lines: lines}
	case kiosk.SceneStaffReader:
		r := &ReaderScene{Tone: tone(v.Tone), Readers: v.Staff.Readers}
		if v.Staff.LastUID != "" {
			r.Prompt = s.F("staff.reader_ok", v.Staff.LastUID)
		} else if len(lines) > 0 {
			r.Prompt = lines[0]
		}
		return r
	case kiosk.SceneStaffDone, kiosk.SceneStaffSync:
		return &ResultScene{Tone: tone(v.Tone), Title: phrase(s, v.Title), Lines: lines, Button: back}
	case kiosk.SceneTechnician:
		// What a visitor can do (go to the desk), then the code for the
		// technician. No button: the core takes no touch here, and 返回
		// would lead nowhere.
		return &ResultScene{Tone: Refusal, Title: s.T("tech.paused"),
			Lines: []string{s.T("card.desk_hint"), s.F("tech.code", v.Fault), s.T("tech.title")}}
	}
	return &ResultScene{Tone: Refusal, Title: s.T("result.refused"), Button: back}
}

// keepPage keeps the page of the list on screen when the new scene shows
// the same list (a new view while the ledger answers, a refusal's cue):
// paging is the screen's own state.
func keepPage(c *ChoiceScene, prev Scene) *ChoiceScene {
	if p, ok := prev.(*ChoiceScene); ok && p.Title == c.Title && len(p.Options) == len(c.Options) {
		c.Page = p.Page
	}
	return c
}

// detach copies the view's lists: a scene keeps its view while it is on
// screen, and the core reuses their arrays for its next view.
func detach(v kiosk.View) kiosk.View {
	v.Lines = slices.Clone(v.Lines)
	v.Choices = slices.Clone(v.Choices)
	v.History = slices.Clone(v.History)
	v.Idle.Activities = slices.Clone(v.Idle.Activities)
	v.Idle.Honour = slices.Clone(v.Idle.Honour)
	for i := range v.Choices {
		v.Choices[i].RefusalArgs = slices.Clone(v.Choices[i].RefusalArgs)
	}
	v.Staff.Menu = slices.Clone(v.Staff.Menu)
	v.Staff.Readers = slices.Clone(v.Staff.Readers)
	return v
}

// phrase is a core Text in words. An argument of type kiosk.Minutes is a
// duration in words (1小时30分钟), for the keys that take one as %s; one
// that is a kiosk.Text (a provisional person's 待补登记) is a phrase itself.
func phrase(s Strings, t kiosk.Text) string {
	args := make([]any, len(t.Args))
	for i, a := range t.Args {
		switch a := a.(type) {
		case kiosk.Minutes:
			args[i] = Duration(s, int(a))
		case kiosk.Text:
			args[i] = phrase(s, a)
		default:
			args[i] = a
		}
	}
	return s.F(t.Key, args...)
}

// personName is a name from a view, or the catalog's words for a
// provisional person, who has none yet, with the short number the view
// carries in its place (待补登记 772601).
func personName(s Strings, name string, provisional bool) string {
	switch {
	case provisional && name != "":
		return s.F(kiosk.WalkInKey, name)
	case provisional:
		return s.T(kiosk.ProvisionalKey)
	}
	return name
}

func phrases(s Strings, ts []kiosk.Text) []string {
	var out []string
	for _, t := range ts {
		out = append(out, phrase(s, t))
	}
	return out
}

// tone is the colour and sound of the core's tone: an attention is drawn
// and sounded as a refusal.
func tone(t kiosk.Tone) Tone {
	switch t {
	case kiosk.ToneSuccess:
		return Success
	case kiosk.ToneRefusal, kiosk.ToneAttention:
		return Refusal
	}
	return Neutral
}
