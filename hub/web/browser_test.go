package web_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/web"
)

// The web in a real headless Chromium, driven from Go (chromedp): what a
// person at the district office's PC or on a phone sees and does. `make
// test` installs Chromium from Debian when it is missing.

// screenSizes are an old office screen and a phone.
var screenSizes = [][2]int64{{1366, 768}, {390, 844}}

// chromium is the browser's path: HONGMAJIA_CHROMIUM, or Debian's.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("HONGMAJIA_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium to run the browser tests with: `make test` installs Debian's (deploy/dev/ensure-deps.sh test), " +
		"or apt-get install chromium, or set HONGMAJIA_CHROMIUM to a Chrome or Chromium binary")
	return ""
}

// screenshotDir is where the tests leave their screenshots.
func screenshotDir(t *testing.T) string {
	t.Helper()
	d := os.Getenv("HONGMAJIA_SCREENSHOTS")
	if d == "" {
		d = filepath.Join("testdata", "screenshots")
	}
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// tab is a page of its own browser context (its own cookies) in one
// Chromium for the whole test.
type tab struct {
	t   *testing.T
	e   *env
	ctx context.Context
}

func TestInABrowser(t *testing.T) {
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.WindowSize(1366, 768),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("disable-gpu", true),
	)...)
	defer cancel()
	browser, stop := chromedp.NewContext(alloc)
	defer stop()
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	open := func(t *testing.T, e *env) *tab {
		t.Helper()
		ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
		if err := chromedp.Do(ctx); err != nil {
			t.Fatalf("open a tab: %v", err)
		}
		ctx, cancelTime := context.WithTimeout(ctx, 90*time.Second)
		t.Cleanup(func() { cancelTime(); cancel() })
		return &tab{t: t, e: e, ctx: ctx}
	}

	t.Run("LogInSeeHomeLogOut", func(t *testing.T) {
		e := newEnv(t)
		b := open(t, e)
		b.open("/")
		if p := b.path(); p != "/login" {
			t.Fatalf("without a session / went to %s, want /login", p)
		}
		b.shots("login")
		if status := b.logIn("王芳", password); status != http.StatusOK || b.path() != "/" {
			t.Fatalf("the login: %d at %s", status, b.path())
		}
		who := b.text("header .who")
		for _, want := range []string{"王芳", "区级", "退出"} {
			if !strings.Contains(who, want) {
				t.Errorf("the header says %q: no %q", who, want)
			}
		}
		main := b.text("main")
		for _, want := range []string{"王芳，您好", "注册登记", "志愿服务记录", "积分兑换", "看板", "审计日志"} {
			if !strings.Contains(main, want) {
				t.Errorf("the home page lacks %q:\n%s", want, main)
			}
		}
		b.shots("home")
		// A section's tile opens it, with who is logged in and 退出.
		b.follow(chromedp.Click(chromedp.CSS(`.tiles a[href="/points"]`)))
		if h, txt := b.text("h1"), b.text("header"); h != "积分兑换" || !strings.Contains(txt, "王芳") || !strings.Contains(txt, "退出") {
			t.Errorf("the section opened from its tile: %q under %q", h, txt)
		}
		b.follow(chromedp.Click(chromedp.CSS(".logout button")))
		if p, txt := b.path(), b.text("main"); p != "/login" || !strings.Contains(txt, "您已退出登录") {
			t.Errorf("after 退出: at %s, %q", p, txt)
		}
		b.open("/")
		if p := b.path(); p != "/login" {
			t.Errorf("after 退出 / went to %s, want /login", p)
		}
	})

	t.Run("WrongPasswordAndTheLock", func(t *testing.T) {
		e := newEnv(t)
		b := open(t, e)
		b.open("/login")
		if status := b.logIn("王芳", "not the password"); status != http.StatusUnauthorized {
			t.Errorf("a wrong password: %d, want 401", status)
		}
		if msg := b.text("p.error"); msg != "用户名或密码错误。" {
			t.Errorf("a wrong password says %q", msg)
		}
		if v := b.value("#name"); v != "王芳" {
			t.Errorf("the name field holds %q after a wrong password, want it kept", v)
		}
		b.shotAt("login-wrong", screenSizes[0])
		for range web.DefaultMaxFailures - 2 {
			b.logIn("王芳", "not the password")
		}
		if msg := b.text("p.error"); msg != "用户名或密码错误。" {
			t.Fatalf("the 19th wrong password says %q", msg)
		}
		if status := b.logIn("王芳", "not the password"); status != http.StatusTooManyRequests {
			t.Errorf("the 20th wrong password: %d, want 429", status)
		}
		if msg := b.text("p.error"); !strings.Contains(msg, "登录失败次数过多") || !strings.Contains(msg, "15 分钟") {
			t.Errorf("the 20th wrong password says %q", msg)
		}
		if status := b.logIn("王芳", password); status != http.StatusTooManyRequests {
			t.Errorf("the right password while locked: %d, want 429", status)
		}
		if msg := b.text("p.error"); !strings.Contains(msg, "登录失败次数过多") {
			t.Errorf("the right password while locked says %q", msg)
		}
		b.shotAt("login-locked", screenSizes[1])
		e.clk.Advance(web.DefaultLockFor)
		if status := b.logIn("王芳", password); status != http.StatusOK || b.path() != "/" {
			t.Errorf("15 minutes later: %d at %s", status, b.path())
		}
	})

	t.Run("EveryPageWithoutASessionGoesToLogin", func(t *testing.T) {
		e := newEnv(t)
		b := open(t, e)
		for _, p := range pages {
			b.open(p)
			if got := b.path(); got != "/login" {
				t.Errorf("%s without a session: at %s, want /login", p, got)
			}
			if txt := b.text("body"); strings.Contains(txt, "退出") {
				t.Errorf("%s without a session shows a logged-in page:\n%s", p, txt)
			}
		}
		// After the login, the page asked for.
		b.open("/audit")
		b.logIn("王芳", password)
		if p := b.path(); p != "/audit" {
			t.Errorf("after the login: at %s, want /audit", p)
		}
		if txt := b.text("main"); !strings.Contains(txt, "登录") || !strings.Contains(txt, "王芳") {
			t.Errorf("the audit page:\n%s", txt)
		}
		b.shots("audit")
	})

	t.Run("AFormWithoutTheCSRFTokenIsRefused", func(t *testing.T) {
		e := newEnv(t)
		b := open(t, e)
		b.open("/login")
		b.logIn("王芳", password)
		// The 退出 form without its token field: refused, and still
		// logged in.
		b.do(chromedp.RemoveAttribute(chromedp.CSS(`.logout input[name="csrf"]`), "name"))
		if status := b.follow(chromedp.Click(chromedp.CSS(".logout button"))); status != http.StatusForbidden {
			t.Errorf("a form without its token: %d, want 403", status)
		}
		if msg := b.text("p.error"); !strings.Contains(msg, "表单已失效") {
			t.Errorf("a form without its token says %q", msg)
		}
		b.open("/")
		if p := b.path(); p != "/" || !strings.Contains(b.text("header"), "王芳") {
			t.Errorf("the refused form logged the user out: at %s", p)
		}
	})

	t.Run("ACenterUserCannotOpenTheAuditLog", func(t *testing.T) {
		e := newEnv(t)
		b := open(t, e)
		b.open("/login")
		b.logIn("刘芳", password)
		if txt := b.text("body"); strings.Contains(txt, "审计日志") || !strings.Contains(txt, "和平里党群服务中心") {
			t.Errorf("a center user's home:\n%s", txt)
		}
		b.shots("home-center")
		if status := b.open("/audit"); status != http.StatusForbidden {
			t.Errorf("/audit as a center user: %d, want 403", status)
		}
		if txt := b.text("main"); !strings.Contains(txt, "您没有权限") || strings.Contains(txt, "登录失败") {
			t.Errorf("/audit as a center user:\n%s", txt)
		}
		if txt := b.text("header"); !strings.Contains(txt, "刘芳") || !strings.Contains(txt, "退出") {
			t.Errorf("the refusal's header: %s", txt)
		}
	})

	t.Run("Dashboard", func(t *testing.T) { dashboardInABrowser(t, open) })
	t.Run("Exports", func(t *testing.T) { exportsInABrowser(t, open) })
	t.Run("PointsCatalogAndStock", func(t *testing.T) { pointsInABrowser(t, open) })
	t.Run("Redemptions", func(t *testing.T) { redemptionsInABrowser(t, open) })

	t.Run("HTMLInANameIsText", func(t *testing.T) {
		e := newEnv(t)
		const name = `<img src=x onerror="document.title='pwned'"><b>赵</b>`
		e.addUser(name, hub.RoleDistrict, "")
		b := open(t, e)
		b.open("/login")
		b.logIn(name, password)
		shown := b.text(".who .name")
		elements := b.eval(`document.querySelector(".who .name").children.length + document.querySelectorAll("img, b").length`)
		title := b.eval(`document.title`)
		if shown != name || elements != "0" || strings.Contains(title, "pwned") {
			t.Errorf("the name shows as %q with %s elements (title %q): want the text as typed, no element", shown, elements, title)
		}
		if h1 := b.text("h1"); h1 != name+"，您好" {
			t.Errorf("the greeting is %q", h1)
		}
	})

	peopleFlows(t, open)
	t.Run("HTMLInANameOnEveryPage", func(t *testing.T) { htmlNameOnEveryPage(t, open) })
}

