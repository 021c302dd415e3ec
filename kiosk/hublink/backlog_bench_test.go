package hublink_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/kiosk/hublink"
	"github.com/hongmajia/hongmajia/ledger"
)

var (
	backlogEntries = flag.Int("hublink.backlog", 1_000_000, "BenchmarkBacklog: entries the kiosk made during the outage")
	backlogKeep    = flag.String("hublink.backlog-dir", "", "BenchmarkBacklog: keep the generated backlog (hub and kiosk) here and reuse it in later runs")
	kioskProfile   = flag.String("hublink.kiosk-cpuprofile", "", "BenchmarkBacklog: write the kiosk process's CPU profile to this file")
)

// backlogPeople is the kiosk's people: a big center's.
const backlogPeople = 2000

// backlogPrep is a hub and a kiosk ledger ready for the backlog's sync:
// the kiosk enrolled and synced once, then made Entries entries while the
// hub was out of reach.
type backlogPrep struct {
	Dir     string // hub/ and kiosk/
	Entries int
	Acked   uint64 // what the hub held before the outage
	Head    uint64
	Bytes   int64 // the kiosk's ledger file
	Made    time.Duration
	// Floor is measured on the entries as they are made, with the ledger
	// still open (opening a file of a million entries checks its
	// integrity: half a minute), or again when a kept backlog is reused.
	Floor floor `json:"-"`
}

var (
	prepOnce sync.Once
	prep     *backlogPrep
	prepErr  error
	prepTemp string // removed by TestMain
	hubdOnce sync.Once
	hubdDir  string // removed by TestMain
	hubdBin  string
	hubdErr  error
)

// childEnv names the role a re-executed test binary plays (TestMain): the
// kiosk's side of the backlog's sync, in a process of its own so that its
// peak RSS is its own.
const (
	childEnv     = "HUBLINK_BENCH_CHILD"
	childDataEnv = "HUBLINK_BENCH_DATA"
	childHubEnv  = "HUBLINK_BENCH_HUB"
	childProfEnv = "HUBLINK_BENCH_CPUPROFILE"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "sync" {
		os.Exit(syncChild())
	}
	code := m.Run()
	for _, d := range []string{prepTemp, hubdDir} {
		if d != "" {
			os.RemoveAll(d)
		}
	}
	os.Exit(code)
}

// childReport is what the kiosk's process says of its sync.
type childReport struct {
	Err      string
	Open     time.Duration // ledger.Open (it checks the file's integrity)
	Took     time.Duration // Link.Sync
	Pushed   int
	Pulled   int
	Acked    uint64
	Unsynced uint64
	CPU      time.Duration // the process's CPU time in Link.Sync
	HWMKiB   int64         // VmHWM: the process's peak RSS
	RSS      string        // its resident memory by kind at the end
}

// syncChild syncs the ledger in $HUBLINK_BENCH_DATA with the hub at
// $HUBLINK_BENCH_HUB, as `kioskctl sync --hub URL` on a stopped terminal
// would, and writes a childReport on stdout.
func syncChild() int {
	var rep childReport
	err := func() error {
		ctx := context.Background()
		dir := os.Getenv(childDataEnv)
		t0 := time.Now()
		l, err := ledger.Open(ctx, dir, ledger.Options{})
		if err != nil {
			return err
		}
		defer l.Close()
		rep.Open = time.Since(t0)
		key, err := hublink.LoadKey(dir)
		if err != nil {
			return err
		}
		ln := hublink.New(l, key, hublink.Options{URL: os.Getenv(childHubEnv), Version: "bench"})
		if path := os.Getenv(childProfEnv); path != "" {
			f, err := os.Create(path)
			if err != nil {
				return err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
			defer pprof.StopCPUProfile()
		}
		t0, c0 := time.Now(), cpuTime()
		res, err := ln.Sync(ctx)
		rep.Took, rep.CPU = time.Since(t0), cpuTime()-c0
		rep.Pushed, rep.Pulled, rep.Acked, rep.Unsynced = res.Pushed, res.Pulled, res.Acked, res.Unsynced
		return err
	}()
	if err != nil {
		rep.Err = err.Error()
	}
	rep.RSS = rssOf("self")
	rep.HWMKiB, err = vmHWM("self")
	if err != nil && rep.Err == "" {
		rep.Err = err.Error()
	}
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
		return 1
	}
	return 0
}

