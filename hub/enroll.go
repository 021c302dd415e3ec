package hub

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hongmajia/hongmajia/hubsync"
)

// maxID bounds a center id or a terminal id.
const maxID = 64

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newToken is 160 random bits in base32, lower case: 32 characters a
// technician pastes.
func newToken() string {
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("hub: crypto/rand: " + err.Error())
	}
	return strings.ToLower(tokenEncoding.EncodeToString(b[:]))
}

// HashToken is what the store keeps of a token.
func HashToken(token string) TokenHash {
	return sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(token))))
}

func validID(s string) bool {
	if s == "" || len(s) > maxID || !utf8.ValidString(s) {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f })
}

// AddCenter adds a center to the district.
func (h *Hub) AddCenter(ctx context.Context, id, name string) error {
	id, name = strings.TrimSpace(id), strings.TrimSpace(name)
	if !validID(id) {
		return fmt.Errorf("add center: id %q: 1 to %d characters, no spaces", id, maxID)
	}
	if name == "" {
		return errors.New("add center: a name is required")
	}
	return h.store.Update(ctx, func(tx Tx) error {
		if err := tx.AddCenter(Center{ID: id, Name: name, Created: h.now()}); err != nil {
			return fmt.Errorf("add center %s: %w", id, err)
		}
		return nil
	})
}

// Centers lists the district's centers.
func (h *Hub) Centers(ctx context.Context) ([]Center, error) {
	var out []Center
	err := h.store.View(ctx, func(r Reader) (err error) {
		out, err = r.Centers()
		return err
	})
	return out, err
}

// IssueToken makes a one-time enrollment token for a kiosk of center, good
// for ttl. The token is returned once; the store keeps its hash.
func (h *Hub) IssueToken(ctx context.Context, center string, ttl time.Duration) (string, time.Time, error) {
	if ttl <= 0 {
		return "", time.Time{}, fmt.Errorf("issue token: ttl %s: must be positive", ttl)
	}
	tok, now := newToken(), h.now()
	exp := now.Add(ttl)
	err := h.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.Center(center); err != nil {
			return fmt.Errorf("issue token: center %s: %w", center, err)
		}
		return tx.PutToken(Token{Hash: HashToken(tok), Kind: TokenEnroll, Center: center, Created: now, Expires: exp})
	})
	if err != nil {
		return "", time.Time{}, err
	}
	h.log.Info("enrollment token issued", "center", center, "expires", exp)
	return tok, exp, nil
}

// RestoreToken makes a district administrator's one-time token to restore
// terminal's entries onto a new SD card (the kiosk enrolls again with an
// enrollment token under the same terminal id, then restores).
func (h *Hub) RestoreToken(ctx context.Context, terminal string, ttl time.Duration) (string, time.Time, error) {
	if ttl <= 0 {
		return "", time.Time{}, fmt.Errorf("restore token: ttl %s: must be positive", ttl)
	}
	tok, now := newToken(), h.now()
	exp := now.Add(ttl)
	err := h.store.Update(ctx, func(tx Tx) error {
		k, err := tx.Kiosk(terminal)
		if err != nil {
			return fmt.Errorf("restore token: kiosk %s: %w", terminal, err)
		}
		if !k.Revoked.IsZero() {
			return fmt.Errorf("restore token: kiosk %s: %w", terminal, hubsync.ErrRevoked)
		}
		return tx.PutToken(Token{Hash: HashToken(tok), Kind: TokenRestore, Center: k.Center, Terminal: terminal, Created: now, Expires: exp})
	})
	if err != nil {
		return "", time.Time{}, err
	}
	h.log.Info("restore token issued", "terminal", terminal, "expires", exp)
	return tok, exp, nil
}

// Kiosks lists the enrolled kiosks.
func (h *Hub) Kiosks(ctx context.Context) ([]Kiosk, error) {
	var out []Kiosk
	err := h.store.View(ctx, func(r Reader) (err error) {
		out, err = r.Kiosks()
		return err
	})
	return out, err
}

