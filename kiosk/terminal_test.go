package kiosk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/drivers/feedback"
	"github.com/hongmajia/hongmajia/drivers/feedback/feedbacktest"
	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// lastPlayed is the last pattern a recorder played; Off when none.
func lastPlayed(r *feedbacktest.Recorder) feedback.Pattern {
	p := r.Played()
	if len(p) == 0 {
		return feedback.Off
	}
	return p[len(p)-1]
}

type rig struct {
	t    *testing.T
	env  *ledgertest.Env
	term *Terminal
	fb   *feedbacktest.Recorder
}

func newRig(t *testing.T) *rig {
	t.Helper()
	env := ledgertest.MustOpen(t)
	fb := &feedbacktest.Recorder{}
	term := New(env.Ledger, Options{Clock: env.Clock, Feedback: fb, Words: func(k string) string { return "words:" + k }})
	t.Cleanup(term.Close)
	term.Settle()
	return &rig{t: t, env: env, term: term, fb: fb}
}

func (r *rig) event(kind rfid.EventKind, uid record.CardUID) {
	r.t.Helper()
	r.term.Reader(rfid.Event{Kind: kind, Tap: rfid.Tap{Card: rfid.Card{UID: rfid.UID(uid.Bytes())}, Kind: rfid.KindSim, At: r.env.Clock.Now()}})
	r.term.Settle()
}

func (r *rig) tap(uid record.CardUID) { r.t.Helper(); r.event(rfid.EventTap, uid) }

func (r *rig) press(kinds ...ActionKind) {
	r.t.Helper()
	for _, k := range kinds {
		r.term.Press(Action{Kind: k})
		r.term.Settle()
	}
}

func (r *rig) do(a Action) { r.t.Helper(); r.term.Press(a); r.term.Settle() }

func (r *rig) typeDigits(s string) {
	r.t.Helper()
	for _, c := range s {
		r.do(Action{Kind: ActDigit, Digit: int(c - '0')})
	}
}

func (r *rig) want(s Scene) View {
	r.t.Helper()
	v := r.term.View()
	if v.Scene != s {
		r.t.Fatalf("scene = %v (title %v, lines %v), want %v", v.Scene, v.Title, v.Lines, s)
	}
	if v.Busy {
		r.t.Fatalf("view still busy after Settle")
	}
	return v
}

func (r *rig) wantTitle(s Scene, key string) View {
	r.t.Helper()
	v := r.want(s)
	if v.Title.Key != key {
		r.t.Fatalf("%v title = %q, want %q", s, v.Title.Key, key)
	}
	return v
}

