package server_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/hub/server"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
	"github.com/hongmajia/hongmajia/roster"
)

// newMetricsEnv is a served hub whose /metrics asks for the token it
// returns, kept in a token file as `hubd metrics token` writes it.
func newMetricsEnv(t *testing.T) (*env, string, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), server.MetricsTokenFile)
	token, line := server.NewMetricsToken()
	if err := os.WriteFile(file, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	return newEnvWith(t, nil, server.Options{MetricsTokenFile: file}), token, file
}

// scrape asks for the metrics with token ("": none) and returns the
// status and the text.
func (e *env) scrape(token string) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.url+server.PathMetrics, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// families are a scrape's metrics, parsed as Prometheus parses them.
type families map[string]*dto.MetricFamily

func (e *env) metrics(token string) families {
	e.t.Helper()
	status, text := e.scrape(token)
	if status != http.StatusOK {
		e.t.Fatalf("scrape: %d\n%s", status, text)
	}
	return parseMetrics(e.t, text)
}

func parseMetrics(t *testing.T, text string) families {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fs, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("the scrape does not parse: %v\n%s", err, text)
	}
	return fs
}

// value is the sum of the series of name with labels (name=value pairs;
// others may be there too: a histogram counts its samples), and whether
// there is one.
func (fs families) value(name string, labels ...string) (float64, bool) {
	f := fs[name]
	if f == nil {
		return 0, false
	}
	sum, found := 0.0, false
next:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			has := false
			for _, l := range m.GetLabel() {
				if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
					has = true
				}
			}
			if !has {
				continue next
			}
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum, found
}

func (fs families) want(t *testing.T, want float64, name string, labels ...string) {
	t.Helper()
	got, ok := fs.value(name, labels...)
	if !ok || got != want {
		t.Errorf("%s%v = %v (there: %t), want %v", name, labels, got, ok, want)
	}
}

