package hublink_test

import (
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
)

// BenchmarkNightSync is one night of a busy kiosk: a day of 300 people's
// check-ins, check-outs and redemptions, 5,000 entries, synced end to end
// (Link.Sync: the pushes, then the pull of the balances they moved) over
// loopback HTTP to a real hub on its SQLite store, in this process. The
// kiosk synced the night before, so the hub knows its people. ns/op is the
// sync's wall time (goal: under a second); beside it, measured in the same
// run on the same entries, the floor (see floor) and their ratio. The
// CPU time of the sync (kiosk and hub: they share this process) and of the
// floor do not depend on what else the machine runs as the wall times do.
func BenchmarkNightSync(b *testing.B) {
	const people, entries = 300, 5000
	var took, cpu time.Duration
	var fl floor
	runs := 0
	for b.Loop() {
		b.StopTimer()
		t, err := newTaps(ctx, b.TempDir(), people, clock.NewFake(ledgertest.Start))
		if err != nil {
			b.Fatal(err)
		}
		h, err := startHub(ctx, b.TempDir(), t.clk)
		if err != nil {
			b.Fatal(err)
		}
		tok, err := h.token(ctx)
		if err != nil {
			b.Fatal(err)
		}
		ln, err := t.enroll(ctx, h.url, tok)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ln.Sync(ctx); err != nil {
			b.Fatalf("the night before: %v", err)
		}
		before, err := t.Head(ctx)
		if err != nil {
			b.Fatal(err)
		}
		// The day: 5,000 entries in about 14 hours.
		if err := t.write(ctx, entries, 14*time.Hour/entries); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0, c0 := time.Now(), cpuTime() // the link's Took reads the fake clock
		res, err := ln.Sync(ctx)
		took, cpu = took+time.Since(t0), cpu+cpuTime()-c0
		b.StopTimer()
		if err != nil {
			b.Fatalf("sync: %v", err)
		}
		if res.Pushed != entries || res.Unsynced != 0 {
			b.Fatalf("sync pushed %d entries, %d left, want %d and none", res.Pushed, res.Unsynced, entries)
		}
		f, err := measureFloor(ctx, t.Ledger, before.Seq, b.TempDir())
		if err != nil {
			b.Fatalf("floor: %v", err)
		}
		if f.Entries != entries {
			b.Fatalf("floor of %d entries, want %d", f.Entries, entries)
		}
		fl.Build, fl.Net, fl.SQL, fl.CPU = fl.Build+f.Build, fl.Net+f.Net, fl.SQL+f.SQL, fl.CPU+f.CPU
		fl.Pushes, fl.Bytes = f.Pushes, f.Bytes
		runs++
		if err := h.stop(); err != nil {
			b.Fatal(err)
		}
		t.Close()
		b.StartTimer()
	}
	per := func(d time.Duration) float64 { return d.Seconds() / float64(runs) }
	b.ReportMetric(per(took), "sync-s")
	b.ReportMetric(float64(entries)/per(took), "entries/s")
	b.ReportMetric(per(fl.Total()), "floor-s")
	b.ReportMetric(per(fl.Net), "floor-net-s")
	b.ReportMetric(per(fl.SQL), "floor-sql-s")
	b.ReportMetric(per(fl.Build), "encode-s")
	b.ReportMetric(float64(fl.Pushes), "pushes")
	b.ReportMetric(float64(fl.Bytes)/float64(entries), "body-B/entry")
	b.ReportMetric(per(took)/per(fl.Total()), "ratio")
	b.ReportMetric(per(cpu), "sync-cpu-s")
	b.ReportMetric(per(fl.CPU), "floor-cpu-s")
}
