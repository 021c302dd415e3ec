package kiosk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

// StaffAction is an entry of the staff menu.
type StaffAction uint8

// Staff menu entries.
const (
	StaffBind    StaffAction = iota + 1 // bind a card to a registered person (绑定新卡)
	StaffEnrol                          // a walk-in: provisional person by member number, then a card
	StaffReplace                        // a lost card's balance to a new card (补办挂失卡)
	StaffAdjust                         // points up or down with a reason (调整积分)
	StaffReverse                        // undo one of today's redemptions; stock comes back (撤销兑换)
	StaffRestock                        // add stock of an item (补充库存)
	StaffShifts                         // close shifts nobody closed (关闭未签退)
	StaffSync                           // sync with the hub now (立即同步)
	StaffReader                         // reader test
	StaffSummary                        // today's summary (今日汇总)
)

// staffMenu is the menu, in the order it is drawn.
var staffMenu = []MenuItem{
	{"staff.bind_card", StaffBind},
	{"staff.new_person", StaffEnrol},
	{"staff.replace_card", StaffReplace},
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

// staffFlow is a staff session: who logged in and where in an action they are.
type staffFlow struct {
	pinFor ledger.Staff // tapped, PIN not yet right
	staff  ledger.Staff // logged in
	action StaffAction
	people []ledger.Person
	target ledger.Person
	member string // a walk-in's member number

	redemptions []ledger.RedemptionRecord
	items       []ledger.Offer
	item        ledger.Item
	shifts      []ledger.Shift
	amount      int64
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
	switch t.view.Scene {
	case SceneStaffMenu:
		switch a.Kind {
		case ActBack:
			t.goIdle()
		case ActStaff:
			t.startStaffAction(a.Staff)
		}
	case SceneStaffFind:
		if t.pad(a) {
			t.find()
		}
	case SceneStaffPeople:
		if a.Kind == ActChoose && a.Index >= 0 && a.Index < len(t.flow.people) {
			t.flow.target = t.flow.people[a.Index]
			t.view.Staff.Target = MaskName(t.flow.target.Name)
			t.view.Staff.TargetProvisional = t.flow.target.Provisional
			if t.flow.action == StaffAdjust {
				t.askAmount()
			} else {
				t.askCard()
			}
		}
	case SceneStaffAmount:
		if t.pad(a) {
			t.amountEntered()
		}
	case SceneStaffReasons:
		if a.Kind == ActChoose && a.Index >= 0 && a.Index < len(AdjustReasons) {
			t.adjust(t.words(AdjustReasons[a.Index]))
		}
	case SceneStaffRedemptions:
		if a.Kind == ActChoose && a.Index >= 0 && a.Index < len(t.flow.redemptions) {
			t.reverse(t.flow.redemptions[a.Index])
		}
	case SceneStaffItems:
		if a.Kind == ActChoose && a.Index >= 0 && a.Index < len(t.flow.items) {
			t.flow.item = t.flow.items[a.Index].Item
			t.askAmount()
		}
	case SceneStaffShifts:
		if a.Kind == ActChoose && a.Index >= 0 && a.Index < len(t.flow.shifts) {
			t.closeShift(t.flow.shifts[a.Index])
		}
	case SceneStaffDone, SceneStaffSummary, SceneStaffReader:
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
	case ActSign:
		if t.view.Signed {
			t.view.Negative = !t.view.Negative
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
			switch {
			case errors.Is(err, ledger.ErrPINWrong):
				t.cue(ToneRefusal)
				t.view.Lines = []Text{T("staff.pin_wrong")}
				t.changed()
			case errors.Is(err, ledger.ErrPINLocked):
				t.notice(ToneRefusal, T("staff.pin_locked"))
			case err != nil:
				t.failed(err)
			default:
				t.flow.staff = s
				t.staffMenu()
			}
		}
	})
}

func (t *Terminal) staffMenu() {
	f := staffFlow{pinFor: t.flow.pinFor, staff: t.flow.staff}
	t.flow = f
	t.view.Staff.Menu = staffMenu
	t.view.Staff.Target, t.view.Staff.TargetProvisional = "", false
	t.view.Pad, t.view.Negative, t.view.Signed = "", false, false
	t.view.Choices = nil
	t.show(SceneStaffMenu, ToneNone)
	t.view.Title = T("staff.menu")
}

func (t *Terminal) startStaffAction(a StaffAction) {
	t.flow.action = a
	switch a {
	case StaffBind, StaffReplace, StaffAdjust:
		t.view.Pad = ""
		t.show(SceneStaffFind, ToneNone)
		t.view.Title = T("staff.find_person")
	case StaffEnrol:
		t.view.Pad = ""
		t.show(SceneStaffFind, ToneNone)
		t.view.Title = T("staff.enter_member_no")
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
	}
}

