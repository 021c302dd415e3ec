package server_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/hub/pgstore"
	"github.com/hongmajia/hongmajia/hub/server"
	"github.com/hongmajia/hongmajia/hub/sqlitestore"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/internal/pgtest"
	"github.com/hongmajia/hongmajia/record"
)

var ctx = context.Background()

// cheap makes password hashes fast in tests.
var cheap = hub.PINParams{Time: 1, MemoryKiB: 64, Threads: 1}

// The package's tests run twice, every one of them: on SQLite, then on
// PostgreSQL (as the hub's, hub/env_test.go). onStore is the run's; every
// env logs it, so that a failure says which store it was on.
var onStore = onSQLite

const (
	onSQLite     = "sqlite"
	onPostgreSQL = "postgresql"
)

// stores is which runs TestMain makes: both unless -stores says one
// (go test ./hub/server/ -args -stores=postgresql).
var stores = flag.String("stores", "both", "the stores the tests run on: both, "+onSQLite+" or "+onPostgreSQL)

func TestMain(m *testing.M) {
	flag.Parse()
	if *stores != "both" && *stores != onSQLite && *stores != onPostgreSQL {
		fmt.Fprintf(os.Stderr, "-stores=%s: want both, %s or %s\n", *stores, onSQLite, onPostgreSQL)
		os.Exit(2)
	}
	code := 0
	if *stores != onPostgreSQL {
		fmt.Println("hub/server's tests on SQLite (hub/sqlitestore)")
		start := time.Now()
		code = m.Run()
		fmt.Printf("hub/server's tests on SQLite took %s\n", time.Since(start).Round(time.Second))
	}
	if *stores != onSQLite {
		onStore = onPostgreSQL
		fmt.Println("hub/server's tests on PostgreSQL (hub/pgstore, a database of internal/pgtest's server per env)")
		start := time.Now()
		code = max(code, pgtest.Run(m))
		fmt.Printf("hub/server's tests on PostgreSQL took %s\n", time.Since(start).Round(time.Second))
	}
	os.Exit(code)
}

// env is a hub served over real HTTP on a loopback port.
type env struct {
	t      *testing.T
	clk    *clock.Fake
	hub    *hub.Hub
	store  hub.Store
	srv    *server.Server
	url    string
	client *http.Client
}

func newEnv(t *testing.T, tlsCfg *tls.Config) *env { return newEnvWith(t, tlsCfg, server.Options{}) }

// newEnvWith is newEnv with a server made with opts (its log discarded).
func newEnvWith(t *testing.T, tlsCfg *tls.Config, opts server.Options) *env {
	t.Helper()
	e := &env{t: t, clk: clock.NewFake(hubtest.Start), client: &http.Client{Timeout: 10 * time.Second}}
	dir := t.TempDir()
	t.Logf("on %s", onStore)
	var st hub.Store
	var err error
	if onStore == onPostgreSQL {
		st, err = pgstore.Open(ctx, pgtest.DB(t), pgstore.Options{})
	} else {
		st, err = sqlitestore.Open(ctx, dir, sqlitestore.Options{})
	}
	if err != nil {
		t.Fatalf("open the store on %s: %v", onStore, err)
	}
	e.store = st
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e.hub, err = hub.Open(ctx, dir, hub.Options{Store: st, Clock: e.clk, Log: log, Password: cheap})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.hub.AddCenter(ctx, "A", "和平里"); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.url = "http://" + ln.Addr().String()
	if tlsCfg != nil {
		e.url = "https://" + ln.Addr().String()
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	opts.Log = log
	e.srv = server.NewWith(e.hub, opts)
	go func() { done <- e.srv.Serve(sctx, ln, tlsCfg) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		e.hub.Close()
	})
	return e
}

