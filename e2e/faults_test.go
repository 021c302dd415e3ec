package e2e_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/kiosk/hublink"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

var (
	faultSeed      = flag.Uint64("e2e.seed", 0, "TestFaults: the seed of its schedules (0: one from the clock)")
	faultSchedules = flag.Int("e2e.schedules", 200, "TestFaults: how many random schedules it runs")
)

// faultKiosk is a kiosk of TestFaults: its proxy, its transport, and what
// the test made at it.
type faultKiosk struct {
	*kiosk
	proxy     *proxy
	transport *http.Transport
	rng       *rand.Rand
	people    []faultPerson
	activity  record.ActivityID
	item      ledger.Offer
	// redeemed are the redemptions made here (their codes), handed the
	// ones handed out: what the hub must hold once, after the faults.
	redeemed []ledger.Redemption
	handed   map[record.EntryID]bool
}

type faultPerson struct {
	id   record.PersonID
	card record.CardUID
}

// TestFaults runs random schedules of syncs, several kiosks at once, each
// behind a proxy that drops, delays, cuts, resets and stalls its
// connections, while the hub is killed mid-sync (kill -9, restarted on its
// data) and kiosks' syncs are cancelled mid-flight and their ledgers
// closed and reopened; the kiosks make entries before and during their
// syncs. Afterwards, on a healthy network, every kiosk syncs cleanly, the
// hub holds every entry exactly once, every balance agrees and every
// ledger verifies.
func TestFaults(t *testing.T) {
	seed := faultsSeed(t)
	h := newHub(t, faultCenters...)
	runFaults(t, seed, *faultSchedules, []*hubProc{h})
}

// faultCenters are the centers of TestFaults' hubs, id and name pairs.
var faultCenters = []string{"A", "和平里街道党群服务中心", "B", "小黄庄党群服务中心"}

// faultsSeed is the seed of a test's schedules (-e2e.seed, or one from the
// clock), logged with the command that reproduces the run.
func faultsSeed(t *testing.T) uint64 {
	seed := *faultSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (go test ./e2e -run '^%s$' -e2e.seed=%d reproduces it)", seed, t.Name(), seed)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("FAILED with seed %d: go test ./e2e -run '^%s$' -e2e.seed=%d", seed, t.Name(), seed)
		}
	})
	return seed
}

