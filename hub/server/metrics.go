package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/web"
	"github.com/hongmajia/hongmajia/hubsync"
)

// The hub's metrics for Prometheus (github.com/prometheus/client_golang):
// on the hub's listener at PathMetrics behind a bearer token
// (MetricsTokenFile), and on a listener of their own without one
// (ServeMetrics). No label holds anything of a person: routes are
// patterns ("/people/{id}"), never paths; kiosks are their terminal and
// center ids; a refused login is its reason, never its name.

// PathMetrics is where Prometheus scrapes the hub.
const PathMetrics = "/metrics"

// MetricsTokenFile is the file in the hub's data directory that holds the
// SHA-256 of the bearer token PathMetrics asks for on the hub's listener
// (`hubd metrics token` makes it and prints the token once).
const MetricsTokenFile = "metrics.token"

// metricsTokenMin is the shortest token a token file may hold as itself:
// one `hubd metrics token` makes is 43 characters (32 random bytes).
const metricsTokenMin = 32

// scrapeTimeout bounds the store's read of the kiosks at a scrape.
const scrapeTimeout = 5 * time.Second

// Label values of the metrics, a small set each.
const (
	routeUnmatched = "unmatched" // a path no route serves (a 404)
	methodOther    = "other"     // a method the hub does not serve
	outcomeOK      = "ok"
	outcomeChain   = "chain" // a push refused in its answer: a gap or broken chain
	outcomeFork    = "fork"  // a push refused in its answer: a rolled back or rewritten ledger
	outcomeHub     = "hub"   // the hub failed (hubsync.ErrHub)
)

// syncOps are the signed endpoints by path, as the sync metric names them.
var syncOps = map[string]string{
	hubsync.PathEnroll: "enroll", hubsync.PathPush: "push", hubsync.PathPull: "pull", hubsync.PathRestore: "restore",
}

// syncErrorKinds name each protocol error as an outcome, in hubsync's
// order of Status; anything else is outcomeHub.
var syncErrorKinds = []struct {
	err  error
	kind string
}{
	{hubsync.ErrMalformed, "malformed"},
	{hubsync.ErrSignature, "signature"},
	{hubsync.ErrToken, "token"},
	{hubsync.ErrUnknownTerminal, "unknown-terminal"},
	{hubsync.ErrReplay, "replay"},
	{hubsync.ErrRevoked, "revoked"},
	{hubsync.ErrFork, "fork"},
	{hubsync.ErrTooLarge, "too-large"},
	{hubsync.ErrClock, "clock"},
}

// metrics are a server's: a registry of its own (never the process-wide
// default), so that two servers in one process count apart.
type metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec   // route, method, status
	durations *prometheus.HistogramVec // route, method
	syncs     *prometheus.CounterVec   // op, outcome
	ingested  *prometheus.CounterVec   // terminal, center
	logins    *prometheus.CounterVec   // reason
	refused   prometheus.Counter       // scrapes without the token
	handler   http.Handler             // the registry's exposition
}

var (
	kioskLagDesc = prometheus.NewDesc("hongmajia_hub_kiosk_lag_entries",
		"Entries a kiosk said it holds that the hub does not (its head minus what the hub acknowledged).",
		[]string{"terminal", "center"}, nil)
	kioskAgeDesc = prometheus.NewDesc("hongmajia_hub_kiosk_sync_age_seconds",
		"Seconds since a kiosk's last push or pull that succeeded (since its enrollment when it never synced).",
		[]string{"terminal", "center"}, nil)
)

