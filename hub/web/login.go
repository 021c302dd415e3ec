package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/hub"
)

// loginView is the login page's .Data.
type loginView struct {
	Token  string // the login form's token (LoginCookie)
	Next   string
	Name   string
	Notice string
	Error  string
}

// loginPage shows the login form; a browser with a session goes home.
func (w *Web) loginPage(rw http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		if _, _, err := w.hub.CheckSession(r.Context(), c.Value); err == nil {
			http.Redirect(rw, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
			return
		}
	}
	v := loginView{Token: w.loginToken(rw, r), Next: localPath(r.URL.Query().Get("next"))}
	switch {
	case r.URL.Query().Get("out") != "":
		v.Notice = w.text("login.logged_out")
	case r.URL.Query().Get("expired") != "":
		v.Notice = w.text("login.expired")
	}
	w.loginForm(rw, r, http.StatusOK, v)
}

// loginToken is the browser's login token, made and set when it has none.
func (w *Web) loginToken(rw http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(LoginCookie); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("web: crypto/rand: " + err.Error())
	}
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	w.setCookie(rw, r, LoginCookie, tok, http.SameSiteStrictMode)
	return tok
}

func (w *Web) loginForm(rw http.ResponseWriter, r *http.Request, status int, v loginView) {
	if err := w.render(rw, status, "login", view{Data: v}); err != nil {
		w.fail(rw, r, err)
	}
}

// login checks a name and password and starts a session. Refusals: the
// form's token missing (403), a name or password missing (400), a wrong
// name or password, unknown name and disabled user alike (401), a name or
// address locked out (429), each with the form again.
func (w *Web) login(rw http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil {
		w.formError(rw, r, err)
		return
	}
	c, err := r.Cookie(LoginCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("login_token"))) != 1 {
		w.log.Warn("web: refused a login without its form's token", "remote", clientAddr(r))
		w.plain(rw, r, http.StatusForbidden, "error.csrf")
		return
	}
	// A name longer than any user's is cut to that length, so that the
	// limiter's memory per name stays small.
	name := cut(strings.TrimSpace(r.PostFormValue("name")), hub.MaxUserName)
	password := r.PostFormValue("password")
	addr := clientAddr(r)
	v := loginView{Token: c.Value, Next: localPath(r.PostFormValue("next")), Name: name}
	if name == "" || password == "" {
		v.Error = w.text("login.missing")
		w.loginForm(rw, r, http.StatusBadRequest, v)
		return
	}
	nameKey, addrKey := "name:"+name, "addr:"+addr
	if until := laterOf(w.limits.lockedUntil(nameKey), w.limits.lockedUntil(addrKey)); !until.IsZero() {
		w.loginRefused(ReasonLocked)
		w.locked(rw, r, v, until)
		return
	}
	token, _, u, err := w.hub.Login(r.Context(), name, password, addr)
	if errors.Is(err, hub.ErrBadLogin) {
		reason := hub.DetailWrongPassword
		var refused *hub.LoginRefused
		if errors.As(err, &refused) {
			reason = refused.Reason
		}
		w.loginRefused(reason)
		for _, k := range []struct{ key, subject, detail string }{{nameKey, name, hub.DetailLockedName}, {addrKey, addr, hub.DetailLockedAddr}} {
			if !w.limits.fail(k.key) {
				continue
			}
			w.log.Warn("web: login locked", "subject", k.subject, "why", k.detail)
			if err := w.hub.Audit(r.Context(), hub.Actor{User: name, Addr: addr}, hub.AuditLoginLocked, "", k.subject, k.detail); err != nil {
				w.fail(rw, r, err)
				return
			}
		}
		if until := laterOf(w.limits.lockedUntil(nameKey), w.limits.lockedUntil(addrKey)); !until.IsZero() {
			w.locked(rw, r, v, until)
			return
		}
		v.Error = w.text("login.wrong")
		w.loginForm(rw, r, http.StatusUnauthorized, v)
		return
	}
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	w.limits.clear(nameKey)
	w.log.Info("web: logged in", "user", u.Name, "remote", addr)
	w.setCookie(rw, r, SessionCookie, token, http.SameSiteLaxMode)
	w.clearCookie(rw, r, LoginCookie)
	http.Redirect(rw, r, v.Next, http.StatusSeeOther)
}

// locked answers a login while its name or address is locked out: the same
// words for both, so the page says nothing of whether the name exists.
func (w *Web) locked(rw http.ResponseWriter, r *http.Request, v loginView, until time.Time) {
	minutes := int(math.Ceil(until.Sub(w.clk.Now()).Minutes()))
	v.Error = w.text("login.locked", max(minutes, 1))
	w.loginForm(rw, r, http.StatusTooManyRequests, v)
}

// cut is s cut to n characters.
func cut(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// logout ends the session (loggedIn checked its CSRF token).
func (w *Web) logout(rw http.ResponseWriter, r *http.Request) {
	a, _ := r.Context().Value(sessionKey).(authed)
	if err := w.hub.Logout(r.Context(), a.token, clientAddr(r)); err != nil {
		w.fail(rw, r, err)
		return
	}
	w.clearCookie(rw, r, SessionCookie)
	http.Redirect(rw, r, "/login?out=1", http.StatusSeeOther)
}
