package ledger_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

func redeem(e *ledgertest.Env, card record.CardUID, item record.ItemID) (ledger.Redemption, error) {
	return e.Redeem(ctx, ledger.Redeem{ID: record.NewEntryID(), Card: card, Item: item})
}

func TestRedeemRefusals(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, e *ledgertest.Env, p record.PersonID, card record.CardUID) record.ItemID
		want  error
	}{
		{"insufficient points", func(t *testing.T, e *ledgertest.Env, p record.PersonID, card record.CardUID) record.ItemID {
			e.Credit(t, p, 49)
			return e.AddItem(t, "食用油", 50, 5).ID
		}, ledger.ErrInsufficientPoints},
		{"out of stock", func(t *testing.T, e *ledgertest.Env, p record.PersonID, card record.CardUID) record.ItemID {
			e.Credit(t, p, 100)
			return e.AddItem(t, "洗衣液", 30, 0).ID
		}, ledger.ErrOutOfStock},
		{"period limit", func(t *testing.T, e *ledgertest.Env, p record.PersonID, card record.CardUID) record.ItemID {
			e.Credit(t, p, 100)
			it, err := e.PutItem(ctx, ledger.PutItem{ID: record.NewEntryID(), Item: ledger.Item{Name: "理发服务", Price: 20, Limit: 1, Period: ledger.Monthly, Active: true}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.Restock(ctx, ledger.Restock{ID: record.NewEntryID(), Item: it.ID, Quantity: 5, Operator: e.Staff}); err != nil {
				t.Fatal(err)
			}
			if _, err := redeem(e, card, it.ID); err != nil {
				t.Fatal(err)
			}
			return it.ID
		}, ledger.ErrPeriodLimit},
		{"offline cap", func(t *testing.T, e *ledgertest.Env, p record.PersonID, card record.CardUID) record.ItemID {
			e.Credit(t, p, 1000)
			if err := e.SetPolicy(ctx, record.Policy{OfflineCapPoints: 100}); err != nil {
				t.Fatal(err)
			}
			it := e.AddItem(t, "大米", 40, 10)
			for range 2 {
				if _, err := redeem(e, card, it.ID); err != nil {
					t.Fatal(err)
				}
			}
			return it.ID // 80 spent, 40 more would pass 100
		}, ledger.ErrOfflineCap},
		{"enrolled terminal never synced", func(t *testing.T, e *ledgertest.Env, p record.PersonID, card record.CardUID) record.ItemID {
			e.Credit(t, p, 100)
			if err := e.SetEnrolled(ctx, true); err != nil {
				t.Fatal(err)
			}
			return e.AddItem(t, "大米", 40, 10).ID
		}, ledger.ErrSyncTooOld},
		{"enrolled terminal synced too long ago", func(t *testing.T, e *ledgertest.Env, p record.PersonID, card record.CardUID) record.ItemID {
			e.Credit(t, p, 100)
			if err := e.SetEnrolled(ctx, true); err != nil {
				t.Fatal(err)
			}
			if err := e.RecordSync(ctx); err != nil {
				t.Fatal(err)
			}
			e.Clock.Advance(record.DefaultPolicy.MaxSyncAge + time.Minute)
			return e.AddItem(t, "大米", 40, 10).ID
		}, ledger.ErrSyncTooOld},
		{"lost card", func(t *testing.T, e *ledgertest.Env, p record.PersonID, card record.CardUID) record.ItemID {
			e.Credit(t, p, 100)
			if _, err := e.SetCardState(ctx, ledger.SetCardState{ID: record.NewEntryID(), UID: card, State: ledger.CardLost, Operator: e.Staff}); err != nil {
				t.Fatal(err)
			}
			return e.AddItem(t, "大米", 40, 10).ID
		}, ledger.ErrCardLost},
		{"revoked card", func(t *testing.T, e *ledgertest.Env, p record.PersonID, card record.CardUID) record.ItemID {
			e.Credit(t, p, 100)
			if _, err := e.SetCardState(ctx, ledger.SetCardState{ID: record.NewEntryID(), UID: card, State: ledger.CardRevoked, Operator: e.Staff}); err != nil {
				t.Fatal(err)
			}
			return e.AddItem(t, "大米", 40, 10).ID
		}, ledger.ErrCardRevoked},
		{"unknown item", func(t *testing.T, e *ledgertest.Env, p record.PersonID, card record.CardUID) record.ItemID {
			e.Credit(t, p, 100)
			return 999
		}, ledger.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := ledgertest.MustOpen(t)
			p, card := e.AddPerson(t, "赵大妈", record.Resident)
			item := tc.setup(t, e, p.ID, card)
			before, _ := e.Balance(ctx, p.ID)
			st, _ := e.Status(ctx)
			_, err := redeem(e, card, item)
			if !errors.Is(err, tc.want) {
				t.Fatalf("redeem err = %v, want %v", err, tc.want)
			}
			after, _ := e.Balance(ctx, p.ID)
			st2, _ := e.Status(ctx)
			if after != before || st2.Entries != st.Entries {
				t.Fatalf("a refused redemption changed something: balance %+v -> %+v, entries %d -> %d", before, after, st.Entries, st2.Entries)
			}
			if offers, err := e.CatalogFor(ctx, card); err == nil {
				for _, o := range offers {
					if o.Item.ID == item && !errors.Is(o.Refusal, tc.want) {
						t.Fatalf("catalog offer refusal = %v, want %v", o.Refusal, tc.want)
					}
				}
			}
			e.MustVerify(t)
		})
	}
}

