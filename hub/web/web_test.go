package web_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/web"
)

// pages are every page a logged-in user may ask for (the sections too).
var pages = []string{"/", "/audit", "/people", "/service", "/points", "/dashboard", "/people/1", "/nope"}

func TestEveryPageWithoutASessionGoesToLogin(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for _, p := range pages {
		res := b.get(p)
		want := "/login?next=" + url.QueryEscape(p)
		if p == "/" {
			want = "/login"
		}
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
			t.Errorf("GET %s without a session: %d to %q, want 303 to %q", p, res.StatusCode, res.Header.Get("Location"), want)
		}
		if strings.Contains(res.body, "王芳") || strings.Contains(res.body, "审计") {
			t.Errorf("GET %s without a session shows a page:\n%s", p, res.body)
		}
	}
	for _, p := range []string{"/", "/logout", "/audit", "/nope"} {
		res := b.post(p, url.Values{"csrf": {"x"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
			t.Errorf("POST %s without a session: %d to %q, want 303 to /login", p, res.StatusCode, res.Header.Get("Location"))
		}
	}
	// A cookie of no session is no session.
	u, _ := url.Parse(e.srv.URL)
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: web.SessionCookie, Value: strings.Repeat("A", 43)}})
	if res := b.get("/audit"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login?") {
		t.Errorf("GET /audit with a made-up session: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	// What answers without one.
	for _, p := range []string{"/login", "/static/style.css", "/static/fonts/NotoSansSC-Regular.otf"} {
		if res := b.get(p); res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d, want 200 without a session", p, res.StatusCode)
		}
	}
}

