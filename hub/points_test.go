package hub_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

var (
	catalogStaffA = hub.Actor{User: "刘芳", Addr: "10.0.0.2"}
	catalogAdmin  = hub.Actor{User: "王芳", Addr: "10.0.0.1"}
)

func fieldOfErr(err error) hub.Field {
	var fe *hub.FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}

// TestCheckItemRefusesEachFieldOutOfRange: each value out of range is
// refused at its own field, as a form shows it.
func TestCheckItemRefusesEachFieldOutOfRange(t *testing.T) {
	good := hub.ItemFields{Name: " 大米 5kg ", Price: 80, LimitCount: 2, LimitPeriod: hubsync.PeriodMonth, Active: true}
	if got, err := hub.CheckItem(good); err != nil || got.Name != "大米 5kg" {
		t.Fatalf("a good item: %+v, %v", got, err)
	}
	for _, c := range []struct {
		what  string
		edit  func(*hub.ItemFields)
		field hub.Field
	}{
		{"no name", func(f *hub.ItemFields) { f.Name = "  " }, hub.FieldName},
		{"a name of 33 characters", func(f *hub.ItemFields) { f.Name = strings.Repeat("米", 33) }, hub.FieldName},
		{"a control character", func(f *hub.ItemFields) { f.Name = "大\x07米" }, hub.FieldName},
		{"a price of 0", func(f *hub.ItemFields) { f.Price = 0 }, hub.FieldPrice},
		{"a price below 0", func(f *hub.ItemFields) { f.Price = -5 }, hub.FieldPrice},
		{"a price over the most", func(f *hub.ItemFields) { f.Price = hub.MaxPrice + 1 }, hub.FieldPrice},
		{"a limit below 0", func(f *hub.ItemFields) { f.LimitCount = -1 }, hub.FieldLimit},
		{"a limit over the most", func(f *hub.ItemFields) { f.LimitCount = hub.MaxLimitCount + 1 }, hub.FieldLimit},
		{"a period unknown", func(f *hub.ItemFields) { f.LimitPeriod = "fortnight" }, hub.FieldPeriod},
		{"a limit without its period", func(f *hub.ItemFields) { f.LimitPeriod = hubsync.PeriodNone }, hub.FieldPeriod},
		{"a period without its limit", func(f *hub.ItemFields) { f.LimitCount = 0 }, hub.FieldLimit},
	} {
		f := good
		c.edit(&f)
		_, err := hub.CheckItem(f)
		if got := fieldOfErr(err); got != c.field || !errors.Is(err, record.ErrInvalid) {
			t.Errorf("%s: %v (field %q), want field %q", c.what, err, got, c.field)
		}
	}
	for _, f := range []hub.ItemFields{
		{Name: "理发", Price: 1, LimitPeriod: hubsync.PeriodNone},
		{Name: strings.Repeat("米", 32), Price: hub.MaxPrice, LimitCount: hub.MaxLimitCount, LimitPeriod: hubsync.PeriodDay},
	} {
		if _, err := hub.CheckItem(f); err != nil {
			t.Errorf("%+v at the edges: %v", f, err)
		}
	}
}

