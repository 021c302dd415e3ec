package hublink_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "modernc.org/sqlite" // the bare floor's SQLite, the same driver as the ledger's and the hub's

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/server"
	"github.com/hongmajia/hongmajia/hub/sqlitestore"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/kiosk/hublink"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// This file holds what the sync benchmarks share: a center's ledger with a
// busy kiosk's taps, a hub served on loopback in this process, and the
// floor a sync is measured beside.

// benchCenter is the center every benchmark hub and kiosk serves.
const benchCenter = ledgertest.Center

// taps is a kiosk ledger made for the benchmarks and the generator of its
// taps: an activity open all day, a small catalog, people with cards, and
// volunteers checking in and out at random with a redemption now and then.
type taps struct {
	*ledger.Ledger
	dir   string
	clk   *clock.Fake
	sync  *clock.FakeSync
	staff record.CardUID
	act   record.ActivityID
	items []ledger.Item
	stock []int64
	cards []record.CardUID
	rng   *rand.Rand
	// on is who is on duty; ends their shifts' ends, soonest first.
	on   map[int]bool
	ends []shiftEnd
}

type shiftEnd struct {
	at   time.Time
	card int
}

// catalog is the benchmark kiosk's items: price and stock.
var benchCatalog = []struct {
	name         string
	price, stock int64
}{{"肥皂", 5, 400}, {"洗衣液", 10, 200}, {"毛巾", 20, 200}, {"大米", 30, 100}}

// newTaps creates a ledger in dir on the clock clk, with people people of
// its own (each with a card; none when the people come from the hub), an
// activity and the catalog.
func newTaps(ctx context.Context, dir string, people int, clk *clock.Fake) (*taps, error) {
	t := &taps{dir: dir, clk: clk, sync: clock.NewFakeSync(true), staff: "5AFF0001",
		rng: rand.New(rand.NewPCG(uint64(people), 9)), on: map[int]bool{}}
	l, err := ledger.Create(ctx, dir, ledger.Terminal{Center: benchCenter, CenterName: "基准测试中心"}, ledgertest.Options(t.clk, t.sync))
	if err != nil {
		return nil, err
	}
	t.Ledger = l
	err = l.Batch(ctx, func(b *ledger.Batch) error {
		if _, err := b.AddStaff(ledger.AddStaff{ID: record.NewEntryID(), UID: t.staff, Name: "值班员", Role: ledger.RoleStaff, PIN: ledgertest.StaffPIN}); err != nil {
			return err
		}
		rate := map[record.VolunteerKind]int64{record.RedVest: 10, record.GreenVest: 10, record.InService: 10, record.Resident: 10}
		a, err := b.PutActivity(ledger.PutActivity{ID: record.NewEntryID(), Activity: ledger.Activity{Name: "便民服务", Active: true,
			Rules: record.Rules{AnyTime: true, RoundMinutes: 15, PointsPerHour: rate}}})
		if err != nil {
			return err
		}
		t.act = a.ID
		for _, c := range benchCatalog {
			it, err := b.PutItem(ledger.PutItem{ID: record.NewEntryID(), Item: ledger.Item{Name: c.name, Price: c.price, Active: true}})
			if err != nil {
				return err
			}
			if _, err := b.Restock(ledger.Restock{ID: record.NewEntryID(), Item: it.ID, Quantity: c.stock, Operator: t.staff}); err != nil {
				return err
			}
			t.items, t.stock = append(t.items, it), append(t.stock, c.stock)
		}
		kinds := []record.VolunteerKind{record.RedVest, record.GreenVest, record.GreenVest, record.InService, record.Resident}
		for i := range people {
			p, err := b.EnrolPerson(ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: fmt.Sprintf("B%06d", i), Name: "志愿者",
				Phone: fmt.Sprintf("139%08d", i), Community: "和平里社区", Kind: kinds[i%len(kinds)]})
			if err != nil {
				return err
			}
			uid := record.CardUID(fmt.Sprintf("%08X", 0xB0000000+i))
			if _, err := b.BindCard(ledger.BindCard{ID: record.NewEntryID(), Person: p.ID, UID: uid, Operator: t.staff}); err != nil {
				return err
			}
			t.cards = append(t.cards, uid)
		}
		return nil
	})
	if err != nil {
		l.Close()
		return nil, err
	}
	return t, nil
}

