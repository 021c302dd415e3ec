package web_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hongmajia/hongmajia/hub"
)

// pointsInABrowser is TestInABrowser's 积分兑换 catalog and stock: a
// district user adds an item with a photo (after a file that is not one
// was refused at its field), sees its picture on its page and its
// thumbnail in the catalog (a fixed square, never squashed), restocks it
// at a center and sees the stock; a center's user sees their center's
// stock and not another's. Screenshots of each page at 1366×768 and
// 390×844.
func pointsInABrowser(t *testing.T, open func(*testing.T, *env) *tab) {
	e := newEnv(t)
	admin := hub.Actor{User: "王芳"}
	for _, it := range []struct {
		name   string
		price  int64
		active bool
		a, b   int64
	}{{"食用油 5L", 120, true, 3, 12}, {"洗衣液", 45, true, 25, 0}, {"旧款水杯", 20, false, 2, 0}} {
		added, err := e.hub.AddItem(ctx, hub.DistrictScope(), admin, hub.ItemFields{Name: it.name, Price: it.price, Active: it.active}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for center, n := range map[string]int64{"A": it.a, "B": it.b} {
			if n > 0 {
				if _, err := e.hub.Restock(ctx, hub.DistrictScope(), admin, hub.RestockRequest{Center: center, Item: added.ID, Qty: n, Reason: "首批"}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	dir := t.TempDir()
	// A phone's photo: portrait, larger than the hub keeps.
	photoPath, notPhoto := filepath.Join(dir, "毛巾.png"), filepath.Join(dir, "清单.png")
	if err := os.WriteFile(photoPath, itemPhoto(t, 900, 1200), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notPhoto, []byte("物品名称,所需积分\n毛巾,30\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	b := open(t, e)
	b.open("/points")
	b.logIn("王芳", password)
	if h := b.text("h1"); h != "积分兑换" || b.path() != "/points" {
		t.Fatalf("after the login: %q at %s", h, b.path())
	}
	b.shots("points")

	// The form: a file that is not a photo is refused at its field, what
	// was typed kept.
	b.follow(chromedp.Navigate(e.srv.URL + "/points/catalog/new"))
	b.do(chromedp.SetValue(chromedp.CSS("#name"), "毛巾"), chromedp.SetValue(chromedp.CSS("#price"), "30"),
		chromedp.SetValue(chromedp.CSS("#period"), "week"), chromedp.SetValue(chromedp.CSS("#limit"), "2"),
		chromedp.SetUploadFiles(chromedp.CSS("#picture"), []string{notPhoto}))
	if status := b.follow(chromedp.Click(chromedp.CSS(`form.form button[type="submit"]`))); status != http.StatusUnprocessableEntity {
		t.Fatalf("a file that is not a photo: %d", status)
	}
	if msg := b.text("#picture-error"); !strings.Contains(msg, "不是 JPEG 或 PNG 图片") {
		t.Errorf("the picture's field says %q", msg)
	}
	if v := b.value("#name"); v != "毛巾" {
		t.Errorf("the name field holds %q after the refusal", v)
	}
	b.shots("points-form-refused")
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#picture"), []string{photoPath}))
	b.follow(chromedp.Click(chromedp.CSS(`form.form button[type="submit"]`)))
	if h, n := b.text("h1"), b.text("p.notice"); h != "毛巾" || !strings.Contains(n, "已添加") {
		t.Fatalf("after adding: %q, %q", h, n)
	}
	// The picture, drawn at its own proportions (3:4), within the screen.
	for _, size := range screenSizes {
		b.do(chromedp.EmulateViewport(size[0], size[1]))
		got := b.evalUntil(`(() => { const i = document.querySelector(".item-pic img"); const r = i.getBoundingClientRect();
			return i.complete && i.naturalWidth === 600 && i.naturalHeight === 800 && Math.abs(r.width / r.height - 0.75) < 0.02 && r.right <= innerWidth
				&& document.documentElement.scrollWidth <= innerWidth; })()`, "true")
		if got != "true" {
			t.Errorf("at %dx%d: the item's picture is not drawn whole at 3:4 within the screen", size[0], size[1])
		}
	}
	b.shots("points-item")

	// The catalog: each thumbnail a 64 px square covered by its picture.
	b.open("/points/catalog")
	for _, size := range screenSizes {
		b.do(chromedp.EmulateViewport(size[0], size[1]))
		got := b.evalUntil(`(() => { const i = document.querySelector("td.thumb img"); const r = i.getBoundingClientRect();
			return [i.complete && i.naturalWidth > 0, r.width, r.height, getComputedStyle(i).objectFit, i.loading,
				document.documentElement.scrollWidth <= innerWidth].join(" "); })()`, "true 64 64 cover lazy true")
		if got != "true 64 64 cover lazy true" {
			t.Errorf("at %dx%d: the thumbnail: %s", size[0], size[1], got)
		}
	}
	if txt := b.text("table.catalog"); !strings.Contains(txt, "每周 2 件") || !strings.Contains(txt, "1 个中心不足") || !strings.Contains(txt, "已下架") {
		t.Errorf("the catalog:\n%s", txt)
	}
	b.shots("points-catalog")

	// Restock 毛巾 at A from its page.
	b.open("/points/catalog")
	b.follow(chromedp.Click(chromedp.CSS(`table.catalog a[href^="/points/catalog/"]`)))
	b.follow(chromedp.Click(chromedp.CSS(`table.stock a[href^="/points/stock/A/"]`)))
	if h := b.text("h1"); h != "补货：毛巾 · 和平里党群服务中心" {
		t.Fatalf("the restock page: %q", h)
	}
	if focused := b.focused(); focused != "qty" {
		t.Errorf("the focus is on %q, want the quantity", focused)
	}
	b.do(chromedp.SetValue(chromedp.CSS("#qty"), "20"), chromedp.SetValue(chromedp.CSS("#reason"), "区里配送"))
	b.follow(chromedp.Click(chromedp.CSS(`form.form button[type="submit"]`)))
	if n := b.text("p.notice"); !strings.Contains(n, "现有 20 件") {
		t.Errorf("after the restock: %q", n)
	}
	if row := b.text("table.restocks tbody tr"); !strings.Contains(row, "+20") || !strings.Contains(row, "区里配送") || !strings.Contains(row, "王芳") {
		t.Errorf("the restock's row: %q", row)
	}
	b.shots("points-restock")

	// The district's stock: items by centers, the item's column in view
	// while the centers scroll on a phone.
	b.open("/points/stock")
	cell := b.eval(`[...document.querySelectorAll("table.matrix tbody tr")].find(r => r.textContent.includes("毛巾")).querySelectorAll("td")[0].textContent.trim()`)
	if cell != "20" {
		t.Errorf("毛巾 at A in the matrix: %q", cell)
	}
	for _, size := range screenSizes {
		b.do(chromedp.EmulateViewport(size[0], size[1]))
		if wide := b.eval(`document.documentElement.scrollWidth <= innerWidth`); wide != "true" {
			t.Errorf("at %dx%d: the stock page is wider than the screen", size[0], size[1])
		}
	}
	b.shots("points-stock")

	// A center's user: their center's stock, not another's.
	c := open(t, e)
	c.open("/points/stock")
	c.logIn("刘芳", password)
	if h := c.text("h1"); h != "库存 · 和平里党群服务中心" {
		t.Errorf("A's stock page: %q", h)
	}
	if txt := c.text("main"); strings.Contains(txt, "小黄庄") || !strings.Contains(txt, "毛巾") {
		t.Errorf("A's stock page:\n%s", txt)
	}
	c.shots("points-stock-center")
	if status := c.open("/points/stock?center=B"); status != http.StatusNotFound {
		t.Errorf("B's stock to A's user: %d, want 404", status)
	}
}
