package ledger_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
	"golang.org/x/crypto/argon2"
)

func applyPull(t *testing.T, e *ledgertest.Env, p hubsync.PullResult) {
	t.Helper()
	if err := e.ApplyPull(ctx, p); err != nil {
		t.Fatalf("apply pull: %v", err)
	}
}

func balance(t *testing.T, e *ledgertest.Env, p record.PersonID) ledger.Balance {
	t.Helper()
	b, err := e.Balance(ctx, p)
	if err != nil {
		t.Fatalf("balance of %d: %v", p, err)
	}
	return b
}

// phc is an argon2id hash of pin in PHC form, as the hub sends it.
func phc(pin string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pin), salt, 1, 64, 1, 32)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=64,t=1,p=1$%s$%s", argon2.Version, enc.EncodeToString(salt), enc.EncodeToString(key))
}

var anyTimeRules = record.Rules{AnyTime: true, PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 60, record.GreenVest: 60, record.InService: 60, record.Resident: 60}}

// districtPull is a pull with one of everything: a person of another
// center with a card and a balance, an activity here and one elsewhere,
// an item and its stock here, a staff card, a policy.
func districtPull(e *ledgertest.Env) hubsync.PullResult {
	h, _ := e.Head(ctx)
	return hubsync.PullResult{
		Version: 7,
		People:  []hubsync.Person{{ID: 9001, MemberNo: "DST0001", Name: "赵赟", Phone: "13900001111", Community: "青年湖", Kind: record.GreenVest}},
		Cards:   []hubsync.Card{{UID: "D0000001", Person: 9001, State: hubsync.CardActive}},
		Activities: []hubsync.Activity{
			{ID: 501, Center: ledgertest.Center, Name: "助老服务", Rules: anyTimeRules, Active: true, Station: true},
			{ID: 502, Center: "C-ELSEWHERE", Name: "环境整治", Rules: anyTimeRules, Active: true},
		},
		Items:    []hubsync.Item{{ID: 601, Name: "食用油", Price: 50, LimitCount: 2, LimitPeriod: hubsync.PeriodMonth, Active: true}},
		Stock:    []hubsync.Stock{signedStock(e, 601, 12, h.Seq, 7)},
		Staff:    []hubsync.Staff{{UID: "5A5A5A5A", Name: "区值班员", Role: hubsync.RoleStaff, PINHash: phc("1357"), Active: true}},
		Policy:   &record.Policy{OfflineCapPoints: 200, MaxSyncAge: 72 * time.Hour},
		Balances: []hubsync.Snapshot{signed(e, 9001, 180, 600, h.Seq, 7)},
		HubTime:  e.Clock.Now().Add(time.Minute),
	}
}

