package ledger_test

import (
	"crypto/ed25519"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// hubKey is the test hub's signing key.
var hubKey = ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))

// hubPub is its public key.
var hubPub = hubKey.Public().(ed25519.PublicKey)

func enrolled(e *ledgertest.Env) hubsync.Enrolled {
	return hubsync.Enrolled{Terminal: e.Terminal().ID, Center: ledgertest.Center, CenterName: "测试党群服务中心",
		HubKey: hubPub, HubURL: "https://hub.test", Policy: record.DefaultPolicy}
}

// enrol enrols a test ledger with the test hub.
func enrol(t *testing.T, e *ledgertest.Env) {
	t.Helper()
	if err := e.Enroll(ctx, enrolled(e)); err != nil {
		t.Fatalf("enroll: %v", err)
	}
}

// signed is a balance snapshot for e's terminal signed by the test hub.
func signed(e *ledgertest.Env, p record.PersonID, points, minutes int64, asOf, version uint64) hubsync.Snapshot {
	s := hubsync.Snapshot{Person: p, Points: points, Minutes: minutes, AsOf: asOf, Version: version}
	s.Sig = ed25519.Sign(hubKey, s.SigningBytes(e.Terminal().ID))
	return s
}

// signedStock is a stock snapshot for e's terminal signed by the test hub.
func signedStock(e *ledgertest.Env, item record.ItemID, qty int64, asOf, version uint64) hubsync.Stock {
	s := hubsync.Stock{Center: ledgertest.Center, Item: item, Qty: qty, AsOf: asOf, Version: version}
	s.Sig = ed25519.Sign(hubKey, s.SigningBytes(e.Terminal().ID))
	return s
}

