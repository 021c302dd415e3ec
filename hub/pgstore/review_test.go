package pgstore_test

import (
	"context"
	"errors"
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
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/internal/pgtest"
)

// plainStore is a store without UpdateInTurn: its hub runs a push with
// Update, as a hub process whose store does not take turns would.
type plainStore struct{ hub.Store }

// TestOneBatchPushedByTwoProcesses: kiosks' batches each pushed at once to
// two hub processes on one database — one running its pushes in turn
// (UpdateInTurn), the other with plain Updates — are stored once each,
// none lost, every push answered with the batch acknowledged; and a
// reader that follows the entries by TallyMark and EntriesAfter, as the
// dashboard's cache does, misses none (their numbers commit in order).
func TestOneBatchPushedByTwoProcesses(t *testing.T) {
	url := pgtest.DB(t)
	clk := clock.NewFake(hubtest.Start)
	var hubs []*hub.Hub
	var stores []*pgstore.Store
	for i := range 2 {
		s, err := pgstore.Open(ctx, url, pgstore.Options{PoolSize: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
		var st hub.Store = s
		if i == 1 {
			st = plainStore{s}
		}
		h, err := hub.Open(ctx, t.TempDir(), hub.Options{Store: st, Clock: clk, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
		hubs = append(hubs, h)
	}
	if err := hubs[0].AddCenter(ctx, "A", "和平里党群服务中心"); err != nil {
		t.Fatal(err)
	}
	const kiosks, rounds, earns, copies = 4, 3, 10, 3
	var ks []*hubtest.Kiosk
	for j := range kiosks {
		k := hubtest.NewKiosk(fmt.Sprintf("T%d", j), "A", clk.Now)
		tok, _, err := hubs[0].IssueToken(ctx, "A", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := hubs[0].Enroll(ctx, k.Meta(), k.Enroll(tok)); err != nil {
			t.Fatal(err)
		}
		ks = append(ks, k)
	}

	// The reader: what it has read of the entries, each marked by its
	// points (a number of its own).
	done := make(chan struct{})
	seen := map[int64]int{}
	var reader sync.WaitGroup
	follow := func() error {
		var mark uint64
		for {
			var stamps []hub.EntryStamp
			err := stores[0].View(ctx, func(r hub.Reader) error {
				m, err := r.TallyMark()
				if err != nil {
					return err
				}
				if stamps, err = r.EntriesAfter(mark, 1<<20); err != nil {
					return err
				}
				mark = m.Entries
				return nil
			})
			if err != nil {
				return err
			}
			for _, s := range stamps {
				seen[s.Points]++
			}
			select {
			case <-done:
				if len(stamps) == 0 {
					return nil
				}
			default:
			}
		}
	}
	reader.Go(func() {
		if err := follow(); err != nil {
			t.Error(err)
		}
	})

	points := int64(0)
	for range rounds {
		var wg sync.WaitGroup
		for _, k := range ks {
			for range earns {
				points++
				k.Earn(1, "04A1B2C3", 1, 1, points)
			}
			p := k.Push()
			for c := range 2 * copies {
				wg.Go(func() {
					res, err := hubs[c%2].Push(ctx, k.Meta(), p)
					if err != nil || res.Refused != "" || res.Acked != k.Head() {
						t.Errorf("kiosk %s, hub %d: %+v, %v", k.Terminal, c%2, res, err)
					}
				})
			}
		}
		wg.Wait()
		for _, k := range ks {
			k.Record(hubsync.PushResult{Acked: k.Head()})
		}
	}
	close(done)
	reader.Wait()

	want := int64(0)
	err := stores[1].View(ctx, func(r hub.Reader) error {
		for _, k := range ks {
			es, err := r.Entries(k.Terminal, 0, 1<<20)
			if err != nil {
				return err
			}
			if len(es) != rounds*earns*2 {
				t.Errorf("kiosk %s: %d entries stored, want %d", k.Terminal, len(es), rounds*earns*2)
			}
			for i, e := range es {
				if e.Seq != uint64(i+1) {
					t.Errorf("kiosk %s: entry %d is seq %d", k.Terminal, i, e.Seq)
					break
				}
				want += e.Points
			}
		}
		b, err := r.Balance(1)
		if err != nil {
			return err
		}
		if b.Points != want || want != points*(points+1)/2 {
			t.Errorf("balance %d, entries' points %d, want %d", b.Points, want, points*(points+1)/2)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for p := int64(1); p <= points; p++ {
		// Each earning is a check-in (no points) and a check-out.
		if seen[p] != 1 {
			t.Errorf("the reader saw the entry of %d points %d times", p, seen[p])
		}
	}
}

// within fails the test when fn does not return in time (a turn or a lock
// left held would stall it for ever).
func within(t *testing.T, what string, fn func(ctx context.Context) error) error {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := fn(c)
	if c.Err() != nil {
		t.Fatalf("%s: still waiting after 30 s: %v", what, err)
	}
	return err
}

// TestUpdateInTurnLeavesNothingHeld: an Update in turn whose fn panics,
// returns an error or is cancelled, or that is cancelled while it waits
// for another process's, leaves neither its process's turn nor the
// registry held: the next ones, of both processes, run.
func TestUpdateInTurnLeavesNothingHeld(t *testing.T) {
	url := pgtest.DB(t)
	var stores []*pgstore.Store
	for range 2 {
		s, err := pgstore.Open(ctx, url, pgstore.Options{PoolSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	s, other := stores[0], stores[1]
	next := func(tx hub.Tx) error { _, err := tx.NextVersion(); return err }
	bothRun := func(after string) {
		t.Helper()
		for i, st := range stores {
			if err := within(t, fmt.Sprintf("after %s, process %d", after, i), func(c context.Context) error {
				return st.UpdateInTurn(c, next)
			}); err != nil {
				t.Fatalf("after %s, process %d: %v", after, i, err)
			}
		}
	}

	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v", r)
			}
		}()
		_ = s.UpdateInTurn(ctx, func(tx hub.Tx) error {
			if err := next(tx); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	bothRun("a panic")

	failed := errors.New("no")
	if err := s.UpdateInTurn(ctx, func(tx hub.Tx) error { _ = next(tx); return failed }); !errors.Is(err, failed) {
		t.Fatalf("a failing fn: %v", err)
	}
	bothRun("an error")

	c, cancel := context.WithCancel(ctx)
	err := s.UpdateInTurn(c, func(tx hub.Tx) error {
		if err := next(tx); err != nil {
			return err
		}
		cancel()
		_, err := tx.Kiosk("T1") // a query on a cancelled context
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled in fn: %v", err)
	}
	bothRun("a cancel in fn")

	// Cancelled while the other process holds the registry, and while
	// a second Update of its own process waits for its turn.
	holding, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		err := other.UpdateInTurn(ctx, func(tx hub.Tx) error {
			if err := next(tx); err != nil {
				return err
			}
			close(holding)
			<-release
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	})
	<-holding
	c, cancel = context.WithTimeout(ctx, 200*time.Millisecond)
	var waiters sync.WaitGroup
	for range 2 {
		waiters.Go(func() {
			if err := s.UpdateInTurn(c, next); err == nil {
				t.Error("an update in turn ran while another process held the registry")
			}
		})
	}
	waiters.Wait()
	cancel()
	close(release)
	wg.Wait()
	bothRun("cancels while waiting")

	err = s.View(ctx, func(r hub.Reader) error {
		v, err := r.Version()
		if err == nil && v != 9 {
			err = fmt.Errorf("version %d, want 9 (one of the holder and eight of bothRun)", v)
		}
		return err
	})
	if err != nil {
		t.Error(err)
	}
}
