package web_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

// The 积分兑换 section's catalog and stock over HTTP: who may change what,
// each form's problems at their fields, pictures, restocks, scope, CSRF,
// exports.

// itemPhoto is a w×h PNG: red on the left, blue on the right.
func itemPhoto(t testing.TB, w, h int) []byte {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{R: 200, A: 255}
			if x >= w/2 {
				c = color.RGBA{B: 200, A: 255}
			}
			m.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// postItemForm posts an item's form (multipart, as the browser sends it, with
// the session's token unless csrf is false) and a picture when data is
// not nil.
func (b *browser) postItemForm(path string, fields url.Values, fileName string, data []byte, csrf bool) response {
	b.e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if csrf {
		mw.WriteField("csrf", b.csrfOf())
	}
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	if data != nil {
		fw, err := mw.CreateFormFile("picture", fileName)
		if err != nil {
			b.e.t.Fatal(err)
		}
		fw.Write(data)
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, b.e.srv.URL+path, &body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.do(req)
}

var itemLink = regexp.MustCompile(`^/points/catalog/(\d+)\?done=added$`)

// addCatalogItem adds an item through the form as the logged-in (district) user
// and returns its id.
func (b *browser) addCatalogItem(fields url.Values, data []byte) record.ItemID {
	b.e.t.Helper()
	res := b.postItemForm("/points/catalog/new", fields, "photo.png", data, true)
	m := itemLink.FindStringSubmatch(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || m == nil {
		b.e.t.Fatalf("add item %v: %d to %q\n%s", fields, res.StatusCode, res.Header.Get("Location"), res.body)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return record.ItemID(id)
}

func itemValues(name, price string) url.Values {
	return url.Values{"name": {name}, "price": {price}, "limit": {"0"}, "period": {""}, "active": {"1"}}
}

func (e *env) catalogOf(scope hub.Scope) hub.Catalog {
	e.t.Helper()
	c, err := e.hub.Catalog(ctx, scope, "", time.UTC)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func itemPagePath(id record.ItemID) string {
	return "/points/catalog/" + strconv.FormatInt(int64(id), 10)
}

func restockPagePath(center string, id record.ItemID) string {
	return "/points/stock/" + center + "/" + strconv.FormatInt(int64(id), 10)
}

var pictureSrc = regexp.MustCompile(`<img src="(/points/pictures/\d+/[0-9a-f]{16})(-s)?\.jpg"`)

func TestPointsSectionIsReady(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("刘芳")
	res := b.get("/points")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /points: %d", res.StatusCode)
	}
	wantIn(t, "/points", res.body, "积分兑换", "刘芳", "退出", `href="/points/catalog"`, `href="/points/stock"`, `href="/points/redemptions"`,
		`href="/points/month"`, "本中心的货物到了")
	if strings.Contains(res.body, "建设中") {
		t.Error("/points still says it is being built")
	}
}

// TestItemsAndPictures: a district user adds an item with a picture, sees
// it in the catalog and on its page, and changes it; the picture is served
// as the hub made it, to logged-in users, from its versioned address; a
// center's user sees it all and changes nothing.
func TestItemsAndPictures(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("王芳")
	form := b.get("/points/catalog/new")
	wantIn(t, "the new item's form", form.body, `enctype="multipart/form-data"`, `type="file"`, `accept="image/jpeg,image/png"`, "限兑周期", "每月")
	fields := url.Values{"name": {"毛巾"}, "price": {"30"}, "limit": {"2"}, "period": {hubsync.PeriodMonth}, "active": {"1"}}
	id := b.addCatalogItem(fields, itemPhoto(t, 1600, 1200))
	ci, ok := e.catalogOf(hub.DistrictScope()).Item(id)
	if !ok || ci.Price != 30 || ci.LimitCount != 2 || ci.LimitPeriod != hubsync.PeriodMonth || !ci.Active || ci.Picture == nil || ci.Picture.Width != 800 {
		t.Fatalf("the item added: %+v (picture %+v)", ci, ci.Picture)
	}
	if a := e.actions(hub.AuditItemAdd); len(a) != 1 || a[0].Actor != "王芳" || a[0].Subject != "毛巾" {
		t.Errorf("the audit of the item: %+v", a)
	}
	page := b.get(itemPagePath(id) + "?done=added")
	wantIn(t, "the item's page", page.body, "毛巾", "30 积分", "每月 2 件", "已添加", `alt="毛巾"`, `width="800" height="600"`, "和平里党群服务中心", "小黄庄党群服务中心")
	m := pictureSrc.FindStringSubmatch(page.body)
	if m == nil || !strings.Contains(m[1], ci.Picture.Tag()) {
		t.Fatalf("the item's page shows no picture of its version:\n%s", page.body)
	}
	list := b.get("/points/catalog")
	wantIn(t, "the catalog", list.body, "毛巾", `loading="lazy"`, `width="64" height="64"`, m[1]+"-s.jpg", "新增物品")

	// The picture and its thumbnail: JPEGs, cached by the browser alone.
	for _, c := range []struct {
		path string
		w, h int
	}{{m[1] + ".jpg", 800, 600}, {m[1] + "-s.jpg", 170, 128}} {
		res := b.get(c.path)
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/jpeg" ||
			res.Header.Get("Cache-Control") != "private, max-age=31536000, immutable" {
			t.Fatalf("GET %s: %d %q %q", c.path, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
		}
		img, err := jpeg.Decode(strings.NewReader(res.body))
		if err != nil || img.Bounds().Dx() != c.w || img.Bounds().Dy() != c.h {
			t.Errorf("GET %s: %v, %v; want %d×%d", c.path, img.Bounds(), err, c.w, c.h)
		}
	}
	for _, p := range []string{
		"/points/pictures/" + strconv.FormatInt(int64(id), 10) + "/0000000000000000.jpg", // an old version
		m[1] + ".png", "/points/pictures/999/" + ci.Picture.Tag() + ".jpg",
	} {
		if res := b.get(p); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, res.StatusCode)
		}
	}
	if res := e.browser().get(m[1] + ".jpg"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the picture without a session: %d", res.StatusCode)
	}

	// A change: the form as it is, a new price, withdrawn.
	edit := b.get(itemPagePath(id) + "/edit")
	wantIn(t, "the edit form", edit.body, `value="毛巾"`, `value="30"`, `value="2"`, `<option value="month" selected>`, "checked", m[1]+"-s.jpg")
	fields.Set("price", "35")
	fields.Del("active")
	res := b.postItemForm(itemPagePath(id)+"/edit", fields, "", nil, true)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != itemPagePath(id)+"?done=changed" {
		t.Fatalf("the change: %d to %q\n%s", res.StatusCode, res.Header.Get("Location"), res.body)
	}
	if ci, _ := e.catalogOf(hub.DistrictScope()).Item(id); ci.Price != 35 || ci.Active || ci.Picture == nil {
		t.Errorf("after the change: %+v", ci)
	}
	if a := e.actions(hub.AuditItemChange); len(a) != 1 || a[0].Detail != "price 30 → 35, active true → false" {
		t.Errorf("the audit of the change: %+v", a)
	}
	wantIn(t, "the withdrawn item", b.get(itemPagePath(id)).body, "已下架", "35 积分")

	// A center's user: the catalog, the item and its picture; no form.
	c := e.browser()
	c.login("刘芳")
	cat := c.get("/points/catalog")
	wantIn(t, "A's catalog", cat.body, "毛巾", "本中心库存", "不能修改")
	if strings.Contains(cat.body, "/points/catalog/new") {
		t.Error("A's catalog offers to add an item")
	}
	if page := c.get(itemPagePath(id)); page.StatusCode != http.StatusOK || strings.Contains(page.body, "/edit") || strings.Contains(page.body, "小黄庄") {
		t.Errorf("the item's page to A's user: %d\n%s", page.StatusCode, page.body)
	}
	if res := c.get(m[1] + ".jpg"); res.StatusCode != http.StatusOK {
		t.Errorf("the picture to A's user: %d", res.StatusCode)
	}
	for _, p := range []string{"/points/catalog/new", itemPagePath(id) + "/edit"} {
		if res := c.get(p); res.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s as A's user: %d, want 403", p, res.StatusCode)
		}
		if res := c.postItemForm(p, itemValues("肥皂", "5"), "", nil, true); res.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s as A's user: %d, want 403", p, res.StatusCode)
		}
	}
	if got := e.catalogOf(hub.DistrictScope()); len(got.Items) != 1 || got.Items[0].Price != 35 {
		t.Errorf("the catalog after A's user's tries: %+v", got.Items)
	}
}

// TestItemFormProblemsAtTheirFields: a price or a limit out of range, a
// name taken, and a file that is not a picture come back with the form,
// each problem at its field, and nothing added.
func TestItemFormProblemsAtTheirFields(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("王芳")
	b.addCatalogItem(itemValues("大米", "80"), nil)
	for _, c := range []struct {
		what    string
		fields  url.Values
		file    []byte
		field   string
		message string
	}{
		{"a price of 0", itemValues("毛巾", "0"), nil, "price", "所需积分要是 1 到 100000 之间的整数"},
		{"a price too high", itemValues("毛巾", "100001"), nil, "price", "所需积分要是 1 到 100000 之间的整数"},
		{"a price that is not a number", itemValues("毛巾", "三十"), nil, "price", "所需积分要是 1 到 100000 之间的整数"},
		{"a limit too high", url.Values{"name": {"毛巾"}, "price": {"30"}, "limit": {"1000"}, "period": {"week"}}, nil, "limit", "限兑数量要是 0 到 999 之间的整数"},
		{"a limit below 0", url.Values{"name": {"毛巾"}, "price": {"30"}, "limit": {"-1"}, "period": {"week"}}, nil, "limit", "限兑数量要是 0 到 999 之间的整数"},
		{"a limit without its period", url.Values{"name": {"毛巾"}, "price": {"30"}, "limit": {"2"}, "period": {""}}, nil, "period", "请选择限兑周期"},
		{"a name taken", itemValues(" 大米 ", "30"), nil, "name", "目录里已有同名物品"},
		{"no name", itemValues("", "30"), nil, "name", "请填写物品名称，不超过 32 个字"},
		{"a text file as the picture", itemValues("毛巾", "30"), []byte("物品名称,所需积分\n毛巾,30\n"), "picture", "这个文件不是 JPEG 或 PNG 图片"},
		{"an HTML file as the picture", itemValues("毛巾", "30"), []byte(`<html><script>alert(1)</script>`), "picture", "这个文件不是 JPEG 或 PNG 图片"},
		{"a picture over 2 MB", itemValues("毛巾", "30"), append(itemPhoto(t, 40, 30), make([]byte, 2<<20)...), "picture", "图片太大"},
	} {
		res := b.postItemForm("/points/catalog/new", c.fields, "x.png", c.file, true)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422", c.what, res.StatusCode)
			continue
		}
		errAt := regexp.MustCompile(`<p class="field-error" id="` + c.field + `-error">([^<]*)</p>`).FindStringSubmatch(res.body)
		if errAt == nil || !strings.Contains(errAt[1], c.message) {
			t.Errorf("%s: no %q at the field %s:\n%s", c.what, c.message, c.field, res.body)
		}
		if !strings.Contains(res.body, `id="`+c.field+`"`) || !regexp.MustCompile(`id="`+c.field+`"[^>]*aria-invalid="true"`).MatchString(res.body) {
			t.Errorf("%s: the field %s is not marked", c.what, c.field)
		}
	}
	if got := e.catalogOf(hub.DistrictScope()); len(got.Items) != 1 {
		t.Errorf("%d items after refused forms, want 1", len(got.Items))
	}
	// What was typed comes back.
	res := b.postItemForm("/points/catalog/new", url.Values{"name": {"洗衣液"}, "price": {"0"}, "limit": {"3"}, "period": {"year"}}, "", nil, true)
	wantIn(t, "the form sent back", res.body, `value="洗衣液"`, `value="3"`, `<option value="year" selected>`)
	if strings.Contains(res.body, `name="active" value="1" checked`) {
		t.Error("the form sent back ticks 在兑, which was not")
	}
}