// runFaults is TestFaults on hubs, the processes of one hub (one store):
// n random schedules of syncs of three kiosks, each behind a proxy that
// sends each connection to one of the processes (as a load balancer would)
// and breaks some, one of the processes killed mid-sync now and then; then
// everything settles on a healthy network and agrees. hubs[0] is the one
// the checks read the store through.
func runFaults(t *testing.T, seed uint64, n int, hubs []*hubProc) {
	start := time.Now()
	h := hubs[0]
	for _, c := range []string{"A", "B"} {
		h.admin("import", "catalog", writeFile(t, "catalog.csv", fmt.Sprintf("物品名称,所需积分,库存\n毛巾,10,%d\n", towels)), "--center", c)
		h.admin("import", "activities", writeFile(t, "activities.csv", activitiesCSV), "--center", c)
	}
	var ks []*faultKiosk
	for i, name := range []string{"A1", "A2", "B1"} {
		tr := &http.Transport{MaxIdleConnsPerHost: 1}
		k := &faultKiosk{
			kiosk:     newKiosk(t, name, name[:1], kioskOpts{synced: true, http: &http.Client{Transport: tr}}),
			proxy:     newProxy(t, seed^uint64(i+1)*0x5851f42d4c957f2d, hubAddrs(hubs)...),
			transport: tr,
			rng:       rand.New(rand.NewPCG(seed, uint64(i+1))),
			handed:    map[record.EntryID]bool{},
		}
		k.mustEnroll(k.proxy.url(), h.token(k.center))
		k.mustSync()
		acts, err := k.l.Activities(ctx)
		if err != nil || len(acts) != 1 {
			t.Fatalf("kiosk %s: activities %+v, %v", name, acts, err)
		}
		k.activity, k.item = acts[0].ID, k.kiosk.item("毛巾")
		ks = append(ks, k)
	}

	rng := rand.New(rand.NewPCG(seed, 0))
	var kills, cancels, reopens, failed, synced int
	faultsSeen := map[string]int{}
	killsOf := make([]int, len(hubs))
	var took []time.Duration
	for s := range n {
		r := schedule{n: s, rate: rng.Float64(), killAt: -1}
		if rng.IntN(10) == 0 {
			r.killAt = time.Duration(rng.IntN(80)) * time.Millisecond
			if len(hubs) > 1 {
				r.kill = rng.IntN(len(hubs))
			}
			kills++
			killsOf[r.kill]++
		}
		for range ks {
			kp := kioskPlan{sync: rng.IntN(5) != 0, before: rng.IntN(2), during: rng.IntN(3), cancelAt: -1}
			if kp.sync && rng.IntN(5) == 0 {
				kp.cancelAt = time.Duration(rng.IntN(100)) * time.Millisecond
				kp.reopen = rng.IntN(3) == 0
				cancels++
			} else if rng.IntN(30) == 0 {
				kp.reopen = true
			}
			if kp.reopen {
				reopens++
			}
			r.kiosks = append(r.kiosks, kp)
		}
		began := time.Now()
		outcome := runSchedule(t, hubs, ks, r)
		took = append(took, time.Since(began))
		for i, o := range outcome {
			switch {
			case !r.kiosks[i].sync:
			case o.err != nil:
				failed++
			default:
				synced++
			}
		}
		for _, k := range ks {
			for _, f := range k.proxy.faults() {
				faultsSeen[strings.Fields(f)[0]]++
				if _, via, ok := strings.Cut(f, " via "); ok {
					faultsSeen[via]++
				}
			}
		}
		if t.Failed() {
			t.Fatalf("schedule %d (%+v) failed: seed %d", s, r, seed)
		}
		if s%50 == 49 {
			checkPrefixes(t, h, ks)
		}
	}
	slices.Sort(took)
	t.Logf("%d schedules in %s (each %s to %s, median %s): %d syncs failed, %d went through; hub killed %d times (of its %d processes, each %v), %d syncs cancelled, %d ledgers reopened; connections: %v",
		n, time.Since(start).Round(time.Millisecond), took[0].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond),
		took[len(took)/2].Round(time.Millisecond), failed, synced, kills, len(hubs), killsOf, cancels, reopens, faultsSeen)

	// A healthy network: every kiosk syncs cleanly, twice, so that each
	// pulls what the others pushed.
	for _, k := range ks {
		k.proxy.setRate(0)
		k.proxy.dropAll()
		k.transport.CloseIdleConnections()
	}
	for range 2 {
		for _, k := range ks {
			res, err := k.sync()
			if err != nil {
				t.Fatalf("kiosk %s: sync on a healthy network: %v (seed %d)", k.name, err, seed)
			}
			if res.Unsynced != 0 || res.Refused != "" || res.Fork {
				t.Errorf("kiosk %s: sync %+v (seed %d)", k.name, res, seed)
			}
		}
	}
	checkSettled(t, h, ks)
}

// schedule is one round of syncs: the share of faulty connections, when
// the hub is killed (-1: not) and which of its processes, and what each
// kiosk does.
type schedule struct {
	n      int
	rate   float64
	killAt time.Duration
	kill   int
	kiosks []kioskPlan
}

// kioskPlan is one kiosk's part of a schedule: whether it syncs, entries
// made before and during its sync, when its sync is cancelled (-1: not),
// and whether its ledger is closed and reopened after.
type kioskPlan struct {
	sync           bool // whether it syncs in this round at all
	before, during int
	cancelAt       time.Duration
	reopen         bool
}

type syncOutcome struct {
	res hublink.Result
	err error
}

// towels is each center's stock of the one item, imported at the hub.
const towels = 100000

// syncDeadline bounds a sync in a schedule: a stalled connection ends
// there.
const syncDeadline = 600 * time.Millisecond

