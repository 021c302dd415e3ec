package sqlitestore

import (
	"fmt"
	"strings"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/record"
)

// The dashboard's reads: sums of the entries where they are, through the
// covering index entries_tally (center, at_hub, then every column a sum
// reads), so a month of a district's entries is read from the index alone
// and never leaves SQLite.

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
		return nil, fmt.Errorf("sqlitestore: stock of %s: %w", center, err)
	}
	return collect(rows, scanStock)
}

// The entry kinds the sums tell apart.
var (
	kCheckOut = int(record.KindCheckOut)
	kRedeem   = int(record.KindRedeem)
	kAdjust   = int(record.KindAdjust)
	kReverse  = int(record.KindReverse)
	kExpire   = int(record.KindExpire)
)

// tallySums are Tally's fields in its order, over entries e joined with
// their aliases a (hub.Tally says what each counts).
var tallySums = strings.Join([]string{
	fmt.Sprintf("count(DISTINCT CASE WHEN e.kind = %d THEN coalesce(a.to_id, e.person) END)", kCheckOut),
	fmt.Sprintf("sum(CASE WHEN e.kind = %d THEN 1 WHEN e.kind = %d AND e.activity != 0 THEN -1 ELSE 0 END)", kCheckOut, kReverse),
	fmt.Sprintf("sum(CASE WHEN e.kind IN (%d, %d) OR (e.kind = %d AND e.item = 0) THEN e.minutes ELSE 0 END)", kCheckOut, kAdjust, kReverse),
	fmt.Sprintf("sum(CASE WHEN e.kind IN (%d, %d) OR (e.kind = %d AND e.item = 0) THEN e.points ELSE 0 END)", kCheckOut, kAdjust, kReverse),
	fmt.Sprintf("-sum(CASE WHEN e.kind = %d OR (e.kind = %d AND e.item != 0) THEN e.points ELSE 0 END)", kRedeem, kReverse),
	fmt.Sprintf("sum(CASE WHEN e.kind = %d THEN 1 WHEN e.kind = %d AND e.item != 0 AND e.stock > 0 THEN -1 ELSE 0 END)", kRedeem, kReverse),
	fmt.Sprintf("-sum(CASE WHEN e.kind = %d OR (e.kind = %d AND e.item != 0 AND e.stock > 0) THEN e.stock ELSE 0 END)", kRedeem, kReverse),
	fmt.Sprintf("-sum(CASE WHEN e.kind = %d THEN e.points ELSE 0 END)", kExpire),
}, ",\n\t")

// inCenters is an IN list of n placeholders.
func inCenters(n int) string { return "?" + strings.Repeat(", ?", n-1) }

// tallyQuery is Tallies' SQL and arguments for q: the periods a VALUES
// table joined to each center's stretch of the index.
func tallyQuery(q hub.TallyQuery) (string, []any) {
	var b strings.Builder
	var args []any
	b.WriteString("WITH p(i, lo, hi) AS (VALUES ")
	for i := 0; i+1 < len(q.Bounds); i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?)")
		args = append(args, i, q.Bounds[i].UnixNano(), q.Bounds[i+1].UnixNano())
	}
	b.WriteString(")\nSELECT p.i")
	group := []string{"p.i"}
	for _, g := range []struct {
		by  hub.TallyGroup
		col string
		nul string
	}{{hub.ByCenter, "e.center", "''"}, {hub.ByActivity, "e.activity", "0"}, {hub.ByItem, "e.item", "0"}} {
		if q.By&g.by != 0 {
			b.WriteString(", " + g.col)
			group = append(group, g.col)
		} else {
			b.WriteString(", " + g.nul)
		}
	}
	b.WriteString(",\n\t" + tallySums)
	b.WriteString("\nFROM p JOIN entries e ON e.center IN (" + inCenters(len(q.Centers)) + ") AND e.at_hub >= p.lo AND e.at_hub < p.hi")
	b.WriteString("\nLEFT JOIN aliases a ON a.from_id = e.person")
	g := strings.Join(group, ", ")
	b.WriteString("\nGROUP BY " + g + "\nORDER BY " + g)
	for _, c := range q.Centers {
		args = append(args, c)
	}
	return b.String(), args
}

func (t *tx) Tallies(q hub.TallyQuery) ([]hub.TallyRow, error) {
	if len(q.Centers) == 0 || len(q.Bounds) < 2 {
		return nil, nil
	}
	query, args := tallyQuery(q)
	rows, err := t.query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: tallies: %w", err)
	}
	return collect(rows, func(s scanner) (hub.TallyRow, error) {
		var r hub.TallyRow
		var activity, item int64
		err := s.Scan(&r.Period, &r.Center, &activity, &item, &r.Volunteers, &r.Shifts, &r.Minutes, &r.Earned,
			&r.Redeemed, &r.Redemptions, &r.Given, &r.Expired)
		r.Activity, r.Item = record.ActivityID(activity), record.ItemID(item)
		return r, err
	})
}

func (t *tx) TopVolunteers(q hub.TopQuery) ([]hub.VolunteerTally, error) {
	if len(q.Centers) == 0 || q.Limit <= 0 {
		return nil, nil
	}
	query := fmt.Sprintf(`SELECT coalesce(a.to_id, e.person) AS who,
	sum(CASE WHEN e.kind = %[1]d THEN 1 WHEN e.kind = %[3]d AND e.activity != 0 THEN -1 ELSE 0 END),
	sum(e.minutes) AS m, sum(e.points) AS p
FROM entries e LEFT JOIN aliases a ON a.from_id = e.person
WHERE e.center IN (%[4]s) AND e.at_hub >= ? AND e.at_hub < ? AND e.person != 0
	AND (e.kind IN (%[1]d, %[2]d) OR (e.kind = %[3]d AND e.item = 0))
GROUP BY who HAVING m > 0
ORDER BY m DESC, p DESC, who
LIMIT ?`, kCheckOut, kAdjust, kReverse, inCenters(len(q.Centers)))
	args := make([]any, 0, len(q.Centers)+3)
	for _, c := range q.Centers {
		args = append(args, c)
	}
	args = append(args, q.From.UnixNano(), q.To.UnixNano(), q.Limit)
	rows, err := t.query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: top volunteers: %w", err)
	}
	return collect(rows, func(s scanner) (hub.VolunteerTally, error) {
		var v hub.VolunteerTally
		var p int64
		err := s.Scan(&p, &v.Shifts, &v.Minutes, &v.Earned)
		v.Person = record.PersonID(p)
		return v, err
	})
}

func (t *tx) TallyMark() (hub.TallyMark, error) {
	var entries, aliases int64
	err := t.row("SELECT (SELECT coalesce(max(rowid), 0) FROM entries), (SELECT coalesce(max(version), 0) FROM aliases)").Scan(&entries, &aliases)
	if err != nil {
		return hub.TallyMark{}, fmt.Errorf("sqlitestore: tally mark: %w", err)
	}
	return hub.TallyMark{Entries: uint64(entries), Aliases: uint64(aliases)}, nil
}

func (t *tx) EntriesAfter(mark uint64, limit int) ([]hub.EntryStamp, error) {
	rows, err := t.query("SELECT center, at_hub FROM entries WHERE rowid > ? ORDER BY rowid LIMIT ?", int64(mark), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: entries after %d: %w", mark, err)
	}
	return collect(rows, func(s scanner) (hub.EntryStamp, error) {
		var e hub.EntryStamp
		var at int64
		err := s.Scan(&e.Center, &at)
		e.At = fromNano(at)
		return e, err
	})
}
