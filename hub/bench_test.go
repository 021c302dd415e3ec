package hub_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

// BenchmarkIngest25Kiosks is the hub taking one full batch from each of 25
// kiosks pushing at once, beside a bare SQLite bulk insert of the same rows
// (the same file settings, one transaction per batch, no checks): the
// metric ratio is the hub's rate over the bare one (the goal: at least 0.5).
// The rates are over every iteration's rows and time, so -benchtime 3x
// evens out a noisy machine.
func BenchmarkIngest25Kiosks(b *testing.B) {
	const kiosks, batch = 25, hubsync.MaxBatch
	var hubTime, bareTime time.Duration
	var rows int
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		e := newEnv(b)
		var ks []*hubtest.Kiosk
		var pushes []hubsync.Push
		for j := range kiosks {
			k := e.kiosk(fmt.Sprintf("T%02d", j), "A")
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
				res, err := e.hub.Push(ctx, k.Meta(), pushes[j])
				if err != nil || res.Refused != "" {
					b.Errorf("push: %+v %v", res, err)
				}
			}()
		}
		wg.Wait()
		hubTime += time.Since(start)
		rows += kiosks * batch
		b.StopTimer()
		bareTime += bareInsert(b, pushes)
		b.StartTimer()
	}
	hubRate, bareRate := float64(rows)/hubTime.Seconds(), float64(rows)/bareTime.Seconds()
	b.ReportMetric(hubRate, "hub-entries/s")
	b.ReportMetric(bareRate, "bare-entries/s")
	b.ReportMetric(hubRate/bareRate, "ratio")
}

// bareInsert writes the pushes' entries to a bare SQLite table, a batch
// per transaction, and returns the time it took.
func bareInsert(b *testing.B, pushes []hubsync.Push) time.Duration {
	path := filepath.Join(b.TempDir(), "bare.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE entries (terminal TEXT NOT NULL, seq INTEGER NOT NULL, id BLOB NOT NULL UNIQUE,
		person INTEGER NOT NULL, card TEXT NOT NULL, points INTEGER NOT NULL, at INTEGER NOT NULL, hash BLOB NOT NULL,
		raw BLOB NOT NULL, PRIMARY KEY (terminal, seq))`); err != nil {
		b.Fatal(err)
	}
	var decoded [][]record.Entry
	for _, p := range pushes {
		var es []record.Entry
		for _, raw := range p.Entries {
			e, err := record.DecodeEntry(raw)
			if err != nil {
				b.Fatal(err)
			}
			es = append(es, e)
		}
		decoded = append(decoded, es)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for j := range pushes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tx, err := db.Begin()
			if err != nil {
				b.Error(err)
				return
			}
			for i, e := range decoded[j] {
				if _, err := tx.Exec("INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", e.Terminal, int64(e.Seq), e.ID[:],
					int64(e.Person), string(e.Card), e.Points, e.At.UnixNano(), e.Hash[:], pushes[j].Entries[i]); err != nil {
					b.Error(err)
				}
			}
			if err := tx.Commit(); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}
