package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/hub/web"
	"github.com/hongmajia/hongmajia/record"
	"github.com/hongmajia/hongmajia/roster"
)

// The exports of 注册登记, 志愿服务记录 and the audit log: each holds its
// page's rows as its user's scope sees them, masked as the page masks
// them; a formula-looking text stays text; each download is in the audit
// log, its list and filter, never its rows.

// exportXLSX downloads an XLSX export and returns its one sheet's rows
// and the file.
func (b *browser) exportXLSX(path string) ([][]string, *excelize.File) {
	b.e.t.Helper()
	res := b.get(path)
	if res.StatusCode != http.StatusOK {
		b.e.t.Fatalf("GET %s: %d\n%s", path, res.StatusCode, res.body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		b.e.t.Errorf("GET %s: Content-Type %q", path, ct)
	}
	f, err := excelize.OpenReader(strings.NewReader(res.body))
	if err != nil {
		b.e.t.Fatalf("GET %s: %v", path, err)
	}
	b.e.t.Cleanup(func() { f.Close() })
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		b.e.t.Fatal(err)
	}
	return rows, f
}

// wantText fails unless cell of f's sheet is text formatted as text
// holding want, never a formula.
func wantText(t *testing.T, f *excelize.File, cell, want string) {
	t.Helper()
	sheet := f.GetSheetName(0)
	typ, _ := f.GetCellType(sheet, cell)
	formula, _ := f.GetCellFormula(sheet, cell)
	v, _ := f.GetCellValue(sheet, cell)
	id, _ := f.GetCellStyle(sheet, cell)
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if v != want || formula != "" || (typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString) || st.NumFmt != 49 {
		t.Errorf("%s: %q, type %v, formula %q, number format %d: want %q as text", cell, v, typ, formula, st.NumFmt, want)
	}
}

// wantExportAudited fails unless the newest audit entry is user's export
// of subject from center as format.
func (e *env) wantExportAudited(user, center, subject, format string) {
	e.t.Helper()
	as := e.actions(hub.AuditExport)
	if len(as) == 0 {
		e.t.Fatalf("no export in the audit log, want %s's %q", user, subject)
	}
	if a := as[0]; a.Actor != user || a.Center != center || a.Subject != subject || a.Detail != format {
		e.t.Errorf("the export's audit entry %+v, want %s's %q at %q as %s", a, user, subject, center, format)
	}
}

