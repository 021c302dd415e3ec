package hubsync_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

// testHub is a hub built from the package's server helpers and nothing
// else: each endpoint is ReadSigned (ReadEnroll), DecodeBody, Check, a map
// for the hub's state, and WriteAnswer or WriteProblem. It records what it
// ingested, so a test sees that a refused request left nothing, and how
// many body bytes each handler read.
type testHub struct {
	t     *testing.T
	key   ed25519.PrivateKey
	clock *clock.Fake
	srv   *httptest.Server

	mu       sync.Mutex
	kiosks   map[string]ed25519.PublicKey
	revoked  map[string]bool
	counters map[string]uint64
	nonces   map[string]bool // terminal + " " + nonce
	tokens   map[string]bool // tokens not yet used
	fail     error           // answered by the next pull instead of its result
	ingest   hubState

	requests atomic.Int64 // requests that reached a handler
	bodyRead atomic.Int64 // body bytes the handler of the last request read
}

// hubState is what the hub ingested.
type hubState struct {
	enrolled []hubsync.Enroll
	pushes   []hubsync.Push
	pulls    []hubsync.Pull
	restores []hubsync.Restore
}

func (h *testHub) state() hubState {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ingest
}

func (h *testHub) setFail(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fail = err
}

var hubEpoch = time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)

func seededKey(b byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))
}

func newTestHub(t *testing.T) *testHub { return newTestHubKey(t, seededKey(0xB0)) }

func newTestHubKey(t *testing.T, key ed25519.PrivateKey) *testHub {
	h := &testHub{
		t:        t,
		key:      key,
		clock:    clock.NewFake(hubEpoch),
		kiosks:   map[string]ed25519.PublicKey{},
		revoked:  map[string]bool{},
		counters: map[string]uint64{},
		nonces:   map[string]bool{},
		tokens:   map[string]bool{"tok-1": true, "tok-2": true, "tok-3": true, "restore-1": true},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+hubsync.PathEnroll, h.enroll)
	mux.HandleFunc("POST "+hubsync.PathPush, h.push)
	mux.HandleFunc("POST "+hubsync.PathPull, h.pull)
	mux.HandleFunc("POST "+hubsync.PathRestore, h.restore)
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.requests.Add(1)
		h.bodyRead.Store(0)
		r.Body = &countingReader{r: r.Body, n: &h.bodyRead}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

type countingReader struct {
	r io.ReadCloser
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (c *countingReader) Close() error { return c.r.Close() }

func (h *testHub) pub() ed25519.PublicKey { return h.key.Public().(ed25519.PublicKey) }

func (h *testHub) lookup(_ context.Context, terminal string) (ed25519.PublicKey, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	k, ok := h.kiosks[terminal]
	switch {
	case !ok:
		return nil, hubsync.ErrUnknownTerminal
	case h.revoked[terminal]:
		return nil, hubsync.ErrRevoked
	}
	return k, nil
}

func (h *testHub) replay(_ context.Context, m hubsync.Meta) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if m.Counter <= h.counters[m.Terminal] {
		return fmt.Errorf("counter %d, last %d: %w", m.Counter, h.counters[m.Terminal], hubsync.ErrReplay)
	}
	if h.nonces[m.Terminal+" "+m.Nonce] {
		return fmt.Errorf("nonce %s: %w", m.Nonce, hubsync.ErrReplay)
	}
	h.counters[m.Terminal] = m.Counter
	h.nonces[m.Terminal+" "+m.Nonce] = true
	return nil
}

func (h *testHub) revoke(terminal string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.revoked[terminal] = true
}

func (h *testHub) ingested() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.ingest.enrolled) + len(h.ingest.pushes) + len(h.ingest.pulls) + len(h.ingest.restores)
}

func (h *testHub) enroll(w http.ResponseWriter, r *http.Request) {
	m, e, err := hubsync.ReadEnroll(w, r, h.clock.Now())
	if err == nil {
		h.mu.Lock()
		if !h.tokens[e.Token] {
			err = fmt.Errorf("token %q: %w", e.Token, hubsync.ErrToken)
		} else {
			delete(h.tokens, e.Token)
			h.kiosks[e.Terminal] = e.PublicKey
			h.ingest.enrolled = append(h.ingest.enrolled, e)
		}
		h.mu.Unlock()
	}
	if err != nil {
		hubsync.WriteProblem(w, h.key, err, m)
		return
	}
	hubsync.WriteAnswer(w, h.key, http.StatusOK, enrolledFor(e, h.pub(), h.srv.URL, h.clock.Now()), m)
}

