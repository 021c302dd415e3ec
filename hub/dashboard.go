package hub

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hongmajia/hongmajia/record"
)

// The dashboard (看板): what the district's and each center's staff look at
// rather than read. Per center and month: the active volunteers, the hours,
// the points earned and redeemed, by activity and by item; a year's trend;
// the honour roll; the stock running low; the open flags, each resolved
// with a note in the audit log; every kiosk's sync and health. Every read
// takes the user's Scope, and the sums are the store's (Tallies), so a
// page never holds a month's entries.

// Tally is what the entries of a group add up to. Reversals count against
// what they reverse: a reversal naming an activity is a check-out's, one
// naming an item a redemption's (stock back) or a restock's (stock out).
type Tally struct {
	// Volunteers are the people with a check-out, each once (an id merged
	// into another counted as that one).
	Volunteers int64
	// Shifts are the check-outs less their reversals.
	Shifts int64
	// Minutes and Earned are the service minutes and the points of
	// check-outs, staff adjustments and reversals naming no item.
	Minutes int64
	Earned  int64
	// Redeemed are the points spent on redemptions less those their
	// reversals gave back (every reversal naming an item).
	Redeemed int64
	// Redemptions are the redemptions less their reversals (reversals
	// naming an item that put stock back); Given the items they handed
	// out.
	Redemptions int64
	Given       int64
	// Expired are the points that expired (less reversed expiries are
	// not told apart from adjustments: their points are in Earned).
	Expired int64
}

// Add adds o to t. Volunteers do not add up across groups (one person
// serves at two centers): a caller adds them only for groups of distinct
// people.
func (t *Tally) Add(o Tally) {
	t.Volunteers += o.Volunteers
	t.Shifts += o.Shifts
	t.Minutes += o.Minutes
	t.Earned += o.Earned
	t.Redeemed += o.Redeemed
	t.Redemptions += o.Redemptions
	t.Given += o.Given
	t.Expired += o.Expired
}

// IsZero reports whether t counts nothing.
func (t Tally) IsZero() bool { return t == Tally{} }

// TallyGroup says what a TallyQuery groups by besides its periods.
type TallyGroup uint8

// Groupings, combined with |.
const (
	ByCenter TallyGroup = 1 << iota
	ByActivity
	ByItem
)

// TallyQuery selects the entries Tallies sums.
type TallyQuery struct {
	// Centers are the hub's centers whose kiosks' entries count; none:
	// no entry counts.
	Centers []string
	// Bounds are the periods, ascending: period i is from Bounds[i] to
	// Bounds[i+1] (excluded), in hub time (StoredEntry.HubTime). Fewer
	// than two bounds: no period.
	Bounds []time.Time
	By     TallyGroup
}

// TallyRow is one group's Tally: its period and, as the query grouped,
// its center, activity and item (zero otherwise).
type TallyRow struct {
	Period   int
	Center   string
	Activity record.ActivityID
	Item     record.ItemID
	Tally
}

// TallyPerson is a person of a group of Tallies (TallyPeople).
type TallyPerson struct {
	Period   int
	Center   string
	Activity record.ActivityID
	Item     record.ItemID
	Person   record.PersonID
}

// TopQuery selects an honour roll.
type TopQuery struct {
	Centers  []string
	From, To time.Time
	Limit    int
}

// VolunteerTally is a person's service in a TopQuery's time.
type VolunteerTally struct {
	Person  record.PersonID
	Shifts  int64
	Minutes int64
	Earned  int64
}

// Selection is what a dashboard shows: a center, or every center the
// user's scope sees, and a month.
type Selection struct {
	// Center is a center's id; "" for every center the scope sees.
	Center string
	// Month is an instant of the month; its Location is the zone months
	// are counted in (the district's).
	Month time.Time
}

// MonthStart is the first instant of t's month in t's location.
func MonthStart(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, t.Location())
}

// centersOf are the centers sel names that scope sees: the one asked for
// (ErrNotFound when scope does not see it or it is not there), or every
// one scope sees.
func centersOf(r Reader, scope Scope, center string) ([]Center, error) {
	if center != "" {
		if err := scope.Check(center); err != nil {
			return nil, err
		}
		c, err := r.Center(center)
		if err != nil {
			return nil, err
		}
		return []Center{c}, nil
	}
	cs, err := r.Centers()
	if err != nil {
		return nil, err
	}
	return scope.Centers(cs), nil
}

func ids(cs []Center) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// CenterTally is a center's Tally.
type CenterTally struct {
	Center Center
	Tally
}

