package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// Observer hears what the web counts for a monitor. The web links no
// monitoring library: hub/server's /metrics implements it. Its methods
// must not block.
type Observer interface {
	// LoginRefused: a login was refused for reason: the hub's
	// (hub.DetailUnknownUser, hub.DetailWrongPassword, hub.DetailDisabled),
	// or ReasonLocked. Each login sent is counted once: the wrong password
	// that locks a name is a wrong password, the logins after it are
	// locked.
	LoginRefused(reason string)
}

// ReasonLocked: a login refused because its name or address is locked
// out; its password was not checked.
const ReasonLocked = "locked"

// Route is the pattern of the web's route that serves r
// ("/people/{id}"), or "" when none does: what a monitor counts requests
// by, never the path itself with its ids.
func (w *Web) Route(r *http.Request) string {
	path := r.URL.RawPath
	if path == "" {
		path = r.URL.Path
	}
	if p := w.mux.Find(chi.NewRouteContext(), r.Method, path); p != "" {
		return p
	}
	if r.Method == http.MethodHead {
		// Served as the GET (middleware.GetHead).
		return w.mux.Find(chi.NewRouteContext(), http.MethodGet, path)
	}
	return ""
}

// loginRefused tells the observer, when there is one.
func (w *Web) loginRefused(reason string) {
	if w.observer != nil {
		w.observer.LoginRefused(reason)
	}
}