// find looks people up by the pad's digits; for a walk-in the digits are the
// new member number.
func (t *Terminal) find() {
	query := t.view.Pad
	if t.flow.action == StaffEnrol {
		t.flow.member = query
		t.view.Staff.Target = query
		t.askCard()
		return
	}
	t.run(false, func(ctx context.Context) func() {
		people, err := t.led.FindPeople(ctx, query, 8)
		return func() {
			switch {
			case err != nil:
				t.failed(err)
			case len(people) == 0:
				t.cue(ToneRefusal)
				t.view.Lines = []Text{T("staff.not_found")}
				t.changed()
			default:
				t.flow.people = people
				t.view.Choices = t.view.Choices[:0]
				for _, p := range people {
					t.view.Choices = append(t.view.Choices, Choice{Label: MaskName(p.Name), Provisional: p.Provisional,
						Detail: T("staff.person_detail", p.MemberNo, p.Phone)})
				}
				t.show(SceneStaffPeople, ToneNone)
				t.view.Title = T("staff.choose_person")
			}
		}
	})
}

func (t *Terminal) askCard() {
	t.show(SceneStaffTapCard, ToneNone)
	t.view.Title = T("staff.tap_new_card")
}

func (t *Terminal) askAmount() {
	t.view.Pad, t.view.Negative = "", false
	t.view.Signed = t.flow.action == StaffAdjust
	t.show(SceneStaffAmount, ToneNone)
	if t.flow.action == StaffRestock {
		t.view.Title = T("staff.restock_amount", t.flow.item.Name)
	} else {
		t.view.Title = T("staff.adjust_amount")
	}
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

// staffDone shows a staff action's success.
func (t *Terminal) staffDone(title Text, lines ...Text) {
	t.show(SceneStaffDone, ToneSuccess)
	t.view.Title = title
	t.view.Lines = lines
}

// staffRefused keeps the scene and says why, for the staff member to fix.
func (t *Terminal) staffRefused(err error) {
	var key string
	switch {
	case errors.Is(err, ledger.ErrCardInUse):
		key = "staff.card_in_use"
	case errors.Is(err, ledger.ErrNotFound):
		key = "staff.not_found"
	case errors.Is(err, ledger.ErrNotReversible):
		key = "staff.not_reversible"
	case errors.Is(err, ledger.ErrInvalid):
		key = "staff.invalid"
	case errors.Is(err, ledger.ErrOutOfStock):
		key = "refusal.out_of_stock"
	case errors.Is(err, ledger.ErrInsufficientPoints):
		key = "refusal.insufficient_points"
	case errors.Is(err, ledger.ErrUnknownCard), errors.Is(err, ledger.ErrCardLost), errors.Is(err, ledger.ErrCardRevoked):
		key = "staff.card_refused"
	default:
		t.failed(err)
		return
	}
	t.cue(ToneRefusal)
	t.view.Lines = []Text{T(key)}
	t.changed()
}

// newCardTapped binds, replaces or registers with the card just tapped.
func (t *Terminal) newCardTapped(uid record.CardUID) {
	f := t.flow
	op := f.staff.UID
	switch f.action {
	case StaffBind:
		req := ledger.BindCard{ID: record.NewEntryID(), Person: f.target.ID, UID: uid, Operator: op}
		t.run(true, func(ctx context.Context) func() {
			err := t.write(ctx, func() error { _, err := t.led.BindCard(ctx, req); return err })
			return func() {
				if err != nil {
					t.staffRefused(err)
					return
				}
				t.staffDone(T("staff.card_bound"), T("staff.card_of", shownName(f.target.Name, f.target.Provisional), string(uid)))
			}
		})
	case StaffEnrol:
		// No name: the hub completes the registration.
		enrol := ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: f.member, Kind: record.GreenVest, Provisional: true}
		bind := ledger.BindCard{ID: record.NewEntryID(), UID: uid, Operator: op}
		t.run(true, func(ctx context.Context) func() {
			// The card is checked first so a card in use leaves no person
			// without a card behind.
			_, err := t.led.LookupCard(ctx, uid)
			if err == nil {
				err = ledger.ErrCardInUse
			} else if errors.Is(err, ledger.ErrUnknownCard) {
				var p ledger.Person
				err = t.write(ctx, func() (err error) { p, err = t.led.EnrolPerson(ctx, enrol); return err })
				if err == nil {
					bind.Person = p.ID
					err = t.write(ctx, func() error { _, err := t.led.BindCard(ctx, bind); return err })
				}
			}
			return func() {
				if err != nil {
					t.staffRefused(err)
					return
				}
				t.staffDone(T("staff.walk_in_done"), T("staff.card_of", f.member, string(uid)))
			}
		})
	case StaffReplace:
		person := f.target
		t.run(true, func(ctx context.Context) func() {
			old, err := t.replaceableCard(ctx, person.ID)
			if err == nil {
				req := ledger.ReplaceCard{ID: record.NewEntryID(), Old: old, New: uid, Operator: op}
				err = t.write(ctx, func() error { _, err := t.led.ReplaceCard(ctx, req); return err })
			}
			return func() {
				if err != nil {
					t.staffRefused(err)
					return
				}
				t.staffDone(T("staff.card_replaced"), T("staff.card_of", shownName(person.Name, person.Provisional), string(uid)))
			}
		})
	}
}

