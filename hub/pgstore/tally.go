package pgstore

import (
	"cmp"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/record"
)

// The dashboard's reads: sums of the entries where they are, through the
// covering index entries_tally (center, kind, at_hub, INCLUDE every column
// a sum reads), so a month of a district's entries is read from the index
// alone (an index-only scan) and never leaves PostgreSQL.

func (t *tx) Flag(id int64) (hub.Flag, error) {
	f := hub.Flag{ID: id}
	var at, resolved int64
	var kind string
	err := t.row("SELECT kind, subject, detail, at, resolved_by, resolved_at FROM flags WHERE id = ?", id).
		Scan(&kind, &f.Subject, &f.Detail, &at, &f.ResolvedBy, &resolved)
	f.Kind, f.At, f.Resolved = hub.FlagKind(kind), fromNano(at), fromNano(resolved)
	return f, notFound(err, "flag %d", id)
}

func (t *tx) CenterStock(center string) ([]hub.Stock, error) {
	rows, err := t.query("SELECT center, item, qty, version FROM stock WHERE center = ? ORDER BY item", center)
	if err != nil {
		return nil, fmt.Errorf("pgstore: stock of %s: %w", center, err)
	}
	return collect(t, rows, scanStock)
}

// The entry kinds the sums tell apart.
var (
	kCheckOut = int(record.KindCheckOut)
	kRedeem   = int(record.KindRedeem)
	kAdjust   = int(record.KindAdjust)
	kReverse  = int(record.KindReverse)
	kExpire   = int(record.KindExpire)
)

// tallySQL are the three queries of one period of a TallyQuery grouped
// by: plain sums by kind of the check-outs, redemptions, adjustments and
// expiries; the reversals, told apart by what they name; the distinct
// people of the check-outs. Each reads one kind's stretch of time at each
// center from the index (center, kind, at_hub, …): cheaper than one pass
// of conditional sums over every kind, check-ins included. Their first
// three columns are the group: center, activity, item (” and 0 when not
// grouped by).
type tallySQL struct{ sums, reversals, people string }

func tallyQueries(by hub.TallyGroup) tallySQL {
	var cols, group []string
	for _, g := range []struct {
		by       hub.TallyGroup
		col, nul string
	}{{hub.ByCenter, "e.center", "''"}, {hub.ByActivity, "e.activity", "0"}, {hub.ByItem, "e.item", "0"}} {
		if by&g.by != 0 {
			cols, group = append(cols, g.col), append(group, g.col)
		} else {
			cols = append(cols, g.nul)
		}
	}
	where := func(kinds string) string {
		return "\nFROM entries e WHERE e.center = ANY(?) AND e.kind IN (" + kinds + ") AND e.at_hub >= ? AND e.at_hub < ?"
	}
	// Without a group an aggregate is one row even of no entry: HAVING
	// leaves it out.
	groupBy := func(extra ...string) string {
		if g := append(slices.Clone(group), extra...); len(g) > 0 {
			return "\nGROUP BY " + strings.Join(g, ", ")
		}
		return "\nHAVING count(*) > 0"
	}
	sel := "SELECT " + strings.Join(cols, ", ") + ", "
	return tallySQL{
		sums: sel + "e.kind, count(*), sum(e.minutes)::bigint, sum(e.points)::bigint, sum(e.stock)::bigint" +
			where(fmt.Sprintf("%d, %d, %d, %d", kCheckOut, kRedeem, kAdjust, kExpire)) + groupBy("e.kind"),
		reversals: sel + `count(*) FILTER (WHERE e.activity != 0), count(*) FILTER (WHERE e.item != 0 AND e.stock > 0),
	sum(e.minutes) FILTER (WHERE e.item = 0)::bigint, sum(e.points) FILTER (WHERE e.item = 0)::bigint,
	sum(e.points) FILTER (WHERE e.item != 0)::bigint, sum(e.stock) FILTER (WHERE e.item != 0 AND e.stock > 0)::bigint` +
			where(fmt.Sprint(kReverse)) + groupBy(),
		people: strings.Replace("SELECT DISTINCT "+strings.Join(cols, ", ")+", coalesce(a.to_id, e.person) AS who"+where(fmt.Sprint(kCheckOut)),
			"FROM entries e", "FROM entries e LEFT JOIN aliases a ON a.from_id = e.person", 1) +
			"\nORDER BY " + strings.Join(append(slices.Clone(group), "who"), ", "),
	}
}

