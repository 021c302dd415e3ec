package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/server"
	"github.com/hongmajia/hongmajia/hub/sqlitestore"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/kiosk/app"
	"github.com/hongmajia/hongmajia/kiosk/control"
	"github.com/hongmajia/hongmajia/kiosk/hublink"
	"github.com/hongmajia/hongmajia/kiosk/update"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/demo"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// testHub is a real district hub in the test's process: its SQLite store,
// its HTTP server on loopback, the center kioskctl init makes.
type testHub struct {
	hub *hub.Hub
	url string
}

func startHub(t *testing.T, clk clock.Clock) *testHub {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlitestore.Open(ctx, dir, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := hub.Open(ctx, dir, hub.Options{Store: st, Clock: clk, Log: log, PIN: hub.PINParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.AddCenter(ctx, "hepingli", "和平里街道党群服务中心"); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- server.New(h, log).Serve(sctx, ln, nil) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		h.Close()
	})
	return &testHub{hub: h, url: "http://" + ln.Addr().String()}
}

func (h *testHub) token(t *testing.T) string {
	t.Helper()
	tok, _, err := h.hub.IssueToken(context.Background(), "hepingli", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// workingCenter is a center made with kioskctl init and import, with a
// volunteer checked in: people, cards and entries the hub does not hold.
func workingCenter(t *testing.T) string {
	t.Helper()
	dir := newCenter(t)
	must(t, "import", "people", filepath.Join(examples, "people.csv"), "--data", dir)
	must(t, "import", "activities", filepath.Join(examples, "activities.csv"), "--data", dir)
	l := openDemo(t, dir)
	ctx := context.Background()
	station, err := l.StationActivity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: "3A7F2C91", Activity: station.ID}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	return dir
}

func statusJSON(t *testing.T, dir string) statusReport {
	t.Helper()
	out := must(t, "status", "--json", "--data", dir)
	var r statusReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	return r
}

// TestEnrollSyncVerifyAStoppedKiosk: a center that started alone joins its
// hub and brings everything at its first sync; status and verify --hub
// say where it stands.
func TestEnrollSyncVerifyAStoppedKiosk(t *testing.T) {
	h := startHub(t, clock.Real{})
	dir := workingCenter(t)
	if r := statusJSON(t, dir); r.Enrolled || r.Hub != "" || r.Running {
		t.Fatalf("status before enrolling: %+v", r)
	}
	tok := h.token(t)
	out := must(t, "enroll", "--data", dir, "--hub", h.url, "--token", tok)
	wantIn(t, "enroll", out, "已接入区平台", "和平里街道党群服务中心 (hepingli)", h.url, h.hub.Fingerprint(), "kioskctl sync --data "+dir)
	st, err := os.Stat(filepath.Join(dir, hublink.KeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("kiosk key %v %v, want mode 0600", st, err)
	}
	key, err := hublink.LoadKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	kioskFP := hubsync.Fingerprint(key.Public().(ed25519.PublicKey))
	wantIn(t, "enroll", out, kioskFP)
	if strings.Contains(out, tok) {
		t.Error("enroll printed the token")
	}
	r := statusJSON(t, dir)
	if !r.Enrolled || r.Hub != h.url || r.Running || r.LastSync != nil || r.Unsynced == 0 || r.ChangesUnsynced == 0 {
		t.Fatalf("status after enrolling: %+v", r)
	}
	head := r.HeadSeq

	out = must(t, "sync", "--data", dir)
	wantIn(t, "sync", out, "同步完成", "on the data directory", "上传 pushed", "已确认 acknowledged", "up to seq "+strconv.FormatUint(head, 10)+"; 0 entries unsynced")
	r = statusJSON(t, dir)
	if r.Unsynced != 0 || r.AckedSeq != head || r.ChangesUnsynced != 0 || r.LastSync == nil || r.LastPush == nil || r.RegistryVersion == 0 || r.Fork {
		t.Fatalf("status after the sync: %+v", r)
	}
	// The hub holds the center's people, matched by member number.
	p, err := openDemo(t, dir).PersonByMemberNo(context.Background(), "HPL0001")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.hub.DistrictBalance(context.Background(), p.ID); err != nil {
		t.Errorf("the hub does not know 王堃: %v", err)
	}
	out = must(t, "status", "--data", dir)
	wantIn(t, "status", out, "区平台 hub", h.url, "上次上传 last push", "登记版本 registry version", "not running")

	out = must(t, "verify", "--hub", "--data", dir)
	wantIn(t, "verify --hub", out, ": OK", "区平台锚点 hub anchor: seq "+strconv.FormatUint(head, 10), "与区平台一致")

	// Nothing new: nothing pushed; the report as JSON.
	out = must(t, "sync", "--json", "--data", dir)
	var rep control.SyncReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if !rep.OK || rep.Pushed != 0 || rep.Acked != head {
		t.Errorf("second sync: %+v", rep)
	}

	// The hub moved: --hub on the stopped kiosk reaches it; a dead address
	// is a failure that says the kiosk tries again tonight.
	out = must(t, "sync", "--data", dir, "--hub", h.url)
	wantIn(t, "sync --hub", out, "同步完成")
	// One more entry, which the dead hub will not get.
	l := openDemo(t, dir)
	if _, err := l.CheckOut(context.Background(), ledger.CheckOut{ID: record.NewEntryID(), Card: "3A7F2C91"}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	code, out, stderr := kioskctl(t, "sync", "--data", dir, "--hub", deadURL(t))
	if code != 1 {
		t.Fatalf("sync with a dead hub: exit %d\n%s%s", code, out, stderr)
	}
	wantIn(t, "sync with a dead hub", out, "同步失败", "up to seq "+strconv.FormatUint(head, 10)+"; 1 entries unsynced", "connection refused")
	wantIn(t, "sync with a dead hub", stderr, "网络不通", "tries again tonight")
}

// deadURL is an address where nothing listens.
func deadURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	return "http://" + ln.Addr().String()
}

func TestEnrollRefusals(t *testing.T) {
	h := startHub(t, clock.Real{})
	dir := workingCenter(t)
	// Usage: no hub, not an address; exit 2 before anything is touched.
	for _, args := range [][]string{{}, {"--hub", "hub.example.org"}, {"--hub", "ftp://hub"}, {"--hub", h.url, "extra"}} {
		if code, _, stderr := kioskctlIn(t, nil, append([]string{"enroll", "--data", dir}, args...)...); code != 2 {
			t.Errorf("enroll %q: exit %d, want 2: %s", args, code, stderr)
		}
	}
	// The token from stdin (--token -), a line as a script gives it.
	tok := h.token(t)
	if code, out, stderr := kioskctlIn(t, pipe(t, tok+"\n"), "enroll", "--data", dir, "--hub", h.url, "--token", "-"); code != 0 {
		t.Fatalf("token from stdin: exit %d\n%s%s", code, out, stderr)
	}
	// A used token, an unknown one: refused, and said why.
	other := workingCenter(t)
	for name, tok := range map[string]string{"used": tok, "unknown": "not-a-token"} {
		code, _, stderr := kioskctlIn(t, pipe(t, tok+"\n"), "enroll", "--data", other, "--hub", h.url)
		if code != 1 || !strings.Contains(stderr, "refused the token") {
			t.Errorf("%s token: exit %d: %s", name, code, stderr)
		}
	}
	if r := statusJSON(t, other); r.Enrolled {
		t.Error("a refused enrollment enrolled")
	}
	// No token at all.
	if code, _, stderr := kioskctlIn(t, pipe(t, ""), "enroll", "--data", other, "--hub", h.url); code != 1 || !strings.Contains(stderr, "token") {
		t.Errorf("no token: exit %d: %s", code, stderr)
	}
	// Not while a terminal runs: its lock is held.
	lock, err := control.LockData(other)
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr := kioskctlIn(t, pipe(t, h.token(t)+"\n"), "enroll", "--data", other, "--hub", h.url)
	lock.Close()
	if code != 1 || !strings.Contains(stderr, "enroll needs the terminal stopped") || !strings.Contains(stderr, "process") {
		t.Errorf("enroll beside a terminal: exit %d: %s", code, stderr)
	}
	// A hub that is not there.
	code, _, stderr = kioskctlIn(t, pipe(t, "x\n"), "enroll", "--data", other, "--hub", deadURL(t))
	if code != 1 || !strings.Contains(stderr, "the hub was not reached") {
		t.Errorf("a dead hub: exit %d: %s", code, stderr)
	}
	// A directory with no ledger.
	code, _, stderr = kioskctlIn(t, pipe(t, "x\n"), "enroll", "--data", t.TempDir(), "--hub", h.url)
	if code != 1 || !strings.Contains(stderr, "no ledger") {
		t.Errorf("no ledger: exit %d: %s", code, stderr)
	}
}

func TestSyncAndVerifyRefusals(t *testing.T) {
	dir := workingCenter(t)
	code, _, stderr := kioskctl(t, "sync", "--data", dir)
	if code != 1 || !strings.Contains(stderr, "not enrolled") {
		t.Errorf("sync of a kiosk not enrolled: exit %d: %s", code, stderr)
	}
	code, out, stderr := kioskctl(t, "verify", "--hub", "--data", dir)
	if code != 1 || !strings.Contains(out, ": OK") || !strings.Contains(stderr, "never enrolled") {
		t.Errorf("verify --hub of a kiosk not enrolled: exit %d: %s%s", code, out, stderr)
	}
	if code, _, _ := kioskctl(t, "sync", "--data", dir, "--hub", "nope"); code != 2 {
		t.Errorf("sync --hub nope: exit %d, want 2", code)
	}
	lock, err := control.LockData(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if code, _, stderr := kioskctl(t, "sync", "--data", dir); code != 1 || !strings.Contains(stderr, "needs the terminal stopped") {
		t.Errorf("sync beside a terminal that does not answer: exit %d: %s", code, stderr)
	}
}

// copyLedgerFiles copies a stopped kiosk's ledger files from src to dst.
func copyLedgerFiles(t *testing.T, src, dst string) {
	t.Helper()
	for _, name := range []string{ledger.FileName, ledger.FileName + "-wal"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if os.IsNotExist(err) {
			os.Remove(filepath.Join(dst, name))
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	os.Remove(filepath.Join(dst, ledger.FileName+"-shm"))
}

// TestRestoreFromHub: a kiosk's SD card dies; a new card is restored from
// the hub with the district's restore token, and goes on with the chain.
func TestRestoreFromHub(t *testing.T) {
	h := startHub(t, clock.Real{})
	dir := workingCenter(t)
	must(t, "enroll", "--data", dir, "--hub", h.url, "--token", h.token(t))
	must(t, "sync", "--data", dir)
	before := statusJSON(t, dir)
	tok, _, err := h.hub.RestoreToken(context.Background(), before.Terminal, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		say  string
	}{
		{[]string{"--hub", h.url, "--terminal", before.Terminal}, 2, "--from-hub"},
		{[]string{"--from-hub", "--terminal", before.Terminal}, 2, "--hub URL and --terminal ID"},
		{[]string{"--from-hub", "--hub", h.url}, 2, "--hub URL and --terminal ID"},
		{[]string{"--from-hub", "--hub", "nope", "--terminal", before.Terminal}, 2, "the hub's address"},
	} {
		code, _, stderr := kioskctlIn(t, pipe(t, tok+"\n"), append([]string{"restore", "--data", t.TempDir()}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.say) {
			t.Errorf("restore %q: exit %d: %s", tc.args, code, stderr)
		}
	}
	// Never over a ledger.
	code, _, stderr := kioskctlIn(t, pipe(t, tok+"\n"), "restore", "--from-hub", "--data", dir, "--hub", h.url, "--terminal", before.Terminal)
	if code != 1 || !strings.Contains(stderr, "a ledger already exists in "+dir) {
		t.Fatalf("restore over a ledger: exit %d: %s", code, stderr)
	}

	fresh := filepath.Join(t.TempDir(), "data") // a new SD card: the directory made too
	code, out, stderr := kioskctlIn(t, pipe(t, tok+"\n"), "restore", "--from-hub", "--data", fresh, "--hub", h.url, "--terminal", before.Terminal, "--token", "-")
	if code != 0 {
		t.Fatalf("restore: exit %d\n%s%s", code, out, stderr)
	}
	wantIn(t, "restore", out, "已恢复", before.Terminal, "和平里街道党群服务中心 (hepingli)", h.url,
		"流水 entries", "up to seq "+strconv.FormatUint(before.HeadSeq, 10), "校验 verify", "OK")
	after := statusJSON(t, fresh)
	if after.Terminal != before.Terminal || after.HeadSeq != before.HeadSeq || !after.Enrolled || after.Unsynced != 0 {
		t.Fatalf("restored status %+v, was %+v", after, before)
	}
	must(t, "verify", "--hub", "--data", fresh)
	// It goes on with the chain, and syncs.
	l := openDemo(t, fresh)
	if _, err := l.CheckOut(context.Background(), ledger.CheckOut{ID: record.NewEntryID(), Card: "3A7F2C91"}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	wantIn(t, "sync after restore", must(t, "sync", "--data", fresh), "同步完成", "up to seq "+strconv.FormatUint(before.HeadSeq+1, 10))
	// The token was spent.
	code, _, stderr = kioskctlIn(t, pipe(t, tok+"\n"), "restore", "--from-hub", "--data", t.TempDir(), "--hub", h.url, "--terminal", before.Terminal)
	if code != 1 || !strings.Contains(stderr, "refused the token") {
		t.Errorf("restore with a spent token: exit %d: %s", code, stderr)
	}
}

// rollBack enrolls and syncs a center, syncs one more entry, then puts the
// ledger back as it was before it: what the hub acknowledged is gone.
func rollBack(t *testing.T, h *testHub) string {
	t.Helper()
	dir := workingCenter(t)
	must(t, "enroll", "--data", dir, "--hub", h.url, "--token", h.token(t))
	must(t, "sync", "--data", dir)
	saved := t.TempDir()
	copyLedgerFiles(t, dir, saved)
	l := openDemo(t, dir)
	if _, err := l.CheckOut(context.Background(), ledger.CheckOut{ID: record.NewEntryID(), Card: "3A7F2C91"}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	must(t, "sync", "--data", dir)
	copyLedgerFiles(t, saved, dir)
	return dir
}

// TestForkIsFound: a ledger rolled back behind what the hub acknowledged
// fails verify --hub and sync, says a technician must restore it, and
// status shows it.
func TestForkIsFound(t *testing.T) {
	// An NTP-synced clock: the rolled-back ledger's request counter jumps
	// past what the hub saw, so the hub answers with the fork itself.
	ledgerOptions.Sync = clock.NewFakeSync(true)
	t.Cleanup(func() { ledgerOptions.Sync = nil })
	dir := rollBack(t, startHub(t, clock.Real{}))
	code, out, stderr := kioskctl(t, "verify", "--hub", "--data", dir)
	if code != 1 {
		t.Fatalf("verify --hub of a rolled-back ledger: exit %d\n%s%s", code, out, stderr)
	}
	wantIn(t, "verify --hub", out, ": OK", "账本不一致 FORK")
	wantIn(t, "verify --hub", stderr, "restore it from the hub")
	code, out, stderr = kioskctl(t, "sync", "--data", dir)
	if code != 1 {
		t.Fatalf("sync of a rolled-back ledger: exit %d\n%s%s", code, out, stderr)
	}
	wantIn(t, "sync", stderr, "账本不一致", "a technician must restore it from the hub")
	if r := statusJSON(t, dir); !r.Fork || r.LastRefusal == "" {
		t.Errorf("status of a rolled-back ledger: %+v", r)
	}
	wantIn(t, "status", must(t, "status", "--data", dir), "账本不一致 FORK", "拒收 last refusal")
}

// TestRollbackWithAnUntrustedClock: without NTP the rolled-back ledger
// counts again through request counters the hub has seen; it is refused as
// a replay, and kioskctl says what that means.
func TestRollbackWithAnUntrustedClock(t *testing.T) {
	ledgerOptions.Sync = clock.NewFakeSync(false)
	t.Cleanup(func() { ledgerOptions.Sync = nil })
	dir := rollBack(t, startHub(t, clock.Real{}))
	code, out, stderr := kioskctl(t, "sync", "--data", dir)
	if code != 1 {
		t.Fatalf("sync of a rolled-back ledger: exit %d\n%s%s", code, out, stderr)
	}
	wantIn(t, "sync", stderr, "went back in time", "a technician looks")
}

// TestSyncThroughTheRunningTerminal: with the terminal running, sync,
// status and verify --hub ask it over its control socket; what needs it
// stopped says so.
func TestSyncThroughTheRunningTerminal(t *testing.T) {
	dir, err := os.MkdirTemp("", "hmj") // a socket path must fit in 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ctx := context.Background()
	clk := clock.NewFake(ledgertest.Start)
	lo := ledgertest.Options(clk, clock.NewFakeSync(true))
	if _, err := demo.Create(ctx, dir, demo.Options{People: 10, NoHistory: true, Ledger: lo}); err != nil {
		t.Fatal(err)
	}
	h := startHub(t, clk)
	l, err := ledger.Open(ctx, dir, lo)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hublink.Enroll(ctx, dir, l, h.url, h.token(t), hublink.Options{Clock: clk, Sync: lo.Sync}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	cfg := app.DefaultConfig()
	cfg.Data, cfg.Headless = dir, true
	a, err := app.NewApp(ctx, cfg, &app.AppOptions{Clock: clk, Logf: t.Logf, Ledger: lo})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })

	r := statusJSON(t, dir)
	if !r.Running || r.SyncLink != "on" || r.NextSync == nil || r.LastTry != nil || r.Unsynced == 0 || r.Hub != h.url {
		t.Fatalf("status of the running terminal: %+v", r)
	}
	head := r.HeadSeq
	out := must(t, "sync", "--data", dir)
	wantIn(t, "sync", out, "同步完成", "by the running terminal", "up to seq "+strconv.FormatUint(head, 10)+"; 0 entries unsynced")
	r = statusJSON(t, dir)
	if r.Unsynced != 0 || r.LastTry == nil || !r.LastTry.OK || r.LastSync == nil {
		t.Fatalf("status after the sync: %+v", r)
	}
	wantIn(t, "status", must(t, "status", "--data", dir), "自动同步 nightly sync", "on, next night", "上次尝试 last try")
	out = must(t, "verify", "--hub", "--data", dir)
	wantIn(t, "verify --hub", out, "区平台锚点 hub anchor: seq "+strconv.FormatUint(head, 10), "与区平台一致")

	code, _, stderr := kioskctl(t, "sync", "--data", dir, "--hub", h.url)
	if code != 1 || !strings.Contains(stderr, "the terminal is running") {
		t.Errorf("sync --hub beside a running terminal: exit %d: %s", code, stderr)
	}
	code, _, stderr = kioskctlIn(t, pipe(t, h.token(t)+"\n"), "enroll", "--data", dir, "--hub", h.url)
	if code != 1 || !strings.Contains(stderr, "enroll needs the terminal stopped") {
		t.Errorf("enroll beside a running terminal: exit %d: %s", code, stderr)
	}
}

// TestEnrollAndSyncReportTheInstalledVersion: enrolled and synced by
// kioskctl before the kiosk starts (the technician's chapter), the kiosk
// shows the hub the version installed in its versions directory, as the
// running kiosk does, not the name of the program that synced.
func TestEnrollAndSyncReportTheInstalledVersion(t *testing.T) {
	h := startHub(t, clock.Real{})
	dir := workingCenter(t)
	version := func() string {
		t.Helper()
		ks, err := h.hub.Status(context.Background())
		if err != nil || len(ks) != 1 {
			t.Fatalf("hub status: %v %v", ks, err)
		}
		return ks[0].Version
	}
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "kioskctl"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := update.Seed(filepath.Join(dir, "versions"), src, "1.4.1", runtime.GOARCH, ledger.SchemaVersion()); err != nil {
		t.Fatal(err)
	}
	must(t, "enroll", "--data", dir, "--hub", h.url, "--token", h.token(t))
	if v := version(); v != "1.4.1" {
		t.Errorf("after enroll the hub shows version %q, want 1.4.1", v)
	}
	must(t, "sync", "--data", dir)
	if v := version(); v != "1.4.1" {
		t.Errorf("after sync the hub shows version %q, want 1.4.1", v)
	}
}
