package ledger_test

import (
	"errors"
	"flag"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

var (
	propSeeds = flag.Int("ledger.seeds", 4, "property test: how many seeds")
	propOps   = flag.Int("ledger.ops", 250, "property test: operations per seed")
)

// refusal reports whether err is an answer the terminal shows, as opposed to
// a failure of the ledger.
func refusal(err error) bool {
	for _, r := range []error{ledger.ErrInsufficientPoints, ledger.ErrOutOfStock, ledger.ErrPeriodLimit, ledger.ErrOfflineCap,
		ledger.ErrShiftOpen, ledger.ErrNoOpenShift, ledger.ErrNotReversible, ledger.ErrCardLost, ledger.ErrCardRevoked,
		ledger.ErrNotInWindow} {
		if errors.Is(err, r) {
			return true
		}
	}
	return false
}

// TestPropertyRandomOperations runs seeded random sequences of check-ins,
// check-outs, redemptions, reversals, restocks, adjustments, card
// replacements, sweeps, replayed requests and clock jumps (backwards too),
// and checks after each that no balance or stock is negative and that the
// ledger agrees with a model kept from the results; at the end Verify must
// pass (chain, sequence, balances = sums of entries, stock). A failure names
// its seed: rerun with -run 'TestPropertyRandomOperations/seed=N'.
func TestPropertyRandomOperations(t *testing.T) {
	for seed := 1; seed <= *propSeeds; seed++ {
		t.Run("seed="+itoa(seed), func(t *testing.T) {
			propertyRun(t, uint64(seed), *propOps)
		})
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

type replay struct {
	op func(record.EntryID) error
	id record.EntryID
}

func propertyRun(t *testing.T, seed uint64, ops int) {
	rng := rand.New(rand.NewPCG(seed, seed*7919))
	e := ledgertest.MustOpen(t)
	if err := e.SetPolicy(ctx, record.Policy{OfflineCapPoints: 400}); err != nil {
		t.Fatal(err)
	}
	act := e.AddActivity(t, "环境整治", record.Schedule{}, record.Rules{AnyTime: true, RoundMinutes: 15, MinMinutes: 15, MaxMinutes: 300,
		DailyCapMinutes: 360, Forgotten: record.FlagForStaff,
		PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 12, record.GreenVest: 10, record.InService: 12, record.Resident: 6}})
	items := []ledger.Item{e.AddItem(t, "大米", 30, 3), e.AddItem(t, "食用油", 45, 2), e.AddItem(t, "肥皂", 5, 10)}
	type person struct {
		id   record.PersonID
		card record.CardUID
		bal  ledger.Balance
	}
	var people []*person
	kinds := []record.VolunteerKind{record.RedVest, record.GreenVest, record.InService, record.Resident}
	for i := range 6 {
		p, c := e.AddPerson(t, "志愿者"+itoa(i), kinds[i%4])
		people = append(people, &person{id: p.ID, card: c})
	}
	stock := map[record.ItemID]int64{items[0].ID: 3, items[1].ID: 2, items[2].ID: 10}
	var reversible []record.Entry
	var done []replay

	apply := func(p *person, en record.Entry) {
		p.bal.Points += en.Points
		p.bal.Minutes += en.Minutes
		if en.Stock != 0 {
			stock[en.Item] += en.Stock
		}
	}
	byPerson := func(id record.PersonID) *person {
		for _, p := range people {
			if p.id == id {
				return p
			}
		}
		return nil
	}
	okCount := map[string]int{}
	for i := range ops {
		p := people[rng.IntN(len(people))]
		var err error
		var what string
		switch r := rng.IntN(100); {
		case r < 22:
			what = "check-in"
			_, err = e.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: p.card, Activity: act.ID})
		case r < 44:
			what = "check-out"
			var out ledger.CheckOutResult
			out, err = e.CheckOut(ctx, ledger.CheckOut{ID: record.NewEntryID(), Card: p.card})
			if err == nil {
				apply(p, out.Entry)
				reversible = append(reversible, out.Entry)
			}
		case r < 60:
			what = "redeem"
			it := items[rng.IntN(len(items))]
			id := record.NewEntryID()
			var red ledger.Redemption
			red, err = e.Redeem(ctx, ledger.Redeem{ID: id, Card: p.card, Item: it.ID})
			if err == nil {
				apply(p, red.Entry)
				reversible = append(reversible, red.Entry)
				card, item, code := p.card, it.ID, red.Code
				done = append(done, replay{id: id, op: func(id record.EntryID) error {
					again, err := e.Redeem(ctx, ledger.Redeem{ID: id, Card: card, Item: item})
					if err == nil && again.Code != code {
						return errors.New("replayed redemption gave another code")
					}
					return err
				}})
			}
		case r < 68 && len(reversible) > 0:
			what = "reverse"
			k := rng.IntN(len(reversible))
			orig := reversible[k]
			var rev record.Entry
			rev, err = e.Reverse(ctx, ledger.Reverse{ID: record.NewEntryID(), Entry: orig.ID, Operator: e.Staff, Reason: "property"})
			if err == nil {
				apply(byPerson(orig.Person), rev)
				reversible = append(reversible[:k], reversible[k+1:]...)
			}
		case r < 74:
			what = "restock"
			it := items[rng.IntN(len(items))]
			var en record.Entry
			en, err = e.Restock(ctx, ledger.Restock{ID: record.NewEntryID(), Item: it.ID, Quantity: int64(1 + rng.IntN(3)), Operator: e.Staff})
			if err == nil {
				stock[it.ID] += en.Stock
			}
		case r < 82:
			what = "adjust"
			delta := int64(rng.IntN(120) - 50)
			if delta == 0 {
				delta = 1
			}
			var en record.Entry
			en, err = e.Adjust(ctx, ledger.Adjust{ID: record.NewEntryID(), Person: p.id, Points: delta, Reason: "property", Operator: e.Staff})
			if err == nil {
				apply(p, en)
				reversible = append(reversible, en)
			}
		case r < 85:
			what = "replace-card"
			newUID := e.NewUID()
			_, err = e.ReplaceCard(ctx, ledger.ReplaceCard{ID: record.NewEntryID(), Old: p.card, New: newUID, Operator: e.Staff})
			if err == nil {
				p.card = newUID
			}
		case r < 87:
			what = "sweep"
			_, err = e.SweepShifts(ctx, ledger.SweepShifts{ID: record.NewEntryID()})
		case r < 90 && len(done) > 0:
			what = "replay"
			rp := done[rng.IntN(len(done))]
			err = rp.op(rp.id) // must return the first result and write nothing
		case r < 93:
			what = "clock-back"
			e.Clock.Advance(-time.Duration(rng.IntN(90)) * time.Minute) // the clock steps back
		case r < 95:
			what = "acknowledge"
			if st, serr := e.SyncState(ctx); serr == nil && st.HeadSeq > 0 {
				err = e.Acknowledge(ctx, st.HeadSeq)
			}
		default:
			what = "clock-forward"
			e.Clock.Advance(time.Duration(rng.IntN(26*60)) * time.Minute)
		}
		if err != nil && !refusal(err) {
			t.Fatalf("op %d (%s): %v", i, what, err)
		}
		if err == nil {
			okCount[what]++
		}
		e.Clock.Advance(time.Duration(rng.IntN(40)) * time.Minute)
		for _, q := range people {
			got, err := e.Balance(ctx, q.id)
			if err != nil {
				t.Fatal(err)
			}
			if got != q.bal || got.Points < 0 || got.Minutes < 0 {
				t.Fatalf("op %d: person %d balance %+v, model %+v", i, q.id, got, q.bal)
			}
		}
	}
	offers, err := e.Catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range offers {
		if o.Stock < 0 || o.Stock != stock[o.Item.ID] {
			t.Fatalf("item %s stock %d, model %d", o.Item.Name, o.Stock, stock[o.Item.ID])
		}
	}
	e.Reopen(t)
	e.MustVerify(t)
	t.Logf("succeeded: %v", okCount)
	if ops >= 200 {
		for _, what := range []string{"check-out", "redeem", "reverse", "adjust", "replace-card", "replay"} {
			if okCount[what] == 0 {
				t.Errorf("no %s succeeded: the mix does not exercise it", what)
			}
		}
	}
}