func enrolledFor(e hubsync.Enroll, hubKey ed25519.PublicKey, url string, now time.Time) hubsync.Enrolled {
	return hubsync.Enrolled{Terminal: e.Terminal, Center: "C-HPL", CenterName: "和平里街道党群服务中心", HubKey: hubKey, HubURL: url,
		Policy: record.Policy{OfflineCapPoints: 300, MaxSyncAge: 72 * time.Hour, PointsExpireMonths: 24}, HubTime: now}
}

func (h *testHub) push(w http.ResponseWriter, r *http.Request) {
	var p hubsync.Push
	m, body, err := hubsync.ReadSigned(w, r, h.lookup, h.replay, h.clock.Now())
	if err == nil {
		err = hubsync.DecodeBody(body, &p)
	}
	if err == nil {
		err = p.Check(m)
	}
	if err != nil {
		hubsync.WriteProblem(w, h.key, err, m)
		return
	}
	h.mu.Lock()
	h.ingest.pushes = append(h.ingest.pushes, p)
	h.mu.Unlock()
	res := hubsync.PushResult{Acked: record.Head{Seq: p.Acked.Seq + uint64(len(p.Entries)), Hash: p.Head.Hash},
		ChangesAcked: p.ChangesAcked + uint64(len(p.Changes)), HubTime: h.clock.Now(), PickupsAcked: p.PickupsAcked}
	if n := len(p.Pickups); n > 0 {
		res.PickupsAcked = p.Pickups[n-1].Seq
	}
	hubsync.WriteAnswer(w, h.key, http.StatusOK, res, m)
}

func (h *testHub) pull(w http.ResponseWriter, r *http.Request) {
	var p hubsync.Pull
	m, body, err := hubsync.ReadSigned(w, r, h.lookup, h.replay, h.clock.Now())
	if err == nil {
		err = hubsync.DecodeBody(body, &p)
	}
	if err == nil {
		err = p.Check(m)
	}
	if err == nil {
		h.mu.Lock()
		err, h.fail = h.fail, nil
		if err == nil {
			h.ingest.pulls = append(h.ingest.pulls, p)
		}
		h.mu.Unlock()
	}
	if err != nil {
		hubsync.WriteProblem(w, h.key, err, m)
		return
	}
	hubsync.WriteAnswer(w, h.key, http.StatusOK, samplePull(h.key, m.Terminal, p.Since, h.clock.Now()), m)
}

func (h *testHub) restore(w http.ResponseWriter, r *http.Request) {
	var q hubsync.Restore
	m, body, err := hubsync.ReadSigned(w, r, h.lookup, h.replay, h.clock.Now())
	if err == nil {
		err = hubsync.DecodeBody(body, &q)
	}
	if err == nil {
		err = q.Check(m)
	}
	if err == nil {
		h.mu.Lock()
		if !h.tokens[q.Token] {
			err = fmt.Errorf("token %q: %w", q.Token, hubsync.ErrToken)
		} else {
			h.ingest.restores = append(h.ingest.restores, q)
		}
		h.mu.Unlock()
	}
	if err != nil {
		hubsync.WriteProblem(w, h.key, err, m)
		return
	}
	hubsync.WriteAnswer(w, h.key, http.StatusOK, sampleRestored(h.key, m.Terminal, h.clock.Now()), m)
}

