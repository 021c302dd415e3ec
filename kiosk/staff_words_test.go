package kiosk

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

// TestAdjustPadNamesThePersonAndTheSign: the adjustment pad says whose
// points and how many they have; 加分 and 扣分 each set the sign (the pad
// starts at 加分), and the confirmation writes the amount with the pad's
// minus sign.
func TestAdjustPadNamesThePersonAndTheSign(t *testing.T) {
	r := newRig(t)
	p, _ := r.env.AddPerson(t, "周玥", record.Resident)
	r.env.Credit(t, p.ID, 30)
	r.staffLogin()
	r.do(Action{Kind: ActStaff, Staff: StaffAdjust})
	r.typeDigits(p.Phone[len(p.Phone)-4:])
	r.press(ActConfirm)
	r.do(Action{Kind: ActChoose, Index: 0})
	v := r.wantTitle(SceneStaffAmount, "staff.adjust_amount")
	if fmt.Sprint(v.Title.Args) != "[周玥 30]" || !v.Signed || v.Negative {
		t.Fatalf("adjust pad: %v, signed %v negative %v", v.Title, v.Signed, v.Negative)
	}
	r.typeDigits("20")
	for _, tc := range []struct {
		kind     ActionKind
		negative bool
	}{{ActSubtract, true}, {ActSubtract, true}, {ActAdd, false}, {ActAdd, false}, {ActSubtract, true}} {
		r.press(tc.kind)
		if v := r.want(SceneStaffAmount); v.Negative != tc.negative || v.Pad != "20" {
			t.Fatalf("after %v: negative %v pad %q, want %v", tc.kind, v.Negative, v.Pad, tc.negative)
		}
	}
	r.press(ActConfirm)
	r.do(Action{Kind: ActChoose, Index: 0})
	if v := r.wantTitle(SceneStaffConfirm, "staff.confirm_adjust"); fmt.Sprint(v.Title.Args) != "[周玥 −20]" {
		t.Fatalf("confirm adjust: %v", v.Title)
	}
	r.press(ActBack)

	// The restock pad has no sign: 扣分 does nothing there.
	r.env.AddItem(t, "大米", 80, 1)
	r.do(Action{Kind: ActStaff, Staff: StaffRestock})
	r.do(Action{Kind: ActChoose, Index: 0})
	r.typeDigits("3")
	r.press(ActSubtract)
	if v := r.wantTitle(SceneStaffAmount, "staff.restock_amount"); v.Signed || v.Negative {
		t.Fatalf("restock pad: signed %v negative %v", v.Signed, v.Negative)
	}
}

