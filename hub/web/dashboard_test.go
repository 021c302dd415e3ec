package web_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/record"
	"github.com/hongmajia/hongmajia/roster"
)

// The people of the seeded district: names a spreadsheet would take for
// formulas, and one with HTML in it.
const (
	nameFormula = `=HYPERLINK("http://evil.example","点我")`
	nameAt      = "@SUM(1+1)"
	nameHTML    = "<b>赵</b>六"
)

// seeded is a month of the env's two centers: kiosk KA at A and KB at B,
// four volunteers, three activities, two items, three flags. The numbers
// the tests expect are worked out by hand from seed.
type seeded struct {
	ka, kb *hubtest.Kiosk
	people []hub.Person
}

// seed makes March 2026 (the env's clock starts on March 2): at A, 王堃
// serves 120 minutes of 便民服务 (longer than its 100: a flag) and 30 of
// 环境整治, the formula-named 60 of 便民服务, and two redemptions; an hour
// later at B, 王堃 90 minutes of 助老 and the @-named 60, who then spends
// more than he has (a flag); four days later A's kiosk syncs the
// HTML-named's 15 minutes of 环境整治, and B's has not synced (a flag).
func (e *env) seed() *seeded {
	t := e.t
	t.Helper()
	s := &seeded{}
	rows := []roster.Person{
		{Line: 2, MemberNo: "HPL00001", Name: "王堃", Kind: record.GreenVest, Card: "C0000001"},
		{Line: 3, MemberNo: "HPL00002", Name: nameFormula, Kind: record.GreenVest, Card: "C0000002"},
		{Line: 4, MemberNo: "HPL00003", Name: nameAt, Kind: record.GreenVest, Card: "C0000003"},
		{Line: 5, MemberNo: "HPL00004", Name: nameHTML, Kind: record.RedVest, Card: "C0000004"},
	}
	if _, err := e.hub.ImportPeople(ctx, rows, false); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		p, err := e.hub.FindPerson(ctx, r.MemberNo)
		if err != nil {
			t.Fatal(err)
		}
		s.people = append(s.people, p)
	}
	rules := record.Rules{PointsPerHour: map[record.VolunteerKind]int64{record.GreenVest: 30}}
	long := rules
	long.MaxMinutes = 100
	if _, err := e.hub.ImportActivities(ctx, "A", []roster.Activity{{Line: 2, Name: "便民服务", Rules: long}, {Line: 3, Name: "环境整治", Rules: rules}}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.hub.ImportActivities(ctx, "B", []roster.Activity{{Line: 2, Name: "助老", Rules: rules}}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.hub.ImportCatalog(ctx, "A", []roster.Item{{Line: 2, Name: "大米", Price: 40, Stock: 3}, {Line: 3, Name: "食用油", Price: 25, Stock: 50}}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.hub.ImportCatalog(ctx, "B", []roster.Item{{Line: 2, Name: "食用油", Price: 25, Stock: 4}}, false); err != nil {
		t.Fatal(err)
	}
	act, item := map[string]record.ActivityID{}, map[string]record.ItemID{}
	err := e.store.View(ctx, func(r hub.Reader) error {
		for _, c := range []string{"A", "B"} {
			as, err := r.Activities(c)
			if err != nil {
				return err
			}
			for _, a := range as {
				act[a.Name] = a.ID
			}
		}
		its, err := r.Items()
		for _, it := range its {
			item[it.Name] = it.ID
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	p := func(i int) (record.PersonID, record.CardUID) { return s.people[i].ID, rows[i].Card }
	s.ka, s.kb = e.kiosk("KA", "A"), e.kiosk("KB", "B")
	id, card := p(0)
	s.ka.Earn(id, card, act["便民服务"], 120, 60)
	s.ka.Earn(id, card, act["环境整治"], 30, 15)
	s.ka.Redeem(id, card, item["大米"], 1, 40)
	id, card = p(1)
	s.ka.Earn(id, card, act["便民服务"], 60, 30)
	s.ka.Redeem(id, card, item["食用油"], 1, 25)
	e.push(s.ka)
	e.clk.Advance(time.Hour)
	id, card = p(0)
	s.kb.Earn(id, card, act["助老"], 90, 45)
	id, card = p(2)
	s.kb.Earn(id, card, act["助老"], 60, 20)
	s.kb.Redeem(id, card, item["食用油"], 1, 25)
	e.push(s.kb)
	e.clk.Advance(4 * 24 * time.Hour)
	id, card = p(3)
	s.ka.Earn(id, card, act["环境整治"], 15, 7)
	e.push(s.ka)
	return s
}

// export downloads a list of the dashboard as CSV and returns its rows,
// failing unless it is UTF-8 with a BOM.
func (b *browser) exportCSV(path string) [][]string {
	b.e.t.Helper()
	res := b.get(path)
	if res.StatusCode != http.StatusOK {
		b.e.t.Fatalf("GET %s: %d\n%s", path, res.StatusCode, res.body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		b.e.t.Errorf("GET %s: Content-Type %q", path, ct)
	}
	body, ok := strings.CutPrefix(res.body, "\xef\xbb\xbf")
	if !ok {
		b.e.t.Fatalf("GET %s: no UTF-8 BOM first: % x", path, res.body[:min(8, len(res.body))])
	}
	if !strings.Contains(body, "\r\n") {
		b.e.t.Errorf("GET %s: lines not ended with CRLF", path)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		b.e.t.Fatal(err)
	}
	return rows
}

func rowsText(rows [][]string) string {
	var out []string
	for _, r := range rows {
		out = append(out, strings.Join(r, "|"))
	}
	return strings.Join(out, "\n")
}

func wantRows(t *testing.T, what string, got [][]string, want ...string) {
	t.Helper()
	if g, w := rowsText(got), strings.Join(want, "\n"); g != w {
		t.Errorf("%s:\n%s\nwant\n%s", what, g, w)
	}
}

const march = "?month=2026-03"

func TestDashboardSumsByHand(t *testing.T) {
	e := newEnv(t)
	e.seed()
	b := e.browser()
	b.login("王芳")
	page := b.get("/dashboard" + march)
	if page.StatusCode != http.StatusOK {
		t.Fatalf("the dashboard: %d\n%s", page.StatusCode, page.body)
	}
	// The month at both centers: 王堃 served at both and is one volunteer.
	wantIn(t, "the dashboard's tiles", page.body, "全部中心 · 2026年3月",
		`<span class="stat-label">活跃志愿者</span> <span class="stat-value">4</span> <span class="stat-unit">人</span>`,
		`<span class="stat-label">服务人次</span> <span class="stat-value">6</span>`,
		`<span class="stat-label">服务时长</span> <span class="stat-value">6.25</span> <span class="stat-unit">小时</span>`,
		`<span class="stat-label">获得积分</span> <span class="stat-value">177</span>`,
		`<span class="stat-label">兑换积分</span> <span class="stat-value">90</span>`,
		`<span class="stat-label">兑出物品</span> <span class="stat-value">3</span>`)
	// Charts drawn on the server, each an image with a title, its numbers
	// in the list beside it.
	wantIn(t, "the dashboard's charts", page.body, `<svg class="chart bars"`, `<svg class="chart lines"`, `role="img"`,
		`aria-label="2026年3月各中心服务时长（小时）"`, `aria-label="2026年3月各活动服务时长（小时）"`,
		`aria-label="服务时长（小时），2025年4月至2026年3月"`, `<title>和平里党群服务中心: 3.75 小时</title>`)
	// HTML in a name is text.
	if strings.Contains(page.body, nameHTML) || !strings.Contains(page.body, "&lt;b&gt;赵&lt;/b&gt;六") {
		t.Error("the honour roll does not show the name with HTML as text")
	}

	q := march
	wantRows(t, "by center", b.exportCSV("/dashboard/export/centers.csv"+q),
		"中心|活跃志愿者|服务人次|服务时长（小时）|获得积分|兑换积分|兑出物品（件）",
		"和平里党群服务中心|3|4|3.75|112|65|2",
		"小黄庄党群服务中心|2|2|2.5|65|25|1")
	wantRows(t, "by activity", b.exportCSV("/dashboard/export/activities.csv"+q),
		"活动|中心|活跃志愿者|服务人次|服务时长（小时）|获得积分",
		"便民服务|和平里党群服务中心|2|2|3|90",
		"环境整治|和平里党群服务中心|2|2|0.75|22",
		"助老|小黄庄党群服务中心|2|2|2.5|65")
	wantRows(t, "items", b.exportCSV("/dashboard/export/items.csv"+q),
		"物品|兑换次数|兑出物品（件）|兑换积分",
		"食用油|2|2|50",
		"大米|1|1|40")
	trend := b.exportCSV("/dashboard/export/trend.csv" + q)
	if len(trend) != 13 || trend[0][0] != "月份" || trend[1][0] != "2025-04" || rowsText(trend[12:]) != "2026-03|4|6|6.25|177|90" {
		t.Errorf("the trend:\n%s", rowsText(trend))
	}
	// 2 and 3 served 60 minutes each: one place; the formula-looking
	// names escaped.
	wantRows(t, "honour roll", b.exportCSV("/dashboard/export/honour.csv"+q),
		"名次|姓名|志愿者编号|服务时长（小时）|服务人次|获得积分",
		"1|王堃|HPL00001|4|3|120",
		"2|'"+nameFormula+"|HPL00002|1|1|30",
		"2|'"+nameAt+"|HPL00003|1|1|20",
		"4|"+nameHTML+"|HPL00004|0.25|1|7")
	wantRows(t, "stock running low", b.exportCSV("/dashboard/export/stock.csv"+q),
		"中心|物品|库存|近 30 天兑出",
		"和平里党群服务中心|大米|2|1",
		"小黄庄党群服务中心|食用油|3|1")
	flags := b.exportCSV("/dashboard/export/flags.csv" + q)
	if len(flags) != 4 || flags[1][1] != "服务时长超限" || flags[1][2] != "和平里党群服务中心" ||
		flags[2][1] != "积分透支" || flags[2][2] != "全区" || flags[3][1] != "终端未同步" || flags[3][2] != "小黄庄党群服务中心" ||
		flags[0][6] != "处理办法" || !strings.HasPrefix(flags[1][6], "签退记入的时长超过了活动规定") || !strings.HasPrefix(flags[3][6], "这台终端 3 天没有同步") {
		t.Errorf("flags:\n%s", rowsText(flags))
	}
	// The kiosk that has not synced for four days first.
	wantRows(t, "kiosks", b.exportCSV("/dashboard/export/kiosks.csv"+q),
		"终端|中心|状态|最近同步|距今|待上传条数|版本",
		"KB|小黄庄党群服务中心|长时间未同步|2026-03-02 10:00:00|4 天 0 小时前|0|test",
		"KA|和平里党群服务中心|正常|2026-03-06 10:00:00|0 分钟前|0|test")

	// One center, chosen by a district user.
	wantRows(t, "A's activities", b.exportCSV("/dashboard/export/activities.csv?center=A&month=2026-03"),
		"活动|中心|活跃志愿者|服务人次|服务时长（小时）|获得积分",
		"便民服务|和平里党群服务中心|2|2|3|90",
		"环境整治|和平里党群服务中心|2|2|0.75|22")
	page = b.get("/dashboard?center=B&month=2026-03")
	wantIn(t, "B's dashboard", page.body, "小黄庄党群服务中心 · 2026年3月", `<span class="stat-value">2.5</span>`)
	if strings.Contains(page.body, "各中心服务时长") {
		t.Error("one center's dashboard draws a chart of one bar by center")
	}
	// An empty month: nothing, said so.
	page = b.get("/dashboard?month=2025-12")
	wantIn(t, "December", page.body, "2025年12月", `<span class="stat-value">0</span>`, "没有记录。")
}

func TestDashboardScope(t *testing.T) {
	e := newEnv(t)
	e.seed()
	b := e.browser()
	b.login("刘芳")
	page := b.get("/dashboard" + march)
	if page.StatusCode != http.StatusOK {
		t.Fatalf("A's dashboard: %d", page.StatusCode)
	}
	wantIn(t, "A's dashboard", page.body, "和平里党群服务中心 · 2026年3月", `<span class="stat-value">3.75</span>`, "服务时长超限")
	for _, not := range []string{"小黄庄", "积分透支", "终端未同步", ">KB<", "KB</", `name="center"`} {
		if strings.Contains(page.body, not) {
			t.Errorf("A's user sees %q on the dashboard", not)
		}
	}
	wantRows(t, "A's kiosks as A's user", b.exportCSV("/dashboard/export/kiosks.csv"),
		"终端|中心|状态|最近同步|距今|待上传条数|版本",
		"KA|和平里党群服务中心|正常|2026-03-06 10:00:00|0 分钟前|0|test")
	if rows := b.exportCSV("/dashboard/export/centers.csv" + march); len(rows) != 2 || rows[1][0] != "和平里党群服务中心" {
		t.Errorf("the centers A's user exports:\n%s", rowsText(rows))
	}
	// B's data by editing the URL: not found, page and export alike.
	for _, p := range []string{"/dashboard?center=B", "/dashboard/export/kiosks.csv?center=B", "/dashboard/export/honour.xlsx?center=B&month=2026-03"} {
		if res := b.get(p); res.StatusCode != http.StatusNotFound || strings.Contains(res.body, "小黄庄") {
			t.Errorf("GET %s as A's user: %d, want 404 saying nothing of B", p, res.StatusCode)
		}
	}
	// B's flag, resolved by id: not found, and still open.
	fs, err := e.hub.OpenFlags(ctx, hub.DistrictScope(), "B")
	if err != nil || len(fs) != 1 {
		t.Fatalf("B's flags: %+v, %v", fs, err)
	}
	res := b.post(fmt.Sprintf("/dashboard/flags/%d/resolve", fs[0].ID), url.Values{"csrf": {field(page.body, "csrf")}, "note": {"不是我的"}})
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("resolving B's flag as A's user: %d, want 404", res.StatusCode)
	}
	if fs, _ := e.hub.OpenFlags(ctx, hub.DistrictScope(), "B"); len(fs) != 1 {
		t.Error("A's user resolved B's flag")
	}
	// Without a session: the login, for the exports too.
	anon := e.browser()
	for _, p := range []string{"/dashboard/export/trend.csv", "/dashboard/export/flags.xlsx"} {
		if res := anon.get(p); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Errorf("GET %s without a session: %d to %q", p, res.StatusCode, res.Header.Get("Location"))
		}
	}
	if res := anon.post(fmt.Sprintf("/dashboard/flags/%d/resolve", fs[0].ID), url.Values{"note": {"x"}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("resolving without a session: %d", res.StatusCode)
	}
}

func TestResolveAFlag(t *testing.T) {
	e := newEnv(t)
	e.seed()
	b := e.browser()
	b.login("刘芳")
	page := b.get("/dashboard" + march)
	fs, err := e.hub.OpenFlags(ctx, hub.CenterScope("A"), "")
	if err != nil || len(fs) != 1 || fs[0].Kind != hub.FlagLongShift {
		t.Fatalf("A's flags: %+v, %v", fs, err)
	}
	path := fmt.Sprintf("/dashboard/flags/%d/resolve", fs[0].ID)
	wantIn(t, "the flag's form", page.body, `action="`+path+`"`, `name="note"`, `name="back" value="month=2026-03"`)
	csrf := field(page.body, "csrf")

	// Without the form's token: refused, nothing resolved.
	if res := b.post(path, url.Values{"note": {"看过了"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("a resolve without its CSRF token: %d, want 403", res.StatusCode)
	}
	// Without a note: the form again, saying so.
	res := b.post(path, url.Values{"csrf": {csrf}, "note": {"   "}, "back": {"month=2026-03"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a resolve without a note: %d, want 422", res.StatusCode)
	}
	wantIn(t, "the form without a note", res.body, "请填写处理说明。", `aria-invalid="true"`, "和平里党群服务中心 · 2026年3月")
	long := strings.Repeat("长", hub.MaxFlagNote+1)
	res = b.post(path, url.Values{"csrf": {csrf}, "note": {long}})
	wantIn(t, "the form with a long note", res.body, "处理说明最多 500 个字")
	if fs, _ := e.hub.OpenFlags(ctx, hub.CenterScope("A"), ""); len(fs) != 1 {
		t.Fatal("a refused form resolved the flag")
	}

	res = b.post(path, url.Values{"csrf": {csrf}, "note": {"已核实：忘记签退，按 100 分钟计。"}, "back": {"month=2026-03&evil=1"}})
	if want := fmt.Sprintf("/dashboard?month=2026-03&resolved=%d#flags", fs[0].ID); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
		t.Fatalf("resolve: %d to %q, want 303 to %q\n%s", res.StatusCode, res.Header.Get("Location"), want, res.body)
	}
	page = b.get(fmt.Sprintf("/dashboard?month=2026-03&resolved=%d", fs[0].ID))
	wantIn(t, "the dashboard after", page.body, fmt.Sprintf("提醒 #%d 已处理，已记入审计日志。", fs[0].ID), "没有待处理的提醒。")
	a := e.audit()[0]
	if a.Action != hub.AuditFlagResolve || a.Actor != "刘芳" || a.Addr != "127.0.0.1" || a.Center != "A" ||
		a.Detail != "已核实：忘记签退，按 100 分钟计。" || !strings.HasPrefix(a.Subject, fmt.Sprintf("#%d long-shift ", fs[0].ID)) {
		t.Errorf("the audit entry: %+v", a)
	}
	// The district's audit page shows it, in words.
	d := e.browser()
	d.login("王芳")
	wantIn(t, "the audit page", d.get("/audit").body, "处理提醒", "已核实：忘记签退，按 100 分钟计。")
	// The same form again (a second tab): back to the dashboard, nothing
	// recorded twice.
	if res := b.post(path, url.Values{"csrf": {csrf}, "note": {"again"}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("resolving a resolved flag: %d\n%s", res.StatusCode, e.log)
	}
	if e.audit()[0].Detail == "again" {
		t.Error("a resolved flag resolved again")
	}
}

func TestDashboardExportsForExcel(t *testing.T) {
	e := newEnv(t)
	e.seed()
	b := e.browser()
	b.login("王芳")
	res := b.get("/dashboard/export/honour.xlsx" + march)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the honour roll as XLSX: %d\n%s", res.StatusCode, res.body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := res.Header.Get("Content-Disposition"); cd != "attachment; filename*=utf-8''"+url.PathEscape("看板-光荣榜-全部中心-2026-03.xlsx") {
		t.Errorf("Content-Disposition %q", cd)
	}
	f, err := excelize.OpenReader(bytes.NewReader([]byte(res.body)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetName(0)
	if sheet != "看板-光荣榜-全部中心-2026-03" {
		t.Errorf("sheet %q", sheet)
	}
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	wantRows(t, "the XLSX honour roll", rows,
		"名次|姓名|志愿者编号|服务时长（小时）|服务人次|获得积分",
		"1|王堃|HPL00001|4|3|120",
		"2|"+nameFormula+"|HPL00002|1|1|30",
		"2|"+nameAt+"|HPL00003|1|1|20",
		"4|"+nameHTML+"|HPL00004|0.25|1|7")
	// A name that looks like a formula is a text cell formatted as text,
	// never a formula; numbers are numbers.
	for _, c := range []string{"B3", "B4"} {
		typ, _ := f.GetCellType(sheet, c)
		formula, _ := f.GetCellFormula(sheet, c)
		style, _ := f.GetCellStyle(sheet, c)
		st, _ := f.GetStyle(style)
		if typ == excelize.CellTypeFormula || formula != "" || (typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString) || st == nil || st.NumFmt != 49 {
			t.Errorf("%s: type %v, formula %q, number format %+v: want text formatted as text", c, typ, formula, st)
		}
	}
	for _, c := range []string{"A2", "D5", "F2"} {
		if typ, _ := f.GetCellType(sheet, c); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
			t.Errorf("%s: type %v, want a number", c, typ)
		}
		if v, _ := f.GetCellValue(sheet, c, excelize.Options{RawCellValue: true}); strings.HasPrefix(v, "'") {
			t.Errorf("%s: %q", c, v)
		}
	}
	if strings.Contains(res.body, "<f>") {
		t.Error("the XLSX holds a formula")
	}
	// Flags' times are dates, in the centers' zone.
	res = b.get("/dashboard/export/flags.xlsx" + march)
	g, err := excelize.OpenReader(bytes.NewReader([]byte(res.body)))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if v, _ := g.GetCellValue(g.GetSheetName(0), "F2"); v != "2026-03-02 09:00:00" {
		t.Errorf("the first flag raised at %q, want 2026-03-02 09:00:00", v)
	}
	// Neither format nor list another.
	for _, p := range []string{"/dashboard/export/honour.pdf", "/dashboard/export/people.csv", "/dashboard/export/honour"} {
		if res := b.get(p); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, res.StatusCode)
		}
	}
}