func TestUnenrolledTerminalIgnoresSyncAge(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, card := e.AddPerson(t, "周玥", record.Resident)
	e.Credit(t, p.ID, 100)
	it := e.AddItem(t, "大米", 40, 10)
	e.Clock.Advance(365 * 24 * time.Hour)
	if _, err := redeem(e, card, it.ID); err != nil {
		t.Fatalf("unenrolled terminal refused: %v", err)
	}
	// Earning goes on when an enrolled terminal's sync is too old.
	if err := e.SetEnrolled(ctx, true); err != nil {
		t.Fatal(err)
	}
	if _, err := redeem(e, card, it.ID); !errors.Is(err, ledger.ErrSyncTooOld) {
		t.Fatalf("enrolled: %v, want ErrSyncTooOld", err)
	}
	act := e.AnyTime(t)
	checkIn(t, e, card, act.ID)
	e.Clock.Advance(time.Hour)
	if r := checkOut(t, e, card); r.Credit.Points != 60 {
		t.Fatalf("earning while sync too old: %+v", r.Credit)
	}
	if err := e.RecordSync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := redeem(e, card, it.ID); err != nil {
		t.Fatalf("after sync: %v", err)
	}
}

func TestOfflineCapResetsOnAcknowledge(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, card := e.AddPerson(t, "周玥", record.Resident)
	e.Credit(t, p.ID, 1000)
	if err := e.SetPolicy(ctx, record.Policy{OfflineCapPoints: 100}); err != nil {
		t.Fatal(err)
	}
	it := e.AddItem(t, "大米", 50, 10)
	for range 2 {
		if _, err := redeem(e, card, it.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := redeem(e, card, it.ID); !errors.Is(err, ledger.ErrOfflineCap) {
		t.Fatalf("third: %v, want ErrOfflineCap", err)
	}
	st, _ := e.SyncState(ctx)
	if st.Unsynced != st.HeadSeq || st.Unsynced == 0 {
		t.Fatalf("sync state %+v", st)
	}
	if err := e.Acknowledge(ctx, st.HeadSeq+1); !errors.Is(err, ledger.ErrInvalid) {
		t.Fatalf("acknowledging past the head: %v", err)
	}
	if err := e.Acknowledge(ctx, st.HeadSeq); err != nil {
		t.Fatal(err)
	}
	if st2, _ := e.SyncState(ctx); st2.Unsynced != 0 || st2.AckedSeq != st.HeadSeq {
		t.Fatalf("after ack %+v", st2)
	}
	if _, err := redeem(e, card, it.ID); err != nil {
		t.Fatalf("after acknowledge: %v", err)
	}
}

func TestRedeemTakesPointsAndStockAndGivesUniqueCodes(t *testing.T) {
	e := ledgertest.MustOpen(t)
	if err := e.SetPolicy(ctx, record.Policy{}); err != nil {
		t.Fatal(err)
	}
	it := e.AddItem(t, "肥皂", 1, 300)
	codes := map[ledger.PickupCode]bool{}
	for i := range 30 {
		p, card := e.AddPerson(t, "居民", record.Resident)
		e.Credit(t, p.ID, 10)
		for range 5 {
			r, err := redeem(e, card, it.ID)
			if err != nil {
				t.Fatal(err)
			}
			if codes[r.Code] {
				t.Fatalf("pickup code %s given twice today (person %d)", r.Code, i)
			}
			codes[r.Code] = true
		}
		if b, _ := e.Balance(ctx, p.ID); b.Points != 5 {
			t.Fatalf("balance %d, want 5", b.Points)
		}
	}
	offers, _ := e.Catalog(ctx)
	if len(offers) != 1 || offers[0].Stock != 150 {
		t.Fatalf("catalog %+v, want stock 150", offers)
	}
	day := e.Clock.Now().In(e.Location()).Format(time.DateOnly)
	recs, _ := e.Redemptions(ctx, day)
	if len(recs) != 150 {
		t.Fatalf("%d redemptions listed, want 150", len(recs))
	}
	e.MustVerify(t)
}

func TestReverseRedemptionReturnsStockAndLimit(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, card := e.AddPerson(t, "王堃", record.RedVest)
	e.Credit(t, p.ID, 100)
	it, _ := e.PutItem(ctx, ledger.PutItem{ID: record.NewEntryID(), Item: ledger.Item{Name: "理发服务", Price: 30, Limit: 1, Period: ledger.Monthly, Active: true}})
	if _, err := e.Restock(ctx, ledger.Restock{ID: record.NewEntryID(), Item: it.ID, Quantity: 1, Operator: e.Staff}); err != nil {
		t.Fatal(err)
	}
	r, err := redeem(e, card, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := e.Reverse(ctx, ledger.Reverse{ID: record.NewEntryID(), Entry: r.Entry.ID, Operator: e.Staff, Reason: "拿错了"})
	if err != nil {
		t.Fatal(err)
	}
	if rev.Reverses != r.Entry.ID || rev.Points != 30 || rev.Stock != 1 || rev.Operator != e.Staff || rev.Kind != record.KindReverse {
		t.Fatalf("reversal = %+v", rev)
	}
	if b, _ := e.Balance(ctx, p.ID); b.Points != 100 {
		t.Fatalf("balance %d after reversal", b.Points)
	}
	if _, err := e.Reverse(ctx, ledger.Reverse{ID: record.NewEntryID(), Entry: r.Entry.ID, Operator: e.Staff}); !errors.Is(err, ledger.ErrNotReversible) {
		t.Fatalf("second reversal: %v", err)
	}
	if _, err := e.Reverse(ctx, ledger.Reverse{ID: record.NewEntryID(), Entry: rev.ID, Operator: e.Staff}); !errors.Is(err, ledger.ErrNotReversible) {
		t.Fatalf("reversing a reversal: %v", err)
	}
	if _, err := e.Reverse(ctx, ledger.Reverse{ID: record.NewEntryID(), Entry: r.Entry.ID, Operator: card}); !errors.Is(err, ledger.ErrNotStaff) {
		t.Fatalf("reversal by a volunteer card: %v", err)
	}
	// Stock and the monthly limit are free again.
	if _, err := redeem(e, card, it.ID); err != nil {
		t.Fatalf("redeem after reversal: %v", err)
	}
	e.MustVerify(t)
}

func TestReverseCheckOutAndAdjust(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, card := e.AddPerson(t, "王堃", record.RedVest)
	act := e.AnyTime(t)
	checkIn(t, e, card, act.ID)
	e.Clock.Advance(time.Hour)
	out := checkOut(t, e, card)
	it := e.AddItem(t, "大米", 50, 1)
	if _, err := redeem(e, card, it.ID); err != nil {
		t.Fatal(err)
	}
	// 10 points left: reversing the 60-point check-out would go below zero.
	if _, err := e.Reverse(ctx, ledger.Reverse{ID: record.NewEntryID(), Entry: out.Entry.ID, Operator: e.Staff}); !errors.Is(err, ledger.ErrInsufficientPoints) {
		t.Fatalf("reversal below zero: %v", err)
	}
	if _, err := e.Adjust(ctx, ledger.Adjust{ID: record.NewEntryID(), Person: p.ID, Points: -11, Reason: "扣分", Operator: e.Staff}); !errors.Is(err, ledger.ErrInsufficientPoints) {
		t.Fatalf("adjust below zero: %v", err)
	}
	if _, err := e.Adjust(ctx, ledger.Adjust{ID: record.NewEntryID(), Person: p.ID, Points: 5, Operator: e.Staff}); !errors.Is(err, ledger.ErrInvalid) {
		t.Fatalf("adjust without reason: %v", err)
	}
	adj, err := e.Adjust(ctx, ledger.Adjust{ID: record.NewEntryID(), Person: p.ID, Points: 50, Minutes: 15, Reason: "补录", Operator: e.Staff})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Reverse(ctx, ledger.Reverse{ID: record.NewEntryID(), Entry: out.Entry.ID, Operator: e.Staff, Reason: "重复签到"}); err != nil {
		t.Fatal(err)
	}
	if s, _ := e.Shift(ctx, out.Shift.ID); s.State != ledger.ShiftReversed {
		t.Fatalf("shift state %v after reversing its check-out", s.State)
	}
	// The adjustment's 50 points went with the check-out's reversal.
	if _, err := e.Reverse(ctx, ledger.Reverse{ID: record.NewEntryID(), Entry: adj.ID, Operator: e.Staff}); !errors.Is(err, ledger.ErrInsufficientPoints) {
		t.Fatalf("reversing the adjustment: %v", err)
	}
	if b, _ := e.Balance(ctx, p.ID); b != (ledger.Balance{Points: 0, Minutes: 15}) {
		t.Fatalf("balance %+v, want 0 points, 15 minutes", b)
	}
	e.MustVerify(t)
}

func TestExpirePoints(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, card := e.AddPerson(t, "王堃", record.RedVest)
	e.Credit(t, p.ID, 100) // March
	if r, err := e.ExpirePoints(ctx, ledger.ExpirePoints{ID: record.NewEntryID()}); err != nil || len(r.Entries) != 0 {
		t.Fatalf("default policy expired %+v, %v", r, err)
	}
	if err := e.SetPolicy(ctx, record.Policy{PointsExpireMonths: 12}); err != nil {
		t.Fatal(err)
	}
	it := e.AddItem(t, "大米", 30, 5)
	e.Clock.Advance(200 * 24 * time.Hour)
	if _, err := redeem(e, card, it.ID); err != nil { // spends the oldest first
		t.Fatal(err)
	}
	e.Credit(t, p.ID, 40) // earned in the window
	e.Clock.Advance(200 * 24 * time.Hour)
	expireID := record.NewEntryID()
	r, err := e.ExpirePoints(ctx, ledger.ExpirePoints{ID: expireID})
	if err != nil {
		t.Fatal(err)
	}
	if r.Points != 70 || len(r.Entries) != 1 || r.Entries[0].Kind != record.KindExpire {
		t.Fatalf("expired %+v, want 70 (100 old - 30 spent)", r)
	}
	if again, err := e.ExpirePoints(ctx, ledger.ExpirePoints{ID: expireID}); err != nil || len(again.Entries) != 1 || again.Entries[0].Hash != r.Entries[0].Hash || again.Entries[0].Points != -70 {
		t.Fatalf("repeated expiry = %+v, %v; want the first result", again, err)
	}
	if b, _ := e.Balance(ctx, p.ID); b.Points != 40 {
		t.Fatalf("balance %d, want the 40 earned recently", b.Points)
	}
	if r, _ := e.ExpirePoints(ctx, ledger.ExpirePoints{ID: record.NewEntryID()}); r.Points != 0 {
		t.Fatalf("second run expired %d more", r.Points)
	}
	e.MustVerify(t)
}