func runSchedule(t *testing.T, hubs []*hubProc, ks []*faultKiosk, r schedule) []syncOutcome {
	t.Helper()
	for _, k := range ks {
		k.proxy.setRate(r.rate)
		k.transport.CloseIdleConnections() // each round draws new connections
	}
	var wg sync.WaitGroup
	killed := make(chan struct{})
	if r.killAt >= 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(r.killAt)
			hubs[r.kill].kill()
			close(killed)
		}()
	}
	out := make([]syncOutcome, len(ks))
	errs := make(chan error, 64)
	for i, k := range ks {
		p := r.kiosks[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range p.before {
				if err := k.op(); err != nil {
					errs <- err
				}
			}
			sctx, cancel := context.WithTimeout(ctx, syncDeadline)
			defer cancel()
			if p.cancelAt >= 0 {
				t := time.AfterFunc(p.cancelAt, cancel)
				defer t.Stop()
			}
			// Taps go on while the kiosk syncs.
			tapped := make(chan struct{})
			go func() {
				defer close(tapped)
				for range p.during {
					if err := k.op(); err != nil {
						errs <- err
					}
				}
			}()
			var res hublink.Result
			var err error
			if p.sync {
				res, err = k.link.Sync(sctx)
			}
			<-tapped
			out[i] = syncOutcome{res, err}
			if err != nil && !acceptable(err, sctx) {
				errs <- fmt.Errorf("kiosk %s: sync: %w (faults: %v)", k.name, err, k.proxy.faults())
			}
			if p.reopen {
				// The kiosk restarts: its ledger closed and opened again.
				if err := k.tryReopen(); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("schedule %d: %v", r.n, err)
	}
	if r.killAt >= 0 {
		hubs[r.kill].start()
		for _, k := range ks {
			k.proxy.setUpstream(hubAddrs(hubs)...)
		}
	}
	for _, k := range ks {
		st, err := k.l.SyncState(ctx)
		if err != nil {
			t.Fatalf("kiosk %s: %v", k.name, err)
		}
		if st.Fork || st.LastRefusal != "" {
			t.Errorf("schedule %d: kiosk %s: the hub refused it: %+v", r.n, k.name, st)
		}
	}
	return out
}

// hubAddrs are the addresses of hubs.
func hubAddrs(hubs []*hubProc) []string {
	var a []string
	for _, h := range hubs {
		a = append(a, h.addr)
	}
	return a
}

// acceptable reports whether a sync's failure is one a broken network, a
// killed hub or a cancelled sync explains. A refusal (a gap, a broken
// chain, a fork), a bad signature or a replay never is: the sync must
// resume where it stopped.
func acceptable(err error, sctx context.Context) bool {
	if isAny(err, hubsync.ErrFork, hublink.ErrRefused, hubsync.ErrSignature, hubsync.ErrReplay, hubsync.ErrMalformed, ledger.ErrInvalid) {
		return false
	}
	if isAny(err, hubsync.ErrNetwork, context.Canceled, context.DeadlineExceeded) {
		return true
	}
	// A cancelled context interrupts SQLite in its own words.
	return sctx.Err() != nil
}

// op makes one random entry or registry change at the kiosk, as a tap or
// a staff member would.
func (k *faultKiosk) op() error {
	switch n := k.rng.IntN(10); {
	case n == 0 || len(k.people) == 0:
		name := fmt.Sprintf("志愿者%d", len(k.people)+1)
		if k.rng.IntN(4) == 0 {
			name = "" // a walk-in
		}
		p, card, err := k.tryPerson(name)
		if err != nil {
			return fmt.Errorf("kiosk %s: %w", k.name, err)
		}
		k.people = append(k.people, faultPerson{p.ID, card})
	case n <= 4:
		p := k.people[k.rng.IntN(len(k.people))]
		pts := int64(1 + k.rng.IntN(30))
		if _, err := k.l.Adjust(ctx, ledger.Adjust{ID: record.NewEntryID(), Person: p.id, Card: p.card, Points: pts, Reason: "e2e", Operator: k.staff}); err != nil {
			return fmt.Errorf("kiosk %s: credit: %w", k.name, err)
		}
	case n == 7 && len(k.redeemed) > len(k.handed):
		// Staff hand out the goods of a redemption not handed out yet.
		r := k.redeemed[k.rng.IntN(len(k.redeemed))]
		if k.handed[r.Entry.ID] {
			return nil
		}
		if _, err := k.l.HandOut(ctx, ledger.HandOut{ID: record.NewEntryID(), Redemption: r.Entry.ID, Operator: k.staff}); err != nil {
			return fmt.Errorf("kiosk %s: hand out: %w", k.name, err)
		}
		k.handed[r.Entry.ID] = true
	case n <= 7:
		p := k.people[k.rng.IntN(len(k.people))]
		r, err := k.l.Redeem(ctx, ledger.Redeem{ID: record.NewEntryID(), Card: p.card, Item: k.item.Item.ID})
		if err != nil && !isAny(err, ledger.ErrInsufficientPoints, ledger.ErrOfflineCap) {
			return fmt.Errorf("kiosk %s: redeem: %w", k.name, err)
		}
		if err == nil {
			k.redeemed = append(k.redeemed, r)
		}
	default:
		p := k.people[k.rng.IntN(len(k.people))]
		_, err := k.l.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: p.card, Activity: k.activity})
		if errors.Is(err, ledger.ErrShiftOpen) {
			_, err = k.l.CheckOut(ctx, ledger.CheckOut{ID: record.NewEntryID(), Card: p.card})
		}
		if err != nil {
			return fmt.Errorf("kiosk %s: shift: %w", k.name, err)
		}
	}
	return nil
}

