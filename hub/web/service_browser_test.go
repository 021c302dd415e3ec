package web_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hongmajia/hongmajia/hub"
)

// The 志愿服务记录 section in a real headless Chromium: find a person, open
// their record, record their ID document, issue a certificate, print it
// to PDF (one A4 page, the longest certificate the hub issues too), and a
// center user kept from another center's certificate; screenshots at
// 1366×768 and 390×844.

// chromiumTabs starts one Chromium for a test and opens tabs in it, each
// with cookies of its own.
func chromiumTabs(t *testing.T) func(t *testing.T, e *env) *tab {
	t.Helper()
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.WindowSize(1366, 768),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("disable-gpu", true),
	)...)
	t.Cleanup(cancel)
	browser, stop := chromedp.NewContext(alloc)
	t.Cleanup(stop)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return func(t *testing.T, e *env) *tab {
		t.Helper()
		ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
		if err := chromedp.Do(ctx); err != nil {
			t.Fatalf("open a tab: %v", err)
		}
		ctx, cancelTime := context.WithTimeout(ctx, 120*time.Second)
		t.Cleanup(func() { cancelTime(); cancel() })
		return &tab{t: t, e: e, ctx: ctx}
	}
}

// pdfPage finds each page object of a PDF (not the /Pages tree);
// pdfMediaBox a page's size in points.
var (
	pdfPage     = regexp.MustCompile(`/Type\s*/Page[^s]`)
	pdfMediaBox = regexp.MustCompile(`/MediaBox\s*\[\s*0\s+0\s+([0-9.]+)\s+([0-9.]+)\s*\]`)
)

