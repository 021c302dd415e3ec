package hub

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

// Redemptions (积分兑换): a kiosk's redeem entry says who spent how many
// points on what; the pickup code the kiosk gave and the hand-out (核销:
// when and by which staff card the goods were handed over, always at the
// kiosk, where the goods are) come with the push as pickup rows
// (hubsync.Pickup). The hub keeps one Redemption per redeem entry and sets
// on it the first code and the first hand-out its kiosk sends, and the
// entry that reversed it: a push sent twice changes nothing. The web lists
// them (兑换记录) and sums a month's by center and item (本月发放).

// RedemptionState is where a redemption stands.
type RedemptionState uint8

// Redemption states. RedemptionAny is a query's: every state.
const (
	RedemptionAny RedemptionState = iota
	// RedemptionWaiting (待领取): its code known, its goods not handed out.
	RedemptionWaiting
	// RedemptionHandedOut (已领取): its goods handed over at the kiosk.
	RedemptionHandedOut
	// RedemptionReversed (已冲正): its points and stock given back.
	RedemptionReversed
	// RedemptionUnreported: its kiosk has not told the hub its code (a
	// kiosk program older than pickups), so the hub cannot know whether
	// its goods were handed out.
	RedemptionUnreported
)

// RedemptionStates are the states a redemption can be in, in the order a
// page lists them.
func RedemptionStates() []RedemptionState {
	return []RedemptionState{RedemptionWaiting, RedemptionHandedOut, RedemptionReversed, RedemptionUnreported}
}

// String is the state's name in a URL (waiting, handed-out, reversed,
// unreported; "" for RedemptionAny).
func (s RedemptionState) String() string {
	switch s {
	case RedemptionWaiting:
		return "waiting"
	case RedemptionHandedOut:
		return "handed-out"
	case RedemptionReversed:
		return "reversed"
	case RedemptionUnreported:
		return "unreported"
	}
	return ""
}

// RedemptionStateOf is the state of name (String's); RedemptionAny and
// false for a name that is none.
func RedemptionStateOf(name string) (RedemptionState, bool) {
	for _, s := range RedemptionStates() {
		if s.String() == name {
			return s, true
		}
	}
	return RedemptionAny, false
}

// Redemption is a redemption as the hub knows it: its redeem entry's
// facts, the pickup code and the hand-out its kiosk pushed, and the entry
// that reversed it.
type Redemption struct {
	ID       record.EntryID // the redeem entry's
	Terminal string
	Seq      uint64
	Center   string          // the center of its kiosk at the hub
	Person   record.PersonID // as the entry names it (a merged id too)
	Card     record.CardUID
	Item     record.ItemID
	Qty      int64
	Points   int64 // spent
	// At is the entry's hub time; Corrected when the kiosk's clock was
	// not trusted and the hub corrected it.
	At        time.Time
	Corrected bool
	// Code is its pickup code; "" until its kiosk pushed it.
	Code string
	// ReversedBy is the entry that reversed it and ReversedAt its hub
	// time; zero when it was not reversed.
	ReversedBy record.EntryID
	ReversedAt time.Time
	// HandedAt is when its goods were handed out (hub time, corrected as
	// an entry's is: HandedCorrected), by the staff card HandedBy; zero
	// when the hub knows of no hand-out.
	HandedAt        time.Time
	HandedCorrected bool
	HandedBy        record.CardUID
}

// State is where r stands: reversed before all, then handed out, then
// waiting with its code, else not reported.
func (r Redemption) State() RedemptionState {
	switch {
	case !r.ReversedBy.IsZero():
		return RedemptionReversed
	case !r.HandedAt.IsZero():
		return RedemptionHandedOut
	case r.Code == "":
		return RedemptionUnreported
	}
	return RedemptionWaiting
}

// RedemptionCursor is a place in the newest-first order of redemptions: a
// redemption's hub time and id.
type RedemptionCursor struct {
	At time.Time
	ID record.EntryID
}

// IsZero reports whether c is no place (the newest first).
func (c RedemptionCursor) IsZero() bool { return c.At.IsZero() && c.ID.IsZero() }

// Cursor is r's place in the newest-first order.
func (r Redemption) Cursor() RedemptionCursor { return RedemptionCursor{At: r.At, ID: r.ID} }

// RedemptionMatch finds redemptions by what the desk types: the pickup
// code, or the people a member number is (as entries name them: the
// registration and the ids merged into it).
type RedemptionMatch struct {
	Code    string
	Persons []record.PersonID
}

