package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/hongmajia/hongmajia/hub"
)

// Cookies of the web.
const (
	// SessionCookie holds the session's token: HttpOnly, SameSite=Lax,
	// Secure over TLS; no expiry of its own (the hub ends the session).
	SessionCookie = "hmj_session"
	// LoginCookie holds the login form's token (a random value the form
	// carries too), so that another site cannot log a browser in.
	LoginCookie = "hmj_login"
	// CSRFField is the form field of the CSRF token; CSRFHeader the header
	// a script may send it in instead.
	CSRFField  = "csrf"
	CSRFHeader = "X-CSRF-Token"
)

type ctxKey int

const sessionKey ctxKey = 0

// authed is what loggedIn found: the session and its user.
type authed struct {
	session hub.Session
	user    hub.User
	token   string
}

// loggedIn serves a request with a session of a user who may log in, its
// body at most limit bytes; without one it redirects to the login page (a
// GET comes back to where it was asked for after the login). A request
// that is not a GET, HEAD or OPTIONS must carry the session's CSRF token
// (CSRFField or CSRFHeader), or it is refused with 403.
func (w *Web) loggedIn(limit int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return w.limitBody(limit)(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			c, err := r.Cookie(SessionCookie)
			if err != nil {
				w.toLogin(rw, r, false)
				return
			}
			s, u, err := w.hub.CheckSession(r.Context(), c.Value)
			if errors.Is(err, hub.ErrNoSession) {
				w.clearCookie(rw, r, SessionCookie)
				w.toLogin(rw, r, true)
				return
			}
			if err != nil {
				w.fail(rw, r, err)
				return
			}
			if !safeMethod(r.Method) && !w.csrfOK(rw, r, s.CSRF) {
				return
			}
			next.ServeHTTP(rw, r.WithContext(context.WithValue(r.Context(), sessionKey, authed{session: s, user: u, token: c.Value})))
		}))
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// csrfOK reads the request's form and checks its CSRF token against
// want; when the form cannot be read it answers 413, 415 or 400, when the
// token is not there or differs 403, and reports false. The form is read
// whole, within the body's limit, even when the token is in its header: a
// body too large is refused before anything acts on it.
func (w *Web) csrfOK(rw http.ResponseWriter, r *http.Request, want string) bool {
	if err := parseForm(r); err != nil {
		w.formError(rw, r, err)
		return false
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		got = r.PostFormValue(CSRFField)
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		w.log.Warn("web: refused a request without its CSRF token", "method", r.Method, "path", r.URL.Path, "remote", clientAddr(r))
		w.plain(rw, r, http.StatusForbidden, "error.csrf")
		return false
	}
	return true
}

// errNotForm: a body that is not a form; the web's pages send nothing
// else.
var errNotForm = errors.New("web: a body that is not a form")

// parseForm reads the request's form: a page's fields, or a file's when
// multipart (an import, a picture), within the body limit. A body of
// another type is errNotForm, none at all an empty form.
func parseForm(r *http.Request) error {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		return r.ParseMultipartForm(DefaultBodyLimit)
	case "application/x-www-form-urlencoded":
		return r.ParseForm()
	}
	if r.Body != nil && r.Body != http.NoBody {
		if n, err := r.Body.Read(make([]byte, 1)); n > 0 {
			return errNotForm
		} else if err != nil && err != io.EOF {
			return err
		}
	}
	return r.ParseForm()
}

// formError answers a form that could not be read: too large (413), not
// a form (415) or malformed (400).
func (w *Web) formError(rw http.ResponseWriter, r *http.Request, err error) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig) || errors.Is(err, multipart.ErrMessageTooLarge):
		w.plain(rw, r, http.StatusRequestEntityTooLarge, "error.too_large")
	case errors.Is(err, errNotForm) || errors.Is(err, http.ErrNotMultipart):
		w.plain(rw, r, http.StatusUnsupportedMediaType, "error.bad_request")
	default:
		w.plain(rw, r, http.StatusBadRequest, "error.bad_request")
	}
}

// multipartOnly serves a form that carries a file (an upload's route,
// after loggedIn read it) only when it is multipart, as its page sends
// it: anything else is refused (415) rather than read as a form without
// its file.
func (w *Web) multipartOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.MultipartForm == nil {
			w.formError(rw, r, http.ErrNotMultipart)
			return
		}
		next.ServeHTTP(rw, r)
	})
}

// toLogin redirects to the login page; a GET comes back to its page
// after the login. expired says a session had ended.
func (w *Web) toLogin(rw http.ResponseWriter, r *http.Request, expired bool) {
	q := url.Values{}
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		q.Set("next", r.URL.RequestURI())
	}
	if expired {
		q.Set("expired", "1")
	}
	target := "/login"
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	http.Redirect(rw, r, target, http.StatusSeeOther)
}

// localPath is next when it is a path of this site, else "/": a login
// never sends the browser elsewhere.
func localPath(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}

// setCookie sets a cookie of the web: Path /, HttpOnly, Secure over TLS.
func (w *Web) setCookie(rw http.ResponseWriter, r *http.Request, name, value string, same http.SameSite) {
	http.SetCookie(rw, &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: isTLS(r), SameSite: same})
}

func (w *Web) clearCookie(rw http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(rw, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: isTLS(r), SameSite: http.SameSiteLaxMode})
}

// isTLS reports whether the browser reached the hub over TLS: directly,
// or through the TLS proxy on this machine that plain HTTP is allowed
// behind (hub/server.CheckListen).
func isTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return fromLoopback(r) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// clientAddr is the browser's address: the connection's, or, from the
// proxy on this machine, the last address of X-Forwarded-For (the one the
// proxy added; a browser can write the ones before it).
func clientAddr(r *http.Request) string {
	if fromLoopback(r) {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if a := strings.TrimSpace(parts[len(parts)-1]); a != "" {
				return a
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