func TestApplyPull(t *testing.T) {
	e := ledgertest.MustOpen(t)
	enrol(t, e)
	before, err := e.Changes(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	p := districtPull(e)
	applyPull(t, e, p)
	info, err := e.LookupCard(ctx, "D0000001")
	if err != nil || info.Person.ID != 9001 || info.Person.Name != "赵赟" || info.Person.Phone != "139****1111" || info.Balance != (ledger.Balance{Points: 180, Minutes: 600}) {
		t.Fatalf("the district's person: %+v %v", info, err)
	}
	as, err := e.Activities(ctx)
	if err != nil || len(as) != 1 || as[0].ID != 501 {
		t.Errorf("activities here %+v %v, want only this center's", as, err)
	}
	if st, err := e.StationActivity(ctx); err != nil || st.ID != 501 {
		t.Errorf("station activity %+v %v", st, err)
	}
	cat, err := e.Catalog(ctx)
	if err != nil || len(cat) != 1 || cat[0].Item.ID != 601 || cat[0].Stock != 12 || cat[0].Item.Limit != 2 || cat[0].Item.Period != ledger.Monthly {
		t.Errorf("catalog %+v %v", cat, err)
	}
	if s, err := e.CheckPIN(ctx, "5A5A5A5A", "1357"); err != nil || s.Name != "区值班员" {
		t.Errorf("the hub's staff card with its PIN: %+v %v", s, err)
	}
	if _, err := e.CheckPIN(ctx, "5A5A5A5A", "2468"); !errors.Is(err, ledger.ErrPINWrong) {
		t.Errorf("a wrong PIN: %v", err)
	}
	if pol, _ := e.Policy(ctx); pol != *p.Policy {
		t.Errorf("policy %+v", pol)
	}
	s, en := syncState(t, e), enrollment(t, e)
	if s.RegistryVersion != 7 || en.RegistryVersion != 7 || !s.LastSync.Equal(e.Clock.Now()) || en.ClockOffset != time.Minute {
		t.Errorf("after the pull: %+v %+v", s, en)
	}
	// A card earned on at another center is spent here.
	if _, err := redeem(e, "D0000001", 601); err != nil {
		t.Fatalf("redeem with the district's card: %v", err)
	}
	if b := balance(t, e, 9001); b.Points != 130 {
		t.Errorf("balance after redeeming 50 of 180: %+v", b)
	}
	e.MustVerify(t)
	// What the hub applied is not the kiosk's to push.
	if ch, _ := e.Changes(ctx, 0, 0); len(ch) != len(before) {
		t.Errorf("the pull wrote %d outbox rows", len(ch)-len(before))
	}
	// An older pull is refused.
	p.Version = 6
	if err := e.ApplyPull(ctx, p); !errors.Is(err, ledger.ErrInvalid) {
		t.Errorf("an older pull: %v", err)
	}
}

// TestApplyPullAllOrNothing: one bad signature, or one bad row late in the
// pull, and nothing of it is applied.
func TestApplyPullAllOrNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		bad  func(e *ledgertest.Env, p *hubsync.PullResult)
		want error
	}{
		{"a balance signed for another terminal", func(e *ledgertest.Env, p *hubsync.PullResult) {
			s := p.Balances[0]
			s.Sig = ed25519Sign(s.SigningBytes("0000000000000000"))
			p.Balances = append(p.Balances, s)
		}, hubsync.ErrSignature},
		{"a balance raised after signing", func(e *ledgertest.Env, p *hubsync.PullResult) { p.Balances[0].Points += 1000 }, hubsync.ErrSignature},
		{"a stock raised after signing", func(e *ledgertest.Env, p *hubsync.PullResult) { p.Stock[0].Qty++ }, hubsync.ErrSignature},
		{"a balance signed by another key", func(e *ledgertest.Env, p *hubsync.PullResult) {
			p.Balances[0].Sig = otherSign(p.Balances[0].SigningBytes(e.Terminal().ID))
		}, hubsync.ErrSignature},
		{"a card of nobody", func(e *ledgertest.Env, p *hubsync.PullResult) {
			p.Cards = append(p.Cards, hubsync.Card{UID: "D0000002", Person: 424242, State: hubsync.CardActive})
		}, ledger.ErrInvalid},
		{"a staff hash of another kind", func(e *ledgertest.Env, p *hubsync.PullResult) { p.Staff[0].PINHash = "$2b$10$abcdefghijklmnopqrstuv" }, ledger.ErrInvalid},
		{"a balance of entries the ledger lacks", func(e *ledgertest.Env, p *hubsync.PullResult) {
			p.Balances = append(p.Balances, signed(e, 9001, 1, 1, 99, 8))
		}, ledger.ErrInvalid},
		{"an alias to nobody", func(e *ledgertest.Env, p *hubsync.PullResult) {
			p.Aliases = []hubsync.Alias{{From: 9001, To: 777}}
		}, ledger.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := ledgertest.MustOpen(t)
			enrol(t, e)
			p := districtPull(e)
			tc.bad(e, &p)
			if err := e.ApplyPull(ctx, p); !errors.Is(err, tc.want) {
				t.Fatalf("apply: %v, want %v", err, tc.want)
			}
			if _, err := e.Person(ctx, 9001); !errors.Is(err, ledger.ErrNotFound) {
				t.Errorf("the pull's person was applied: %v", err)
			}
			if _, err := e.LookupCard(ctx, "D0000001"); !errors.Is(err, ledger.ErrUnknownCard) {
				t.Errorf("the pull's card was applied: %v", err)
			}
			if cat, _ := e.Catalog(ctx); len(cat) != 0 {
				t.Errorf("the pull's items were applied: %+v", cat)
			}
			if pol, _ := e.Policy(ctx); pol != record.DefaultPolicy {
				t.Errorf("the pull's policy was applied: %+v", pol)
			}
			if s := syncState(t, e); s.RegistryVersion != 0 || !s.LastSync.IsZero() {
				t.Errorf("the pull was recorded: %+v", s)
			}
			e.MustVerify(t)
		})
	}
	t.Run("not enrolled", func(t *testing.T) {
		e := ledgertest.MustOpen(t)
		if err := e.ApplyPull(ctx, districtPull(e)); !errors.Is(err, ledger.ErrInvalid) {
			t.Fatalf("a pull on a ledger with no hub: %v", err)
		}
	})
}

