package ledger_test

import (
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
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
	// The outbox holds the test ledger's staff card, a person and their
	// card.
	if err := e.RecordPush(ctx, hubsync.PushResult{Acked: at(3), ChangesAcked: 3, HubTime: e.Clock.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	s, en := syncState(t, e), enrollment(t, e)
	if s.AckedSeq != 3 || s.Unsynced != 2 || en.ChangesAcked != 3 || s.ChangesUnsynced != 0 || en.Acked != at(3) ||
		!s.LastPush.Equal(e.Clock.Now()) || en.ClockOffset != -time.Hour {
		t.Fatalf("after a push: %+v %+v", s, en)
	}
	// Never backwards.
	if err := e.RecordPush(ctx, hubsync.PushResult{Acked: at(1), ChangesAcked: 1}); err != nil {
		t.Fatal(err)
	}
	if s, en := syncState(t, e), enrollment(t, e); s.AckedSeq != 3 || en.ChangesAcked != 3 {
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
	if err := e.RecordPush(ctx, hubsync.PushResult{Acked: at(5), ChangesAcked: 3}); err != nil {
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
		if s, en := syncState(t, e), enrollment(t, e); !s.Fork || s.LastRefusal == "" || s.AckedSeq != 5 || en.ChangesAcked != 3 {
			t.Errorf("%s: %+v %+v", name, s, en)
		}
	}
}

// TestOutbox: every registry change made here is a row, in order, with the
// person or card after the change; a refused, repeated or dry write adds
// none.
func TestOutbox(t *testing.T) {
	e := ledgertest.MustOpen(t)
	if ch, err := e.Changes(ctx, 0, 0); err != nil || len(ch) != 1 || ch[0].Staff == nil || ch[0].Staff.UID != e.Staff {
		t.Fatalf("a new ledger's outbox: %v %v, want its staff card", ch, err)
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
		{}, // the test ledger's staff card
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
	for i, w := range want[1:] {
		i, c := i+1, ch[i+1]
		if c.Seq != uint64(i+1) || c.Operator != w.operator || (w.person == nil) != (c.Person == nil) || (w.card == nil) != (c.Card == nil) ||
			(w.person != nil && *c.Person != *w.person) || (w.card != nil && *c.Card != *w.card) {
			t.Errorf("change %d: %+v person %+v card %+v; want %+v %+v", i+1, c, c.Person, c.Card, w.person, w.card)
		}
	}
	if !ch[1].At.Equal(ledgertest.Start) || !ch[3].At.Equal(ledgertest.Start.Add(time.Minute)) {
		t.Errorf("times %v %v", ch[1].At, ch[3].At)
	}
	page, err := e.Changes(ctx, 3, 2)
	if err != nil || len(page) != 2 || page[0].Seq != 4 || page[1].Seq != 5 {
		t.Errorf("Changes(3, 2): %+v %v", page, err)
	}
	if _, err := rawDB(t, e).Exec("DELETE FROM outbox WHERE seq = 1"); err == nil {
		t.Error("an outbox row was deleted")
	}
	if s := syncState(t, e); s.ChangesUnsynced != 10 {
		t.Errorf("ChangesUnsynced %d, want 10", s.ChangesUnsynced)
	}
}

// TestOutboxHoldsWhatALedgerHadBefore: a ledger made before the hub (a
// center that started alone) brings its people, cards, activities (its
// center's, the station's marked), catalog and staff cards at its first
// push: the migration writes them to the outbox, people first, each row as
// the ledger's own code would write it.
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
	rules := record.Rules{MaxMinutes: 240, PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 10, record.Resident: 5}}
	sched := record.Schedule{Weekdays: []time.Weekday{time.Tuesday, time.Thursday}, Start: "08:30", End: "11:30"}
	rulesJSON, _ := json.Marshal(rules)
	schedJSON, _ := json.Marshal(sched)
	pin := phc("1357")
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"INSERT INTO activities(id, center, name, schedule, rules, active) VALUES (11, 'C-TEST', '助老服务', ?, ?, 1)", []any{string(schedJSON), string(rulesJSON)}},
		{"INSERT INTO activities(id, center, name, schedule, rules, active) VALUES (12, 'C-TEST', '环境整治', '{}', '{}', 0), (13, 'C-OTHER', '别处', '{}', '{}', 1)", nil},
		{"INSERT INTO items(id, name, price, limit_count, limit_period, active) VALUES (21, '大米', 80, 2, 3, 1), (22, '旧毛巾', 10, 0, 0, 0)", nil},
		{"INSERT INTO staff(uid, name, role, pin, active) VALUES ('5A000001', '技术员', 2, ?, 1), ('5A000002', '值班员', 1, ?, 0)", []any{pin[1:], pin[1:]}},
	} {
		if _, err := db.Exec(q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	for _, q := range []string{
		"INSERT INTO meta(key, value) VALUES ('terminal', 'T-ALONE'), ('center', 'C-TEST'), ('center_name', '独立中心'), ('created_at', '50'), ('station_activity', '11')",
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
	l, err := ledger.Open(ctx, dir, ledgertest.Options(clock.NewFake(ledgertest.Start), clock.NewFakeSync(true)))
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
		{Seq: 4, At: time.Unix(0, 50), Activity: &hubsync.Activity{ID: 11, Center: "C-TEST", Name: "助老服务", Schedule: sched, Rules: rules, Active: true, Station: true}},
		{Seq: 5, At: time.Unix(0, 50), Activity: &hubsync.Activity{ID: 12, Center: "C-TEST", Name: "环境整治"}},
		{Seq: 6, At: time.Unix(0, 50), Item: &hubsync.Item{ID: 21, Name: "大米", Price: 80, LimitCount: 2, LimitPeriod: hubsync.PeriodMonth, Active: true}},
		{Seq: 7, At: time.Unix(0, 50), Item: &hubsync.Item{ID: 22, Name: "旧毛巾", Price: 10}},
		{Seq: 8, At: time.Unix(0, 50), Staff: &hubsync.Staff{UID: "5A000001", Name: "技术员", Role: hubsync.RoleTechnician, PINHash: pin, Active: true}},
		{Seq: 9, At: time.Unix(0, 50), Staff: &hubsync.Staff{UID: "5A000002", Name: "值班员", Role: hubsync.RoleStaff, PINHash: pin}},
	}
	if len(ch) != len(want) {
		t.Fatalf("changes %v", ch)
	}
	for i := range want {
		g, w := ch[i], want[i]
		if g.Seq != w.Seq || !g.At.Equal(w.At) || !reflect.DeepEqual(g.Person, w.Person) || !reflect.DeepEqual(g.Card, w.Card) ||
			!reflect.DeepEqual(g.Activity, w.Activity) || !reflect.DeepEqual(g.Item, w.Item) || !reflect.DeepEqual(g.Staff, w.Staff) {
			t.Errorf("change %d: %v %+v %+v %+v %+v %v, want %+v %+v %+v %+v %v", i+1, g, g.Person, g.Card, g.Activity, g.Item, g.Staff,
				w.Person, w.Card, w.Activity, w.Item, w.Staff)
		}
	}
	// A row the migration wrote reads as the one the code writes: the
	// station's activity put again (unchanged) is the same row.
	a, err := l.Activity(ctx, 11)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.PutActivity(ctx, ledger.PutActivity{ID: record.NewEntryID(), Activity: a}); err != nil {
		t.Fatal(err)
	}
	again, err := l.Changes(ctx, 9, 0)
	if err != nil || len(again) != 1 || !reflect.DeepEqual(again[0].Activity, want[3].Activity) {
		t.Errorf("the activity put again: %v %v, want %+v", again, err, want[3].Activity)
	}
	if s, err := l.CheckPIN(ctx, "5A000001", "1357"); err != nil || s.Role != ledger.RoleTechnician {
		t.Errorf("the staff card's PIN after the migration: %+v %v", s, err)
	}
	rep, err := l.Verify(ctx)
	if err != nil || !rep.OK() {
		t.Errorf("verify after the migration: %v %v", rep.Problems, err)
	}
}

// TestOutboxCarriesActivitiesItemsAndStaff: an activity of this center, a
// catalog item or a staff card made or changed here is a row, as it is
// after the change (the station activity marked, a staff card's PIN hash in
// the PHC form a pull reads back); a retried, refused or dry write, another
// center's activity and a staff card set to what it was add none.
func TestOutboxCarriesActivitiesItemsAndStaff(t *testing.T) {
	e := ledgertest.MustOpen(t)
	start, err := e.Changes(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	rules := record.Rules{RoundMinutes: 15, MaxMinutes: 240, PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 10}}
	sched := record.Schedule{Weekdays: []time.Weekday{time.Monday}, Start: "08:30", End: "11:30"}
	put := ledger.PutActivity{ID: record.NewEntryID(), Activity: ledger.Activity{Name: "助老服务", Schedule: sched, Rules: rules, Active: true}}
	care, err := e.PutActivity(ctx, put)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.PutActivity(ctx, put); err != nil { // a retry
		t.Fatal(err)
	}
	if _, err := e.PutActivity(ctx, ledger.PutActivity{ID: record.NewEntryID(), Activity: ledger.Activity{Name: " ", Active: true}}); !errors.Is(err, ledger.ErrInvalid) {
		t.Fatalf("an activity without a name: %v", err)
	}
	if _, err := e.PutActivity(ctx, ledger.PutActivity{ID: record.NewEntryID(), Activity: ledger.Activity{Center: "C-ELSEWHERE", Name: "别处", Active: true}}); err != nil {
		t.Fatal(err)
	}
	imp := ledger.ImportActivities{ID: record.NewEntryID(), Activities: []ledger.ImportActivity{
		{Name: "环境整治", Rules: rules}, {Name: "便民服务", Rules: record.Rules{AnyTime: true}, Station: true}}}
	dry := imp
	dry.DryRun = true
	if _, err := e.ImportActivities(ctx, dry); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ImportActivities(ctx, imp); err != nil {
		t.Fatal(err)
	}
	desk, err := e.StationActivity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SetStationActivity(ctx, care.ID); err != nil {
		t.Fatal(err)
	}
	oil, err := e.PutItem(ctx, ledger.PutItem{ID: record.NewEntryID(), Item: ledger.Item{Name: "食用油", Price: 50, Limit: 2, Period: ledger.Monthly, Active: true}})
	if err != nil {
		t.Fatal(err)
	}
	cat := ledger.ImportCatalog{ID: record.NewEntryID(), Items: []ledger.ImportItem{{Item: ledger.Item{Name: "大米", Price: 80, Active: true}, Stock: 5}}}
	dryCat := cat
	dryCat.DryRun = true
	if _, err := e.ImportCatalog(ctx, dryCat); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ImportCatalog(ctx, cat); err != nil {
		t.Fatal(err)
	}
	tech := e.NewUID()
	if _, err := e.AddStaff(ctx, ledger.AddStaff{ID: record.NewEntryID(), UID: tech, Name: "技术员", Role: ledger.RoleTechnician, PIN: "97531"}); err != nil {
		t.Fatal(err)
	}
	for _, active := range []bool{false, false} { // the second sets what is
		if _, err := e.SetStaffActive(ctx, ledger.SetStaffActive{ID: record.NewEntryID(), UID: tech, Active: active}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := e.Changes(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	ch := all[len(start):]
	var env ledger.Activity
	as, err := e.Activities(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if a.Name == "环境整治" {
			env = a
		}
	}
	var rice ledger.Item
	offers, err := e.Catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range offers {
		if o.Item.Name == "大米" {
			rice = o.Item
		}
	}
	activity := func(a ledger.Activity, station bool) *hubsync.Activity {
		return &hubsync.Activity{ID: a.ID, Center: ledgertest.Center, Name: a.Name, Schedule: a.Schedule, Rules: a.Rules, Active: a.Active, Station: station}
	}
	want := []hubsync.Change{
		{Activity: activity(care, false)},
		{Activity: activity(env, false)},
		{Activity: activity(desk, true)},
		{Activity: activity(desk, false)}, // the station moves
		{Activity: activity(care, true)},
		{Item: &hubsync.Item{ID: oil.ID, Name: "食用油", Price: 50, LimitCount: 2, LimitPeriod: hubsync.PeriodMonth, Active: true}},
		{Item: &hubsync.Item{ID: rice.ID, Name: "大米", Price: 80, Active: true}},
		{Staff: &hubsync.Staff{UID: tech, Name: "技术员", Role: hubsync.RoleTechnician, Active: true}},
		{Staff: &hubsync.Staff{UID: tech, Name: "技术员", Role: hubsync.RoleTechnician}},
	}
	if len(ch) != len(want) {
		t.Fatalf("%d changes, want %d: %v", len(ch), len(want), ch)
	}
	for i, w := range want {
		c := ch[i]
		if c.Seq != all[len(start)-1].Seq+uint64(i)+1 || c.Person != nil || c.Card != nil {
			t.Errorf("change %d: %v", i, c)
		}
		if !reflect.DeepEqual(c.Activity, w.Activity) || !reflect.DeepEqual(c.Item, w.Item) {
			t.Errorf("change %d: activity %+v item %+v; want %+v %+v", i, c.Activity, c.Item, w.Activity, w.Item)
		}
		if (c.Staff == nil) != (w.Staff == nil) {
			t.Errorf("change %d: staff %v, want %v", i, c.Staff, w.Staff)
		} else if c.Staff != nil {
			got := *c.Staff
			got.PINHash = ""
			if got != *w.Staff || !strings.HasPrefix(c.Staff.PINHash, "$argon2id$") {
				t.Errorf("change %d: staff %v, want %v", i, c.Staff, w.Staff)
			}
		}
	}
	// The PIN hash is one a pull reads: another kiosk given the card
	// checks its PIN.
	other := ledgertest.MustOpen(t)
	enrol(t, other)
	card := *ch[7].Staff
	applyPull(t, other, hubsync.PullResult{Version: 1, Staff: []hubsync.Staff{card}})
	if s, err := other.CheckPIN(ctx, tech, "97531"); err != nil || s.Role != ledger.RoleTechnician {
		t.Errorf("the card's PIN at another kiosk: %+v %v", s, err)
	}
}