func TestRegistrationExports(t *testing.T) {
	e := newEnv(t)
	e.addUser("孙丽", hub.RoleCenter, "B")
	e.walkIn("TA", "A", 777, "W-0777", "0A0B0C0D")
	e.walkIn("TB", "B", 888, "W-0888", "0A0B0C0E")
	a := e.browser()
	a.login("刘芳")
	a.register(url.Values{"name": {nameAt}, "member_no": {"HPL0001"}, "kind": {"red-vest"}, "phone": {"13812345678"}, "card": {"04A1B2C3"}})
	a.register(url.Values{"name": {"王堃"}, "member_no": {"HPL0002"}, "kind": {"green-vest"}, "phone": {"13987655678"}})
	d := e.browser()
	d.login("王芳")
	d.register(url.Values{"name": {"欧阳娜娜"}, "member_no": {"XHZ0001"}, "kind": {"green-vest"}, "phone": {"13912345678"},
		"community": {"小黄庄社区"}, "card": {"0A0B0C0F"}, "center": {"B"}})

	// The search's page and its export hold the same people, phones
	// masked.
	page := a.get("/people?q=5678")
	wantIn(t, "the search", page.body, `href="/people/export.xlsx?q=5678"`, `href="/people/export.csv?q=5678"`, "导出")
	wantRows(t, "A's search as CSV", a.exportCSV("/people/export.csv?q=5678"),
		"姓名|志愿者编号|志愿者类型|手机号|卡片|登记中心|备注",
		"'"+nameAt+"|HPL0001|红马甲|138****5678|04A1B2C3|和平里党群服务中心|",
		"王堃|HPL0002|绿马甲|139****5678|未绑卡|和平里党群服务中心|")
	e.wantExportAudited("刘芳", "A", "注册登记-查找结果-5678", "csv")
	rows, f := a.exportXLSX("/people/export.xlsx?q=5678")
	if len(rows) != 3 || rows[1][3] != "138****5678" {
		t.Errorf("A's search as XLSX:\n%s", rowsText(rows))
	}
	wantText(t, f, "A2", nameAt)
	e.wantExportAudited("刘芳", "A", "注册登记-查找结果-5678", "xlsx")
	// Another center's person as the page shows them: masked, no phone,
	// no card, said to be elsewhere.
	wantIn(t, "A finding B's person", a.get("/people?q=XHZ0001").body, "欧**娜")
	wantRows(t, "A's export of B's person", a.exportCSV("/people/export.csv?q=XHZ0001"),
		"姓名|志愿者编号|志愿者类型|手机号|卡片|登记中心|备注",
		"欧**娜|XHZ0001|绿马甲|||小黄庄党群服务中心|其他中心")
	// A search that finds by name only at the user's center.
	wantRows(t, "A searching B's person's name", a.exportCSV("/people/export.csv?q="+url.QueryEscape("欧阳")), "姓名|志愿者编号|志愿者类型|手机号|卡片|登记中心|备注")

	// The walk-ins: A's at A, both for the district.
	wantIn(t, "A's walk-ins", a.get("/people/walkins").body, `href="/people/walkins/export.xlsx"`)
	wantRows(t, "A's walk-ins", a.exportCSV("/people/walkins/export.csv"),
		"志愿者编号|建立的中心|积分|服务时长（小时）|卡片",
		"W-0777|和平里党群服务中心|30|3|0A0B0C0D")
	e.wantExportAudited("刘芳", "A", "注册登记-待合并的临时登记-2026-03-02", "csv")
	rows, _ = d.exportXLSX("/people/walkins/export.xlsx")
	if len(rows) != 3 || rows[1][0] != "W-0777" || rows[2][0] != "W-0888" {
		t.Errorf("the district's walk-ins:\n%s", rowsText(rows))
	}
	e.wantExportAudited("王芳", "", "注册登记-待合并的临时登记-2026-03-02", "xlsx")

	// No query, no format, another format: not found, nothing recorded.
	n := len(e.actions(hub.AuditExport))
	for _, p := range []string{"/people/export.csv", "/people/export.csv?q=+", "/people/export.pdf?q=5678", "/people/walkins/export.json",
		"/people/export?q=5678"} {
		if res := a.get(p); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, res.StatusCode)
		}
	}
	if got := len(e.actions(hub.AuditExport)); got != n {
		t.Errorf("%d exports recorded for the refused ones", got-n)
	}
	// The audit entries say what was exported, never a row.
	for _, x := range e.actions(hub.AuditExport) {
		if strings.Contains(x.Subject+x.Detail, "138") || strings.Contains(x.Subject+x.Detail, "王堃") {
			t.Errorf("an export's audit entry holds a row: %+v", x)
		}
	}
}

// certified issues a certificate of A for 王堃 of d, his ID recorded.
func (e *env) certified(d district) hub.Certificate {
	e.t.Helper()
	by := hub.Actor{User: "刘芳", Addr: "192.0.2.9"}
	scope := hub.CenterScope("A")
	if err := e.hub.SetCertIssuer(ctx, by, scope, hub.CertIssuer{Center: "A", Name: "和平里党群服务中心", Head: "赵敏", Contact: "010-64210000"}); err != nil {
		e.t.Fatal(err)
	}
	if err := e.hub.SetIDDocument(ctx, by, scope, d.wang.ID, hub.IDDocument{Type: hub.IDResident, Number: residentNo}); err != nil {
		e.t.Fatal(err)
	}
	c, err := e.hub.IssueCertificate(ctx, by, scope, hub.CertificateRequest{Person: d.wang.ID, Issuer: "A"})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// unzipped is every part of an XLSX file, as text.
func unzipped(t *testing.T, b []byte) string {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, f := range z.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(&all, r)
		r.Close()
	}
	return all.String()
}

