package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hongmajia/hongmajia/ledger"
)

func init() {
	commands["status"] = command{summary: "people, cards, shifts, entries, sync, disk (--json)", run: runStatus}
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
	line("数据库 database", "%s (ledger.db and its WAL; schema %d)", humanBytes(uint64(r.DBBytes)), r.SchemaVersion)
	line("剩余空间 free disk", "%s", humanBytes(r.FreeBytes))
}