func (r *rig) balance(p record.PersonID) ledger.Balance {
	r.t.Helper()
	b, err := r.env.Balance(context.Background(), p)
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

func (r *rig) stock(item record.ItemID) int64 {
	r.t.Helper()
	offers, err := r.env.Catalog(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	for _, o := range offers {
		if o.Item.ID == item {
			return o.Stock
		}
	}
	r.t.Fatalf("item %d not in catalog", item)
	return 0
}

func TestIdleShowsCenterActivitiesAndHonourRoll(t *testing.T) {
	r := newRig(t)
	act := r.env.AnyTime(t)
	p, card := r.env.AddPerson(t, "王堃", record.RedVest)
	r.tap(card)
	r.press(ActCheckIn, ActConfirm)
	r.env.Clock.Advance(90 * time.Minute)
	r.tap(card)
	r.press(ActCheckOut, ActConfirm, ActHome)
	v := r.want(SceneIdle)
	if v.Center != "测试党群服务中心" {
		t.Errorf("center = %q", v.Center)
	}
	if len(v.Idle.Activities) != 1 || v.Idle.Activities[0].ID != act.ID {
		t.Errorf("activities = %+v, want the one activity", v.Idle.Activities)
	}
	if len(v.Idle.Honour) != 1 || v.Idle.Honour[0].Person != p.ID || v.Idle.Honour[0].Minutes != 90 {
		t.Errorf("honour roll = %+v, want 王堃 with 90 minutes", v.Idle.Honour)
	}
}

func TestCardRefusals(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	_, lost := r.env.AddPerson(t, "李喆", record.GreenVest)
	_, revoked := r.env.AddPerson(t, "陈赟", record.GreenVest)
	if _, err := r.env.SetCardState(ctx, ledger.SetCardState{ID: record.NewEntryID(), UID: lost, State: ledger.CardLost, Operator: r.env.Staff}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.env.SetCardState(ctx, ledger.SetCardState{ID: record.NewEntryID(), UID: revoked, State: ledger.CardRevoked, Operator: r.env.Staff}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		uid         record.CardUID
		title, hint string
	}{
		{"unknown", r.env.NewUID(), "card.unknown", "card.unknown_hint"},
		{"lost", lost, "card.lost", "card.desk_hint"},
		{"revoked", revoked, "card.revoked", "card.desk_hint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r.tap(tc.uid)
			v := r.wantTitle(SceneNotice, tc.title)
			if len(v.Lines) != 1 || v.Lines[0].Key != tc.hint {
				t.Errorf("lines = %v, want %s", v.Lines, tc.hint)
			}
			if v.Tone != ToneRefusal || lastPlayed(r.fb) != feedback.Refusal {
				t.Errorf("tone %v, played %v: want a refusal", v.Tone, lastPlayed(r.fb))
			}
			r.press(ActBack)
			r.want(SceneIdle)
		})
	}
}

func TestCheckInOneActivityConfirmsThenChecksOut(t *testing.T) {
	r := newRig(t)
	act := r.env.AnyTime(t)
	p, card := r.env.AddPerson(t, "周玥", record.RedVest)

	r.tap(card)
	v := r.want(ScenePerson)
	if v.Person.Name != "周玥" || v.Person.OpenShift != nil || lastPlayed(r.fb) != feedback.Success {
		t.Fatalf("person = %+v, played %v", v.Person, lastPlayed(r.fb))
	}
	r.press(ActCheckOut) // no shift open: nothing happens
	r.want(ScenePerson)
	r.press(ActCheckIn)
	v = r.want(SceneCheckInConfirm)
	if v.CheckIn.Activity != act.Name {
		t.Fatalf("confirm activity = %q", v.CheckIn.Activity)
	}
	r.press(ActConfirm)
	v = r.want(SceneCheckInDone)
	if !v.CheckIn.At.Equal(r.env.Clock.Now()) || v.Tone != ToneSuccess {
		t.Fatalf("checked in at %v tone %v", v.CheckIn.At, v.Tone)
	}
	open, err := r.env.OpenShifts(context.Background())
	if err != nil || len(open) != 1 || open[0].Person != p.ID {
		t.Fatalf("open shifts = %+v, %v", open, err)
	}

	r.env.Clock.Advance(2*time.Hour + 10*time.Minute)
	r.press(ActHome)
	r.tap(card)
	v = r.want(ScenePerson)
	if v.Person.OpenShift == nil || v.Person.OpenShift.Activity != act.Name {
		t.Fatalf("open shift not shown: %+v", v.Person)
	}
	r.press(ActCheckOut, ActConfirm)
	v = r.want(SceneCheckOutDone)
	co := v.CheckOut
	if co.Minutes != 130 || co.Points != 130 || co.Duration != 130*time.Minute || co.Balance.Points != 130 || co.Note != "" {
		t.Fatalf("check-out = %+v, want 130 minutes and 130 points at 60/h", co)
	}
	if b := r.balance(p.ID); b.Points != 130 || b.Minutes != 130 {
		t.Fatalf("ledger balance = %+v", b)
	}
	r.press(ActConfirm)
	v = r.want(ScenePerson)
	if v.Person.Points != 130 || v.Person.OpenShift != nil {
		t.Fatalf("person after check-out = %+v", v.Person)
	}
}

func TestCheckInChoosesAmongActivities(t *testing.T) {
	r := newRig(t)
	any := record.Rules{AnyTime: true, PointsPerHour: map[record.VolunteerKind]int64{record.GreenVest: 10}}
	r.env.AddActivity(t, "助老服务", record.Schedule{}, any)
	second := r.env.AddActivity(t, "环境整治", record.Schedule{}, any)
	_, card := r.env.AddPerson(t, "张三明", record.GreenVest)
	r.tap(card)
	r.press(ActCheckIn)
	v := r.want(SceneCheckInChoose)
	if len(v.Choices) != 2 {
		t.Fatalf("choices = %+v", v.Choices)
	}
	idx := slices.IndexFunc(v.Choices, func(c Choice) bool { return c.Label == "环境整治" })
	r.do(Action{Kind: ActChoose, Index: 7}) // off the list: ignored
	r.want(SceneCheckInChoose)
	r.do(Action{Kind: ActChoose, Index: idx})
	v = r.want(SceneCheckInDone)
	if v.CheckIn.Activity != "环境整治" {
		t.Fatalf("checked in to %q", v.CheckIn.Activity)
	}
	open, _ := r.env.OpenShifts(context.Background())
	if len(open) != 1 || open[0].Activity != second.ID {
		t.Fatalf("open = %+v", open)
	}
	// A second check-in is answered with what is open.
	r.tap(card)
	v = r.want(ScenePerson)
	if v.Person.OpenShift == nil {
		t.Fatal("open shift not shown")
	}
}

func TestCheckInRefusedOutsideWindow(t *testing.T) {
	r := newRig(t)
	// 09:00 on a Monday; the activity runs 14:00–16:00 without an early window.
	r.env.AddActivity(t, "政策宣传", record.Schedule{Start: "14:00", End: "16:00"}, record.Rules{LateMinutes: 30})
	_, card := r.env.AddPerson(t, "赵四", record.RedVest)
	r.tap(card)
	r.press(ActCheckIn)
	v := r.wantTitle(SceneNotice, "checkin.none")
	if v.Tone != ToneRefusal {
		t.Fatalf("tone = %v", v.Tone)
	}
	r.press(ActBack)
	r.want(ScenePerson)
}

func TestRedeemGridConfirmAndPickupCode(t *testing.T) {
	r := newRig(t)
	p, card := r.env.AddPerson(t, "王堃", record.Resident)
	r.env.Credit(t, p.ID, 100)
	rice := r.env.AddItem(t, "大米", 80, 3)
	oil := r.env.AddItem(t, "食用油", 150, 5)
	soap := r.env.AddItem(t, "洗衣液", 30, 0)

	r.tap(card)
	r.press(ActRedeem)
	v := r.want(SceneRedeemGrid)
	refusals := map[string]string{}
	for _, c := range v.Choices {
		refusals[c.Label] = c.Refusal
	}
	want := map[string]string{rice.Name: "", oil.Name: "refusal.insufficient_points", soap.Name: "refusal.out_of_stock"}
	for name, key := range want {
		if got, ok := refusals[name]; !ok || got != key {
			t.Errorf("%s refusal = %q (shown %v), want %q", name, got, ok, key)
		}
	}
	// Touching an item that cannot be had says why and stays.
	r.do(Action{Kind: ActChoose, Index: slices.IndexFunc(v.Choices, func(c Choice) bool { return c.Label == oil.Name })})
	v = r.want(SceneRedeemGrid)
	if len(v.Lines) != 1 || v.Lines[0].Key != "refusal.insufficient_points" || v.Tone != ToneRefusal {
		t.Fatalf("lines %v tone %v", v.Lines, v.Tone)
	}
	r.do(Action{Kind: ActChoose, Index: slices.IndexFunc(v.Choices, func(c Choice) bool { return c.Label == rice.Name })})
	v = r.want(SceneRedeemConfirm)
	if v.Redeem.Price != 80 || v.Redeem.After != 20 {
		t.Fatalf("confirm = %+v", v.Redeem)
	}
	// A double touch on 确认 redeems once.
	r.term.Press(Action{Kind: ActConfirm})
	r.term.Press(Action{Kind: ActConfirm})
	r.term.Settle()
	v = r.want(SceneRedeemDone)
	if len(v.Redeem.Code) == 0 || v.Redeem.Balance.Points != 20 || lastPlayed(r.fb) != feedback.Success {
		t.Fatalf("done = %+v", v.Redeem)
	}
	if b := r.balance(p.ID); b.Points != 20 {
		t.Fatalf("balance = %d, want 20", b.Points)
	}
	if s := r.stock(rice.ID); s != 2 {
		t.Fatalf("stock = %d, want 2", s)
	}
	r.env.MustVerify(t)
}

func TestRedeemRefusedAtConfirmSaysWhy(t *testing.T) {
	r := newRig(t)
	p, card := r.env.AddPerson(t, "李喆", record.Resident)
	q, other := r.env.AddPerson(t, "陈赟", record.Resident)
	r.env.Credit(t, p.ID, 100)
	r.env.Credit(t, q.ID, 100)
	towel := r.env.AddItem(t, "毛巾", 40, 1)

	r.tap(card)
	r.press(ActRedeem)
	r.do(Action{Kind: ActChoose, Index: 0})
	r.want(SceneRedeemConfirm)
	// Meanwhile the last towel goes to someone else.
	if _, err := r.env.Redeem(context.Background(), ledger.Redeem{ID: record.NewEntryID(), Card: other, Item: towel.ID}); err != nil {
		t.Fatal(err)
	}
	r.press(ActConfirm)
	v := r.wantTitle(SceneNotice, "refusal.out_of_stock")
	if v.Tone != ToneRefusal {
		t.Fatalf("tone %v", v.Tone)
	}
	if b := r.balance(p.ID); b.Points != 100 {
		t.Fatalf("balance = %d: a refusal took points", b.Points)
	}
}

func TestHistoryInPlainWords(t *testing.T) {
	r := newRig(t)
	r.env.AnyTime(t)
	p, card := r.env.AddPerson(t, "周玥", record.RedVest)
	r.env.Credit(t, p.ID, 500)
	rice := r.env.AddItem(t, "大米", 80, 3)
	r.tap(card)
	r.press(ActCheckIn, ActConfirm)
	r.env.Clock.Advance(time.Hour)
	r.tap(card)
	r.press(ActCheckOut, ActConfirm)
	if _, err := r.env.Redeem(context.Background(), ledger.Redeem{ID: record.NewEntryID(), Card: card, Item: rice.ID}); err != nil {
		t.Fatal(err)
	}
	r.tap(card)
	r.press(ActHistory)
	v := r.want(SceneHistory)
	var kinds []record.Kind
	for _, l := range v.History {
		kinds = append(kinds, l.Kind)
	}
	want := []record.Kind{record.KindRedeem, record.KindCheckOut, record.KindCheckIn, record.KindAdjust}
	if !slices.Equal(kinds, want) {
		t.Fatalf("history kinds = %v, want %v (newest first)", kinds, want)
	}
	if l := v.History[0]; l.What != "大米" || l.Points != -80 {
		t.Errorf("redeem line = %+v", l)
	}
	if l := v.History[1]; l.What != "便民服务" || l.Minutes != 60 || l.Points != 60 {
		t.Errorf("check-out line = %+v", l)
	}
}

func TestIdleTimeoutReturnsToIdle(t *testing.T) {
	r := newRig(t)
	_, card := r.env.AddPerson(t, "张三明", record.RedVest)
	r.tap(card)
	r.env.Clock.Advance(DefaultIdleTimeout - time.Second)
	r.term.Poll()
	r.want(ScenePerson)
	r.press(ActHistory) // a touch starts the wait again
	r.env.Clock.Advance(DefaultIdleTimeout - time.Second)
	r.term.Poll()
	r.want(SceneHistory)
	r.env.Clock.Advance(2 * time.Second)
	if !r.term.Poll() {
		t.Fatal("Poll did not report the change")
	}
	r.term.Settle()
	r.want(SceneIdle)
}

func TestSecondCardEndsTheFirstSession(t *testing.T) {
	r := newRig(t)
	_, a := r.env.AddPerson(t, "王堃", record.RedVest)
	_, b := r.env.AddPerson(t, "李喆", record.GreenVest)
	r.tap(a)
	r.press(ActHistory)
	r.tap(b)
	v := r.want(ScenePerson)
	if v.Person.Name != "李喆" {
		t.Fatalf("person = %q", v.Person.Name)
	}
}

func TestCardLeftEndsSessionOnlyWhenItHadBeenLaidDown(t *testing.T) {
	r := newRig(t)
	_, card := r.env.AddPerson(t, "王堃", record.RedVest)
	r.tap(card)
	r.env.Clock.Advance(500 * time.Millisecond)
	r.event(rfid.EventLeft, card) // a quick tap: the screen stays
	r.want(ScenePerson)

	r.tap(card)
	r.env.Clock.Advance(DefaultPlacedFor + time.Second)
	r.event(rfid.EventLeft, r.env.NewUID()) // another card: ignored
	r.want(ScenePerson)
	r.event(rfid.EventLeft, card)
	r.want(SceneIdle)
}

func TestPickupCodeStaysWhenCardLeaves(t *testing.T) {
	r := newRig(t)
	p, card := r.env.AddPerson(t, "王堃", record.Resident)
	r.env.Credit(t, p.ID, 100)
	r.env.AddItem(t, "牙膏", 10, 9)
	r.tap(card)
	r.press(ActRedeem)
	r.do(Action{Kind: ActChoose, Index: 0})
	r.press(ActConfirm)
	r.env.Clock.Advance(10 * time.Second)
	r.event(rfid.EventLeft, card)
	r.want(SceneRedeemDone)
}

func TestTapDuringWriteIsHeldUntilTheWriteIsAnswered(t *testing.T) {
	r := newRig(t)
	r.env.AnyTime(t)
	_, a := r.env.AddPerson(t, "王堃", record.RedVest)
	_, b := r.env.AddPerson(t, "李喆", record.RedVest)
	r.tap(a)
	r.press(ActCheckIn)
	r.term.Press(Action{Kind: ActConfirm}) // the check-in write is in flight
	r.term.Reader(rfid.Event{Kind: rfid.EventTap, Tap: rfid.Tap{Card: rfid.Card{UID: rfid.UID(b.Bytes())}, At: r.env.Clock.Now()}})
	r.term.Settle()
	r.term.Settle()
	v := r.want(ScenePerson)
	if v.Person.Name != "李喆" {
		t.Fatalf("person = %q, want the second card's", v.Person.Name)
	}
	open, _ := r.env.OpenShifts(context.Background())
	if len(open) != 1 {
		t.Fatalf("open shifts = %d: the first check-in was lost", len(open))
	}
}

func (r *rig) staffLogin() {
	r.t.Helper()
	r.tap(r.env.Staff)
	r.wantTitle(ScenePIN, "staff.pin")
	r.typeDigits(ledgertest.StaffPIN)
	r.press(ActConfirm)
	r.wantTitle(SceneStaffMenu, "staff.menu")
}

func TestStaffPIN(t *testing.T) {
	r := newRig(t)
	r.tap(r.env.Staff)
	r.typeDigits("1")
	r.press(ActDelete)
	if v := r.want(ScenePIN); v.Pad != "" {
		t.Fatalf("pad = %q after delete", v.Pad)
	}
	// 5 tries: each wrong one says how many are left; the fifth locks the
	// card for 15 minutes, and the screen says until when (09:00 + 15).
	for left := 4; left > 0; left-- {
		r.typeDigits("0000")
		r.press(ActConfirm)
		v := r.want(ScenePIN)
		if want := fmt.Sprint([]Text{T("staff.pin_wrong_left", left)}); fmt.Sprint(v.Lines) != want || v.Pad != "" {
			t.Fatalf("%d left: lines %v pad %q, want %s", left, v.Lines, v.Pad, want)
		}
	}
	r.typeDigits("0000")
	r.press(ActConfirm)
	// The notice names whose card is locked.
	locked := fmt.Sprint([]Text{T("staff.menu_of", "值班员"), T("staff.pin_locked_until", "09:15")})
	if v := r.wantTitle(SceneNotice, "staff.pin_locked"); fmt.Sprint(v.Lines) != locked {
		t.Fatalf("locked: lines %v, want %s", v.Lines, locked)
	}
	// Locked even with the right PIN.
	r.tap(r.env.Staff)
	r.typeDigits(ledgertest.StaffPIN)
	r.press(ActConfirm)
	if v := r.wantTitle(SceneNotice, "staff.pin_locked"); fmt.Sprint(v.Lines) != locked {
		t.Fatalf("locked, right PIN: lines %v, want %s", v.Lines, locked)
	}
	r.env.Clock.Advance(16 * time.Minute)
	r.staffLogin()
}

func TestStaffBindsANewCard(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	p, err := r.env.EnrolPerson(ctx, ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: "HP0420", Name: "孙燊", Phone: "13812345678", Kind: record.InService})
	if err != nil {
		t.Fatal(err)
	}
	r.staffLogin()
	r.do(Action{Kind: ActStaff, Staff: StaffBind})
	// The pad says which action it finds a person for.
	if v := r.wantTitle(SceneStaffFind, "staff.find_person"); fmt.Sprint(v.Title.Args) != fmt.Sprint([]any{T("staff.bind_card")}) {
		t.Fatalf("find pad: %v", v.Title)
	}
	r.typeDigits("9999")
	r.press(ActConfirm)
	if v := r.want(SceneStaffFind); len(v.Lines) != 1 || v.Lines[0].Key != "staff.not_found" {
		t.Fatalf("not found: lines %v", v.Lines)
	}
	r.press(ActDelete, ActDelete, ActDelete, ActDelete)
	r.typeDigits("5678")
	r.press(ActConfirm)
	v := r.wantTitle(SceneStaffPeople, "staff.choose_person_for")
	if len(v.Choices) != 1 || v.Choices[0].Label != "孙燊" || fmt.Sprint(v.Title.Args) != fmt.Sprint([]any{T("staff.bind_card")}) {
		t.Fatalf("people = %+v, title %v", v.Choices, v.Title)
	}
	r.do(Action{Kind: ActChoose, Index: 0})
	r.wantTitle(SceneStaffTapCard, "staff.tap_new_card")
	// A card in use is refused, its headline saying whose it is (staff see
	// full names): the staff card itself, a person's, a person's lost one.
	other, used := r.env.AddPerson(t, "欧阳娜娜", record.RedVest)
	_, lost := r.env.AddPerson(t, "李喆", record.RedVest)
	if _, err := r.env.SetCardState(ctx, ledger.SetCardState{ID: record.NewEntryID(), UID: lost, State: ledger.CardLost, Operator: r.env.Staff}); err != nil {
		t.Fatal(err)
	}
	for uid, want := range map[record.CardUID]Text{
		r.env.Staff: T("staff.card_is_staff", "值班员"),
		used:        T("staff.card_in_use_by", other.Name),
		lost:        T("staff.card_stopped_of", "李喆"),
	} {
		r.tap(uid)
		if v := r.want(SceneStaffTapCard); fmt.Sprint(v.Title) != fmt.Sprint(want) || v.Tone != ToneRefusal ||
			fmt.Sprint(v.Lines) != fmt.Sprint([]Text{T("staff.tap_other_card")}) {
			t.Fatalf("card %s as new card: %v %v, want %v", uid, v.Title, v.Lines, want)
		}
	}
	card := r.env.NewUID()
	r.tap(card)
	r.wantTitle(SceneStaffDone, "staff.card_bound")
	info, err := r.env.LookupCard(ctx, card)
	if err != nil || info.Person == nil || info.Person.ID != p.ID {
		t.Fatalf("new card looks up to %+v, %v", info.Person, err)
	}
	r.press(ActConfirm)
	r.want(SceneStaffMenu)
}

func TestStaffRegistersAWalkIn(t *testing.T) {
	r := newRig(t)
	r.staffLogin()
	// A walk-in has no member number: staff are asked only for the card.
	r.do(Action{Kind: ActStaff, Staff: StaffEnrol})
	if v := r.wantTitle(SceneStaffTapCard, "staff.tap_new_card"); !v.Staff.TargetProvisional {
		t.Fatalf("tap-card target = %q, provisional %v", v.Staff.Target, v.Staff.TargetProvisional)
	}
	card := r.env.NewUID()
	r.tap(card)
	v := r.wantTitle(SceneStaffDone, "staff.walk_in_done")
	// A provisional person, with no made-up name (the hub completes it), and
	// a member number of this terminal, shown on the done scene.
	info, err := r.env.LookupCard(context.Background(), card)
	if err != nil || info.Person == nil || !info.Person.Provisional || info.Person.Name != "" ||
		!strings.HasPrefix(info.Person.MemberNo, r.env.Terminal().ID+"-") {
		t.Fatalf("walk-in = %+v, %v", info.Person, err)
	}
	// The done scene gives the short number staff find them by: the
	// member number's last six digits, not the terminal's id.
	member := info.Person.MemberNo
	short := member[len(member)-6:]
	if want := fmt.Sprint([]Text{T("staff.walk_in_find", short), T("staff.card_of", T(WalkInKey, short), string(card)), T("staff.walk_in_name")}); fmt.Sprint(v.Lines) != want {
		t.Fatalf("walk-in done: lines %v, want %v", v.Lines, want)
	}
	r.press(ActConfirm, ActBack)

	// The walk-in taps: the person scene marks them provisional, with
	// their short number.
	r.tap(card)
	if v := r.want(ScenePerson); !v.Person.Provisional || v.Person.Name != short {
		t.Fatalf("walk-in's person view = %+v", v.Person)
	}
	r.press(ActHome)

	// Staff find them by the digits of the member number to bind a second
	// card: the list, the tap-card scene and the result all say
	// provisional, never a name; a second active card asks first.
	r.staffLogin()
	r.do(Action{Kind: ActStaff, Staff: StaffBind})
	r.typeDigits(short)
	r.press(ActConfirm)
	v = r.want(SceneStaffPeople)
	if len(v.Choices) != 1 || !v.Choices[0].Provisional || v.Choices[0].Label != short || v.Choices[0].Detail.Key != "staff.walk_in_since" {
		t.Fatalf("people = %+v", v.Choices)
	}
	r.do(Action{Kind: ActChoose, Index: 0})
	if v := r.want(SceneStaffTapCard); !v.Staff.TargetProvisional || v.Staff.Target != short {
		t.Fatalf("tap-card target = %q, provisional %v", v.Staff.Target, v.Staff.TargetProvisional)
	}
	second := r.env.NewUID()
	r.tap(second)
	if v := r.want(SceneStaffConfirm); v.Staff.Warning.Key != "staff.has_active_card" {
		t.Fatalf("a second active card: warning %v", v.Staff.Warning)
	}
	r.press(ActConfirm)
	v = r.wantTitle(SceneStaffDone, "staff.card_bound")
	if want := fmt.Sprint([]Text{T("staff.card_of", T(WalkInKey, short), string(second))}); fmt.Sprint(v.Lines) != want {
		t.Fatalf("card bound: lines %v, want %v", v.Lines, want)
	}
	r.press(ActConfirm)
	if v := r.want(SceneStaffMenu); v.Staff.TargetProvisional || v.Staff.Target != "" {
		t.Fatalf("the menu keeps the last target: %+v", v.Staff)
	}
}

// isProvisionalName: arg names the walk-in of member number 20261126 by its
// short number, with WalkInKey's words.
func isProvisionalName(arg any) bool {
	t, ok := arg.(Text)
	return ok && t.Key == WalkInKey && fmt.Sprint(t.Args) == "[20261126]"
}

// TestStaffListsShowAWalkInAsProvisional: every staff list that names a
// person names a walk-in by WalkInKey and its short number, for the
// frontend to look up.
func TestStaffListsShowAWalkInAsProvisional(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	p, err := r.env.EnrolPerson(ctx, ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: "20261126", Kind: record.GreenVest, Provisional: true})
	if err != nil {
		t.Fatal(err)
	}
	card := r.env.NewUID()
	if _, err := r.env.BindCard(ctx, ledger.BindCard{ID: record.NewEntryID(), Person: p.ID, UID: card, Operator: r.env.Staff}); err != nil {
		t.Fatal(err)
	}
	r.env.Credit(t, p.ID, 100)
	oil := r.env.AddItem(t, "食用油", 60, 1)
	if _, err := r.env.Redeem(ctx, ledger.Redeem{ID: record.NewEntryID(), Card: card, Item: oil.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.env.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: card, Activity: r.env.AnyTime(t).ID}); err != nil {
		t.Fatal(err)
	}
	r.staffLogin()
	r.do(Action{Kind: ActStaff, Staff: StaffReverse})
	v := r.want(SceneStaffRedemptions)
	if len(v.Choices) != 1 || len(v.Choices[0].Detail.Args) == 0 || !isProvisionalName(v.Choices[0].Detail.Args[0]) {
		t.Fatalf("redemptions = %+v", v.Choices)
	}
	r.press(ActBack)
	r.do(Action{Kind: ActStaff, Staff: StaffShifts})
	v = r.want(SceneStaffShifts)
	if len(v.Choices) != 1 || !v.Choices[0].Provisional || v.Choices[0].Label != "20261126" {
		t.Fatalf("open shifts = %+v", v.Choices)
	}
	r.press(ActBack)
	r.do(Action{Kind: ActStaff, Staff: StaffAdjust})
	r.typeDigits("20261126")
	r.press(ActConfirm)
	r.do(Action{Kind: ActChoose, Index: 0})
	r.typeDigits("5")
	r.press(ActConfirm)
	r.do(Action{Kind: ActChoose, Index: 0})
	v = r.wantTitle(SceneStaffConfirm, "staff.confirm_adjust")
	if len(v.Title.Args) != 2 || !isProvisionalName(v.Title.Args[0]) {
		t.Fatalf("confirm adjust: title %+v", v.Title)
	}
	r.press(ActConfirm)
	v = r.wantTitle(SceneStaffDone, "staff.adjusted")
	if len(v.Title.Args) != 2 || !isProvisionalName(v.Title.Args[0]) {
		t.Fatalf("adjusted: title %+v", v.Title)
	}
}