func TestServiceRecordExports(t *testing.T) {
	e := newEnv(t)
	d := e.district()
	e.addUser("孙丽", hub.RoleCenter, "B")
	c := e.certified(d)
	a := e.browser()
	a.login("刘芳")

	// A person's record: the rows of the year shown, A's alone for A.
	rec := a.get(path(d.wang) + "?year=2026")
	wantIn(t, "A's record", rec.body, `href="`+path(d.wang)+`/export.xlsx?year=2026"`, `href="`+path(d.wang)+`/export.csv?year=2026"`)
	head := "日期|中心|服务项目|签到|签退|时长（小时）|积分|状态|备注|时间已由平台校正"
	wantRows(t, "A's record of 王堃", a.exportCSV(path(d.wang)+"/export.csv?year=2026"), head,
		"2026-03-03|和平里党群服务中心|环境整治|2026-03-03 09:00:00|2026-03-03 10:30:00|1.5|8|已签退||",
		"2026-03-02|和平里党群服务中心|环境整治|2026-03-02 09:00:00|2026-03-02 11:00:00|2|10|已签退||")
	e.wantExportAudited("刘芳", "A", "志愿服务记录-王堃-HPL0001-2026", "csv")
	wantIn(t, "every year's link", a.get(path(d.wang)).body, `href="`+path(d.wang)+`/export.xlsx"`)
	rows, f := a.exportXLSX(path(d.wang) + "/export.xlsx")
	if len(rows) != 3 || rows[2][3] != "2026-03-02 09:00:00" || rows[2][5] != "2" {
		t.Errorf("A's record of 王堃 as XLSX:\n%s", rowsText(rows))
	}
	wantText(t, f, "C2", "环境整治")
	if typ, _ := f.GetCellType(f.GetSheetName(0), "F2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("hours as %v, want a number", typ)
	}
	e.wantExportAudited("刘芳", "A", "志愿服务记录-王堃-HPL0001-全部", "xlsx")
	if rows := d2(e).exportCSV(path(d.wang) + "/export.csv"); len(rows) != 4 || rows[1][1] != "小黄庄党群服务中心" {
		t.Errorf("the district's record of 王堃:\n%s", rowsText(rows))
	}
	// 李喆 never served at A: not found, nothing recorded.
	n := len(e.actions(hub.AuditExport))
	for _, p := range []string{path(d.li) + "/export.csv", "/service/people/999999/export.csv", "/service/people/x/export.xlsx"} {
		if res := a.get(p); res.StatusCode != http.StatusNotFound || strings.Contains(res.body, "李喆") {
			t.Errorf("GET %s as A: %d", p, res.StatusCode)
		}
	}
	if len(e.actions(hub.AuditExport)) != n {
		t.Error("a refused export recorded")
	}

	// The register: every certificate the page lists, never an ID number.
	reg := a.get("/service/certificates")
	wantIn(t, "the register", reg.body, `href="/service/certificates/export.xlsx"`)
	wantRows(t, "A's register", a.exportCSV("/service/certificates/export.csv"),
		"证明编号|出具时间|姓名|志愿者编号|出具单位|时长（小时）|经办人",
		c.Number+"|2026-03-04 12:30:00|王堃|HPL0001|和平里党群服务中心|3.5|刘芳")
	e.wantExportAudited("刘芳", "A", "志愿服务记录-证明登记簿-2026-03-04", "csv")
	res := a.get("/service/certificates/export.xlsx")
	if all := unzipped(t, []byte(res.body)); strings.Contains(all, residentNo) || strings.Contains(all, "0519491231") || !strings.Contains(all, c.Number) {
		t.Error("the register's XLSX holds the ID number, or not the certificate")
	}
	wantIn(t, "a person's register", a.get("/service/certificates?person="+fmt.Sprint(int64(d.wang.ID))).body,
		`href="/service/certificates/export.csv?person=`+fmt.Sprint(int64(d.wang.ID))+`"`)
	if rows := a.exportCSV("/service/certificates/export.csv?person=" + fmt.Sprint(int64(d.wang.ID))); len(rows) != 2 {
		t.Errorf("王堃's register:\n%s", rowsText(rows))
	}
	e.wantExportAudited("刘芳", "A", "志愿服务记录-证明登记簿-王堃-HPL0001-2026-03-04", "csv")
	b := e.browser()
	b.login("孙丽")
	if rows := b.exportCSV("/service/certificates/export.csv"); len(rows) != 1 {
		t.Errorf("B's staff export A's certificates:\n%s", rowsText(rows))
	}
}

