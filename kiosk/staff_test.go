package kiosk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// TestPINPadTakesTheLedgersPINs: the PIN pad takes as many digits as the
// ledger accepts in a PIN and no more, so the longest PIN AddStaff takes
// logs in; one too short never reaches the ledger, so it does not count
// towards the lockout.
func TestPINPadTakesTheLedgersPINs(t *testing.T) {
	r := newRig(t)
	pin := strings.Repeat("7391", ledger.MaxPINDigits)[:ledger.MaxPINDigits]
	uid := r.env.NewUID()
	if _, err := r.env.AddStaff(context.Background(), ledger.AddStaff{ID: record.NewEntryID(), UID: uid, Name: "刘珺", Role: ledger.RoleStaff, PIN: pin}); err != nil {
		t.Fatal(err)
	}
	r.tap(uid)
	r.typeDigits(pin + "5")
	if v := r.want(ScenePIN); v.Pad != pin {
		t.Fatalf("pad = %q after %d digits, want the first %d", v.Pad, len(pin)+1, len(pin))
	}
	r.press(ActConfirm)
	r.wantTitle(SceneStaffMenu, "staff.menu")
	r.press(ActBack)

	short := ledgertest.StaffPIN[:ledger.MinPINDigits-1]
	r.tap(r.env.Staff)
	for range ledger.MaxPINFailures {
		r.typeDigits(short)
		r.press(ActConfirm)
		if v := r.want(ScenePIN); len(v.Lines) != 1 || v.Lines[0].Key != "staff.pin_wrong" || v.Pad != "" {
			t.Fatalf("a %d-digit PIN: lines %v pad %q", len(short), v.Lines, v.Pad)
		}
	}
	r.staffLogin()
}

// TestNumberPadLimit: the number pad (a member number, an amount) keeps its
// own limit, whatever a PIN may be.
func TestNumberPadLimit(t *testing.T) {
	r := newRig(t)
	r.staffLogin()
	r.do(Action{Kind: ActStaff, Staff: StaffBind})
	r.typeDigits(strings.Repeat("1", maxNumber+3))
	if v := r.want(SceneStaffFind); len(v.Pad) != maxNumber {
		t.Fatalf("find pad = %q, want %d digits", v.Pad, maxNumber)
	}
}

// closeFirstShift closes the first open shift from the staff menu.
func (r *rig) closeFirstShift() View {
	r.t.Helper()
	r.do(Action{Kind: ActStaff, Staff: StaffShifts})
	r.want(SceneStaffShifts)
	r.do(Action{Kind: ActChoose, Index: 0})
	r.wantTitle(SceneStaffConfirm, "staff.confirm_close")
	r.press(ActConfirm)
	return r.wantTitle(SceneStaffDone, "staff.shift_closed")
}

