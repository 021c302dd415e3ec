package ledger_test

import (
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

func TestProvisionalPerson(t *testing.T) {
	e := ledgertest.MustOpen(t)
	act := e.AnyTime(t)
	if _, err := e.EnrolPerson(ctx, ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: "W1", Name: "待补登记", Kind: record.GreenVest, Provisional: true}); !errors.Is(err, ledger.ErrInvalid) {
		t.Fatalf("provisional person with a name: %v, want ErrInvalid", err)
	}
	p, err := e.EnrolPerson(ctx, ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: " W2 ", Kind: record.GreenVest, Provisional: true})
	if err != nil || !p.Provisional || p.Name != "" || p.MemberNo != "W2" {
		t.Fatalf("walk-in = %+v, %v", p, err)
	}
	card := e.NewUID()
	if _, err := e.BindCard(ctx, ledger.BindCard{ID: record.NewEntryID(), Person: p.ID, UID: card, Operator: e.Staff}); err != nil {
		t.Fatal(err)
	}
	named, namedCard := e.AddPerson(t, "王堃", record.RedVest)
	for _, c := range []record.CardUID{card, namedCard} {
		checkIn(t, e, c, act.ID)
	}
	e.Clock.Advance(time.Hour)
	for _, c := range []record.CardUID{card, namedCard} {
		checkOut(t, e, c)
	}
	e.Credit(t, p.ID, 50)
	it := e.AddItem(t, "大米", 20, 5)
	if _, err := redeem(e, card, it.ID); err != nil {
		t.Fatal(err)
	}

	e.Reopen(t)
	info, err := e.LookupCard(ctx, card)
	if err != nil || !info.Person.Provisional || info.Person.Name != "" {
		t.Fatalf("walk-in's card looks up to %+v, %v", info.Person, err)
	}
	if info, err := e.LookupCard(ctx, namedCard); err != nil || info.Person.Provisional || info.Person.Name != "王堃" {
		t.Fatalf("named card looks up to %+v, %v", info.Person, err)
	}
	if found, err := e.FindPeople(ctx, "W2", 5); err != nil || len(found) != 1 || !found[0].Provisional {
		t.Fatalf("FindPeople(W2) = %+v, %v", found, err)
	}
	// The honour roll is of names: a walk-in joins it once the hub has
	// completed the registration.
	roll, err := e.HonourRoll(ctx, 2026, time.March, 10)
	if err != nil || len(roll) != 1 || roll[0].Person != named.ID {
		t.Fatalf("honour roll %+v, %v", roll, err)
	}
	recs, err := e.Redemptions(ctx, ledgertest.Start.Format(time.DateOnly))
	if err != nil || len(recs) != 1 || !recs[0].PersonProvisional || recs[0].PersonName != "" {
		t.Fatalf("redemptions %+v, %v", recs, err)
	}
	from, to := ledgertest.Start.Add(-time.Hour), ledgertest.Start.Add(24*time.Hour)
	var walkIn, others int
	for x, err := range e.ExportEntries(ctx, from, to) {
		if err != nil {
			t.Fatal(err)
		}
		switch x.Person {
		case p.ID:
			walkIn++
			if !x.PersonProvisional || x.PersonName != "" || x.MemberNo != "W2" {
				t.Errorf("walk-in's entry exported as %+v", x)
			}
		case named.ID:
			others++
			if x.PersonProvisional || x.PersonName != "王堃" {
				t.Errorf("王堃's entry exported as %+v", x)
			}
		}
	}
	if walkIn != 4 || others != 2 {
		t.Errorf("exported %d entries of the walk-in (want 4), %d of 王堃 (want 2)", walkIn, others)
	}
	for s, err := range e.ExportShifts(ctx, from, to) {
		if err != nil {
			t.Fatal(err)
		}
		if (s.Person == p.ID) != s.PersonProvisional {
			t.Errorf("shift of person %d exported with provisional %v", s.Person, s.PersonProvisional)
		}
	}
	e.MustVerify(t)
}

// TestMigrateMarksWalkInsProvisional upgrades a ledger of schema version 1,
// made by the first migration alone, in which the kiosk registered walk-ins
// under the placeholder name 待补登记.
func TestMigrateMarksWalkInsProvisional(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, ledger.FileName))
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("PRAGMA journal_mode=WAL")
	if err := ledger.MigrateTo(ctx, db, 1); err != nil {
		t.Fatal(err)
	}
	at := ledgertest.Start.UnixNano()
	exec("INSERT INTO meta(key, value) VALUES ('terminal', 'T-OLD'), ('center', ?), ('center_name', '测试党群服务中心'), ('created_at', ?)", ledgertest.Center, at)
	people := []struct {
		id          int64
		member      string
		name        string
		card        string
		provisional bool
	}{
		{1, "20261125", "待补登记", "A0000001", true},
		{2, "HPL00001", "王堃", "A0000002", false},
		{3, "HPL00002", "待补登记人", "A0000003", false}, // a name, not the placeholder
	}
	for _, p := range people {
		exec("INSERT INTO people(id, member_no, name, kind, created_at) VALUES (?, ?, ?, ?, ?)", p.id, p.member, p.name, int(record.GreenVest), at)
		exec("INSERT INTO balances(person) VALUES (?)", p.id)
		exec("INSERT INTO cards(uid, person, state, bound_at, changed_at) VALUES (?, ?, 1, ?, ?)", p.card, p.id, at, at)
	}
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil || v != 1 {
		t.Fatalf("old ledger at version %d, %v", v, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	opts := ledgertest.Options(clock.NewFake(ledgertest.Start.Add(time.Hour)), clock.NewFakeSync(true))
	for i := range 2 { // the second open finds nothing to migrate
		l, err := ledger.Open(ctx, dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range people {
			info, err := l.LookupCard(ctx, record.CardUID(p.card))
			if err != nil {
				t.Fatal(err)
			}
			wantName := p.name
			if p.provisional {
				wantName = ""
			}
			if got := info.Person; got.Provisional != p.provisional || got.Name != wantName || got.MemberNo != p.member {
				t.Errorf("%s after the upgrade: %+v, want provisional %v, name %q", p.name, got, p.provisional, wantName)
			}
		}
		// The upgraded ledger takes new people and verifies.
		if _, err := l.EnrolPerson(ctx, ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: fmt.Sprintf("W%d", i), Kind: record.GreenVest, Provisional: true}); err != nil {
			t.Fatal(err)
		}
		if rep, err := l.Verify(ctx); err != nil || !rep.OK() {
			t.Fatalf("verify after the upgrade: %+v, %v", rep, err)
		}
		if st, err := l.Status(ctx); err != nil || st.SchemaVersion != ledger.CurrentSchema {
			t.Fatalf("schema version after the upgrade: %+v, %v", st, err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
