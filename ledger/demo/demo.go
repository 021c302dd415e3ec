// Package demo fills a fresh data directory with a center's worth of
// realistic data — people and their cards, the center's activities, a
// catalog with stock, staff cards, and a few weeks of check-ins, check-outs
// and redemptions — through the ledger's own API, so the balances, the stock
// and the hash chain are as real as those of a kiosk that has been in use.
//
// The first nine people's cards (KeyCards) are the ones keys 1–9 tap in the
// demo window; the ledger is marked as a demo's with them (Ledger.Demo), so
// a terminal finds them without this package. Every card has an easy UID
// (CardUID) that a technician can type. The terminal's center and the activity a headless station serves are
// stored in the ledger, so `kiosk --data DIR` needs nothing else.
package demo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

// Defaults for Options.
const (
	DefaultPeople  = 40
	DefaultEntries = 600
	DefaultDays    = 28
)

// Keys is how many demo cards the demo window's number keys tap (1–9).
const Keys = 9

// Options say how much demo data to make.
type Options struct {
	// People registered, each with a card; default DefaultPeople.
	People int
	// Entries is about how many entries the history holds (check-ins,
	// check-outs, redemptions, restocks, card replacements); default
	// DefaultEntries. Refusals the ledger gives on the way are not retried,
	// so the count may fall a little short; 0 with NoHistory set: none.
	Entries int
	// NoHistory makes people, cards, activities and catalog only.
	NoHistory bool
	// Days back the history starts; default DefaultDays.
	Days int
	// Seed picks names, kinds and the history: the same seed gives the same
	// people and cards (entry ids and pickup codes are random regardless).
	Seed uint64
	// Ledger configures the ledger. Its Clock is the present (default the
	// system clock): the history is written before it, with a clock the
	// generator moves, and everything is in Ledger.Location's days.
	Ledger ledger.Options
}

func (o Options) withDefaults() Options {
	if o.People <= 0 {
		o.People = DefaultPeople
	}
	if o.Entries <= 0 && !o.NoHistory {
		o.Entries = DefaultEntries
	}
	if o.NoHistory {
		o.Entries = 0
	}
	if o.Days <= 0 {
		o.Days = DefaultDays
	}
	if o.Ledger.Clock == nil {
		o.Ledger.Clock = clock.Real{}
	}
	if o.Ledger.Location == nil {
		o.Ledger.Location = time.FixedZone("CST", 8*3600)
	}
	return o
}

// Card is a demo card and its holder.
type Card struct {
	// Key is the demo window's key (1–9) that taps this card; 0 for the rest.
	Key       int
	UID       record.CardUID
	State     ledger.CardState
	Person    record.PersonID
	Name      string
	Kind      record.VolunteerKind
	Community string
	Balance   ledger.Balance
	// Replaces is the lost card this one replaced (补卡), if any.
	Replaces record.CardUID
}

// StaffCard is a staff card with its PIN (the demo prints PINs; a real
// center never sees one after enrolment).
type StaffCard struct {
	UID  record.CardUID
	Name string
	Role ledger.Role
	PIN  string
}

// Result says what Create made.
type Result struct {
	Terminal ledger.Terminal
	Station  ledger.Activity
	// Cards are the people's usable cards: the nine key cards first, in key
	// order, then the rest by person number.
	Cards []Card
	// Refused are the lost and revoked cards: a tap is refused.
	Refused []Card
	Staff   []StaffCard
	// History counts the entries the history wrote; Entries all entries.
	History int
	Entries int64
	// OpenShifts are volunteers still checked in (on duty now).
	OpenShifts int64
}

// CardUID is the UID of person n's first card (n from 1): eight decimal
// digits, easy to type, and valid hex of a 4-byte UID: 88000001, 88000002…
func CardUID(n int) record.CardUID { return record.CardUID(fmt.Sprintf("88%06d", n)) }

// ReplacementUID is the UID of the card that replaced person n's lost one.
func ReplacementUID(n int) record.CardUID { return record.CardUID(fmt.Sprintf("89%06d", n)) }

// Card fates in the history: people by number whose card was lost and
// replaced, lost and not yet replaced, or revoked. None is a key person.
var (
	replacedCards = []int{12, 17}
	lostCards     = []int{20}
	revokedCards  = []int{25}
)