func TestStaffReplacesALostCard(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	p, old := r.env.AddPerson(t, "周玥", record.RedVest)
	r.env.Credit(t, p.ID, 70)
	if _, err := r.env.SetCardState(ctx, ledger.SetCardState{ID: record.NewEntryID(), UID: old, State: ledger.CardLost, Operator: r.env.Staff}); err != nil {
		t.Fatal(err)
	}
	r.staffLogin()
	r.do(Action{Kind: ActStaff, Staff: StaffReplace})
	r.typeDigits(p.Phone[len(p.Phone)-4:])
	r.press(ActConfirm)
	r.do(Action{Kind: ActChoose, Index: 0})
	card := r.env.NewUID()
	r.tap(card)
	r.wantTitle(SceneStaffDone, "staff.card_replaced")
	info, err := r.env.LookupCard(ctx, card)
	if err != nil || info.Person.ID != p.ID || info.Balance.Points != 70 {
		t.Fatalf("new card: %+v %+v %v", info.Person, info.Balance, err)
	}
	if _, err := r.env.LookupCard(ctx, old); !errors.Is(err, ledger.ErrCardLost) && !errors.Is(err, ledger.ErrCardRevoked) {
		t.Fatalf("old card: %v, want refused", err)
	}
	r.env.MustVerify(t)
}