// sumsWorkMem is the memory each sort and hash of the dashboard's reads
// may take before it spills to disk (PostgreSQL's work_mem, 4 MB unless
// the server says otherwise). A month of a district of 10,000,000 entries
// is 135,000 sums' rows and 121,000 people's: sorted or hashed in 4 MB they
// spilled to temporary files (an external merge), and the people of a
// month by center, activity and item took 0.80 s against 0.45 s in
// memory. It holds for the reading transaction only (SET LOCAL), so the
// pool's connections keep the server's setting for everything else; the
// few dashboards open at once stay far under the server's memory.
const sumsWorkMem = "64MB"

// roomForSums raises work_mem to sumsWorkMem for the rest of t.
func (t *tx) roomForSums() error {
	if _, err := t.exec("SELECT set_config('work_mem', ?, true)", sumsWorkMem); err != nil {
		return fmt.Errorf("pgstore: work_mem for the sums: %w", err)
	}
	return nil
}

// periodArgs are the arguments of period i of q's queries: the centers'
// array, the period's first instant and its end.
func periodArgs(q hub.TallyQuery, i int) []any {
	return []any{q.Centers, q.Bounds[i].UnixNano(), q.Bounds[i+1].UnixNano()}
}

func (t *tx) TallyPeople(q hub.TallyQuery) ([]hub.TallyPerson, error) {
	if len(q.Centers) == 0 || len(q.Bounds) < 2 {
		return nil, nil
	}
	if err := t.roomForSums(); err != nil {
		return nil, err
	}
	query := tallyQueries(q.By).people
	var out []hub.TallyPerson
	for i := 0; i+1 < len(q.Bounds); i++ {
		rows, err := t.query(query, periodArgs(q, i)...)
		if err != nil {
			return nil, fmt.Errorf("pgstore: tally people: %w", err)
		}
		got, err := collect(t, rows, func(s scanner) (hub.TallyPerson, error) {
			p := hub.TallyPerson{Period: i}
			var activity, item, person int64
			err := s.Scan(&p.Center, &activity, &item, &person)
			p.Activity, p.Item, p.Person = record.ActivityID(activity), record.ItemID(item), record.PersonID(person)
			return p, err
		})
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

type tallyGroupKey struct {
	center   string
	activity record.ActivityID
	item     record.ItemID
}

func (t *tx) Tallies(q hub.TallyQuery) ([]hub.TallyRow, error) {
	if len(q.Centers) == 0 || len(q.Bounds) < 2 {
		return nil, nil
	}
	if err := t.roomForSums(); err != nil {
		return nil, err
	}
	qs := tallyQueries(q.By)
	var out []hub.TallyRow
	for i := 0; i+1 < len(q.Bounds); i++ {
		args := periodArgs(q, i)
		groups := map[tallyGroupKey]*hub.Tally{}
		// read runs query and hands each row's group and other columns
		// to fn.
		read := func(query string, n int, fn func(*hub.Tally, []int64)) error {
			rows, err := t.query(query, args...)
			if err != nil {
				return fmt.Errorf("pgstore: tallies: %w", err)
			}
			defer rows.Close()
			vals := make([]sql.NullInt64, n)
			dest := make([]any, 0, 3+n)
			var k tallyGroupKey
			var activity, item int64
			dest = append(dest, &k.center, &activity, &item)
			for i := range vals {
				dest = append(dest, &vals[i])
			}
			nums := make([]int64, n)
			for rows.Next() {
				if err := rows.Scan(dest...); err != nil {
					return fmt.Errorf("pgstore: tallies: %w", err)
				}
				k.activity, k.item = record.ActivityID(activity), record.ItemID(item)
				g := groups[k]
				if g == nil {
					g = &hub.Tally{}
					groups[k] = g
				}
				for i, v := range vals {
					nums[i] = v.Int64
				}
				fn(g, nums)
			}
			if err := rows.Err(); err != nil {
				return fmt.Errorf("pgstore: tallies: %w", err)
			}
			return nil
		}
		err := read(qs.sums, 5, func(g *hub.Tally, v []int64) {
			kind, n, minutes, points, stock := int(v[0]), v[1], v[2], v[3], v[4]
			switch kind {
			case kCheckOut:
				g.Shifts += n
				g.Minutes += minutes
				g.Earned += points
			case kAdjust:
				g.Minutes += minutes
				g.Earned += points
			case kRedeem:
				g.Redemptions += n
				g.Redeemed -= points
				g.Given -= stock
			case kExpire:
				g.Expired -= points
			}
		})
		if err == nil {
			err = read(qs.reversals, 6, func(g *hub.Tally, v []int64) {
				g.Shifts -= v[0]
				g.Redemptions -= v[1]
				g.Minutes += v[2]
				g.Earned += v[3]
				g.Redeemed -= v[4]
				g.Given -= v[5]
			})
		}
		if err != nil {
			return nil, err
		}
		keys := make([]tallyGroupKey, 0, len(groups))
		for k := range groups {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b tallyGroupKey) int {
			return cmp.Or(cmp.Compare(a.center, b.center), cmp.Compare(a.activity, b.activity), cmp.Compare(a.item, b.item))
		})
		for _, k := range keys {
			out = append(out, hub.TallyRow{Period: i, Center: k.center, Activity: k.activity, Item: k.item, Tally: *groups[k]})
		}
	}
	return out, nil
}

// topQuery is TopVolunteers' SQL: the kinds of service
// minutes (check-outs, adjustments, reversals naming no item), each kind's
// stretch of the index at each center.
var topQuery = func() string {
	return fmt.Sprintf(`SELECT coalesce(a.to_id, e.person) AS who,
	sum(CASE WHEN e.kind = %[1]d THEN 1 WHEN e.kind = %[3]d AND e.activity != 0 THEN -1 ELSE 0 END),
	sum(e.minutes)::bigint AS m, sum(e.points)::bigint AS p
FROM entries e LEFT JOIN aliases a ON a.from_id = e.person
WHERE e.center = ANY(?) AND e.kind IN (%[1]d, %[2]d, %[3]d) AND e.at_hub >= ? AND e.at_hub < ?
	AND e.person != 0 AND NOT (e.kind = %[3]d AND e.item != 0)
GROUP BY who HAVING sum(e.minutes) > 0
ORDER BY m DESC, p DESC, who
LIMIT ?`, kCheckOut, kAdjust, kReverse)
}()

func (t *tx) TopVolunteers(q hub.TopQuery) ([]hub.VolunteerTally, error) {
	if len(q.Centers) == 0 || q.Limit < 0 {
		return nil, nil
	}
	var limit *int // NULL: no limit
	if q.Limit > 0 {
		limit = &q.Limit
	}
	if err := t.roomForSums(); err != nil {
		return nil, err
	}
	rows, err := t.query(topQuery, q.Centers, q.From.UnixNano(), q.To.UnixNano(), limit)
	if err != nil {
		return nil, fmt.Errorf("pgstore: top volunteers: %w", err)
	}
	return collect(t, rows, func(s scanner) (hub.VolunteerTally, error) {
		var v hub.VolunteerTally
		var p int64
		err := s.Scan(&p, &v.Shifts, &v.Minutes, &v.Earned)
		v.Person = record.PersonID(p)
		return v, err
	})
}

func (t *tx) TallyMark() (hub.TallyMark, error) {
	var entries, aliases int64
	err := t.row("SELECT (SELECT value FROM counters WHERE name = 'registry'), (SELECT coalesce(max(version), 0) FROM aliases)").Scan(&entries, &aliases)
	if err != nil {
		return hub.TallyMark{}, fmt.Errorf("pgstore: tally mark: %w", err)
	}
	if t.locked {
		entries = int64(t.registry.value) // this Update's entries too
	}
	return hub.TallyMark{Entries: uint64(entries), Aliases: uint64(aliases)}, nil
}

func (t *tx) EntriesAfter(mark uint64, limit int) ([]hub.EntryStamp, error) {
	rows, err := t.query(`SELECT center, at_hub, kind, person, activity, item, minutes, points, stock
		FROM entries WHERE n > ? ORDER BY n LIMIT ?`, int64(mark), limit)
	if err != nil {
		return nil, fmt.Errorf("pgstore: entries after %d: %w", mark, err)
	}
	return collect(t, rows, func(s scanner) (hub.EntryStamp, error) {
		var e hub.EntryStamp
		var at, kind, person, activity, item int64
		err := s.Scan(&e.Center, &at, &kind, &person, &activity, &item, &e.Minutes, &e.Points, &e.Stock)
		e.At, e.Kind, e.Person, e.Activity, e.Item = fromNano(at), record.Kind(kind), record.PersonID(person), record.ActivityID(activity), record.ItemID(item)
		return e, err
	})
}

func (t *tx) AliasesAfter(version uint64) ([]hub.Alias, error) {
	rows, err := t.query("SELECT from_id, to_id, version FROM aliases WHERE version > ? ORDER BY version", int64(version))
	if err != nil {
		return nil, fmt.Errorf("pgstore: aliases after %d: %w", version, err)
	}
	return collect(t, rows, scanAlias)
}
