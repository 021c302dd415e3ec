package ledger

import (
	"context"
	"strings"

	"github.com/hongmajia/hongmajia/record"
)

// appendOnlyTriggers are the triggers that make a table append-only, by
// name: the statement each refuses. Verify reports one that is missing or
// no longer refuses (dropped, or replaced with sqlite3). The entries are
// held in entry_rows since schema 7 (entries is a view over it), in entries
// before.
var appendOnlyTriggers = []struct{ name, table, event string }{
	{"entries_no_update", "entry_rows", "UPDATE"},
	{"entries_no_delete", "entry_rows", "DELETE"},
	{"outbox_no_update", "outbox", "UPDATE"},
	{"outbox_no_delete", "outbox", "DELETE"},
	{"pickups_no_update", "pickups", "UPDATE"},
	{"pickups_no_delete", "pickups", "DELETE"},
}

// checkTriggers reports append-only triggers that are gone or changed.
func checkTriggers(ctx context.Context, q querier, rep *VerifyReport) error {
	rows, err := q.QueryContext(ctx, "SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_master WHERE type IN ('trigger', 'table')")
	if err != nil {
		return storageErr(err)
	}
	defer rows.Close()
	type trigger struct{ table, sql string }
	found := map[string]trigger{}
	tables := map[string]bool{}
	for rows.Next() {
		var typ, name string
		var tr trigger
		if err := rows.Scan(&typ, &name, &tr.table, &tr.sql); err != nil {
			return storageErr(err)
		}
		if typ == "table" {
			tables[name] = true
			continue
		}
		found[name] = tr
	}
	if err := rows.Err(); err != nil {
		return storageErr(err)
	}
	for _, want := range appendOnlyTriggers {
		if want.table == "entry_rows" && !tables[want.table] {
			want.table = "entries" // a file older than schema 7
		} else if !tables[want.table] && want.table != "entry_rows" {
			continue // a file older than the table
		}
		tr, ok := found[want.name]
		if !ok {
			rep.add("trigger", "%s is missing: %s on %s is no longer refused", want.name, want.event, want.table)
			continue
		}
		s := strings.ToUpper(strings.Join(strings.Fields(tr.sql), " "))
		if tr.table != want.table || !strings.Contains(s, "BEFORE "+want.event+" ON "+strings.ToUpper(want.table)) ||
			!strings.Contains(s, "RAISE(ABORT") {
			rep.add("trigger", "%s was changed: it no longer refuses %s on %s (%s)", want.name, want.event, want.table, tr.sql)
		}
	}
	return nil
}

// kindCounts counts a terminal's entries of the kinds that have a row of
// their own (a shift for each check-in, a redemption for each redemption).
type kindCounts struct{ checkIns, redeems uint64 }

// checkRecords checks that the shifts and redemptions tables agree with the
// entries that made them: each shift with its check-in entry (the shift's
// id is the entry's) and its closing check-out entry (minutes and points
// credited), each redemption with its redeem entry; and that none is
// missing for the terminal's entries. counts are the terminal's entries by
// kind, as the chain scan found them.
func checkRecords(ctx context.Context, q querier, terminal string, counts kindCounts, rep *VerifyReport) error {
	direct := false
	if err := q.QueryRowContext(ctx, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'entry_rows'").Scan(new(int)); err == nil {
		direct = true
	} else if !isNoRows(err) {
		return storageErr(err)
	}
	shifts, err := checkShifts(ctx, q, direct)
	if err != nil {
		return err
	}
	redeems, err := checkRedemptions(ctx, q, direct, terminal)
	if err != nil {
		return err
	}
	for _, f := range []recordsFound{shifts, redeems} {
		for _, p := range f.problems {
			rep.add(p.Check, "%s", p.Detail)
		}
	}
	if shifts.n != counts.checkIns {
		rep.add("shift", "%d check-in entries of terminal %s but %d shifts", counts.checkIns, terminal, shifts.n)
	}
	if redeems.n != counts.redeems {
		rep.add("redemption", "%d redeem entries of terminal %s but %d redemptions", counts.redeems, terminal, redeems.n)
	}
	return nil
}

// checkShifts checks each shift against its entries (checkRecords); direct
// when the entries are in entry_rows.
func checkShifts(ctx context.Context, q querier, direct bool) (recordsFound, error) {
	return checkShiftRange(ctx, q, direct, nil, nil)
}