func TestStaffAdjustsPointsWithAReason(t *testing.T) {
	r := newRig(t)
	p, _ := r.env.AddPerson(t, "陈赟", record.GreenVest)
	r.env.Credit(t, p.ID, 50)
	r.staffLogin()
	for _, tc := range []struct {
		digits   string
		negative bool
		want     int64
	}{{"25", false, 75}, {"30", true, 45}} {
		r.do(Action{Kind: ActStaff, Staff: StaffAdjust})
		r.typeDigits(p.Phone[len(p.Phone)-4:])
		r.press(ActConfirm)
		r.do(Action{Kind: ActChoose, Index: 0})
		r.wantTitle(SceneStaffAmount, "staff.adjust_amount")
		r.typeDigits(tc.digits)
		if tc.negative {
			r.press(ActSubtract)
		}
		r.press(ActConfirm)
		v := r.wantTitle(SceneStaffReasons, "staff.reason")
		if len(v.Choices) != len(AdjustReasons) {
			t.Fatalf("reasons = %+v", v.Choices)
		}
		r.do(Action{Kind: ActChoose, Index: 0})
		r.wantTitle(SceneStaffConfirm, "staff.confirm_adjust")
		if b := r.balance(p.ID); b.Points != tc.want-map[bool]int64{false: 25, true: -30}[tc.negative] {
			t.Fatalf("balance before 确认 = %d: written before it was confirmed", b.Points)
		}
		r.press(ActConfirm)
		r.wantTitle(SceneStaffDone, "staff.adjusted")
		if b := r.balance(p.ID); b.Points != tc.want {
			t.Fatalf("balance = %d, want %d", b.Points, tc.want)
		}
		r.press(ActConfirm)
	}
	hist, err := r.env.History(context.Background(), p.ID, 1)
	if err != nil || len(hist) != 1 || hist[0].Reason != "words:"+AdjustReasons[0] || hist[0].Operator != r.env.Staff {
		t.Fatalf("last entry = %+v, %v", hist, err)
	}
}