func TestLoginHomeLogout(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	page := b.get("/login")
	wantIn(t, "the login page", page.body, `lang="zh-CN"`, "工作人员登录", "用户名", "密码", `name="login_token"`)
	if strings.Contains(page.body, "退出") {
		t.Error("the login page shows 退出: nobody is logged in")
	}
	var loginCookie *http.Cookie
	for _, c := range page.Cookies() {
		if c.Name == web.LoginCookie {
			loginCookie = c
		}
	}
	if loginCookie == nil || !loginCookie.HttpOnly || loginCookie.SameSite != http.SameSiteStrictMode || loginCookie.Value != field(page.body, "login_token") {
		t.Errorf("login cookie %+v: want HttpOnly, SameSite=Strict, the form's token", loginCookie)
	}

	res := b.post("/login", url.Values{"login_token": {field(page.body, "login_token")}, "name": {"王芳"}, "password": {password}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("login: %d to %q\n%s", res.StatusCode, res.Header.Get("Location"), res.body)
	}
	var session *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == web.SessionCookie {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Secure || session.Path != "/" || len(session.Value) != 43 {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, not Secure over plain HTTP, 32 bytes", session)
	}
	home := b.get("/")
	wantIn(t, "home", home.body, "王芳", "区级", "退出", "注册登记", "志愿服务记录", "积分兑换", "看板", "审计日志", `name="csrf"`)
	if a := e.audit()[0]; a.Action != hub.AuditLogin || a.Actor != "王芳" || a.Addr != "127.0.0.1" {
		t.Errorf("audit of the login: %+v", a)
	}
	// The login page with a session goes home.
	if res := b.get("/login"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Errorf("the login page with a session: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}

	out := b.post("/logout", url.Values{"csrf": {field(home.body, "csrf")}})
	if out.StatusCode != http.StatusSeeOther || out.Header.Get("Location") != "/login?out=1" {
		t.Fatalf("logout: %d to %q\n%s", out.StatusCode, out.Header.Get("Location"), out.body)
	}
	wantIn(t, "the page after the logout", b.get("/login?out=1").body, "您已退出登录")
	if res := b.get("/"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("home after the logout: %d", res.StatusCode)
	}
	if _, _, err := e.hub.CheckSession(ctx, session.Value); !errors.Is(err, hub.ErrNoSession) {
		t.Errorf("the session after the logout: %v", err)
	}
	if a := e.audit()[0]; a.Action != hub.AuditLogout || a.Actor != "王芳" {
		t.Errorf("audit of the logout: %+v", a)
	}
}

func TestLoginComesBackToThePageAskedFor(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	res := b.get("/audit?before=10")
	next, _ := url.Parse(res.Header.Get("Location"))
	page := b.get(next.String())
	if got := field(page.body, "next"); got != "/audit?before=10" {
		t.Fatalf("next = %q on the login page", got)
	}
	res = b.post("/login", url.Values{"login_token": {field(page.body, "login_token")}, "next": {field(page.body, "next")}, "name": {"王芳"}, "password": {password}})
	if res.Header.Get("Location") != "/audit?before=10" {
		t.Errorf("after the login: to %q, want /audit?before=10", res.Header.Get("Location"))
	}
	// Never to another site.
	for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "audit"} {
		b := e.browser()
		page := b.get("/login")
		res := b.post("/login", url.Values{"login_token": {field(page.body, "login_token")}, "next": {next}, "name": {"王芳"}, "password": {password}})
		if res.Header.Get("Location") != "/" {
			t.Errorf("next %q: to %q, want /", next, res.Header.Get("Location"))
		}
	}
}

func TestWrongPasswordSaysNothingMore(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	wrong := b.tryLogin("王芳", "not the password")
	unknown := b.tryLogin("张三", "not the password")
	for what, res := range map[string]response{"a wrong password": wrong, "an unknown name": unknown} {
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", what, res.StatusCode)
		}
		wantIn(t, what, res.body, "用户名或密码错误")
		for _, c := range res.Cookies() {
			if c.Name == web.SessionCookie && c.Value != "" {
				t.Errorf("%s set a session cookie", what)
			}
		}
	}
	// The same page but for the name typed back into the form.
	if strings.ReplaceAll(wrong.body, "王芳", "X") != strings.ReplaceAll(unknown.body, "张三", "X") {
		t.Errorf("the pages for a wrong password and an unknown name differ:\n%s\n----\n%s", wrong.body, unknown.body)
	}
	if res := b.tryLogin("王芳", ""); res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, "请输入用户名和密码") {
		t.Errorf("no password: %d\n%s", res.StatusCode, res.body)
	}
	es := e.audit()
	if es[1].Action != hub.AuditLoginFailed || es[1].Detail != hub.DetailWrongPassword || es[0].Detail != hub.DetailUnknownUser {
		t.Errorf("audit: %+v", es[:2])
	}
}

// TestALongNameIsCountedCut: a name longer than any user's is counted
// under its first MaxUserName characters, so that 20 names differing past
// them lock that name.
func TestALongNameIsCountedCut(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("长", hub.MaxUserName)
	var res response
	for i := range web.DefaultMaxFailures {
		b := e.browser()
		page := b.get("/login")
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/login", strings.NewReader(url.Values{"login_token": {field(page.body, "login_token")},
			"name": {long + fmt.Sprint(i)}, "password": {"wrong password"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i))
		res = b.do(req)
	}
	if res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("20 long names alike in their first %d characters: %d, want 429", hub.MaxUserName, res.StatusCode)
	}
}

func TestHeadOfAPage(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	req, _ := http.NewRequest(http.MethodHead, e.srv.URL+"/login", nil)
	if res := b.do(req); res.StatusCode != http.StatusOK || res.body != "" {
		t.Errorf("HEAD /login: %d, %d bytes", res.StatusCode, len(res.body))
	}
	req, _ = http.NewRequest(http.MethodHead, e.srv.URL+"/audit", nil)
	if res := b.do(req); res.StatusCode != http.StatusSeeOther {
		t.Errorf("HEAD /audit without a session: %d, want 303", res.StatusCode)
	}
}

func TestLoginWithoutItsFormTokenIsRefused(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.get("/login")
	for name, token := range map[string]string{"no token": "", "another token": strings.Repeat("B", 43)} {
		res := b.post("/login", url.Values{"login_token": {token}, "name": {"王芳"}, "password": {password}})
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, res.StatusCode)
		}
	}
	// Without the cookie, the form's token alone is not enough.
	page := e.browser().get("/login")
	res := e.browser().post("/login", url.Values{"login_token": {field(page.body, "login_token")}, "name": {"王芳"}, "password": {password}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("another browser's token: %d, want 403", res.StatusCode)
	}
}