// TestStaffClosesAShiftByTheCheckOutRules: a forgotten check-out closed by
// staff is credited as a check-out would be, rounding down to the quarter
// hour, never more than the maximum; it pays no better than checking out.
func TestStaffClosesAShiftByTheCheckOutRules(t *testing.T) {
	r := newRig(t)
	act := r.env.AddActivity(t, "网格巡查", record.Schedule{}, record.Rules{AnyTime: true, RoundMinutes: 15, MaxMinutes: 180,
		PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 60}})
	p, card := r.env.AddPerson(t, "周玥", record.RedVest)
	q, other := r.env.AddPerson(t, "王堃", record.RedVest)
	for _, c := range []record.CardUID{card, other} {
		if _, err := r.env.CheckIn(context.Background(), ledger.CheckIn{ID: record.NewEntryID(), Card: c, Activity: act.ID}); err != nil {
			t.Fatal(err)
		}
	}
	r.env.Clock.Advance(67 * time.Minute)
	if _, err := r.env.CheckOut(context.Background(), ledger.CheckOut{ID: record.NewEntryID(), Card: other}); err != nil {
		t.Fatal(err)
	}
	r.staffLogin()
	r.do(Action{Kind: ActStaff, Staff: StaffShifts})
	r.do(Action{Kind: ActChoose, Index: 0})
	// The confirmation says what will be credited, in words and minutes
	// (the frontend says kiosk.Minutes as 1小时7分钟), before anything is.
	v := r.wantTitle(SceneStaffConfirm, "staff.confirm_close")
	if fmt.Sprint(v.Title.Args) != "[周玥]" || fmt.Sprint(v.Lines[1:]) != fmt.Sprint([]Text{
		T("staff.served", Minutes(67)), T("staff.credited", Minutes(60), int64(60)), T("staff.credit_rounded")}) {
		t.Fatalf("confirm close: %v %v", v.Title, v.Lines)
	}
	if b := r.balance(p.ID); b.Minutes != 0 {
		t.Fatalf("credited %d minutes before 确认", b.Minutes)
	}
	r.press(ActConfirm)
	v = r.wantTitle(SceneStaffDone, "staff.shift_closed")
	if fmt.Sprint(v.Lines) != fmt.Sprint([]Text{T("staff.closed_for", "周玥", "网格巡查"),
		T("staff.served", Minutes(67)), T("staff.credited", Minutes(60), int64(60)), T("staff.credit_rounded")}) {
		t.Fatalf("closed: lines %v", v.Lines)
	}
	if b, want := r.balance(p.ID), r.balance(q.ID); b != want || b.Minutes != 60 {
		t.Fatalf("closed by staff after 67 minutes: %+v; a check-out got %+v, want 60 minutes", b, want)
	}

	// Forgotten for 10 hours: the maximum of 3 hours, not more.
	if _, err := r.env.CheckIn(context.Background(), ledger.CheckIn{ID: record.NewEntryID(), Card: card, Activity: act.ID}); err != nil {
		t.Fatal(err)
	}
	r.env.Clock.Advance(10 * time.Hour)
	r.staffLogin()
	if v := r.closeFirstShift(); fmt.Sprint(v.Lines[2:]) != fmt.Sprint([]Text{T("staff.credited", Minutes(180), int64(180)), T("staff.credit_at_max")}) {
		t.Fatalf("closed after 10 hours: lines %v", v.Lines)
	}
	if b := r.balance(p.ID); b.Minutes != 60+180 {
		t.Fatalf("closed after 10 hours: %d minutes in all, want 60+180", b.Minutes)
	}
}

