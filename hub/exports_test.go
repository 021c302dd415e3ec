package hub_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

// centerYear is a center's three weeks of every kind of row, at A: the
// period is [from, to), its weeks starting an hour before the first
// shift.
type centerYear struct {
	wang, li   hub.Person
	from, to   time.Time
	cleaning   record.ActivityID
	walkIn     record.PersonID
	orphanOut  record.Entry
	crossingIn record.Entry
}

func newCenterYear(e *env) centerYear {
	t0 := e.clk.Now()
	c := centerYear{wang: e.person("HPL0001", "王堃", "04A1B2C3"), li: e.person("HPL0002", "李喆", "04A1B2C4"),
		from: t0.Add(-time.Hour), to: t0.Add(20 * 24 * time.Hour), cleaning: e.activity("A", "环境整治")}
	visiting := e.activity("B", "助老探访")
	a, b := e.kiosk("TA", "A"), e.kiosk("TB", "B")
	wang, li := c.wang.ID, c.li.ID
	const wc, lc = record.CardUID("04A1B2C3"), record.CardUID("04A1B2C4")
	at := func(d time.Duration) {
		if now := e.clk.Now(); t0.Add(d).Before(now) {
			e.t.Fatalf("the clock goes back to %v", t0.Add(d))
		}
		e.clk.Set(t0.Add(d))
	}
	day := 24 * time.Hour
	// Week 1: 王堃 2 h; 李喆 1 h, reversed in week 2; 王堃 at B; a staff
	// correction of 30 min; 李喆 forgets to check out (closed in week 2);
	// 王堃 never checks out; a walk-in's hour, merged into 李喆 later; a
	// check-out whose check-in the hub never got; 王堃 checks in at the
	// week's end and out in the next.
	in := a.CheckIn(wang, wc, c.cleaning)
	at(2 * time.Hour)
	a.CheckOut(in, 120, 10)
	at(day)
	in = a.CheckIn(li, lc, c.cleaning)
	b.Earn(wang, wc, visiting, 60, 5)
	at(day + time.Hour)
	reversed := a.CheckOut(in, 60, 5)
	at(2 * day)
	a.Append(record.Entry{Kind: record.KindAdjust, Person: wang, Minutes: 30, Points: 3, Operator: "99000001", Reason: "补签退"})
	at(3 * day)
	forgotten := a.CheckIn(li, lc, c.cleaning)
	at(4 * day)
	a.CheckIn(wang, wc, c.cleaning)
	at(5 * day)
	a.AddChange(&hubsync.Person{ID: 5001, MemberNo: "W-7F3A", Provisional: true, Kind: record.Resident}, nil)
	in = a.CheckIn(5001, "0A0B0C0D", c.cleaning)
	at(5*day + time.Hour)
	a.CheckOut(in, 60, 6)
	at(6 * day)
	c.orphanOut = a.Append(record.Entry{Kind: record.KindCheckOut, Person: wang, Card: wc, Activity: c.cleaning, Shift: record.NewEntryID(),
		Minutes: 15, Points: 1})
	at(7*day - 90*time.Minute)
	c.crossingIn = a.CheckIn(wang, wc, c.cleaning)
	e.pushOK(a)
	e.pushOK(b)
	// Week 2.
	at(7*day - 30*time.Minute)
	a.CheckOut(c.crossingIn, 60, 5)
	at(10 * day)
	a.Append(record.Entry{Kind: record.KindReverse, Person: li, Card: lc, Activity: c.cleaning, Shift: reversed.Shift, Reverses: reversed.ID,
		Minutes: -60, Points: -5, Operator: "99000001", Reason: "刷错卡"})
	at(12 * day)
	a.CheckOut(forgotten, 240, 20)
	// Week 3: a shift at the period's end, out after it; one after.
	at(20*day - 10*time.Minute)
	in = a.CheckIn(li, lc, c.cleaning)
	at(20*day + 50*time.Minute)
	a.CheckOut(in, 60, 5)
	at(21 * day)
	a.Earn(li, lc, c.cleaning, 30, 3)
	e.pushOK(a)
	walkIn, err := e.hub.FindPerson(ctx, "W-7F3A")
	if err != nil {
		e.t.Fatal(err)
	}
	c.walkIn = walkIn.ID
	if err := e.hub.MergePerson(ctx, walkIn.ID, li, "test"); err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) centerService(scope hub.Scope, center string, q hub.RecordQuery) []hub.ServiceLine {
	e.t.Helper()
	rows, err := e.hub.CenterService(ctx, scope, center, q)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []hub.ServiceLine
	for l, err := range rows {
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

func TestCenterServiceIsItsPeoplesRecords(t *testing.T) {
	e := newEnv(t)
	c := newCenterYear(e)
	q := hub.RecordQuery{From: c.from, To: c.to}
	lines := e.centerService(hub.CenterScope("A"), "A", q)

	// By hand: every row at A whose time is in the period, oldest first.
	type row struct {
		who     string
		kind    hub.RowKind
		state   hub.RowState
		minutes int64
		reason  string
		in, out bool
	}
	var got []row
	for _, l := range lines {
		got = append(got, row{l.Person.Name, l.Kind, l.State, l.Minutes, l.Reason, !l.In.IsZero(), !l.Out.IsZero()})
		if l.Center != "A" {
			t.Errorf("a row of %s in A's", l.Center)
		}
	}
	want := []row{
		{"王堃", hub.RowShift, hub.StateClosed, 120, "", true, true},
		{"李喆", hub.RowShift, hub.StateReversed, 60, "刷错卡", true, true},
		{"王堃", hub.RowAdjust, hub.StateClosed, 30, "补签退", true, false},
		{"李喆", hub.RowShift, hub.StateClosed, 240, "", true, true}, // closed in week 2
		{"王堃", hub.RowShift, hub.StateOpen, 0, "", true, false},
		{"李喆", hub.RowShift, hub.StateClosed, 60, "", true, true},  // the walk-in's, merged
		{"王堃", hub.RowShift, hub.StateClosed, 15, "", false, true}, // a check-out alone
		{"王堃", hub.RowShift, hub.StateClosed, 60, "", true, true},  // out in week 2
		{"李喆", hub.RowShift, hub.StateClosed, 60, "", true, true},  // out after the period
	}
	if !slices.Equal(got, want) {
		t.Fatalf("A's rows:\n%v\nwant\n%v", got, want)
	}
	if l := lines[6]; !l.Out.Equal(c.orphanOut.At) || l.Shift != c.orphanOut.Shift {
		t.Errorf("the check-out alone: out %v, shift %v", l.Out, l.Shift)
	}
	if l := lines[7]; !l.In.Equal(c.crossingIn.At) || l.ActivityName != "环境整治" || l.Person.MemberNo != "HPL0001" || l.Minutes != 60 {
		t.Errorf("the shift over the week's end: %+v", l)
	}

	// Each person's lines are their record at A for the period, as its
	// page shows it (newest first there).
	for _, p := range []hub.Person{c.wang, c.li} {
		rec := e.record(hub.CenterScope("A"), p.ID, q)
		var mine []hub.ServiceRow
		for _, l := range lines {
			if l.Person.ID == p.ID {
				mine = append(mine, l.ServiceRow)
				if l.Person.MemberNo != p.MemberNo {
					t.Errorf("%s's row names %+v", p.Name, l.Person)
				}
			}
		}
		slices.Reverse(mine)
		if !slices.EqualFunc(mine, rec.Rows, func(a, b hub.ServiceRow) bool {
			return a.Kind == b.Kind && a.State == b.State && a.Shift == b.Shift && a.Center == b.Center && a.Terminal == b.Terminal &&
				a.Activity == b.Activity && a.ActivityName == b.ActivityName && a.In.Equal(b.In) && a.Out.Equal(b.Out) &&
				a.InCorrected == b.InCorrected && a.OutCorrected == b.OutCorrected && a.Minutes == b.Minutes && a.Points == b.Points && a.Reason == b.Reason
		}) {
			t.Errorf("%s's rows in A's service:\n%+v\nthe record's:\n%+v", p.Name, mine, rec.Rows)
		}
	}

	// The district sees it as A's staff do; B's shows B's shift alone.
	if d := e.centerService(hub.DistrictScope(), "A", q); len(d) != len(lines) {
		t.Errorf("the district's A: %d rows, A's staff's %d", len(d), len(lines))
	}
	if bs := e.centerService(hub.DistrictScope(), "B", q); len(bs) != 1 || bs[0].Person.ID != c.wang.ID || bs[0].Minutes != 60 {
		t.Errorf("B's rows: %+v", bs)
	}
	// A period is the rows whose time is in it.
	two := e.centerService(hub.DistrictScope(), "A", hub.RecordQuery{From: c.from.Add(24 * time.Hour), To: c.from.Add(4 * 24 * time.Hour)})
	if len(two) != 3 || two[0].Person.ID != c.li.ID || two[2].Minutes != 240 {
		t.Errorf("days 2 to 4: %+v", two)
	}
}

func TestCenterServiceOutOfScope(t *testing.T) {
	e := newEnv(t)
	q := hub.RecordQuery{From: e.clk.Now().AddDate(-1, 0, 0), To: e.clk.Now()}
	for _, c := range []struct {
		scope  hub.Scope
		center string
		q      hub.RecordQuery
	}{
		{hub.CenterScope("B"), "A", q},
		{hub.Scope{}, "A", q},
		{hub.DistrictScope(), "Z", q},
		{hub.DistrictScope(), "", q},
		{hub.DistrictScope(), "A", hub.RecordQuery{From: q.From}},
		{hub.DistrictScope(), "A", hub.RecordQuery{From: q.To, To: q.From}},
	} {
		if _, err := e.hub.CenterService(ctx, c.scope, c.center, c.q); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("%+v asks for %q from %v to %v: %v, want ErrNotFound", c.scope, c.center, c.q.From, c.q.To, err)
		}
	}
}

// countingStore counts the Views of its store.
type countingStore struct {
	hub.Store
	views atomic.Int64
}

func (s *countingStore) View(ctx context.Context, fn func(hub.Reader) error) error {
	s.views.Add(1)
	return s.Store.View(ctx, fn)
}

func TestCenterServiceReadsAWeekAtATime(t *testing.T) {
	e := newEnv(t)
	c := newCenterYear(e)
	st := &countingStore{Store: e.store}
	h, err := hub.Open(ctx, e.dir, hub.Options{Store: st, Clock: e.clk, PIN: cheapPIN, Password: cheapPIN})
	if err != nil {
		t.Fatal(err)
	}
	year := hub.RecordQuery{From: c.from, To: c.from.AddDate(1, 0, 0)}
	rows, err := h.CenterService(ctx, hub.DistrictScope(), "A", year)
	if err != nil {
		t.Fatal(err)
	}
	before := st.views.Load()
	n := 0
	for _, err := range rows {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if n == 1 {
			// The first row comes from the first week's read alone.
			if v := st.views.Load() - before; v != 1 {
				t.Errorf("%d reads before the first row, want 1", v)
			}
		}
		if n == 3 {
			break // a download stopped: no more reads
		}
	}
	if v := st.views.Load() - before; v != 1 {
		t.Errorf("%d reads for three rows, want 1", v)
	}
	// The whole year: a read a week (53 of them), whatever the rows.
	before = st.views.Load()
	n = 0
	for _, err := range rows {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if v := st.views.Load() - before; n != 10 || v != 53 {
		t.Errorf("the year: %d rows in %d reads, want 10 in 53", n, v)
	}
}
