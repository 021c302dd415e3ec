package web_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/hongmajia/hongmajia/hub"
)

// peopleFlows are the 注册登记 section's flows in the browser
// (TestInABrowser runs them): what the desk does with a mouse, a keyboard
// and a USB reader that types a card's number into the focused field and
// presses Enter.
func peopleFlows(t *testing.T, open func(*testing.T, *env) *tab) {
	t.Run("RegisterAndBindAtTheDesk", func(t *testing.T) {
		e := newEnv(t)
		b := open(t, e)
		b.open("/login")
		b.logIn("刘芳", password)
		b.follow(chromedp.Click(chromedp.CSS(`nav.sections a[href="/people"]`)))
		if id := b.focused(); id != "q" {
			t.Errorf("the section's page focuses %q, want the search (a tap finds the card's holder)", id)
		}
		b.shots("people")
		b.follow(chromedp.Click(chromedp.CSS(`a[href="/people/new"]`)))
		// A first try with a wrong phone: the problem by its field, the
		// values kept.
		b.do(chromedp.SendKeys(chromedp.CSS("#name"), "王堃"),
			chromedp.SendKeys(chromedp.CSS("#member_no"), "hpl0001"),
			chromedp.SetValue(chromedp.CSS("#kind"), "red-vest"),
			chromedp.SendKeys(chromedp.CSS("#phone"), "1381234567"),
			chromedp.SendKeys(chromedp.CSS("#community"), "和平里社区"))
		b.shots("people-new")
		if status := b.follow(chromedp.Click(chromedp.CSS(`form[action="/people/new"] button[type="submit"]`))); status != http.StatusUnprocessableEntity {
			t.Errorf("a wrong phone: %d, want 422", status)
		}
		if txt := b.text(".field.bad .field-error"); !strings.Contains(txt, "不是手机号") {
			t.Errorf("the phone's problem: %q", txt)
		}
		if v := b.value("#name"); v != "王堃" {
			t.Errorf("the name after a refusal: %q", v)
		}
		b.shots("people-new-problem")
		b.do(chromedp.SetValue(chromedp.CSS("#phone"), "13812345678"))
		b.follow(chromedp.Click(chromedp.CSS(`form[action="/people/new"] button[type="submit"]`)))
		if txt := b.text("main"); !strings.Contains(txt, "已登记") || !strings.Contains(txt, "HPL0001") || !strings.Contains(txt, "138****5678") {
			t.Fatalf("after the registration:\n%s", txt)
		}
		// The card field has the focus: the reader types and presses
		// Enter.
		if id := b.focused(); id != "card" {
			t.Fatalf("the person's page focuses %q, want the card field", id)
		}
		b.shots("people-person-new")
		if status := b.follow(chromedp.KeyEvent("0077705923" + kb.Enter)); status != http.StatusOK {
			t.Fatalf("the tap: %d", status)
		}
		if txt := b.text("main"); !strings.Contains(txt, "卡片已绑定") || !strings.Contains(txt, "04A1B2C3") || !strings.Contains(txt, "在用") {
			t.Errorf("after the tap:\n%s", txt)
		}
		b.shots("people-person")
		// A tap on the section's search finds the card's holder.
		b.follow(chromedp.Click(chromedp.CSS(`.crumbs a[href="/people"]`)))
		if id := b.focused(); id != "q" {
			t.Fatalf("the section's page focuses %q", id)
		}
		b.follow(chromedp.KeyEvent("04:a1:b2:c3" + kb.Enter))
		if txt := b.text(".results"); !strings.Contains(txt, "王堃") || !strings.Contains(txt, "138****5678") {
			t.Errorf("the search by a tap:\n%s", txt)
		}
		b.shots("people-search")
		if as := e.actions(hub.AuditCardBind); len(as) != 1 || as[0].Actor != "刘芳" || as[0].Detail != "04A1B2C3" {
			t.Errorf("audit %+v", as)
		}
	})

	t.Run("ReportACardLostAndReplaceIt", func(t *testing.T) {
		e := newEnv(t)
		b := open(t, e)
		b.open("/login")
		b.logIn("刘芳", password)
		b.open("/people/new")
		b.do(chromedp.SetValue(chromedp.CSS("#name"), "李四"), chromedp.SetValue(chromedp.CSS("#member_no"), "HPL0002"),
			chromedp.SetValue(chromedp.CSS("#kind"), "green-vest"), chromedp.SetValue(chromedp.CSS("#card"), "04A1B2C3"))
		b.follow(chromedp.Click(chromedp.CSS(`form[action="/people/new"] button[type="submit"]`)))
		b.follow(chromedp.Click(chromedp.CSS(`a.button[href*="/lost?card=04A1B2C3"]`)))
		if txt := b.text("main"); !strings.Contains(txt, "确认挂失卡 04A1B2C3") {
			t.Fatalf("the question:\n%s", txt)
		}
		b.shots("people-lost")
		b.follow(chromedp.Click(chromedp.CSS(`form button[type="submit"].primary`)))
		if txt := b.text("main"); !strings.Contains(txt, "卡片已挂失") || !strings.Contains(txt, "已挂失") || !strings.Contains(txt, "绑定卡片") {
			t.Errorf("after the loss:\n%s", txt)
		}
		// A new card by the reader: its decimal.
		if id := b.focused(); id != "card" {
			t.Fatalf("the page after the loss focuses %q", id)
		}
		b.follow(chromedp.KeyEvent("0168496141" + kb.Enter))
		if txt := b.text("main"); !strings.Contains(txt, "0A0B0C0D") {
			t.Errorf("the new card:\n%s", txt)
		}
		b.shots("people-person-lost")
		if len(e.actions(hub.AuditCardLost)) != 1 || len(e.actions(hub.AuditCardBind)) != 1 {
			t.Errorf("audit: %d lost, %d bound", len(e.actions(hub.AuditCardLost)), len(e.actions(hub.AuditCardBind)))
		}
	})

	t.Run("ImportAFileWithBadRows", func(t *testing.T) {
		e := newEnv(t)
		b := open(t, e)
		dir := t.TempDir()
		bad := filepath.Join(dir, "名单.csv")
		good := filepath.Join(dir, "名单-改.csv")
		if err := os.WriteFile(bad, []byte(rosterCSV+
			"李四,HPL0002,绿马甲,13800000001,和平里,04A1B2C3\n"+
			",HPL0003,绿马甲,,,\n"+
			"赵六,HPL0002,党员,123,,\n"+
			"周八,HPL0005,居民,,,04:A1:B2:C3\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(good, []byte(rosterCSV+
			"李四,HPL0002,绿马甲,13800000001,和平里,04A1B2C3\n"+
			"张三,HPL0003,绿马甲,,,\n"+
			"赵六,HPL0004,双报到,13900000002,,\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		b.open("/login")
		b.logIn("刘芳", password)
		b.open("/people/import")
		b.shots("people-import")
		b.do(chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{bad}))
		if status := b.follow(chromedp.Click(chromedp.CSS(`form[action="/people/import"] button[type="submit"]`))); status != http.StatusUnprocessableEntity {
			t.Errorf("bad rows: %d", status)
		}
		problems := b.text("table.problems")
		for _, want := range []string{"第 3 行", "不能为空", "第 4 行", "与第2行重复", "双报到 或 居民", "不是手机号", "第 5 行", "与第2行是同一张卡"} {
			if !strings.Contains(problems, want) {
				t.Errorf("the problems lack %q:\n%s", want, problems)
			}
		}
		if n := b.eval(`document.querySelectorAll('form[action="/people/import/commit"]').length`); n != "0" {
			t.Error("a file with problems can be imported")
		}
		b.shots("people-import-problems")
		b.do(chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{good}))
		b.follow(chromedp.Click(chromedp.CSS(`form[action="/people/import"] button[type="submit"]`)))
		if txt := b.text("main"); !strings.Contains(txt, "没有问题：可以导入 3 人") {
			t.Fatalf("the good file:\n%s", txt)
		}
		if _, ok := e.person("HPL0002"); ok {
			t.Fatal("the preview saved a row")
		}
		b.shots("people-import-preview")
		b.follow(chromedp.Click(chromedp.CSS(`form[action="/people/import/commit"] button`)))
		if txt := b.text("main"); !strings.Contains(txt, "已导入 3 人，绑定 1 张卡") {
			t.Errorf("after the import:\n%s", txt)
		}
		if v, ok := e.person("HPL0004"); !ok || v.Center != "A" {
			t.Errorf("imported %+v", v)
		}
	})

	t.Run("MergeAWalkIn", func(t *testing.T) {
		e := newEnv(t)
		e.walkIn("TA", "A", 777, "W-0777", "0A0B0C0D")
		b := open(t, e)
		b.open("/login")
		b.logIn("刘芳", password)
		b.open("/people/new")
		b.do(chromedp.SetValue(chromedp.CSS("#name"), "王堃"), chromedp.SetValue(chromedp.CSS("#member_no"), "HPL0001"),
			chromedp.SetValue(chromedp.CSS("#kind"), "resident"))
		b.follow(chromedp.Click(chromedp.CSS(`form[action="/people/new"] button[type="submit"]`)))
		b.open("/people")
		b.follow(chromedp.Click(chromedp.CSS(`a[href="/people/walkins"]`)))
		if txt := b.text("main"); !strings.Contains(txt, "W-0777") || !strings.Contains(txt, "0A0B0C0D") {
			t.Fatalf("the walk-ins:\n%s", txt)
		}
		b.shots("people-walkins")
		b.follow(chromedp.Click(chromedp.CSS(`a[href="/people/walkins/777"]`)))
		if id := b.focused(); id != "q" {
			t.Fatalf("the merge page focuses %q", id)
		}
		b.follow(chromedp.KeyEvent("HPL0001" + kb.Enter))
		if txt := b.text("main"); !strings.Contains(txt, "王堃") || !strings.Contains(txt, "合并到此人") {
			t.Fatalf("the registration to merge into:\n%s", txt)
		}
		b.shots("people-merge")
		b.follow(chromedp.Click(chromedp.CSS(`form.row-form button`)))
		txt := b.text("main")
		for _, want := range []string{"已合并临时登记", "王堃", "0A0B0C0D", "30", "3 小时 0 分钟"} {
			if !strings.Contains(txt, want) {
				t.Errorf("after the merge, no %q:\n%s", want, txt)
			}
		}
		b.shots("people-merged")
		if as := e.actions(hub.AuditPersonMerge); len(as) != 1 || as[0].Actor != "刘芳" {
			t.Errorf("audit %+v", as)
		}
	})

	t.Run("AnotherCentersPersonIsMasked", func(t *testing.T) {
		e := newEnv(t)
		d := e.browser()
		d.login("王芳")
		path := d.register(map[string][]string{"name": {"欧阳娜娜"}, "member_no": {"XHZ0001"}, "kind": {"green-vest"},
			"phone": {"13912345678"}, "card": {"04A1B2C3"}, "center": {"B"}})
		htmlName := d.register(map[string][]string{"name": {"<b>赵</b>"}, "member_no": {"XHZ0002"}, "kind": {"green-vest"}, "center": {"B"}})
		b := open(t, e)
		b.open("/login")
		b.logIn("刘芳", password)
		if status := b.open(path); status != http.StatusOK {
			t.Fatalf("%s: %d", path, status)
		}
		txt := b.text("main")
		if !strings.Contains(txt, "只能看到部分信息") || strings.Contains(txt, "欧阳") || strings.Contains(txt, "5678") || strings.Contains(txt, "04A1B2C3") {
			t.Errorf("another center's person:\n%s", txt)
		}
		if n := b.eval(`document.querySelectorAll("main form").length`); n != "0" {
			t.Errorf("%s forms on another center's person's page", n)
		}
		b.shots("people-elsewhere")
		// The district sees the name as typed, as text.
		b2 := open(t, e)
		b2.open("/login")
		b2.logIn("王芳", password)
		b2.open(htmlName)
		if h1 := b2.text("h1"); h1 != "<b>赵</b>" {
			t.Errorf("the name shows as %q", h1)
		}
		if n := b2.eval(`document.querySelectorAll("h1 b").length`); n != "0" {
			t.Error("the name is HTML")
		}
	})
}

// focused is the id of the element with the focus, once the page has
// given it (a field's autofocus is applied after the page loads; a
// reader's keys go wherever the focus is).
func (b *tab) focused() string {
	b.t.Helper()
	id, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`new Promise(done => {
		let tries = 0;
		const look = () => {
			const id = document.activeElement ? document.activeElement.id : "";
			if (id || tries++ > 40) { done(id); } else { setTimeout(look, 50); }
		};
		look();
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatal(err)
	}
	return id
}
