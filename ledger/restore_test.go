package ledger_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// deadKiosk is an enrolled ledger with a bit of everything (shifts closed,
// open and reversed, redemptions kept and reversed, a replaced card, a
// walk-in merged at the hub with a shift still open), and what the hub
// would answer a restore of it with.
func deadKiosk(t *testing.T) (*ledgertest.Env, hubsync.Enrolled, hubsync.Restored) {
	t.Helper()
	e := ledgertest.MustOpen(t)
	enrol(t, e)
	applyPull(t, e, hubsync.PullResult{Version: 1})
	act := e.AnyTime(t)
	it := e.AddItem(t, "大米", 40, 10)
	p, card := e.AddPerson(t, "王堃", record.RedVest)
	q, qcard := e.AddPerson(t, "李玥", record.GreenVest)
	w, err := e.EnrolPerson(ctx, ledger.EnrolPerson{ID: record.NewEntryID(), Provisional: true, Kind: record.Resident})
	if err != nil {
		t.Fatal(err)
	}
	wcard := e.NewUID()
	if _, err := e.BindCard(ctx, ledger.BindCard{ID: record.NewEntryID(), Person: w.ID, UID: wcard, Operator: e.Staff}); err != nil {
		t.Fatal(err)
	}
	e.Credit(t, p.ID, 200)
	for _, c := range []record.CardUID{card, qcard, wcard} {
		if _, err := e.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: c, Activity: act.ID}); err != nil {
			t.Fatal(err)
		}
	}
	e.Clock.Advance(2 * time.Hour)
	out, err := e.CheckOut(ctx, ledger.CheckOut{ID: record.NewEntryID(), Card: card})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.CheckOut(ctx, ledger.CheckOut{ID: record.NewEntryID(), Card: qcard}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Reverse(ctx, ledger.Reverse{ID: record.NewEntryID(), Entry: out.Entry.ID, Operator: e.Staff, Reason: "测试"}); err != nil {
		t.Fatal(err)
	}
	r1, err := redeem(e, card, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := redeem(e, card, it.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Reverse(ctx, ledger.Reverse{ID: record.NewEntryID(), Entry: r1.Entry.ID, Operator: e.Staff, Reason: "测试"}); err != nil {
		t.Fatal(err)
	}
	newCard := e.NewUID()
	if _, err := e.ReplaceCard(ctx, ledger.ReplaceCard{ID: record.NewEntryID(), Old: card, New: newCard, Operator: e.Staff}); err != nil {
		t.Fatal(err)
	}
	pushAll(t, e)
	h := head(t, e)
	// The hub merged the walk-in into 李玥 and sends its full registry.
	merged := hubsync.PullResult{Version: 11, Aliases: []hubsync.Alias{{From: w.ID, To: q.ID}},
		Balances: []hubsync.Snapshot{signed(e, q.ID, 500, 120, h.Seq, 11)}}
	applyPull(t, e, merged)
	e.MustVerify(t)

	es, err := e.EntriesAfter(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var enc [][]byte
	for _, x := range es {
		b, err := x.Encode()
		if err != nil {
			t.Fatal(err)
		}
		enc = append(enc, b)
	}
	pb, _ := e.Person(ctx, p.ID)
	qb, _ := e.Person(ctx, q.ID)
	full := hubsync.PullResult{Version: 11,
		People: []hubsync.Person{
			{ID: pb.ID, MemberNo: pb.MemberNo, Name: pb.Name, Phone: pb.Phone, Community: pb.Community, Kind: pb.Kind},
			{ID: qb.ID, MemberNo: qb.MemberNo, Name: qb.Name, Phone: qb.Phone, Community: qb.Community, Kind: qb.Kind},
		},
		Cards: []hubsync.Card{{UID: card, Person: p.ID, State: hubsync.CardLost}, {UID: newCard, Person: p.ID, State: hubsync.CardActive},
			{UID: qcard, Person: q.ID, State: hubsync.CardActive}, {UID: wcard, Person: q.ID, State: hubsync.CardActive}},
		Aliases:    []hubsync.Alias{{From: w.ID, To: q.ID}},
		Activities: []hubsync.Activity{{ID: act.ID, Center: ledgertest.Center, Name: act.Name, Rules: act.Rules, Schedule: act.Schedule, Active: true}},
		Items:      []hubsync.Item{{ID: it.ID, Name: it.Name, Price: it.Price, Active: true}},
		Staff:      []hubsync.Staff{{UID: e.Staff, Name: "值班员", Role: hubsync.RoleStaff, PINHash: phc(ledgertest.StaffPIN), Active: true}},
		Stock:      []hubsync.Stock{signedStock(e, it.ID, 9, h.Seq, 11)}, // 10 stocked, 2 redeemed, 1 reversed
		Balances:   []hubsync.Snapshot{signed(e, q.ID, 500, 120, h.Seq, 11)},
	}
	changes := enrollment(t, e).ChangesAcked
	return e, enrolled(e), hubsync.Restored{Entries: enc, ChangesAcked: changes, Pull: full, Counter: 41}
}

func restoreOpts() (ledger.Options, *clock.Fake) {
	c := clock.NewFake(ledgertest.Start.Add(48 * time.Hour))
	return ledgertest.Options(c, clock.NewFakeSync(true)), c
}

func TestRestoreFromHub(t *testing.T) {
	old, en, r := deadKiosk(t)
	oldHead := head(t, old)
	dir := t.TempDir()
	opts, _ := restoreOpts()
	l, err := ledger.RestoreFromHub(ctx, dir, en, r, opts)
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	defer l.Close()
	if l.Terminal().ID != old.Terminal().ID || l.Terminal().Center != ledgertest.Center {
		t.Fatalf("identity %+v, want %+v", l.Terminal(), old.Terminal())
	}
	if h, err := l.Head(ctx); err != nil || h != oldHead {
		t.Fatalf("head %+v %v, want %+v", h, err, oldHead)
	}
	rep, err := l.Verify(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("verify the restored ledger: %v %v", rep.Problems, err)
	}
	// Every balance as the old ledger had it.
	for _, c := range r.Pull.Cards {
		want, _ := old.LookupCard(ctx, c.UID)
		got, err := l.LookupCard(ctx, c.UID)
		if (err == nil) != (c.State == hubsync.CardActive) || got.Person == nil || got.Person.ID != want.Person.ID || got.Balance != want.Balance {
			t.Errorf("card %s: %+v %v, want %+v", c.UID, got.Balance, err, want.Balance)
		}
	}
	oldStock, _ := old.Catalog(ctx)
	newStock, _ := l.Catalog(ctx)
	if len(newStock) != 1 || newStock[0].Stock != oldStock[0].Stock {
		t.Errorf("stock %+v, want %+v", newStock, oldStock)
	}
	oldShifts, _ := old.OpenShifts(ctx)
	newShifts, _ := l.OpenShifts(ctx)
	if len(newShifts) != 1 || len(oldShifts) != 1 || newShifts[0].ID != oldShifts[0].ID {
		t.Errorf("open shifts %+v, want %+v", newShifts, oldShifts)
	}
	en2, err := l.Enrollment(ctx)
	if err != nil || !en2.Enrolled || !en2.HubKey.Equal(hubPub) || en2.ChangesAcked != r.ChangesAcked || en2.RegistryVersion != 11 || en2.Acked != oldHead {
		t.Errorf("enrollment %+v %v", en2, err)
	}
	if st, _ := l.SyncState(ctx); st.Unsynced != 0 || st.ChangesUnsynced != 0 || st.LastSync.IsZero() {
		t.Errorf("sync state %+v", st)
	}
	opts.Sync.(*clock.FakeSync).Set(false) // counting on from the hub's, not jumping to the time
	if n, err := l.NextCounter(ctx); err != nil || n != 42 {
		t.Errorf("next counter %d %v, want 42", n, err)
	}
	if _, err := l.CheckPIN(ctx, old.Staff, ledgertest.StaffPIN); err != nil {
		t.Errorf("the staff card: %v", err)
	}
	// The next write continues the old chain, and the outbox its numbers.
	wcard := r.Pull.Cards[3].UID // the merged walk-in's, its shift open
	out, err := l.CheckOut(ctx, ledger.CheckOut{ID: record.NewEntryID(), Card: wcard})
	if err != nil {
		t.Fatalf("check out the walk-in's shift: %v", err)
	}
	if out.Entry.Seq != oldHead.Seq+1 || out.Entry.Prev != oldHead.Hash || out.Entry.Terminal != old.Terminal().ID {
		t.Errorf("the next entry %d prev %s, want %d after %s", out.Entry.Seq, out.Entry.Prev, oldHead.Seq+1, oldHead.Hash)
	}
	if _, err := l.BindCard(ctx, ledger.BindCard{ID: record.NewEntryID(), Person: r.Pull.People[0].ID, UID: "77777777", Operator: old.Staff}); err != nil {
		t.Fatal(err)
	}
	if ch, err := l.Changes(ctx, r.ChangesAcked, 0); err != nil || len(ch) != 1 || ch[0].Seq != r.ChangesAcked+1 || ch[0].Card.UID != "77777777" {
		t.Errorf("the outbox after a restore: %+v %v", ch, err)
	}
	rep, err = l.Verify(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("verify after writing on: %v %v", rep.Problems, err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l, err = ledger.Open(ctx, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := l.Head(ctx); h.Seq != oldHead.Seq+1 {
		t.Errorf("head after reopening: %+v", h)
	}
}

// TestRestoreRefuses: a broken chain or a bad signature is refused before
// anything is written.
func TestRestoreRefuses(t *testing.T) {
	_, en, r := deadKiosk(t)
	for _, tc := range []struct {
		name string
		bad  func(en *hubsync.Enrolled, r *hubsync.Restored)
		want error
	}{
		{"an entry changed", func(_ *hubsync.Enrolled, r *hubsync.Restored) {
			e, _ := record.DecodeEntry(r.Entries[5])
			e.Points += 100
			r.Entries[5], _ = e.Encode()
		}, record.ErrCorrupt},
		{"an entry missing", func(_ *hubsync.Enrolled, r *hubsync.Restored) {
			r.Entries = append(r.Entries[:3:3], r.Entries[4:]...)
		}, record.ErrCorrupt},
		{"another terminal's entries", func(en *hubsync.Enrolled, _ *hubsync.Restored) { en.Terminal = "0123456789ABCDEF" }, record.ErrCorrupt},
		{"a snapshot raised", func(_ *hubsync.Enrolled, r *hubsync.Restored) { r.Pull.Balances[0].Points++ }, hubsync.ErrSignature},
		{"a person the hub lost", func(_ *hubsync.Enrolled, r *hubsync.Restored) {
			r.Pull.People = r.Pull.People[1:]
			r.Pull.Cards = r.Pull.Cards[2:]
		}, ledger.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			en, r := en, r
			r.Entries = append([][]byte(nil), r.Entries...)
			r.Pull.Balances = append([]hubsync.Snapshot(nil), r.Pull.Balances...)
			tc.bad(&en, &r)
			dir := t.TempDir()
			opts, _ := restoreOpts()
			l, err := ledger.RestoreFromHub(ctx, dir, en, r, opts)
			if !errors.Is(err, tc.want) {
				l.Close()
				t.Fatalf("restore: %v, want %v", err, tc.want)
			}
			t.Log(err)
			if _, err := ledger.Open(ctx, dir, opts); !errors.Is(err, ledger.ErrNoLedger) {
				t.Errorf("a refused restore left a ledger: %v", err)
			}
			if m, _ := filepath.Glob(filepath.Join(dir, "*")); len(m) != 0 {
				t.Errorf("a refused restore left %v", m)
			}
		})
	}
}