// ActivityTally is an activity's Tally. Activity 0 holds what no activity
// names: staff adjustments, expiries and their reversals.
type ActivityTally struct {
	Center   Center
	Activity record.ActivityID
	Name     string // "" for activity 0, or one the hub does not know
	Tally
}

// ItemTally is an item's redemptions at the selected centers.
type ItemTally struct {
	Item record.ItemID
	Name string // "" for an item the hub does not know
	Tally
}

// MonthReport is a month at the selected centers.
type MonthReport struct {
	Month   time.Time // the month's first instant
	Centers []Center  // the centers selected, in id order
	// Total is the month at every center selected: a person serving at
	// two of them is one volunteer.
	Total Tally
	// ByCenter is each center selected, in id order, those without an
	// entry too.
	ByCenter []CenterTally
	// ByActivity are the activities with an entry in the month, by
	// center, then by service minutes, most first.
	ByActivity []ActivityTally
	// ByItem are the items redeemed, by points, most first.
	ByItem []ItemTally
}

// MonthReport is sel's month at the centers sel selects.
func (h *Hub) MonthReport(ctx context.Context, scope Scope, sel Selection) (MonthReport, error) {
	m := MonthStart(sel.Month)
	out := MonthReport{Month: m}
	err := h.store.View(ctx, func(r Reader) error {
		cs, err := centersOf(r, scope, sel.Center)
		if err != nil {
			return err
		}
		out.Centers = cs
		bounds := []time.Time{m, m.AddDate(0, 1, 0)}
		rows, err := h.tallies(r, TallyQuery{Centers: ids(cs), Bounds: bounds, By: ByCenter}, true)
		if err != nil {
			return err
		}
		byID := map[string]Tally{}
		for _, row := range rows {
			byID[row.Center] = row.Tally
		}
		for _, c := range cs {
			out.ByCenter = append(out.ByCenter, CenterTally{Center: c, Tally: byID[c.ID]})
		}
		if len(cs) == 1 {
			out.Total = out.ByCenter[0].Tally
		} else if len(cs) > 1 {
			rows, err := h.tallies(r, TallyQuery{Centers: ids(cs), Bounds: bounds}, true)
			if err != nil {
				return err
			}
			for _, row := range rows {
				out.Total = row.Tally
			}
		}
		rows, err = h.tallies(r, TallyQuery{Centers: ids(cs), Bounds: bounds, By: ByCenter | ByActivity | ByItem}, true)
		if err != nil {
			return err
		}
		return h.splitByActivityAndItem(r, cs, rows, &out)
	})
	return out, err
}

// splitByActivityAndItem fills out's activities (the rows naming no item)
// and items (the others, summed over the centers).
func (h *Hub) splitByActivityAndItem(r Reader, cs []Center, rows []TallyRow, out *MonthReport) error {
	centers := map[string]Center{}
	for _, c := range cs {
		centers[c.ID] = c
	}
	items := map[record.ItemID]*ItemTally{}
	for _, row := range rows {
		if row.Item != 0 {
			it := items[row.Item]
			if it == nil {
				it = &ItemTally{Item: row.Item}
				items[row.Item] = it
			}
			it.Add(row.Tally)
			continue
		}
		if row.Activity == 0 && row.Minutes == 0 && row.Earned == 0 {
			continue // an expiry or a replaced card: no service
		}
		a := ActivityTally{Center: centers[row.Center], Activity: row.Activity, Tally: row.Tally}
		if row.Activity != 0 {
			act, err := r.Activity(row.Activity)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			a.Name = act.Name
		}
		out.ByActivity = append(out.ByActivity, a)
	}
	slices.SortStableFunc(out.ByActivity, func(a, b ActivityTally) int {
		return cmp.Or(cmp.Compare(a.Center.ID, b.Center.ID), cmp.Compare(b.Minutes, a.Minutes), cmp.Compare(a.Activity, b.Activity))
	})
	if len(items) > 0 {
		all, err := r.Items()
		if err != nil {
			return err
		}
		for _, it := range all {
			if t := items[it.ID]; t != nil {
				t.Name = it.Name
			}
		}
	}
	for _, it := range items {
		if it.Redemptions != 0 || it.Redeemed != 0 || it.Given != 0 {
			out.ByItem = append(out.ByItem, *it)
		}
	}
	slices.SortFunc(out.ByItem, func(a, b ItemTally) int {
		return cmp.Or(cmp.Compare(b.Redeemed, a.Redeemed), cmp.Compare(b.Given, a.Given), cmp.Compare(a.Item, b.Item))
	})
	return nil
}

