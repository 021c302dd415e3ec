package roster

import (
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/hongmajia/hongmajia/record"
)

// Activity is one row of an activities file: a service activity with its
// schedule and crediting rules.
type Activity struct {
	Line     int
	Name     string
	Schedule record.Schedule
	Rules    record.Rules
	// Station marks the activity a headless station (kiosk --headless)
	// checks volunteers in and out of (站点活动); at most one per file.
	Station bool
}

// Activities is what ReadActivities read.
type Activities struct {
	Source
	Rows     []Activity
	Problems []Problem
}

// Column keys of an activities file.
const (
	ColActivity    = "活动名称"
	ColStart       = "开始时间"
	ColEnd         = "结束时间"
	ColWeekdays    = "星期"
	ColRate        = "每小时积分"
	ColRateRed     = "红马甲每小时积分"
	ColRateGreen   = "绿马甲每小时积分"
	ColRateService = "双报到每小时积分"
	ColRateRes     = "居民每小时积分"
	ColRound       = "取整分钟"
	ColMin         = "最短分钟"
	ColMax         = "最长分钟"
	ColDailyCap    = "每日上限分钟"
	ColAnyTime     = "随时可签到"
	ColEarly       = "提前签到分钟"
	ColForgotten   = "未签退处理"
	ColStation     = "站点活动"
)

var activityColumns = []column{
	{key: ColActivity, names: []string{"活动名称", "活动", "名称", "服务项目", "项目名称", "activity", "name"}, required: true},
	{key: ColStart, names: []string{"开始时间", "开始", "起始时间", "start"}},
	{key: ColEnd, names: []string{"结束时间", "结束", "截止时间", "end"}},
	{key: ColWeekdays, names: []string{"星期", "每周", "服务日", "活动日", "weekdays"}},
	{key: ColRate, names: []string{"每小时积分", "积分/小时", "积分每小时", "每小时积分数", "points_per_hour"}},
	{key: ColRateRed, names: []string{"红马甲每小时积分", "红马甲积分", "红马甲"}},
	{key: ColRateGreen, names: []string{"绿马甲每小时积分", "绿马甲积分", "绿马甲"}},
	{key: ColRateService, names: []string{"双报到每小时积分", "双报到积分", "双报到"}},
	{key: ColRateRes, names: []string{"居民每小时积分", "居民积分", "居民"}},
	{key: ColRound, names: []string{"取整分钟", "取整", "计时单位分钟", "round_minutes"}},
	{key: ColMin, names: []string{"最短分钟", "最短时长分钟", "最少分钟", "min_minutes"}},
	{key: ColMax, names: []string{"最长分钟", "最长时长分钟", "最多分钟", "max_minutes"}},
	{key: ColDailyCap, names: []string{"每日上限分钟", "每日上限", "每天上限分钟", "daily_cap_minutes"}},
	{key: ColAnyTime, names: []string{"随时可签到", "随时签到", "any_time"}},
	{key: ColEarly, names: []string{"提前签到分钟", "提前分钟", "early_minutes"}},
	{key: ColForgotten, names: []string{"未签退处理", "未签退", "forgotten"}},
	{key: ColStation, names: []string{"站点活动", "签到站点", "station"}},
}

const maxActivityName = 32

// ReadActivities reads activities from CSV or XLSX. Required column:
// 活动名称. 每小时积分 is every kind's rate; 红马甲每小时积分 and the other
// per-kind columns, when filled, replace it for their kind (0: minutes
// without points). An activity that is not 随时可签到 needs 开始时间 and
// 结束时间. A name twice in the file is a problem on its second row.
func ReadActivities(r io.Reader) (*Activities, error) {
	t, src, err := read(r, activityColumns)
	if err != nil {
		return nil, err
	}
	out := &Activities{Source: src}
	names := map[string]int{}
	station := 0
	for _, d := range t.dataRows(&out.Problems) {
		before := len(out.Problems)
		a := Activity{Line: d.line, Name: d.get(ColActivity)}
		switch n := utf8.RuneCountInString(a.Name); {
		case n == 0:
			d.problem(ColActivity, "不能为空 (required)")
		case n > maxActivityName:
			d.problem(ColActivity, fmt.Sprintf("超过%d个字 (longer than %d characters)", maxActivityName, maxActivityName))
		default:
			if first, ok := names[a.Name]; ok {
				d.problem(ColActivity, fmt.Sprintf("与第%d行重复 (the same as line %d)", first, first))
			} else {
				names[a.Name] = d.line
			}
		}
		a.Rules = readRules(d)
		a.Schedule = readSchedule(d)
		if !a.Rules.AnyTime && a.Schedule.Start == "" && len(*d.problems) == before {
			d.rowProblem(ColStart, "没有开始和结束时间的活动无法签到: 请填时间, 或在 随时可签到 填 是 (without a start and an end nobody can check in: fill them in, or set 随时可签到 to 是)")
		}
		if err := a.Schedule.Validate(); err != nil && a.Schedule.Start != "" && a.Schedule.End != "" {
			d.rowProblem(ColEnd, "结束时间要晚于开始时间 (the end must be after the start)")
		}
		var ok bool
		if a.Station, ok = readYesNo(d, ColStation); ok && a.Station {
			if station != 0 {
				d.problem(ColStation, fmt.Sprintf("第%d行已是站点活动, 只能有一个 (line %d is the station activity already; there is only one)", station, station))
			} else {
				station = d.line
			}
		}
		if err := a.Rules.Validate(); err != nil && len(out.Problems) == before {
			d.rowProblem("", fmt.Sprintf("规则无效 (rules refused): %v", err))
		}
		if len(out.Problems) == before {
			out.Rows = append(out.Rows, a)
		}
	}
	return out, nil
}