func TestStaffReversesARedemptionAndRestocks(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	p, card := r.env.AddPerson(t, "王堃", record.Resident)
	r.env.Credit(t, p.ID, 100)
	oil := r.env.AddItem(t, "食用油", 60, 1)
	if _, err := r.env.Redeem(ctx, ledger.Redeem{ID: record.NewEntryID(), Card: card, Item: oil.ID}); err != nil {
		t.Fatal(err)
	}
	r.staffLogin()
	r.do(Action{Kind: ActStaff, Staff: StaffReverse})
	v := r.want(SceneStaffRedemptions)
	if len(v.Choices) != 1 || v.Choices[0].Label != "食用油" {
		t.Fatalf("redemptions = %+v", v.Choices)
	}
	r.do(Action{Kind: ActChoose, Index: 0})
	r.wantTitle(SceneStaffConfirm, "staff.confirm_reverse")
	r.press(ActConfirm)
	r.wantTitle(SceneStaffDone, "staff.reversed")
	if b := r.balance(p.ID); b.Points != 100 {
		t.Fatalf("balance after reversal = %d", b.Points)
	}
	if s := r.stock(oil.ID); s != 1 {
		t.Fatalf("stock after reversal = %d", s)
	}
	r.press(ActConfirm)
	r.do(Action{Kind: ActStaff, Staff: StaffReverse})
	r.wantTitle(SceneStaffDone, "staff.no_redemptions")
	r.press(ActConfirm)

	r.do(Action{Kind: ActStaff, Staff: StaffRestock})
	r.want(SceneStaffItems)
	r.do(Action{Kind: ActChoose, Index: 0})
	r.wantTitle(SceneStaffAmount, "staff.restock_amount")
	r.press(ActConfirm) // nothing typed: nothing happens
	r.want(SceneStaffAmount)
	r.typeDigits("12")
	r.press(ActConfirm)
	r.wantTitle(SceneStaffDone, "staff.restocked")
	if s := r.stock(oil.ID); s != 13 {
		t.Fatalf("stock after restock = %d", s)
	}
	r.env.MustVerify(t)
}

