package hub

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

// Pull answers the registry's changes since req.Since: people, cards,
// aliases, the catalog, policy; the activities, stock and staff of the
// kiosk's center; and the district balances that changed, each signed as
// a snapshot as of the kiosk's acknowledged seq. At most MaxPullRows rows;
// More says to pull again from Version.
func (h *Hub) Pull(ctx context.Context, m hubsync.Meta, req hubsync.Pull) (hubsync.PullResult, error) {
	if req.Terminal != m.Terminal {
		return hubsync.PullResult{}, fmt.Errorf("pull: terminal %q signed as %q: %w", req.Terminal, m.Terminal, hubsync.ErrMalformed)
	}
	now := h.now()
	var res hubsync.PullResult
	err := h.store.View(ctx, func(r Reader) error {
		k, err := liveKiosk(r, req.Terminal)
		if err != nil {
			return err
		}
		if res, err = h.pull(r, k, req.Since); err != nil || res.More {
			return err
		}
		// The last answer of a pull offers the kiosk a bundle.
		b, err := offerFor(r, k)
		if b != nil {
			res.Offer = &hubsync.Offer{Version: b.Version, Arch: b.Arch, Size: b.Size, SHA256: b.SHA256}
		}
		return err
	})
	if err != nil {
		return hubsync.PullResult{}, err
	}
	err = h.store.Update(ctx, func(tx Tx) error {
		k, err := liveKiosk(tx, req.Terminal)
		if err != nil {
			return err
		}
		k.Pulled, k.LastSync, k.ClockOffset = req.Since, now, now.Sub(m.Time)
		if res.Offer != nil {
			k.Offered = res.Offer.Version
		}
		if err := tx.PutKiosk(k); err != nil {
			return err
		}
		return tx.ResolveFlags(FlagStale, k.Terminal, "sync", now)
	})
	if err != nil {
		return hubsync.PullResult{}, err
	}
	res.HubTime = now
	return res, nil
}

// liveKiosk is an enrolled kiosk that is not revoked.
func liveKiosk(r Reader, terminal string) (Kiosk, error) {
	k, err := r.Kiosk(terminal)
	if errors.Is(err, ErrNotFound) {
		return k, fmt.Errorf("kiosk %s: %w", terminal, hubsync.ErrUnknownTerminal)
	}
	if err != nil {
		return k, err
	}
	if !k.Revoked.IsZero() {
		return k, fmt.Errorf("kiosk %s: %w", terminal, hubsync.ErrRevoked)
	}
	return k, nil
}

// pull is the answer to kiosk k pulling since, on one snapshot of the
// store.
func (h *Hub) pull(r Reader, k Kiosk, since uint64) (hubsync.PullResult, error) {
	limit := h.pullLimit
	ch, err := r.Since(since, k.Center, limit+1)
	if err != nil {
		return hubsync.PullResult{}, err
	}
	var res hubsync.PullResult
	// Every row has a version of its own: the first limit versions are cut
	// from the rest, and every row up to the cut is in (a list Since
	// shortened has all its rows up to the cut: it returned limit+1).
	cut, more := cutVersion(ch, limit)
	if more {
		res.Version, res.More = cut, true
	} else if res.Version, err = r.Version(); err != nil {
		return hubsync.PullResult{}, err
	}
	if res.Version < since {
		res.Version = since
	}
	keep := func(v uint64) bool { return v <= res.Version }
	for _, p := range ch.People {
		if keep(p.Version) {
			res.People = append(res.People, hubsync.Person{ID: p.ID, MemberNo: p.MemberNo, Name: p.Name, Provisional: p.Provisional,
				Phone: MaskPhone(p.Phone), Community: p.Community, Kind: p.Kind})
		}
	}
	for _, c := range ch.Cards {
		if keep(c.Version) {
			res.Cards = append(res.Cards, hubsync.Card{UID: c.UID, Person: c.Person, State: c.State})
		}
	}
	for _, a := range ch.Aliases {
		if keep(a.Version) {
			res.Aliases = append(res.Aliases, hubsync.Alias{From: a.From, To: a.To})
		}
	}
	for _, a := range ch.Activities {
		if keep(a.Version) {
			res.Activities = append(res.Activities, hubsync.Activity{ID: a.ID, Center: a.Center, Name: a.Name,
				Schedule: a.Schedule, Rules: a.Rules, Active: a.Active, Station: a.Station})
		}
	}
	for _, it := range ch.Items {
		if keep(it.Version) {
			res.Items = append(res.Items, hubsync.Item{ID: it.ID, Name: it.Name, Price: it.Price,
				LimitCount: it.LimitCount, LimitPeriod: it.LimitPeriod, Active: it.Active})
		}
	}
	for _, s := range ch.Staff {
		if keep(s.Version) {
			res.Staff = append(res.Staff, hubsync.Staff{UID: s.UID, Name: s.Name, Role: s.Role, PINHash: s.PINHash, Active: s.Active})
		}
	}
	if ch.Policy != nil && keep(ch.PolicyVersion) {
		p := *ch.Policy
		res.Policy = &p
	}
	for _, s := range ch.Stock {
		if keep(s.Version) {
			st := hubsync.Stock{Center: s.Center, Item: s.Item, Qty: s.Qty, AsOf: k.Anchor.Seq, Version: s.Version}
			st.Sig = ed25519.Sign(h.key, st.SigningBytes(k.Terminal))
			res.Stock = append(res.Stock, st)
		}
	}
	for _, b := range ch.Balances {
		if keep(b.Version) {
			res.Balances = append(res.Balances, h.snapshot(k, b))
		}
	}
	return res, nil
}