// write makes n entries, a tap every so often on average, in transactions
// of a few thousand.
func (t *taps) write(ctx context.Context, n int, every time.Duration) error {
	for written := 0; written < n; {
		err := t.Batch(ctx, func(b *ledger.Batch) error {
			for range 5000 {
				if written >= n {
					return nil
				}
				wrote, err := t.tap(b, every)
				if err != nil {
					return err
				}
				if wrote {
					written++
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// tap is the kiosk's next tap: the check-out of a shift that is over, or
// (at most half the people on duty) a check-in of 30 minutes to 4 hours,
// or one time in seven a redemption, or a restock of what ran low.
func (t *taps) tap(b *ledger.Batch, every time.Duration) (bool, error) {
	t.clk.Advance(time.Duration(t.rng.Int64N(int64(2 * every))))
	now := t.clk.Now()
	if len(t.ends) > 0 && (!t.ends[0].at.After(now) || len(t.on) >= len(t.cards)/2) {
		e := t.ends[0]
		t.ends = slices.Delete(t.ends, 0, 1)
		delete(t.on, e.card)
		if e.at.After(now) {
			t.clk.Set(e.at)
		}
		_, err := b.CheckOut(ledger.CheckOut{ID: record.NewEntryID(), Card: t.cards[e.card]})
		return refused(err)
	}
	i := t.rng.IntN(len(t.cards))
	for t.on[i] {
		i = t.rng.IntN(len(t.cards))
	}
	if t.rng.IntN(7) == 0 {
		k := t.rng.IntN(len(t.items))
		if t.stock[k] < benchCatalog[k].stock/4 {
			q := benchCatalog[k].stock - t.stock[k]
			if _, err := b.Restock(ledger.Restock{ID: record.NewEntryID(), Item: t.items[k].ID, Quantity: q, Operator: t.staff}); err != nil {
				return false, err
			}
			t.stock[k] += q
			return true, nil
		}
		r, err := b.Redeem(ledger.Redeem{ID: record.NewEntryID(), Card: t.cards[i], Item: t.items[k].ID})
		if err == nil {
			t.stock[k] -= r.Quantity
		}
		return refused(err)
	}
	if _, err := b.CheckIn(ledger.CheckIn{ID: record.NewEntryID(), Card: t.cards[i], Activity: t.act}); err != nil {
		return refused(err)
	}
	end := shiftEnd{at: now.Add(time.Duration(30+t.rng.IntN(210)) * time.Minute), card: i}
	at, _ := slices.BinarySearchFunc(t.ends, end, func(a, b shiftEnd) int { return a.at.Compare(b.at) })
	t.ends = slices.Insert(t.ends, at, end)
	t.on[i] = true
	return true, nil
}

// refused turns what a kiosk tells a volunteer (not enough points, the
// offline cap, a sync too old to redeem) into "nothing written"; anything
// else stops the benchmark.
func refused(err error) (bool, error) {
	if err == nil {
		return true, nil
	}
	for _, r := range []error{ledger.ErrInsufficientPoints, ledger.ErrOfflineCap, ledger.ErrSyncTooOld, ledger.ErrOutOfStock,
		ledger.ErrPeriodLimit, ledger.ErrShiftOpen, ledger.ErrNoOpenShift} {
		if errors.Is(err, r) {
			return false, nil
		}
	}
	return false, err
}

// enroll enrolls the ledger at the hub at url (its clock and the hub's are
// one) and returns its link.
func (t *taps) enroll(ctx context.Context, url, token string) (*hublink.Link, error) {
	opts := hublink.Options{Clock: t.clk, Sync: t.sync, Version: "bench"}
	if _, err := hublink.Enroll(ctx, t.dir, t.Ledger, url, token, opts); err != nil {
		return nil, err
	}
	key, err := hublink.LoadKey(t.dir)
	if err != nil {
		return nil, err
	}
	return hublink.New(t.Ledger, key, opts), nil
}

// benchHub is a real hub (SQLite store in dir) served over loopback HTTP
// in this process.
type benchHub struct {
	*hub.Hub
	url  string
	stop func() error
}

func startHub(ctx context.Context, dir string, clk clock.Clock) (*benchHub, error) {
	st, err := sqlitestore.Open(ctx, dir, sqlitestore.Options{})
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.DiscardHandler)
	h, err := hub.Open(ctx, dir, hub.Options{Store: st, Clock: clk, Log: log, PIN: hub.PINParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		st.Close()
		return nil, err
	}
	cs, err := h.Centers(ctx)
	if err == nil && len(cs) == 0 {
		err = h.AddCenter(ctx, benchCenter, "基准测试中心")
	}
	if err != nil {
		h.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.Close()
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- server.New(h, log).Serve(sctx, ln, nil) }()
	return &benchHub{Hub: h, url: "http://" + ln.Addr().String(), stop: func() error {
		cancel()
		return errors.Join(<-done, h.Close())
	}}, nil
}

func (h *benchHub) token(ctx context.Context) (string, error) {
	tok, _, err := h.IssueToken(ctx, benchCenter, time.Hour)
	return tok, err
}

// floor is the least a sync of the same entries could take: the same push
// bodies (built from the ledger beforehand, untimed) posted in as many
// requests over loopback to a handler that only reads them, and the same
// rows inserted into a bare SQLite table at the hub store's settings (WAL,
// synchronous FULL, 32 MiB of cache) in one transaction a push. A sync does both of these
// one after the other for each batch, plus reading and encoding the
// entries (Build), signing, checking the chain, the hub's bookkeeping and
// the pull.
type floor struct {
	Build, Net, SQL time.Duration
	// CPU is the process's CPU time while sending and storing: unlike the
	// wall time, it hardly depends on what else the machine runs.
	CPU             time.Duration
	Pushes, Entries int
	Bytes           int64
}

// Total is the floor: sending and storing.
func (f floor) Total() time.Duration { return f.Net + f.SQL }

// measureFloor measures the floor for l's entries after seq, with its bare
// database in dir.
func measureFloor(ctx context.Context, l *ledger.Ledger, after uint64, dir string) (floor, error) {
	var f floor
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return f, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	})}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + hubsync.PathPush
	client := &http.Client{}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "bare.db")+"?_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)"+
		"&_pragma=journal_mode(WAL)&_pragma=cache_size(-32768)&_pragma=temp_store(MEMORY)&_txlock=immediate")
	if err != nil {
		return f, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE entries (terminal TEXT NOT NULL, seq INTEGER NOT NULL, id BLOB NOT NULL UNIQUE,
		person INTEGER NOT NULL, card TEXT NOT NULL, points INTEGER NOT NULL, at INTEGER NOT NULL, hash BLOB NOT NULL,
		raw BLOB NOT NULL, PRIMARY KEY (terminal, seq))`); err != nil {
		return f, err
	}
	for {
		t0 := time.Now()
		es, err := l.EntriesAfter(ctx, after, hubsync.MaxBatch)
		if err != nil {
			return f, err
		}
		if len(es) == 0 {
			return f, nil
		}
		raw := make([][]byte, len(es))
		for i := range es {
			if raw[i], err = es[i].Encode(); err != nil {
				return f, err
			}
		}
		body, err := hubsync.EncodeBody(hubsync.Push{Terminal: es[0].Terminal, Version: "bench", Entries: raw,
			Acked: record.Head{Seq: after}, Head: record.Head{Seq: es[len(es)-1].Seq, Hash: es[len(es)-1].Hash}})
		if err != nil {
			return f, err
		}
		t1, c1 := time.Now(), cpuTime()
		resp, err := client.Post(url, hubsync.ContentType, bytes.NewReader(body))
		if err != nil {
			return f, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return f, fmt.Errorf("floor post: %s", resp.Status)
		}
		t2 := time.Now()
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return f, err
		}
		for i, e := range es {
			if _, err := tx.ExecContext(ctx, "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", e.Terminal, int64(e.Seq), e.ID[:],
				int64(e.Person), string(e.Card), e.Points, e.At.UnixNano(), e.Hash[:], raw[i]); err != nil {
				tx.Rollback()
				return f, err
			}
		}
		if err := tx.Commit(); err != nil {
			return f, err
		}
		t3 := time.Now()
		f.CPU += cpuTime() - c1
		f.Build += t1.Sub(t0)
		f.Net += t2.Sub(t1)
		f.SQL += t3.Sub(t2)
		f.Pushes++
		f.Entries += len(es)
		f.Bytes += int64(len(body))
		after = es[len(es)-1].Seq
	}
}

// dirSize is the bytes of the regular files in dir whose names start with
// prefix.
func dirSize(dir, prefix string) (int64, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, de := range des {
		if !de.Type().IsRegular() || len(de.Name()) < len(prefix) || de.Name()[:len(prefix)] != prefix {
			continue
		}
		fi, err := de.Info()
		if err != nil {
			return 0, err
		}
		n += fi.Size()
	}
	return n, nil
}

// copyDir copies the regular files of src into dst, keeping their modes
// (a kiosk key others may read is refused).
func copyDir(src, dst string) error {
	des, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, de := range des {
		if !de.Type().IsRegular() {
			continue
		}
		fi, err := de.Info()
		if err != nil {
			return err
		}
		in, err := os.Open(filepath.Join(src, de.Name()))
		if err != nil {
			return err
		}
		out, err := os.OpenFile(filepath.Join(dst, de.Name()), os.O_CREATE|os.O_EXCL|os.O_WRONLY, fi.Mode().Perm())
		if err != nil {
			in.Close()
			return err
		}
		_, err = io.Copy(out, in)
		in.Close()
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// writeJSON and readJSON keep what a benchmark prepared beside it.
func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// cpuTime is the CPU time (user and system) this process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rssOf is the resident memory of a process by kind, from
// /proc/PID/smaps_rollup, in MB: anonymous (heaps: Go's and SQLite's page
// cache), file-backed (the program's text) and shared memory (SQLite's
// WAL index).
func rssOf(pid string) string {
	b, err := os.ReadFile("/proc/" + pid + "/smaps_rollup")
	if err != nil {
		return err.Error()
	}
	var out []string
	for line := range strings.SplitSeq(string(b), "\n") {
		name, v, ok := strings.Cut(line, ":")
		if !ok || !slices.Contains([]string{"Rss", "Anonymous", "Pss_File", "Pss_Shmem", "Private_Dirty", "Shared_Dirty"}, name) {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err == nil {
			out = append(out, fmt.Sprintf("%s %.1f", name, float64(kb)/1024))
		}
	}
	return strings.Join(out, ", ")
}