// TestItemsAreTheDistricts: district staff add and change items, each a
// registry version every kiosk pulls and an audit entry; a center's staff
// change nothing; a name another item holds is refused at its field; a
// change of nothing is no change.
func TestItemsAreTheDistricts(t *testing.T) {
	e := newEnv(t)
	kA, kB := e.kiosk("T1", "A"), e.kiosk("T2", "B")
	rice := hub.ItemFields{Name: "大米", Price: 80, LimitCount: 2, LimitPeriod: hubsync.PeriodMonth, Active: true}
	if _, err := e.hub.AddItem(ctx, hub.CenterScope("A"), catalogStaffA, rice, nil); !errors.Is(err, hub.ErrForbidden) {
		t.Fatalf("a center's staff added an item: %v", err)
	}
	before := e.pull(kA, 0).Version
	it, err := e.hub.AddItem(ctx, hub.DistrictScope(), catalogAdmin, rice, nil)
	if err != nil {
		t.Fatal(err)
	}
	if it.ID <= 0 || it.ID > 1<<53-1 || it.ChangedBy != "" || it.Version <= before {
		t.Errorf("the item added: %+v", it)
	}
	if a := e.lastAudit(); a.Action != hub.AuditItemAdd || a.Actor != "王芳" || a.Subject != "大米" || a.Detail != "price 80, limit 2/month, active" {
		t.Errorf("the audit of the item added: %+v", a)
	}
	for _, k := range []*hubtest.Kiosk{kA, kB} {
		p := e.pull(k, before)
		if len(p.Items) != 1 || p.Items[0] != (hubsync.Item{ID: it.ID, Name: "大米", Price: 80, LimitCount: 2, LimitPeriod: hubsync.PeriodMonth, Active: true}) {
			t.Errorf("kiosk %s pulled %+v", k.Terminal, p.Items)
		}
	}
	if _, err := e.hub.AddItem(ctx, hub.DistrictScope(), catalogAdmin, hub.ItemFields{Name: " 大米", Price: 5}, nil); fieldOfErr(err) != hub.FieldName || !errors.Is(err, hub.ErrExists) {
		t.Errorf("a name taken: %v", err)
	}
	oil, err := e.hub.AddItem(ctx, hub.DistrictScope(), catalogAdmin, hub.ItemFields{Name: "食用油", Price: 60, Active: true}, nil)
	if err != nil {
		t.Fatal(err)
	}

	// Changes.
	if _, err := e.hub.ChangeItem(ctx, hub.CenterScope("A"), catalogStaffA, it.ID, rice, nil); !errors.Is(err, hub.ErrForbidden) {
		t.Errorf("a center's staff changed an item: %v", err)
	}
	if _, err := e.hub.ChangeItem(ctx, hub.DistrictScope(), catalogAdmin, 12345, rice, nil); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("an item not there changed: %v", err)
	}
	if _, err := e.hub.ChangeItem(ctx, hub.DistrictScope(), catalogAdmin, oil.ID, rice, nil); fieldOfErr(err) != hub.FieldName || !errors.Is(err, hub.ErrExists) {
		t.Errorf("an item renamed to another's: %v", err)
	}
	v := e.pull(kA, 0).Version
	audits := len(e.audit())
	same, err := e.hub.ChangeItem(ctx, hub.DistrictScope(), catalogAdmin, it.ID, rice, nil)
	if err != nil || same != it || e.pull(kA, 0).Version != v || len(e.audit()) != audits {
		t.Errorf("a change of nothing: %+v, %v; version %d (was %d), %d audit entries (were %d)", same, err, e.pull(kA, 0).Version, v, len(e.audit()), audits)
	}
	withdrawn := rice
	withdrawn.Price, withdrawn.LimitCount, withdrawn.LimitPeriod, withdrawn.Active = 100, 1, hubsync.PeriodWeek, false
	next, err := e.hub.ChangeItem(ctx, hub.DistrictScope(), catalogAdmin, it.ID, withdrawn, nil)
	if err != nil || next.Version <= v || next.Price != 100 || next.Active {
		t.Fatalf("the change: %+v, %v", next, err)
	}
	if a := e.lastAudit(); a.Action != hub.AuditItemChange || a.Detail != "price 80 → 100, limit 2/month → 1/week, active true → false" {
		t.Errorf("the audit of the change: %+v", a)
	}
	if p := e.pull(kB, v); len(p.Items) != 1 || p.Items[0].Price != 100 || p.Items[0].Active || p.Items[0].LimitPeriod != hubsync.PeriodWeek {
		t.Errorf("pulled after the change: %+v", p.Items)
	}
}

