package kiosk

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

// ActionKind is what a touch on a button means.
type ActionKind uint8

// Actions a frontend sends.
const (
	ActBack     ActionKind = iota + 1 // 返回: one step back; from a session's first scene, to idle
	ActHome                           // end the session
	ActCheckIn                        // 签到
	ActCheckOut                       // 签退
	ActRedeem                         // 兑换
	ActHistory                        // 记录
	ActChoose                         // pick Choices[Index]
	ActConfirm                        // 确认
	ActDigit                          // a pad's digit (Digit)
	ActDelete                         // a pad's 删除
	ActSubtract                       // the amount pad's 扣分: the amount is taken off
	ActClear                          // empty the pad
	ActStaff                          // a staff menu entry (Staff)
	ActAdd                            // the amount pad's 加分: the amount is added (the pad starts so)
)

// Action is a touch the frontend recognised.
type Action struct {
	Kind  ActionKind
	Index int
	Digit int
	Staff StaffAction
}

// Press takes a touch on a button. While the ledger is answering, touches are
// ignored: a double tap on 确认 must not redeem twice.
func (t *Terminal) Press(a Action) {
	if t.view.Scene == SceneTechnician || t.view.Busy {
		return
	}
	t.touched()
	if a.Kind == ActHome {
		t.goIdle()
		return
	}
	switch t.view.Scene {
	case SceneIdle:
		return
	case ScenePerson:
		t.pressPerson(a)
	case SceneCheckInChoose:
		switch a.Kind {
		case ActBack:
			t.backToPerson()
		case ActChoose:
			if a.Index >= 0 && a.Index < len(t.activities) {
				t.checkIn(t.activities[a.Index])
			}
		}
	case SceneCheckInConfirm:
		switch a.Kind {
		case ActBack:
			t.backToPerson()
		case ActConfirm:
			if len(t.activities) == 1 {
				t.checkIn(t.activities[0])
			}
		}
	case SceneRedeemGrid:
		switch a.Kind {
		case ActBack:
			t.backToPerson()
		case ActChoose:
			t.chooseOffer(a.Index)
		}
	case SceneRedeemConfirm:
		switch a.Kind {
		case ActBack:
			t.show(SceneRedeemGrid, ToneNone)
		case ActConfirm:
			t.redeem()
		}
	case SceneCheckOutConfirm:
		switch a.Kind {
		case ActBack:
			t.backToPerson()
		case ActConfirm:
			t.checkOut()
		}
	case SceneHistory, SceneCheckInDone, SceneCheckOutDone, SceneRedeemDone:
		if a.Kind == ActBack || a.Kind == ActConfirm {
			t.backToPerson()
		}
	case SceneNotice:
		if a.Kind == ActBack || a.Kind == ActConfirm {
			if t.person != 0 {
				t.backToPerson()
			} else {
				t.goIdle()
			}
		}
	default:
		t.pressStaff(a)
	}
}

func (t *Terminal) pressPerson(a Action) {
	switch a.Kind {
	case ActBack:
		t.goIdle()
	case ActCheckIn:
		if t.view.Person.OpenShift == nil {
			t.chooseActivity()
		}
	case ActCheckOut:
		if t.view.Person.OpenShift != nil {
			t.previewCheckOut()
		}
	case ActRedeem:
		t.openCatalog()
	case ActHistory:
		t.openHistory()
	}
}

// backToPerson shows the person scene again with a fresh balance.
func (t *Terminal) backToPerson() {
	card := t.card
	t.run(false, func(ctx context.Context) func() {
		info, err := t.led.LookupCard(ctx, card)
		return func() {
			if err != nil {
				t.cardLookedUp(info, err)
				return
			}
			t.setPerson(info)
			t.show(ScenePerson, ToneNone)
		}
	})
}

func (t *Terminal) chooseActivity() {
	t.run(false, func(ctx context.Context) func() {
		acts, err := t.led.ActivitiesOpenNow(ctx)
		return func() {
			if err != nil {
				t.failed(err)
				return
			}
			t.activities = acts
			t.view.Choices = t.view.Choices[:0]
			for _, a := range acts {
				t.view.Choices = append(t.view.Choices, Choice{Label: a.Name, Detail: scheduleText(a)})
			}
			switch len(acts) {
			case 0:
				t.notice(ToneRefusal, T("checkin.none"), T("checkin.ask_staff"))
			case 1:
				t.view.CheckIn = CheckInView{Activity: acts[0].Name}
				t.show(SceneCheckInConfirm, ToneNone)
			default:
				t.show(SceneCheckInChoose, ToneNone)
			}
		}
	})
}

