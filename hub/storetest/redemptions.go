package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/record"
)

// redemptionsOf are ten redemptions at centers A, B and C, a minute apart
// (two at the same instant, told apart by their ids), in every state:
//
//	r0 A 09:00 person 1 item 1 ×1 40 "0001" waiting
//	r1 A 09:01 person 2 item 1 ×2 80 "0002" handed out
//	r2 A 09:02 person 1 item 2 ×1 25 "0003" reversed
//	r3 A 09:03 person 3 item 2 ×1 25 ""     unreported
//	r4 B 09:03 person 1 item 1 ×1 40 "0001" waiting (same time as r3)
//	r5 B 09:05 person 4 item 1 ×3 120 "0005" handed out (corrected)
//	r6 C 09:06 person 1 item 1 ×1 40 "0006" waiting
//	r7 A 10:00 person 2 item 2 ×1 25 "0001" handed out, a day later
//	r8 A 09:08 person 2 item 1 ×1 40 ""     reversed, not reported
//	r9 B 09:09 person 3 item 2 ×2 50 "0009" waiting
func redemptionsOf() []hub.Redemption {
	at := func(min int) time.Time { return hubtest.Start.Add(time.Duration(min) * time.Minute).UTC() }
	r := func(i int, center string, min int, person record.PersonID, item record.ItemID, qty, points int64, code string) hub.Redemption {
		return hub.Redemption{ID: record.EntryID{0xD0, byte(i)}, Terminal: "T-" + center, Seq: uint64(i + 1), Center: center, Person: person,
			Card: record.CardUID(fmt.Sprintf("C%07d", person)), Item: item, Qty: qty, Points: points, At: at(min), Code: code}
	}
	rs := []hub.Redemption{
		r(0, "A", 0, 1, 1, 1, 40, "0001"),
		r(1, "A", 1, 2, 1, 2, 80, "0002"),
		r(2, "A", 2, 1, 2, 1, 25, "0003"),
		r(3, "A", 3, 3, 2, 1, 25, ""),
		r(4, "B", 3, 1, 1, 1, 40, "0001"),
		r(5, "B", 5, 4, 1, 3, 120, "0005"),
		r(6, "C", 6, 1, 1, 1, 40, "0006"),
		r(7, "A", 24*60+60, 2, 2, 1, 25, "0001"),
		r(8, "A", 8, 2, 1, 1, 40, ""),
		r(9, "B", 9, 3, 2, 2, 50, "0009"),
	}
	rs[1].HandedAt, rs[1].HandedBy = at(30), "5A000001"
	rs[2].ReversedBy, rs[2].ReversedAt = record.EntryID{0xEE, 2}, at(40)
	rs[5].HandedAt, rs[5].HandedBy, rs[5].HandedCorrected, rs[5].Corrected = at(50), "5A000002", true, true
	rs[7].HandedAt, rs[7].HandedBy = at(24*60+90), "5A000001"
	rs[8].ReversedBy, rs[8].ReversedAt = record.EntryID{0xEE, 8}, at(45)
	return rs
}

func putRedemptions(t *testing.T, s hub.Store, rs []hub.Redemption) {
	t.Helper()
	update(t, s, func(tx hub.Tx) error {
		for _, r := range rs {
			if err := tx.PutRedemption(r); err != nil {
				return err
			}
		}
		return nil
	})
}

// redemptionIDs names each redemption of rs by its number in redemptionsOf.
func redemptionIDs(rs []hub.Redemption) string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("r%d", r.ID[1]))
	}
	return strings.Join(out, " ")
}

