package demo_test

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/demo"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

var cst = time.FixedZone("CST", 8*3600)

// now is an odd hour, when no activity is scheduled: the demo must work anyway.
var now = time.Date(2026, 11, 25, 3, 17, 0, 0, cst)

func options(c *clock.Fake) demo.Options {
	return demo.Options{Ledger: ledgertest.Options(c, clock.NewFakeSync(true))}
}

func create(t *testing.T, o demo.Options) (string, *demo.Result) {
	t.Helper()
	dir := t.TempDir()
	res, err := demo.Create(context.Background(), dir, o)
	if err != nil {
		t.Fatalf("create demo: %v", err)
	}
	return dir, res
}

func open(t *testing.T, dir string, c *clock.Fake) *ledger.Ledger {
	t.Helper()
	l, err := ledger.Open(context.Background(), dir, ledgertest.Options(c, clock.NewFakeSync(true)))
	if err != nil {
		t.Fatalf("open demo ledger: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestDemoDefault(t *testing.T) {
	ctx := context.Background()
	c := clock.NewFake(now)
	dir, res := create(t, options(c))

	if res.Terminal.CenterName != demo.CenterName || res.Terminal.Center != demo.CenterID {
		t.Errorf("terminal = %+v", res.Terminal)
	}
	if got, want := len(res.Cards)+len(res.Refused), demo.DefaultPeople+2; got != want {
		t.Errorf("%d cards (%d usable, %d refused), want %d: everyone's card plus two replacements", got, len(res.Cards), len(res.Refused), want)
	}
	if len(res.Refused) != 4 {
		t.Errorf("refused cards = %+v, want the two replaced, one lost, one revoked", res.Refused)
	}
	for i, name := range []string{"王堃", "李喆", "陈赟", "周玥"} {
		if res.Cards[i].Name != name {
			t.Errorf("key %d is %s, want %s", i+1, res.Cards[i].Name, name)
		}
	}
	kinds := map[record.VolunteerKind]int{}
	for i, card := range res.Cards {
		kinds[card.Kind]++
		if i < demo.Keys && (card.Key != i+1 || card.UID != demo.CardUID(i+1)) {
			t.Errorf("card %d = key %d %s, want key %d %s", i, card.Key, card.UID, i+1, demo.CardUID(i+1))
		}
		if i >= demo.Keys && card.Key != 0 {
			t.Errorf("card %d (%s) has key %d", i, card.Name, card.Key)
		}
		if card.State != ledger.CardActive {
			t.Errorf("usable card %s is %v", card.UID, card.State)
		}
		if uid, err := record.ParseUID(string(card.UID)); err != nil || uid != card.UID {
			t.Errorf("card UID %s does not parse back as itself: %v %v", card.UID, uid, err)
		}
	}
	for _, k := range []record.VolunteerKind{record.RedVest, record.GreenVest, record.InService, record.Resident} {
		if kinds[k] == 0 {
			t.Errorf("no %v among the demo people", k)
		}
	}
	if res.History < demo.DefaultEntries*9/10 || res.History > demo.DefaultEntries+5 {
		t.Errorf("history has %d entries, want about %d", res.History, demo.DefaultEntries)
	}
	if res.OpenShifts != 2 {
		t.Errorf("open shifts = %d, want 2 volunteers on duty", res.OpenShifts)
	}

	l := open(t, dir, c)
	rep, err := l.Verify(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %v %v", err, rep.Problems)
	}
	if rep.Entries != uint64(res.Entries) {
		t.Errorf("verify read %d entries, result says %d", rep.Entries, res.Entries)
	}
	if st, err := l.Status(ctx); err != nil || st.FlaggedShifts != 0 || st.OpenShifts != 2 {
		t.Errorf("status %+v %v: want no flagged shifts and two open", st, err)
	}

	// The history is in the past, spread over the days before now.
	var first, last time.Time
	n := int64(0)
	for e, err := range l.ExportEntries(ctx, time.Unix(0, math.MinInt64), time.Unix(0, math.MaxInt64)) {
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			first = e.At
		}
		last = e.At
		n++
		if !e.At.Before(now) {
			t.Errorf("entry %d at %v, not before now %v", e.Seq, e.At, now)
		}
	}
	if n != res.Entries {
		t.Errorf("exported %d entries, want %d", n, res.Entries)
	}
	if span := last.Sub(first); span < time.Duration(demo.DefaultDays-1)*24*time.Hour {
		t.Errorf("history spans %v, want about %d days", span, demo.DefaultDays)
	}

	// The ledger is marked as demo data, with the key cards in key order.
	mark, err := l.Demo(ctx)
	if err != nil || !mark.Demo || len(mark.KeyCards) != demo.Keys {
		t.Fatalf("demo mark %+v, %v", mark, err)
	}
	for i, uid := range mark.KeyCards {
		if uid != demo.CardUID(i+1) {
			t.Errorf("marked key card %d = %s, want %s", i+1, uid, demo.CardUID(i+1))
		}
	}
	keys, err := demo.KeyCards(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != demo.Keys {
		t.Fatalf("%d key cards, want %d", len(keys), demo.Keys)
	}
	canRedeem := false
	for i, k := range keys {
		if k.UID != res.Cards[i].UID || k.Key != i+1 || k.Name != res.Cards[i].Name {
			t.Errorf("key card %d from the ledger = %+v, Create said %+v", i+1, k, res.Cards[i])
		}
		info, err := l.LookupCard(ctx, k.UID)
		if err != nil {
			t.Fatalf("key %d: %v", i+1, err)
		}
		if info.OpenShift != nil {
			t.Errorf("key %d (%s) is on duty: the first tap in the demo should check in", i+1, k.Name)
		}
		offers, err := l.CatalogFor(ctx, k.UID)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range offers {
			canRedeem = canRedeem || o.CanRedeem()
		}
	}
	if !canRedeem {
		t.Error("no key card can redeem anything: the demo cannot show a redemption")
	}

	for _, card := range res.Refused {
		_, err := l.LookupCard(ctx, card.UID)
		if !errors.Is(err, ledger.ErrCardLost) && !errors.Is(err, ledger.ErrCardRevoked) {
			t.Errorf("refused card %s (%s) looked up: %v", card.UID, card.Name, err)
		}
	}
	replaced := 0
	for _, card := range res.Cards {
		if card.Replaces == "" {
			continue
		}
		replaced++
		old, err := l.LookupCard(ctx, card.Replaces)
		if !errors.Is(err, ledger.ErrCardLost) || old.Person.ID != card.Person {
			t.Errorf("replaced card %s: %v, person %v", card.Replaces, err, old.Person)
		}
	}
	if replaced != 2 {
		t.Errorf("%d replacement cards, want 2", replaced)
	}

	for i, s := range res.Staff {
		got, err := l.CheckPIN(ctx, s.UID, s.PIN)
		if err != nil || got.Role != s.Role {
			t.Errorf("staff card %d %s with PIN %s: %+v %v", i, s.UID, s.PIN, got, err)
		}
	}
	if res.Staff[0].Role != ledger.RoleStaff || res.Staff[1].Role != ledger.RoleTechnician {
		t.Errorf("staff = %+v, want a staff member and a technician", res.Staff)
	}

	offers, err := l.Catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(offers) < 8 {
		t.Errorf("catalog has %d items", len(offers))
	}
	for _, o := range offers {
		if o.Stock <= 0 {
			t.Errorf("%s: stock %d", o.Item.Name, o.Stock)
		}
	}

	// Every activity takes a check-in at this odd hour and just before midnight.
	acts, err := l.Activities(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) != 6 {
		t.Errorf("%d activities, want 6", len(acts))
	}
	for _, a := range acts {
		for _, at := range []time.Time{now, time.Date(2026, 11, 28, 23, 59, 0, 0, cst)} {
			if !a.AcceptsCheckIn(at, cst) {
				t.Errorf("%s refuses a check-in at %v", a.Name, at)
			}
		}
	}
	station, err := l.StationActivity(ctx)
	if err != nil || station.Name != demo.StationActivity || station.ID != res.Station.ID {
		t.Fatalf("station activity = %+v, %v", station, err)
	}
	c.Advance(5 * time.Minute)
	if _, err := l.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: keys[0].UID, Activity: station.ID}); err != nil {
		t.Fatalf("key 1 checks in at the station at %v: %v", c.Now(), err)
	}
}