// d2 is a browser of the district's 王芳, logged in.
func d2(e *env) *browser {
	b := e.browser()
	b.login("王芳")
	return b
}

func TestCenterServiceExport(t *testing.T) {
	e := newEnv(t)
	d := e.district()
	e.addUser("孙丽", hub.RoleCenter, "B")
	// A name Excel would run, serving at A.
	if _, err := e.hub.ImportPeople(ctx, []roster.Person{{Line: 2, MemberNo: "HPL0003", Name: nameAt, Kind: record.GreenVest, Card: "04A1B2C5"}}, false); err != nil {
		t.Fatal(err)
	}
	at, err := e.hub.FindPerson(ctx, "HPL0003")
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Hour)
	in := d.a.CheckIn(at.ID, "04A1B2C5", 0)
	e.clk.Advance(time.Hour)
	out := d.a.CheckOut(in, 60, 5)
	// Reversed by staff; 王堃 credited 30 minutes by staff, then checked
	// in and not yet out.
	e.clk.Advance(time.Hour)
	d.a.Append(record.Entry{Kind: record.KindReverse, Person: at.ID, Card: "04A1B2C5", Shift: in.ID, Reverses: out.ID, Minutes: -60, Points: -5,
		Operator: "99000001", Reason: "刷错卡"})
	d.a.Append(record.Entry{Kind: record.KindAdjust, Person: d.wang.ID, Minutes: 30, Points: 3, Operator: "99000001", Reason: "补签退"})
	e.clk.Advance(time.Hour)
	d.a.CheckIn(d.wang.ID, "04A1B2C3", 0)
	e.push(d.a)

	a := e.browser()
	a.login("刘芳")
	form := a.get("/service/export")
	wantIn(t, "A's form", form.body, "服务记录导出", "和平里党群服务中心", `<option value="2026" selected>2026年</option>`,
		`action="/service/export/records.xlsx"`, `formaction="/service/export/records.csv"`)
	notIn(t, "A's form", form.body, `name="center"`, "小黄庄")
	wantIn(t, "the section's page", a.get("/service").body, `href="/service/export"`)
	head := "日期|姓名|志愿者编号|服务项目|签到|签退|时长（小时）|积分|状态|备注|时间已由平台校正"
	want := []string{head,
		"2026-03-02|王堃|HPL0001|环境整治|2026-03-02 09:00:00|2026-03-02 11:00:00|2|10|已签退||",
		"2026-03-03|王堃|HPL0001|环境整治|2026-03-03 09:00:00|2026-03-03 10:30:00|1.5|8|已签退||",
		"2026-03-04|'" + nameAt + "|HPL0003|（未知项目）|2026-03-04 13:30:00|2026-03-04 14:30:00|1|5|已冲正|刷错卡|",
		"2026-03-04|王堃|HPL0001|时长调整|||0.5|3|已调整|补签退|",
		"2026-03-04|王堃|HPL0001|（未知项目）|2026-03-04 16:30:00|||0|未签退||"}
	wantRows(t, "A's year", a.exportCSV("/service/export/records.csv?year=2026"), want...)
	e.wantExportAudited("刘芳", "A", "志愿服务记录-和平里党群服务中心-2026", "csv")
	rows, f := a.exportXLSX("/service/export/records.xlsx?year=2026")
	if len(rows) != 6 || rows[3][1] != nameAt || rows[1][4] != "2026-03-02 09:00:00" || rows[2][6] != "1.5" || rows[4][6] != "0.5" {
		t.Errorf("A's year as XLSX:\n%s", rowsText(rows))
	}
	wantText(t, f, "B4", nameAt)
	if typ, _ := f.GetCellType(f.GetSheetName(0), "E2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("a check-in as %v, want a date's number", typ)
	}
	e.wantExportAudited("刘芳", "A", "志愿服务记录-和平里党群服务中心-2026", "xlsx")
	// Each person's rows are their record's at A (newest first there),
	// but for the record's center and the year's name and number.
	csvYear := a.exportCSV("/service/export/records.csv?year=2026")
	var wang []string
	for _, r := range csvYear[1:] {
		if r[1] == "王堃" {
			wang = append([]string{strings.Join(append([]string{r[0]}, r[3:]...), "|")}, wang...)
		}
	}
	var recs []string
	for _, r := range a.exportCSV(path(d.wang) + "/export.csv?year=2026")[1:] {
		recs = append(recs, strings.Join(append([]string{r[0]}, r[2:]...), "|"))
	}
	if strings.Join(wang, "\n") != strings.Join(recs, "\n") || len(recs) != 4 {
		t.Errorf("王堃's rows in A's year:\n%s\nhis record at A:\n%s", strings.Join(wang, "\n"), strings.Join(recs, "\n"))
	}

	// B's center, by editing the URL, or a year that is not one: not
	// found, nothing recorded.
	n := len(e.actions(hub.AuditExport))
	for _, p := range []string{"/service/export/records.csv?year=2026&center=B", "/service/export/records.csv?year=26",
		"/service/export/records.csv", "/service/export/records.pdf?year=2026", "/service/export/records.xlsx?year=2026&center=Z"} {
		if res := a.get(p); res.StatusCode != http.StatusNotFound || strings.Contains(res.body, "李喆") {
			t.Errorf("GET %s as A: %d", p, res.StatusCode)
		}
	}
	if len(e.actions(hub.AuditExport)) != n {
		t.Error("a refused export recorded")
	}
	// The district chooses; an empty year is a file of headers.
	dist := d2(e)
	wantIn(t, "the district's form", dist.get("/service/export").body, `<select id="center" name="center">`, "小黄庄党群服务中心")
	wantRows(t, "B's year", dist.exportCSV("/service/export/records.csv?center=B&year=2026"), head,
		"2026-03-04|王堃|HPL0001|助老探访|2026-03-04 10:30:00|2026-03-04 11:30:00|1|5|已签退||",
		"2026-03-04|李喆|HPL0002|助老探访|2026-03-04 11:30:00|2026-03-04 12:30:00|1|5|已签退||")
	e.wantExportAudited("王芳", "B", "志愿服务记录-小黄庄党群服务中心-2026", "csv")
	wantRows(t, "A's 2025", dist.exportCSV("/service/export/records.csv?center=A&year=2025"), head)
	if res := dist.get("/service/export/records.csv?year=2026"); res.StatusCode != http.StatusNotFound {
		t.Errorf("the district without a center: %d", res.StatusCode)
	}
}

