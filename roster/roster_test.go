package roster_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/hongmajia/hongmajia/record"
	"github.com/hongmajia/hongmajia/roster"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

func readPeople(t *testing.T, text string) *roster.People {
	t.Helper()
	p, err := roster.ReadPeople(strings.NewReader(text))
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return p
}

// problemsOf lists "line column: reason" in order, for comparing.
func problemsOf(ps []roster.Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Error())
	}
	return out
}

func wantProblem(t *testing.T, ps []roster.Problem, line int, column, reasonPart string) {
	t.Helper()
	for _, p := range ps {
		if p.Line == line && p.Column == column && strings.Contains(p.Reason, reasonPart) {
			return
		}
	}
	t.Errorf("no problem on line %d, column %q, saying %q; problems:\n%s", line, column, reasonPart, strings.Join(problemsOf(ps), "\n"))
}

func TestPeopleBadRowsNameTheirLineAndReason(t *testing.T) {
	p := readPeople(t, `姓名,志愿者编号,志愿者类型,手机号,卡号
王堃,HPL0001,红马甲,13910230001,3A7F2C91
,HPL0002,绿马甲,13810230002,
李喆,HPL0001,绿马甲,,
陈赟,HPL 03,党员,1381234,XYZ
"周玥",HPL0005,居民,,3a7f2c91

张桂兰,HPL0006,绿马甲志愿者,+86 138 1023 0006,
`)
	wantProblem(t, p.Problems, 3, "姓名", "不能为空")
	wantProblem(t, p.Problems, 4, "志愿者编号", "the same as line 2")
	wantProblem(t, p.Problems, 5, "志愿者编号", "letters, digits")
	wantProblem(t, p.Problems, 5, "志愿者类型", "红马甲")
	wantProblem(t, p.Problems, 5, "手机号", "not an 11-digit mobile")
	wantProblem(t, p.Problems, 5, "卡号", "not a card UID")
	// The same card in another case is the same card.
	wantProblem(t, p.Problems, 6, "卡号", "the same card as line 2")
	if len(p.Problems) != 7 {
		t.Errorf("%d problems, want 7:\n%s", len(p.Problems), strings.Join(problemsOf(p.Problems), "\n"))
	}
	// Good rows only, the blank line skipped, the line numbers the file's.
	if len(p.Rows) != 2 || p.Rows[0].Line != 2 || p.Rows[1].Line != 8 {
		t.Fatalf("rows %+v", p.Rows)
	}
	if r := p.Rows[1]; r.Kind != record.GreenVest || r.Phone != "13810230006" {
		t.Errorf("row 8 = %+v: 绿马甲志愿者 is 绿马甲, +86 is dropped", r)
	}
	if got := p.Problems[0].Error(); got != `第3行 line 3: 姓名: 不能为空 (required)` {
		t.Errorf("problem text %q", got)
	}
}

func TestPeopleHeaderVariantsTitleRowsAndIgnoredColumns(t *testing.T) {
	// A district's register: a title row, a blank row, headers as people
	// write them, columns the kiosk never stores.
	p := readPeople(t, `和平里街道志愿者花名册,,,,,,
,,,,,,
序号,会员号,姓名（必填）,性别,身份证号,联系电话,社区,类型
1,ｈｐｌ００１２,王堃,男,110105199001011234,139-1023-0001,和平里东街社区,红马甲
`)
	if len(p.Problems) != 0 || len(p.Rows) != 1 {
		t.Fatalf("rows %+v problems %v", p.Rows, p.Problems)
	}
	if p.HeaderLine != 3 || !reflect.DeepEqual(p.Ignored, []string{"序号", "性别", "身份证号"}) {
		t.Errorf("header line %d, ignored %q", p.HeaderLine, p.Ignored)
	}
	want := roster.Person{Line: 4, MemberNo: "HPL0012", Name: "王堃", Phone: "13910230001", Community: "和平里东街社区", Kind: record.RedVest}
	if p.Rows[0] != want {
		t.Errorf("row = %+v, want %+v (full-width member number folded, dashes gone)", p.Rows[0], want)
	}
}

func TestFileLevelErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		data string
		say  string
	}{
		"missing column":  {"姓名,手机号\n王堃,13910230001\n", "志愿者编号"},
		"two of a column": {"姓名,会员号,志愿者编号,类型\n王堃,A1,A1,红马甲\n", "keep one"},
		"old xls":         {"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest", ".xls"},
		"empty":           {"", "no rows"},
		"not text":        {"\xff\x00\xfe\x81\x30", "neither UTF-8 nor GB18030"},
		"bad quotes":      {"姓名,会员号,类型\n\"王堃,A1,红马甲\n", "line 2"},
	} {
		_, err := roster.ReadPeople(strings.NewReader(tc.data))
		if !errors.Is(err, roster.ErrFile) || !strings.Contains(err.Error(), tc.say) {
			t.Errorf("%s: err %v, want ErrFile saying %q", name, err, tc.say)
		}
	}
}