// samplePull fills every field of a pull's answer, so a round trip shows
// each one arrives.
func samplePull(hubKey ed25519.PrivateKey, terminal string, since uint64, now time.Time) hubsync.PullResult {
	pol := record.Policy{OfflineCapPoints: 200, MaxSyncAge: 48 * time.Hour, PointsExpireMonths: 12}
	snap := hubsync.Snapshot{Person: 4503599627370495, Points: -35, Minutes: 7260, AsOf: 812, Version: since + 9}
	snap.Sig = ed25519.Sign(hubKey, snap.SigningBytes(terminal))
	st := hubsync.Stock{Center: "C-HPL", Item: 77, Qty: 12, AsOf: 812, Version: since + 9}
	st.Sig = ed25519.Sign(hubKey, st.SigningBytes(terminal))
	return hubsync.PullResult{
		Version: since + 9, More: true,
		People: []hubsync.Person{{ID: 4503599627370495, MemberNo: "HPL-0001", Name: "王秀英", Phone: "138****5678", Community: "和平里一社区", Kind: record.RedVest},
			{ID: 12, MemberNo: "W-7Q3K", Provisional: true, Kind: record.Resident}},
		Cards:   []hubsync.Card{{UID: "04A1B2C3D4E5F6", Person: 12, State: hubsync.CardLost}},
		Aliases: []hubsync.Alias{{From: 12, To: 4503599627370495}},
		Activities: []hubsync.Activity{{ID: 5, Center: "C-HPL", Name: "社区清洁", Active: true, Station: true,
			Schedule: record.Schedule{Weekdays: []time.Weekday{time.Saturday}, Start: "08:00", End: "11:30"},
			Rules:    record.Rules{PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 10, record.GreenVest: 8}, RoundMinutes: 15}}},
		Items:    []hubsync.Item{{ID: 77, Name: "洗衣液", Price: 120, LimitCount: 1, LimitPeriod: hubsync.PeriodMonth, Active: true}},
		Stock:    []hubsync.Stock{st},
		Staff:    []hubsync.Staff{{UID: "A1B2C3D4", Name: "李站长", Role: hubsync.RoleTechnician, PINHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA", Active: true}},
		Policy:   &pol,
		Balances: []hubsync.Snapshot{snap},
		HubTime:  now,
	}
}

func sampleRestored(hubKey ed25519.PrivateKey, terminal string, now time.Time) hubsync.Restored {
	return hubsync.Restored{Entries: [][]byte{{1, 2, 3}, {4, 5}}, ChangesAcked: 41, Pull: samplePull(hubKey, terminal, 0, now), More: true}
}

// kiosk is a kiosk's side for the tests: a key, a counter, a clock.
type kiosk struct {
	terminal string
	key      ed25519.PrivateKey
	clock    *clock.Fake
	trusted  atomic.Bool
	counter  atomic.Uint64
}

func newKiosk(terminal string, seed byte) *kiosk {
	k := &kiosk{terminal: terminal, key: seededKey(seed), clock: clock.NewFake(hubEpoch.Add(-90 * time.Second))}
	k.trusted.Store(true)
	return k
}

func (k *kiosk) next(context.Context) (uint64, error) { return k.counter.Add(1), nil }

// client is k's Client of h, its requests sent through rt when given.
func (k *kiosk) client(h *testHub, rt http.RoundTripper) *hubsync.Client {
	hc := h.srv.Client()
	if rt != nil {
		hc = &http.Client{Transport: rt, Timeout: hubsync.DefaultTimeout} // a guard against a hang: a gzip bomb decompressed under -race on a loaded machine took 48 s
	}
	return &hubsync.Client{BaseURL: h.srv.URL, Terminal: k.terminal, Key: k.key, HubKey: h.pub(), HTTP: hc,
		Counter: k.next, Clock: k.clock, Trusted: k.trusted.Load}
}

// enrolled is a kiosk enrolled at h with a token of its own.
func enrolled(t *testing.T, h *testHub, terminal string, seed byte, token string) *kiosk {
	t.Helper()
	k := newKiosk(terminal, seed)
	c := k.client(h, nil)
	c.HubKey = nil
	if _, err := c.Enroll(context.Background(), hubsync.Enroll{Token: token, Center: "C-HPL", Version: "test"}); err != nil {
		t.Fatalf("enroll %s: %v", terminal, err)
	}
	return k
}

// roundTripFunc is a transport in the tests' hands: it sees, changes or
// answers each request instead of the network.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// newCuttingServer passes each request to h and sends back the head of
// h's answer and half its body, then closes the connection: an answer cut
// on the way.
func newCuttingServer(t *testing.T, h *testHub) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out, err := http.NewRequestWithContext(r.Context(), r.Method, h.srv.URL+r.URL.Path, r.Body)
		if err != nil {
			panic(err)
		}
		out.Header = r.Header.Clone()
		resp, err := h.srv.Client().Transport.RoundTrip(out)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		defer conn.Close()
		fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nContent-Length: %d\r\n%s: %s\r\n\r\n", resp.StatusCode, http.StatusText(resp.StatusCode),
			len(body), hubsync.HeaderSignature, resp.Header.Get(hubsync.HeaderSignature))
		buf.Write(body[:len(body)/2])
		buf.Flush()
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
