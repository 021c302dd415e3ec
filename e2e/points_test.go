package e2e_test

import (
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

// TestRestocksAtTheHubAndRedemptionsAtTheKiosksCountOnce: on one day the
// center's staff restock at the hub's web (and correct another center's
// count), while the kiosks redeem and one restocks at its own desk; after
// the night's sync (and another) the hub and every kiosk of a center count
// the same stock, each change once, and every kiosk's ledger verifies
// against the hub's signed snapshots.
func TestRestocksAtTheHubAndRedemptionsAtTheKiosksCountOnce(t *testing.T) {
	d := newDistrict(t) // 10 towels at A and at B
	wang := d.a1.member("HPL0001")
	d.a1.credit(wang.ID, 300)
	d.syncAll(t) // every kiosk knows the balance
	towel := d.a1.item("毛巾").Item.ID

	// The day.
	for _, k := range []*kiosk{d.a1, d.a2, d.a2, d.b1} {
		if _, err := k.redeem("3A7F2C91", towel); err != nil {
			t.Fatalf("kiosk %s redeems: %v", k.name, err)
		}
	}
	if _, err := d.a2.l.Restock(ctx, ledger.Restock{ID: record.NewEntryID(), Item: towel, Quantity: 5, Operator: d.a2.staff}); err != nil {
		t.Fatal(err)
	}
	d.hub.look(func(hb *hub.Hub, _ hub.Store) {
		for _, r := range []hub.RestockRequest{
			{Center: "A", Item: towel, Qty: 20, Reason: "区里配送"},
			{Center: "B", Item: towel, Qty: -3, Reason: "盘点：破损 3 条"},
		} {
			if _, err := hb.Restock(ctx, hub.CenterScope(r.Center), hub.Actor{User: "刘芳"}, r); err != nil {
				t.Fatalf("restock at %s: %v", r.Center, err)
			}
		}
	})
	// Before the night each kiosk counts what it saw.
	for k, want := range map[*kiosk]int64{d.a1: 9, d.a2: 13, d.b1: 9} {
		if got := k.item("毛巾").Stock; got != want {
			t.Errorf("kiosk %s counts %d towels before the sync, want %d", k.name, got, want)
		}
	}

	want := map[string]int64{"A": 10 - 1 - 2 + 5 + 20, "B": 10 - 1 - 3}
	for night := range 2 {
		d.syncAll(t)
		if night == 0 {
			d.syncAll(t) // A1 pushed before A2: it pulls A2's day now
		}
		for _, k := range d.kiosks() {
			if got := k.item("毛巾").Stock; got != want[k.center] {
				t.Errorf("night %d: kiosk %s counts %d towels, want %d", night, k.name, got, want[k.center])
			}
			k.mustVerify()
		}
		d.hub.look(func(hb *hub.Hub, _ hub.Store) {
			cat, err := hb.Catalog(ctx, hub.DistrictScope(), "", time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			ci, ok := cat.Item(towel)
			if !ok {
				t.Fatal("the hub's catalog has no towels")
			}
			for _, s := range ci.Stock {
				if s.Qty != want[s.Center.ID] {
					t.Errorf("night %d: the hub counts %d towels at %s, want %d", night, s.Qty, s.Center.ID, want[s.Center.ID])
				}
			}
			// What was left as the hub counted it then: the kiosks' day
			// came after.
			rs, err := hb.Restocks(ctx, hub.DistrictScope(), "", towel, 0, 0)
			if err != nil || len(rs) != 2 || rs[0].After != 10-3 || rs[1].After != 10+20 {
				t.Errorf("the hub's history of restocks: %+v, %v", rs, err)
			}
		})
	}
}
