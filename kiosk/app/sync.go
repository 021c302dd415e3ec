package app

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/internal/buildinfo"
	"github.com/hongmajia/hongmajia/kiosk"
	"github.com/hongmajia/hongmajia/kiosk/control"
	"github.com/hongmajia/hongmajia/kiosk/hublink"
	"github.com/hongmajia/hongmajia/kiosk/update"
	"github.com/hongmajia/hongmajia/ledger"
)

// hubLink is the App's sync with its district hub: the link (nil when the
// ledger is not enrolled, or cannot sync), the nightly schedule, and what
// the last try did, for the control socket's status.
type hubLink struct {
	link     *hublink.Link
	schedule hublink.Schedule
	// off says why an enrolled terminal does not sync ("" when it does, or
	// is not enrolled).
	off     string
	running atomic.Int32 // syncs running now
	last    atomic.Pointer[control.SyncReport]
}

// openLink makes the hub link when the ledger is enrolled and the data
// directory holds the kiosk's key; otherwise the terminal runs as it did
// before it had a hub, and says why in the log and the status.
func (a *App) openLink(ctx context.Context, o AppOptions) {
	if a.led == nil {
		return
	}
	en, err := a.led.Enrollment(ctx)
	if err != nil {
		a.hub.off = "the ledger's enrollment cannot be read"
		a.logf("kiosk: no sync: %v", err)
		return
	}
	if !en.Enrolled {
		return
	}
	key, err := hublink.LoadKey(a.cfg.Data)
	if err != nil {
		a.hub.off = "the kiosk key cannot be used (" + hublink.KeyFile + "): enroll again"
		a.logf("kiosk: enrolled with %s but cannot sync: %v", en.HubURL, err)
		return
	}
	at, err := a.cfg.Sync.AtOfDay()
	if err != nil {
		at = 2 * time.Hour // check() refused it already; the default
	}
	if at == 0 {
		at = 24 * time.Hour // the schedule's zero is its default: midnight is the next day's start
	}
	a.hub.schedule = hublink.Schedule{At: at, Window: time.Duration(a.cfg.Sync.Window), Location: a.led.Location()}
	schedule, terminal := a.hub.schedule, a.led.Terminal().ID
	a.hub.link = hublink.New(a.led, key, hublink.Options{URL: a.cfg.Sync.Hub, Clock: a.clk, Sync: o.Ledger.Sync,
		Version: buildVersion(), Log: slog.New(slog.NewTextHandler(logWriter(a.logf), &slog.HandlerOptions{ReplaceAttr: dropTime})),
		// Fleet updates: the package keeps the versions beside the data
		// (/var/lib/hongmajia/versions); root's hongmajia-update.path
		// watches the incoming directory's offer.
		Arch: runtime.GOARCH, Versions: filepath.Join(a.cfg.Data, filepath.Base(update.DefaultVersions)),
		Incoming: filepath.Join(a.cfg.Data, update.IncomingDir),
		Window:   func(now time.Time) (time.Time, time.Time) { return schedule.Next(now, terminal) }})
	hub := en.HubURL
	if a.cfg.Sync.Hub != "" {
		hub = a.cfg.Sync.Hub + " (configured; enrolled at " + en.HubURL + ")"
	}
	a.logf("kiosk: syncs with the hub at %s as kiosk key %s, nightly from %s (%s)", hub, keyFingerprint(key), a.cfg.Sync.At, a.led.Location())
}

// runLink runs the nightly schedule until ctx ends.
func (a *App) runLink(ctx context.Context) {
	if a.hub.link == nil {
		return
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.hub.link.Run(ctx, a.hub.schedule, func(res hublink.Result, err error) {
			r := a.syncReport(ctx, res, err)
			a.hub.last.Store(&r)
		})
	}()
}

// errNoLink answers `sync` and `anchor` on a terminal without a hub link.
func (a *App) errNoLink() error {
	if a.hub.off != "" {
		return errors.New("this kiosk is enrolled but cannot sync: " + a.hub.off)
	}
	if a.led == nil {
		return fmt.Errorf("no sync: the ledger is unusable: %w", a.ledErr)
	}
	return hublink.ErrNotEnrolled
}

// linked runs f on the hub link while the App is open: Close waits for it,
// and its ctx ends when either the caller's does or the App closes.
func (a *App) linked(ctx context.Context, f func(ctx context.Context, ln *hublink.Link) error) error {
	if a.hub.link == nil {
		return a.errNoLink()
	}
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return errors.New("the terminal is stopping")
	}
	a.wg.Add(1)
	run := a.runCtx
	a.mu.Unlock()
	defer a.wg.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if run != nil {
		stop := context.AfterFunc(run, cancel)
		defer stop()
	}
	return f(ctx, a.hub.link)
}

// SyncNow syncs with the hub now, after a sync that runs (the nightly one,
// another asked): the control socket's `sync` and the staff menu's 立即同步.
// A sync that failed is a report with its Trouble; the error is for a
// terminal that cannot sync at all.
func (a *App) SyncNow(ctx context.Context) (control.SyncReport, error) {
	var r control.SyncReport
	err := a.linked(ctx, func(ctx context.Context, ln *hublink.Link) error {
		a.hub.running.Add(1)
		defer a.hub.running.Add(-1)
		res, err := ln.Sync(ctx)
		r = a.syncReport(ctx, res, err)
		a.hub.last.Store(&r)
		return nil
	})
	return r, err
}

