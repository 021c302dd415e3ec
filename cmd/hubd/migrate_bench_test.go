package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/hub/sqlitestore"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/internal/pgtest"
)

// benchHub is a SQLite hub of the example district's 20 people and
// kiosks entries pushed by 4 kiosks (earns: each moves a balance).
func benchHub(b *testing.B, entries int) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "hub")
	for _, c := range []string{"A", "B"} {
		if code := run(&env{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}, []string{"center", "add", "--id", c, "--name", "中心" + c, "--data", dir}); code != 0 {
			b.Fatal("center add")
		}
	}
	var errb bytes.Buffer
	if code := run(&env{stdout: &bytes.Buffer{}, stderr: &errb}, []string{"import", "people", filepath.Join(examples, "people.csv"), "--data", dir}); code != 0 {
		b.Fatal(errb.String())
	}
	h, err := openHub(ctx, &hubFlags{dir: dir}, false, hub.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	var people []hub.Person
	for i := 1; i <= 20; i++ {
		p, err := h.FindPerson(ctx, fmt.Sprintf("HPL%04d", i))
		if err != nil {
			b.Fatal(err)
		}
		people = append(people, p)
	}
	for n := 0; n < 4; n++ {
		c := []string{"A", "B"}[n%2]
		tok, _, err := h.IssueToken(ctx, c, time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		k := hubtest.NewKiosk(fmt.Sprintf("T-%d", n), c, clock.Real{}.Now)
		if _, err := h.Enroll(ctx, k.Meta(), k.Enroll(tok)); err != nil {
			b.Fatal(err)
		}
		for i := 0; i < entries/4; i++ {
			p := people[i%len(people)]
			k.Earn(p.ID, "", 1, 30, 5)
			if (i+1)%hubsync.MaxBatch == 0 || i == entries/4-1 {
				res, err := h.Push(ctx, k.Meta(), k.Push())
				if err != nil || res.Refused != "" {
					b.Fatalf("push: %+v, %v", res, err)
				}
				k.Record(res)
			}
		}
	}
	return dir
}

// BenchmarkMigrate copies a hub of 20,000 entries from SQLite into an
// empty PostgreSQL database (pgtest's server on the same machine) and
// verifies it: rows/s of the whole migrate, beside dump-rows/s, the
// floor of reading the same rows from hub.db alone.
func BenchmarkMigrate(b *testing.B) {
	srv := pgtest.Start(b)
	dir := benchHub(b, 20000)
	pw := passwordFile(b, srv.Password)

	src, err := sqlitestore.OpenReadOnly(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	var rows int64
	start := time.Now()
	err = src.Dump(ctx, func(_ string, _ []string, row []any) error {
		if row != nil {
			rows++
		}
		return nil
	})
	dump := time.Since(start)
	src.Close()
	if err != nil {
		b.Fatal(err)
	}

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := srv.URLWithoutPassword(srv.NewDBName(b))
		var out, errb bytes.Buffer
		b.StartTimer()
		if code := run(&env{stdout: &out, stderr: &errb}, []string{"migrate", "--db", db, "--db-password-file", pw, "--data", dir}); code != 0 {
			b.Fatalf("migrate: %d %s", code, errb.String())
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(rows)/dump.Seconds(), "dump-rows/s")
	b.ReportMetric(float64(rows), "rows")
}
