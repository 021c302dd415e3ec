package ui

import (
	"image"
	"image/color"
	"time"
)

// The sample content every scene test draws: a realistic day at a center,
// with the names the issue requires to render (王堃, 李喆, 陈赟, 周玥).
var (
	cst      = time.FixedZone("CST", 8*3600)
	testNow  = time.Date(2026, 11, 25, 9, 41, 0, 0, cst)
	testDays = []ActivityView{
		{Name: "社区环境清洁", Start: time.Date(2026, 11, 25, 8, 30, 0, 0, cst), End: time.Date(2026, 11, 25, 11, 0, 0, 0, cst)},
		{Name: "老年人智能手机课堂", Start: time.Date(2026, 11, 25, 14, 0, 0, 0, cst), End: time.Date(2026, 11, 25, 16, 0, 0, 0, cst)},
		{Name: "文明交通劝导", Start: time.Date(2026, 11, 25, 17, 0, 0, 0, cst), End: time.Date(2026, 11, 25, 18, 30, 0, 0, cst)},
	}
	testHonour = []HonourView{
		{"王堃", 1830}, {"李喆", 1515}, {"陈赟明", 1290}, {"周玥", 1200}, {"欧阳娜娜", 945}, {"张晓明", 600},
		{"赵珺", 540}, {"孙燊", 480},
	}
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
	scene Scene
	// must is text that must be drawn, whole, on one line.
	must []string
}

func sceneCases(s Strings) []sceneCase {
	pic := testPicture()
	return append([]sceneCase{
		{"idle", &IdleScene{View: IdleView{Center: "和平里社区党群服务中心", Activities: testDays, HonourRoll: testHonour}},
			[]string{"请刷卡", "今日活动", "本月志愿之星", "王*", "陈*明", "欧**娜", "30.5小时", "社区环境清洁"}},
		{"idle-empty", &IdleScene{View: IdleView{Center: "和平里社区党群服务中心", DemoCards: true}},
			[]string{"请刷卡", "今天没有活动", "本月还没有服务记录", "演示：按 1–9 刷卡"}},
		{"person", &PersonScene{View: PersonView{Name: "王堃", Points: 1280, Minutes: 1830}},
			[]string{"王堃", "积分", "1280", "30.5小时", "签到", "兑换", "记录", "返回"}},
		{"person-open-shift", &PersonScene{View: PersonView{Name: "周玥", Points: 35, Minutes: 95,
			Open: &OpenShiftView{Activity: "社区环境清洁", Since: testNow.Add(-71 * time.Minute)}}},
			[]string{"周玥", "签退", "已签到 1小时11分钟  社区环境清洁"}},
		{"checkin-choice", NewCheckInChoice(s, testDays), []string{"请选择活动", "08:30 社区环境清洁"}},
		{"checkin-confirm", NewCheckInConfirm(s, "社区环境清洁"), []string{"确认签到：社区环境清洁", "确认", "取消"}},
		{"checked-in", NewCheckedIn(s, "社区环境清洁", testNow), []string{"签到成功", "签到时间 09:41"}},
		{"checked-out", NewCheckedOut(s, 150, 25, 1305), []string{"签退成功", "本次服务 2小时30分钟", "获得 25 积分", "现有 1305 积分"}},
		{"catalog", &CatalogScene{Balance: 120, Tiles: []TileView{
			NewTile(s, "洗衣液", 80, 12, nil, Available),
			NewTile(s, "大米 5 公斤", 200, 4, nil, Unaffordable),
			NewTile(s, "毛巾", 30, 0, nil, SoldOut),
			NewTile(s, "理发券", 50, 20, pic, MonthLimitReached),
			NewTile(s, "雨伞", 60, 7, pic, Available),
			NewTile(s, "食用油", 100, 9, nil, Available),
		}}, []string{"积分兑换  120积分", "洗衣液", "80 积分", "积分不够", "已兑完", "本月已兑换", "理发券"}},
		{"redeem-confirm", NewRedeemConfirm(s, "洗衣液", 80, 120), []string{"兑换 洗衣液？", "需要 80 积分，兑换后剩 40 积分"}},
		{"pickup", &PickupScene{Code: "4827"}, []string{"兑换成功", "取货码", "4 8 2 7"}},
		{"refusal", NewRefusal(s, OfflineLimit), []string{"未能完成", "离线兑换已达上限"}},
		{"history", &HistoryScene{Entries: []HistoryEntry{
			{Kind: HistCheckOut, When: testNow.Add(-2 * time.Hour), What: "社区环境清洁", Minutes: 150, Points: 25},
			{Kind: HistCheckIn, When: testNow.Add(-5 * time.Hour), What: "社区环境清洁"},
			{Kind: HistRedeem, When: testNow.Add(-50 * time.Hour), What: "毛巾", Points: 30},
			{Kind: HistAdjust, When: testNow.Add(-70 * time.Hour), What: "补录服务", Points: 10},
			{Kind: HistReverse, When: testNow.Add(-71 * time.Hour), What: "雨伞", Points: 60},
			{Kind: HistCardReplaced, When: testNow.Add(-200 * time.Hour)},
			{Kind: HistExpire, When: testNow.Add(-300 * time.Hour), Points: 15},
		}}, []string{"我的记录", "签退：社区环境清洁，2小时30分钟，获得 25 积分", "换了新卡"}},
		{"card-unknown", NewCardProblem(s, CardUnknown), []string{"这张卡还没有登记", "请到服务台登记"}},
		{"card-lost", NewCardProblem(s, CardLost), []string{"此卡已挂失", "请到服务台办理"}},
		{"staff-pin", &PinScene{Digits: "12", Wrong: true}, []string{"请输入密码", "密码错误，请再试", "删除", "0"}},
		{"staff-menu", NewStaffMenu(s, 7), []string{"工作人员菜单  未同步 7 条", "绑定新卡", "补办挂失卡", "今日汇总", "读卡器测试"}},
		{"technician", NewTechnician(s, "E-LEDGER-INTEGRITY"), []string{"请联系技术人员", "故障代码 E-LEDGER-INTEGRITY"}},
		{"staff-done", NewDone(s, "绑定新卡", "李喆"), []string{"成功", "李喆"}},
	}, coreCases...)
}

// testSizes are the landscape sizes the terminal supports, smallest first.
var testSizes = [][2]int{{800, 480}, {1024, 600}, {1280, 800}}
