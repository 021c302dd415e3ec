package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/assets"
	"github.com/hongmajia/hongmajia/hub"
)

//go:embed templates
var templatesFS embed.FS

// chinaTime is the zone every time on a page is shown in (the centers',
// as on the kiosks' screens), whatever the hub machine's zone.
var chinaTime = time.FixedZone("CST", 8*3600)

// Page is what a page's handler gets: the request, the logged-in user, and
// the Scope every read or change of a center's data passes to the hub
// (hub.Scope: Sees, Check, Centers), so that no page decides for itself
// who sees what. Actor is who a change is recorded as in the audit log.
type Page struct {
	R     *http.Request
	User  hub.User
	Scope hub.Scope
	Actor hub.Actor

	rw   http.ResponseWriter
	web  *Web
	csrf string
}

// handler is a page's handler. It returns an error instead of writing
// one: hub.ErrNotFound is a 404 page (a center out of the user's scope
// too: hub.Scope.Check), hub.ErrForbidden a 403 page, and anything else a
// 500 page with the error logged.
type handler func(p *Page) error

// Page errors.
var (
	errNotFound = fmt.Errorf("web: no such page: %w", hub.ErrNotFound)
	errMethod   = errors.New("web: method not allowed")
)

// Ctx is the request's context.
func (p *Page) Ctx() context.Context { return p.R.Context() }

// Hub is the hub the page reads and changes.
func (p *Page) Hub() *hub.Hub { return p.web.hub }

// T is the catalog's Chinese text of key, its verbs filled from args.
func (p *Page) T(key string, args ...any) string { return p.web.text(key, args...) }

// Render writes the page of template name (templates/NAME.html) in the
// layout, with data as .Data, status 200.
func (p *Page) Render(name string, data any) error {
	return p.RenderStatus(http.StatusOK, name, data)
}

// RenderStatus is Render with another status (a form sent back with its
// problems: 422).
func (p *Page) RenderStatus(status int, name string, data any) error {
	v, err := p.web.layout(p, data)
	if err != nil {
		return err
	}
	return p.web.render(p.rw, status, name, v)
}

// Redirect sends the browser to path with a GET (303: after a form).
func (p *Page) Redirect(path string) error {
	http.Redirect(p.rw, p.R, path, http.StatusSeeOther)
	return nil
}

// Audit records what the page did, by the page's actor; a change made by
// a hub method is recorded by that method, in its own transaction.
func (p *Page) Audit(action hub.AuditAction, center, subject, detail string) error {
	return p.web.hub.Audit(p.Ctx(), p.Actor, action, center, subject, detail)
}

// page serves a logged-in page (under loggedIn) with fn.
func (w *Web) page(fn handler) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		a, ok := r.Context().Value(sessionKey).(authed)
		if !ok {
			// Only loggedIn's routes reach here.
			w.fail(rw, r, errors.New("web: a page served without a session"))
			return
		}
		p := &Page{R: r, User: a.user, Scope: a.user.Scope(), Actor: hub.Actor{User: a.user.Name, Addr: clientAddr(r)},
			rw: rw, web: w, csrf: a.session.CSRF}
		if err := fn(p); err != nil {
			w.pageError(p, err)
		}
	}
}

// district serves fn to district users only: 403 for the others.
func (w *Web) district(fn handler) handler {
	return func(p *Page) error {
		if !p.Scope.District() {
			return hub.ErrForbidden
		}
		return fn(p)
	}
}

// pageError answers a page's error with a page in the layout, who is
// logged in and 退出 on it as on every page.
func (w *Web) pageError(p *Page, err error) {
	status, key := http.StatusInternalServerError, "error.internal"
	switch {
	case errors.Is(err, hub.ErrNotFound):
		status, key = http.StatusNotFound, "error.not_found"
	case errors.Is(err, hub.ErrForbidden):
		status, key = http.StatusForbidden, "error.forbidden"
	case errors.Is(err, errMethod):
		status, key = http.StatusMethodNotAllowed, "error.method"
	default:
		w.log.Error("web: page failed", "path", p.R.URL.Path, "user", p.User.Name, "err", err)
	}
	if rerr := p.RenderStatus(status, "error", errorView{Message: w.text(key)}); rerr != nil {
		w.log.Error("web: error page failed", "err", rerr)
		http.Error(p.rw, w.text(key), status)
	}
}

type errorView struct{ Message string }

// plain answers with a plain page: no user, no sections (a refused form,
// a body too large).
func (w *Web) plain(rw http.ResponseWriter, r *http.Request, status int, key string) {
	if err := w.render(rw, status, "error", view{Data: errorView{Message: w.text(key)}}); err != nil {
		w.log.Error("web: plain page failed", "err", err)
		http.Error(rw, w.text(key), status)
	}
}

// fail answers the hub's own trouble outside a page: 500, logged.
func (w *Web) fail(rw http.ResponseWriter, r *http.Request, err error) {
	w.log.Error("web: request failed", "path", r.URL.Path, "err", err)
	w.plain(rw, r, http.StatusInternalServerError, "error.internal")
}

func (w *Web) text(key string, args ...any) string {
	if len(args) == 0 {
		return w.cat.Text(assets.Chinese, key)
	}
	return w.cat.Format(assets.Chinese, key, args...)
}

// view is what the layout shows around a page's .Data.
type view struct {
	User *userView // nil: nobody logged in (the login page, a plain page)
	CSRF string
	Nav  []navItem
	Data any
}

type userView struct {
	Name  string
	Where string // 区级, or the center's name
}

type navItem struct {
	Title, Path string
	Current     bool
}

// layout is the view of p's page around data.
func (w *Web) layout(p *Page, data any) (view, error) {
	u := &userView{Name: p.User.Name, Where: w.text("role.district")}
	if !p.Scope.District() {
		u.Where = p.Scope.Center()
		cs, err := w.hub.Centers(p.Ctx())
		if err != nil {
			return view{}, err
		}
		for _, c := range p.Scope.Centers(cs) {
			u.Where = c.Name
		}
	}
	nav := []navItem{{Title: w.text("nav.home"), Path: "/", Current: p.R.URL.Path == "/"}}
	for _, s := range visibleSections(p.Scope) {
		nav = append(nav, navItem{Title: w.text(s.Key), Path: s.Path, Current: strings.HasPrefix(p.R.URL.Path, s.Path)})
	}
	return view{User: u, CSRF: p.csrf, Nav: nav, Data: data}, nil
}

// pages are the templates: each page's file with the layout.
type pages struct {
	byName map[string]*template.Template
}

func loadPages(cat *assets.Catalog, st *staticFiles) (*pages, error) {
	funcs := template.FuncMap{
		"t": func(key string, args ...any) string {
			if len(args) == 0 {
				return cat.Text(assets.Chinese, key)
			}
			return cat.Format(assets.Chinese, key, args...)
		},
		"static": st.url,
	}
	names, err := fs.Glob(templatesFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	ps := &pages{byName: map[string]*template.Template{}}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templatesFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", base, err)
		}
		ps.byName[strings.TrimSuffix(base, ".html")] = t
	}
	return ps, nil
}

// render writes template name with v, whole or not at all: a template
// that fails leaves no half page.
func (w *Web) render(rw http.ResponseWriter, status int, name string, v view) error {
	t, ok := w.pages.byName[name]
	if !ok {
		return fmt.Errorf("web: no template %s", name)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", v); err != nil {
		return fmt.Errorf("web: template %s: %w", name, err)
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.WriteHeader(status)
	_, err := rw.Write(b.Bytes())
	return err
}
