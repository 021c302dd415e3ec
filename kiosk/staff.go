package kiosk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

// StaffAction is an entry of the staff menu.
type StaffAction uint8

// Staff menu entries.
const (
	StaffBind    StaffAction = iota + 1 // bind a card to a registered person (绑定新卡)
	StaffEnrol                          // a walk-in: a provisional person and a card (登记新志愿者)
	StaffReplace                        // a person moves from a lost or an active card to a new one (换卡/补卡)
	StaffAdjust                         // points up or down with a reason (调整积分)
	StaffReverse                        // undo one of today's redemptions; stock comes back (撤销兑换)
	StaffRestock                        // add stock of an item (补充库存)
	StaffShifts                         // close shifts nobody closed (代为签退)
	StaffSync                           // sync with the hub now (立即同步)
	StaffReader                         // reader test
	StaffSummary                        // today's summary (今日汇总)
	StaffBlock                          // report a card lost without replacing it (挂失)
	StaffHandOut                        // hand out the goods of a pickup code (核销取货)
)

// staffMenu is the menu, in the order it is drawn.
var staffMenu = []MenuItem{
	{"staff.hand_out", StaffHandOut},
	{"staff.bind_card", StaffBind},
	{"staff.new_person", StaffEnrol},
	{"staff.replace_card", StaffReplace},
	{"staff.block_card", StaffBlock},
	{"staff.adjust_points", StaffAdjust},
	{"staff.reverse_redemption", StaffReverse},
	{"staff.restock", StaffRestock},
	{"staff.close_shifts", StaffShifts},
	{"staff.sync_now", StaffSync},
	{"staff.reader_test", StaffReader},
	{"staff.summary", StaffSummary},
}

// AdjustReasons are the reasons staff pick for an adjustment, as catalog
// keys; the ledger stores their Chinese words (Options.Words).
var AdjustReasons = []string{"reason.correction", "reason.missed_shift", "reason.reward", "reason.other"}

// maxNumber is the most digits the number pad takes: a member number, a
// phone's last digits, an amount. The PIN pad takes ledger.MaxPINDigits.
const maxNumber = 10

// maxFound is the most people a search lists; more asks for more digits,
// so a list is never cut short without a word.
const maxFound = 100

// staffFlow is a staff session: who logged in and where in an action they are.
type staffFlow struct {
	pinFor ledger.Staff // tapped, PIN not yet right
	staff  ledger.Staff // logged in
	action StaffAction
	people []ledger.Person
	target ledger.Person

	redemptions []ledger.RedemptionRecord // to reverse, or to hand out
	items       []ledger.Offer
	item        ledger.Item
	shifts      []ledger.Shift
	cards       []ledger.Card
	amount      int64
	// confirm is what 确认 on the confirm scene does.
	confirm func()
}

func (f *staffFlow) loggedIn() bool { return f.staff.UID != "" }

func (t *Terminal) staffTapped(s ledger.Staff) {
	t.flow = staffFlow{pinFor: s}
	t.view.Staff = StaffView{Name: s.Name, Role: s.Role}
	t.view.Pad = ""
	t.show(ScenePIN, ToneNone)
	t.view.Title = T("staff.pin")
}

func (t *Terminal) pressStaff(a Action) {
	switch t.view.Scene {
	case ScenePIN:
		t.pressPIN(a)
		return
	}
	if !t.flow.loggedIn() {
		t.goIdle()
		return
	}
	if a.Kind == ActBack && t.view.Scene != SceneStaffMenu {
		t.staffMenu()
		return
	}
	choice := func(n int) (int, bool) { return a.Index, a.Kind == ActChoose && a.Index >= 0 && a.Index < n }
	switch t.view.Scene {
	case SceneStaffMenu:
		switch a.Kind {
		case ActBack:
			t.goIdle()
		case ActStaff:
			if slices.ContainsFunc(t.view.Staff.Menu, func(m MenuItem) bool { return m.Action == a.Staff }) {
				t.startStaffAction(a.Staff)
			}
		}
	case SceneStaffFind:
		if t.pad(a) {
			t.find()
		}
	case SceneStaffPeople:
		if i, ok := choice(len(t.flow.people)); ok {
			t.personChosen(t.flow.people[i])
		}
	case SceneStaffAmount:
		if t.pad(a) {
			t.amountEntered()
		}
	case SceneStaffReasons:
		if i, ok := choice(len(AdjustReasons)); ok {
			t.confirmAdjust(AdjustReasons[i])
		}
	case SceneStaffRedemptions:
		if i, ok := choice(len(t.flow.redemptions)); ok {
			t.confirmReverse(t.flow.redemptions[i])
		}
	case SceneStaffItems:
		if i, ok := choice(len(t.flow.items)); ok {
			t.flow.item = t.flow.items[i].Item
			t.askAmount()
		}
	case SceneStaffShifts:
		if i, ok := choice(len(t.flow.shifts)); ok {
			t.confirmClose(t.flow.shifts[i])
		}
	case SceneStaffCards:
		if i, ok := choice(len(t.flow.cards)); ok {
			t.confirmBlock(t.flow.cards[i])
		}
	case SceneStaffHandouts:
		// The first choice is 输入取货码; the redemptions follow.
		if i, ok := choice(len(t.flow.redemptions) + 1); ok {
			if i == 0 {
				t.askCode()
			} else {
				t.confirmHandOut(t.flow.redemptions[i-1])
			}
		}
	case SceneStaffConfirm:
		if a.Kind == ActConfirm && t.flow.confirm != nil {
			do := t.flow.confirm
			t.flow.confirm = nil
			do()
		}
	case SceneStaffDone, SceneStaffSummary, SceneStaffReader, SceneStaffSync:
		if a.Kind == ActConfirm {
			t.staffMenu()
		}
	}
}

