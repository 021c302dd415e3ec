package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/kiosk/control"
	"github.com/hongmajia/hongmajia/kiosk/hublink"
)

func init() {
	commands["sync"] = command{summary: "sync with the district hub now: through the running terminal, or on the data directory (--hub URL overrides the enrolled address)", run: runSync}
}

// errSyncFailed is the exit status of a sync that did not go through; the
// report and what to do are printed first.
var errSyncFailed = errors.New("sync failed")

func runSync(e *env, args []string) error {
	f, data := newFlagSet(e, "sync")
	hub := f.String("hub", "", "the hub's address instead of the enrolled one (a hub that moved); a stopped terminal only")
	asJSON := f.Bool("json", false, "print the report as JSON")
	f.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: kioskctl sync [--hub URL] [--json] [--data DIR]")
		fmt.Fprintln(e.stderr, "Syncs with the district hub now: pushes what the hub does not hold, pulls the district's")
		fmt.Fprintln(e.stderr, "changes. A running terminal is asked to sync (over its control socket) and the answer")
		fmt.Fprintln(e.stderr, "waited for; otherwise kioskctl syncs the data directory itself. Exit 0 only when it went through.")
		f.PrintDefaults()
	}
	if err := parseFlags(f, args); err != nil {
		return err
	}
	if *hub != "" {
		if err := checkHubURL("--hub", *hub); err != nil {
			return err
		}
	}
	var r control.SyncReport
	via := "on the data directory " + *data
	if running(*data) {
		if *hub != "" {
			return fmt.Errorf("the terminal is running: it syncs with the hub it is enrolled with ([sync] hub in kiosk.toml moves it); --hub is for a stopped terminal's data directory")
		}
		via = "by the running terminal"
		answer, err := askTerminalWithin(*data, "sync", syncTimeout)
		if err != nil {
			return fmt.Errorf("the terminal's sync: %w", err)
		}
		if err := json.Unmarshal([]byte(answer), &r); err != nil {
			return fmt.Errorf("the terminal's answer to sync: %q: %w", answer, err)
		}
	} else {
		var err error
		if r, err = syncDataDir(*data, *hub); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
	} else {
		printSyncReport(e, r, via)
	}
	if !r.OK {
		return fmt.Errorf("%s: %w", troubleWords(r), errSyncFailed)
	}
	return nil
}

// syncDataDir syncs a stopped terminal's data directory: its lock held, so
// the terminal cannot start meanwhile and race it to the hub.
func syncDataDir(data, hub string) (control.SyncReport, error) {
	lock, err := lockStopped(data, "a sync on the data directory")
	if err != nil {
		return control.SyncReport{}, err
	}
	if lock != nil {
		defer lock.Close()
	}
	ctx, cancel := ctxHub()
	defer cancel()
	l, err := openLedgerDir(ctx, data)
	if err != nil {
		return control.SyncReport{}, err
	}
	defer l.Close()
	en, err := l.Enrollment(ctx)
	if err != nil {
		return control.SyncReport{}, err
	}
	if !en.Enrolled {
		return control.SyncReport{}, fmt.Errorf("%w (kioskctl enroll --hub URL --data %s)", hublink.ErrNotEnrolled, data)
	}
	key, err := hublink.LoadKey(data)
	if err != nil {
		return control.SyncReport{}, fmt.Errorf("%w: the ledger is enrolled, its key is not usable: enroll again", err)
	}
	res, err := hublink.New(l, key, hubOptions(data, hub)).Sync(ctx)
	if err != nil && ctx.Err() != nil {
		return control.SyncReport{}, stopped(ctx, err, "what the hub acknowledged is kept; the next sync goes on from there")
	}
	st, serr := l.SyncState(context.WithoutCancel(ctx))
	if serr != nil {
		return control.SyncReport{}, serr
	}
	return hublink.Report(res, err, st, clock.Real{}.Now().In(l.Location())), nil
}

func printSyncReport(e *env, r control.SyncReport, via string) {
	line := func(label, format string, args ...any) {
		fmt.Fprintf(e.stdout, "  %s %s\n", padRight(label, 26), fmt.Sprintf(format, args...))
	}
	if r.OK {
		fmt.Fprintf(e.stdout, "同步完成 synced with the hub, %s\n", via)
	} else {
		fmt.Fprintf(e.stdout, "同步失败 sync failed, %s\n", via)
	}
	line("上传 pushed", "%d entries, %d registry changes", r.Pushed, r.Changes)
	line("已确认 acknowledged", "up to seq %d; %d entries unsynced", r.Acked, r.Unsynced)
	if r.OK {
		line("下载 pulled", "%d rows; registry version %d", r.Pulled, r.RegistryVersion)
		line("时钟偏差 clock offset", "%s (the hub's clock less this kiosk's)", signedDuration(time.Duration(r.ClockOffsetMS)*time.Millisecond))
	}
	line("用时 took", "%s", (time.Duration(r.TookMS) * time.Millisecond).String())
	if !r.OK {
		line("原因 reason", "%s", r.Error)
	}
}

// signedDuration is a clock offset with its sign, to the second.
func signedDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d >= 0 {
		return "+" + d.String()
	}
	return d.String()
}