// checkPrefixes: mid-run, what the hub holds of each kiosk is the start of
// its ledger, at least up to what the kiosk holds acknowledged.
func checkPrefixes(t *testing.T, h *hubProc, ks []*faultKiosk) {
	t.Helper()
	h.look(func(_ *hub.Hub, st hub.Store) {
		for _, k := range ks {
			held := hubEntries(t, st, k.l.Terminal().ID)
			local := k.entries()
			ss, err := k.l.SyncState(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if uint64(len(held)) < ss.AckedSeq || len(held) > len(local) {
				t.Fatalf("kiosk %s: the hub holds %d entries; the ledger %d, acknowledged %d", k.name, len(held), len(local), ss.AckedSeq)
			}
			for i := range held {
				if held[i].Seq != local[i].Seq || held[i].Hash != local[i].Hash {
					t.Fatalf("kiosk %s: entry %d differs at the hub", k.name, i+1)
				}
			}
		}
	})
}

// checkSettled: after the faults, the hub holds every entry exactly once,
// every balance and each center's stock agree between the hub, the kiosks
// and the sum of the entries, every ledger verifies, and the hub flags no
// refusal.
func checkSettled(t *testing.T, h *hubProc, ks []*faultKiosk) {
	t.Helper()
	var kiosks []*kiosk
	sum := map[record.PersonID][2]int64{}
	stock := map[string]int64{} // each center's towels: imported, then the entries'
	var people []record.PersonID
	total := 0
	for _, k := range ks {
		kiosks = append(kiosks, k.kiosk)
		es := k.entries()
		total += len(es)
		stock[k.center] = towels
		for _, e := range es {
			if e.Person != 0 {
				s := sum[e.Person]
				sum[e.Person] = [2]int64{s[0] + e.Points, s[1] + e.Minutes}
			}
		}
	}
	for _, k := range ks {
		for _, e := range k.entries() {
			if e.Item == k.item.Item.ID {
				stock[k.center] += e.Stock
			}
		}
		for _, p := range k.people {
			people = append(people, p.id)
		}
	}
	h.look(func(hb *hub.Hub, st hub.Store) {
		checkEntriesAtHub(t, hb, st, kiosks)
		for _, p := range people {
			hbal := districtBalance(t, hb, p)
			if s := sum[p]; hbal.Points != s[0] || hbal.Minutes != s[1] {
				t.Errorf("person %d: district balance %d points %d minutes; the kiosks' entries sum to %d, %d", p, hbal.Points, hbal.Minutes, s[0], s[1])
			}
			for _, k := range ks {
				if b := k.balance(p); b.Points != hbal.Points || b.Minutes != hbal.Minutes {
					t.Errorf("person %d: kiosk %s has %d points %d minutes, the hub %d, %d", p, k.name, b.Points, b.Minutes, hbal.Points, hbal.Minutes)
				}
			}
		}
		for _, k := range ks {
			var hs hub.Stock
			err := st.View(ctx, func(r hub.Reader) (err error) {
				hs, err = r.Stock(k.center, k.item.Item.ID)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := k.kiosk.item("毛巾").Stock; hs.Qty != stock[k.center] || got != hs.Qty {
				t.Errorf("center %s's towels: %d at the hub, %d at kiosk %s; imported and redeemed, %d", k.center, hs.Qty, got, k.name, stock[k.center])
			}
		}
		checkRedemptionsAtHub(t, hb, ks)
		fl, err := hb.Flags(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fl {
			switch f.Kind {
			case hub.FlagChain, hub.FlagFork, hub.FlagDoubleSpend, hub.FlagConflict:
				t.Errorf("flag %s %s: %s", f.Kind, f.Subject, f.Detail)
			}
		}
	})
	if n := h.entryCount(); n != total {
		t.Errorf("the hub holds %d entries, the kiosks %d", n, total)
	}
	st := h.status()
	for _, k := range ks {
		k.mustVerify()
		found := false
		for _, s := range st.Kiosks {
			if s.Terminal == k.l.Terminal().ID {
				found = true
				if head := k.head(); s.AckedSeq != head.Seq || s.Refusal != "" || s.Fork {
					t.Errorf("kiosk %s: hubd status %+v, its head %d", k.name, s, head.Seq)
				}
			}
		}
		if !found {
			t.Errorf("kiosk %s is not in hubd status", k.name)
		}
	}
	t.Logf("settled: %d entries of %d kiosks at the hub, %d people", total, len(ks), len(people))
}

// checkRedemptionsAtHub: the hub holds each kiosk's redemptions once, each
// with the pickup code the kiosk gave, and handed out by the kiosk's staff
// card exactly when the kiosk handed it out.
func checkRedemptionsAtHub(t *testing.T, hb *hub.Hub, ks []*faultKiosk) {
	t.Helper()
	held := map[record.EntryID]hub.Redemption{}
	f := hub.RedemptionFilter{Limit: hub.MaxRedemptionPage}
	for {
		rows, more, err := hb.Redemptions(ctx, hub.DistrictScope(), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if _, twice := held[r.ID]; twice {
				t.Errorf("redemption %s is at the hub twice", r.ID)
			}
			held[r.ID] = r.Redemption
		}
		if !more {
			break
		}
		f.Before = rows[len(rows)-1].Cursor()
	}
	made, handed := 0, 0
	for _, k := range ks {
		for _, m := range k.redeemed {
			r, ok := held[m.Entry.ID]
			switch {
			case !ok:
				t.Errorf("kiosk %s: redemption %s (code %s) is not at the hub", k.name, m.Entry.ID, m.Code)
			case r.Code != string(m.Code):
				t.Errorf("kiosk %s: redemption %s has code %q at the hub, %q at the kiosk", k.name, m.Entry.ID, r.Code, m.Code)
			case k.handed[m.Entry.ID] != (r.State() == hub.RedemptionHandedOut) || (k.handed[m.Entry.ID] && r.HandedBy != k.staff):
				t.Errorf("kiosk %s: redemption %s at the hub: %+v; handed out at the kiosk: %t", k.name, m.Entry.ID, r, k.handed[m.Entry.ID])
			}
		}
		made += len(k.redeemed)
		handed += len(k.handed)
	}
	if len(held) != made {
		t.Errorf("the hub holds %d redemptions, the kiosks made %d", len(held), made)
	}
	t.Logf("settled: %d redemptions with their codes, %d handed out", made, handed)
}