func testRedemptions(t *testing.T, s hub.Store) {
	rs := redemptionsOf()
	putRedemptions(t, s, rs)
	read := func(q hub.RedemptionQuery) string {
		t.Helper()
		var got []hub.Redemption
		if err := s.View(ctx, func(r hub.Reader) (err error) { got, err = r.Redemptions(q); return err }); err != nil {
			t.Fatal(err)
		}
		return redemptionIDs(got)
	}
	// Each reads back as it was put, every field; a changed one is put
	// whole; an unknown id is not found.
	err := s.View(ctx, func(r hub.Reader) error {
		for _, want := range rs {
			got, err := r.Redemption(want.ID)
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("redemption %s:\n got %+v\nwant %+v", want.ID, got, want)
			}
		}
		if _, err := r.Redemption(record.EntryID{0xD0, 99}); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("an unknown redemption: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	changed := rs[0]
	changed.HandedAt, changed.HandedBy, changed.Code = rs[0].At.Add(time.Hour), "5A000009", "0100"
	putRedemptions(t, s, []hub.Redemption{changed})
	err = s.View(ctx, func(r hub.Reader) error {
		got, err := r.Redemption(changed.ID)
		if err == nil && !reflect.DeepEqual(got, changed) {
			t.Errorf("put again:\n got %+v\nwant %+v", got, changed)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	putRedemptions(t, s, []hub.Redemption{rs[0]})

	all := []string{"A", "B", "C"}
	for _, c := range []struct {
		name string
		q    hub.RedemptionQuery
		want string
	}{
		{"no center", hub.RedemptionQuery{}, ""},
		{"newest first, the same instant by id", hub.RedemptionQuery{Centers: all}, "r7 r9 r8 r6 r5 r4 r3 r2 r1 r0"},
		{"one center", hub.RedemptionQuery{Centers: []string{"B"}}, "r9 r5 r4"},
		{"two centers", hub.RedemptionQuery{Centers: []string{"C", "B"}}, "r9 r6 r5 r4"},
		{"a center with none", hub.RedemptionQuery{Centers: []string{"Z"}}, ""},
		{"a day", hub.RedemptionQuery{Centers: all, From: hubtest.Start.Add(3 * time.Minute), To: hubtest.Start.Add(24 * time.Hour)},
			"r9 r8 r6 r5 r4 r3"},
		{"from the second day", hub.RedemptionQuery{Centers: all, From: hubtest.Start.Add(24 * time.Hour)}, "r7"},
		{"waiting", hub.RedemptionQuery{Centers: all, State: hub.RedemptionWaiting}, "r9 r6 r4 r0"},
		{"handed out", hub.RedemptionQuery{Centers: all, State: hub.RedemptionHandedOut}, "r7 r5 r1"},
		{"reversed", hub.RedemptionQuery{Centers: all, State: hub.RedemptionReversed}, "r8 r2"},
		{"unreported", hub.RedemptionQuery{Centers: all, State: hub.RedemptionUnreported}, "r3"},
		{"a code", hub.RedemptionQuery{Centers: all, Match: &hub.RedemptionMatch{Code: "0001"}}, "r7 r4 r0"},
		{"a code at a center", hub.RedemptionQuery{Centers: []string{"A"}, Match: &hub.RedemptionMatch{Code: "0001"}}, "r7 r0"},
		{"people", hub.RedemptionQuery{Centers: all, Match: &hub.RedemptionMatch{Persons: []record.PersonID{3, 4}}}, "r9 r5 r3"},
		{"a code or a person", hub.RedemptionQuery{Centers: all, Match: &hub.RedemptionMatch{Code: "0002", Persons: []record.PersonID{4}}}, "r5 r1"},
		{"a match of nothing", hub.RedemptionQuery{Centers: all, Match: &hub.RedemptionMatch{}}, ""},
		{"waiting of person 1 in the first day", hub.RedemptionQuery{Centers: all, State: hub.RedemptionWaiting,
			Match: &hub.RedemptionMatch{Persons: []record.PersonID{1}}, To: hubtest.Start.Add(5 * time.Minute)}, "r4 r0"},
		{"at most three", hub.RedemptionQuery{Centers: all, Limit: 3}, "r7 r9 r8"},
		{"after r4 (between the two of 09:03)", hub.RedemptionQuery{Centers: all, Before: rs[4].Cursor(), Limit: 3}, "r3 r2 r1"},
		{"after r3", hub.RedemptionQuery{Centers: all, Before: rs[3].Cursor()}, "r2 r1 r0"},
		{"after the last", hub.RedemptionQuery{Centers: all, Before: rs[0].Cursor()}, ""},
	} {
		if got := read(c.q); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	// Pages of two, one after another, hold every one once.
	var pages []string
	q := hub.RedemptionQuery{Centers: all, Limit: 2}
	for range 10 {
		var got []hub.Redemption
		if err := s.View(ctx, func(r hub.Reader) (err error) { got, err = r.Redemptions(q); return err }); err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			break
		}
		pages = append(pages, redemptionIDs(got))
		q.Before = got[len(got)-1].Cursor()
	}
	if got := strings.Join(pages, " | "); got != "r7 r9 | r8 r6 | r5 r4 | r3 r2 | r1 r0" {
		t.Errorf("pages of two: %s", got)
	}
}

func testRedemptionSums(t *testing.T, s hub.Store) {
	putRedemptions(t, s, redemptionsOf())
	sums := func(q hub.RedemptionQuery) string {
		t.Helper()
		var got []hub.RedemptionSum
		if err := s.View(ctx, func(r hub.Reader) (err error) { got, err = r.RedemptionSums(q); return err }); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, g := range got {
			out = append(out, fmt.Sprintf("%s/%d: %d redemptions, %d units, %d handed out, %d waiting, %d unreported, %d reversed, %d points",
				g.Center, g.Item, g.Redemptions, g.Qty, g.HandedOut, g.Waiting, g.Unreported, g.Reversed, g.Points))
		}
		return strings.Join(out, "\n")
	}
	all := []string{"A", "B", "C"}
	firstDay := hubtest.Start.Add(24 * time.Hour)
	for _, c := range []struct {
		name string
		q    hub.RedemptionQuery
		want []string
	}{
		{"no center", hub.RedemptionQuery{}, nil},
		{"the first day", hub.RedemptionQuery{Centers: all, From: hubtest.Start, To: firstDay}, []string{
			"A/1: 2 redemptions, 3 units, 2 handed out, 1 waiting, 0 unreported, 1 reversed, 120 points",
			"A/2: 1 redemptions, 1 units, 0 handed out, 0 waiting, 1 unreported, 1 reversed, 25 points",
			"B/1: 2 redemptions, 4 units, 3 handed out, 1 waiting, 0 unreported, 0 reversed, 160 points",
			"B/2: 1 redemptions, 2 units, 0 handed out, 2 waiting, 0 unreported, 0 reversed, 50 points",
			"C/1: 1 redemptions, 1 units, 0 handed out, 1 waiting, 0 unreported, 0 reversed, 40 points",
		}},
		{"A, every day", hub.RedemptionQuery{Centers: []string{"A"}}, []string{
			"A/1: 2 redemptions, 3 units, 2 handed out, 1 waiting, 0 unreported, 1 reversed, 120 points",
			"A/2: 2 redemptions, 2 units, 1 handed out, 0 waiting, 1 unreported, 1 reversed, 50 points",
		}},
		{"person 1's", hub.RedemptionQuery{Centers: all, Match: &hub.RedemptionMatch{Persons: []record.PersonID{1}}}, []string{
			"A/1: 1 redemptions, 1 units, 0 handed out, 1 waiting, 0 unreported, 0 reversed, 40 points",
			"A/2: 0 redemptions, 0 units, 0 handed out, 0 waiting, 0 unreported, 1 reversed, 0 points",
			"B/1: 1 redemptions, 1 units, 0 handed out, 1 waiting, 0 unreported, 0 reversed, 40 points",
			"C/1: 1 redemptions, 1 units, 0 handed out, 1 waiting, 0 unreported, 0 reversed, 40 points",
		}},
	} {
		if got, want := sums(c.q), strings.Join(c.want, "\n"); got != want {
			t.Errorf("%s:\n%s\nwant\n%s", c.name, got, want)
		}
	}
}