// words is the stored wording of a catalog key (reasons go into the ledger
// in words, not keys).
func (t *Terminal) words(key string) string {
	if t.opts.Words != nil {
		return t.opts.Words(key)
	}
	return key
}

// pad applies a touch to the PIN or number pad: the frontend sends every
// key, and the pad's digits and its limits are kept here alone. It returns
// true on 确认 with something typed.
func (t *Terminal) pad(a Action) bool {
	limit := maxNumber
	if t.view.Scene == ScenePIN {
		limit = ledger.MaxPINDigits
	}
	switch a.Kind {
	case ActDigit:
		if a.Digit >= 0 && a.Digit <= 9 && len(t.view.Pad) < limit {
			t.view.Pad += string(rune('0' + a.Digit))
			t.view.Lines = nil
			t.changed()
		}
	case ActClear:
		t.view.Pad, t.view.Negative = "", false
		t.changed()
	case ActDelete:
		if n := len(t.view.Pad); n > 0 {
			t.view.Pad = t.view.Pad[:n-1]
			t.changed()
		}
	case ActAdd, ActSubtract:
		if t.view.Signed {
			t.view.Negative = a.Kind == ActSubtract
			t.changed()
		}
	case ActConfirm:
		return t.view.Pad != ""
	}
	return false
}

func (t *Terminal) pressPIN(a Action) {
	if a.Kind == ActBack {
		t.goIdle()
		return
	}
	if !t.pad(a) {
		return
	}
	uid, pin := t.flow.pinFor.UID, t.view.Pad
	if len(pin) < ledger.MinPINDigits {
		// No PIN is this short: wrong, without asking the ledger (and
		// without counting towards the lockout).
		t.view.Pad = ""
		t.cue(ToneRefusal)
		t.view.Lines = []Text{T("staff.pin_wrong")}
		t.changed()
		return
	}
	t.run(true, func(ctx context.Context) func() {
		var s ledger.Staff
		err := t.write(ctx, func() (err error) { s, err = t.led.CheckPIN(ctx, uid, pin); return err })
		return func() {
			t.view.Pad = ""
			var pe *ledger.PINError
			switch {
			case errors.Is(err, ledger.ErrPINWrong) && errors.As(err, &pe):
				t.cue(ToneRefusal)
				t.view.Lines = []Text{T("staff.pin_wrong_left", pe.Left)}
				t.changed()
			case errors.Is(err, ledger.ErrPINLocked) && errors.As(err, &pe):
				t.notice(ToneRefusal, T("staff.pin_locked"), T("staff.menu_of", t.flow.pinFor.Name), T("staff.pin_locked_until", t.when(pe.Until)))
			case errors.Is(err, ledger.ErrStaffDisabled): // disabled while its PIN was typed
				t.notice(ToneRefusal, T("staff.disabled"), T("staff.disabled_hint"))
			case err != nil:
				t.failed(err)
			default:
				t.flow.staff = s
				t.staffMenu()
			}
		}
	})
}

// when is a time as staff read it, in the center's zone: 15:32 today, and
// on another day with its date (11月26日 15:32, the catalog's words): a
// lock or a hand-out may be on either side of midnight.
func (t *Terminal) when(at time.Time) any {
	at = at.In(t.loc())
	if sameDay(at, t.clk.Now(), t.loc()) {
		return at.Format("15:04")
	}
	return T("time.day_at", int(at.Month()), at.Day(), at.Format("15:04"))
}

func (t *Terminal) staffMenu() {
	f := staffFlow{pinFor: t.flow.pinFor, staff: t.flow.staff}
	t.flow = f
	t.view.Staff.Menu = t.menu()
	t.view.Staff.Target, t.view.Staff.TargetProvisional = "", false
	t.view.Staff.Warning = Text{}
	t.view.Staff.Confirm = ""
	t.view.Pad, t.view.Negative, t.view.Signed = "", false, false
	t.view.Choices = nil
	t.show(SceneStaffMenu, ToneNone)
	t.view.Title = T("staff.menu")
	t.loadStanding()
}

func (t *Terminal) startStaffAction(a StaffAction) {
	t.flow.action = a
	switch a {
	case StaffBind, StaffReplace, StaffAdjust, StaffBlock:
		t.view.Pad = ""
		t.show(SceneStaffFind, ToneNone)
		t.view.Title = T("staff.find_person", T(menuKey(a)))
	case StaffEnrol:
		// A walk-in has no member number yet: the ledger makes one.
		t.view.Staff.Target, t.view.Staff.TargetProvisional = "", true
		t.askCard()
	case StaffReverse:
		t.listRedemptions()
	case StaffRestock:
		t.listItems()
	case StaffShifts:
		t.listShifts()
	case StaffSync:
		t.syncNow()
	case StaffReader:
		t.readerTest()
	case StaffSummary:
		t.summary()
	case StaffHandOut:
		t.listHandouts()
	}
}

