package pgstore_test

import (
	"fmt"
	"io"
	"log/slog"
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

// BenchmarkIngest25Kiosks is one hub process taking a full batch from each
// of 25 kiosks pushing at once, on PostgreSQL and on SQLite in the same
// run (hub/bench_test.go's BenchmarkIngest25Kiosks on both stores): the
// rates are over every iteration's entries and time, the ratio is
// PostgreSQL's over SQLite's. Its pushes all take the registry's counters
// row, so they commit one after another on either store (on PostgreSQL a
// push that lost at the row runs again, queued). Measured on the test
// server over loopback TCP (2 cores, -benchtime 3x): at first 1,353
// entries/s on PostgreSQL against 6,600 on SQLite at load 17 (0.21×), a
// round trip per entry stored and per balance; with a push's entries in one
// COPY and its balances in one statement (Tx.AddEntries, PutBalances),
// 19,452 against 22,365 at load 1 (0.87×) with the test server's durability
// off; on pgtest.Durable's server (fsync and synchronous commits on, as
// SQLite's FULL), 17,819 against 23,599 (0.76×).
func BenchmarkIngest25Kiosks(b *testing.B) {
	const kiosks, batch = 25, hubsync.MaxBatch
	var pgTime, sqliteTime time.Duration
	var entries int
	for b.Loop() {
		b.StopTimer()
		pg, err := pgstore.Open(ctx, pgtest.Durable(b).NewDB(b), pgstore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		lite, err := sqlitestore.Open(ctx, b.TempDir(), sqlitestore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		pgTime += ingest(b, pg, kiosks, batch)
		sqliteTime += ingest(b, lite, kiosks, batch)
		entries += kiosks * batch
	}
	pgRate, liteRate := float64(entries)/pgTime.Seconds(), float64(entries)/sqliteTime.Seconds()
	b.ReportMetric(pgRate, "pg-entries/s")
	b.ReportMetric(liteRate, "sqlite-entries/s")
	b.ReportMetric(pgRate/liteRate, "ratio")
}

// ingest makes a hub on s (which it closes) with kiosks enrolled, each
// with a batch of entries, and returns how long their pushes at once took.
func ingest(b *testing.B, s hub.Store, kiosks, batch int) time.Duration {
	b.StopTimer()
	defer b.StartTimer()
	clk := clock.NewFake(hubtest.Start)
	h, err := hub.Open(ctx, b.TempDir(), hub.Options{Store: s, Clock: clk, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	if err := h.AddCenter(ctx, "A", "A"); err != nil {
		b.Fatal(err)
	}
	var ks []*hubtest.Kiosk
	var pushes []hubsync.Push
	for j := range kiosks {
		k := hubtest.NewKiosk(fmt.Sprintf("T%02d", j), "A", clk.Now)
		tok, _, err := h.IssueToken(ctx, "A", time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := h.Enroll(ctx, k.Meta(), k.Enroll(tok)); err != nil {
			b.Fatal(err)
		}
		for n := 0; n < batch/2; n++ {
			k.Earn(record.PersonID(1+n%500), record.CardUID(fmt.Sprintf("%08X", 0x10000000+j*1000+n%500)), 1, 60, 10)
		}
		ks = append(ks, k)
		pushes = append(pushes, k.Push())
	}
	b.StartTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for j, k := range ks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := h.Push(ctx, k.Meta(), pushes[j])
			if err != nil || res.Refused != "" {
				b.Errorf("push: %+v %v", res, err)
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	b.StopTimer()
	return took
}
