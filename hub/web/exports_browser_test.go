package web_test

import (
	"bytes"
	"encoding/csv"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/hongmajia/hongmajia/hub"
)

// exportsInABrowser is TestInABrowser's exports: a center's user
// downloads their center's year from 服务记录导出 as Excel and CSV, a
// volunteer's record and the search's results from their pages' links; the
// district's user chooses another center and downloads the audit log.
// Each file is read back as Excel would (its name, its rows); the pages
// are photographed at both sizes, nothing wider than a phone.
func exportsInABrowser(t *testing.T, open func(*testing.T, *env) *tab) {
	e := newEnv(t)
	d := e.district()
	desk := e.browser()
	desk.login("刘芳")
	desk.register(url.Values{"name": {"张伟"}, "member_no": {"HPA0001"}, "kind": {"red-vest"}, "phone": {"13812345678"}, "card": {"04A1B2D1"}})
	desk.register(url.Values{"name": {"陈静"}, "member_no": {"HPA0002"}, "kind": {"green-vest"}})
	a := open(t, e)
	a.open("/service/export")
	a.logIn("刘芳", password)
	if p, h := a.path(), a.text("h1"); p != "/service/export" || h != "服务记录导出" {
		t.Fatalf("after the login: %s, %q", p, h)
	}
	if n := a.eval(`document.querySelectorAll("select#center").length`); n != "0" || !strings.Contains(a.text("form.records-export"), "和平里党群服务中心") {
		t.Errorf("A's user's form offers a choice of center, or not A: %s", a.text("form.records-export"))
	}
	if y := a.value("#year"); y != "2026" {
		t.Errorf("the year chosen: %q", y)
	}
	a.shots("exports-records")
	a.wantFits("the export's form")

	name, body := a.download(`form.records-export button.primary`)
	if name != "志愿服务记录-和平里党群服务中心-2026.xlsx" {
		t.Errorf("the file's name %q", name)
	}
	rows := xlsxRows(t, body)
	wantRows(t, "A's year in Excel", rows,
		"日期|姓名|志愿者编号|服务项目|签到|签退|时长（小时）|积分|状态|备注|时间已由平台校正",
		"2026-03-02|王堃|HPL0001|环境整治|2026-03-02 09:00:00|2026-03-02 11:00:00|2|10|已签退",
		"2026-03-03|王堃|HPL0001|环境整治|2026-03-03 09:00:00|2026-03-03 10:30:00|1.5|8|已签退")
	name, body = a.download(`form.records-export button[formaction]`)
	if name != "志愿服务记录-和平里党群服务中心-2026.csv" || !bytes.HasPrefix(body, []byte("\xef\xbb\xbf")) {
		t.Errorf("the CSV %q starts % x", name, body[:min(len(body), 3)])
	}
	if rows := csvRows(t, body); len(rows) != 3 || rows[2][4] != "2026-03-03 09:00:00" {
		t.Errorf("A's year in CSV:\n%s", rowsText(rows))
	}

	// A volunteer's record of the year shown, from the link above it.
	a.open(path(d.wang) + "?year=2026")
	a.shots("exports-record")
	a.wantFits("the record")
	shown := a.eval(`document.querySelectorAll("table.shifts tbody tr").length`)
	name, body = a.download(`#shifts-h ~ .exports a[href$=".csv?year=2026"]`)
	if rows := csvRows(t, body); name != "志愿服务记录-王堃-HPL0001-2026.csv" || shown != "2" || len(rows) != 3 {
		t.Errorf("the record's CSV %q: %d rows, the page's %s", name, len(rows)-1, shown)
	}

	// The search's results, phones masked as on the page.
	a.open("/people?q=HPA")
	a.shots("exports-people")
	a.wantFits("the search")
	name, body = a.download(`.results .exports a[href$=".xlsx?q=HPA"]`)
	rows = xlsxRows(t, body)
	if name != "注册登记-查找结果-HPA.xlsx" || len(rows) != 3 || rows[1][0] != "张伟" || rows[1][3] != "138****5678" {
		t.Errorf("the search's file %q:\n%s", name, rowsText(rows))
	}

	// The district's user: another center, and the audit log with the
	// downloads in it.
	z := open(t, e)
	z.open("/service/export")
	z.logIn("王芳", password)
	z.do(chromedp.SetValue(chromedp.CSS("#center"), "B"))
	name, body = z.download(`form.records-export button.primary`)
	rows = xlsxRows(t, body)
	if name != "志愿服务记录-小黄庄党群服务中心-2026.xlsx" || len(rows) != 3 || rows[2][1] != "李喆" {
		t.Errorf("B's year %q:\n%s", name, rowsText(rows))
	}
	z.open("/audit")
	if txt := z.text("main"); !strings.Contains(txt, "导出数据") || !strings.Contains(txt, "志愿服务记录-小黄庄党群服务中心-2026") {
		t.Errorf("the audit page:\n%s", txt)
	}
	z.shots("exports-audit")
	z.wantFits("the audit log")
	name, body = z.download(`main .exports a[href$=".csv"]`)
	if rows := csvRows(t, body); !strings.HasPrefix(name, "审计日志-") || len(rows) < 6 || rows[1][2] != "导出数据" {
		t.Errorf("the audit log's file %q:\n%s", name, rowsText(rows))
	}
	if n := len(e.actions(hub.AuditExport)); n != 6 {
		t.Errorf("%d downloads recorded, want 6", n)
	}
}

// wantFits fails when the page is wider than the screen at either size.
func (b *tab) wantFits(what string) {
	b.t.Helper()
	for _, s := range screenSizes {
		b.do(chromedp.EmulateViewport(s[0], s[1]))
		if fits := b.eval(`document.documentElement.scrollWidth <= innerWidth`); fits != "true" {
			b.t.Errorf("%s at %dx%d is wider than the screen", what, s[0], s[1])
		}
	}
	b.do(chromedp.EmulateViewport(screenSizes[0][0], screenSizes[0][1]))
}

// download clicks what sel selects and waits for the file it downloads:
// its name as the browser saved it, and its bytes.
func (b *tab) download(sel string) (string, []byte) {
	b.t.Helper()
	dir := b.t.TempDir()
	yes := true
	if _, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, BrowserContextID: chromedp.FromContext(b.ctx).BrowserContextID,
		DownloadPath: dir, EventsEnabled: &yes}); err != nil {
		b.t.Fatal(err)
	}
	done := make(chan cdpbrowser.DownloadProgressState, 4)
	if err := chromedp.ListenBrowser(b.ctx, func(ev any) {
		if p, ok := ev.(*cdpbrowser.EventDownloadProgress); ok && p.State != cdpbrowser.DownloadProgressStateInProgress {
			select {
			case done <- p.State:
			default:
			}
		}
	}); err != nil {
		b.t.Fatal(err)
	}
	b.do(chromedp.Click(chromedp.CSS(sel)))
	select {
	case st := <-done:
		if st != cdpbrowser.DownloadProgressStateCompleted {
			b.t.Fatalf("the download of %s: %s", sel, st)
		}
	case <-time.After(30 * time.Second):
		b.t.Fatalf("no download from %s", sel)
	}
	files, err := os.ReadDir(dir)
	if err != nil || len(files) != 1 {
		b.t.Fatalf("downloaded %v (%v)", files, err)
	}
	body, err := os.ReadFile(filepath.Join(dir, files[0].Name()))
	if err != nil {
		b.t.Fatal(err)
	}
	return files[0].Name(), body
}

func xlsxRows(t *testing.T, b []byte) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func csvRows(t *testing.T, b []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