// RedemptionQuery selects redemptions (Store.Redemptions, RedemptionSums).
type RedemptionQuery struct {
	// Centers are the centers whose kiosks' redemptions count; none: no
	// redemption.
	Centers []string
	// From and To (excluded) bound the hub time; zero: unbounded.
	From, To time.Time
	// State: only those in it (Redemptions only); RedemptionAny: all.
	State RedemptionState
	// Match: only those of its code or one of its persons; nil: all.
	Match *RedemptionMatch
	// Before: only those after it in the newest-first order; zero: from
	// the newest (Redemptions only).
	Before RedemptionCursor
	// Limit: at most this many; 0: every one (Redemptions only).
	Limit int
}

// RedemptionSum is what a center's redemptions of an item add up to.
// Everything but Reversed counts the redemptions not reversed.
type RedemptionSum struct {
	Center string
	Item   record.ItemID
	// Redemptions counts them; Qty, HandedOut, Waiting and Unreported
	// count the units (件): all, handed out, waiting with a code, and of
	// redemptions whose kiosk has not reported their code.
	Redemptions, Qty, HandedOut, Waiting, Unreported int64
	// Reversed counts the redemptions reversed.
	Reversed int64
	// Points are the points spent.
	Points int64
}

// Add adds o's counts to s.
func (s *RedemptionSum) Add(o RedemptionSum) {
	s.Redemptions += o.Redemptions
	s.Qty += o.Qty
	s.HandedOut += o.HandedOut
	s.Waiting += o.Waiting
	s.Unreported += o.Unreported
	s.Reversed += o.Reversed
	s.Points += o.Points
}

// ---- the push

// redemption keeps what a stored entry says of redemptions: a redeem entry
// is a new one, a reversal giving an item's stock back marks the
// redemption it names reversed (once).
func (in *ingest) redemption(e *StoredEntry) error {
	switch {
	case e.Kind == record.KindRedeem:
		return in.tx.PutRedemption(Redemption{ID: e.ID, Terminal: e.Terminal, Seq: e.Seq, Center: e.HubCenter, Person: e.Person,
			Card: e.Card, Item: e.Item, Qty: -e.Stock, Points: -e.Points, At: e.HubTime(), Corrected: !e.Corrected.IsZero()})
	case e.Kind == record.KindReverse && e.Item != 0 && e.Stock > 0 && !e.Reverses.IsZero():
		r, err := in.tx.Redemption(e.Reverses)
		if errors.Is(err, ErrNotFound) {
			return nil // a restock's reversal
		}
		if err != nil || !r.ReversedBy.IsZero() {
			return err
		}
		r.ReversedBy, r.ReversedAt = e.ID, e.HubTime()
		return in.tx.PutRedemption(r)
	}
	return nil
}

// pickups sets each pickup row's code or hand-out on its redemption, after
// the push's entries are stored: a row names a redemption of the pushing
// terminal the hub holds (else the push is malformed). A redemption keeps
// its first code and its first hand-out.
func (in *ingest) pickups(ps []hubsync.Pickup) error {
	for _, p := range ps {
		r, err := in.tx.Redemption(p.Redemption)
		if errors.Is(err, ErrNotFound) || (err == nil && r.Terminal != in.k.Terminal) {
			return fmt.Errorf("push: pickup %d names redemption %s, which the hub does not hold of terminal %s: %w",
				p.Seq, p.Redemption, in.k.Terminal, hubsync.ErrMalformed)
		}
		if err != nil {
			return err
		}
		switch {
		case p.Code != "" && r.Code == "":
			r.Code = p.Code
		case p.Handout != nil && r.HandedAt.IsZero():
			r.HandedBy, r.HandedAt = p.Handout.Operator, p.Handout.At
			// Corrected as an entry's time is (prepare).
			if !p.Handout.Trusted || in.offset > hubsync.ClockWindow || in.offset < -hubsync.ClockWindow {
				r.HandedAt, r.HandedCorrected = p.Handout.At.Add(in.offset), true
			}
		default:
			continue
		}
		if err := in.tx.PutRedemption(r); err != nil {
			return err
		}
	}
	return nil
}

// pickupsAcked is what a push's answer says of its pickup rows: the last
// one, all taken, or the push's own acknowledgement when it carried none.
func pickupsAcked(p hubsync.Push) uint64 {
	if n := len(p.Pickups); n > 0 {
		return p.Pickups[n-1].Seq
	}
	return p.PickupsAcked
}

// ---- the web's reads