// kiosk enrolls a new kiosk over HTTP.
func (e *env) kiosk(terminal string) *hubtest.Kiosk {
	e.t.Helper()
	k := hubtest.NewKiosk(terminal, "A", e.clk.Now)
	tok, _, err := e.hub.IssueToken(ctx, "A", time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	a, err := k.Send(ctx, e.client, e.url, hubsync.PathEnroll, k.Enroll(tok), hubsync.Meta{})
	if err != nil {
		e.t.Fatal(err)
	}
	var en hubsync.Enrolled
	if err := a.Decode(e.hub.PublicKey(), &en); err != nil {
		e.t.Fatalf("enroll: %v", err)
	}
	return k
}

func (e *env) send(k *hubtest.Kiosk, path string, req any) hubtest.Answer {
	e.t.Helper()
	a, err := k.Send(ctx, e.client, e.url, path, req, hubsync.Meta{})
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// do sends a request made by hand and reads its answer as it came.
func (e *env) do(r *http.Request, m hubsync.Meta) hubtest.Answer {
	e.t.Helper()
	r.Header.Set("Accept-Encoding", "gzip") // the gzip'd body, as signed
	resp, err := e.client.Do(r)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return hubtest.Answer{Status: resp.StatusCode, Body: b, Sig: resp.Header.Get(hubsync.HeaderSignature), Meta: m}
}

func (e *env) stored(terminal string) int {
	e.t.Helper()
	var n int
	err := e.store.View(ctx, func(r hub.Reader) error {
		es, err := r.Entries(terminal, 0, 1000)
		n = len(es)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestSyncOverHTTP(t *testing.T) {
	e := newEnv(t, nil)
	k := e.kiosk("T1")
	k.Earn(1, "04A1B2C3", 1, 60, 10)
	a := e.send(k, hubsync.PathPush, k.Push())
	var res hubsync.PushResult
	if err := a.Decode(e.hub.PublicKey(), &res); err != nil {
		t.Fatal(err)
	}
	if res.Refused != "" || res.Acked != k.Head() {
		t.Fatalf("push answer %+v", res)
	}
	if a.Status != http.StatusOK || e.stored("T1") != 2 {
		t.Errorf("status %d, %d stored", a.Status, e.stored("T1"))
	}
	a = e.send(k, hubsync.PathPull, hubsync.Pull{Terminal: "T1"})
	var pull hubsync.PullResult
	if err := a.Decode(e.hub.PublicKey(), &pull); err != nil {
		t.Fatal(err)
	}
	if len(pull.Balances) != 1 || pull.Balances[0].Points != 10 || !pull.HubTime.Equal(e.clk.Now()) {
		t.Errorf("pull %+v", pull)
	}
	// An answer moved to another request does not verify.
	other := a
	other.Meta.Nonce = hubsync.NewNonce()
	if err := other.Decode(e.hub.PublicKey(), &pull); err == nil {
		t.Error("an answer verified for another request's nonce")
	}
}

// counter is a kiosk's request counter as the ledger keeps it; last is
// the one it gave last.
type counter struct {
	mu   sync.Mutex
	last uint64
}

func (c *counter) next(context.Context) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last++
	return c.last, nil
}

// TestTheKiosksClient drives the server with the kiosk's own client
// (hubsync.Client), not the tests' hubtest sender: the two sides agree on
// the headers, the signatures both ways and the statuses, and every
// refusal reaches the kiosk as the protocol error it is.
func TestTheKiosksClient(t *testing.T) {
	e := newEnv(t, nil)
	k := hubtest.NewKiosk("T1", "A", e.clk.Now) // makes the entries
	var n counter
	c := &hubsync.Client{BaseURL: e.url, Terminal: "T1", Key: k.Key, Counter: n.next, Clock: e.clk,
		Trusted: func() bool { return true }, HTTP: e.client}
	tok, _, err := e.hub.IssueToken(ctx, "A", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	en, err := c.Enroll(ctx, k.Enroll(tok))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(en.HubKey, e.hub.PublicKey()) || en.Center != "A" || en.HubURL != e.url || !en.HubTime.Equal(e.clk.Now()) {
		t.Fatalf("enrolled %+v", en)
	}
	c.HubKey = en.HubKey

	for range 3 {
		k.Earn(1, "04A1B2C3", 1, 60, 10)
	}
	k.AddChange(&hubsync.Person{ID: 1, MemberNo: "W-1", Name: "王堃", Provisional: true, Kind: record.Resident}, nil)
	push := k.Push()
	res, err := c.Push(ctx, push)
	if err != nil {
		t.Fatal(err)
	}
	if res.Refused != "" || res.Acked != k.Head() || res.ChangesAcked != 1 || e.stored("T1") != 6 {
		t.Fatalf("push answer %+v, %d stored", res, e.stored("T1"))
	}
	k.Record(res)
	// The same batch again (its answer lost): the same answer, nothing twice.
	if again, err := c.Push(ctx, push); err != nil || again.Acked != res.Acked || e.stored("T1") != 6 {
		t.Errorf("the batch again: %+v, %v, %d stored", again, err, e.stored("T1"))
	}
	// A gap is refused in a signed answer, not an error.
	k.Earn(1, "04A1B2C3", 1, 60, 10)
	k.Earn(1, "04A1B2C3", 1, 60, 10)
	gap := k.Push()
	gap.Entries = gap.Entries[1:]
	if r, err := c.Push(ctx, gap); err != nil || !strings.HasPrefix(r.Refused, "gap") || r.Acked != res.Acked {
		t.Errorf("a gap: %+v, %v", r, err)
	}

	pull, err := c.Pull(ctx, hubsync.Pull{Terminal: "T1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pull.People) != 1 || pull.People[0].MemberNo != "W-1" || len(pull.Balances) != 1 {
		t.Fatalf("pull %+v", pull)
	}
	b := pull.Balances[0]
	if b.Points != 30 || b.Minutes != 180 || b.AsOf != 6 || !ed25519.Verify(en.HubKey, b.SigningBytes("T1"), b.Sig) {
		t.Errorf("balance %+v: not 30 points and 180 minutes as of seq 6, signed by the hub", b)
	}

	// An answer checked with another key than the hub's is refused.
	_, wrong, _ := ed25519.GenerateKey(rand.Reader)
	forged := *c
	forged.HubKey = wrong.Public().(ed25519.PublicKey)
	if _, err := forged.Pull(ctx, hubsync.Pull{Terminal: "T1"}); !errors.Is(err, hubsync.ErrSignature) {
		t.Errorf("an answer checked with another key: %v", err)
	}

	// Refusals: a *HubError of the status, wrapping its protocol error.
	refused := func(what string, err, want error, status int) {
		t.Helper()
		var he *hubsync.HubError
		if !errors.As(err, &he) || he.Status != status || !errors.Is(err, want) || he.Message == "" {
			t.Errorf("%s: %v (%T), want a HubError %d wrapping %v", what, err, err, status, want)
		}
	}
	replay := *c
	replay.Counter = func(context.Context) (uint64, error) { return 2, nil }
	_, err = replay.Pull(ctx, hubsync.Pull{Terminal: "T1"})
	refused("a used counter", err, hubsync.ErrReplay, http.StatusConflict)
	stranger := *c
	stranger.Terminal = "T9"
	_, err = stranger.Pull(ctx, hubsync.Pull{Terminal: "T9"})
	refused("an unknown terminal", err, hubsync.ErrUnknownTerminal, http.StatusNotFound)
	other := hubtest.NewKiosk("T2", "A", e.clk.Now)
	_, err = (&hubsync.Client{BaseURL: e.url, Terminal: "T2", Key: other.Key, Counter: new(counter).next, Clock: e.clk, HTTP: e.client}).Enroll(ctx, other.Enroll(tok))
	refused("a used token", err, hubsync.ErrToken, http.StatusForbidden)

	if err := e.hub.RevokeKiosk(ctx, "T1"); err != nil {
		t.Fatal(err)
	}
	_, err = c.Pull(ctx, hubsync.Pull{Terminal: "T1"})
	refused("a revoked kiosk's pull", err, hubsync.ErrRevoked, http.StatusGone)
	k.Earn(1, "04A1B2C3", 1, 60, 10)
	_, err = c.Push(ctx, k.Push())
	refused("a revoked kiosk's push", err, hubsync.ErrRevoked, http.StatusGone)
	if hubsync.Retryable(err) {
		t.Error("a revoked kiosk would retry")
	}
	if e.stored("T1") != 6 {
		t.Errorf("%d stored after the refusals, want 6", e.stored("T1"))
	}
}

// TestTheKiosksClientRestores: a new SD card enrolled under the old
// terminal's id restores through the kiosk's client and learns the
// counter to count on from: the restore request's own, checked by the
// server.
func TestTheKiosksClientRestores(t *testing.T) {
	e := newEnv(t, nil)
	old := e.kiosk("T1")
	old.Earn(1, "04A1B2C3", 1, 60, 10)
	if a := e.send(old, hubsync.PathPush, old.Push()); a.Status != http.StatusOK {
		t.Fatalf("push: %d", a.Status)
	}
	restore, _, err := e.hub.RestoreToken(ctx, "T1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	enroll, _, err := e.hub.IssueToken(ctx, "A", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	fresh := hubtest.NewKiosk("T1", "A", e.clk.Now)
	var n counter
	c := &hubsync.Client{BaseURL: e.url, Terminal: "T1", Key: fresh.Key, Counter: n.next, Clock: e.clk, HTTP: e.client}
	en, err := c.Enroll(ctx, fresh.Enroll(enroll))
	if err != nil {
		t.Fatal(err)
	}
	c.HubKey = en.HubKey
	r, err := c.Restore(ctx, hubsync.Restore{Token: restore, Terminal: "T1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Entries) != 2 || string(r.Entries[1]) != string(old.Raw(2)) || r.More {
		t.Errorf("restored %d entries (more %v)", len(r.Entries), r.More)
	}
	if r.Counter != n.last || r.Counter != 2 {
		t.Errorf("counter %d, want the restore request's %d", r.Counter, n.last)
	}
	// The restored ledger counts on from it.
	if _, err := c.Pull(ctx, hubsync.Pull{Terminal: "T1"}); err != nil {
		t.Errorf("the next request: %v", err)
	}
}

func TestEnrollAnswersTheAddressUsed(t *testing.T) {
	e := newEnv(t, nil)
	k := hubtest.NewKiosk("T1", "A", e.clk.Now)
	tok, _, _ := e.hub.IssueToken(ctx, "A", time.Hour)
	a := e.send(k, hubsync.PathEnroll, k.Enroll(tok))
	var en hubsync.Enrolled
	if err := a.Decode(e.hub.PublicKey(), &en); err != nil {
		t.Fatal(err)
	}
	if en.HubURL != e.url || en.Center != "A" {
		t.Errorf("enrolled %+v, want the URL %s", en, e.url)
	}
	// A used token again, by another kiosk: 403.
	k2 := hubtest.NewKiosk("T2", "A", e.clk.Now)
	if a := e.send(k2, hubsync.PathEnroll, k2.Enroll(tok)); a.Status != http.StatusForbidden {
		t.Errorf("used token: %d", a.Status)
	}
	// An enrollment signed by another key than the one it carries: 401.
	k3 := hubtest.NewKiosk("T3", "A", e.clk.Now)
	tok3, _, _ := e.hub.IssueToken(ctx, "A", time.Hour)
	req := k3.Enroll(tok3)
	req.PublicKey = k2.PublicKey()
	if a := e.send(k3, hubsync.PathEnroll, req); a.Status != http.StatusUnauthorized {
		t.Errorf("enrollment signed by another key: %d", a.Status)
	}
	if _, err := e.hub.KioskKey(ctx, "T3"); err == nil {
		t.Error("T3 was enrolled")
	}
}

// TestRefusals: every refused request is answered with its status, signed,
// and nothing of it is ingested.
func TestRefusals(t *testing.T) {
	e := newEnv(t, nil)
	k := e.kiosk("T1")
	other := e.kiosk("T2")
	k.Earn(1, "04A1B2C3", 1, 60, 10)
	push := k.Push()
	body, err := hubsync.EncodeBody(push)
	if err != nil {
		t.Fatal(err)
	}

	check := func(name string, a hubtest.Answer, want int) {
		t.Helper()
		if a.Status != want {
			t.Errorf("%s: status %d, want %d (%s)", name, a.Status, want, a.Body)
		}
		if err := hubsync.VerifyAnswer(e.hub.PublicKey(), a.Status, a.Body, a.Meta, a.Sig); err != nil {
			t.Errorf("%s: the refusal is not signed: %v", name, err)
		}
		var p hubsync.Problem
		if err := hubsync.DecodeBody(a.Body, &p); err != nil || p.Error == "" {
			t.Errorf("%s: problem %+v, %v", name, p, err)
		}
		if n := e.stored("T1") + e.stored("T2"); n != 0 {
			t.Fatalf("%s: %d entries ingested", name, n)
		}
	}

	stranger := hubtest.NewKiosk("T9", "A", e.clk.Now)
	a, _ := stranger.SendRaw(ctx, e.client, e.url, hubsync.PathPush, body, hubsync.Meta{})
	check("unknown kiosk", a, http.StatusNotFound)

	// Signed by another kiosk's key.
	imposter := hubtest.NewKiosk("T1", "A", e.clk.Now)
	imposter.Key = other.Key
	a, _ = imposter.SendRaw(ctx, e.client, e.url, hubsync.PathPush, body, hubsync.Meta{Terminal: "T1", Time: e.clk.Now(), Trusted: true, Nonce: hubsync.NewNonce(), Counter: 1000})
	check("signed by another kiosk", a, http.StatusUnauthorized)

	// A tampered body: signed over one, sent another.
	m := k.Meta()
	tampered := append([]byte(nil), body...)
	tampered[len(tampered)-5] ^= 1
	r, _ := http.NewRequest(http.MethodPost, e.url+hubsync.PathPush, bytes.NewReader(tampered))
	hubsync.SignRequest(k.Key, r, body, m)
	check("tampered body", e.do(r, m), http.StatusUnauthorized)

	// A trusted clock far from the hub's.
	a, _ = k.SendRaw(ctx, e.client, e.url, hubsync.PathPush, body, hubsync.Meta{Terminal: "T1", Time: e.clk.Now().Add(-time.Hour), Trusted: true, Nonce: hubsync.NewNonce(), Counter: 500})
	check("clock an hour off", a, http.StatusUnprocessableEntity)

	// Malformed: not gzip'd JSON.
	a, _ = k.SendRaw(ctx, e.client, e.url, hubsync.PathPush, []byte("{}"), hubsync.Meta{})
	check("malformed body", a, http.StatusBadRequest)

	// Malformed headers.
	r, _ = http.NewRequest(http.MethodPost, e.url+hubsync.PathPush, bytes.NewReader(body))
	r.Header.Set(hubsync.HeaderTerminal, "T1")
	r.Header.Set(hubsync.HeaderNonce, hubsync.NewNonce())
	check("no signature headers", e.do(r, hubsync.Meta{Terminal: "T1", Nonce: r.Header.Get(hubsync.HeaderNonce)}), http.StatusBadRequest)

	// Oversized: declared, and sent without a length.
	big := make([]byte, hubsync.MaxBody+1)
	a, _ = k.SendRaw(ctx, e.client, e.url, hubsync.PathPush, big, hubsync.Meta{})
	check("oversized body", a, http.StatusRequestEntityTooLarge)
	m = k.Meta()
	r, _ = http.NewRequest(http.MethodPost, e.url+hubsync.PathPush, io.MultiReader(bytes.NewReader(big)))
	r.ContentLength = -1
	hubsync.SignRequest(k.Key, r, big, m)
	check("oversized chunked body", e.do(r, m), http.StatusRequestEntityTooLarge)

	// Another kiosk's entries: refused in the answer, flagged.
	stolen := other.Push()
	stolen.Entries, stolen.Head = push.Entries, push.Head
	a = e.send(other, hubsync.PathPush, stolen)
	var res hubsync.PushResult
	if err := a.Decode(e.hub.PublicKey(), &res); err != nil || !strings.Contains(res.Refused, "not the sender's") {
		t.Errorf("another kiosk's entries: %+v, %v", res, err)
	}
	if e.stored("T1")+e.stored("T2") != 0 {
		t.Fatal("another kiosk's entries were ingested")
	}

	// The good push, then the same request replayed: 409, once stored.
	m = k.Meta()
	a, _ = k.SendRaw(ctx, e.client, e.url, hubsync.PathPush, body, m)
	if a.Status != http.StatusOK || e.stored("T1") != 2 {
		t.Fatalf("the good push: %d (%s)", a.Status, a.Body)
	}
	a, _ = k.SendRaw(ctx, e.client, e.url, hubsync.PathPush, body, m)
	if a.Status != http.StatusConflict {
		t.Errorf("replayed request: %d", a.Status)
	}

	// A revoked kiosk: 410.
	if err := e.hub.RevokeKiosk(ctx, "T2"); err != nil {
		t.Fatal(err)
	}
	if a := e.send(other, hubsync.PathPull, hubsync.Pull{Terminal: "T2"}); a.Status != http.StatusGone {
		t.Errorf("revoked kiosk: %d", a.Status)
	}
	// A GET of a sync endpoint: 405, no answer to sign.
	resp, err := e.client.Get(e.url + hubsync.PathPush)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET push: %d", resp.StatusCode)
	}
}

func TestHealthOverTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	e := newEnv(t, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	e.client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	resp, err := e.client.Get(e.url + hubsync.PathHealth)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(b) != "ok\n" {
		t.Errorf("healthz: %d %q", resp.StatusCode, b)
	}
	k := e.kiosk("T1")
	if a := e.send(k, hubsync.PathPull, hubsync.Pull{Terminal: "T1"}); a.Status != http.StatusOK {
		t.Errorf("pull over TLS: %d", a.Status)
	}
}

func TestCheckListen(t *testing.T) {
	for _, c := range []struct {
		addr string
		tls  bool
		ok   bool
	}{
		{"127.0.0.1:8080", false, true},
		{"[::1]:8080", false, true},
		{"localhost:8080", false, true},
		{"127.0.0.2:8080", false, true},
		{":8080", false, false},
		{"0.0.0.0:8080", false, false},
		{"192.168.1.10:8080", false, false},
		{"hub.example.org:443", false, false},
		{"0.0.0.0:8443", true, true},
		{"8080", false, false},
	} {
		err := server.CheckListen(c.addr, c.tls)
		if (err == nil) != c.ok {
			t.Errorf("CheckListen(%q, tls %v) = %v, want ok %v", c.addr, c.tls, err, c.ok)
		}
	}
}

func TestLoadTLS(t *testing.T) {
	cert, _ := selfSigned(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePEM(t, certFile, "CERTIFICATE", cert.Certificate[0])
	der, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, keyFile, "PRIVATE KEY", der)
	if _, err := server.LoadTLS(certFile, keyFile); err != nil {
		t.Errorf("load: %v", err)
	}
	if _, err := server.LoadTLS(certFile, certFile); err == nil {
		t.Error("a certificate as its own key loaded")
	}
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// selfSigned is a certificate for 127.0.0.1 and the pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hub test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// TestTheWebOnTheSameListener: every path but /healthz and the sync
// endpoints' is the web's, which wants a session; those two answer as
// they did.
func TestTheWebOnTheSameListener(t *testing.T) {
	e := newEnv(t, nil)
	e.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	get := func(path string) *http.Response {
		t.Helper()
		resp, err := e.client.Get(e.url + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	if r := get("/"); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
		t.Errorf("GET /: %d to %q, want the web's login", r.StatusCode, r.Header.Get("Location"))
	}
	if r := get("/login"); r.StatusCode != http.StatusOK || r.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("GET /login: %d, CSP %q", r.StatusCode, r.Header.Get("Content-Security-Policy"))
	}
	for path, want := range map[string]int{hubsync.PathHealth: http.StatusOK, "/v1/nope": http.StatusNotFound, hubsync.PathPull: http.StatusMethodNotAllowed} {
		r := get(path)
		if r.StatusCode != want || r.Header.Get("Content-Security-Policy") != "" {
			t.Errorf("GET %s: %d (CSP %q), want %d from the sync's own endpoints", path, r.StatusCode, r.Header.Get("Content-Security-Policy"), want)
		}
	}
}
