package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/internal/buildinfo"
	"github.com/hongmajia/hongmajia/internal/datadisk"
	"github.com/hongmajia/hongmajia/kiosk/control"
	"github.com/hongmajia/hongmajia/kiosk/update"
	"github.com/hongmajia/hongmajia/ledger"
)

func init() {
	commands["status"] = command{summary: "people, cards, shifts, entries, the sync with the hub, disk (--json)", run: runStatus}
}

// statusReport is `kioskctl status --json`: field names are part of the
// interface scripts and the hub read; add, never rename.
type statusReport struct {
	DataDir         string     `json:"data_dir"`
	Terminal        string     `json:"terminal"`
	Center          string     `json:"center"`
	CenterName      string     `json:"center_name"`
	StationActivity string     `json:"station_activity,omitempty"`
	SchemaVersion   int        `json:"schema_version"`
	People          int64      `json:"people"`
	Cards           int64      `json:"cards"`
	OpenShifts      int64      `json:"open_shifts"`
	FlaggedShifts   int64      `json:"flagged_shifts"`
	Entries         int64      `json:"entries"`
	Unsynced        uint64     `json:"unsynced"`
	AckedSeq        uint64     `json:"acked_seq"`
	HeadSeq         uint64     `json:"head_seq"`
	Enrolled        bool       `json:"enrolled"`
	LastSync        *time.Time `json:"last_sync"` // null: never
	DBBytes         int64      `json:"db_bytes"`
	FreeBytes       uint64     `json:"free_bytes"`
	// DataDisk is the data directory's file system; DataDiskLost that
	// what is written there is (or may be) lost at power-off.
	DataDisk     string `json:"data_disk,omitempty"`
	DataDiskLost bool   `json:"data_disk_lost"`
	dataWarning  string

	// The sync with the district hub.
	Hub             string     `json:"hub,omitempty"`
	LastPush        *time.Time `json:"last_push"` // null: never
	ChangesUnsynced uint64     `json:"changes_unsynced"`
	RegistryVersion uint64     `json:"registry_version"`
	LastRefusal     string     `json:"last_refusal,omitempty"`
	Fork            bool       `json:"fork"`
	ClockOffsetMS   int64      `json:"clock_offset_ms"`
	// Running: a terminal answered on the control socket; the sync fields
	// are then its own, with what only it knows: whether it can sync
	// (SyncLink), a sync running now, the next night's, the last try.
	Running bool `json:"running"`
	// The program: the version the versions directory makes current and
	// the one before it (an update's rollback goes back to it), "" when
	// the binaries are not installed through it; the running terminal's
	// build and this kioskctl's.
	InstalledVersion string `json:"installed_version,omitempty"`
	PreviousVersion  string `json:"previous_version,omitempty"`
	RunningBuild     string `json:"running_build,omitempty"`
	// What the hub offered at the last sync (downloaded, waiting for the
	// sync window) and what became of the last offered bundle.
	Offered     *update.Offer       `json:"offered,omitempty"`
	LastOffered *update.Outcome     `json:"last_offered,omitempty"`
	Build       string              `json:"build"`
	SyncLink    string              `json:"sync_link,omitempty"`
	Syncing     bool                `json:"syncing"`
	NextSync    *time.Time          `json:"next_sync,omitempty"`
	LastTry     *control.SyncReport `json:"last_try,omitempty"`
	// FullCheck is the ledger's full integrity check: the running
	// terminal's (it runs in the background after each start, and may have
	// failed), else the last one that passed as the ledger recorded it.
	FullCheck *control.FullCheck `json:"full_check,omitempty"`
}