func newMetrics(h *hub.Hub, log *slog.Logger) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hongmajia_hub_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status class (2xx, 3xx, 4xx, 5xx).",
		}, []string{"route", "method", "status"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hongmajia_hub_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern and method.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"route", "method"}),
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hongmajia_hub_sync_requests_total",
			Help: "Kiosks' sync requests by operation (enroll, push, pull, restore) and outcome: ok, a push refused in its answer (chain, fork), or the protocol error (signature, replay, clock, revoked, …; hub when the hub failed).",
		}, []string{"op", "outcome"}),
		ingested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hongmajia_hub_entries_ingested_total",
			Help: "Entries kiosks pushed that the hub stored new, by terminal and center.",
		}, []string{"terminal", "center"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hongmajia_hub_logins_refused_total",
			Help: "Web logins refused, by reason: unknown-user, wrong-password, disabled, locked (its name or address locked out after too many wrong passwords).",
		}, []string{"reason"}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hongmajia_hub_metrics_refused_total",
			Help: "Requests for the metrics on the hub's listener without the right bearer token.",
		}),
	}
	// The series an alert's rate() needs exist from the start, at 0.
	for _, r := range []string{hub.DetailUnknownUser, hub.DetailWrongPassword, hub.DetailDisabled, web.ReasonLocked} {
		m.logins.WithLabelValues(r)
	}
	for _, op := range syncOps {
		m.syncs.WithLabelValues(op, outcomeOK)
	}
	m.reg.MustRegister(m.requests, m.durations, m.syncs, m.ingested, m.logins, m.refused,
		kioskCollector{hub: h},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.InstrumentMetricHandler(m.reg, promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelError),
		ErrorHandling: promhttp.ContinueOnError, // the other metrics still answer when the store's read fails
	}))
	return m
}

// request counts a request answered with status after took.
func (m *metrics) request(route, method string, status int, took time.Duration) {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		method = methodOther // a client's made-up methods make no series
	}
	if route == "" {
		route = routeUnmatched
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status/100)+"xx").Inc()
	m.durations.WithLabelValues(route, method).Observe(took.Seconds())
}

// sync counts a signed request's outcome: res and err as answered.
func (m *metrics) sync(path string, res any, err error) {
	op, ok := syncOps[path]
	if !ok {
		return
	}
	m.syncs.WithLabelValues(op, syncOutcome(res, err)).Inc()
}

func syncOutcome(res any, err error) string {
	if err == nil {
		if p, ok := res.(hubsync.PushResult); ok && p.Refused != "" {
			if p.Fork {
				return outcomeFork
			}
			return outcomeChain
		}
		return outcomeOK
	}
	for _, k := range syncErrorKinds {
		if errors.Is(err, k.err) {
			return k.kind
		}
	}
	return outcomeHub
}

// Ingested counts the entries a push stored new (hub.Observer).
func (m *metrics) Ingested(terminal, center string, n int) {
	m.ingested.WithLabelValues(terminal, center).Add(float64(n))
}

// LoginRefused counts a refused login (web.Observer).
func (m *metrics) LoginRefused(reason string) {
	switch reason {
	case hub.DetailUnknownUser, hub.DetailWrongPassword, hub.DetailDisabled, web.ReasonLocked:
	default:
		reason = "other"
	}
	m.logins.WithLabelValues(reason).Inc()
}

// kioskCollector reads the kiosks at each scrape, so that a revoked or
// removed kiosk's series go with it: one read of the kiosks' rows (a
// district's tens), no entry read.
type kioskCollector struct{ hub *hub.Hub }

func (c kioskCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- kioskLagDesc
	ch <- kioskAgeDesc
}

func (c kioskCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	ks, err := c.hub.Kiosks(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(kioskLagDesc, fmt.Errorf("read kiosks: %w", err))
		return
	}
	now := c.hub.Clock().Now()
	for _, k := range ks {
		if !k.Revoked.IsZero() {
			continue
		}
		var lag uint64
		if k.Head.Seq > k.Anchor.Seq {
			lag = k.Head.Seq - k.Anchor.Seq
		}
		last := k.LastSync
		if last.IsZero() {
			last = k.Enrolled
		}
		ch <- prometheus.MustNewConstMetric(kioskLagDesc, prometheus.GaugeValue, float64(lag), k.Terminal, k.Center)
		ch <- prometheus.MustNewConstMetric(kioskAgeDesc, prometheus.GaugeValue, max(now.Sub(last), 0).Seconds(), k.Terminal, k.Center)
	}
}

