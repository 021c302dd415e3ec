package web_test

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/hub/sqlitestore"
	"github.com/hongmajia/hongmajia/hub/web"
	"github.com/hongmajia/hongmajia/internal/pgtest"
)

// The benchmarks' hub (bench_test.go's district) is made once a run and
// shared: in -dashboard.dir when given (kept for the next run), else in a
// temporary directory removed when the run ends (TestMain).
var benchHub struct {
	once sync.Once
	dir  string
	temp bool
	err  error
}

// benchHubDir is the directory of the benchmarks' hub, made the first
// time a benchmark asks.
func benchHubDir(b *testing.B) string {
	b.Helper()
	benchHub.once.Do(func() {
		if *benchDir != "" {
			benchHub.dir = filepath.Join(*benchDir, "sqlite")
		} else {
			benchHub.dir, benchHub.err = os.MkdirTemp("", "hub-bench-")
			benchHub.temp = true
			if benchHub.err != nil {
				return
			}
		}
		st, err := sqlitestore.Open(ctx, benchHub.dir, sqlitestore.Options{})
		if err != nil {
			benchHub.err = err
			return
		}
		defer st.Close()
		makeBenchHub(b, st, st.Path(), *benchPeople, *benchEntries)
	})
	if benchHub.err != nil {
		b.Fatal(benchHub.err)
	}
	return benchHub.dir
}

func TestMain(m *testing.M) {
	code := pgtest.Run(m)
	if benchHub.temp {
		os.RemoveAll(benchHub.dir)
	}
	os.Exit(code)
}

// The year and center the export benchmark exports: a full year of the
// 36 months before the clock (2026-03-02), at one of the 22 centers.
const (
	exportBenchYear   = "2025"
	exportBenchCenter = "C03"
)

// heapPeak samples the heap's objects (live and not yet collected) until
// stopped, from a collected heap.
type heapPeak struct {
	stop chan struct{}
	done chan struct{}
	base uint64
	peak atomic.Uint64
}

