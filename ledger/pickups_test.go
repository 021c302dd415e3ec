package ledger_test

import (
	"database/sql"
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

func pickups(t *testing.T, e *ledgertest.Env, after, through uint64, limit int) []hubsync.Pickup {
	t.Helper()
	ps, err := e.Pickups(ctx, after, through, limit)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// pickupText is a pickup row as one line: seq, redemption, then the code
// or the hand-out's operator, time and trust.
func pickupText(p hubsync.Pickup) string {
	s := p.Redemption.String()[:6]
	if p.Handout != nil {
		return strings.Join([]string{s, "handout", string(p.Handout.Operator), p.Handout.At.UTC().Format(time.DateTime),
			map[bool]string{true: "trusted", false: "untrusted"}[p.Handout.Trusted]}, " ")
	}
	return s + " code " + p.Code
}

func pickupLines(ps []hubsync.Pickup) []string {
	var out []string
	for _, p := range ps {
		out = append(out, pickupText(p))
	}
	return out
}

// TestPickupsHoldCodesAndHandOuts: each redemption writes a row with its
// pickup code and each hand-out a row with its staff card and time, in
// the order they were made, numbered from 1; a reversal, a refused
// hand-out or a request sent again writes none. Pickups reads them after
// a row, at most a limit, and stops before a redemption whose entry is
// past the last the push carries.
func TestPickupsHoldCodesAndHandOuts(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, card := e.AddPerson(t, "王堃", record.Resident)
	e.Credit(t, p.ID, 500)
	rice := e.AddItem(t, "大米", 80, 5)
	first, err := redeem(e, card, rice.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(time.Minute)
	second, err := redeem(e, card, rice.ID)
	if err != nil {
		t.Fatal(err)
	}
	third, err := redeem(e, card, rice.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(10 * time.Minute)
	handAt := e.Clock.Now()
	req := ledger.HandOut{ID: record.NewEntryID(), Redemption: second.Entry.ID, Operator: e.Staff}
	if _, err := e.HandOut(ctx, req); err != nil {
		t.Fatal(err)
	}
	if _, err := e.HandOut(ctx, req); err != nil { // the same request again
		t.Fatal(err)
	}
	if _, err := e.HandOut(ctx, ledger.HandOut{ID: record.NewEntryID(), Redemption: second.Entry.ID, Operator: e.Staff}); err == nil {
		t.Fatal("a second hand-out was taken")
	}
	if _, err := e.Reverse(ctx, ledger.Reverse{ID: record.NewEntryID(), Entry: third.Entry.ID, Operator: e.Staff, Reason: "撤销"}); err != nil {
		t.Fatal(err)
	}
	id := func(r ledger.Redemption) string { return r.Entry.ID.String()[:6] }
	want := []string{
		id(first) + " code " + string(first.Code),
		id(second) + " code " + string(second.Code),
		id(third) + " code " + string(third.Code),
		id(second) + " handout " + string(e.Staff) + " " + handAt.UTC().Format(time.DateTime) + " trusted",
	}
	h := head(t, e)
	all := pickups(t, e, 0, h.Seq, 0)
	if got := pickupLines(all); !reflect.DeepEqual(got, want) {
		t.Fatalf("pickups:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i, pk := range all {
		if pk.Seq != uint64(i+1) {
			t.Errorf("row %d has seq %d", i, pk.Seq)
		}
	}
	if !all[3].Handout.At.Equal(handAt) {
		t.Errorf("the hand-out's time %v, want %v", all[3].Handout.At, handAt)
	}
	if got := pickupLines(pickups(t, e, 1, h.Seq, 2)); !reflect.DeepEqual(got, want[1:3]) {
		t.Errorf("after 1, two: %v", got)
	}
	// A push whose entries end at the second redemption's sends the rows
	// before the third's.
	if got := pickupLines(pickups(t, e, 0, second.Entry.Seq, 0)); !reflect.DeepEqual(got, want[:2]) {
		t.Errorf("through the second redemption's entry: %v", got)
	}
	if got := pickups(t, e, 0, first.Entry.Seq-1, 0); len(got) != 0 {
		t.Errorf("through an entry before every redemption: %v", pickupLines(got))
	}
	if got := pickups(t, e, 4, h.Seq, 0); len(got) != 0 {
		t.Errorf("after the last: %v", pickupLines(got))
	}

	// An untrusted clock's hand-out says so.
	e.Sync.Set(false)
	if _, err := e.HandOut(ctx, ledger.HandOut{ID: record.NewEntryID(), Redemption: first.Entry.ID, Operator: e.Staff}); err != nil {
		t.Fatal(err)
	}
	last := pickups(t, e, 4, h.Seq, 0)
	if len(last) != 1 || last[0].Handout == nil || last[0].Handout.Trusted || last[0].Redemption != first.Entry.ID {
		t.Errorf("a hand-out with the clock unset: %v", pickupLines(last))
	}
}

// TestRecordPushAcknowledgesPickups: the hub's PickupsAcked is kept (across
// a reopen), never backwards and never past the last row; a refused push
// moves nothing of it.
func TestRecordPushAcknowledgesPickups(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, card := e.AddPerson(t, "王堃", record.Resident)
	e.Credit(t, p.ID, 500)
	rice := e.AddItem(t, "大米", 80, 5)
	for range 3 {
		if _, err := redeem(e, card, rice.ID); err != nil {
			t.Fatal(err)
		}
	}
	enrol(t, e)
	h := head(t, e)
	ack := func(r hubsync.PushResult) uint64 {
		t.Helper()
		if err := e.RecordPush(ctx, r); err != nil {
			t.Fatal(err)
		}
		return enrollment(t, e).PickupsAcked
	}
	if got := ack(hubsync.PushResult{Acked: h, PickupsAcked: 2, Refused: "gap"}); got != 0 {
		t.Errorf("a refused push acknowledged %d pickups", got)
	}
	if got := ack(hubsync.PushResult{Acked: h, PickupsAcked: 2}); got != 2 {
		t.Errorf("acknowledged %d, want 2", got)
	}
	e.Reopen(t)
	if got := ack(hubsync.PushResult{Acked: h, PickupsAcked: 1}); got != 2 {
		t.Errorf("an older acknowledgement moved it to %d", got)
	}
	if got := ack(hubsync.PushResult{Acked: h}); got != 2 {
		t.Errorf("an older hub's answer (none) moved it to %d", got)
	}
	if got := ack(hubsync.PushResult{Acked: h, PickupsAcked: 9}); got != 3 {
		t.Errorf("an acknowledgement past the last row: %d, want 3", got)
	}
	if got := pickups(t, e, enrollment(t, e).PickupsAcked, h.Seq, 0); len(got) != 0 {
		t.Errorf("rows after the acknowledged: %v", pickupLines(got))
	}
}

// TestPickupsAreAppendOnly: the table refuses UPDATE and DELETE, and Verify
// reports a trigger dropped with sqlite3.
func TestPickupsAreAppendOnly(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, card := e.AddPerson(t, "王堃", record.Resident)
	e.Credit(t, p.ID, 500)
	rice := e.AddItem(t, "大米", 80, 5)
	if _, err := redeem(e, card, rice.ID); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, e)
	for _, q := range []string{"UPDATE pickups SET handout = 1", "DELETE FROM pickups"} {
		if _, err := db.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused", q, err)
		}
	}
	if _, err := db.Exec("DROP TRIGGER pickups_no_delete"); err != nil {
		t.Fatal(err)
	}
	rep, err := e.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range rep.Problems {
		found = found || (p.Check == "trigger" && strings.Contains(p.Detail, "pickups_no_delete"))
	}
	if !found {
		t.Errorf("verify after the trigger was dropped: %+v", rep.Problems)
	}
}

// TestPickupsHoldWhatALedgerHadBefore: a ledger made before pickups brings
// its codes (not a restored redemption's placeholder) and its hand-outs to
// the hub: the migration writes them as rows, codes by their entry, then
// the hand-outs by their time.
func TestPickupsHoldWhatALedgerHadBefore(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, ledger.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA journal_mode=WAL"); err != nil {
		t.Fatal(err)
	}
	if err := ledger.MigrateTo(ctx, db, 5); err != nil {
		t.Fatal(err)
	}
	a, b, c := record.EntryID{0xA1}, record.EntryID{0xB2}, record.EntryID{0xC3}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"INSERT INTO meta(key, value) VALUES ('terminal', 'T-OLD'), ('center', 'C-TEST'), ('center_name', '旧中心'), ('created_at', '50')", nil},
		{"INSERT INTO people(id, member_no, name, kind, created_at) VALUES (7, 'HPL0007', '王堃', 1, 100)", nil},
		{"INSERT INTO items(id, name, price) VALUES (21, '大米', 80)", nil},
		{`INSERT INTO redemptions(id, person, card, item, center, qty, points, code, day, at, seq) VALUES
			(?, 7, 'A1', 21, 'C-TEST', 1, 80, '0042', '2026-03-02', 300, 4),
			(?, 7, 'A1', 21, 'C-TEST', 1, 80, 'R2', '2026-03-01', 100, 2),
			(?, 7, 'A1', 21, 'C-TEST', 1, 80, '1234', '2026-03-01', 200, 3)`, []any{a[:], b[:], c[:]}},
		{`INSERT INTO handouts(redemption, operator, at, boot, trusted) VALUES (?, '5A000001', 900, 'b', 1), (?, '5A000002', 800, 'b', 0)`, []any{a[:], b[:]}},
	} {
		if _, err := db.Exec(q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	db.Close()
	l, err := ledger.Open(ctx, dir, ledgertest.Options(clock.NewFake(ledgertest.Start), clock.NewFakeSync(true)))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ps, err := l.Pickups(ctx, 0, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"c30000 code 1234",
		"a10000 code 0042",
		"b20000 handout 5A000002 " + time.Unix(0, 800).UTC().Format(time.DateTime) + " untrusted",
		"a10000 handout 5A000001 " + time.Unix(0, 900).UTC().Format(time.DateTime) + " trusted",
	}
	if got := pickupLines(ps); !reflect.DeepEqual(got, want) {
		t.Errorf("pickups:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
