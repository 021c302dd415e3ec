package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/record"
)

// The dashboard's reads, against sums worked out by hand.

var cst = time.FixedZone("CST", 8*3600)

// march and april are the months of the tally tests, in the district's
// zone.
var (
	march = time.Date(2026, 3, 1, 0, 0, 0, 0, cst)
	april = time.Date(2026, 4, 1, 0, 0, 0, 0, cst)
	may   = time.Date(2026, 5, 1, 0, 0, 0, 0, cst)
)

// tallyEntry is a kiosk's entry as the hub stores it.
type tallyEntry struct {
	center   string
	kind     record.Kind
	person   record.PersonID
	activity record.ActivityID
	item     record.ItemID
	minutes  int64
	points   int64
	stock    int64
	day      int // of March (0: at March 1, 00:00 exactly; 32: at April 1, 00:00)
	// untrusted: written with the kiosk's clock on day−5, corrected to
	// day.
	untrusted bool
}

// tallyEntries are a month of two centers' entries; the sums below are
// worked out from this list by hand.
var tallyEntries = []tallyEntry{
	{center: "A", kind: record.KindCheckIn, person: 1, activity: 10, day: 5},
	{center: "A", kind: record.KindCheckOut, person: 1, activity: 10, minutes: 60, points: 10, day: 5},
	{center: "A", kind: record.KindCheckOut, person: 2, activity: 10, minutes: 120, points: 20, day: 6},
	{center: "A", kind: record.KindCheckOut, person: 1, activity: 11, minutes: 30, points: 5, day: 7},
	{center: "A", kind: record.KindReverse, person: 1, activity: 11, minutes: -30, points: -5, day: 8}, // the check-out above
	{center: "A", kind: record.KindAdjust, person: 3, minutes: 15, points: 3, day: 9},
	{center: "A", kind: record.KindRedeem, person: 1, item: 100, stock: -2, points: -40, day: 10},
	{center: "A", kind: record.KindRedeem, person: 2, item: 101, stock: -1, points: -25, day: 11},
	{center: "A", kind: record.KindReverse, person: 2, item: 101, stock: 1, points: 25, day: 11}, // the redemption above
	{center: "A", kind: record.KindRestock, item: 100, stock: 10, day: 12},
	{center: "A", kind: record.KindReverse, item: 100, stock: -10, day: 12}, // the restock above
	{center: "A", kind: record.KindExpire, person: 2, points: -7, day: 20},
	{center: "A", kind: record.KindCheckOut, person: 9, activity: 10, minutes: 60, points: 10, day: 21}, // 9 was merged into 1
	{center: "A", kind: record.KindCheckOut, person: 4, activity: 10, minutes: 45, points: 8, day: 2, untrusted: true},
	{center: "A", kind: record.KindCheckOut, person: 5, activity: 10, minutes: 60, points: 10, day: 32}, // April
	{center: "A", kind: record.KindCheckOut, person: 6, activity: 10, minutes: 15, points: 2, day: 0},
	{center: "B", kind: record.KindCheckOut, person: 1, activity: 20, minutes: 60, points: 10, day: 15},
	{center: "B", kind: record.KindCheckOut, person: 7, activity: 20, minutes: 30, points: 5, day: 16},
	{center: "C", kind: record.KindCheckOut, person: 8, activity: 30, minutes: 600, points: 99, day: 16},
}

func addTallyEntries(t *testing.T, s hub.Store) {
	t.Helper()
	seqs := map[string]uint64{}
	update(t, s, func(tx hub.Tx) error {
		if err := tx.PutAlias(hub.Alias{From: 9, To: 1, Version: 1}); err != nil {
			return err
		}
		for _, te := range tallyEntries {
			terminal := "T" + te.center
			seqs[terminal]++
			at := march.AddDate(0, 0, te.day)
			if te.day > 0 {
				at = at.Add(-time.Hour) // the day before's evening, in UTC the same day's afternoon
			}
			e := record.Entry{Terminal: terminal, Seq: seqs[terminal], ID: record.NewEntryID(), Kind: te.kind, Center: te.center,
				Person: te.person, Activity: te.activity, Item: te.item, Minutes: te.minutes, Points: te.points, Stock: te.stock,
				At: at.UTC(), Trusted: !te.untrusted}
			if te.day == 32 {
				e.At = april.UTC()
			}
			var corrected time.Time
			if te.untrusted {
				corrected, e.At = e.At, e.At.AddDate(0, 0, -5)
			}
			raw, err := e.Encode()
			if err != nil {
				return err
			}
			e.Hash, _ = e.ComputeHash()
			if _, err := tx.AddEntry(hub.StoredEntry{Entry: e, Raw: raw, HubCenter: te.center, Corrected: corrected, Received: hubtest.Start}); err != nil {
				return err
			}
		}
		return nil
	})
}