// RevokeKiosk refuses every request of terminal from now on.
func (h *Hub) RevokeKiosk(ctx context.Context, terminal string) error {
	return h.store.Update(ctx, func(tx Tx) error {
		k, err := tx.Kiosk(terminal)
		if err != nil {
			return fmt.Errorf("revoke kiosk %s: %w", terminal, err)
		}
		if !k.Revoked.IsZero() {
			return nil
		}
		k.Revoked = h.now()
		h.log.Info("kiosk revoked", "terminal", terminal)
		return tx.PutKiosk(k)
	})
}

// KioskKey is terminal's public key, to check its requests' signatures:
// hubsync.ErrUnknownTerminal or hubsync.ErrRevoked when it may not sync.
func (h *Hub) KioskKey(ctx context.Context, terminal string) (ed25519.PublicKey, error) {
	var k Kiosk
	err := h.store.View(ctx, func(r Reader) (err error) {
		k, err = r.Kiosk(terminal)
		return err
	})
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, fmt.Errorf("kiosk %s: %w", terminal, hubsync.ErrUnknownTerminal)
	case err != nil:
		return nil, err
	case !k.Revoked.IsZero():
		return nil, fmt.Errorf("kiosk %s: %w", terminal, hubsync.ErrRevoked)
	}
	return k.PublicKey, nil
}

// CheckReplay refuses a request whose counter is not above the last one
// the hub accepted from its terminal, and stores it: of two requests with
// one counter, one passes. The counter is in the signed bytes, so a
// replayed request cannot carry another; this is why the hub keeps no
// nonces (a request's nonce binds its answer to it).
func (h *Hub) CheckReplay(ctx context.Context, m hubsync.Meta) error {
	return h.store.Update(ctx, func(tx Tx) error {
		ok, err := tx.AdvanceCounter(m.Terminal, m.Counter)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("kiosk %s: %w", m.Terminal, hubsync.ErrUnknownTerminal)
		}
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("kiosk %s counter %d: %w", m.Terminal, m.Counter, hubsync.ErrReplay)
		}
		return nil
	})
}

