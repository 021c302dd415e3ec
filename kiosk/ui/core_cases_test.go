package ui

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/kiosk"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

// coreCases are the terminal core's own views, drawn through ScreenFor: a
// real ledger in a temporary directory, a real kiosk.Terminal driven through
// every scene, one screenshot each. Built once in TestMain, before the
// screens are rendered.
var coreCases []sceneCase

// coreDriver drives a terminal for the screenshots.
type coreDriver struct {
	ctx   context.Context
	led   *ledger.Ledger
	term  *kiosk.Terminal
	clk   *clock.Fake
	s     Strings
	cases []sceneCase
	err   error
}

func (d *coreDriver) tap(uid record.CardUID) {
	d.term.Reader(rfid.Event{Kind: rfid.EventTap, Tap: rfid.Tap{Card: rfid.Card{UID: rfid.UID(uid.Bytes())}, At: d.clk.Now()}})
	d.term.Settle()
}

func (d *coreDriver) press(a kiosk.Action) { d.term.Press(a); d.term.Settle() }

func (d *coreDriver) act(kinds ...kiosk.ActionKind) {
	for _, k := range kinds {
		d.press(kiosk.Action{Kind: k})
	}
}

func (d *coreDriver) digits(s string) {
	for _, c := range s {
		d.press(kiosk.Action{Kind: kiosk.ActDigit, Digit: int(c - '0')})
	}
}

// choose touches the choice with this label.
func (d *coreDriver) choose(label string) {
	for i, c := range d.term.View().Choices {
		if c.Label == label {
			d.press(kiosk.Action{Kind: kiosk.ActChoose, Index: i})
			return
		}
	}
	d.check(fmt.Errorf("no choice %q", label))
}

// shot records the current view as a case, checking it is the scene meant.
func (d *coreDriver) shot(name string, want kiosk.Scene, must ...string) {
	v := d.term.View()
	if d.err == nil && v.Scene != want {
		d.err = fmt.Errorf("core case %s: scene %v, want %v (title %v lines %v)", name, v.Scene, want, v.Title, v.Lines)
	}
	d.cases = append(d.cases, viewCase(d.s, "core-"+name, v, must...))
}

func (d *coreDriver) check(err error) {
	if d.err == nil && err != nil {
		d.err = err
	}
}