func TestStaffClosesAForgottenShift(t *testing.T) {
	r := newRig(t)
	r.env.AnyTime(t)
	p, card := r.env.AddPerson(t, "周玥", record.RedVest)
	r.tap(card)
	r.press(ActCheckIn, ActConfirm, ActHome)
	r.env.Clock.Advance(3 * time.Hour)
	r.staffLogin()
	r.do(Action{Kind: ActStaff, Staff: StaffShifts})
	v := r.want(SceneStaffShifts)
	if len(v.Choices) != 1 || v.Choices[0].Label != "周玥" {
		t.Fatalf("shifts = %+v", v.Choices)
	}
	r.do(Action{Kind: ActChoose, Index: 0})
	r.wantTitle(SceneStaffConfirm, "staff.confirm_close")
	r.press(ActConfirm)
	r.wantTitle(SceneStaffDone, "staff.shift_closed")
	if b := r.balance(p.ID); b.Minutes != 180 {
		t.Fatalf("minutes = %d, want 180", b.Minutes)
	}
	open, _ := r.env.OpenShifts(context.Background())
	if len(open) != 0 {
		t.Fatalf("still open: %+v", open)
	}
}

func TestStaffSummarySyncAndReaderTest(t *testing.T) {
	r := newRig(t)
	r.env.AnyTime(t)
	_, card := r.env.AddPerson(t, "周玥", record.RedVest)
	r.tap(card)
	r.press(ActCheckIn, ActConfirm, ActHome)
	r.staffLogin()
	r.do(Action{Kind: ActStaff, Staff: StaffSummary})
	v := r.wantTitle(SceneStaffSummary, "staff.summary")
	if v.Staff.Summary.CheckIns != 1 || v.Staff.Unsynced == 0 {
		t.Fatalf("summary = %+v unsynced %d", v.Staff.Summary, v.Staff.Unsynced)
	}
	r.press(ActConfirm)
	// No hub link: no 立即同步 on the menu, and its action does nothing.
	r.do(Action{Kind: ActStaff, Staff: StaffSync})
	r.wantTitle(SceneStaffMenu, "staff.menu")
	r.do(Action{Kind: ActStaff, Staff: StaffReader})
	r.want(SceneStaffReader)
	r.tap(card) // shown, not a session
	v = r.want(SceneStaffReader)
	if v.Staff.LastUID != string(card) {
		t.Fatalf("last uid = %q", v.Staff.LastUID)
	}
}

