package roster

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/record"
)

// foldWidth turns full-width ASCII (what a Chinese input method types:
// "ＨＰＬ００１２", "１３８…", "：") into ASCII; Han characters are left alone.
func foldWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '！' && r <= '～':
			return r - '！' + '!'
		case r == '\u3000':
			return ' '
		}
		return r
	}, s)
}

// numberText returns a cell that holds a long number as its digits: Excel
// shows a number it stores (a phone typed without a leading apostrophe) as
// "1.38123E+10" once the column is too narrow or the format is General.
func numberText(s string) string {
	s = foldWidth(s)
	if !strings.ContainsAny(s, "eE") {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f != math.Trunc(f) || f >= 1e16 {
		return s
	}
	return strconv.FormatFloat(f, 'f', 0, 64)
}

// errNotWhole: a cell that should be a whole number is not one.
var errNotWhole = errors.New("不是整数 (not a whole number)")

// whole reads a non-negative whole number: "120", "１２０", "120.0" (a number
// Excel formatted with decimals).
func whole(s string) (int64, error) {
	s = strings.ReplaceAll(numberText(s), " ", "")
	if i := strings.IndexByte(s, '.'); i >= 0 && strings.Trim(s[i+1:], "0") == "" {
		s = s[:i]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errNotWhole
	}
	if n < 0 {
		return 0, errors.New("不能为负数 (must not be negative)")
	}
	return n, nil
}

// yesNo reads a yes-or-no cell; blank is no.
func yesNo(s string) (bool, error) {
	switch strings.ToLower(foldWidth(s)) {
	case "", "否", "不", "不是", "n", "no", "false", "0", "×", "✗", "x":
		return false, nil
	case "是", "可", "可以", "y", "yes", "true", "1", "√", "✓", "✔", "对":
		return true, nil
	}
	return false, errors.New("请填 是 或 否 (write 是 or 否)")
}

// clockTime reads a time of day as "HH:MM": "8:30", "08:30:00", "8：30",
// "8点30", "8点", or an Excel time stored as a fraction of a day (0.354166…,
// what a cell shows when its time format was lost).
func clockTime(s string) (string, error) {
	s = strings.ReplaceAll(foldWidth(s), " ", "")
	bad := fmt.Errorf("不是时间, 请写成 8:30 (not a time of day; write 8:30)")
	if f, err := strconv.ParseFloat(s, 64); err == nil && strings.Contains(s, ".") {
		if f < 0 || f >= 1 {
			return "", bad
		}
		m := int(math.Round(f * 24 * 60))
		return fmt.Sprintf("%02d:%02d", m/60%24, m%60), nil
	}
	s = strings.TrimSuffix(s, "分")
	s = strings.Replace(s, "点", ":", 1)
	s = strings.Replace(s, "时", ":", 1)
	if strings.HasSuffix(s, ":") {
		s += "00"
	}
	for _, layout := range []string{"15:04", "15:04:05", "3:04PM", "3:04:05PM"} {
		if t, err := time.Parse(layout, strings.ToUpper(s)); err == nil {
			return t.Format("15:04"), nil
		}
	}
	return "", bad
}

// weekdayNames are the ways a day is written after 周, 星期 or 礼拜.
var weekdayNames = map[string]time.Weekday{
	"一": time.Monday, "二": time.Tuesday, "三": time.Wednesday, "四": time.Thursday, "五": time.Friday,
	"六": time.Saturday, "日": time.Sunday, "天": time.Sunday, "七": time.Sunday,
	"1": time.Monday, "2": time.Tuesday, "3": time.Wednesday, "4": time.Thursday, "5": time.Friday,
	"6": time.Saturday, "7": time.Sunday, "0": time.Sunday,
}

// weekdays reads the days an activity runs: "一,三,五", "周一、周三",
// "星期一至星期五", "1-5", "工作日", "周末"; blank or "每天" is every day (nil).
func weekdays(s string) ([]time.Weekday, error) {
	s = strings.ReplaceAll(foldWidth(s), " ", "")
	switch s {
	case "", "每天", "每日", "全部", "全周", "天天":
		return nil, nil
	case "工作日":
		return []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}, nil
	case "周末", "双休日":
		return []time.Weekday{time.Saturday, time.Sunday}, nil
	}
	bad := errors.New("请写成 一,三,五 或 一至五 (write the days as 一,三,五 or 一至五)")
	day := func(t string) (time.Weekday, bool) {
		for _, p := range []string{"星期", "礼拜", "周"} {
			t = strings.TrimPrefix(t, p)
		}
		d, ok := weekdayNames[t]
		return d, ok
	}
	var out []time.Weekday
	seen := map[time.Weekday]bool{}
	add := func(d time.Weekday) {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	for _, tok := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(",，、;；/", r) }) {
		from, to, isRange := cutAny(tok, "至", "到", "-", "~", "～", "—")
		if !isRange {
			d, ok := day(tok)
			if !ok {
				return nil, bad
			}
			add(d)
			continue
		}
		a, ok1 := day(from)
		b, ok2 := day(to)
		if !ok1 || !ok2 {
			return nil, bad
		}
		// Monday first: 一至日 is the whole week, 五至一 is refused.
		ma, mb := (int(a)+6)%7, (int(b)+6)%7
		if mb < ma {
			return nil, bad
		}
		for m := ma; m <= mb; m++ {
			add(time.Weekday((m + 1) % 7))
		}
	}
	if len(out) == 0 {
		return nil, bad
	}
	if len(out) == 7 {
		return nil, nil
	}
	return out, nil
}