func buildCoreCases() ([]sceneCase, error) {
	dir, err := os.MkdirTemp("", "hongmajia-ui")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	clk := clock.NewFake(testNow)
	opts := ledger.Options{Clock: clk, Sync: clock.NewFakeSync(true), BootID: clock.FixedBootID("ui-test"), Location: cst,
		PIN: ledger.PINParams{Time: 1, MemoryKiB: 64, Threads: 1}}
	led, err := ledger.Create(ctx, dir, ledger.Terminal{Center: "C-UI", CenterName: "和平里街道党群服务中心"}, opts)
	if err != nil {
		return nil, err
	}
	defer led.Close()
	d := &coreDriver{ctx: ctx, led: led, clk: clk, s: ChineseStrings()}
	id := record.NewEntryID
	staff := record.CardUID("5A5A0001")
	// The longest PIN the ledger takes: the pad shows a dot for each digit.
	const pin = "246813579024"
	_, err = led.AddStaff(ctx, ledger.AddStaff{ID: id(), UID: staff, Name: "刘珺", Role: ledger.RoleStaff, PIN: pin})
	d.check(err)
	rates := map[record.VolunteerKind]int64{record.RedVest: 10, record.GreenVest: 10, record.Resident: 5}
	for _, a := range []struct{ name, start, end string }{{"助老服务", "08:30", "11:30"}, {"环境整治", "09:00", "17:00"}} {
		_, err := led.PutActivity(ctx, ledger.PutActivity{ID: id(), Activity: ledger.Activity{Name: a.name,
			Schedule: record.Schedule{Start: a.start, End: a.end}, Rules: record.Rules{PointsPerHour: rates, EarlyMinutes: 60,
				RoundMinutes: 15, MinMinutes: 15}, Active: true}})
		d.check(err)
	}
	person := func(member, name, phone string, kind record.VolunteerKind, uid record.CardUID) ledger.Person {
		p, err := led.EnrolPerson(ctx, ledger.EnrolPerson{ID: id(), MemberNo: member, Name: name, Phone: phone, Community: "和平里社区", Kind: kind})
		d.check(err)
		_, err = led.BindCard(ctx, ledger.BindCard{ID: id(), Person: p.ID, UID: uid, Operator: staff})
		d.check(err)
		return p
	}
	person("1001", "王堃", "13800001001", record.RedVest, "04A1B2C3")
	yue := person("1002", "周玥", "13800001002", record.Resident, "04A1B2C4")
	person("1003", "陈赟", "13800001003", record.GreenVest, "04A1B2C5")
	person("1004", "李喆", "13800001004", record.RedVest, "04A1B2C6")
	_, err = led.SetCardState(ctx, ledger.SetCardState{ID: id(), UID: "04A1B2C6", State: ledger.CardLost, Operator: staff})
	d.check(err)
	_, err = led.Adjust(ctx, ledger.Adjust{ID: id(), Person: yue.ID, Points: 120, Reason: "活动奖励", Operator: staff})
	d.check(err)
	items := []struct {
		name         string
		price, stock int64
		period       ledger.Period // a limit of one per period
	}{{"大米", 80, 10, 0}, {"食用油", 150, 5, 0}, {"洗衣液", 60, 0, 0}, {"理发服务", 10, 20, ledger.Weekly}}
	for _, it := range items {
		limit := int64(0)
		if it.period != ledger.NoLimit {
			limit = 1
		}
		item, err := led.PutItem(ctx, ledger.PutItem{ID: id(), Item: ledger.Item{Name: it.name, Price: it.price, Limit: limit, Period: it.period, Active: true}})
		d.check(err)
		if it.stock > 0 {
			_, err = led.Restock(ctx, ledger.Restock{ID: id(), Item: item.ID, Quantity: it.stock, Operator: staff})
			d.check(err)
		}
	}
	if d.err != nil {
		return nil, d.err
	}

	d.term = kiosk.New(led, kiosk.Options{Clock: clk, Demo: true})
	defer d.term.Close()
	d.term.Settle()
	A := func(k kiosk.ActionKind) kiosk.Action { return kiosk.Action{Kind: k} }

	// A volunteer checks in and, later, out.
	d.tap("04A1B2C3")
	d.shot("person", kiosk.ScenePerson, "王堃", "签到", "兑换", "记录")
	d.act(kiosk.ActCheckIn)
	d.shot("checkin-choose", kiosk.SceneCheckInChoose, "请选择活动", "助老服务", "环境整治")
	d.press(kiosk.Action{Kind: kiosk.ActChoose, Index: 0})
	d.shot("checkin-done", kiosk.SceneCheckInDone, "签到成功", "签到时间 09:41")
	clk.Advance(100 * time.Minute)
	d.tap("04A1B2C3")
	d.shot("person-open", kiosk.ScenePerson, "签退")
	// 签退 first shows what the check-out will credit; 签退 again confirms.
	d.act(kiosk.ActCheckOut)
	d.shot("checkout-confirm", kiosk.SceneCheckOutConfirm, "现在签退吗？", "已服务 1小时40分钟", "按每15分钟计，记 1小时30分钟", "可得 15 积分", "返回", "签退")
	d.act(kiosk.ActConfirm)
	d.shot("checkout-done", kiosk.SceneCheckOutDone, "签退成功", "本次服务 1小时40分钟", "按每15分钟计，记 1小时30分钟", "获得 15 积分，现有 15 积分")
	d.act(kiosk.ActBack, kiosk.ActHistory)
	d.shot("history", kiosk.SceneHistory, "我的记录")
	d.press(A(kiosk.ActHome))
	d.shot("idle", kiosk.SceneIdle, "请刷卡", "助老服务", "王*", "演示：按 1–9 刷卡")

	// A shift too short to count: the look before says so, and the result
	// is no green success.
	d.tap("04A1B2C5")
	d.act(kiosk.ActCheckIn)
	d.press(kiosk.Action{Kind: kiosk.ActChoose, Index: 1})
	clk.Advance(11 * time.Minute)
	d.act(kiosk.ActBack)
	d.tap("04A1B2C5")
	d.act(kiosk.ActCheckOut)
	d.shot("checkout-confirm-short", kiosk.SceneCheckOutConfirm, "已服务 11分钟", "不满 15 分钟，不计时长和积分")
	d.act(kiosk.ActConfirm)
	d.shot("checkout-done-short", kiosk.SceneCheckOutDone, "已签退，未计时长", "本次服务 11分钟", "不满 15 分钟，不计时长和积分", "现有 0 积分")
	d.press(A(kiosk.ActHome))

	// A resident redeems.
	d.tap("04A1B2C4")
	d.act(kiosk.ActRedeem)
	d.shot("redeem-grid", kiosk.SceneRedeemGrid, "大米", "积分不够，", "还差 30 分", "库存不足")
	d.choose("大米")
	d.shot("redeem-confirm", kiosk.SceneRedeemConfirm, "兑换 大米？", "需要 80 积分，兑换后剩 40 积分")
	d.act(kiosk.ActConfirm)
	d.shot("redeem-done", kiosk.SceneRedeemDone, "取货码", "已兑换 大米，积分余额 40")
	code := d.term.View().Redeem.Code
	d.act(kiosk.ActBack, kiosk.ActRedeem)
	d.choose("理发服务")
	d.act(kiosk.ActConfirm, kiosk.ActBack, kiosk.ActRedeem)
	d.shot("redeem-refused", kiosk.SceneRedeemGrid, "还差 120 分", "本周已兑换")
	d.act(kiosk.ActBack, kiosk.ActHistory)
	d.shot("history-redeemed", kiosk.SceneHistory, "兑换：大米，用去 80 积分，取货码 "+string(code))
	d.press(A(kiosk.ActHome))

	// Cards that cannot be used.
	d.tap("0BADCAFE")
	d.shot("card-unknown", kiosk.SceneNotice, "这张卡还没有登记", "请到服务台登记")
	d.press(A(kiosk.ActHome))
	d.tap("04A1B2C6")
	d.shot("card-lost", kiosk.SceneNotice, "此卡已挂失", "请到服务台办理")
	d.press(A(kiosk.ActHome))

	// At noon one activity is open: the check-in asks to confirm it. The
	// shift stays open for the staff to close.
	clk.Set(time.Date(2026, 11, 25, 12, 0, 0, 0, cst))
	d.tap("04A1B2C5")
	d.act(kiosk.ActCheckIn)
	d.shot("checkin-confirm", kiosk.SceneCheckInConfirm, "确认签到：环境整治", "确认", "取消")
	d.act(kiosk.ActConfirm)
	d.press(A(kiosk.ActHome))
	clk.Advance(45 * time.Minute)

	// Staff.
	d.tap(staff)
	d.shot("pin", kiosk.ScenePIN, "请输入密码")
	d.digits("1111")
	d.act(kiosk.ActConfirm)
	d.shot("pin-wrong", kiosk.ScenePIN, "密码错误，请再试")
	d.digits(pin)
	d.shot("pin-typed", kiosk.ScenePIN, strings.Repeat("● ", len(pin)))
	d.act(kiosk.ActConfirm)
	d.shot("staff-menu", kiosk.SceneStaffMenu, "工作人员：刘珺", "绑定新卡", "今日汇总")
	d.press(kiosk.Action{Kind: kiosk.ActStaff, Staff: kiosk.StaffBind})
	d.digits("1003")
	d.shot("staff-find", kiosk.SceneStaffFind, "1003")
	d.act(kiosk.ActConfirm)
	d.shot("staff-people", kiosk.SceneStaffPeople, "陈*  会员号 1003　电话 138****1003")
	d.press(kiosk.Action{Kind: kiosk.ActChoose, Index: 0})
	d.shot("staff-tap-card", kiosk.SceneStaffTapCard, "请刷新卡")
	d.tap("04A1B2C3")
	d.shot("staff-card-in-use", kiosk.SceneStaffTapCard, "这张卡已经在用，请换一张")
	d.tap("04FFEE01")
	d.shot("staff-done", kiosk.SceneStaffDone, "绑卡成功")
	d.act(kiosk.ActConfirm)
	d.press(kiosk.Action{Kind: kiosk.ActStaff, Staff: kiosk.StaffAdjust})
	d.digits("1002")
	d.act(kiosk.ActConfirm)
	d.press(kiosk.Action{Kind: kiosk.ActChoose, Index: 0})
	d.digits("20")
	d.act(kiosk.ActSign)
	d.shot("staff-amount", kiosk.SceneStaffAmount, "请输入调整的积分", "−20", "扣分")
	d.act(kiosk.ActConfirm)
	d.shot("staff-reasons", kiosk.SceneStaffReasons, "请选择原因", "更正录入错误")
	d.act(kiosk.ActBack)
	d.press(kiosk.Action{Kind: kiosk.ActStaff, Staff: kiosk.StaffReverse})
	d.shot("staff-redemptions", kiosk.SceneStaffRedemptions, "撤销兑换")
	d.act(kiosk.ActBack)
	d.press(kiosk.Action{Kind: kiosk.ActStaff, Staff: kiosk.StaffRestock})
	d.shot("staff-items", kiosk.SceneStaffItems, "补充库存", "大米  还剩 9 件")
	d.act(kiosk.ActBack)
	d.press(kiosk.Action{Kind: kiosk.ActStaff, Staff: kiosk.StaffSummary})
	d.shot("staff-summary", kiosk.SceneStaffSummary, "今日汇总")
	d.act(kiosk.ActConfirm)
	d.press(kiosk.Action{Kind: kiosk.ActStaff, Staff: kiosk.StaffShifts})
	d.shot("staff-shifts", kiosk.SceneStaffShifts, "关闭未签退", "陈*  环境整治　签到于 11-25 12:00")
	d.press(kiosk.Action{Kind: kiosk.ActChoose, Index: 0})
	d.shot("staff-shift-closed", kiosk.SceneStaffDone, "已关闭签到", "本次服务 45分钟")
	d.act(kiosk.ActConfirm)
	d.press(kiosk.Action{Kind: kiosk.ActStaff, Staff: kiosk.StaffReader})
	d.tap("04A1B2C4")
	d.shot("staff-reader", kiosk.SceneStaffReader, "读到卡号 04A1B2C4")

	// A walk-in is registered by member number alone; until the hub
	// completes the registration every scene names them with the catalog's
	// words for a provisional person.
	d.act(kiosk.ActConfirm)
	d.press(kiosk.Action{Kind: kiosk.ActStaff, Staff: kiosk.StaffEnrol})
	d.digits("1009")
	d.act(kiosk.ActConfirm)
	d.tap("04FFEE02")
	d.shot("staff-walk-in-done", kiosk.SceneStaffDone, "已登记，姓名待中心补全")
	d.act(kiosk.ActConfirm, kiosk.ActBack)
	d.tap("04FFEE02")
	d.shot("person-walk-in", kiosk.ScenePerson, "待补登记", "签到")
	d.press(A(kiosk.ActHome))
	d.tap(staff)
	d.digits(pin)
	d.act(kiosk.ActConfirm)
	d.press(kiosk.Action{Kind: kiosk.ActStaff, Staff: kiosk.StaffBind})
	d.digits("1009")
	d.act(kiosk.ActConfirm)
	d.shot("staff-people-walk-in", kiosk.SceneStaffPeople, "待补登记  会员号 1009　电话")
	d.press(kiosk.Action{Kind: kiosk.ActChoose, Index: 0})
	d.shot("staff-tap-card-walk-in", kiosk.SceneStaffTapCard, "请刷新卡", "待补登记")
	d.tap("04FFEE03")
	d.shot("staff-done-walk-in", kiosk.SceneStaffDone, "绑卡成功", "待补登记　卡号 04FFEE03")

	t := kiosk.NewFaulted(fmt.Errorf("open: %w", ledger.ErrCorrupt), kiosk.Options{Clock: clk})
	defer t.Close()
	d.cases = append(d.cases, viewCase(d.s, "core-technician", t.View(), "请联系技术人员", "故障代码 E-DB-CORRUPT"))
	return d.cases, d.err
}