func TestFaultedTerminalNeedsATechnician(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code string
	}{
		{fmt.Errorf("open: %w", ledger.ErrCorrupt), FaultCorrupt},
		{&ledger.FileError{Path: "/x/ledger.db", Err: ledger.ErrNotDatabase}, FaultNotDB},
		{&ledger.FileError{Path: "/x/ledger.db", Err: ledger.ErrForeign}, FaultForeign},
		{ledger.ErrNoLedger, FaultNoLedger},
		{fmt.Errorf("write: %w", ledger.ErrDiskFull), FaultDiskFull},
		{ledger.ErrTooNew, FaultTooNew},
		{errors.New("permission denied"), FaultOpen},
	} {
		t.Run(tc.code, func(t *testing.T) {
			fb := &feedbacktest.Recorder{}
			term := NewFaulted(tc.err, Options{Feedback: fb})
			defer term.Close()
			v := term.View()
			if v.Scene != SceneTechnician || v.Fault != tc.code || v.Title.Key != "tech.title" || lastPlayed(fb) != feedback.Attention {
				t.Fatalf("view = %v %q %v, played %v", v.Scene, v.Fault, v.Title, lastPlayed(fb))
			}
			term.Reader(rfid.Event{Kind: rfid.EventTap, Tap: rfid.Tap{Card: rfid.Card{UID: rfid.UID{1, 2, 3, 4}}}})
			term.Press(Action{Kind: ActHome})
			term.Poll()
			if term.View().Scene != SceneTechnician {
				t.Fatal("left the technician scene")
			}
		})
	}
}

func TestCorruptionFoundWhileRunningStopsWrites(t *testing.T) {
	r := newRig(t)
	_, card := r.env.AddPerson(t, "王堃", record.RedVest)
	r.tap(card)
	// The ledger says the file is corrupt (here: it was closed under us, which
	// the terminal must treat like any other storage failure it cannot fix).
	r.term.failed(fmt.Errorf("integrity: %w", ledger.ErrCorrupt))
	v := r.want(SceneTechnician)
	if v.Fault != FaultCorrupt {
		t.Fatalf("fault = %q", v.Fault)
	}
	r.tap(card)
	r.want(SceneTechnician)
}

func TestMalformedReadIsRefusedPlainly(t *testing.T) {
	r := newRig(t)
	r.term.Reader(rfid.Event{Kind: rfid.EventTap, Tap: rfid.Tap{Card: rfid.Card{UID: rfid.UID{0xAB, 0xCD, 0xEF}}, At: r.env.Clock.Now()}})
	r.term.Settle()
	r.wantTitle(SceneNotice, "card.unreadable")
}