// menuKey is the catalog key of a staff action's menu entry: the scenes
// after the menu say which action they are for.
func menuKey(a StaffAction) string {
	for _, m := range staffMenu {
		if m.Action == a {
			return m.Key
		}
	}
	return "staff.menu"
}

// find looks people up by the pad's digits (or a pickup code up, when
// handing out).
func (t *Terminal) find() {
	query := t.view.Pad
	if t.flow.action == StaffHandOut {
		t.findCode(ledger.PickupCode(query))
		return
	}
	t.run(false, func(ctx context.Context) func() {
		people, err := t.led.FindPeople(ctx, query, maxFound+1)
		return func() {
			switch {
			case err != nil:
				t.failed(err)
			case len(people) == 0:
				t.padRefused(T("staff.not_found"))
			case len(people) > maxFound:
				t.padRefused(T("staff.too_many", maxFound))
			default:
				t.flow.people = people
				t.view.Choices = t.view.Choices[:0]
				for _, p := range people {
					detail := T("staff.person_detail", p.MemberNo, p.Phone)
					switch {
					case p.Provisional:
						// Its member number is long and holds the terminal's
						// id; the label has the digits staff type.
						detail = T("staff.walk_in_since", t.when(p.CreatedAt))
					case p.Phone == "":
						detail = T("staff.member_no", p.MemberNo)
					}
					t.view.Choices = append(t.view.Choices, Choice{Label: viewName(p), Provisional: p.Provisional, Detail: detail})
				}
				t.show(SceneStaffPeople, ToneNone)
				t.view.Title = T("staff.choose_person_for", T(menuKey(t.flow.action)))
			}
		}
	})
}

// padRefused keeps the pad and says why what was typed found nothing.
func (t *Terminal) padRefused(line Text) {
	t.cue(ToneRefusal)
	t.view.Lines = []Text{line}
	t.changed()
}

// personChosen goes on with the person found.
func (t *Terminal) personChosen(p ledger.Person) {
	t.flow.target = p
	t.view.Staff.Target, t.view.Staff.TargetProvisional = viewName(p), p.Provisional
	switch t.flow.action {
	case StaffAdjust:
		t.askAdjustment(p)
	case StaffBlock:
		t.listCards(p)
	default:
		t.askCard()
	}
}

// WalkInKey is the catalog key of a walk-in's words in place of a name,
// with its short number: 待补登记 772601. Every walk-in is 待补登记 until the
// district's hub completes the registration; the number tells them apart
// in a list, and is what staff type to find them.
const WalkInKey = "person.walk_in"

