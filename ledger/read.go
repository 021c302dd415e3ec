package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/record"
)

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// entryColumns is what scanEntry reads, in order.
var entryColumns = entryColumnsOf("")

func entryColumnsOf(alias string) string {
	return columns(alias, "terminal", "seq", "id", "kind", "center", "COALESCE(%sperson, 0)", "card", "minutes", "points", "stock",
		"activity", "shift", "item", "reverses", "other_card", "operator", "reason", "at", "boot", "trusted", "prev", "hash")
}

// columns joins column names, each qualified by alias ("e."); a name with a
// %s gets the alias there instead of in front.
func columns(alias string, names ...string) string {
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		if strings.Contains(n, "%s") {
			b.WriteString(strings.ReplaceAll(n, "%s", alias))
			continue
		}
		b.WriteString(alias)
		b.WriteString(n)
	}
	return b.String()
}

func scanEntry(s interface{ Scan(...any) error }) (record.Entry, error) {
	var id, shift, reverses, prev, hash []byte
	return scanEntryInto(s, &id, &shift, &reverses, &prev, &hash)
}

// scanEntryRows reads the blobs without copying them first (sql.RawBytes,
// which Row.Scan refuses): Verify reads a million rows.
func scanEntryRows(rows *sql.Rows) (record.Entry, error) {
	var id, shift, reverses, prev, hash sql.RawBytes
	return scanEntryInto(rows, &id, &shift, &reverses, &prev, &hash)
}

// scanEntryInto scans entryColumns; the five blob columns go through the
// given destinations, *[]byte or *sql.RawBytes.
func scanEntryInto[B ~[]byte](s interface{ Scan(...any) error }, id, shift, reverses, prev, hash *B) (record.Entry, error) {
	var e record.Entry
	var seq, at int64
	var kind int
	err := s.Scan(&e.Terminal, &seq, id, &kind, &e.Center, (*int64)(&e.Person), (*string)(&e.Card), &e.Minutes, &e.Points, &e.Stock,
		(*int64)(&e.Activity), shift, (*int64)(&e.Item), reverses, (*string)(&e.OtherCard), (*string)(&e.Operator), &e.Reason,
		&at, &e.Boot, &e.Trusted, prev, hash)
	if err != nil {
		return e, err
	}
	e.Seq, e.Kind, e.At = uint64(seq), record.Kind(kind), time.Unix(0, at)
	copy(e.ID[:], *id)
	copy(e.Shift[:], *shift)
	copy(e.Reverses[:], *reverses)
	copy(e.Prev[:], *prev)
	copy(e.Hash[:], *hash)
	return e, nil
}

func (l *Ledger) entries(ctx context.Context, query string, args ...any) ([]record.Entry, error) {
	rows, err := l.read().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, storageErr(err)
	}
	defer rows.Close()
	var out []record.Entry
	for rows.Next() {
		e, err := scanEntryRows(rows)
		if err != nil {
			return nil, storageErr(err)
		}
		out = append(out, e)
	}
	return out, storageErr(rows.Err())
}

// Entry returns one entry by id.
func (l *Ledger) Entry(ctx context.Context, id record.EntryID) (record.Entry, error) {
	e, err := scanEntry(l.read().QueryRowContext(ctx, "SELECT "+entryColumns+" FROM entries WHERE id = ?", id[:]))
	if isNoRows(err) {
		return e, fmt.Errorf("entry %s: %w", id, ErrNotFound)
	}
	return e, storageErr(err)
}

// History returns a person's last n entries, newest first (by sequence: wall
// time may be wrong).
func (l *Ledger) History(ctx context.Context, person record.PersonID, n int) ([]record.Entry, error) {
	if n <= 0 {
		n = 20
	}
	es, err := l.entries(ctx, "SELECT "+entryColumns+" FROM entries WHERE person IN "+l.personSet()+" ORDER BY terminal = ?2 DESC, seq DESC LIMIT ?3",
		int64(person), l.term.ID, n)
	if err != nil {
		return nil, fmt.Errorf("history of person %d: %w", person, err)
	}
	return es, nil
}

// EntriesAfter returns up to limit of this terminal's entries with sequence
// above seq, in order: what a sync pushes.
func (l *Ledger) EntriesAfter(ctx context.Context, seq uint64, limit int) ([]record.Entry, error) {
	es, err := l.entries(ctx, "SELECT "+entryColumns+" FROM entries WHERE terminal = ? AND seq > ? ORDER BY seq LIMIT ?",
		l.term.ID, int64(seq), limit)
	if err != nil {
		return nil, fmt.Errorf("entries after %d: %w", seq, err)
	}
	return es, nil
}

// HonourRow is one line of the monthly honour roll (光荣榜).
type HonourRow struct {
	Person  record.PersonID
	Name    string // full; the screen masks it (张*明)
	Minutes int64
}

