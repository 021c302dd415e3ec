// Package web is the hub's web: server-rendered pages (html/template) for
// district staff, who see every center, and each center's staff, who see
// their own, on the hub's listener beside the kiosks' sync endpoints
// (hub/server mounts it). Everything it serves is embedded (templates,
// style, fonts): no build step, no network.
//
// Nothing but the login page and the static files answers without a
// session: every other path redirects to the login. Every form carries
// its session's CSRF token, checked on every request that is not a GET;
// logins are rate-limited per name and per address; every change is
// recorded in the hub's audit log. Who sees what is decided once, by the
// hub.Scope of the session's user, which every page passes to the hub's
// queries (see Page).
//
// Every word comes from the web's catalog (assets/strings/web.tsv).
package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/hongmajia/hongmajia/assets"
	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/hub"
)

// Limits of a request's body.
const (
	// DefaultBodyLimit bounds a form's body: a page's fields, never a file.
	DefaultBodyLimit = 256 << 10
)

// Options configure a Web.
type Options struct {
	// Log: slog.Default() when nil.
	Log *slog.Logger
	// MaxFailures and LockFor: a name or an address with MaxFailures
	// wrong passwords within LockFor is locked out for LockFor
	// (DefaultMaxFailures and DefaultLockFor when 0).
	MaxFailures int
	LockFor     time.Duration
	// Observer hears what a monitor counts (metrics.go); nil: nobody.
	Observer Observer
}

// Web serves the hub's pages.
type Web struct {
	hub     *hub.Hub
	log     *slog.Logger
	clk     clock.Clock
	cat     *assets.Catalog
	pages   *pages
	static  *staticFiles
	limits  *limiter
	imports *pendingImports // the people imports waiting for their confirmation
	handler http.Handler
	mux     *chi.Mux // handler's routes (Route)
	// observer hears what a monitor counts; nil: nobody.
	observer Observer
}

// New is the web of h.
func New(h *hub.Hub, opts Options) (*Web, error) {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.MaxFailures <= 0 {
		opts.MaxFailures = DefaultMaxFailures
	}
	if opts.LockFor <= 0 {
		opts.LockFor = DefaultLockFor
	}
	w := &Web{hub: h, log: opts.Log, clk: h.Clock(), cat: assets.Web(), observer: opts.Observer}
	var err error
	if w.static, err = loadStatic(); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if w.pages, err = loadPages(w.cat, w.static); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	w.limits = newLimiter(h.Clock(), opts.MaxFailures, opts.LockFor)
	w.imports = newPendingImports(h.Clock())
	w.mux = w.routes()
	w.handler = w.mux
	return w, nil
}

// ServeHTTP serves a request of the web.
func (w *Web) ServeHTTP(rw http.ResponseWriter, r *http.Request) { w.handler.ServeHTTP(rw, r) }

// routes are every path of the web. A page piece adds its paths to the
// group of logged-in pages (and its section to sections, for the home
// page); a page that takes files (an import) gets a group of its own with
// a larger body limit, its CSRF check and session the same.
func (w *Web) routes() *chi.Mux {
	r := chi.NewRouter()
	r.Use(w.secure, middleware.GetHead)
	// An unknown path or method: to the login without a session, a page
	// saying so with one.
	authed := w.loggedIn(DefaultBodyLimit)
	r.NotFound(authed(w.page(func(*Page) error { return errNotFound })).ServeHTTP)
	r.MethodNotAllowed(authed(w.page(func(*Page) error { return errMethod })).ServeHTTP)

	// What answers without a session.
	r.Get("/static/*", w.static.serve)
	r.With(w.limitBody(DefaultBodyLimit)).Get("/login", w.loginPage)
	r.With(w.limitBody(DefaultBodyLimit)).Post("/login", w.login)

	// Everything else: a session, and its CSRF token on every non-GET.
	r.Group(func(r chi.Router) {
		r.Use(authed)
		r.Post("/logout", w.logout)
		r.Get("/", w.page(w.home))
		r.Get("/audit", w.page(w.district(w.auditPage)))
		w.serviceRoutes(r)
		w.peopleRoutes(r)
		w.exportRoutes(r)
		r.Get("/dashboard", w.page(w.dashboardPage))
		r.Get("/dashboard/export/{list}.{format}", w.page(w.dashboardExport))
		r.Post("/dashboard/flags/{id}/resolve", w.page(w.resolveFlag))
		w.pointsRoutes(r)
		w.redemptionRoutes(r)
		for _, s := range sections {
			if !s.Ready {
				r.Get(s.Path, w.page(w.soon(s)))
			}
		}
	})
	// Uploads: the same session and CSRF check, a larger body.
	r.Group(func(r chi.Router) {
		r.Use(w.loggedIn(ImportBodyLimit), w.multipartOnly)
		r.Post("/people/import", w.page(w.importPreview))
	})
	r.Group(func(r chi.Router) {
		r.Use(w.loggedIn(PictureBodyLimit), w.multipartOnly)
		w.pointsUploads(r)
	})
	return r
}