// WalkInNo is the short number of a walk-in's member number: its last run
// of digits (772601 of 3F9A0B12C4D5E6F7-772601), which FindPeople finds it
// by; the whole number when it has no digits.
func WalkInNo(memberNo string) string {
	end := strings.LastIndexFunc(memberNo, isDigit) + 1
	start := strings.LastIndexFunc(memberNo[:end], func(r rune) bool { return !isDigit(r) }) + 1
	if end == 0 {
		return memberNo
	}
	return memberNo[start:end]
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// viewName is a person's name as a view carries it: the name, or for a
// walk-in (Provisional) its short number, which a frontend shows with
// WalkInKey's words.
func viewName(p ledger.Person) string {
	if p.Provisional {
		return WalkInNo(p.MemberNo)
	}
	return p.Name
}

// who is a person as staff scenes name them: the full name (staff have
// given their PIN; masking is for the public screens), or for a
// provisional person the Text of WalkInKey, for the frontend to look up.
func who(p ledger.Person) any { return personWords(p.Name, p.MemberNo, p.Provisional) }

func personWords(name, memberNo string, provisional bool) any {
	if provisional {
		return T(WalkInKey, WalkInNo(memberNo))
	}
	return name
}

// Signed is a number of points with its sign, as the adjustment pad shows
// it: +120, −20 (a minus sign, not a hyphen).
func Signed(n int64) string {
	switch {
	case n > 0:
		return "+" + strconv.FormatInt(n, 10)
	case n < 0:
		return "−" + strconv.FormatInt(-n, 10)
	}
	return "0"
}

func (t *Terminal) askCard() {
	t.show(SceneStaffTapCard, ToneNone)
	t.view.Title = T("staff.tap_new_card")
}

func (t *Terminal) askAmount() {
	t.view.Pad, t.view.Negative = "", false
	t.view.Signed = false
	t.show(SceneStaffAmount, ToneNone)
	t.view.Title = T("staff.restock_amount", t.flow.item.Name)
}

// askAdjustment reads the person's balance, then asks for the points to
// add or take off: the pad names whom and says what they have.
func (t *Terminal) askAdjustment(p ledger.Person) {
	t.run(false, func(ctx context.Context) func() {
		bal, err := t.led.Balance(ctx, p.ID)
		return func() {
			if err != nil {
				t.failed(err)
				return
			}
			t.view.Pad, t.view.Negative = "", false
			t.view.Signed = true
			t.show(SceneStaffAmount, ToneNone)
			t.view.Title = T("staff.adjust_amount", who(p), bal.Points)
		}
	})
}

func (t *Terminal) amountEntered() {
	var n int64
	if _, err := fmt.Sscan(t.view.Pad, &n); err != nil || n == 0 {
		return
	}
	if t.flow.action == StaffRestock {
		t.restock(n)
		return
	}
	if t.view.Negative {
		n = -n
	}
	t.flow.amount = n
	t.view.Choices = t.view.Choices[:0]
	for _, r := range AdjustReasons {
		t.view.Choices = append(t.view.Choices, Choice{Detail: T(r)})
	}
	t.show(SceneStaffReasons, ToneNone)
	t.view.Title = T("staff.reason")
}

// confirmStaff asks before an action the same person cannot undo: the
// question names what will happen, the lines the details, warning what to
// look out for, verb (a catalog key) what the confirming button does; it
// runs do, 返回 goes back to the menu.
func (t *Terminal) confirmStaff(verb string, question Text, warning Text, lines []Text, do func()) {
	t.flow.confirm = do
	t.show(SceneStaffConfirm, ToneNone)
	t.view.Title = question
	t.view.Lines = lines
	t.view.Staff.Warning = warning
	t.view.Staff.Confirm = verb
}

// staffDone shows a staff action's success.
func (t *Terminal) staffDone(title Text, lines ...Text) {
	t.view.Staff.Warning, t.view.Staff.Confirm = Text{}, ""
	t.show(SceneStaffDone, ToneSuccess)
	t.view.Title = title
	t.view.Lines = lines
}

// staffRefused says why the ledger refused. On the tap-card scene and on a
// pad the scene stays, for the staff member to tap another card or type
// again; elsewhere (a confirmation, a list) the action ends there.
func (t *Terminal) staffRefused(err error) {
	var line Text
	title := T("result.refused")
	var he *ledger.HandedOutError
	switch {
	case errors.As(err, &he):
		line = T("staff.handed_out_by", t.when(he.Handout.At), he.Handout.By)
		if t.flow.action == StaffReverse {
			title = T("staff.not_reversible_handed_out")
		}
	case errors.Is(err, ledger.ErrRedemptionReversed):
		line = T("staff.code_reversed")
	case errors.Is(err, ledger.ErrCardInUse):
		line = T("staff.card_in_use")
	case errors.Is(err, ledger.ErrNotFound):
		line = T("staff.not_found")
	case errors.Is(err, ledger.ErrNotReversible):
		line = T("staff.not_reversible")
	case errors.Is(err, ledger.ErrNoOpenShift):
		line = T("staff.shift_not_open")
	case errors.Is(err, ledger.ErrInvalid):
		line = T("staff.invalid")
	case errors.Is(err, ledger.ErrOutOfStock):
		line = T("refusal.out_of_stock")
	case errors.Is(err, ledger.ErrInsufficientPoints):
		key, args := refusal(err)
		line = T(key, args...)
	case errors.Is(err, ledger.ErrUnknownCard), errors.Is(err, ledger.ErrCardLost), errors.Is(err, ledger.ErrCardRevoked):
		line = T("staff.card_refused")
	case errors.Is(err, ledger.ErrStaffDisabled): // this staff card, disabled while in use
		t.notice(ToneRefusal, T("staff.disabled"), T("staff.disabled_hint"))
		return
	default:
		t.failed(err)
		return
	}
	switch t.view.Scene {
	case SceneStaffTapCard:
		t.cardRefused(line)
	case SceneStaffFind, SceneStaffAmount:
		t.padRefused(line)
	default:
		t.view.Staff.Warning, t.view.Staff.Confirm = Text{}, ""
		t.show(SceneStaffDone, ToneRefusal)
		t.view.Title = title
		t.view.Lines = []Text{line}
	}
}

// cardRefused says on the tap-card scene what is wrong with the card just
// tapped, as its headline, and to tap another.
func (t *Terminal) cardRefused(problem Text) {
	t.cue(ToneRefusal)
	t.view.Title = problem
	t.view.Lines = []Text{T("staff.tap_other_card")}
	t.changed()
}

// cardTaken is what a card already in the ledger is, for staff: whose it is
// (a person's in use or stopped, or a staff card).
func cardTaken(info ledger.CardInfo) Text {
	switch {
	case info.Staff != nil:
		return T("staff.card_is_staff", info.Staff.Name)
	case info.Person != nil && info.Card.State != ledger.CardActive:
		return T("staff.card_stopped_of", who(*info.Person))
	case info.Person != nil:
		return T("staff.card_in_use_by", who(*info.Person))
	}
	return T("staff.card_in_use")
}

// newCardTapped binds, replaces or registers with the card just tapped.
// The card is checked first, so a card in use is refused before anything is
// asked or written.
func (t *Terminal) newCardTapped(uid record.CardUID) {
	if t.view.Busy {
		return // a card tapped while the last one is looked up: one at a time
	}
	f := t.flow
	t.run(false, func(ctx context.Context) func() {
		info, err := t.led.LookupCard(ctx, uid)
		if err == nil || errors.Is(err, ledger.ErrCardLost) || errors.Is(err, ledger.ErrCardRevoked) || errors.Is(err, ledger.ErrStaffDisabled) {
			taken := cardTaken(info)
			return func() { t.cardRefused(taken) }
		}
		if errors.Is(err, ledger.ErrUnknownCard) {
			err = nil
		}
		var cards []ledger.Card
		var old record.CardUID
		if err == nil && f.action == StaffBind {
			cards, err = t.led.Cards(ctx, f.target.ID)
		}
		var oldState ledger.CardState
		if err == nil && f.action == StaffReplace {
			old, oldState, err = t.replaceableCard(ctx, f.target.ID)
		}
		return func() {
			if err != nil {
				t.staffRefused(err)
				return
			}
			switch f.action {
			case StaffEnrol:
				t.enrolWalkIn(uid)
			case StaffBind:
				t.bindCard(uid, cards)
			case StaffReplace:
				t.replaceCard(uid, old, oldState)
			}
		}
	})
}

// bindCard binds uid to the person, asking first when they have an active
// card already: a second card is seldom meant.
func (t *Terminal) bindCard(uid record.CardUID, cards []ledger.Card) {
	f := t.flow
	req := ledger.BindCard{ID: record.NewEntryID(), Person: f.target.ID, UID: uid, Operator: f.staff.UID}
	bind := func() {
		t.run(true, func(ctx context.Context) func() {
			err := t.write(ctx, func() error { _, err := t.led.BindCard(ctx, req); return err })
			return func() {
				if err != nil {
					t.staffRefused(err)
					return
				}
				t.staffDone(T("staff.card_bound"), T("staff.card_of", who(f.target), string(uid)))
			}
		})
	}
	for _, c := range cards {
		if c.State == ledger.CardActive {
			// The button says what happens: both cards work. A card to be
			// given up is 换卡/补卡's business, which 返回 leads back to.
			t.confirmStaff("staff.keep_both_cards", T("staff.confirm_bind", who(f.target), string(uid)), T("staff.has_active_card"),
				[]Text{T("staff.active_card", string(c.UID)), T("staff.both_cards_work")}, bind)
			return
		}
	}
	bind()
}

// enrolWalkIn registers a walk-in with the card just tapped: a provisional
// person with no name (the hub completes it) and a member number the ledger
// makes, whose short number (WalkInNo) the done scene shows for staff to
// find them by.
func (t *Terminal) enrolWalkIn(uid record.CardUID) {
	op := t.flow.staff.UID
	enrol := ledger.EnrolPerson{ID: record.NewEntryID(), Kind: record.GreenVest, Provisional: true}
	bind := ledger.BindCard{ID: record.NewEntryID(), UID: uid, Operator: op}
	t.run(true, func(ctx context.Context) func() {
		var p ledger.Person
		err := t.write(ctx, func() (err error) { p, err = t.led.EnrolPerson(ctx, enrol); return err })
		if err == nil {
			bind.Person = p.ID
			err = t.write(ctx, func() error { _, err := t.led.BindCard(ctx, bind); return err })
		}
		return func() {
			if err != nil {
				t.staffRefused(err)
				return
			}
			t.staffDone(T("staff.walk_in_done"), T("staff.walk_in_find", WalkInNo(p.MemberNo)), T("staff.card_of", who(p), string(uid)),
				T("staff.walk_in_name"))
		}
	})
}

// replaceCard moves the person from old to uid (换卡/补卡): a lost card, or
// one still active, which it stops, so that one asks first. The balance is
// the person's, not the card's: the new card shows it as it was.
func (t *Terminal) replaceCard(uid, old record.CardUID, state ledger.CardState) {
	f := t.flow
	req := ledger.ReplaceCard{ID: record.NewEntryID(), Old: old, New: uid, Operator: f.staff.UID}
	replace := func() {
		t.run(true, func(ctx context.Context) func() {
			err := t.write(ctx, func() error { _, err := t.led.ReplaceCard(ctx, req); return err })
			return func() {
				if err != nil {
					t.staffRefused(err)
					return
				}
				t.staffDone(T("staff.card_replaced"), T("staff.card_of", who(f.target), string(uid)), T("staff.points_stay"), T("staff.replaced_detail", string(old)))
			}
		})
	}
	if state != ledger.CardActive {
		replace()
		return
	}
	t.confirmStaff("staff.do_replace", T("staff.confirm_replace", who(f.target), string(old), string(uid)), T("staff.old_card_stops", string(old)),
		[]Text{T("staff.points_stay")}, replace)
}

// replaceableCard is the card a replacement moves away from: the lost one if
// there is one, else the newest active one (the confirmation names it; a
// card to keep is reported lost first with 挂失).
func (t *Terminal) replaceableCard(ctx context.Context, p record.PersonID) (record.CardUID, ledger.CardState, error) {
	cards, err := t.led.Cards(ctx, p)
	if err != nil {
		return "", 0, err
	}
	var active record.CardUID
	for _, c := range cards {
		switch c.State {
		case ledger.CardLost:
			return c.UID, c.State, nil
		case ledger.CardActive:
			if active == "" {
				active = c.UID // the newest
			}
		}
	}
	if active == "" {
		return "", 0, fmt.Errorf("replace card: person %d has no card: %w", p, ledger.ErrNotFound)
	}
	return active, ledger.CardActive, nil
}

// listCards lists the person's active cards, to report one lost.
func (t *Terminal) listCards(p ledger.Person) {
	t.run(false, func(ctx context.Context) func() {
		cards, err := t.led.Cards(ctx, p.ID)
		return func() {
			if err != nil {
				t.failed(err)
				return
			}
			t.flow.cards = t.flow.cards[:0]
			t.view.Choices = t.view.Choices[:0]
			for _, c := range cards {
				if c.State != ledger.CardActive {
					continue
				}
				t.flow.cards = append(t.flow.cards, c)
				t.view.Choices = append(t.view.Choices, Choice{Label: string(c.UID), Detail: T("staff.card_since", c.BoundAt.In(t.loc()).Format(time.DateOnly))})
			}
			if len(t.flow.cards) == 0 {
				t.show(SceneStaffDone, ToneRefusal)
				t.view.Title = T("result.refused")
				t.view.Lines = []Text{T("staff.no_active_card", who(p))}
				return
			}
			t.show(SceneStaffCards, ToneNone)
			t.view.Title = T("staff.choose_card", who(p))
		}
	})
}

// confirmBlock asks, then reports the card lost: it is refused from then
// on; the balance is the person's and stays, for a new card (换卡/补卡).
func (t *Terminal) confirmBlock(c ledger.Card) {
	f := t.flow
	req := ledger.SetCardState{ID: record.NewEntryID(), UID: c.UID, State: ledger.CardLost, Operator: f.staff.UID, Reason: t.words("reason.reported_lost")}
	t.confirmStaff("staff.block_card", T("staff.confirm_block", who(f.target), string(c.UID)), Text{}, []Text{T("staff.block_detail")}, func() {
		t.run(true, func(ctx context.Context) func() {
			err := t.write(ctx, func() error { _, err := t.led.SetCardState(ctx, req); return err })
			return func() {
				if err != nil {
					t.staffRefused(err)
					return
				}
				t.staffDone(T("staff.blocked"), T("staff.card_of", who(f.target), string(c.UID)), T("staff.blocked_detail"))
			}
		})
	})
}

// confirmAdjust asks, with the balance after, then adjusts.
func (t *Terminal) confirmAdjust(reasonKey string) {
	f := t.flow
	req := ledger.Adjust{ID: record.NewEntryID(), Person: f.target.ID, Points: f.amount, Reason: t.words(reasonKey), Operator: f.staff.UID}
	t.run(false, func(ctx context.Context) func() {
		bal, err := t.led.Balance(ctx, f.target.ID)
		return func() {
			if err != nil {
				t.failed(err)
				return
			}
			lines := []Text{T("staff.reason_is", T(reasonKey)), T("staff.balance_after", bal.Points, bal.Points+f.amount)}
			t.confirmStaff("staff.adjust_points", T("staff.confirm_adjust", who(f.target), Signed(f.amount)), Text{}, lines, func() { t.adjust(req) })
		}
	})
}

func (t *Terminal) adjust(req ledger.Adjust) {
	f := t.flow
	t.run(true, func(ctx context.Context) func() {
		err := t.write(ctx, func() error { _, err := t.led.Adjust(ctx, req); return err })
		var bal ledger.Balance
		if err == nil {
			bal, err = t.led.Balance(ctx, f.target.ID)
		}
		return func() {
			if err != nil {
				t.staffRefused(err)
				return
			}
			t.staffDone(T("staff.adjusted", who(f.target), Signed(req.Points)), T("checkout.balance", bal.Points))
		}
	})
}

func (t *Terminal) today() string { return t.clk.Now().In(t.loc()).Format(time.DateOnly) }

// redemptionDetail is a redemption as staff lists say it: who, the code,
// the time, and whether its goods were handed out.
func (t *Terminal) redemptionDetail(r ledger.RedemptionRecord) Text {
	name := personWords(r.PersonName, r.PersonMemberNo, r.PersonProvisional)
	if !r.HandedOut.At.IsZero() {
		return T("staff.redemption_handed_out", name, string(r.Code), t.when(r.HandedOut.At), r.HandedOut.By)
	}
	return T("staff.redemption_detail", name, string(r.Code), t.when(r.At))
}

func (t *Terminal) listRedemptions() {
	day := t.today()
	t.run(false, func(ctx context.Context) func() {
		recs, err := t.led.Redemptions(ctx, day)
		return func() {
			if err != nil {
				t.failed(err)
				return
			}
			t.flow.redemptions = t.flow.redemptions[:0]
			t.view.Choices = t.view.Choices[:0]
			for _, r := range recs {
				if r.Reversed {
					continue
				}
				t.flow.redemptions = append(t.flow.redemptions, r)
				c := Choice{Label: r.ItemName, Detail: t.redemptionDetail(r), Price: r.Points}
				if !r.HandedOut.At.IsZero() {
					// Listed, for staff looking for it to see why, but not
					// to be taken: its goods are gone.
					c.Refusal = "staff.not_reversible_handed_out"
				}
				t.view.Choices = append(t.view.Choices, c)
			}
			if len(t.flow.redemptions) == 0 {
				t.staffDone(T("staff.no_redemptions"))
				return
			}
			t.show(SceneStaffRedemptions, ToneNone)
			t.view.Title = T("staff.reverse_redemption")
		}
	})
}

// confirmReverse asks, then reverses a redemption: points and stock come
// back. Goods handed out cannot be (the ledger refuses it too).
func (t *Terminal) confirmReverse(r ledger.RedemptionRecord) {
	if !r.HandedOut.At.IsZero() {
		t.staffRefused(&ledger.HandedOutError{Handout: r.HandedOut})
		return
	}
	req := ledger.Reverse{ID: record.NewEntryID(), Entry: r.Entry, Operator: t.flow.staff.UID, Reason: t.words("reason.reverse_redemption")}
	name := personWords(r.PersonName, r.PersonMemberNo, r.PersonProvisional)
	t.run(false, func(ctx context.Context) func() {
		bal, err := t.led.Balance(ctx, r.Person)
		return func() {
			if err != nil {
				t.failed(err)
				return
			}
			lines := []Text{T("staff.code_at", string(r.Code), t.when(r.At)), T("staff.reverse_detail", r.Points, r.Quantity),
				T("staff.balance_after_reverse", bal.Points, bal.Points+r.Points)}
			t.confirmStaff("staff.reverse_redemption", T("staff.confirm_reverse", name, r.ItemName), Text{}, lines, func() {
				t.run(true, func(ctx context.Context) func() {
					err := t.write(ctx, func() error { _, err := t.led.Reverse(ctx, req); return err })
					var bal ledger.Balance
					if err == nil {
						bal, err = t.led.Balance(ctx, r.Person)
					}
					return func() {
						if err != nil {
							t.staffRefused(err)
							return
						}
						t.staffDone(T("staff.reversed"), t.redemptionDetail(r), T("checkout.balance", bal.Points))
					}
				})
			})
		}
	})
}

// listHandouts lists today's redemptions whose goods wait, after a first
// choice to type a code (one from another day, or a long list).
func (t *Terminal) listHandouts() {
	day := t.today()
	t.run(false, func(ctx context.Context) func() {
		recs, err := t.led.Redemptions(ctx, day)
		return func() {
			if err != nil {
				t.failed(err)
				return
			}
			t.flow.redemptions = t.flow.redemptions[:0]
			t.view.Choices = append(t.view.Choices[:0], Choice{Detail: T("staff.type_code")})
			for _, r := range recs {
				if r.Reversed || !r.HandedOut.At.IsZero() {
					continue
				}
				t.flow.redemptions = append(t.flow.redemptions, r)
				t.view.Choices = append(t.view.Choices, Choice{Label: r.ItemName, Detail: t.redemptionDetail(r)})
			}
			t.show(SceneStaffHandouts, ToneNone)
			t.view.Title = T("staff.hand_out")
		}
	})
}

func (t *Terminal) askCode() {
	t.view.Pad = ""
	t.show(SceneStaffFind, ToneNone)
	t.view.Title = T("staff.enter_code")
}

// findCode looks a typed pickup code up and asks to hand it out.
func (t *Terminal) findCode(code ledger.PickupCode) {
	t.run(false, func(ctx context.Context) func() {
		r, err := t.led.RedemptionByCode(ctx, code)
		return func() {
			switch {
			case errors.Is(err, ledger.ErrNotFound):
				t.padRefused(T("staff.code_not_found"))
			case err != nil:
				t.failed(err)
			case r.Reversed:
				t.padRefused(T("staff.code_reversed"))
			case !r.HandedOut.At.IsZero():
				t.padRefused(T("staff.handed_out_by", t.when(r.HandedOut.At), r.HandedOut.By))
			default:
				t.confirmHandOut(r)
			}
		}
	})
}

// confirmHandOut asks, then marks a redemption's goods handed out.
func (t *Terminal) confirmHandOut(r ledger.RedemptionRecord) {
	req := ledger.HandOut{ID: record.NewEntryID(), Redemption: r.Entry, Operator: t.flow.staff.UID}
	name := personWords(r.PersonName, r.PersonMemberNo, r.PersonProvisional)
	lines := []Text{T("staff.hand_out_what", name, r.ItemName, r.Quantity), T("staff.redeemed_at", t.when(r.At))}
	t.confirmStaff("staff.do_hand_out", T("staff.confirm_hand_out", string(r.Code)), Text{}, lines, func() {
		t.run(true, func(ctx context.Context) func() {
			err := t.write(ctx, func() error { _, err := t.led.HandOut(ctx, req); return err })
			return func() {
				if err != nil {
					t.staffRefused(err)
					return
				}
				t.staffDone(T("staff.handed_out"), T("staff.hand_out_what", name, r.ItemName, r.Quantity))
			}
		})
	})
}

func (t *Terminal) listItems() {
	t.run(false, func(ctx context.Context) func() {
		offers, err := t.led.Catalog(ctx)
		return func() {
			if err != nil {
				t.failed(err)
				return
			}
			t.flow.items = offers
			t.view.Choices = t.view.Choices[:0]
			for _, o := range offers {
				t.view.Choices = append(t.view.Choices, Choice{Label: o.Item.Name, Price: o.Item.Price, Stock: o.Stock, Detail: T("redeem.stock", o.Stock)})
			}
			t.show(SceneStaffItems, ToneNone)
			t.view.Title = T("staff.restock")
		}
	})
}

func (t *Terminal) restock(n int64) {
	item := t.flow.item
	req := ledger.Restock{ID: record.NewEntryID(), Item: item.ID, Quantity: n, Operator: t.flow.staff.UID}
	t.run(true, func(ctx context.Context) func() {
		err := t.write(ctx, func() error { _, err := t.led.Restock(ctx, req); return err })
		return func() {
			if err != nil {
				t.staffRefused(err)
				return
			}
			t.staffDone(T("staff.restocked", item.Name, n))
		}
	})
}

// shiftChoice is an open shift as a staff member sees it.
type shiftChoice struct {
	shift       ledger.Shift
	name        string
	provisional bool
	act         string
}

func (t *Terminal) listShifts() {
	t.run(false, func(ctx context.Context) func() {
		shifts, err := t.led.OpenShifts(ctx)
		var rows []shiftChoice
		acts := map[record.ActivityID]string{}
		if err == nil {
			err = t.nameEntries(ctx, nil, acts, map[record.ItemID]string{})
		}
		for _, s := range shifts {
			if err != nil {
				break
			}
			var p ledger.Person
			p, err = t.led.Person(ctx, s.Person)
			rows = append(rows, shiftChoice{shift: s, name: viewName(p), provisional: p.Provisional, act: acts[s.Activity]})
		}
		return func() {
			if err != nil {
				t.failed(err)
				return
			}
			t.flow.shifts = t.flow.shifts[:0]
			t.view.Choices = t.view.Choices[:0]
			for _, r := range rows {
				t.flow.shifts = append(t.flow.shifts, r.shift)
				t.view.Choices = append(t.view.Choices, Choice{
					Label:       r.name,
					Provisional: r.provisional,
					Detail:      T("staff.shift_detail", r.act, t.when(r.shift.OpenedAt)),
				})
			}
			if len(rows) == 0 {
				t.staffDone(T("staff.no_open_shifts"))
				return
			}
			t.show(SceneStaffShifts, ToneNone)
			t.view.Title = T("staff.close_shifts")
		}
	})
}

// creditLines say what closing a shift by hand credits: the time served,
// what the rules count of it and why less, and the points.
func creditLines(r ledger.Resolution) []Text {
	lines := []Text{T("staff.served", Minutes(max(r.Served, 0)/time.Minute)), T("staff.credited", Minutes(r.Credit.Minutes), r.Credit.Points)}
	switch {
	case r.AtMax && r.Served < 0:
		lines = append(lines, T("staff.credit_clock_back"))
	case r.AtMax:
		lines = append(lines, T("staff.credit_at_max"))
	case r.Credit.BelowMinimum:
		lines = append(lines, T("checkout.too_short"))
	case r.Credit.Capped:
		lines = append(lines, T("checkout.capped"))
	case r.Credit.Minutes < int64(r.Served/time.Minute):
		lines = append(lines, T("staff.credit_rounded"))
	}
	return lines
}

// confirmClose shows what closing a forgotten shift would credit now (by
// the activity's rules, as a check-out would, the maximum at most), then
// closes it on 确认 (代为签退).
func (t *Terminal) confirmClose(s ledger.Shift) {
	op := t.flow.staff.UID
	reason := t.words("reason.closed_by_staff")
	t.run(false, func(ctx context.Context) func() {
		pre, err := t.led.PreviewResolve(ctx, s.ID)
		var p ledger.Person
		if err == nil {
			p, err = t.led.Person(ctx, s.Person)
		}
		acts := map[record.ActivityID]string{}
		if err == nil {
			err = t.nameEntries(ctx, nil, acts, map[record.ItemID]string{})
		}
		return func() {
			if err != nil {
				t.staffRefused(err)
				return
			}
			lines := append([]Text{T("staff.shift_detail", acts[s.Activity], t.when(s.OpenedAt))}, creditLines(pre)...)
			t.confirmStaff("staff.close_shifts", T("staff.confirm_close", who(p)), Text{}, lines, func() {
				req := ledger.ResolveShift{ID: record.NewEntryID(), Shift: s.ID, Operator: op, Reason: reason}
				t.run(true, func(ctx context.Context) func() {
					var res ledger.CheckOutResult
					err := t.write(ctx, func() (err error) { res, err = t.led.ResolveShift(ctx, req); return err })
					return func() {
						if err != nil {
							t.staffRefused(err)
							return
						}
						served := res.Shift.ClosedAt.Sub(res.Shift.OpenedAt)
						done := ledger.Resolution{Shift: res.Shift, Served: served, AtMax: pre.AtMax, Credit: res.Credit}
						t.staffDone(T("staff.shift_closed"), append([]Text{T("staff.closed_for", who(p), acts[s.Activity])}, creditLines(done)...)...)
					}
				})
			})
		}
	})
}

// readers reads the readers' state for the reader test.
func (t *Terminal) readers() {
	t.view.Staff.Readers = nil
	if t.opts.ReaderStatus != nil {
		t.view.Staff.Readers = t.opts.ReaderStatus()
	}
}

func (t *Terminal) readerTest() {
	t.view.Staff.LastUID = ""
	t.readers()
	t.show(SceneStaffReader, ToneNone)
	t.view.Title = T("staff.reader_test")
	t.view.Lines = []Text{T("staff.reader_tap")}
}

func (t *Terminal) summary() {
	t.run(false, func(ctx context.Context) func() {
		sum, err := t.led.TodaySummary(ctx)
		var st ledger.SyncState
		if err == nil {
			st, err = t.led.SyncState(ctx)
		}
		return func() {
			if err != nil {
				t.failed(err)
				return
			}
			t.view.Staff.Summary = sum
			t.view.Staff.Unsynced = st.Unsynced
			t.view.Staff.LastSync = st.LastSync
			t.show(SceneStaffSummary, ToneNone)
			t.view.Title = T("staff.summary")
		}
	})
}