// entryCount is how many entries the ledger holds.
func (r *rig) entryCount() uint64 {
	r.t.Helper()
	st, err := r.env.SyncState(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	return st.Unsynced
}

// TestStaffActionsAskFirst: reversing a redemption, adjusting points,
// closing a shift, replacing an active card and binding a second active
// card each show what will happen and write nothing until 确认; 返回 leaves
// everything as it was.
func TestStaffActionsAskFirst(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	r.env.AnyTime(t)
	p, card := r.env.AddPerson(t, "欧阳娜娜", record.RedVest)
	r.env.Credit(t, p.ID, 100)
	oil := r.env.AddItem(t, "食用油", 60, 3)
	red, err := r.env.Redeem(ctx, ledger.Redeem{ID: record.NewEntryID(), Card: card, Item: oil.ID})
	if err != nil {
		t.Fatal(err)
	}
	code := red.Code
	r.tap(card)
	r.press(ActCheckIn, ActConfirm, ActHome)
	phone := p.Phone[len(p.Phone)-4:]
	for _, tc := range []struct {
		name     string
		steps    func()
		question Text
		warning  string
		lines    []Text
		verb     string // what the confirming button says
	}{
		{"reverse", func() {
			r.do(Action{Kind: ActStaff, Staff: StaffReverse})
			r.do(Action{Kind: ActChoose, Index: 0})
		}, T("staff.confirm_reverse", "欧阳娜娜", "食用油"), "",
			[]Text{T("staff.code_at", string(code), "09:00"), T("staff.reverse_detail", int64(60), int64(1)), T("staff.balance_after_reverse", int64(40), int64(100))},
			"staff.reverse_redemption"},
		{"adjust", func() {
			r.do(Action{Kind: ActStaff, Staff: StaffAdjust})
			r.typeDigits(phone)
			r.press(ActConfirm)
			r.do(Action{Kind: ActChoose, Index: 0})
			r.typeDigits("30")
			r.press(ActSubtract, ActConfirm)
			r.do(Action{Kind: ActChoose, Index: 1})
		}, T("staff.confirm_adjust", "欧阳娜娜", "−30"), "",
			[]Text{T("staff.reason_is", T("reason.missed_shift")), T("staff.balance_after", int64(40), int64(10))}, "staff.adjust_points"},
		{"close shift", func() {
			r.do(Action{Kind: ActStaff, Staff: StaffShifts})
			r.do(Action{Kind: ActChoose, Index: 0})
		}, T("staff.confirm_close", "欧阳娜娜"), "", nil, "staff.close_shifts"},
		{"replace an active card", func() {
			r.do(Action{Kind: ActStaff, Staff: StaffReplace})
			r.typeDigits(phone)
			r.press(ActConfirm)
			r.do(Action{Kind: ActChoose, Index: 0})
			r.tap("0A0B0C0D")
		}, T("staff.confirm_replace", "欧阳娜娜", string(card), "0A0B0C0D"), "staff.old_card_stops", []Text{T("staff.points_stay")}, "staff.do_replace"},
		{"bind a second card", func() {
			r.do(Action{Kind: ActStaff, Staff: StaffBind})
			r.typeDigits(phone)
			r.press(ActConfirm)
			r.do(Action{Kind: ActChoose, Index: 0})
			r.tap("0A0B0C0E")
		}, T("staff.confirm_bind", "欧阳娜娜", "0A0B0C0E"), "staff.has_active_card",
			[]Text{T("staff.active_card", string(card)), T("staff.both_cards_work")}, "staff.keep_both_cards"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r.staffLogin()
			before := r.entryCount()
			bal := r.balance(p.ID)
			tc.steps()
			v := r.want(SceneStaffConfirm)
			if fmt.Sprint(v.Title) != fmt.Sprint(tc.question) || v.Staff.Warning.Key != tc.warning || v.Staff.Confirm != tc.verb {
				t.Fatalf("confirm: %v, warning %v, button %q; want %v, %q, %q", v.Title, v.Staff.Warning, v.Staff.Confirm, tc.question, tc.warning, tc.verb)
			}
			if tc.lines != nil && fmt.Sprint(v.Lines) != fmt.Sprint(tc.lines) {
				t.Fatalf("confirm lines %v, want %v", v.Lines, tc.lines)
			}
			r.press(ActBack)
			r.want(SceneStaffMenu)
			if n := r.entryCount(); n != before || r.balance(p.ID) != bal {
				t.Fatalf("返回 on the confirmation wrote %d entries", n-before)
			}
			if info, err := r.env.LookupCard(ctx, card); err != nil || info.OpenShift == nil {
				t.Fatalf("after 返回 the card %v, open shift %v", err, info.OpenShift)
			}
			for _, c := range []record.CardUID{"0A0B0C0D", "0A0B0C0E"} {
				if _, err := r.env.LookupCard(ctx, c); !errors.Is(err, ledger.ErrUnknownCard) {
					t.Fatalf("after 返回 card %s: %v, want unknown", c, err)
				}
			}
			r.press(ActBack)
		})
	}
	// And 确认 does it: the active card replaced, the old one refused.
	r.staffLogin()
	r.do(Action{Kind: ActStaff, Staff: StaffReplace})
	r.typeDigits(phone)
	r.press(ActConfirm)
	r.do(Action{Kind: ActChoose, Index: 0})
	r.tap("0A0B0C0D")
	r.press(ActConfirm)
	r.wantTitle(SceneStaffDone, "staff.card_replaced")
	if _, err := r.env.LookupCard(ctx, card); !errors.Is(err, ledger.ErrCardLost) {
		t.Fatalf("the replaced card: %v", err)
	}
	r.env.MustVerify(t)
}