// TestAKioskChangeLosesToTheHubsNewerOne: a kiosk that changes an item
// before it pulled the hub's change loses (flagged); once it pulled, its
// change holds.
func TestAKioskChangeLosesToTheHubsNewerOne(t *testing.T) {
	e := newEnv(t)
	k := e.kiosk("T1", "A")
	k.Queue(hubsync.Change{Item: &hubsync.Item{ID: 8001, Name: "大米", Price: 80, Active: true}})
	e.pushOK(k)
	pulled := e.pull(k, 0).Version
	if _, err := e.hub.ChangeItem(ctx, hub.DistrictScope(), catalogAdmin, 8001, hub.ItemFields{Name: "大米", Price: 95, Active: true}, nil); err != nil {
		t.Fatal(err)
	}
	push := func(registry uint64, price int64) {
		t.Helper()
		k.Queue(hubsync.Change{Item: &hubsync.Item{ID: 8001, Name: "大米", Price: price, Active: true}})
		p := k.Push()
		p.Registry = registry
		res, err := e.hub.Push(ctx, k.Meta(), p)
		if err != nil || res.Refused != "" {
			t.Fatalf("push: %+v, %v", res, err)
		}
		k.Record(res)
	}
	push(pulled, 70)
	p := e.pull(k, pulled)
	if len(p.Items) != 1 || p.Items[0].Price != 95 {
		t.Errorf("after the kiosk's older change: %+v, want the hub's 95", p.Items)
	}
	if fl := e.flags(hub.FlagConflict); len(fl) != 1 || !strings.Contains(fl[0].Detail, "item 8001") {
		t.Errorf("conflict flags %+v", fl)
	}
	push(p.Version, 70)
	if p := e.pull(k, p.Version); len(p.Items) != 1 || p.Items[0].Price != 70 {
		t.Errorf("the kiosk's change after it pulled the hub's: %+v, want its 70", p.Items)
	}
}