// do runs actions in the tab, failing the test on an error.
func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatal(err)
	}
}

// follow runs actions that load a page and returns its status.
func (b *tab) follow(actions ...chromedp.Action[chromedp.Void]) int64 {
	b.t.Helper()
	res, err := chromedp.RunResponse(b.ctx, actions...)
	if err != nil {
		b.t.Fatal(err)
	}
	return res.Status
}

// open loads the web's path and returns the status of the page it ends at.
func (b *tab) open(path string) int64 {
	b.t.Helper()
	return b.follow(chromedp.Navigate(b.e.srv.URL + path))
}

// eval is a JavaScript expression's value, as text.
func (b *tab) eval(expr string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[any](expr))
	if err != nil {
		b.t.Fatal(err)
	}
	return fmt.Sprint(v)
}

// evalUntil is eval's value once it is want, or its last value after 15 s:
// what hangs on a picture's loading (lazy, and slow on a loaded machine).
func (b *tab) evalUntil(expr, want string) string {
	b.t.Helper()
	var got string
	for end := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if got = b.eval(expr); got == want || time.Now().After(end) {
			return got
		}
	}
}

// path is the tab's location's path.
func (b *tab) path() string { b.t.Helper(); return b.eval(`location.pathname`) }

// text is the text of the first element sel selects.
func (b *tab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func (b *tab) value(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatal(err)
	}
	return s
}

// logIn fills the login form on the page and sends it, and returns the
// status of the page it leads to.
func (b *tab) logIn(name, pw string) int64 {
	b.t.Helper()
	return b.follow(chromedp.SetValue(chromedp.CSS("#name"), name), chromedp.SetValue(chromedp.CSS("#password"), pw),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)))
}

// shots writes the tab's page at each screen size.
func (b *tab) shots(name string) {
	b.t.Helper()
	for _, s := range screenSizes {
		b.shotAt(name, s)
	}
}

// shotAt writes the page at size to the screenshot directory.
func (b *tab) shotAt(name string, size [2]int64) {
	b.t.Helper()
	b.do(chromedp.EmulateViewport(size[0], size[1]))
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.fonts.ready.then(() => true)`, chromedp.EvalAwaitPromise)); err != nil {
		b.t.Fatal(err)
	}
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatal(err)
	}
	path := filepath.Join(screenshotDir(b.t), fmt.Sprintf("%s-%dx%d.png", name, size[0], size[1]))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s", path)
}