// HonourRoll returns the n people credited the most service minutes in a
// month (entries' wall time, the center's time zone), most first. A
// provisional person has no name to honour yet and is left out; a person
// merged at the hub counts for the one they became.
func (l *Ledger) HonourRoll(ctx context.Context, year int, month time.Month, n int) ([]HonourRow, error) {
	from := time.Date(year, month, 1, 0, 0, 0, 0, l.opts.Location)
	to := from.AddDate(0, 1, 0)
	who := "e.person"
	if l.schema >= syncSchema {
		who = "COALESCE((SELECT to_person FROM aliases WHERE from_person = e.person), e.person)"
	}
	rows, err := l.read().QueryContext(ctx, `SELECT r.person, p.name, SUM(r.minutes) AS m
		FROM (SELECT `+who+` AS person, e.minutes FROM entries e WHERE e.at >= ? AND e.at < ? AND e.minutes != 0) r
		JOIN people p ON p.id = r.person WHERE p.provisional = 0 GROUP BY r.person HAVING m > 0 ORDER BY m DESC, p.name, p.id LIMIT ?`,
		from.UnixNano(), to.UnixNano(), n)
	if err != nil {
		return nil, fmt.Errorf("honour roll: %w", storageErr(err))
	}
	defer rows.Close()
	var out []HonourRow
	for rows.Next() {
		var r HonourRow
		if err := rows.Scan((*int64)(&r.Person), &r.Name, &r.Minutes); err != nil {
			return nil, fmt.Errorf("honour roll: %w", storageErr(err))
		}
		out = append(out, r)
	}
	return out, storageErr(rows.Err())
}

// Summary is a day at this terminal, for staff.
type Summary struct {
	Day           string // "2006-01-02"
	CheckIns      int64
	CheckOuts     int64
	MinutesCredit int64
	// PointsEarned are the points check-outs credited (staff-closed shifts
	// too); adjustments are counted apart, in PointsAdjusted.
	PointsEarned   int64
	Redemptions    int64
	PointsRedeemed int64
	// OpenShifts are today's check-ins still open; OpenEarlier counts the
	// shifts opened on an earlier day and still open.
	OpenShifts    int64
	FlaggedShifts int64
	// Adjustments are today's manual adjustments not reversed, and
	// PointsAdjusted their points added up (negative when more were taken).
	Adjustments    int64
	PointsAdjusted int64
	OpenEarlier    int64
}

// TodaySummary sums today's entries (the center's time zone). A reversed
// redemption or adjustment is not counted: the goods stayed and the points
// came back. Points credited for service and points adjusted by hand are
// apart, so neither is taken for the other.
func (l *Ledger) TodaySummary(ctx context.Context) (Summary, error) {
	from, to := dayBounds(l.opts.Clock.Now(), l.opts.Location)
	s := Summary{Day: from.Format(time.DateOnly)}
	err := l.read().QueryRowContext(ctx, `SELECT
		COALESCE(SUM(kind = ?1), 0), COALESCE(SUM(kind = ?2), 0),
		COALESCE(SUM(minutes), 0), COALESCE(SUM(CASE WHEN points > 0 AND kind = ?2 THEN points END), 0),
		COALESCE(SUM(kind = ?3 AND kept), 0), COALESCE(SUM(CASE WHEN kind = ?3 AND kept THEN -points END), 0),
		COALESCE(SUM(kind = ?4 AND kept), 0), COALESCE(SUM(CASE WHEN kind = ?4 AND kept THEN points END), 0)
		FROM (SELECT kind, minutes, points,
			NOT EXISTS (SELECT 1 FROM entries r WHERE r.reverses = e.id) AS kept
			FROM entries e WHERE at >= ?5 AND at < ?6)`,
		int(record.KindCheckIn), int(record.KindCheckOut), int(record.KindRedeem), int(record.KindAdjust), from.UnixNano(), to.UnixNano()).
		Scan(&s.CheckIns, &s.CheckOuts, &s.MinutesCredit, &s.PointsEarned, &s.Redemptions, &s.PointsRedeemed, &s.Adjustments, &s.PointsAdjusted)
	if err != nil {
		return s, fmt.Errorf("today's summary: %w", storageErr(err))
	}
	err = l.read().QueryRowContext(ctx, `SELECT COALESCE(SUM(state = 1 AND opened_at >= ?1), 0), COALESCE(SUM(state = 1 AND opened_at < ?1), 0),
		COALESCE(SUM(state = 3), 0) FROM shifts WHERE state IN (1, 3)`, from.UnixNano()).
		Scan(&s.OpenShifts, &s.OpenEarlier, &s.FlaggedShifts)
	if err != nil {
		return s, fmt.Errorf("today's summary: %w", storageErr(err))
	}
	return s, nil
}
