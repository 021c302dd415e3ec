package hub

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

// refusal is why a push is refused: nothing of it is stored, the kiosk is
// told why, and a flag is raised.
type refusal struct {
	kind   FlagKind // FlagChain or FlagFork
	reason string
}

// Push ingests a kiosk's registry changes and entries. The entries must
// continue the terminal's chain from what the kiosk holds the hub
// acknowledged (p.Acked); those the hub holds already must be the ones it
// holds (else the kiosk's ledger forked), the others are stored once. A
// refused push stores nothing but its flag and answers why; the answer's
// Acked is always the highest contiguous entry the hub holds.
func (h *Hub) Push(ctx context.Context, m hubsync.Meta, p hubsync.Push) (hubsync.PushResult, error) {
	if p.Terminal != m.Terminal {
		return hubsync.PushResult{}, fmt.Errorf("push: terminal %q signed as %q: %w", p.Terminal, m.Terminal, hubsync.ErrMalformed)
	}
	if len(p.Entries) > hubsync.MaxBatch || len(p.Changes) > hubsync.MaxChanges || len(p.Pickups) > hubsync.MaxPickups {
		return hubsync.PushResult{}, fmt.Errorf("push: %d entries, %d changes and %d pickups, at most %d, %d and %d: %w",
			len(p.Entries), len(p.Changes), len(p.Pickups), hubsync.MaxBatch, hubsync.MaxChanges, hubsync.MaxPickups, hubsync.ErrTooLarge)
	}
	if err := p.CheckPickups(); err != nil {
		return hubsync.PushResult{}, err
	}
	entries, batchRef, err := decodeBatch(p)
	if err != nil {
		return hubsync.PushResult{}, err
	}
	for i := 1; i < len(p.Changes); i++ {
		if p.Changes[i].Seq != p.Changes[i-1].Seq+1 {
			return hubsync.PushResult{}, fmt.Errorf("push: change seq %d after %d: %w", p.Changes[i].Seq, p.Changes[i-1].Seq, hubsync.ErrMalformed)
		}
	}
	now := h.now()
	offset := now.Sub(m.Time)
	var res hubsync.PushResult
	var center string // the kiosk's, and the entries it stored new
	var stored int
	// In turn when it has entries to store (see InTurn); one that only
	// reports a head or pickups runs beside the others.
	update := h.store.Update
	if len(entries) > 0 {
		update = func(ctx context.Context, fn func(Tx) error) error { return updateInTurn(ctx, h.store, fn) }
	}
	err = update(ctx, func(tx Tx) error {
		res, center, stored = hubsync.PushResult{HubTime: now}, "", 0
		// What a run before this one (rolled back: see Store.Update)
		// found of the hub's rows is no guide: only the batch's own
		// refusal stands.
		ref := batchRef
		k, err := tx.Kiosk(p.Terminal)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("push: kiosk %s: %w", p.Terminal, hubsync.ErrUnknownTerminal)
		}
		if err != nil {
			return err
		}
		if !k.Revoked.IsZero() {
			return fmt.Errorf("push: kiosk %s: %w", p.Terminal, hubsync.ErrRevoked)
		}
		k.ClockOffset = offset
		if ref == nil {
			if ref, err = checkAnchor(tx, k, p, entries); err != nil {
				return err
			}
		}
		if ref == nil {
			ref = checkChanges(k, p.Changes)
		}
		if ref != nil {
			res.Acked, res.ChangesAcked, res.PickupsAcked = k.Anchor, k.ChangesAcked, p.PickupsAcked
			res.Refused, res.Fork = ref.reason, ref.kind == FlagFork
			k.Refusal, k.Fork = ref.reason, res.Fork
			if err := tx.PutKiosk(k); err != nil {
				return err
			}
			return h.raise(tx, ref.kind, k.Terminal, fmt.Sprintf("kiosk %s of center %s: %s", k.Terminal, k.Center, ref.reason))
		}
		if err := heldRegistry(tx, &k, p.Registry); err != nil {
			return err
		}
		in := newIngest(h, tx, &k, now, offset)
		for _, c := range p.Changes {
			if c.Seq <= k.ChangesAcked {
				continue
			}
			if err := in.change(c); err != nil {
				return err
			}
			k.ChangesAcked = c.Seq
		}
		fresh := entries
		for len(fresh) > 0 && fresh[0].Seq <= k.Anchor.Seq {
			fresh = fresh[1:]
		}
		if err := in.prepare(fresh); err != nil {
			return err
		}
		if err := in.add(fresh); err != nil {
			return err
		}
		for i := range fresh {
			if err := in.entry(&fresh[i]); err != nil {
				return err
			}
			k.Anchor = record.Head{Seq: fresh[i].Seq, Hash: fresh[i].Hash}
		}
		if err := in.finish(); err != nil {
			return err
		}
		if err := in.pickups(p.Pickups); err != nil {
			return err
		}
		if p.Head.Seq >= k.Anchor.Seq {
			k.Head = p.Head
		}
		k.LastSync, k.Version, k.Refusal, k.Fork = now, p.Version, "", false
		if p.Arch != "" {
			k.Arch = p.Arch
		}
		if o := p.Installed; o != nil {
			k.Outcome = &UpdateOutcome{Version: o.Version, OK: o.OK, Error: o.Error, At: o.At}
			if len(k.Outcome.Error) > maxOutcome {
				k.Outcome.Error = strings.ToValidUTF8(k.Outcome.Error[:maxOutcome], "")
			}
		}
		if err := tx.PutKiosk(k); err != nil {
			return err
		}
		if err := tx.ResolveFlags(FlagStale, k.Terminal, "sync", now); err != nil {
			return err
		}
		res.Acked, res.ChangesAcked, res.PickupsAcked = k.Anchor, k.ChangesAcked, pickupsAcked(p)
		center, stored = k.Center, len(fresh)
		return nil
	})
	if err != nil {
		return hubsync.PushResult{}, err
	}
	if o := h.observed(); o != nil && stored > 0 {
		o.Ingested(p.Terminal, center, stored)
	}
	if res.Refused != "" {
		h.log.Warn("push refused", "terminal", p.Terminal, "reason", res.Refused, "fork", res.Fork)
	}
	return res, nil
}

