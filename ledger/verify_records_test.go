package ledger_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// recordsLedger is a ledger with shifts (one closed, one reversed, one open)
// and redemptions (one reversed) to tamper with.
func recordsLedger(t *testing.T) *ledgertest.Env {
	t.Helper()
	e := ledgertest.MustOpen(t)
	act := e.AnyTime(t)
	p, card := e.AddPerson(t, "王堃", record.RedVest)
	_, other := e.AddPerson(t, "李喆", record.GreenVest)
	checkIn(t, e, card, act.ID)
	e.Clock.Advance(90 * time.Minute)
	checkOut(t, e, card)
	checkIn(t, e, card, act.ID)
	e.Clock.Advance(30 * time.Minute)
	out := checkOut(t, e, card)
	if _, err := e.Reverse(ctx, ledger.Reverse{ID: record.NewEntryID(), Entry: out.Entry.ID, Operator: e.Staff, Reason: "测试"}); err != nil {
		t.Fatal(err)
	}
	checkIn(t, e, other, act.ID)
	e.Credit(t, p.ID, 100)
	it := e.AddItem(t, "大米", 10, 5)
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
	e.MustVerify(t)
	return e
}

// TestVerifyFindsRecordsEditedBehindItsBack: what someone might do to a
// ledger with sqlite3, and the problem Verify must report for it, on an open
// ledger and on a file.
func TestVerifyFindsRecordsEditedBehindItsBack(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sql   []string
		check string
	}{
		{"update trigger dropped", []string{"DROP TRIGGER entries_no_update"}, "trigger"},
		{"delete trigger dropped", []string{"DROP TRIGGER entries_no_delete"}, "trigger"},
		{"delete trigger made harmless", []string{"DROP TRIGGER entries_no_delete",
			"CREATE TRIGGER entries_no_delete BEFORE DELETE ON entry_rows BEGIN SELECT 1; END"}, "trigger"},
		{"shift minutes raised", []string{"UPDATE shifts SET minutes = minutes + 60 WHERE state = 2"}, "shift"},
		{"shift points raised", []string{"UPDATE shifts SET points = points + 60 WHERE state = 2"}, "shift"},
		{"reversed shift made closed", []string{"UPDATE shifts SET state = 2 WHERE state = 5"}, "shift"},
		{"closed shift reopened", []string{"UPDATE shifts SET state = 1 WHERE state = 2"}, "shift"},
		{"open shift given minutes", []string{"UPDATE shifts SET minutes = 30 WHERE state = 1"}, "shift"},
		{"shift given to another person", []string{"UPDATE shifts SET person = (SELECT id FROM people WHERE id <> shifts.person LIMIT 1) WHERE state = 2"}, "shift"},
		{"shift deleted", []string{"DELETE FROM shifts WHERE state = 2"}, "shift"},
		{"redemption cheapened", []string{"UPDATE redemptions SET points = 1 WHERE reversed = 0"}, "redemption"},
		{"redemption of another item", []string{"UPDATE redemptions SET item = item + 1000 WHERE reversed = 0"}, "redemption"},
		{"redemption marked reversed", []string{"UPDATE redemptions SET reversed = 1"}, "redemption"},
		{"reversal forgotten", []string{"UPDATE redemptions SET reversed = 0"}, "redemption"},
		{"redemption deleted", []string{"DELETE FROM redemptions WHERE reversed = 0"}, "redemption"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := recordsLedger(t)
			db := rawDB(t, e)
			if _, err := db.Exec("PRAGMA foreign_keys = OFF"); err != nil {
				t.Fatal(err)
			}
			for _, q := range tc.sql {
				if _, err := db.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			found := func(rep *ledger.VerifyReport) bool {
				for _, p := range rep.Problems {
					if p.Check == tc.check {
						return true
					}
				}
				return false
			}
			rep, err := e.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !found(rep) {
				t.Fatalf("Verify missed a %q problem: %v", tc.check, rep.Problems)
			}
			t.Logf("%v", rep.Problems)
			db.Close()
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			rep, err = ledger.VerifyFile(ctx, e.Path())
			if err != nil {
				t.Fatal(err)
			}
			if !found(rep) {
				t.Fatalf("VerifyFile missed a %q problem: %v", tc.check, rep.Problems)
			}
		})
	}
}

func TestVerifyNamesTheTrigger(t *testing.T) {
	e := recordsLedger(t)
	if _, err := rawDB(t, e).Exec("DROP TRIGGER entries_no_update"); err != nil {
		t.Fatal(err)
	}
	rep, err := e.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0].String(), "trigger: entries_no_update is missing") {
		t.Errorf("problems %v, want the missing trigger alone", rep.Problems)
	}
}