func TestTwentyWrongPasswordsLockTheLogin(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for i := range web.DefaultMaxFailures - 1 {
		if res := b.tryLogin("王芳", "wrong password"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i+1, res.StatusCode)
		}
	}
	res := b.tryLogin("王芳", "wrong password")
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the 20th wrong password: %d, want 429", res.StatusCode)
	}
	wantIn(t, "the 20th", res.body, "登录失败次数过多", "15 分钟")
	// The right password while locked: refused, the same words.
	right := b.tryLogin("王芳", password)
	if right.StatusCode != http.StatusTooManyRequests || !strings.Contains(right.body, "登录失败次数过多") {
		t.Errorf("the right password while locked: %d\n%s", right.StatusCode, right.body)
	}
	// From another address (the proxy on this machine says which), the
	// name is locked all the same.
	other := func(name, pw, addr string) response {
		page := b.get("/login")
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/login", strings.NewReader(url.Values{"login_token": {field(page.body, "login_token")}, "name": {name}, "password": {pw}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", addr)
		return b.do(req)
	}
	if res := other("王芳", password, "192.0.2.50"); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the locked name from another address: %d", res.StatusCode)
	}
	// The address is locked too: another name from it is refused, with
	// the same words whether the name exists or not.
	for _, name := range []string{"刘芳", "nobody"} {
		if res := b.tryLogin(name, password); res.StatusCode != http.StatusTooManyRequests || !strings.Contains(res.body, "登录失败次数过多") {
			t.Errorf("%s from the locked address: %d", name, res.StatusCode)
		}
	}
	// Another name from another address logs in.
	if res := other("刘芳", password, "192.0.2.51"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("刘芳 from elsewhere: %d\n%s", res.StatusCode, res.body)
	}
	locks := 0
	for _, a := range e.audit() {
		if a.Action == hub.AuditLoginLocked {
			locks++
		}
	}
	if locks != 2 {
		t.Errorf("%d locks recorded, want 2 (the name and the address)", locks)
	}
	// 15 minutes later the right password logs in.
	e.clk.Advance(web.DefaultLockFor)
	if res := e.browser().tryLogin("王芳", password); res.StatusCode != http.StatusSeeOther {
		t.Errorf("after 15 minutes: %d\n%s", res.StatusCode, res.body)
	}
}

func TestAnUnknownNameLocksAsAKnownOne(t *testing.T) {
	e := newEnv(t)
	var last [2]response
	for i, name := range []string{"王芳", "张三"} {
		for j := range web.DefaultMaxFailures {
			// Each from its own address: the name's count locks it.
			b := e.browser()
			pg := b.get("/login")
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/login", strings.NewReader(url.Values{"login_token": {field(pg.body, "login_token")}, "name": {name}, "password": {"wrong password"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i*50+j))
			last[i] = b.do(req)
		}
	}
	if last[0].StatusCode != http.StatusTooManyRequests || last[1].StatusCode != http.StatusTooManyRequests {
		t.Errorf("20 wrong passwords for 王芳: %d; for 张三, who does not exist: %d; want 429 for both", last[0].StatusCode, last[1].StatusCode)
	}
	// The same page but for the name typed back and each browser's token.
	strip := func(body, name string) string {
		return strings.ReplaceAll(strings.ReplaceAll(body, name, "X"), field(body, "login_token"), "T")
	}
	if strip(last[0].body, "王芳") != strip(last[1].body, "张三") {
		t.Errorf("the lock pages differ:\n%s\n----\n%s", last[0].body, last[1].body)
	}
}

func TestAFormWithoutTheCSRFTokenIsRefused(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	home := b.login("王芳")
	token := field(home.body, "csrf")
	if len(token) != 43 {
		t.Fatalf("csrf token %q", token)
	}
	for name, form := range map[string]url.Values{"no token": {}, "a wrong token": {"csrf": {strings.Repeat("A", 43)}}} {
		res := b.post("/logout", form)
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, res.StatusCode)
		}
		wantIn(t, name, res.body, "表单已失效")
	}
	// The session was not ended by them.
	if res := b.get("/"); res.StatusCode != http.StatusOK {
		t.Fatalf("home after the refused forms: %d", res.StatusCode)
	}
	// A form another site's page sends, with the right token even, is
	// refused by its origin.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/logout", strings.NewReader("csrf="+token))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	if res := b.do(req); res.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site form: %d, want 403", res.StatusCode)
	}
	if !strings.Contains(e.log.String(), "CSRF") || !strings.Contains(e.log.String(), "cross-origin") {
		t.Errorf("the refusals are not logged:\n%s", e.log.String())
	}
	// The token in its header does (a script's request).
	req, _ = http.NewRequest(http.MethodPost, e.srv.URL+"/logout", nil)
	req.Header.Set(web.CSRFHeader, token)
	if res := b.do(req); res.StatusCode != http.StatusSeeOther {
		t.Errorf("logout with the token in its header: %d", res.StatusCode)
	}
}

