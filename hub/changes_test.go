package hub_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
	"github.com/hongmajia/hongmajia/roster"
)

var careRules = record.Rules{MaxMinutes: 120, RoundMinutes: 15, PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 10}}

func pinHash(t *testing.T, pin string) string {
	t.Helper()
	h, err := hub.HashPIN(pin, cheapPIN)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestPushBringsTheKiosksActivitiesItemsAndStaff: a kiosk that started
// alone brings its activity, item and staff card; each gets a version, the
// other kiosk of its center pulls all three (and the stock its entries
// made), a kiosk of another center only the item; the hub now knows the
// activity its entries name.
func TestPushBringsTheKiosksActivitiesItemsAndStaff(t *testing.T) {
	e := newEnv(t)
	k1, k2, other := e.kiosk("T1", "A"), e.kiosk("T2", "A"), e.kiosk("T3", "B")
	before2, beforeB := e.pull(k2, 0), e.pull(other, 0)
	sched := record.Schedule{Weekdays: []time.Weekday{time.Monday}, Start: "08:30", End: "11:30"}
	hash := pinHash(t, "1357")
	k1.Queue(hubsync.Change{Activity: &hubsync.Activity{ID: 7001, Center: "A", Name: " 助老服务 ", Schedule: sched, Rules: careRules, Active: true, Station: true}})
	k1.Queue(hubsync.Change{Item: &hubsync.Item{ID: 8001, Name: "大米", Price: 80, LimitCount: 2, LimitPeriod: hubsync.PeriodMonth, Active: true}})
	k1.Queue(hubsync.Change{Staff: &hubsync.Staff{UID: "5AF00001", Name: "值班员", Role: hubsync.RoleTechnician, PINHash: hash, Active: true}})
	k1.Restock(8001, 10)
	k1.Earn(1, "04A1B2C3", 7001, 180, 30) // longer than the activity's rules allow
	if res := e.pushOK(k1); res.ChangesAcked != 3 {
		t.Fatalf("changes acked %d, want 3", res.ChangesAcked)
	}
	fl := e.flags(hub.FlagLongShift)
	if len(fl) != 1 || !strings.Contains(fl[0].Detail, "助老服务") || !strings.Contains(fl[0].Detail, "allow 120") {
		t.Errorf("long shift flags %+v: the hub does not hold the kiosk's activity's rules", fl)
	}
	p := e.pull(k2, before2.Version)
	if len(p.Activities) != 1 || p.Activities[0].ID != 7001 || p.Activities[0].Center != "A" || p.Activities[0].Name != "助老服务" ||
		!p.Activities[0].Station || !p.Activities[0].Active || p.Activities[0].Rules.MaxMinutes != 120 || p.Activities[0].Schedule.Start != "08:30" {
		t.Errorf("activities pulled by the center's other kiosk: %+v", p.Activities)
	}
	if len(p.Items) != 1 || p.Items[0] != (hubsync.Item{ID: 8001, Name: "大米", Price: 80, LimitCount: 2, LimitPeriod: hubsync.PeriodMonth, Active: true}) {
		t.Errorf("items pulled: %+v", p.Items)
	}
	if len(p.Staff) != 1 || p.Staff[0].UID != "5AF00001" || p.Staff[0].Role != hubsync.RoleTechnician || !p.Staff[0].Active ||
		!hub.PINMatches("1357", p.Staff[0].PINHash) {
		t.Errorf("staff pulled: %v", p.Staff)
	}
	if len(p.Stock) != 1 || p.Stock[0].Item != 8001 || p.Stock[0].Qty != 10 {
		t.Errorf("stock pulled: %+v", p.Stock)
	}
	if again := e.pull(k2, p.Version); len(again.Activities)+len(again.Items)+len(again.Staff) != 0 {
		t.Errorf("rows pulled again past their version: %+v", again)
	}
	q := e.pull(other, beforeB.Version)
	if len(q.Items) != 1 || q.Items[0].ID != 8001 {
		t.Errorf("the district's catalog at another center: %+v", q.Items)
	}
	if len(q.Activities) != 0 || len(q.Staff) != 0 || len(q.Stock) != 0 {
		t.Errorf("another center pulled center A's activities %+v, staff %v, stock %+v", q.Activities, q.Staff, q.Stock)
	}
	// The kiosk changes its own rows again before it pulls: its own
	// changes are not the hub's to keep.
	k1.Queue(hubsync.Change{Item: &hubsync.Item{ID: 8001, Name: "大米", Price: 70, Active: true}})
	k1.Queue(hubsync.Change{Staff: &hubsync.Staff{UID: "5AF00001", Name: "值班员", Role: hubsync.RoleTechnician, PINHash: hash}})
	e.pushOK(k1)
	r := e.pull(k2, p.Version)
	if len(r.Items) != 1 || r.Items[0].Price != 70 || len(r.Staff) != 1 || r.Staff[0].Active {
		t.Errorf("the kiosk's second changes: items %+v staff %v", r.Items, r.Staff)
	}
	if fl := e.flags(hub.FlagConflict); len(fl) != 0 {
		t.Errorf("conflicts %+v", fl)
	}
}

// TestKiosksRegistryChangesLoseToNewerOnes: a change to an activity, item
// or staff card that the hub or another kiosk changed after the kiosk last
// pulled loses, flagged; a name the center or the catalog has for another
// row is kept beside it, flagged; a station activity the hub set stays the
// center's only one; a person's card is no staff card.
func TestKiosksRegistryChangesLoseToNewerOnes(t *testing.T) {
	e := newEnv(t)
	k1, k2 := e.kiosk("T1", "A"), e.kiosk("T2", "A")
	if _, err := e.hub.ImportActivities(ctx, "A", []roster.Activity{{Line: 2, Name: "助老服务", Rules: careRules, Station: true}}, false); err != nil {
		t.Fatal(err)
	}
	hubStaff, err := e.hub.AddStaff(ctx, hub.AddStaff{Center: "A", UID: "5AF00009", Name: "区值班员", PIN: "8642"})
	if err != nil {
		t.Fatal(err)
	}
	person := e.person("HPL0001", "王堃", "04A1B2C3")
	k1.Queue(hubsync.Change{Activity: &hubsync.Activity{ID: 7001, Name: "助老服务", Rules: careRules, Active: true, Station: true}})
	k1.Queue(hubsync.Change{Item: &hubsync.Item{ID: 8001, Name: "大米", Price: 80, Active: true}})
	k1.Queue(hubsync.Change{Staff: &hubsync.Staff{UID: "5AF00009", Name: "值班员", Role: hubsync.RoleStaff, PINHash: pinHash(t, "1111"), Active: true}})
	k1.Queue(hubsync.Change{Staff: &hubsync.Staff{UID: "04A1B2C3", Name: "值班员", Role: hubsync.RoleStaff, PINHash: pinHash(t, "1111"), Active: true}})
	e.pushOK(k1)
	// T2 has not pulled T1's item: its change loses. Its own item of the
	// same name is kept beside it.
	k2.Queue(hubsync.Change{Item: &hubsync.Item{ID: 8001, Name: "大米", Price: 90, Active: true}})
	k2.Queue(hubsync.Change{Item: &hubsync.Item{ID: 8002, Name: "大米", Price: 60, Active: true}})
	e.pushOK(k2)
	p := e.pull(k2, 0)
	acts := map[record.ActivityID]hubsync.Activity{}
	for _, a := range p.Activities {
		acts[a.ID] = a
	}
	if a := acts[7001]; a.Name != "助老服务 #7001" || a.Station || len(acts) != 2 {
		t.Errorf("activities %+v: want the kiosk's beside the hub's, renamed, not the station", p.Activities)
	}
	for id, a := range acts {
		if id != 7001 && (!a.Station || a.Name != "助老服务") {
			t.Errorf("the hub's activity %+v: want it kept as the station", a)
		}
	}
	items := map[record.ItemID]hubsync.Item{}
	for _, it := range p.Items {
		items[it.ID] = it
	}
	if items[8001].Price != 80 || items[8002].Name != "大米 #8002" || items[8002].Price != 60 {
		t.Errorf("items %+v", p.Items)
	}
	if len(p.Staff) != 1 || p.Staff[0].Name != "区值班员" || !hub.PINMatches("8642", p.Staff[0].PINHash) {
		t.Errorf("staff %v: want the hub's card kept", p.Staff)
	}
	if c, err := e.hub.FindPerson(ctx, "HPL0001"); err != nil || c.ID != person.ID {
		t.Fatal(err)
	}
	subjects := map[string]bool{}
	for _, f := range e.flags(hub.FlagConflict) {
		subjects[f.Subject] = true
		if strings.Contains(f.Detail, hubStaff.PINHash) || strings.Contains(f.Detail, "$argon2") {
			t.Errorf("a flag shows a PIN hash: %s", f.Detail)
		}
	}
	for _, s := range []string{"activity 7001 name", "activity 7001 station", "item 8001", "item 8002 name", "staff card 5AF00009 of A", "staff card 04A1B2C3 of A"} {
		if !subjects[s] {
			t.Errorf("no conflict flag for %s: %v", s, subjects)
		}
	}
	// Once T2 pulled T1's item, its change applies; T1 changes its
	// activity's station back after pulling the hub's: it applies, and the
	// hub's activity stops being the station.
	e.pull(k2, p.Version) // the hub holds T2 pulled p
	k2.Queue(hubsync.Change{Item: &hubsync.Item{ID: 8001, Name: "大米", Price: 90, Active: true}})
	e.pushOK(k2)
	e.pull(k1, e.pull(k1, 0).Version) // the hub holds T1 pulled everything
	k1.Queue(hubsync.Change{Activity: &hubsync.Activity{ID: 7001, Name: "助老服务 #7001", Rules: careRules, Active: true, Station: true}})
	e.pushOK(k1)
	last := e.pull(k2, p.Version)
	stations := 0
	for _, a := range last.Activities {
		if a.Station {
			stations++
			if a.ID != 7001 {
				t.Errorf("station %+v", a)
			}
		}
	}
	if stations != 1 || len(last.Activities) != 2 {
		t.Errorf("activities after the station moved: %+v", last.Activities)
	}
	if len(last.Items) != 1 || last.Items[0].Price != 90 {
		t.Errorf("items %+v: want T2's change once it had pulled", last.Items)
	}
}

// TestPushRefusesMalformedRegistryRows: an activity of another center, an
// item without a price, a staff card without a role or with a PIN hash the
// kiosks cannot afford to check is malformed: nothing of the push is kept.
func TestPushRefusesMalformedRegistryRows(t *testing.T) {
	e := newEnv(t)
	k := e.kiosk("T1", "A")
	costly := strings.Replace(pinHash(t, "1357"), "m=64,", "m=4194304,", 1)
	for name, ch := range map[string]hubsync.Change{
		"other center":  {Activity: &hubsync.Activity{ID: 7001, Center: "B", Name: "助老服务", Active: true}},
		"bad rules":     {Activity: &hubsync.Activity{ID: 7001, Name: "助老服务", Rules: record.Rules{MaxMinutes: -1}}},
		"no price":      {Item: &hubsync.Item{ID: 8001, Name: "大米"}},
		"bad period":    {Item: &hubsync.Item{ID: 8001, Name: "大米", Price: 5, LimitCount: 1, LimitPeriod: "fortnight"}},
		"no role":       {Staff: &hubsync.Staff{UID: "5AF00001", Name: "值班员", PINHash: pinHash(t, "1357")}},
		"costly hash":   {Staff: &hubsync.Staff{UID: "5AF00001", Name: "值班员", Role: hubsync.RoleStaff, PINHash: costly}},
		"not a hash":    {Staff: &hubsync.Staff{UID: "5AF00001", Name: "值班员", Role: hubsync.RoleStaff, PINHash: "1357"}},
		"unnormalised":  {Staff: &hubsync.Staff{UID: "5af00001", Name: "值班员", Role: hubsync.RoleStaff, PINHash: pinHash(t, "1357")}},
		"empty change":  {},
		"activity id 0": {Activity: &hubsync.Activity{Name: "助老服务"}},
	} {
		push := hubsync.Push{Terminal: "T1", Version: "test", Head: k.Head(), Changes: []hubsync.Change{ch}}
		push.Changes[0].Seq = 1
		_, err := e.hub.Push(ctx, k.Meta(), push)
		if !errors.Is(err, hubsync.ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
		if err != nil && ch.Staff != nil && strings.Contains(err.Error(), ch.Staff.PINHash) {
			t.Errorf("%s: the error shows the PIN hash: %v", name, err)
		}
	}
	if kr := e.kioskRow("T1"); kr.ChangesAcked != 0 {
		t.Errorf("changes acked %d after malformed pushes", kr.ChangesAcked)
	}
	if p := e.pull(k, 0); len(p.Activities)+len(p.Items)+len(p.Staff) != 0 {
		t.Errorf("a malformed push kept %+v", p)
	}
}

// TestStaffPINHashIsInNoLog: the hub's log, at every level, while staff
// cards are applied, refused and flagged, never shows a PIN hash.
func TestStaffPINHashIsInNoLog(t *testing.T) {
	var buf bytes.Buffer
	dir := t.TempDir()
	st := newStore(t, dir).open(t)
	clk := clock.NewFake(hubtest.Start)
	h, err := hub.Open(ctx, dir, hub.Options{Store: st, Clock: clk, PIN: cheapPIN,
		Log: slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.AddCenter(ctx, "A", "和平里"); err != nil {
		t.Fatal(err)
	}
	hubCard, err := h.AddStaff(ctx, hub.AddStaff{Center: "A", UID: "5AF00009", Name: "区值班员", PIN: "8642"})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := h.IssueToken(ctx, "A", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	k := hubtest.NewKiosk("T1", "A", clk.Now)
	if _, err := h.Enroll(ctx, k.Meta(), k.Enroll(tok)); err != nil {
		t.Fatal(err)
	}
	mine := pinHash(t, "1357")
	k.Queue(hubsync.Change{Staff: &hubsync.Staff{UID: "5AF00001", Name: "值班员", Role: hubsync.RoleStaff, PINHash: mine, Active: true}})
	k.Queue(hubsync.Change{Staff: &hubsync.Staff{UID: "5AF00009", Name: "值班员", Role: hubsync.RoleStaff, PINHash: mine, Active: true}}) // loses, flagged
	res, err := h.Push(ctx, k.Meta(), k.Push())
	if err != nil || res.ChangesAcked != 2 {
		t.Fatalf("push %+v %v", res, err)
	}
	k.Record(res)
	if _, err := h.BlockCard(ctx, "5AF00001"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Pull(ctx, k.Meta(), hubsync.Pull{Terminal: "T1"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "5AF00009") {
		t.Fatalf("the log says nothing of the conflict: %s", buf.String())
	}
	for _, hash := range []string{mine, hubCard.PINHash} {
		for _, part := range strings.Split(hash, "$")[4:] {
			if strings.Contains(buf.String(), part) {
				t.Errorf("the log shows a PIN hash: %s", buf.String())
			}
		}
	}
}

// TestKioskChangeAfterItPulledTheHubsApplies: a kiosk that pulled the
// hub's change and then changed the row (a staff card the hub added,
// disabled at the kiosk) pushes before its next pull: the push says what it
// holds, so its newer change applies. A version past the hub's is not
// believed.
func TestKioskChangeAfterItPulledTheHubsApplies(t *testing.T) {
	e := newEnv(t)
	k := e.kiosk("T1", "A")
	if _, err := e.hub.AddStaff(ctx, hub.AddStaff{Center: "A", UID: "5AF00009", Name: "区值班员", PIN: "8642"}); err != nil {
		t.Fatal(err)
	}
	pulled := e.pull(k, 0) // the hub knows only that the kiosk held 0
	if len(pulled.Staff) != 1 {
		t.Fatalf("staff %v", pulled.Staff)
	}
	card := pulled.Staff[0]
	card.Active = false
	k.Queue(hubsync.Change{Staff: &card})
	p := k.Push()
	p.Registry = pulled.Version
	res, err := e.hub.Push(ctx, k.Meta(), p)
	if err != nil || res.Refused != "" || res.ChangesAcked != 1 {
		t.Fatalf("push %+v %v", res, err)
	}
	k.Record(res)
	if got := e.pull(k, pulled.Version); len(got.Staff) != 1 || got.Staff[0].Active {
		t.Errorf("staff %v: want the card disabled by the kiosk", got.Staff)
	}
	if fl := e.flags(hub.FlagConflict); len(fl) != 0 {
		t.Errorf("conflicts %+v", fl)
	}
	p = k.Push()
	p.Registry = 1 << 40
	if _, err := e.hub.Push(ctx, k.Meta(), p); err != nil {
		t.Fatal(err)
	}
	var v uint64
	if err := e.store.View(ctx, func(r hub.Reader) (err error) { v, err = r.Version(); return err }); err != nil {
		t.Fatal(err)
	}
	if kr := e.kioskRow("T1"); kr.Pulled > v {
		t.Errorf("the kiosk is held to have pulled %d, past the hub's version %d", kr.Pulled, v)
	}
}

// A kiosk that binds a person to what is a staff card at the hub is not
// followed: the center's kiosks would be told the card is both, and every
// pull of theirs refused.
func TestAStaffCardIsNoPersonsCard(t *testing.T) {
	e := newEnv(t)
	if _, err := e.hub.AddStaff(ctx, hub.AddStaff{Center: "A", UID: "5AF00002", Name: "刘芳", PIN: "2580"}); err != nil {
		t.Fatal(err)
	}
	k := e.kiosk("T1", "A")
	k.AddChange(&hubsync.Person{ID: 4242, MemberNo: "M4242", Name: "王五", Kind: record.RedVest},
		&hubsync.Card{UID: "5AF00002", Person: 4242, State: hubsync.CardActive})
	e.pushOK(k)
	p := e.pull(e.kiosk("T2", "A"), 0)
	for _, c := range p.Cards {
		if c.UID == "5AF00002" {
			t.Fatalf("the staff card was pulled as person %d's card", c.Person)
		}
	}
	if fl := e.flags(hub.FlagConflict); len(fl) != 1 || fl[0].Subject != "5AF00002" || !strings.Contains(fl[0].Detail, "staff card") {
		t.Errorf("conflict flags %+v", fl)
	}
}
