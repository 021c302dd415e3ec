package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/hub/sqlitestore"
	"github.com/hongmajia/hongmajia/hub/web"
)

var ctx = context.Background()

// cheap makes password hashes fast in tests.
var cheap = hub.PINParams{Time: 1, MemoryKiB: 64, Threads: 1}

const password = "长城长城 2026!"

// env is the web of a hub on a real SQLite store, with a fake clock,
// served on a loopback port; centers A and B, a district user 王芳 and a
// center user 刘芳 of A.
type env struct {
	t     testing.TB
	clk   *clock.Fake
	hub   *hub.Hub
	store *sqlitestore.Store
	srv   *httptest.Server
	log   *lockedLog
}

func newEnv(t testing.TB) *env { return newEnvTLS(t, false) }

func newEnvTLS(t testing.TB, tls bool) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{t: t, clk: clock.NewFake(hubtest.Start), log: &lockedLog{}}
	st, err := sqlitestore.Open(ctx, dir, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e.store = st
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e.hub, err = hub.Open(ctx, dir, hub.Options{Store: st, Clock: e.clk, Log: log, PIN: cheap, Password: cheap})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.hub.Close() })
	for _, c := range []struct{ id, name string }{{"A", "和平里党群服务中心"}, {"B", "小黄庄党群服务中心"}} {
		if err := e.hub.AddCenter(ctx, c.id, c.name); err != nil {
			t.Fatal(err)
		}
	}
	e.addUser("王芳", hub.RoleDistrict, "")
	e.addUser("刘芳", hub.RoleCenter, "A")
	w, err := web.New(e.hub, web.Options{Log: slog.New(slog.NewTextHandler(e.log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if tls {
		e.srv = httptest.NewTLSServer(w)
	} else {
		e.srv = httptest.NewServer(w)
	}
	t.Cleanup(e.srv.Close)
	return e
}

// lockedLog is the web's log, written by the server's goroutines and read
// by the test.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (e *env) addUser(name string, role hub.Role, center string) {
	e.t.Helper()
	if _, err := e.hub.AddUser(ctx, hub.CommandLine("test"), hub.NewUser{Name: name, Role: role, Center: center, Password: password}); err != nil {
		e.t.Fatal(err)
	}
}

// browser is a client with its own cookies that does not follow
// redirects, so a test sees each one.
type browser struct {
	e      *env
	client *http.Client
}

func (e *env) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	// A copy: the server's client is one for every call, and each
	// browser keeps cookies of its own.
	c := new(http.Client)
	*c = *e.srv.Client()
	c.Jar = jar
	// Long enough for a loaded CI machine under -race (an import's
	// preview of a large body took over 10 s there); a hang still fails.
	c.Timeout = 60 * time.Second
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{e: e, client: c}
}

// response is an answer read whole.
type response struct {
	*http.Response
	body string
}

func (b *browser) do(req *http.Request) response {
	b.e.t.Helper()
	res, err := b.client.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return response{Response: res, body: string(body)}
}

func (b *browser) get(path string) response {
	b.e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.e.srv.URL+path, nil)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return b.do(req)
}

// post sends a form as a browser of this site would (Sec-Fetch-Site:
// same-origin).
func (b *browser) post(path string, form url.Values) response {
	b.e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.do(req)
}

var hidden = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// field is the value of the hidden field name in body.
func field(body, name string) string {
	for _, m := range hidden.FindAllStringSubmatch(body, -1) {
		if m[1] == name {
			return m[2]
		}
	}
	return ""
}

// tryLogin opens the login page and sends name and pw.
func (b *browser) tryLogin(name, pw string) response {
	b.e.t.Helper()
	page := b.get("/login")
	if page.StatusCode != http.StatusOK {
		b.e.t.Fatalf("GET /login: %d", page.StatusCode)
	}
	return b.post("/login", url.Values{"login_token": {field(page.body, "login_token")}, "name": {name}, "password": {pw}})
}

// login logs in and returns the home page.
func (b *browser) login(name string) response {
	b.e.t.Helper()
	res := b.tryLogin(name, password)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		b.e.t.Fatalf("login of %s: %d to %q\n%s", name, res.StatusCode, res.Header.Get("Location"), res.body)
	}
	home := b.get("/")
	if home.StatusCode != http.StatusOK {
		b.e.t.Fatalf("home after the login of %s: %d", name, home.StatusCode)
	}
	return home
}

// audit is the whole audit log, newest first.
func (e *env) audit() []hub.AuditEntry {
	e.t.Helper()
	es, err := e.hub.AuditLog(ctx, hub.DistrictScope(), hub.AuditQuery{})
	if err != nil {
		e.t.Fatal(err)
	}
	return es
}

func wantIn(t testing.TB, what, text string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(text, p) {
			t.Errorf("%s: %q not in:\n%s", what, p, text)
		}
	}
}
