package hubsync

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// The hub's side of a request: ReadSigned (ReadEnroll for an enrollment)
// checks what the protocol says of every request before the hub looks at
// its body; WriteAnswer and WriteProblem sign what the hub answers. The
// hub's HTTP server is these around its own work:
//
//	m, body, err := hubsync.ReadSigned(w, r, hub.KioskKey, hub.CheckReplay, now)
//	if err == nil { err = hubsync.DecodeBody(body, &push) }
//	if err == nil { err = push.Check(m) }
//	if err == nil { res, err = hub.Push(ctx, m, push) }
//	if err != nil { hubsync.WriteProblem(w, key, err, m); return }
//	hubsync.WriteAnswer(w, key, http.StatusOK, res, m)

// KeyLookup finds an enrolled terminal's public key. It fails with an error
// wrapping ErrUnknownTerminal or ErrRevoked when the hub must refuse the
// terminal, and with anything else when it could not look (an answer 500).
type KeyLookup func(ctx context.Context, terminal string) (ed25519.PublicKey, error)

// ReplayCheck refuses (ErrReplay) a request whose counter is not above the
// terminal's last or whose nonce it has seen, and records both; it runs
// only for a request whose signature verified, so a forger cannot spend a
// kiosk's counter.
type ReplayCheck func(ctx context.Context, m Meta) error

// ReadSigned reads and checks a signed request, in the order that costs a
// refused sender least: the body's declared size (413 before reading any of
// it), the headers, the terminal's key, the body (at most MaxBody bytes
// read), the signature and the kiosk's clock (VerifyRequest at now), and
// last the replay check. It returns the body as sent (gzip'd; DecodeBody
// reads it) and decodes nothing. On an error, Meta still holds what the
// answer is signed over (the request's terminal and nonce when they read),
// for WriteProblem.
func ReadSigned(w http.ResponseWriter, r *http.Request, lookup KeyLookup, replay ReplayCheck, now time.Time) (Meta, []byte, error) {
	if r.ContentLength > MaxBody {
		return answerMeta(r), nil, tooLarge(r.ContentLength, MaxBody)
	}
	m, err := ReadMeta(r)
	if err != nil {
		return answerMeta(r), nil, err
	}
	key, err := lookup(r.Context(), m.Terminal)
	if err != nil {
		return m, nil, fmt.Errorf("terminal %s: %w", m.Terminal, err)
	}
	body, err := readBody(w, r, MaxBody)
	if err != nil {
		return m, nil, err
	}
	if err := VerifyRequest(key, r, body, m, now); err != nil {
		return m, nil, err
	}
	if err := replay(r.Context(), m); err != nil {
		return m, nil, err
	}
	return m, body, nil
}

// ReadEnroll reads and checks an enrollment: like ReadSigned, but the key
// that signs it is the one it carries (the hub knows none yet), so the
// body, at most MaxEnrollBody, is decoded first; its terminal must be the
// signed one. The token is the hub's to check, and a used token is what
// stops a replay.
func ReadEnroll(w http.ResponseWriter, r *http.Request, now time.Time) (Meta, Enroll, error) {
	var e Enroll
	if r.ContentLength > MaxEnrollBody {
		return answerMeta(r), e, tooLarge(r.ContentLength, MaxEnrollBody)
	}
	m, err := ReadMeta(r)
	if err != nil {
		return answerMeta(r), e, err
	}
	body, err := readBody(w, r, MaxEnrollBody)
	if err != nil {
		return m, e, err
	}
	if err := decodeBody(body, MaxEnrollBody, MaxEnrollBody, &e); err != nil {
		return m, Enroll{}, err
	}
	if len(e.PublicKey) != ed25519.PublicKeySize {
		return m, Enroll{}, fmt.Errorf("enroll: public key of %d bytes: %w", len(e.PublicKey), ErrMalformed)
	}
	if e.Terminal != m.Terminal {
		return m, Enroll{}, fmt.Errorf("enroll: terminal %q signed as %q: %w", e.Terminal, m.Terminal, ErrMalformed)
	}
	if err := VerifyRequest(e.PublicKey, r, body, m, now); err != nil {
		return m, Enroll{}, err
	}
	return m, e, nil
}

func tooLarge(n, limit int64) error {
	return fmt.Errorf("body of %d bytes, over %d: %w", n, limit, ErrTooLarge)
}

// readBody reads at most limit bytes; beyond, http.MaxBytesReader also
// tells the server to close the connection rather than read the rest.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tl *http.MaxBytesError
	switch {
	case errors.As(err, &tl):
		return nil, fmt.Errorf("body over %d bytes: %w", limit, ErrTooLarge)
	case err != nil:
		return nil, fmt.Errorf("read body: %v: %w", err, ErrMalformed)
	}
	return body, nil
}

