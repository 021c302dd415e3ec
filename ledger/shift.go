package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hongmajia/hongmajia/record"
)

// ShiftState is where a shift stands.
type ShiftState uint8

// Shift states. Stored as numbers: never renumber (schema.go's partial
// indexes and some queries name 1 and 3).
const (
	ShiftOpen     ShiftState = 1 // checked in
	ShiftClosed   ShiftState = 2 // checked out (or closed by the sweep) and credited
	ShiftFlagged  ShiftState = 3 // needs staff: absurd duration or forgotten
	ShiftResolved ShiftState = 4 // a flagged shift staff closed with ResolveShift
	ShiftReversed ShiftState = 5 // its credit was reversed
)

func (s ShiftState) String() string {
	switch s {
	case ShiftOpen:
		return "open"
	case ShiftClosed:
		return "closed"
	case ShiftFlagged:
		return "flagged"
	case ShiftResolved:
		return "resolved"
	case ShiftReversed:
		return "reversed"
	}
	return fmt.Sprintf("ShiftState(%d)", uint8(s))
}

// Shift is one stretch of service (志愿服务记录), from check-in to check-out.
// Its id is the id of its check-in entry.
type Shift struct {
	ID       record.EntryID
	Person   record.PersonID
	Card     record.CardUID
	Activity record.ActivityID
	Center   string
	OpenedAt time.Time
	State    ShiftState
	ClosedAt time.Time // zero while open
	Minutes  int64     // credited
	Points   int64     // credited
	Flag     record.FlagReason
}

// CheckIn opens a shift.
type CheckIn struct {
	ID       record.EntryID
	Card     record.CardUID
	Activity record.ActivityID
}

// CheckIn opens a shift for the card's person at an activity of this center.
// With a shift already open it returns a *ShiftOpenError carrying it
// (errors.Is ErrShiftOpen), and writes nothing.
func (l *Ledger) CheckIn(ctx context.Context, req CheckIn) (Shift, error) {
	return do(l, ctx, opCheckIn, req.ID, func(t *wtx) (Shift, error) { return t.checkIn(req) })
}

func (t *wtx) checkIn(req CheckIn) (Shift, error) {
	c, err := t.activeCard(req.Card)
	if err != nil {
		return Shift{}, err
	}
	if open, err := openShift(t.ctx, t.q, t.l, c.Person); err == nil {
		return Shift{}, &ShiftOpenError{Shift: open}
	} else if !errors.Is(err, ErrNoOpenShift) {
		return Shift{}, err
	}
	a, err := readActivity(t.ctx, t.q, req.Activity)
	if err != nil {
		return Shift{}, err
	}
	if a.Center != t.l.term.Center || !a.AcceptsCheckIn(t.now, t.l.opts.Location) {
		return Shift{}, fmt.Errorf("activity %q at %s: %w", a.Name, t.now.In(t.l.opts.Location).Format("15:04"), ErrNotInWindow)
	}
	s := Shift{ID: req.ID, Person: c.Person, Card: c.UID, Activity: a.ID, Center: t.l.term.Center, OpenedAt: t.now, State: ShiftOpen}
	if _, err := t.exec("INSERT INTO shifts(id, person, card, activity, center, opened_at, state) VALUES (?, ?, ?, ?, ?, ?, ?)",
		s.ID[:], int64(s.Person), string(s.Card), int64(s.Activity), s.Center, s.OpenedAt.UnixNano(), int(s.State)); err != nil {
		return Shift{}, err
	}
	e := record.Entry{ID: req.ID, Kind: record.KindCheckIn, Person: c.Person, Card: c.UID, Activity: a.ID, Shift: s.ID}
	return s, t.append(&e)
}

// CheckOut closes the card's person's open shift.
type CheckOut struct {
	ID   record.EntryID
	Card record.CardUID
}

// CheckOutResult is a closed shift and what it earned.
type CheckOutResult struct {
	Shift  Shift
	Entry  record.Entry
	Credit record.Credit
}