// decodeBatch decodes a push's entries and checks them as a chain of the
// sender's from p.Acked: a malformed encoding is an error, another
// terminal's entry, a gap or a broken link a refusal.
func decodeBatch(p hubsync.Push) ([]StoredEntry, *refusal, error) {
	out := make([]StoredEntry, 0, len(p.Entries))
	chain := record.NewChain(p.Terminal, p.Acked)
	for i, raw := range p.Entries {
		e, err := record.DecodeEntry(raw)
		if err != nil {
			return nil, nil, fmt.Errorf("push: entry %d: %v: %w", i, err, hubsync.ErrMalformed)
		}
		if e.Seq > math.MaxInt64 {
			return nil, nil, fmt.Errorf("push: entry %d: seq %d: %w", i, e.Seq, hubsync.ErrMalformed)
		}
		if e.Terminal != p.Terminal {
			return nil, &refusal{FlagChain, fmt.Sprintf("entry %d (seq %d) is terminal %s's, not the sender's", i, e.Seq, e.Terminal)}, nil
		}
		if problems := chain.Next(&e); len(problems) > 0 {
			what := "broken chain"
			if problems[0].Problem == record.ProblemSequence {
				what = "gap"
			}
			return nil, &refusal{FlagChain, what + ": " + problems[0].Error()}, nil
		}
		out = append(out, StoredEntry{Entry: e, Raw: raw})
	}
	if n := len(out); n > 0 {
		last := out[n-1]
		if last.Seq > p.Head.Seq || (last.Seq == p.Head.Seq && last.Hash != p.Head.Hash) {
			return nil, nil, fmt.Errorf("push: entries up to seq %d past the head it names (seq %d): %w", last.Seq, p.Head.Seq, hubsync.ErrMalformed)
		}
	}
	return out, nil, nil
}

// checkAnchor compares what the kiosk says and sends with what the hub
// holds of it: a ledger that ends before the anchor, or an entry that
// differs from the one the hub holds, is a fork.
func checkAnchor(tx Tx, k Kiosk, p hubsync.Push, entries []StoredEntry) (*refusal, error) {
	a := k.Anchor
	if p.Head.Seq < a.Seq {
		return &refusal{FlagFork, fmt.Sprintf("fork: its ledger ends at seq %d, but the hub holds its entries up to seq %d (a ledger rolled back or replaced): restore it from the hub", p.Head.Seq, a.Seq)}, nil
	}
	if p.Acked.Seq > a.Seq {
		return &refusal{FlagChain, fmt.Sprintf("gap: it holds the hub acknowledged seq %d, but the hub holds its entries up to seq %d: send from seq %d", p.Acked.Seq, a.Seq, a.Seq+1)}, nil
	}
	// What the hub must already hold: p.Acked, the entries up to the
	// anchor, and the head when it is not past the anchor.
	want := map[uint64]record.Hash{}
	if p.Acked.Seq > 0 {
		want[p.Acked.Seq] = p.Acked.Hash
	}
	for _, e := range entries {
		if e.Seq <= a.Seq {
			want[e.Seq] = e.Hash
		}
	}
	if p.Head.Seq == a.Seq && a.Seq > 0 {
		want[a.Seq] = p.Head.Hash
	}
	if len(want) == 0 {
		return nil, nil
	}
	seqs := make([]uint64, 0, len(want))
	for s := range want {
		seqs = append(seqs, s)
	}
	slices.Sort(seqs)
	held, err := tx.EntryHashes(k.Terminal, seqs[0], seqs[len(seqs)-1])
	if err != nil {
		return nil, err
	}
	for _, s := range seqs {
		if h, ok := held[s]; !ok || h != want[s] {
			return &refusal{FlagFork, fmt.Sprintf("fork: its entry seq %d differs from the one the hub holds (a ledger rewritten): restore it from the hub", s)}, nil
		}
	}
	return nil, nil
}

