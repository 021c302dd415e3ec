package sqlitestore

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/record"
)

// TestMigrationFindsTheRedemptionsHeld: a hub that stored redeem entries
// before it kept redemptions has one for each after the migration, at its
// entry's center and hub time, the reversed ones marked by their
// reversal (read from its encoding, once), a restock's reversal marking
// nothing.
func TestMigrationFindsTheRedemptionsHeld(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	db, err := sql.Open("sqlite", dsn(path, time.Second, true))
	if err != nil {
		t.Fatal(err)
	}
	// Up to the schema before 7, the redemptions (migrations[6]).
	if err := migrate(ctx, db, 6); err != nil {
		t.Fatal(err)
	}
	clock := hubtest.Start
	k := hubtest.NewKiosk("T-OLD", "A", func() time.Time { clock = clock.Add(time.Minute); return clock })
	kept := k.Redeem(1, "C0000001", 7, 2, 80)
	undone := k.Redeem(2, "C0000002", 8, 1, 25)
	restock := k.Restock(7, 10)
	k.Append(record.Entry{Kind: record.KindReverse, Person: 2, Card: "C0000002", Item: 8, Stock: 1, Points: 25, Reverses: undone.ID, Operator: "5A000001", Reason: "撤销"})
	k.Append(record.Entry{Kind: record.KindReverse, Item: 7, Stock: -10, Reverses: restock.ID, Operator: "5A000001", Reason: "录错"})
	k.Trusted = false
	late := k.Redeem(3, "C0000003", 7, 1, 40)
	sqlTx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	x := &tx{ctx: ctx, q: sqlTx, write: true}
	for _, e := range k.Entries() {
		se := hub.StoredEntry{Entry: e, Raw: k.Raw(e.Seq), HubCenter: "A-HUB", Received: clock}
		if !e.Trusted {
			se.Corrected = e.At.Add(time.Hour)
		}
		if _, err := x.AddEntry(se); err != nil {
			t.Fatal(err)
		}
	}
	if err := sqlTx.Commit(); err != nil {
		t.Fatal(err)
	}
	db.Close()

	for range 2 { // the second open finds the reversals filled
		s, err := Open(ctx, dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var got []hub.Redemption
		err = s.View(ctx, func(r hub.Reader) (err error) {
			got, err = r.Redemptions(hub.RedemptionQuery{Centers: []string{"A-HUB"}})
			return err
		})
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got[0].ID != late.ID || got[1].ID != undone.ID || got[2].ID != kept.ID {
			t.Fatalf("redemptions after the migration: %+v", got)
		}
		if g := got[2]; g.Terminal != "T-OLD" || g.Seq != kept.Seq || g.Person != 1 || g.Card != "C0000001" || g.Item != 7 || g.Qty != 2 ||
			g.Points != 80 || !g.At.Equal(kept.At) || g.Corrected || g.Code != "" || !g.ReversedBy.IsZero() || g.State() != hub.RedemptionUnreported {
			t.Errorf("the kept one: %+v", g)
		}
		reversal := k.Entries()[3]
		if g := got[1]; g.ReversedBy != reversal.ID || !g.ReversedAt.Equal(reversal.At) || g.State() != hub.RedemptionReversed {
			t.Errorf("the reversed one: %+v, want reversed by %s at %v", g, reversal.ID, reversal.At)
		}
		if g := got[0]; !g.Corrected || !g.At.Equal(late.At.Add(time.Hour)) {
			t.Errorf("the one of an unset clock: %+v", g)
		}
	}
	db, err = sql.Open("sqlite", dsn(path, time.Second, false))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM meta WHERE key = 'fill_reversals'").Scan(&n); err != nil || n != 0 {
		t.Errorf("the fill's mark: %d, %v", n, err)
	}
}
