package hubsync

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Request headers. Every request but a health check carries all of them.
const (
	HeaderTerminal  = "Hmj-Terminal"
	HeaderTime      = "Hmj-Time"    // the kiosk's clock, RFC 3339 with nanoseconds
	HeaderTrusted   = "Hmj-Trusted" // "1" when the kiosk's clock is NTP-synced
	HeaderNonce     = "Hmj-Nonce"   // 16 random bytes, hex
	HeaderCounter   = "Hmj-Counter" // strictly increasing per terminal
	HeaderSignature = "Hmj-Signature"
)

// Meta is what a request's headers say about it.
type Meta struct {
	Terminal string
	Time     time.Time
	Trusted  bool
	Nonce    string
	Counter  uint64
}

func (m Meta) requestBytes(method, path string, body []byte) []byte {
	sum := sha256.Sum256(body)
	trusted := "0"
	if m.Trusted {
		trusted = "1"
	}
	return []byte(strings.Join([]string{"hmj-req-v1", method, path, hex.EncodeToString(sum[:]), m.Terminal,
		m.Time.UTC().Format(time.RFC3339Nano), trusted, m.Nonce, strconv.FormatUint(m.Counter, 10)}, "\n"))
}

// NewNonce is 16 random bytes in hex.
func NewNonce() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("hubsync: crypto/rand: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// SignRequest sets m's headers on r and signs method, path, the body's
// hash and m with key. body is what r sends.
func SignRequest(key ed25519.PrivateKey, r *http.Request, body []byte, m Meta) {
	r.Header.Set(HeaderTerminal, m.Terminal)
	r.Header.Set(HeaderTime, m.Time.UTC().Format(time.RFC3339Nano))
	if m.Trusted {
		r.Header.Set(HeaderTrusted, "1")
	} else {
		r.Header.Set(HeaderTrusted, "0")
	}
	r.Header.Set(HeaderNonce, m.Nonce)
	r.Header.Set(HeaderCounter, strconv.FormatUint(m.Counter, 10))
	sig := ed25519.Sign(key, m.requestBytes(r.Method, r.URL.Path, body))
	r.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
}

// ReadMeta reads a request's headers without checking its signature: the
// hub looks the terminal's key up by Meta.Terminal, then calls
// VerifyRequest. Each header must be in the one form SignRequest writes
// (the time in UTC, the counter without leading zeros, the nonce in lower
// case), so the bytes signed are the bytes sent.
func ReadMeta(r *http.Request) (Meta, error) {
	var m Meta
	m.Terminal = r.Header.Get(HeaderTerminal)
	if !ValidTerminal(m.Terminal) {
		return m, fmt.Errorf("%s %q: %w", HeaderTerminal, m.Terminal, ErrMalformed)
	}
	raw := r.Header.Get(HeaderTime)
	t, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return m, fmt.Errorf("%s: %v: %w", HeaderTime, err, ErrMalformed)
	}
	if t.UTC().Format(time.RFC3339Nano) != raw {
		return m, fmt.Errorf("%s %q: not in UTC, RFC 3339: %w", HeaderTime, raw, ErrMalformed)
	}
	m.Time = t.UTC()
	switch r.Header.Get(HeaderTrusted) {
	case "1":
		m.Trusted = true
	case "0":
	default:
		return m, fmt.Errorf("%s: want 0 or 1: %w", HeaderTrusted, ErrMalformed)
	}
	if n := r.Header.Get(HeaderNonce); validNonce(n) {
		m.Nonce = n
	} else {
		return m, fmt.Errorf("%s: want 32 lower-case hex digits: %w", HeaderNonce, ErrMalformed)
	}
	raw = r.Header.Get(HeaderCounter)
	if m.Counter, err = strconv.ParseUint(raw, 10, 64); err != nil || m.Counter == 0 || strconv.FormatUint(m.Counter, 10) != raw {
		return m, fmt.Errorf("%s: want a positive number: %w", HeaderCounter, ErrMalformed)
	}
	return m, nil
}