func tallies(t *testing.T, s hub.Store, q hub.TallyQuery) string {
	t.Helper()
	var rows []hub.TallyRow
	err := s.View(ctx, func(r hub.Reader) (err error) {
		rows, err = r.Tallies(q)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	out := ""
	for _, r := range rows {
		out += fmt.Sprintf("[%d %s a%d i%d: %+v]", r.Period, r.Center, r.Activity, r.Item, r.Tally)
	}
	return out
}

// testTallies: the sums (TallyPeople says who the volunteers are).
func testTallies(t *testing.T, s hub.Store) {
	addTallyEntries(t, s)
	months := []time.Time{march, april, may}
	for _, c := range []struct {
		what string
		q    hub.TallyQuery
		want string
	}{
		{"a center's month", hub.TallyQuery{Centers: []string{"A"}, Bounds: []time.Time{march, april}},
			"[0  a0 i0: {Volunteers:0 Shifts:5 Minutes:315 Earned:53 Redeemed:40 Redemptions:1 Given:2 Expired:7}]"},
		{"two centers", hub.TallyQuery{Centers: []string{"B", "A"}, Bounds: []time.Time{march, april}},
			"[0  a0 i0: {Volunteers:0 Shifts:7 Minutes:405 Earned:68 Redeemed:40 Redemptions:1 Given:2 Expired:7}]"},
		{"by center and month", hub.TallyQuery{Centers: []string{"A", "B"}, Bounds: months, By: hub.ByCenter},
			"[0 A a0 i0: {Volunteers:0 Shifts:5 Minutes:315 Earned:53 Redeemed:40 Redemptions:1 Given:2 Expired:7}]" +
				"[0 B a0 i0: {Volunteers:0 Shifts:2 Minutes:90 Earned:15 Redeemed:0 Redemptions:0 Given:0 Expired:0}]" +
				"[1 A a0 i0: {Volunteers:0 Shifts:1 Minutes:60 Earned:10 Redeemed:0 Redemptions:0 Given:0 Expired:0}]"},
		{"by activity and item", hub.TallyQuery{Centers: []string{"A"}, Bounds: []time.Time{march, april}, By: hub.ByActivity | hub.ByItem},
			"[0  a0 i0: {Volunteers:0 Shifts:0 Minutes:15 Earned:3 Redeemed:0 Redemptions:0 Given:0 Expired:7}]" +
				"[0  a0 i100: {Volunteers:0 Shifts:0 Minutes:0 Earned:0 Redeemed:40 Redemptions:1 Given:2 Expired:0}]" +
				"[0  a0 i101: {Volunteers:0 Shifts:0 Minutes:0 Earned:0 Redeemed:0 Redemptions:0 Given:0 Expired:0}]" +
				"[0  a10 i0: {Volunteers:0 Shifts:5 Minutes:300 Earned:50 Redeemed:0 Redemptions:0 Given:0 Expired:0}]" +
				"[0  a11 i0: {Volunteers:0 Shifts:0 Minutes:0 Earned:0 Redeemed:0 Redemptions:0 Given:0 Expired:0}]"},
		{"the periods' bounds: the first instant in, the last out", hub.TallyQuery{Centers: []string{"A"},
			Bounds: []time.Time{march, march.Add(time.Nanosecond), april, april.Add(time.Nanosecond)}},
			"[0  a0 i0: {Volunteers:0 Shifts:1 Minutes:15 Earned:2 Redeemed:0 Redemptions:0 Given:0 Expired:0}]" +
				"[1  a0 i0: {Volunteers:0 Shifts:4 Minutes:300 Earned:51 Redeemed:40 Redemptions:1 Given:2 Expired:7}]" +
				"[2  a0 i0: {Volunteers:0 Shifts:1 Minutes:60 Earned:10 Redeemed:0 Redemptions:0 Given:0 Expired:0}]"},
		{"the corrected time of an untrusted clock", hub.TallyQuery{Centers: []string{"A"},
			Bounds: []time.Time{march.AddDate(0, 0, -5), march, march.AddDate(0, 0, 2)}, By: hub.ByActivity},
			"[1  a10 i0: {Volunteers:0 Shifts:2 Minutes:60 Earned:10 Redeemed:0 Redemptions:0 Given:0 Expired:0}]"},
		{"no center", hub.TallyQuery{Bounds: months}, ""},
		{"no period", hub.TallyQuery{Centers: []string{"A"}, Bounds: []time.Time{march}}, ""},
		{"a center without entries", hub.TallyQuery{Centers: []string{"Z"}, Bounds: months}, ""},
	} {
		if got := tallies(t, s, c.q); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.what, got, c.want)
		}
	}
}

