package hubsync_test

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hubsync"
)

// messages is one of each message the protocol decodes, fresh.
func messages() []any {
	return []any{&hubsync.Enroll{}, &hubsync.Enrolled{}, &hubsync.Push{}, &hubsync.PushResult{}, &hubsync.Pull{},
		&hubsync.PullResult{}, &hubsync.Restore{}, &hubsync.Restored{}, &hubsync.Problem{}}
}

func seedMessages(f *testing.F, h ed25519.PrivateKey) [][]byte {
	var out [][]byte
	for _, v := range []any{
		hubsync.Enroll{Token: "tok", Terminal: termA, PublicKey: make([]byte, 32)},
		enrolledFor(hubsync.Enroll{Terminal: termA}, h.Public().(ed25519.PublicKey), "https://hub", hubEpoch),
		samplePush(termA), hubsync.PushResult{Refused: "gap", Fork: true},
		hubsync.Pull{Terminal: termA, Since: 3}, samplePull(h, termA, 3, hubEpoch),
		hubsync.Restore{Token: "r", Terminal: termA}, sampleRestored(h, termA, hubEpoch), hubsync.Problem{Error: "x"},
	} {
		b, err := hubsync.EncodeBody(v)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// decodeEach decodes body into each message type: never a panic; what one
// accepts encodes and decodes again to the same value.
func decodeEach(t *testing.T, body []byte) {
	for _, v := range messages() {
		err := hubsync.DecodeBody(body, v)
		if err != nil {
			if !errors.Is(err, hubsync.ErrMalformed) && !errors.Is(err, hubsync.ErrTooLarge) {
				t.Fatalf("DecodeBody into %T: %v, neither malformed nor too large", v, err)
			}
			continue
		}
		if p, ok := v.(*hubsync.Push); ok {
			// Whatever a push holds, its check answers in the protocol's
			// words.
			if err := p.Check(hubsync.Meta{Terminal: p.Terminal}); err != nil && !errors.Is(err, hubsync.ErrMalformed) && !errors.Is(err, hubsync.ErrTooLarge) {
				t.Fatalf("Push.Check: %v, neither malformed nor too large", err)
			}
		}
		again, err := hubsync.EncodeBody(v)
		if err != nil {
			// A value JSON reads but cannot write (a volunteer kind out of
			// range) is the sender's to refuse, not a crash.
			continue
		}
		v2 := reflect.New(reflect.TypeOf(v).Elem()).Interface()
		if err := hubsync.DecodeBody(again, v2); err != nil {
			t.Fatalf("%T re-encoded does not decode: %v", v, err)
		}
		a, _ := json.Marshal(v)
		b, _ := json.Marshal(v2)
		if !bytes.Equal(a, b) {
			t.Fatalf("%T changed through encode and decode:\n%s\n%s", v, a, b)
		}
	}
}

// FuzzDecodeBody: any bytes as a body, into every message.
func FuzzDecodeBody(f *testing.F) {
	for _, b := range seedMessages(f, seededKey(0xB0)) {
		f.Add(b)
	}
	f.Add([]byte{0x1f, 0x8b})
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, body []byte) { decodeEach(t, body) })
}

// FuzzDecodeJSON: any JSON-ish text, gzip'd as the protocol sends it, into
// every message (past the gzip layer, which FuzzDecodeBody rarely gets
// through).
func FuzzDecodeJSON(f *testing.F) {
	for _, b := range seedMessages(f, seededKey(0xB0)) {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			f.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(plain)
	}
	f.Add([]byte(`{"entries":["AAEC"],"acked":{"Seq":1,"Hash":"zz"}} `))
	f.Add([]byte(`{"people":[{"id":1e300,"kind":"red-vest"}]}`))
	f.Add([]byte(pickupsWire))
	f.Add([]byte(`{"pickups":[{"seq":1,"redemption":"zz","handout":{"operator":"","at":"1969-12-31T23:59:59Z"}}],"pickups_acked":18446744073709551615}`))
	f.Fuzz(func(t *testing.T, plain []byte) { decodeEach(t, gz(t, plain)) })
}

