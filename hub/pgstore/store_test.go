package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/pgstore"
	"github.com/hongmajia/hongmajia/hub/storetest"
	"github.com/hongmajia/hongmajia/internal/pgtest"
	"github.com/hongmajia/hongmajia/record"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var ctx = context.Background()

func open(t *testing.T) hub.Store {
	t.Helper()
	s, err := pgstore.Open(ctx, pgtest.DB(t), pgstore.Options{PoolSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestContract(t *testing.T) { storetest.Run(t, open) }

// exec runs sql on the database of url, outside any store.
func exec(t *testing.T, url string, sql ...string) {
	t.Helper()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for _, q := range sql {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	url := pgtest.DB(t)
	s, err := pgstore.Open(ctx, url, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(ctx, func(tx hub.Tx) error {
		if _, err := tx.NextVersion(); err != nil {
			return err
		}
		return tx.AddCenter(hub.Center{ID: "A", Name: "和平里"})
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = pgstore.Open(ctx, url, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.View(ctx, func(r hub.Reader) error {
		c, err := r.Center("A")
		if err != nil || c.Name != "和平里" {
			t.Errorf("center %+v, %v", c, err)
		}
		if v, err := r.Version(); err != nil || v != 1 {
			t.Errorf("version %d, %v", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRefusesAnotherDatabase(t *testing.T) {
	url := pgtest.DB(t)
	exec(t, url, "CREATE TABLE people (id integer)")
	if _, err := pgstore.Open(ctx, url, pgstore.Options{}); err == nil || !strings.Contains(err.Error(), "not a hub's database") {
		t.Errorf("another program's database opened: %v", err)
	}
}

func TestRefusesANewerSchema(t *testing.T) {
	url := pgtest.DB(t)
	s, err := pgstore.Open(ctx, url, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	exec(t, url, "UPDATE hub_schema SET version = 99")
	if _, err := pgstore.Open(ctx, url, pgstore.Options{}); err == nil || !strings.Contains(err.Error(), "newer hubd") {
		t.Errorf("a newer schema opened: %v", err)
	}
}

// TestProcessesStartingAtOnceMigrateOnce: hub processes sharing a new
// database and starting together make its tables once (the advisory
// lock), and every one opens.
func TestProcessesStartingAtOnceMigrateOnce(t *testing.T) {
	url := pgtest.DB(t)
	const n = 6
	errs := make(chan error, n)
	stores := make(chan *pgstore.Store, n)
	for range n {
		go func() {
			s, err := pgstore.Open(ctx, url, pgstore.Options{PoolSize: 2})
			if err == nil {
				stores <- s
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	close(stores)
	for s := range stores {
		s.Close()
	}
}

// TestAppendOnlyTables: the database itself refuses to change or delete an
// audit entry, a certificate or a restock (psql on the database included).
func TestAppendOnlyTables(t *testing.T) {
	url := pgtest.DB(t)
	s, err := pgstore.Open(ctx, url, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(ctx, func(tx hub.Tx) error {
		if err := tx.AddCenter(hub.Center{ID: "A", Name: "A"}); err != nil {
			return err
		}
		if err := tx.AddRestock(hub.Restock{Center: "A", Item: 1, Qty: 5, After: 5, Reason: "到货"}); err != nil {
			return err
		}
		if err := tx.AddCertificate(hub.Certificate{Number: "2026-1", Year: 2026, Seq: 1, Issuer: "A"}); err != nil {
			return err
		}
		return tx.AddAudit(hub.AuditEntry{Actor: "admin", Action: hub.AuditLogin})
	})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for _, q := range []string{"UPDATE audit SET actor = 'someone'", "DELETE FROM audit", "TRUNCATE audit",
		"UPDATE certificates SET name = 'x'", "DELETE FROM certificates", "TRUNCATE certificates",
		"UPDATE restocks SET qty = 0", "DELETE FROM restocks", "TRUNCATE restocks"} {
		if _, err := c.Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want it refused", q, err)
		}
	}
	var n int
	if err := c.QueryRow(ctx, `SELECT (SELECT count(*) FROM audit WHERE actor = 'admin') + (SELECT count(*) FROM certificates)
		+ (SELECT count(*) FROM restocks WHERE qty = 5)`).Scan(&n); err != nil || n != 3 {
		t.Errorf("rows kept: %d, %v; want the audit entry, the certificate and the restock", n, err)
	}
}

// TestPasswordNeverInAnError: a password given in the connection string
// (as a URL or key=value) is in no error Open returns, whether the string
// does not parse or the server cannot be reached.
func TestPasswordNeverInAnError(t *testing.T) {
	const pw = "s3cret-Pa55"
	for _, conn := range []string{
		"postgres://hub:" + pw + "@127.0.0.1:1/hub?sslmode=disable&connect_timeout=2",
		"postgres://hub:" + pw + "@127.0.0.1:1/hub?sslmode=bogus",
		"host=127.0.0.1 port=1 user=hub password=" + pw + " dbname=hub sslmode=disable connect_timeout=2",
		"host=127.0.0.1 port=notaport user=hub password=" + pw,
	} {
		_, err := pgstore.Open(ctx, conn, pgstore.Options{})
		if err == nil {
			t.Errorf("%s opened", conn)
			continue
		}
		if strings.Contains(err.Error(), pw) {
			t.Errorf("the password is in the error: %v", err)
		}
	}
}

// TestPasswordFromTheEnvironment: a connection string without a password
// connects with PGPASSWORD, as libpq does; a wrong one is refused without
// showing it.
func TestPasswordFromTheEnvironment(t *testing.T) {
	srv := pgtest.Start(t)
	db := srv.NewDBName(t)
	url := srv.URLWithoutPassword(db)
	t.Setenv("PGPASSWORD", srv.Password)
	s, err := pgstore.Open(ctx, url, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	t.Setenv("PGPASSWORD", "wrong-Pa55")
	_, err = pgstore.Open(ctx, url, pgstore.Options{})
	if err == nil {
		t.Fatal("opened with a wrong password")
	}
	if strings.Contains(err.Error(), "wrong-Pa55") {
		t.Errorf("the password is in the error: %v", err)
	}
}

// TestPasswordFromAPassfile: a connection string without a password
// connects with the passfile's (PGPASSFILE, ~/.pgpass's format), as libpq
// does.
func TestPasswordFromAPassfile(t *testing.T) {
	srv := pgtest.Start(t)
	db := srv.NewDBName(t)
	file := filepath.Join(t.TempDir(), "pgpass")
	line := fmt.Sprintf("127.0.0.1:%d:%s:%s:%s\n", srv.Port, db, pgtest.Superuser, srv.Password)
	if err := os.WriteFile(file, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PGPASSWORD", "")
	t.Setenv("PGPASSFILE", file)
	s, err := pgstore.Open(ctx, srv.URLWithoutPassword(db), pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	t.Setenv("PGPASSFILE", filepath.Join(t.TempDir(), "none"))
	if _, err := pgstore.Open(ctx, srv.URLWithoutPassword(db), pgstore.Options{}); err == nil {
		t.Error("opened without a password")
	}
}

// TestUpdateRunsAgainOnASerializationFailure: two Updates that read what
// the other writes conflict; the one that fails to serialize runs again
// and both land.
func TestUpdateRunsAgainOnASerializationFailure(t *testing.T) {
	s := open(t)
	defer s.Close()
	started, release := make(chan struct{}), make(chan struct{})
	runs := 0
	done := make(chan error)
	go func() {
		done <- s.Update(ctx, func(tx hub.Tx) error {
			runs++
			if _, err := tx.Balance(1); err != nil && !errors.Is(err, hub.ErrNotFound) {
				return err
			}
			if runs == 1 {
				close(started)
				<-release
			}
			return tx.PutBalance(hub.Balance{Person: 2, Points: 1})
		})
	}()
	<-started
	err := s.Update(ctx, func(tx hub.Tx) error {
		if _, err := tx.Balance(2); err != nil && !errors.Is(err, hub.ErrNotFound) {
			return err
		}
		return tx.PutBalance(hub.Balance{Person: 1, Points: 1})
	})
	close(release)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if runs != 2 {
		t.Errorf("the Update ran %d times, want 2 (once more after its serialization failure)", runs)
	}
	err = s.View(ctx, func(r hub.Reader) error {
		bs, err := r.Balances([]record.PersonID{1, 2})
		if err != nil || len(bs) != 2 {
			t.Errorf("balances %+v, %v: want both Updates' rows", bs, err)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestContendedUpdatesRunAtMostTwice: Updates that all take a version
// (every push does) and run at once each succeed by their second run: a
// retry waits for the registry before its snapshot, so it cannot lose
// again to the next. Retries is 2: one spare run for PostgreSQL's own false
// conflicts (its conflict tracking is coarse: about one run in ten of this
// test saw one in a queued run); without the queue, Updates fail here
// after three runs lost.
func TestContendedUpdatesRunAtMostTwice(t *testing.T) {
	s, err := pgstore.Open(ctx, pgtest.DB(t), pgstore.Options{PoolSize: 16, Retries: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const workers, each = 12, 10
	var mu sync.Mutex
	most := 0
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				runs := 0
				err := s.Update(ctx, func(tx hub.Tx) error {
					runs++
					b, err := tx.Balance(1)
					if errors.Is(err, hub.ErrNotFound) {
						b, err = hub.Balance{Person: 1}, nil
					}
					if err != nil {
						return err
					}
					b.Points++
					if b.Version, err = tx.NextVersion(); err != nil {
						return err
					}
					return tx.PutBalance(b)
				})
				mu.Lock()
				most = max(most, runs)
				mu.Unlock()
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var b hub.Balance
	if err := s.View(ctx, func(r hub.Reader) (err error) { b, err = r.Balance(1); return err }); err != nil {
		t.Fatal(err)
	}
	if b.Points != workers*each || b.Version != workers*each {
		t.Errorf("balance %d at version %d, want %d at %d", b.Points, b.Version, workers*each, workers*each)
	}
	t.Logf("%d Updates at once, %d each: the most runs of one %d", workers, each, most)
}

// TestPullsMissNoVersion: while Updates run at once, each taking a
// version and writing a person at it, a kiosk-like reader pulls over and
// over (Since its last Version, then that Version): it gets every person
// once. A version taken by one Update and committed after another's later
// one would be lost to it (a SEQUENCE's).
func TestPullsMissNoVersion(t *testing.T) {
	s := open(t)
	defer s.Close()
	const writers, each = 6, 15
	var wg sync.WaitGroup
	errs := make(chan error, writers+1)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := record.PersonID(1 + w*each + i)
				err := s.Update(ctx, func(tx hub.Tx) error {
					v, err := tx.NextVersion()
					if err != nil {
						return err
					}
					// Work between taking the version and committing.
					if _, err := tx.Centers(); err != nil {
						return err
					}
					return tx.PutPerson(hub.Person{ID: id, MemberNo: fmt.Sprint("M", id), Name: "p", Kind: record.RedVest, Version: v})
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	seen := map[record.PersonID]int{}
	var last uint64
	pull := func() error {
		return s.View(ctx, func(r hub.Reader) error {
			v, err := r.Version()
			if err != nil {
				return err
			}
			ch, err := r.Since(last, "A", 1_000_000)
			if err != nil {
				return err
			}
			for _, p := range ch.People {
				if p.Version > v {
					return fmt.Errorf("person %d at version %d above the snapshot's %d", p.ID, p.Version, v)
				}
				seen[p.ID]++
			}
			last = v
			return nil
		})
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		if err := pull(); err != nil {
			t.Fatal(err)
		}
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != writers*each {
		t.Errorf("the pulls got %d people of %d", len(seen), writers*each)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("person %d pulled %d times", id, n)
		}
	}
}

// TestUpdatesInTurnRunOnce: pushes at once, each reading first and then
// taking a version (as a push does), each run once in turn — none begun
// beside another only to fail at the registry and run again — from two
// stores on the database, as two hub processes; all-or-nothing still holds.
func TestUpdatesInTurnRunOnce(t *testing.T) {
	url := pgtest.DB(t)
	var stores []*pgstore.Store
	for range 2 {
		s, err := pgstore.Open(ctx, url, pgstore.Options{PoolSize: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	const n = 12
	var runs atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := stores[i%2].UpdateInTurn(ctx, func(tx hub.Tx) error {
				runs.Add(1)
				if _, err := tx.Version(); err != nil {
					return err
				}
				time.Sleep(5 * time.Millisecond) // the reads of a push
				v, err := tx.NextVersion()
				if err != nil {
					return err
				}
				return tx.PutBalance(hub.Balance{Person: record.PersonID(i + 1), Points: int64(i), Version: v})
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := runs.Load(); got != n {
		t.Errorf("%d updates in turn ran %d times", n, got)
	}
	failed := errors.New("no")
	if err := stores[0].UpdateInTurn(ctx, func(tx hub.Tx) error {
		if _, err := tx.NextVersion(); err != nil {
			return err
		}
		return failed
	}); !errors.Is(err, failed) {
		t.Fatalf("a failing update in turn: %v", err)
	}
	err := stores[1].View(ctx, func(r hub.Reader) error {
		v, err := r.Version()
		if err != nil || v != n {
			t.Errorf("version %d after %d updates in turn and one undone: %v", v, n, err)
		}
		bs, err := r.Balances([]record.PersonID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
		if err != nil || len(bs) != n {
			t.Errorf("%d balances: %v", len(bs), err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