// CheckOut closes the open shift and credits it by its activity's rules, in
// one transaction with its entry. An absurd duration (negative: the clock went
// back; longer than the maximum) closes nothing: the shift is flagged for
// staff, nothing is credited, and Credit.Flag.Err() is ErrDurationAbsurd.
func (l *Ledger) CheckOut(ctx context.Context, req CheckOut) (CheckOutResult, error) {
	return do(l, ctx, opCheckOut, req.ID, func(t *wtx) (CheckOutResult, error) { return t.checkOut(req) })
}

func (t *wtx) checkOut(req CheckOut) (CheckOutResult, error) {
	c, err := t.activeCard(req.Card)
	if err != nil {
		return CheckOutResult{}, err
	}
	// The shift and its person's kind in one statement; a shift of someone
	// merged into the card's person (rare) reads the kind by itself.
	kind := -1
	row := t.queryRow(sqlOpenShiftKind, int64(c.Person))
	s, err := scanShift(scanWith{row, &kind})
	if errors.Is(err, sql.ErrNoRows) {
		kind = -1
		s, err = openShift(t.ctx, t.q, t.l, c.Person)
	} else {
		err = storageErr(err)
	}
	if err != nil {
		return CheckOutResult{}, err
	}
	return t.closeShift(s, kind, req.ID, c.UID, t.now, record.FlagNone)
}

// scanWith lets scanShift read a row with one more column after the
// shift's, into more.
type scanWith struct {
	row  interface{ Scan(...any) error }
	more *int
}

func (w scanWith) Scan(dest ...any) error { return w.row.Scan(append(dest, w.more)...) }

// closeShift credits s as if checked out at `at`, writes the check-out entry
// with id, and updates the shift. kind is the kind of s's person, or -1 to
// read it. flag marks a shift closed by the sweep.
func (t *wtx) closeShift(s Shift, kind int, id record.EntryID, card record.CardUID, at time.Time, flag record.FlagReason) (CheckOutResult, error) {
	a, err := readActivity(t.ctx, t.q, s.Activity)
	if err != nil {
		return CheckOutResult{}, err
	}
	// Only the kind: the person's strings would cost a tap allocations for
	// nothing.
	if kind < 0 {
		if err := t.queryRow("SELECT kind FROM people WHERE id = ?", int64(s.Person)).Scan(&kind); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return CheckOutResult{}, fmt.Errorf("person %d: %w", s.Person, ErrNotFound)
			}
			return CheckOutResult{}, storageErr(err)
		}
	}
	today, err := t.creditedOnDay(s, a.Rules)
	if err != nil {
		return CheckOutResult{}, err
	}
	cr := a.Rules.Credit(record.VolunteerKind(kind), at.Sub(s.OpenedAt), today)
	e := record.Entry{ID: id, Kind: record.KindCheckOut, Person: s.Person, Card: card, Activity: s.Activity, Shift: s.ID,
		Minutes: cr.Minutes, Points: cr.Points}
	if err := t.append(&e); err != nil {
		return CheckOutResult{}, err
	}
	s.State, s.ClosedAt, s.Minutes, s.Points, s.Flag = ShiftClosed, at, cr.Minutes, cr.Points, flag
	if cr.Flag != record.FlagNone {
		s.State, s.Flag = ShiftFlagged, cr.Flag
	}
	if _, err := t.exec("UPDATE shifts SET state = ?, closed_at = ?, minutes = ?, points = ?, close_entry = ?, flag = ? WHERE id = ?",
		int(s.State), s.ClosedAt.UnixNano(), s.Minutes, s.Points, id[:], string(s.Flag), s.ID[:]); err != nil {
		return CheckOutResult{}, err
	}
	return CheckOutResult{Shift: s, Entry: e, Credit: cr}, nil
}

// creditedOnDay sums the minutes credited to s's person at s's activity on
// the day s opened, for the daily cap: checked out and resolved by staff.
func (t *wtx) creditedOnDay(s Shift, r record.Rules) (int64, error) {
	return creditedOnDay(t.ctx, t.q, t.l.opts.Location, s, r)
}