func TestDemoRefusesExistingLedger(t *testing.T) {
	c := clock.NewFake(now)
	dir, _ := create(t, demo.Options{People: 3, Entries: 10, Ledger: options(c).Ledger})
	_, err := demo.Create(context.Background(), dir, options(c))
	if !errors.Is(err, ledger.ErrExists) {
		t.Fatalf("second demo in the same directory: %v, want ErrExists", err)
	}
	l := open(t, dir, c)
	st, err := l.Status(context.Background())
	if err != nil || st.People != 3 {
		t.Fatalf("the first demo was touched: %+v %v", st, err)
	}
}

func TestDemoSizes(t *testing.T) {
	for _, tc := range []struct {
		name           string
		people, events int
		noHistory      bool
	}{
		{"three people", 3, 30, false},
		{"no history", 12, 0, true},
		{"more people than names", 80, 120, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := clock.NewFake(now)
			o := options(c)
			o.People, o.Entries, o.NoHistory = tc.people, tc.events, tc.noHistory
			dir, res := create(t, o)
			l := open(t, dir, c)
			rep, err := l.Verify(context.Background())
			if err != nil || !rep.OK() {
				t.Fatalf("verify: %v %v", err, rep.Problems)
			}
			st, _ := l.Status(context.Background())
			if st.People != int64(tc.people) {
				t.Errorf("%d people, want %d", st.People, tc.people)
			}
			keys, err := demo.KeyCards(context.Background(), l)
			if err != nil || len(keys) != min(tc.people, demo.Keys) {
				t.Errorf("key cards = %d, %v", len(keys), err)
			}
			if tc.noHistory && (res.History != 0 || res.Entries != 10) {
				t.Errorf("no history: %d history entries, %d in all, want 0 and the 10 first stockings", res.History, res.Entries)
			}
			if !tc.noHistory && (res.History < tc.events*8/10 || res.History > tc.events+5) {
				t.Errorf("history has %d entries, want about %d", res.History, tc.events)
			}
		})
	}
}