func ed25519Sign(b []byte) []byte { return ed25519.Sign(hubKey, b) }

func otherSign(b []byte) []byte {
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	return ed25519.Sign(other, b)
}

// TestBalanceFromSnapshotAndLocalEntries: a balance is the hub's snapshot
// plus this kiosk's entries after it; a later snapshot replaces it, an
// older one does not.
func TestBalanceFromSnapshotAndLocalEntries(t *testing.T) {
	e := ledgertest.MustOpen(t)
	enrol(t, e)
	p, card := e.AddPerson(t, "王堃", record.RedVest)
	it := e.AddItem(t, "大米", 40, 10)
	e.Credit(t, p.ID, 30)
	pushAll(t, e)
	h1 := head(t, e)
	// 70 earned at another center.
	applyPull(t, e, hubsync.PullResult{Version: 1, Balances: []hubsync.Snapshot{signed(e, p.ID, 100, 240, h1.Seq, 1)}})
	if b := balance(t, e, p.ID); b != (ledger.Balance{Points: 100, Minutes: 240}) {
		t.Fatalf("after the first pull: %+v", b)
	}
	if _, err := redeem(e, card, it.ID); err != nil {
		t.Fatal(err)
	}
	e.Credit(t, p.ID, 5)
	if b := balance(t, e, p.ID); b.Points != 65 {
		t.Fatalf("after redeeming 40 and 5 credited: %+v", b)
	}
	e.MustVerify(t)
	// The hub had not those two yet; 10 were spent elsewhere.
	applyPull(t, e, hubsync.PullResult{Version: 2, Balances: []hubsync.Snapshot{signed(e, p.ID, 90, 240, h1.Seq, 2)}})
	if b := balance(t, e, p.ID); b != (ledger.Balance{Points: 55, Minutes: 240}) {
		t.Fatalf("after the second pull: %+v, want 90 - 40 + 5", b)
	}
	e.MustVerify(t)
	e.Reopen(t)
	e.MustVerify(t)
	// An older snapshot does not replace the newer.
	applyPull(t, e, hubsync.PullResult{Version: 3, Balances: []hubsync.Snapshot{signed(e, p.ID, 500, 240, h1.Seq, 1)}})
	if b := balance(t, e, p.ID); b.Points != 55 {
		t.Fatalf("an older snapshot was applied: %+v", b)
	}
	// After a push, the hub's snapshot holds the kiosk's entries too.
	pushAll(t, e)
	h2 := head(t, e)
	applyPull(t, e, hubsync.PullResult{Version: 4, Balances: []hubsync.Snapshot{signed(e, p.ID, 55, 240, h2.Seq, 4)}})
	if b := balance(t, e, p.ID); b.Points != 55 {
		t.Fatalf("a snapshot after the push: %+v", b)
	}
	e.MustVerify(t)
	// An offline double spend elsewhere: the district balance is below zero,
	// and so is the kiosk's; nothing more can be redeemed.
	applyPull(t, e, hubsync.PullResult{Version: 5, Balances: []hubsync.Snapshot{signed(e, p.ID, -20, 240, h2.Seq, 5)}})
	if b := balance(t, e, p.ID); b.Points != -20 {
		t.Fatalf("a balance below zero: %+v", b)
	}
	if _, err := redeem(e, card, it.ID); !errors.Is(err, ledger.ErrInsufficientPoints) {
		t.Fatalf("redeem below zero: %v", err)
	}
	e.MustVerify(t)
}

func TestStockFromSnapshot(t *testing.T) {
	e := ledgertest.MustOpen(t)
	enrol(t, e)
	p, card := e.AddPerson(t, "王堃", record.RedVest)
	e.Credit(t, p.ID, 500)
	it := e.AddItem(t, "大米", 40, 10)
	pushAll(t, e)
	// The other kiosk of the center handed out three.
	applyPull(t, e, hubsync.PullResult{Version: 1, Stock: []hubsync.Stock{signedStock(e, it.ID, 7, head(t, e).Seq, 1),
		{Center: "C-ELSEWHERE", Item: it.ID, Qty: 99, AsOf: 0, Version: 1, Sig: ed25519Sign(hubsync.Stock{Center: "C-ELSEWHERE", Item: it.ID, Qty: 99, Version: 1}.SigningBytes(e.Terminal().ID))}}})
	stock := func() int64 {
		cat, err := e.Catalog(ctx)
		if err != nil || len(cat) != 1 {
			t.Fatalf("catalog %+v %v", cat, err)
		}
		return cat[0].Stock
	}
	if n := stock(); n != 7 {
		t.Fatalf("stock %d, want the hub's 7", n)
	}
	if _, err := redeem(e, card, it.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Restock(ctx, ledger.Restock{ID: record.NewEntryID(), Item: it.ID, Quantity: 4, Operator: e.Staff}); err != nil {
		t.Fatal(err)
	}
	if n := stock(); n != 10 {
		t.Fatalf("stock %d, want 7 - 1 + 4", n)
	}
	e.MustVerify(t)
}

func TestPullBlocksACard(t *testing.T) {
	e := ledgertest.MustOpen(t)
	enrol(t, e)
	p, card := e.AddPerson(t, "王堃", record.RedVest)
	e.Credit(t, p.ID, 100)
	it := e.AddItem(t, "大米", 40, 10)
	act := e.AnyTime(t)
	applyPull(t, e, hubsync.PullResult{Version: 3, Cards: []hubsync.Card{{UID: card, Person: p.ID, State: hubsync.CardLost}}})
	if _, err := e.LookupCard(ctx, card); !errors.Is(err, ledger.ErrCardLost) {
		t.Errorf("look up: %v", err)
	}
	if _, err := redeem(e, card, it.ID); !errors.Is(err, ledger.ErrCardLost) {
		t.Errorf("redeem: %v", err)
	}
	if _, err := e.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: card, Activity: act.ID}); !errors.Is(err, ledger.ErrCardLost) {
		t.Errorf("check in: %v", err)
	}
	applyPull(t, e, hubsync.PullResult{Version: 4, Cards: []hubsync.Card{{UID: card, Person: p.ID, State: hubsync.CardActive}}})
	if _, err := redeem(e, card, it.ID); err != nil {
		t.Errorf("redeem once the hub unblocked it: %v", err)
	}
	e.MustVerify(t)
}

// TestPullMergesAWalkIn: a walk-in made here, merged at the hub into a
// registration: their card, open shift and points follow the registered
// person; their row stays for their entries and out of searches.
func TestPullMergesAWalkIn(t *testing.T) {
	e := ledgertest.MustOpen(t)
	enrol(t, e)
	act := e.AnyTime(t)
	it := e.AddItem(t, "大米", 40, 10)
	w, err := e.EnrolPerson(ctx, ledger.EnrolPerson{ID: record.NewEntryID(), Provisional: true, Kind: record.Resident})
	if err != nil {
		t.Fatal(err)
	}
	card := e.NewUID()
	if _, err := e.BindCard(ctx, ledger.BindCard{ID: record.NewEntryID(), Person: w.ID, UID: card, Operator: e.Staff}); err != nil {
		t.Fatal(err)
	}
	e.Credit(t, w.ID, 20)
	if _, err := e.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: card, Activity: act.ID}); err != nil {
		t.Fatal(err)
	}
	pushAll(t, e)
	digits := w.MemberNo[strings.LastIndex(w.MemberNo, "-")+1:]
	if found, _ := e.FindPeople(ctx, digits, 10); len(found) != 1 {
		t.Fatalf("the walk-in by %s before the merge: %+v", digits, found)
	}
	// The registration has 50 points from elsewhere, the walk-in's 20 with it.
	applyPull(t, e, hubsync.PullResult{Version: 2,
		People:   []hubsync.Person{{ID: 8001, MemberNo: "HPL0801", Name: "孙喆", Kind: record.GreenVest}},
		Aliases:  []hubsync.Alias{{From: w.ID, To: 8001}},
		Balances: []hubsync.Snapshot{signed(e, 8001, 70, 0, head(t, e).Seq, 2)},
	})
	info, err := e.LookupCard(ctx, card)
	if err != nil || info.Person.ID != 8001 || info.Balance.Points != 70 {
		t.Fatalf("the walk-in's card after the merge: %+v %v", info, err)
	}
	if info.OpenShift == nil || info.OpenShift.Person != w.ID {
		t.Errorf("the walk-in's open shift is not seen: %+v", info.OpenShift)
	}
	if _, err := e.Balance(ctx, w.ID); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("the walk-in still has a balance: %v", err)
	}
	if got, err := e.Person(ctx, w.ID); err != nil || got.MemberNo != w.MemberNo {
		t.Errorf("the walk-in's row: %+v %v", got, err)
	}
	if found, _ := e.FindPeople(ctx, digits, 10); len(found) != 0 {
		t.Errorf("the merged walk-in is found: %+v", found)
	}
	if _, err := e.PersonByMemberNo(ctx, w.MemberNo); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("the merged walk-in by member number: %v", err)
	}
	if hist, err := e.History(ctx, 8001, 10); err != nil || len(hist) != 2 {
		t.Errorf("the registration's history holds the walk-in's entries: %d %v", len(hist), err)
	}
	e.MustVerify(t)
	// The shift opened before the merge closes for the registration.
	e.Clock.Advance(time.Hour)
	out, err := e.CheckOut(ctx, ledger.CheckOut{ID: record.NewEntryID(), Card: card})
	if err != nil || out.Entry.Person != w.ID || out.Credit.Points != 60 {
		t.Fatalf("check out: %+v %v", out, err)
	}
	if _, err := redeem(e, card, it.ID); err != nil {
		t.Fatal(err)
	}
	if b := balance(t, e, 8001); b != (ledger.Balance{Points: 90, Minutes: 60}) {
		t.Errorf("balance %+v, want 70 + 60 - 40 and 60 minutes", b)
	}
	e.MustVerify(t)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if rep, err := ledger.VerifyFile(ctx, e.Path()); err != nil || !rep.OK() {
		t.Errorf("verify the file: %v %v", rep.Problems, err)
	}
}

// TestPullMemberNumbers: a person of a center that started alone, matched at
// the hub by member number: the district's person takes the number, the
// kiosk's row keeps its entries under a number of its own; numbers swapped
// in one pull; a number the hub gives away that a person here still holds.
func TestPullMemberNumbers(t *testing.T) {
	e := ledgertest.MustOpen(t)
	enrol(t, e)
	if _, err := e.ImportPeople(ctx, ledger.ImportPeople{ID: record.NewEntryID(), People: []ledger.ImportPerson{
		{MemberNo: "HPL0012", Name: "王堃", Kind: record.RedVest, Card: "12121212"},
		{MemberNo: "HPL0013", Name: "李玥", Kind: record.RedVest},
		{MemberNo: "HPL0014", Name: "张三", Kind: record.RedVest},
		{MemberNo: "HPL0015", Name: "李四", Kind: record.RedVest},
	}}); err != nil {
		t.Fatal(err)
	}
	k, _ := e.PersonByMemberNo(ctx, "HPL0012")
	l13, _ := e.PersonByMemberNo(ctx, "HPL0013")
	z, _ := e.PersonByMemberNo(ctx, "HPL0014")
	s, _ := e.PersonByMemberNo(ctx, "HPL0015")
	e.Credit(t, k.ID, 30)
	pushAll(t, e)
	applyPull(t, e, hubsync.PullResult{Version: 1,
		People: []hubsync.Person{
			{ID: 7012, MemberNo: "HPL0012", Name: "王堃", Kind: record.RedVest},
			{ID: z.ID, MemberNo: "HPL0015", Name: "张三", Kind: record.RedVest}, // swapped
			{ID: s.ID, MemberNo: "HPL0014", Name: "李四", Kind: record.RedVest},
			{ID: 7099, MemberNo: "HPL0013", Name: "新人", Kind: record.GreenVest}, // the hub has not matched 李玥 yet
		},
		Aliases:  []hubsync.Alias{{From: k.ID, To: 7012}},
		Balances: []hubsync.Snapshot{signed(e, 7012, 30, 0, head(t, e).Seq, 1)},
	})
	for no, want := range map[string]record.PersonID{"HPL0012": 7012, "HPL0014": s.ID, "HPL0015": z.ID, "HPL0013": 7099} {
		if got, err := e.PersonByMemberNo(ctx, no); err != nil || got.ID != want {
			t.Errorf("%s: %+v %v, want person %d", no, got, err, want)
		}
	}
	if got, _ := e.Person(ctx, k.ID); got.MemberNo != fmt.Sprintf("HPL0012#%d", k.ID) {
		t.Errorf("the merged row's member number %q", got.MemberNo)
	}
	if got, _ := e.Person(ctx, l13.ID); got.MemberNo != fmt.Sprintf("HPL0013#%d", l13.ID) {
		t.Errorf("the local holder's member number %q", got.MemberNo)
	}
	if b := balance(t, e, l13.ID); b.Points != 0 {
		t.Errorf("the local holder lost its balance: %+v", b)
	}
	if info, err := e.LookupCard(ctx, "12121212"); err != nil || info.Person.ID != 7012 || info.Balance.Points != 30 {
		t.Errorf("the card follows the district's person: %+v %v", info, err)
	}
	e.MustVerify(t)
	// Two people with one number is the hub's mistake: refused whole.
	err := e.ApplyPull(ctx, hubsync.PullResult{Version: 2, People: []hubsync.Person{
		{ID: 7201, MemberNo: "HPL0200", Name: "甲", Kind: record.RedVest}, {ID: 7202, MemberNo: "HPL0200", Name: "乙", Kind: record.RedVest}}})
	if !errors.Is(err, ledger.ErrInvalid) {
		t.Errorf("two people with one number: %v", err)
	}
	if _, err := e.Person(ctx, 7201); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("a refused pull left person 7201: %v", err)
	}
}

// TestPullAliasChain: A merged into B, then B into C: A's and B's cards and
// points end with C.
func TestPullAliasChain(t *testing.T) {
	e := ledgertest.MustOpen(t)
	enrol(t, e)
	a, ca := e.AddPerson(t, "甲", record.RedVest)
	b, cb := e.AddPerson(t, "乙", record.RedVest)
	e.Credit(t, a.ID, 10)
	e.Credit(t, b.ID, 20)
	applyPull(t, e, hubsync.PullResult{Version: 1, Aliases: []hubsync.Alias{{From: a.ID, To: b.ID}}})
	if info, _ := e.LookupCard(ctx, ca); info.Person == nil || info.Person.ID != b.ID || info.Balance.Points != 30 {
		t.Fatalf("A's card after A → B: %+v", info)
	}
	e.MustVerify(t)
	applyPull(t, e, hubsync.PullResult{Version: 2, People: []hubsync.Person{{ID: 8100, MemberNo: "HPL8100", Name: "丙", Kind: record.RedVest}},
		Aliases: []hubsync.Alias{{From: b.ID, To: 8100}}})
	for _, c := range []record.CardUID{ca, cb} {
		if info, _ := e.LookupCard(ctx, c); info.Person == nil || info.Person.ID != 8100 || info.Balance.Points != 30 {
			t.Errorf("card %s after B → C: %+v", c, info)
		}
	}
	e.MustVerify(t)
	if err := e.ApplyPull(ctx, hubsync.PullResult{Version: 3, Aliases: []hubsync.Alias{{From: 8100, To: a.ID}}}); !errors.Is(err, ledger.ErrInvalid) {
		t.Errorf("a circle of aliases: %v", err)
	}
}