// TestStaffBlocksALostCard: 挂失 finds the person, lists their active
// cards, confirms, and the card is refused from then on; a new card for it
// is then a replacement of a lost card, with nothing to confirm.
func TestStaffBlocksALostCard(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	p, card := r.env.AddPerson(t, "赵珺", record.GreenVest)
	r.env.Credit(t, p.ID, 40)
	phone := p.Phone[len(p.Phone)-4:]
	r.staffLogin()
	r.do(Action{Kind: ActStaff, Staff: StaffBlock})
	r.wantTitle(SceneStaffFind, "staff.find_person")
	r.typeDigits(phone)
	r.press(ActConfirm)
	r.do(Action{Kind: ActChoose, Index: 0})
	v := r.wantTitle(SceneStaffCards, "staff.choose_card")
	if len(v.Choices) != 1 || v.Choices[0].Label != string(card) {
		t.Fatalf("cards = %+v", v.Choices)
	}
	r.do(Action{Kind: ActChoose, Index: 0})
	v = r.wantTitle(SceneStaffConfirm, "staff.confirm_block")
	if fmt.Sprint(v.Title.Args) != fmt.Sprint([]any{"赵珺", string(card)}) {
		t.Fatalf("confirm block: %v", v.Title)
	}
	if _, err := r.env.LookupCard(ctx, card); err != nil {
		t.Fatalf("blocked before 确认: %v", err)
	}
	r.press(ActConfirm)
	r.wantTitle(SceneStaffDone, "staff.blocked")
	if _, err := r.env.LookupCard(ctx, card); !errors.Is(err, ledger.ErrCardLost) {
		t.Fatalf("blocked card: %v, want lost", err)
	}
	r.press(ActConfirm)
	// No active card left to block.
	r.do(Action{Kind: ActStaff, Staff: StaffBlock})
	r.typeDigits(phone)
	r.press(ActConfirm)
	r.do(Action{Kind: ActChoose, Index: 0})
	if v := r.wantTitle(SceneStaffDone, "result.refused"); v.Lines[0].Key != "staff.no_active_card" || v.Tone != ToneRefusal {
		t.Fatalf("no active card: %v", v.Lines)
	}
	r.press(ActConfirm)
	// The lost card is replaced without a question; the balance moves.
	r.do(Action{Kind: ActStaff, Staff: StaffReplace})
	r.typeDigits(phone)
	r.press(ActConfirm)
	r.do(Action{Kind: ActChoose, Index: 0})
	fresh := r.env.NewUID()
	r.tap(fresh)
	r.wantTitle(SceneStaffDone, "staff.card_replaced")
	if info, err := r.env.LookupCard(ctx, fresh); err != nil || info.Balance.Points != 40 {
		t.Fatalf("the new card: %+v, %v", info.Balance, err)
	}
	r.env.MustVerify(t)
}

