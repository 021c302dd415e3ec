package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/hubsync"
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
	c := viewCase(d.s, "core-"+name, v, must...)
	// Drawn when the core made it: a running shift, the header's clock
	// and the times in the view agree.
	c.now = d.clk.Now()
	d.cases = append(d.cases, c)
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
	led, err := ledger.Create(ctx, dir, ledger.Terminal{ID: "3F9A0B12C4D5E6F7", Center: "C-UI", CenterName: "和平里街道党群服务中心"}, opts)
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
	// A second staff card, to be locked out.
	_, err = led.AddStaff(ctx, ledger.AddStaff{ID: id(), UID: "5A5A0002", Name: "王芳", Role: ledger.RoleStaff, PIN: "1357"})
	d.check(err)
	rates := map[record.VolunteerKind]int64{record.RedVest: 10, record.GreenVest: 10, record.Resident: 5}
	var works record.ActivityID // 环境整治
	for _, a := range []struct{ name, start, end string }{{"助老服务", "08:30", "11:30"}, {"环境整治", "09:00", "17:00"}} {
		act, err := led.PutActivity(ctx, ledger.PutActivity{ID: id(), Activity: ledger.Activity{Name: a.name,
			Schedule: record.Schedule{Start: a.start, End: a.end}, Rules: record.Rules{PointsPerHour: rates, EarlyMinutes: 60,
				RoundMinutes: 15, MinMinutes: 15}, Active: true}})
		d.check(err)
		works = act.ID
	}
	person := func(member, name, phone string, kind record.VolunteerKind, uid record.CardUID) ledger.Person {
		p, err := led.EnrolPerson(ctx, ledger.EnrolPerson{ID: id(), MemberNo: member, Name: name, Phone: phone, Community: "和平里社区", Kind: kind})
		d.check(err)
		_, err = led.BindCard(ctx, ledger.BindCard{ID: id(), Person: p.ID, UID: uid, Operator: staff})
		d.check(err)
		return p
	}
	person("HPL1001", "王堃", "13800001001", record.RedVest, "04A1B2C3")
	yue := person("HPL1002", "周玥", "13800001002", record.Resident, "04A1B2C4")
	person("HPL1003", "陈赟", "13800001003", record.GreenVest, "04A1B2C5")
	person("HPL1004", "李喆", "13800001004", record.RedVest, "04A1B2C6")
	_, err = led.SetCardState(ctx, ledger.SetCardState{ID: id(), UID: "04A1B2C6", State: ledger.CardLost, Operator: staff})
	d.check(err)
	// Checked in yesterday afternoon and never out: the staff lists it with
	// its date, and today's summary counts it apart.
	person("HPL1005", "孙燊", "13800001005", record.RedVest, "04A1B2C7")
	clk.Set(testNow.Add(-18 * time.Hour))
	_, err = led.CheckIn(ctx, ledger.CheckIn{ID: id(), Card: "04A1B2C7", Activity: works})
	d.check(err)
	clk.Set(testNow)
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

	readers := func() []rfid.Status {
		return []rfid.Status{
			{Kind: rfid.KindSim, Device: "sim", State: rfid.StateOK, Taps: 3},
			{Kind: rfid.KindMFRC522, Device: "/dev/spidev0.0", State: rfid.StateAbsent, Retry: clk.Now().Add(time.Second),
				Err: errors.New("no SPI device /dev/spidev0.0: enable SPI with dtparam=spi=on in /boot/firmware/config.txt and reboot")},
		}
	}
	d.term = kiosk.New(led, kiosk.Options{Clock: clk, Demo: true, ReaderStatus: readers})
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
	// Drawn at the core's clock: the shift has run 100 minutes, and the
	// header says so.
	d.shot("person-open", kiosk.ScenePerson, "签退", "助老服务 · 已服务 1小时40分钟", "2026年11月25日 星期三 11:21")
	// 签退 first shows what the check-out will credit; 签退 again confirms.
	d.act(kiosk.ActCheckOut)
	d.shot("checkout-confirm", kiosk.SceneCheckOutConfirm, "现在签退吗？", "已服务 1小时40分钟", "按每 15 分钟计，记 1小时30分钟", "可得 15 积分", "返回", "签退")
	d.act(kiosk.ActConfirm)
	d.shot("checkout-done", kiosk.SceneCheckOutDone, "签退成功", "助老服务 · 11:21 签退", "本次服务 1小时40分钟", "按每 15 分钟计，记 1小时30分钟",
		"获得 15 积分，现有 15 积分")
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
	d.shot("checkout-confirm-short", kiosk.SceneCheckOutConfirm, "已服务 11 分钟", "不满 15 分钟，不计时长和积分", "再服务 4 分钟即可计时", "继续服务", "签退")
	d.act(kiosk.ActConfirm)
	d.shot("checkout-done-short", kiosk.SceneCheckOutDone, "已签退，未计时长", "环境整治 · 11:32 签退", "本次服务 11 分钟", "不满 15 分钟，不计时长和积分", "现有 0 积分")
	d.press(A(kiosk.ActHome))

	// A resident redeems.
	d.tap("04A1B2C4")
	d.act(kiosk.ActRedeem)
	d.shot("redeem-grid", kiosk.SceneRedeemGrid, "大米", "积分不够，", "还差 30 分", "库存不足")
	d.choose("大米")
	d.shot("redeem-confirm", kiosk.SceneRedeemConfirm, "兑换「大米」吗？", "需要 80 积分，兑换后剩 40 积分", "返回", "兑换")
	d.act(kiosk.ActConfirm)
	d.shot("redeem-done", kiosk.SceneRedeemDone, "取货码", "已兑换「大米」，剩余 40 积分", "请凭取货码到服务台领取，「记录」里也能查到")
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
	d.shot("card-lost", kiosk.SceneNotice, "这张卡已挂失", "请到服务台办理")
	d.press(A(kiosk.ActHome))
	// A disabled staff card opens no PIN screen.
	off := record.CardUID("5A5A0003")
	_, err = led.AddStaff(ctx, ledger.AddStaff{ID: id(), UID: off, Name: "赵敏", Role: ledger.RoleStaff, PIN: "8642"})
	d.check(err)
	_, err = led.SetStaffActive(ctx, ledger.SetStaffActive{ID: id(), UID: off})
	d.check(err)
	d.tap(off)
	d.shot("staff-disabled", kiosk.SceneNotice, "这张工作人员卡已停用", "请联系技术人员")
	d.press(A(kiosk.ActHome))

	// At noon one activity is open: the check-in asks to confirm it. The
	// shift stays open for the staff to close.
	clk.Set(time.Date(2026, 11, 25, 12, 0, 0, 0, cst))
	d.tap("04A1B2C5")
	d.act(kiosk.ActCheckIn)
	d.shot("checkin-confirm", kiosk.SceneCheckInConfirm, "现在签到「环境整治」吗？", "签到", "返回")
	d.act(kiosk.ActConfirm)
	d.press(A(kiosk.ActHome))
	clk.Advance(45 * time.Minute)

	// Staff.
	staffAct := func(a kiosk.StaffAction) { d.press(kiosk.Action{Kind: kiosk.ActStaff, Staff: a}) }
	d.tap(staff)
	d.shot("pin", kiosk.ScenePIN, "工作人员：刘珺", "请输入密码")
	d.digits("1111")
	d.act(kiosk.ActConfirm)
	d.shot("pin-wrong", kiosk.ScenePIN, "密码错误，还可以再试 4 次")
	d.digits(pin)
	d.shot("pin-typed", kiosk.ScenePIN, strings.Repeat("● ", len(pin)))
	d.act(kiosk.ActConfirm)
	d.shot("staff-menu", kiosk.SceneStaffMenu, "工作人员：刘珺", "核销取货", "绑定新卡", "登记新志愿者", "换卡/补卡", "挂失", "代为签退", "今日汇总", "退出",
		"未接入区平台")
	staffAct(kiosk.StaffBind)
	d.digits("1003")
	d.shot("staff-find", kiosk.SceneStaffFind, "1003", "绑定新卡：", "手机后四位或会员号", "返回")
	d.act(kiosk.ActConfirm)
	d.shot("staff-people", kiosk.SceneStaffPeople, "绑定新卡：请选择人员", "陈赟", "会员号 HPL1003　电话 138****1003")
	d.press(kiosk.Action{Kind: kiosk.ActChoose, Index: 0})
	d.shot("staff-tap-card", kiosk.SceneStaffTapCard, "请刷新卡", "陈赟", "返回")
	d.tap("04A1B2C3")
	d.shot("staff-card-in-use", kiosk.SceneStaffTapCard, "这张卡已被「王堃」使用", "陈赟", "请换一张卡再刷")
	d.tap("04FFEE01")
	d.shot("staff-confirm-second-card", kiosk.SceneStaffConfirm, "请核对后确认", "此人已有一张在用的卡",
		"在用的卡：04A1B2C5", "返回", "两张卡都可用")
	d.act(kiosk.ActConfirm)
	d.shot("staff-done", kiosk.SceneStaffDone, "绑卡成功", "陈赟　卡号 04FFEE01")
	d.act(kiosk.ActConfirm)
	staffAct(kiosk.StaffAdjust)
	d.digits("1002")
	d.act(kiosk.ActConfirm)
	d.press(kiosk.Action{Kind: kiosk.ActChoose, Index: 0})
	d.digits("20")
	d.act(kiosk.ActSubtract)
	d.shot("staff-amount", kiosk.SceneStaffAmount, "「周玥」现有 30 积分，", "请输入要调整的积分", "−20", "加分", "扣分", "返回")
	d.act(kiosk.ActConfirm)
	d.shot("staff-reasons", kiosk.SceneStaffReasons, "请选择原因", "更正录入错误")
	d.press(kiosk.Action{Kind: kiosk.ActChoose, Index: 0})
	d.shot("staff-confirm-adjust", kiosk.SceneStaffConfirm, "为「周玥」调整积分 −20？", "原因：更正录入错误", "现有 30 积分，调整后 10 积分", "调整积分")
	d.act(kiosk.ActBack)
	staffAct(kiosk.StaffReverse)
	d.shot("staff-redemptions", kiosk.SceneStaffRedemptions, "撤销兑换", "大米")
	d.choose("大米")
	d.shot("staff-confirm-reverse", kiosk.SceneStaffConfirm, "撤销「周玥」兑换的大米？", "退回 80 积分，库存加回 1 件", "现有 30 积分，撤销后 110 积分", "撤销兑换")
	d.act(kiosk.ActBack)
	staffAct(kiosk.StaffRestock)
	d.shot("staff-items", kiosk.SceneStaffItems, "补充库存", "大米", "还剩 9 件")
	d.act(kiosk.ActBack)
	staffAct(kiosk.StaffSummary)
	d.shot("staff-summary", kiosk.SceneStaffSummary, "今日汇总", "今日签到 3 次，签退 2 次，1 人还未签退", "另有 1 人此前未签退",
		"共计服务 1小时30分钟，服务积分 15", "人工调整 +120 积分（1 次）")
	d.act(kiosk.ActConfirm)
	staffAct(kiosk.StaffShifts)
	d.shot("staff-shifts", kiosk.SceneStaffShifts, "代为签退", "陈赟", "环境整治　签到于 12:00", "孙燊", "环境整治　签到于 11月24日 15:41")
	d.choose("陈赟")
	d.shot("staff-confirm-close", kiosk.SceneStaffConfirm, "为「陈赟」代为签退？", "已过 45 分钟", "按规则计入 45 分钟，获得 7 积分", "代为签退")
	d.act(kiosk.ActConfirm)
	d.shot("staff-shift-closed", kiosk.SceneStaffDone, "已代为签退", "陈赟　活动：环境整治", "按规则计入 45 分钟，获得 7 积分")
	d.act(kiosk.ActConfirm)
	staffAct(kiosk.StaffReader)
	d.shot("staff-reader-waiting", kiosk.SceneStaffReader, "读卡器测试", "请刷一张卡试试", "模拟读卡器", "状态：正常，已读卡 3 次",
		"状态：没有找到读卡器，正在重试，已读卡 0 次")
	d.tap("04A1B2C4")
	d.shot("staff-reader", kiosk.SceneStaffReader, "读到卡号 04A1B2C4", "MFRC522 射频读卡器，设备 /dev/spidev0.0")
	d.act(kiosk.ActConfirm)

	// 核销: today's waiting redemption, picked; then its code typed again.
	staffAct(kiosk.StaffHandOut)
	d.shot("staff-handouts", kiosk.SceneStaffHandouts, "核销取货", "输入取货码", "大米")
	d.choose("大米")
	handout := ""
	if args := d.term.View().Title.Args; len(args) == 1 {
		handout, _ = args[0].(string)
	}
	d.shot("staff-confirm-hand-out", kiosk.SceneStaffConfirm, "核销取货码 "+handout+"？", "周玥　大米 1 件", "兑换于 11:32", "核销")
	d.act(kiosk.ActConfirm)
	d.shot("staff-handed-out", kiosk.SceneStaffDone, "已核销，请交付物品")
	d.act(kiosk.ActConfirm)
	staffAct(kiosk.StaffHandOut)
	d.press(kiosk.Action{Kind: kiosk.ActChoose, Index: 0})
	d.digits(handout)
	d.act(kiosk.ActConfirm)
	d.shot("staff-code-handed-out", kiosk.SceneStaffFind, "请输入取货码", "12:45 已由「刘珺」核销")
	d.act(kiosk.ActBack)
	// The reversal list marks what was handed out: not to be reversed. One
	// handed out at the desk while the list is open is refused, saying why.
	staffAct(kiosk.StaffReverse)
	d.shot("staff-redemptions-handed-out", kiosk.SceneStaffRedemptions, "撤销兑换", "大米", "理发服务")
	var haircut ledger.RedemptionRecord
	if recs, err := led.Redemptions(ctx, "2026-11-25"); err == nil {
		for _, r := range recs {
			if r.ItemName == "理发服务" {
				haircut = r
			}
		}
	} else {
		d.check(err)
	}
	d.choose("理发服务")
	_, err = led.HandOut(ctx, ledger.HandOut{ID: id(), Redemption: haircut.Entry, Operator: staff})
	d.check(err)
	d.act(kiosk.ActConfirm)
	d.shot("staff-refused", kiosk.SceneStaffDone, "已领取，不能撤销", "12:45 已由「刘珺」核销")
	d.act(kiosk.ActConfirm)

	// 挂失: 王堃's card, then a replacement of an active card asks first.
	staffAct(kiosk.StaffBlock)
	d.digits("1001")
	d.act(kiosk.ActConfirm)
	d.press(kiosk.Action{Kind: kiosk.ActChoose, Index: 0})
	d.shot("staff-cards", kiosk.SceneStaffCards, "请选择「王堃」要挂失的卡", "04A1B2C3", "绑定于 2026-11-25")
	d.press(kiosk.Action{Kind: kiosk.ActChoose, Index: 0})
	d.shot("staff-confirm-block", kiosk.SceneStaffConfirm, "挂失「王堃」的卡 04A1B2C3？", "挂失")
	d.act(kiosk.ActConfirm)
	d.shot("staff-blocked", kiosk.SceneStaffDone, "已挂失", "王堃　卡号 04A1B2C3", "此卡已停用，积分仍在账上，可补办新卡")
	d.act(kiosk.ActConfirm)
	staffAct(kiosk.StaffReplace)
	d.digits("1003")
	d.act(kiosk.ActConfirm)
	d.press(kiosk.Action{Kind: kiosk.ActChoose, Index: 0})
	d.tap("04FFEE04")
	d.shot("staff-confirm-replace", kiosk.SceneStaffConfirm, "旧卡 04FFEE01 还在用，换卡后将停用", "积分在本人账上，换卡后不变", "换卡")
	d.act(kiosk.ActConfirm)
	d.shot("staff-replaced", kiosk.SceneStaffDone, "已换新卡", "陈赟　卡号 04FFEE04", "积分在本人账上，换卡后不变", "旧卡 04FFEE01 已停用")
	d.act(kiosk.ActConfirm)

	// A walk-in is registered with a card alone; the ledger makes the
	// member number. Until the hub completes the registration every scene
	// names them with the catalog's words for a provisional person and the
	// number's last digits, which staff type to find them.
	staffAct(kiosk.StaffEnrol)
	d.shot("staff-tap-card-walk-in-new", kiosk.SceneStaffTapCard, "请刷新卡", "待补登记")
	d.tap("04FFEE02")
	short := ""
	if lines := d.term.View().Lines; len(lines) > 0 && len(lines[0].Args) == 1 {
		short, _ = lines[0].Args[0].(string)
	}
	walkIn := "待补登记 " + short
	d.shot("staff-walk-in-done", kiosk.SceneStaffDone, "已登记新志愿者", "查找请输入 "+short, walkIn+"　卡号 04FFEE02", "姓名待区中心登记时补全")
	d.act(kiosk.ActConfirm, kiosk.ActBack)
	d.tap("04FFEE02")
	d.shot("person-walk-in", kiosk.ScenePerson, walkIn, "请到服务台补全姓名", "签到")
	d.press(A(kiosk.ActHome))
	d.tap(staff)
	d.digits(pin)
	d.act(kiosk.ActConfirm)
	staffAct(kiosk.StaffBind)
	d.digits(short)
	d.act(kiosk.ActConfirm)
	d.shot("staff-people-walk-in", kiosk.SceneStaffPeople, walkIn, "本机登记于 12:45，姓名待补全")
	d.press(kiosk.Action{Kind: kiosk.ActChoose, Index: 0})
	d.shot("staff-tap-card-walk-in", kiosk.SceneStaffTapCard, "请刷新卡", walkIn)
	d.tap("04FFEE03")
	d.act(kiosk.ActConfirm)
	d.shot("staff-done-walk-in", kiosk.SceneStaffDone, "绑卡成功", walkIn+"　卡号 04FFEE03")
	d.press(A(kiosk.ActHome))

	// Five wrong PINs lock a card: the screen says whose, and until when.
	d.tap("5A5A0002")
	for range 5 {
		d.digits("0000")
		d.act(kiosk.ActConfirm)
	}
	d.shot("pin-locked", kiosk.SceneNotice, "密码错误次数太多", "工作人员：王芳", "已锁定，至 13:00 后再试")
	d.press(A(kiosk.ActHome))

	d.syncCases(staff, pin)

	// A version on probation after an update holds taps: the screen says so
	// and nothing is written.
	held := kiosk.New(d.led, kiosk.Options{Clock: clk, Held: func() bool { return true }})
	held.Reader(rfid.Event{Kind: rfid.EventTap, Tap: rfid.Tap{Card: rfid.Card{UID: rfid.UID(record.CardUID("04FFEE03").Bytes())}, At: clk.Now()}})
	held.Settle()
	upd := viewCase(d.s, "core-updating", held.View(), "系统更新中，请稍候", "这次刷卡没有记录，请稍后再刷")
	upd.now = clk.Now()
	d.cases = append(d.cases, upd)
	held.Close()

	t := kiosk.NewFaulted(fmt.Errorf("open: %w", ledger.ErrCorrupt), kiosk.Options{Clock: clk})
	defer t.Close()
	tech := viewCase(d.s, "core-technician", t.View(), "本机暂停使用", "请到服务台办理", "请联系技术人员", "故障代码 E-DB-CORRUPT")
	tech.now = clk.Now()
	d.cases = append(d.cases, tech)
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
	want := map[string]Action{"删除": Act(kiosk.ActDelete), "确认": Act(kiosk.ActConfirm), "返回": Act(kiosk.ActBack)}
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
	if it, ok := f.Find("扣分"); !ok || f.Actions[it.Target] != Act(kiosk.ActSubtract) {
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

// syncer is the App's sync as the screenshots need it: each sync answers
// what the driver gives it.
type syncer chan kiosk.SyncResult

func (s syncer) SyncNow(ctx context.Context) kiosk.SyncResult {
	select {
	case r := <-s:
		return r
	case <-ctx.Done():
		return kiosk.SyncResult{Outcome: kiosk.SyncFailed, Err: ctx.Err()}
	}
}

// synced gives the running sync its result and waits for the screen to
// show it.
func (d *coreDriver) synced(s syncer, res kiosk.SyncResult) {
	select {
	case s <- res:
	case <-time.After(5 * time.Second):
		d.check(errors.New("no sync runs"))
		return
	}
	for deadline := time.Now().Add(5 * time.Second); d.term.View().Title.Key == "sync.running"; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			d.check(errors.New("the sync's result was not shown within 5 s"))
			return
		}
		d.term.Poll()
	}
}