func cutAny(s string, seps ...string) (before, after string, found bool) {
	for _, sep := range seps {
		if b, a, ok := strings.Cut(s, sep); ok {
			return b, a, true
		}
	}
	return s, "", false
}

// kindNames are how a roster writes a volunteer kind.
var kindNames = map[string]record.VolunteerKind{
	"红马甲": record.RedVest, "绿马甲": record.GreenVest, "双报到": record.InService, "居民": record.Resident,
	"red-vest": record.RedVest, "green-vest": record.GreenVest, "in-service": record.InService, "resident": record.Resident,
}

// volunteerKind reads 志愿者类型: 红马甲, 绿马甲, 双报到 or 居民, with or
// without a trailing 志愿者 ("红马甲志愿者"), or the record's English names.
func volunteerKind(s string) (record.VolunteerKind, error) {
	t := strings.ToLower(strings.ReplaceAll(foldWidth(s), " ", ""))
	t = strings.TrimSuffix(t, "志愿者")
	t = strings.TrimSuffix(t, "党员")
	if k, ok := kindNames[t]; ok {
		return k, nil
	}
	if s == "" {
		return 0, errors.New("不能为空, 请填 红马甲、绿马甲、双报到 或 居民 (required: 红马甲, 绿马甲, 双报到 or 居民)")
	}
	return 0, errors.New("请填 红马甲、绿马甲、双报到 或 居民 (want 红马甲, 绿马甲, 双报到 or 居民)")
}

// Period is the span a per-person item limit counts over (限兑周期). The
// ledger has its own type; the numbers here are only this package's.
type Period uint8

// Periods.
const (
	NoLimit Period = iota
	Daily
	Weekly
	Monthly
	Yearly
)

func (p Period) String() string {
	switch p {
	case NoLimit:
		return ""
	case Daily:
		return "日"
	case Weekly:
		return "周"
	case Monthly:
		return "月"
	case Yearly:
		return "年"
	}
	return fmt.Sprintf("Period(%d)", uint8(p))
}

var periodNames = map[string]Period{
	"日": Daily, "天": Daily, "每日": Daily, "每天": Daily, "day": Daily, "daily": Daily,
	"周": Weekly, "星期": Weekly, "每周": Weekly, "week": Weekly, "weekly": Weekly,
	"月": Monthly, "每月": Monthly, "month": Monthly, "monthly": Monthly,
	"年": Yearly, "每年": Yearly, "year": Yearly, "yearly": Yearly,
}

func period(s string) (Period, error) {
	t := strings.ToLower(strings.ReplaceAll(foldWidth(s), " ", ""))
	if t == "" {
		return NoLimit, nil
	}
	if p, ok := periodNames[t]; ok {
		return p, nil
	}
	return NoLimit, errors.New("请填 周、月 或 年 (want 周, 月 or 年)")
}