// Check refuses a push whose terminal is not the one that signed it, that
// carries more than a batch, or whose pickup rows do not read (CheckPickups).
func (p Push) Check(m Meta) error {
	if p.Terminal != m.Terminal {
		return fmt.Errorf("push for terminal %q signed by %q: %w", p.Terminal, m.Terminal, ErrMalformed)
	}
	if len(p.Entries) > MaxBatch || len(p.Changes) > MaxChanges || len(p.Pickups) > MaxPickups {
		return fmt.Errorf("push of %d entries, %d changes and %d pickups, over %d, %d and %d: %w",
			len(p.Entries), len(p.Changes), len(p.Pickups), MaxBatch, MaxChanges, MaxPickups, ErrTooLarge)
	}
	return p.CheckPickups()
}

// MaxCode is the longest pickup code a push carries (the kiosks give four
// digits).
const MaxCode = 16

// CheckPickups refuses pickup rows out of order (each Seq above the one
// before and above PickupsAcked), a row naming no redemption, a row with
// both or neither of a code and a hand-out, a code that is not a short run
// of digits and capital letters, and a hand-out without its staff card.
func (p Push) CheckPickups() error {
	last := p.PickupsAcked
	for i, pk := range p.Pickups {
		bad := func(why string) error {
			return fmt.Errorf("push: pickup %d (seq %d): %s: %w", i, pk.Seq, why, ErrMalformed)
		}
		switch {
		case pk.Seq <= last:
			return bad(fmt.Sprintf("not after %d", last))
		case pk.Redemption.IsZero():
			return bad("no redemption")
		case (pk.Code == "") == (pk.Handout == nil):
			return bad("a row carries a code or a hand-out")
		case pk.Code != "" && !codeLike(pk.Code):
			return bad(fmt.Sprintf("code %q", pk.Code))
		case pk.Handout != nil && pk.Handout.Operator == "":
			return bad("a hand-out without its staff card")
		}
		last = pk.Seq
	}
	return nil
}

// codeLike reports whether s is 1 to MaxCode digits and capital letters.
func codeLike(s string) bool {
	if len(s) == 0 || len(s) > MaxCode {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// Check refuses a pull whose terminal is not the one that signed it.
func (p Pull) Check(m Meta) error {
	if p.Terminal != m.Terminal {
		return fmt.Errorf("pull for terminal %q signed by %q: %w", p.Terminal, m.Terminal, ErrMalformed)
	}
	return nil
}

// Check refuses a restore whose terminal is not the one that signed it.
func (r Restore) Check(m Meta) error {
	if r.Terminal != m.Terminal {
		return fmt.Errorf("restore of terminal %q signed by %q: %w", r.Terminal, m.Terminal, ErrMalformed)
	}
	return nil
}

// WriteAnswer writes v as the answer to req with status, signed with the
// hub's key. A v that does not encode (a bug: answers are bounded by the
// Max limits) is answered 500 instead, and its error returned for the log.
func WriteAnswer(w http.ResponseWriter, key ed25519.PrivateKey, status int, v any, req Meta) error {
	body, err := EncodeBody(v)
	if err != nil {
		WriteProblem(w, key, fmt.Errorf("answer: %w", err), req)
		return err
	}
	writeSigned(w, key, status, body, req)
	return nil
}

// maxProblem bounds the words of an error answer.
const maxProblem = 1024

// WriteProblem answers req with err's status (Status) and words, signed
// with the hub's key, so the kiosk knows the refusal is the hub's. An
// error the protocol does not name is the hub's own trouble: its words
// stay in the hub's log, the kiosk reads only "hub failed".
func WriteProblem(w http.ResponseWriter, key ed25519.PrivateKey, err error, req Meta) {
	status := Status(err)
	msg := ErrHub.Error()
	if status != http.StatusInternalServerError || errors.Is(err, ErrHub) {
		msg = err.Error()
	}
	if len(msg) > maxProblem {
		msg = msg[:maxProblem]
	}
	body, encErr := EncodeBody(Problem{Error: msg})
	if encErr != nil {
		// A Problem of at most maxProblem bytes always encodes.
		panic("hubsync: encode a problem: " + encErr.Error())
	}
	writeSigned(w, key, status, body, req)
}

func writeSigned(w http.ResponseWriter, key ed25519.PrivateKey, status int, body []byte, req Meta) {
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Content-Encoding", ContentEncoding)
	h.Set("Content-Length", fmt.Sprint(len(body)))
	h.Set(HeaderSignature, SignAnswer(key, status, body, req))
	w.WriteHeader(status)
	// A write error is the kiosk gone: it sees a network error and tries
	// again; nothing here to undo.
	_, _ = io.Copy(w, bytes.NewReader(body))
}
