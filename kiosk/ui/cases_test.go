package ui

import (
	"image"
	"image/color"
	"time"

	"github.com/hongmajia/hongmajia/kiosk"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

// The sample content of the fuller screens: a realistic day at a center,
// with the names the issue requires to render (王堃, 李喆, 陈赟, 周玥).
var (
	cst     = time.FixedZone("CST", 8*3600)
	testNow = time.Date(2026, 11, 25, 9, 41, 0, 0, cst)
)

// testPicture is a small item photo stand-in: a striped square.
func testPicture() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			c := color.RGBA{0xFF, 0xC1, 0x07, 0xFF}
			if (x/8+y/8)%2 == 0 {
				c = color.RGBA{0x79, 0x55, 0x48, 0xFF}
			}
			img.Set(x, y, c)
		}
	}
	return img
}

type sceneCase struct {
	name  string
	view  kiosk.View // what ScreenFor drew
	scene Scene
	// must is text that must be drawn, whole, on one line.
	must []string
	// now is the time the scene is drawn at (the header's clock, a
	// running shift): the core's clock when the core made the view.
	now time.Time
}

// viewCase draws a view through ScreenFor, as the frontend does, at testNow.
func viewCase(s Strings, name string, v kiosk.View, must ...string) sceneCase {
	return sceneCase{name: name, view: v, scene: ScreenFor(s, v, cst, nil), must: must, now: testNow}
}