// KeyCards returns the cards keys 1–9 tap, as the ledger's demo mark names
// them: fewer when the demo has fewer people, none for a ledger that is not
// a demo's.
func KeyCards(ctx context.Context, l *ledger.Ledger) ([]Card, error) {
	mark, err := l.Demo(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	var out []Card
	for i, uid := range mark.KeyCards {
		c, err := lookup(ctx, l, uid)
		if err != nil {
			return nil, fmt.Errorf("demo: key %d: %w", i+1, err)
		}
		c.Key = i + 1
		out = append(out, c)
	}
	return out, nil
}

func lookup(ctx context.Context, l *ledger.Ledger, uid record.CardUID) (Card, error) {
	info, err := l.LookupCard(ctx, uid)
	if info.Person == nil {
		if err == nil {
			err = fmt.Errorf("card %s is a staff card: %w", uid, ledger.ErrInvalid)
		}
		return Card{}, err
	}
	// A lost or revoked card still describes its holder.
	if err != nil && !errors.Is(err, ledger.ErrCardLost) && !errors.Is(err, ledger.ErrCardRevoked) {
		return Card{}, err
	}
	return Card{UID: info.Card.UID, State: info.Card.State, Person: info.Person.ID, Name: info.Person.Name,
		Kind: info.Person.Kind, Community: info.Person.Community, Balance: info.Balance}, nil
}

// Create makes a ledger in dir (refusing one already there, ErrExists) and
// fills it. The ledger is closed when Create returns; if filling it failed,
// it is removed.
func Create(ctx context.Context, dir string, opts Options) (*Result, error) {
	opts = opts.withDefaults()
	now := opts.Ledger.Clock.Now().In(opts.Ledger.Location)
	start := midnight(now).AddDate(0, 0, -opts.Days)
	// Set up the evening before the history's first day.
	fake := clock.NewFake(start.Add(-5 * time.Hour))
	lopts := opts.Ledger
	lopts.Clock = fake
	// No background full check of the file being made: it would be
	// recorded at the history's made-up time (kioskctl status said a new
	// demo was checked four weeks ago) and hold a read transaction
	// against the checkpoints while the history is written. The kiosk
	// checks the file when it opens it.
	lopts.Check = ledger.CheckStart
	l, err := ledger.Create(ctx, dir, ledger.Terminal{Center: CenterID, CenterName: CenterName}, lopts)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	g := &generator{
		ctx: ctx, l: l, clock: fake, now: now, start: start, opts: opts,
		rng: rand.New(rand.NewPCG(opts.Seed, 0x68_6f_6e_67_6d_61_6a_69)),
	}
	res, err := g.run()
	if cerr := l.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("demo: %w", cerr)
	}
	if err != nil {
		// Half a demo is no use, and it would make the next try refuse:
		// remove the ledger this call created (Create refused an existing one).
		path := l.Path()
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			if rerr := os.Remove(p); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				err = errors.Join(err, rerr)
			}
		}
		return nil, err
	}
	return res, nil
}

// generator is one run of Create.
type generator struct {
	ctx   context.Context
	l     *ledger.Ledger
	clock *clock.Fake
	now   time.Time // the present: nothing is written at or after it
	start time.Time // midnight of the history's first day
	opts  Options
	rng   *rand.Rand

	people     []*person // by number - 1
	activities []ledger.Activity
	items      []item
	staff      record.CardUID
	written    int // history entries
}

type person struct {
	n     int
	id    record.PersonID
	name  string
	kind  record.VolunteerKind
	card  record.CardUID // "" when the person has no usable card
	busy  time.Time      // on duty until then
	spent int64          // points redeemed: stays under the offline cap
	bal   int64          // points, as the ledger answered
}

type item struct {
	ledger.Item
	stock int64
}

