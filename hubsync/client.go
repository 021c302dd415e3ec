package hubsync

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/clock"
)

// DefaultTimeout bounds one request and its answer when the Client has no
// http.Client of its own: a batch is at most MaxBody, and a Pi on a slow
// line sends it in well under this.
const DefaultTimeout = 2 * time.Minute

var defaultHTTP = &http.Client{Timeout: DefaultTimeout}

// Client is the kiosk's side of the protocol. Each call encodes its
// message, signs it with the kiosk's key, posts it, reads the answer (at
// most MaxBody), checks the hub's signature over the answer and this very
// request, and only then decodes it. An error answer is a *HubError that
// wraps the protocol error of its status; a network failure wraps
// ErrNetwork (Retryable tells a scheduler which to try again). A Client is
// safe for concurrent use if its Counter is.
type Client struct {
	// BaseURL is the hub's address, e.g. "https://hub.example:8443". A
	// reverse proxy in front of the hub must keep the path as it is: the
	// path is signed.
	BaseURL string
	// Terminal is the kiosk's terminal id (ValidTerminal).
	Terminal string
	// Key is the kiosk's private key.
	Key ed25519.PrivateKey
	// HubKey is the hub's public key, learned at enrollment. Enroll needs
	// none; given, Enroll refuses an answer signed by another key.
	HubKey ed25519.PublicKey
	// HTTP sends the requests; nil: a client with DefaultTimeout.
	HTTP *http.Client
	// Counter gives the next request counter: strictly increasing across
	// the kiosk's life, persisted before it is used (the ledger keeps it).
	Counter func(context.Context) (uint64, error)
	// Clock stamps each request; nil: the system clock.
	Clock clock.Clock
	// Trusted says whether the clock is NTP-synced, so that the hub holds
	// the request's time to ClockWindow; nil: never trusted.
	Trusted func() bool
}

// Enroll registers the kiosk with a token and learns the hub's key from
// the answer, which must be signed by it (and be c.HubKey, if set; the
// technician may compare Fingerprint(Enrolled.HubKey) with what the hub
// shows). An empty e.Terminal or e.PublicKey is filled from c. A refusal
// is checked against c.HubKey when set; without one it cannot be, but it
// applies nothing either.
func (c *Client) Enroll(ctx context.Context, e Enroll) (Enrolled, error) {
	if e.Terminal == "" {
		e.Terminal = c.Terminal
	}
	if len(e.PublicKey) == 0 && len(c.Key) == ed25519.PrivateKeySize {
		e.PublicKey = c.Key.Public().(ed25519.PublicKey)
	}
	return call(ctx, c, PathEnroll, e, func(a *Enrolled) ed25519.PublicKey { return a.HubKey })
}

// Push sends registry changes and entries; the answer says what the hub
// holds now.
func (c *Client) Push(ctx context.Context, p Push) (PushResult, error) {
	return call[PushResult](ctx, c, PathPush, p, nil)
}

// Pull fetches the registry's changes since p.Since.
func (c *Client) Pull(ctx context.Context, p Pull) (PullResult, error) {
	return call[PullResult](ctx, c, PathPull, p, nil)
}

// Restore fetches a terminal's entries and registry for a new SD card.
func (c *Client) Restore(ctx context.Context, r Restore) (Restored, error) {
	return call[Restored](ctx, c, PathRestore, r, nil)
}

// call posts in to path and reads the answer as an A. learn, for an
// enrollment, finds the hub's key in the answer.
func call[A any](ctx context.Context, c *Client, path string, in any, learn func(*A) ed25519.PublicKey) (A, error) {
	var zero A
	body, err := EncodeBody(in)
	if err != nil {
		return zero, err
	}
	a, err := post(ctx, c, path, body, learn)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", strings.TrimPrefix(path, "/v1/"), err)
	}
	return a, nil
}

// post sends body, already encoded, to path and reads the answer.
func post[A any](ctx context.Context, c *Client, path string, body []byte, learn func(*A) ed25519.PublicKey) (A, error) {
	var zero A
	if err := c.check(learn != nil); err != nil {
		return zero, err
	}
	n, err := c.Counter(ctx)
	if err != nil {
		return zero, fmt.Errorf("next counter: %w", err)
	}
	clk := c.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	m := Meta{Terminal: c.Terminal, Time: clk.Now(), Trusted: c.Trusted != nil && c.Trusted(), Nonce: NewNonce(), Counter: n}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.BaseURL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return zero, fmt.Errorf("hub address %q: %v: %w", c.BaseURL, err, ErrMalformed)
	}
	req.Header.Set("Content-Type", ContentType)
	req.Header.Set("Content-Encoding", ContentEncoding)
	// Asked for by name, gzip is not undone by the transport on the way
	// in: the signature is over the answer's bytes as the hub sent them.
	req.Header.Set("Accept-Encoding", ContentEncoding)
	SignRequest(c.Key, req, body, m)
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		return zero, fmt.Errorf("%w: %w", ErrNetwork, err)
	}
	defer resp.Body.Close()
	if resp.ContentLength > MaxBody {
		return zero, fmt.Errorf("answer of %d bytes: %w", resp.ContentLength, ErrTooLarge)
	}
	ans, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return zero, fmt.Errorf("%w: read answer: %w", ErrNetwork, err)
	}
	if len(ans) > MaxBody {
		return zero, fmt.Errorf("answer over %d bytes: %w", MaxBody, ErrTooLarge)
	}
	return readAnswer(c.HubKey, resp.StatusCode, resp.Header.Get(HeaderSignature), ans, m, learn)
}

