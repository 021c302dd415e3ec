package kiosk

import (
	"context"

	"github.com/hongmajia/hongmajia/ledger"
)

// Syncer is the terminal's way to its district hub: the App's sync, which
// the core asks through this interface alone. The core never waits on the
// network itself and links no client of the hub (arch_test.go): it starts
// SyncNow beside its work and shows the answer when it comes.
type Syncer interface {
	// SyncNow runs one sync now (after the one running, if any) and says
	// how it went. It may take minutes; it stops when ctx ends.
	SyncNow(ctx context.Context) SyncResult
}

// SyncOutcome is how a sync ended, as staff are told.
type SyncOutcome uint8

// Sync outcomes.
const (
	SyncDone     SyncOutcome = iota // the hub holds everything; the district's changes are here
	SyncOffline                     // the hub was not reached: nothing lost, tonight's sync tries again
	SyncHubDown                     // the hub failed: tonight's sync tries again
	SyncRefused                     // the hub refused this kiosk's entries (a gap, a broken chain): kept, a technician looks
	SyncFork                        // the ledger differs from the hub's record of it: a technician restores it
	SyncRejected                    // the hub does not take this kiosk (revoked, another key): a technician
	SyncFailed                      // anything else (the ledger); logged
)

var syncOutcomeNames = [...]string{"done", "offline", "hub-down", "refused", "fork", "rejected", "failed"}

func (o SyncOutcome) String() string {
	if int(o) < len(syncOutcomeNames) {
		return syncOutcomeNames[o]
	}
	return "sync?"
}

// SyncResult is what one sync did, for the staff screen.
type SyncResult struct {
	Outcome SyncOutcome
	// Pushed and Changes count the entries and registry changes the hub
	// took; Pulled the district's changes applied here.
	Pushed, Changes, Pulled int
	// Acked is the highest of this kiosk's entries the hub holds (#345);
	// Unsynced what it does not hold yet.
	Acked, Unsynced uint64
	// Err is the failure, for the log; nil when done.
	Err error
}

// syncNow shows the sync scene and starts a sync when none runs: 同步中…,
// then its result. It runs beside the terminal's work, not as one of its
// ledger jobs: the screen is never busy for it, taps and touches are
// served while it runs, and a visitor's session started meanwhile is not
// interrupted by its end. Its result is shown if staff still look at the
// scene; it is in the menu's standing either way.
func (t *Terminal) syncNow() {
	if t.opts.Sync == nil {
		return // not on the menu: the terminal has no hub link
	}
	t.syncFor = t.session
	if t.syncing {
		t.showSyncing()
		return
	}
	t.syncing = true
	t.showSyncing()
	ctx, s := t.ctx, t.opts.Sync
	go func() {
		res := s.SyncNow(ctx)
		select {
		case t.results <- result{background: true, apply: func() { t.synced(res) }}:
			if t.opts.Wake != nil {
				t.opts.Wake()
			}
		case <-ctx.Done():
		}
	}()
}

func (t *Terminal) showSyncing() {
	t.show(SceneStaffSync, ToneNone)
	t.view.Title = T("sync.running")
	t.view.Lines = []Text{T("sync.running_hint")}
}

// synced takes a sync's result: the scene that waits for it says how it
// went, in words for center staff; the menu's standing is read again.
func (t *Terminal) synced(res SyncResult) {
	t.syncing = false
	if res.Err != nil {
		t.logf("kiosk: sync now (%s): %v", res.Outcome, res.Err)
	} else {
		t.logf("kiosk: sync now: %d entries pushed, acknowledged to #%d, %d changes pulled", res.Pushed, res.Acked, res.Pulled)
	}
	switch {
	case t.view.Scene == SceneStaffSync && t.session == t.syncFor:
		t.showSynced(res)
	case t.view.Scene == SceneStaffMenu:
		t.loadStanding()
	}
}

func (t *Terminal) showSynced(res SyncResult) {
	tone, title := ToneAttention, "sync.failed"
	lines := []Text{T("tech.title")}
	retry := []Text{T("sync.retry_tonight"), T("staff.unsynced", res.Unsynced)}
	switch res.Outcome {
	case SyncDone:
		tone, title = ToneSuccess, "sync.done"
		lines = []Text{T("sync.pushed", res.Pushed, res.Acked)}
		if res.Changes > 0 {
			lines = append(lines, T("sync.changes", res.Changes))
		}
		lines = append(lines, T("sync.pulled", res.Pulled))
		if res.Unsynced > 0 {
			lines = append(lines, T("staff.unsynced", res.Unsynced))
		}
	case SyncOffline:
		tone, title, lines = ToneRefusal, "sync.offline", retry
	case SyncHubDown:
		tone, title, lines = ToneRefusal, "sync.hub_down", retry
	case SyncRefused:
		title, lines = "sync.refused", []Text{T("sync.kept"), T("tech.title")}
	case SyncFork:
		title = "sync.fork"
	case SyncRejected:
		title = "sync.rejected"
	}
	t.show(SceneStaffSync, tone)
	t.view.Title = T(title)
	t.view.Lines = lines
}

// loadStanding reads the sync standing the staff menu shows.
func (t *Terminal) loadStanding() {
	t.run(false, func(ctx context.Context) func() {
		st, err := t.led.SyncState(ctx)
		return func() {
			if err != nil {
				t.failed(err)
				return
			}
			t.setStanding(st)
			t.changed()
		}
	})
}

// setStanding puts the sync standing in the view, in words for staff: a
// kiosk not enrolled says so; a refusal or a fork is a warning to call the
// technician; otherwise the last sync and what waits for the next.
func (t *Terminal) setStanding(st ledger.SyncState) {
	s := &t.view.Staff
	s.Unsynced, s.LastSync = st.Unsynced, st.LastSync
	s.StandingAlert = true
	switch {
	case !st.Enrolled:
		s.Standing, s.StandingAlert = T("sync.not_enrolled"), false
	case t.opts.Sync == nil:
		s.Standing = T("sync.no_link")
	case st.Fork:
		s.Standing = T("sync.fork_standing")
	case st.LastRefusal != "":
		s.Standing = T("sync.refused_standing")
	case t.syncing:
		s.Standing, s.StandingAlert = T("sync.running_standing", st.Unsynced), false
	case st.LastSync.IsZero():
		s.Standing, s.StandingAlert = T("sync.never", st.Unsynced), false
	default:
		s.Standing, s.StandingAlert = T("sync.last", t.when(st.LastSync), st.Unsynced), false
	}
}

// menu is the staff menu of this terminal: 立即同步 only when it can sync.
func (t *Terminal) menu() []MenuItem {
	if t.opts.Sync != nil {
		return staffMenu
	}
	out := make([]MenuItem, 0, len(staffMenu))
	for _, m := range staffMenu {
		if m.Action != StaffSync {
			out = append(out, m)
		}
	}
	return out
}
