package ledger_test

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

var (
	benchPeople  = flag.Int("ledger.bench-people", 100_000, "benchmarks: people in the seeded ledger")
	benchEntries = flag.Int("ledger.bench-entries", 1_000_000, "benchmarks: entries in the seeded ledger")
	benchDir     = flag.String("ledger.bench-dir", "", "benchmarks: keep the seeded ledger here and reuse it in later runs")
)

// benchEnv is one seeded ledger shared by every benchmark of the process:
// built on first use, removed by TestMain.
type benchEnv struct {
	dir    string
	l      *ledger.Ledger
	clk    *clock.Fake
	staff  record.CardUID
	people []record.PersonID
	cards  []record.CardUID
	act    record.ActivityID
	item   record.ItemID
	next   int // next person for a tap benchmark
	seeded time.Duration
}

var (
	benchOnce sync.Once
	bench     *benchEnv
	benchErr  error
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if bench != nil {
		bench.l.Close()
		if *benchDir == "" {
			os.RemoveAll(bench.dir)
		}
	}
	os.Exit(code)
}

func seededLedger(b *testing.B) *benchEnv {
	b.Helper()
	benchOnce.Do(func() { bench, benchErr = seed(*benchPeople, *benchEntries) })
	if benchErr != nil {
		b.Fatalf("seed: %v", benchErr)
	}
	return bench
}