// TestCoreScenesHaveScreens: every scene of the core is drawn from a view
// the core itself made, at every size the screenshots are taken.
func TestCoreScenesHaveScreens(t *testing.T) {
	waitScreens(t)
	seen := map[kiosk.Scene]bool{}
	for _, c := range coreCases {
		seen[c.view.Scene] = true
	}
	n := 0
	for sc := kiosk.SceneIdle; sc.String() != "scene?"; sc++ {
		n++
		if !seen[sc] {
			t.Errorf("no screenshot case of the core's scene %v", sc)
		}
	}
	if n < 25 {
		t.Fatalf("only %d scenes counted", n)
	}
}

// TestButtonsCarryTheCoresActions: the staff menu's buttons are its
// entries' StaffActions, a list's the index of its choice, and the pad's
// keys each a key press, so what a button means is said once, by the core.
func TestButtonsCarryTheCoresActions(t *testing.T) {
	s := ChineseStrings()
	l := NewLayout(1024, 600, DefaultLayoutOpts)
	frame := func(v kiosk.View) Frame {
		b := NewBuilder(l, s, fakeFonts{}, testNow)
		ScreenFor(s, v, cst, nil).Build(b)
		return b.Frame()
	}
	menu := kiosk.View{Scene: kiosk.SceneStaffMenu, Staff: kiosk.StaffView{Menu: []kiosk.MenuItem{
		{Key: "staff.restock", Action: kiosk.StaffRestock}, {Key: "staff.summary", Action: kiosk.StaffSummary}}}}
	f := frame(menu)
	for _, m := range menu.Staff.Menu {
		it, ok := f.Find(s.T(m.Key))
		if !ok || it.Target < 0 || f.Actions[it.Target] != (Action{Action: kiosk.Action{Kind: kiosk.ActStaff, Staff: m.Action}}) {
			t.Errorf("menu entry %s: %+v", m.Key, it)
		}
	}
	people := kiosk.View{Scene: kiosk.SceneStaffPeople, Choices: []kiosk.Choice{{Label: "王*"}, {Label: "李*"}}}
	if it, ok := frame(people).Find("李*"); !ok || frame(people).Actions[it.Target] != Choose(1) {
		t.Errorf("second person: %+v", it)
	}

	pad := kiosk.View{Scene: kiosk.ScenePIN, Title: kiosk.T("staff.pin"), Pad: "1234"}
	f = frame(pad)
	want := map[string]Action{"删除": Act(kiosk.ActDelete), "确认": Act(kiosk.ActConfirm), "取消": Act(kiosk.ActBack)}
	for d := range 10 {
		want[string(rune('0'+d))] = Action{Action: kiosk.Action{Kind: kiosk.ActDigit, Digit: d}}
	}
	for label, a := range want {
		if it, ok := f.Find(label); !ok || it.Target < 0 || f.Actions[it.Target] != a {
			t.Errorf("pad key %s: %+v, want %v", label, it, a)
		}
	}
	if len(f.Targets) != len(want) {
		t.Errorf("the PIN pad has %d buttons, want %d: no sign", len(f.Targets), len(want))
	}
	// A PIN is dots; a number is its digits, with its sign on a signed pad.
	if _, ok := f.Find("● ● ● ● "); !ok {
		t.Errorf("PIN shown as %q", f.Texts())
	}
	if strings.Contains(strings.Join(f.Texts(), " "), "1234") {
		t.Error("the PIN pad shows the digits")
	}
	amount := kiosk.View{Scene: kiosk.SceneStaffAmount, Title: kiosk.T("staff.adjust_amount"), Pad: "25", Signed: true, Negative: true}
	f = frame(amount)
	if _, ok := f.Find("−25"); !ok {
		t.Errorf("amount shown as %q", f.Texts())
	}
	if it, ok := f.Find("扣分"); !ok || f.Actions[it.Target] != Act(kiosk.ActSign) {
		t.Errorf("sign key: %+v", it)
	}
	amount.Signed, amount.Negative = false, false
	if f = frame(amount); len(f.Targets) != len(want) {
		t.Errorf("an unsigned pad has %d buttons", len(f.Targets))
	}
	// Nothing typed: 确认 is not a button.
	pad.Pad = ""
	if f = frame(pad); hasAction(f, Act(kiosk.ActConfirm)) {
		t.Error("确认 offered on an empty pad")
	}
}
