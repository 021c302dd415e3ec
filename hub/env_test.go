package hub_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
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
	"github.com/hongmajia/hongmajia/roster"
)

var ctx = context.Background()

// cheapPIN makes PIN hashes fast in tests.
var cheapPIN = hub.PINParams{Time: 1, MemoryKiB: 64, Threads: 1}

// The package's tests run twice, every one of them: on SQLite, then on
// PostgreSQL. onStore is the run's; a failure's output says which (newStore
// logs it in every test that makes a store).
var onStore = onSQLite

const (
	onSQLite     = "sqlite"
	onPostgreSQL = "postgresql"
)

// stores is which runs TestMain makes: both unless -stores says one
// (go test ./hub/ -args -stores=postgresql, for a quicker loop on one).
var stores = flag.String("stores", "both", "the stores the tests run on: both, "+onSQLite+" or "+onPostgreSQL)

func TestMain(m *testing.M) {
	flag.Parse()
	if *stores != "both" && *stores != onSQLite && *stores != onPostgreSQL {
		fmt.Fprintf(os.Stderr, "-stores=%s: want both, %s or %s\n", *stores, onSQLite, onPostgreSQL)
		os.Exit(2)
	}
	code := 0
	if *stores != onPostgreSQL {
		fmt.Println("hub's tests on SQLite (hub/sqlitestore)")
		start := time.Now()
		code = m.Run()
		fmt.Printf("hub's tests on SQLite took %s\n", time.Since(start).Round(time.Second))
	}
	if *stores != onSQLite {
		// The benchmarks run once, on SQLite: hub/pgstore's compare the
		// two stores in one run.
		if *stores == "both" {
			if err := flag.Set("test.bench", ""); err != nil {
				panic(err)
			}
		}
		onStore = onPostgreSQL
		fmt.Println("hub's tests on PostgreSQL (hub/pgstore, a database of internal/pgtest's server per store)")
		start := time.Now()
		code = max(code, pgtest.Run(m))
		fmt.Printf("hub's tests on PostgreSQL took %s\n", time.Since(start).Round(time.Second))
	}
	os.Exit(code)
}

// testStore is where a test's store lives, on this run's store: dir for
// SQLite (hub.db in it), a fresh database for PostgreSQL.
type testStore struct {
	kind string
	dir  string
	db   string
}

// newStore makes tb a store on this run's store, in dir if on SQLite, and
// logs which, so that a failure says which store it was on.
func newStore(tb testing.TB, dir string) *testStore {
	tb.Helper()
	tb.Logf("on %s", onStore)
	ts := &testStore{kind: onStore, dir: dir}
	if onStore == onPostgreSQL {
		ts.db = pgtest.Start(tb).NewDBName(tb)
	}
	return ts
}

// open opens the store (again, after a hub closed it).
func (ts *testStore) open(tb testing.TB) hub.Store {
	tb.Helper()
	var st hub.Store
	var err error
	if ts.kind == onPostgreSQL {
		st, err = pgstore.Open(ctx, pgtest.Start(tb).URL(ts.db), pgstore.Options{})
	} else {
		st, err = sqlitestore.Open(ctx, ts.dir, sqlitestore.Options{})
	}
	if err != nil {
		tb.Fatalf("open the store on %s: %v", ts.kind, err)
	}
	return st
}

// env is a hub on a real store (SQLite in a temp dir, or a PostgreSQL
// database: the run's), with a fake clock, and two centers: A and B.
type env struct {
	t     testing.TB
	dir   string
	clk   *clock.Fake
	at    *testStore
	store hub.Store
	hub   *hub.Hub
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), clk: clock.NewFake(hubtest.Start)}
	e.at = newStore(t, e.dir)
	st := e.at.open(t)
	e.store = st
	var err error
	e.hub, err = hub.Open(ctx, e.dir, hub.Options{Store: st, Clock: e.clk, PIN: cheapPIN, Password: cheapPIN, URL: "https://hub.test",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.hub.Close() })
	for _, c := range []struct{ id, name string }{{"A", "和平里党群服务中心"}, {"B", "小黄庄党群服务中心"}} {
		if err := e.hub.AddCenter(ctx, c.id, c.name); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// kiosk is a new kiosk of center enrolled at the hub, its clock the hub's.
func (e *env) kiosk(terminal, center string) *hubtest.Kiosk {
	e.t.Helper()
	k := hubtest.NewKiosk(terminal, center, e.clk.Now)
	e.enroll(k, center)
	return k
}

func (e *env) enroll(k *hubtest.Kiosk, center string) hubsync.Enrolled {
	e.t.Helper()
	tok, _, err := e.hub.IssueToken(ctx, center, time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	en, err := e.hub.Enroll(ctx, k.Meta(), k.Enroll(tok))
	if err != nil {
		e.t.Fatalf("enroll %s: %v", k.Terminal, err)
	}
	return en
}

// push sends k's next push and records its answer.
func (e *env) push(k *hubtest.Kiosk) hubsync.PushResult {
	e.t.Helper()
	res, err := e.hub.Push(ctx, k.Meta(), k.Push())
	if err != nil {
		e.t.Fatalf("push %s: %v", k.Terminal, err)
	}
	k.Record(res)
	return res
}

// pushOK pushes and fails the test on a refusal.
func (e *env) pushOK(k *hubtest.Kiosk) hubsync.PushResult {
	e.t.Helper()
	res := e.push(k)
	if res.Refused != "" {
		e.t.Fatalf("push %s refused: %s", k.Terminal, res.Refused)
	}
	if res.Acked != k.Head() {
		e.t.Fatalf("push %s: acked %d, head %d", k.Terminal, res.Acked.Seq, k.Head().Seq)
	}
	return res
}

func (e *env) pull(k *hubtest.Kiosk, since uint64) hubsync.PullResult {
	e.t.Helper()
	res, err := e.hub.Pull(ctx, k.Meta(), hubsync.Pull{Terminal: k.Terminal, Since: since})
	if err != nil {
		e.t.Fatalf("pull %s: %v", k.Terminal, err)
	}
	return res
}

func (e *env) balance(p record.PersonID) hub.Balance {
	e.t.Helper()
	b, err := e.hub.DistrictBalance(ctx, p)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

// person imports one registered person with a card and returns them.
func (e *env) person(memberNo, name string, card record.CardUID) hub.Person {
	e.t.Helper()
	if _, err := e.hub.ImportPeople(ctx, []roster.Person{{Line: 2, MemberNo: memberNo, Name: name, Kind: record.GreenVest, Card: card}}, false); err != nil {
		e.t.Fatal(err)
	}
	p, err := e.hub.FindPerson(ctx, memberNo)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// flags are the open flags of kind.
func (e *env) flags(kind hub.FlagKind) []hub.Flag {
	e.t.Helper()
	all, err := e.hub.Flags(ctx, false)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []hub.Flag
	for _, f := range all {
		if f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

// stored are terminal's entries the hub holds.
func (e *env) stored(terminal string) []hub.StoredEntry {
	e.t.Helper()
	var out []hub.StoredEntry
	err := e.store.View(ctx, func(r hub.Reader) (err error) {
		out, err = r.Entries(terminal, 0, 1<<20)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *env) kioskRow(terminal string) hub.Kiosk {
	e.t.Helper()
	var k hub.Kiosk
	err := e.store.View(ctx, func(r hub.Reader) (err error) {
		k, err = r.Kiosk(terminal)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return k
}