// TestStaffHandsOutAPickupCode: 核销取货 lists today's waiting redemptions
// after 输入取货码; a pick or a typed code is confirmed and recorded with
// the operator; a code handed out is not offered again and, typed, says
// when and by whom; the reversal list shows it as handed out and refuses it.
func TestStaffHandsOutAPickupCode(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	p, card := r.env.AddPerson(t, "周玥", record.Resident)
	r.env.Credit(t, p.ID, 200)
	rice := r.env.AddItem(t, "大米", 80, 5)
	first, err := r.env.Redeem(ctx, ledger.Redeem{ID: record.NewEntryID(), Card: card, Item: rice.ID})
	if err != nil {
		t.Fatal(err)
	}
	r.env.Clock.Advance(time.Minute)
	second, err := r.env.Redeem(ctx, ledger.Redeem{ID: record.NewEntryID(), Card: card, Item: rice.ID})
	if err != nil {
		t.Fatal(err)
	}
	r.env.Clock.Advance(20 * time.Minute)
	r.staffLogin()
	r.do(Action{Kind: ActStaff, Staff: StaffHandOut})
	v := r.wantTitle(SceneStaffHandouts, "staff.hand_out")
	if len(v.Choices) != 3 || v.Choices[0].Detail.Key != "staff.type_code" || v.Choices[1].Label != "大米" {
		t.Fatalf("hand-out list = %+v", v.Choices)
	}
	r.do(Action{Kind: ActChoose, Index: 1})
	v = r.wantTitle(SceneStaffConfirm, "staff.confirm_hand_out")
	if fmt.Sprint(v.Title.Args) != fmt.Sprint([]any{string(first.Code)}) ||
		fmt.Sprint(v.Lines) != fmt.Sprint([]Text{T("staff.hand_out_what", "周玥", "大米", int64(1)), T("staff.redeemed_at", "09:00")}) {
		t.Fatalf("confirm hand-out: %v %v", v.Title, v.Lines)
	}
	r.press(ActConfirm)
	r.wantTitle(SceneStaffDone, "staff.handed_out")
	recs, err := r.env.Redemptions(ctx, "2026-03-02")
	if err != nil || len(recs) != 2 || recs[0].HandedOut.Operator != r.env.Staff || !recs[0].HandedOut.At.Equal(r.env.Clock.Now()) {
		t.Fatalf("redemptions after the hand-out: %+v, %v", recs, err)
	}
	r.press(ActConfirm)

	// Typed: the second code is handed out; the first says when and by whom.
	r.do(Action{Kind: ActStaff, Staff: StaffHandOut})
	if v := r.want(SceneStaffHandouts); len(v.Choices) != 2 {
		t.Fatalf("after one hand-out the list is %+v", v.Choices)
	}
	r.do(Action{Kind: ActChoose, Index: 0})
	r.wantTitle(SceneStaffFind, "staff.enter_code")
	r.typeDigits(string(first.Code))
	r.press(ActConfirm)
	handed := fmt.Sprint([]Text{T("staff.handed_out_by", "09:21", "值班员")})
	if v := r.want(SceneStaffFind); fmt.Sprint(v.Lines) != handed {
		t.Fatalf("a code handed out, typed: %v, want %s", v.Lines, handed)
	}
	r.press(ActClear)
	wrong := "0000"
	if first.Code == "0000" || second.Code == "0000" {
		wrong = "9999"
	}
	r.typeDigits(wrong)
	r.press(ActConfirm)
	if v := r.want(SceneStaffFind); len(v.Lines) != 1 || v.Lines[0].Key != "staff.code_not_found" {
		t.Fatalf("an unknown code: %v", v.Lines)
	}
	r.press(ActClear)
	r.typeDigits(string(second.Code))
	r.press(ActConfirm)
	r.wantTitle(SceneStaffConfirm, "staff.confirm_hand_out")
	r.press(ActConfirm)
	r.wantTitle(SceneStaffDone, "staff.handed_out")
	r.press(ActConfirm)

	// The reversal list says which were handed out, marked as not to be
	// reversed; touched anyway, the refusal says why in its headline.
	r.do(Action{Kind: ActStaff, Staff: StaffReverse})
	v = r.want(SceneStaffRedemptions)
	if len(v.Choices) != 2 || v.Choices[0].Detail.Key != "staff.redemption_handed_out" || v.Choices[0].Refusal != "staff.not_reversible_handed_out" {
		t.Fatalf("reversal list = %+v", v.Choices)
	}
	r.do(Action{Kind: ActChoose, Index: 0})
	if v := r.wantTitle(SceneStaffDone, "staff.not_reversible_handed_out"); fmt.Sprint(v.Lines) != handed || v.Tone != ToneRefusal {
		t.Fatalf("reversing a handed-out redemption: %v", v.Lines)
	}
	if b := r.balance(p.ID); b.Points != 40 {
		t.Fatalf("balance %d after a refused reversal, want 40", b.Points)
	}
}

// TestStaffFindByTheDigitsOfAMemberNumber: the pad types digits, member
// numbers have letters: HPL0012 is found by 12.
func TestStaffFindByTheDigitsOfAMemberNumber(t *testing.T) {
	r := newRig(t)
	if _, err := r.env.EnrolPerson(context.Background(), ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: "HPL0012", Name: "孙燊", Kind: record.RedVest}); err != nil {
		t.Fatal(err)
	}
	r.staffLogin()
	r.do(Action{Kind: ActStaff, Staff: StaffAdjust})
	r.typeDigits("12")
	r.press(ActConfirm)
	v := r.wantTitle(SceneStaffPeople, "staff.choose_person_for")
	if fmt.Sprint(v.Title.Args) != fmt.Sprint([]any{T("staff.adjust_points")}) || len(v.Choices) != 1 || v.Choices[0].Label != "孙燊" {
		t.Fatalf("people = %+v", v.Choices)
	}
}

