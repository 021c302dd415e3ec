package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/kiosk/control"
	"github.com/hongmajia/hongmajia/ledger"
)

func TestStatusText(t *testing.T) {
	dir := demoData(t)
	code, out, stderr := kioskctl(t, "status", "--data", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	st, err := openDemo(t, dir).Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	wantIn(t, "status", out,
		"中心 center", "和平里街道党群服务中心 (hepingli)",
		"站点活动 station activity    便民服务",
		"人员 people                  15",
		"卡片 cards                   "+n(st.Cards),
		"在岗 open shifts             2",
		"流水 entries                 "+n(st.Entries),
		"未同步 unsynced entries      "+n(st.Entries)+" (hub holds up to seq 0 of "+n(st.Entries)+")",
		"上次同步 last sync           从未 never",
		"数据库 database", "KiB", "剩余空间 free disk")
}

func TestStatusJSONFollowsTheLedger(t *testing.T) {
	dir := demoData(t)
	read := func() statusReport {
		t.Helper()
		code, out, stderr := kioskctl(t, "status", "--json", "--data", dir)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var r statusReport
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v in %s", err, out)
		}
		return r
	}
	r := read()
	if r.People != 15 || r.Entries == 0 || r.Unsynced != uint64(r.Entries) || r.LastSync != nil || r.Enrolled {
		t.Errorf("status = %+v", r)
	}
	if r.DBBytes <= 0 || r.FreeBytes == 0 || r.CenterName != "和平里街道党群服务中心" || r.StationActivity != "便民服务" {
		t.Errorf("status = %+v", r)
	}

	// The hub acknowledges some entries and a sync is recorded: status says so.
	l := openDemo(t, dir)
	ctx := context.Background()
	if err := l.Acknowledge(ctx, 100); err != nil {
		t.Fatal(err)
	}
	if err := l.RecordSync(ctx); err != nil {
		t.Fatal(err)
	}
	r = read()
	if r.AckedSeq != 100 || r.Unsynced != uint64(r.Entries)-100 || r.LastSync == nil || time.Since(*r.LastSync) > time.Minute {
		t.Errorf("after a sync: %+v", r)
	}
	code, out, _ := kioskctl(t, "status", "--data", dir)
	if code != 0 {
		t.Fatal(code)
	}
	wantIn(t, "status", out, "hub holds up to seq 100", r.LastSync.In(l.Location()).Format(time.DateTime))
}

func TestStatusRefusesWhatIsNotALedger(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ledger.FileName)
	if err := os.WriteFile(path, make([]byte, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct{ dir, want string }{
		"missing directory":       {filepath.Join(dir, "nowhere"), "does not exist"},
		"a file, not a directory": {path, "is not a directory"},
		"zeros, not a database":   {dir, "not a database"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := kioskctl(t, "status", "--data", tc.dir)
			if code != 1 {
				t.Fatalf("exit %d, want 1", code)
			}
			wantIn(t, "stderr", stderr, tc.dir, tc.want)
		})
	}
}

