package web_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// redemptionsInABrowser is TestInABrowser's 兑换记录 and 本月发放: a district
// user sees March's redemptions of both centers, the rule that goods are
// handed out at the kiosk, filters them with the form (a state, a pickup
// code typed), and reads the month by center and item; a center's user
// sees their center's, the people of others masked. Nothing is wider
// than an old office screen or a phone. Screenshots of each page at both
// sizes.
func redemptionsInABrowser(t *testing.T, open func(*testing.T, *env) *tab) {
	e := newEnv(t)
	e.seedRedemptions()
	b := open(t, e)
	b.open("/login")
	b.logIn("王芳", password)
	b.open(redemptionsMarch)
	if h := b.text("h1"); h != "兑换记录 全部中心 · 2026年3月" {
		t.Errorf("the heading is %q", h)
	}
	rows := `document.querySelectorAll("table.redemptions tbody tr").length`
	if n := b.eval(rows); n != "6" {
		t.Errorf("%s rows, want 6", n)
	}
	if rule := b.text(".rule"); !strings.Contains(rule, "只在终端上完成") {
		t.Errorf("the rule says %q", rule)
	}
	// The HTML in a name is text: no element came of it.
	if n := b.eval(`document.querySelectorAll("table.redemptions b").length`); n != "0" {
		t.Errorf("%s elements made of a name", n)
	}
	fits := func(what string) {
		t.Helper()
		for _, size := range screenSizes {
			b.do(chromedp.EmulateViewport(size[0], size[1]))
			if got := b.eval(`document.documentElement.scrollWidth <= innerWidth`); got != "true" {
				t.Errorf("%s at %dx%d: the page is wider than the screen", what, size[0], size[1])
			}
		}
	}
	fits("the redemptions")
	b.shots("points-redemptions")
	b.fullShots("points-redemptions-full")
	if os.Getenv("HONGMAJIA_UPDATE_README") != "" {
		// The README's pictures: the top of the page on each screen.
		for _, s := range screenSizes {
			name := fmt.Sprintf("points-redemptions-%dx%d.png", s[0], s[1])
			png, err := os.ReadFile(filepath.Join(screenshotDir(t), name))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("..", "..", "assets", "screenshots", "hub-"+name), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	// The form: waiting ones, then a pickup code typed as the desk would.
	b.do(chromedp.EmulateViewport(1366, 768))
	b.do(chromedp.SetValue(chromedp.CSS("#state"), "waiting"))
	b.follow(chromedp.Click(chromedp.CSS(`form.filter button[type="submit"]`)))
	if n := b.eval(rows); n != "3" {
		t.Errorf("waiting: %s rows, want 3", n)
	}
	b.do(chromedp.SetValue(chromedp.CSS("#state"), ""), chromedp.SetValue(chromedp.CSS("#q"), "0427"))
	b.follow(chromedp.Click(chromedp.CSS(`form.filter button[type="submit"]`)))
	if n := b.eval(rows); n != "2" {
		t.Errorf("the code 0427: %s rows, want 2", n)
	}
	if got := b.eval(`[...document.querySelectorAll("table.redemptions td.state")].map(td => td.innerText).join(" ")`); got != "待领取 已领取" {
		t.Errorf("the code 0427's states: %q", got)
	}
	b.shots("points-redemptions-search")

	// 本月发放 through the section's own link.
	b.follow(chromedp.Click(chromedp.CSS(`.subnav a[href="/points/month"]`)))
	if p := b.path(); p != "/points/month" {
		t.Fatalf("the month's link went to %s", p)
	}
	b.open("/points/month?month=2026-03")
	if got := b.eval(`[...document.querySelectorAll(".stats li")].map(li => li.innerText.replace(/\s+/g, "")).join(" ")`); got != "兑换次数5次 兑出物品6件 已领取1件 待领取4件 未上报1件 消耗积分165分" {
		t.Errorf("the month's tiles say %q", got)
	}
	if n := b.eval(`document.querySelectorAll("table.month").length`); n != "3" {
		t.Errorf("%s tables, want A, B and every center by item", n)
	}
	fits("the month")
	b.shots("points-month")
	b.fullShots("points-month-full")

	// A center's user.
	c := open(t, e)
	c.open("/login")
	c.logIn("刘芳", password)
	c.open(redemptionsMarch)
	body := c.text("main")
	if strings.Contains(body, "小黄庄") || strings.Contains(body, "王堃") || !strings.Contains(body, "王*") {
		t.Errorf("A's user's redemptions:\n%s", body)
	}
	if n := c.eval(`document.querySelectorAll("#center").length`); n != "0" {
		t.Error("A's user may choose a center")
	}
	c.shots("points-redemptions-center")
}