// MetricsHandler serves the metrics without asking for a token: for a
// listener of their own (ServeMetrics), never the hub's.
func (s *Server) MetricsHandler() http.Handler { return s.metrics.handler }

// metricsAuthed serves the metrics on the hub's listener to a request
// with the bearer token of s.tokenFile: 401 without it (counted), 404
// when the hub has no token.
func (s *Server) metricsAuthed(w http.ResponseWriter, r *http.Request) {
	if s.tokenFile == "" {
		http.Error(w, "metrics: not served on this listener", http.StatusNotFound)
		return
	}
	want, err := ReadMetricsToken(s.tokenFile)
	if errors.Is(err, fs.ErrNotExist) {
		http.Error(w, "metrics: no token (`hubd metrics token` makes one)", http.StatusNotFound)
		return
	}
	if err != nil {
		s.log.Error("metrics token", "err", err)
		http.Error(w, "metrics: the hub's token file is unreadable", http.StatusInternalServerError)
		return
	}
	got := sha256.Sum256([]byte(bearer(r)))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		s.metrics.refused.Inc()
		w.Header().Set("WWW-Authenticate", `Bearer realm="hongmajia-hub"`)
		http.Error(w, "metrics: a bearer token is required", http.StatusUnauthorized)
		return
	}
	s.metrics.handler.ServeHTTP(w, r)
}

// bearer is the request's bearer token, "" when it has none.
func bearer(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// NewMetricsToken is a new bearer token and the line a MetricsTokenFile
// holds for it: "sha256:" and the token's SHA-256 in hex. The hub keeps
// only the hash: the token is shown once.
func NewMetricsToken() (token, line string) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("hub/server: crypto/rand: " + err.Error())
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	sum := sha256.Sum256([]byte(token))
	return token, "sha256:" + hex.EncodeToString(sum[:]) + "\n"
}

// ReadMetricsToken reads a token file: the line NewMetricsToken makes, or
// the token itself (at least 32 characters: the file a Prometheus on the
// same machine reads too). It is the token's SHA-256.
func ReadMetricsToken(path string) ([32]byte, error) {
	var sum [32]byte
	b, err := os.ReadFile(path)
	if err != nil {
		return sum, fmt.Errorf("metrics token: %w", err)
	}
	line := strings.TrimSpace(string(b))
	if h, ok := strings.CutPrefix(line, "sha256:"); ok {
		// The length first: Decode writes as much as it is given.
		if len(h) != hex.EncodedLen(len(sum)) {
			return [32]byte{}, fmt.Errorf("metrics token: %s: the sha256 line holds no SHA-256 in hex", path)
		}
		if _, err := hex.Decode(sum[:], []byte(h)); err != nil {
			return [32]byte{}, fmt.Errorf("metrics token: %s: the sha256 line holds no SHA-256 in hex", path)
		}
		return sum, nil
	}
	if len(line) < metricsTokenMin || strings.ContainsAny(line, " \t\r\n") {
		return sum, fmt.Errorf("metrics token: %s: want one token of at least %d characters, or the sha256: line `hubd metrics token` writes", path, metricsTokenMin)
	}
	return sha256.Sum256([]byte(line)), nil
}

// MetricsAddr is the address the metrics' own listener takes: addr, on
// loopback when it names no host (":9101"). A host that is not loopback
// is the operator's choice, and warned of: anyone who reaches it reads
// the metrics.
func MetricsAddr(addr string) (string, bool, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", false, fmt.Errorf("metrics address %q: %v (want HOST:PORT, e.g. 127.0.0.1:9101)", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	loopback := host == "localhost"
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil {
		loopback = ip.IsLoopback()
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), port), loopback, nil
}

// ServeMetrics serves the metrics without a token on ln, plain HTTP,
// until ctx ends: for a Prometheus on this machine or the district's
// network (hubd serve --metrics-addr).
func (s *Server) ServeMetrics(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle("GET "+PathMetrics, s.metrics.handler)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
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
