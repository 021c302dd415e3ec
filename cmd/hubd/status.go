package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/hub"
)

func init() {
	commands["status"] = command{summary: "each kiosk: center, last sync, acknowledged seq, lag, version, key fingerprint, the update offered and its outcome (--json)", run: runStatus}
}

// kioskReport is a kiosk in `hubd status --json`: add fields, never rename.
type kioskReport struct {
	Terminal     string     `json:"terminal"`
	Center       string     `json:"center"`
	CenterName   string     `json:"center_name"`
	LastSync     *time.Time `json:"last_sync"` // null: never
	AckedSeq     uint64     `json:"acked_seq"`
	HeadSeq      uint64     `json:"head_seq"`
	Lag          uint64     `json:"lag"`
	Version      string     `json:"version"`
	Key          string     `json:"key"`
	ClockOffset  string     `json:"clock_offset"`
	ChangesAcked uint64     `json:"changes_acked"`
	Revoked      bool       `json:"revoked"`
	Refusal      string     `json:"refusal,omitempty"`
	Fork         bool       `json:"fork,omitempty"`
	// Fleet updates: the kiosk's architecture, the version last offered
	// to it, and what became of the last bundle it installed or tried to.
	Arch    string        `json:"arch,omitempty"`
	Offered string        `json:"offered,omitempty"`
	Update  *updateReport `json:"update,omitempty"`
}

// updateReport is what a kiosk said of the last offered bundle.
type updateReport struct {
	Version string    `json:"version"`
	OK      bool      `json:"ok"`
	Error   string    `json:"error,omitempty"`
	At      time.Time `json:"at"`
}

// updateState is a kiosk's standing with the bundle offered to it, in
// words: "" when it was offered none.
func updateState(k kioskReport) string {
	u := k.Update
	switch {
	case u != nil && u.OK && u.Version == k.Version:
		return "已更新 installed " + u.Version
	case u != nil && !u.OK:
		// Refused (nothing changed) or rolled back: the reason says which.
		return "未安装 not installed " + u.Version + ": " + outcomeReason(u)
	case k.Offered != "" && k.Offered != k.Version:
		return "待更新 offered " + k.Offered
	}
	return ""
}

// offeredPath is the kiosk's own name for root's copy of an offered bundle,
// which tells a clerk nothing.
var offeredPath = regexp.MustCompile(`^bundle \S*/\.offered-[0-9a-f]+\.bundle: `)

// outcomeReason is the kiosk's error without what the column says already:
// the updater's "update: " and "update to V failed: ", and the path of the
// kiosk's copy of the bundle.
func outcomeReason(u *updateReport) string {
	r := strings.TrimPrefix(u.Error, "update: ")
	r = strings.TrimPrefix(r, "update to "+u.Version+" failed: ")
	return offeredPath.ReplaceAllString(r, "")
}

type statusReport struct {
	DataDir string        `json:"data_dir"`
	HubKey  string        `json:"hub_key"`
	Kiosks  []kioskReport `json:"kiosks"`
}

func runStatus(e *env, args []string) error {
	f, data := newFlagSet(e, "status")
	asJSON := f.Bool("json", false, "print JSON")
	if err := parseFlags(f, args); err != nil {
		return err
	}
	ctx := context.Background()
	h, err := openHub(ctx, data, false, hub.Options{})
	if err != nil {
		return err
	}
	defer h.Close()
	ks, err := h.Status(ctx)
	if err != nil {
		return err
	}
	r := statusReport{DataDir: data.dir, HubKey: h.Fingerprint(), Kiosks: []kioskReport{}}
	for _, k := range ks {
		kr := kioskReport{Terminal: k.Terminal, Center: k.Center, CenterName: k.CenterName, AckedSeq: k.Anchor.Seq, HeadSeq: k.Head.Seq,
			Lag: k.Lag, Version: k.Version, Key: k.Fingerprint, ClockOffset: k.ClockOffset.Round(time.Second).String(),
			ChangesAcked: k.ChangesAcked, Revoked: !k.Revoked.IsZero(), Refusal: k.Refusal, Fork: k.Fork, Arch: k.Arch, Offered: k.Offered}
		if o := k.Outcome; o != nil {
			kr.Update = &updateReport{Version: o.Version, OK: o.OK, Error: o.Error, At: o.At}
		}
		if !k.LastSync.IsZero() {
			t := k.LastSync.Local()
			kr.LastSync = &t
		}
		r.Kiosks = append(r.Kiosks, kr)
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	fmt.Fprintf(e.stdout, "数据目录 data directory %s\n中心平台密钥 hub key %s\n\n", r.DataDir, r.HubKey)
	if len(r.Kiosks) == 0 {
		fmt.Fprintln(e.stdout, "没有终端 no kiosks: hubd kiosk token --center ID makes a token to enroll one")
		return nil
	}
	now := clock.Real{}.Now()
	fmt.Fprintf(e.stdout, "%s %s %s %s %s %s %s %s\n", padRight("终端 terminal", 18), padRight("中心 center", 12), padRight("上次同步 last sync", 26),
		padRight("已确认 acked", 12), padRight("滞后 lag", 9), padRight("版本 version", 14), padRight("密钥 key", 21), "状态 state")
	for _, k := range r.Kiosks {
		last := "从未 never"
		if k.LastSync != nil {
			last = fmt.Sprintf("%s (%s)", k.LastSync.Format("01-02 15:04"), ago(now.Sub(*k.LastSync)))
		}
		state := "正常 ok"
		switch {
		case k.Revoked:
			state = "已吊销 revoked"
		case k.Fork:
			state = "流水被改 fork: " + k.Refusal
		case k.Refusal != "":
			state = "被拒绝 refused: " + k.Refusal
		}
		if u := updateState(k); u != "" {
			state += "; " + u
		}
		fmt.Fprintf(e.stdout, "%s %s %s %s %s %s %s %s\n", padRight(k.Terminal, 18), padRight(k.Center, 12), padRight(last, 26),
			padRight(fmt.Sprint(k.AckedSeq), 12), padRight(fmt.Sprint(k.Lag), 9), padRight(k.Version, 14), padRight(k.Key, 21), state)
	}
	return nil
}

// ago writes how long ago as a person reads it.
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd ago", int(d/(24*time.Hour)))
}