// vmHWM reads a process's peak resident set (VmHWM, KiB) from /proc. The
// rusage of a child is no use here: Linux carries the parent's high-water
// mark over the vfork-and-exec that os/exec does.
func vmHWM(pid string) (int64, error) {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, errors.New("no VmHWM in /proc/" + pid + "/status")
}

// gcHeap finds the largest heap a gctrace (GODEBUG=gctrace=1) reports at
// the start of a collection: the Go heap's peak, give or take a cycle.
var gcHeap = regexp.MustCompile(`(\d+)->\d+->\d+ MB`)

func maxGCHeap(trace []byte) int64 {
	var most int64
	for _, m := range gcHeap.FindAllSubmatch(trace, -1) {
		if n, err := strconv.ParseInt(string(m[1]), 10, 64); err == nil && n > most {
			most = n
		}
	}
	return most
}

// BenchmarkBacklog is a kiosk syncing 1,000,000 entries after a long
// outage (a year of a busy center's taps: 2,000 people's check-ins and
// check-outs, the redemptions until the sync was too old for them), each
// side in a process of its own: the hub is the real hubd (built here)
// serving on loopback, the kiosk a re-run of this test binary doing what
// `kioskctl sync` does on a stopped terminal. ns/op is the kiosk process's
// wall time, which includes ledger.Open's integrity check of the file;
// sync-s is Link.Sync alone (goal: under 60 s), and each side's peak RSS
// (goal: under 100 MB) is its VmHWM. The floor (see floor) is measured on
// the same entries. Each side's CPU time (the kiosk's in Link.Sync,
// hubd's whole run) and the floor's hardly depend on what else the machine
// runs; the wall times do.
func BenchmarkBacklog(b *testing.B) {
	p := backlogReady(b)
	bin := hubd(b)
	var rep childReport
	var hubHWM, hubHeap, kioskHeap int64
	var wall, hubCPU time.Duration
	var hubRSS string
	for b.Loop() {
		b.StopTimer()
		work := b.TempDir()
		hubDir, kioskDir := filepath.Join(work, "hub"), filepath.Join(work, "kiosk")
		for _, d := range [][2]string{{"hub", hubDir}, {"kiosk", kioskDir}} {
			if err := os.Mkdir(d[1], 0o700); err != nil {
				b.Fatal(err)
			}
			if err := copyDir(filepath.Join(p.Dir, d[0]), d[1]); err != nil {
				b.Fatal(err)
			}
		}
		h, err := startHubd(bin, hubDir)
		if err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=sync", childDataEnv+"="+kioskDir, childHubEnv+"="+h.url, childProfEnv+"="+*kioskProfile,
			"GODEBUG=gctrace=1")
		var out, trace bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &trace
		b.StartTimer()
		t0 := time.Now()
		err = cmd.Run()
		wall = time.Since(t0)
		b.StopTimer()
		hwm, herr := vmHWM(strconv.Itoa(h.cmd.Process.Pid))
		hubRSS = rssOf(strconv.Itoa(h.cmd.Process.Pid))
		if serr := h.stop(); serr != nil {
			b.Errorf("hubd: %v\n%s", serr, h.log.tail())
		}
		hubCPU = h.cmd.ProcessState.UserTime() + h.cmd.ProcessState.SystemTime()
		if err != nil || json.Unmarshal(out.Bytes(), &rep) != nil {
			b.Fatalf("kiosk process: %v\n%s\n%s", err, out.Bytes(), tail(trace.Bytes()))
		}
		if rep.Err != "" {
			b.Fatalf("kiosk sync: %s\nhubd: %s", rep.Err, h.log.tail())
		}
		if herr != nil {
			b.Fatal(herr)
		}
		if rep.Acked != p.Head || rep.Unsynced != 0 || rep.Pushed != int(p.Head-p.Acked) {
			b.Fatalf("synced %+v, want %d entries pushed up to %d", rep, p.Head-p.Acked, p.Head)
		}
		hubHWM, hubHeap, kioskHeap = hwm, maxGCHeap(h.log.trace()), maxGCHeap(trace.Bytes())
		b.StartTimer()
	}
	f := p.Floor
	n := float64(p.Head - p.Acked)
	b.Logf("backlog of %d entries made in %v; kiosk file %.0f MB; kiosk process %v: open %v, sync %v",
		p.Head-p.Acked, p.Made.Round(time.Second), float64(p.Bytes)/1e6, wall.Round(time.Millisecond),
		rep.Open.Round(time.Millisecond), rep.Took.Round(time.Millisecond))
	b.Logf("resident MB at the end: kiosk %s; hub %s", rep.RSS, hubRSS)
	b.ReportMetric(rep.Took.Seconds(), "sync-s")
	b.ReportMetric(rep.Open.Seconds(), "open-s")
	b.ReportMetric(n/rep.Took.Seconds(), "entries/s")
	b.ReportMetric(float64(rep.HWMKiB)/1024, "kiosk-peak-MB")
	b.ReportMetric(float64(kioskHeap), "kiosk-goheap-MB")
	b.ReportMetric(float64(hubHWM)/1024, "hub-peak-MB")
	b.ReportMetric(float64(hubHeap), "hub-goheap-MB")
	b.ReportMetric(f.Total().Seconds(), "floor-s")
	b.ReportMetric(f.Net.Seconds(), "floor-net-s")
	b.ReportMetric(f.SQL.Seconds(), "floor-sql-s")
	b.ReportMetric(f.Build.Seconds(), "encode-s")
	b.ReportMetric(float64(f.Pushes), "pushes")
	b.ReportMetric(rep.Took.Seconds()/f.Total().Seconds(), "ratio")
	b.ReportMetric(rep.CPU.Seconds(), "kiosk-cpu-s")
	b.ReportMetric(hubCPU.Seconds(), "hub-cpu-s")
	b.ReportMetric(f.CPU.Seconds(), "floor-cpu-s")
}

