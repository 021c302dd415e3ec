package hub

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hongmajia/hongmajia/record"
)

// The dashboard's sums of a period change only when an entry comes into it
// (a kiosk's sync, mostly at night) or an alias is written (a merge makes
// two volunteers one). So the hub keeps the sums it read, each under its
// query and period, with the people of each group (to count volunteers)
// and the store's TallyMark they were read at. A later read asks the store
// what was stored since: the entries (EntriesAfter: a night's few
// thousand) are added to the sums of the periods and centers they fall
// in, the aliases (AliasesAfter) turn a merged person into the one they
// were merged into. A year's trend of a district of millions of entries
// is read from the store once; after that, only what each sync brought.
//
// The rule of what an entry adds to a Tally is the store's (Tallies); add
// keeps it in Go, and a test holds the two to the same numbers.

// TallyMark is where a store's entries and aliases stand (Reader.TallyMark).
type TallyMark struct {
	Entries uint64
	Aliases uint64
}

// EntryStamp is what the dashboard's sums read of an entry.
type EntryStamp struct {
	Center   string // its hub center
	At       time.Time
	Kind     record.Kind
	Person   record.PersonID
	Activity record.ActivityID
	Item     record.ItemID
	Minutes  int64
	Points   int64
	Stock    int64
}

// counted reports whether Tallies reads e's kind.
func (e EntryStamp) counted() bool {
	switch e.Kind {
	case record.KindCheckOut, record.KindRedeem, record.KindAdjust, record.KindReverse, record.KindExpire:
		return true
	}
	return false
}

// add adds e to t as Tallies does, but Volunteers.
func (t *Tally) add(e EntryStamp) {
	switch e.Kind {
	case record.KindCheckOut:
		t.Shifts++
		t.Minutes += e.Minutes
		t.Earned += e.Points
	case record.KindAdjust:
		t.Minutes += e.Minutes
		t.Earned += e.Points
	case record.KindRedeem:
		t.Redemptions++
		t.Redeemed -= e.Points
		t.Given -= e.Stock
	case record.KindExpire:
		t.Expired -= e.Points
	case record.KindReverse:
		if e.Activity != 0 {
			t.Shifts--
		}
		if e.Item == 0 {
			t.Minutes += e.Minutes
			t.Earned += e.Points
		} else {
			t.Redeemed -= e.Points
			if e.Stock > 0 {
				t.Redemptions--
				t.Given -= e.Stock
			}
		}
	}
}

// addService adds e to v as TopVolunteers does.
func (v *VolunteerTally) addService(e EntryStamp) {
	switch {
	case e.Kind == record.KindCheckOut:
		v.Shifts++
	case e.Kind == record.KindReverse && e.Item == 0:
		if e.Activity != 0 {
			v.Shifts--
		}
	case e.Kind != record.KindAdjust:
		return
	}
	v.Minutes += e.Minutes
	v.Earned += e.Points
}

// serves reports whether TopVolunteers reads e.
func (e EntryStamp) serves() bool {
	return e.Person != 0 && (e.Kind == record.KindCheckOut || e.Kind == record.KindAdjust || (e.Kind == record.KindReverse && e.Item == 0))
}

// Bounds of the cache.
const (
	// maxCached: more periods kept than this, or more people in their
	// groups than maxKept (a map entry each: about 30 MB a million), and
	// the cache starts over. A district of 100,000 people keeps about
	// 650,000 for a year's trend and a month's report at 5,000,000
	// entries, about 1,150,000 at 10,000,000 (most of its people serve
	// every month): under a bound of 1,000,000 the page started over at
	// each load and read everything again (5 s instead of milliseconds).
	maxCached = 2048
	maxKept   = 2_000_000
	// maxStamps: more entries stored since the cache's mark than this (a
	// restore, a first sync of a big backlog) and it starts over instead
	// of reading them.
	maxStamps = 100_000
)

type groupKey struct {
	center   string
	activity record.ActivityID
	item     record.ItemID
}

// sumsKey is a period of a TallyQuery, and whether its people are kept.
type sumsKey struct {
	centers  string // the ids, sorted, joined by NUL
	by       TallyGroup
	from, to int64
	people   bool
}

type cachedGroup struct {
	Tally
	people map[record.PersonID]struct{} // nil unless the key keeps people
}

type cachedSums struct {
	centers map[string]bool
	groups  map[groupKey]*cachedGroup
}

type topKey struct {
	centers  string
	from, to int64
}