// MonthTally is a month's Tally.
type MonthTally struct {
	Month time.Time // its first instant
	Tally
}

// Trend is the months months ending with sel's, oldest first, at the
// centers sel selects: each month's totals as MonthReport's Total.
func (h *Hub) Trend(ctx context.Context, scope Scope, sel Selection, months int) ([]MonthTally, error) {
	if months < 1 {
		return nil, fmt.Errorf("trend: %d months", months)
	}
	last := MonthStart(sel.Month)
	out := make([]MonthTally, months)
	bounds := make([]time.Time, months+1)
	for i := range bounds {
		bounds[i] = last.AddDate(0, i-months+1, 0)
		if i < months {
			out[i].Month = bounds[i]
		}
	}
	err := h.store.View(ctx, func(r Reader) error {
		cs, err := centersOf(r, scope, sel.Center)
		if err != nil {
			return err
		}
		rows, err := h.tallies(r, TallyQuery{Centers: ids(cs), Bounds: bounds}, true)
		if err != nil {
			return err
		}
		for _, row := range rows {
			out[row.Period].Tally = row.Tally
		}
		return nil
	})
	return out, err
}

// Honour is a place on the honour roll.
type Honour struct {
	Rank   int // 1 for the most minutes; people with the same minutes share one
	Person Person
	VolunteerTally
}

// HonourRoll is the n people with the most service minutes in sel's
// month at the centers sel selects.
func (h *Hub) HonourRoll(ctx context.Context, scope Scope, sel Selection, n int) ([]Honour, error) {
	m := MonthStart(sel.Month)
	var out []Honour
	err := h.store.View(ctx, func(r Reader) error {
		cs, err := centersOf(r, scope, sel.Center)
		if err != nil {
			return err
		}
		top, err := h.topVolunteers(r, TopQuery{Centers: ids(cs), From: m, To: m.AddDate(0, 1, 0), Limit: n})
		if err != nil {
			return err
		}
		for i, v := range top {
			p, err := r.Person(v.Person)
			if errors.Is(err, ErrNotFound) {
				p, err = Person{ID: v.Person}, nil
			}
			if err != nil {
				return err
			}
			rank := i + 1
			if i > 0 && top[i-1].Minutes == v.Minutes {
				rank = out[i-1].Rank
			}
			out = append(out, Honour{Rank: rank, Person: p, VolunteerTally: v})
		}
		return nil
	})
	return out, err
}

// Stock running low: an item at a center is low when what is left is at
// most LowStockFloor, or would last fewer than LowStockDays at the pace
// of the last LowStockWindow (whole days, today's included).
const (
	LowStockFloor  = 5
	LowStockDays   = 14
	LowStockWindow = 30 * 24 * time.Hour
)

// StockLevel is an item's stock at a center.
type StockLevel struct {
	Center Center
	Item   Item
	Qty    int64
	// Given is how many were handed out in the last LowStockWindow.
	Given int64
}

// Low reports whether l runs low: an active item with at most
// LowStockFloor left, or fewer than LowStockDays' worth at the pace of
// Given over the LowStockWindow. The dashboard and the stock pages mark
// stock by this one rule.
func (l StockLevel) Low() bool {
	return l.Item.Active && (l.Qty <= LowStockFloor || l.Qty*int64(LowStockWindow/(24*time.Hour)) < LowStockDays*l.Given)
}

// centerItem is an item at a center.
type centerItem struct {
	center string
	item   record.ItemID
}

// recentlyGiven is how many of each item each center of cs handed out in
// the LowStockWindow's days up to today, in zone (the district's).
func (h *Hub) recentlyGiven(r Reader, cs []Center, zone *time.Location) (map[centerItem]int64, error) {
	now := h.now().In(zone)
	tomorrow := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, zone)
	window := []time.Time{tomorrow.AddDate(0, 0, -int(LowStockWindow/(24*time.Hour))), tomorrow}
	rows, err := h.tallies(r, TallyQuery{Centers: ids(cs), Bounds: window, By: ByCenter | ByItem}, false)
	if err != nil {
		return nil, err
	}
	given := map[centerItem]int64{}
	for _, row := range rows {
		given[centerItem{row.Center, row.Item}] += row.Given
	}
	return given, nil
}