func midnight(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

func (g *generator) run() (*Result, error) {
	if err := g.setup(); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if err := g.history(); err != nil {
		return nil, fmt.Errorf("demo: history: %w", err)
	}
	return g.result()
}

// setup registers the center's activities, catalog, staff and people the
// day before the history starts.
func (g *generator) setup() error {
	var station record.ActivityID
	err := g.l.Batch(g.ctx, func(b *ledger.Batch) error {
		for _, s := range staffCards {
			if _, err := b.AddStaff(ledger.AddStaff{ID: record.NewEntryID(), UID: s.UID, Name: s.Name, Role: s.Role, PIN: s.PIN}); err != nil {
				return fmt.Errorf("add staff %s: %w", s.Name, err)
			}
		}
		g.staff = staffCards[0].UID
		for _, spec := range activities {
			a, err := b.PutActivity(ledger.PutActivity{ID: record.NewEntryID(), Activity: ledger.Activity{
				Name: spec.name, Schedule: record.Schedule{Start: spec.start, End: spec.end}, Rules: rulesFor(spec), Active: true}})
			if err != nil {
				return fmt.Errorf("put activity %s: %w", spec.name, err)
			}
			g.activities = append(g.activities, a)
			if spec.name == StationActivity {
				station = a.ID
			}
		}
		for _, spec := range catalog {
			it, err := b.PutItem(ledger.PutItem{ID: record.NewEntryID(), Item: ledger.Item{
				Name: spec.name, Price: spec.price, Limit: spec.limit, Period: spec.period, Active: true}})
			if err != nil {
				return fmt.Errorf("put item %s: %w", spec.name, err)
			}
			if _, err := b.Restock(ledger.Restock{ID: record.NewEntryID(), Item: it.ID, Quantity: spec.stock, Operator: g.staff}); err != nil {
				return fmt.Errorf("stock %s: %w", spec.name, err)
			}
			g.items = append(g.items, item{Item: it, stock: spec.stock})
		}
		for n := 1; n <= g.opts.People; n++ {
			p := g.newPerson(n)
			got, err := b.EnrolPerson(ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: fmt.Sprintf("HPL%05d", n), Name: p.name,
				Phone: g.phone(), Community: communities[g.rng.IntN(len(communities))], Kind: p.kind})
			if err != nil {
				return fmt.Errorf("enrol %s: %w", p.name, err)
			}
			p.id = got.ID
			if _, err := b.BindCard(ledger.BindCard{ID: record.NewEntryID(), Person: p.id, UID: p.card, Operator: g.staff}); err != nil {
				return fmt.Errorf("bind card of %s: %w", p.name, err)
			}
			g.people = append(g.people, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	// The mark tells the terminal it runs on demo data, and which cards its
	// keys tap, without the terminal linking this package.
	var keys []record.CardUID
	for n := 1; n <= min(Keys, g.opts.People); n++ {
		keys = append(keys, CardUID(n))
	}
	if err := g.l.MarkDemo(g.ctx, keys); err != nil {
		return err
	}
	return g.l.SetStationActivity(g.ctx, station)
}

func (g *generator) newPerson(n int) *person {
	p := &person{n: n, card: CardUID(n)}
	switch {
	case n <= len(keyPeople):
		p.name, p.kind = keyPeople[n-1].name, keyPeople[n-1].kind
		return p
	case n-len(keyPeople) <= len(moreNames):
		p.name = moreNames[n-len(keyPeople)-1]
	default:
		p.name = surnames[g.rng.IntN(len(surnames))] + givenNames[g.rng.IntN(len(givenNames))]
	}
	// About the mix of a street's register: party members first, then
	// resident volunteers, in-service members, and residents.
	switch r := g.rng.IntN(100); {
	case r < 35:
		p.kind = record.RedVest
	case r < 65:
		p.kind = record.GreenVest
	case r < 85:
		p.kind = record.InService
	default:
		p.kind = record.Resident
	}
	return p
}

// phone makes a mobile number of a common prefix; the ledger keeps it masked.
func (g *generator) phone() string {
	prefixes := []string{"130", "133", "135", "136", "138", "139", "150", "152", "158", "177", "186", "189"}
	return fmt.Sprintf("%s%08d", prefixes[g.rng.IntN(len(prefixes))], g.rng.IntN(100_000_000))
}

// event is one planned write of the history.
type event struct {
	at    time.Time
	do    func(b *ledger.Batch) (bool, error) // whether it wrote an entry; refusals are no error
	order int                                 // ties keep planning order
}

// history writes about opts.Entries entries, spread over the days before
// today, then today's up to now: each day in one transaction, in the order
// the day's taps happened.
func (g *generator) history() error {
	for d := 0; d <= g.opts.Days; d++ {
		today := d == g.opts.Days
		day := g.start.AddDate(0, 0, d)
		left := max(g.opts.Entries-g.written, 0)
		budget := left
		if !today {
			budget = (left + g.opts.Days - d - 1) / (g.opts.Days - d)
		}
		if budget == 0 && (!today || g.opts.Entries == 0) {
			continue
		}
		events := g.planDay(day, d, budget, today)
		slices.SortStableFunc(events, func(a, b event) int {
			return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.order, b.order))
		})
		err := g.l.Batch(g.ctx, func(b *ledger.Batch) error {
			for _, e := range events {
				if err := g.ctx.Err(); err != nil {
					return err
				}
				g.clock.Set(e.at)
				wrote, err := e.do(b)
				if err != nil {
					return err
				}
				if wrote {
					g.written++
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("%s: %w", day.Format(time.DateOnly), err)
		}
	}
	return nil
}

// planDay plans about budget entries on day: shifts at the activities'
// usual hours (two entries each), redemptions, a restock when stock runs low,
// and on the middle day the lost, replaced and revoked cards. On the last day
// (today) nothing is planned at or after now, and two volunteers are still
// on duty.
func (g *generator) planDay(day time.Time, d, budget int, today bool) []event {
	var events []event
	add := adder(func(at time.Time, do func(b *ledger.Batch) (bool, error)) {
		if today && !at.Before(g.now) {
			return
		}
		events = append(events, event{at: at, do: do, order: len(events)})
	})
	planned := 0
	if d == g.opts.Days/2 {
		planned += g.planCardFates(day, add)
	}
	planned += g.planRestock(day, add)
	if today {
		planned += g.planOnDuty(add)
	}
	for tries := 0; planned < budget && tries < 50*budget; tries++ {
		if g.rng.IntN(100) < 20 {
			if g.planRedemption(day, add) {
				planned++
			}
			continue
		}
		if g.planShift(day, today, add) {
			planned += 2
		}
	}
	return events
}

// pick returns a person with a usable card, key people and volunteers more
// often than residents.
func (g *generator) pick() *person {
	for {
		p := g.people[g.rng.IntN(len(g.people))]
		if p.card == "" {
			continue
		}
		w := 3
		if p.kind == record.Resident {
			w = 1
		}
		if p.n <= Keys {
			w = 4
		}
		if g.rng.IntN(4) < w {
			return p
		}
	}
}

// adder plans one write at a time of the day.
type adder func(at time.Time, do func(b *ledger.Batch) (bool, error))

// refusal turns the ledger's answers a resident or volunteer may get at a
// real kiosk (a shift already open, a period limit...) into "not written";
// anything else — a full disk, corruption — stops the demo.
func refusal(err error) (bool, error) {
	for _, r := range []error{ledger.ErrShiftOpen, ledger.ErrNoOpenShift, ledger.ErrNotInWindow, ledger.ErrInsufficientPoints,
		ledger.ErrOutOfStock, ledger.ErrPeriodLimit, ledger.ErrOfflineCap, ledger.ErrCardLost, ledger.ErrCardRevoked} {
		if errors.Is(err, r) {
			return false, nil
		}
	}
	return false, err
}

func (g *generator) planShift(day time.Time, today bool, add adder) bool {
	p := g.pick()
	i := g.rng.IntN(len(activities))
	spec, a := activities[i], g.activities[i]
	if spec.rates[p.kind] == 0 {
		return false
	}
	from, _ := time.Parse("15:04", spec.start)
	to, _ := time.Parse("15:04", spec.end)
	span := int(to.Sub(from) / time.Minute)
	in := day.Add(time.Duration(from.Hour())*time.Hour + time.Duration(from.Minute()+g.rng.IntN(span/2+1)-10)*time.Minute)
	out := in.Add(time.Duration(30+g.rng.IntN(min(span, 180)))*time.Minute + time.Duration(g.rng.IntN(60))*time.Second)
	if in.Before(p.busy) || (today && !out.Before(g.now)) {
		return false
	}
	p.busy = out.Add(30 * time.Minute)
	checkedIn := false
	add(in, func(b *ledger.Batch) (bool, error) {
		if p.card == "" {
			return false, nil
		}
		if _, err := b.CheckIn(ledger.CheckIn{ID: record.NewEntryID(), Card: p.card, Activity: a.ID}); err != nil {
			return refusal(err)
		}
		checkedIn = true
		return true, nil
	})
	add(out, func(b *ledger.Batch) (bool, error) {
		if !checkedIn {
			return false, nil
		}
		r, err := b.CheckOut(ledger.CheckOut{ID: record.NewEntryID(), Card: p.card})
		if err != nil {
			return refusal(err)
		}
		p.bal += r.Credit.Points
		return true, nil
	})
	return true
}

// offlineHeadroom keeps demo redemptions well under the ledger's offline
// cap (the demo terminal never syncs), so the key cards can still redeem.
const offlineHeadroom = 250

func (g *generator) planRedemption(day time.Time, add adder) bool {
	p := g.pick()
	it := &g.items[g.rng.IntN(len(g.items))]
	at := day.Add(8*time.Hour + 30*time.Minute + time.Duration(g.rng.IntN(8*60))*time.Minute)
	if at.Before(p.busy) {
		return false
	}
	add(at, func(b *ledger.Batch) (bool, error) {
		if p.card == "" || p.bal < it.Price || it.stock < 1 || p.spent+it.Price > offlineHeadroom {
			return false, nil
		}
		r, err := b.Redeem(ledger.Redeem{ID: record.NewEntryID(), Card: p.card, Item: it.ID})
		if err != nil {
			return refusal(err) // a period limit, say: residents are told no too
		}
		p.bal, p.spent, it.stock = r.Balance.Points, p.spent+r.Points, it.stock-r.Quantity
		return true, nil
	})
	return true
}

// planRestock tops up, at opening time, what ran low.
func (g *generator) planRestock(day time.Time, add adder) int {
	n := 0
	for i := range g.items {
		it := &g.items[i]
		if it.stock >= catalog[i].stock/3 {
			continue
		}
		n++
		add(day.Add(8*time.Hour+time.Duration(n)*time.Minute), func(b *ledger.Batch) (bool, error) {
			q := catalog[i].stock - it.stock
			if _, err := b.Restock(ledger.Restock{ID: record.NewEntryID(), Item: it.ID, Quantity: q, Operator: g.staff}); err != nil {
				return false, err
			}
			it.stock += q
			return true, nil
		})
	}
	return n
}

// planCardFates has cards reported lost (some replaced) or revoked at the
// front desk.
func (g *generator) planCardFates(day time.Time, add adder) int {
	at := day.Add(10 * time.Hour)
	n := 0
	// Nobody whose card changes serves that day: a shift open across the
	// change would stay open for good.
	for _, k := range slices.Concat(replacedCards, lostCards, revokedCards) {
		if k <= len(g.people) {
			g.people[k-1].busy = day.AddDate(0, 0, 1)
		}
	}
	for _, k := range replacedCards {
		if k > len(g.people) {
			continue
		}
		p := g.people[k-1]
		n++
		add(at, func(b *ledger.Batch) (bool, error) {
			if _, err := b.ReplaceCard(ledger.ReplaceCard{ID: record.NewEntryID(), Old: p.card, New: ReplacementUID(k), Operator: g.staff}); err != nil {
				return false, err
			}
			p.card = ReplacementUID(k)
			return true, nil
		})
	}
	for _, f := range []struct {
		people []int
		state  ledger.CardState
		reason string
	}{{lostCards, ledger.CardLost, "本人挂失"}, {revokedCards, ledger.CardRevoked, "志愿者注销登记"}} {
		for _, k := range f.people {
			if k > len(g.people) {
				continue
			}
			p := g.people[k-1]
			add(at, func(b *ledger.Batch) (bool, error) {
				_, err := b.SetCardState(ledger.SetCardState{ID: record.NewEntryID(), UID: p.card, State: f.state, Operator: g.staff, Reason: f.reason})
				if err != nil {
					return false, err
				}
				p.card = ""
				return false, nil // a card's state is history, not an entry
			})
		}
	}
	return n
}

// planOnDuty checks two volunteers (never key people: their first tap in the
// demo should check in) in at the drop-in desk a little before now.
func (g *generator) planOnDuty(add adder) int {
	n := 0
	station := g.activities[slices.IndexFunc(activities, func(a activitySpec) bool { return a.name == StationActivity })]
	for _, p := range g.people[min(Keys, len(g.people)):] {
		if n == 2 {
			break
		}
		if p.card == "" || p.kind == record.Resident {
			continue
		}
		at := g.now.Add(-time.Duration(20+g.rng.IntN(60)) * time.Minute)
		if at.Before(p.busy) {
			continue
		}
		p.busy = g.now
		n++
		add(at, func(b *ledger.Batch) (bool, error) {
			if _, err := b.CheckIn(ledger.CheckIn{ID: record.NewEntryID(), Card: p.card, Activity: station.ID}); err != nil {
				return refusal(err)
			}
			return true, nil
		})
	}
	return n
}

// result reads back what was made.
func (g *generator) result() (*Result, error) {
	res := &Result{Terminal: g.l.Terminal(), History: g.written, Staff: slices.Clone(staffCards)}
	var err error
	if res.Station, err = g.l.StationActivity(g.ctx); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	for _, p := range g.people {
		for _, uid := range []record.CardUID{CardUID(p.n), ReplacementUID(p.n)} {
			c, err := lookup(g.ctx, g.l, uid)
			if errors.Is(err, ledger.ErrUnknownCard) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("demo: %w", err)
			}
			if p.n <= Keys {
				c.Key = p.n
			}
			if uid == ReplacementUID(p.n) {
				c.Replaces = CardUID(p.n)
			}
			if c.State == ledger.CardActive {
				res.Cards = append(res.Cards, c)
			} else {
				res.Refused = append(res.Refused, c)
			}
		}
	}
	st, err := g.l.Status(g.ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	res.Entries, res.OpenShifts = st.Entries, st.OpenShifts
	return res, nil
}