// replaceableCard is the card a replacement moves away from: the lost one if
// there is one, else the active one.
func (t *Terminal) replaceableCard(ctx context.Context, p record.PersonID) (record.CardUID, error) {
	cards, err := t.led.Cards(ctx, p)
	if err != nil {
		return "", err
	}
	var active record.CardUID
	for _, c := range cards {
		switch c.State {
		case ledger.CardLost:
			return c.UID, nil
		case ledger.CardActive:
			active = c.UID
		}
	}
	if active == "" {
		return "", fmt.Errorf("replace card: person %d has no card: %w", p, ledger.ErrNotFound)
	}
	return active, nil
}

func (t *Terminal) adjust(reason string) {
	f := t.flow
	req := ledger.Adjust{ID: record.NewEntryID(), Person: f.target.ID, Points: f.amount, Reason: reason, Operator: f.staff.UID}
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
			t.staffDone(T("staff.adjusted", shownName(f.target.Name, f.target.Provisional), f.amount), T("checkout.balance", bal.Points))
		}
	})
}

func (t *Terminal) listRedemptions() {
	day := t.clk.Now().In(t.loc()).Format(time.DateOnly)
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
				t.view.Choices = append(t.view.Choices, Choice{
					Label:  r.ItemName,
					Detail: T("staff.redemption_detail", shownName(r.PersonName, r.PersonProvisional), string(r.Code), r.At.In(t.loc()).Format("15:04")),
					Price:  r.Points,
				})
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

func (t *Terminal) reverse(r ledger.RedemptionRecord) {
	req := ledger.Reverse{ID: record.NewEntryID(), Entry: r.Entry, Operator: t.flow.staff.UID, Reason: t.words("reason.reverse_redemption")}
	t.run(true, func(ctx context.Context) func() {
		err := t.write(ctx, func() error { _, err := t.led.Reverse(ctx, req); return err })
		return func() {
			if err != nil {
				t.staffRefused(err)
				return
			}
			t.staffDone(T("staff.reversed"), T("staff.redemption_detail", MaskName(r.PersonName), string(r.Code), r.At.In(t.loc()).Format("15:04")))
		}
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
			rows = append(rows, shiftChoice{shift: s, name: p.Name, provisional: p.Provisional, act: acts[s.Activity]})
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
					Label:       MaskName(r.name),
					Provisional: r.provisional,
					Detail:      T("staff.shift_detail", r.act, r.shift.OpenedAt.In(t.loc()).Format("01-02 15:04")),
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

// closeShift closes a forgotten shift as a check-out now would, never
// crediting more than the rules' maximum (ledger.ResolveShift).
func (t *Terminal) closeShift(s ledger.Shift) {
	req := ledger.ResolveShift{ID: record.NewEntryID(), Shift: s.ID, Operator: t.flow.staff.UID, Reason: t.words("reason.closed_by_staff")}
	t.run(true, func(ctx context.Context) func() {
		var res ledger.CheckOutResult
		err := t.write(ctx, func() (err error) { res, err = t.led.ResolveShift(ctx, req); return err })
		return func() {
			if err != nil {
				t.staffRefused(err)
				return
			}
			t.staffDone(T("staff.shift_closed"), T("checkout.duration", Minutes(res.Credit.Minutes)), T("checkout.earned", res.Credit.Points))
		}
	})
}

func (t *Terminal) syncNow() {
	sync := t.opts.Sync
	t.run(false, func(ctx context.Context) func() {
		var err error
		if sync != nil {
			err = sync(ctx)
		}
		st, serr := t.led.SyncState(ctx)
		return func() {
			switch {
			case serr != nil:
				t.failed(serr)
			case sync == nil:
				t.show(SceneStaffDone, ToneAttention)
				t.view.Title = T("sync.no_hub")
				t.view.Lines = []Text{T("staff.unsynced", st.Unsynced)}
			case err != nil:
				t.logf("kiosk: sync: %v", err)
				t.show(SceneStaffDone, ToneRefusal)
				t.view.Title = T("sync.failed")
				t.view.Lines = []Text{T("staff.unsynced", st.Unsynced)}
			default:
				t.staffDone(T("sync.done"), T("staff.unsynced", st.Unsynced))
			}
		}
	})
}

func (t *Terminal) readerTest() {
	t.view.Staff.LastUID = ""
	t.view.Staff.Reader = ""
	if t.opts.ReaderStatus != nil {
		for i, s := range t.opts.ReaderStatus() {
			if i > 0 {
				t.view.Staff.Reader += "\n"
			}
			t.view.Staff.Reader += s.String()
		}
	}
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