func runStatus(e *env, args []string) error {
	f, data := newFlagSet(e, "status")
	asJSON := f.Bool("json", false, "print JSON")
	if err := parseFlags(f, args); err != nil {
		return err
	}
	ctx := context.Background()
	l, err := openLedgerReadOnly(ctx, *data)
	if err != nil {
		return err
	}
	defer l.Close()
	st, err := l.Status(ctx)
	if err != nil {
		return err
	}
	r := statusReport{
		DataDir: *data, Terminal: st.Terminal.ID, Center: st.Terminal.Center, CenterName: st.Terminal.CenterName,
		SchemaVersion: st.SchemaVersion, People: st.People, Cards: st.Cards, OpenShifts: st.OpenShifts,
		FlaggedShifts: st.FlaggedShifts, Entries: st.Entries, Unsynced: st.Sync.Unsynced, AckedSeq: st.Sync.AckedSeq,
		HeadSeq: st.Sync.HeadSeq, Enrolled: st.Sync.Enrolled, DBBytes: st.DBBytes, FreeBytes: st.FreeBytes,
	}
	if !st.Sync.LastSync.IsZero() {
		t := st.Sync.LastSync.In(l.Location())
		r.LastSync = &t
	}
	if !st.Sync.LastPush.IsZero() {
		t := st.Sync.LastPush.In(l.Location())
		r.LastPush = &t
	}
	r.ChangesUnsynced, r.RegistryVersion, r.LastRefusal = st.Sync.ChangesUnsynced, st.Sync.RegistryVersion, st.Sync.LastRefusal
	r.Fork, r.ClockOffsetMS = st.Sync.Fork, st.Sync.ClockOffset.Milliseconds()
	if c := l.LastFullCheck(ctx); !c.At.IsZero() {
		r.FullCheck = &control.FullCheck{At: c.At, OK: c.OK(), TookMS: c.Took.Milliseconds()}
	}
	if en, err := l.Enrollment(ctx); err != nil {
		return err
	} else if en.Enrolled {
		r.Hub = en.HubURL
	}
	// A running terminal says the sync as it stands now, and what only it
	// knows.
	if answer, err := askTerminal(*data, "status"); err == nil {
		var cs control.Status
		if err := json.Unmarshal([]byte(answer), &cs); err == nil {
			r.Running = true
			r.fromTerminal(cs)
		}
	}
	if in, err := update.ReadInstalled(filepath.Join(*data, "versions")); err == nil {
		r.InstalledVersion, r.PreviousVersion = in.Current, in.Previous
	}
	if off, err := update.ReadOffer(filepath.Join(*data, update.IncomingDir)); err == nil && off != nil && off.Version != r.InstalledVersion {
		off.NotBefore, off.NotAfter = off.NotBefore.In(l.Location()), off.NotAfter.In(l.Location())
		r.Offered = off
	}
	if o, err := update.ReadOutcome(filepath.Join(*data, "versions")); err == nil && o != nil {
		o.At = o.At.In(l.Location())
		r.LastOffered = o
	}
	r.Build = buildVersion()
	if d, err := datadisk.Of(*data); err == nil {
		r.DataDisk, r.DataDiskLost, r.dataWarning = d.Name, d.Lost(), d.Warning()
	}
	station, err := l.StationActivity(ctx)
	switch {
	case err == nil:
		r.StationActivity = station.Name
	case !errors.Is(err, ledger.ErrNotFound):
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	printStatus(e, r)
	return nil
}

// fromTerminal takes the sync fields from a running terminal's status.
func (r *statusReport) fromTerminal(cs control.Status) {
	r.Enrolled, r.Unsynced, r.AckedSeq, r.HeadSeq, r.LastSync, r.LastPush = cs.Enrolled, cs.Unsynced, cs.AckedSeq, cs.HeadSeq, cs.LastSync, cs.LastPush
	r.ChangesUnsynced, r.RegistryVersion, r.LastRefusal, r.Fork, r.ClockOffsetMS = cs.ChangesUnsynced, cs.RegistryVersion, cs.LastRefusal, cs.Fork, cs.ClockOffsetMS
	if cs.Hub != "" {
		r.Hub = cs.Hub
	}
	r.SyncLink, r.Syncing, r.NextSync, r.LastTry = cs.SyncLink, cs.Syncing, cs.NextSync, cs.LastTry
	r.RunningBuild = cs.Build
	if cs.FullCheck != nil {
		r.FullCheck = cs.FullCheck
	}
}

// buildVersion is this program's version: the release it was built as
// (make deb, make bundle), else its commit.
func buildVersion() string { return buildinfo.Version() }

func printStatus(e *env, r statusReport) {
	line := func(label, format string, args ...any) {
		fmt.Fprintf(e.stdout, "%s %s\n", padRight(label, 28), fmt.Sprintf(format, args...))
	}
	line("数据目录 data directory", "%s", r.DataDir)
	line("中心 center", "%s (%s)", r.CenterName, r.Center)
	line("终端 terminal", "%s", r.Terminal)
	if r.StationActivity != "" {
		line("站点活动 station activity", "%s", r.StationActivity)
	}
	line("人员 people", "%d", r.People)
	line("卡片 cards", "%d", r.Cards)
	line("在岗 open shifts", "%d", r.OpenShifts)
	line("待处理 flagged shifts", "%d", r.FlaggedShifts)
	line("流水 entries", "%d", r.Entries)
	line("未同步 unsynced entries", "%d (hub holds up to seq %d of %d)", r.Unsynced, r.AckedSeq, r.HeadSeq)
	last := "从未 never"
	if r.LastSync != nil {
		last = r.LastSync.Format(time.DateTime)
	}
	enrolled := "未注册 not enrolled with a hub"
	if r.Enrolled {
		enrolled = "已注册 enrolled"
	}
	line("上次同步 last sync", "%s (%s)", last, enrolled)
	if r.Enrolled {
		printSyncStatus(line, r)
	}
	line("数据库 database", "%s (ledger.db and its WAL; schema %d)", humanBytes(uint64(r.DBBytes)), r.SchemaVersion)
	printFullCheck(line, r.FullCheck, r.Running)
	printVersions(line, r)
	line("剩余空间 free disk", "%s", humanBytes(r.FreeBytes))
	if r.DataDiskLost {
		line("数据盘 data disk", "警告 WARNING: %s", r.dataWarning)
	} else if r.DataDisk != "" {
		line("数据盘 data disk", "%s", r.DataDisk)
	}
}

// printVersions says which program is installed, which one an update
// would roll back to, and what runs.
func printVersions(line func(label, format string, args ...any), r statusReport) {
	switch {
	case r.InstalledVersion != "" && r.PreviousVersion != "" &&
		hubsync.CheckVersion(r.PreviousVersion) == nil && hubsync.CheckVersion(r.InstalledVersion) == nil &&
		hubsync.CompareVersions(r.PreviousVersion, r.InstalledVersion) > 0:
		// An update to a newer version was undone: previous is that one.
		line("版本 version", "%s (上一版本 previous %s is newer: it was rolled back; kioskctl update.log says why)", r.InstalledVersion, r.PreviousVersion)
	case r.InstalledVersion != "" && r.PreviousVersion != "":
		line("版本 version", "%s (previous 上一版本 %s: kioskctl rollback goes back to it)", r.InstalledVersion, r.PreviousVersion)
	case r.InstalledVersion != "":
		line("版本 version", "%s (no previous version)", r.InstalledVersion)
	default:
		line("版本 version", "as the package installed it (no update installed yet)")
	}
	if o := r.Offered; o != nil {
		when := "any time"
		if !o.NotBefore.IsZero() && !o.NotAfter.IsZero() {
			when = o.NotBefore.Format("01-02 15:04") + "–" + o.NotAfter.Format("15:04")
		}
		line("待装更新 offered update", "%s from the hub, downloaded; hongmajia-update installs it %s (now: sudo kioskctl update --offered --any-time)", o.Version, when)
	}
	if o := r.LastOffered; o != nil {
		if o.OK {
			line("上次更新 last offered", "已安装 installed %s at %s", o.Version, o.At.Format(time.DateTime))
		} else {
			line("上次更新 last offered", "未安装 not installed %s at %s: %s", o.Version, o.At.Format(time.DateTime), o.Error)
		}
	}
	running := "not running"
	if r.Running {
		running = r.RunningBuild
	}
	line("构建 build", "terminal %s, kioskctl %s", running, r.Build)
}

// printSyncStatus is the sync's part of status, for an enrolled ledger.
func printSyncStatus(line func(label, format string, args ...any), r statusReport) {
	when := func(t *time.Time) string {
		if t == nil {
			return "从未 never"
		}
		return t.Format(time.DateTime)
	}
	line("区平台 hub", "%s", r.Hub)
	line("上次上传 last push", "%s", when(r.LastPush))
	line("未同步登记 unsynced changes", "%d (people and cards made here)", r.ChangesUnsynced)
	line("登记版本 registry version", "%d", r.RegistryVersion)
	line("时钟偏差 clock offset", "%s (the hub's clock less this kiosk's)", signedDuration(time.Duration(r.ClockOffsetMS)*time.Millisecond))
	if r.LastRefusal != "" {
		line("拒收 last refusal", "%s", r.LastRefusal)
	}
	if r.Fork {
		line("账本不一致 FORK", "the ledger differs from the hub's anchor: a technician must restore it from the hub (kioskctl restore --from-hub)")
	}
	if !r.Running {
		line("自动同步 nightly sync", "the terminal is not running (kioskctl sync syncs the data directory itself)")
		return
	}
	link := r.SyncLink
	switch link {
	case "on":
		link = "同步中 syncing now"
		if !r.Syncing {
			link = "on, next night " + when(r.NextSync)
		}
	case "off", "":
		link = "off"
	default:
		link = "cannot sync: " + link
	}
	line("自动同步 nightly sync", "%s", link)
	if t := r.LastTry; t != nil {
		at := t.At.Format(time.DateTime)
		if t.OK {
			line("上次尝试 last try", "%s: ok, %d entries pushed", at, t.Pushed)
		} else {
			line("上次尝试 last try", "%s: %s", at, troubleWords(*t))
		}
	}
}

// printFullCheck says when the ledger's file was last checked whole
// (PRAGMA integrity_check, in the background after each start) and how it
// went. A stopped terminal's is the last passed one recorded in the
// ledger (a failed check writes nothing to the damaged file), so it is
// said as that.
func printFullCheck(line func(label, format string, args ...any), c *control.FullCheck, running bool) {
	const label = "完整检查 full check"
	switch {
	case c == nil:
		line(label, "尚未完成 none finished yet (it runs in the background after the terminal starts; kioskctl verify runs it now)")
	case c.Running:
		line(label, "进行中 running since %s", c.At.Format(time.DateTime))
	case c.OK && !running:
		line(label, "上次通过 last passed at %s (took %s; 终端未运行 the terminal is not running: kioskctl verify checks the file now)",
			c.At.Format(time.DateTime), tookWords(time.Duration(c.TookMS)*time.Millisecond))
	case c.OK:
		line(label, "通过 passed at %s (took %s)", c.At.Format(time.DateTime), tookWords(time.Duration(c.TookMS)*time.Millisecond))
	case c.Error != "":
		line(label, "失败 FAILED at %s: %s (终端已停止写入，需要技术人员 the terminal stopped writing; it needs a technician: kioskctl verify)", c.At.Format(time.DateTime), c.Error)
	}
}

// tookWords is how long a check took: tenths of a second, or milliseconds
// under a second (a demo's check takes some 20 ms, which "0s" hid).
func tookWords(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}
