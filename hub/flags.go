package hub

import (
	"context"
	"fmt"
	"time"
)

// FlagKind says what a flag is about.
type FlagKind string

// Flag kinds: what the hub finds that a person must look at.
const (
	// FlagDoubleSpend: a person's district balance went below zero (points
	// redeemed offline at two centers). Subject: the person id.
	FlagDoubleSpend FlagKind = "double-spend"
	// FlagClone: one card used at two centers less than CloneWindow apart.
	// Subject: the card.
	FlagClone FlagKind = "card-clone"
	// FlagLongShift: a check-out credited more minutes than its activity's
	// rules allow. Subject: the shift (its check-in entry id).
	FlagLongShift FlagKind = "long-shift"
	// FlagStale: a kiosk has not synced for Options.StaleAfter. Subject:
	// the terminal.
	FlagStale FlagKind = "not-synced"
	// FlagChain: a push refused for a gap, a broken chain or another
	// terminal's entries. Subject: the terminal.
	FlagChain FlagKind = "chain"
	// FlagFork: a kiosk's ledger is behind or differs from its anchor
	// (rolled back, rewritten). Subject: the terminal.
	FlagFork FlagKind = "fork"
	// FlagWalkIn: a walk-in made at a kiosk waits to be merged with a
	// registration. Subject: the person id.
	FlagWalkIn FlagKind = "walk-in"
	// FlagConflict: a kiosk's registry change lost to a newer one at the
	// hub. Subject: the person or card.
	FlagConflict FlagKind = "conflict"
)

// Flag is something the hub found for a person to read.
type Flag struct {
	ID         int64
	Kind       FlagKind
	Subject    string
	Detail     string
	At         time.Time
	ResolvedBy string
	Resolved   time.Time // zero: open
}

// raise adds a flag unless one of its kind and subject is open.
func (h *Hub) raise(tx Tx, kind FlagKind, subject, detail string) error {
	added, err := tx.AddFlag(Flag{Kind: kind, Subject: subject, Detail: detail, At: h.now()})
	if err != nil {
		return fmt.Errorf("raise flag: %w", err)
	}
	if added {
		h.log.Warn("flag", "kind", string(kind), "subject", subject, "detail", detail)
	}
	return nil
}

// Flags lists the flags, the open ones only unless all. The kiosks that
// have not synced for StaleAfter are flagged first.
func (h *Hub) Flags(ctx context.Context, all bool) ([]Flag, error) {
	if err := h.CheckStale(ctx); err != nil {
		return nil, err
	}
	var out []Flag
	err := h.store.View(ctx, func(r Reader) (err error) {
		out, err = r.Flags(!all)
		return err
	})
	return out, err
}

// CheckStale flags every kiosk, not revoked, whose last sync (or
// enrollment, when it never synced) is older than StaleAfter.
func (h *Hub) CheckStale(ctx context.Context) error {
	now := h.now()
	return h.store.Update(ctx, func(tx Tx) error {
		ks, err := tx.Kiosks()
		if err != nil {
			return err
		}
		for _, k := range ks {
			if !k.Revoked.IsZero() {
				continue
			}
			last, what := k.LastSync, "last synced"
			if last.IsZero() {
				last, what = k.Enrolled, "enrolled, never synced,"
			}
			if age := now.Sub(last); age > h.opts.StaleAfter {
				detail := fmt.Sprintf("kiosk %s of center %s %s %s: %s ago (flagged after %s)",
					k.Terminal, k.Center, what, last.UTC().Format(time.RFC3339), days(age), days(h.opts.StaleAfter))
				if err := h.raise(tx, FlagStale, k.Terminal, detail); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// days writes a duration in days and hours.
func days(d time.Duration) string {
	h := int64(d / time.Hour)
	if h < 48 {
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dd%dh", h/24, h%24)
}
