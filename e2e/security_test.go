package e2e_test

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

// capture is a kiosk's transport that keeps each request it sends (its
// headers and body as signed) and, while held, sends nothing: the kiosk
// sees its network fail, and the test holds a good request never sent.
type capture struct {
	mu   sync.Mutex
	hold bool
	reqs []captured
}

type captured struct {
	path   string
	header http.Header
	body   []byte
	answer answer
}

func (c *capture) RoundTrip(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.reqs = append(c.reqs, captured{path: r.URL.Path, header: r.Header.Clone(), body: body})
	hold := c.hold
	c.mu.Unlock()
	if hold {
		return nil, errors.New("capture: held")
	}
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := http.DefaultTransport.RoundTrip(r2)
	if err != nil {
		return nil, err
	}
	ans, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(ans))
	c.mu.Lock()
	c.reqs[len(c.reqs)-1].answer = answer{resp.StatusCode, ans, resp.Header.Get(hubsync.HeaderSignature)}
	c.mu.Unlock()
	return resp, nil
}

func (c *capture) lastAnswer(path string) answer { return c.last(path).answer }

func (c *capture) last(path string) captured {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.reqs) - 1; i >= 0; i-- {
		if c.reqs[i].path == path {
			return c.reqs[i]
		}
	}
	return captured{}
}

// answer is what the hub answered a request sent by hand.
type answer struct {
	status int
	body   []byte
	sig    string
}

// send posts body to the hub with header as it is.
func send(t *testing.T, base, path string, header http.Header, body []byte, chunked bool) answer {
	t.Helper()
	var rd io.Reader = bytes.NewReader(body)
	if chunked {
		rd = io.MultiReader(rd) // no length known: sent chunked
	}
	r, err := http.NewRequest(http.MethodPost, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	r.Header = header.Clone()
	r.Header.Set("Accept-Encoding", "gzip") // the answer's bytes as signed
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, b, resp.Header.Get(hubsync.HeaderSignature)}
}