func testTallyPeople(t *testing.T, s hub.Store) {
	addTallyEntries(t, s)
	people := func(q hub.TallyQuery) string {
		t.Helper()
		var ps []hub.TallyPerson
		err := s.View(ctx, func(r hub.Reader) (err error) {
			ps, err = r.TallyPeople(q)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		out := ""
		for _, p := range ps {
			out += fmt.Sprintf("[%d %s a%d i%d: %d]", p.Period, p.Center, p.Activity, p.Item, p.Person)
		}
		return out
	}
	for _, c := range []struct {
		what string
		q    hub.TallyQuery
		want string
	}{
		{"a person serving at two centers is one; one merged into another is that one", hub.TallyQuery{Centers: []string{"B", "A"}, Bounds: []time.Time{march, april}},
			"[0  a0 i0: 1][0  a0 i0: 2][0  a0 i0: 4][0  a0 i0: 6][0  a0 i0: 7]"},
		{"by center and month", hub.TallyQuery{Centers: []string{"A", "B"}, Bounds: []time.Time{march, april, may}, By: hub.ByCenter},
			"[0 A a0 i0: 1][0 A a0 i0: 2][0 A a0 i0: 4][0 A a0 i0: 6][0 B a0 i0: 1][0 B a0 i0: 7][1 A a0 i0: 5]"},
		{"by activity and item: check-outs only", hub.TallyQuery{Centers: []string{"A"}, Bounds: []time.Time{march, april}, By: hub.ByActivity | hub.ByItem},
			"[0  a10 i0: 1][0  a10 i0: 2][0  a10 i0: 4][0  a10 i0: 6][0  a11 i0: 1]"},
		{"no center", hub.TallyQuery{Bounds: []time.Time{march, april}}, ""},
		{"a center without entries", hub.TallyQuery{Centers: []string{"Z"}, Bounds: []time.Time{march, april}}, ""},
	} {
		if got := people(c.q); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.what, got, c.want)
		}
	}
}

func testTopVolunteers(t *testing.T, s hub.Store) {
	addTallyEntries(t, s)
	top := func(q hub.TopQuery) string {
		t.Helper()
		var vs []hub.VolunteerTally
		err := s.View(ctx, func(r hub.Reader) (err error) {
			vs, err = r.TopVolunteers(q)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(vs)
	}
	for _, c := range []struct {
		what string
		q    hub.TopQuery
		want string
	}{
		{"two centers, a merged id as the one it was merged into", hub.TopQuery{Centers: []string{"A", "B"}, From: march, To: april, Limit: 3},
			"[{1 3 180 30} {2 1 120 20} {4 1 45 8}]"},
		{"the same minutes: most points first", hub.TopQuery{Centers: []string{"A", "B"}, From: march, To: april, Limit: 10},
			"[{1 3 180 30} {2 1 120 20} {4 1 45 8} {7 1 30 5} {3 0 15 3} {6 1 15 2}]"},
		{"one center", hub.TopQuery{Centers: []string{"A"}, From: march, To: april, Limit: 10},
			"[{1 2 120 20} {2 1 120 20} {4 1 45 8} {3 0 15 3} {6 1 15 2}]"},
		{"another month", hub.TopQuery{Centers: []string{"A"}, From: april, To: may, Limit: 10}, "[{5 1 60 10}]"},
		{"every one", hub.TopQuery{Centers: []string{"A", "B"}, From: march, To: april},
			"[{1 3 180 30} {2 1 120 20} {4 1 45 8} {7 1 30 5} {3 0 15 3} {6 1 15 2}]"},
		{"no center", hub.TopQuery{From: march, To: april, Limit: 10}, "[]"},
	} {
		if got := top(c.q); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.what, got, c.want)
		}
	}
}

