// Package storetest is the contract every hub.Store keeps, as tests: the
// SQLite store (hub/sqlitestore) and the PostgreSQL store (hub/pgstore) run
// the same.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

// Open makes an empty store for one test; the test closes it.
type Open func(t *testing.T) hub.Store

// Run runs every contract test on stores open makes.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(*testing.T, hub.Store)
	}{
		{"UpdateIsAllOrNothing", testAllOrNothing},
		{"UpdatesAreSerializable", testSerializable},
		{"VersionsIncrease", testVersions},
		{"EntriesAreStoredOnce", testEntriesOnce},
		{"EntriesAndBalancesInABatch", testBatch},
		{"CardUsesAtOtherCenters", testCardUses},
		{"SinceReturnsRowsByVersion", testSince},
		{"Aliases", testAliases},
		{"AliasesAndBalancesOfMany", testMany},
		{"OneOpenFlagPerSubject", testFlags},
		{"NotFoundAndExists", testErrors},
		{"CounterOnlyAdvances", testCounter},
		{"RegistryRowsArePutWhole", testRegistryRows},
		{"Users", testUsers},
		{"Sessions", testSessions},
		{"AuditLogPagesNewestFirst", testAudit},
		{"PersonEntriesInHubTimeOrder", testPersonEntries},
		{"FindPeople", testFindPeople},
		{"SealedIDs", testSealedIDs},
		{"CertificateRegister", testCertificates},
		{"PeopleKeepTheirCenterAndAreSearched", testSearchPeople},
		{"TalliesSumEntriesByPeriodAndGroup", testTallies},
		{"TallyPeople", testTallyPeople},
		{"TopVolunteers", testTopVolunteers},
		{"FlagAndCenterStock", testFlagAndStock},
		{"TallyMarkAndEntriesAfter", testTallyMark},
		{"CenterEntriesByTimeOrPeople", testCenterEntries},
		{"PeopleByID", testPeopleByID},
		{"ItemPictures", testPictures},
		{"RestocksNewestFirst", testRestocks},
		{"RedemptionsNewestFirstByCenterTimeStateAndMatch", testRedemptions},
		{"RedemptionSumsByCenterAndItem", testRedemptionSums},
		{"BundlesAndKiosksUpdates", testBundles},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			tc.fn(t, s)
		})
	}
	t.Run("ConcurrentIdenticalPushesStoreOnce", func(t *testing.T) {
		s := open(t)
		testExactlyOncePush(t, s) // the hub closes s
	})
}

var ctx = context.Background()

func update(t *testing.T, s hub.Store, fn func(hub.Tx) error) {
	t.Helper()
	if err := s.Update(ctx, fn); err != nil {
		t.Fatal(err)
	}
}

func version(t *testing.T, s hub.Store) uint64 {
	t.Helper()
	var v uint64
	if err := s.View(ctx, func(r hub.Reader) (err error) { v, err = r.Version(); return err }); err != nil {
		t.Fatal(err)
	}
	return v
}

func addCenter(t *testing.T, s hub.Store, id string) {
	t.Helper()
	update(t, s, func(tx hub.Tx) error { return tx.AddCenter(hub.Center{ID: id, Name: id, Created: hubtest.Start}) })
}

func testAllOrNothing(t *testing.T, s hub.Store) {
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx hub.Tx) error {
		if err := tx.AddCenter(hub.Center{ID: "A", Name: "A"}); err != nil {
			return err
		}
		if _, err := tx.NextVersion(); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update returned %v, want fn's error", err)
	}
	err = s.View(ctx, func(r hub.Reader) error {
		_, err := r.Center("A")
		return err
	})
	if !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("a rolled-back center is there: %v", err)
	}
	if v := version(t, s); v != 0 {
		t.Errorf("version %d after a rolled-back Update", v)
	}
}

