package web_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// dashboardInABrowser is TestInABrowser's dashboard: a district user sees
// the seeded month's tiles and charts (drawn, visible, no wider than an
// old office screen or a phone), resolves a flag with a note; a center's
// user sees their center alone. Screenshots of the top of the page, the
// whole page and its flags at both sizes.
func dashboardInABrowser(t *testing.T, open func(*testing.T, *env) *tab) {
	e := newEnv(t)
	e.seed()
	b := open(t, e)
	b.open("/dashboard")
	b.logIn("王芳", password)
	if p := b.path(); p != "/dashboard" {
		t.Fatalf("after the login: at %s, want /dashboard", p)
	}
	if h := b.text("h1"); h != "看板 全部中心 · 2026年3月" {
		t.Errorf("the heading is %q", h)
	}
	if got := b.eval(`[...document.querySelectorAll(".stats li")].map(li => li.innerText.replace(/\s+/g, "")).join(" ")`); got != "活跃志愿者4人 服务人次6人次 服务时长6.25小时 获得积分177分 兑换积分90分 兑出物品3件" {
		t.Errorf("the tiles say %q", got)
	}
	for _, size := range screenSizes {
		b.do(chromedp.EmulateViewport(size[0], size[1]))
		// Four charts, each drawn at a readable size within the screen,
		// and nothing wider than the screen.
		got := b.eval(`(() => {
			const cs = [...document.querySelectorAll("svg.chart")];
			const ok = cs.every(s => { const r = s.getBoundingClientRect(); return r.width >= 300 && r.height >= 50 && r.right <= innerWidth; });
			return cs.length + " " + ok + " " + (document.documentElement.scrollWidth <= innerWidth);
		})()`)
		if got != "4 true true" {
			t.Errorf("at %dx%d: charts, drawn within the screen, nothing wider: %s", size[0], size[1], got)
		}
		// Every list shows all its columns on the office screen, without
		// scrolling sideways (the honour roll beside the items, the
		// centers beside their chart).
		if size[0] == 1366 {
			if wide := b.eval(`[...document.querySelectorAll(".panel .scroll")].filter(s => s.scrollWidth > s.clientWidth + 1).map(s => s.querySelector("table").className + " " + s.scrollWidth + ">" + s.clientWidth).join("; ")`); wide != "" {
				t.Errorf("at %dx%d: lists wider than their place: %s", size[0], size[1], wide)
			}
		}
		// A chart's words are at least 11 CSS pixels high on a phone.
		px, _ := strconv.ParseFloat(b.eval(`(() => { const t = document.querySelector("svg.chart text.label"); return t.getBoundingClientRect().height; })()`), 64)
		if px < 11 {
			t.Errorf("at %dx%d: a chart's label is %.1f px high", size[0], size[1], px)
		}
	}
	if bars := b.eval(`document.querySelectorAll("svg.chart.bars .bar rect").length`); bars != "5" {
		t.Errorf("%s bars, want 2 centers and 3 activities", bars)
	}
	b.shots("dashboard")
	b.fullShots("dashboard-full")
	if os.Getenv("HONGMAJIA_UPDATE_README") != "" {
		// The README's pictures: the top of the page on each screen.
		for _, s := range screenSizes {
			name := fmt.Sprintf("dashboard-%dx%d.png", s[0], s[1])
			png, err := os.ReadFile(filepath.Join(screenshotDir(t), name))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("..", "..", "assets", "screenshots", "hub-"+name), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	// Resolve the long shift's flag: a note, the button, the notice; the
	// flag gone and recorded.
	rows := b.eval(`document.querySelectorAll("table.flags tbody tr").length`)
	if rows != "3" {
		t.Fatalf("%s flags on the page, want 3", rows)
	}
	for _, size := range screenSizes {
		b.do(chromedp.EmulateViewport(size[0], size[1]), chromedp.ScrollIntoView(chromedp.CSS("#flags")))
		b.shotAt("dashboard-flags", size)
	}
	first := `table.flags tbody tr:first-child`
	if kind := b.text(first + ` td:nth-child(2)`); kind != "服务时长超限" {
		t.Fatalf("the first flag is %q", kind)
	}
	b.do(chromedp.SetValue(chromedp.CSS(first+` input[name="note"]`), "已核实：志愿者忘记签退，按 100 分钟计。"))
	b.follow(chromedp.Click(chromedp.CSS(first + ` form.resolve button`)))
	if n := b.text("p.notice"); !strings.Contains(n, "已处理") {
		t.Errorf("after resolving: %q", n)
	}
	if rows := b.eval(`document.querySelectorAll("table.flags tbody tr").length`); rows != "2" {
		t.Errorf("%s flags after one was resolved, want 2", rows)
	}
	// Back at the flags, the notice on the screen.
	if loc := b.eval(`location.hash`); loc != "#flags" {
		t.Errorf("back at %q, want the flags", loc)
	}
	b.do(chromedp.EmulateViewport(screenSizes[1][0], screenSizes[1][1]), chromedp.ScrollIntoView(chromedp.CSS("#flags")))
	if seen := b.eval(`(() => { const r = document.querySelector("p.notice").getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; })()`); seen != "true" {
		t.Error("the notice is not on the screen at the flags")
	}
	b.shotAt("dashboard-resolved", screenSizes[1])
	if a := e.audit()[0]; a.Actor != "王芳" || a.Detail != "已核实：志愿者忘记签退，按 100 分钟计。" {
		t.Errorf("the audit's newest entry: %+v", a)
	}

	// Another month, chosen with the form.
	b.do(chromedp.EmulateViewport(1366, 768))
	b.do(chromedp.SetValue(chromedp.CSS("#center"), "B"))
	b.follow(chromedp.Click(chromedp.CSS(`form.filter button[type="submit"]`)))
	if h := b.text("h1"); h != "看板 小黄庄党群服务中心 · 2026年3月" {
		t.Errorf("B chosen: the heading is %q", h)
	}

	// A center's user: their center alone, no choice of center.
	c := open(t, e)
	c.open("/login")
	c.logIn("刘芳", password)
	c.open("/dashboard")
	body := c.text("main")
	if strings.Contains(body, "小黄庄") || !strings.Contains(body, "和平里党群服务中心 · 2026年3月") {
		t.Errorf("A's user's dashboard:\n%s", body)
	}
	if n := c.eval(`document.querySelectorAll("#center").length`); n != "0" {
		t.Error("A's user may choose a center")
	}
	c.shots("dashboard-center")
}

// fullShots writes the whole page (not only what the screen shows) at each
// screen's width.
func (b *tab) fullShots(name string) {
	b.t.Helper()
	for _, s := range screenSizes {
		b.do(chromedp.EmulateViewport(s[0], s[1]))
		png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			b.t.Fatal(err)
		}
		path := filepath.Join(screenshotDir(b.t), fmt.Sprintf("%s-%dx%d.png", name, s[0], s[1]))
		if err := os.WriteFile(path, png, 0o644); err != nil {
			b.t.Fatal(err)
		}
		b.t.Logf("screenshot %s", path)
	}
}
