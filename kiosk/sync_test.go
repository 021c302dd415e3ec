package kiosk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/drivers/feedback/feedbacktest"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// fakeSyncer stands in for the App's sync: each SyncNow waits for the
// result the test gives it.
type fakeSyncer struct {
	calls   atomic.Int32
	results chan SyncResult
}

func newFakeSyncer() *fakeSyncer { return &fakeSyncer{results: make(chan SyncResult)} }

func (f *fakeSyncer) SyncNow(ctx context.Context) SyncResult {
	f.calls.Add(1)
	select {
	case r := <-f.results:
		return r
	case <-ctx.Done():
		return SyncResult{Outcome: SyncFailed, Err: ctx.Err()}
	}
}

// finish hands the running sync its result and waits until the terminal
// has taken it.
func (r *rig) finishSync(f *fakeSyncer, res SyncResult) {
	r.t.Helper()
	select {
	case f.results <- res:
	case <-time.After(5 * time.Second):
		r.t.Fatal("no sync runs")
	}
	deadline := time.Now().Add(5 * time.Second)
	for r.term.syncing {
		if time.Now().After(deadline) {
			r.t.Fatal("the sync's result was not taken within 5 s")
		}
		r.term.Poll()
		time.Sleep(time.Millisecond)
	}
	r.term.Settle()
}