// status says which version the versions directory makes current, the one
// a rollback goes back to, and the running terminal's build.
func TestStatusVersions(t *testing.T) {
	dir := demoData(t)
	code, out, stderr := kioskctl(t, "status", "--data", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	wantIn(t, "status", out, "版本 version", "as the package installed it", "构建 build", "terminal not running, kioskctl ")

	versions := filepath.Join(dir, "versions")
	for _, v := range []string{"1.2.0", "1.3.0"} {
		if err := os.MkdirAll(filepath.Join(versions, v), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("1.3.0", filepath.Join(versions, "current")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("1.2.0", filepath.Join(versions, "previous")); err != nil {
		t.Fatal(err)
	}
	// A terminal that answers on the control socket.
	ln, err := control.Listen(control.SocketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- (&control.Server{Handler: func(context.Context, string) (string, error) {
			b, err := json.Marshal(control.Status{Mode: "screen", Ledger: "ok", Build: "0123456789ab"})
			return string(b), err
		}}).Serve(ctx, ln)
	}()
	defer func() { cancel(); <-served }()

	code, out, stderr = kioskctl(t, "status", "--data", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	wantIn(t, "status", out, "版本 version                 1.3.0 (previous 上一版本 1.2.0", "terminal 0123456789ab, kioskctl ")
	code, out, _ = kioskctl(t, "status", "--json", "--data", dir)
	var r statusReport
	if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil {
		t.Fatalf("exit %d: %v", code, err)
	}
	if r.InstalledVersion != "1.3.0" || r.PreviousVersion != "1.2.0" || r.RunningBuild != "0123456789ab" || r.Build == "" || !r.Running {
		t.Errorf("status --json: %+v", r)
	}

	// After an update to 1.3.0 was rolled back, 1.2.0 is current and the
	// newer 1.3.0 previous: status says it was undone.
	for name, to := range map[string]string{"current": "1.2.0", "previous": "1.3.0"} {
		if err := os.Remove(filepath.Join(versions, name)); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(to, filepath.Join(versions, name)); err != nil {
			t.Fatal(err)
		}
	}
	code, out, stderr = kioskctl(t, "status", "--data", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	wantIn(t, "status after a rollback", out, "1.2.0 (上一版本 previous 1.3.0 is newer: it was rolled back")

	// The hub offered 1.4.2 at the last sync (downloaded, waiting for the
	// window), and the last offered bundle was not installed: a technician
	// on site reads both.
	incoming := filepath.Join(dir, "incoming")
	if err := os.Mkdir(incoming, 0o750); err != nil {
		t.Fatal(err)
	}
	offer := `{"version":"1.4.2","arch":"arm64","size":10,"sha256":"` + strings.Repeat("ab", 32) + `","not_before":"2026-03-01T18:00:00Z","not_after":"2026-03-01T20:00:00Z"}`
	if err := os.WriteFile(filepath.Join(incoming, "offer.json"), []byte(offer), 0o640); err != nil {
		t.Fatal(err)
	}
	outcome := `{"version":"1.3.0","ok":false,"error":"1.3.0 was not healthy within 2m0s","at":"2026-02-28T18:30:00Z"}`
	if err := os.WriteFile(filepath.Join(versions, "offered.json"), []byte(outcome), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = kioskctl(t, "status", "--data", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// The demo center's zone is Asia/Shanghai: 18:00Z is 02:00.
	wantIn(t, "status with an offer", out, "待装更新 offered update", "1.4.2 from the hub, downloaded; hongmajia-update installs it 03-02 02:00–04:00",
		"上次更新 last offered", "未安装 not installed 1.3.0 at 2026-03-01 02:30:00: 1.3.0 was not healthy within 2m0s")
}

// A ledger in RAM is lost at power-off: status says so.
func TestStatusWarnsOfALedgerInRAM(t *testing.T) {
	src := demoData(t)
	ram := filepath.Join(stick(t, src), "data") // /dev/shm: a tmpfs
	if err := os.Mkdir(ram, 0o750); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(src, ledger.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ram, ledger.FileName), b, 0o640); err != nil {
		t.Fatal(err)
	}
	out := must(t, "status", "--data", ram)
	wantIn(t, "status", out, "数据盘 data disk", "WARNING: tmpfs is in RAM: the ledger is lost at power-off")
	var r statusReport
	if err := json.Unmarshal([]byte(must(t, "status", "--json", "--data", ram)), &r); err != nil || r.DataDisk != "tmpfs" || !r.DataDiskLost {
		t.Errorf("status --json: %v %+v", err, r)
	}
}

// The full check's line: Chinese first, its duration readable under a
// second, a failure's words one line.
func TestStatusFullCheckWords(t *testing.T) {
	at := time.Date(2026, 12, 2, 21, 43, 57, 0, time.FixedZone("CST", 8*3600))
	for _, tc := range []struct {
		c       *control.FullCheck
		stopped bool
		want    string
	}{
		{nil, false, "尚未完成 none finished yet"},
		{&control.FullCheck{At: at, Running: true}, false, "进行中 running since 2026-12-02 21:43:57"},
		{&control.FullCheck{At: at, OK: true, TookMS: 22}, false, "通过 passed at 2026-12-02 21:43:57 (took 22ms)"},
		{&control.FullCheck{At: at, OK: true, TookMS: 22}, true, "上次通过 last passed at 2026-12-02 21:43:57 (took 22ms; 终端未运行 the terminal is not running: kioskctl verify checks the file now)"},
		{&control.FullCheck{At: at, OK: true, TookMS: 41_260}, false, "(took 41.3s)"},
		{&control.FullCheck{At: at, Error: "ledger.db: record: corrupt data: integrity_check: Tree 5 page 291 cell 226: Offset 51619 out of range 468..4092; and 97 more"}, false,
			"失败 FAILED at 2026-12-02 21:43:57: ledger.db: record: corrupt data: integrity_check: Tree 5 page 291 cell 226: Offset 51619 out of range 468..4092; and 97 more (终端已停止写入，需要技术人员 "},
	} {
		var got []string
		printFullCheck(func(label, format string, args ...any) {
			got = append(got, label+" "+fmt.Sprintf(format, args...))
		}, tc.c, !tc.stopped)
		if len(got) != 1 || !strings.HasPrefix(got[0], "完整检查 full check ") || !strings.Contains(got[0], tc.want) || strings.Contains(got[0], "%!") {
			t.Errorf("printFullCheck(%+v) = %q; want one line with %q", tc.c, got, tc.want)
		}
	}
}