// FuzzReadMeta: any header values. ReadMeta never panics; headers it reads
// are exactly the ones SignRequest writes for what it read, and a request
// signed with them verifies.
func FuzzReadMeta(f *testing.F) {
	f.Add(termA, "2026-03-01T02:07:31.123456789Z", "1", "00112233445566778899aabbccddeeff", "1")
	f.Add("kiosk-01", "1970-01-01T00:01:33Z", "0", "ffeeddccbbaa99887766554433221100", "18446744073709551615")
	f.Add("a b", "2026-03-01T10:07:31+08:00", "true", "00112233445566778899AABBCCDDEEFF", "007")
	f.Add("", "", "", "", "")
	key := seededKey(0x01)
	f.Fuzz(func(t *testing.T, terminal, at, trusted, nonce, counter string) {
		r, _ := http.NewRequest(http.MethodPost, "http://hub"+hubsync.PathPull, nil)
		r.Header.Set(hubsync.HeaderTerminal, terminal)
		r.Header.Set(hubsync.HeaderTime, at)
		r.Header.Set(hubsync.HeaderTrusted, trusted)
		r.Header.Set(hubsync.HeaderNonce, nonce)
		r.Header.Set(hubsync.HeaderCounter, counter)
		m, err := hubsync.ReadMeta(r)
		if err != nil {
			if !errors.Is(err, hubsync.ErrMalformed) {
				t.Fatalf("ReadMeta: %v, not ErrMalformed", err)
			}
			return
		}
		s, _ := http.NewRequest(http.MethodPost, "http://hub"+hubsync.PathPull, nil)
		hubsync.SignRequest(key, s, []byte("body"), m)
		for _, h := range []string{hubsync.HeaderTerminal, hubsync.HeaderTime, hubsync.HeaderTrusted, hubsync.HeaderNonce, hubsync.HeaderCounter} {
			if s.Header.Get(h) != r.Header.Get(h) {
				t.Fatalf("read %s %q, SignRequest writes %q", h, r.Header.Get(h), s.Header.Get(h))
			}
		}
		m2, err := hubsync.ReadMeta(s)
		if err != nil || m2 != m {
			t.Fatalf("ReadMeta of SignRequest's headers: %+v, %v; want %+v", m2, err, m)
		}
		if err := hubsync.VerifyRequest(key.Public().(ed25519.PublicKey), s, []byte("body"), m2, m.Time); err != nil {
			t.Fatalf("VerifyRequest of a request just signed: %v", err)
		}
		if err := hubsync.VerifyRequest(key.Public().(ed25519.PublicKey), s, []byte("bodY"), m2, m.Time); !errors.Is(err, hubsync.ErrSignature) {
			t.Fatalf("VerifyRequest of another body: %v", err)
		}
	})
}

// FuzzVerifyAnswer: the kiosk's reading of an answer the hub signed
// (status, body) for a request, shown what arrived (gotStatus, gotBody).
// It never panics; it never accepts what differs from what was signed; it
// accepts what was signed when that decodes.
func FuzzVerifyAnswer(f *testing.F) {
	h := seededKey(0xB0)
	pub := h.Public().(ed25519.PublicKey)
	for _, b := range seedMessages(f, h) {
		f.Add(200, b, 200, b, false)
		flipped := bytes.Clone(b)
		flipped[len(flipped)/2] ^= 0x40
		f.Add(200, b, 200, flipped, false)
		f.Add(200, b, 200, b[:len(b)-1], true)
		f.Add(409, b, 200, b, false)
	}
	m := hubsync.Meta{Terminal: termA, Nonce: "00112233445566778899aabbccddeeff", Time: time.Unix(0, 0), Counter: 9}
	f.Fuzz(func(t *testing.T, status int, body []byte, gotStatus int, gotBody []byte, otherNonce bool) {
		sig := hubsync.SignAnswer(h, status, body, m)
		req := m
		if otherNonce {
			req.Nonce = "ffeeddccbbaa99887766554433221100"
		}
		same := status == gotStatus && bytes.Equal(body, gotBody) && !otherNonce
		_, err := hubsync.ReadAnswer[hubsync.PullResult](pub, gotStatus, sig, gotBody, req, nil)
		if !same && !errors.Is(err, hubsync.ErrSignature) {
			t.Fatalf("an answer that differs from the signed one: %v; want ErrSignature", err)
		}
		if same && errors.Is(err, hubsync.ErrSignature) {
			t.Fatalf("the signed answer refused: %v", err)
		}
		if same && status != 200 {
			var he *hubsync.HubError
			if !errors.As(err, &he) || he.Status != status {
				t.Fatalf("a signed refusal read as %v", err)
			}
		}
		// An enrollment: its body carries the key. Signed by the hub, it
		// passes only as signed; whatever key a changed body carries, it
		// does not pass.
		_, err = hubsync.ReadAnswer(nil, gotStatus, sig, gotBody, req, func(a *hubsync.Enrolled) ed25519.PublicKey { return a.HubKey })
		if !same && gotStatus == 200 && err == nil {
			t.Fatal("a changed enrollment answer accepted")
		}
		if same && status == 200 && err == nil {
			var e hubsync.Enrolled
			hubsync.DecodeBody(body, &e)
			if !bytes.Equal(e.HubKey, pub) {
				t.Fatal("an enrollment accepted with a key that did not sign it")
			}
		}
	})
}