// TestRestockIsCountedOnceAtTheHubAndTheKiosks: a restock at the hub moves
// the center's stock, which its kiosks pull as a signed snapshot as of
// their acknowledged entry; a redemption and a restock at a kiosk the same
// day are counted beside it, each once.
func TestRestockIsCountedOnceAtTheHubAndTheKiosks(t *testing.T) {
	e := newEnv(t)
	k1, k2 := e.kiosk("T1", "A"), e.kiosk("T2", "A")
	wang := e.person("HPL0001", "王堃", "04A1B2C3")
	it, err := e.hub.AddItem(ctx, hub.DistrictScope(), catalogAdmin, hub.ItemFields{Name: "毛巾", Price: 30, Active: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.hub.Restock(ctx, hub.DistrictScope(), catalogAdmin, hub.RestockRequest{Center: "A", Item: it.ID, Qty: 10, Reason: "首批"}); err != nil {
		t.Fatal(err)
	}
	// The day: T1 redeems one, T2 two and restocks five at its desk, the
	// center's staff restock twenty at the hub's web.
	k1.Earn(wang.ID, "04A1B2C3", 0, 120, 200)
	k1.Redeem(wang.ID, "04A1B2C3", it.ID, 1, 30)
	k2.Redeem(wang.ID, "04A1B2C3", it.ID, 2, 60)
	k2.Restock(it.ID, 5)
	r, err := e.hub.Restock(ctx, hub.CenterScope("A"), catalogStaffA, hub.RestockRequest{Center: "A", Item: it.ID, Qty: 20, Reason: " 区里配送 "})
	if err != nil {
		t.Fatal(err)
	}
	if r.Qty != 20 || r.After != 30 || r.Reason != "区里配送" || r.By != "刘芳" || !r.At.Equal(e.clk.Now()) {
		t.Errorf("the restock: %+v", r)
	}
	if a := e.lastAudit(); a.Action != hub.AuditRestock || a.Center != "A" || a.Subject != "毛巾" || a.Detail != "+20, 30 left: 区里配送" || a.Actor != "刘芳" {
		t.Errorf("the restock's audit: %+v", a)
	}
	// The night: each kiosk pushes, then pulls.
	want := int64(10 + 20 - 1 - 2 + 5)
	for round := range 2 {
		for _, k := range []*hubtest.Kiosk{k1, k2} {
			e.pushOK(k)
			p := e.pull(k, 0)
			if len(p.Stock) != 1 {
				t.Fatalf("round %d: kiosk %s pulled stock %+v", round, k.Terminal, p.Stock)
			}
			s := p.Stock[0]
			// The kiosk's count is the snapshot plus its own entries after
			// AsOf: none after a push.
			if s.Center != "A" || s.Item != it.ID || s.AsOf != k.Head().Seq || !ed25519.Verify(e.hub.PublicKey(), s.SigningBytes(k.Terminal), s.Sig) {
				t.Errorf("round %d: kiosk %s pulled %+v (head %d)", round, k.Terminal, s, k.Head().Seq)
			}
			if k == k2 || round == 1 {
				if s.Qty != want {
					t.Errorf("round %d: kiosk %s counts %d, want %d", round, k.Terminal, s.Qty, want)
				}
			}
		}
	}
	cat, err := e.hub.Catalog(ctx, hub.CenterScope("A"), "", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if ci, ok := cat.Item(it.ID); !ok || len(ci.Stock) != 1 || ci.Stock[0].Qty != want || ci.Total() != want || !ci.Stock[0].Held {
		t.Errorf("the hub's count: %+v", ci.Stock)
	}
}

// TestRestockRefusals: another center's stock is not found to a center's
// staff; an item not there is not found; a quantity of 0 or out of range
// and a correction below zero are refused at the quantity, a reason
// missing at the reason; nothing of a refused restock is kept.
func TestRestockRefusals(t *testing.T) {
	e := newEnv(t)
	it, err := e.hub.AddItem(ctx, hub.DistrictScope(), catalogAdmin, hub.ItemFields{Name: "毛巾", Price: 30, Active: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.hub.Restock(ctx, hub.DistrictScope(), catalogAdmin, hub.RestockRequest{Center: "B", Item: it.ID, Qty: 3, Reason: "到货"}); err != nil {
		t.Fatal(err)
	}
	audits := len(e.audit())
	for _, c := range []struct {
		what  string
		scope hub.Scope
		req   hub.RestockRequest
		field hub.Field
		err   error
	}{
		{"another center's", hub.CenterScope("A"), hub.RestockRequest{Center: "B", Item: it.ID, Qty: 5, Reason: "到货"}, "", hub.ErrNotFound},
		{"a center not there", hub.DistrictScope(), hub.RestockRequest{Center: "Z", Item: it.ID, Qty: 5, Reason: "到货"}, "", hub.ErrNotFound},
		{"the zero scope's", hub.Scope{}, hub.RestockRequest{Center: "A", Item: it.ID, Qty: 5, Reason: "到货"}, "", hub.ErrNotFound},
		{"an item not there", hub.DistrictScope(), hub.RestockRequest{Center: "A", Item: 999, Qty: 5, Reason: "到货"}, "", hub.ErrNotFound},
		{"none", hub.DistrictScope(), hub.RestockRequest{Center: "A", Item: it.ID, Qty: 0, Reason: "到货"}, hub.FieldQty, record.ErrInvalid},
		{"too many", hub.DistrictScope(), hub.RestockRequest{Center: "A", Item: it.ID, Qty: hub.MaxRestock + 1, Reason: "到货"}, hub.FieldQty, record.ErrInvalid},
		{"too many away", hub.DistrictScope(), hub.RestockRequest{Center: "A", Item: it.ID, Qty: -hub.MaxRestock - 1, Reason: "到货"}, hub.FieldQty, record.ErrInvalid},
		{"below zero", hub.DistrictScope(), hub.RestockRequest{Center: "B", Item: it.ID, Qty: -4, Reason: "盘点"}, hub.FieldQty, hub.ErrBelowZero},
		{"below zero where none is", hub.DistrictScope(), hub.RestockRequest{Center: "A", Item: it.ID, Qty: -1, Reason: "盘点"}, hub.FieldQty, hub.ErrBelowZero},
		{"no reason", hub.DistrictScope(), hub.RestockRequest{Center: "A", Item: it.ID, Qty: 5, Reason: "  "}, hub.FieldReason, record.ErrInvalid},
		{"a reason too long", hub.DistrictScope(), hub.RestockRequest{Center: "A", Item: it.ID, Qty: 5, Reason: strings.Repeat("到", hub.MaxRestockReason+1)}, hub.FieldReason, record.ErrInvalid},
	} {
		_, err := e.hub.Restock(ctx, c.scope, catalogAdmin, c.req)
		if !errors.Is(err, c.err) || fieldOfErr(err) != c.field {
			t.Errorf("%s: %v (field %q), want %v at %q", c.what, err, fieldOfErr(err), c.err, c.field)
		}
	}
	if n := len(e.audit()); n != audits {
		t.Errorf("%d audit entries after refusals, were %d", n, audits)
	}
	// Down to zero is a correction the hub takes.
	if r, err := e.hub.Restock(ctx, hub.DistrictScope(), catalogAdmin, hub.RestockRequest{Center: "B", Item: it.ID, Qty: -3, Reason: "盘点：破损"}); err != nil || r.After != 0 {
		t.Errorf("down to zero: %+v, %v", r, err)
	}
	rs, err := e.hub.Restocks(ctx, hub.DistrictScope(), "", 0, 0, 0)
	if err != nil || len(rs) != 2 || rs[0].Qty != -3 || rs[1].Qty != 3 {
		t.Errorf("the history: %+v, %v", rs, err)
	}
}

// TestCatalogAndRestocksByScope: the catalog's stock is at the centers the
// scope sees, marked low by the dashboard's rule (LowStock agrees), a
// withdrawn item never low; the history of restocks of a center's staff
// holds their center's alone.
func TestCatalogAndRestocksByScope(t *testing.T) {
	e := newEnv(t)
	k := e.kiosk("T1", "A")
	wang := e.person("HPL0001", "王堃", "04A1B2C3")
	add := func(name string, active bool) hub.Item {
		it, err := e.hub.AddItem(ctx, hub.DistrictScope(), catalogAdmin, hub.ItemFields{Name: name, Price: 10, Active: active}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return it
	}
	towel, soap, old := add("毛巾", true), add("肥皂", true), add("旧物品", false)
	restock := func(center string, it hub.Item, n int64) {
		if _, err := e.hub.Restock(ctx, hub.DistrictScope(), catalogAdmin, hub.RestockRequest{Center: center, Item: it.ID, Qty: n, Reason: "到货"}); err != nil {
			t.Fatal(err)
		}
	}
	restock("A", towel, 40)
	restock("A", soap, 5)
	restock("A", old, 1)
	restock("B", towel, 7)
	// 30 towels handed out at A within the window: 10 left would last ten
	// days at that pace, fewer than LowStockDays.
	k.Earn(wang.ID, "04A1B2C3", 0, 600, 1000)
	k.Redeem(wang.ID, "04A1B2C3", towel.ID, 30, 300)
	e.pushOK(k)

	cat, err := e.hub.Catalog(ctx, hub.DistrictScope(), "", time.FixedZone("CST", 8*3600))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ci := range cat.Items {
		for _, s := range ci.Stock {
			got = append(got, fmt.Sprintf("%s@%s=%d held:%t low:%t", ci.Name, s.Center.ID, s.Qty, s.Held, s.Low()))
		}
	}
	want := "[毛巾@A=10 held:true low:true 毛巾@B=7 held:true low:false 肥皂@A=5 held:true low:true 肥皂@B=0 held:false low:true " +
		"旧物品@A=1 held:true low:false 旧物品@B=0 held:false low:false]"
	if fmt.Sprint(got) != want {
		t.Errorf("the district's catalog:\n got %v\nwant %s", got, want)
	}
	low, err := e.hub.LowStock(ctx, hub.DistrictScope(), "", time.FixedZone("CST", 8*3600))
	if err != nil {
		t.Fatal(err)
	}
	var lows []string
	for _, l := range low {
		lows = append(lows, fmt.Sprintf("%s@%s", l.Item.Name, l.Center.ID))
	}
	if fmt.Sprint(lows) != "[肥皂@A 毛巾@A]" {
		t.Errorf("the dashboard's low stock: %v", lows)
	}

	cat, err = e.hub.Catalog(ctx, hub.CenterScope("B"), "", time.UTC)
	if err != nil || len(cat.Centers) != 1 || cat.Centers[0].ID != "B" || len(cat.Items) != 3 || len(cat.Items[0].Stock) != 1 || cat.Items[0].Stock[0].Qty != 7 {
		t.Errorf("B's catalog: %+v, %v", cat, err)
	}
	if _, err := e.hub.Catalog(ctx, hub.CenterScope("B"), "A", time.UTC); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("B's staff asking A's stock: %v", err)
	}
	if _, err := e.hub.Catalog(ctx, hub.Scope{}, "", time.UTC); err == nil {
		t.Error("the zero scope read the catalog")
	}
	rs, err := e.hub.Restocks(ctx, hub.CenterScope("B"), "", 0, 0, 0)
	if err != nil || len(rs) != 1 || rs[0].Center != "B" {
		t.Errorf("B's history: %+v, %v", rs, err)
	}
	if _, err := e.hub.Restocks(ctx, hub.CenterScope("B"), "A", 0, 0, 0); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("B's staff asking A's history: %v", err)
	}
	rs, err = e.hub.Restocks(ctx, hub.DistrictScope(), "A", towel.ID, 0, 0)
	if err != nil || len(rs) != 1 || rs[0].Qty != 40 {
		t.Errorf("A's history of towels: %+v, %v", rs, err)
	}
	if rs, err := e.hub.Restocks(ctx, hub.DistrictScope(), "", 0, 0, 2); err != nil || len(rs) != 2 || rs[0].Item != towel.ID || rs[0].Center != "B" {
		t.Errorf("the district's last two restocks: %+v, %v", rs, err)
	}
}

// TestPicturesAreTheDistricts: a picture is set by district staff, read by
// anyone who sees a center, replaced by the next (with the item's fields
// as they were: the picture alone is a change); an item added with one has
// it.
func TestPicturesAreTheDistricts(t *testing.T) {
	e := newEnv(t)
	pic, err := hub.MakePicture(picturePNG(t, 40, 30, false))
	if err != nil {
		t.Fatal(err)
	}
	it, err := e.hub.AddItem(ctx, hub.DistrictScope(), catalogAdmin, hub.ItemFields{Name: "毛巾", Price: 30, Active: true}, &pic)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.hub.ItemPicture(ctx, hub.CenterScope("B"), it.ID)
	if err != nil || got.Hash != pic.Hash || !bytes.Equal(got.Large, pic.Large) || got.ChangedBy != "王芳" || !got.Changed.Equal(e.clk.Now()) {
		t.Fatalf("the picture added with the item: %+v, %v", got.Hash, err)
	}
	if a := e.lastAudit(); a.Action != hub.AuditItemPicture || a.Subject != "毛巾" || !strings.HasPrefix(a.Detail, pic.Tag()+", 40×30, ") {
		t.Errorf("the picture's audit: %+v", a)
	}
	if _, err := e.hub.ItemPicture(ctx, hub.Scope{}, it.ID); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("the zero scope read a picture: %v", err)
	}
	other, err := hub.MakePicture(picturePNG(t, 20, 30, false))
	if err != nil {
		t.Fatal(err)
	}
	fields := hub.ItemFields{Name: "毛巾", Price: 30, Active: true}
	if _, err := e.hub.ChangeItem(ctx, hub.CenterScope("A"), catalogStaffA, it.ID, fields, &other); !errors.Is(err, hub.ErrForbidden) {
		t.Errorf("a center's staff set a picture: %v", err)
	}
	if _, err := e.hub.ChangeItem(ctx, hub.DistrictScope(), catalogAdmin, 4242, fields, &other); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("a picture of an item not there: %v", err)
	}
	if _, err := e.hub.ChangeItem(ctx, hub.DistrictScope(), catalogAdmin, it.ID, fields, &hub.Picture{}); err == nil {
		t.Error("a picture MakePicture did not make was kept")
	}
	// The fields as they were: the picture alone changes.
	audits := len(e.audit())
	if _, err := e.hub.ChangeItem(ctx, hub.DistrictScope(), catalogAdmin, it.ID, fields, &other); err != nil {
		t.Fatal(err)
	}
	if es := e.audit(); len(es) != audits+1 || es[len(es)-1].Action != hub.AuditItemPicture {
		t.Errorf("the audit of a picture alone: %+v", es[audits:])
	}
	cat, err := e.hub.Catalog(ctx, hub.DistrictScope(), "", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if ci, _ := cat.Item(it.ID); ci.Picture == nil || ci.Picture.Hash != other.Hash || ci.Picture.Width != 20 || ci.Picture.Large != nil {
		t.Errorf("the catalog's picture: %+v", ci.Picture)
	}
}
