package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/hongmajia/hongmajia/hubsync"
)

// The signed endpoints. Every request is read in the order that costs a
// refused sender least: its declared size (413 before reading any of it),
// its headers, its terminal's key, its body (at most MaxBody bytes), the
// signature and the kiosk's clock, the replay counter; only then is the
// body decoded and the hub asked. Every answer, a refusal too, is signed
// with the hub's key over the request's terminal and nonce. Kept in this
// one file: hubsync's server helpers do the same and may replace it.

// statuses are the HTTP statuses of the protocol's errors.
var statuses = []struct {
	err    error
	status int
}{
	{hubsync.ErrMalformed, http.StatusBadRequest},
	{hubsync.ErrSignature, http.StatusUnauthorized},
	{hubsync.ErrToken, http.StatusForbidden},
	{hubsync.ErrUnknownTerminal, http.StatusNotFound},
	{hubsync.ErrReplay, http.StatusConflict},
	{hubsync.ErrRevoked, http.StatusGone},
	{hubsync.ErrFork, http.StatusPreconditionFailed},
	{hubsync.ErrTooLarge, http.StatusRequestEntityTooLarge},
	{hubsync.ErrClock, http.StatusUnprocessableEntity},
}

func statusOf(err error) int {
	for _, s := range statuses {
		if errors.Is(err, s.err) {
			return s.status
		}
	}
	return http.StatusInternalServerError
}

func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("POST "+hubsync.PathEnroll, s.enroll)
	mux.HandleFunc("POST "+hubsync.PathPush, s.signed(func(ctx context.Context, m hubsync.Meta, body []byte) (any, error) {
		var p hubsync.Push
		if err := hubsync.DecodeBody(body, &p); err != nil {
			return nil, err
		}
		return s.hub.Push(ctx, m, p)
	}))
	mux.HandleFunc("POST "+hubsync.PathPull, s.signed(func(ctx context.Context, m hubsync.Meta, body []byte) (any, error) {
		var p hubsync.Pull
		if err := hubsync.DecodeBody(body, &p); err != nil {
			return nil, err
		}
		return s.hub.Pull(ctx, m, p)
	}))
	mux.HandleFunc("POST "+hubsync.PathRestore, s.signed(func(ctx context.Context, m hubsync.Meta, body []byte) (any, error) {
		var p hubsync.Restore
		if err := hubsync.DecodeBody(body, &p); err != nil {
			return nil, err
		}
		return s.hub.Restore(ctx, m, p)
	}))
}

// signed serves a kiosk's request with call once it is proved the
// kiosk's and not a replay.
func (s *Server) signed(call func(context.Context, hubsync.Meta, []byte) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		m, body, err := s.read(w, r)
		if err == nil {
			var key ed25519.PublicKey
			key, err = s.hub.KioskKey(ctx, m.Terminal)
			if err == nil {
				err = hubsync.VerifyRequest(key, r, body, m, s.hub.Clock().Now())
			}
			if err == nil {
				err = s.hub.CheckReplay(ctx, m)
			}
		}
		var res any
		if err == nil {
			res, err = call(ctx, m, body)
		}
		s.answer(w, r, m, res, err)
	}
}

// enroll serves an enrollment: signed by the key it carries.
func (s *Server) enroll(w http.ResponseWriter, r *http.Request) {
	m, body, err := s.read(w, r)
	var e hubsync.Enroll
	if err == nil {
		err = hubsync.DecodeBody(body, &e)
	}
	if err == nil && len(e.PublicKey) != ed25519.PublicKeySize {
		err = fmt.Errorf("enroll: public key of %d bytes: %w", len(e.PublicKey), hubsync.ErrMalformed)
	}
	if err == nil {
		err = hubsync.VerifyRequest(e.PublicKey, r, body, m, s.hub.Clock().Now())
	}
	var res hubsync.Enrolled
	if err == nil {
		res, err = s.hub.Enroll(r.Context(), m, e)
	}
	if err == nil && res.HubURL == "" {
		res.HubURL = baseURL(r)
	}
	s.answer(w, r, m, res, err)
}

// read reads a request's headers and body. On an error Meta holds what
// the refusal is signed over: the request's terminal and nonce as sent.
func (s *Server) read(w http.ResponseWriter, r *http.Request) (hubsync.Meta, []byte, error) {
	sent := hubsync.Meta{Terminal: r.Header.Get(hubsync.HeaderTerminal), Nonce: r.Header.Get(hubsync.HeaderNonce)}
	if r.ContentLength > hubsync.MaxBody {
		return sent, nil, fmt.Errorf("body of %d bytes, over %d: %w", r.ContentLength, hubsync.MaxBody, hubsync.ErrTooLarge)
	}
	m, err := hubsync.ReadMeta(r)
	if err != nil {
		return sent, nil, err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, hubsync.MaxBody))
	var tl *http.MaxBytesError
	switch {
	case errors.As(err, &tl):
		return m, nil, fmt.Errorf("body over %d bytes: %w", hubsync.MaxBody, hubsync.ErrTooLarge)
	case err != nil:
		return m, nil, fmt.Errorf("read body: %v: %w", err, hubsync.ErrMalformed)
	}
	return m, body, nil
}

// maxProblem bounds the words of a refusal.
const maxProblem = 1024

// answer writes res (or err as a hubsync.Problem with its status), gzip'd
// JSON signed with the hub's key. The hub's own trouble stays in its log:
// the kiosk reads "hub failed".
func (s *Server) answer(w http.ResponseWriter, r *http.Request, m hubsync.Meta, res any, err error) {
	var body []byte
	status := http.StatusOK
	if err == nil {
		if body, err = hubsync.EncodeBody(res); err != nil {
			err = fmt.Errorf("encode answer: %w", err)
		}
	}
	if err != nil {
		status = statusOf(err)
		msg := err.Error()
		if status == http.StatusInternalServerError {
			s.log.Error("request failed", "path", r.URL.Path, "terminal", m.Terminal, "err", err)
			msg = "hub failed; it is in the hub's log"
		} else {
			s.log.Info("request refused", "path", r.URL.Path, "terminal", m.Terminal, "status", status, "err", err)
		}
		if len(msg) > maxProblem {
			msg = msg[:maxProblem]
		}
		body, _ = hubsync.EncodeBody(hubsync.Problem{Error: msg}) // a short message always encodes
	}
	h := w.Header()
	h.Set("Content-Type", hubsync.ContentType)
	h.Set("Content-Encoding", hubsync.ContentEncoding)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set(hubsync.HeaderSignature, hubsync.SignAnswer(s.hub.Key(), status, body, m))
	w.WriteHeader(status)
	// A write error is the kiosk gone: it tries again; nothing to undo.
	_, _ = io.Copy(w, bytes.NewReader(body))
}

// baseURL is the hub's address as the request reached it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