// TestStaffListsKeepEveryone: a search finding more people than a list
// holds asks for more digits instead of cutting it short; every item is
// offered to restock.
func TestStaffListsKeepEveryone(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	err := r.env.Batch(ctx, func(b *ledger.Batch) error {
		for i := range maxFound + 1 {
			if _, err := b.EnrolPerson(ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: fmt.Sprintf("HPL%d0077", i), Name: "王堃",
				Phone: "1380000" + "7777", Kind: record.RedVest}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		r.env.AddItem(t, fmt.Sprintf("物品%02d", i+1), 10, 1)
	}
	r.staffLogin()
	r.do(Action{Kind: ActStaff, Staff: StaffBind})
	r.typeDigits("7777")
	r.press(ActConfirm)
	if v := r.want(SceneStaffFind); fmt.Sprint(v.Lines) != fmt.Sprint([]Text{T("staff.too_many", maxFound)}) {
		t.Fatalf("%d people found: lines %v", maxFound+1, v.Lines)
	}
	r.press(ActBack)
	r.do(Action{Kind: ActStaff, Staff: StaffRestock})
	if v := r.want(SceneStaffItems); len(v.Choices) != 25 {
		t.Fatalf("restock offers %d of 25 items", len(v.Choices))
	}
}

// TestStaffSeeFullNames: after the PIN, the lists and results name people
// in full; the PIN scene names whose card was tapped.
func TestStaffSeeFullNames(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	p, card := r.env.AddPerson(t, "欧阳娜娜", record.Resident)
	r.env.Credit(t, p.ID, 100)
	oil := r.env.AddItem(t, "食用油", 60, 1)
	if _, err := r.env.Redeem(ctx, ledger.Redeem{ID: record.NewEntryID(), Card: card, Item: oil.ID}); err != nil {
		t.Fatal(err)
	}
	r.tap(r.env.Staff)
	if v := r.want(ScenePIN); v.Staff.Name != "值班员" {
		t.Fatalf("PIN scene for %q", v.Staff.Name)
	}
	r.typeDigits(ledgertest.StaffPIN)
	r.press(ActConfirm)
	r.do(Action{Kind: ActStaff, Staff: StaffReverse})
	if v := r.want(SceneStaffRedemptions); len(v.Choices) != 1 || fmt.Sprint(v.Choices[0].Detail.Args[0]) != "欧阳娜娜" {
		t.Fatalf("redemptions = %+v", v.Choices)
	}
	r.do(Action{Kind: ActChoose, Index: 0})
	r.press(ActConfirm)
	if v := r.wantTitle(SceneStaffDone, "staff.reversed"); fmt.Sprint(v.Lines[0].Args[0]) != "欧阳娜娜" {
		t.Fatalf("reversed: %v", v.Lines)
	}
}

// TestReaderTestShowsTheReaders: the reader test carries every reader's
// state, read again at each tap.
func TestReaderTestShowsTheReaders(t *testing.T) {
	env := ledgertest.MustOpen(t)
	taps := uint64(0)
	status := func() []rfid.Status {
		return []rfid.Status{
			{Kind: rfid.KindSim, Device: "sim", State: rfid.StateOK, Taps: taps},
			{Kind: rfid.KindMFRC522, Device: "/dev/spidev0.0", State: rfid.StateAbsent, Err: errors.New("no SPI device /dev/spidev0.0")},
		}
	}
	term := New(env.Ledger, Options{Clock: env.Clock, ReaderStatus: status})
	t.Cleanup(term.Close)
	r := &rig{t: t, env: env, term: term}
	term.Settle()
	r.staffLogin()
	r.do(Action{Kind: ActStaff, Staff: StaffReader})
	if v := r.want(SceneStaffReader); len(v.Staff.Readers) != 2 || v.Staff.Readers[1].State != rfid.StateAbsent || v.Staff.Readers[0].Taps != 0 {
		t.Fatalf("readers = %+v", v.Staff.Readers)
	}
	taps = 1
	r.tap("0A0B0C0D")
	if v := r.want(SceneStaffReader); v.Staff.LastUID != "0A0B0C0D" || v.Staff.Readers[0].Taps != 1 {
		t.Fatalf("after a tap: %q, %+v", v.Staff.LastUID, v.Staff.Readers)
	}
}
