package e2e_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

// The district's registry as its staff import it (hubd import).
const (
	peopleCSV = "志愿者编号,姓名,手机号,所属社区,志愿者类型,卡号\n" +
		"HPL0001,王堃,13910230001,和平里东街社区,红马甲,3A7F2C91\n" +
		"HPL0002,李喆,13810230002,和平里中街社区,绿马甲,0A000002\n" +
		"HPL0003,陈赟,15010230003,和平里北街社区,双报到,\n"
	activitiesCSV = "活动名称,每小时积分,最长分钟,随时可签到\n便民服务,30,240,是\n"
	catalogCSV    = "物品名称,所需积分,库存\n毛巾,30,10\n大米 5kg,80,5\n"
)

// district is a hub with centers A and B, the registry imported, and
// three kiosks (two at A, one at B) enrolled and synced once.
type district struct {
	hub        *hubProc
	a1, a2, b1 *kiosk
}

func newDistrict(t *testing.T) *district {
	t.Helper()
	h := newHub(t, "A", "和平里街道党群服务中心", "B", "小黄庄党群服务中心")
	hubd(t, h.dir, "import", "people", writeFile(t, "people.csv", peopleCSV))
	hubd(t, h.dir, "import", "activities", writeFile(t, "activities.csv", activitiesCSV), "--center", "A")
	hubd(t, h.dir, "import", "catalog", writeFile(t, "catalog.csv", catalogCSV), "--center", "A")
	hubd(t, h.dir, "import", "catalog", writeFile(t, "catalog.csv", catalogCSV), "--center", "B")
	d := &district{hub: h}
	d.a1 = newKiosk(t, "A1", "A", kioskOpts{clk: &liveClock{}, synced: true})
	d.a2 = newKiosk(t, "A2", "A", kioskOpts{synced: true})
	d.b1 = newKiosk(t, "B1", "B", kioskOpts{synced: true})
	for _, k := range d.kiosks() {
		k.mustEnroll(h.url(), h.token(k.center))
		k.mustSync()
	}
	return d
}

func (d *district) kiosks() []*kiosk { return []*kiosk{d.a1, d.a2, d.b1} }

func (d *district) syncAll(t *testing.T) {
	t.Helper()
	for _, k := range d.kiosks() {
		k.mustSync()
	}
}

// member is the district person of memberNo as kiosk k knows them.
func (k *kiosk) member(memberNo string) ledger.Person {
	k.t.Helper()
	ps, err := k.l.FindPeople(ctx, memberNo, 2)
	if err != nil || len(ps) != 1 {
		k.t.Fatalf("kiosk %s: person %s: %+v, %v", k.name, memberNo, ps, err)
	}
	return ps[0]
}

// checkHubHoldsEveryEntry: the hub holds each kiosk's entries exactly as
// its ledger does, each once, and nothing else.
func (d *district) checkHubHoldsEveryEntry(t *testing.T, ks ...*kiosk) {
	t.Helper()
	d.hub.look(func(hb *hub.Hub, st hub.Store) { checkEntriesAtHub(t, hb, st, ks) })
}

func checkEntriesAtHub(t *testing.T, hb *hub.Hub, st hub.Store, ks []*kiosk) {
	t.Helper()
	kiosks, err := hb.Kiosks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mine := map[string]*kiosk{}
	for _, k := range ks {
		mine[k.l.Terminal().ID] = k
	}
	for _, hk := range kiosks {
		k := mine[hk.Terminal]
		held := hubEntries(t, st, hk.Terminal)
		if k == nil {
			if len(held) > 0 {
				t.Errorf("the hub holds %d entries of terminal %s, which no kiosk here has", len(held), hk.Terminal)
			}
			continue
		}
		local := k.entries()
		if len(held) != len(local) {
			t.Errorf("kiosk %s: the hub holds %d entries, its ledger %d", k.name, len(held), len(local))
		}
		for i := range min(len(held), len(local)) {
			h, e := held[i], local[i]
			if h.Terminal != e.Terminal || h.Seq != e.Seq || h.Hash != e.Hash || h.ID != e.ID {
				t.Errorf("kiosk %s: entry %d is (%s, %d, %x) at the hub, (%s, %d, %x) in its ledger", k.name, i,
					h.Terminal, h.Seq, h.Hash[:4], e.Terminal, e.Seq, e.Hash[:4])
				break
			}
		}
		delete(mine, hk.Terminal)
	}
	for _, k := range mine {
		t.Errorf("kiosk %s is not enrolled at the hub", k.name)
	}
}