func TestSigned(t *testing.T) {
	for n, want := range map[int64]string{120: "+120", -20: "−20", 0: "0", 1: "+1"} {
		if got := Signed(n); got != want {
			t.Errorf("Signed(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestWalkInNo(t *testing.T) {
	for member, want := range map[string]string{
		"3F9A0B12C4D5E6F7-772601": "772601",
		"3F9A0B12C4D5E6F7-012345": "012345",
		"20261126":                "20261126",
		"HPL1002":                 "1002",
		"ABC":                     "ABC",
	} {
		if got := WalkInNo(member); got != want {
			t.Errorf("WalkInNo(%q) = %q, want %q", member, got, want)
		}
	}
}

// TestStaffTimesOnAnotherDayCarryTheDate: a time staff read that is not
// today says its date: a PIN lock past midnight, a shift left open since
// yesterday, a code handed out yesterday.
func TestStaffTimesOnAnotherDayCarryTheDate(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	r.env.AnyTime(t)
	p, card := r.env.AddPerson(t, "周玥", record.Resident)
	r.env.Credit(t, p.ID, 100)
	rice := r.env.AddItem(t, "大米", 80, 5)
	red, err := r.env.Redeem(ctx, ledger.Redeem{ID: record.NewEntryID(), Card: card, Item: rice.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.env.HandOut(ctx, ledger.HandOut{ID: record.NewEntryID(), Redemption: red.Entry.ID, Operator: r.env.Staff}); err != nil {
		t.Fatal(err)
	}
	r.tap(card)
	r.press(ActCheckIn, ActConfirm, ActHome)

	// 23:55 the next day: the 15-minute lock ends after midnight.
	r.env.Clock.Set(time.Date(2026, 3, 3, 23, 55, 0, 0, r.env.Location()))
	r.tap(r.env.Staff)
	for range ledger.MaxPINFailures {
		r.typeDigits("0000")
		r.press(ActConfirm)
	}
	v := r.wantTitle(SceneNotice, "staff.pin_locked")
	if want := fmt.Sprint(T("staff.pin_locked_until", T("time.day_at", 3, 4, "00:10"))); fmt.Sprint(v.Lines[len(v.Lines)-1]) != want {
		t.Fatalf("lock past midnight: %v, want %s", v.Lines, want)
	}
	r.env.Clock.Advance(16 * time.Minute)
	r.staffLogin()
	r.do(Action{Kind: ActStaff, Staff: StaffShifts})
	v = r.want(SceneStaffShifts)
	if want := fmt.Sprint(T("staff.shift_detail", "便民服务", T("time.day_at", 3, 2, "09:00"))); len(v.Choices) != 1 || fmt.Sprint(v.Choices[0].Detail) != want {
		t.Fatalf("yesterday's shift: %+v, want %s", v.Choices, want)
	}
	r.press(ActBack)
	r.do(Action{Kind: ActStaff, Staff: StaffHandOut})
	r.do(Action{Kind: ActChoose, Index: 0})
	r.typeDigits(string(red.Code))
	r.press(ActConfirm)
	if want := fmt.Sprint([]Text{T("staff.handed_out_by", T("time.day_at", 3, 2, "09:00"), "值班员")}); fmt.Sprint(r.want(SceneStaffFind).Lines) != want {
		t.Fatalf("a code handed out the day before: %v, want %s", r.want(SceneStaffFind).Lines, want)
	}
}

// TestReversingWhatWasJustHandedOutSaysSo: a redemption handed out at the
// desk while the reversal list was open is refused with the reason in the
// headline, and the points stay.
func TestReversingWhatWasJustHandedOutSaysSo(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	p, card := r.env.AddPerson(t, "周玥", record.Resident)
	r.env.Credit(t, p.ID, 100)
	rice := r.env.AddItem(t, "大米", 80, 5)
	red, err := r.env.Redeem(ctx, ledger.Redeem{ID: record.NewEntryID(), Card: card, Item: rice.ID})
	if err != nil {
		t.Fatal(err)
	}
	r.staffLogin()
	r.do(Action{Kind: ActStaff, Staff: StaffReverse})
	if v := r.want(SceneStaffRedemptions); len(v.Choices) != 1 || v.Choices[0].Refusal != "" {
		t.Fatalf("reversal list: %+v", v.Choices)
	}
	r.do(Action{Kind: ActChoose, Index: 0})
	r.wantTitle(SceneStaffConfirm, "staff.confirm_reverse")
	if _, err := r.env.HandOut(ctx, ledger.HandOut{ID: record.NewEntryID(), Redemption: red.Entry.ID, Operator: r.env.Staff}); err != nil {
		t.Fatal(err)
	}
	r.press(ActConfirm)
	v := r.wantTitle(SceneStaffDone, "staff.not_reversible_handed_out")
	if want := fmt.Sprint([]Text{T("staff.handed_out_by", "09:00", "值班员")}); fmt.Sprint(v.Lines) != want || v.Tone != ToneRefusal {
		t.Fatalf("refused: %v, want %s", v.Lines, want)
	}
	if b := r.balance(p.ID); b.Points != 20 {
		t.Fatalf("balance %d after a refused reversal, want 20", b.Points)
	}
}

// TestBlockAndReplaceSayWhereThePointsAre: after 挂失 the card has stopped
// and the points stay with the person; after 换卡 the points are the
// person's and the old card has stopped, as the ledger keeps them.
func TestBlockAndReplaceSayWhereThePointsAre(t *testing.T) {
	r := newRig(t)
	p, card := r.env.AddPerson(t, "赵珺", record.GreenVest)
	r.env.Credit(t, p.ID, 40)
	phone := p.Phone[len(p.Phone)-4:]
	r.staffLogin()
	r.do(Action{Kind: ActStaff, Staff: StaffBlock})
	r.typeDigits(phone)
	r.press(ActConfirm)
	r.do(Action{Kind: ActChoose, Index: 0})
	r.do(Action{Kind: ActChoose, Index: 0})
	if v := r.wantTitle(SceneStaffConfirm, "staff.confirm_block"); fmt.Sprint(v.Lines) != fmt.Sprint([]Text{T("staff.block_detail")}) || v.Staff.Confirm != "staff.block_card" {
		t.Fatalf("confirm block: %v, button %q", v.Lines, v.Staff.Confirm)
	}
	r.press(ActConfirm)
	v := r.wantTitle(SceneStaffDone, "staff.blocked")
	if want := fmt.Sprint([]Text{T("staff.card_of", "赵珺", string(card)), T("staff.blocked_detail")}); fmt.Sprint(v.Lines) != want {
		t.Fatalf("blocked: %v, want %s", v.Lines, want)
	}
	if b := r.balance(p.ID); b.Points != 40 {
		t.Fatalf("balance after 挂失: %d, want 40", b.Points)
	}
	r.press(ActConfirm)
	r.do(Action{Kind: ActStaff, Staff: StaffReplace})
	r.typeDigits(phone)
	r.press(ActConfirm)
	r.do(Action{Kind: ActChoose, Index: 0})
	fresh := r.env.NewUID()
	r.tap(fresh)
	v = r.wantTitle(SceneStaffDone, "staff.card_replaced")
	if want := fmt.Sprint([]Text{T("staff.card_of", "赵珺", string(fresh)), T("staff.points_stay"), T("staff.replaced_detail", string(card))}); fmt.Sprint(v.Lines) != want {
		t.Fatalf("replaced: %v, want %s", v.Lines, want)
	}
	info, err := r.env.LookupCard(context.Background(), fresh)
	if err != nil || info.Balance.Points != 40 {
		t.Fatalf("the new card: %+v, %v", info.Balance, err)
	}
}
