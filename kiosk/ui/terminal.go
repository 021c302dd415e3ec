package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/kiosk"
	"github.com/hongmajia/hongmajia/ledger"
)

// ScreenFor is the scene that draws a terminal's view: a pure function of
// the view, so every scene of the core has a picture and a test. prev is the
// scene on screen, kept when only its own state (a catalog's page) would be
// lost by a rebuild.
func ScreenFor(s Strings, v kiosk.View, loc *time.Location, prev Scene) Scene {
	if loc == nil {
		loc = time.Local
	}
	lines := texts(s, v.Lines)
	switch v.Scene {
	case kiosk.SceneIdle:
		iv := IdleView{Center: v.Center, DemoCards: v.Demo}
		for _, a := range v.Idle.Activities {
			iv.Activities = append(iv.Activities, activityView(a, loc))
		}
		for _, h := range v.Idle.Honour {
			iv.HonourRoll = append(iv.HonourRoll, HonourView{Name: h.Name, Minutes: int(h.Minutes)})
		}
		return &IdleScene{View: iv}
	case kiosk.ScenePerson:
		pv := PersonView{Name: personName(s, v.Person.Name, v.Person.Provisional), Points: int(v.Person.Points), Minutes: int(v.Person.Minutes)}
		if o := v.Person.OpenShift; o != nil {
			pv.Open = &OpenShiftView{Activity: o.Activity, Since: o.Since.In(loc)}
		}
		return &PersonScene{View: pv}
	case kiosk.SceneCheckInChoose:
		c := &ChoiceScene{Title: s.T("checkin.choose"), Empty: s.T("checkin.none")}
		for _, ch := range v.Choices {
			c.Options = append(c.Options, ch.Label)
		}
		return c
	case kiosk.SceneCheckInConfirm:
		return NewCheckInConfirm(s, v.CheckIn.Activity)
	case kiosk.SceneCheckInDone:
		return NewCheckedIn(s, v.CheckIn.Activity, v.CheckIn.At.In(loc))
	case kiosk.SceneCheckOutDone:
		co := v.CheckOut
		r := NewCheckedOut(s, int(co.Minutes), int(co.Points), int(co.Balance.Points))
		if co.Note != "" {
			r.Lines = append(r.Lines, s.T(co.Note))
		}
		return r
	case kiosk.SceneRedeemGrid:
		c := &CatalogScene{Balance: int(v.Person.Points)}
		if p, ok := prev.(*CatalogScene); ok {
			c.Page = p.Page
		}
		for _, ch := range v.Choices {
			t := TileView{Name: ch.Label, Price: int(ch.Price), Stock: int(ch.Stock)}
			if ch.Refusal != "" {
				t.Reason = s.T(ch.Refusal)
			}
			c.Tiles = append(c.Tiles, t)
		}
		return c
	case kiosk.SceneRedeemConfirm:
		return NewRedeemConfirm(s, v.Redeem.Item, int(v.Redeem.Price), int(v.Redeem.Price+v.Redeem.After))
	case kiosk.SceneRedeemDone:
		return &PickupScene{Code: string(v.Redeem.Code)}
	case kiosk.SceneHistory:
		h := &HistoryScene{}
		for _, l := range v.History {
			h.Entries = append(h.Entries, historyEntry(l, loc))
		}
		return h
	case kiosk.SceneNotice:
		return &ResultScene{Tone: tone(v.Tone), Title: s.F(v.Title.Key, v.Title.Args...), Lines: lines, Button: s.T("button.back")}
	case kiosk.ScenePIN:
		p := &PinScene{Max: 8}
		for _, l := range v.Lines {
			if l.Key == "staff.pin_wrong" {
				p.Wrong = true
			}
		}
		return p
	case kiosk.SceneStaffMenu:
		// Staff are trained: the menu's buttons may be narrower than a
		// visitor's, so all of it fits on one screen.
		c := &ChoiceScene{Title: s.F("staff.menu_of", v.Staff.Name), MinWidthMM: 26}
		for _, m := range v.Staff.Menu {
			c.Options = append(c.Options, s.T(m.Key))
		}
		return c
	case kiosk.SceneStaffFind, kiosk.SceneStaffAmount:
		return &PinScene{Max: 10, Title: s.F(v.Title.Key, v.Title.Args...), Plain: true, Message: strings.Join(lines, "\n"),
			Digits: v.Pad, Negative: v.Negative, Signed: v.Scene == kiosk.SceneStaffAmount && v.Title.Key == "staff.adjust_amount"}
	case kiosk.SceneStaffPeople, kiosk.SceneStaffRedemptions, kiosk.SceneStaffItems, kiosk.SceneStaffShifts, kiosk.SceneStaffReasons:
		c := &ChoiceScene{Title: s.F(v.Title.Key, v.Title.Args...)}
		for _, ch := range v.Choices {
			opt := personName(s, ch.Label, ch.Provisional)
			if ch.Detail.Key != "" {
				if opt != "" {
					opt += "  "
				}
				opt += s.F(ch.Detail.Key, ch.Detail.Args...)
			}
			c.Options = append(c.Options, opt)
		}
		return c
	case kiosk.SceneStaffTapCard:
		r := &ResultScene{Tone: tone(v.Tone), Title: s.T("staff.tap_new_card"), Button: s.T("button.cancel")}
		if target := personName(s, v.Staff.Target, v.Staff.TargetProvisional); target != "" {
			r.Lines = append(r.Lines, target)
		}
		r.Lines = append(r.Lines, lines...)
		return r
	case kiosk.SceneStaffSummary:
		sum := v.Staff.Summary
		return &ResultScene{Tone: Neutral, Title: s.T("staff.summary"), Button: s.T("button.back"), Lines: []string{
			s.F("summary.shifts", sum.CheckIns, sum.CheckOuts, sum.OpenShifts),
			s.F("summary.credited", Duration(s, int(sum.MinutesCredit)), sum.PointsEarned),
			s.F("summary.redeemed", sum.Redemptions, sum.PointsRedeemed),
			s.F("staff.unsynced", v.Staff.Unsynced),
		}}
	case kiosk.SceneStaffReader:
		r := &ResultScene{Tone: tone(v.Tone), Title: s.T("staff.reader_test"), Button: s.T("button.back")}
		if v.Staff.LastUID != "" {
			r.Lines = append(r.Lines, s.F("staff.reader_ok", v.Staff.LastUID))
		} else {
			r.Lines = append(r.Lines, lines...)
		}
		for _, l := range strings.Split(v.Staff.Reader, "\n") {
			if l != "" {
				r.Lines = append(r.Lines, l)
			}
		}
		return r
	case kiosk.SceneStaffDone:
		return &ResultScene{Tone: tone(v.Tone), Title: s.F(v.Title.Key, v.Title.Args...), Lines: lines, Button: s.T("button.back")}
	case kiosk.SceneTechnician:
		return NewTechnician(s, v.Fault)
	}
	return &ResultScene{Tone: Refusal, Title: s.T("result.refused"), Lines: []string{v.Scene.String()}, Button: s.T("button.back")}
}

