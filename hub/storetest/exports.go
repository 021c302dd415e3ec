package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/record"
)

// The exports' part of the contract: a center's entries a stretch of
// time at a time, or some people's there; people by their ids.

// testCenterEntries: the entries of the center, the kinds and the hub
// time asked for (the end excluded, a zero end open; a corrected entry
// by its corrected time), in hub time order then terminal and seq; with
// people, only theirs.
func testCenterEntries(t *testing.T, s hub.Store) {
	at := func(m int) time.Time { return hubtest.Start.Add(time.Duration(m) * time.Minute).UTC() }
	type spec struct {
		terminal string
		seq      uint64
		center   string
		kind     record.Kind
		person   record.PersonID
		minute   int
	}
	specs := []spec{
		{"T1", 1, "A", record.KindCheckIn, 1, 10},
		{"T1", 2, "A", record.KindCheckOut, 1, 70},
		{"T1", 3, "A", record.KindRedeem, 2, 75},
		{"T1", 4, "A", record.KindCheckIn, 2, 80},
		{"T1", 5, "A", record.KindAdjust, 3, 90},
		{"T1", 6, "A", record.KindReverse, 1, 100},
		{"T1", 7, "A", record.KindRestock, 0, 110},
		{"T2", 1, "B", record.KindCheckIn, 1, 20},
		{"T2", 2, "B", record.KindCheckOut, 1, 50},
		{"T3", 1, "A", record.KindCheckIn, 3, 0}, // its clock was off: corrected to minute 70
		{"T3", 2, "A", record.KindCheckOut, 3, 120},
	}
	byName := map[string]hub.StoredEntry{}
	update(t, s, func(tx hub.Tx) error {
		for _, sp := range specs {
			e := entry(sp.terminal, sp.seq, record.Hash{})
			e.Kind, e.Center, e.HubCenter, e.Person, e.At = sp.kind, sp.center, sp.center, sp.person, at(sp.minute)
			if sp.terminal == "T3" && sp.seq == 1 {
				e.Trusted, e.Corrected = false, at(70)
			}
			var err error
			if e.Raw, err = e.Encode(); err != nil {
				return err
			}
			byName[fmt.Sprintf("%s/%d", sp.terminal, sp.seq)] = e
			if _, err := tx.AddEntry(e); err != nil {
				return err
			}
		}
		return nil
	})
	read := func(q hub.CenterEntryQuery) []string {
		t.Helper()
		var got []hub.StoredEntry
		err := s.View(ctx, func(r hub.Reader) (err error) {
			got, err = r.CenterEntries(q)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range got {
			name := fmt.Sprintf("%s/%d", e.Terminal, e.Seq)
			if w := byName[name]; e.ID != w.ID || e.HubCenter != w.HubCenter || !e.HubTime().Equal(w.HubTime()) || e.Person != w.Person {
				t.Errorf("%s read back as %+v", name, e)
			}
			names = append(names, name)
		}
		return names
	}
	want := func(what string, got []string, want ...string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", what, got, want)
		}
	}
	shifts := []record.Kind{record.KindCheckIn, record.KindCheckOut, record.KindAdjust}
	// A's shifts from minute 10 to 90 (excluded): T1/2 and the corrected
	// T3/1 at 70, by terminal; B's and the redemption left out.
	want("A's shifts 10 to 90", read(hub.CenterEntryQuery{Center: "A", Kinds: shifts, From: at(10), To: at(90)}),
		"T1/1", "T1/2", "T3/1", "T1/4")
	want("A's shifts from 90", read(hub.CenterEntryQuery{Center: "A", Kinds: shifts, From: at(90)}), "T1/5", "T3/2")
	want("A's check-ins before 70", read(hub.CenterEntryQuery{Center: "A", Kinds: []record.Kind{record.KindCheckIn}, To: at(70)}), "T1/1")
	want("A's reversals", read(hub.CenterEntryQuery{Center: "A", Kinds: []record.Kind{record.KindReverse}}), "T1/6")
	want("B's", read(hub.CenterEntryQuery{Center: "B", Kinds: shifts}), "T2/1", "T2/2")
	want("no kind", read(hub.CenterEntryQuery{Center: "A"}))
	want("a center without entries", read(hub.CenterEntryQuery{Center: "C", Kinds: shifts}))
	// Some people's at A, whatever the list's order and repeats.
	want("the check-outs of 3 and 1 at A", read(hub.CenterEntryQuery{Center: "A", Kinds: []record.Kind{record.KindCheckOut},
		Persons: []record.PersonID{3, 1, 3, 9}}), "T1/2", "T3/2")
	want("2's and 3's shifts at A from 80", read(hub.CenterEntryQuery{Center: "A", Kinds: shifts, From: at(80), Persons: []record.PersonID{2, 3}}),
		"T1/4", "T1/5", "T3/2")
	want("1's at B", read(hub.CenterEntryQuery{Center: "B", Kinds: shifts, Persons: []record.PersonID{1}}), "T2/1", "T2/2")
	// More people than one query holds.
	many := []record.PersonID{3}
	for i := range 1200 {
		many = append(many, record.PersonID(1000+i))
	}
	want("3 among many", read(hub.CenterEntryQuery{Center: "A", Kinds: shifts, Persons: many}), "T3/1", "T1/5", "T3/2")
}

// testPeopleByID: the people of the ids that are there, each once, in id
// order, whatever the list's length, order and repeats.
func testPeopleByID(t *testing.T, s hub.Store) {
	update(t, s, func(tx hub.Tx) error {
		for i := 1; i <= 700; i++ {
			p := hub.Person{ID: record.PersonID(i), MemberNo: fmt.Sprintf("M%04d", i), Name: fmt.Sprintf("人%d", i), Phone: "13800000000",
				Kind: record.GreenVest, Center: "A", Version: uint64(i)}
			if err := tx.AddPerson(p); err != nil {
				return err
			}
		}
		return nil
	})
	read := func(ids []record.PersonID) []hub.Person {
		t.Helper()
		var got []hub.Person
		err := s.View(ctx, func(r hub.Reader) (err error) {
			got, err = r.People(ids)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := read([]record.PersonID{7, 3, 7, 9999})
	if len(got) != 2 || got[0].ID != 3 || got[1].ID != 7 || got[1].MemberNo != "M0007" || got[1].Name != "人7" || got[1].Center != "A" ||
		got[1].Phone != "13800000000" || got[1].Kind != record.GreenVest || got[1].Version != 7 {
		t.Errorf("people 7, 3, 7 and 9999: %+v", got)
	}
	if got := read(nil); len(got) != 0 {
		t.Errorf("nobody's: %+v", got)
	}
	var ids []record.PersonID
	for i := 800; i >= 1; i-- {
		ids = append(ids, record.PersonID(i), record.PersonID(i))
	}
	got = read(ids)
	if len(got) != 700 {
		t.Fatalf("people 800 to 1, twice each: %d, want the 700 there", len(got))
	}
	for i, p := range got {
		if p.ID != record.PersonID(i+1) {
			t.Fatalf("person %d at %d", p.ID, i)
		}
	}
}
