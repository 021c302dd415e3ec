package kiosk

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/drivers/feedback"
	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

// quarterHours is an activity crediting in quarter hours, at least 15
// minutes, 10 points an hour.
func quarterHours(r *rig) ledger.Activity {
	r.t.Helper()
	return r.env.AddActivity(r.t, "助老服务", record.Schedule{}, record.Rules{AnyTime: true, RoundMinutes: 15, MinMinutes: 15,
		PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 10}})
}

func (r *rig) openShifts() int {
	r.t.Helper()
	open, err := r.env.OpenShifts(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	return len(open)
}

// TestCheckOutShowsWhatItWillCreditFirst: 签退 shows the duration, the
// minutes the rules will credit and the points, and writes nothing; 返回
// keeps the shift open; 签退 again checks out, crediting what was shown.
func TestCheckOutShowsWhatItWillCreditFirst(t *testing.T) {
	r := newRig(t)
	quarterHours(r)
	p, card := r.env.AddPerson(t, "王堃", record.RedVest)
	r.tap(card)
	r.press(ActCheckIn, ActConfirm)
	r.env.Clock.Advance(104 * time.Minute)
	r.tap(card)
	r.press(ActCheckOut)
	v := r.want(SceneCheckOutConfirm)
	want := CheckOutView{Activity: "助老服务", Duration: 104 * time.Minute, Minutes: 90, Points: 15, Round: 15, Min: 15, At: r.env.Clock.Now()}
	if !v.CheckOut.At.Equal(want.At) {
		t.Fatalf("preview at %v, want now (%v)", v.CheckOut.At, want.At)
	}
	v.CheckOut.At = want.At
	if v.CheckOut != want {
		t.Fatalf("preview = %+v, want %+v", v.CheckOut, want)
	}
	if n := r.openShifts(); n != 1 {
		t.Fatalf("the preview closed the shift: %d open", n)
	}
	r.press(ActBack)
	if v := r.want(ScenePerson); v.Person.OpenShift == nil || r.openShifts() != 1 {
		t.Fatalf("返回 from the preview: open shift %+v, %d open", v.Person.OpenShift, r.openShifts())
	}
	r.env.Clock.Advance(30 * time.Second)
	r.press(ActCheckOut, ActConfirm)
	v = r.want(SceneCheckOutDone)
	if !v.CheckOut.At.Equal(r.env.Clock.Now()) {
		t.Errorf("checked out at %v, want the check-out's time %v", v.CheckOut.At, r.env.Clock.Now())
	}
	if co := v.CheckOut; co.Minutes != 90 || co.Points != 15 || co.Duration != 104*time.Minute+30*time.Second || co.Balance.Points != 15 || co.Note != "" {
		t.Fatalf("check-out = %+v", co)
	}
	if v.Tone != ToneSuccess || v.Prompt != PromptCheckedOut || lastPlayed(r.fb) != feedback.Success {
		t.Fatalf("tone %v prompt %q played %v: want a success", v.Tone, v.Prompt, lastPlayed(r.fb))
	}
	if b := r.balance(p.ID); b.Minutes != 90 {
		t.Fatalf("balance %+v", b)
	}
}

// TestTooShortACheckOutIsNoSuccess: an 11-minute shift under a 15-minute
// minimum is said to credit nothing before, and after is not shown as a
// success: no green, no chime.
func TestTooShortACheckOutIsNoSuccess(t *testing.T) {
	r := newRig(t)
	quarterHours(r)
	_, card := r.env.AddPerson(t, "李喆", record.RedVest)
	r.tap(card)
	r.press(ActCheckIn, ActConfirm)
	r.env.Clock.Advance(11 * time.Minute)
	r.tap(card)
	played := len(r.fb.Played())
	r.press(ActCheckOut)
	v := r.want(SceneCheckOutConfirm)
	if v.CheckOut.Note != "checkout.too_short" || v.CheckOut.Minutes != 0 || v.CheckOut.Min != 15 || v.CheckOut.Credited() {
		t.Fatalf("preview = %+v", v.CheckOut)
	}
	r.press(ActConfirm)
	v = r.want(SceneCheckOutDone)
	if v.CheckOut.Note != "checkout.too_short" || v.CheckOut.Credited() || v.CheckOut.Duration != 11*time.Minute {
		t.Fatalf("result = %+v", v.CheckOut)
	}
	if v.Tone == ToneSuccess || v.Prompt != PromptNone || slices.Contains(r.fb.Played()[played:], feedback.Success) {
		t.Fatalf("a check-out that credited nothing: tone %v prompt %q played %v", v.Tone, v.Prompt, r.fb.Played()[played:])
	}
	if r.openShifts() != 0 {
		t.Fatal("the shift is still open")
	}
}

// TestRedeemRefusalsSayHowAndWhen: the tile and the refusal say how many
// points are missing (积分不够，还差 N 分) and name the limit's own period.
func TestRedeemRefusalsSayHowAndWhen(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	p, card := r.env.AddPerson(t, "周玥", record.Resident)
	r.env.Credit(t, p.ID, 100)
	oil := r.env.AddItem(t, "食用油", 150, 5)
	cut, err := r.env.PutItem(ctx, ledger.PutItem{ID: record.NewEntryID(), Item: ledger.Item{Name: "理发服务", Price: 20, Limit: 1, Period: ledger.Weekly, Active: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.env.Restock(ctx, ledger.Restock{ID: record.NewEntryID(), Item: cut.ID, Quantity: 5, Operator: r.env.Staff}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.env.Redeem(ctx, ledger.Redeem{ID: record.NewEntryID(), Card: card, Item: cut.ID}); err != nil {
		t.Fatal(err)
	}
	r.tap(card)
	r.press(ActRedeem)
	v := r.want(SceneRedeemGrid)
	got := map[string]string{}
	for _, c := range v.Choices {
		got[c.Label] = fmt.Sprint(T(c.Refusal, c.RefusalArgs...))
	}
	want := map[string]string{oil.Name: fmt.Sprint(T("refusal.insufficient_points", int64(70))), cut.Name: fmt.Sprint(T("refusal.limit_week"))}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s refused with %s, want %s", name, got[name], w)
		}
	}

	// At 确认, with the balance changed meanwhile: the ledger's numbers.
	rice := r.env.AddItem(t, "大米", 60, 5)
	r.press(ActBack, ActRedeem)
	v = r.want(SceneRedeemGrid)
	r.do(Action{Kind: ActChoose, Index: slices.IndexFunc(v.Choices, func(c Choice) bool { return c.Label == rice.Name })})
	r.want(SceneRedeemConfirm)
	if _, err := r.env.Adjust(ctx, ledger.Adjust{ID: record.NewEntryID(), Person: p.ID, Points: -50, Reason: "更正", Operator: r.env.Staff}); err != nil {
		t.Fatal(err)
	}
	r.press(ActConfirm)
	v = r.wantTitle(SceneNotice, "refusal.insufficient_points")
	if fmt.Sprint(v.Title.Args) != "[30]" || v.Prompt != PromptRefused {
		t.Fatalf("refusal %v, prompt %q: want 30 points missing", v.Title, v.Prompt)
	}
}

func TestPeriodLimitKeyNamesEachPeriod(t *testing.T) {
	for p, want := range map[ledger.Period]string{ledger.Daily: "refusal.limit_day", ledger.Weekly: "refusal.limit_week",
		ledger.Monthly: "refusal.limit_month", ledger.Yearly: "refusal.limit_year"} {
		key, _ := refusal(&ledger.PeriodLimitError{Period: p, Limit: 1, Taken: 1})
		if key != want {
			t.Errorf("%v: %s, want %s", p, key, want)
		}
	}
}

// TestHistoryShowsThePickupCode: a redemption's line in 记录 carries its
// pickup code.
func TestHistoryShowsThePickupCode(t *testing.T) {
	r := newRig(t)
	p, card := r.env.AddPerson(t, "陈赟", record.Resident)
	r.env.Credit(t, p.ID, 100)
	r.env.AddItem(t, "大米", 40, 5)
	r.tap(card)
	r.press(ActRedeem)
	r.do(Action{Kind: ActChoose, Index: 0})
	r.press(ActConfirm)
	v := r.want(SceneRedeemDone)
	code := v.Redeem.Code
	if code == "" || v.Redeem.Item != "大米" || v.Redeem.Balance.Points != 60 || v.Prompt != PromptRedeemed {
		t.Fatalf("redeemed %+v prompt %q", v.Redeem, v.Prompt)
	}
	r.press(ActBack, ActHistory)
	v = r.want(SceneHistory)
	if len(v.History) == 0 || v.History[0].Kind != record.KindRedeem || v.History[0].Code != code {
		t.Fatalf("history %+v, want the redemption with code %s first", v.History, code)
	}
	for _, l := range v.History[1:] {
		if l.Code != "" {
			t.Errorf("%v line with a pickup code %s", l.Kind, l.Code)
		}
	}
}

// TestIdleListsActivitiesByStartTime: today's activities by their start,
// the ones without a schedule (随时可签到) last; one running now is listed.
func TestIdleListsActivitiesByStartTime(t *testing.T) {
	r := newRig(t)
	any := record.Rules{AnyTime: true}
	r.env.AddActivity(t, "便民服务", record.Schedule{}, any)
	r.env.AddActivity(t, "政策宣传", record.Schedule{Start: "14:00", End: "16:30"}, record.Rules{})
	r.env.AddActivity(t, "助老服务", record.Schedule{Start: "08:30", End: "11:30"}, record.Rules{}) // running: it is 09:00
	r.env.AddActivity(t, "环境整治", record.Schedule{Start: "08:00", End: "11:00"}, record.Rules{})
	r.env.AddActivity(t, "网格巡查", record.Schedule{Start: "19:00", End: "21:00"}, any)
	r.env.Clock.Advance(idleRefreshGap)
	r.term.Poll()
	r.term.Settle()
	v := r.want(SceneIdle)
	var names []string
	for _, a := range v.Idle.Activities {
		names = append(names, a.Name)
	}
	if want := []string{"环境整治", "助老服务", "政策宣传", "网格巡查", "便民服务"}; !slices.Equal(names, want) {
		t.Fatalf("idle activities %v, want %v", names, want)
	}
}

func (r *rig) left(uid record.CardUID) { r.t.Helper(); r.event(rfid.EventLeft, uid) }

// TestCardGoneShortensTheSession: after a quick tap the card is gone, and
// the name and balance stay CardGoneTimeout after the last touch, not the
// whole idle timeout; with the card still there, the idle timeout holds.
func TestCardGoneShortensTheSession(t *testing.T) {
	r := newRig(t)
	_, card := r.env.AddPerson(t, "王堃", record.RedVest)
	start := r.env.Clock.Now()
	if !r.term.ReturnAt().IsZero() {
		t.Fatalf("idle scene returns at %v", r.term.ReturnAt())
	}
	r.tap(card)
	if got := r.term.ReturnAt(); !got.Equal(start.Add(30 * time.Second)) {
		t.Fatalf("with the card there: returns at +%v, want +30s", got.Sub(start))
	}
	r.env.Clock.Advance(500 * time.Millisecond)
	r.left(card) // a quick tap: the screen stays, not for long
	r.want(ScenePerson)
	if got := r.term.ReturnAt(); !got.Equal(start.Add(20*time.Second + 500*time.Millisecond)) {
		t.Fatalf("card gone: returns at +%v, want 20 s after it left", got.Sub(start))
	}
	// A touch: the visitor is still there; 20 s from the touch.
	r.env.Clock.Advance(15 * time.Second)
	r.press(ActHistory)
	r.env.Clock.Advance(19 * time.Second)
	r.term.Poll()
	r.want(SceneHistory)
	r.env.Clock.Advance(time.Second)
	r.term.Poll()
	r.term.Settle()
	r.want(SceneIdle)

	// Results too: a pickup code stays 20 s after the card is gone.
	p, _ := r.env.AddPerson(t, "李喆", record.Resident)
	cards, err := r.env.Cards(context.Background(), p.ID)
	if err != nil || len(cards) != 1 {
		t.Fatal(cards, err)
	}
	r.env.Credit(t, p.ID, 100)
	r.env.AddItem(t, "牙膏", 10, 9)
	r.tap(cards[0].UID)
	r.press(ActRedeem)
	r.do(Action{Kind: ActChoose, Index: 0})
	r.press(ActConfirm)
	r.left(cards[0].UID)
	r.want(SceneRedeemDone)
	r.env.Clock.Advance(DefaultCardGoneTimeout - time.Second)
	r.term.Poll()
	r.want(SceneRedeemDone)
	r.env.Clock.Advance(time.Second)
	r.term.Poll()
	r.term.Settle()
	r.want(SceneIdle)

	// A staff session keeps its idle timeout when the staff card leaves.
	r.tap(r.env.Staff)
	r.left(r.env.Staff)
	r.env.Clock.Advance(DefaultIdleTimeout - time.Second)
	r.term.Poll()
	r.want(ScenePIN)
}

// TestPromptsAreSpokenWithTheirCues: a check-in's success says 签到成功, an
// unreadable card 请重试.
func TestPromptsAreSpokenWithTheirCues(t *testing.T) {
	r := newRig(t)
	r.env.AnyTime(t)
	_, card := r.env.AddPerson(t, "周玥", record.RedVest)
	r.tap(card)
	if v := r.want(ScenePerson); v.Prompt != PromptNone {
		t.Errorf("person scene prompt %q", v.Prompt)
	}
	r.press(ActCheckIn)
	cue := r.term.View().Cue
	r.press(ActConfirm)
	if v := r.want(SceneCheckInDone); v.Prompt != PromptCheckedIn || v.Cue == cue {
		t.Errorf("check-in: prompt %q, cue %d → %d", v.Prompt, cue, v.Cue)
	}
	r.term.Reader(rfid.Event{Kind: rfid.EventTap, Tap: rfid.Tap{Card: rfid.Card{UID: rfid.UID{1, 2, 3}}, At: r.env.Clock.Now()}})
	r.term.Settle()
	if v := r.wantTitle(SceneNotice, "card.unreadable"); v.Prompt != PromptTryAgain {
		t.Errorf("unreadable card: prompt %q", v.Prompt)
	}
}
