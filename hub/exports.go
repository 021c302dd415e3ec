package hub

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/hongmajia/hongmajia/record"
)

// Exports: a center's record of service over a stretch of time (a year),
// every row a person's record shows (ServiceRecord) of everyone who served
// there, for a file a center keeps. A busy center serves tens of
// thousands of shifts a year, so the rows are read a week at a time, each
// week in a View of its own, as the export asks for them: never the
// year's entries in memory at once, and no read transaction held open
// while a slow browser downloads.

// AuditExport: a list of personal data was downloaded (a page's export).
// Subject: which list and its filter, never its rows; Detail: the format.
const AuditExport AuditAction = "export"

// ServiceLine is a row of a center's service (CenterService): the row as
// its person's record shows it, and the person, resolved through a merge
// as the record is (a walk-in's shift is its registration's).
type ServiceLine struct {
	ServiceRow
	Person Person
}

// CenterEntryQuery selects entries of one center (Reader.CenterEntries).
type CenterEntryQuery struct {
	// Center is the center of the kiosk that sent them (StoredEntry's
	// HubCenter).
	Center string
	// Kinds: the entries of these kinds (none: no entry).
	Kinds []record.Kind
	// From and To: the hub time (StoredEntry.HubTime) is in [From, To);
	// a zero end is open.
	From, To time.Time
	// Persons: only these persons' entries (ids as the entries name
	// them), when not empty; any length, in any order, with repeats.
	Persons []record.PersonID
}

// exportWeek is the stretch of time CenterService reads at once: at a
// busy center's pace (35,000 shifts a year) about 1,500 entries.
const exportWeek = 7 * 24 * time.Hour

// The kinds of entries a record's rows are made of, and the reversals
// that mark them.
var rowKinds = []record.Kind{record.KindCheckIn, record.KindCheckOut, record.KindAdjust}

// CenterService are the rows of service at center whose time
// (ServiceRow.At) is in q, oldest first, each as its person's record
// shows it: a shift with its check-in and check-out wherever in time the
// check-out is, a staff adjustment, a reversal marking what it undid.
// Both ends of q must be set. The scope must see center (ErrNotFound
// otherwise, as for a center that is not there); the reads happen as the
// rows are asked for, a week at a time, and a failed one ends the rows
// with its error.
//
// The reversals read are those the center's kiosks sent: a kiosk reverses
// only entries of its own ledger.
func (h *Hub) CenterService(ctx context.Context, scope Scope, center string, q RecordQuery) (iter.Seq2[ServiceLine, error], error) {
	if center == "" || q.From.IsZero() || q.To.IsZero() || !q.From.Before(q.To) {
		return nil, fmt.Errorf("center service: center %q from %v to %v: %w", center, q.From, q.To, ErrNotFound)
	}
	if err := scope.Check(center); err != nil {
		return nil, fmt.Errorf("center service: %w", err)
	}
	err := h.store.View(ctx, func(r Reader) error {
		_, err := r.Center(center)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("center service: %w", err)
	}
	return func(yield func(ServiceLine, error) bool) {
		w := &serviceWeeks{center: center, names: map[record.ActivityID]string{}}
		for from := q.From; from.Before(q.To); {
			to := from.Add(exportWeek)
			if to.After(q.To) {
				to = q.To
			}
			var lines []ServiceLine
			err := h.store.View(ctx, func(r Reader) (err error) {
				lines, err = w.week(r, from, to)
				return err
			})
			if err != nil {
				yield(ServiceLine{}, fmt.Errorf("center service of %s: %w", center, err))
				return
			}
			for _, l := range lines {
				if !yield(l, nil) {
					return
				}
			}
			from = to
		}
	}, nil
}

// serviceWeeks reads a center's rows week after week, keeping what every
// week needs: the reversals of the center's entries and the activities'
// names.
type serviceWeeks struct {
	center   string
	reversed map[record.EntryID]string // an entry reversed: the reversal's reason
	names    map[record.ActivityID]string
}

// exportRow is a row being made, with the person its entries name and
// the entries a reversal may undo (its check-outs, an adjustment).
type exportRow struct {
	row    ServiceRow
	person record.PersonID
	undo   []record.EntryID
	order  int // its first entry's place in the week
}

// shiftKey is the shift an entry belongs to, as serviceRows keys it.
func shiftKey(e *StoredEntry) record.EntryID {
	if e.Shift.IsZero() {
		return e.ID
	}
	return e.Shift
}

// checkOut adds a check-out to its row, as serviceRows does.
func (x *exportRow) checkOut(e *StoredEntry) {
	x.row.Out = e.HubTime()
	x.row.State = StateClosed
	x.row.Minutes += e.Minutes
	x.row.Points += e.Points
	x.row.OutCorrected = !e.Corrected.IsZero()
	x.undo = append(x.undo, e.ID)
}

// week is the rows of the week [from, to), in the order of a record
// (oldest first). A row's time is its check-in's, so the week's
// check-ins, its adjustments and its check-outs whose shift the hub holds
// no check-in of make its rows; a check-out of another week's check-in
// (or another center's, or none) is that row's.
func (w *serviceWeeks) week(r Reader, from, to time.Time) ([]ServiceLine, error) {
	if w.reversed == nil {
		rs, err := r.CenterEntries(CenterEntryQuery{Center: w.center, Kinds: []record.Kind{record.KindReverse}})
		if err != nil {
			return nil, err
		}
		w.reversed = make(map[record.EntryID]string, len(rs))
		for _, e := range rs {
			w.reversed[e.Reverses] = e.Reason
		}
		as, err := r.Activities(w.center)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			w.names[a.ID] = a.Name
		}
	}
	es, err := r.CenterEntries(CenterEntryQuery{Center: w.center, Kinds: rowKinds, From: from, To: to})
	if err != nil {
		return nil, err
	}
	var rows []*exportRow
	shifts := map[record.EntryID]*exportRow{}
	for i := range es {
		e := &es[i]
		if e.Kind != record.KindCheckIn {
			continue
		}
		key := shiftKey(e)
		x := shifts[key]
		if x == nil {
			x = &exportRow{row: ServiceRow{Kind: RowShift, State: StateOpen, Shift: key}, order: i}
			shifts[key] = x
			rows = append(rows, x)
		}
		x.row.In, x.row.Center, x.row.Terminal, x.row.Activity = e.HubTime(), e.HubCenter, e.Terminal, e.Activity
		x.row.InCorrected = !e.Corrected.IsZero()
		x.person = e.Person
	}
	for i := range es {
		e := &es[i]
		switch e.Kind {
		case record.KindCheckOut:
			if x := shifts[shiftKey(e)]; x != nil {
				x.checkOut(e)
				continue
			}
			if !e.Shift.IsZero() {
				in, err := r.Entry(e.Shift)
				switch {
				case err == nil && in.Kind == record.KindCheckIn:
					continue // its check-in's row, another week's or center's
				case err != nil && !errors.Is(err, ErrNotFound):
					return nil, err
				}
			}
			// The hub holds no check-in of it: a row of the check-out alone.
			x := &exportRow{row: ServiceRow{Kind: RowShift, State: StateOpen, Shift: shiftKey(e), Center: e.HubCenter,
				Terminal: e.Terminal, Activity: e.Activity}, person: e.Person, order: i}
			x.checkOut(e)
			shifts[x.row.Shift] = x
			rows = append(rows, x)
		case record.KindAdjust:
			if e.Minutes == 0 && e.Points == 0 {
				continue
			}
			rows = append(rows, &exportRow{row: ServiceRow{Kind: RowAdjust, State: StateClosed, Shift: e.ID, Center: e.HubCenter,
				Terminal: e.Terminal, In: e.HubTime(), InCorrected: !e.Corrected.IsZero(), Minutes: e.Minutes, Points: e.Points,
				Reason: e.Reason}, person: e.Person, undo: []record.EntryID{e.ID}, order: i})
		}
	}
	// The check-outs of the week's shifts still open: after the week
	// (a shift over midnight at its end, a forgotten one closed days
	// later by staff), or before it (a clock set back), or none.
	open := map[record.EntryID]*exportRow{}
	var persons []record.PersonID
	for _, x := range rows {
		if x.row.Kind == RowShift && x.row.Out.IsZero() && x.person != 0 {
			open[x.row.Shift] = x
			persons = append(persons, x.person)
		}
	}
	if len(open) > 0 {
		outs, err := r.CenterEntries(CenterEntryQuery{Center: w.center, Kinds: []record.Kind{record.KindCheckOut}, Persons: persons})
		if err != nil {
			return nil, err
		}
		for i := range outs {
			if x := open[shiftKey(&outs[i])]; x != nil {
				x.checkOut(&outs[i])
			}
		}
	}
	return w.lines(r, rows)
}