// checkShiftRange checks the shifts whose id is in [from, to) (nil: no
// bound), in the order of their ids.
func checkShiftRange(ctx context.Context, q querier, direct bool, from, to []byte) (recordsFound, error) {
	rep := &VerifyReport{}
	var shifts uint64
	// The entries are joined from their table: SQLite does not flatten the
	// view entries (a join) on the right of a LEFT JOIN, it would copy
	// every entry twice to a temporary index.
	table, _ := entriesTable(direct)
	rows, err := q.QueryContext(ctx, `SELECT s.id, s.person, s.card, s.activity, s.state, s.minutes, s.points, s.close_entry,
		ci.kind, ci.shift, COALESCE(ci.person, 0), ci.card, ci.activity,
		co.kind, co.shift, COALESCE(co.person, 0), co.minutes, co.points,
		(SELECT count(*) FROM `+table+` r WHERE r.reverses = s.close_entry)
		FROM shifts s LEFT JOIN `+table+` ci ON ci.id = s.id LEFT JOIN `+table+` co ON co.id = s.close_entry
		WHERE `+idRange(from, to)+` ORDER BY s.id`, from, to)
	if err != nil {
		return recordsFound{}, storageErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		shifts++
		var (
			id, closeEntry, ciShift, coShift []byte
			person, ciPerson, coPerson       int64
			card                             string
			ciCard                           *string
			activity                         int64
			ciActivity                       *int64
			state                            ShiftState
			minutes, points                  int64
			ciKind, coKind                   *int
			coMinutes, coPoints              *int64
			reversed                         int
		)
		if err := rows.Scan(&id, &person, &card, &activity, &state, &minutes, &points, &closeEntry,
			&ciKind, &ciShift, &ciPerson, &ciCard, &ciActivity,
			&coKind, &coShift, &coPerson, &coMinutes, &coPoints, &reversed); err != nil {
			return recordsFound{}, storageErr(err)
		}
		var sid record.EntryID
		copy(sid[:], id)
		switch {
		case ciKind == nil:
			rep.add("shift", "shift %s has no check-in entry", sid)
		case record.Kind(*ciKind) != record.KindCheckIn || string(ciShift) != string(id) || ciPerson != person ||
			*ciCard != card || *ciActivity != activity:
			rep.add("shift", "shift %s (person %d, card %s, activity %d) does not match its check-in entry (%v, person %d, card %s, activity %d)",
				sid, person, card, activity, record.Kind(*ciKind), ciPerson, *ciCard, *ciActivity)
		}
		if closeEntry == nil {
			if state == ShiftClosed || state == ShiftResolved || state == ShiftReversed || minutes != 0 || points != 0 {
				rep.add("shift", "shift %s is %v with %d minutes %d points but has no check-out entry", sid, state, minutes, points)
			}
			continue
		}
		var ce record.EntryID
		copy(ce[:], closeEntry)
		switch {
		case coKind == nil:
			rep.add("shift", "shift %s: its check-out entry %s is missing", sid, ce)
			continue
		case record.Kind(*coKind) != record.KindCheckOut || string(coShift) != string(id) || coPerson != person:
			rep.add("shift", "shift %s: entry %s is a %v of person %d, not its check-out", sid, ce, record.Kind(*coKind), coPerson)
			continue
		case *coMinutes != minutes || *coPoints != points:
			rep.add("shift", "shift %s credits %d minutes %d points, its check-out entry %s %d minutes %d points",
				sid, minutes, points, ce, *coMinutes, *coPoints)
		}
		switch {
		case state == ShiftOpen:
			rep.add("shift", "shift %s is open but has a check-out entry %s", sid, ce)
		case state == ShiftReversed && reversed == 0:
			rep.add("shift", "shift %s is marked reversed but its check-out entry %s is not", sid, ce)
		case state != ShiftReversed && reversed > 0:
			rep.add("shift", "shift %s is %v but its check-out entry %s was reversed", sid, state, ce)
		}
	}
	if err := rows.Err(); err != nil {
		return recordsFound{}, storageErr(err)
	}
	return recordsFound{shifts, rep.Problems}, nil
}