// sceneCases are every screen the tests draw: the core's own views (built
// by driving a real terminal, coreCases) and, for the screens whose data can
// run long (a full honour roll, a catalog with pictures, every kind of
// history line), views as the core makes them, with more data.
func sceneCases(s Strings) []sceneCase {
	activity := func(name, start, end string) ledger.Activity {
		return ledger.Activity{Name: name, Schedule: record.Schedule{Start: start, End: end}, Active: true}
	}
	// Today's activities in the core's order: by start, 随时可签到 last
	// (TestIdleFixturesInTheCoresOrder).
	full := kiosk.View{Scene: kiosk.SceneIdle, Center: "和平里社区党群服务中心", Idle: kiosk.IdleView{
		Activities: []ledger.Activity{
			activity("社区环境清洁", "08:30", "11:00"),
			activity("老年人智能手机课堂", "14:00", "16:00"),
			activity("文明交通劝导", "17:00", "18:30"),
			{Name: "便民服务", Rules: record.Rules{AnyTime: true}, Active: true},
		},
		Honour: []ledger.HonourRow{{Name: "王堃", Minutes: 1830}, {Name: "李喆", Minutes: 1515}, {Name: "陈赟明", Minutes: 1290},
			{Name: "周玥", Minutes: 1200}, {Name: "欧阳娜娜", Minutes: 945}, {Name: "张晓明", Minutes: 600},
			{Name: "赵珺", Minutes: 540}, {Name: "孙燊", Minutes: 480}, {Name: "吴昊", Minutes: 450}, {Name: "郑好", Minutes: 420}},
	}}
	person := kiosk.View{Scene: kiosk.ScenePerson, Person: kiosk.PersonView{Name: "周玥", Kind: record.Resident, Points: 35, Minutes: 95,
		OpenShift: &kiosk.OpenShift{Activity: "社区环境清洁", Since: testNow.Add(-71 * time.Minute)}}}
	item := func(name string, price, stock int64, refusal string, args ...any) kiosk.Choice {
		return kiosk.Choice{Label: name, Price: price, Stock: stock, Detail: kiosk.T("redeem.price", price), Refusal: refusal, RefusalArgs: args}
	}
	catalog := viewCase(s, "catalog", kiosk.View{Scene: kiosk.SceneRedeemGrid, Person: kiosk.PersonView{Name: "李喆", Points: 120},
		Choices: []kiosk.Choice{
			item("洗衣液", 80, 12, ""),
			item("大米 5 公斤", 200, 4, "refusal.insufficient_points", int64(200-120)),
			item("毛巾", 30, 0, "refusal.out_of_stock"),
			item("理发券", 50, 20, "refusal.limit_week"),
			item("雨伞", 60, 7, ""),
			item("食用油", 100, 9, ""),
		}}, "积分兑换  120 积分", "洗衣液", "80 积分", "积分不够，", "还差 80 分", "库存不足", "本周已兑换", "理发券", "下一页", "第 1/2 页")
	catalog.scene.(*CatalogScene).Images = map[string]image.Image{"理发券": testPicture(), "雨伞": testPicture()}
	paged := full
	paged.Idle.Activities = []ledger.Activity{
		activity("文明劝导", "07:00", "09:00"), activity("环境整治", "08:00", "11:00"), activity("社区环境清洁", "08:30", "11:00"),
		activity("助老服务", "09:00", "11:30"), activity("政策宣传", "14:00", "16:30"), activity("老年人智能手机课堂", "14:00", "16:00"),
		activity("文明交通劝导", "17:00", "18:30"), activity("网格巡查", "19:00", "21:00"),
		{Name: "便民服务", Rules: record.Rules{AnyTime: true}, Active: true},
	}
	pickup := kiosk.View{Scene: kiosk.SceneRedeemDone, Redeem: kiosk.RedeemView{Item: "大米 5 公斤", Price: 200, Code: "4271", Balance: ledger.Balance{Points: 1335}}}
	history := kiosk.View{Scene: kiosk.SceneHistory, History: []kiosk.HistoryLine{
		{Kind: record.KindCheckOut, At: testNow.Add(-2 * time.Hour), What: "社区环境清洁", Minutes: 150, Points: 25},
		{Kind: record.KindCheckIn, At: testNow.Add(-5 * time.Hour), What: "社区环境清洁"},
		{Kind: record.KindRedeem, At: testNow.Add(-50 * time.Hour), What: "毛巾", Points: -30},
		{Kind: record.KindRedeem, At: testNow.Add(-52 * time.Hour), What: "食用油 5 升", Points: -1200, Code: "0427"},
		{Kind: record.KindAdjust, At: testNow.Add(-70 * time.Hour), What: "补录服务", Points: 10},
		{Kind: record.KindReverse, At: testNow.Add(-71 * time.Hour), What: "雨伞", Points: 60},
		{Kind: record.KindReplaceCard, At: testNow.Add(-200 * time.Hour)},
		{Kind: record.KindExpire, At: testNow.Add(-300 * time.Hour), Points: -15},
	}}
	return append([]sceneCase{
		viewCase(s, "idle", full, "请刷卡", "今日活动", "王*", "陈*明", "欧**娜", "30小时30分钟", "25小时15分钟", "15小时45分钟",
			"社区环境清洁", "08:30–11:00", "随时可签到"),
		viewCase(s, "idle-empty", kiosk.View{Scene: kiosk.SceneIdle, Center: "和平里社区党群服务中心", Demo: true},
			"请刷卡", "今天没有活动", "本月还没有服务记录", "演示：按 1–9 刷卡"),
		viewCase(s, "person-open-shift", person, "周玥", "35", "1小时35分钟", "签退", "社区环境清洁 · 已服务 1小时11分钟"),
		catalog,
		viewCase(s, "staff-items-paged", manyItems(25), "补充库存", "物品01", "还剩 0 件", "下一页", "上一页", "第 1/3 页"),
		viewCase(s, "history", history, "我的记录", "签退：社区环境清洁，2小时30分钟，获得 25 积分", "兑换：毛巾，用去 30 积分",
			"兑换：食用油 5 升，用去 1200 积分，取货码 0427", "已换新卡", "积分调整 +10：补录服务", "11-25 07:41"),
		viewCase(s, "idle-paged", paged, "请刷卡"),
		// The longest sync standing, a warning, beside 退出 on the longest menu
		// a terminal without a hub link shows.
		viewCase(s, "staff-menu-no-link", kiosk.View{Scene: kiosk.SceneStaffMenu, Staff: kiosk.StaffView{Name: "欧阳娜娜",
			Menu: staffMenuWithout(kiosk.StaffSync), Standing: kiosk.T("sync.no_link"), StandingAlert: true}},
			"工作人员：欧阳娜娜", "核销取货", "今日汇总", "退出"),
		countdownCase(s, "countdown-person", person, 10, "10 秒后返回首页，轻触屏幕继续", "周玥", "签退"),
		countdownCase(s, "countdown-pickup", pickup, 3, "3 秒后返回首页，轻触屏幕继续", "兑换成功", "4 2 7 1"),
		countdownCase(s, "countdown-catalog", catalog.view, 9, "9 秒后返回首页，轻触屏幕继续", "积分兑换  120 积分"),
		countdownCase(s, "countdown-result", kiosk.View{Scene: kiosk.SceneCheckOutDone, CheckOut: kiosk.CheckOutView{Activity: "助老服务",
			Duration: 100 * time.Minute, Minutes: 90, Points: 15, Round: 15, At: testNow, Balance: ledger.Balance{Points: 15}}},
			5, "5 秒后返回首页，轻触屏幕继续", "签退成功", "助老服务 · 09:41 签退"),
		countdownCase(s, "countdown-confirm", kiosk.View{Scene: kiosk.SceneCheckInConfirm, CheckIn: kiosk.CheckInView{Activity: "环境整治"}},
			7, "7 秒后返回首页，轻触屏幕继续", "现在签到「环境整治」吗？", "签到", "返回"),
	}, coreCases...)
}