// ValidTerminal reports whether s may be a terminal id on the wire: 1 to 64
// printable ASCII characters, no space (it is a header, and one line of
// what is signed).
func ValidTerminal(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

func validNonce(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == 16 && hex.EncodeToString(b) == s
}

// answerMeta is what of a request an answer is signed over when its
// headers do not all read: its terminal and nonce if they are well formed
// (so a kiosk of this protocol still verifies the refusal), else nothing.
func answerMeta(r *http.Request) Meta {
	var m Meta
	if t := r.Header.Get(HeaderTerminal); ValidTerminal(t) {
		m.Terminal = t
	}
	if n := r.Header.Get(HeaderNonce); validNonce(n) {
		m.Nonce = n
	}
	return m
}

// VerifyRequest checks r's signature over its method, path, body and m
// with the terminal's key, and, when the kiosk says its clock is trusted,
// that its time is within ClockWindow of now. Replay (the counter, the
// nonce) is the hub's to check against what it stored.
func VerifyRequest(key ed25519.PublicKey, r *http.Request, body []byte, m Meta, now time.Time) error {
	sig, err := base64.StdEncoding.DecodeString(r.Header.Get(HeaderSignature))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return fmt.Errorf("%s: %w", HeaderSignature, ErrSignature)
	}
	if len(key) != ed25519.PublicKeySize || !ed25519.Verify(key, m.requestBytes(r.Method, r.URL.Path, body), sig) {
		return ErrSignature
	}
	if m.Trusted {
		if d := now.Sub(m.Time); d > ClockWindow || d < -ClockWindow {
			return fmt.Errorf("kiosk clock %s, hub clock %s: %w", m.Time.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), ErrClock)
		}
	}
	return nil
}

func answerBytes(status int, body []byte, m Meta) []byte {
	sum := sha256.Sum256(body)
	return []byte(strings.Join([]string{"hmj-ans-v1", strconv.Itoa(status), hex.EncodeToString(sum[:]), m.Terminal, m.Nonce}, "\n"))
}

// SignAnswer is the signature the hub puts in an answer's HeaderSignature:
// over the status, the body's hash, and the request's terminal and nonce,
// so an answer cannot be moved to another request.
func SignAnswer(key ed25519.PrivateKey, status int, body []byte, req Meta) string {
	return base64.StdEncoding.EncodeToString(ed25519.Sign(key, answerBytes(status, body, req)))
}

// VerifyAnswer checks an answer's signature with the hub's key.
func VerifyAnswer(key ed25519.PublicKey, status int, body []byte, req Meta, sig string) error {
	b, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(b) != ed25519.SignatureSize || len(key) != ed25519.PublicKeySize || !ed25519.Verify(key, answerBytes(status, body, req), b) {
		return fmt.Errorf("answer: %w", ErrSignature)
	}
	return nil
}

// SigningBytes is what the hub signs of a snapshot for terminal.
func (s Snapshot) SigningBytes(terminal string) []byte {
	return []byte(strings.Join([]string{"hmj-snap-v1", terminal, strconv.FormatInt(int64(s.Person), 10),
		strconv.FormatInt(s.Points, 10), strconv.FormatInt(s.Minutes, 10), strconv.FormatUint(s.AsOf, 10),
		strconv.FormatUint(s.Version, 10)}, "\n"))
}

// SigningBytes is what the hub signs of a stock for terminal.
func (s Stock) SigningBytes(terminal string) []byte {
	return []byte(strings.Join([]string{"hmj-stock-v1", terminal, s.Center, strconv.FormatInt(int64(s.Item), 10),
		strconv.FormatInt(s.Qty, 10), strconv.FormatUint(s.AsOf, 10), strconv.FormatUint(s.Version, 10)}, "\n"))
}

// Fingerprint is a short, readable form of a public key for a technician
// to compare (the first 8 bytes of its SHA-256, hex, in groups of four).
func Fingerprint(key ed25519.PublicKey) string {
	sum := sha256.Sum256(key)
	h := hex.EncodeToString(sum[:8])
	return h[0:4] + "-" + h[4:8] + "-" + h[8:12] + "-" + h[12:16]
}