// signed is the headers of a request of terminal signed with key.
func signed(key ed25519.PrivateKey, terminal, path string, body []byte, counter uint64) http.Header {
	r, _ := http.NewRequest(http.MethodPost, "http://hub"+path, nil)
	r.Header.Set("Content-Type", hubsync.ContentType)
	r.Header.Set("Content-Encoding", hubsync.ContentEncoding)
	hubsync.SignRequest(key, r, body, hubsync.Meta{Terminal: terminal, Time: now(), Trusted: true, Nonce: hubsync.NewNonce(), Counter: counter})
	return r.Header
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encode(t *testing.T, v any) []byte {
	t.Helper()
	b, err := hubsync.EncodeBody(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ledgerState is what a kiosk's ledger holds of its sync and its people,
// to show a refused answer changed none of it.
type ledgerState struct {
	Acked        record.Head
	ChangesAcked uint64
	Version      uint64
	HubKey       string
	Head         record.Head
	Balances     map[record.PersonID]ledger.Balance
	Cards        map[record.CardUID]string
}

func (k *kiosk) state(people []record.PersonID, cards []record.CardUID) ledgerState {
	k.t.Helper()
	en, err := k.l.Enrollment(ctx)
	if err != nil {
		k.t.Fatal(err)
	}
	s := ledgerState{Acked: en.Acked, ChangesAcked: en.ChangesAcked, Version: en.RegistryVersion, HubKey: fmt.Sprintf("%x", en.HubKey),
		Head: k.head(), Balances: map[record.PersonID]ledger.Balance{}, Cards: map[record.CardUID]string{}}
	for _, p := range people {
		b, err := k.l.Balance(ctx, p)
		if err != nil && !errors.Is(err, ledger.ErrNotFound) {
			k.t.Fatal(err)
		}
		s.Balances[p] = b
	}
	for _, c := range cards {
		_, err := k.l.LookupCard(ctx, c)
		s.Cards[c] = fmt.Sprint(err)
	}
	return s
}

// TestSecurity: through a real hubd, every request the protocol must
// refuse is refused with its status and a signed answer, and the hub
// ingests nothing of it; every answer the hub did not sign for the very
// request is refused by the kiosk, which applies nothing of it.
func TestSecurity(t *testing.T) {
	h := newHub(t, "A", "和平里街道党群服务中心")
	cap1 := &capture{}
	k1 := newKiosk(t, "S1", "A", kioskOpts{synced: true, http: &http.Client{Transport: cap1}})
	k2 := newKiosk(t, "S2", "A", kioskOpts{synced: true})
	k1.mustEnroll(h.url(), h.token("A"))
	k2.mustEnroll(h.url(), h.token("A"))
	p1, card1 := k1.person("张三")
	k1.credit(p1.ID, 10)
	p2, card2 := k2.person("李四")
	k2.credit(p2.ID, 20)
	k1.mustSync()
	k2.mustSync()
	k1.mustSync()
	term1, term2 := k1.l.Terminal().ID, k2.l.Terminal().ID
	en, err := k1.l.Enrollment(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hubKey := ed25519.PublicKey(en.HubKey)

	// A good push of K1, signed, carrying a new entry, never sent.
	k1.credit(p1.ID, 5)
	cap1.hold = true
	if _, err := k1.sync(); !errors.Is(err, hubsync.ErrNetwork) {
		t.Fatalf("a held sync: %v", err)
	}
	cap1.hold = false
	good := cap1.last(hubsync.PathPush)
	if good.body == nil {
		t.Fatal("no push captured")
	}
	var goodPush hubsync.Push
	if err := hubsync.DecodeBody(good.body, &goodPush); err != nil || len(goodPush.Entries) != 1 {
		t.Fatalf("the held push: %+v, %v", goodPush, err)
	}
	// next is a kiosk's next request counter, as its own requests take
	// them: a request signed here with its key must not spend counters
	// the kiosk would use next.
	next := func(k *kiosk) uint64 {
		t.Helper()
		n, err := k.l.NextCounter(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	held := h.entryCount()
	refused := func(name string, a answer, want error) {
		t.Helper()
		if a.status != hubsync.Status(want) {
			t.Errorf("%s: status %d, want %d (%v): %s", name, a.status, hubsync.Status(want), want, a.body)
		}
		var p hubsync.Problem
		if err := hubsync.DecodeBody(a.body, &p); err != nil || p.Error == "" {
			t.Errorf("%s: the refusal %q does not say why: %v", name, a.body, err)
		}
		if n := h.entryCount(); n != held {
			t.Fatalf("%s: the hub holds %d entries, %d before: it ingested a refused request", name, n, held)
		}
	}

	// A tampered body: the kiosk's signature does not cover it.
	{
		body := bytes.Clone(good.body)
		body[len(body)/2] ^= 0x20
		refused("a body changed after it was signed", send(t, h.url(), hubsync.PathPush, good.header, body, false), hubsync.ErrSignature)
		// A body made anew (another entry's points) under the signature of
		// the one the kiosk sent.
		forged := goodPush
		e, err := record.DecodeEntry(forged.Entries[0])
		if err != nil {
			t.Fatal(err)
		}
		e.Points = 5000
		if e.Hash, err = e.ComputeHash(); err != nil {
			t.Fatal(err)
		}
		raw, _ := e.Encode()
		forged.Entries = [][]byte{raw}
		forged.Head = record.Head{Seq: e.Seq, Hash: e.Hash}
		refused("another entry under the kiosk's signature", send(t, h.url(), hubsync.PathPush, good.header, encode(t, forged), false), hubsync.ErrSignature)
	}

	// A body signed by another kiosk.
	{
		// K2's key over K1's push, in K1's name: K1's key does not verify it.
		refused("K1's push signed by K2's key", send(t, h.url(), hubsync.PathPush, signed(k2.key, term1, hubsync.PathPush, good.body, next(k1)), good.body, false),
			hubsync.ErrSignature)
		// In K2's name: K2 signed a push for K1.
		refused("K1's push signed as K2", send(t, h.url(), hubsync.PathPush, signed(k2.key, term2, hubsync.PathPush, good.body, next(k2)), good.body, false),
			hubsync.ErrMalformed)
	}

	// An unknown key: a terminal the hub never enrolled, or another key
	// than the one it enrolled.
	{
		_, stranger := mustKey(t)
		refused("an unknown terminal", send(t, h.url(), hubsync.PathPush, signed(stranger, "FEEDFACECAFEBEEF", hubsync.PathPush, good.body, 1), good.body, false),
			hubsync.ErrUnknownTerminal)
		refused("K1's terminal, a stranger's key", send(t, h.url(), hubsync.PathPush, signed(stranger, term1, hubsync.PathPush, good.body, next(k1)), good.body, false),
			hubsync.ErrSignature)
	}

	// A replayed request: the same bytes again.
	{
		// The held push now goes through once…
		a := send(t, h.url(), hubsync.PathPush, good.header, good.body, false)
		if a.status != http.StatusOK {
			t.Fatalf("the good push: %d %s", a.status, a.body)
		}
		if err := hubsync.VerifyAnswer(hubKey, a.status, a.body, metaOf(t, good.header), a.sig); err != nil {
			t.Errorf("the hub's answer: %v", err)
		}
		held++
		if n := h.entryCount(); n != held {
			t.Fatalf("the good push: %d entries at the hub, want %d", n, held)
		}
		// …and the same bytes again are refused.
		refused("the same push again", send(t, h.url(), hubsync.PathPush, good.header, good.body, false), hubsync.ErrReplay)
		// So is a pull sent twice.
		k1.mustSync()
		pull := cap1.last(hubsync.PathPull)
		refused("the same pull again", send(t, h.url(), hubsync.PathPull, pull.header, pull.body, false), hubsync.ErrReplay)
		// A request signed now with a counter the hub has seen.
		m := metaOf(t, pull.header)
		refused("an old counter", send(t, h.url(), hubsync.PathPull, signed(k1.key, term1, hubsync.PathPull, pull.body, m.Counter), pull.body, false), hubsync.ErrReplay)
		if st := k1.state(nil, nil); st.Acked != k1.head() {
			t.Errorf("K1 acknowledged %+v after its sync, head %+v", st.Acked, k1.head())
		}
	}

	// A kiosk pushes another kiosk's entries, signed as itself.
	{
		k2en, _ := k2.l.Enrollment(ctx)
		stolen := hubsync.Push{Terminal: term2, Version: "e2e", Acked: k2en.Acked, ChangesAcked: k2en.ChangesAcked,
			Entries: goodPush.Entries, Head: goodPush.Head}
		body := encode(t, stolen)
		a := send(t, h.url(), hubsync.PathPush, signed(k2.key, term2, hubsync.PathPush, body, next(k2)), body, false)
		if a.status != http.StatusOK {
			t.Fatalf("status %d: %s", a.status, a.body)
		}
		var res hubsync.PushResult
		if err := hubsync.DecodeBody(a.body, &res); err != nil || !strings.Contains(res.Refused, "not the sender's") {
			t.Errorf("K2 pushing K1's entries: %+v, %v; want refused", res, err)
		}
		if n := h.entryCount(); n != held {
			t.Fatalf("the hub ingested another kiosk's entries: %d, %d before", n, held)
		}
		if flags := hubd(t, h.dir, "flags"); !strings.Contains(flags, term2) || !strings.Contains(flags, "not the sender's") {
			t.Errorf("hubd flags does not show K2's refused push:\n%s", flags)
		}
		// K2's own sync goes on: the refusal stored nothing of it.
		k2.mustSync()
	}

	// Oversized and malformed bodies.
	{
		big := make([]byte, hubsync.MaxBody+1)
		refused("a body over the limit", send(t, h.url(), hubsync.PathPush, signed(k1.key, term1, hubsync.PathPush, big, next(k1)), big, false), hubsync.ErrTooLarge)
		refused("a body over the limit, chunked", send(t, h.url(), hubsync.PathPush, signed(k1.key, term1, hubsync.PathPush, big, next(k1)), big, true), hubsync.ErrTooLarge)
		// A gzip bomb: a small body that inflates past MaxPlain (members
		// of a MiB of zeros, one after another, read as one stream).
		mib := gz(t, make([]byte, 1<<20))
		bomb := bytes.Repeat(mib, hubsync.MaxPlain>>20+1)
		refused("a gzip bomb", send(t, h.url(), hubsync.PathPush, signed(k1.key, term1, hubsync.PathPush, bomb, next(k1)), bomb, false), hubsync.ErrTooLarge)
		for name, body := range map[string][]byte{
			"not gzip":                   []byte(`{"terminal":"` + term1 + `"}`),
			"gzip, not JSON":             gz(t, []byte("entries: all of them")),
			"two values":                 gz(t, []byte(`{"terminal":"`+term1+`"} {}`)),
			"an entry that is not one":   encode(t, hubsync.Push{Terminal: term1, Entries: [][]byte{{0, 1, 2}}, Head: goodPush.Head, Acked: goodPush.Acked}),
			"entries past the head said": encode(t, hubsync.Push{Terminal: term1, Entries: goodPush.Entries, Head: goodPush.Acked, Acked: goodPush.Acked}),
		} {
			refused(name, send(t, h.url(), hubsync.PathPush, signed(k1.key, term1, hubsync.PathPush, body, next(k1)), body, false), hubsync.ErrMalformed)
		}
		noSig := signed(k1.key, term1, hubsync.PathPush, good.body, next(k1))
		noSig.Del(hubsync.HeaderSignature)
		refused("no signature", send(t, h.url(), hubsync.PathPush, noSig, good.body, false), hubsync.ErrSignature)
		noTime := signed(k1.key, term1, hubsync.PathPush, good.body, next(k1))
		noTime.Del(hubsync.HeaderTime)
		refused("no time", send(t, h.url(), hubsync.PathPush, noTime, good.body, false), hubsync.ErrMalformed)
	}

	// Forged hub answers, through a proxy between K1 and the hub.
	{
		_, forger := mustKey(t)
		var old answer // the answer to an earlier pull, kept by the proxy
		for _, c := range []struct {
			name string
			path string
			// forge changes the hub's answer (its body as sent, gzip'd)
			// into the body and signature the kiosk gets.
			forge func(body []byte, sig string) ([]byte, string, error)
		}{
			{"a pull re-signed by another key", hubsync.PathPull, func(body []byte, _ string) ([]byte, string, error) {
				var p hubsync.PullResult
				if err := hubsync.DecodeBody(body, &p); err != nil {
					return nil, "", err
				}
				p.Cards = append(p.Cards, hubsync.Card{UID: card1, Person: p1.ID, State: hubsync.CardRevoked})
				b, err := hubsync.EncodeBody(p)
				return b, hubsync.SignAnswer(forger, http.StatusOK, b, hubsync.Meta{}), err
			}},
			{"a pull altered under the hub's signature", hubsync.PathPull, func(body []byte, sig string) ([]byte, string, error) {
				var p hubsync.PullResult
				if err := hubsync.DecodeBody(body, &p); err != nil {
					return nil, "", err
				}
				for i := range p.Balances {
					p.Balances[i].Points += 1000
				}
				p.Version += 100
				b, err := hubsync.EncodeBody(p)
				return b, sig, err
			}},
			{"a push answer acknowledging what the hub never got", hubsync.PathPush, func(body []byte, sig string) ([]byte, string, error) {
				var p hubsync.PushResult
				if err := hubsync.DecodeBody(body, &p); err != nil {
					return nil, "", err
				}
				p.Acked.Seq += 10
				b, err := hubsync.EncodeBody(p)
				return b, sig, err
			}},
			{"an old pull answer for a new pull", hubsync.PathPull, func(body []byte, sig string) ([]byte, string, error) {
				return old.body, old.sig, nil
			}},
		} {
			{
				// Something to push and something to pull.
				k1.credit(p1.ID, 1)
				k2.credit(p2.ID, 1)
				k2.mustSync()
				k1.url = forgingProxy(t, h.url(), c.path, c.forge).URL
				if err := k1.relink(); err != nil {
					t.Fatal(err)
				}
				people, cards := []record.PersonID{p1.ID, p2.ID}, []record.CardUID{card1, card2}
				before := k1.state(people, cards)
				_, err := k1.sync()
				if !errors.Is(err, hubsync.ErrSignature) {
					t.Errorf("%s: sync through the forger: %v, want ErrSignature", c.name, err)
				}
				after := k1.state(people, cards)
				if c.path == hubsync.PathPull {
					// The push went through untouched; nothing of the pull
					// was applied.
					before.Acked, before.ChangesAcked = after.Acked, after.ChangesAcked
				}
				if !reflect.DeepEqual(before, after) {
					t.Errorf("%s: the kiosk applied a forged answer:\nbefore %+v\nafter  %+v", c.name, before, after)
				}
				k1.url = ""
				if err := k1.relink(); err != nil {
					t.Fatal(err)
				}
				k1.mustSync()
				pull := cap1.lastAnswer(hubsync.PathPull)
				old = pull
				if got, want := k1.balance(p2.ID), k2.balance(p2.ID); got != want {
					t.Errorf("%s: after an honest sync K1 has %+v of 李四, K2 %+v", c.name, got, want)
				}
			}
		}
	}

	// A revoked kiosk (hubd kiosk revoke).
	{
		k2.credit(p2.ID, 7)
		hubd(t, h.dir, "kiosk", "revoke", term2)
		held = h.entryCount()
		people, cards := []record.PersonID{p1.ID, p2.ID}, []record.CardUID{card1, card2}
		before := k2.state(people, cards)
		if _, err := k2.sync(); !errors.Is(err, hubsync.ErrRevoked) {
			t.Errorf("a revoked kiosk's sync: %v, want ErrRevoked", err)
		}
		if n := h.entryCount(); n != held {
			t.Errorf("the hub ingested %d entries of a revoked kiosk", n-held)
		}
		if after := k2.state(people, cards); !reflect.DeepEqual(before, after) {
			t.Errorf("a revoked kiosk's ledger changed:\nbefore %+v\nafter  %+v", before, after)
		}
		var revoked bool
		for _, s := range h.status().Kiosks {
			if s.Terminal == term2 {
				revoked = s.Revoked
			}
		}
		if !revoked {
			t.Error("hubd status does not show K2 revoked")
		}
		// The other kiosk syncs on.
		k1.mustSync()
	}

	k1.mustVerify()
	k2.mustVerify()
}

// metaOf reads the signed headers of a request.
func metaOf(t *testing.T, header http.Header) hubsync.Meta {
	t.Helper()
	r, _ := http.NewRequest(http.MethodPost, "http://hub/", nil)
	r.Header = header
	m, err := hubsync.ReadMeta(r)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// forgingProxy is an HTTP proxy in front of the hub that hands the
// answers to path through forge.
func forgingProxy(t *testing.T, hubURL, path string, forge func(body []byte, sig string) ([]byte, string, error)) *httptest.Server {
	t.Helper()
	u, err := url.Parse(hubURL)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.URL.Path != path || resp.StatusCode != http.StatusOK {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		body, sig, err := forge(body, resp.Header.Get(hubsync.HeaderSignature))
		if err != nil {
			return err
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", fmt.Sprint(len(body)))
		resp.Header.Set(hubsync.HeaderSignature, sig)
		return nil
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return srv
}

func mustKey(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, key
}

func now() time.Time { return time.Now() }