func TestACenterUserCannotOpenTheAuditLog(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	home := b.login("刘芳")
	wantIn(t, "刘芳's home", home.body, "刘芳", "和平里党群服务中心", "退出", "注册登记")
	if strings.Contains(home.body, "审计日志") || strings.Contains(home.body, `href="/audit"`) {
		t.Errorf("a center user's home offers the audit log:\n%s", home.body)
	}
	res := b.get("/audit")
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("GET /audit as a center user: %d, want 403", res.StatusCode)
	}
	wantIn(t, "the refusal", res.body, "您没有权限", "刘芳", "退出")
	if strings.Contains(res.body, "login-failed") || strings.Contains(res.body, "登录失败") {
		t.Errorf("the refusal shows the log:\n%s", res.body)
	}
}

func TestTheAuditPage(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.tryLogin("nobody", "wrong password")
	for i := range 60 {
		if err := e.hub.Audit(ctx, hub.Actor{User: "王芳", Addr: "192.0.2.1"}, "person-add", "B", fmt.Sprintf("<i>p%d</i>", i), "kept as written"); err != nil {
			t.Fatal(err)
		}
	}
	b.login("王芳")
	page := b.get("/audit")
	if page.StatusCode != http.StatusOK {
		t.Fatalf("GET /audit: %d", page.StatusCode)
	}
	wantIn(t, "the audit page", page.body, "审计日志", "时间", "登录", "&lt;i&gt;p59&lt;/i&gt;", "小黄庄党群服务中心", "person-add", "kept as written", "退出",
		"2026-03-02 09:00:00", `href="/audit?before=`)
	if strings.Contains(page.body, "<i>p") {
		t.Error("a subject's HTML is on the page as HTML")
	}
	if strings.Contains(page.body, "用户名不存在") {
		t.Error("the first page shows the oldest entry")
	}
	i := strings.Index(page.body, `href="/audit?before=`)
	link := page.body[i+len(`href="`):]
	link = strings.ReplaceAll(link[:strings.IndexByte(link, '"')], "&amp;", "&")
	old := b.get(link)
	wantIn(t, "the older page", old.body, "登录失败", "nobody", "用户名不存在", "&lt;i&gt;p0&lt;/i&gt;", "最新的记录")
	if strings.Contains(old.body, "p59") {
		t.Error("the older page repeats the newest entries")
	}
}

func TestHTMLInANameIsText(t *testing.T) {
	e := newEnv(t)
	const name = `<script>alert("x")</script><b>赵</b>`
	e.addUser(name, hub.RoleDistrict, "")
	b := e.browser()
	home := b.login(name)
	if strings.Contains(home.body, "<script>alert") || strings.Contains(home.body, "<b>赵") {
		t.Errorf("the name is on the page as HTML:\n%s", home.body)
	}
	wantIn(t, "home", home.body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;赵&lt;/b&gt;")
	if audit := b.get("/audit"); strings.Contains(audit.body, "<script>alert") {
		t.Errorf("the name is in the audit page as HTML")
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	check := func(what string, res response) {
		t.Helper()
		h := res.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", what, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP %q allows inline scripts", what, csp)
		}
		for k, v := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"} {
			if h.Get(k) != v {
				t.Errorf("%s: %s = %q, want %q", what, k, h.Get(k), v)
			}
		}
	}
	check("the login page", b.get("/login"))
	check("a redirect", b.get("/audit"))
	home := b.login("王芳")
	check("home", home)
	if home.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("home: Cache-Control %q, want no-store", home.Header.Get("Cache-Control"))
	}
	check("a page that is not there", b.get("/nope"))
	check("a refused form", b.post("/logout", nil))
	check("the style", b.get("/static/style.css"))
	// No page holds an inline script or style attribute the CSP would
	// refuse anyway.
	for _, p := range append(pages, "/login") {
		body := b.get(p).body
		if strings.Contains(body, "<script>") || strings.Contains(body, " style=") || strings.Contains(body, " onclick=") {
			t.Errorf("%s holds inline script or style", p)
		}
	}
}

