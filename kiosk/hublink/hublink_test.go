package hublink_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/server"
	"github.com/hongmajia/hongmajia/hub/sqlitestore"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/kiosk/hublink"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

var ctx = context.Background()

// hubEnv is a real hub (SQLite store, HTTP server on loopback) with the
// test ledgers' center.
type hubEnv struct {
	hub *hub.Hub
	url string
	clk *clock.Fake
}

func newHub(t *testing.T) *hubEnv {
	t.Helper()
	e := &hubEnv{clk: clock.NewFake(ledgertest.Start)}
	dir := t.TempDir()
	st, err := sqlitestore.Open(ctx, dir, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e.hub, err = hub.Open(ctx, dir, hub.Options{Store: st, Clock: e.clk, Log: log, PIN: hub.PINParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.hub.AddCenter(ctx, ledgertest.Center, "测试党群服务中心"); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.url = "http://" + ln.Addr().String()
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- server.New(e.hub, log).Serve(sctx, ln, nil) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		e.hub.Close()
	})
	return e
}

func (e *hubEnv) token(t *testing.T) string {
	t.Helper()
	tok, _, err := e.hub.IssueToken(ctx, ledgertest.Center, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// kiosk is a test ledger enrolled at e, and its link.
func (e *hubEnv) kiosk(t *testing.T) (*ledgertest.Env, *hublink.Link) {
	t.Helper()
	k := ledgertest.MustOpen(t)
	opts := hublink.Options{Clock: k.Clock, Sync: k.Sync, Version: "test"}
	if _, err := hublink.Enroll(ctx, k.Dir, k.Ledger, e.url, e.token(t), opts); err != nil {
		t.Fatalf("enroll: %v", err)
	}
	key, err := hublink.LoadKey(k.Dir)
	if err != nil {
		t.Fatal(err)
	}
	return k, hublink.New(k.Ledger, key, opts)
}

func mustSync(t *testing.T, ln *hublink.Link) hublink.Result {
	t.Helper()
	res, err := ln.Sync(ctx)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return res
}

func TestEarnHereSpendThere(t *testing.T) {
	h := newHub(t)
	a, la := h.kiosk(t)
	p, card := a.AddPerson(t, "张三", record.RedVest)
	a.Credit(t, p.ID, 100)
	res := mustSync(t, la)
	head, _ := a.Head(ctx)
	if res.Acked != head.Seq || res.Unsynced != 0 || res.Pushed != int(head.Seq) {
		t.Fatalf("sync %+v; head %d", res, head.Seq)
	}
	if b, err := h.hub.DistrictBalance(ctx, p.ID); err != nil || b.Points != 100 {
		t.Fatalf("district balance %+v %v, want 100 points", b, err)
	}
	b, lb := h.kiosk(t)
	item := b.AddItem(t, "毛巾", 30, 5)
	mustSync(t, lb)
	if got, err := b.Balance(ctx, p.ID); err != nil || got.Points != 100 {
		t.Fatalf("balance at the other kiosk %+v %v, want 100", got, err)
	}
	if _, err := b.Redeem(ctx, ledger.Redeem{ID: record.NewEntryID(), Card: card, Item: item.ID}); err != nil {
		t.Fatalf("redeem at the other kiosk: %v", err)
	}
	mustSync(t, lb)
	mustSync(t, la)
	if got, err := a.Balance(ctx, p.ID); err != nil || got.Points != 70 {
		t.Fatalf("balance back at the first kiosk %+v %v, want 70", got, err)
	}
	a.MustVerify(t)
	b.MustVerify(t)
	// A second sync with nothing new pushes nothing.
	if res := mustSync(t, la); res.Pushed != 0 || res.Changes != 0 {
		t.Errorf("an idle sync pushed %+v", res)
	}
}

// TestACenterThatStartedAloneBringsItsRegistry: a kiosk set up alone
// (kioskctl init, import, staff) with its activities, catalog and staff
// cards enrolls and syncs; the center's second kiosk pulls all of it, lets
// the first's technician in with their PIN, serves the first's station
// activity, and redeems the first's item once it was restocked there.
func TestACenterThatStartedAloneBringsItsRegistry(t *testing.T) {
	h := newHub(t)
	a := ledgertest.MustOpen(t)
	p, card := a.AddPerson(t, "孙七", record.RedVest)
	a.Credit(t, p.ID, 100)
	rules := record.Rules{AnyTime: true, MaxMinutes: 240, PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 10}}
	if _, err := a.ImportActivities(ctx, ledger.ImportActivities{ID: record.NewEntryID(), Activities: []ledger.ImportActivity{
		{Name: "助老服务", Rules: rules, Station: true}, {Name: "环境整治", Schedule: record.Schedule{Start: "14:00", End: "16:00"}, Rules: rules}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ImportCatalog(ctx, ledger.ImportCatalog{ID: record.NewEntryID(), Items: []ledger.ImportItem{
		{Item: ledger.Item{Name: "大米", Price: 40, Limit: 2, Period: ledger.Monthly, Active: true}, Stock: 1}}}); err != nil {
		t.Fatal(err)
	}
	const tech, techPIN = record.CardUID("5AF00002"), "97531"
	if _, err := a.AddStaff(ctx, ledger.AddStaff{ID: record.NewEntryID(), UID: tech, Name: "技术员", Role: ledger.RoleTechnician, PIN: techPIN}); err != nil {
		t.Fatal(err)
	}
	opts := hublink.Options{Clock: a.Clock, Sync: a.Sync, Version: "test"}
	if _, err := hublink.Enroll(ctx, a.Dir, a.Ledger, h.url, h.token(t), opts); err != nil {
		t.Fatal(err)
	}
	key, err := hublink.LoadKey(a.Dir)
	if err != nil {
		t.Fatal(err)
	}
	la := hublink.New(a.Ledger, key, opts)
	if res := mustSync(t, la); res.Changes < 7 {
		t.Fatalf("the first sync pushed %d registry changes: %+v", res.Changes, res)
	}
	station, err := a.StationActivity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rice := func(l *ledger.Ledger) ledger.Offer {
		t.Helper()
		offers, err := l.Catalog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range offers {
			if o.Item.Name == "大米" {
				return o
			}
		}
		t.Fatalf("no 大米 in the catalog %+v", offers)
		return ledger.Offer{}
	}
	// The first kiosk restocks; then the center's second kiosk syncs.
	if _, err := a.Restock(ctx, ledger.Restock{ID: record.NewEntryID(), Item: rice(a.Ledger).Item.ID, Quantity: 4, Operator: tech}); err != nil {
		t.Fatal(err)
	}
	mustSync(t, la)
	b, lb := h.kiosk(t)
	mustSync(t, lb)
	as, err := b.Activities(ctx)
	if err != nil || len(as) != 2 {
		t.Fatalf("the second kiosk's activities %+v %v", as, err)
	}
	if got, err := b.StationActivity(ctx); err != nil || got.ID != station.ID || got.Rules.MaxMinutes != 240 {
		t.Errorf("the second kiosk's station activity %+v %v, want %+v", got, err, station)
	}
	if s, err := b.CheckPIN(ctx, tech, techPIN); err != nil || s.Role != ledger.RoleTechnician {
		t.Errorf("the first kiosk's technician at the second: %+v %v", s, err)
	}
	offer := rice(b.Ledger)
	if offer.Item != rice(a.Ledger).Item || offer.Stock != 5 {
		t.Fatalf("the second kiosk's 大米 %+v, want the first's with 5 in stock", offer)
	}
	red, err := b.Redeem(ctx, ledger.Redeem{ID: record.NewEntryID(), Card: card, Item: offer.Item.ID, Quantity: 2})
	if err != nil {
		t.Fatalf("redeem the first kiosk's item at the second: %v", err)
	}
	if red.Balance.Points != 20 {
		t.Errorf("balance after redeeming 80 of 100: %+v", red.Balance)
	}
	if _, err := b.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: card, Activity: station.ID}); err != nil {
		t.Errorf("check in at the first kiosk's activity at the second: %v", err)
	}
	mustSync(t, lb)
	mustSync(t, la)
	if got := rice(a.Ledger); got.Stock != 3 {
		t.Errorf("stock back at the first kiosk %d, want 3", got.Stock)
	}
	if bal, err := a.Balance(ctx, p.ID); err != nil || bal.Points != 20 {
		t.Errorf("balance back at the first kiosk %+v %v", bal, err)
	}
	a.MustVerify(t)
	b.MustVerify(t)
	// Nothing the hub knew of only by the entries.
	flags, err := h.hub.Flags(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range flags {
		if f.Kind != hub.FlagConflict || !strings.Contains(f.Subject, "staff card "+string(a.Staff)) {
			t.Errorf("flag %+v", f) // the test ledgers' staff cards share a UID: the only conflict
		}
	}
}

// TestAChangeAfterAPullIsNewerThanWhatItPulled: a staff card disabled at
// the hub reaches the kiosk at its sync; enabled again there the next day,
// the kiosk's change is the newer one: the hub takes it, unflagged.
func TestAChangeAfterAPullIsNewerThanWhatItPulled(t *testing.T) {
	h := newHub(t)
	a, la := h.kiosk(t)
	mustSync(t, la)
	if _, err := h.hub.BlockCard(ctx, a.Staff); err != nil {
		t.Fatal(err)
	}
	mustSync(t, la)
	if _, err := a.CheckPIN(ctx, a.Staff, ledgertest.StaffPIN); !errors.Is(err, ledger.ErrStaffDisabled) {
		t.Fatalf("a staff card disabled at the hub: %v", err)
	}
	a.Clock.Advance(24 * time.Hour)
	h.clk.Advance(24 * time.Hour)
	if _, err := a.SetStaffActive(ctx, ledger.SetStaffActive{ID: record.NewEntryID(), UID: a.Staff, Active: true}); err != nil {
		t.Fatal(err)
	}
	mustSync(t, la)
	if s, err := a.CheckPIN(ctx, a.Staff, ledgertest.StaffPIN); err != nil || !s.Active {
		t.Errorf("the card enabled again at the kiosk, after a sync: %+v %v", s, err)
	}
	// Had the hub taken the kiosk's change for one made before the block,
	// it would keep the block and flag the conflict.
	if fl, err := h.hub.Flags(ctx, true); err != nil || len(fl) != 0 {
		t.Errorf("flags %+v %v", fl, err)
	}
}

func TestBlockedAtTheHubRefusedHere(t *testing.T) {
	h := newHub(t)
	a, la := h.kiosk(t)
	p, card := a.AddPerson(t, "李四", record.GreenVest)
	a.Credit(t, p.ID, 50)
	mustSync(t, la)
	if _, err := h.hub.BlockCard(ctx, card); err != nil {
		t.Fatal(err)
	}
	mustSync(t, la)
	if _, err := a.LookupCard(ctx, card); !errors.Is(err, ledger.ErrCardRevoked) {
		t.Fatalf("a card blocked at the hub is looked up here: %v", err)
	}
}

func TestEnrollRefusesABadToken(t *testing.T) {
	h := newHub(t)
	k := ledgertest.MustOpen(t)
	opts := hublink.Options{Clock: k.Clock, Sync: k.Sync}
	for name, tok := range map[string]string{"unknown": "nope", "empty": ""} {
		if _, err := hublink.Enroll(ctx, k.Dir, k.Ledger, h.url, tok, opts); !errors.Is(err, hubsync.ErrToken) {
			t.Errorf("%s token: %v, want ErrToken", name, err)
		}
	}
	tok := h.token(t)
	other := ledgertest.MustOpen(t)
	if _, err := hublink.Enroll(ctx, other.Dir, other.Ledger, h.url, tok, hublink.Options{Clock: other.Clock, Sync: other.Sync}); err != nil {
		t.Fatal(err)
	}
	if _, err := hublink.Enroll(ctx, k.Dir, k.Ledger, h.url, tok, opts); !errors.Is(err, hubsync.ErrToken) {
		t.Errorf("a used token: %v, want ErrToken", err)
	}
	if en, err := k.Enrollment(ctx); err != nil || en.Enrolled {
		t.Errorf("refused, yet enrolled: %+v %v", en, err)
	}
	key, err := hublink.LoadKey(k.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hublink.New(k.Ledger, key, opts).Sync(ctx); !errors.Is(err, hublink.ErrNotEnrolled) {
		t.Errorf("sync of a kiosk never enrolled: %v", err)
	}
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := hublink.LoadKey(dir); !errors.Is(err, hublink.ErrNoKey) {
		t.Fatalf("no key: %v", err)
	}
	k, err := hublink.MakeKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, hublink.KeyFile)
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v %v, want mode 0600", st.Mode(), err)
	}
	again, err := hublink.MakeKey(dir)
	if err != nil || !again.Equal(k) {
		t.Fatal("a second MakeKey made another key")
	}
	os.Chmod(path, 0o644)
	if _, err := hublink.LoadKey(dir); err == nil {
		t.Error("a key others can read was loaded")
	}
	os.WriteFile(path, []byte("short"), 0o600)
	if _, err := hublink.LoadKey(dir); err == nil {
		t.Error("a 5-byte key was loaded")
	}
}

// copyLedger copies the ledger's files of src into dst (the ledger closed).
func copyLedger(t *testing.T, src, dst string) {
	t.Helper()
	for _, name := range []string{ledger.FileName, ledger.FileName + "-wal"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if errors.Is(err, os.ErrNotExist) {
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

func TestARolledBackLedgerIsAFork(t *testing.T) {
	h := newHub(t)
	a, la := h.kiosk(t)
	p, _ := a.AddPerson(t, "王五", record.RedVest)
	a.Credit(t, p.ID, 10)
	mustSync(t, la)
	a.Ledger.Close()
	saved := t.TempDir()
	copyLedger(t, a.Dir, saved)
	a.Reopen(t)
	for range 5 {
		a.Credit(t, p.ID, 10)
	}
	key, _ := hublink.LoadKey(a.Dir)
	mustSync(t, hublink.New(a.Ledger, key, hublink.Options{Clock: a.Clock, Sync: a.Sync}))
	a.Ledger.Close()
	copyLedger(t, saved, a.Dir) // five acknowledged entries rolled back
	a.Reopen(t)
	a.Clock.Advance(time.Minute) // the technician looks a minute later
	ln := hublink.New(a.Ledger, key, hublink.Options{Clock: a.Clock, Sync: a.Sync})
	anc, err := ln.CheckAnchor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !anc.Fork || anc.Hub.Seq != anc.Local.Seq+5 {
		t.Fatalf("anchor %+v: want a fork five entries behind", anc)
	}
	a.Credit(t, p.ID, 1) // reuses a sequence the hub holds
	if _, err := ln.Sync(ctx); !errors.Is(err, hubsync.ErrFork) {
		t.Fatalf("sync of a rolled-back ledger: %v, want ErrFork", err)
	}
	st, _ := a.SyncState(ctx)
	if !st.Fork {
		t.Error("the ledger does not say it forked")
	}
}

func TestRestoreFromHub(t *testing.T) {
	h := newHub(t)
	a, la := h.kiosk(t)
	p, card := a.AddPerson(t, "赵六", record.Resident)
	a.Credit(t, p.ID, 40)
	act := a.AnyTime(t)
	towel := a.AddItem(t, "毛巾", 10, 3)
	mustSync(t, la) // an enrolled kiosk redeems after a sync
	if _, err := a.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: card, Activity: act.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Redeem(ctx, ledger.Redeem{ID: record.NewEntryID(), Card: card, Item: towel.ID}); err != nil {
		t.Fatal(err)
	}
	mustSync(t, la)
	head, _ := a.Head(ctx)
	term := a.Terminal().ID
	tok, _, err := h.hub.RestoreToken(ctx, term, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	opts := hublink.Options{Clock: a.Clock, Sync: a.Sync}
	l, err := hublink.Restore(ctx, dir, h.url, term, tok, ledgertest.Options(a.Clock, a.Sync), opts)
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	defer l.Close()
	got, _ := l.Head(ctx)
	if got != head {
		t.Fatalf("restored head %+v, want %+v", got, head)
	}
	if b, err := l.Balance(ctx, p.ID); err != nil || b.Points != 30 {
		t.Fatalf("restored balance %+v %v", b, err)
	}
	if info, err := l.LookupCard(ctx, card); err != nil || info.Card.State != ledger.CardActive {
		t.Fatalf("restored card %+v %v", info, err)
	}
	// The kiosk's own staff card, activity and item come back as they
	// were, not as placeholders.
	if s, err := l.CheckPIN(ctx, a.Staff, ledgertest.StaffPIN); err != nil || s.Name != "值班员" || s.Role != ledger.RoleStaff {
		t.Fatalf("the kiosk's staff card after the restore: %+v %v", s, err)
	}
	if got, err := l.Activity(ctx, act.ID); err != nil || got.Name != act.Name || !got.Active || !got.Rules.AnyTime {
		t.Errorf("restored activity %+v %v, want %+v", got, err, act)
	}
	if offers, err := l.Catalog(ctx); err != nil || len(offers) != 1 || offers[0].Item != towel || offers[0].Stock != 2 {
		t.Errorf("restored catalog %+v %v, want %+v with 2 left", offers, err, towel)
	}
	if _, err := l.Adjust(ctx, ledger.Adjust{ID: record.NewEntryID(), Person: p.ID, Points: 5, Reason: "after restore", Operator: a.Staff}); err != nil {
		t.Fatal(err)
	}
	key, err := hublink.LoadKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := hublink.New(l, key, opts).Sync(ctx)
	if err != nil || res.Acked != head.Seq+1 {
		t.Fatalf("sync after restore %+v %v", res, err)
	}
	if rep, err := l.Verify(ctx); err != nil || !rep.OK() {
		t.Fatalf("restored ledger verify %+v %v", rep, err)
	}
	// The old card (its key) is no longer the terminal's.
	if _, err := la.Sync(ctx); !errors.Is(err, hubsync.ErrSignature) {
		t.Errorf("the old card synced after the restore: %v", err)
	}
}

func TestScheduleNext(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	s := hublink.Schedule{Jitter: -1, Location: cst}
	at := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, cst) }
	for _, c := range []struct{ now, start, end time.Time }{
		{at(2, 9, 0), at(3, 2, 0), at(3, 4, 0)},
		{at(3, 1, 59), at(3, 2, 0), at(3, 4, 0)},
		{at(3, 3, 0), at(3, 2, 0), at(3, 4, 0)}, // open now
		{at(3, 4, 0), at(4, 2, 0), at(4, 4, 0)},
	} {
		start, end := s.Next(c.now, "K1")
		if !start.Equal(c.start) || !end.Equal(c.end) {
			t.Errorf("Next(%s) = %s..%s, want %s..%s", c.now, start, end, c.start, c.end)
		}
	}
	j := hublink.Schedule{Location: cst}
	seen := map[time.Time]bool{}
	for _, term := range []string{"K1", "K2", "K3", "K4"} {
		start, _ := j.Next(at(2, 9, 0), term)
		if start.Before(at(3, 2, 0)) || !start.Before(at(3, 2, 30)) {
			t.Errorf("%s starts at %s, outside 02:00-02:30", term, start)
		}
		seen[start] = true
		if again, _ := j.Next(at(2, 10, 0), term); !again.Equal(start) {
			t.Errorf("%s's jitter moved: %s then %s", term, start, again)
		}
	}
	if len(seen) < 3 {
		t.Errorf("four kiosks start at %d distinct times", len(seen))
	}
}

func TestRunRetriesUntilTheWindowCloses(t *testing.T) {
	h := newHub(t)
	a, _ := h.kiosk(t)
	key, _ := hublink.LoadKey(a.Dir)
	cst := time.FixedZone("CST", 8*3600)
	// A hub that is down: nothing listens there.
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	url := "http://" + dead.Addr().String()
	dead.Close()
	ln := hublink.New(a.Ledger, key, hublink.Options{Clock: a.Clock, Sync: a.Sync, URL: url})
	s := hublink.Schedule{Jitter: -1, Location: cst, Window: time.Hour, Backoff: 10 * time.Minute, MaxBackoff: 20 * time.Minute}
	tries, at := make(chan error, 100), make(chan time.Time, 100)
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		ln.Run(rctx, s, func(_ hublink.Result, err error) { at <- a.Clock.Now(); tries <- err })
		close(done)
	}()
	defer func() { stop(); <-done }()
	// Move the clock in steps until the night's window has passed; before
	// each step the loop has settled (it waits on the clock again), so
	// every try of a step is reported before the next.
	night := time.Date(2026, 3, 3, 3, 0, 0, 0, cst)
	for a.Clock.Now().Before(night) {
		waitWaiter(t, a.Clock)
		a.Clock.Advance(5 * time.Minute)
	}
	waitWaiter(t, a.Clock)
	var errs []error
	for len(tries) > 0 {
		errs = append(errs, <-tries)
	}
	// 02:00, 02:10, 02:30, 02:50; then 02:50 + 20 min is past 03:00: four
	// tries, the next at tomorrow's window.
	if len(errs) != 4 {
		t.Fatalf("%d tries in the window, want 4: %v", len(errs), errs)
	}
	for i, err := range errs {
		if !errors.Is(err, hubsync.ErrNetwork) {
			t.Errorf("try: %v, want ErrNetwork", err)
		}
		if got, want := <-at, time.Date(2026, 3, 3, 2, []int{0, 10, 30, 50}[i], 0, 0, cst); !got.Equal(want) {
			t.Errorf("try %d at %s, want %s", i+1, got, want)
		}
	}
}

// waitWaiter waits until a goroutine waits on clk.
func waitWaiter(t *testing.T, clk *clock.Fake) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for clk.Waiters() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("nothing waits on the clock")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestCheckAnchorWaitsForASync: the hub takes each kiosk's request counter
// strictly increasing, so a kiosk's requests go one at a time: an anchor
// check asked while a sync runs waits for it rather than racing it to the
// hub (one of the two would be refused as a replay).
func TestCheckAnchorWaitsForASync(t *testing.T) {
	h := newHub(t)
	a, _ := h.kiosk(t)
	p, _ := a.AddPerson(t, "钱七", record.RedVest)
	a.Credit(t, p.ID, 5)
	// A proxy before the hub that holds the first request until released.
	target, err := url.Parse(h.url)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	release := make(chan struct{})
	var seen atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) == 1 {
			<-release
		}
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	key, _ := hublink.LoadKey(a.Dir)
	ln := hublink.New(a.Ledger, key, hublink.Options{Clock: a.Clock, Sync: a.Sync, URL: proxy.URL})
	synced := make(chan error, 1)
	go func() { _, err := ln.Sync(ctx); synced <- err }()
	for deadline := time.Now().Add(5 * time.Second); seen.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the sync sent nothing")
		}
	}
	checked := make(chan error, 1)
	go func() { _, err := ln.CheckAnchor(ctx); checked <- err }()
	time.Sleep(100 * time.Millisecond)
	if n := seen.Load(); n != 1 {
		close(release)
		t.Fatalf("%d requests reached the hub while the sync's first was held, want 1", n)
	}
	close(release)
	if err := <-synced; err != nil {
		t.Errorf("sync: %v", err)
	}
	if err := <-checked; err != nil {
		t.Errorf("anchor check after the sync: %v", err)
	}
}