// lines are rows as the record shows them: reversals marked, activities
// named, people resolved, oldest first.
func (w *serviceWeeks) lines(r Reader, rows []*exportRow) ([]ServiceLine, error) {
	var ids []record.PersonID
	for _, x := range rows {
		for _, id := range x.undo {
			if reason, ok := w.reversed[id]; ok {
				x.row.State = StateReversed
				if reason != "" {
					x.row.Reason = reason
				}
			}
		}
		if x.row.Kind == RowShift && x.row.Activity != 0 {
			name, ok := w.names[x.row.Activity]
			if !ok {
				// Another center's activity: a kiosk moved.
				a, err := r.Activity(x.row.Activity)
				if err != nil && !errors.Is(err, ErrNotFound) {
					return nil, err
				}
				name, w.names[x.row.Activity] = a.Name, a.Name
			}
			x.row.ActivityName = name
		}
		ids = append(ids, x.person)
	}
	aliases, err := r.Aliases(ids)
	if err != nil {
		return nil, err
	}
	to := make(map[record.PersonID]record.PersonID, len(aliases))
	for _, a := range aliases {
		to[a.From] = a.To
	}
	for i, id := range ids {
		if t, ok := to[id]; ok {
			ids[i] = t
		}
	}
	people, err := r.People(ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[record.PersonID]Person, len(people))
	for _, p := range people {
		byID[p.ID] = p
	}
	slices.SortStableFunc(rows, func(a, b *exportRow) int {
		return cmp.Or(a.row.At().Compare(b.row.At()), cmp.Compare(a.order, b.order))
	})
	out := make([]ServiceLine, len(rows))
	for i, x := range rows {
		id := x.person
		if t, ok := to[id]; ok {
			id = t
		}
		p, ok := byID[id]
		if !ok {
			p = Person{ID: id} // a person the registry does not hold
		}
		out[i] = ServiceLine{ServiceRow: x.row, Person: p}
	}
	return out, nil
}