func head(t *testing.T, e *ledgertest.Env) record.Head {
	t.Helper()
	h, err := e.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// pushAll records the hub acknowledging everything e holds.
func pushAll(t *testing.T, e *ledgertest.Env) {
	t.Helper()
	en, err := e.Enrollment(ctx)
	if err != nil {
		t.Fatal(err)
	}
	changes, err := e.Changes(ctx, en.ChangesAcked, 0)
	if err != nil {
		t.Fatal(err)
	}
	acked := en.ChangesAcked
	if len(changes) > 0 {
		acked = changes[len(changes)-1].Seq
	}
	if err := e.RecordPush(ctx, hubsync.PushResult{Acked: head(t, e), ChangesAcked: acked}); err != nil {
		t.Fatalf("record push: %v", err)
	}
}

func syncState(t *testing.T, e *ledgertest.Env) ledger.SyncState {
	t.Helper()
	s, err := e.SyncState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func enrollment(t *testing.T, e *ledgertest.Env) ledger.Enrollment {
	t.Helper()
	en, err := e.Enrollment(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return en
}

func TestEnroll(t *testing.T) {
	e := ledgertest.MustOpen(t)
	if en := enrollment(t, e); en.Enrolled || en.HubKey != nil || en.HubURL != "" {
		t.Fatalf("a new ledger's enrollment %+v", en)
	}
	for name, bad := range map[string]func(*hubsync.Enrolled){
		"another terminal": func(en *hubsync.Enrolled) { en.Terminal = "0000000000000000" },
		"another center":   func(en *hubsync.Enrolled) { en.Center = "C-OTHER" },
		"a short hub key":  func(en *hubsync.Enrolled) { en.HubKey = en.HubKey[:16] },
		"no hub address":   func(en *hubsync.Enrolled) { en.HubURL = "" },
		"a negative cap":   func(en *hubsync.Enrolled) { en.Policy.OfflineCapPoints = -1 },
	} {
		en := enrolled(e)
		bad(&en)
		if err := e.Enroll(ctx, en); !errors.Is(err, ledger.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if syncState(t, e).Enrolled {
		t.Fatal("a refused enrollment enrolled the ledger")
	}
	en := enrolled(e)
	en.Policy = record.Policy{OfflineCapPoints: 300, MaxSyncAge: 48 * time.Hour}
	en.HubTime = ledgertest.Start.Add(90 * time.Second)
	if err := e.Enroll(ctx, en); err != nil {
		t.Fatal(err)
	}
	e.Reopen(t)
	got := enrollment(t, e)
	if !got.Enrolled || !got.HubKey.Equal(hubPub) || got.HubURL != "https://hub.test" || got.Center != ledgertest.Center ||
		got.CenterName != "测试党群服务中心" || got.ClockOffset != 90*time.Second || got.RegistryVersion != 0 || got.Counter != 0 {
		t.Errorf("enrollment %+v", got)
	}
	if p, _ := e.Policy(ctx); p != en.Policy {
		t.Errorf("policy %+v, want the hub's %+v", p, en.Policy)
	}
	if !syncState(t, e).Enrolled {
		t.Error("SyncState does not say enrolled")
	}
}

func TestNextCounterSurvivesReopen(t *testing.T) {
	e := ledgertest.MustOpen(t)
	e.Sync.Set(false) // a clock in 1970: the counter only counts
	var last uint64
	for i := range 6 {
		n, err := e.NextCounter(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n <= last {
			t.Fatalf("counter %d after %d", n, last)
		}
		last = n
		if i == 2 {
			e.Reopen(t)
		}
	}
	if last != 6 {
		t.Errorf("sixth counter %d, want 6", last)
	}
	if en := enrollment(t, e); en.Counter != 6 {
		t.Errorf("Enrollment.Counter %d, want 6", en.Counter)
	}
	// Once the clock is trusted the counter jumps to the time, so a ledger
	// rolled back to an older counter still counts past what the hub saw.
	e.Sync.Set(true)
	want := uint64(e.Clock.Now().UnixMicro())
	for i := range 2 {
		if n, err := e.NextCounter(ctx); err != nil || n != want+uint64(i) {
			t.Fatalf("trusted counter %d %v, want %d", n, err, want+uint64(i))
		}
	}
}

func TestRecordPush(t *testing.T) {
	e := ledgertest.MustOpen(t)
	enrol(t, e)
	p, _ := e.AddPerson(t, "王堃", record.RedVest)
	for range 5 {
		e.Credit(t, p.ID, 10)
	}
	es, err := e.EntriesAfter(ctx, 0, 10)
	if err != nil || len(es) != 5 {
		t.Fatalf("entries %d %v", len(es), err)
	}
	at := func(i int) record.Head { return record.Head{Seq: es[i-1].Seq, Hash: es[i-1].Hash} }
	e.Clock.Advance(time.Minute)
	if err := e.RecordPush(ctx, hubsync.PushResult{Acked: at(3), ChangesAcked: 2, HubTime: e.Clock.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	s, en := syncState(t, e), enrollment(t, e)
	if s.AckedSeq != 3 || s.Unsynced != 2 || en.ChangesAcked != 2 || s.ChangesUnsynced != 0 || en.Acked != at(3) ||
		!s.LastPush.Equal(e.Clock.Now()) || en.ClockOffset != -time.Hour {
		t.Fatalf("after a push: %+v %+v", s, en)
	}
	// Never backwards.
	if err := e.RecordPush(ctx, hubsync.PushResult{Acked: at(1), ChangesAcked: 1}); err != nil {
		t.Fatal(err)
	}
	if s, en := syncState(t, e), enrollment(t, e); s.AckedSeq != 3 || en.ChangesAcked != 2 {
		t.Fatalf("an older acknowledgement moved it back: acked %d, changes %d", s.AckedSeq, en.ChangesAcked)
	}
	// A refusal is kept until a push is taken.
	if err := e.RecordPush(ctx, hubsync.PushResult{Acked: at(3), Refused: "gap: expected seq 4, got 6"}); err != nil {
		t.Fatal(err)
	}
	e.Reopen(t)
	if s := syncState(t, e); s.LastRefusal != "gap: expected seq 4, got 6" || s.Fork || s.AckedSeq != 3 {
		t.Fatalf("after a refusal: %+v", s)
	}
	if err := e.RecordPush(ctx, hubsync.PushResult{Acked: at(3), Refused: "fork: head differs from the anchor", Fork: true}); err != nil {
		t.Fatal(err)
	}
	if err := e.RecordPush(ctx, hubsync.PushResult{Acked: at(3), Refused: "gap"}); err != nil {
		t.Fatal(err)
	}
	if s := syncState(t, e); !s.Fork || s.LastRefusal != "gap" {
		t.Fatalf("the fork flag went with the next refusal: %+v", s)
	}
	if err := e.RecordPush(ctx, hubsync.PushResult{Acked: at(5), ChangesAcked: 2}); err != nil {
		t.Fatal(err)
	}
	if s := syncState(t, e); s.Fork || s.LastRefusal != "" || s.AckedSeq != 5 || s.Unsynced != 0 {
		t.Fatalf("a push taken did not clear the refusal: %+v", s)
	}
	// What the ledger does not hold is a fork: nothing moves.
	for name, r := range map[string]hubsync.PushResult{
		"past the head":  {Acked: record.Head{Seq: 9, Hash: at(5).Hash}},
		"another hash":   {Acked: record.Head{Seq: 5, Hash: at(4).Hash}},
		"outbox too far": {Acked: at(5), ChangesAcked: 99},
	} {
		if err := e.RecordPush(ctx, r); !errors.Is(err, hubsync.ErrFork) {
			t.Errorf("%s: %v, want ErrFork", name, err)
		}
		if s, en := syncState(t, e), enrollment(t, e); !s.Fork || s.LastRefusal == "" || s.AckedSeq != 5 || en.ChangesAcked != 2 {
			t.Errorf("%s: %+v %+v", name, s, en)
		}
	}
}

// TestOutbox: every registry change made here is a row, in order, with the
// person or card after the change; a refused, repeated or dry write adds
// none.
func TestOutbox(t *testing.T) {
	e := ledgertest.MustOpen(t)
	if ch, err := e.Changes(ctx, 0, 0); err != nil || len(ch) != 0 {
		t.Fatalf("a new ledger's outbox: %v %v", ch, err)
	}
	walkIn := ledger.EnrolPerson{ID: record.NewEntryID(), Provisional: true, Kind: record.Resident}
	w, err := e.EnrolPerson(ctx, walkIn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.EnrolPerson(ctx, walkIn); err != nil { // a retry: the same answer, nothing written
		t.Fatal(err)
	}
	if _, err := e.EnrolPerson(ctx, ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: w.MemberNo, Name: "重号", Kind: record.Resident}); !errors.Is(err, ledger.ErrInvalid) {
		t.Fatalf("a taken member number: %v", err)
	}
	c1, c2 := e.NewUID(), e.NewUID()
	if _, err := e.BindCard(ctx, ledger.BindCard{ID: record.NewEntryID(), Person: w.ID, UID: c1, Operator: e.Staff}); err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(time.Minute)
	if _, err := e.ReplaceCard(ctx, ledger.ReplaceCard{ID: record.NewEntryID(), Old: c1, New: c2, Operator: e.Staff}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.SetCardState(ctx, ledger.SetCardState{ID: record.NewEntryID(), UID: c2, State: ledger.CardRevoked, Operator: e.Staff, Reason: "测试"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.RenamePerson(ctx, ledger.RenamePerson{ID: record.NewEntryID(), Person: w.ID, Name: "李玥"}); err != nil {
		t.Fatal(err)
	}
	imp := ledger.ImportPeople{ID: record.NewEntryID(), People: []ledger.ImportPerson{
		{MemberNo: "HPL0001", Name: "张三", Phone: "13812345678", Community: "和平里", Kind: record.RedVest, Card: "11223344"},
		{MemberNo: "HPL0002", Name: "李四", Kind: record.GreenVest},
	}}
	dry := imp
	dry.DryRun = true
	if _, err := e.ImportPeople(ctx, dry); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ImportPeople(ctx, imp); err != nil {
		t.Fatal(err)
	}
	ch, err := e.Changes(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	zhang, _ := e.PersonByMemberNo(ctx, "HPL0001")
	li, _ := e.PersonByMemberNo(ctx, "HPL0002")
	type row struct {
		person   *hubsync.Person
		card     *hubsync.Card
		operator record.CardUID
	}
	want := []row{
		{person: &hubsync.Person{ID: w.ID, MemberNo: w.MemberNo, Provisional: true, Kind: record.Resident}},
		{card: &hubsync.Card{UID: c1, Person: w.ID, State: hubsync.CardActive}, operator: e.Staff},
		{card: &hubsync.Card{UID: c2, Person: w.ID, State: hubsync.CardActive}, operator: e.Staff},
		{card: &hubsync.Card{UID: c1, Person: w.ID, State: hubsync.CardLost}, operator: e.Staff},
		{card: &hubsync.Card{UID: c2, Person: w.ID, State: hubsync.CardRevoked}, operator: e.Staff},
		{person: &hubsync.Person{ID: w.ID, MemberNo: w.MemberNo, Name: "李玥", Kind: record.Resident}},
		{person: &hubsync.Person{ID: zhang.ID, MemberNo: "HPL0001", Name: "张三", Phone: "138****5678", Community: "和平里", Kind: record.RedVest}},
		{card: &hubsync.Card{UID: "11223344", Person: zhang.ID, State: hubsync.CardActive}},
		{person: &hubsync.Person{ID: li.ID, MemberNo: "HPL0002", Name: "李四", Kind: record.GreenVest}},
	}
	if len(ch) != len(want) {
		t.Fatalf("%d changes, want %d: %+v", len(ch), len(want), ch)
	}
	for i, w := range want {
		c := ch[i]
		if c.Seq != uint64(i+1) || c.Operator != w.operator || (w.person == nil) != (c.Person == nil) || (w.card == nil) != (c.Card == nil) ||
			(w.person != nil && *c.Person != *w.person) || (w.card != nil && *c.Card != *w.card) {
			t.Errorf("change %d: %+v person %+v card %+v; want %+v %+v", i+1, c, c.Person, c.Card, w.person, w.card)
		}
	}
	if !ch[0].At.Equal(ledgertest.Start) || !ch[2].At.Equal(ledgertest.Start.Add(time.Minute)) {
		t.Errorf("times %v %v", ch[0].At, ch[2].At)
	}
	page, err := e.Changes(ctx, 3, 2)
	if err != nil || len(page) != 2 || page[0].Seq != 4 || page[1].Seq != 5 {
		t.Errorf("Changes(3, 2): %+v %v", page, err)
	}
	if _, err := rawDB(t, e).Exec("DELETE FROM outbox WHERE seq = 1"); err == nil {
		t.Error("an outbox row was deleted")
	}
	if s := syncState(t, e); s.ChangesUnsynced != 9 {
		t.Errorf("ChangesUnsynced %d, want 9", s.ChangesUnsynced)
	}
}

// TestOutboxHoldsWhatALedgerHadBefore: a ledger made before the hub (a
// center that started alone) brings its people and cards at its first
// push: the migration writes them to the outbox, people first.
func TestOutboxHoldsWhatALedgerHadBefore(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, ledger.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA journal_mode=WAL"); err != nil {
		t.Fatal(err)
	}
	if err := ledger.MigrateTo(ctx, db, 4); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"INSERT INTO meta(key, value) VALUES ('terminal', 'T-ALONE'), ('center', 'C-TEST'), ('center_name', '独立中心'), ('created_at', '0')",
		"INSERT INTO people(id, member_no, name, provisional, phone_masked, community, kind, created_at) VALUES (7, 'HPL0007', '王堃', 0, '138****0007', '和平里', 1, 200)",
		"INSERT INTO people(id, member_no, name, provisional, kind, created_at) VALUES (5, 'T-ALONE-000005', '', 1, 4, 100)",
		"INSERT INTO balances(person, points) VALUES (7, 0), (5, 0)",
		"INSERT INTO cards(uid, person, state, bound_at, changed_at) VALUES ('A1B2C3D4', 7, 2, 300, 400)",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	l, err := ledger.Open(ctx, dir, ledgertest.Options(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ch, err := l.Changes(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []hubsync.Change{
		{Seq: 1, At: time.Unix(0, 100), Person: &hubsync.Person{ID: 5, MemberNo: "T-ALONE-000005", Provisional: true, Kind: record.Resident}},
		{Seq: 2, At: time.Unix(0, 200), Person: &hubsync.Person{ID: 7, MemberNo: "HPL0007", Name: "王堃", Phone: "138****0007", Community: "和平里", Kind: record.RedVest}},
		{Seq: 3, At: time.Unix(0, 400), Card: &hubsync.Card{UID: "A1B2C3D4", Person: 7, State: hubsync.CardLost}},
	}
	if len(ch) != len(want) {
		t.Fatalf("changes %+v", ch)
	}
	for i := range want {
		g, w := ch[i], want[i]
		if g.Seq != w.Seq || !g.At.Equal(w.At) || (w.Person != nil && (g.Person == nil || *g.Person != *w.Person)) ||
			(w.Card != nil && (g.Card == nil || *g.Card != *w.Card)) {
			t.Errorf("change %d: %+v %+v %+v, want %+v %+v", i+1, g, g.Person, g.Card, w.Person, w.Card)
		}
	}
	rep, err := l.Verify(ctx)
	if err != nil || !rep.OK() {
		t.Errorf("verify after the migration: %v %v", rep.Problems, err)
	}
}
