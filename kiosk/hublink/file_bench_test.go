package hublink_test

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/kiosk/hublink"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// District sizes for BenchmarkKioskFile.
const (
	districtPeople = 20_000
	fileDays       = 20
	kioskPerDay    = 250  // a busy kiosk's own entries a day
	districtPerDay = 2000 // the other centers' entries a day that reach the kiosk as snapshots
	districtRate   = 5000 // the issue's district rate, for the projection
	fiveYears      = 5 * 365
	fileRegulars   = 300 // the people who tap at this kiosk
)

// BenchmarkKioskFile measures what a kiosk's file holds after syncs in a
// district of 20,000 people: the kiosk keeps its own entries and the hub's
// signed snapshots (one a person, replaced as it changes), so it grows by
// its own entries only. A kiosk is enrolled and pulls the district's
// people, cards and balances (base-MB); then for 20 days it makes 250
// entries a day and syncs nightly while the other centers' 2,000 entries a
// day move the balances it pulls. B/entry is the file's growth over those
// days per own entry; 5y-MB projects the file after five years at 250 a
// day (goal: under 200 MB), 5y-district-MB if one kiosk made a district's
// 5,000 a day. The file is measured closed (SQLite removes the WAL).
func BenchmarkKioskFile(b *testing.B) {
	var r fileRun
	for b.Loop() {
		b.StopTimer() // kioskFile times the nightly syncs
		var err error
		if r, err = kioskFile(ctx, b); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	perEntry := float64(r.grown-r.base) / float64(r.own)
	b.Logf("growth by table and index, bytes per own entry: %s", r.tables)
	b.ReportMetric(float64(r.base)/1e6, "base-MB")
	b.ReportMetric(float64(r.base)/districtPeople, "B/person")
	b.ReportMetric(perEntry, "B/entry")
	// The idempotency log stops growing at ledger.KeepRequests results
	// (one a write; a kiosk's writes are about its entries).
	// The snapshots grow with the people whose balance moves, not with
	// the kiosk's entries: at most one row a person of the district.
	reqPer := float64(r.requests) / float64(r.own)
	snapPer := float64(r.snapshots) / float64(r.own)
	project := func(n float64) float64 {
		return (float64(r.base) + (perEntry-reqPer-snapPer)*n + reqPer*min(n, ledger.KeepRequests) +
			min(snapPer*n, r.snapshotRow*districtPeople)) / 1e6
	}
	b.ReportMetric(reqPer, "requests-B/entry")
	b.ReportMetric(project(kioskPerDay*fiveYears), "5y-MB")
	b.ReportMetric(project(districtRate/25*fiveYears), "5y-per-kiosk-MB")
	b.ReportMetric(project(districtRate*fiveYears), "5y-district-MB")
	b.ReportMetric(r.syncs.Seconds()/fileDays, "night-sync-s")
}

// fileRun is what kioskFile measured: the kiosk's file after its first
// pull and after the days, its own entries in between, where the growth
// went, and the nightly syncs' time.
type fileRun struct {
	base, grown int64
	own         uint64
	tables      string
	syncs       time.Duration
	// requests is the idempotency log's growth (table and index), which
	// the nightly sync caps at ledger.KeepRequests results; snapshots the
	// snapshot table's, one row a person, and its bytes a row now.
	requests, snapshots int64
	snapshotRow         float64
}

// kioskFile runs the district with b's timer on for the nightly syncs.
func kioskFile(ctx context.Context, b *testing.B) (fileRun, error) {
	var r fileRun
	clk := clock.NewFake(ledgertest.Start)
	h, err := startHub(ctx, b.TempDir(), clk)
	if err != nil {
		return r, err
	}
	defer h.stop()
	// The district's registry and balances come from another center's
	// kiosk (as the hub sees it: no ledger).
	const other = "C-OTHER"
	if err := h.AddCenter(ctx, other, "另一个党群服务中心"); err != nil {
		return r, err
	}
	d := hubtest.NewKiosk("D15781C7E5A00001", other, clk.Now)
	tok, _, err := h.IssueToken(ctx, other, time.Hour)
	if err != nil {
		return r, err
	}
	if _, err := h.Enroll(ctx, d.Meta(), d.Enroll(tok)); err != nil {
		return r, err
	}
	people := make([]record.PersonID, districtPeople)
	cards := make([]record.CardUID, districtPeople)
	for i := range people {
		people[i], cards[i] = record.PersonID(1<<40+i), record.CardUID(fmt.Sprintf("%08X", 0xD0000000+i))
		d.AddChange(&hubsync.Person{ID: people[i], MemberNo: fmt.Sprintf("D%06d", i), Name: "志愿者", Phone: "139****0000",
			Community: "小黄庄社区", Kind: record.GreenVest}, nil)
		d.AddChange(nil, &hubsync.Card{UID: cards[i], Person: people[i], State: hubsync.CardActive})
	}
	// The registry first, then the entries that move the balances: a
	// balance the hub holds before its person's row reaches a kiosk's
	// paged pull before the person does.
	if err := pushAll(ctx, h, d); err != nil {
		return r, err
	}
	for i := range people {
		d.Append(record.Entry{Kind: record.KindAdjust, Person: people[i], Points: 100, Reason: "开户赠分", Operator: "5AFF0001"})
	}
	if err := pushAll(ctx, h, d); err != nil {
		return r, err
	}
	// The kiosk: enrolled, it pulls the district.
	t, err := newTaps(ctx, b.TempDir(), 0, clk)
	if err != nil {
		return r, err
	}
	defer func() { t.Close() }()
	if tok, err = h.token(ctx); err != nil {
		return r, err
	}
	ln, err := t.enroll(ctx, h.url, tok)
	if err != nil {
		return r, err
	}
	if _, err := ln.Sync(ctx); err != nil {
		return r, err
	}
	if ln, r.base, err = t.reopen(ctx); err != nil {
		return r, err
	}
	before, err := tableBytes(ctx, t.Path())
	if err != nil {
		return r, err
	}
	start, err := t.Head(ctx)
	if err != nil {
		return r, err
	}
	t.cards = cards[:fileRegulars]
	rng := rand.New(rand.NewPCG(1, 2))
	for range fileDays {
		// The day: the kiosk's taps from morning to night, then the other
		// centers' and the nightly sync.
		clk.Set(time.Date(clk.Now().Year(), clk.Now().Month(), clk.Now().Day()+1, 8, 0, 0, 0, clk.Now().Location()))
		if err := t.write(ctx, kioskPerDay, 12*time.Hour/kioskPerDay); err != nil {
			return r, err
		}
		for range districtPerDay / 2 {
			i := fileRegulars + rng.IntN(districtPeople-fileRegulars)
			d.Earn(people[i], cards[i], 1, 120, 20)
		}
		if err := pushAll(ctx, h, d); err != nil {
			return r, err
		}
		b.StartTimer()
		t0 := time.Now()
		_, err := ln.Sync(ctx)
		r.syncs += time.Since(t0)
		b.StopTimer()
		if err != nil {
			return r, err
		}
	}
	end, err := t.Head(ctx)
	if err != nil {
		return r, err
	}
	if _, r.grown, err = t.reopen(ctx); err != nil {
		return r, err
	}
	r.own = end.Seq - start.Seq
	after, err := tableBytes(ctx, t.Path())
	if err != nil {
		return r, err
	}
	type grew struct {
		name string
		n    int64
	}
	var gs []grew
	for name, n := range after {
		if name == "requests" || name == "sqlite_autoindex_requests_1" {
			r.requests += n - before[name]
		}
		if name == "snapshots" {
			r.snapshots += n - before[name]
			rows, err := snapshotRows(ctx, t.Path())
			if err != nil {
				return r, err
			}
			r.snapshotRow = float64(n) / float64(max(rows, 1))
		}
		if n-before[name] > 0 {
			gs = append(gs, grew{name, n - before[name]})
		}
	}
	slices.SortFunc(gs, func(a, b grew) int { return cmp.Compare(b.n, a.n) })
	var sb strings.Builder
	for _, g := range gs {
		fmt.Fprintf(&sb, "%s %.0f, ", g.name, float64(g.n)/float64(r.own))
	}
	r.tables = strings.TrimSuffix(sb.String(), ", ")
	if rep, err := t.Verify(ctx); err != nil || !rep.OK() {
		return r, fmt.Errorf("the kiosk's file does not verify: %+v %v", rep, err)
	}
	return r, nil
}

// snapshotRows counts the file's snapshot rows.
func snapshotRows(ctx context.Context, path string) (int64, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int64
	err = db.QueryRowContext(ctx, "SELECT count(*) FROM snapshots").Scan(&n)
	return n, err
}

// tableBytes is the bytes of each table and index of the SQLite file at
// path (its dbstat).
func tableBytes(ctx context.Context, path string) (map[string]int64, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return nil, err
		}
		out[name] = n
	}
	return out, rows.Err()
}

// pushAll pushes everything k holds to the hub, in batches.
func pushAll(ctx context.Context, h *benchHub, k *hubtest.Kiosk) error {
	for {
		p := k.Push()
		if len(p.Entries) == 0 && len(p.Changes) == 0 {
			return nil
		}
		res, err := h.Push(ctx, k.Meta(), p)
		if err != nil {
			return err
		}
		if res.Refused != "" {
			return fmt.Errorf("push refused: %s", res.Refused)
		}
		k.Record(res)
	}
}

// reopen closes the ledger, measures its file, opens it again and returns
// a new link for it.
func (t *taps) reopen(ctx context.Context) (*hublink.Link, int64, error) {
	if err := t.Close(); err != nil {
		return nil, 0, err
	}
	size, err := dirSize(t.dir, ledger.FileName)
	if err != nil {
		return nil, 0, err
	}
	l, err := ledger.Open(ctx, t.dir, ledgertest.Options(t.clk, t.sync))
	if err != nil {
		return nil, 0, err
	}
	t.Ledger = l
	key, err := hublink.LoadKey(t.dir)
	if err != nil {
		return nil, 0, err
	}
	return hublink.New(l, key, hublink.Options{Clock: t.clk, Sync: t.sync, Version: "bench"}), size, nil
}