func TestDistrict(t *testing.T) {
	d := newDistrict(t)
	h := d.hub

	// Every kiosk has the district's people, cards and catalog.
	for _, k := range d.kiosks() {
		if info, err := k.l.LookupCard(ctx, "3A7F2C91"); err != nil || info.Person.MemberNo != "HPL0001" {
			t.Fatalf("kiosk %s: the imported card: %+v, %v", k.name, info.Person, err)
		}
		if o := k.item("毛巾"); o.Stock != 10 || o.Item.Price != 30 {
			t.Fatalf("kiosk %s: 毛巾 %+v, want 30 points and 10 in stock", k.name, o)
		}
	}

	// Earn at one center, redeem at another.
	{
		wang := d.a1.member("HPL0001")
		acts, err := d.a1.l.Activities(ctx)
		if err != nil || len(acts) != 1 {
			t.Fatalf("activities at A1: %+v, %v", acts, err)
		}
		clk := d.a1.clk.(*liveClock)
		clk.shift(-2 * time.Hour) // checked in two hours ago
		if _, err := d.a1.l.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: "3A7F2C91", Activity: acts[0].ID}); err != nil {
			t.Fatal(err)
		}
		clk.shift(0)
		out, err := d.a1.l.CheckOut(ctx, ledger.CheckOut{ID: record.NewEntryID(), Card: "3A7F2C91"})
		if err != nil {
			t.Fatal(err)
		}
		earned := out.Entry.Points
		if earned != 60 {
			t.Fatalf("two hours at 30 points an hour earned %d", earned)
		}
		d.a1.mustSync()
		if got := d.b1.balance(wang.ID); got.Points != 0 {
			t.Fatalf("B1 knows %d points before it synced", got.Points)
		}
		d.b1.mustSync()
		if got := d.b1.balance(wang.ID); got.Points != earned || got.Minutes != 120 {
			t.Fatalf("B1 after its sync: %+v, want %d points, 120 minutes", got, earned)
		}
		towel := d.b1.item("毛巾")
		r, err := d.b1.redeem("3A7F2C91", towel.Item.ID)
		if err != nil {
			t.Fatalf("redeem at B1: %v", err)
		}
		if r.Balance.Points != earned-30 {
			t.Fatalf("balance after redeeming at B1: %+v", r.Balance)
		}
		d.syncAll(t) // B1 pushes after A1 and A2 pulled: once more
		d.syncAll(t)
		for _, k := range d.kiosks() {
			if got := k.balance(wang.ID); got.Points != earned-30 {
				t.Errorf("kiosk %s: %d points, want %d", k.name, got.Points, earned-30)
			}
		}
		if got := d.a1.item("毛巾").Stock; got != 10 {
			t.Errorf("center A's towels: %d, want 10 (B1 redeemed from B's)", got)
		}
		if got := d.b1.item("毛巾").Stock; got != 9 {
			t.Errorf("center B's towels: %d, want 9", got)
		}
		h.look(func(hb *hub.Hub, _ hub.Store) {
			if b := districtBalance(t, hb, wang.ID); b.Points != earned-30 || b.Minutes != 120 {
				t.Errorf("district balance %+v, want %d points, 120 minutes", b, earned-30)
			}
		})
	}

	// A card blocked at the hub is refused at every kiosk.
	{
		out := hubd(t, h.dir, "card", "block", "3A7F2C91")
		if !strings.Contains(out, "HPL0001") {
			t.Errorf("hubd card block says: %s", out)
		}
		d.syncAll(t)
		for _, k := range d.kiosks() {
			if _, err := k.l.LookupCard(ctx, "3A7F2C91"); !isAny(err, ledger.ErrCardRevoked, ledger.ErrCardLost) {
				t.Errorf("kiosk %s looks the blocked card up: %v", k.name, err)
			}
			if _, err := k.redeem("3A7F2C91", k.item("毛巾").Item.ID); err == nil {
				t.Errorf("kiosk %s redeemed on the blocked card", k.name)
			}
		}
		acts, _ := d.a1.l.Activities(ctx)
		if _, err := d.a1.l.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: "3A7F2C91", Activity: acts[0].ID}); err == nil {
			t.Error("A1 checked the blocked card in")
		}
	}

	// A walk-in merged at the hub.
	{
		walkIn, card := d.a2.person("")
		if !walkIn.Provisional || walkIn.MemberNo == "" {
			t.Fatalf("walk-in %+v", walkIn)
		}
		d.a2.credit(walkIn.ID, 40)
		d.a2.mustSync()
		flags := hubd(t, h.dir, "flags")
		if !strings.Contains(flags, "walk-in") || !strings.Contains(flags, fmt.Sprint(walkIn.ID)) {
			t.Errorf("hubd flags does not list the walk-in %d:\n%s", walkIn.ID, flags)
		}
		chen := d.a1.member("HPL0003")
		before := d.a1.balance(chen.ID)
		out := hubd(t, h.dir, "person", "merge", walkIn.MemberNo, "HPL0003")
		if !strings.Contains(out, fmt.Sprintf("%d points", before.Points+40)) {
			t.Errorf("hubd person merge says: %s", out)
		}
		// A2 is offline: it credits the walk-in again before it hears of
		// the merge. Those points follow the merge too.
		d.a2.credit(walkIn.ID, 5)
		d.syncAll(t)
		d.syncAll(t) // A1 and A2 pull what B1 and A2 pushed after them
		want := before.Points + 45
		for _, k := range d.kiosks() {
			if got := k.balance(chen.ID); got.Points != want {
				t.Errorf("kiosk %s: HPL0003 has %d points, want %d", k.name, got.Points, want)
			}
			info, err := k.l.LookupCard(ctx, card)
			if err != nil || info.Person.ID != chen.ID {
				t.Errorf("kiosk %s: the walk-in's card is %+v, %v; want HPL0003's", k.name, info.Person, err)
			}
		}
		h.look(func(hb *hub.Hub, _ hub.Store) {
			if b := districtBalance(t, hb, chen.ID); b.Points != want {
				t.Errorf("district balance of HPL0003 %+v, want %d", b, want)
			}
			if b := districtBalance(t, hb, walkIn.ID); b.Person != chen.ID {
				t.Errorf("the walk-in's balance is %+v, not HPL0003's", b)
			}
		})
		if flags := hubd(t, h.dir, "flags"); strings.Contains(flags, fmt.Sprint(walkIn.ID)) && strings.Contains(flags, "walk-in") {
			t.Errorf("the merged walk-in is still an open flag:\n%s", flags)
		}
		// The merged points are spent at the other center with the
		// walk-in's card.
		if _, err := d.b1.redeem(card, d.b1.item("毛巾").Item.ID); err != nil {
			t.Errorf("B1 redeems on the merged walk-in's card: %v", err)
		}
	}

	// An offline double spend is flagged.
	{
		li := d.b1.member("HPL0002")
		d.b1.credit(li.ID, 100)
		d.b1.mustSync()
		d.a1.mustSync()
		if got := d.a1.balance(li.ID); got.Points != 100 {
			t.Fatalf("A1 knows %d points of HPL0002, want 100", got.Points)
		}
		// Both offline: each spends the same 80 points.
		for _, k := range []*kiosk{d.a1, d.b1} {
			if _, err := k.redeem("0A000002", k.item("大米 5kg").Item.ID); err != nil {
				t.Fatalf("kiosk %s redeems offline: %v", k.name, err)
			}
		}
		d.a1.mustSync()
		d.b1.mustSync()
		flags := hubd(t, h.dir, "flags")
		if !strings.Contains(flags, "double spend") || !strings.Contains(flags, fmt.Sprint(li.ID)) || !strings.Contains(flags, "-60") {
			t.Errorf("hubd flags does not list the double spend of %d (-60 points):\n%s", li.ID, flags)
		}
		d.a1.mustSync()
		for _, k := range []*kiosk{d.a1, d.b1} {
			if got := k.balance(li.ID); got.Points != -60 {
				t.Errorf("kiosk %s: HPL0002 has %d points after the sync, want the district's -60", k.name, got.Points)
			}
			if _, err := k.redeem("0A000002", k.item("毛巾").Item.ID); !errors.Is(err, ledger.ErrInsufficientPoints) {
				t.Errorf("kiosk %s: a redemption below zero: %v", k.name, err)
			}
		}
	}

	// hubd status shows each kiosk's acknowledged seq.
	{
		d.syncAll(t)
		st := h.status()
		if len(st.Kiosks) != 3 {
			t.Fatalf("hubd status shows %d kiosks, want 3", len(st.Kiosks))
		}
		byTerm := map[string]int{}
		for i, s := range st.Kiosks {
			byTerm[s.Terminal] = i
		}
		text := hubd(t, h.dir, "status")
		for _, k := range d.kiosks() {
			i, ok := byTerm[k.l.Terminal().ID]
			if !ok {
				t.Errorf("kiosk %s is not in hubd status", k.name)
				continue
			}
			s, head := st.Kiosks[i], k.head()
			if s.AckedSeq != head.Seq || s.HeadSeq != head.Seq || s.Lag != 0 || s.Refusal != "" || s.Fork || s.Center != k.center {
				t.Errorf("kiosk %s: status %+v, its head is seq %d", k.name, s, head.Seq)
			}
			if !strings.Contains(text, k.l.Terminal().ID) || !strings.Contains(text, fmt.Sprint(head.Seq)) {
				t.Errorf("hubd status does not show kiosk %s at seq %d:\n%s", k.name, head.Seq, text)
			}
			ss, err := k.l.SyncState(ctx)
			if err != nil || ss.AckedSeq != head.Seq || ss.Unsynced != 0 || ss.Fork {
				t.Errorf("kiosk %s: sync state %+v, %v", k.name, ss, err)
			}
		}
	}

	for _, k := range d.kiosks() {
		k.mustVerify()
	}
	d.checkHubHoldsEveryEntry(t, d.kiosks()...)
}
