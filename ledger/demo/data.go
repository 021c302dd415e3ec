package demo

import (
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

// The center the demo terminal serves.
const (
	CenterID   = "hepingli"
	CenterName = "和平里街道党群服务中心"
)

// keyPeople are the first nine people, in key order: one of each kind among
// the first four, so pressing 1–4 in the demo window shows every kind of
// volunteer, with names whose characters are outside the common CJK subsets.
var keyPeople = []struct {
	name string
	kind record.VolunteerKind
}{
	{"王堃", record.RedVest},
	{"李喆", record.GreenVest},
	{"陈赟", record.InService},
	{"周玥", record.Resident},
	{"张桂兰", record.GreenVest},
	{"刘建国", record.RedVest},
	{"杨秀英", record.Resident},
	{"赵志强", record.InService},
	{"黄丽华", record.RedVest},
}

// moreNames are the people after the nine, as a register of one street's
// volunteers reads; beyond them names are drawn from surnames and given names.
var moreNames = []string{
	"吴国庆", "孙淑珍", "马骏", "朱红梅", "胡晓东", "郭秀芳", "何振华", "高玉兰",
	"林海燕", "罗志刚", "郑淑华", "梁文斌", "谢婷婷", "宋明", "唐佳怡", "许卫东",
	"韩雪", "冯德胜", "邓文静", "曹建军", "彭秀云", "曾宪明", "肖红", "田玉珍",
	"董立新", "袁梦", "潘振宇", "于凤兰", "蒋浩然", "蔡雅琴", "余国栋", "杜春生",
	"叶翠英", "程志远", "魏淑芬", "苏明辉", "吕桂芝", "丁一鸣", "沈丽萍", "任德福",
}

var (
	surnames   = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗"}
	givenNames = []string{"秀兰", "建华", "桂英", "志明", "淑英", "国强", "玉梅", "海涛", "丽娟", "文博", "子涵", "欣怡", "浩宇", "雨萱", "振国", "春梅", "立军", "晓燕", "德明", "思远"}
)

// communities of the street the center serves (社区).
var communities = []string{"和平里东街社区", "和平里中街社区", "和平里北街社区", "和平里西街社区", "小黄庄社区", "青年湖社区"}

// Staff cards and their PINs, printed by `kioskctl demo`.
var staffCards = []StaffCard{
	{UID: "99000001", Name: "刘芳", Role: ledger.RoleStaff, PIN: "2580"},
	{UID: "99000002", Name: "孙立伟", Role: ledger.RoleTechnician, PIN: "1379"},
}

// activitySpec is one of the center's activities. Every one accepts
// check-ins at any hour on any day (Rules.AnyTime, no weekdays), so the demo
// works whenever it is run; Start and End still say when it usually runs, for
// the idle screen, the history and the end-of-day sweep.
type activitySpec struct {
	name       string
	start, end string
	// rates are points per hour by kind; a kind missing earns minutes only.
	rates     map[record.VolunteerKind]int64
	forgotten record.ForgottenPolicy
}

// StationActivity is the activity a headless station checks volunteers in and
// out of: the drop-in desk, open all day.
const StationActivity = "便民服务"

var activities = []activitySpec{
	{"助老服务", "09:00", "11:30", rates(10, 12, 10, 5), record.CloseAtEnd},
	{"环境整治", "08:00", "11:00", rates(10, 12, 10, 6), record.CloseAtEnd},
	{"政策宣传", "14:00", "16:30", rates(8, 8, 10, 0), record.CloseAtEnd},
	{"文明劝导", "07:00", "09:00", rates(10, 12, 12, 6), record.CloseAtEnd},
	{StationActivity, "08:30", "17:00", rates(10, 10, 10, 5), record.FlagForStaff},
	{"网格巡查", "19:00", "21:00", rates(12, 12, 12, 0), record.CloseAtEnd},
}

func rates(red, green, inService, resident int64) map[record.VolunteerKind]int64 {
	m := map[record.VolunteerKind]int64{record.RedVest: red, record.GreenVest: green, record.InService: inService}
	if resident > 0 {
		m[record.Resident] = resident
	}
	return m
}

// rules are the same for every demo activity but the rates: credit in
// quarter hours, at least half an hour, at most eight hours a shift and a day.
func rulesFor(a activitySpec) record.Rules {
	return record.Rules{
		PointsPerHour:   a.rates,
		RoundMinutes:    15,
		MinMinutes:      15,
		MaxMinutes:      8 * 60,
		DailyCapMinutes: 8 * 60,
		AnyTime:         true,
		Forgotten:       a.forgotten,
	}
}

// itemSpec is a catalog item and its first stock at the center.
type itemSpec struct {
	name   string
	price  int64
	limit  int64
	period ledger.Period
	stock  int64
}

var catalog = []itemSpec{
	{"大米 5kg", 120, 1, ledger.Monthly, 30},
	{"食用油 5L", 150, 1, ledger.Monthly, 20},
	{"鸡蛋 30枚", 60, 1, ledger.Weekly, 40},
	{"酱油 500ml", 25, 0, ledger.NoLimit, 50},
	{"洗衣液 2kg", 45, 0, ledger.NoLimit, 40},
	{"牙膏", 15, 0, ledger.NoLimit, 80},
	{"毛巾", 20, 0, ledger.NoLimit, 60},
	{"香皂", 10, 0, ledger.NoLimit, 100},
	{"抽纸 10包", 35, 0, ledger.NoLimit, 40},
	{"理发服务", 30, 2, ledger.Monthly, 100},
}