// Sizes of the list of redemptions.
const (
	// RedemptionPage is how many redemptions a page of the list shows
	// when the filter says no other number.
	RedemptionPage = 100
	// MaxRedemptionPage is the most one read returns.
	MaxRedemptionPage = 1000
	// maxRedemptionSearch bounds what a search of redemptions looks for.
	maxRedemptionSearch = 32
)

// RedemptionFilter is what the list of redemptions shows.
type RedemptionFilter struct {
	// Center is a center's id; "" for every center the scope sees.
	Center string
	// Month is an instant of the month shown (its Location the zone months
	// are counted in); zero: every month.
	Month time.Time
	State RedemptionState
	// Search is a pickup code or a whole member number (either finds).
	Search string
	// Before: the redemptions after it, newest first; zero: the newest.
	Before RedemptionCursor
	// Limit: RedemptionPage when 0, at most MaxRedemptionPage.
	Limit int
}

// RedemptionPerson is a redemption's person as a scope sees them.
type RedemptionPerson struct {
	// ID is who the entry's person is now (a walk-in merged into a
	// registration: the registration).
	ID record.PersonID
	// Known: the hub holds the person (else only ID is set).
	Known bool
	// Name: masked (王*) unless Full; "" for a walk-in not yet named.
	Name        string
	MemberNo    string
	Provisional bool
	// Full: the scope sees the person's center (as 注册登记's view).
	Full bool
}

// RedemptionRow is a redemption as the list shows it.
type RedemptionRow struct {
	Redemption
	State      RedemptionState
	CenterName string
	Person     RedemptionPerson
	ItemName   string // "" for an item the hub does not know
	// HandedByName is the name of the staff card that handed it out, at
	// its center; "" when the hub does not know the card.
	HandedByName string
}

// Redemptions are the redemptions f selects of the centers scope sees,
// newest first, at most f.Limit, and whether there are more. A center not
// in the scope is ErrNotFound (an id edited into the address). A person
// registered at a center the scope does not see is shown as 注册登记
// shows them: the name masked.
func (h *Hub) Redemptions(ctx context.Context, scope Scope, f RedemptionFilter) (rows []RedemptionRow, more bool, err error) {
	limit := f.Limit
	if limit <= 0 {
		limit = RedemptionPage
	}
	limit = min(limit, MaxRedemptionPage)
	err = h.store.View(ctx, func(r Reader) error {
		cs, err := centersOf(r, scope, f.Center)
		if err != nil {
			return err
		}
		q := RedemptionQuery{Centers: ids(cs), State: f.State, Before: f.Before, Limit: limit + 1}
		if !f.Month.IsZero() {
			q.From = MonthStart(f.Month)
			q.To = q.From.AddDate(0, 1, 0)
		}
		if s := strings.TrimSpace(f.Search); s != "" {
			if q.Match, err = redemptionMatch(r, truncate(s, maxRedemptionSearch)); err != nil {
				return err
			}
		}
		found, err := r.Redemptions(q)
		if err != nil {
			return err
		}
		if len(found) > limit {
			found, more = found[:limit], true
		}
		rows, err = redemptionRows(r, scope, cs, found)
		return err
	})
	return rows, more, err
}

// redemptionMatch is what a search finds: the code typed, and the people a
// whole member number is (the registration and the ids merged into it).
func redemptionMatch(r Reader, s string) (*RedemptionMatch, error) {
	m := &RedemptionMatch{Code: strings.ToUpper(s)}
	p, err := r.PersonByMemberNo(strings.ToUpper(s))
	if errors.Is(err, ErrNotFound) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	to, err := resolve(r, p.ID)
	if err != nil {
		return nil, err
	}
	m.Persons = append(m.Persons, to)
	from, err := r.AliasesTo(to)
	if err != nil {
		return nil, err
	}
	for _, a := range from {
		m.Persons = append(m.Persons, a.From)
	}
	slices.Sort(m.Persons)
	m.Persons = slices.Compact(m.Persons)
	return m, nil
}