// readRules reads the crediting rules of a row, each bad cell a problem.
func readRules(d dataRow) record.Rules {
	var r record.Rules
	r.PointsPerHour = map[record.VolunteerKind]int64{}
	base, baseOK := readWhole(d, ColRate)
	filled := baseOK && d.get(ColRate) != ""
	for _, k := range []struct {
		kind record.VolunteerKind
		key  string
	}{{record.RedVest, ColRateRed}, {record.GreenVest, ColRateGreen}, {record.InService, ColRateService}, {record.Resident, ColRateRes}} {
		kind, key := k.kind, k.key
		n, ok := readWhole(d, key)
		switch {
		case ok && d.get(key) != "":
			filled = true
			r.PointsPerHour[kind] = n
		case baseOK:
			r.PointsPerHour[kind] = base
		}
	}
	if !filled && baseOK {
		d.rowProblem(ColRate, "每小时积分不能为空, 只计时长不计积分请填 0 (points per hour required; write 0 for minutes without points)")
	}
	for _, m := range []struct {
		key string
		dst *int64
	}{{ColRound, &r.RoundMinutes}, {ColMin, &r.MinMinutes}, {ColMax, &r.MaxMinutes}, {ColDailyCap, &r.DailyCapMinutes}, {ColEarly, &r.EarlyMinutes}} {
		if n, ok := readWhole(d, m.key); ok {
			*m.dst = n
		}
	}
	if r.MaxMinutes > 0 && r.MinMinutes > r.MaxMinutes {
		d.rowProblem(ColMin, "最短分钟大于最长分钟 (the minimum is above the maximum)")
	}
	if r.MaxMinutes > 24*60 {
		d.problem(ColMax, "不能超过 1440 分钟 (at most 1440 minutes, a day)")
	}
	r.AnyTime, _ = readYesNo(d, ColAnyTime)
	switch v := d.get(ColForgotten); v {
	case "", "工作人员处理", "交工作人员", "待处理", "标记":
		r.Forgotten = record.FlagForStaff
	case "结束时签退", "按结束时间签退", "自动签退", "结束时间签退":
		r.Forgotten = record.CloseAtEnd
	default:
		d.problem(ColForgotten, "请填 结束时签退 或 工作人员处理 (want 结束时签退 or 工作人员处理)")
	}
	return r
}

func readSchedule(d dataRow) record.Schedule {
	var s record.Schedule
	var err error
	if v := d.get(ColStart); v != "" {
		if s.Start, err = clockTime(v); err != nil {
			d.problem(ColStart, err.Error())
		}
	}
	if v := d.get(ColEnd); v != "" {
		if s.End, err = clockTime(v); err != nil {
			d.problem(ColEnd, err.Error())
		}
	}
	if (d.get(ColStart) == "") != (d.get(ColEnd) == "") {
		d.rowProblem(ColEnd, "开始时间和结束时间要一起填 (a start and an end go together)")
	}
	if s.Weekdays, err = weekdays(d.get(ColWeekdays)); err != nil {
		d.problem(ColWeekdays, err.Error())
	}
	return s
}

// readWhole reads a whole-number cell; blank is 0. ok is false (and a
// problem recorded) when the cell is not a number.
func readWhole(d dataRow, key string) (int64, bool) {
	v := d.get(key)
	if v == "" {
		return 0, true
	}
	n, err := whole(v)
	if err != nil {
		d.problem(key, err.Error())
		return 0, false
	}
	return n, true
}

func readYesNo(d dataRow, key string) (bool, bool) {
	b, err := yesNo(d.get(key))
	if err != nil {
		d.problem(key, err.Error())
		return false, false
	}
	return b, true
}