// TestHTMLInAnItemsNameIsText: a name holding HTML is shown as text on
// every page and in the export it is in.
func TestHTMLInAnItemsNameIsText(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("王芳")
	const name = `<img src=x onerror=alert(1)>`
	id := b.addCatalogItem(itemValues(name, "10"), nil)
	for _, p := range []string{"/points/catalog", itemPagePath(id), "/points/stock", restockPagePath("A", id), itemPagePath(id) + "/edit"} {
		res := b.get(p)
		if res.StatusCode != http.StatusOK || strings.Contains(res.body, "<img src=x") || !strings.Contains(res.body, "&lt;img src=x onerror=alert(1)&gt;") {
			t.Errorf("GET %s: %d; the name is not shown as text", p, res.StatusCode)
		}
	}
}

// TestRestocksByScope: a center's user restocks their center, with a
// reason, and sees it; another center's stock, by an id edited into the
// address, is not found to read and to change; a quantity of 0, one that
// is not a number, a correction below zero and a missing reason are
// refused at their fields.
func TestRestocksByScope(t *testing.T) {
	e := newEnv(t)
	d := e.browser()
	d.login("王芳")
	id := d.addCatalogItem(itemValues("毛巾", "30"), nil)
	if res := d.form(restockPagePath("B", id), "qty", "12", "reason", "区里配送"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the district restocks B: %d\n%s", res.StatusCode, res.body)
	}

	a := e.browser()
	a.login("刘芳")
	page := a.get(restockPagePath("A", id))
	wantIn(t, "A's restock page", page.body, "补货：毛巾 · 和平里党群服务中心", "未入库", `name="qty"`, `name="reason"`, "盘点后更正可填负数")
	res := a.form(restockPagePath("A", id), "qty", "20", "reason", "  区里配送 第一批 ")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != restockPagePath("A", id)+"?done=restocked" {
		t.Fatalf("A restocks: %d to %q\n%s", res.StatusCode, res.Header.Get("Location"), res.body)
	}
	done := a.get(res.Header.Get("Location"))
	wantIn(t, "after the restock", done.body, "已记录，现有 20 件", "&#43;20", "区里配送 第一批", "刘芳")
	if au := e.actions(hub.AuditRestock); len(au) != 2 || au[0].Actor != "刘芳" || au[0].Center != "A" || au[0].Detail != "+20, 20 left: 区里配送 第一批" {
		t.Errorf("the restock's audit: %+v", au)
	}
	// A correction after a count.
	if res := a.form(restockPagePath("A", id), "qty", "-3", "reason", "盘点：破损"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("a correction: %d\n%s", res.StatusCode, res.body)
	}
	stock := func(center string) int64 {
		ci, _ := e.catalogOf(hub.DistrictScope()).Item(id)
		for _, s := range ci.Stock {
			if s.Center.ID == center {
				return s.Qty
			}
		}
		return -1
	}
	if got := stock("A"); got != 17 {
		t.Fatalf("A's towels: %d, want 17", got)
	}

	for _, c := range []struct {
		what, qty, reason, field, message string
	}{
		{"none", "0", "到货", "qty", "数量要是不为 0 的整数"},
		{"not a number", "二十", "到货", "qty", "数量要是不为 0 的整数"},
		{"too many", "100001", "到货", "qty", "数量要是不为 0 的整数"},
		{"below zero", "-18", "盘点", "qty", "更正后库存不能少于 0：现有 17 件"},
		{"no reason", "5", "  ", "reason", "请写明原因"},
	} {
		res := a.form(restockPagePath("A", id), "qty", c.qty, "reason", c.reason)
		errAt := regexp.MustCompile(`<p class="field-error" id="` + c.field + `-error">([^<]*)</p>`).FindStringSubmatch(res.body)
		if res.StatusCode != http.StatusUnprocessableEntity || errAt == nil || !strings.Contains(errAt[1], c.message) {
			t.Errorf("%s: %d, no %q at %s:\n%s", c.what, res.StatusCode, c.message, c.field, res.body)
		}
		if !strings.Contains(res.body, `value="`+c.qty+`"`) {
			t.Errorf("%s: the quantity typed is not sent back", c.what)
		}
	}
	if got := stock("A"); got != 17 {
		t.Errorf("A's towels after refused restocks: %d, want 17", got)
	}

	// B's stock, by its id edited into the address: not found.
	for _, p := range []string{restockPagePath("B", id), "/points/stock?center=B", "/points/stock/export.csv?center=B",
		"/points/stock/restocks.xlsx?center=B", restockPagePath("Z", id), restockPagePath("A", 12345)} {
		if res := a.get(p); res.StatusCode != http.StatusNotFound || strings.Contains(res.body, "小黄庄") {
			t.Errorf("GET %s as A's user: %d, want 404", p, res.StatusCode)
		}
	}
	if res := a.form(restockPagePath("B", id), "qty", "500", "reason", "到货"); res.StatusCode != http.StatusNotFound {
		t.Errorf("A's user restocking B: %d, want 404", res.StatusCode)
	}
	if got := stock("B"); got != 12 {
		t.Errorf("B's towels: %d, want 12", got)
	}
	// A's stock page: their center, its restocks alone.
	st := a.get("/points/stock")
	wantIn(t, "A's stock", st.body, "库存 · 和平里党群服务中心", "区里配送 第一批", "盘点：破损")
	if strings.Contains(st.body, "小黄庄") || strings.Contains(st.body, `<select id="center"`) {
		t.Errorf("A's stock page shows B or a choice of center:\n%s", st.body)
	}
}