func testFlagAndStock(t *testing.T, s hub.Store) {
	update(t, s, func(tx hub.Tx) error {
		for _, f := range []hub.Flag{{Kind: hub.FlagFork, Subject: "T1", Detail: "d1", At: hubtest.Start}, {Kind: hub.FlagStale, Subject: "T2", Detail: "d2", At: hubtest.Start}} {
			if _, err := tx.AddFlag(f); err != nil {
				return err
			}
		}
		for _, st := range []hub.Stock{{Center: "A", Item: 12, Qty: 3, Version: 1}, {Center: "A", Item: 11, Qty: 0, Version: 2}, {Center: "B", Item: 11, Qty: 9, Version: 3}} {
			if err := tx.PutStock(st); err != nil {
				return err
			}
		}
		return tx.ResolveFlags(hub.FlagStale, "T2", "王芳", hubtest.Start.Add(time.Hour))
	})
	err := s.View(ctx, func(r hub.Reader) error {
		all, err := r.Flags(false)
		if err != nil || len(all) != 2 {
			t.Fatalf("flags: %+v, %v", all, err)
		}
		for _, want := range all {
			got, err := r.Flag(want.ID)
			if err != nil || got != want {
				t.Errorf("flag %d: %+v, %v; want %+v", want.ID, got, err, want)
			}
		}
		if f, _ := r.Flag(all[1].ID); f.ResolvedBy != "王芳" || !f.Resolved.Equal(hubtest.Start.Add(time.Hour)) {
			t.Errorf("the resolved flag: %+v", f)
		}
		if _, err := r.Flag(all[1].ID + 1); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("a flag not there: %v, want ErrNotFound", err)
		}
		st, err := r.CenterStock("A")
		if err != nil || fmt.Sprint(st) != "[{A 11 0 2} {A 12 3 1}]" {
			t.Errorf("stock of A: %v, %v", st, err)
		}
		if st, err := r.CenterStock("Z"); err != nil || len(st) != 0 {
			t.Errorf("stock of a center with none: %v, %v", st, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testTallyMark(t *testing.T, s hub.Store) {
	mark := func() hub.TallyMark {
		t.Helper()
		var m hub.TallyMark
		if err := s.View(ctx, func(r hub.Reader) (err error) { m, err = r.TallyMark(); return err }); err != nil {
			t.Fatal(err)
		}
		return m
	}
	after := func(m uint64, limit int) string {
		t.Helper()
		var st []hub.EntryStamp
		if err := s.View(ctx, func(r hub.Reader) (err error) { st, err = r.EntriesAfter(m, limit); return err }); err != nil {
			t.Fatal(err)
		}
		out := ""
		for _, e := range st {
			out += fmt.Sprintf("[%s %s]", e.Center, e.At.In(cst).Format("01-02"))
		}
		return out
	}
	if m := mark(); m != (hub.TallyMark{}) {
		t.Errorf("an empty store's mark %+v", m)
	}
	addTallyEntries(t, s)
	m1 := mark()
	if m1.Entries == 0 || m1.Aliases != 1 {
		t.Errorf("the mark after entries and an alias: %+v", m1)
	}
	if got := after(0, 3); got != "[A 03-05][A 03-05][A 03-06]" {
		t.Errorf("the first three entries stored: %s", got)
	}
	if got := after(m1.Entries, 10); got != "" {
		t.Errorf("entries after the mark: %s", got)
	}
	// An entry stored later is after the mark, with its corrected time.
	e := entry("T9", 1, record.Hash{})
	e.HubCenter, e.Trusted, e.Corrected = "B", false, march.AddDate(0, 0, 9)
	e.Raw, _ = e.Encode()
	update(t, s, func(tx hub.Tx) error { _, err := tx.AddEntry(e); return err })
	m2 := mark()
	if m2.Entries <= m1.Entries || m2.Aliases != m1.Aliases {
		t.Errorf("the mark after an entry: %+v, before %+v", m2, m1)
	}
	if got := after(m1.Entries, 10); got != "[B 03-10]" {
		t.Errorf("entries after the mark: %s", got)
	}
	// An entry not stored (held already) moves nothing.
	update(t, s, func(tx hub.Tx) error { _, err := tx.AddEntry(e); return err })
	if m := mark(); m != m2 {
		t.Errorf("the mark after an entry held already: %+v, want %+v", m, m2)
	}
	update(t, s, func(tx hub.Tx) error { return tx.PutAlias(hub.Alias{From: 7, To: 1, Version: 5}) })
	if m := mark(); m.Aliases != 5 || m.Entries != m2.Entries {
		t.Errorf("the mark after an alias: %+v", m)
	}
	// What the sums read of an entry.
	err := s.View(ctx, func(r hub.Reader) error {
		st, err := r.EntriesAfter(0, 1000)
		if err != nil || len(st) != len(tallyEntries)+1 {
			t.Fatalf("every entry: %d, %v", len(st), err)
		}
		want := tallyEntries[8] // the reversal of a redemption
		if e := st[8]; e.Center != "A" || e.Kind != want.kind || e.Person != want.person || e.Item != want.item || e.Stock != 1 || e.Points != 25 ||
			e.Minutes != 0 || e.Activity != 0 {
			t.Errorf("the 9th entry: %+v, want %+v", e, want)
		}
		if e := st[3]; e.Activity != 11 || e.Minutes != 30 || e.Points != 5 || e.Kind != record.KindCheckOut {
			t.Errorf("the 4th entry: %+v", e)
		}
		as, err := r.AliasesAfter(0)
		if err != nil || fmt.Sprint(as) != "[{9 1 1} {7 1 5}]" {
			t.Errorf("every alias: %v, %v", as, err)
		}
		if as, err := r.AliasesAfter(1); err != nil || fmt.Sprint(as) != "[{7 1 5}]" {
			t.Errorf("the aliases after 1: %v, %v", as, err)
		}
		if as, err := r.AliasesAfter(5); err != nil || len(as) != 0 {
			t.Errorf("the aliases after 5: %v, %v", as, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
