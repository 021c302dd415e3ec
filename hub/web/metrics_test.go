package web_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/web"
)

// refusals is an Observer that keeps the reasons it hears.
type refusals struct {
	mu      sync.Mutex
	reasons []string
}

func (r *refusals) LoginRefused(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reasons = append(r.reasons, reason)
}

func (r *refusals) count() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := map[string]int{}
	for _, x := range r.reasons {
		n[x]++
	}
	return n
}

// observed is the env's hub served by a web with obs, in place of the
// env's own.
func observed(t *testing.T, e *env, obs web.Observer) *web.Web {
	t.Helper()
	w, err := web.New(e.hub, web.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(w)
	t.Cleanup(e.srv.Close)
	return w
}

// TestTheObserverHearsEachRefusedLoginOnce: the hub's reason for a login
// it checked, locked for one it did not.
func TestTheObserverHearsEachRefusedLoginOnce(t *testing.T) {
	e := newEnv(t)
	obs := &refusals{}
	observed(t, e, obs)
	e.addUser("赵停用", hub.RoleCenter, "A")
	if err := e.hub.DisableUser(ctx, hub.CommandLine("test"), "赵停用"); err != nil {
		t.Fatal(err)
	}
	// A login that succeeds is none.
	e.browser().login("刘芳")
	if n := obs.count(); len(n) != 0 {
		t.Errorf("a good login was heard as a refusal: %v", n)
	}
	b := e.browser()
	b.tryLogin("张三", "wrong password")
	b.tryLogin("赵停用", password)
	b.tryLogin("王芳", "") // not sent to the hub: no password
	// Two failures from this address so far: 17 more wrong passwords,
	// then the 20th failure locks the address: a wrong password all the
	// same.
	for i := range web.DefaultMaxFailures - 3 {
		if res := b.tryLogin("王芳", "wrong password"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i+1, res.StatusCode)
		}
	}
	if res := b.tryLogin("王芳", "wrong password"); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the 20th failure: %d", res.StatusCode)
	}
	for range 3 {
		b.tryLogin("王芳", password)
	}
	got := obs.count()
	want := map[string]int{hub.DetailUnknownUser: 1, hub.DetailDisabled: 1, hub.DetailWrongPassword: web.DefaultMaxFailures - 2, web.ReasonLocked: 3}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("refusals heard: %v, want %v", got, want)
	}
}

// TestRouteIsThePattern: what a monitor counts a request by.
func TestRouteIsThePattern(t *testing.T) {
	e := newEnv(t)
	w := observed(t, e, nil)
	for _, c := range []struct{ method, path, want string }{
		{http.MethodGet, "/", "/"},
		{http.MethodGet, "/people/1234", "/people/{id}"},
		{http.MethodHead, "/people/1234", "/people/{id}"},
		{http.MethodPost, "/people/1234/card", "/people/{id}/card"},
		{http.MethodGet, "/people/walkins/7", "/people/walkins/{id}"},
		{http.MethodGet, "/people/new", "/people/new"},
		{http.MethodPost, "/people/import", "/people/import"},
		{http.MethodGet, "/service/certificates/2026-%E5%92%8C-0001", "/service/certificates/{number}"},
		{http.MethodGet, "/dashboard/export/kiosks.xlsx", "/dashboard/export/{list}.{format}"},
		{http.MethodGet, "/static/fonts/NotoSansSC-Regular.otf", "/static/*"},
		{http.MethodPost, "/login", "/login"},
		{http.MethodGet, "/nope/王芳", ""},
		{http.MethodPost, "/", ""},
		{"BREW", "/", ""},
	} {
		r := httptest.NewRequest(c.method, "http://hub.test"+c.path, nil)
		if got := w.Route(r); got != c.want {
			t.Errorf("Route(%s %s) = %q, want %q", c.method, c.path, got, c.want)
		}
	}
	// Served or not, the route is the same.
	b := e.browser()
	b.login("王芳")
	r := httptest.NewRequest(http.MethodGet, e.srv.URL+"/people/99?q="+url.QueryEscape("王"), nil)
	if got := w.Route(r); got != "/people/{id}" || strings.Contains(got, "99") {
		t.Errorf("Route with a query: %q", got)
	}
}