// checkChanges refuses outbox rows that do not continue from what the hub
// applied.
func checkChanges(k Kiosk, changes []hubsync.Change) *refusal {
	for _, c := range changes {
		if c.Seq <= k.ChangesAcked {
			continue
		}
		if c.Seq != k.ChangesAcked+1 {
			return &refusal{FlagChain, fmt.Sprintf("gap in its registry changes: the hub applied up to %d, the push starts at %d", k.ChangesAcked, c.Seq)}
		}
		break
	}
	return nil
}

// ingest applies one push's changes and new entries in its transaction,
// summing the balances and stock they move to write each once at the end.
// What the entries need from the store is read once per push, not once
// per entry: their people's aliases and the other centers' uses of their
// cards (prepare), their people's balances (finish), and the activities
// (nothing of a push changes them).
type ingest struct {
	h          *Hub
	tx         Tx
	k          *Kiosk
	now        time.Time
	offset     time.Duration
	aliases    map[record.PersonID]record.PersonID
	points     map[record.PersonID][2]int64 // points, minutes
	stock      map[record.ItemID]int64
	uses       map[record.CardUID][]StoredEntry // in hub time order
	activities map[record.ActivityID]*Activity  // nil: the hub has none
}

func newIngest(h *Hub, tx Tx, k *Kiosk, now time.Time, offset time.Duration) *ingest {
	return &ingest{h: h, tx: tx, k: k, now: now, offset: offset, aliases: map[record.PersonID]record.PersonID{},
		points: map[record.PersonID][2]int64{}, stock: map[record.ItemID]int64{}, activities: map[record.ActivityID]*Activity{}}
}

// prepare fills in the hub's columns of the entries the push stores,
// resolves the people whose balance they move (aliases) and reads the
// other centers' uses of their cards within CloneWindow of them: a query
// or two for the push, not for each entry. The push's own entries are of
// the kiosk's center, so none of them is such a use of another.
func (in *ingest) prepare(entries []StoredEntry) error {
	var windows []CardWindow
	var people []record.PersonID
	for i := range entries {
		e := &entries[i]
		e.HubCenter, e.Received = in.k.Center, in.now
		// An untrusted clock's time is corrected by the kiosk's offset now;
		// so is a "trusted" one's when the kiosk's clock is off by more than
		// the window (an NTP server that is wrong: a year ahead).
		if !e.Trusted || in.offset > hubsync.ClockWindow || in.offset < -hubsync.ClockWindow {
			e.Corrected = e.At.Add(in.offset)
		}
		if cloneable(e) {
			t := e.HubTime()
			windows = append(windows, CardWindow{Card: e.Card, From: t.Add(-CloneWindow), To: t.Add(CloneWindow)})
		}
		if movesBalance(e) {
			if _, ok := in.aliases[e.Person]; !ok {
				people = append(people, e.Person)
			}
		}
	}
	if len(people) > 0 {
		slices.Sort(people)
		people = slices.Compact(people)
		as, err := in.tx.Aliases(people)
		if err != nil {
			return err
		}
		for _, p := range people {
			in.aliases[p] = p
		}
		for _, a := range as {
			in.aliases[a.From] = a.To
		}
	}
	if len(windows) == 0 {
		return nil
	}
	uses, err := in.tx.CardUses(in.k.Center, mergeWindows(windows))
	if err != nil {
		return err
	}
	in.uses = map[record.CardUID][]StoredEntry{}
	for _, u := range uses {
		in.uses[u.Card] = append(in.uses[u.Card], u)
	}
	return nil
}

