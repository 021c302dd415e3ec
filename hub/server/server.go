// Package server is the district hub's HTTP server: GET /healthz, the
// signed sync endpoints kiosks call (enroll, push, pull, restore) under
// /v1/, and every other path the hub's web (hub/web), on one listener. TLS
// when given a certificate; plain HTTP only on a loopback address (a
// reverse proxy in front, or tests).
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/web"
	"github.com/hongmajia/hongmajia/hubsync"
)

// Timeouts of the server: a kiosk on a slow line sends a full batch (a few
// MB) well within them; a client that sends nothing is dropped soon.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 3 * time.Minute
	WriteTimeout      = 3 * time.Minute
	IdleTimeout       = 2 * time.Minute
	// ShutdownGrace is how long a stopping server lets requests finish.
	ShutdownGrace = 20 * time.Second
	// StaleCheck is how often the server flags kiosks that stopped syncing.
	StaleCheck = time.Hour
)

// Server serves a hub over HTTP.
type Server struct {
	hub       *hub.Hub
	log       *slog.Logger
	mux       *http.ServeMux // /healthz, the sync endpoints and /metrics
	web       *web.Web
	metrics   *metrics
	tokenFile string // Options.MetricsTokenFile
}

// Options configure a server (NewWith).
type Options struct {
	// Log: slog.Default() when nil.
	Log *slog.Logger
	// MetricsTokenFile is the file of the bearer token PathMetrics asks
	// for on the hub's listener (ReadMetricsToken), read at each scrape so
	// that a new token needs no restart; "": the metrics are not served
	// there (a 404), only by ServeMetrics.
	MetricsTokenFile string
}

// New is a server of h, logging to log, its metrics only for ServeMetrics.
func New(h *hub.Hub, log *slog.Logger) *Server { return NewWith(h, Options{Log: log}) }

// NewWith is a server of h. It counts what h and its web do for its
// metrics (h.Observe). It panics if the web's embedded templates do not
// parse, which hub/web's tests rule out before a build ships.
func NewWith(h *hub.Hub, opts Options) *Server {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	m := newMetrics(h, opts.Log)
	wb, err := web.New(h, web.Options{Log: opts.Log, Observer: m})
	if err != nil {
		panic("hub/server: " + err.Error())
	}
	h.Observe(m)
	s := &Server{hub: h, log: opts.Log, mux: http.NewServeMux(), web: wb, metrics: m, tokenFile: opts.MetricsTokenFile}
	s.mux.HandleFunc("GET "+hubsync.PathHealth, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	s.mux.HandleFunc("GET "+PathMetrics, s.metricsAuthed)
	s.routes(s.mux)
	return s
}

// syncPrefix is the sync endpoints' path prefix: what is under it,
// /healthz and /metrics are the kiosks' and the monitor's, answered as
// they always were; every other path is the web's.
const syncPrefix = "/v1/"

// Handler serves every endpoint, logs each request (never a body: no
// token, key, PIN or password reaches the log) and counts it by its
// route's pattern.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.hub.Clock().Now()
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		var route string
		if own := r.URL.Path == hubsync.PathHealth || r.URL.Path == PathMetrics || strings.HasPrefix(r.URL.Path, syncPrefix); own {
			s.mux.ServeHTTP(rec, r)
			route = s.ownRoute(r)
		} else {
			s.web.ServeHTTP(rec, r)
			route = s.web.Route(r)
		}
		took := s.hub.Clock().Now().Sub(start)
		s.metrics.request(route, r.Method, rec.status, took)
		level := slog.LevelInfo
		if r.URL.Path == hubsync.PathHealth || r.URL.Path == PathMetrics {
			level = slog.LevelDebug // a monitor asks every few seconds
		}
		s.log.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path, "terminal", r.Header.Get(hubsync.HeaderTerminal),
			"status", rec.status, "bytes", rec.bytes, "took", took.Round(time.Millisecond), "remote", r.RemoteAddr)
	})
}

// ownRoute is the path of the server's own endpoint that served r ("" for
// none: a path under /v1/ that is no endpoint, or the wrong method).
func (s *Server) ownRoute(r *http.Request) string {
	if r.Pattern == "" { // ServeMux set it while serving
		return ""
	}
	if strings.HasPrefix(r.URL.Path, hubsync.PathBundle) {
		return hubsync.PathBundle + "{sum}" // one route, whatever the bundle
	}
	return r.URL.Path
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// CheckListen refuses plain HTTP on an address that is not loopback: the
// kiosks' requests are signed, but a pull carries staff PIN hashes and the
// district's people, which only TLS keeps private.
func CheckListen(addr string, tlsOn bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %v (want HOST:PORT, e.g. 127.0.0.1:8443)", addr, err)
	}
	if tlsOn || host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("plain HTTP only on a loopback address (127.0.0.1, ::1, localhost), not %q: give --cert FILE --key FILE for TLS, or listen on loopback behind a TLS proxy", addr)
}

// LoadTLS reads a certificate and its key for the server.
func LoadTLS(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate %s and key %s: %w", certFile, keyFile, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// Serve serves on ln (over TLS when tlsCfg is set) until ctx ends, then
// lets the requests under way finish (ShutdownGrace) and returns. It flags
// the kiosks that stopped syncing every StaleCheck.
func (s *Server) Serve(ctx context.Context, ln net.Listener, tlsCfg *tls.Config) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	go s.checkStale(ctx)
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

func (s *Server) checkStale(ctx context.Context) {
	clk := s.hub.Clock()
	for {
		if err := s.hub.CheckStale(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("check for kiosks not synced", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-clk.After(StaleCheck):
		}
	}
}