// backlogReady makes the backlog once per process, or finds the one
// -hublink.backlog-dir keeps.
func backlogReady(b *testing.B) *backlogPrep {
	b.Helper()
	prepOnce.Do(func() {
		dir := *backlogKeep
		if dir == "" {
			if prepTemp, prepErr = os.MkdirTemp("", "hublink-backlog-"); prepErr != nil {
				return
			}
			dir = prepTemp
		}
		var kept backlogPrep
		if readJSON(filepath.Join(dir, "backlog.json"), &kept) == nil && kept.Entries == *backlogEntries {
			kept.Dir = dir
			prep, prepErr = &kept, kept.measureFloor(context.Background())
			return
		}
		prep, prepErr = makeBacklog(context.Background(), dir, *backlogEntries)
	})
	if prepErr != nil {
		b.Fatalf("backlog: %v", prepErr)
	}
	return prep
}

// makeBacklog makes the backlog in dir: a hub (in this process, on the
// hubd layout) with the kiosk enrolled and synced, then the kiosk's
// entries: a tap every 17 s (a district's 5,000 a day), ending now.
func makeBacklog(ctx context.Context, dir string, entries int) (*backlogPrep, error) {
	t0 := time.Now()
	hubDir, kioskDir := filepath.Join(dir, "hub"), filepath.Join(dir, "kiosk")
	for _, d := range []string{hubDir, kioskDir} {
		if err := os.RemoveAll(d); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	every := 24 * time.Hour / 5000
	start := clock.Real{}.Now().Add(-time.Duration(entries+1) * every).Truncate(time.Second)
	t, err := newTaps(ctx, kioskDir, backlogPeople, clock.NewFake(start))
	if err != nil {
		return nil, err
	}
	defer t.Close()
	h, err := startHub(ctx, hubDir, t.clk)
	if err != nil {
		return nil, err
	}
	tok, err := h.token(ctx)
	if err == nil {
		var ln *hublink.Link
		if ln, err = t.enroll(ctx, h.url, tok); err == nil {
			_, err = ln.Sync(ctx)
		}
	}
	if err = errors.Join(err, h.stop()); err != nil {
		return nil, fmt.Errorf("the sync before the outage: %w", err)
	}
	before, err := t.Head(ctx)
	if err != nil {
		return nil, err
	}
	if err := t.write(ctx, entries, every); err != nil {
		return nil, err
	}
	head, err := t.Head(ctx)
	if err != nil {
		return nil, err
	}
	made := time.Since(t0)
	fl, err := floorIn(ctx, t.Ledger, before.Seq)
	if err != nil {
		return nil, err
	}
	if err := t.Close(); err != nil {
		return nil, err
	}
	size, err := dirSize(kioskDir, ledger.FileName)
	if err != nil {
		return nil, err
	}
	p := &backlogPrep{Entries: entries, Acked: before.Seq, Head: head.Seq, Bytes: size, Made: made}
	if err := writeJSON(filepath.Join(dir, "backlog.json"), p); err != nil {
		return nil, err
	}
	p.Dir, p.Floor = dir, fl
	return p, nil
}

// measureFloor measures the floor of a kept backlog.
func (p *backlogPrep) measureFloor(ctx context.Context) error {
	l, err := ledger.Open(ctx, filepath.Join(p.Dir, "kiosk"), ledger.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer l.Close()
	p.Floor, err = floorIn(ctx, l, p.Acked)
	return err
}

// floorIn measures the floor with its bare database in a temporary
// directory.
func floorIn(ctx context.Context, l *ledger.Ledger, after uint64) (floor, error) {
	tmp, err := os.MkdirTemp("", "hublink-floor-")
	if err != nil {
		return floor{}, err
	}
	defer os.RemoveAll(tmp)
	f, err := measureFloor(ctx, l, after, tmp)
	if err != nil {
		return f, fmt.Errorf("floor: %w", err)
	}
	return f, nil
}

// hubd builds cmd/hubd once per process.
func hubd(b *testing.B) string {
	b.Helper()
	hubdOnce.Do(func() {
		if hubdDir, hubdErr = os.MkdirTemp("", "hublink-hubd-"); hubdErr != nil {
			return
		}
		hubdBin = filepath.Join(hubdDir, "hubd")
		out, err := exec.Command("go", "build", "-o", hubdBin, "github.com/hongmajia/hongmajia/cmd/hubd").CombinedOutput()
		if err != nil {
			hubdErr = fmt.Errorf("go build hubd: %v\n%s", err, out)
		}
	})
	if hubdErr != nil {
		b.Fatal(hubdErr)
	}
	return hubdBin
}

// hubdProc is a running `hubd serve`.
type hubdProc struct {
	cmd *exec.Cmd
	url string
	log *logTail
}

// startHubd runs `hubd serve` on dir at a loopback port of its choosing
// and waits until it says where it listens.
func startHubd(bin, dir string) (*hubdProc, error) {
	cmd := exec.Command(bin, "serve", "--data", dir, "--listen", "127.0.0.1:0", "--log", "info")
	cmd.Env = append(os.Environ(), "GODEBUG=gctrace=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	h := &hubdProc{cmd: cmd, log: &logTail{}}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			h.log.add(line)
			if strings.Contains(line, "hubd serving") {
				for f := range strings.FieldsSeq(line) {
					if a, ok := strings.CutPrefix(f, "addr="); ok {
						addr <- a
					}
				}
			}
		}
		io.Copy(io.Discard, stderr)
		close(addr)
	}()
	select {
	case a, ok := <-addr:
		if ok {
			h.url = "http://" + a
			return h, nil
		}
	case <-time.After(time.Minute):
	}
	cmd.Process.Kill()
	cmd.Wait()
	return nil, fmt.Errorf("hubd did not say where it serves:\n%s", h.log.tail())
}

// stop asks hubd to stop (SIGTERM) and waits for it.
func (h *hubdProc) stop() error {
	if err := h.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	return h.cmd.Wait()
}

// logTail keeps what a child wrote to stderr.
type logTail struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logTail) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.WriteString(line)
	l.buf.WriteByte('\n')
}

func (l *logTail) trace() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.buf.Bytes())
}

func (l *logTail) tail() string { return string(tail(l.trace())) }

// tail is the last few lines of b, without the GC's.
func tail(b []byte) []byte {
	var keep [][]byte
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		if !bytes.HasPrefix(line, []byte("gc ")) {
			keep = append(keep, line)
		}
	}
	return bytes.Join(keep[max(0, len(keep)-20):], []byte("\n"))
}