// redemptionRows are found as scope sees them, with their names: each
// person, item and staff card read once.
func redemptionRows(r Reader, scope Scope, cs []Center, found []Redemption) ([]RedemptionRow, error) {
	centerName := map[string]string{}
	for _, c := range cs {
		centerName[c.ID] = c.Name
	}
	items, err := r.Items()
	if err != nil {
		return nil, err
	}
	itemName := map[record.ItemID]string{}
	for _, it := range items {
		itemName[it.ID] = it.Name
	}
	var ids []record.PersonID
	for _, f := range found {
		ids = append(ids, f.Person)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	merged, err := r.Aliases(ids)
	if err != nil {
		return nil, err
	}
	to := map[record.PersonID]record.PersonID{}
	for _, a := range merged {
		to[a.From] = a.To
	}
	people := map[record.PersonID]RedemptionPerson{}
	staff := map[[2]string]string{}
	out := make([]RedemptionRow, 0, len(found))
	for _, f := range found {
		row := RedemptionRow{Redemption: f, State: f.State(), CenterName: centerName[f.Center], ItemName: itemName[f.Item]}
		id := f.Person
		if t, ok := to[id]; ok {
			id = t
		}
		p, ok := people[id]
		if !ok {
			p = RedemptionPerson{ID: id}
			switch got, err := r.Person(id); {
			case err == nil:
				p.Known, p.MemberNo, p.Provisional, p.Full = true, got.MemberNo, got.Provisional, scope.Sees(got.Center)
				p.Name = got.Name
				if !p.Full {
					p.Name = MaskName(got.Name)
				}
			case !errors.Is(err, ErrNotFound):
				return nil, err
			}
			people[id] = p
		}
		row.Person = p
		if f.HandedBy != "" {
			key := [2]string{f.Center, string(f.HandedBy)}
			name, ok := staff[key]
			if !ok {
				cards, err := r.StaffByCard(f.HandedBy)
				if err != nil {
					return nil, err
				}
				for _, s := range cards {
					if s.Center == f.Center || name == "" {
						name = s.Name
					}
				}
				staff[key] = name
			}
			row.HandedByName = name
		}
		out = append(out, row)
	}
	return out, nil
}

// ItemRedemptions are an item's redemptions at a center, or at every
// center selected.
type ItemRedemptions struct {
	Item record.ItemID
	Name string // "" for an item the hub does not know
	RedemptionSum
}

// CenterRedemptions are a center's month, by item (by name), and its
// total.
type CenterRedemptions struct {
	Center Center
	Items  []ItemRedemptions
	Total  RedemptionSum
}

// RedemptionMonth is what the centers selected gave out in a month (本月
// 发放): each center by item, every center's by item, and the total.
type RedemptionMonth struct {
	Month   time.Time // its first instant
	Centers []CenterRedemptions
	Items   []ItemRedemptions
	Total   RedemptionSum
}

// RedemptionMonth is the month of sel at its center, or every center scope
// sees: the redemptions made in the month (hub time), and where they stand
// now. A center not in the scope is ErrNotFound.
func (h *Hub) RedemptionMonth(ctx context.Context, scope Scope, sel Selection) (RedemptionMonth, error) {
	m := RedemptionMonth{Month: MonthStart(sel.Month)}
	err := h.store.View(ctx, func(r Reader) error {
		cs, err := centersOf(r, scope, sel.Center)
		if err != nil {
			return err
		}
		sums, err := r.RedemptionSums(RedemptionQuery{Centers: ids(cs), From: m.Month, To: m.Month.AddDate(0, 1, 0)})
		if err != nil {
			return err
		}
		items, err := r.Items()
		if err != nil {
			return err
		}
		name := map[record.ItemID]string{}
		for _, it := range items {
			name[it.ID] = it.Name
		}
		byCenter := map[string]*CenterRedemptions{}
		for _, c := range cs {
			m.Centers = append(m.Centers, CenterRedemptions{Center: c})
		}
		for i := range m.Centers {
			byCenter[m.Centers[i].Center.ID] = &m.Centers[i]
		}
		all := map[record.ItemID]*ItemRedemptions{}
		for _, s := range sums {
			c := byCenter[s.Center]
			if c == nil {
				continue
			}
			c.Items = append(c.Items, ItemRedemptions{Item: s.Item, Name: name[s.Item], RedemptionSum: s})
			c.Total.Add(s)
			m.Total.Add(s)
			it := all[s.Item]
			if it == nil {
				it = &ItemRedemptions{Item: s.Item, Name: name[s.Item]}
				all[s.Item] = it
			}
			it.Add(s)
		}
		for _, it := range all {
			m.Items = append(m.Items, *it)
		}
		byName := func(a, b ItemRedemptions) int {
			return cmp.Or(strings.Compare(a.Name, b.Name), cmp.Compare(a.Item, b.Item))
		}
		slices.SortFunc(m.Items, byName)
		for i := range m.Centers {
			slices.SortFunc(m.Centers[i].Items, byName)
		}
		return nil
	})
	return m, err
}
