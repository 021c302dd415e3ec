package hub

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// The dashboard's sums of a period change only when an entry comes into it
// (a kiosk's sync, mostly at night) or an alias is written (a merge
// changes who is the same volunteer). So the hub keeps the sums it read,
// each under its query and period, with the store's TallyMark they were
// read at; a later read asks the store which entries were stored since
// (EntriesAfter: the night's, a few thousand) and drops the sums of the
// periods and centers they fall in, everything when an alias was written.
// A year's trend of a district of millions of entries is then read once,
// and after a night's sync only its last month again.

// TallyMark is where a store's entries and aliases stand (Reader.TallyMark).
type TallyMark struct {
	Entries uint64
	Aliases uint64
}

// EntryStamp is where and when an entry counts: its hub center and hub
// time.
type EntryStamp struct {
	Center string
	At     time.Time
}

// Bounds of the cache.
const (
	// maxCachedSums: more sums kept than this and the cache starts over
	// (a few kilobytes each; a user browsing every month of every center
	// for years is far below it).
	maxCachedSums = 4096
	// maxStamps: more entries stored since the cache's mark than this
	// (a restore, a first sync of a big backlog) and it starts over
	// instead of reading them.
	maxStamps = 100_000
)

type tallyKey struct {
	centers  string // the ids, sorted, joined by NUL
	by       TallyGroup
	from, to int64
	limit    int // TopVolunteers' limit; 0 for Tallies
}

// tallyCache is the sums the dashboard read. Its zero value is empty.
type tallyCache struct {
	mu    sync.Mutex
	mark  TallyMark
	valid bool
	sums  map[tallyKey][]TallyRow // each row's Period 0
	tops  map[tallyKey][]VolunteerTally
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
	restart := !valid || m.Aliases != old.Aliases
	var stamps []EntryStamp
	if !restart {
		var err error
		if stamps, err = r.EntriesAfter(old.Entries, maxStamps+1); err != nil {
			return false, err
		}
		restart = len(stamps) > maxStamps
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mark != old || c.valid != valid {
		// Synced meanwhile by another read: usable if to this snapshot.
		return c.valid && c.mark == m, nil
	}
	if restart {
		c.sums, c.tops = nil, nil
	} else {
		c.drop(stamps)
	}
	c.mark, c.valid = m, true
	return true, nil
}

// drop forgets the sums of every period and center an entry of stamps
// falls in. c.mu is held.
func (c *tallyCache) drop(stamps []EntryStamp) {
	if len(stamps) == 0 {
		return
	}
	at := map[string][]int64{}
	for _, s := range stamps {
		at[s.Center] = append(at[s.Center], s.At.UnixNano())
	}
	for _, ts := range at {
		slices.Sort(ts)
	}
	touched := func(k tallyKey) bool {
		for _, c := range strings.Split(k.centers, "\x00") {
			ts := at[c]
			i, _ := slices.BinarySearch(ts, k.from)
			if i < len(ts) && ts[i] < k.to {
				return true
			}
		}
		return false
	}
	for k := range c.sums {
		if touched(k) {
			delete(c.sums, k)
		}
	}
	for k := range c.tops {
		if touched(k) {
			delete(c.tops, k)
		}
	}
}

func centersKey(centers []string) string {
	cs := slices.Clone(centers)
	slices.Sort(cs)
	return strings.Join(slices.Compact(cs), "\x00")
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

// tallies is r.Tallies(q), each period's sums from the cache when it holds
// them; the others are read, a run of periods at a time, and kept.
func (h *Hub) tallies(r Reader, q TallyQuery) ([]TallyRow, error) {
	if len(q.Centers) == 0 || len(q.Bounds) < 2 {
		return nil, nil
	}
	c := &h.sums
	m, ok, err := c.use(r)
	if err != nil || !ok {
		if err != nil {
			return nil, err
		}
		return r.Tallies(q)
	}
	n := len(q.Bounds) - 1
	keys := make([]tallyKey, n)
	have := make([][]TallyRow, n)
	found := make([]bool, n)
	cs := centersKey(q.Centers)
	c.mu.Lock()
	for i := range n {
		keys[i] = tallyKey{centers: cs, by: q.By, from: q.Bounds[i].UnixNano(), to: q.Bounds[i+1].UnixNano()}
		have[i], found[i] = c.sums[keys[i]]
	}
	c.mu.Unlock()
	for lo := 0; lo < n; {
		if found[lo] {
			lo++
			continue
		}
		hi := lo
		for hi < n && !found[hi] {
			hi++
		}
		rows, err := r.Tallies(TallyQuery{Centers: q.Centers, Bounds: q.Bounds[lo : hi+1], By: q.By})
		if err != nil {
			return nil, err
		}
		for i := lo; i < hi; i++ {
			have[i] = []TallyRow{}
		}
		for _, row := range rows {
			i := lo + row.Period
			row.Period = 0
			have[i] = append(have[i], row)
		}
		c.mu.Lock()
		if c.mark == m {
			if len(c.sums) >= maxCachedSums {
				c.sums = nil
			}
			if c.sums == nil {
				c.sums = map[tallyKey][]TallyRow{}
			}
			for i := lo; i < hi; i++ {
				c.sums[keys[i]] = have[i]
			}
		}
		c.mu.Unlock()
		lo = hi
	}
	var out []TallyRow
	for i, rows := range have {
		for _, row := range rows {
			row.Period = i
			out = append(out, row)
		}
	}
	return out, nil
}

// topVolunteers is r.TopVolunteers(q), from the cache when it holds it.
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
	k := tallyKey{centers: centersKey(q.Centers), from: q.From.UnixNano(), to: q.To.UnixNano(), limit: q.Limit}
	c.mu.Lock()
	top, found := c.tops[k]
	c.mu.Unlock()
	if found {
		return slices.Clone(top), nil
	}
	if top, err = r.TopVolunteers(q); err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.mark == m {
		if len(c.tops) >= maxCachedSums {
			c.tops = nil
		}
		if c.tops == nil {
			c.tops = map[tallyKey][]VolunteerTally{}
		}
		c.tops[k] = slices.Clone(top)
	}
	c.mu.Unlock()
	return top, nil
}
