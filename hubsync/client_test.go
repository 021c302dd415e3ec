package hubsync_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

const termA, termB = "3F9A0B12C4D5E6F7", "0C1D2E3F40516273"

func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g, w) {
		t.Fatalf("%s:\n got %s\nwant %s", what, g, w)
	}
}

func samplePush(terminal string) hubsync.Push {
	return hubsync.Push{Terminal: terminal, Version: "1.9.0", Acked: record.Head{Seq: 40, Hash: record.Hash{1, 2, 3}}, ChangesAcked: 6,
		Changes: []hubsync.Change{{Seq: 7, At: hubEpoch.Add(-time.Hour), Operator: "A1B2C3D4",
			Person: &hubsync.Person{ID: 99, MemberNo: "W-1", Provisional: true, Kind: record.Resident},
			Card:   &hubsync.Card{UID: "04A1B2C3D4E5F6", Person: 99, State: hubsync.CardActive}},
			{Seq: 8, At: hubEpoch.Add(-time.Minute),
				Activity: &hubsync.Activity{ID: 7001, Center: "C-HPL", Name: "助老服务", Schedule: record.Schedule{Start: "08:30", End: "11:30"},
					Rules: record.Rules{PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 10}, MaxMinutes: 240}, Active: true, Station: true},
				Item: &hubsync.Item{ID: 8001, Name: "大米", Price: 80, LimitCount: 2, LimitPeriod: hubsync.PeriodMonth, Active: true},
				Staff: &hubsync.Staff{UID: "5AF00001", Name: "值班员", Role: hubsync.RoleTechnician,
					PINHash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g", Active: true}}},
		Entries:      [][]byte{[]byte("entry 41"), []byte("entry 42")},
		Head:         record.Head{Seq: 42, Hash: record.Hash{9, 9}},
		Registry:     31,
		PickupsAcked: 11,
		Pickups: []hubsync.Pickup{{Seq: 12, Redemption: record.EntryID{0xE4, 1}, Code: "0427"},
			{Seq: 13, Redemption: record.EntryID{0xE3, 2}, Handout: &hubsync.Handout{Operator: "5AF00001", At: hubEpoch.Add(-30 * time.Second), Trusted: true}}}}
}

// TestRoundTrips: every message goes through a real HTTP server built from
// the package's helpers and arrives as it was sent; each answer arrives as
// the hub wrote it (the kiosk's default transport does not undo the gzip
// the signature covers).
func TestRoundTrips(t *testing.T) {
	ctx := context.Background()
	h := newTestHub(t)
	k := newKiosk(termA, 0x01)
	c := k.client(h, nil)
	c.HubKey = nil

	en := hubsync.Enroll{Token: "tok-1", Center: "C-HPL", CenterName: "和平里", Head: record.Head{Seq: 3, Hash: record.Hash{7}}, Version: "1.9.0"}
	got, err := c.Enroll(ctx, en)
	if err != nil {
		t.Fatalf("Enroll: %v", err)
	}
	sameJSON(t, "Enrolled", got, enrolledFor(hubsync.Enroll{Terminal: termA}, h.pub(), h.srv.URL, hubEpoch))
	if hubsync.Fingerprint(got.HubKey) != hubsync.Fingerprint(h.pub()) {
		t.Fatal("enrolled hub key differs from the hub's")
	}
	en.Terminal, en.PublicKey = termA, k.key.Public().(ed25519.PublicKey)
	sameJSON(t, "the hub's Enroll", h.state().enrolled[0], en)

	c.HubKey = got.HubKey
	p := samplePush(termA)
	res, err := c.Push(ctx, p)
	if err != nil {
		t.Fatalf("Push: %v", err)
	}
	sameJSON(t, "the hub's Push", h.state().pushes[0], p)
	sameJSON(t, "PushResult", res, hubsync.PushResult{Acked: record.Head{Seq: 42, Hash: record.Hash{9, 9}}, ChangesAcked: 8, HubTime: hubEpoch, PickupsAcked: 13})

	pr, err := c.Pull(ctx, hubsync.Pull{Terminal: termA, Since: 31})
	if err != nil {
		t.Fatalf("Pull: %v", err)
	}
	sameJSON(t, "the hub's Pull", h.state().pulls[0], hubsync.Pull{Terminal: termA, Since: 31})
	sameJSON(t, "PullResult", pr, samplePull(h.key, termA, 31, hubEpoch))
	if !ed25519.Verify(got.HubKey, pr.Balances[0].SigningBytes(termA), pr.Balances[0].Sig) ||
		!ed25519.Verify(got.HubKey, pr.Stock[0].SigningBytes(termA), pr.Stock[0].Sig) {
		t.Fatal("a pulled snapshot's signature does not verify with the enrolled hub key")
	}

	rq := hubsync.Restore{Token: "restore-1", Terminal: termA, After: 20000}
	rs, err := c.Restore(ctx, rq)
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	sameJSON(t, "the hub's Restore", h.state().restores[0], rq)
	sameJSON(t, "Restored", rs, sampleRestored(h.key, termA, hubEpoch))
}

// TestUntrustedClockSyncs: a kiosk whose clock is not synced enrolls and
// syncs whatever it reads (1970, a year ahead): the window holds only a
// trusted clock, and a trusted clock within it passes.
func TestUntrustedClockSyncs(t *testing.T) {
	ctx := context.Background()
	h := newTestHub(t)
	k := newKiosk(termA, 0x01)
	k.trusted.Store(false)
	k.clock.Set(time.Unix(0, 0).Add(93 * time.Second))
	c := k.client(h, nil)
	c.HubKey = nil
	if _, err := c.Enroll(ctx, hubsync.Enroll{Token: "tok-1"}); err != nil {
		t.Fatalf("enroll in 1970: %v", err)
	}
	c.HubKey = h.pub()
	if _, err := c.Push(ctx, samplePush(termA)); err != nil {
		t.Fatalf("push in 1970: %v", err)
	}
	k.clock.Set(hubEpoch.AddDate(1, 0, 0))
	if _, err := c.Pull(ctx, hubsync.Pull{Terminal: termA}); err != nil {
		t.Fatalf("pull a year ahead: %v", err)
	}
	k.trusted.Store(true)
	for _, off := range []time.Duration{4 * time.Minute, -4 * time.Minute} {
		k.clock.Set(hubEpoch.Add(off))
		if _, err := c.Pull(ctx, hubsync.Pull{Terminal: termA}); err != nil {
			t.Fatalf("pull with a trusted clock %v off: %v", off, err)
		}
	}
	if st := h.state(); len(st.pushes) != 1 || len(st.pulls) != 3 {
		t.Fatalf("hub ingested %d pushes and %d pulls, want 1 and 3", len(st.pushes), len(st.pulls))
	}
}

// recorder is the kiosk's transport in the refusal tests: it may change a
// request after the client signed it (tamper), send it twice and answer
// the second (a replay on the wire), and keeps each answer's status.
type recorder struct {
	base   http.RoundTripper
	tamper func(t *testing.T, r *http.Request)
	twice  bool
	t      *testing.T

	mu       sync.Mutex
	statuses []int
	nonces   []string
}

func (rc *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	rc.mu.Lock()
	rc.nonces = append(rc.nonces, r.Header.Get(hubsync.HeaderNonce))
	rc.mu.Unlock()
	if rc.tamper != nil {
		rc.tamper(rc.t, r)
	}
	if rc.twice {
		b := bodyOf(rc.t, r)
		first := r.Clone(r.Context())
		first.Body = io.NopCloser(bytes.NewReader(b))
		resp, err := rc.base.RoundTrip(first)
		if err != nil {
			return nil, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		rc.status(resp.StatusCode)
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	resp, err := rc.base.RoundTrip(r)
	if err == nil {
		rc.status(resp.StatusCode)
	}
	return resp, err
}

func (rc *recorder) status(s int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.statuses = append(rc.statuses, s)
}

func (rc *recorder) last() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.statuses) == 0 {
		return 0
	}
	return rc.statuses[len(rc.statuses)-1]
}

// bodyOf reads r's body and puts it back.
func bodyOf(t *testing.T, r *http.Request) []byte {
	t.Helper()
	if r.Body == nil {
		return nil
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

func setBody(r *http.Request, b []byte) {
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.ContentLength = int64(len(b))
}

// resign signs r again as its client would, with m's changes applied.
func resign(t *testing.T, r *http.Request, key ed25519.PrivateKey, change func(*hubsync.Meta)) {
	t.Helper()
	m, err := hubsync.ReadMeta(r)
	if err != nil {
		t.Fatal(err)
	}
	change(&m)
	hubsync.SignRequest(key, r, bodyOf(t, r), m)
}

func gz(t testing.TB, plain []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(plain)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// gzipBomb is a small gzip'd body that decompresses past MaxPlain.
var gzipBomb = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	zeros := make([]byte, 1<<20)
	for n := 0; n <= hubsync.MaxPlain; n += len(zeros) {
		zw.Write(zeros)
	}
	zw.Close()
	return b.Bytes()
})

// TestRefusals: each request the hub must refuse is answered with its
// status, signed, so the kiosk reads the reason; nothing of it is
// ingested.
func TestRefusals(t *testing.T) {
	push := func(ctx context.Context, c *hubsync.Client) error {
		_, err := c.Push(ctx, samplePush(c.Terminal))
		return err
	}
	raw := func(body []byte) func(context.Context, *hubsync.Client) error {
		return func(ctx context.Context, c *hubsync.Client) error {
			_, err := hubsync.Post[hubsync.PushResult](ctx, c, hubsync.PathPush, body)
			return err
		}
	}
	enrollWith := func(e hubsync.Enroll) func(context.Context, *hubsync.Client) error {
		return func(ctx context.Context, c *hubsync.Client) error {
			c.HubKey = nil
			_, err := c.Enroll(ctx, e)
			return err
		}
	}
	pushOf := func(p hubsync.Push) []byte {
		b, err := hubsync.EncodeBody(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	big := bytes.Repeat([]byte{'x'}, hubsync.MaxBody+1)

	cases := []struct {
		name string
		// prep enrolls what the case needs (its ingests not counted) and
		// sets up the kiosk; the client sends through rc.
		prep   func(t *testing.T, h *testHub, rc *recorder) *kiosk
		do     func(context.Context, *hubsync.Client) error
		status int   // the hub's answer
		want   error // what the kiosk's client says
		// maxRead bounds the body bytes the hub's handler read (0: not checked).
		maxRead int64
		noRead  bool
	}{
		{name: "unknown terminal", status: 404, want: hubsync.ErrUnknownTerminal, do: push,
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk { return newKiosk("NOBODY", 0x09) }},
		{name: "revoked", status: 410, want: hubsync.ErrRevoked, do: push,
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk {
				k := enrolled(t, h, termA, 0x01, "tok-1")
				h.revoke(termA)
				return k
			}},
		{name: "bad signature", status: 401, want: hubsync.ErrSignature, do: push,
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk {
				rc.tamper = func(t *testing.T, r *http.Request) {
					r.Header.Set(hubsync.HeaderSignature, base64.StdEncoding.EncodeToString(make([]byte, ed25519.SignatureSize)))
				}
				return enrolled(t, h, termA, 0x01, "tok-1")
			}},
		{name: "signature not base64", status: 401, want: hubsync.ErrSignature, do: push,
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk {
				rc.tamper = func(t *testing.T, r *http.Request) { r.Header.Set(hubsync.HeaderSignature, "!!") }
				return enrolled(t, h, termA, 0x01, "tok-1")
			}},
		{name: "body tampered after signing", status: 401, want: hubsync.ErrSignature, do: push,
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk {
				rc.tamper = func(t *testing.T, r *http.Request) {
					p := samplePush(termA)
					p.Entries = append(p.Entries, []byte("forged"))
					setBody(r, pushOf(p))
				}
				return enrolled(t, h, termA, 0x01, "tok-1")
			}},
		{name: "one bit of the body flipped", status: 401, want: hubsync.ErrSignature, do: push,
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk {
				rc.tamper = func(t *testing.T, r *http.Request) {
					b := bodyOf(t, r)
					b[len(b)/2] ^= 1
					setBody(r, b)
				}
				return enrolled(t, h, termA, 0x01, "tok-1")
			}},
		{name: "signed by another kiosk's key", status: 401, want: hubsync.ErrSignature, do: push,
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk {
				enrolled(t, h, termA, 0x01, "tok-1")
				b := enrolled(t, h, termB, 0x02, "tok-2")
				return &kiosk{terminal: termA, key: b.key, clock: b.clock}
			}},
		{name: "request moved to another endpoint", status: 401, want: hubsync.ErrSignature,
			do: func(ctx context.Context, c *hubsync.Client) error {
				_, err := c.Pull(ctx, hubsync.Pull{Terminal: c.Terminal})
				return err
			},
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk {
				rc.tamper = func(t *testing.T, r *http.Request) { r.URL.Path = hubsync.PathPush }
				return enrolled(t, h, termA, 0x01, "tok-1")
			}},
		{name: "counter gone back", status: 409, want: hubsync.ErrReplay, do: push,
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk {
				k := enrolled(t, h, termA, 0x01, "tok-1")
				k.counter.Store(1000)
				if _, err := k.client(h, nil).Pull(context.Background(), hubsync.Pull{Terminal: termA}); err != nil {
					t.Fatal(err)
				}
				k.counter.Store(500)
				return k
			}},
		{name: "nonce used again", status: 409, want: hubsync.ErrSignature, do: push,
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk {
				k := enrolled(t, h, termA, 0x01, "tok-1")
				used := hubsync.NewNonce()
				k.counter.Store(10)
				c := k.client(h, &recorder{base: h.srv.Client().Transport, t: t, tamper: func(t *testing.T, r *http.Request) {
					resign(t, r, k.key, func(m *hubsync.Meta) { m.Nonce = used })
				}})
				// Answered for its own nonce, which is not the client's:
				// refused by the kiosk too, but the hub took it.
				c.Pull(context.Background(), hubsync.Pull{Terminal: termA})
				rc.tamper = func(t *testing.T, r *http.Request) {
					resign(t, r, k.key, func(m *hubsync.Meta) { m.Nonce = used })
				}
				return k
			}},
		{name: "trusted clock 10 minutes ahead", status: 422, want: hubsync.ErrClock, do: push,
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk {
				k := enrolled(t, h, termA, 0x01, "tok-1")
				k.clock.Set(hubEpoch.Add(10 * time.Minute))
				return k
			}},
		{name: "trusted clock in 1970", status: 422, want: hubsync.ErrClock, do: push,
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk {
				k := enrolled(t, h, termA, 0x01, "tok-1")
				k.clock.Set(time.Unix(40, 0))
				return k
			}},
		{name: "body over MaxBody, its length declared", status: 413, want: hubsync.ErrTooLarge, do: raw(big), noRead: true,
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk { return enrolled(t, h, termA, 0x01, "tok-1") }},
		{name: "body over MaxBody, chunked", status: 413, want: hubsync.ErrTooLarge, do: raw(big), maxRead: hubsync.MaxBody + 1,
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk {
				rc.tamper = func(t *testing.T, r *http.Request) {
					r.Body = io.NopCloser(io.MultiReader(r.Body)) // no length: sent chunked
					r.ContentLength = -1
				}
				return enrolled(t, h, termA, 0x01, "tok-1")
			}},
		{name: "gzip bomb", status: 413, want: hubsync.ErrTooLarge, do: raw(gzipBomb()),
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk { return enrolled(t, h, termA, 0x01, "tok-1") }},
		{name: "malformed JSON", status: 400, want: hubsync.ErrMalformed, do: raw(gz(t, []byte(`{"terminal": "3F9A`))),
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk { return enrolled(t, h, termA, 0x01, "tok-1") }},
		{name: "JSON of the wrong shape", status: 400, want: hubsync.ErrMalformed, do: raw(gz(t, []byte(`{"terminal": 7}`))),
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk { return enrolled(t, h, termA, 0x01, "tok-1") }},
		{name: "trailing data", status: 400, want: hubsync.ErrMalformed,
			do:   raw(gz(t, []byte(`{"terminal":"3F9A0B12C4D5E6F7"} {"terminal":"3F9A0B12C4D5E6F7"}`))),
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk { return enrolled(t, h, termA, 0x01, "tok-1") }},
		{name: "trailing bytes after the gzip stream", status: 400, want: hubsync.ErrMalformed,
			do:   raw(append(gz(t, []byte(`{"terminal":"3F9A0B12C4D5E6F7"}`)), "junk"...)),
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk { return enrolled(t, h, termA, 0x01, "tok-1") }},
		{name: "not gzip", status: 400, want: hubsync.ErrMalformed, do: raw([]byte(`{"terminal":"3F9A0B12C4D5E6F7"}`)),
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk { return enrolled(t, h, termA, 0x01, "tok-1") }},
		{name: "push of another kiosk's terminal", status: 400, want: hubsync.ErrMalformed,
			do: func(ctx context.Context, c *hubsync.Client) error {
				_, err := c.Push(ctx, samplePush(termB))
				return err
			},
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk {
				enrolled(t, h, termB, 0x02, "tok-2")
				return enrolled(t, h, termA, 0x01, "tok-1")
			}},
		{name: "push over a batch", status: 413, want: hubsync.ErrTooLarge,
			do: func(ctx context.Context, c *hubsync.Client) error {
				p := samplePush(c.Terminal)
				p.Entries = make([][]byte, hubsync.MaxBatch+1)
				_, err := c.Push(ctx, p)
				return err
			},
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk { return enrolled(t, h, termA, 0x01, "tok-1") }},
		{name: "counter header not canonical", status: 400, want: hubsync.ErrMalformed, do: push,
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk {
				rc.tamper = func(t *testing.T, r *http.Request) {
					r.Header.Set(hubsync.HeaderCounter, "0"+r.Header.Get(hubsync.HeaderCounter))
				}
				return enrolled(t, h, termA, 0x01, "tok-1")
			}},
		{name: "time header not in UTC", status: 400, want: hubsync.ErrMalformed, do: push,
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk {
				rc.tamper = func(t *testing.T, r *http.Request) {
					at, _ := time.Parse(time.RFC3339Nano, r.Header.Get(hubsync.HeaderTime))
					r.Header.Set(hubsync.HeaderTime, at.In(time.FixedZone("CST", 8*3600)).Format(time.RFC3339Nano))
				}
				return enrolled(t, h, termA, 0x01, "tok-1")
			}},
		{name: "no nonce", status: 400, want: hubsync.ErrSignature, do: push, // answered for no nonce: not this request's
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk {
				rc.tamper = func(t *testing.T, r *http.Request) { r.Header.Del(hubsync.HeaderNonce) }
				return enrolled(t, h, termA, 0x01, "tok-1")
			}},
		{name: "enroll with a used token", status: 403, want: hubsync.ErrToken, do: enrollWith(hubsync.Enroll{Token: "tok-1"}),
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk {
				enrolled(t, h, termB, 0x02, "tok-1")
				return newKiosk(termA, 0x01)
			}},
		{name: "enroll with an unknown token", status: 403, want: hubsync.ErrToken, do: enrollWith(hubsync.Enroll{Token: "guess"}),
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk { return newKiosk(termA, 0x01) }},
		{name: "enroll signed by another key than it carries", status: 401, want: hubsync.ErrSignature,
			do:   enrollWith(hubsync.Enroll{Token: "tok-1", PublicKey: seededKey(0x02).Public().(ed25519.PublicKey)}),
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk { return newKiosk(termA, 0x01) }},
		{name: "enroll of another terminal", status: 400, want: hubsync.ErrMalformed,
			do:   enrollWith(hubsync.Enroll{Token: "tok-1", Terminal: termB}),
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk { return newKiosk(termA, 0x01) }},
		{name: "enroll with a short key", status: 400, want: hubsync.ErrMalformed,
			do:   enrollWith(hubsync.Enroll{Token: "tok-1", PublicKey: []byte{1, 2, 3}}),
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk { return newKiosk(termA, 0x01) }},
		{name: "enroll with a trusted clock out of the window", status: 422, want: hubsync.ErrClock,
			do: enrollWith(hubsync.Enroll{Token: "tok-1"}),
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk {
				k := newKiosk(termA, 0x01)
				k.clock.Set(hubEpoch.Add(-time.Hour))
				return k
			}},
		{name: "enroll body over MaxEnrollBody, its length declared", status: 413, want: hubsync.ErrTooLarge, noRead: true,
			do: func(ctx context.Context, c *hubsync.Client) error {
				_, err := hubsync.Post[hubsync.Enrolled](ctx, c, hubsync.PathEnroll, make([]byte, hubsync.MaxEnrollBody+1))
				return err
			},
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk { return enrolled(t, h, termA, 0x01, "tok-1") }},
		{name: "enroll over MaxEnrollBody once decompressed", status: 413, want: hubsync.ErrTooLarge,
			do: func(ctx context.Context, c *hubsync.Client) error {
				e, _ := json.Marshal(hubsync.Enroll{Token: strings.Repeat("t", hubsync.MaxEnrollBody), Terminal: c.Terminal,
					PublicKey: c.Key.Public().(ed25519.PublicKey)})
				_, err := hubsync.Post[hubsync.Enrolled](ctx, c, hubsync.PathEnroll, gz(t, e))
				return err
			},
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk { return enrolled(t, h, termA, 0x01, "tok-1") }},
		{name: "enroll body over MaxEnrollBody, chunked", status: 413, want: hubsync.ErrTooLarge, maxRead: hubsync.MaxEnrollBody + 1,
			do: func(ctx context.Context, c *hubsync.Client) error {
				_, err := hubsync.Post[hubsync.Enrolled](ctx, c, hubsync.PathEnroll, make([]byte, hubsync.MaxEnrollBody+1))
				return err
			},
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk {
				rc.tamper = func(t *testing.T, r *http.Request) {
					r.Body = io.NopCloser(io.MultiReader(r.Body))
					r.ContentLength = -1
				}
				return enrolled(t, h, termA, 0x01, "tok-1")
			}},
		{name: "restore with a bad token", status: 403, want: hubsync.ErrToken,
			do: func(ctx context.Context, c *hubsync.Client) error {
				_, err := c.Restore(ctx, hubsync.Restore{Token: "tok-9", Terminal: c.Terminal})
				return err
			},
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk { return enrolled(t, h, termA, 0x01, "tok-1") }},
		{name: "restore of another terminal", status: 400, want: hubsync.ErrMalformed,
			do: func(ctx context.Context, c *hubsync.Client) error {
				_, err := c.Restore(ctx, hubsync.Restore{Token: "restore-1", Terminal: termB})
				return err
			},
			prep: func(t *testing.T, h *testHub, rc *recorder) *kiosk { return enrolled(t, h, termA, 0x01, "tok-1") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newTestHub(t)
			rc := &recorder{base: h.srv.Client().Transport, t: t}
			k := tc.prep(t, h, rc)
			c := k.client(h, rc)
			before := h.ingested()
			err := tc.do(context.Background(), c)
			if !errors.Is(err, tc.want) {
				t.Fatalf("client: %v; want %v", err, tc.want)
			}
			if got := rc.last(); got != tc.status {
				t.Fatalf("hub answered %d, want %d (client: %v)", got, tc.status, err)
			}
			if got := h.ingested(); got != before {
				t.Fatalf("hub ingested %d messages from a refused request", got-before)
			}
			var he *hubsync.HubError
			if errors.Is(tc.want, hubsync.ErrorOf(tc.status)) && (!errors.As(err, &he) || he.Status != tc.status) {
				t.Fatalf("client: %v; want a HubError of %d", err, tc.status)
			}
			if tc.noRead && h.bodyRead.Load() != 0 {
				t.Fatalf("hub read %d body bytes of a body declared too large", h.bodyRead.Load())
			}
			if tc.maxRead > 0 && h.bodyRead.Load() > tc.maxRead {
				t.Fatalf("hub read %d body bytes, more than %d", h.bodyRead.Load(), tc.maxRead)
			}
			if hubsync.Retryable(err) {
				t.Fatalf("a refusal is retryable: %v", err)
			}
		})
	}
}

// TestReplayedPushIngestedOnce: the exact bytes of a push sent twice are
// ingested once; the copy is refused as a replay.
func TestReplayedPushIngestedOnce(t *testing.T) {
	h := newTestHub(t)
	k := enrolled(t, h, termA, 0x01, "tok-1")
	rc := &recorder{base: h.srv.Client().Transport, t: t, twice: true}
	_, err := k.client(h, rc).Push(context.Background(), samplePush(termA))
	if !errors.Is(err, hubsync.ErrReplay) {
		t.Fatalf("second copy: %v; want ErrReplay", err)
	}
	if len(rc.statuses) != 2 || rc.statuses[0] != 200 || rc.statuses[1] != 409 {
		t.Fatalf("hub answered %v, want [200 409]", rc.statuses)
	}
	if n := len(h.state().pushes); n != 1 {
		t.Fatalf("hub ingested %d pushes, want 1", n)
	}
}

// answering is a transport that answers every request itself, as a hub
// with key would (nil key: unsigned), with status and body.
func answering(key ed25519.PrivateKey, status int, body []byte) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Body != nil {
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
		}
		h := http.Header{}
		if key != nil {
			m := hubsync.Meta{Terminal: r.Header.Get(hubsync.HeaderTerminal), Nonce: r.Header.Get(hubsync.HeaderNonce)}
			h.Set(hubsync.HeaderSignature, hubsync.SignAnswer(key, status, body, m))
		}
		return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(bytes.NewReader(body)),
			ContentLength: int64(len(body)), Request: r}, nil
	})
}

// TestClientRefusesAnswers: the kiosk applies nothing the hub did not sign
// for this very request, nothing larger than the limits, and tells a
// network failure (retry) from a refusal.
func TestClientRefusesAnswers(t *testing.T) {
	ctx := context.Background()
	pull := func(c *hubsync.Client) (hubsync.PullResult, error) {
		return c.Pull(ctx, hubsync.Pull{Terminal: c.Terminal})
	}
	okBody := func(t *testing.T, h *testHub) []byte {
		b, err := hubsync.EncodeBody(samplePull(h.key, termA, 0, hubEpoch))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	t.Run("forged answer", func(t *testing.T) {
		h, forger := newTestHub(t), newTestHubKey(t, seededKey(0xEE))
		k := enrolled(t, forger, termA, 0x01, "tok-1")
		c := k.client(forger, nil)
		c.HubKey = h.pub()
		got, err := pull(c)
		if !errors.Is(err, hubsync.ErrSignature) || !isZero(got) {
			t.Fatalf("pull answered by another key: %+v, %v; want nothing and ErrSignature", got, err)
		}
		// A refusal in the other key's name is no refusal either.
		c.Terminal = "NOBODY"
		if _, err := pull(c); !errors.Is(err, hubsync.ErrSignature) || errors.Is(err, hubsync.ErrUnknownTerminal) {
			t.Fatalf("refusal signed by another key: %v; want ErrSignature only", err)
		}
	})

	t.Run("answer moved from another request", func(t *testing.T) {
		h := newTestHub(t)
		k := enrolled(t, h, termA, 0x01, "tok-1")
		var (
			mu    sync.Mutex
			saved *http.Response
			body  []byte
		)
		base := h.srv.Client().Transport
		c := k.client(h, roundTripFunc(func(r *http.Request) (*http.Response, error) {
			resp, err := base.RoundTrip(r)
			if err != nil {
				return nil, err
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			if saved == nil {
				saved, body = resp, b
			}
			// Every request gets the first request's answer.
			out := *saved
			out.Body = io.NopCloser(bytes.NewReader(body))
			return &out, nil
		}))
		if _, err := pull(c); err != nil {
			t.Fatalf("first pull: %v", err)
		}
		got, err := pull(c)
		if !errors.Is(err, hubsync.ErrSignature) || !isZero(got) {
			t.Fatalf("second pull given the first's answer: %v; want ErrSignature", err)
		}
		// Nor from another kiosk's request of the same nonce.
		other := hubsync.Meta{Terminal: termB, Nonce: hubsync.NewNonce()}
		ans := okBody(t, h)
		_, err = hubsync.ReadAnswer[hubsync.PullResult](h.pub(), 200, hubsync.SignAnswer(h.key, 200, ans, other), ans,
			hubsync.Meta{Terminal: termA, Nonce: other.Nonce}, nil)
		if !errors.Is(err, hubsync.ErrSignature) {
			t.Fatalf("answer to another terminal: %v; want ErrSignature", err)
		}
	})

	t.Run("status changed on the way", func(t *testing.T) {
		h := newTestHub(t)
		k := enrolled(t, h, termA, 0x01, "tok-1")
		base := h.srv.Client().Transport
		h.setFail(hubsync.ErrFork)
		c := k.client(h, roundTripFunc(func(r *http.Request) (*http.Response, error) {
			resp, err := base.RoundTrip(r)
			if err == nil {
				resp.StatusCode = 200 // a refusal passed off as an answer
			}
			return resp, err
		}))
		if got, err := pull(c); !errors.Is(err, hubsync.ErrSignature) || !isZero(got) {
			t.Fatalf("refusal relabelled 200: %v; want ErrSignature", err)
		}
	})

	t.Run("truncated answer, connection cut", func(t *testing.T) {
		h := newTestHub(t)
		k := enrolled(t, h, termA, 0x01, "tok-1")
		cut := newCuttingServer(t, h)
		c := k.client(h, nil)
		c.BaseURL = cut
		got, err := pull(c)
		if !errors.Is(err, hubsync.ErrNetwork) || !hubsync.Retryable(err) || !isZero(got) {
			t.Fatalf("answer cut mid-body: %v; want a retryable ErrNetwork", err)
		}
	})

	t.Run("truncated answer, cleanly ended", func(t *testing.T) {
		h := newTestHub(t)
		k := enrolled(t, h, termA, 0x01, "tok-1")
		base := h.srv.Client().Transport
		c := k.client(h, roundTripFunc(func(r *http.Request) (*http.Response, error) {
			resp, err := base.RoundTrip(r)
			if err != nil {
				return nil, err
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			resp.Body = io.NopCloser(bytes.NewReader(b[:len(b)/2]))
			resp.ContentLength = int64(len(b) / 2)
			return resp, nil
		}))
		if got, err := pull(c); !errors.Is(err, hubsync.ErrSignature) || !isZero(got) {
			t.Fatalf("half an answer: %v; want ErrSignature", err)
		}
	})

	t.Run("unsigned answer", func(t *testing.T) {
		h := newTestHub(t)
		k := enrolled(t, h, termA, 0x01, "tok-1")
		c := k.client(h, answering(nil, http.StatusBadGateway, []byte("<html>502 Bad Gateway</html>")))
		if _, err := pull(c); !errors.Is(err, hubsync.ErrNetwork) || !hubsync.Retryable(err) {
			t.Fatalf("a proxy's 502: %v; want a retryable ErrNetwork", err)
		}
		c = k.client(h, answering(nil, http.StatusOK, okBody(t, h)))
		if got, err := pull(c); !errors.Is(err, hubsync.ErrNetwork) || !isZero(got) {
			t.Fatalf("an unsigned 200: %v; want nothing applied", err)
		}
	})

	t.Run("answer over MaxBody", func(t *testing.T) {
		h := newTestHub(t)
		k := enrolled(t, h, termA, 0x01, "tok-1")
		big := bytes.Repeat([]byte{'x'}, hubsync.MaxBody+1)
		c := k.client(h, answering(h.key, 200, big))
		if _, err := pull(c); !errors.Is(err, hubsync.ErrTooLarge) {
			t.Fatalf("answer declared over MaxBody: %v; want ErrTooLarge", err)
		}
		var read atomic.Int64
		c = k.client(h, roundTripFunc(func(r *http.Request) (*http.Response, error) {
			resp, _ := answering(h.key, 200, append(big, make([]byte, 1<<20)...)).RoundTrip(r)
			resp.ContentLength = -1
			resp.Body = &countingReader{r: resp.Body, n: &read}
			return resp, nil
		}))
		if _, err := pull(c); !errors.Is(err, hubsync.ErrTooLarge) {
			t.Fatalf("answer over MaxBody, undeclared: %v; want ErrTooLarge", err)
		}
		if read.Load() > hubsync.MaxBody+1 {
			t.Fatalf("client read %d bytes of an answer over MaxBody", read.Load())
		}
	})

	t.Run("gzip bomb answer", func(t *testing.T) {
		h := newTestHub(t)
		k := enrolled(t, h, termA, 0x01, "tok-1")
		c := k.client(h, answering(h.key, 200, gzipBomb()))
		if got, err := pull(c); !errors.Is(err, hubsync.ErrTooLarge) || !isZero(got) {
			t.Fatalf("signed gzip bomb: %v; want ErrTooLarge", err)
		}
	})

	t.Run("signed answers that do not decode", func(t *testing.T) {
		h := newTestHub(t)
		k := enrolled(t, h, termA, 0x01, "tok-1")
		for _, body := range [][]byte{gz(t, []byte(`{"version": "x"}`)), gz(t, []byte(`{} {}`)), []byte("plain")} {
			c := k.client(h, answering(h.key, 200, body))
			if _, err := pull(c); !errors.Is(err, hubsync.ErrMalformed) {
				t.Fatalf("answer %q: %v; want ErrMalformed", body, err)
			}
		}
	})

	t.Run("hub unreachable", func(t *testing.T) {
		h := newTestHub(t)
		k := enrolled(t, h, termA, 0x01, "tok-1")
		c := k.client(h, nil)
		h.srv.Close()
		if _, err := pull(c); !errors.Is(err, hubsync.ErrNetwork) || !hubsync.Retryable(err) {
			t.Fatalf("hub closed: %v; want a retryable ErrNetwork", err)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := c.Pull(cctx, hubsync.Pull{Terminal: termA}); !errors.Is(err, context.Canceled) || !errors.Is(err, hubsync.ErrNetwork) {
			t.Fatalf("cancelled: %v; want context.Canceled", err)
		}
	})

	t.Run("hub failed", func(t *testing.T) {
		h := newTestHub(t)
		k := enrolled(t, h, termA, 0x01, "tok-1")
		h.setFail(errors.New("sqlitestore: database disk image is malformed at /srv/hub/hub.db"))
		_, err := pull(k.client(h, nil))
		var he *hubsync.HubError
		if !errors.Is(err, hubsync.ErrHub) || !hubsync.Retryable(err) || !errors.As(err, &he) || he.Status != 500 {
			t.Fatalf("hub's own error: %v; want a retryable HubError 500", err)
		}
		if strings.Contains(err.Error(), "/srv/hub") {
			t.Fatalf("the hub's internal words reached the kiosk: %v", err)
		}
	})

	t.Run("counter fails", func(t *testing.T) {
		h := newTestHub(t)
		k := enrolled(t, h, termA, 0x01, "tok-1")
		c := k.client(h, nil)
		full := errors.New("disk full")
		c.Counter = func(context.Context) (uint64, error) { return 0, full }
		n := h.requests.Load()
		if _, err := pull(c); !errors.Is(err, full) {
			t.Fatalf("counter failed: %v; want its error", err)
		}
		if h.requests.Load() != n {
			t.Fatal("a request went out without a counter")
		}
	})

	t.Run("no hub key", func(t *testing.T) {
		h := newTestHub(t)
		k := enrolled(t, h, termA, 0x01, "tok-1")
		c := k.client(h, nil)
		c.HubKey = nil
		n := h.requests.Load()
		if _, err := pull(c); err == nil {
			t.Fatal("pull without a hub key went ahead")
		}
		if h.requests.Load() != n {
			t.Fatal("a request went out without a hub key to check the answer")
		}
	})

	t.Run("enrollment answered by another key than expected", func(t *testing.T) {
		h := newTestHub(t)
		k := newKiosk(termA, 0x01)
		c := k.client(h, nil)
		c.HubKey = seededKey(0xEE).Public().(ed25519.PublicKey)
		got, err := c.Enroll(ctx, hubsync.Enroll{Token: "tok-1"})
		if !errors.Is(err, hubsync.ErrSignature) || !isZero(got) {
			t.Fatalf("enrolled by another hub than expected: %+v, %v; want ErrSignature", got, err)
		}
		c.HubKey = h.pub()
		if _, err := c.Enroll(ctx, hubsync.Enroll{Token: "tok-1"}); !errors.Is(err, hubsync.ErrToken) {
			t.Fatalf("the token used above, the hub's key expected: %v; want a checked ErrToken", err)
		}
	})

	t.Run("enrollment answer signed by another key than it carries", func(t *testing.T) {
		h := newTestHub(t)
		k := newKiosk(termA, 0x01)
		body, err := hubsync.EncodeBody(enrolledFor(hubsync.Enroll{Terminal: termA}, h.pub(), h.srv.URL, hubEpoch))
		if err != nil {
			t.Fatal(err)
		}
		c := k.client(h, answering(seededKey(0xEE), 200, body))
		c.HubKey = nil
		if got, err := c.Enroll(ctx, hubsync.Enroll{Token: "tok-1"}); !errors.Is(err, hubsync.ErrSignature) || !isZero(got) {
			t.Fatalf("enrollment answer not signed by its key: %v; want ErrSignature", err)
		}
		short := enrolledFor(hubsync.Enroll{Terminal: termA}, []byte{1, 2, 3}, h.srv.URL, hubEpoch)
		if body, err = hubsync.EncodeBody(short); err != nil {
			t.Fatal(err)
		}
		c = k.client(h, answering(h.key, 200, body))
		c.HubKey = nil
		if _, err := c.Enroll(ctx, hubsync.Enroll{Token: "tok-1"}); !errors.Is(err, hubsync.ErrMalformed) {
			t.Fatalf("enrollment answer with a 3-byte key: %v; want ErrMalformed", err)
		}
	})
}

func isZero[T any](v T) bool {
	var zero T
	a, _ := json.Marshal(v)
	b, _ := json.Marshal(zero)
	return bytes.Equal(a, b)
}
