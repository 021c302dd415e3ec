package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/hongmajia/hongmajia/hubsync"
)

// The signed endpoints: hubsync's ReadSigned (ReadEnroll) checks what the
// protocol says of every request — size, headers, key, signature, clock,
// replay — before the hub looks at its body; WriteAnswer and WriteProblem
// sign every answer, a refusal too, with the hub's key.

func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("POST "+hubsync.PathEnroll, s.enroll)
	mux.HandleFunc("POST "+hubsync.PathPush, s.signed(func(ctx context.Context, m hubsync.Meta, body []byte) (any, error) {
		var p hubsync.Push
		if err := hubsync.DecodeBody(body, &p); err != nil {
			return nil, err
		}
		if err := p.Check(m); err != nil {
			return nil, err
		}
		return s.hub.Push(ctx, m, p)
	}))
	mux.HandleFunc("POST "+hubsync.PathPull, s.signed(func(ctx context.Context, m hubsync.Meta, body []byte) (any, error) {
		var p hubsync.Pull
		if err := hubsync.DecodeBody(body, &p); err != nil {
			return nil, err
		}
		if err := p.Check(m); err != nil {
			return nil, err
		}
		return s.hub.Pull(ctx, m, p)
	}))
	mux.HandleFunc("POST "+hubsync.PathRestore, s.signed(func(ctx context.Context, m hubsync.Meta, body []byte) (any, error) {
		var p hubsync.Restore
		if err := hubsync.DecodeBody(body, &p); err != nil {
			return nil, err
		}
		if err := p.Check(m); err != nil {
			return nil, err
		}
		return s.hub.Restore(ctx, m, p)
	}))
	mux.HandleFunc("GET "+hubsync.PathBundle+"{sum}", s.bundle)
}

// bundle serves a release bundle to a kiosk it is offered to: the request
// signed like the others (its body empty), the bundle's bytes as they are
// (a range resumes a download cut short); a refusal signed.
func (s *Server) bundle(w http.ResponseWriter, r *http.Request) {
	m, _, err := hubsync.ReadSigned(w, r, s.hub.KioskKey, s.hub.CheckReplay, s.hub.Clock().Now())
	if err == nil && !hubsync.ValidSHA256(r.PathValue("sum")) {
		err = fmt.Errorf("bundle %q: %w", r.PathValue("sum"), hubsync.ErrMalformed)
	}
	if err != nil {
		s.answer(w, r, m, nil, err)
		return
	}
	f, b, err := s.hub.OpenBundle(r.Context(), m, r.PathValue("sum"))
	if err != nil {
		s.answer(w, r, m, nil, err)
		return
	}
	defer f.Close()
	s.log.Info("bundle sent", "terminal", m.Terminal, "version", b.Version, "arch", b.Arch, "range", r.Header.Get("Range"))
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, b.SHA256+".bundle", b.Added, f)
}

// signed serves a kiosk's request with call once it is proved the
// kiosk's and not a replay.
func (s *Server) signed(call func(context.Context, hubsync.Meta, []byte) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		m, body, err := hubsync.ReadSigned(w, r, s.hub.KioskKey, s.hub.CheckReplay, s.hub.Clock().Now())
		var res any
		if err == nil {
			res, err = call(r.Context(), m, body)
		}
		s.answer(w, r, m, res, err)
	}
}

// enroll serves an enrollment: signed by the key it carries.
func (s *Server) enroll(w http.ResponseWriter, r *http.Request) {
	m, e, err := hubsync.ReadEnroll(w, r, s.hub.Clock().Now())
	var res hubsync.Enrolled
	if err == nil {
		res, err = s.hub.Enroll(r.Context(), m, e)
	}
	if err == nil && res.HubURL == "" {
		res.HubURL = baseURL(r)
	}
	s.answer(w, r, m, res, err)
}

// answer writes res, or err as a signed refusal. The hub's own trouble
// goes to its log in full; the kiosk reads only "hub failed".
func (s *Server) answer(w http.ResponseWriter, r *http.Request, m hubsync.Meta, res any, err error) {
	if err == nil {
		if err = hubsync.WriteAnswer(w, s.hub.Key(), http.StatusOK, res, m); err == nil {
			s.metrics.sync(r.URL.Path, res, nil)
			return
		}
		s.metrics.sync(r.URL.Path, nil, err)
		s.log.Error("answer failed", "path", r.URL.Path, "terminal", m.Terminal, "err", err)
		return
	}
	s.metrics.sync(r.URL.Path, nil, err)
	if status := hubsync.Status(err); status == http.StatusInternalServerError {
		s.log.Error("request failed", "path", r.URL.Path, "terminal", m.Terminal, "err", err)
	} else {
		s.log.Info("request refused", "path", r.URL.Path, "terminal", m.Terminal, "status", status, "err", err)
	}
	hubsync.WriteProblem(w, s.hub.Key(), err, m)
}

// baseURL is the hub's address as the request reached it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