// printPDF prints the tab's page as the browser's print dialog would
// (the page's own @page size, backgrounds), writes it beside the
// screenshots, and returns its pages' sizes in points.
func (b *tab) printPDF(name string) [][2]float64 {
	b.t.Helper()
	pdf, err := chromedp.Run(b.ctx, chromedp.PrintToPDF(chromedp.PDFPreferCSSPageSize(), chromedp.PDFPrintBackground()))
	if err != nil {
		b.t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		b.t.Fatalf("the print is no PDF: %q", pdf[:min(len(pdf), 16)])
	}
	out := filepath.Join(screenshotDir(b.t), name+".pdf")
	if err := os.WriteFile(out, pdf, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("PDF %s", out)
	pages := pdfPage.FindAllIndex(pdf, -1)
	boxes := pdfMediaBox.FindAllSubmatch(pdf, -1)
	if len(boxes) != len(pages) {
		b.t.Fatalf("%d pages but %d media boxes in %s", len(pages), len(boxes), out)
	}
	var sizes [][2]float64
	for _, m := range boxes {
		w, _ := strconv.ParseFloat(string(m[1]), 64)
		h, _ := strconv.ParseFloat(string(m[2]), 64)
		sizes = append(sizes, [2]float64{w, h})
	}
	return sizes
}

// wantOneA4 fails unless sizes are one A4 page (595.3 × 841.9 points).
func wantOneA4(t *testing.T, what string, sizes [][2]float64) {
	t.Helper()
	if len(sizes) != 1 {
		t.Errorf("%s printed on %d pages, want 1", what, len(sizes))
		return
	}
	if w, h := sizes[0][0], sizes[0][1]; w < 593 || w > 598 || h < 840 || h > 844 {
		t.Errorf("%s printed on %.1f × %.1f points, want A4 (595.3 × 841.9)", what, w, h)
	}
}

func TestServiceInABrowser(t *testing.T) {
	open := chromiumTabs(t)

	t.Run("RecordIDCertificatePDF", func(t *testing.T) {
		e := newEnv(t)
		d := e.district()
		if err := e.hub.SetCertIssuer(ctx, hub.CommandLine("test"), hub.DistrictScope(),
			hub.CertIssuer{Center: "A", Name: "和平里党群服务中心", Head: "赵敏", Contact: "010-6421 0000"}); err != nil {
			t.Fatal(err)
		}
		b := open(t, e)
		b.open("/login")
		b.logIn("刘芳", password)
		// Find 王堃 from the section's page.
		b.follow(chromedp.Click(chromedp.CSS(`.tiles a[href="/service"]`)))
		b.do(chromedp.SetValue(chromedp.CSS("#q"), "王堃"))
		b.follow(chromedp.Click(chromedp.CSS(`form.search button[type="submit"]`)))
		if txt := b.text("table.people"); !strings.Contains(txt, "王堃") || !strings.Contains(txt, "HPL0001") {
			t.Fatalf("the search found:\n%s", txt)
		}
		b.shots("service-search")
		b.follow(chromedp.Click(chromedp.CSS(`table.people a`)))
		if p := b.path(); p != path(d.wang) {
			t.Fatalf("the result opened %s, want %s", p, path(d.wang))
		}
		shifts := b.text("table.shifts")
		for _, want := range []string{"环境整治", "2026-03-02", "09:00", "11:00", "2.0", "1.5", "已签退"} {
			if !strings.Contains(shifts, want) {
				t.Errorf("the shifts lack %q:\n%s", want, shifts)
			}
		}
		if strings.Contains(shifts, "助老探访") {
			t.Errorf("center A's user sees B's shift:\n%s", shifts)
		}
		if n := b.eval(`document.querySelectorAll("table.shifts tbody tr").length`); n != "2" {
			t.Errorf("%s rows, want A's 2", n)
		}
		// Record the ID document: shown masked after.
		b.do(chromedp.SetValue(chromedp.CSS("#id_type"), "resident"), chromedp.SetValue(chromedp.CSS("#id_number"), residentNo))
		if status := b.follow(chromedp.Click(chromedp.CSS(`form[action$="/id"] button.primary`))); status != http.StatusOK {
			t.Fatalf("record the ID: %d", status)
		}
		facts := b.text("dl.facts")
		if !strings.Contains(facts, residentMasked) || strings.Contains(b.text("body"), residentNo) {
			t.Errorf("after recording the ID the page shows:\n%s", facts)
		}
		b.open(path(d.wang))
		b.shots("service-record")
		// On a phone each fact's name stays on one line, and its value on
		// as few as it needs (they were squeezed side by side, 志愿 / 者编
		// / 号).
		b.do(chromedp.EmulateViewport(screenSizes[1][0], screenSizes[1][1]))
		if squeezed := b.eval(`[...document.querySelectorAll("dl.facts dt, dl.facts dd")].filter(e => {
			const r = document.createRange(); r.selectNodeContents(e);
			const lines = new Set([...r.getClientRects()].map(c => Math.round(c.top))).size;
			return lines > (e.tagName == "DT" ? 1 : 2);
		}).map(e => e.textContent).join("|")`); squeezed != "" {
			t.Errorf("on a phone the record's facts are squeezed: %s", squeezed)
		}
		b.do(chromedp.EmulateViewport(screenSizes[0][0], screenSizes[0][1]))
		b.eval(`document.getElementById("certificate").scrollIntoView() || true`)
		b.shotAt("service-record-forms", screenSizes[0])
		// Issue a certificate for the first day only.
		b.do(chromedp.SetValue(chromedp.CSS("#from"), "2026-03-02"), chromedp.SetValue(chromedp.CSS("#to"), "2026-03-02"),
			chromedp.SetValue(chromedp.CSS("#content"), "清扫楼道、清理小广告"))
		if status := b.follow(chromedp.Click(chromedp.CSS(`form[action$="/certificates"] button.primary`))); status != http.StatusOK {
			t.Fatalf("issue: %d\n%s", status, b.text("main"))
		}
		if p := b.path(); p != "/service/certificates/2026-000001" {
			t.Fatalf("the certificate is at %s", p)
		}
		cert := b.text("article.certificate")
		for _, want := range []string{"志愿服务记录证明", "2026-000001", "王堃", "居民身份证", residentNo, "HPL0001", "2026年3月2日",
			"和平里党群服务中心", "2.0", "清扫楼道、清理小广告", "赵敏", "刘芳", "010-6421 0000", "盖章处"} {
			if !strings.Contains(cert, want) {
				t.Errorf("the certificate lacks %q:\n%s", want, cert)
			}
		}
		if a := e.audit()[0]; a.Action != hub.AuditIDView || a.Detail != "2026-000001" || a.Actor != "刘芳" {
			t.Errorf("the certificate's view is not in the audit log: %+v", a)
		}
		b.shots("service-certificate")
		wantOneA4(t, "the certificate", b.printPDF("service-certificate"))
		// The register lists it.
		b.open("/service/certificates")
		if txt := b.text("main"); !strings.Contains(txt, "2026-000001") || !strings.Contains(txt, "王堃") || strings.Contains(txt, residentNo) {
			t.Errorf("the register:\n%s", txt)
		}
		b.shots("service-register")
		b.open("/service/issuers")
		b.shots("service-issuers")

		// Center B's user: A's certificate is not there for them.
		e.addUser("孙丽", hub.RoleCenter, "B")
		other := open(t, e)
		other.open("/login")
		other.logIn("孙丽", password)
		if status := other.open("/service/certificates/2026-000001"); status != http.StatusNotFound {
			t.Errorf("B's user opening A's certificate: %d, want 404", status)
		}
		if txt := other.text("main"); strings.Contains(txt, residentNo) || strings.Contains(txt, "王堃") {
			t.Errorf("B's user sees:\n%s", txt)
		}
	})

	t.Run("TheLongestCertificateIsOnePage", func(t *testing.T) {
		e := newEnv(t)
		// Everything as long as the hub takes it: a long name, twelve
		// activities with long names, the longest issuer and content.
		name := "阿卜杜热合曼·买买提明·艾则孜·阿卜杜拉"
		p := e.importPerson("HPL-2026-0000000001", name, "04A1B2CF")
		k := e.kiosk("TA", "A")
		for i := range 12 {
			act := e.activity("A", fmt.Sprintf("社区志愿服务项目第%02d项：楼道清扫与环境整治及助老探访", i+1))
			k.Earn(p.ID, "04A1B2CF", act, int64(60+i*7), 5)
			e.clk.Advance(25 * time.Hour)
		}
		e.push(k)
		// long is s repeated to n characters.
		long := func(s string, n int) string { return string([]rune(strings.Repeat(s, n))[:n]) }
		if err := e.hub.SetCertIssuer(ctx, hub.CommandLine("test"), hub.DistrictScope(), hub.CertIssuer{Center: "A",
			Name: long("和平里街道党群服务中心志愿服务站", hub.MaxIssuerName), Head: long("欧阳", hub.MaxIssuerField),
			Contact: long("010-6421 0000 转 ", hub.MaxIssuerField)}); err != nil {
			t.Fatal(err)
		}
		if err := e.hub.SetIDDocument(ctx, hub.CommandLine("test"), hub.DistrictScope(), p.ID, hub.IDDocument{Type: hub.IDHKMacao, Number: "H1234567890"}); err != nil {
			t.Fatal(err)
		}
		c, err := e.hub.IssueCertificate(ctx, hub.Actor{User: long("长", hub.MaxUserName)}, hub.DistrictScope(),
			hub.CertificateRequest{Person: p.ID, Issuer: "A", Content: long("清扫楼道、陪伴老人、", hub.MaxCertContent)})
		if err != nil {
			t.Fatal(err)
		}
		b := open(t, e)
		b.open("/login")
		b.logIn("王芳", password)
		if status := b.open("/service/certificates/" + c.Number); status != http.StatusOK {
			t.Fatalf("the certificate: %d", status)
		}
		if rows := b.eval(`document.querySelectorAll(".cert-table tbody tr").length`); rows != "6" {
			t.Errorf("the certificate lists %s activities, want 6 (5 and the rest)", rows)
		}
		b.shots("service-certificate-long")
		wantOneA4(t, "the longest certificate", b.printPDF("service-certificate-long"))
	})
}
