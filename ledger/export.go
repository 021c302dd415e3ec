package ledger

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/hongmajia/hongmajia/record"
)

// ExportEntry is an entry with the names an export shows beside the ids.
type ExportEntry struct {
	record.Entry
	PersonName string
	// PersonProvisional: the person is a walk-in with no name yet; an
	// export shows the words for one.
	PersonProvisional bool
	MemberNo          string
	ActivityName      string
	ItemName          string
}

// ExportEntries yields the entries whose wall time is in [from, to), by
// terminal and sequence. Stop early by breaking out of the loop; an error is
// yielded once, last.
func (l *Ledger) ExportEntries(ctx context.Context, from, to time.Time) iter.Seq2[ExportEntry, error] {
	return func(yield func(ExportEntry, error) bool) {
		rows, err := l.read().QueryContext(ctx, `SELECT `+entryColumnsOf("e.")+`,
			COALESCE(p.name, ''), COALESCE(p.provisional, 0), COALESCE(p.member_no, ''), COALESCE(a.name, ''), COALESCE(i.name, '')
			FROM entries e LEFT JOIN people p ON p.id = e.person LEFT JOIN activities a ON a.id = e.activity
			LEFT JOIN items i ON i.id = e.item
			WHERE e.at >= ? AND e.at < ? ORDER BY e.terminal, e.seq`, from.UnixNano(), to.UnixNano())
		if err != nil {
			yield(ExportEntry{}, fmt.Errorf("export entries: %w", storageErr(err)))
			return
		}
		defer rows.Close()
		for rows.Next() {
			var x ExportEntry
			e, err := scanEntry(scanTail{rows, []any{&x.PersonName, &x.PersonProvisional, &x.MemberNo, &x.ActivityName, &x.ItemName}})
			if err != nil {
				yield(ExportEntry{}, fmt.Errorf("export entries: %w", storageErr(err)))
				return
			}
			x.Entry = e
			if !yield(x, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(ExportEntry{}, fmt.Errorf("export entries: %w", storageErr(err)))
		}
	}
}

// ExportShift is a shift with names.
type ExportShift struct {
	Shift
	PersonName string
	// PersonProvisional: as ExportEntry's.
	PersonProvisional bool
	MemberNo          string
	ActivityName      string
}

// ExportShifts yields the shifts opened in [from, to), oldest first.
func (l *Ledger) ExportShifts(ctx context.Context, from, to time.Time) iter.Seq2[ExportShift, error] {
	return func(yield func(ExportShift, error) bool) {
		rows, err := l.read().QueryContext(ctx, `SELECT `+shiftColumnsOf("s.")+`, p.name, p.provisional, p.member_no, a.name
			FROM shifts s JOIN people p ON p.id = s.person JOIN activities a ON a.id = s.activity
			WHERE s.opened_at >= ? AND s.opened_at < ? ORDER BY s.opened_at, s.id`, from.UnixNano(), to.UnixNano())
		if err != nil {
			yield(ExportShift{}, fmt.Errorf("export shifts: %w", storageErr(err)))
			return
		}
		defer rows.Close()
		for rows.Next() {
			var x ExportShift
			s, err := scanShift(scanTail{rows, []any{&x.PersonName, &x.PersonProvisional, &x.MemberNo, &x.ActivityName}})
			if err != nil {
				yield(ExportShift{}, fmt.Errorf("export shifts: %w", storageErr(err)))
				return
			}
			x.Shift = s
			if !yield(x, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(ExportShift{}, fmt.Errorf("export shifts: %w", storageErr(err)))
		}
	}
}

// scanTail scans a row whose first columns a scan function knows and whose
// last ones are extra.
type scanTail struct {
	s    interface{ Scan(...any) error }
	tail []any
}

func (t scanTail) Scan(dst ...any) error { return t.s.Scan(append(dst, t.tail...)...) }