type cachedTop struct {
	centers map[string]bool
	people  map[record.PersonID]*VolunteerTally
}

// tallyCache is the sums the dashboard read. Its zero value is empty.
type tallyCache struct {
	mu      sync.Mutex
	mark    TallyMark
	valid   bool
	aliasTo map[record.PersonID]record.PersonID
	sums    map[sumsKey]*cachedSums
	tops    map[topKey]*cachedTop
	// kept is about how many people the periods kept hold (as they were
	// read: a sync adds a few).
	kept int
}

// room makes room for n more people kept: the cache starts over when
// they would be too many. c.mu is held.
func (c *tallyCache) room(n int) {
	if c.kept+n > maxKept || len(c.sums)+len(c.tops) >= maxCached {
		c.sums, c.tops, c.kept = nil, nil, 0
	}
	c.kept += n
}

// size is how many people s holds.
func (s *cachedSums) size() int {
	n := len(s.groups)
	for _, g := range s.groups {
		n += len(g.people)
	}
	return n
}

func (c *tallyCache) resolve(p record.PersonID) record.PersonID {
	if to, ok := c.aliasTo[p]; ok {
		return to
	}
	return p
}

// sync brings the cache to m, the mark of r's snapshot, and reports
// whether r may use it: false for a snapshot older than the cache's (it
// reads the store alone).
func (c *tallyCache) sync(r Reader, m TallyMark) (bool, error) {
	c.mu.Lock()
	old, valid := c.mark, c.valid
	c.mu.Unlock()
	switch {
	case valid && m == old:
		return true, nil
	case valid && (m.Entries < old.Entries || m.Aliases < old.Aliases):
		return false, nil
	}
	// Every alias when one was written (a district's merges: a small
	// table), and the entries stored since, read outside the lock.
	var all, fresh []Alias
	var stamps []EntryStamp
	var err error
	if !valid || m.Aliases != old.Aliases {
		if all, err = r.AliasesAfter(0); err != nil {
			return false, err
		}
		for _, a := range all {
			if a.Version > old.Aliases {
				fresh = append(fresh, a)
			}
		}
		slices.SortFunc(fresh, func(a, b Alias) int { return cmp.Compare(a.Version, b.Version) })
	}
	restart := !valid
	if valid && m.Entries != old.Entries {
		if stamps, err = r.EntriesAfter(old.Entries, maxStamps+1); err != nil {
			return false, err
		}
		restart = len(stamps) > maxStamps
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mark != old || c.valid != valid {
		// Synced meanwhile by another read: usable if to this snapshot.
		return c.current(m), nil
	}
	if !restart && m.Aliases != old.Aliases {
		restart = !c.merge(fresh)
	}
	if restart {
		c.sums, c.tops, c.kept = nil, nil, 0
		if all != nil || !valid {
			c.aliasTo = make(map[record.PersonID]record.PersonID, len(all))
			for _, a := range all {
				c.aliasTo[a.From] = a.To
			}
		}
	} else {
		c.addEntries(stamps)
	}
	c.mark, c.valid = m, true
	return true, nil
}

// current reports whether the cache is at mark m. c.mu is held.
func (c *tallyCache) current(m TallyMark) bool { return c.valid && c.mark == m }

// merge applies aliases written since the cache's mark: each new alias
// from W to R makes W's service R's. It reports false when an alias moved
// in a way a merge does not explain (the cache must start over). c.mu is
// held.
func (c *tallyCache) merge(aliases []Alias) bool {
	if len(aliases) == 0 {
		return true
	}
	prev := map[record.PersonID]record.PersonID{}
	for _, a := range aliases {
		if p, ok := c.aliasTo[a.From]; ok {
			if _, seen := prev[a.From]; !seen {
				prev[a.From] = p
			}
		}
		c.aliasTo[a.From] = a.To
	}
	var merged []Alias
	for _, a := range aliases {
		to := c.aliasTo[a.From]
		if to != a.To {
			continue // moved again later in the list: its last counts
		}
		if p, ok := prev[a.From]; ok {
			// An alias moved: only as its target was merged on (X to W
			// becoming X to R when W merged into R), which the merge of W
			// itself carries.
			if c.resolve(p) != to {
				return false
			}
			continue
		}
		merged = append(merged, a)
	}
	for _, a := range merged {
		for _, s := range c.sums {
			for _, g := range s.groups {
				if _, ok := g.people[a.From]; ok {
					delete(g.people, a.From)
					g.people[a.To] = struct{}{}
					g.Volunteers = int64(len(g.people))
				}
			}
		}
		for _, t := range c.tops {
			if v, ok := t.people[a.From]; ok {
				delete(t.people, a.From)
				w := t.people[a.To]
				if w == nil {
					w = &VolunteerTally{Person: a.To}
					t.people[a.To] = w
				}
				w.Shifts += v.Shifts
				w.Minutes += v.Minutes
				w.Earned += v.Earned
			}
		}
	}
	return true
}

// addEntries adds entries stored since the cache's mark to the sums of
// the periods and centers they fall in. c.mu is held.
func (c *tallyCache) addEntries(stamps []EntryStamp) {
	for _, e := range stamps {
		at := e.At.UnixNano()
		person := c.resolve(e.Person)
		if e.counted() {
			for k, s := range c.sums {
				if at < k.from || at >= k.to || !s.centers[e.Center] {
					continue
				}
				gk := groupKey{}
				if k.by&ByCenter != 0 {
					gk.center = e.Center
				}
				if k.by&ByActivity != 0 {
					gk.activity = e.Activity
				}
				if k.by&ByItem != 0 {
					gk.item = e.Item
				}
				g := s.groups[gk]
				if g == nil {
					g = &cachedGroup{}
					if k.people {
						g.people = map[record.PersonID]struct{}{}
					}
					s.groups[gk] = g
				}
				g.add(e)
				if k.people && e.Kind == record.KindCheckOut {
					g.people[person] = struct{}{}
					g.Volunteers = int64(len(g.people))
				}
			}
		}
		if e.serves() {
			for k, t := range c.tops {
				if at < k.from || at >= k.to || !t.centers[e.Center] {
					continue
				}
				v := t.people[person]
				if v == nil {
					v = &VolunteerTally{Person: person}
					t.people[person] = v
				}
				v.addService(e)
			}
		}
	}
}

func centersKey(centers []string) (string, map[string]bool) {
	cs := slices.Clone(centers)
	slices.Sort(cs)
	cs = slices.Compact(cs)
	set := map[string]bool{}
	for _, c := range cs {
		set[c] = true
	}
	return strings.Join(cs, "\x00"), set
}

// use reads the mark of r's snapshot and syncs the cache to it.
func (c *tallyCache) use(r Reader) (TallyMark, bool, error) {
	m, err := r.TallyMark()
	if err != nil {
		return m, false, err
	}
	ok, err := c.sync(r, m)
	return m, ok, err
}

// readSums reads q's periods from the store: each period's groups, with
// their people when people.
func readSums(r Reader, q TallyQuery, people bool) ([]*cachedSums, error) {
	_, set := centersKey(q.Centers)
	out := make([]*cachedSums, len(q.Bounds)-1)
	for i := range out {
		out[i] = &cachedSums{centers: set, groups: map[groupKey]*cachedGroup{}}
	}
	rows, err := r.Tallies(q)
	if err != nil {
		return nil, err
	}
	for _, row := range rows {
		g := &cachedGroup{Tally: row.Tally}
		if people {
			g.people = map[record.PersonID]struct{}{}
		}
		out[row.Period].groups[groupKey{row.Center, row.Activity, row.Item}] = g
	}
	if !people {
		return out, nil
	}
	ps, err := r.TallyPeople(q)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		k := groupKey{p.Center, p.Activity, p.Item}
		g := out[p.Period].groups[k]
		if g == nil {
			// Every check-out is summed: a group of people has sums. A
			// store that disagrees still counts the people.
			g = &cachedGroup{people: map[record.PersonID]struct{}{}}
			out[p.Period].groups[k] = g
		}
		g.people[p.Person] = struct{}{}
		g.Volunteers = int64(len(g.people))
	}
	return out, nil
}

