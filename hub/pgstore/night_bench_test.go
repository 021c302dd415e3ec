package pgstore_test

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/hub/pgstore"
	"github.com/hongmajia/hongmajia/hub/sqlitestore"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/internal/pgtest"
	"github.com/hongmajia/hongmajia/record"
)

var (
	nightKiosks  = flag.Int("night.kiosks", 500, "BenchmarkNight: kiosks syncing at once")
	nightEntries = flag.Int("night.entries", 5000, "BenchmarkNight: entries each kiosk pushes (a night's)")
	nightHubs    = flag.Int("night.hubs", 4, "BenchmarkNight: hub processes sharing the PostgreSQL database")
	nightPool    = flag.Int("night.pool", 8, "BenchmarkNight: each PostgreSQL hub's pool of connections")
)

// nightCenters is how many centers the night's kiosks are at (10 a center
// at 500 kiosks); each center has its own volunteers, so no card is used at
// two centers at once (which the hub would flag as cloned).
func nightCenters(kiosks int) int { return max(1, kiosks/10) }

// BenchmarkNight is a city's night: -night.kiosks kiosks (500) each push a
// night of -night.entries entries (5,000: 2,500 shifts, in batches of
// hubsync.MaxBatch) all at once, first to one hub on the embedded SQLite
// store (the only way SQLite runs: one process holds the file), then to
// -night.hubs hubs (4) sharing one PostgreSQL database, each kiosk's pushes
// handed to them in turn as a load balancer would. The hubs are Hub values
// in this process, each with a pool of its own (-night.pool connections),
// as separate hubd processes would be to the database; the PostgreSQL server
// is pgtest.Durable's (fsync and synchronous commits on, as SQLite's FULL).
// The kiosks' entries are made once, before either night.
//
// It reports each store's entries per second over the whole night and the
// p50 and p99 of one push (from the call to its answer, waiting for the
// store included: with every kiosk at once, most of a push is its wait).
// The ratio is PostgreSQL's rate over SQLite's (the goal: at least 1).
func BenchmarkNight(b *testing.B) {
	kiosks, perKiosk := *nightKiosks, *nightEntries
	clk := clock.NewFake(hubtest.Start)
	ks := nightKiosksMade(kiosks, perKiosk, clk.Now)
	entries := kiosks * (perKiosk / 2 * 2)
	for b.Loop() {
		lite, err := sqlitestore.Open(ctx, b.TempDir(), sqlitestore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		liteNight := night(b, clk, []hub.Store{lite}, ks)
		url := pgtest.Durable(b).NewDB(b)
		var pgs []hub.Store
		for range max(1, *nightHubs) {
			pg, err := pgstore.Open(ctx, url, pgstore.Options{PoolSize: *nightPool})
			if err != nil {
				b.Fatal(err)
			}
			pgs = append(pgs, pg)
		}
		pgNight := night(b, clk, pgs, ks)

		liteRate, pgRate := float64(entries)/liteNight.took.Seconds(), float64(entries)/pgNight.took.Seconds()
		b.ReportMetric(liteRate, "sqlite-entries/s")
		b.ReportMetric(pgRate, "pg-entries/s")
		b.ReportMetric(pgRate/liteRate, "ratio")
		b.ReportMetric(liteNight.p(0.50), "sqlite-p50-ms")
		b.ReportMetric(liteNight.p(0.99), "sqlite-p99-ms")
		b.ReportMetric(pgNight.p(0.50), "pg-p50-ms")
		b.ReportMetric(pgNight.p(0.99), "pg-p99-ms")
		b.Logf("%d kiosks × %d entries: SQLite %s (%d pushes), PostgreSQL with %d hubs %s (%d pushes)",
			kiosks, perKiosk, liteNight.took.Round(time.Millisecond), len(liteNight.pushes),
			len(pgs), pgNight.took.Round(time.Millisecond), len(pgNight.pushes))
	}
}

// nightKiosksMade makes the kiosks and their nights, on every core.
func nightKiosksMade(kiosks, perKiosk int, now func() time.Time) []*hubtest.Kiosk {
	ks := make([]*hubtest.Kiosk, kiosks)
	centers := nightCenters(kiosks)
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for j := range next {
				c := j % centers
				k := hubtest.NewKiosk(fmt.Sprintf("N%03d", j), nightCenter(c), now)
				for n := range perKiosk / 2 {
					// 2,000 volunteers a center, each with a card of their own.
					v := c*2000 + (j/centers*perKiosk/2+n)%2000
					k.Earn(record.PersonID(1+v), record.CardUID(fmt.Sprintf("%08X", 0x20000000+v)), record.ActivityID(1+c), 60, 10)
				}
				ks[j] = k
			}
		})
	}
	for j := range kiosks {
		next <- j
	}
	close(next)
	wg.Wait()
	return ks
}

func nightCenter(c int) string { return fmt.Sprintf("C%03d", c) }

// nightRun is what one night took.
type nightRun struct {
	took   time.Duration
	pushes []time.Duration
}

// p is the q-quantile of a push, in milliseconds.
func (r nightRun) p(q float64) float64 {
	if len(r.pushes) == 0 {
		return 0
	}
	return float64(r.pushes[min(len(r.pushes)-1, int(q*float64(len(r.pushes))))].Microseconds()) / 1000
}

// night opens a hub on each store (the first makes the centers and
// enrolls the kiosks), and times every kiosk pushing its night at once,
// its pushes going to the hubs in turn. It closes the hubs and the stores.
func night(b *testing.B, clk *clock.Fake, stores []hub.Store, ks []*hubtest.Kiosk) nightRun {
	b.StopTimer()
	defer b.StartTimer()
	dir := b.TempDir()
	var hubs []*hub.Hub
	for _, s := range stores {
		h, err := hub.Open(ctx, dir, hub.Options{Store: s, Clock: clk, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			b.Fatal(err)
		}
		defer h.Close()
		hubs = append(hubs, h)
	}
	for c := range nightCenters(len(ks)) {
		if err := hubs[0].AddCenter(ctx, nightCenter(c), fmt.Sprintf("第%d党群服务中心", c+1)); err != nil {
			b.Fatal(err)
		}
	}
	for _, k := range ks {
		k.Record(hubsync.PushResult{}) // acknowledged nothing: from the night's first entry
		tok, _, err := hubs[0].IssueToken(ctx, k.Center, time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := hubs[0].Enroll(ctx, k.Meta(), k.Enroll(tok)); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	var (
		mu     sync.Mutex
		pushes []time.Duration
		wg     sync.WaitGroup
	)
	b.StartTimer()
	start := time.Now()
	for j, k := range ks {
		wg.Go(func() {
			for n := 0; ; n++ {
				p := k.Push()
				if len(p.Entries) == 0 {
					return
				}
				t0 := time.Now()
				res, err := hubs[(j+n)%len(hubs)].Push(ctx, k.Meta(), p)
				took := time.Since(t0)
				if err != nil || res.Refused != "" || res.Acked.Seq <= p.Acked.Seq {
					b.Errorf("kiosk %s push %d: %+v %v", k.Terminal, n, res, err)
					return
				}
				k.Record(res)
				mu.Lock()
				pushes = append(pushes, took)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	b.StopTimer()
	slices.Sort(pushes)
	return nightRun{took: took, pushes: pushes}
}