func TestDemoSameSeedSamePeople(t *testing.T) {
	people := func(seed uint64) []demo.Card {
		c := clock.NewFake(now)
		o := options(c)
		o.People, o.NoHistory, o.Seed = 60, true, seed
		_, res := create(t, o)
		return res.Cards
	}
	a, b, other := people(7), people(7), people(8)
	if len(a) != len(b) {
		t.Fatalf("%d and %d cards", len(a), len(b))
	}
	differs := false
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Kind != b[i].Kind || a[i].UID != b[i].UID || a[i].Community != b[i].Community {
			t.Errorf("card %d: %+v and %+v from the same seed", i, a[i], b[i])
		}
		differs = differs || i >= len(other) || a[i].Name != other[i].Name || a[i].Kind != other[i].Kind
	}
	if !differs {
		t.Error("another seed made the same people")
	}
}

// cancellingSync cancels a context at the n-th write: the ledger asks it
// whether the clock is synced once per write.
type cancellingSync struct {
	n      atomic.Int32
	cancel context.CancelFunc
}

func (s *cancellingSync) Synced() bool {
	if s.n.Add(-1) == 0 {
		s.cancel()
	}
	return true
}

// A demo that cannot finish leaves no half-made ledger behind to block the
// next try.
func TestDemoFailureLeavesNoLedger(t *testing.T) {
	c := clock.NewFake(now)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sync := &cancellingSync{cancel: cancel}
	sync.n.Store(300) // past the setup, into the history
	o := options(c)
	o.Ledger.Sync = sync
	dir := t.TempDir()
	_, err := demo.Create(ctx, dir, o)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("demo cancelled half way: %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
	if _, err := demo.Create(context.Background(), dir, demo.Options{People: 3, Entries: 10, Ledger: options(c).Ledger}); err != nil {
		t.Fatalf("second try: %v", err)
	}
}

// A new demo has no full check recorded: one would carry the history's
// made-up time, and kioskctl status would say the file was checked weeks
// before it was made.
func TestDemoRecordsNoFullCheck(t *testing.T) {
	dir, _ := create(t, options(clock.NewFake(now)))
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, ledger.FileName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM meta WHERE key = 'full_check'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d full checks recorded in a new demo; want none", n)
	}
}