func TestRequestBodiesAreLimited(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	big := url.Values{"name": {"王芳"}, "password": {strings.Repeat("x", web.DefaultBodyLimit)}}
	if res := b.post("/login", big); res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a login of %d bytes: %d, want 413", len(big.Encode()), res.StatusCode)
	}
	home := b.login("王芳")
	res := b.post("/logout", url.Values{"csrf": {field(home.body, "csrf")}, "pad": {strings.Repeat("x", web.DefaultBodyLimit)}})
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a form of %d bytes: %d, want 413", web.DefaultBodyLimit, res.StatusCode)
	}
	// Without a declared length too (chunked).
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/logout", struct{ *strings.Reader }{strings.NewReader("csrf=" + field(home.body, "csrf") + "&pad=" + strings.Repeat("x", web.DefaultBodyLimit))})
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if res := b.do(req); res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a chunked form too long: %d, want 413", res.StatusCode)
	}
}

func TestASessionEndsInTheBrowser(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("王芳")
	e.clk.Advance(hub.SessionIdle - time.Minute)
	if res := b.get("/"); res.StatusCode != http.StatusOK {
		t.Fatalf("a session used within the hour: %d", res.StatusCode)
	}
	e.clk.Advance(hub.SessionIdle)
	res := b.get("/audit")
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "expired=1") {
		t.Errorf("an idle session: %d to %q, want the login saying so", res.StatusCode, res.Header.Get("Location"))
	}
	wantIn(t, "the login after an idle session", b.get(res.Header.Get("Location")).body, "请先登录")
	// And a disabled user's session ends at once.
	b.login("刘芳")
	if err := e.hub.DisableUser(ctx, hub.CommandLine("test"), "刘芳"); err != nil {
		t.Fatal(err)
	}
	if res := b.get("/"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("a disabled user's session: %d", res.StatusCode)
	}
}

func TestErrorPages(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("刘芳")
	res := b.get("/nope")
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nope: %d, want 404", res.StatusCode)
	}
	wantIn(t, "/nope", res.body, "没有这个页面", "刘芳", "退出")
	home := b.get("/")
	if res := b.post("/", url.Values{"csrf": {field(home.body, "csrf")}}); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d, want 405", res.StatusCode)
	}
}

func TestCookiesAreSecureOverTLS(t *testing.T) {
	e := newEnvTLS(t, true)
	b := e.browser()
	page := b.get("/login")
	res := b.post("/login", url.Values{"login_token": {field(page.body, "login_token")}, "name": {"王芳"}, "password": {password}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login over TLS: %d", res.StatusCode)
	}
	for _, r := range []response{page, res} {
		for _, c := range r.Cookies() {
			if !c.Secure && c.MaxAge >= 0 {
				t.Errorf("cookie %s over TLS is not Secure", c.Name)
			}
		}
	}
	if res.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no Strict-Transport-Security over TLS")
	}
}

func TestStaticFilesAreCached(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	page := b.get("/login")
	i := strings.Index(page.body, `href="/static/style.css?v=`)
	if i < 0 {
		t.Fatalf("the login page links no versioned style:\n%s", page.body)
	}
	link := page.body[i+len(`href="`):]
	link = link[:strings.IndexByte(link, '"')]
	res := b.get(link)
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") || res.Header.Get("Content-Type") != "text/css; charset=utf-8" {
		t.Errorf("%s: %d, %q, %q", link, res.StatusCode, res.Header.Get("Cache-Control"), res.Header.Get("Content-Type"))
	}
	if !strings.Contains(res.body, "@font-face") {
		t.Error("the style has no @font-face")
	}
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/static/style.css", nil)
	req.Header.Set("If-None-Match", res.Header.Get("ETag"))
	if r := b.do(req); r.StatusCode != http.StatusNotModified || r.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("the unversioned style with its ETag: %d, %q", r.StatusCode, r.Header.Get("Cache-Control"))
	}
	font := b.get("/static/fonts/NotoSansSC-Bold.otf")
	if font.Header.Get("Content-Type") != "font/otf" || len(font.body) < 1<<20 {
		t.Errorf("the bold font: %q, %d bytes", font.Header.Get("Content-Type"), len(font.body))
	}
	if res := b.get("/static/nope.css"); res.StatusCode != http.StatusNotFound {
		t.Errorf("a static file that is not there: %d", res.StatusCode)
	}
}