// checkRedemptions checks each redemption against its redeem entry
// (checkRecords); direct when the entries are in entry_rows.
func checkRedemptions(ctx context.Context, q querier, direct bool, terminal string) (recordsFound, error) {
	rep := &VerifyReport{}
	var redemptions uint64
	table, terminalOf := entriesTable(direct)
	rrows, err := q.QueryContext(ctx, `SELECT r.id, r.person, r.card, r.item, r.center, r.qty, r.points, r.seq, r.reversed,
		e.kind, `+terminalOf+`, COALESCE(e.person, 0), e.card, e.item, e.center, e.points, e.stock, e.seq,
		(SELECT count(*) FROM `+table+` x WHERE x.reverses = r.id)
		FROM redemptions r LEFT JOIN `+table+` e ON e.id = r.id`)
	if err != nil {
		return recordsFound{}, storageErr(err)
	}
	defer rrows.Close()
	for rrows.Next() {
		redemptions++
		var (
			id                           []byte
			person, item, qty, cost, seq int64
			card, center                 string
			reversed                     bool
			eKind                        *int
			eTerminal, eCard, eCenter    *string
			ePerson                      int64
			eItem, ePoints, eStock, eSeq *int64
			reversals                    int
		)
		if err := rrows.Scan(&id, &person, &card, &item, &center, &qty, &cost, &seq, &reversed,
			&eKind, &eTerminal, &ePerson, &eCard, &eItem, &eCenter, &ePoints, &eStock, &eSeq, &reversals); err != nil {
			return recordsFound{}, storageErr(err)
		}
		var rid record.EntryID
		copy(rid[:], id)
		switch {
		case eKind == nil:
			rep.add("redemption", "redemption %s has no redeem entry", rid)
			continue
		case record.Kind(*eKind) != record.KindRedeem || ePerson != person || *eCard != card || *eItem != item || *eCenter != center ||
			*ePoints != -cost || *eStock != -qty || *eSeq != seq || *eTerminal != terminal:
			rep.add("redemption", "redemption %s (person %d, card %s, item %d, %d for %d points, seq %d) does not match its entry (%v, person %d, card %s, item %d, %d stock %d points, seq %d)",
				rid, person, card, item, qty, cost, seq, record.Kind(*eKind), ePerson, *eCard, *eItem, *eStock, *ePoints, *eSeq)
		}
		if reversed != (reversals > 0) {
			rep.add("redemption", "redemption %s is marked reversed %v, but its entry has %d reversal(s)", rid, reversed, reversals)
		}
	}
	if err := rrows.Err(); err != nil {
		return recordsFound{}, storageErr(err)
	}
	return recordsFound{redemptions, rep.Problems}, nil
}

// idRange is the WHERE clause of checkShiftRange's bounds ?1 and ?2, each
// left out when nil: a range the planner seeks in the primary key.
func idRange(from, to []byte) string {
	w := "?1 IS NULL AND ?2 IS NULL"
	switch {
	case from != nil && to != nil:
		w = "s.id >= ?1 AND s.id < ?2"
	case from != nil:
		w = "s.id >= ?1 AND ?2 IS NULL"
	case to != nil:
		w = "?1 IS NULL AND s.id < ?2"
	}
	return w
}

// shiftSplits are the ids that split the shifts into n runs of about
// equal length, for checks run at once.
func shiftSplits(ctx context.Context, q querier, n int) ([][]byte, error) {
	var count int64
	if err := q.QueryRowContext(ctx, "SELECT count(*) FROM shifts").Scan(&count); err != nil {
		return nil, storageErr(err)
	}
	n = int(min(int64(n), max(1, count/minChainPart)))
	var out [][]byte
	for i := 1; i < n; i++ {
		var id []byte
		if err := q.QueryRowContext(ctx, "SELECT id FROM shifts ORDER BY id LIMIT 1 OFFSET ?", count*int64(i)/int64(n)).Scan(&id); err != nil {
			return nil, storageErr(err)
		}
		out = append(out, id)
	}
	return out, nil
}

// entriesTable is the table the entries are in and how a row names its
// terminal: entry_rows (direct) or the entries table of a schema before 7.
func entriesTable(direct bool) (table, terminalOf string) {
	if direct {
		return "entry_rows", "(SELECT tm.id FROM terminals tm WHERE tm.n = e.terminal_n)"
	}
	return "entries", "e.terminal"
}