// syncRig is a terminal on an enrolled ledger with a fake sync.
func syncRig(t *testing.T) (*rig, *fakeSyncer) {
	t.Helper()
	env := ledgertest.MustOpen(t)
	if err := env.SetEnrolled(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	f := newFakeSyncer()
	fb := &feedbacktest.Recorder{}
	term := New(env.Ledger, Options{Clock: env.Clock, Feedback: fb, Sync: f})
	t.Cleanup(term.Close)
	term.Settle()
	return &rig{t: t, env: env, term: term, fb: fb}, f
}

func hasSync(menu []MenuItem) bool {
	return slices.ContainsFunc(menu, func(m MenuItem) bool { return m.Action == StaffSync })
}

func TestStaffMenuWithoutAHubLink(t *testing.T) {
	r := newRig(t)
	r.staffLogin()
	v := r.term.View()
	if hasSync(v.Staff.Menu) {
		t.Error("立即同步 on the menu of a terminal that cannot sync")
	}
	if v.Staff.Standing.Key != "sync.not_enrolled" || v.Staff.StandingAlert {
		t.Errorf("standing %v alert %v, want sync.not_enrolled", v.Staff.Standing, v.Staff.StandingAlert)
	}
	// Enrolled, yet the App gave no link (its key is missing): a warning.
	if err := r.env.SetEnrolled(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	r.do(Action{Kind: ActStaff, Staff: StaffSummary})
	r.press(ActConfirm)
	v = r.wantTitle(SceneStaffMenu, "staff.menu")
	if v.Staff.Standing.Key != "sync.no_link" || !v.Staff.StandingAlert {
		t.Errorf("standing %v alert %v, want the sync.no_link warning", v.Staff.Standing, v.Staff.StandingAlert)
	}
}

// TestSyncNowRunsBesideTheTerminal: 同步中… while the sync runs, which
// never makes the screen busy; a visitor is served meanwhile and is not
// interrupted by its end; the result is shown to staff who wait for it.
func TestSyncNowRunsBesideTheTerminal(t *testing.T) {
	r, f := syncRig(t)
	r.env.AnyTime(t)
	_, card := r.env.AddPerson(t, "周玥", record.RedVest)
	r.staffLogin()
	v := r.term.View()
	if !hasSync(v.Staff.Menu) {
		t.Fatal("no 立即同步 on the menu of a terminal that syncs")
	}
	if v.Staff.Standing.Key != "sync.never" || v.Staff.StandingAlert {
		t.Errorf("standing %v, want sync.never", v.Staff.Standing)
	}
	r.do(Action{Kind: ActStaff, Staff: StaffSync})
	v = r.wantTitle(SceneStaffSync, "sync.running")
	if v.Busy || v.Tone != ToneNone {
		t.Errorf("syncing: busy %v tone %v", v.Busy, v.Tone)
	}
	r.press(ActBack)
	v = r.wantTitle(SceneStaffMenu, "staff.menu")
	if v.Staff.Standing.Key != "sync.running_standing" {
		t.Errorf("standing while syncing: %v", v.Staff.Standing)
	}
	// A visitor checks in while the sync runs.
	r.tap(card)
	r.want(ScenePerson)
	r.press(ActCheckIn, ActConfirm)
	r.want(SceneCheckInDone)
	r.finishSync(f, SyncResult{Outcome: SyncDone, Pushed: 3, Acked: 3})
	r.want(SceneCheckInDone)
	if n := f.calls.Load(); n != 1 {
		t.Fatalf("%d syncs, want 1", n)
	}
	r.press(ActHome)

	// Staff who wait see how it went.
	r.staffLogin()
	r.do(Action{Kind: ActStaff, Staff: StaffSync})
	r.wantTitle(SceneStaffSync, "sync.running")
	r.finishSync(f, SyncResult{Outcome: SyncDone, Pushed: 12, Changes: 2, Acked: 345, Pulled: 7})
	v = r.wantTitle(SceneStaffSync, "sync.done")
	if v.Tone != ToneSuccess || fmt.Sprint(v.Lines) != "[{sync.pushed [12 345]} {sync.changes [2]} {sync.pulled [7]}]" {
		t.Errorf("done: tone %v lines %v", v.Tone, v.Lines)
	}
	r.press(ActConfirm)
	r.wantTitle(SceneStaffMenu, "staff.menu")

	// 立即同步 again while one runs waits for it: no second sync.
	r.do(Action{Kind: ActStaff, Staff: StaffSync})
	r.press(ActBack)
	r.do(Action{Kind: ActStaff, Staff: StaffSync})
	r.finishSync(f, SyncResult{Outcome: SyncOffline, Unsynced: 4, Err: errors.New("dial tcp: refused")})
	r.wantTitle(SceneStaffSync, "sync.offline")
	if n := f.calls.Load(); n != 3 {
		t.Errorf("%d syncs, want 3", n)
	}
}

func TestSyncOutcomesInWords(t *testing.T) {
	for _, tc := range []struct {
		res   SyncResult
		title string
		tone  Tone
		lines string
	}{
		{SyncResult{Outcome: SyncDone, Pushed: 0, Acked: 9, Pulled: 0}, "sync.done", ToneSuccess, "[{sync.pushed [0 9]} {sync.pulled [0]}]"},
		{SyncResult{Outcome: SyncDone, Pushed: 5, Acked: 9, Unsynced: 2}, "sync.done", ToneSuccess, "[{sync.pushed [5 9]} {sync.pulled [0]} {staff.unsynced [2]}]"},
		{SyncResult{Outcome: SyncOffline, Unsynced: 4}, "sync.offline", ToneRefusal, "[{sync.retry_tonight []} {staff.unsynced [4]}]"},
		{SyncResult{Outcome: SyncHubDown, Unsynced: 4}, "sync.hub_down", ToneRefusal, "[{sync.retry_tonight []} {staff.unsynced [4]}]"},
		{SyncResult{Outcome: SyncRefused}, "sync.refused", ToneAttention, "[{sync.kept []} {tech.title []}]"},
		{SyncResult{Outcome: SyncFork}, "sync.fork", ToneAttention, "[{tech.title []}]"},
		{SyncResult{Outcome: SyncRejected}, "sync.rejected", ToneAttention, "[{tech.title []}]"},
		{SyncResult{Outcome: SyncFailed}, "sync.failed", ToneAttention, "[{tech.title []}]"},
	} {
		// Named without "#": the temporary directory's name goes into an
		// SQLite URI.
		t.Run(fmt.Sprintf("%s-%d", tc.res.Outcome, tc.res.Pushed), func(t *testing.T) {
			r, f := syncRig(t)
			r.staffLogin()
			r.do(Action{Kind: ActStaff, Staff: StaffSync})
			if tc.res.Outcome != SyncDone {
				tc.res.Err = errors.New(tc.res.Outcome.String())
			}
			r.finishSync(f, tc.res)
			v := r.wantTitle(SceneStaffSync, tc.title)
			if v.Tone != tc.tone || fmt.Sprint(v.Lines) != tc.lines {
				t.Errorf("tone %v lines %v, want %v %s", v.Tone, v.Lines, tc.tone, tc.lines)
			}
		})
	}
}

// TestSyncStandingWarns: the menu says when the last sync was and what
// waits, and warns of a refusal and of a fork.
func TestSyncStandingWarns(t *testing.T) {
	r, _ := syncRig(t)
	ctx := context.Background()
	r.env.Clock.Set(time.Date(2026, 3, 3, 2, 13, 0, 0, r.env.Location()))
	if err := r.env.RecordSync(ctx); err != nil {
		t.Fatal(err)
	}
	r.env.Clock.Advance(7 * time.Hour)
	r.staffLogin()
	v := r.term.View()
	if v.Staff.Standing.Key != "sync.last" || fmt.Sprint(v.Staff.Standing.Args) != "[02:13 0]" || v.Staff.StandingAlert {
		t.Errorf("standing %v alert %v, want the last sync at 02:13", v.Staff.Standing, v.Staff.StandingAlert)
	}
	for _, tc := range []struct {
		push hubsync.PushResult
		key  string
	}{
		{hubsync.PushResult{Refused: "a gap after 4"}, "sync.refused_standing"},
		{hubsync.PushResult{Refused: "behind its anchor", Fork: true}, "sync.fork_standing"},
	} {
		if err := r.env.RecordPush(ctx, tc.push); err != nil {
			t.Fatal(err)
		}
		r.do(Action{Kind: ActStaff, Staff: StaffSummary})
		r.press(ActConfirm)
		if v := r.wantTitle(SceneStaffMenu, "staff.menu"); v.Staff.Standing.Key != tc.key || !v.Staff.StandingAlert {
			t.Errorf("standing %v alert %v, want the %s warning", v.Staff.Standing, v.Staff.StandingAlert, tc.key)
		}
	}
}