// ActionsFor turns a button's action into the terminal's, for the view it was
// drawn from. A PIN pad's confirmation becomes its digits and 确认.
func ActionsFor(a Action, v kiosk.View) []kiosk.Action {
	one := func(k kiosk.ActionKind) []kiosk.Action { return []kiosk.Action{{Kind: k}} }
	switch a {
	case ActBack, ActCancel:
		return one(kiosk.ActBack)
	case ActConfirm:
		return one(kiosk.ActConfirm)
	case ActCheckIn:
		return one(kiosk.ActCheckIn)
	case ActCheckOut:
		return one(kiosk.ActCheckOut)
	case ActRedeem:
		return one(kiosk.ActRedeem)
	case ActHistory:
		return one(kiosk.ActHistory)
	}
	if n, ok := indexed(a, "choice:"); ok {
		if v.Scene == kiosk.SceneStaffMenu {
			if n < len(v.Staff.Menu) {
				return []kiosk.Action{{Kind: kiosk.ActStaff, Staff: v.Staff.Menu[n].Action}}
			}
			return nil
		}
		return []kiosk.Action{{Kind: kiosk.ActChoose, Index: n}}
	}
	if n, ok := indexed(a, "item:"); ok {
		return []kiosk.Action{{Kind: kiosk.ActChoose, Index: n}}
	}
	if digits, ok := strings.CutPrefix(string(a), "pin:"); ok {
		// The pad on screen holds the whole number: it replaces the core's.
		out := []kiosk.Action{{Kind: kiosk.ActClear}}
		if d, neg := strings.CutPrefix(digits, "-"); neg {
			digits = d
			out = append(out, kiosk.Action{Kind: kiosk.ActSign})
		}
		for _, c := range digits {
			if c >= '0' && c <= '9' {
				out = append(out, kiosk.Action{Kind: kiosk.ActDigit, Digit: int(c - '0')})
			}
		}
		return append(out, kiosk.Action{Kind: kiosk.ActConfirm})
	}
	return nil
}

func indexed(a Action, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(string(a), prefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil && n >= 0
}

// personName is a name from a view, or the catalog's words for a
// provisional person, who has none yet.
func personName(s Strings, name string, provisional bool) string {
	if provisional {
		return s.T(kiosk.ProvisionalKey)
	}
	return name
}

func texts(s Strings, ts []kiosk.Text) []string {
	var out []string
	for _, t := range ts {
		out = append(out, s.F(t.Key, t.Args...))
	}
	return out
}

func tone(t kiosk.Tone) Tone {
	switch t {
	case kiosk.ToneSuccess:
		return Success
	case kiosk.ToneRefusal, kiosk.ToneAttention:
		return Refusal
	}
	return Neutral
}

// activityView is an activity with today's times, for the idle scene.
func activityView(a ledger.Activity, loc *time.Location) ActivityView {
	return ActivityView{Name: a.Name, Start: clockTime(a.Schedule.Start, loc), End: clockTime(a.Schedule.End, loc)}
}

// clockTime reads "HH:MM" as a time of day; an activity without a schedule
// runs all day.
func clockTime(hm string, loc *time.Location) time.Time {
	var h, m int
	if _, err := fmt.Sscanf(hm, "%d:%d", &h, &m); err != nil {
		return time.Date(2000, 1, 1, 0, 0, 0, 0, loc)
	}
	return time.Date(2000, 1, 1, h, m, 0, 0, loc)
}

func historyEntry(l kiosk.HistoryLine, loc *time.Location) HistoryEntry {
	e := HistoryEntry{When: l.At.In(loc), What: l.What, Minutes: int(l.Minutes), Points: int(l.Points)}
	switch l.Kind {
	case ledger.KindCheckIn:
		e.Kind = HistCheckIn
	case ledger.KindCheckOut:
		e.Kind = HistCheckOut
	case ledger.KindRedeem:
		e.Kind, e.Points = HistRedeem, -e.Points
	case ledger.KindAdjust:
		e.Kind = HistAdjust
	case ledger.KindReverse:
		e.Kind = HistReverse
	case ledger.KindReplaceCard:
		e.Kind = HistCardReplaced
	case ledger.KindExpire:
		e.Kind, e.Points = HistExpire, -e.Points
	}
	return e
}