func (c *Client) check(enroll bool) error {
	switch {
	case !ValidTerminal(c.Terminal):
		return fmt.Errorf("client: terminal %q: %w", c.Terminal, ErrMalformed)
	case len(c.Key) != ed25519.PrivateKeySize:
		return errors.New("hubsync: client: no kiosk key")
	case !enroll && len(c.HubKey) != ed25519.PublicKeySize:
		return errors.New("hubsync: client: no hub key (enroll first)")
	case c.Counter == nil:
		return errors.New("hubsync: client: no counter")
	}
	return nil
}

// maxShown bounds the hub's words a HubError carries.
const maxShown = 1024

// readAnswer checks an answer to the request m and decodes it. The hub's
// signature is checked before anything is decoded, except for an
// enrollment's success (learn set), whose body carries the key that signs
// it. Nothing the signature does not cover is returned.
func readAnswer[A any](hubKey ed25519.PublicKey, status int, sig string, body []byte, m Meta, learn func(*A) ed25519.PublicKey) (A, error) {
	var zero, a A
	if sig == "" {
		return zero, fmt.Errorf("%w: answer %d %s without a signature: not the hub", ErrNetwork, status, http.StatusText(status))
	}
	key := hubKey
	if learn != nil && status == http.StatusOK {
		if err := DecodeBody(body, &a); err != nil {
			return zero, err
		}
		learned := learn(&a)
		if len(learned) != ed25519.PublicKeySize {
			return zero, fmt.Errorf("hub key of %d bytes: %w", len(learned), ErrMalformed)
		}
		if hubKey != nil && !bytes.Equal(learned, hubKey) {
			return zero, fmt.Errorf("hub key %s, want %s: %w", Fingerprint(learned), Fingerprint(hubKey), ErrSignature)
		}
		key = learned
	}
	// A refused enrollment with no key to expect cannot be checked; it is
	// only read as a refusal.
	if !(learn != nil && status != http.StatusOK && hubKey == nil) {
		if err := VerifyAnswer(key, status, body, m, sig); err != nil {
			return zero, err
		}
	}
	if status != http.StatusOK {
		var p Problem
		if err := DecodeBody(body, &p); err != nil || p.Error == "" {
			p.Error = "(no reason given)"
		}
		if len(p.Error) > maxShown {
			p.Error = p.Error[:maxShown]
		}
		return zero, &HubError{Status: status, Message: p.Error}
	}
	if learn == nil {
		if err := DecodeBody(body, &a); err != nil {
			return zero, err
		}
	}
	return a, nil
}

// Bundle downloads the release bundle of hex SHA-256 sum the hub offers
// into w, at most limit bytes (beyond: ErrTooLarge), and returns how many
// it wrote. The request is signed like the others (a GET with an empty
// body); the bundle is not: the offer that named its hash came in a signed
// pull answer, and the caller checks the bytes against it. A refusal is a
// signed *HubError (ErrNotOffered for a bundle not offered to this kiosk).
func (c *Client) Bundle(ctx context.Context, sum string, w io.Writer, limit int64) (int64, error) {
	if !ValidSHA256(sum) {
		return 0, fmt.Errorf("bundle %q: %w", sum, ErrMalformed)
	}
	if err := c.check(false); err != nil {
		return 0, err
	}
	n, err := c.Counter(ctx)
	if err != nil {
		return 0, fmt.Errorf("next counter: %w", err)
	}
	clk := c.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	m := Meta{Terminal: c.Terminal, Time: clk.Now(), Trusted: c.Trusted != nil && c.Trusted(), Nonce: NewNonce(), Counter: n}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.BaseURL, "/")+PathBundle+sum, http.NoBody)
	if err != nil {
		return 0, fmt.Errorf("hub address %q: %v: %w", c.BaseURL, err, ErrMalformed)
	}
	// The bundle comes as it is; a refusal gzip'd, not undone by the
	// transport, so its signature checks over the bytes the hub sent.
	req.Header.Set("Accept-Encoding", ContentEncoding)
	SignRequest(c.Key, req, nil, m)
	hc := c.HTTP
	if hc == nil {
		// A bundle of MaxBundle takes longer than a sync's batch.
		hc = &http.Client{Timeout: 30 * time.Minute}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("bundle: %w: %w", ErrNetwork, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		ans, err := io.ReadAll(io.LimitReader(resp.Body, MaxEnrollBody))
		if err != nil {
			return 0, fmt.Errorf("bundle: %w: read answer: %w", ErrNetwork, err)
		}
		_, err = readAnswer[Problem](c.HubKey, resp.StatusCode, resp.Header.Get(HeaderSignature), ans, m, nil)
		return 0, fmt.Errorf("bundle: %w", err)
	}
	if resp.ContentLength > limit {
		return 0, fmt.Errorf("bundle of %d bytes, over %d: %w", resp.ContentLength, limit, ErrTooLarge)
	}
	got, err := io.Copy(w, io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return got, fmt.Errorf("bundle: %w: %w", ErrNetwork, err)
	}
	if got > limit {
		return got, fmt.Errorf("bundle over %d bytes: %w", limit, ErrTooLarge)
	}
	return got, nil
}
