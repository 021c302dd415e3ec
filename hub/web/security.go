package web

import (
	"net/http"
)

// contentSecurityPolicy lets a page load only the hub's own scripts,
// styles, fonts and images, run no inline script, post forms only to the
// hub, and be framed by nobody.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// secure sets the security headers on every answer of the web, refuses a
// request another site's page makes the browser send (net/http's
// cross-origin protection, by Sec-Fetch-Site and Origin: the CSRF token's
// second line), and keeps pages out of caches.
func (w *Web) secure(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.log.Warn("web: refused a cross-origin request", "method", r.Method, "path", r.URL.Path, "remote", clientAddr(r))
		w.plain(rw, r, http.StatusForbidden, "error.csrf")
	}))
	inner := cop.Handler(next)
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		h := rw.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		h.Set("Cache-Control", "no-store")
		if isTLS(r) {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		inner.ServeHTTP(rw, r)
	})
}

// limitBody refuses a body over limit bytes: a declared length at once
// (413), a longer body when it is read.
func (w *Web) limitBody(limit int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if r.ContentLength > limit {
				w.plain(rw, r, http.StatusRequestEntityTooLarge, "error.too_large")
				return
			}
			r.Body = http.MaxBytesReader(rw, r.Body, limit)
			next.ServeHTTP(rw, r)
		})
	}
}