// CheckAnchor asks the hub whether the ledger matches its anchor (the
// control socket's `anchor`, kioskctl verify --hub).
func (a *App) CheckAnchor(ctx context.Context) (control.AnchorReport, error) {
	var r control.AnchorReport
	err := a.linked(ctx, func(ctx context.Context, ln *hublink.Link) error {
		anc, err := ln.CheckAnchor(ctx)
		if err != nil {
			return err
		}
		r = control.AnchorReport{HubSeq: anc.Hub.Seq, HubHash: hex.EncodeToString(anc.Hub.Hash[:]), LocalSeq: anc.Local.Seq,
			LocalHash: hex.EncodeToString(anc.Local.Hash[:]), Fork: anc.Fork, Reason: anc.Reason}
		return nil
	})
	return r, err
}

// syncer is the App's sync as the terminal core asks it (kiosk.Syncer).
type syncer struct{ a *App }

func (s syncer) SyncNow(ctx context.Context) kiosk.SyncResult {
	r, err := s.a.SyncNow(ctx)
	if err != nil {
		return kiosk.SyncResult{Outcome: kiosk.SyncFailed, Err: err}
	}
	out := kiosk.SyncResult{Outcome: outcome(r.Trouble), Pushed: r.Pushed, Changes: r.Changes, Pulled: r.Pulled,
		Acked: r.Acked, Unsynced: r.Unsynced}
	if r.Error != "" {
		out.Err = errors.New(r.Error)
	}
	return out
}

// syncReport reports a sync the App ran, with the ledger's standing after
// it (a standing that cannot be read is the result's own).
func (a *App) syncReport(ctx context.Context, res hublink.Result, err error) control.SyncReport {
	st, serr := a.led.SyncState(context.WithoutCancel(ctx))
	if serr != nil {
		st = ledger.SyncState{AckedSeq: res.Acked, Unsynced: res.Unsynced, RegistryVersion: res.Version, ClockOffset: res.ClockOffset}
	}
	return hublink.Report(res, err, st, a.clk.Now())
}

// outcome is a trouble as the staff screen says it.
func outcome(trouble string) kiosk.SyncOutcome {
	switch trouble {
	case "":
		return kiosk.SyncDone
	case control.TroubleNetwork:
		return kiosk.SyncOffline
	case control.TroubleHub:
		return kiosk.SyncHubDown
	case control.TroubleRefused:
		return kiosk.SyncRefused
	case control.TroubleFork:
		return kiosk.SyncFork
	case control.TroubleRejected, control.TroubleReplay:
		return kiosk.SyncRejected
	}
	return kiosk.SyncFailed
}

// reportSync fills the status's sync fields: the ledger's standing, the
// link's state, the next nightly sync and the last try.
func (a *App) reportSync(ctx context.Context, st *control.Status) {
	if a.led == nil {
		return
	}
	// The last try before the ledger: a sync that ends between the two
	// reads is then in the standing read, never a try the standing lacks.
	last := a.hub.last.Load()
	ss, err := a.led.SyncState(ctx)
	if err != nil {
		return // reported as the ledger's fault by Status
	}
	st.Unsynced = ss.Unsynced
	st.LastSync = nil
	if !ss.LastSync.IsZero() {
		ls := ss.LastSync.In(a.led.Location())
		st.LastSync = &ls
	}
	st.Enrolled, st.AckedSeq, st.HeadSeq, st.ChangesUnsynced = ss.Enrolled, ss.AckedSeq, ss.HeadSeq, ss.ChangesUnsynced
	st.RegistryVersion, st.LastRefusal, st.Fork, st.ClockOffsetMS = ss.RegistryVersion, ss.LastRefusal, ss.Fork, ss.ClockOffset.Milliseconds()
	if !ss.LastPush.IsZero() {
		lp := ss.LastPush.In(a.led.Location())
		st.LastPush = &lp
	}
	switch {
	case a.hub.link != nil:
		st.SyncLink = "on"
	case a.hub.off != "":
		st.SyncLink = a.hub.off
	default:
		st.SyncLink = "off"
	}
	if en, err := a.led.Enrollment(ctx); err == nil {
		st.Hub = en.HubURL
	}
	if a.cfg.Sync.Hub != "" && st.Enrolled {
		st.Hub = a.cfg.Sync.Hub
	}
	if a.hub.link == nil {
		return
	}
	st.Syncing = a.hub.running.Load() > 0
	now := a.clk.Now()
	start, end := a.hub.schedule.Next(now, a.led.Terminal().ID)
	if !start.After(now) {
		start, _ = a.hub.schedule.Next(end, a.led.Terminal().ID) // this night's window is open: the next one
	}
	next := start.In(a.led.Location())
	st.NextSync = &next
	st.LastTry = last
}

// logWriter feeds slog's lines into the App's log.
type logWriter func(format string, args ...any)

func (w logWriter) Write(p []byte) (int, error) {
	w("kiosk: %s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// dropTime leaves the time to the App's log, which writes its own.
func dropTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// buildVersion is this program's version: the release it was built as
// (make deb, make bundle), else its commit.
func buildVersion() string { return buildinfo.Version() }

// keyFingerprint is the kiosk key's public half as the hub lists it.
func keyFingerprint(k ed25519.PrivateKey) string {
	return hubsync.Fingerprint(k.Public().(ed25519.PublicKey))
}