// seed builds the benchmark ledger through the real chained append, in big
// transactions: people and cards, one credit each, then check-in/check-out
// pairs until the entry count is reached.
func seed(people, entries int) (*benchEnv, error) {
	start := time.Now()
	ctx := context.Background()
	dir := *benchDir
	if dir == "" {
		d, err := os.MkdirTemp("", "ledger-bench-")
		if err != nil {
			return nil, err
		}
		dir = d
	}
	env := &benchEnv{dir: dir, clk: clock.NewFake(ledgertest.Start.AddDate(-1, 0, 0))}
	opts := ledgertest.Options(env.clk, clock.NewFakeSync(true))
	// No full check in the background of the benchmarks: BenchmarkFullCheck
	// measures it.
	opts.Check = ledger.CheckStart
	if _, err := os.Stat(filepath.Join(dir, ledger.FileName)); err == nil {
		return reopenSeeded(ctx, env, opts, people)
	}
	l, err := ledger.Create(ctx, dir, ledger.Terminal{Center: ledgertest.Center, CenterName: "基准测试中心"}, opts)
	if err != nil {
		return nil, err
	}
	env.l = l
	env.staff = "5AFF0001"
	if _, err := l.AddStaff(ctx, ledger.AddStaff{ID: record.NewEntryID(), UID: env.staff, Name: "值班员", Role: ledger.RoleStaff, PIN: "2468"}); err != nil {
		return nil, err
	}
	if err := l.SetPolicy(ctx, record.Policy{}); err != nil {
		return nil, err
	}
	act, err := l.PutActivity(ctx, ledger.PutActivity{ID: record.NewEntryID(), Activity: ledger.Activity{Name: "便民服务", Active: true,
		Rules: record.Rules{AnyTime: true, RoundMinutes: 15, PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 12, record.GreenVest: 10}}}})
	if err != nil {
		return nil, err
	}
	env.act = act.ID
	it, err := l.PutItem(ctx, ledger.PutItem{ID: record.NewEntryID(), Item: ledger.Item{Name: "肥皂", Price: 1, Active: true}})
	if err != nil {
		return nil, err
	}
	env.item = it.ID
	if _, err := l.Restock(ctx, ledger.Restock{ID: record.NewEntryID(), Item: it.ID, Quantity: 1 << 40, Operator: env.staff}); err != nil {
		return nil, err
	}
	const perTx = 20_000
	for done := 0; done < people; done += perTx {
		err := l.Batch(ctx, func(b *ledger.Batch) error {
			for i := done; i < min(done+perTx, people); i++ {
				kind := record.GreenVest
				if i%3 == 0 {
					kind = record.RedVest
				}
				p, err := b.EnrolPerson(ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: fmt.Sprintf("M%07d", i), Name: "志愿者",
					Phone: fmt.Sprintf("139%08d", i), Kind: kind})
				if err != nil {
					return err
				}
				uid := record.CardUID(fmt.Sprintf("%08X", 0x10000000+i))
				if _, err := b.BindCard(ledger.BindCard{ID: record.NewEntryID(), Person: p.ID, UID: uid}); err != nil {
					return err
				}
				if _, err := b.Adjust(ledger.Adjust{ID: record.NewEntryID(), Person: p.ID, Points: 100_000, Reason: "开户赠分", Operator: env.staff}); err != nil {
					return err
				}
				env.people = append(env.people, p.ID)
				env.cards = append(env.cards, uid)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	// Then shifts (a check-in and a check-out each) for a fifth of the rest,
	// and staff adjustments for the remainder: the cheapest real operation,
	// so the million entries are built in minutes, not hours.
	written := 2 + people
	shiftEntries := (entries - written) / 5
	for written < entries {
		err := l.Batch(ctx, func(b *ledger.Batch) error {
			for range perTx / 2 {
				if written >= entries {
					break
				}
				c := env.cards[env.next%len(env.cards)]
				p := env.people[env.next%len(env.people)]
				env.next++
				env.clk.Advance(20 * time.Second)
				if shiftEntries > 1 && entries-written > 1 {
					if _, err := b.CheckIn(ledger.CheckIn{ID: record.NewEntryID(), Card: c, Activity: env.act}); err != nil {
						return err
					}
					env.clk.Advance(time.Hour)
					if _, err := b.CheckOut(ledger.CheckOut{ID: record.NewEntryID(), Card: c}); err != nil {
						return err
					}
					written += 2
					shiftEntries -= 2
					continue
				}
				if _, err := b.Adjust(ledger.Adjust{ID: record.NewEntryID(), Person: p, Points: 1, Reason: "补录", Operator: env.staff}); err != nil {
					return err
				}
				written++
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	env.seeded = time.Since(start)
	return env, nil
}

// reopenSeeded opens a ledger an earlier run seeded (-ledger.bench-dir) and
// finds its people, cards, activity and item again.
func reopenSeeded(ctx context.Context, env *benchEnv, opts ledger.Options, people int) (*benchEnv, error) {
	t0 := time.Now()
	l, err := ledger.Open(ctx, env.dir, opts)
	if err != nil {
		return nil, err
	}
	env.l = l
	env.staff = "5AFF0001"
	acts, err := l.Activities(ctx)
	if err != nil || len(acts) == 0 {
		return nil, fmt.Errorf("seeded activity: %v", err)
	}
	env.act = acts[0].ID
	offers, err := l.Catalog(ctx)
	if err != nil || len(offers) == 0 {
		return nil, fmt.Errorf("seeded item: %v", err)
	}
	env.item = offers[0].Item.ID
	for i := range people {
		uid := record.CardUID(fmt.Sprintf("%08X", 0x10000000+i))
		info, err := l.LookupCard(ctx, uid)
		if err != nil {
			return nil, err
		}
		if info.OpenShift != nil { // left open by an earlier run's benchmark
			continue
		}
		env.people = append(env.people, info.Person.ID)
		env.cards = append(env.cards, uid)
	}
	st, err := l.SyncState(ctx)
	if err != nil {
		return nil, err
	}
	last, err := l.EntriesAfter(ctx, st.HeadSeq-1, 1)
	if err != nil || len(last) != 1 {
		return nil, fmt.Errorf("last entry: %v", err)
	}
	env.clk.Set(last[0].At.Add(time.Hour)) // after every seeded entry
	env.seeded = time.Since(t0)
	return env, nil
}

// openShifts opens n shifts in one transaction, untimed, and an hour
// later returns the index of the first one's card.
func openShifts(b *testing.B, env *benchEnv, n int) int {
	first := env.next
	if err := env.l.Batch(context.Background(), func(bt *ledger.Batch) error {
		for i := range n {
			if _, err := bt.CheckIn(ledger.CheckIn{ID: record.NewEntryID(), Card: env.cards[(first+i)%len(env.cards)], Activity: env.act}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	env.next += n
	env.clk.Advance(time.Hour)
	return first
}

// latencies collects per-operation times for percentiles.
type latencies []time.Duration

// timed runs op b.N times, timing each, and reports p50 and p99.
func timed(b *testing.B, op func(i int) error) {
	lat := make(latencies, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		if err := op(i); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	lat.report(b)
}

func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	slices.Sort(l)
	b.ReportMetric(l.at(0.50), "p50-µs")
	b.ReportMetric(l.at(0.99), "p99-µs")
}

// at is the q-quantile of sorted latencies, in µs.
func (l latencies) at(q float64) float64 {
	return float64(l[int(q*float64(len(l)-1))].Microseconds())
}

// BenchmarkCheckOut is a committed check-out (a tap): one transaction with
// its entry, the shift and the balance, one WAL fsync.
func BenchmarkCheckOut(b *testing.B) {
	env := seededLedger(b)
	b.Logf("seeded %d people, %d entries in %v", len(env.people), *benchEntries, env.seeded.Round(time.Millisecond))
	ctx := context.Background()
	first := openShifts(b, env, b.N)
	b.ReportAllocs()
	timed(b, func(i int) error {
		_, err := env.l.CheckOut(ctx, ledger.CheckOut{ID: record.NewEntryID(), Card: env.cards[(first+i)%len(env.cards)]})
		return err
	})
}

// BenchmarkRedeem is a committed redemption: points, stock, pickup code.
func BenchmarkRedeem(b *testing.B) {
	env := seededLedger(b)
	ctx := context.Background()
	timed(b, func(i int) error {
		c := env.cards[(env.next+i)%len(env.cards)]
		_, err := env.l.Redeem(ctx, ledger.Redeem{ID: record.NewEntryID(), Card: c, Item: env.item})
		return err
	})
	env.next += b.N
}

// BenchmarkBalance is the balance shown on a tap.
func BenchmarkBalance(b *testing.B) {
	env := seededLedger(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if _, err := env.l.Balance(ctx, env.people[(i*7919)%len(env.people)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookupCard is everything a tap shows: person, card, balance,
// open shift.
func BenchmarkLookupCard(b *testing.B) {
	env := seededLedger(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if _, err := env.l.LookupCard(ctx, env.cards[(i*7919)%len(env.cards)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorInsert is the floor a tap is measured against: one
// single-row insert transaction on a bare table, same driver and pragmas
// (WAL, synchronous=FULL, foreign keys, busy timeout, BEGIN IMMEDIATE).
func BenchmarkFloorInsert(b *testing.B) {
	insert := floorInsert(b, seededLedger(b)) // same disk, same moment
	timed(b, func(int) error { return insert() })
}

// floorInsert opens the floor's bare database beside the seeded ledger and
// returns one committed single-row insert.
func floorInsert(b *testing.B, env *benchEnv) func() error {
	path := filepath.Join(env.dir, "floor.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)"); err != nil {
		b.Fatal(err)
	}
	ins, err := db.Prepare("INSERT INTO t(v) VALUES (?)")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ins.Close() })
	row := make([]byte, 200)
	return func() error {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		if _, err := tx.Stmt(ins).Exec(row); err != nil {
			tx.Rollback()
			return err
		}
		return tx.Commit()
	}
}

// BenchmarkTap is a committed check-out beside its floor in the same loop:
// each iteration times one floor insert (BenchmarkFloorInsert) and one
// check-out (BenchmarkCheckOut), so the machine's load falls on both alike.
// It reports each one's p50 and p99 and the check-out's as multiples of the
// floor's (p50-x-floor, p99-x-floor), and the share of check-outs slower
// than 5 ms (slow-%). On Linux it also reports the CPU time each took on
// its own thread (floor-cpu-µs, cpu-µs: medians), which other processes'
// load disturbs far less than the wall time: what a change of a tap's
// statements bought shows there first.
func BenchmarkTap(b *testing.B) {
	env := seededLedger(b)
	ctx := context.Background()
	insert := floorInsert(b, env)
	first := openShifts(b, env, b.N)
	floor := make(latencies, 0, b.N)
	tap := make(latencies, 0, b.N)
	floorCPU := make([]int64, 0, b.N)
	tapCPU := make([]int64, 0, b.N)
	// The thread's CPU time is the tap's only while the goroutine stays on it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	for i := range b.N {
		c0, cpuOK := threadCPU()
		t0 := time.Now()
		if err := insert(); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		c1, _ := threadCPU()
		t2 := time.Now()
		if _, err := env.l.CheckOut(ctx, ledger.CheckOut{ID: record.NewEntryID(), Card: env.cards[(first+i)%len(env.cards)]}); err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		c2, _ := threadCPU()
		floor = append(floor, t1.Sub(t0))
		tap = append(tap, t3.Sub(t2))
		if cpuOK {
			floorCPU = append(floorCPU, c1-c0)
			tapCPU = append(tapCPU, c2-c1)
		}
	}
	b.StopTimer()
	slices.Sort(floor)
	slices.Sort(tap)
	slow := len(tap) - sort.Search(len(tap), func(i int) bool { return tap[i] > 5*time.Millisecond })
	fp50, fp99 := floor.at(0.50), floor.at(0.99)
	tp50, tp99 := tap.at(0.50), tap.at(0.99)
	b.ReportMetric(fp50, "floor-p50-µs")
	b.ReportMetric(fp99, "floor-p99-µs")
	b.ReportMetric(tp50, "p50-µs")
	b.ReportMetric(tp99, "p99-µs")
	b.ReportMetric(tp50/fp50, "p50-x-floor")
	b.ReportMetric(tp99/fp99, "p99-x-floor")
	b.ReportMetric(100*float64(slow)/float64(len(tap)), "slow-%")
	if len(tapCPU) > 0 {
		slices.Sort(floorCPU)
		slices.Sort(tapCPU)
		b.ReportMetric(float64(floorCPU[len(floorCPU)/2]), "floor-cpu-µs")
		b.ReportMetric(float64(tapCPU[len(tapCPU)/2]), "cpu-µs")
	}
}

// BenchmarkVerifyQuick is Verify with quick_check in place of the full
// integrity_check.
func BenchmarkVerifyQuick(b *testing.B) {
	env := seededLedger(b)
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		rep, err := env.l.VerifyWith(ctx, ledger.VerifyOptions{Quick: true})
		if err != nil || !rep.OK() {
			b.Fatalf("verify: %v %v", err, rep.Problems)
		}
		b.ReportMetric(float64(rep.Entries), "entries")
	}
}

// BenchmarkIntegrityCheck is PRAGMA integrity_check alone: what Open paid
// at every start, what the background full check runs, and what Verify's
// integrity parts find together in a fraction of its time.
func BenchmarkIntegrityCheck(b *testing.B) {
	env := seededLedger(b)
	db, err := sql.Open("sqlite", "file:"+env.l.Path()+"?mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.ResetTimer()
	for range b.N {
		var ok string
		if err := db.QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
			b.Fatalf("integrity_check: %q %v", ok, err)
		}
	}
}

// BenchmarkVerify checks the whole seeded ledger (1,000,000 entries), and
// reports each kind of part's time summed over its pieces (integrity,
// chain, records: at once on a read transaction a core; then the rest) and
// the integrity parts' rate per MB of file.
func BenchmarkVerify(b *testing.B) {
	env := seededLedger(b)
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		rep, err := env.l.Verify(ctx)
		if err != nil || !rep.OK() {
			b.Fatalf("verify: %v %v", err, rep.Problems)
		}
		b.ReportMetric(float64(rep.Entries), "entries")
		for _, p := range rep.Parts {
			b.ReportMetric(p.Took.Seconds(), strings.ReplaceAll(p.Name, " ", "")+"-s")
			if p.Name == "integrity" {
				b.ReportMetric(float64(p.Took.Milliseconds())/fileMB(b, env), "integrity-ms/MB")
			}
		}
	}
}

// fileMB is the seeded ledger's size (file and WAL) in MB.
func fileMB(b *testing.B, env *benchEnv) float64 {
	var n int64
	for _, p := range []string{env.l.Path(), env.l.Path() + "-wal"} {
		if st, err := os.Stat(p); err == nil {
			n += st.Size()
		}
	}
	if n == 0 {
		b.Fatal("no ledger file")
	}
	return float64(n) / 1e6
}

// BenchmarkOpen is a start: Open until the ledger answers (the start check;
// the full check then runs in the background and Close cancels it), beside
// BenchmarkIntegrityCheck, what every start paid before. It opens the seeded
// ledger again beside the benchmark's own connection.
func BenchmarkOpen(b *testing.B) {
	env := seededLedger(b)
	ctx := context.Background()
	opts := ledgertest.Options(env.clk, clock.NewFakeSync(true))
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		l, err := ledger.Open(ctx, env.dir, opts)
		if err != nil {
			b.Fatal(err)
		}
		ready := time.Since(t0)
		b.StopTimer()
		if err := l.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		b.ReportMetric(float64(ready.Microseconds())/1000, "ready-ms")
	}
	b.ReportMetric(fileMB(b, env), "file-MB")
}

// BenchmarkFullCheck is the background full check Open starts: how long
// until Checked, with the start check's time beside it.
func BenchmarkFullCheck(b *testing.B) {
	env := seededLedger(b)
	ctx := context.Background()
	opts := ledgertest.Options(env.clk, clock.NewFakeSync(true))
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		l, err := ledger.Open(ctx, env.dir, opts)
		if err != nil {
			b.Fatal(err)
		}
		ready := time.Since(t0)
		<-l.Checked()
		c := l.LastFullCheck(ctx)
		if !c.OK() {
			b.Fatalf("full check: %+v", c)
		}
		b.ReportMetric(float64(ready.Microseconds())/1000, "ready-ms")
		b.ReportMetric(c.Took.Seconds(), "full-check-s")
		b.ReportMetric(float64(c.Took.Milliseconds())/fileMB(b, env), "ms/MB")
		if err := l.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFileSize is the seeded ledger's bytes per entry once the
// idempotency log is pruned as the nightly sync does (and as the writes
// trim it): the pages in use over the entries (B/entry), beside the whole
// file over them (file-B/entry: a file grown before keeps its freed pages,
// reused by later writes). Each table and index's share is logged, from
// SQLite's dbstat. The goal (goal-B/entry) is 300 B an entry.
//
// Measured on the benchmark ledger seeded by schema 6 and migrated to 7
// (load 5): 273 B an entry in use, 393 B before: entry_rows 136 B (the
// entries table was 200 B with the terminal and boot ids and prev in each
// row), its id index 29 B (47), entries_person 21 B (38), entries_at 18 B
// (39), the outbox 22 B, shifts and their indexes 18 B. The whole file is
// 753 B an entry after the migration (589 before): the old table's pages
// are free, for the next writes.
func BenchmarkFileSize(b *testing.B) {
	env := seededLedger(b)
	ctx := context.Background()
	if _, err := env.l.PruneRequests(ctx, 0); err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+env.l.Path()+"?mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.ResetTimer()
	for range b.N {
		var entries, pages, free, pageSize int64
		err := db.QueryRow(`SELECT (SELECT count(*) FROM entries), (SELECT page_count FROM pragma_page_count),
			(SELECT freelist_count FROM pragma_freelist_count), (SELECT page_size FROM pragma_page_size)`).Scan(&entries, &pages, &free, &pageSize)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64((pages-free)*pageSize)/float64(entries), "B/entry")
		b.ReportMetric(float64(pages*pageSize)/float64(entries), "file-B/entry")
		b.ReportMetric(300, "goal-B/entry")
		b.ReportMetric(float64(entries), "entries")
		rows, err := db.Query("SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC")
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			var name string
			var bytes int64
			if err := rows.Scan(&name, &bytes); err != nil {
				b.Fatal(err)
			}
			if bytes >= pageSize*16 {
				b.Logf("%-28s %7.1f MB %6.1f B/entry", name, float64(bytes)/1e6, float64(bytes)/float64(entries))
			}
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		rows.Close()
	}
}