// rowsOf are the rows of periods s, in Tallies' order.
func rowsOf(s []*cachedSums) []TallyRow {
	var out []TallyRow
	for i, p := range s {
		start := len(out)
		for k, g := range p.groups {
			out = append(out, TallyRow{Period: i, Center: k.center, Activity: k.activity, Item: k.item, Tally: g.Tally})
		}
		slices.SortFunc(out[start:], func(a, b TallyRow) int {
			return cmp.Or(cmp.Compare(a.Center, b.Center), cmp.Compare(a.Activity, b.Activity), cmp.Compare(a.Item, b.Item))
		})
	}
	return out
}

// tallies are q's sums, with each group's Volunteers when people (else
// 0), each period's from the cache when it holds it; the others are read,
// a run of periods at a time, and kept.
func (h *Hub) tallies(r Reader, q TallyQuery, people bool) ([]TallyRow, error) {
	if len(q.Centers) == 0 || len(q.Bounds) < 2 {
		return nil, nil
	}
	c := &h.sums
	m, ok, err := c.use(r)
	if err != nil {
		return nil, err
	}
	if !ok {
		s, err := readSums(r, q, people)
		if err != nil {
			return nil, err
		}
		return rowsOf(s), nil
	}
	n := len(q.Bounds) - 1
	cs, _ := centersKey(q.Centers)
	keys := make([]sumsKey, n)
	for i := range n {
		keys[i] = sumsKey{centers: cs, by: q.By, from: q.Bounds[i].UnixNano(), to: q.Bounds[i+1].UnixNano(), people: people}
	}
	// Rows are made under the lock, or before a period read is published:
	// the cache adds entries to its sums under it.
	out := make([][]TallyRow, n)
	var missing []int
	c.mu.Lock()
	for i, k := range keys {
		if s := c.sums[k]; s != nil && c.current(m) {
			out[i] = rowsOf([]*cachedSums{s})
		} else {
			missing = append(missing, i)
		}
	}
	c.mu.Unlock()
	read := map[int]*cachedSums{}
	for lo := 0; lo < len(missing); {
		hi := lo + 1
		for hi < len(missing) && missing[hi] == missing[hi-1]+1 {
			hi++
		}
		first, last := missing[lo], missing[hi-1]
		s, err := readSums(r, TallyQuery{Centers: q.Centers, Bounds: q.Bounds[first : last+2], By: q.By}, people)
		if err != nil {
			return nil, err
		}
		for j, p := range s {
			read[first+j] = p
			out[first+j] = rowsOf([]*cachedSums{p})
		}
		lo = hi
	}
	if len(read) > 0 {
		c.mu.Lock()
		if c.current(m) {
			for i, s := range read {
				c.room(s.size())
				if c.sums == nil {
					c.sums = map[sumsKey]*cachedSums{}
				}
				c.sums[keys[i]] = s
			}
		}
		c.mu.Unlock()
	}
	return flatten(out), nil
}