// sortByStart orders activities as the idle scene lists them: by their
// scheduled start, the ones without a schedule (随时可签到) last, then by name.
func sortByStart(acts []ledger.Activity) {
	slices.SortStableFunc(acts, func(a, b ledger.Activity) int {
		if c := cmp.Compare(unscheduled(a), unscheduled(b)); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Schedule.Start, b.Schedule.Start); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
}

func unscheduled(a ledger.Activity) int {
	if a.Schedule.Start == "" {
		return 1
	}
	return 0
}

func scheduleText(a ledger.Activity) Text {
	if a.Rules.AnyTime || a.Schedule.Start == "" {
		return T("checkin.any_time")
	}
	return T("checkin.schedule", a.Schedule.Start, a.Schedule.End)
}

func (t *Terminal) checkIn(a ledger.Activity) {
	req := ledger.CheckIn{ID: record.NewEntryID(), Card: t.card, Activity: a.ID}
	t.run(true, func(ctx context.Context) func() {
		var shift ledger.Shift
		err := t.write(ctx, func() (err error) { shift, err = t.led.CheckIn(ctx, req); return err })
		return func() {
			var open *ledger.ShiftOpenError
			switch {
			case errors.As(err, &open):
				// Checked in already (on another screen, or a double tap):
				// say so and offer the check-out.
				t.view.Person.OpenShift = &OpenShift{Activity: t.activityName(open.Shift.Activity), Since: open.Shift.OpenedAt}
				t.show(ScenePerson, ToneAttention)
				t.view.Lines = []Text{T("checkin.already")}
			case errors.Is(err, ledger.ErrNotInWindow):
				t.notice(ToneRefusal, T("checkin.not_open"), T("checkin.ask_staff"))
			case err != nil:
				t.failed(err)
			default:
				t.view.CheckIn = CheckInView{Activity: a.Name, At: shift.OpenedAt}
				t.view.Person.OpenShift = &OpenShift{Activity: a.Name, Since: shift.OpenedAt}
				t.show(SceneCheckInDone, ToneSuccess)
				t.say(PromptCheckedIn)
			}
		}
	})
}

// previewCheckOut asks the ledger what a check-out now would credit and
// shows it, with 签退 to confirm and 返回: a mis-tap on 签退 must not end a
// shift.
func (t *Terminal) previewCheckOut() {
	card := t.card
	activity := t.view.Person.OpenShift.Activity
	t.run(false, func(ctx context.Context) func() {
		p, err := t.led.PreviewCheckOut(ctx, card)
		return func() {
			switch {
			case errors.Is(err, ledger.ErrNoOpenShift):
				t.view.Person.OpenShift = nil
				t.notice(ToneRefusal, T("checkout.none"))
			case err != nil:
				t.cardRefusedOr(err)
			default:
				if p.Activity.Name != "" {
					activity = p.Activity.Name
				}
				t.view.CheckOut = checkOutView(activity, p.At.Sub(p.Shift.OpenedAt), p.Credit, p.Activity.Rules)
				t.view.CheckOut.At = p.At
				t.show(SceneCheckOutConfirm, ToneNone)
			}
		}
	})
}

// cardRefusedOr says why a card is refused (lost or revoked meanwhile), or
// handles any other error as failed does.
func (t *Terminal) cardRefusedOr(err error) {
	if errors.Is(err, ledger.ErrCardLost) || errors.Is(err, ledger.ErrCardRevoked) || errors.Is(err, ledger.ErrUnknownCard) {
		t.cardLookedUp(ledger.CardInfo{}, err)
		return
	}
	t.failed(err)
}

// checkOutView is a check-out's preview or result: the credit, and the
// rules that made it, for the words.
func checkOutView(activity string, d time.Duration, c record.Credit, r record.Rules) CheckOutView {
	v := CheckOutView{Activity: activity, Duration: d, Minutes: c.Minutes, Points: c.Points,
		Round: r.RoundMinutes, Min: r.MinMinutes, DailyCap: r.DailyCapMinutes}
	switch {
	case c.Flag != record.FlagNone:
		v.Note = "checkout.flagged"
	case c.BelowMinimum:
		v.Note = "checkout.too_short"
	case c.Capped:
		v.Note = "checkout.capped"
	}
	return v
}

// Credited reports whether the check-out credits any minutes: one that
// does not is no success, and is not shown as one.
func (v CheckOutView) Credited() bool { return v.Minutes > 0 && v.Note != "checkout.flagged" }

func (t *Terminal) checkOut() {
	req := ledger.CheckOut{ID: record.NewEntryID(), Card: t.card}
	activity := t.view.CheckOut.Activity
	if activity == "" && t.view.Person.OpenShift != nil {
		activity = t.view.Person.OpenShift.Activity
	}
	t.run(true, func(ctx context.Context) func() {
		var res ledger.CheckOutResult
		err := t.write(ctx, func() (err error) { res, err = t.led.CheckOut(ctx, req); return err })
		var bal ledger.Balance
		var rules record.Rules
		if err == nil {
			bal, err = t.led.Balance(ctx, res.Shift.Person)
		}
		if err == nil {
			var a ledger.Activity
			a, err = t.led.Activity(ctx, res.Shift.Activity)
			rules = a.Rules
		}
		return func() {
			switch {
			case errors.Is(err, ledger.ErrNoOpenShift):
				t.view.Person.OpenShift = nil
				t.notice(ToneRefusal, T("checkout.none"))
			case err != nil:
				t.cardRefusedOr(err)
			default:
				v := checkOutView(activity, res.Shift.ClosedAt.Sub(res.Shift.OpenedAt), res.Credit, rules)
				v.Balance = bal
				v.At = res.Shift.ClosedAt
				t.view.CheckOut = v
				t.view.Person.OpenShift = nil
				t.view.Person.Points, t.view.Person.Minutes = bal.Points, bal.Minutes
				if v.Credited() {
					t.show(SceneCheckOutDone, ToneSuccess)
					t.say(PromptCheckedOut)
				} else {
					// Checked out, but nothing credited: no green, no chime;
					// the words say why.
					t.show(SceneCheckOutDone, ToneNone)
				}
			}
		}
	})
}

// refusal is the plain words for why a redemption cannot happen: a catalog
// key and its arguments (积分不够，还差 N 分; 本周已兑换).
func refusal(err error) (string, []any) {
	var short *ledger.InsufficientPointsError
	var limit *ledger.PeriodLimitError
	switch {
	case err == nil:
		return "", nil
	case errors.As(err, &short):
		return "refusal.insufficient_points", []any{short.Missing()}
	case errors.Is(err, ledger.ErrInsufficientPoints):
		return "refusal.not_enough_points", nil
	case errors.Is(err, ledger.ErrOutOfStock):
		return "refusal.out_of_stock", nil
	case errors.As(err, &limit):
		return periodLimitKey(limit.Period), nil
	case errors.Is(err, ledger.ErrPeriodLimit):
		return "refusal.limit_reached", nil
	case errors.Is(err, ledger.ErrOfflineCap):
		return "refusal.offline_limit", nil
	case errors.Is(err, ledger.ErrSyncTooOld):
		return "refusal.sync_too_old", nil
	}
	return "result.refused", nil
}

// periodLimitKey says an item's limit in the words of its period: 本周已兑换
// for a weekly one.
func periodLimitKey(p ledger.Period) string {
	switch p {
	case ledger.Daily:
		return "refusal.limit_day"
	case ledger.Weekly:
		return "refusal.limit_week"
	case ledger.Monthly:
		return "refusal.limit_month"
	case ledger.Yearly:
		return "refusal.limit_year"
	}
	return "refusal.limit_reached"
}

func (t *Terminal) openCatalog() {
	card := t.card
	t.run(false, func(ctx context.Context) func() {
		offers, err := t.led.CatalogFor(ctx, card)
		return func() {
			if err != nil {
				t.failed(err)
				return
			}
			t.offers = offers
			t.view.Choices = t.view.Choices[:0]
			for _, o := range offers {
				key, args := refusal(o.Refusal)
				t.view.Choices = append(t.view.Choices, Choice{
					Label: o.Item.Name, Price: o.Item.Price, Stock: o.Stock,
					Detail: T("redeem.price", o.Item.Price), Refusal: key, RefusalArgs: args,
				})
			}
			if len(offers) == 0 {
				t.notice(ToneRefusal, T("redeem.empty"), T("card.desk_hint"))
				return
			}
			t.show(SceneRedeemGrid, ToneNone)
		}
	})
}

func (t *Terminal) chooseOffer(i int) {
	if i < 0 || i >= len(t.offers) {
		return
	}
	o := t.offers[i]
	if o.Refusal != nil {
		// Shown as refused on the tile already; a touch says why, aloud.
		t.cue(ToneRefusal)
		key, args := refusal(o.Refusal)
		t.view.Lines = []Text{T(key, args...)}
		t.changed()
		return
	}
	t.view.Redeem = RedeemView{Item: o.Item.Name, Price: o.Item.Price, After: t.view.Person.Points - o.Item.Price}
	t.redeemIndex = i
	t.show(SceneRedeemConfirm, ToneNone)
}

func (t *Terminal) redeem() {
	o := t.offers[t.redeemIndex]
	req := ledger.Redeem{ID: record.NewEntryID(), Card: t.card, Item: o.Item.ID}
	t.run(true, func(ctx context.Context) func() {
		var r ledger.Redemption
		err := t.write(ctx, func() (err error) { r, err = t.led.Redeem(ctx, req); return err })
		return func() {
			switch key, args := refusal(err); {
			case err == nil:
				t.view.Redeem.Code = r.Code
				t.view.Redeem.Balance = r.Balance
				t.view.Person.Points, t.view.Person.Minutes = r.Balance.Points, r.Balance.Minutes
				t.show(SceneRedeemDone, ToneSuccess)
				t.printSlip(r)
				t.say(PromptRedeemed)
			case key != "result.refused":
				t.notice(ToneRefusal, T(key, args...))
			default:
				t.failed(err)
			}
		}
	})
}

func (t *Terminal) openHistory() {
	person, n := t.person, t.opts.HistoryLen
	t.run(false, func(ctx context.Context) func() {
		entries, err := t.led.History(ctx, person, n)
		names := map[record.ActivityID]string{}
		items := map[record.ItemID]string{}
		if err == nil {
			err = t.nameEntries(ctx, entries, names, items)
		}
		var codes map[record.EntryID]ledger.PickupCode
		if err == nil {
			var redeemed []record.EntryID
			for _, e := range entries {
				if e.Kind == record.KindRedeem {
					redeemed = append(redeemed, e.ID)
				}
			}
			codes, err = t.led.PickupCodes(ctx, redeemed...)
		}
		return func() {
			if err != nil {
				t.failed(err)
				return
			}
			t.view.History = t.view.History[:0]
			for _, e := range entries {
				if line, ok := historyLine(e, names, items); ok {
					line.Code = codes[e.ID]
					t.view.History = append(t.view.History, line)
				}
			}
			t.show(SceneHistory, ToneNone)
		}
	})
}

// nameEntries finds the activity and item names entries refer to.
func (t *Terminal) nameEntries(ctx context.Context, entries []record.Entry, names map[record.ActivityID]string, items map[record.ItemID]string) error {
	acts, err := t.led.Activities(ctx)
	if err != nil {
		return err
	}
	for _, a := range acts {
		names[a.ID] = a.Name
	}
	offers, err := t.led.Catalog(ctx)
	if err != nil {
		return err
	}
	for _, o := range offers {
		items[o.Item.ID] = o.Item.Name
	}
	return nil
}

// historyLine is an entry as the history scene shows it; bookkeeping the
// visitor did not do (a restock) is left out.
func historyLine(e record.Entry, names map[record.ActivityID]string, items map[record.ItemID]string) (HistoryLine, bool) {
	l := HistoryLine{At: e.At, Kind: e.Kind, Minutes: e.Minutes, Points: e.Points}
	switch e.Kind {
	case record.KindCheckIn, record.KindCheckOut:
		l.What = names[e.Activity]
	case record.KindRedeem, record.KindReverse:
		l.What = items[e.Item]
	case record.KindAdjust:
		l.What = e.Reason
	case record.KindReplaceCard, record.KindExpire:
	default:
		return l, false
	}
	return l, true
}

// Minutes is a duration in minutes, for the catalog's duration.* keys: the
// frontend formats it as 1小时30分钟.
type Minutes int64