// mergeWindows joins the overlapping windows of each card.
func mergeWindows(ws []CardWindow) []CardWindow {
	slices.SortFunc(ws, func(a, b CardWindow) int {
		if c := strings.Compare(string(a.Card), string(b.Card)); c != 0 {
			return c
		}
		return a.From.Compare(b.From)
	})
	out := ws[:1]
	for _, w := range ws[1:] {
		last := &out[len(out)-1]
		if w.Card == last.Card && !w.From.After(last.To) {
			if w.To.After(last.To) {
				last.To = w.To
			}
			continue
		}
		out = append(out, w)
	}
	return out
}

// movesBalance says whether e moves its person's district balance.
func movesBalance(e *StoredEntry) bool {
	return e.Person != 0 && (e.Points != 0 || e.Minutes != 0)
}

// cloneable says whether e is a use of a card the clone check looks at.
func cloneable(e *StoredEntry) bool {
	switch e.Kind {
	case record.KindCheckIn, record.KindCheckOut, record.KindRedeem:
		return e.Card != ""
	}
	return false
}

// resolve is who a person id means now (itself unless merged).
func (in *ingest) resolve(id record.PersonID) (record.PersonID, error) {
	if to, ok := in.aliases[id]; ok {
		return to, nil
	}
	to, err := resolve(in.tx, id)
	if err != nil {
		return 0, err
	}
	in.aliases[id] = to
	return to, nil
}

func resolve(r Reader, id record.PersonID) (record.PersonID, error) {
	a, err := r.Alias(id)
	if errors.Is(err, ErrNotFound) {
		return id, nil
	}
	if err != nil {
		return 0, err
	}
	return a.To, nil
}

// add stores the entries (prepared) at once: every one is new (they
// follow the anchor), so one the store holds already is another entry's id.
func (in *ingest) add(entries []StoredEntry) error {
	if len(entries) == 0 {
		return nil
	}
	added, err := in.tx.AddEntries(entries)
	if err != nil {
		return err
	}
	for i, ok := range added {
		if !ok {
			e := &entries[i]
			return fmt.Errorf("push: entry seq %d: its id %s is another entry's: %w", e.Seq, e.ID, hubsync.ErrMalformed)
		}
	}
	return nil
}

// entry adds what e (stored) moves.
func (in *ingest) entry(e *StoredEntry) error {
	if err := in.redemption(e); err != nil {
		return err
	}
	if movesBalance(e) {
		to, err := in.resolve(e.Person)
		if err != nil {
			return err
		}
		d := in.points[to]
		in.points[to] = [2]int64{d[0] + e.Points, d[1] + e.Minutes}
	}
	if e.Stock != 0 && e.Item != 0 {
		in.stock[e.Item] += e.Stock
	}
	if err := in.checkClone(e); err != nil {
		return err
	}
	return in.checkShift(e)
}

// checkClone flags a card used here and at another center less than
// CloneWindow apart.
func (in *ingest) checkClone(e *StoredEntry) error {
	if !cloneable(e) {
		return nil
	}
	// The earliest use at another center within the window, as the
	// store keeps times: Unix nanoseconds.
	t := e.HubTime()
	from, to := t.Add(-CloneWindow).UnixNano(), t.Add(CloneWindow).UnixNano()
	uses := in.uses[e.Card]
	i, _ := slices.BinarySearchFunc(uses, from, func(u StoredEntry, n int64) int { return cmp.Compare(u.HubTime().UnixNano(), n) })
	if i == len(uses) || uses[i].HubTime().UnixNano() > to {
		return nil
	}
	o := uses[i]
	apart := t.Sub(o.HubTime())
	if apart < 0 {
		apart = -apart
	}
	detail := fmt.Sprintf("card %s used at center %s (terminal %s seq %d, %s %s) and at center %s (terminal %s seq %d, %s %s): %s apart, closer than %s",
		e.Card, e.HubCenter, e.Terminal, e.Seq, e.Kind, hubTime(e), o.HubCenter, o.Terminal, o.Seq, o.Kind, hubTime(&o),
		apart.Round(time.Second), CloneWindow)
	return in.h.raise(in.tx, FlagClone, string(e.Card), detail)
}

func hubTime(e *StoredEntry) string {
	s := e.HubTime().UTC().Format(time.RFC3339)
	if !e.Corrected.IsZero() {
		s += " corrected"
	}
	return s
}