// creditedOnDay is wtx.creditedOnDay on any querier: PreviewCheckOut reads
// the same sum. Only a daily cap needs it: under rules without one it is 0,
// read from nothing (a statement and the pages of the person's shifts
// fewer on a tap, 20 µs of a check-out's CPU).
func creditedOnDay(ctx context.Context, q querier, loc *time.Location, s Shift, r record.Rules) (int64, error) {
	if r.DailyCapMinutes <= 0 {
		return 0, nil
	}
	from, to := dayBounds(s.OpenedAt, loc)
	var m int64
	err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(minutes), 0) FROM shifts WHERE person = ? AND activity = ?
		AND opened_at >= ? AND opened_at < ? AND state IN (?, ?)`,
		int64(s.Person), int64(s.Activity), from.UnixNano(), to.UnixNano(), int(ShiftClosed), int(ShiftResolved)).Scan(&m)
	return m, err
}

// dayBounds returns the midnight starting t's day in loc and the next one.
func dayBounds(t time.Time, loc *time.Location) (time.Time, time.Time) {
	t = t.In(loc)
	from := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	return from, from.AddDate(0, 0, 1)
}

var shiftColumns = shiftColumnsOf("")

func shiftColumnsOf(alias string) string {
	return columns(alias, "id", "person", "card", "activity", "center", "opened_at", "state", "closed_at", "minutes", "points", "flag")
}

func scanShift(s interface{ Scan(...any) error }) (Shift, error) {
	var sh Shift
	var id []byte
	var opened int64
	var closed sql.NullInt64
	var state int
	var flag string
	err := s.Scan(&id, (*int64)(&sh.Person), (*string)(&sh.Card), (*int64)(&sh.Activity), &sh.Center, &opened, &state, &closed, &sh.Minutes, &sh.Points, &flag)
	if err != nil {
		return sh, err
	}
	copy(sh.ID[:], id)
	sh.OpenedAt = time.Unix(0, opened)
	if closed.Valid {
		sh.ClosedAt = time.Unix(0, closed.Int64)
	}
	sh.State, sh.Flag = ShiftState(state), record.FlagReason(flag)
	return sh, nil
}

// The open shift of a person, then (schema 5 on) of someone merged into
// them at the hub: two statements, each an index search, the second run only
// when the first finds none. One statement for both (person IN (SELECT ?1
// UNION ALL SELECT from_person ...) ORDER BY person = ?1 DESC LIMIT 1)
// built an ephemeral list and a sorter at every run: inside a check-out at
// 1,000,000 entries it took 90 to 111 µs (median), the search alone 46 to
// 54 µs, on a loaded machine (load 4).
var (
	sqlOpenShift = "SELECT " + shiftColumns + " FROM shifts WHERE person = ? AND state = 1"
	// sqlOpenShiftKind is sqlOpenShift with the kind of the shift's person,
	// which a check-out's credit needs: a statement fewer on a tap.
	sqlOpenShiftKind   = "SELECT " + shiftColumnsOf("s.") + ", p.kind FROM shifts s JOIN people p ON p.id = s.person WHERE s.person = ? AND s.state = 1"
	sqlOpenShiftMerged = "SELECT " + shiftColumnsOf("s.") + " FROM aliases a CROSS JOIN shifts s ON s.person = a.from_person WHERE a.to_person = ? AND s.state = 1 LIMIT 1"
)

// openShift finds the person's open shift, or one of someone merged into
// them at the hub (opened before the merge).
func openShift(ctx context.Context, q querier, l *Ledger, person record.PersonID) (Shift, error) {
	s, err := scanShift(q.QueryRowContext(ctx, sqlOpenShift, int64(person)))
	if errors.Is(err, sql.ErrNoRows) && l.schema >= syncSchema {
		s, err = scanShift(q.QueryRowContext(ctx, sqlOpenShiftMerged, int64(person)))
	}
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("person %d: %w", person, ErrNoOpenShift)
	}
	return s, storageErr(err)
}

// OpenShifts lists the shifts staff may need to close: open and flagged,
// oldest first.
func (l *Ledger) OpenShifts(ctx context.Context) ([]Shift, error) {
	return l.shifts(ctx, "SELECT "+shiftColumns+" FROM shifts WHERE state IN (1, 3) ORDER BY opened_at, id")
}

// Shift returns one shift.
func (l *Ledger) Shift(ctx context.Context, id record.EntryID) (Shift, error) {
	s, err := scanShift(l.read().QueryRowContext(ctx, "SELECT "+shiftColumns+" FROM shifts WHERE id = ?", id[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("shift %s: %w", id, ErrNotFound)
	}
	return s, storageErr(err)
}

func (l *Ledger) shifts(ctx context.Context, query string, args ...any) ([]Shift, error) {
	rows, err := l.read().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list shifts: %w", storageErr(err))
	}
	defer rows.Close()
	var out []Shift
	for rows.Next() {
		s, err := scanShift(rows)
		if err != nil {
			return nil, fmt.Errorf("list shifts: %w", storageErr(err))
		}
		out = append(out, s)
	}
	return out, storageErr(rows.Err())
}

// SweepShifts is the end-of-day sweep of forgotten shifts.
type SweepShifts struct {
	ID record.EntryID
	// Before: shifts opened before this are swept; zero means the start of
	// today in the center's time zone.
	Before time.Time
}

// SweepResult says what the sweep did.
type SweepResult struct {
	Closed  []CheckOutResult // closed at the activity's scheduled end (CloseAtEnd)
	Flagged []Shift          // left for staff
}

// SweepShifts applies each forgotten shift's activity policy: CloseAtEnd
// closes it at the scheduled end of the day it opened and credits it by the
// rules; FlagForStaff (or no scheduled end) flags it. Entries get ids derived
// from the request id, so a retried sweep writes nothing twice.
func (l *Ledger) SweepShifts(ctx context.Context, req SweepShifts) (SweepResult, error) {
	return do(l, ctx, "sweep shifts", req.ID, func(t *wtx) (SweepResult, error) {
		before := req.Before
		if before.IsZero() {
			before, _ = dayBounds(t.now, t.l.opts.Location)
		}
		// The planner would rather range over every shift ever opened before
		// the cutoff than over the few still open: INDEXED BY, with the
		// partial index's own condition spelled out so it applies.
		rows, err := t.query("SELECT "+shiftColumns+" FROM shifts INDEXED BY shifts_attention WHERE state IN (1, 3) AND state = 1 AND opened_at < ? ORDER BY opened_at",
			before.UnixNano())
		if err != nil {
			return SweepResult{}, err
		}
		var open []Shift
		for rows.Next() {
			s, err := scanShift(rows)
			if err != nil {
				rows.Close()
				return SweepResult{}, err
			}
			open = append(open, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return SweepResult{}, err
		}
		res := SweepResult{Closed: []CheckOutResult{}, Flagged: []Shift{}}
		for i, s := range open {
			a, err := readActivity(t.ctx, t.q, s.Activity)
			if err != nil {
				return SweepResult{}, err
			}
			_, end, ok := a.Schedule.Times(s.OpenedAt.In(t.l.opts.Location))
			if a.Rules.Forgotten == record.CloseAtEnd && ok && end.After(s.OpenedAt) {
				r, err := t.closeShift(s, -1, record.DeriveID(req.ID, i), s.Card, end, record.FlagForgotten)
				if err != nil {
					return SweepResult{}, err
				}
				if r.Shift.State == ShiftFlagged {
					res.Flagged = append(res.Flagged, r.Shift)
				} else {
					res.Closed = append(res.Closed, r)
				}
				continue
			}
			s.State, s.Flag = ShiftFlagged, record.FlagForgotten
			if a.Rules.Forgotten == record.CloseAtEnd {
				s.Flag = record.FlagNoScheduleTo
			}
			if _, err := t.exec("UPDATE shifts SET state = ?, flag = ? WHERE id = ?", int(s.State), string(s.Flag), s.ID[:]); err != nil {
				return SweepResult{}, err
			}
			res.Flagged = append(res.Flagged, s)
		}
		return res, nil
	})
}

// ResolveShift is staff closing a flagged or forgotten open shift by hand
// (代为签退).
type ResolveShift struct {
	ID       record.EntryID
	Shift    record.EntryID
	Operator record.CardUID
	Reason   string
}

// Resolution is what closing a shift by hand credits.
type Resolution struct {
	Shift Shift
	// Served is the time from check-in to the shift's end: the check-out
	// that flagged it, or now for a shift nobody closed.
	Served time.Duration
	// AtMax: Served was longer than the rules' maximum (or negative), so
	// the maximum (or nothing) was counted.
	AtMax  bool
	Credit record.Credit
}

// ResolveShift credits a flagged or open shift by its activity's rules, as
// a check-out at its end would (rounding, minimum, daily cap), except that a
// duration beyond the rules' maximum counts as the maximum instead of being
// flagged: never more. One check-out entry names the operator.
func (l *Ledger) ResolveShift(ctx context.Context, req ResolveShift) (CheckOutResult, error) {
	return do(l, ctx, "resolve shift", req.ID, func(t *wtx) (CheckOutResult, error) {
		if err := t.staffOperator(req.Operator); err != nil {
			return CheckOutResult{}, err
		}
		r, err := resolution(t.ctx, t.q, t.l, req.Shift, t.now)
		if err != nil {
			return CheckOutResult{}, err
		}
		s, cr := r.Shift, r.Credit
		e := record.Entry{ID: req.ID, Kind: record.KindCheckOut, Person: s.Person, Card: s.Card, Activity: s.Activity, Shift: s.ID,
			Minutes: cr.Minutes, Points: cr.Points, Operator: req.Operator, Reason: req.Reason}
		if err := t.append(&e); err != nil {
			return CheckOutResult{}, err
		}
		if s.ClosedAt.IsZero() {
			s.ClosedAt = e.At
		}
		s.State, s.Minutes, s.Points = ShiftResolved, cr.Minutes, cr.Points
		if _, err := t.exec("UPDATE shifts SET state = ?, closed_at = ?, minutes = ?, points = ?, close_entry = ? WHERE id = ?",
			int(s.State), s.ClosedAt.UnixNano(), s.Minutes, s.Points, req.ID[:], s.ID[:]); err != nil {
			return CheckOutResult{}, err
		}
		return CheckOutResult{Shift: s, Entry: e, Credit: cr}, nil
	})
}

// PreviewResolve is what ResolveShift would credit now, written nowhere:
// staff see it before they confirm.
func (l *Ledger) PreviewResolve(ctx context.Context, shift record.EntryID) (Resolution, error) {
	tx, err := l.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Resolution{}, fmt.Errorf("preview resolve: %w", storageErr(err))
	}
	defer tx.Rollback()
	r, err := resolution(ctx, l.readTx(tx), l, shift, l.opts.Clock.Now())
	if err != nil {
		return Resolution{}, fmt.Errorf("preview resolve: %w", storageErr(err))
	}
	return r, nil
}

// resolution computes what closing shift id by hand at now credits.
func resolution(ctx context.Context, q querier, l *Ledger, id record.EntryID, now time.Time) (Resolution, error) {
	s, err := scanShift(q.QueryRowContext(ctx, "SELECT "+shiftColumns+" FROM shifts WHERE id = ?", id[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return Resolution{}, fmt.Errorf("shift %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Resolution{}, err
	}
	if s.State != ShiftOpen && s.State != ShiftFlagged {
		return Resolution{}, fmt.Errorf("shift %s is %v: %w", s.ID, s.State, ErrNoOpenShift)
	}
	a, err := readActivity(ctx, q, s.Activity)
	if err != nil {
		return Resolution{}, err
	}
	p, err := readPerson(ctx, q, s.Person)
	if err != nil {
		return Resolution{}, err
	}
	today, err := creditedOnDay(ctx, q, l.opts.Location, s, a.Rules)
	if err != nil {
		return Resolution{}, err
	}
	end := now
	if !s.ClosedAt.IsZero() {
		end = s.ClosedAt
	}
	r := Resolution{Shift: s, Served: end.Sub(s.OpenedAt)}
	limit := time.Duration(a.Rules.MaxMinutes) * time.Minute
	if a.Rules.MaxMinutes <= 0 {
		limit = record.DefaultMaxMinutes * time.Minute
	}
	d := min(max(r.Served, 0), limit)
	r.AtMax = d != r.Served
	r.Credit = a.Rules.Credit(p.Kind, d, today)
	return r, nil
}