// LowStock are the active items running low at the centers of scope
// (center's only, when not ""), by center, then fewest first. The pace is
// of the LowStockWindow's days up to today, in zone (the district's).
func (h *Hub) LowStock(ctx context.Context, scope Scope, center string, zone *time.Location) ([]StockLevel, error) {
	var out []StockLevel
	err := h.store.View(ctx, func(r Reader) error {
		cs, err := centersOf(r, scope, center)
		if err != nil {
			return err
		}
		given, err := h.recentlyGiven(r, cs, zone)
		if err != nil {
			return err
		}
		items, err := r.Items()
		if err != nil {
			return err
		}
		byID := map[record.ItemID]Item{}
		for _, it := range items {
			byID[it.ID] = it
		}
		for _, c := range cs {
			st, err := r.CenterStock(c.ID)
			if err != nil {
				return err
			}
			var low []StockLevel
			for _, s := range st {
				it, ok := byID[s.Item]
				if !ok || !it.Active {
					continue
				}
				l := StockLevel{Center: c, Item: it, Qty: s.Qty, Given: given[centerItem{c.ID, s.Item}]}
				if l.Low() {
					low = append(low, l)
				}
			}
			slices.SortStableFunc(low, func(a, b StockLevel) int { return cmp.Compare(a.Qty, b.Qty) })
			out = append(out, low...)
		}
		return nil
	})
	return out, err
}

// CenterFlag is a flag and the center it concerns ("" for the
// district's: a person's balance or card, the catalog, spanning centers).
type CenterFlag struct {
	Flag
	Center string
}

// flagCenter is the center f concerns, from its subject: a kiosk's, a
// shift's, a walk-in's (the kiosk that made them), an activity's or a
// staff card's; "" for what spans the district.
func flagCenter(r Reader, f Flag) (string, error) {
	orNone := func(center string, err error) (string, error) {
		if errors.Is(err, ErrNotFound) {
			return "", nil
		}
		return center, err
	}
	switch f.Kind {
	case FlagStale, FlagChain, FlagFork:
		k, err := r.Kiosk(f.Subject)
		return orNone(k.Center, err)
	case FlagLongShift:
		id, err := record.ParseEntryID(f.Subject)
		if err != nil {
			return "", nil
		}
		e, err := r.Entry(id)
		return orNone(e.HubCenter, err)
	case FlagWalkIn:
		id, err := strconv.ParseInt(f.Subject, 10, 64)
		if err != nil {
			return "", nil
		}
		p, err := r.Person(record.PersonID(id))
		if err != nil || p.ChangedBy == "" {
			return orNone("", err)
		}
		k, err := r.Kiosk(p.ChangedBy)
		return orNone(k.Center, err)
	case FlagConflict:
		var id int64
		if _, err := fmt.Sscanf(f.Subject, "activity %d", &id); err == nil {
			a, err := r.Activity(record.ActivityID(id))
			return orNone(a.Center, err)
		}
		if rest, ok := strings.CutPrefix(f.Subject, "staff card "); ok {
			if _, center, ok := strings.Cut(rest, " of "); ok {
				return center, nil
			}
		}
	}
	return "", nil
}

// OpenFlags are the open flags of the centers scope sees (center's only,
// when not ""; the district's own, which concern no one center, for the
// district's scope and no center), in the order they were raised. Kiosks
// that have not synced for too long are flagged first (CheckStale).
func (h *Hub) OpenFlags(ctx context.Context, scope Scope, center string) ([]CenterFlag, error) {
	if center != "" {
		if err := scope.Check(center); err != nil {
			return nil, err
		}
	}
	if err := h.CheckStale(ctx); err != nil {
		return nil, err
	}
	var out []CenterFlag
	err := h.store.View(ctx, func(r Reader) error {
		fs, err := r.Flags(true)
		if err != nil {
			return err
		}
		for _, f := range fs {
			c, err := flagCenter(r, f)
			if err != nil {
				return err
			}
			if scope.Sees(c) && (center == "" || c == center) {
				out = append(out, CenterFlag{Flag: f, Center: c})
			}
		}
		return nil
	})
	return out, err
}

// MaxFlagNote is the longest note a flag is resolved with, in characters.
const MaxFlagNote = 500

// ErrFlagResolved: the flag was resolved already.
var ErrFlagResolved = errors.New("hub: the flag was resolved already")