func TestAuditLogExport(t *testing.T) {
	e := newEnv(t)
	// More entries than a page of the log, one a formula.
	err := e.store.Update(ctx, func(tx hub.Tx) error {
		for i := range hub.MaxAuditPage + 20 {
			subject := fmt.Sprintf("p%d", i)
			if i == 7 {
				subject = "=cmd|' /C calc'!A0"
			}
			if err := tx.AddAudit(hub.AuditEntry{At: hubtest.Start, Actor: "王芳", Addr: "192.0.2.1", Action: hub.AuditCardBind, Center: "A",
				Subject: subject, Detail: "04A1B2C3"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	d := e.browser()
	d.login("王芳")
	wantIn(t, "the audit page", d.get("/audit").body, `href="/audit/export.xlsx"`, `href="/audit/export.csv"`)
	rows := d.exportCSV("/audit/export.csv")
	var all []hub.AuditEntry
	for before := int64(0); ; {
		page, err := e.hub.AuditLog(ctx, hub.DistrictScope(), hub.AuditQuery{Before: before})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) < hub.MaxAuditPage {
			break
		}
		before = page[len(page)-1].ID
	}
	// The log as it was when the export read it: all but the export's
	// own entry, which is its newest.
	if len(all) < hub.MaxAuditPage+23 || all[0].Action != hub.AuditExport || all[0].Subject != "审计日志-2026-03-02" {
		t.Fatalf("the log: %d entries, the newest %+v", len(all), all[0])
	}
	all = all[1:]
	if len(rows) != len(all)+1 {
		t.Fatalf("%d rows, the log held %d", len(rows)-1, len(all))
	}
	// Newest first.
	wantRows(t, "the first rows", rows[:3],
		"时间|用户|操作|对象|详情|中心|地址",
		"2026-03-02 09:00:00|王芳|登录|王芳|||127.0.0.1",
		"2026-03-02 09:00:00|王芳|绑定卡片|p519|04A1B2C3|和平里党群服务中心|192.0.2.1")
	wantRows(t, "the last row", rows[len(rows)-1:], "2026-03-02 09:00:00|命令行|添加用户|王芳|区级||hubd:test")
	for i, r := range rows[1:] {
		if r[3] != all[i].Subject && r[3] != "'"+all[i].Subject {
			t.Fatalf("row %d: %q, the log's %q", i+1, r[3], all[i].Subject)
		}
	}
	if got := rows[len(rows)-10][3]; got != "'=cmd|' /C calc'!A0" {
		t.Errorf("the formula's row: %q", got)
	}
	xrows, f := d.exportXLSX("/audit/export.xlsx")
	if len(xrows) != len(rows)+1 {
		t.Errorf("%d rows as XLSX, %d as CSV before it", len(xrows), len(rows))
	}
	wantText(t, f, fmt.Sprintf("D%d", len(xrows)-9), "=cmd|' /C calc'!A0")
	// A center's user is refused it.
	a := e.browser()
	a.login("刘芳")
	for _, p := range []string{"/audit/export.csv", "/audit/export.xlsx"} {
		if res := a.get(p); res.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s as A: %d, want 403", p, res.StatusCode)
		}
	}
}

func TestExportsWithoutASessionGoToLogin(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for _, p := range []string{"/people/export.csv?q=1", "/people/walkins/export.xlsx", "/service/people/1/export.csv",
		"/service/certificates/export.xlsx", "/service/export", "/service/export/records.csv?year=2026&center=A", "/audit/export.csv"} {
		res := b.get(p)
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login?next=") {
			t.Errorf("GET %s without a session: %d to %q", p, res.StatusCode, res.Header.Get("Location"))
		}
	}
	if n := len(e.actions(hub.AuditExport)); n != 0 {
		t.Errorf("%d exports recorded without a session", n)
	}
}

// gatedStore holds a center's reads from a time on until open is closed:
// the export's later weeks wait while the test reads what was sent.
type gatedStore struct {
	hub.Store
	from time.Time
	open chan struct{}
	once sync.Once
	held chan struct{} // closed when a read waits
}

func (s *gatedStore) View(ctx context.Context, fn func(hub.Reader) error) error {
	return s.Store.View(ctx, func(r hub.Reader) error { return fn(gatedReader{r, s}) })
}

type gatedReader struct {
	hub.Reader
	s *gatedStore
}

func (r gatedReader) CenterEntries(q hub.CenterEntryQuery) ([]hub.StoredEntry, error) {
	if len(q.Persons) == 0 && !q.From.Before(r.s.from) {
		r.s.once.Do(func() { close(r.s.held) })
		<-r.s.open
	}
	return r.Reader.CenterEntries(q)
}

// TestACenterYearStreams: the download starts with the first weeks' rows
// while the later weeks are still to be read, and reads back whole.
func TestACenterYearStreams(t *testing.T) {
	for _, format := range []string{"xlsx", "csv"} {
		t.Run(format, func(t *testing.T) {
			e := newEnv(t)
			year := time.Date(2026, 1, 1, 0, 0, 0, 0, hubtest.Start.Location())
			// 300 shifts in each of the year's first two weeks at A.
			var people []hub.Person
			for i := range 50 {
				people = append(people, hub.Person{ID: record.PersonID(100 + i), MemberNo: fmt.Sprintf("S%04d", i), Name: fmt.Sprintf("志愿者%d", i),
					Kind: record.GreenVest})
			}
			const shifts = 600
			err := e.store.Update(ctx, func(tx hub.Tx) error {
				for _, p := range people {
					if err := tx.AddPerson(p); err != nil {
						return err
					}
				}
				var prev record.Hash
				for i := range shifts {
					at := year.Add(time.Duration(i) * 14 * 24 * time.Hour / shifts)
					id := record.NewEntryID()
					for j, en := range []record.Entry{
						{ID: id, Kind: record.KindCheckIn, Person: people[i%50].ID, Shift: id, At: at},
						{Kind: record.KindCheckOut, Person: people[i%50].ID, Shift: id, Minutes: 60, Points: 5, At: at.Add(time.Hour)},
					} {
						en.Terminal, en.Seq, en.Center, en.Trusted, en.Boot, en.Prev = "TS", uint64(2*i+j+1), "A", true, "b", prev
						if en.ID.IsZero() {
							en.ID = record.NewEntryID()
						}
						raw, err := en.Encode()
						if err != nil {
							return err
						}
						if en.Hash, err = en.ComputeHash(); err != nil {
							return err
						}
						prev = en.Hash
						if _, err := tx.AddEntry(hub.StoredEntry{Entry: en, Raw: raw, HubCenter: "A", Received: at}); err != nil {
							return err
						}
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			gate := &gatedStore{Store: e.store, from: year.AddDate(0, 0, 14), open: make(chan struct{}), held: make(chan struct{})}
			h, err := hub.Open(ctx, t.TempDir(), hub.Options{Store: gate, Clock: e.clk, PIN: cheap, Password: cheap})
			if err != nil {
				t.Fatal(err)
			}
			w := newWeb(t, h)
			srv := httptest.NewServer(w)
			defer srv.Close()
			b := e.browser()
			b.login("刘芳")
			u, _ := url.Parse(e.srv.URL)
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/service/export/records."+format+"?year=2026", nil)
			for _, c := range b.client.Jar.Cookies(u) {
				req.AddCookie(c)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("the export: %d", res.StatusCode)
			}
			// Bytes arrive while the third week waits to be read.
			first := make([]byte, 1024)
			read := make(chan error, 1)
			var n int
			go func() {
				var err error
				n, err = io.ReadAtLeast(res.Body, first, 1)
				read <- err
			}()
			select {
			case err := <-read:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(10 * time.Second):
				close(gate.open)
				t.Fatal("nothing sent before the third week was read")
			}
			select {
			case <-gate.held:
			case <-time.After(10 * time.Second):
				t.Fatal("the third week was never read")
			}
			close(gate.open)
			rest, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			body := append(first[:n], rest...)
			var lines int
			if format == "csv" {
				lines = strings.Count(string(body), "\r\n") - 1
				if !strings.Contains(string(body), "志愿者49,S0049") {
					t.Error("the last volunteer's row is missing")
				}
			} else {
				f, err := excelize.OpenReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				rows, err := f.GetRows(f.GetSheetName(0))
				if err != nil {
					t.Fatal(err)
				}
				lines = len(rows) - 1
				if rows[1][1] != "志愿者0" || rows[1][4] != "2026-01-01 00:00:00" || rows[shifts][2] != "S0049" {
					t.Errorf("rows read back: %q … %q", rows[1], rows[len(rows)-1])
				}
			}
			if lines != shifts {
				t.Errorf("%d rows, want %d", lines, shifts)
			}
		})
	}
}

// newWeb is the web of h, its log discarded.
func newWeb(t *testing.T, h *hub.Hub) http.Handler {
	t.Helper()
	w, err := web.New(h, web.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestDashboardExportsOfPeopleAreAudited: the honour roll and the flags
// name people: their downloads are in the audit log; the sums are not.
func TestDashboardExportsOfPeopleAreAudited(t *testing.T) {
	e := newEnv(t)
	e.seed()
	a := e.browser()
	a.login("刘芳")
	a.exportCSV("/dashboard/export/honour.csv" + march)
	e.wantExportAudited("刘芳", "A", "看板-光荣榜-和平里党群服务中心-2026-03", "csv")
	d := d2(e)
	d.exportCSV("/dashboard/export/flags.csv?center=B&month=2026-03")
	e.wantExportAudited("王芳", "B", "看板-待处理提醒-小黄庄党群服务中心-2026-03-06", "csv")
	n := len(e.actions(hub.AuditExport))
	d.exportCSV("/dashboard/export/centers.csv" + march)
	if len(e.actions(hub.AuditExport)) != n {
		t.Error("the centers' sums recorded as personal data")
	}
}