func startHeapPeak() *heapPeak {
	runtime.GC()
	h := &heapPeak{stop: make(chan struct{}), done: make(chan struct{})}
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	h.base = s[0].Value.Uint64()
	go func() {
		defer close(h.done)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > h.peak.Load() {
				h.peak.Store(v)
			}
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

// MB is the peak above the heap it started from, in MB.
func (h *heapPeak) MB() float64 {
	close(h.stop)
	<-h.done
	return float64(h.peak.Load()-min(h.base, h.peak.Load())) / (1 << 20)
}

// BenchmarkServiceExport: 服务记录导出, a year of one center's shifts as
// XLSX (and CSV) through the web, on the dashboard benchmark's hub
// (-dashboard.people, -dashboard.entries, -dashboard.dir), beside its
// floor (the same rows read from the hub, nothing written) and a peer
// that holds the whole table in memory and writes it with excelize. Each
// reports the rows, rows/s, the time to the first byte and to the last,
// the file's size and the heap's peak above where it started.
//
//	go test -run '^$' -bench ServiceExport -benchtime 5x ./hub/web \
//		-args -dashboard.people 100000 -dashboard.entries 5000000 -dashboard.dir /var/tmp/dash5m
func BenchmarkServiceExport(b *testing.B) {
	dir := benchHubDir(b)
	st, err := sqlitestore.Open(ctx, dir, sqlitestore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	clk := clock.NewFake(hubtest.Start)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := hub.Open(ctx, dir, hub.Options{Store: st, Clock: clk, PIN: cheap, Password: cheap, Log: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	if _, err := h.AddUser(ctx, hub.CommandLine("bench"), hub.NewUser{Name: "王芳", Role: hub.RoleDistrict, Password: password}); err != nil && !errors.Is(err, hub.ErrExists) {
		b.Fatal(err)
	}
	w, err := web.New(h, web.Options{Log: quiet})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(w)
	defer srv.Close()
	e := &env{t: b, clk: clk, hub: h, store: st, srv: srv, log: &lockedLog{}}
	br := e.browser()
	br.login("王芳")
	u, _ := url.Parse(srv.URL)
	cookies := br.client.Jar.Cookies(u)

	type run struct {
		rows       int
		bytes      int64
		first, all time.Duration
		heapMB     float64
	}
	// report reports the median run of b's.
	report := func(b *testing.B, runs []run) {
		slices.SortFunc(runs, func(x, y run) int { return int(x.all - y.all) })
		r := runs[len(runs)/2]
		b.ReportMetric(float64(r.rows), "rows")
		b.ReportMetric(float64(r.rows)/r.all.Seconds(), "rows/s")
		b.ReportMetric(float64(r.all.Milliseconds()), "total-ms")
		b.ReportMetric(float64(r.first.Milliseconds()), "first-byte-ms")
		b.ReportMetric(float64(r.bytes)/(1<<20), "file-MB")
		b.ReportMetric(r.heapMB, "peak-heap-MB")
	}
	// download is one export over HTTP, the body read as it comes.
	download := func(b *testing.B, format string) run {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/service/export/records."+format+"?center="+exportBenchCenter+"&year="+exportBenchYear, nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		peak := startHeapPeak()
		t0 := time.Now()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("the export: %d", res.StatusCode)
		}
		var r run
		buf := make([]byte, 64<<10)
		for {
			n, err := res.Body.Read(buf)
			if n > 0 && r.bytes == 0 {
				r.first = time.Since(t0)
			}
			r.bytes += int64(n)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		r.all = time.Since(t0)
		r.heapMB = peak.MB()
		return r
	}
	year := hub.RecordQuery{From: time.Date(2025, 1, 1, 0, 0, 0, 0, hubtest.Start.Location()), To: time.Date(2026, 1, 1, 0, 0, 0, 0, hubtest.Start.Location())}
	// lines is the year's rows as the export reads them.
	lines := func(b *testing.B, fn func(hub.ServiceLine)) {
		rows, err := h.CenterService(ctx, hub.DistrictScope(), exportBenchCenter, year)
		if err != nil {
			b.Fatal(err)
		}
		for l, err := range rows {
			if err != nil {
				b.Fatal(err)
			}
			fn(l)
		}
	}
	// want is the year's rows, for the downloads' counts.
	var want int
	lines(b, func(hub.ServiceLine) { want++ })

	// The floor: the same rows read, nothing written.
	b.Run("floor-read", func(b *testing.B) {
		var runs []run
		for b.Loop() {
			peak := startHeapPeak()
			t0 := time.Now()
			var r run
			lines(b, func(hub.ServiceLine) {
				r.rows++
				if r.rows == 1 {
					r.first = time.Since(t0)
				}
			})
			r.all, r.heapMB = time.Since(t0), peak.MB()
			runs = append(runs, r)
		}
		report(b, runs)
	})
	for _, format := range []string{web.FormatXLSX, web.FormatCSV} {
		b.Run(format, func(b *testing.B) {
			var runs []run
			for b.Loop() {
				r := download(b, format)
				r.rows = want
				runs = append(runs, r)
			}
			report(b, runs)
		})
	}
	// The peer: the whole table in memory, then a workbook of it written
	// by excelize's StreamWriter (the file's first byte after its last
	// row).
	b.Run("whole-table-excelize", func(b *testing.B) {
		var runs []run
		for b.Loop() {
			peak := startHeapPeak()
			t0 := time.Now()
			var table [][]any
			lines(b, func(l hub.ServiceLine) {
				table = append(table, []any{l.At().Format("2006-01-02"), l.Person.Name, l.Person.MemberNo, l.ActivityName, l.In, l.Out,
					float64(l.Minutes) / 60, l.Points, int(l.State), l.Reason, ""})
			})
			f := excelize.NewFile()
			sw, err := f.NewStreamWriter("Sheet1")
			if err != nil {
				b.Fatal(err)
			}
			for i, row := range table {
				cell, _ := excelize.CoordinatesToCellName(1, i+1)
				if err := sw.SetRow(cell, row); err != nil {
					b.Fatal(err)
				}
			}
			if err := sw.Flush(); err != nil {
				b.Fatal(err)
			}
			cw := &countingWriter{}
			first := time.Since(t0)
			if err := f.Write(cw); err != nil {
				b.Fatal(err)
			}
			f.Close()
			runs = append(runs, run{rows: len(table), bytes: int64(cw.n), first: first, all: time.Since(t0), heapMB: peak.MB()})
		}
		report(b, runs)
	})
}

// countingWriter counts what is written to it.
type countingWriter struct{ n int }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }
