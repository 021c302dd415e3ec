package hub_test

import (
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
	"github.com/hongmajia/hongmajia/roster"
)

func TestPullSendsWhatChangedSinceAVersion(t *testing.T) {
	e := newEnv(t)
	k := e.kiosk("T1", "A")
	first := e.pull(k, 0)
	if first.Version != 0 || first.More || len(first.People) != 0 {
		t.Errorf("an empty hub's pull: %+v", first)
	}
	e.person("HPL0001", "王堃", "04A1B2C3")
	e.person("HPL0002", "李喆", "")
	if _, err := e.hub.ImportActivities(ctx, "A", []roster.Activity{{Name: "助老服务", Rules: record.Rules{AnyTime: true}}}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.hub.ImportActivities(ctx, "B", []roster.Activity{{Name: "环境整治", Rules: record.Rules{AnyTime: true}}}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.hub.ImportCatalog(ctx, "B", []roster.Item{{Name: "大米", Price: 120, Stock: 30, Limit: 1, Period: roster.Monthly}}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.hub.AddStaff(ctx, hub.AddStaff{Center: "A", UID: "5B8E1D02", Name: "张三", PIN: "2468"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.hub.AddStaff(ctx, hub.AddStaff{Center: "B", UID: "5B8E1D03", Name: "李四", PIN: "2468"}); err != nil {
		t.Fatal(err)
	}
	all := e.pull(k, first.Version)
	if len(all.People) != 2 || len(all.Cards) != 1 || len(all.Items) != 1 {
		t.Errorf("people %d cards %d items %d", len(all.People), len(all.Cards), len(all.Items))
	}
	if len(all.Activities) != 1 || all.Activities[0].Center != "A" || all.Activities[0].Name != "助老服务" {
		t.Errorf("activities %+v: only the kiosk's center's", all.Activities)
	}
	if len(all.Stock) != 0 {
		t.Errorf("stock %+v: another center's", all.Stock)
	}
	if len(all.Staff) != 1 || all.Staff[0].Name != "张三" || !hub.PINMatches("2468", all.Staff[0].PINHash) || hub.PINMatches("1357", all.Staff[0].PINHash) {
		t.Errorf("staff %+v", all.Staff)
	}
	if all.Policy != nil {
		t.Error("a policy never set was sent")
	}
	if !all.HubTime.Equal(e.clk.Now()) {
		t.Errorf("hub time %v", all.HubTime)
	}
	// Nothing changed: nothing sent.
	if none := e.pull(k, all.Version); none.Version != all.Version || len(none.People)+len(none.Cards)+len(none.Items)+len(none.Staff) != 0 {
		t.Errorf("a pull with nothing new: %+v", none)
	}
	// One card blocked: that card only.
	if _, err := e.hub.BlockCard(ctx, "04A1B2C3"); err != nil {
		t.Fatal(err)
	}
	if err := e.hub.SetPolicy(ctx, record.Policy{OfflineCapPoints: 200}); err != nil {
		t.Fatal(err)
	}
	last := e.pull(k, all.Version)
	if len(last.People) != 0 || len(last.Cards) != 1 || last.Cards[0].State != hubsync.CardRevoked {
		t.Errorf("after a block: people %+v cards %+v", last.People, last.Cards)
	}
	if last.Policy == nil || last.Policy.OfflineCapPoints != 200 {
		t.Errorf("policy %+v", last.Policy)
	}
	if last.Version <= all.Version {
		t.Errorf("version %d after %d", last.Version, all.Version)
	}
	// The center's stock for a kiosk of B, signed for it.
	kb := e.kiosk("TB", "B")
	pb := e.pull(kb, 0)
	if len(pb.Stock) != 1 || pb.Stock[0].Qty != 30 || pb.Stock[0].Center != "B" {
		t.Fatalf("stock %+v", pb.Stock)
	}
	if !ed25519.Verify(e.hub.PublicKey(), pb.Stock[0].SigningBytes("TB"), pb.Stock[0].Sig) {
		t.Error("the stock's signature does not verify")
	}
}

func TestPullPagesByVersion(t *testing.T) {
	e := newEnv(t)
	hub.SetLimits(e.hub, 3, 2)
	k := e.kiosk("T1", "A")
	var rows []roster.Person
	for i, no := range []string{"P01", "P02", "P03", "P04", "P05", "P06", "P07"} {
		rows = append(rows, roster.Person{Line: i + 2, MemberNo: no, Name: "某" + no, Kind: record.RedVest})
	}
	if _, err := e.hub.ImportPeople(ctx, rows, false); err != nil {
		t.Fatal(err)
	}
	k.Earn(1, "04A1B2C3", 1, 60, 10) // a balance, after the people
	e.pushOK(k)
	seen := map[record.PersonID]bool{}
	var balances int
	since, pages := uint64(0), 0
	for {
		p := e.pull(k, since)
		pages++
		if n := len(p.People) + len(p.Balances); n > 3 {
			t.Errorf("page of %d rows, limit 3", n)
		}
		for _, x := range p.People {
			if seen[x.ID] {
				t.Errorf("person %s twice", x.MemberNo)
			}
			seen[x.ID] = true
		}
		balances += len(p.Balances)
		since = p.Version
		if !p.More {
			break
		}
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != 7 || balances != 1 || pages != 3 {
		t.Errorf("%d people, %d balances in %d pages; want 7, 1, 3", len(seen), balances, pages)
	}
}

func TestSnapshotsAreSignedForTheKioskAsOfItsAck(t *testing.T) {
	e := newEnv(t)
	p := e.person("HPL0001", "王堃", "04A1B2C3")
	a := e.kiosk("TA", "A")
	b := e.kiosk("TB", "B")
	a.Earn(p.ID, "04A1B2C3", 1, 120, 50)
	e.pushOK(a)
	b.Earn(p.ID, "04A1B2C3", 2, 30, 5)
	b.Earn(p.ID, "04A1B2C3", 2, 30, 5)
	e.pushOK(b)
	b.Redeem(p.ID, "04A1B2C3", 9, 1, 15) // not pushed: B adds it itself

	pull := e.pull(b, 0)
	if len(pull.Balances) != 1 {
		t.Fatalf("balances %+v", pull.Balances)
	}
	s := pull.Balances[0]
	if s.Person != p.ID || s.Points != 60 || s.Minutes != 180 || s.AsOf != 4 {
		t.Errorf("snapshot %+v, want 60 points 180 minutes as of TB's seq 4", s)
	}
	if !ed25519.Verify(e.hub.PublicKey(), s.SigningBytes("TB"), s.Sig) {
		t.Error("the snapshot's signature does not verify")
	}
	if ed25519.Verify(e.hub.PublicKey(), s.SigningBytes("TA"), s.Sig) {
		t.Error("TB's snapshot verifies for TA")
	}
	// B's balance: the snapshot plus its own entries after AsOf.
	own := int64(0)
	for _, en := range b.Entries() {
		if en.Seq > s.AsOf && en.Person == p.ID {
			own += en.Points
		}
	}
	if own+s.Points != 45 {
		t.Errorf("kiosk B's balance %d, want 45", own+s.Points)
	}
	// A's snapshot is as of A's acknowledged seq.
	if pa := e.pull(a, 0); len(pa.Balances) != 1 || pa.Balances[0].AsOf != 2 || pa.Balances[0].Points != 60 {
		t.Errorf("A's snapshot %+v", pa.Balances)
	}
	// Only changed balances come again.
	if again := e.pull(b, pull.Version); len(again.Balances) != 0 {
		t.Errorf("unchanged balances sent again: %+v", again.Balances)
	}
	e.pushOK(b)
	if again := e.pull(b, pull.Version); len(again.Balances) != 1 || again.Balances[0].Points != 45 || again.Balances[0].AsOf != 5 {
		t.Errorf("after B's redemption: %+v", again.Balances)
	}
}

func TestStockFollowsTheCentersEntries(t *testing.T) {
	e := newEnv(t)
	if _, err := e.hub.ImportCatalog(ctx, "A", []roster.Item{{Name: "大米", Price: 120, Stock: 30}}, false); err != nil {
		t.Fatal(err)
	}
	k1 := e.kiosk("T1", "A")
	k2 := e.kiosk("T2", "A")
	item := e.pull(k1, 0).Items[0].ID
	k1.Redeem(1, "04A1B2C3", item, 2, 240)
	k1.Restock(item, 5)
	e.pushOK(k1)
	p := e.pull(k2, 0)
	if len(p.Stock) != 1 || p.Stock[0].Qty != 33 || p.Stock[0].AsOf != 0 {
		t.Errorf("stock %+v, want 33 as of T2's seq 0", p.Stock)
	}
}

func TestRestoreGivesBackEveryEntry(t *testing.T) {
	e := newEnv(t)
	hub.SetLimits(e.hub, 100, 4)
	old := e.kiosk("T1", "A")
	for range 5 {
		old.Earn(1, "04A1B2C3", 1, 60, 10)
	}
	old.AddChange(&hubsync.Person{ID: 1, MemberNo: "W-1", Provisional: true, Kind: record.Resident}, nil)
	e.pushOK(old)

	tok, _, err := e.hub.RestoreToken(ctx, "T1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// A new SD card, enrolled under the old terminal's id with a new key.
	fresh := hubtest.NewKiosk("T1", "A", e.clk.Now)
	e.enroll(fresh, "A")
	if _, err := e.hub.Restore(ctx, fresh.Meta(), hubsync.Restore{Token: "wrong", Terminal: "T1"}); !errors.Is(err, hubsync.ErrToken) {
		t.Errorf("a wrong token: %v", err)
	}
	var got [][]byte
	after := uint64(0)
	for page := 0; ; page++ {
		r, err := e.hub.Restore(ctx, fresh.Meta(), hubsync.Restore{Token: tok, Terminal: "T1", After: after})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r.Entries...)
		if len(r.Entries) > 4 {
			t.Errorf("a page of %d entries", len(r.Entries))
		}
		if !r.More {
			if r.ChangesAcked != 1 || len(r.Pull.Balances) != 1 || r.Pull.Balances[0].Points != 50 || r.Pull.Balances[0].AsOf != 10 {
				t.Errorf("last page: changes %d, balances %+v", r.ChangesAcked, r.Pull.Balances)
			}
			break
		}
		last, _ := record.DecodeEntry(r.Entries[len(r.Entries)-1])
		after = last.Seq
		if page > 5 {
			t.Fatal("restore does not end")
		}
	}
	if len(got) != 10 {
		t.Fatalf("%d entries restored, want 10", len(got))
	}
	var entries []record.Entry
	for i, raw := range got {
		en, err := record.DecodeEntry(raw)
		if err != nil || string(raw) != string(old.Raw(uint64(i+1))) {
			t.Fatalf("entry %d restored differs (%v)", i+1, err)
		}
		entries = append(entries, en)
	}
	if err := record.CheckChain("T1", record.Head{}, entries); err != nil {
		t.Errorf("the restored chain: %v", err)
	}
	// Another terminal cannot use the token.
	other := e.kiosk("T2", "A")
	if _, err := e.hub.Restore(ctx, other.Meta(), hubsync.Restore{Token: tok, Terminal: "T2"}); !errors.Is(err, hubsync.ErrToken) {
		t.Errorf("another terminal's restore with T1's token: %v", err)
	}
	// Nor after it expired.
	e.clk.Advance(2 * time.Hour)
	if _, err := e.hub.Restore(ctx, fresh.Meta(), hubsync.Restore{Token: tok, Terminal: "T1"}); !errors.Is(err, hubsync.ErrToken) {
		t.Errorf("an expired restore token: %v", err)
	}
}

// The restored ledger continues its request counter from the one the hub
// accepted last: the restore request's, or a later one's (two requests of
// the new card in flight at once).
func TestRestoreTellsTheCounterToCountOnFrom(t *testing.T) {
	e := newEnv(t)
	old := e.kiosk("T1", "A")
	for range 40 { // the old card's requests: counters the new card never reaches
		old.Meta()
	}
	if err := e.hub.CheckReplay(ctx, old.Meta()); err != nil {
		t.Fatal(err)
	}
	old.Earn(1, "04A1B2C3", 1, 60, 10)
	e.pushOK(old)
	tok, _, err := e.hub.RestoreToken(ctx, "T1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	fresh := hubtest.NewKiosk("T1", "A", e.clk.Now)
	e.enroll(fresh, "A")
	first, second := fresh.Meta(), fresh.Meta()
	for _, m := range []hubsync.Meta{first, second} {
		if err := e.hub.CheckReplay(ctx, m); err != nil {
			t.Fatalf("counter %d: %v", m.Counter, err)
		}
	}
	r, err := e.hub.Restore(ctx, first, hubsync.Restore{Token: tok, Terminal: "T1"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Counter != second.Counter || second.Counter <= first.Counter || r.Counter > 40 {
		t.Fatalf("counter %d, want %d (the last the hub accepted of the new card; the request's was %d)", r.Counter, second.Counter, first.Counter)
	}
	next := func(c uint64) hubsync.Meta {
		return hubsync.Meta{Terminal: "T1", Time: e.clk.Now(), Trusted: true, Nonce: hubsync.NewNonce(), Counter: c}
	}
	if err := e.hub.CheckReplay(ctx, next(r.Counter)); !errors.Is(err, hubsync.ErrReplay) {
		t.Errorf("the restored ledger reusing counter %d: %v", r.Counter, err)
	}
	if err := e.hub.CheckReplay(ctx, next(r.Counter+1)); err != nil {
		t.Errorf("the restored ledger's next counter %d: %v", r.Counter+1, err)
	}
	// A caller that did not check the request's counter still gets one
	// past it.
	fresh.Meta()
	fresh.Meta()
	third := fresh.Meta()
	if r, err := e.hub.Restore(ctx, third, hubsync.Restore{Token: tok, Terminal: "T1"}); err != nil || r.Counter != third.Counter {
		t.Errorf("counter %d, %v; want the request's %d", r.Counter, err, third.Counter)
	}
}