// TestVerifyCatchesTamperedSnapshots: a snapshot edited with sqlite3, its
// balance with it, is caught by its signature; the balance alone by the
// sum; in the open ledger and in the file.
func TestVerifyCatchesTamperedSnapshots(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sql   []string
		check string
	}{
		{"points raised with the balance", []string{"UPDATE snapshots SET points = points + 100", "UPDATE balances SET points = points + 100 WHERE person IN (SELECT person FROM snapshots)"}, "snapshot"},
		{"as-of moved back", []string{"UPDATE snapshots SET as_of = 0"}, "snapshot"},
		{"the balance alone", []string{"UPDATE balances SET points = points + 100 WHERE person IN (SELECT person FROM snapshots)"}, "balance"},
		{"stock raised with its snapshot", []string{"UPDATE stock_snapshots SET qty = qty + 5", "UPDATE stock SET qty = qty + 5"}, "snapshot"},
		{"snapshot deleted", []string{"DELETE FROM snapshots"}, "balance"},
		{"hub key replaced", []string{"UPDATE meta SET value = '" + strings.Repeat("ab", 32) + "' WHERE key = 'hub_key'"}, "snapshot"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := ledgertest.MustOpen(t)
			enrol(t, e)
			p, card := e.AddPerson(t, "王堃", record.RedVest)
			it := e.AddItem(t, "大米", 40, 10)
			e.Credit(t, p.ID, 30)
			pushAll(t, e)
			h := head(t, e)
			applyPull(t, e, hubsync.PullResult{Version: 1, Balances: []hubsync.Snapshot{signed(e, p.ID, 100, 0, h.Seq, 1)},
				Stock: []hubsync.Stock{signedStock(e, it.ID, 8, h.Seq, 1)}})
			if _, err := redeem(e, card, it.ID); err != nil {
				t.Fatal(err)
			}
			e.MustVerify(t)
			db := rawDB(t, e)
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
			if rep, err := ledger.VerifyFile(ctx, e.Path()); err != nil || !found(rep) {
				t.Fatalf("VerifyFile missed a %q problem: %v %v", tc.check, rep.Problems, err)
			}
		})
	}
}

// TestOfflineLimitsAfterPull: an enrolled kiosk refuses redemption until a
// pull is applied and once MaxSyncAge has passed since; the offline cap
// counts from what the hub acknowledged, so a sync starts it again.
func TestOfflineLimitsAfterPull(t *testing.T) {
	e := ledgertest.MustOpen(t)
	en := enrolled(e)
	en.Policy = record.Policy{OfflineCapPoints: 80, MaxSyncAge: 24 * time.Hour}
	if err := e.Enroll(ctx, en); err != nil {
		t.Fatal(err)
	}
	p, card := e.AddPerson(t, "王堃", record.RedVest)
	e.Credit(t, p.ID, 1000)
	it := e.AddItem(t, "大米", 40, 20)
	if _, err := redeem(e, card, it.ID); !errors.Is(err, ledger.ErrSyncTooOld) {
		t.Fatalf("never synced: %v", err)
	}
	sync := func(version uint64) {
		t.Helper()
		pushAll(t, e)
		applyPull(t, e, hubsync.PullResult{Version: version})
	}
	sync(1)
	for range 2 {
		if _, err := redeem(e, card, it.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := redeem(e, card, it.ID); !errors.Is(err, ledger.ErrOfflineCap) {
		t.Fatalf("past the cap: %v", err)
	}
	// A pull alone does not start the cap again: the hub has not the
	// redemptions until a push is acknowledged.
	applyPull(t, e, hubsync.PullResult{Version: 2})
	if _, err := redeem(e, card, it.ID); !errors.Is(err, ledger.ErrOfflineCap) {
		t.Fatalf("past the cap after a pull without a push: %v", err)
	}
	sync(3)
	if _, err := redeem(e, card, it.ID); err != nil {
		t.Fatalf("after a sync: %v", err)
	}
	e.Clock.Advance(25 * time.Hour)
	if _, err := redeem(e, card, it.ID); !errors.Is(err, ledger.ErrSyncTooOld) {
		t.Fatalf("a day after the last sync: %v", err)
	}
	// A push taken without a pull is not a sync.
	pushAll(t, e)
	if _, err := redeem(e, card, it.ID); !errors.Is(err, ledger.ErrSyncTooOld) {
		t.Fatalf("after a push alone: %v", err)
	}
	sync(4)
	if _, err := redeem(e, card, it.ID); err != nil {
		t.Fatalf("after the next sync: %v", err)
	}
}