// checkShift flags a check-out that credits more minutes than its
// activity's rules allow (the hub's copy of the rules).
func (in *ingest) checkShift(e *StoredEntry) error {
	if e.Kind != record.KindCheckOut {
		return nil
	}
	allowed, name := int64(record.DefaultMaxMinutes), "unknown to the hub"
	a, err := in.activityOf(e.Activity)
	if err != nil {
		return err
	}
	if a != nil {
		name = a.Name
		if a.Rules.MaxMinutes > 0 {
			allowed = a.Rules.MaxMinutes
		}
	}
	if e.Minutes <= allowed {
		return nil
	}
	span := ""
	if ci, err := in.tx.Entry(e.Shift); err == nil {
		span = fmt.Sprintf(", %s from check-in to check-out", e.HubTime().Sub(ci.HubTime()).Round(time.Minute))
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	detail := fmt.Sprintf("shift %s of person %d at activity %d (%s), terminal %s seq %d: %d minutes credited%s; its rules allow %d",
		e.Shift, e.Person, e.Activity, name, e.Terminal, e.Seq, e.Minutes, span, allowed)
	return in.h.raise(in.tx, FlagLongShift, e.Shift.String(), detail)
}

// activityOf is the hub's activity of id, read once per push (after the
// push's registry changes are applied); nil when the hub has none.
func (in *ingest) activityOf(id record.ActivityID) (*Activity, error) {
	if a, ok := in.activities[id]; ok {
		return a, nil
	}
	a, err := in.tx.Activity(id)
	if errors.Is(err, ErrNotFound) {
		in.activities[id] = nil
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	in.activities[id] = &a
	return &a, nil
}

// finish writes the balances and stock the entries moved, each with a new
// version, and flags a district balance below zero.
func (in *ingest) finish() error {
	people := make([]record.PersonID, 0, len(in.points))
	for p := range in.points {
		people = append(people, p)
	}
	slices.Sort(people)
	held, err := in.tx.Balances(people)
	if err != nil {
		return err
	}
	cur := make(map[record.PersonID]Balance, len(held))
	for _, b := range held {
		cur[b.Person] = b
	}
	why := fmt.Sprintf("after kiosk %s's entries up to seq %d", in.k.Terminal, in.k.Anchor.Seq)
	moved := make([]Balance, 0, len(people))
	for _, p := range people {
		b, ok := cur[p]
		if !ok {
			b = Balance{Person: p}
		}
		d := in.points[p]
		b.Points += d[0]
		b.Minutes += d[1]
		if b.Version, err = in.tx.NextVersion(); err != nil {
			return err
		}
		moved = append(moved, b)
	}
	if err := in.tx.PutBalances(moved); err != nil {
		return err
	}
	for _, b := range moved {
		if err := flagBelowZero(in.h, in.tx, b, why); err != nil {
			return err
		}
	}
	items := make([]record.ItemID, 0, len(in.stock))
	for it := range in.stock {
		items = append(items, it)
	}
	slices.Sort(items)
	for _, it := range items {
		if err := addStock(in.tx, in.k.Center, it, in.stock[it]); err != nil {
			return err
		}
	}
	return nil
}

// addBalance moves a person's district balance and flags it below zero.
func addBalance(h *Hub, tx Tx, p record.PersonID, points, minutes int64, why string) error {
	b, err := tx.Balance(p)
	if errors.Is(err, ErrNotFound) {
		b, err = Balance{Person: p}, nil
	}
	if err != nil {
		return err
	}
	return moveBalance(h, tx, b, points, minutes, why)
}

// moveBalance adds points and minutes to b, a person's district balance
// as the store holds it, stores it and flags it below zero.
func moveBalance(h *Hub, tx Tx, b Balance, points, minutes int64, why string) error {
	b.Points += points
	b.Minutes += minutes
	var err error
	if b.Version, err = tx.NextVersion(); err != nil {
		return err
	}
	if err := tx.PutBalance(b); err != nil {
		return err
	}
	return flagBelowZero(h, tx, b, why)
}

// flagBelowZero flags a balance (as stored) below zero.
func flagBelowZero(h *Hub, tx Tx, b Balance, why string) error {
	if b.Points < 0 {
		return h.raise(tx, FlagDoubleSpend, personSubject(b.Person),
			fmt.Sprintf("person %d: district balance %d points %s (redeemed at more than one center while offline)", b.Person, b.Points, why))
	}
	return nil
}

func addStock(tx Tx, center string, item record.ItemID, qty int64) error {
	s, err := tx.Stock(center, item)
	if errors.Is(err, ErrNotFound) {
		s, err = Stock{Center: center, Item: item}, nil
	}
	if err != nil {
		return err
	}
	s.Qty += qty
	if s.Version, err = tx.NextVersion(); err != nil {
		return err
	}
	return tx.PutStock(s)
}

func personSubject(p record.PersonID) string { return fmt.Sprintf("%d", p) }