// snapshot is b signed for kiosk k: the kiosk's balance of the person is
// it plus the kiosk's own entries after its acknowledged seq.
func (h *Hub) snapshot(k Kiosk, b Balance) hubsync.Snapshot {
	s := hubsync.Snapshot{Person: b.Person, Points: b.Points, Minutes: b.Minutes, AsOf: k.Anchor.Seq, Version: b.Version}
	s.Sig = ed25519.Sign(h.key, s.SigningBytes(k.Terminal))
	return s
}

// cutVersion is the limit-th smallest version of ch's rows, and whether
// ch holds more rows than limit.
func cutVersion(ch Changes, limit int) (uint64, bool) {
	var vs []uint64
	for _, p := range ch.People {
		vs = append(vs, p.Version)
	}
	for _, c := range ch.Cards {
		vs = append(vs, c.Version)
	}
	for _, a := range ch.Aliases {
		vs = append(vs, a.Version)
	}
	for _, a := range ch.Activities {
		vs = append(vs, a.Version)
	}
	for _, it := range ch.Items {
		vs = append(vs, it.Version)
	}
	for _, s := range ch.Stock {
		vs = append(vs, s.Version)
	}
	for _, s := range ch.Staff {
		vs = append(vs, s.Version)
	}
	for _, b := range ch.Balances {
		vs = append(vs, b.Version)
	}
	if ch.Policy != nil {
		vs = append(vs, ch.PolicyVersion)
	}
	if len(vs) <= limit {
		return 0, false
	}
	slices.Sort(vs)
	return vs[limit-1], true
}

// Restore answers a restore of req.Terminal's ledger onto a new SD card,
// authorised by a restore token of the terminal: its entries after
// req.After, at most RestorePage, the terminal's last request counter the
// hub accepted (the restored ledger counts on from it), and with the last
// page (More false) a full pull. The token stays good for the terminal's
// further pages (and a resumed restore) until it expires; no other
// terminal can use it.
func (h *Hub) Restore(ctx context.Context, m hubsync.Meta, req hubsync.Restore) (hubsync.Restored, error) {
	if req.Terminal != m.Terminal {
		return hubsync.Restored{}, fmt.Errorf("restore: terminal %q signed as %q: %w", req.Terminal, m.Terminal, hubsync.ErrMalformed)
	}
	now := h.now()
	err := h.store.Update(ctx, func(tx Tx) error {
		tok, err := tx.Token(HashToken(req.Token))
		switch {
		case errors.Is(err, ErrNotFound) || (err == nil && (tok.Kind != TokenRestore || tok.Terminal != req.Terminal)):
			return fmt.Errorf("restore: unknown token: %w", hubsync.ErrToken)
		case err != nil:
			return err
		case !now.Before(tok.Expires):
			return fmt.Errorf("restore: token expired at %s: %w", tok.Expires.UTC().Format("2006-01-02 15:04Z"), hubsync.ErrToken)
		case !tok.Used.IsZero() && tok.UsedBy != req.Terminal:
			return fmt.Errorf("restore: token used already: %w", hubsync.ErrToken)
		}
		if _, err := liveKiosk(tx, req.Terminal); err != nil {
			return err
		}
		if tok.Used.IsZero() {
			tok.Used, tok.UsedBy = now, req.Terminal
			h.log.Info("restore started", "terminal", req.Terminal)
			return tx.PutToken(tok)
		}
		return nil
	})
	if err != nil {
		return hubsync.Restored{}, err
	}
	var out hubsync.Restored
	err = h.store.View(ctx, func(r Reader) error {
		k, err := liveKiosk(r, req.Terminal)
		if err != nil {
			return err
		}
		es, err := r.Entries(req.Terminal, req.After, h.restorePage)
		if err != nil {
			return err
		}
		out.Entries = make([][]byte, 0, len(es))
		for _, e := range es {
			if e.Seq > k.Anchor.Seq {
				break
			}
			out.Entries = append(out.Entries, e.Raw)
		}
		out.ChangesAcked = k.ChangesAcked
		// The restored ledger counts on from here. The server checked this
		// request's counter (CheckReplay) before, so the kiosk's counter
		// is it or one after it; m.Counter still counts for a caller that
		// did not.
		out.Counter = max(k.Counter, m.Counter)
		if n := len(out.Entries); n == h.restorePage && es[n-1].Seq < k.Anchor.Seq {
			out.More = true
			return nil
		}
		out.Pull, err = h.pull(r, k, 0)
		out.Pull.HubTime = now
		return err
	})
	if err != nil {
		return hubsync.Restored{}, err
	}
	return out, nil
}

// DistrictBalance is person's district balance (through its alias when
// it was merged).
func (h *Hub) DistrictBalance(ctx context.Context, person record.PersonID) (Balance, error) {
	var b Balance
	err := h.store.View(ctx, func(r Reader) error {
		to, err := resolve(r, person)
		if err != nil {
			return err
		}
		b, err = r.Balance(to)
		if errors.Is(err, ErrNotFound) {
			b, err = Balance{Person: to}, nil
		}
		return err
	})
	return b, err
}
