package web_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/record"
	"github.com/hongmajia/hongmajia/roster"
)

// redemptionSeed is March 2026's redemptions at the env's two centers,
// worked out by hand:
//
//	09:00 A 王堃 (the district's)      大米 ×1  40 0427 handed out at 09:12 by 刘值班
//	09:01 A the formula-named (district's) 食用油 ×2 50 1234 waiting
//	09:02 A the HTML-named (A's)       大米 ×1  40 0001 reversed at 09:13
//	10:00 B 李梅 (B's)                 食用油 ×1 25 0427 waiting
//	10:01 B 王堃                       食用油 ×1 25 0002 waiting
//	10:02 B 李梅, at an older kiosk    食用油 ×1 25 (no code) not reported
//
// and one in April at A: 王堃 大米 ×1 40 0005.
type redemptionSeed struct {
	ka, kb, old *hubtest.Kiosk
	wang        hub.Person
}

func (e *env) seedRedemptions() *redemptionSeed {
	t := e.t
	t.Helper()
	s := &redemptionSeed{}
	if _, err := e.hub.ImportPeople(ctx, []roster.Person{
		{Line: 2, MemberNo: "HPL00001", Name: "王堃", Kind: record.GreenVest, Card: "C0000001"},
		{Line: 3, MemberNo: "HPL00002", Name: nameFormula, Kind: record.GreenVest, Card: "C0000002"},
	}, false); err != nil {
		t.Fatal(err)
	}
	by := hub.CommandLine("test")
	register := func(center, memberNo, name string, card record.CardUID) hub.Person {
		p, err := e.hub.RegisterPerson(ctx, e.districtScope(), by, hub.Registration{Center: center,
			Person: roster.Person{MemberNo: memberNo, Name: name, Kind: record.RedVest, Card: card}})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	html := register("A", "HPL00004", nameHTML, "C0000004")
	li := register("B", "XHZ00001", "李梅", "C0000005")
	var err error
	if s.wang, err = e.hub.FindPerson(ctx, "HPL00001"); err != nil {
		t.Fatal(err)
	}
	formula, err := e.hub.FindPerson(ctx, "HPL00002")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.hub.ImportCatalog(ctx, "A", []roster.Item{{Line: 2, Name: "大米", Price: 40, Stock: 10}, {Line: 3, Name: "食用油", Price: 25, Stock: 10}}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.hub.ImportCatalog(ctx, "B", []roster.Item{{Line: 2, Name: "食用油", Price: 25, Stock: 10}}, false); err != nil {
		t.Fatal(err)
	}
	for _, st := range []hub.AddStaff{{Center: "A", UID: "5A000001", Name: "刘值班", PIN: "2468"}, {Center: "B", UID: "5B000001", Name: "陈值班", PIN: "1357"}} {
		if _, err := e.hub.AddStaff(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	item := map[string]record.ItemID{}
	err = e.store.View(ctx, func(r hub.Reader) error {
		its, err := r.Items()
		for _, it := range its {
			item[it.Name] = it.ID
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s.ka, s.kb, s.old = e.kiosk("KA", "A"), e.kiosk("KB", "B"), e.kiosk("KOLD", "B")
	minute := func() { e.clk.Advance(time.Minute) }
	rice := s.ka.RedeemWithCode(s.wang.ID, "C0000001", item["大米"], 1, 40, "0427")
	minute()
	s.ka.RedeemWithCode(formula.ID, "C0000002", item["食用油"], 2, 50, "1234")
	minute()
	undone := s.ka.RedeemWithCode(html.ID, "C0000004", item["大米"], 1, 40, "0001")
	e.clk.Advance(10 * time.Minute)
	s.ka.HandOut(rice.ID, "5A000001")
	minute()
	s.ka.Append(record.Entry{Kind: record.KindReverse, Person: html.ID, Card: "C0000004", Item: item["大米"], Stock: 1, Points: 40,
		Reverses: undone.ID, Operator: "5A000001", Reason: "撤销"})
	e.push(s.ka)
	e.clk.Set(hubtest.Start.Add(time.Hour))
	s.kb.RedeemWithCode(li.ID, "C0000005", item["食用油"], 1, 25, "0427")
	minute()
	s.kb.RedeemWithCode(s.wang.ID, "C0000001", item["食用油"], 1, 25, "0002")
	e.push(s.kb)
	minute()
	s.old.Redeem(li.ID, "C0000005", item["食用油"], 1, 25)
	e.push(s.old)
	e.clk.Advance(31 * 24 * time.Hour)
	s.ka.RedeemWithCode(s.wang.ID, "C0000001", item["大米"], 1, 40, "0005")
	e.push(s.ka)
	return s
}

// cellsOf are the text of each row of the first table of class in body:
// its cells joined by |.
func cellsOf(t *testing.T, body, class string) []string {
	t.Helper()
	i := strings.Index(body, `<table class="list `+class+`"`)
	if i < 0 {
		return nil
	}
	table := body[i : i+strings.Index(body[i:], "</table>")]
	var out []string
	rowRe, cellRe := regexp.MustCompile(`(?s)<tr[^>]*>(.*?)</tr>`), regexp.MustCompile(`(?s)<t[dh][^>]*>(.*?)</t[dh]>`)
	for _, r := range rowRe.FindAllStringSubmatch(table, -1) {
		var cells []string
		for _, c := range cellRe.FindAllStringSubmatch(r[1], -1) {
			cells = append(cells, c[1])
		}
		out = append(out, strings.Join(cells, "|"))
	}
	return out
}

const redemptionsMarch = "/points/redemptions?month=2026-03"

func TestRedemptionsListEveryCenterNewestFirst(t *testing.T) {
	e := newEnv(t)
	e.seedRedemptions()
	b := e.browser()
	b.login("王芳")
	page := b.get(redemptionsMarch)
	if page.StatusCode != http.StatusOK {
		t.Fatalf("the redemptions: %d\n%s", page.StatusCode, page.body)
	}
	got := cellsOf(t, page.body, "redemptions")
	want := []string{
		"兑换时间|中心|志愿者|志愿者编号|物品|数量|积分|取货码|状态|领取时间|核销人",
		"2026-03-02 10:02|小黄庄党群服务中心|李梅|XHZ00001|食用油|1|25||未上报||",
		"2026-03-02 10:01|小黄庄党群服务中心|王堃|HPL00001|食用油|1|25|0002|待领取||",
		"2026-03-02 10:00|小黄庄党群服务中心|李梅|XHZ00001|食用油|1|25|0427|待领取||",
		"2026-03-02 09:02|和平里党群服务中心|&lt;b&gt;赵&lt;/b&gt;六|HPL00004|大米|1|40|0001|已冲正||",
		"2026-03-02 09:01|和平里党群服务中心|=HYPERLINK(&#34;http://evil.example&#34;,&#34;点我&#34;)|HPL00002|食用油|2|50|1234|待领取||",
		"2026-03-02 09:00|和平里党群服务中心|王堃|HPL00001|大米|1|40|0427|已领取|2026-03-02 09:12|刘值班",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the list:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The page says hand-outs are the kiosk's, offers no form that
	// changes anything (only 退出's), and explains the unreported.
	wantIn(t, "the page", page.body, "领取（核销）只在终端上完成", "不能把兑换标记为已领取", "“未上报”", "兑换记录 <span class=\"sub\">全部中心 · 2026年3月</span>")
	if n := strings.Count(page.body, `method="post"`); n != 1 {
		t.Errorf("%d forms that post, want 退出's alone", n)
	}
	if strings.Contains(page.body, nameHTML) {
		t.Error("the name with HTML is not shown as text")
	}

	for _, c := range []struct {
		query string
		want  []string // the codes listed
	}{
		{"?month=2026-03&state=waiting", []string{"0002", "0427", "1234"}},
		{"?month=2026-03&state=handed-out", []string{"0427"}},
		{"?month=2026-03&state=reversed", []string{"0001"}},
		{"?month=2026-03&state=unreported", []string{""}},
		{"?month=2026-03&center=B", []string{"", "0002", "0427"}},
		{"?month=2026-03&q=0427", []string{"0427", "0427"}},
		{"?month=2026-03&q=hpl00001", []string{"0002", "0427"}},
		{"?month=&q=HPL00001", []string{"0005", "0002", "0427"}},
		{"?month=2026-04", []string{"0005"}},
		{"?month=2026-02", nil},
		{"?month=&state=nonsense&q=%20", []string{"0005", "", "0002", "0427", "0001", "1234", "0427"}},
	} {
		page := b.get("/points/redemptions" + c.query)
		if page.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", c.query, page.StatusCode)
			continue
		}
		var codes []string
		for _, r := range cellsOf(t, page.body, "redemptions")[min(1, len(cellsOf(t, page.body, "redemptions"))):] {
			codes = append(codes, strings.Split(r, "|")[7])
		}
		if strings.Join(codes, " ") != strings.Join(c.want, " ") {
			t.Errorf("%s: codes %q, want %q", c.query, codes, c.want)
		}
		if c.want == nil && !strings.Contains(page.body, "没有符合条件的兑换记录") {
			t.Errorf("%s: an empty list says nothing", c.query)
		}
	}
	// Without a month the page shows this one (April, after the seed).
	if page := b.get("/points/redemptions"); !strings.Contains(page.body, "2026年4月") || len(cellsOf(t, page.body, "redemptions")) != 2 {
		t.Errorf("the page without a month:\n%s", strings.Join(cellsOf(t, page.body, "redemptions"), "\n"))
	}
}

// TestRedemptionsOfACenter: a center's staff see their center's
// redemptions only, people registered elsewhere masked as 注册登记 masks
// them; another center's id in the address is not found, on every page
// and export; without a session, the login.
func TestRedemptionsOfACenter(t *testing.T) {
	e := newEnv(t)
	e.seedRedemptions()
	b := e.browser()
	b.login("刘芳")
	page := b.get(redemptionsMarch)
	got := cellsOf(t, page.body, "redemptions")
	want := []string{
		"兑换时间|中心|志愿者|志愿者编号|物品|数量|积分|取货码|状态|领取时间|核销人",
		"2026-03-02 09:02|和平里党群服务中心|&lt;b&gt;赵&lt;/b&gt;六|HPL00004|大米|1|40|0001|已冲正||",
		"2026-03-02 09:01|和平里党群服务中心|" + hub.MaskName(nameFormula) + "|HPL00002|食用油|2|50|1234|待领取||",
		"2026-03-02 09:00|和平里党群服务中心|王*|HPL00001|大米|1|40|0427|已领取|2026-03-02 09:12|刘值班",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("A's list:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	wantIn(t, "A's page", page.body, "其他中心登记的志愿者，姓名部分隐藏")
	// The export is the page's: masked, and a masked formula still text.
	wantRows(t, "A's CSV", b.exportCSV("/points/redemptions/export.csv?month=2026-03&state=waiting"),
		"兑换时间|中心|志愿者|志愿者编号|物品|数量|积分|取货码|状态|领取时间|核销人",
		"2026-03-02 09:01:00|和平里党群服务中心|'"+hub.MaskName(nameFormula)+"|HPL00002|食用油|2|50|1234|待领取||")
	if es := e.audit(); len(es) == 0 || es[0].Action != hub.AuditExport || es[0].Actor != "刘芳" {
		t.Errorf("the redemptions' download (names, member numbers) is not in the audit log: %+v", es[:min(len(es), 1)])
	}
	for _, not := range []string{"小黄庄", "李梅", `name="center"`} {
		if strings.Contains(page.body, not) {
			t.Errorf("A's user sees %q", not)
		}
	}
	// 李梅's member number finds nothing at A; the code 0427 A's only.
	if rows := cellsOf(t, b.get(redemptionsMarch+"&q=XHZ00001").body, "redemptions"); len(rows) != 0 {
		t.Errorf("B's person searched at A: %v", rows)
	}
	if rows := cellsOf(t, b.get(redemptionsMarch+"&q=0427").body, "redemptions"); len(rows) != 2 {
		t.Errorf("the code 0427 at A: %v", rows)
	}
	for _, p := range []string{"/points/redemptions?center=B", "/points/redemptions/export.csv?center=B", "/points/redemptions/export.xlsx?center=B&month=",
		"/points/month?center=B", "/points/month/export.csv?center=B&month=2026-03", "/points/redemptions?center=Z"} {
		if res := b.get(p); res.StatusCode != http.StatusNotFound || strings.Contains(res.body, "小黄庄") {
			t.Errorf("GET %s as A's user: %d, want 404 saying nothing of B", p, res.StatusCode)
		}
	}
	anon := e.browser()
	for _, p := range []string{"/points/redemptions", "/points/redemptions/export.csv", "/points/month", "/points/month/export.xlsx"} {
		if res := anon.get(p); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Errorf("GET %s without a session: %d to %q", p, res.StatusCode, res.Header.Get("Location"))
		}
	}
	// The pages take no POST.
	for _, p := range []string{"/points/redemptions", "/points/month"} {
		res := b.post(p, url.Values{"csrf": {field(page.body, "csrf")}})
		if res.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST %s: %d, want 405", p, res.StatusCode)
		}
	}
}

func TestRedemptionsExportForExcel(t *testing.T) {
	e := newEnv(t)
	e.seedRedemptions()
	b := e.browser()
	b.login("王芳")
	wantRows(t, "the March CSV", b.exportCSV("/points/redemptions/export.csv?month=2026-03"),
		"兑换时间|中心|志愿者|志愿者编号|物品|数量|积分|取货码|状态|领取时间|核销人",
		"2026-03-02 10:02:00|小黄庄党群服务中心|李梅|XHZ00001|食用油|1|25||未上报||",
		"2026-03-02 10:01:00|小黄庄党群服务中心|王堃|HPL00001|食用油|1|25|0002|待领取||",
		"2026-03-02 10:00:00|小黄庄党群服务中心|李梅|XHZ00001|食用油|1|25|0427|待领取||",
		"2026-03-02 09:02:00|和平里党群服务中心|"+nameHTML+"|HPL00004|大米|1|40|0001|已冲正||",
		"2026-03-02 09:01:00|和平里党群服务中心|'"+nameFormula+"|HPL00002|食用油|2|50|1234|待领取||",
		"2026-03-02 09:00:00|和平里党群服务中心|王堃|HPL00001|大米|1|40|0427|已领取|2026-03-02 09:12:00|刘值班")
	// The filter goes with the export: B's waiting ones, every month.
	wantRows(t, "B's waiting CSV", b.exportCSV("/points/redemptions/export.csv?month=&center=B&state=waiting"),
		"兑换时间|中心|志愿者|志愿者编号|物品|数量|积分|取货码|状态|领取时间|核销人",
		"2026-03-02 10:01:00|小黄庄党群服务中心|王堃|HPL00001|食用油|1|25|0002|待领取||",
		"2026-03-02 10:00:00|小黄庄党群服务中心|李梅|XHZ00001|食用油|1|25|0427|待领取||")

	res := b.get("/points/redemptions/export.xlsx?month=2026-03")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("XLSX: %d\n%s", res.StatusCode, res.body)
	}
	if cd := res.Header.Get("Content-Disposition"); cd != "attachment; filename*=utf-8''"+url.PathEscape("兑换记录-全部中心-2026-03.xlsx") {
		t.Errorf("Content-Disposition %q", cd)
	}
	f, err := excelize.OpenReader(bytes.NewReader([]byte(res.body)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetName(0)
	// The code keeps its leading zero as text; the formula-named person is
	// text, never a formula; quantities and points are numbers.
	if v, _ := f.GetCellValue(sheet, "H3"); v != "0002" {
		t.Errorf("H3 (a code) is %q", v)
	}
	typ, _ := f.GetCellType(sheet, "C6")
	formula, _ := f.GetCellFormula(sheet, "C6")
	if v, _ := f.GetCellValue(sheet, "C6"); v != nameFormula || formula != "" || typ == excelize.CellTypeFormula {
		t.Errorf("C6: %q, type %v, formula %q", v, typ, formula)
	}
	for _, c := range []string{"F2", "G7"} {
		if typ, _ := f.GetCellType(sheet, c); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
			t.Errorf("%s: type %v, want a number", c, typ)
		}
	}
	if strings.Contains(res.body, "<f>") {
		t.Error("the XLSX holds a formula")
	}
	if res := b.get("/points/redemptions/export.pdf"); res.StatusCode != http.StatusNotFound {
		t.Errorf("a PDF export: %d", res.StatusCode)
	}
}

// TestRedemptionsPages: a long list comes a page at a time, newest first;
// the older page links back to the newest; the export holds every one.
func TestRedemptionsPages(t *testing.T) {
	e := newEnv(t)
	k := e.kiosk("KA", "A")
	n := hub.RedemptionPage + 5
	for i := range n {
		k.RedeemWithCode(record.PersonID(100+i), "C0000001", 7, 1, 10, fmt.Sprintf("%04d", i))
		e.clk.Advance(time.Second)
	}
	e.push(k)
	b := e.browser()
	b.login("王芳")
	page := b.get("/points/redemptions")
	rows := cellsOf(t, page.body, "redemptions")
	if len(rows) != hub.RedemptionPage+1 || !strings.Contains(rows[1], fmt.Sprintf("|%04d|", n-1)) {
		t.Fatalf("the first page: %d rows, first %q", len(rows)-1, rows[min(1, len(rows)-1)])
	}
	older := regexp.MustCompile(`<a href="([^"]+)">更早的记录</a>`).FindStringSubmatch(page.body)
	if older == nil || strings.Contains(page.body, "回到最新") {
		t.Fatal("the first page links to no older page, or back to itself")
	}
	page = b.get(strings.ReplaceAll(older[1], "&amp;", "&"))
	rows = cellsOf(t, page.body, "redemptions")
	if len(rows) != 6 || !strings.Contains(rows[1], "|0004|") || !strings.Contains(rows[5], "|0000|") {
		t.Errorf("the older page:\n%s", strings.Join(rows, "\n"))
	}
	if strings.Contains(page.body, "更早的记录") || !strings.Contains(page.body, "回到最新") {
		t.Error("the last page links to an older one, or not back to the newest")
	}
	if got := b.exportCSV("/points/redemptions/export.csv"); len(got) != n+1 {
		t.Errorf("the export holds %d rows, want %d", len(got)-1, n)
	}
	// A cursor that does not read is the newest page.
	if rows := cellsOf(t, b.get("/points/redemptions?before=nonsense").body, "redemptions"); len(rows) != hub.RedemptionPage+1 {
		t.Errorf("a bad cursor: %d rows", len(rows)-1)
	}
}

func TestPointsMonthByCenterAndItem(t *testing.T) {
	e := newEnv(t)
	e.seedRedemptions()
	b := e.browser()
	b.login("王芳")
	page := b.get("/points/month?month=2026-03")
	if page.StatusCode != http.StatusOK {
		t.Fatalf("the month: %d\n%s", page.StatusCode, page.body)
	}
	wantIn(t, "the month's tiles", page.body, "本月发放 <span class=\"sub\">全部中心 · 2026年3月</span>",
		`<span class="stat-label">兑换次数</span> <span class="stat-value">5</span> <span class="stat-unit">次</span>`,
		`<span class="stat-label">兑出物品</span> <span class="stat-value">6</span>`,
		`<span class="stat-label">已领取</span> <span class="stat-value">1</span>`,
		`<span class="stat-label">待领取</span> <span class="stat-value">4</span>`,
		`<span class="stat-label">未上报</span> <span class="stat-value">1</span>`,
		`<span class="stat-label">消耗积分</span> <span class="stat-value">165</span>`,
		"<h2 id=\"month-0\">和平里党群服务中心</h2>", "<h2 id=\"month-1\">小黄庄党群服务中心</h2>", "<h2 id=\"month-2\">全部中心，按物品</h2>")
	tables := strings.Split(page.body, `<table class="list month"`)[1:]
	var got []string
	for _, tb := range tables {
		got = append(got, strings.Join(cellsOf(t, `<table class="list month"`+tb, "month"), "\n"))
	}
	head := "物品|兑换次数|兑出件数|已领取（件）|待领取（件）|未上报（件）|已冲正（次）|消耗积分"
	want := []string{
		head + "\n大米|1|1|1|0|0|1|40\n食用油|1|2|0|2|0|0|50\n合计|2|3|1|2|0|1|90",
		head + "\n食用油|3|3|0|2|1|0|75\n合计|3|3|0|2|1|0|75",
		head + "\n大米|1|1|1|0|0|1|40\n食用油|4|5|0|4|1|0|125\n全部中心合计|5|6|1|4|1|1|165",
	}
	if strings.Join(got, "\n\n") != strings.Join(want, "\n\n") {
		t.Errorf("the month's tables:\n%s\nwant\n%s", strings.Join(got, "\n\n"), strings.Join(want, "\n\n"))
	}
	wantRows(t, "the month as CSV", b.exportCSV("/points/month/export.csv?month=2026-03"),
		"中心|物品|兑换次数|兑出件数|已领取（件）|待领取（件）|未上报（件）|已冲正（次）|消耗积分",
		"和平里党群服务中心|大米|1|1|1|0|0|1|40",
		"和平里党群服务中心|食用油|1|2|0|2|0|0|50",
		"和平里党群服务中心|合计|2|3|1|2|0|1|90",
		"小黄庄党群服务中心|食用油|3|3|0|2|1|0|75",
		"小黄庄党群服务中心|合计|3|3|0|2|1|0|75",
		"全部中心合计|合计|5|6|1|4|1|1|165")

	// A center's staff: their center; no unreported column when none.
	c := e.browser()
	c.login("刘芳")
	page = c.get("/points/month?month=2026-03")
	rows := cellsOf(t, page.body, "month")
	if strings.Join(rows, "\n") != "物品|兑换次数|兑出件数|已领取（件）|待领取（件）|已冲正（次）|消耗积分\n大米|1|1|1|0|1|40\n食用油|1|2|0|2|0|50\n合计|2|3|1|2|1|90" {
		t.Errorf("A's month:\n%s", strings.Join(rows, "\n"))
	}
	if strings.Contains(page.body, "小黄庄") || strings.Contains(page.body, "全部中心") {
		t.Error("A's user sees another center on the month's page")
	}
	// February: nothing.
	if page := c.get("/points/month?month=2026-02"); !strings.Contains(page.body, "这个月没有兑换") || strings.Contains(page.body, `<table class="list month"`) {
		t.Error("an empty month")
	}
}

// TestRedemptionCodeOfAnotherMonth: a pickup code looked up with the next
// month in the field finds nothing, and the page offers every month, where
// the code is.
func TestRedemptionCodeOfAnotherMonth(t *testing.T) {
	e := newEnv(t)
	e.seedRedemptions()
	b := e.browser()
	b.login("王芳")
	page := b.get("/points/redemptions?month=2026-04&q=0427")
	if rows := cellsOf(t, page.body, "redemptions"); len(rows) != 0 {
		t.Fatalf("0427 in April: %v", rows)
	}
	all := "/points/redemptions?month=&amp;q=0427"
	if !strings.Contains(page.body, `href="`+all+`"`) || !strings.Contains(page.body, "在全部月份中查找") {
		t.Fatalf("no way to every month on the empty page:\n%s", page.body)
	}
	rows := cellsOf(t, b.get(strings.ReplaceAll(all, "&amp;", "&")).body, "redemptions")
	if len(rows) < 2 {
		t.Fatalf("0427 over every month: %v", rows)
	}
	for _, r := range rows[1:] { // after the header
		if !strings.Contains(r, "0427") {
			t.Errorf("a row without the code: %v", r)
		}
	}
	// A list without a search has no such link.
	if strings.Contains(b.get("/points/redemptions?month=2026-04").body, "在全部月份中查找") {
		t.Error("the link on a month's list without a search")
	}
}