// ValidFlagNote is nil when note can resolve a flag: 1 to MaxFlagNote
// characters, no control characters but line ends.
func ValidFlagNote(note string) error {
	n := utf8.RuneCountInString(note)
	switch {
	case strings.TrimSpace(note) == "":
		return errors.New("a note is required")
	case n > MaxFlagNote:
		return fmt.Errorf("a note is at most %d characters", MaxFlagNote)
	case !utf8.ValidString(note):
		return errors.New("a note is UTF-8 text")
	case strings.IndexFunc(note, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' }) >= 0:
		return errors.New("a note has no control characters")
	}
	return nil
}

// ResolveFlag resolves the open flag id with a note, recorded in the
// audit log (AuditFlagResolve: who, the flag, the note). A flag of a
// center scope does not see is not found.
func (h *Hub) ResolveFlag(ctx context.Context, scope Scope, by Actor, id int64, note string) (CenterFlag, error) {
	note = strings.TrimSpace(note)
	if err := ValidFlagNote(note); err != nil {
		return CenterFlag{}, fmt.Errorf("resolve flag %d: %w", id, err)
	}
	var out CenterFlag
	err := h.store.Update(ctx, func(tx Tx) error {
		f, err := tx.Flag(id)
		if err != nil {
			return fmt.Errorf("resolve flag %d: %w", id, err)
		}
		c, err := flagCenter(tx, f)
		if err != nil {
			return err
		}
		if err := scope.Check(c); err != nil {
			return fmt.Errorf("resolve flag %d: %w", id, ErrNotFound)
		}
		if !f.Resolved.IsZero() {
			return fmt.Errorf("resolve flag %d: %w", id, ErrFlagResolved)
		}
		who := by.User
		if who == "" {
			who = by.Addr
		}
		now := h.now()
		if err := tx.ResolveFlags(f.Kind, f.Subject, who, now); err != nil {
			return err
		}
		f.ResolvedBy, f.Resolved = who, now
		out = CenterFlag{Flag: f, Center: c}
		return h.audit(tx, by, AuditFlagResolve, c, fmt.Sprintf("#%d %s %s", f.ID, f.Kind, f.Subject), note)
	})
	return out, err
}

// Health is a kiosk's state as the dashboard shows it, worst first.
type Health string

// Healths, from the worst.
const (
	HealthFork    Health = "fork"    // its ledger differs from the hub's anchor
	HealthRefused Health = "refused" // its last push was refused
	HealthStale   Health = "stale"   // no sync for the hub's StaleAfter
	HealthBehind  Health = "behind"  // it holds entries the hub does not
	HealthClock   Health = "clock"   // its clock is off by more than ClockWarn
	HealthOK      Health = "ok"
	HealthRevoked Health = "revoked" // no longer a kiosk of the district
)

// Healths are every Health, worst first.
func Healths() []Health {
	return []Health{HealthFork, HealthRefused, HealthStale, HealthBehind, HealthClock, HealthOK, HealthRevoked}
}

// ClockWarn: a kiosk whose clock is off the hub's by more is shown so (the
// hub corrects an untrusted clock's times; a trusted one should be close).
const ClockWarn = 5 * time.Minute

// KioskHealth is a kiosk's sync and health.
type KioskHealth struct {
	KioskStatus
	Health Health
	// Contact is its last sync, or its enrollment when it never synced;
	// Age how long ago that was.
	Contact time.Time
	Age     time.Duration
}

// KioskHealth is every kiosk of the centers scope sees (center's only,
// when not ""), the longest without a sync first, revoked ones last.
func (h *Hub) KioskHealth(ctx context.Context, scope Scope, center string) ([]KioskHealth, error) {
	if center != "" {
		if err := scope.Check(center); err != nil {
			return nil, err
		}
	}
	st, err := h.Status(ctx)
	if err != nil {
		return nil, err
	}
	now := h.now()
	var out []KioskHealth
	for _, s := range st {
		if !scope.Sees(s.Center) || (center != "" && s.Center != center) {
			continue
		}
		k := KioskHealth{KioskStatus: s, Contact: s.LastSync, Health: HealthOK}
		if k.Contact.IsZero() {
			k.Contact = s.Enrolled
		}
		k.Age = max(now.Sub(k.Contact), 0)
		switch {
		case !s.Revoked.IsZero():
			k.Health = HealthRevoked
		case s.Fork:
			k.Health = HealthFork
		case s.Refusal != "":
			k.Health = HealthRefused
		case k.Age > h.opts.StaleAfter:
			k.Health = HealthStale
		case s.Lag > 0:
			k.Health = HealthBehind
		case s.ClockOffset > ClockWarn || s.ClockOffset < -ClockWarn:
			k.Health = HealthClock
		}
		out = append(out, k)
	}
	slices.SortStableFunc(out, func(a, b KioskHealth) int {
		ra, rb := a.Health == HealthRevoked, b.Health == HealthRevoked
		if ra != rb {
			if ra {
				return 1
			}
			return -1
		}
		return cmp.Or(a.Contact.Compare(b.Contact), cmp.Compare(a.Terminal, b.Terminal))
	})
	return out, nil
}