// TestRestockFormsNeedTheirToken: a restock or an item's form without the
// session's CSRF token is refused and changes nothing.
func TestRestockFormsNeedTheirToken(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("王芳")
	id := b.addCatalogItem(itemValues("毛巾", "30"), nil)
	if res := b.post(restockPagePath("A", id), url.Values{"qty": {"5"}, "reason": {"到货"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("a restock without its token: %d, want 403", res.StatusCode)
	}
	if res := b.postItemForm("/points/catalog/new", itemValues("肥皂", "5"), "p.png", itemPhoto(t, 20, 20), false); res.StatusCode != http.StatusForbidden {
		t.Errorf("a new item without its token: %d, want 403", res.StatusCode)
	}
	if res := b.postItemForm(itemPagePath(id)+"/edit", itemValues("毛巾", "99"), "", nil, false); res.StatusCode != http.StatusForbidden {
		t.Errorf("a change without its token: %d, want 403", res.StatusCode)
	}
	cat := e.catalogOf(hub.DistrictScope())
	if len(cat.Items) != 1 || cat.Items[0].Price != 30 || cat.Items[0].Total() != 0 {
		t.Errorf("the catalog after forms without their token: %+v", cat.Items)
	}
}

// TestStockPageAndExports: the district's stock is items by centers, low
// stock marked by the dashboard's rule; one center when chosen; the
// catalog, the stock and the restocks download with Chinese headers, text
// that looks like a formula escaped, numbers as numbers.
func TestStockPageAndExports(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("王芳")
	towel := b.addCatalogItem(url.Values{"name": {"毛巾"}, "price": {"30"}, "limit": {"2"}, "period": {"week"}, "active": {"1"}}, nil)
	formula := b.addCatalogItem(itemValues("=HYPERLINK(\"http://x\")", "5"), nil)
	for _, r := range []struct {
		center string
		id     record.ItemID
		qty    string
	}{{"A", towel, "40"}, {"B", towel, "3"}, {"A", formula, "9"}} {
		if res := b.form(restockPagePath(r.center, r.id), "qty", r.qty, "reason", "到货"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("restock: %d", res.StatusCode)
		}
	}
	st := b.get("/points/stock")
	wantIn(t, "the district's stock", st.body, "库存 · 全部中心", `class="list matrix"`, "和平里党群服务中心", "小黄庄党群服务中心",
		`<td class="num low">`, "剩余不超过 5 件", restockPagePath("B", towel))
	if n := strings.Count(st.body, `<span class="tag low">`); n != 1 {
		t.Errorf("%d cells marked low, want 1 (B's 3 towels)", n)
	}
	one := b.get("/points/stock?center=B")
	wantIn(t, "B's stock", one.body, "库存 · 小黄庄党群服务中心", `class="list stock"`, "库存不足")
	if strings.Contains(one.body, "和平里党群服务中心</th>") {
		t.Error("B's stock shows A")
	}

	rows := b.exportCSV("/points/catalog/export.csv")
	want := [][]string{
		{"物品名称", "所需积分", "限兑数量", "限兑周期", "状态", "库存·和平里党群服务中心", "库存·小黄庄党群服务中心", "各中心合计"},
		{"'=HYPERLINK(\"http://x\")", "5", "0", "不限", "在兑", "9", "", "9"},
		{"毛巾", "30", "2", "每周", "在兑", "40", "3", "43"},
	}
	if got := strings.Join(joinRows(rows), "|"); got != strings.Join(joinRows(want), "|") {
		t.Errorf("the catalog's CSV:\n got %q\nwant %q", rows, want)
	}
	rows = b.exportCSV("/points/stock/export.csv?center=A")
	if len(rows) != 3 || strings.Join(rows[0], ",") != "中心,物品名称,库存,近30天兑出,库存不足,状态" || rows[2][1] != "毛巾" || rows[2][2] != "40" {
		t.Errorf("A's stock as CSV: %q", rows)
	}
	rows = b.exportCSV("/points/stock/restocks.csv")
	if len(rows) != 4 || strings.Join(rows[0], ",") != "时间,中心,物品名称,数量,结存,原因,经办人" || rows[1][1] != "和平里党群服务中心" || rows[1][3] != "9" || rows[1][6] != "王芳" {
		t.Errorf("the restocks as CSV: %q", rows)
	}
	res := b.get("/points/stock/export.xlsx")
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Disposition"), ".xlsx") {
		t.Fatalf("the stock as XLSX: %d %q", res.StatusCode, res.Header.Get("Content-Disposition"))
	}
	f, err := excelize.OpenReader(strings.NewReader(res.body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetName(0)
	if v, _ := f.GetCellValue(sheet, "A1"); v != "中心" {
		t.Errorf("the XLSX's first header: %q", v)
	}
	if typ, _ := f.GetCellType(sheet, "C2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("a quantity in the XLSX is a cell of type %v, want a number", typ)
	}
	if res := b.get("/points/stock/export.pdf"); res.StatusCode != http.StatusNotFound {
		t.Errorf("an export as PDF: %d", res.StatusCode)
	}
}

func joinRows(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, strings.Join(r, ","))
	}
	return out
}

// TestAKiosksItemIsTheDistricts: an item a kiosk made (a center that
// started alone) is in the catalog, saying which kiosk it stands as; a
// district user's change makes it the hub's, which the kiosks pull.
func TestAKiosksItemIsTheDistricts(t *testing.T) {
	e := newEnv(t)
	k := e.kiosk("TA", "A")
	k.Queue(hubsync.Change{Item: &hubsync.Item{ID: 8001, Name: "大米", Price: 80, Active: true}})
	k.Restock(8001, 4)
	e.push(k)
	b := e.browser()
	b.login("王芳")
	page := b.get(itemPagePath(8001))
	wantIn(t, "the kiosk's item", page.body, "大米", "80 积分", "终端 TA", "和平里党群服务中心")
	if !strings.Contains(page.body, `<td class="num" data-label="库存"><span>4 <span class="tag low">库存不足</span></span></td>`) {
		t.Errorf("the kiosk's restock is not A's stock (4, low):\n%s", page.body)
	}
	res := b.postItemForm(itemPagePath(8001)+"/edit", itemValues("大米", "90"), "", nil, true)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the change: %d\n%s", res.StatusCode, res.body)
	}
	if page := b.get(itemPagePath(8001)); strings.Contains(page.body, "终端 TA") || !strings.Contains(page.body, "90 积分") {
		t.Errorf("after the district's change the page still says the kiosk's:\n%s", page.body)
	}
	pulled, err := e.hub.Pull(ctx, k.Meta(), hubsync.Pull{Terminal: k.Terminal})
	if err != nil {
		t.Fatal(err)
	}
	if len(pulled.Items) != 1 || pulled.Items[0].Price != 90 {
		t.Errorf("the kiosk pulls %+v", pulled.Items)
	}
}