func TestMetricsAskForTheToken(t *testing.T) {
	e, token, file := newMetricsEnv(t)
	for what, tok := range map[string]string{"no token": "", "a wrong token": strings.Repeat("x", 43), "the token's hash": strings.TrimSpace(readFile(t, file))} {
		status, text := e.scrape(tok)
		if status != http.StatusUnauthorized || strings.Contains(text, "hongmajia_hub") {
			t.Errorf("%s: %d\n%s", what, status, text)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, e.url+server.PathMetrics, nil)
	req.Header.Set("Authorization", "Basic "+token)
	if resp, err := e.client.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("the token as another scheme: %v, %v", resp, err)
	} else {
		resp.Body.Close()
	}
	fs := e.metrics(token)
	fs.want(t, 4, "hongmajia_hub_metrics_refused_total")
	fs.want(t, 4, "hongmajia_hub_http_requests_total", "route", server.PathMetrics, "method", "GET", "status", "4xx")
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "hongmajia_hub_http_request_duration_seconds"} {
		if fs[name] == nil {
			t.Errorf("no %s", name)
		}
	}

	// A new token takes over at once, without a restart.
	token2, line := server.NewMetricsToken()
	if err := os.WriteFile(file, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	if status, _ := e.scrape(token); status != http.StatusUnauthorized {
		t.Errorf("the old token after a new one: %d", status)
	}
	if status, _ := e.scrape(token2); status != http.StatusOK {
		t.Errorf("the new token: %d", status)
	}
	// No token file: not served here.
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if status, text := e.scrape(token2); status != http.StatusNotFound || strings.Contains(text, "hongmajia_hub") {
		t.Errorf("without a token file: %d\n%s", status, text)
	}
	// A server made without one does not serve them on its listener.
	plain := newEnv(t, nil)
	if status, text := plain.scrape(token2); status != http.StatusNotFound || strings.Contains(text, "hongmajia_hub") {
		t.Errorf("a server without a token file: %d\n%s", status, text)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestMetricsOfTheSync: a push's entries counted once, each outcome by its
// kind, a lagging kiosk's gauges, a revoked kiosk gone.
func TestMetricsOfTheSync(t *testing.T) {
	e, token, _ := newMetricsEnv(t)
	k := e.kiosk("T1")
	for range 3 {
		k.Earn(1, "04A1B2C3", 1, 60, 10)
	}
	push := k.Push()
	body, err := hubsync.EncodeBody(push)
	if err != nil {
		t.Fatal(err)
	}
	m := k.Meta()
	if a, _ := k.SendRaw(ctx, e.client, e.url, hubsync.PathPush, body, m); a.Status != http.StatusOK {
		t.Fatalf("push: %d", a.Status)
	}
	fs := e.metrics(token)
	fs.want(t, 6, "hongmajia_hub_entries_ingested_total", "terminal", "T1", "center", "A")
	fs.want(t, 1, "hongmajia_hub_sync_requests_total", "op", "enroll", "outcome", "ok")
	fs.want(t, 1, "hongmajia_hub_sync_requests_total", "op", "push", "outcome", "ok")
	fs.want(t, 0, "hongmajia_hub_sync_requests_total", "op", "pull", "outcome", "ok")
	fs.want(t, 0, "hongmajia_hub_kiosk_lag_entries", "terminal", "T1", "center", "A")
	fs.want(t, 0, "hongmajia_hub_kiosk_sync_age_seconds", "terminal", "T1", "center", "A")
	fs.want(t, 1, "hongmajia_hub_http_requests_total", "route", hubsync.PathPush, "method", "POST", "status", "2xx")

	// The same request again: a replay, nothing ingested.
	if a, _ := k.SendRaw(ctx, e.client, e.url, hubsync.PathPush, body, m); a.Status != http.StatusConflict {
		t.Fatalf("replay: %d", a.Status)
	}
	// Signed with another key.
	other := e.kiosk("T2")
	imposter := hubtest.NewKiosk("T1", "A", e.clk.Now)
	imposter.Key = other.Key
	im := hubsync.Meta{Terminal: "T1", Time: e.clk.Now(), Trusted: true, Nonce: hubsync.NewNonce(), Counter: 1000}
	if a, _ := imposter.SendRaw(ctx, e.client, e.url, hubsync.PathPull, mustEncode(t, hubsync.Pull{Terminal: "T1"}), im); a.Status != http.StatusUnauthorized {
		t.Fatalf("another key: %d", a.Status)
	}
	// Another kiosk's entries: refused in the answer.
	stolen := other.Push()
	stolen.Entries, stolen.Head = push.Entries, push.Head
	e.send(other, hubsync.PathPush, stolen)

	// T1 says it holds 6 entries more but sends 2 of them.
	k.Record(hubsync.PushResult{Acked: k.Head()})
	for range 3 {
		k.Earn(1, "04A1B2C3", 1, 60, 10)
	}
	part := k.Push()
	part.Entries = part.Entries[:2]
	e.clk.Advance(48 * time.Hour)
	var res hubsync.PushResult
	if err := e.send(k, hubsync.PathPush, part).Decode(e.hub.PublicKey(), &res); err != nil || res.Refused != "" {
		t.Fatalf("a part of a push: %+v, %v", res, err)
	}
	e.clk.Advance(2 * time.Hour)
	fs = e.metrics(token)
	fs.want(t, 8, "hongmajia_hub_entries_ingested_total", "terminal", "T1", "center", "A")
	fs.want(t, 4, "hongmajia_hub_kiosk_lag_entries", "terminal", "T1", "center", "A")
	fs.want(t, 2*3600, "hongmajia_hub_kiosk_sync_age_seconds", "terminal", "T1", "center", "A")
	// T2's one push was refused: since its enrollment.
	fs.want(t, 50*3600, "hongmajia_hub_kiosk_sync_age_seconds", "terminal", "T2", "center", "A")
	fs.want(t, 1, "hongmajia_hub_sync_requests_total", "op", "push", "outcome", "replay")
	fs.want(t, 1, "hongmajia_hub_sync_requests_total", "op", "pull", "outcome", "signature")
	fs.want(t, 1, "hongmajia_hub_sync_requests_total", "op", "push", "outcome", "chain")
	fs.want(t, 2, "hongmajia_hub_sync_requests_total", "op", "push", "outcome", "ok")
	if _, ok := fs.value("hongmajia_hub_entries_ingested_total", "terminal", "T2"); ok {
		t.Error("the refused push counted entries")
	}

	// A revoked kiosk: its gauges go.
	if err := e.hub.RevokeKiosk(ctx, "T1"); err != nil {
		t.Fatal(err)
	}
	fs = e.metrics(token)
	for _, name := range []string{"hongmajia_hub_kiosk_lag_entries", "hongmajia_hub_kiosk_sync_age_seconds"} {
		if _, ok := fs.value(name, "terminal", "T1"); ok {
			t.Errorf("%s of a revoked kiosk is still there", name)
		}
		if _, ok := fs.value(name, "terminal", "T2"); !ok {
			t.Errorf("%s of T2 is gone with T1", name)
		}
	}
	e.send(k, hubsync.PathPull, hubsync.Pull{Terminal: "T1"})
	e.metrics(token).want(t, 1, "hongmajia_hub_sync_requests_total", "op", "pull", "outcome", "revoked")
}

func mustEncode(t *testing.T, v any) []byte {
	t.Helper()
	b, err := hubsync.EncodeBody(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// routePattern is a route's pattern: each part a word, a {parameter}
// or two, or *; never a value.
var routePattern = regexp.MustCompile(`^(/|(/([a-z]+|v1|\{[a-z]+\}(\.\{[a-z]+\})?|\*))+)$`)

var loginToken = regexp.MustCompile(`name="login_token" value="([^"]+)"`)

// login sends a login of name and pw from a browser of its own and
// returns the status.
func (e *env) login(name, pw string) int {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(e.url + "/login")
	if err != nil {
		e.t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := loginToken.FindSubmatch(page)
	if m == nil {
		e.t.Fatalf("no login token on the login page:\n%s", page)
	}
	resp, err = c.PostForm(e.url+"/login", url.Values{"login_token": {string(m[1])}, "name": {name}, "password": {pw}})
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestMetricsOfTheWeb: requests by their route's pattern, never a path's
// id; refused logins by reason; no label that holds a person's name,
// member number or card, or a user's name.
func TestMetricsOfTheWeb(t *testing.T) {
	e, token, _ := newMetricsEnv(t)
	const pw = "长城长城 2026!"
	for _, u := range []hub.NewUser{{Name: "王芳", Role: hub.RoleDistrict, Password: pw}, {Name: "赵停用", Role: hub.RoleCenter, Center: "A", Password: pw}} {
		if _, err := e.hub.AddUser(ctx, hub.CommandLine("test"), u); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.hub.DisableUser(ctx, hub.CommandLine("test"), "赵停用"); err != nil {
		t.Fatal(err)
	}
	// A person with a card, their entries pushed.
	card := record.CardUID("04C0FFEE")
	if _, err := e.hub.ImportPeople(ctx, []roster.Person{{Line: 2, MemberNo: "HPL77001", Name: "欧阳秀英", Kind: record.GreenVest, Card: card}}, false); err != nil {
		t.Fatal(err)
	}
	p, err := e.hub.FindPerson(ctx, "HPL77001")
	if err != nil {
		t.Fatal(err)
	}
	k := e.kiosk("T1")
	k.Earn(p.ID, card, 1, 60, 10)
	e.send(k, hubsync.PathPush, k.Push())

	for _, c := range []struct {
		name, pw string
		want     int
	}{
		{"王芳", "not the password", http.StatusUnauthorized},
		{"王芳", "not the password", http.StatusUnauthorized},
		{"张三丰", "not the password", http.StatusUnauthorized},
		{"赵停用", pw, http.StatusUnauthorized},
		{"王芳", pw, http.StatusSeeOther},
	} {
		if got := e.login(c.name, c.pw); got != c.want {
			t.Fatalf("login of %s: %d, want %d", c.name, got, c.want)
		}
	}
	// The pages of a person and a certificate, by id, without a session.
	e.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, path := range []string{"/people/" + fmt.Sprint(p.ID), "/people/" + fmt.Sprint(p.ID), "/service/certificates/HPL77001", "/no/such/page", "/v1/nope"} {
		resp, err := e.client.Get(e.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	req, _ := http.NewRequest("BREW", e.url+"/", nil)
	if resp, err := e.client.Do(req); err == nil {
		resp.Body.Close()
	}

	status, text := e.scrape(token)
	if status != http.StatusOK {
		t.Fatalf("scrape: %d", status)
	}
	fs := parseMetrics(t, text)
	fs.want(t, 2, "hongmajia_hub_logins_refused_total", "reason", hub.DetailWrongPassword)
	fs.want(t, 1, "hongmajia_hub_logins_refused_total", "reason", hub.DetailUnknownUser)
	fs.want(t, 1, "hongmajia_hub_logins_refused_total", "reason", hub.DetailDisabled)
	fs.want(t, 0, "hongmajia_hub_logins_refused_total", "reason", "locked")
	fs.want(t, 2, "hongmajia_hub_http_requests_total", "route", "/people/{id}", "method", "GET", "status", "3xx")
	fs.want(t, 1, "hongmajia_hub_http_requests_total", "route", "/service/certificates/{number}", "method", "GET", "status", "3xx")
	fs.want(t, 4, "hongmajia_hub_http_requests_total", "route", "/login", "method", "POST", "status", "4xx")
	fs.want(t, 1, "hongmajia_hub_http_requests_total", "route", "/login", "method", "POST", "status", "3xx")
	fs.want(t, 2, "hongmajia_hub_http_requests_total", "route", "unmatched", "method", "GET")
	fs.want(t, 1, "hongmajia_hub_http_requests_total", "route", "unmatched", "method", "other")
	fs.want(t, 2, "hongmajia_hub_http_request_duration_seconds", "route", "/people/{id}", "method", "GET")

	// What a label may hold, and what no label holds.
	labels := map[string]bool{"route": true, "method": true, "status": true, "op": true, "outcome": true, "terminal": true, "center": true, "reason": true,
		"code": true, "version": true} // code and version: promhttp's and the Go collector's own
	personal := []string{"欧阳秀英", "HPL77001", string(card), "王芳", "张三丰", "赵停用", fmt.Sprint(p.ID)}
	for name, f := range fs {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if !labels[l.GetName()] {
					t.Errorf("%s has a label %s=%q", name, l.GetName(), l.GetValue())
				}
				if l.GetName() == "route" && l.GetValue() != "unmatched" && !routePattern.MatchString(l.GetValue()) {
					t.Errorf("%s: a route not a pattern: %q", name, l.GetValue())
				}
			}
		}
	}
	for _, s := range personal {
		if strings.Contains(text, s) {
			t.Errorf("the metrics hold %q", s)
		}
	}
}

// TestMetricsOnTheirOwnListener: no token there, only the metrics.
func TestMetricsOnTheirOwnListener(t *testing.T) {
	e := newEnv(t, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- e.srv.ServeMetrics(sctx, ln) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve metrics: %v", err)
		}
	}()
	e.kiosk("T1")
	resp, err := e.client.Get("http://" + ln.Addr().String() + server.PathMetrics)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("metrics on their listener: %d\n%s", resp.StatusCode, b)
	}
	parseMetrics(t, string(b)).want(t, 1, "hongmajia_hub_sync_requests_total", "op", "enroll", "outcome", "ok")
	for _, path := range []string{"/", "/login", hubsync.PathHealth} {
		resp, err := e.client.Get("http://" + ln.Addr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s on the metrics' listener: %d, want 404", path, resp.StatusCode)
		}
	}
}

func TestMetricsAddr(t *testing.T) {
	for _, c := range []struct {
		in, want string
		loopback bool
	}{
		{":9101", "127.0.0.1:9101", true},
		{"127.0.0.1:9101", "127.0.0.1:9101", true},
		{"[::1]:9101", "[::1]:9101", true},
		{"localhost:9101", "localhost:9101", true},
		{"192.0.2.7:9101", "192.0.2.7:9101", false},
		{"0.0.0.0:9101", "0.0.0.0:9101", false},
	} {
		got, loopback, err := server.MetricsAddr(c.in)
		if err != nil || got != c.want || loopback != c.loopback {
			t.Errorf("MetricsAddr(%q) = %q, %t, %v; want %q, %t", c.in, got, loopback, err, c.want, c.loopback)
		}
	}
	if _, _, err := server.MetricsAddr("9101"); err == nil {
		t.Error("a port alone was taken")
	}
}

func TestReadMetricsToken(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	token, line := server.NewMetricsToken()
	if len(token) != 43 || !strings.HasPrefix(line, "sha256:") || strings.Contains(line, token) {
		t.Fatalf("NewMetricsToken = %q, %q", token, line)
	}
	fromHash, err := server.ReadMetricsToken(write("hash", line))
	if err != nil {
		t.Fatal(err)
	}
	fromToken, err := server.ReadMetricsToken(write("plain", "\n"+token+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if fromHash != fromToken {
		t.Error("a token and its hash line read differently")
	}
	for name, text := range map[string]string{
		"short":   "tooshort",
		"two":     token + " " + token,
		"badhex":  "sha256:" + strings.Repeat("zz", 32),
		"longhex": "sha256:" + strings.Repeat("ab", 40),
		"empty":   "",
	} {
		if _, err := server.ReadMetricsToken(write(name, text)); err == nil {
			t.Errorf("a token file %s was read", name)
		}
	}
	if _, err := server.ReadMetricsToken(filepath.Join(dir, "none")); err == nil {
		t.Error("a missing file was read")
	}
}

// TestOnlyTheseAnswerWithoutASession: on the hub's listener, /healthz,
// /metrics (behind its token) and the kiosks' signed endpoints are the
// server's own; every other path is the web's, which asks for a login.
func TestOnlyTheseAnswerWithoutASession(t *testing.T) {
	e, _, _ := newMetricsEnv(t)
	e.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, hubsync.PathHealth, http.StatusOK},
		{http.MethodGet, server.PathMetrics, http.StatusUnauthorized},
		{http.MethodPost, hubsync.PathEnroll, http.StatusBadRequest}, // an empty body: refused, signed
		{http.MethodPost, hubsync.PathPush, http.StatusBadRequest},
		{http.MethodPost, hubsync.PathPull, http.StatusBadRequest},
		{http.MethodPost, hubsync.PathRestore, http.StatusBadRequest},
		{http.MethodGet, "/v1/", http.StatusNotFound},
		{http.MethodPost, "/v1/people", http.StatusNotFound},
		{http.MethodPost, server.PathMetrics, http.StatusMethodNotAllowed},
		{http.MethodGet, server.PathMetrics + "/x", http.StatusSeeOther},
		{http.MethodGet, hubsync.PathHealth + "/x", http.StatusSeeOther},
		{http.MethodGet, "/metricsx", http.StatusSeeOther},
		{http.MethodGet, "/people", http.StatusSeeOther},
		{http.MethodPost, "/people/new", http.StatusSeeOther},
	} {
		req, _ := http.NewRequest(c.method, e.url+c.path, nil)
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, resp.StatusCode, c.want)
		}
		if c.want == http.StatusSeeOther && !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Errorf("%s %s: to %q, want the login", c.method, c.path, resp.Header.Get("Location"))
		}
	}
}