// testSerializable: Updates that each read a balance and write it plus
// one, run at once, add up.
func testSerializable(t *testing.T, s hub.Store) {
	const workers, each = 8, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				err := s.Update(ctx, func(tx hub.Tx) error {
					b, err := tx.Balance(1)
					if errors.Is(err, hub.ErrNotFound) {
						b, err = hub.Balance{Person: 1}, nil
					}
					if err != nil {
						return err
					}
					b.Points++
					if b.Version, err = tx.NextVersion(); err != nil {
						return err
					}
					return tx.PutBalance(b)
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var b hub.Balance
	if err := s.View(ctx, func(r hub.Reader) (err error) { b, err = r.Balance(1); return err }); err != nil {
		t.Fatal(err)
	}
	if b.Points != workers*each || b.Version != workers*each {
		t.Errorf("balance %d at version %d, want %d at %d: an Update saw another's writes half", b.Points, b.Version, workers*each, workers*each)
	}
}

func testVersions(t *testing.T, s hub.Store) {
	var last uint64
	for range 3 {
		update(t, s, func(tx hub.Tx) error {
			for range 2 {
				v, err := tx.NextVersion()
				if err != nil {
					return err
				}
				if v <= last {
					t.Errorf("version %d after %d", v, last)
				}
				last = v
			}
			return nil
		})
	}
	if v := version(t, s); v != last || v != 6 {
		t.Errorf("committed version %d, want %d", v, last)
	}
	// An Update that takes none leaves it.
	update(t, s, func(tx hub.Tx) error { return nil })
	if v := version(t, s); v != 6 {
		t.Errorf("version %d after an Update that took none", v)
	}
}

func entry(terminal string, seq uint64, prev record.Hash) hub.StoredEntry {
	e := record.Entry{Terminal: terminal, Seq: seq, ID: record.NewEntryID(), Kind: record.KindCheckIn, Center: "A",
		Person: 1, Card: "04A1B2C3", At: hubtest.Start.UTC(), Trusted: true, Prev: prev}
	raw, err := e.Encode()
	if err != nil {
		panic(err)
	}
	e.Hash, _ = e.ComputeHash()
	return hub.StoredEntry{Entry: e, Raw: raw, HubCenter: "A", Received: hubtest.Start}
}

func testEntriesOnce(t *testing.T, s hub.Store) {
	e1 := entry("T1", 1, record.Hash{})
	e2 := entry("T1", 2, e1.Hash)
	update(t, s, func(tx hub.Tx) error {
		for _, e := range []hub.StoredEntry{e1, e2} {
			if ok, err := tx.AddEntry(e); err != nil || !ok {
				t.Errorf("add seq %d: %v, %v", e.Seq, ok, err)
			}
		}
		return nil
	})
	update(t, s, func(tx hub.Tx) error {
		if ok, err := tx.AddEntry(e1); err != nil || ok {
			t.Errorf("the same entry again: added %v, %v", ok, err)
		}
		other := entry("T1", 1, record.Hash{})
		if ok, err := tx.AddEntry(other); err != nil || ok {
			t.Errorf("another entry at a held (terminal, seq): added %v, %v", ok, err)
		}
		sameID := entry("T2", 1, record.Hash{})
		sameID.ID = e1.ID
		if ok, err := tx.AddEntry(sameID); err != nil || ok {
			t.Errorf("a held id at another terminal: added %v, %v", ok, err)
		}
		return nil
	})
	err := s.View(ctx, func(r hub.Reader) error {
		es, err := r.Entries("T1", 0, 10)
		if err != nil {
			return err
		}
		if len(es) != 2 || es[0].Hash != e1.Hash || es[1].Hash != e2.Hash || string(es[1].Raw) != string(e2.Raw) || es[0].HubCenter != "A" {
			t.Errorf("entries %+v", es)
		}
		hs, err := r.EntryHashes("T1", 1, 5)
		if err != nil {
			return err
		}
		if len(hs) != 2 || hs[1] != e1.Hash || hs[2] != e2.Hash {
			t.Errorf("hashes %v", hs)
		}
		if got, err := r.Entry(e2.ID); err != nil || got.Seq != 2 {
			t.Errorf("entry by id: %+v, %v", got.Entry, err)
		}
		if es, _ := r.Entries("T2", 0, 10); len(es) != 0 {
			t.Errorf("T2 has %d entries", len(es))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testBatch: AddEntries is AddEntry of each in turn (what it reports,
// what it stores, the order the sums read them in), PutBalances PutBalance
// of each, and both are undone with their Update.
func testBatch(t *testing.T, s hub.Store) {
	// pointed is e marked by its points, which EntriesAfter hands back.
	pointed := func(e hub.StoredEntry, points int64) hub.StoredEntry {
		e.Points = points
		var err error
		if e.Raw, err = e.Encode(); err != nil {
			panic(err)
		}
		e.Hash, _ = e.ComputeHash()
		return e
	}
	e1 := pointed(entry("T1", 1, record.Hash{}), 1)
	e2 := pointed(entry("T1", 2, e1.Hash), 2)
	e3 := pointed(entry("T1", 3, e2.Hash), 3)
	e4 := pointed(entry("T1", 4, e3.Hash), 4)
	sameID := pointed(entry("T2", 1, record.Hash{}), 90)
	sameID.ID = e1.ID
	sameSeq := pointed(entry("T1", 2, e1.Hash), 91)
	mark := func() uint64 {
		t.Helper()
		var m hub.TallyMark
		if err := s.View(ctx, func(r hub.Reader) (err error) { m, err = r.TallyMark(); return err }); err != nil {
			t.Fatal(err)
		}
		return m.Entries
	}
	after := func(m uint64) string {
		t.Helper()
		var st []hub.EntryStamp
		if err := s.View(ctx, func(r hub.Reader) (err error) { st, err = r.EntriesAfter(m, 100); return err }); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(func() (ps []int64) {
			for _, e := range st {
				ps = append(ps, e.Points)
			}
			return ps
		}())
	}
	add := func(es ...hub.StoredEntry) string {
		t.Helper()
		var got []bool
		update(t, s, func(tx hub.Tx) (err error) { got, err = tx.AddEntries(es); return err })
		return fmt.Sprint(got)
	}
	if got := add(); got != "[]" {
		t.Errorf("no entries: %s", got)
	}
	if m := mark(); m != 0 {
		t.Errorf("mark %d after adding no entries", m)
	}
	// An Update that fails keeps none of its batch.
	failed := errors.New("no")
	err := s.Update(ctx, func(tx hub.Tx) error {
		if _, err := tx.AddEntries([]hub.StoredEntry{e1, e2}); err != nil {
			return err
		}
		if err := tx.PutBalances([]hub.Balance{{Person: 1, Points: 5, Version: 1}}); err != nil {
			return err
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("the failed Update: %v", err)
	}
	if m := mark(); m != 0 {
		t.Errorf("mark %d after a batch rolled back", m)
	}
	// In the list: an id and a (terminal, seq) held by one before it.
	if got := add(e1, e2, sameID, e3, sameSeq); got != "[true true false true false]" {
		t.Errorf("a batch with two repeats: %s", got)
	}
	m1 := mark()
	if got := after(0); got != "[1 2 3]" {
		t.Errorf("the batch's entries in store order: %s", got)
	}
	// In the store: e1 is held.
	if got := add(e1, e4); got != "[false true]" {
		t.Errorf("a held entry and a new one: %s", got)
	}
	if m2 := mark(); m2 <= m1 {
		t.Errorf("the mark %d after a second batch, %d before", m2, m1)
	}
	if got := after(m1); got != "[4]" {
		t.Errorf("after the first batch: %s", got)
	}
	if got := add(e2, sameSeq); got != "[false false]" {
		t.Errorf("only held entries: %s", got)
	}
	// An entry the store does not take holds nothing for those after it:
	// sameSeq is refused (T1/2 is held), and e5, which has its id, is
	// stored, as AddEntry of each in turn would.
	e5 := pointed(entry("T1", 5, e4.Hash), 5)
	e5.ID = sameSeq.ID
	if got := add(sameSeq, e5); got != "[false true]" {
		t.Errorf("a held (terminal, seq), then its id in a new entry: %s", got)
	}
	if got := after(m1); got != "[4 5]" {
		t.Errorf("after the first batch, with e5: %s", got)
	}
	err = s.View(ctx, func(r hub.Reader) error {
		es, err := r.Entries("T1", 0, 10)
		if err != nil {
			return err
		}
		var got []string
		for _, e := range es {
			got = append(got, fmt.Sprintf("%d:%d", e.Seq, e.Points))
			if want := []hub.StoredEntry{e1, e2, e3, e4, e5}[len(got)-1]; e.Hash != want.Hash || string(e.Raw) != string(want.Raw) || e.HubCenter != "A" {
				t.Errorf("entry seq %d is not the one stored", e.Seq)
			}
		}
		if fmt.Sprint(got) != "[1:1 2:2 3:3 4:4 5:5]" {
			t.Errorf("T1's entries %v", got)
		}
		if es, _ := r.Entries("T2", 0, 10); len(es) != 0 {
			t.Errorf("T2 has %d entries", len(es))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	update(t, s, func(tx hub.Tx) error { return tx.PutBalances(nil) })
	update(t, s, func(tx hub.Tx) error {
		return tx.PutBalances([]hub.Balance{{Person: 7, Points: 10, Minutes: 60, Version: 1}, {Person: 3, Points: -2, Version: 2},
			{Person: 7, Points: 30, Minutes: 90, Version: 3}})
	})
	update(t, s, func(tx hub.Tx) error {
		return tx.PutBalances([]hub.Balance{{Person: 3, Points: 4, Minutes: 1, Version: 4}})
	})
	err = s.View(ctx, func(r hub.Reader) error {
		bs, err := r.Balances([]record.PersonID{3, 7, 8})
		if err != nil {
			return err
		}
		if got := fmt.Sprintf("%+v", bs); got != "[{Person:3 Points:4 Minutes:1 Version:4} {Person:7 Points:30 Minutes:90 Version:3}]" {
			t.Errorf("balances %s", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testCardUses(t *testing.T, s hub.Store) {
	at := func(m int) time.Time { return hubtest.Start.Add(time.Duration(m) * time.Minute) }
	use := func(terminal string, seq uint64, center string, kind record.Kind, card record.CardUID, m int) hub.StoredEntry {
		e := entry(terminal, seq, record.Hash{})
		e.Kind, e.Card, e.At, e.HubCenter = kind, card, at(m).UTC(), center
		var err error
		if e.Raw, err = e.Encode(); err != nil {
			panic(err)
		}
		return e
	}
	corrected := use("T2", 5, "B", record.KindCheckIn, "0C0C0C02", 0)
	corrected.Trusted = false
	corrected.Raw, _ = corrected.Encode()
	corrected.Corrected = at(60)
	entries := []hub.StoredEntry{
		use("T2", 1, "B", record.KindCheckIn, "0C0C0C01", 0),
		use("T2", 2, "B", record.KindCheckOut, "0C0C0C01", 10),
		use("T2", 3, "B", record.KindRedeem, "0C0C0C01", 20),
		use("T2", 4, "B", record.KindReplaceCard, "0C0C0C01", 0), // not a use the check looks at
		corrected,
		use("T2", 6, "B", record.KindCheckIn, "", 0),
		use("T1", 1, "A", record.KindCheckIn, "0C0C0C01", 0),
	}
	update(t, s, func(tx hub.Tx) error {
		for _, e := range entries {
			if ok, err := tx.AddEntry(e); err != nil || !ok {
				t.Errorf("add %s/%d: %v, %v", e.Terminal, e.Seq, ok, err)
			}
		}
		return nil
	})
	// found is terminal/seq of each use CardUses finds.
	found := func(center string, ws ...hub.CardWindow) []string {
		t.Helper()
		var got []string
		err := s.View(ctx, func(r hub.Reader) error {
			es, err := r.CardUses(center, ws)
			for _, e := range es {
				got = append(got, fmt.Sprintf("%s/%d", e.Terminal, e.Seq))
				if e.Seq == 5 && !e.Corrected.Equal(at(60)) {
					t.Errorf("the corrected time %v, want %v", e.Corrected, at(60))
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	w := func(card record.CardUID, from, to int) hub.CardWindow {
		return hub.CardWindow{Card: card, From: at(from), To: at(to)}
	}
	many := make([]hub.CardWindow, 1000)
	for i := range many {
		many[i] = w(record.CardUID(fmt.Sprintf("0D%06X", i)), -100, 100)
	}
	many[0], many[450], many[999] = w("0C0C0C01", 20, 20), w("0C0C0C01", 0, 20), w("0C0C0C01", 0, 0)
	for _, c := range []struct {
		what   string
		center string
		ws     []hub.CardWindow
		want   string
	}{
		{"no windows", "A", nil, "[]"},
		{"both ends of a window count", "A", []hub.CardWindow{w("0C0C0C01", 0, 10)}, "[T2/1 T2/2]"},
		{"overlapping windows, each entry once, in time order", "A",
			[]hub.CardWindow{w("0C0C0C01", 5, 20), w("0C0C0C01", 0, 10)}, "[T2/1 T2/2 T2/3]"},
		{"another card", "A", []hub.CardWindow{w("0C0C0C09", -60, 60)}, "[]"},
		{"the hub time of an untrusted clock is the corrected one", "A", []hub.CardWindow{w("0C0C0C02", -1, 1)}, "[]"},
		{"the corrected time", "A", []hub.CardWindow{w("0C0C0C02", 59, 61)}, "[T2/5]"},
		{"no card", "A", []hub.CardWindow{w("", -60, 60)}, "[]"},
		{"the center's own uses are not", "B", []hub.CardWindow{w("0C0C0C01", -1, 1)}, "[T1/1]"},
		{"a long list of windows", "A", many, "[T2/1 T2/2 T2/3]"},
	} {
		if got := fmt.Sprint(found(c.center, c.ws...)); got != c.want {
			t.Errorf("%s: %s, want %s", c.what, got, c.want)
		}
	}
}

func testSince(t *testing.T, s hub.Store) {
	addCenter(t, s, "A")
	addCenter(t, s, "B")
	var v0 uint64
	update(t, s, func(tx hub.Tx) error {
		for i, c := range []string{"A", "B", "A"} {
			v, err := tx.NextVersion()
			if err != nil {
				return err
			}
			if i == 0 {
				v0 = v
			}
			if err := tx.PutActivity(hub.Activity{ID: record.ActivityID(i + 1), Center: c, Name: string(rune('a' + i)), Active: true, Version: v,
				Rules: record.Rules{PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 12}}}); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, s, func(tx hub.Tx) error {
		for i := range 4 {
			v, err := tx.NextVersion()
			if err != nil {
				return err
			}
			if err := tx.AddPerson(hub.Person{ID: record.PersonID(10 + i), MemberNo: string(rune('P'+i)) + "1", Name: "n", Kind: record.RedVest, Version: v}); err != nil {
				return err
			}
		}
		return nil
	})
	err := s.View(ctx, func(r hub.Reader) error {
		ch, err := r.Since(0, "A", 10)
		if err != nil {
			return err
		}
		if len(ch.Activities) != 2 || ch.Activities[0].Center != "A" || ch.Activities[1].Center != "A" ||
			ch.Activities[0].Version != v0 || ch.Activities[0].Rules.PointsPerHour[record.RedVest] != 12 {
			t.Errorf("activities of A: %+v", ch.Activities)
		}
		if len(ch.People) != 4 {
			t.Errorf("%d people", len(ch.People))
		}
		for i := 1; i < len(ch.People); i++ {
			if ch.People[i].Version <= ch.People[i-1].Version {
				t.Errorf("people not in version order: %+v", ch.People)
			}
		}
		ch, err = r.Since(ch.People[1].Version, "A", 1)
		if err != nil {
			return err
		}
		if len(ch.People) != 1 || ch.People[0].ID != 12 || len(ch.Activities) != 0 {
			t.Errorf("since the second person, limit 1: %+v", ch)
		}
		if ch.Policy != nil {
			t.Error("a policy never set")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	update(t, s, func(tx hub.Tx) error {
		v, err := tx.NextVersion()
		if err != nil {
			return err
		}
		return tx.PutPolicy(record.Policy{OfflineCapPoints: 7}, v)
	})
	err = s.View(ctx, func(r hub.Reader) error {
		p, v, err := r.Policy()
		if err != nil || p.OfflineCapPoints != 7 {
			t.Errorf("policy %+v, %v", p, err)
		}
		ch, err := r.Since(v-1, "A", 10)
		if err != nil {
			return err
		}
		if ch.Policy == nil || ch.PolicyVersion != v {
			t.Errorf("the policy's change: %+v", ch)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testAliases(t *testing.T, s hub.Store) {
	update(t, s, func(tx hub.Tx) error {
		for _, a := range []hub.Alias{{From: 1, To: 3, Version: 1}, {From: 2, To: 3, Version: 2}, {From: 4, To: 5, Version: 3}} {
			if err := tx.PutAlias(a); err != nil {
				return err
			}
		}
		return tx.PutAlias(hub.Alias{From: 4, To: 3, Version: 4}) // moved
	})
	err := s.View(ctx, func(r hub.Reader) error {
		if a, err := r.Alias(4); err != nil || a.To != 3 || a.Version != 4 {
			t.Errorf("alias of 4: %+v, %v", a, err)
		}
		if _, err := r.Alias(3); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("alias of 3: %v, want ErrNotFound", err)
		}
		to, err := r.AliasesTo(3)
		if err != nil || len(to) != 3 || to[0].From != 1 || to[2].From != 4 {
			t.Errorf("aliases to 3: %+v, %v", to, err)
		}
		ch, err := r.Since(2, "", 10)
		if err != nil || len(ch.Aliases) != 1 || ch.Aliases[0].From != 4 {
			t.Errorf("aliases since 2: %+v, %v", ch.Aliases, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testMany: Aliases and Balances of a list of ids, short or long, in any
// order and with repeats, return the rows held, once each, in id order.
func testMany(t *testing.T, s hub.Store) {
	held := map[record.PersonID]bool{}
	update(t, s, func(tx hub.Tx) error {
		for i := range 60 {
			p := record.PersonID(1 + 37*i) // spread over 1…2184
			held[p] = true
			if err := tx.PutAlias(hub.Alias{From: p, To: p + 1, Version: uint64(i + 1)}); err != nil {
				return err
			}
			if err := tx.PutBalance(hub.Balance{Person: p, Points: int64(i), Minutes: -int64(i), Version: uint64(i + 1)}); err != nil {
				return err
			}
		}
		return nil
	})
	for _, c := range []struct {
		what string
		ids  []record.PersonID
	}{
		{"none", nil},
		{"one held", []record.PersonID{38}},
		{"one not held", []record.PersonID{2}},
		{"a few, out of order, repeated", []record.PersonID{75, 2, 38, 1, 38, 3000}},
		{"a long list", func() []record.PersonID {
			var ids []record.PersonID
			for p := record.PersonID(2300); p > 0; p-- { // every id, from the top
				ids = append(ids, p, p)
			}
			return ids
		}()},
	} {
		var want []record.PersonID
		for _, p := range c.ids {
			if held[p] && !slices.Contains(want, p) {
				want = append(want, p)
			}
		}
		slices.Sort(want)
		err := s.View(ctx, func(r hub.Reader) error {
			as, err := r.Aliases(c.ids)
			if err != nil {
				return err
			}
			bs, err := r.Balances(c.ids)
			if err != nil {
				return err
			}
			if len(as) != len(want) || len(bs) != len(want) {
				t.Fatalf("%s: %d aliases and %d balances, want %d", c.what, len(as), len(bs), len(want))
			}
			for i, p := range want {
				i37 := int64(p-1) / 37
				if as[i] != (hub.Alias{From: p, To: p + 1, Version: uint64(i37 + 1)}) {
					t.Errorf("%s: alias %d %+v", c.what, i, as[i])
				}
				if bs[i] != (hub.Balance{Person: p, Points: i37, Minutes: -i37, Version: uint64(i37 + 1)}) {
					t.Errorf("%s: balance %d %+v", c.what, i, bs[i])
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func testFlags(t *testing.T, s hub.Store) {
	add := func(kind hub.FlagKind, subject string) bool {
		var ok bool
		update(t, s, func(tx hub.Tx) (err error) {
			ok, err = tx.AddFlag(hub.Flag{Kind: kind, Subject: subject, Detail: "d", At: hubtest.Start})
			return err
		})
		return ok
	}
	if !add(hub.FlagFork, "T1") || add(hub.FlagFork, "T1") {
		t.Error("a second open flag of one kind and subject")
	}
	if !add(hub.FlagChain, "T1") || !add(hub.FlagFork, "T2") {
		t.Error("flags of another kind or subject refused")
	}
	update(t, s, func(tx hub.Tx) error {
		return tx.ResolveFlags(hub.FlagFork, "T1", "admin", hubtest.Start.Add(time.Hour))
	})
	if !add(hub.FlagFork, "T1") {
		t.Error("a new flag after the open one was resolved refused")
	}
	err := s.View(ctx, func(r hub.Reader) error {
		open, err := r.Flags(true)
		if err != nil {
			return err
		}
		all, err := r.Flags(false)
		if err != nil {
			return err
		}
		if len(open) != 3 || len(all) != 4 {
			t.Errorf("%d open, %d in all; want 3 and 4", len(open), len(all))
		}
		if all[0].ResolvedBy != "admin" || !all[0].Resolved.Equal(hubtest.Start.Add(time.Hour)) || all[0].Kind != hub.FlagFork {
			t.Errorf("the resolved flag: %+v", all[0])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testErrors(t *testing.T, s hub.Store) {
	addCenter(t, s, "A")
	err := s.Update(ctx, func(tx hub.Tx) error { return tx.AddCenter(hub.Center{ID: "A", Name: "again"}) })
	if !errors.Is(err, hub.ErrExists) {
		t.Errorf("a center twice: %v", err)
	}
	update(t, s, func(tx hub.Tx) error {
		return tx.AddPerson(hub.Person{ID: 1, MemberNo: "M1", Name: "a", Kind: record.RedVest, Version: 1})
	})
	err = s.Update(ctx, func(tx hub.Tx) error {
		return tx.AddPerson(hub.Person{ID: 2, MemberNo: "M1", Name: "b", Kind: record.RedVest, Version: 2})
	})
	if !errors.Is(err, hub.ErrExists) {
		t.Errorf("a member number twice: %v", err)
	}
	err = s.View(ctx, func(r hub.Reader) error {
		for what, err := range map[string]error{
			"kiosk":  errOf(r.Kiosk("none")),
			"person": errOf(r.Person(9)),
			"member": errOf(r.PersonByMemberNo("none")),
			"card":   errOf(r.Card("00000000")),
			"token":  errOf(r.Token(hub.TokenHash{})),
			"entry":  errOf(r.Entry(record.EntryID{})),
		} {
			if !errors.Is(err, hub.ErrNotFound) {
				t.Errorf("%s: %v, want ErrNotFound", what, err)
			}
		}
		if p, v, err := r.Policy(); err != nil || p != record.DefaultPolicy || v != 0 {
			t.Errorf("the policy never set: %+v %d %v", p, v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func errOf[T any](_ T, err error) error { return err }

// testRegistryRows: an activity, an item and a staff card are put whole
// by their key (who changed them too), a name another row holds is
// ErrExists (an activity's at its center only), and Since gives the
// activities and staff of the center asked and the whole catalog.
func testRegistryRows(t *testing.T, s hub.Store) {
	addCenter(t, s, "A")
	addCenter(t, s, "B")
	rules := record.Rules{MaxMinutes: 90, PointsPerHour: map[record.VolunteerKind]int64{record.GreenVest: 6}}
	update(t, s, func(tx hub.Tx) error {
		for _, a := range []hub.Activity{
			{ID: 1, Center: "A", Name: "a", Active: true, Station: true, Version: 1},
			{ID: 2, Center: "B", Name: "a", Active: true, Version: 2}, // the same name at another center
			{ID: 1, Center: "A", Name: "a2", Rules: rules, Schedule: record.Schedule{Start: "08:00", End: "10:00"}, ChangedBy: "T1", Version: 3},
		} {
			if err := tx.PutActivity(a); err != nil {
				return err
			}
		}
		for _, it := range []hub.Item{
			{ID: 10, Name: "rice", Price: 80, Active: true, Version: 4},
			{ID: 10, Name: "rice", Price: 70, LimitCount: 2, LimitPeriod: hubsync.PeriodWeek, ChangedBy: "T1", Version: 5},
			{ID: 11, Name: "oil", Price: 50, Active: true, Version: 6},
		} {
			if err := tx.PutItem(it); err != nil {
				return err
			}
		}
		for _, st := range []hub.Staff{
			{Center: "A", UID: "5AF00001", Name: "s", Role: hubsync.RoleStaff, PINHash: "$h1", Active: true, Version: 7},
			{Center: "B", UID: "5AF00001", Name: "s", Role: hubsync.RoleStaff, PINHash: "$h2", Active: true, Version: 8},
			{Center: "A", UID: "5AF00001", Name: "s2", Role: hubsync.RoleTechnician, PINHash: "$h3", ChangedBy: "T1", Version: 9},
		} {
			if err := tx.PutStaff(st); err != nil {
				return err
			}
		}
		return nil
	})
	for what, fn := range map[string]func(hub.Tx) error{
		"an activity's name at its center": func(tx hub.Tx) error {
			return tx.PutActivity(hub.Activity{ID: 3, Center: "A", Name: "a2", Version: 10})
		},
		"an item's name": func(tx hub.Tx) error { return tx.PutItem(hub.Item{ID: 12, Name: "oil", Price: 1, Version: 10}) },
		"an item renamed to another's": func(tx hub.Tx) error {
			return tx.PutItem(hub.Item{ID: 10, Name: "oil", Price: 1, Version: 10})
		},
	} {
		if err := s.Update(ctx, fn); !errors.Is(err, hub.ErrExists) {
			t.Errorf("%s twice: %v, want ErrExists", what, err)
		}
	}
	err := s.View(ctx, func(r hub.Reader) error {
		a, err := r.Activity(1)
		if err != nil {
			return err
		}
		if a.Name != "a2" || a.Active || a.Station || a.ChangedBy != "T1" || a.Version != 3 || a.Rules.MaxMinutes != 90 ||
			a.Rules.PointsPerHour[record.GreenVest] != 6 || a.Schedule.End != "10:00" {
			t.Errorf("activity put again: %+v", a)
		}
		items, err := r.Items()
		if err != nil {
			return err
		}
		if len(items) != 2 || items[1] != (hub.Item{ID: 10, Name: "rice", Price: 70, LimitCount: 2, LimitPeriod: hubsync.PeriodWeek, ChangedBy: "T1", Version: 5}) {
			t.Errorf("items %+v", items)
		}
		staff, err := r.StaffByCard("5AF00001")
		if err != nil {
			return err
		}
		if len(staff) != 2 || staff[0] != (hub.Staff{Center: "A", UID: "5AF00001", Name: "s2", Role: hubsync.RoleTechnician, PINHash: "$h3", ChangedBy: "T1", Version: 9}) ||
			staff[1].Center != "B" || staff[1].PINHash != "$h2" {
			t.Errorf("staff %v", staff)
		}
		ch, err := r.Since(2, "A", 10)
		if err != nil {
			return err
		}
		if len(ch.Activities) != 1 || ch.Activities[0].ID != 1 || len(ch.Items) != 2 || len(ch.Staff) != 1 || ch.Staff[0].Version != 9 {
			t.Errorf("since 2 at A: activities %+v items %+v staff %v", ch.Activities, ch.Items, ch.Staff)
		}
		ch, err = r.Since(0, "B", 10)
		if err != nil {
			return err
		}
		if len(ch.Activities) != 1 || ch.Activities[0].ID != 2 || len(ch.Items) != 2 || len(ch.Staff) != 1 || ch.Staff[0].Center != "B" {
			t.Errorf("since 0 at B: activities %+v items %+v staff %v", ch.Activities, ch.Items, ch.Staff)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testCounter(t *testing.T, s hub.Store) {
	addCenter(t, s, "A")
	update(t, s, func(tx hub.Tx) error {
		return tx.PutKiosk(hub.Kiosk{Terminal: "T1", Center: "A", PublicKey: make([]byte, 32), Counter: 5, Enrolled: hubtest.Start})
	})
	for _, c := range []struct {
		n    uint64
		want bool
	}{{5, false}, {4, false}, {6, true}, {6, false}, {100, true}} {
		update(t, s, func(tx hub.Tx) error {
			ok, err := tx.AdvanceCounter("T1", c.n)
			if err != nil || ok != c.want {
				t.Errorf("counter %d: %v, %v; want %v", c.n, ok, err, c.want)
			}
			return nil
		})
	}
	err := s.Update(ctx, func(tx hub.Tx) error {
		_, err := tx.AdvanceCounter("none", 1)
		return err
	})
	if !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("counter of an unknown kiosk: %v", err)
	}
}

// testExactlyOncePush runs one kiosk's same batch through a Hub on s from
// several goroutines at once: every entry is stored once and counted once.
func testExactlyOncePush(t *testing.T, s hub.Store) {
	clk := clock.NewFake(hubtest.Start)
	h, err := hub.Open(ctx, t.TempDir(), hub.Options{Store: s, Clock: clk, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.AddCenter(ctx, "A", "A"); err != nil {
		t.Fatal(err)
	}
	tok, _, err := h.IssueToken(ctx, "A", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	k := hubtest.NewKiosk("T1", "A", clk.Now)
	if _, err := h.Enroll(ctx, k.Meta(), k.Enroll(tok)); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		k.Earn(1, "04A1B2C3", 1, 60, 3)
	}
	k.AddChange(&hubsync.Person{ID: 1, MemberNo: "M1", Name: "a", Kind: record.RedVest}, nil)
	first := k.Push()
	first.Entries, first.Head = first.Entries[:120], record.Head{Seq: 200, Hash: k.Head().Hash}
	whole := k.Push()
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := whole
			if i%2 == 0 {
				p = first // overlapping batches: the first 120, and all 200
			}
			res, err := h.Push(ctx, k.Meta(), p)
			if err == nil && res.Refused != "" {
				err = errors.New(res.Refused)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	b, err := h.DistrictBalance(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if b.Points != 300 || b.Minutes != 6000 {
		t.Errorf("balance %+v, want 300 points 6000 minutes: entries counted more than once", b)
	}
	var n int
	if err := s.View(ctx, func(r hub.Reader) error {
		es, err := r.Entries("T1", 0, 1000)
		n = len(es)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n != 200 {
		t.Errorf("%d entries stored, want 200", n)
	}
}

// testUsers: a user is added once, read back whole, replaced whole, and
// listed by name.
func testUsers(t *testing.T, s hub.Store) {
	at := hubtest.Start.UTC()
	a := hub.User{Name: "王芳", Role: hub.RoleCenter, Center: "A", PasswordHash: "$argon2id$x", Created: at}
	b := hub.User{Name: "Admin", Role: hub.RoleDistrict, PasswordHash: "$argon2id$y", Created: at.Add(time.Second)}
	update(t, s, func(tx hub.Tx) error {
		if err := tx.AddUser(a); err != nil {
			return err
		}
		return tx.AddUser(b)
	})
	if err := s.Update(ctx, func(tx hub.Tx) error { return tx.AddUser(hub.User{Name: "王芳", Role: hub.RoleDistrict}) }); !errors.Is(err, hub.ErrExists) {
		t.Errorf("a name twice: %v, want ErrExists", err)
	}
	a.Disabled, a.PasswordHash, a.Role, a.Center = true, "$argon2id$z", hub.RoleDistrict, ""
	update(t, s, func(tx hub.Tx) error { return tx.PutUser(a) })
	err := s.View(ctx, func(r hub.Reader) error {
		got, err := r.User("王芳")
		if err != nil {
			return err
		}
		if got != a {
			t.Errorf("user = %v, want %v", got, a)
		}
		if _, err := r.User("nobody"); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("an unknown user: %v, want ErrNotFound", err)
		}
		us, err := r.Users()
		if err != nil {
			return err
		}
		if len(us) != 2 || us[0] != b || us[1] != a {
			t.Errorf("users = %v, want %v then %v", us, b, a)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testSessions: a session is put whole and read by its hash; sessions are
// deleted one at a time, by user, and when they ended.
func testSessions(t *testing.T, s hub.Store) {
	at := hubtest.Start.UTC()
	update(t, s, func(tx hub.Tx) error {
		for _, n := range []string{"a", "b"} {
			if err := tx.AddUser(hub.User{Name: n, Role: hub.RoleDistrict, PasswordHash: "h", Created: at}); err != nil {
				return err
			}
		}
		return nil
	})
	sess := func(i byte, user string, made, seen time.Duration) hub.Session {
		return hub.Session{Hash: hub.SessionHash{i}, User: user, CSRF: fmt.Sprintf("csrf%d", i), Created: at.Add(made), Seen: at.Add(seen), Addr: "192.0.2.1:5000"}
	}
	all := []hub.Session{
		sess(1, "a", 0, time.Hour),             // seen an hour in
		sess(2, "a", 0, 2*time.Hour),           // seen later
		sess(3, "b", 0, 3*time.Hour),           // b's
		sess(4, "b", 5*time.Hour, 6*time.Hour), // made late
		sess(5, "b", 5*time.Hour, 6*time.Hour),
	}
	update(t, s, func(tx hub.Tx) error {
		for _, x := range all {
			if err := tx.PutSession(x); err != nil {
				return err
			}
		}
		return nil
	})
	has := func(want ...byte) {
		t.Helper()
		err := s.View(ctx, func(r hub.Reader) error {
			for _, x := range all {
				got, err := r.Session(x.Hash)
				if slices.Contains(want, x.Hash[0]) {
					if err != nil || got != x {
						t.Errorf("session %d = %v, %v; want %v", x.Hash[0], got, err, x)
					}
				} else if !errors.Is(err, hub.ErrNotFound) {
					t.Errorf("session %d: %v, want ErrNotFound", x.Hash[0], err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	has(1, 2, 3, 4, 5)
	all[1].Seen = at.Add(4 * time.Hour)
	update(t, s, func(tx hub.Tx) error { return tx.PutSession(all[1]) })
	has(1, 2, 3, 4, 5)
	update(t, s, func(tx hub.Tx) error { return tx.DeleteSession(all[4].Hash) })
	update(t, s, func(tx hub.Tx) error { return tx.DeleteSession(hub.SessionHash{99}) }) // not there: no error
	has(1, 2, 3, 4)
	// Seen before 3h30 (1 and 3), or made before 0 (none).
	var n int
	update(t, s, func(tx hub.Tx) (err error) {
		n, err = tx.DeleteExpiredSessions(at.Add(3*time.Hour+30*time.Minute), at.Add(-time.Hour))
		return err
	})
	if n != 2 {
		t.Errorf("DeleteExpiredSessions deleted %d, want 2", n)
	}
	has(2, 4)
	// Made before 1h (2): none seen too early.
	update(t, s, func(tx hub.Tx) (err error) {
		n, err = tx.DeleteExpiredSessions(at, at.Add(time.Hour))
		return err
	})
	if n != 1 {
		t.Errorf("DeleteExpiredSessions deleted %d, want 1", n)
	}
	has(4)
	update(t, s, func(tx hub.Tx) error { return tx.PutSession(all[0]) })
	update(t, s, func(tx hub.Tx) error { return tx.DeleteSessionsOf("b") })
	has(1)
}

// testAudit: entries get increasing ids and come back newest first, a page
// at a time.
func testAudit(t *testing.T, s hub.Store) {
	at := hubtest.Start.UTC()
	for i := range 7 {
		update(t, s, func(tx hub.Tx) error {
			return tx.AddAudit(hub.AuditEntry{ID: 1000, At: at.Add(time.Duration(i) * time.Minute), Actor: fmt.Sprintf("u%d", i), Addr: "192.0.2.1",
				Action: hub.AuditLogin, Center: "A", Subject: "s", Detail: "<b>d</b>"})
		})
	}
	// One added in an Update that rolls back is not kept.
	_ = s.Update(ctx, func(tx hub.Tx) error {
		if err := tx.AddAudit(hub.AuditEntry{At: at, Actor: "gone", Action: hub.AuditLogin}); err != nil {
			return err
		}
		return errors.New("roll back")
	})
	var page1, page2, rest []hub.AuditEntry
	err := s.View(ctx, func(r hub.Reader) (err error) {
		if page1, err = r.Audit(hub.AuditQuery{Limit: 3}); err != nil {
			return err
		}
		if len(page1) != 3 {
			return fmt.Errorf("first page holds %d", len(page1))
		}
		if page2, err = r.Audit(hub.AuditQuery{Before: page1[2].ID, Limit: 3}); err != nil {
			return err
		}
		if len(page2) != 3 {
			return fmt.Errorf("second page holds %d", len(page2))
		}
		rest, err = r.Audit(hub.AuditQuery{Before: page2[2].ID})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got := slices.Concat(page1, page2, rest)
	if len(got) != 7 {
		t.Fatalf("%d entries, want 7: %v", len(got), got)
	}
	for i, e := range got {
		want := hub.AuditEntry{ID: e.ID, At: at.Add(time.Duration(6-i) * time.Minute), Actor: fmt.Sprintf("u%d", 6-i), Addr: "192.0.2.1",
			Action: hub.AuditLogin, Center: "A", Subject: "s", Detail: "<b>d</b>"}
		if e != want {
			t.Errorf("entry %d = %+v, want %+v", i, e, want)
		}
		if i > 0 && e.ID >= got[i-1].ID {
			t.Errorf("entry %d has id %d after id %d: not newest first", i, e.ID, got[i-1].ID)
		}
	}
}

// testSearchPeople: a person keeps the center they were registered at
// through a Put; a search matches a name anywhere in it, a member number
// by its start and a phone (plain or masked) by its end, any of the
// fields given, among the people of its center (every person without
// one), by member number, at most its limit.
func testSearchPeople(t *testing.T, s hub.Store) {
	addCenter(t, s, "A")
	people := []hub.Person{
		{ID: 1, MemberNo: "HPL0001", Name: "王堃", Phone: "13812345678", Community: "和平里", Kind: record.RedVest, Center: "A", Version: 1},
		{ID: 2, MemberNo: "HPL0002", Name: "李王明", Phone: "139****5678", Kind: record.GreenVest, ChangedBy: "T1", Version: 2},
		{ID: 3, MemberNo: "XHZ0001", Name: "赵敏", Phone: "", Kind: record.Resident, Center: "A", Version: 3},
		{ID: 4, MemberNo: "W-4", Name: "", Provisional: true, Phone: "5678", Kind: record.Resident, Center: "A", Version: 4},
	}
	update(t, s, func(tx hub.Tx) error {
		for _, p := range people {
			if err := tx.AddPerson(p); err != nil {
				return err
			}
		}
		p := people[0]
		p.Name, p.Version = "王堃堃", 5
		people[0] = p
		return tx.PutPerson(p)
	})
	ids := func(ps []hub.Person) []record.PersonID {
		var out []record.PersonID
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}
	err := s.View(ctx, func(r hub.Reader) error {
		if p, err := r.Person(1); err != nil || p != people[0] {
			t.Errorf("person 1 put again: %+v, %v; want %+v", p, err, people[0])
		}
		for _, tc := range []struct {
			q    hub.PeopleQuery
			want []record.PersonID
		}{
			{hub.PeopleQuery{Name: "王"}, []record.PersonID{1, 2}},
			{hub.PeopleQuery{Name: "明"}, []record.PersonID{2}},
			{hub.PeopleQuery{MemberNo: "HPL"}, []record.PersonID{1, 2}},
			{hub.PeopleQuery{MemberNo: "PL"}, nil},
			{hub.PeopleQuery{PhoneEnd: "5678"}, []record.PersonID{1, 2, 4}},
			{hub.PeopleQuery{PhoneEnd: "45678"}, []record.PersonID{1}},
			{hub.PeopleQuery{Name: "赵", MemberNo: "HPL0002"}, []record.PersonID{2, 3}},
			{hub.PeopleQuery{PhoneEnd: "5678", Limit: 2}, []record.PersonID{1, 2}},
			{hub.PeopleQuery{Name: "%"}, nil},
			{hub.PeopleQuery{Center: "A", PhoneEnd: "5678"}, []record.PersonID{1, 4}},
			{hub.PeopleQuery{Center: "A", Name: "王", MemberNo: "X"}, []record.PersonID{1, 3}},
			{hub.PeopleQuery{Center: "B", Name: "王"}, nil},
			{hub.PeopleQuery{}, nil},
		} {
			got, err := r.SearchPeople(tc.q)
			if err != nil {
				return err
			}
			if !slices.Equal(ids(got), tc.want) {
				t.Errorf("search %+v: %v, want %v", tc.q, ids(got), tc.want)
			}
			for _, p := range got {
				if p != people[p.ID-1] {
					t.Errorf("search %+v: %+v, want %+v", tc.q, p, people[p.ID-1])
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