// syncCases are the staff screens of a kiosk enrolled with its district
// hub: the menu's standing, 立即同步 while it runs and how it went. Last:
// an enrolled ledger pauses redemptions when its sync is too old.
func (d *coreDriver) syncCases(staff record.CardUID, pin string) {
	ctx := d.ctx
	d.check(d.led.SetEnrolled(ctx, true))
	d.clk.Set(time.Date(2026, 11, 25, 2, 13, 0, 0, cst))
	d.check(d.led.RecordSync(ctx))
	d.clk.Set(testNow.Add(3 * time.Hour))
	st, err := d.led.SyncState(ctx)
	d.check(err)
	unsynced := fmt.Sprint(st.Unsynced)
	s := make(syncer)
	old := d.term
	defer func() { d.term.Close(); d.term = old }()
	d.term = kiosk.New(d.led, kiosk.Options{Clock: d.clk, Sync: s})
	d.term.Settle()
	d.tap(staff)
	d.digits(pin)
	d.act(kiosk.ActConfirm)
	d.shot("staff-menu-sync", kiosk.SceneStaffMenu, "立即同步", "上次同步 02:13　未同步 "+unsynced+" 条")
	d.press(kiosk.Action{Kind: kiosk.ActStaff, Staff: kiosk.StaffSync})
	d.shot("staff-sync-running", kiosk.SceneStaffSync, "同步中…", "同步在后台进行，可以返回继续工作", "返回")
	d.synced(s, kiosk.SyncResult{Outcome: kiosk.SyncDone, Pushed: 12, Changes: 2, Acked: 345, Pulled: 7})
	d.shot("staff-sync-done", kiosk.SceneStaffSync, "同步完成", "上传 12 条，已确认至 #345", "登记变更 2 条已上传", "收到区里更新 7 条")
	d.act(kiosk.ActConfirm)
	d.press(kiosk.Action{Kind: kiosk.ActStaff, Staff: kiosk.StaffSync})
	d.synced(s, kiosk.SyncResult{Outcome: kiosk.SyncOffline, Unsynced: 4, Err: errors.New("dial tcp: connection refused")})
	d.shot("staff-sync-offline", kiosk.SceneStaffSync, "同步失败：网络不通", "记录都保存在本机，今晚会自动重试", "未同步 4 条")
	d.act(kiosk.ActConfirm)
	d.press(kiosk.Action{Kind: kiosk.ActStaff, Staff: kiosk.StaffSync})
	d.synced(s, kiosk.SyncResult{Outcome: kiosk.SyncFork, Err: errors.New("forked")})
	d.shot("staff-sync-fork", kiosk.SceneStaffSync, "中心账本与区里记录不一致", "请联系技术人员")
	d.check(d.led.RecordPush(ctx, hubsync.PushResult{Refused: "behind its anchor", Fork: true}))
	d.act(kiosk.ActConfirm)
	d.shot("staff-menu-fork", kiosk.SceneStaffMenu, "立即同步", "中心账本与区里记录不一致，请联系技术人员")
	d.press(kiosk.Action{Kind: kiosk.ActHome})
}