// testSizes are the landscape sizes the terminal supports, smallest first.
var testSizes = [][2]int{{800, 480}, {1024, 600}, {1280, 800}}

// withCountdown is a scene with the countdown the Manager draws with it in
// the last seconds before idle.
type withCountdown struct {
	Scene
	secs int
}

func (w *withCountdown) Build(b *Builder) { build(w.Scene, b, w.secs) }

// countdownCase is a view drawn with secs left on the countdown.
func countdownCase(s Strings, name string, v kiosk.View, secs int, must ...string) sceneCase {
	return sceneCase{name: name, view: v, scene: &withCountdown{ScreenFor(s, v, cst, nil), secs}, must: must, now: testNow}
}

// staffMenuWithout is the staff menu a terminal draws, less one entry.
func staffMenuWithout(a kiosk.StaffAction) []kiosk.MenuItem {
	keys := map[kiosk.StaffAction]string{kiosk.StaffHandOut: "staff.hand_out", kiosk.StaffBind: "staff.bind_card",
		kiosk.StaffEnrol: "staff.new_person", kiosk.StaffReplace: "staff.replace_card", kiosk.StaffBlock: "staff.block_card",
		kiosk.StaffAdjust: "staff.adjust_points", kiosk.StaffReverse: "staff.reverse_redemption", kiosk.StaffRestock: "staff.restock",
		kiosk.StaffShifts: "staff.close_shifts", kiosk.StaffSync: "staff.sync_now", kiosk.StaffReader: "staff.reader_test",
		kiosk.StaffSummary: "staff.summary"}
	var out []kiosk.MenuItem
	for _, act := range []kiosk.StaffAction{kiosk.StaffHandOut, kiosk.StaffBind, kiosk.StaffEnrol, kiosk.StaffReplace, kiosk.StaffBlock,
		kiosk.StaffAdjust, kiosk.StaffReverse, kiosk.StaffRestock, kiosk.StaffShifts, kiosk.StaffSync, kiosk.StaffReader, kiosk.StaffSummary} {
		if act != a {
			out = append(out, kiosk.MenuItem{Key: keys[act], Action: act})
		}
	}
	return out
}