// Enroll registers a kiosk with a one-time token (the server has checked
// the request's signature with req.PublicKey). The same request again
// (its answer was lost) is answered again; a token used by another, an
// expired or an unknown one is hubsync.ErrToken. A terminal enrolled
// already enrolls again (a new SD card, a new key) only while a restore
// token of it is pending, and keeps its anchor: it must restore before it
// can push.
func (h *Hub) Enroll(ctx context.Context, m hubsync.Meta, req hubsync.Enroll) (hubsync.Enrolled, error) {
	if req.Terminal != m.Terminal || !validID(req.Terminal) {
		return hubsync.Enrolled{}, fmt.Errorf("enroll: terminal %q signed as %q: %w", req.Terminal, m.Terminal, hubsync.ErrMalformed)
	}
	if len(req.PublicKey) != ed25519.PublicKeySize {
		return hubsync.Enrolled{}, fmt.Errorf("enroll: public key of %d bytes: %w", len(req.PublicKey), hubsync.ErrMalformed)
	}
	now := h.now()
	var out hubsync.Enrolled
	err := h.store.Update(ctx, func(tx Tx) error {
		tok, err := tx.Token(HashToken(req.Token))
		// A restore token enrolls its own terminal's new SD card too: the
		// technician restoring a kiosk needs one token, not two.
		restoring := err == nil && tok.Kind == TokenRestore && tok.Terminal == req.Terminal
		if errors.Is(err, ErrNotFound) || (err == nil && tok.Kind != TokenEnroll && !restoring) {
			return fmt.Errorf("enroll: unknown token: %w", hubsync.ErrToken)
		}
		if err != nil {
			return err
		}
		center, err := tx.Center(tok.Center)
		if err != nil {
			return fmt.Errorf("enroll: center %s: %w", tok.Center, err)
		}
		old, err := tx.Kiosk(req.Terminal)
		known := err == nil
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		switch {
		case restoring && !known:
			return fmt.Errorf("enroll: unknown token: %w", hubsync.ErrToken)
		case !tok.Used.IsZero():
			if tok.UsedBy == req.Terminal && known && bytes.Equal(old.PublicKey, req.PublicKey) {
				if restoring {
					// A restore resumed on the same new card: its request
					// counter starts again with the process.
					if err := h.reenroll(tx, old, tok, req, m, now); err != nil {
						return err
					}
				}
				break // the answer was lost: answer again
			}
			return fmt.Errorf("enroll: token used already at %s: %w", tok.Used.UTC().Format(time.RFC3339), hubsync.ErrToken)
		case !now.Before(tok.Expires):
			return fmt.Errorf("enroll: token expired at %s: %w", tok.Expires.UTC().Format(time.RFC3339), hubsync.ErrToken)
		case known && !old.Revoked.IsZero():
			return fmt.Errorf("enroll: kiosk %s: %w", req.Terminal, hubsync.ErrRevoked)
		case known:
			if err := h.reenroll(tx, old, tok, req, m, now); err != nil {
				return err
			}
		default:
			k := Kiosk{Terminal: req.Terminal, Center: tok.Center, PublicKey: req.PublicKey, Enrolled: now,
				Head: req.Head, Counter: m.Counter, Version: req.Version, ClockOffset: now.Sub(m.Time)}
			if err := tx.PutKiosk(k); err != nil {
				return err
			}
		}
		if tok.Used.IsZero() {
			tok.Used, tok.UsedBy = now, req.Terminal
			if err := tx.PutToken(tok); err != nil {
				return err
			}
		}
		pol, _, err := tx.Policy()
		if err != nil {
			return err
		}
		out = hubsync.Enrolled{Terminal: req.Terminal, Center: center.ID, CenterName: center.Name,
			HubKey: h.PublicKey(), HubURL: h.opts.URL, Policy: pol, HubTime: now}
		return nil
	})
	if err != nil {
		return hubsync.Enrolled{}, err
	}
	h.log.Info("kiosk enrolled", "terminal", req.Terminal, "center", out.Center, "key", hubsync.Fingerprint(req.PublicKey), "version", req.Version)
	return out, nil
}

// reenroll binds a known terminal to a new key: allowed only while a
// restore token of the terminal is pending, for the terminal's own center.
func (h *Hub) reenroll(tx Tx, old Kiosk, tok Token, req hubsync.Enroll, m hubsync.Meta, now time.Time) error {
	if tok.Center != old.Center {
		return fmt.Errorf("enroll: kiosk %s belongs to center %s, the token is for %s: %w", old.Terminal, old.Center, tok.Center, hubsync.ErrToken)
	}
	pending, err := h.pendingRestore(tx, old.Terminal, now)
	if err != nil {
		return err
	}
	if !pending {
		return fmt.Errorf("enroll: kiosk %s is enrolled already; to restore it on a new SD card a district administrator makes a restore token (hubd kiosk restore-token %s): %w",
			old.Terminal, old.Terminal, hubsync.ErrToken)
	}
	old.PublicKey = req.PublicKey
	old.Counter = m.Counter // the new card counts from its own start
	old.Head = req.Head
	old.Version = req.Version
	old.ClockOffset = now.Sub(m.Time)
	h.log.Info("kiosk enrolled again for a restore", "terminal", old.Terminal)
	return tx.PutKiosk(old)
}

// pendingRestore reports whether terminal has a restore token that is not
// expired and unused (or used by the terminal itself: a restore resumed).
func (h *Hub) pendingRestore(tx Tx, terminal string, now time.Time) (bool, error) {
	toks, err := tx.RestoreTokens(terminal)
	if err != nil {
		return false, err
	}
	for _, t := range toks {
		if now.Before(t.Expires) && (t.Used.IsZero() || t.UsedBy == terminal) {
			return true, nil
		}
	}
	return false, nil
}