func flatten(periods [][]TallyRow) []TallyRow {
	var out []TallyRow
	for i, rows := range periods {
		for _, row := range rows {
			row.Period = i
			out = append(out, row)
		}
	}
	return out
}

// topOf is the first limit of people, as TopVolunteers orders them.
func topOf(people map[record.PersonID]*VolunteerTally, limit int) []VolunteerTally {
	var all []VolunteerTally
	for _, v := range people {
		if v.Minutes > 0 {
			all = append(all, *v)
		}
	}
	slices.SortFunc(all, func(a, b VolunteerTally) int {
		return cmp.Or(cmp.Compare(b.Minutes, a.Minutes), cmp.Compare(b.Earned, a.Earned), cmp.Compare(a.Person, b.Person))
	})
	return all[:min(limit, len(all))]
}

// topVolunteers is r.TopVolunteers(q): every person's service in q's time
// from the cache when it holds it, else read and kept.
func (h *Hub) topVolunteers(r Reader, q TopQuery) ([]VolunteerTally, error) {
	if len(q.Centers) == 0 || q.Limit <= 0 {
		return nil, nil
	}
	c := &h.sums
	m, ok, err := c.use(r)
	if err != nil || !ok {
		if err != nil {
			return nil, err
		}
		return r.TopVolunteers(q)
	}
	cs, set := centersKey(q.Centers)
	k := topKey{centers: cs, from: q.From.UnixNano(), to: q.To.UnixNano()}
	c.mu.Lock()
	if t := c.tops[k]; t != nil && c.current(m) {
		defer c.mu.Unlock()
		return topOf(t.people, q.Limit), nil
	}
	c.mu.Unlock()
	all, err := r.TopVolunteers(TopQuery{Centers: q.Centers, From: q.From, To: q.To})
	if err != nil {
		return nil, err
	}
	t := &cachedTop{centers: set, people: make(map[record.PersonID]*VolunteerTally, len(all))}
	for _, v := range all {
		t.people[v.Person] = &v
	}
	top := topOf(t.people, q.Limit)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.current(m) {
		c.room(len(t.people))
		if c.tops == nil {
			c.tops = map[topKey]*cachedTop{}
		}
		c.tops[k] = t
	}
	return top, nil
}