// The same rows whatever Excel saved: UTF-8 with or without BOM, GB18030
// (GBK), UTF-16 with tabs ("Unicode text").
func TestPeopleEncodings(t *testing.T) {
	text := "姓名,志愿者编号,志愿者类型,所属社区\n王堃,HPL0001,红马甲,和平里东街社区\n陈赟,HPL0003,双报到,青年湖社区\n"
	want := readPeople(t, text).Rows
	if len(want) != 2 {
		t.Fatalf("rows %+v", want)
	}
	gbk, err := simplifiedchinese.GB18030.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	utf16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(strings.ReplaceAll(text, ",", "\t"))
	if err != nil {
		t.Fatal(err)
	}
	for enc, data := range map[string]string{"UTF-8": "\ufeff" + text, "GB18030": gbk, "UTF-16": utf16} {
		p := readPeople(t, data)
		if p.Encoding != enc || !reflect.DeepEqual(p.Rows, want) || len(p.Problems) != 0 {
			t.Errorf("%s: encoding %q rows %+v problems %v", enc, p.Encoding, p.Rows, p.Problems)
		}
	}
}

// An XLSX typed by hand: a phone stored as a number, a time as a time of
// day, the header under a title on the second sheet.
func TestXLSXNumbersAndTimes(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	if _, err := f.NewSheet("活动"); err != nil {
		t.Fatal(err)
	}
	set := func(sheet, cell string, v any) {
		t.Helper()
		if err := f.SetCellValue(sheet, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	set("Sheet1", "A1", "说明：第二页是活动")
	set("活动", "A1", "2026年活动安排")
	for i, h := range []string{"活动名称", "开始时间", "结束时间", "每小时积分", "星期"} {
		cell, _ := excelize.CoordinatesToCellName(i+1, 2)
		set("活动", cell, h)
	}
	set("活动", "A3", "助老服务")
	set("活动", "B3", 0.375) // 09:00
	set("活动", "C3", 0.5)   // 12:00
	set("活动", "D3", 10)
	set("活动", "E3", "周一、周三")
	hm, err := f.NewStyle(&excelize.Style{NumFmt: 20}) // h:mm
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellStyle("活动", "B3", "B3", hm); err != nil {
		t.Fatal(err)
	}
	// C3 keeps the General format: the fraction of a day shows.
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	acts, err := roster.ReadActivities(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(acts.Problems) != 0 || len(acts.Rows) != 1 || acts.Sheet != "活动" || acts.HeaderLine != 2 {
		t.Fatalf("%+v rows %+v problems %v", acts.Source, acts.Rows, acts.Problems)
	}
	s := acts.Rows[0].Schedule
	if s.Start != "09:00" || s.End != "12:00" || len(s.Weekdays) != 2 || acts.Rows[0].Line != 3 {
		t.Errorf("row %+v", acts.Rows[0])
	}

	g := excelize.NewFile()
	defer g.Close()
	for i, v := range []any{"姓名", "会员号", "类型", "手机", "卡号", "李喆", "HPL0002", "绿马甲", 13810230002, 12345678901} {
		cell, _ := excelize.CoordinatesToCellName(i%5+1, i/5+1)
		if err := g.SetCellValue("Sheet1", cell, v); err != nil {
			t.Fatal(err)
		}
	}
	buf.Reset()
	if err := g.Write(&buf); err != nil {
		t.Fatal(err)
	}
	p, err := roster.ReadPeople(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rows) != 1 || p.Rows[0].Phone != "13810230002" || p.Rows[0].Card != "000002DFDC1C35" {
		t.Fatalf("rows %+v problems %v", p.Rows, p.Problems)
	}
}

func TestActivityProblems(t *testing.T) {
	acts, err := roster.ReadActivities(strings.NewReader(`活动名称,开始时间,结束时间,星期,每小时积分,红马甲每小时积分,最短分钟,最长分钟,随时可签到,站点活动,未签退处理
助老服务,09:00,11:30,一,10,,,,,是,
助老服务,09:00,11:30,一,10,,,,,,
环境整治,,,,10,,,,,,
政策宣传,14:00,,,10,,,,,,
网格巡查,19:00,18:00,,10,,,,,,
文明劝导,7点,9点半,八,十,,,,也许,,
便民服务,,,,,,,,是,是,
读书会,,,,,8,60,30,是,,忘了
`))
	if err != nil {
		t.Fatal(err)
	}
	wantProblem(t, acts.Problems, 3, "活动名称", "the same as line 2")
	wantProblem(t, acts.Problems, 4, "开始时间", "nobody can check in")
	wantProblem(t, acts.Problems, 5, "结束时间", "go together")
	wantProblem(t, acts.Problems, 6, "结束时间", "after the start")
	wantProblem(t, acts.Problems, 7, "结束时间", "not a time of day")
	wantProblem(t, acts.Problems, 7, "星期", "一,三,五")
	wantProblem(t, acts.Problems, 7, "每小时积分", "not a whole number")
	wantProblem(t, acts.Problems, 7, "随时可签到", "是 or 否")
	wantProblem(t, acts.Problems, 8, "每小时积分", "write 0")
	wantProblem(t, acts.Problems, 8, "站点活动", "line 2 is the station")
	wantProblem(t, acts.Problems, 9, "最短分钟", "above the maximum")
	wantProblem(t, acts.Problems, 9, "未签退处理", "结束时签退")
	if len(acts.Rows) != 1 || acts.Rows[0].Line != 2 {
		t.Errorf("rows %+v", acts.Rows)
	}
	for _, p := range acts.Problems {
		if p.Line == 7 && p.Column == "开始时间" {
			t.Errorf("7点 is a time: %v", p)
		}
	}
}

func TestCatalogProblems(t *testing.T) {
	cat, err := roster.ReadCatalog(strings.NewReader(`物品名称,所需积分,库存,限兑数量,限兑周期
大米,120,30,1,月
食用油,0,20,,
鸡蛋,60,-4,1,
大米,10,,,
牙膏,,5,,周
毛巾,20,１０,2,每周
`))
	if err != nil {
		t.Fatal(err)
	}
	wantProblem(t, cat.Problems, 3, "所需积分", "above 0")
	wantProblem(t, cat.Problems, 4, "库存", "negative")
	wantProblem(t, cat.Problems, 4, "限兑周期", "needs its period")
	wantProblem(t, cat.Problems, 5, "物品名称", "the same as line 2")
	wantProblem(t, cat.Problems, 6, "所需积分", "required")
	wantProblem(t, cat.Problems, 6, "限兑数量", "needs its limit")
	want := []roster.Item{
		{Line: 2, Name: "大米", Price: 120, Stock: 30, Limit: 1, Period: roster.Monthly},
		{Line: 7, Name: "毛巾", Price: 20, Stock: 10, Limit: 2, Period: roster.Weekly},
	}
	if !reflect.DeepEqual(cat.Rows, want) {
		t.Errorf("rows %+v, want %+v", cat.Rows, want)
	}
}

// TestCheckPerson: a form's fields read by a row's rules, the card as a
// desk reader types it (hex with or without colons, a wedge's decimal).
func TestCheckPerson(t *testing.T) {
	for _, tc := range []struct {
		card string
		want record.CardUID
	}{
		{"04:A1:B2:C3", "04A1B2C3"},
		{"04a1b2c3", "04A1B2C3"},
		{"04:A1:B2:C3:D4:E5:F6", "04A1B2C3D4E5F6"},
		{"0077705923", "04A1B2C3"}, // a wedge's ten digits: the 4 bytes big-endian
		{"", ""},
	} {
		p, problems := roster.CheckPerson(roster.PersonFields{Name: " 王堃 ", MemberNo: "hpl0001", Kind: "红马甲志愿者",
			Phone: "+86 138-1234-5678", Community: "和平里社区", Card: tc.card})
		if len(problems) != 0 {
			t.Fatalf("card %q: problems %v", tc.card, problems)
		}
		want := roster.Person{MemberNo: "HPL0001", Name: "王堃", Phone: "13812345678", Community: "和平里社区", Kind: record.RedVest, Card: tc.want}
		if p != want {
			t.Errorf("card %q: %+v, want %+v", tc.card, p, want)
		}
	}
	_, problems := roster.CheckPerson(roster.PersonFields{Name: "", MemberNo: "HPL 1", Kind: "党员", Phone: "12345", Card: "04:A1:B2", Community: "a\x07b"})
	got := map[string]string{}
	for _, p := range problems {
		if p.Line != 0 {
			t.Errorf("a form's problem has line %d", p.Line)
		}
		got[p.Column] = p.Reason
	}
	for _, col := range []string{roster.ColName, roster.ColMemberNo, roster.ColKind, roster.ColPhone, roster.ColCard, roster.ColCommunity} {
		if got[col] == "" {
			t.Errorf("no problem with %s: %v", col, problems)
		}
	}
}
