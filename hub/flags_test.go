package hub_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
	"github.com/hongmajia/hongmajia/roster"
)

func TestFlagDoubleSpendAcrossCenters(t *testing.T) {
	e := newEnv(t)
	p := e.person("HPL0001", "王堃", "04A1B2C3")
	a := e.kiosk("TA", "A")
	b := e.kiosk("TB", "B")
	a.Earn(p.ID, "04A1B2C3", 1, 600, 100)
	e.pushOK(a)
	e.pull(b, 0)
	// Both offline: each spends 80 of the 100.
	a.Redeem(p.ID, "04A1B2C3", 9, 1, 80)
	b.Redeem(p.ID, "04A1B2C3", 9, 1, 80)
	e.pushOK(a)
	if len(e.flags(hub.FlagDoubleSpend)) != 0 {
		t.Fatal("flagged before the balance went below zero")
	}
	e.pushOK(b)
	fl := e.flags(hub.FlagDoubleSpend)
	if len(fl) != 1 || fl[0].Subject != personSubject(p.ID) || !strings.Contains(fl[0].Detail, "-60") {
		t.Errorf("flags %+v", fl)
	}
	if e.balance(p.ID).Points != -60 {
		t.Errorf("district balance %d, want -60", e.balance(p.ID).Points)
	}
}

func TestFlagCardAtTwoCentersTooClose(t *testing.T) {
	e := newEnv(t)
	a := e.kiosk("TA", "A")
	b := e.kiosk("TB", "B")
	a.CheckIn(1, "04A1B2C3", 1)
	e.clk.Advance(hub.CloneWindow + time.Minute)
	b.CheckIn(1, "04A1B2C3", 2) // far enough apart
	e.pushOK(a)
	e.pushOK(b)
	if fl := e.flags(hub.FlagClone); len(fl) != 0 {
		t.Fatalf("flagged %s apart: %+v", hub.CloneWindow+time.Minute, fl)
	}
	e.clk.Advance(2 * time.Minute)
	a.CheckIn(1, "04A1B2C3", 1) // two minutes after B's
	e.pushOK(a)
	fl := e.flags(hub.FlagClone)
	if len(fl) != 1 || fl[0].Subject != "04A1B2C3" || !strings.Contains(fl[0].Detail, "2m0s apart") {
		t.Errorf("flags %+v", fl)
	}
	// The same card twice at one center is no clone.
	e.clk.Advance(time.Hour)
	a.CheckIn(2, "0A0B0C0D", 1)
	a.CheckIn(2, "0A0B0C0D", 1)
	e.pushOK(a)
	if fl := e.flags(hub.FlagClone); len(fl) != 1 {
		t.Errorf("flags %+v", fl)
	}
}

// One push carries many uses of many cards: each is checked against the
// other centers' uses within CloneWindow of it (its own window, not the
// push's span), by its hub time (the corrected one for an untrusted
// clock), and the flag names the earliest such use.
func TestFlagCloneChecksEveryEntryOfAPush(t *testing.T) {
	e := newEnv(t)
	b := e.kiosk("TB", "B")
	a := e.kiosk("TA", "A")
	late := hubtest.NewKiosk("TL", "A", func() time.Time { return e.clk.Now().AddDate(-1, 0, 0) })
	late.Trusted = false
	e.enroll(late, "A")
	at := func(m time.Duration) time.Time { return hubtest.Start.Add(m * time.Minute).UTC() }
	use := func(k *hubtest.Kiosk, card record.CardUID, when time.Time) {
		k.Append(record.Entry{Kind: record.KindCheckIn, Person: 1, Card: card, Activity: 1, At: when})
	}
	use(b, "0C000001", at(0))
	use(b, "0C000002", at(0))
	use(b, "0C000001", at(30)) // seq 3
	use(b, "0C000001", at(31))
	use(b, "0C000003", at(120))
	use(b, "0C000005", at(5)) // seq 6
	e.pushOK(b)
	use(a, "0C000001", at(10))  // 10 minutes after B's first, 20 before its next
	use(a, "0C000002", at(33))  // B had it at 0
	use(a, "0C000001", at(34))  // 4 minutes after B's seq 3 (and 3 after its seq 4)
	use(a, "0C000003", at(117)) // 3 minutes before B's
	use(a, "0C000004", at(118)) // B never had it
	use(a, "0C000005", at(17))  // 12 minutes after B's, and a clock set back:
	use(a, "0C000005", at(10))  // seq 7, 5 minutes after B's
	e.pushOK(a)
	e.clk.Advance(3 * time.Hour)
	use(late, "0C000002", at(2).AddDate(-1, 0, 0)) // a year off by its clock; 2 minutes after B's by the hub's
	e.pushOK(late)
	fl := e.flags(hub.FlagClone)
	got := map[string]string{}
	for _, f := range fl {
		got[f.Subject] = f.Detail
	}
	if len(fl) != 4 || len(got) != 4 {
		t.Fatalf("flags %+v, want cards 0C000001, 0C000002, 0C000003, 0C000005", fl)
	}
	for card, want := range map[string][]string{
		"0C000001": {"terminal TA seq 3", "terminal TB seq 3,", "4m0s apart"},
		"0C000002": {"terminal TL seq 1", "corrected", "terminal TB seq 2,", "2m0s apart"},
		"0C000003": {"terminal TA seq 4", "terminal TB seq 5,", "3m0s apart"},
		"0C000005": {"terminal TA seq 7", "terminal TB seq 6,", "5m0s apart"},
	} {
		for _, w := range want {
			if !strings.Contains(got[card], w) {
				t.Errorf("card %s: %q lacks %q", card, got[card], w)
			}
		}
	}
}

func TestFlagShiftLongerThanItsRules(t *testing.T) {
	e := newEnv(t)
	if _, err := e.hub.ImportActivities(ctx, "A", []roster.Activity{{Name: "助老服务", Rules: record.Rules{AnyTime: true, MaxMinutes: 120}}}, false); err != nil {
		t.Fatal(err)
	}
	k := e.kiosk("T1", "A")
	act := e.pull(k, 0).Activities[0].ID
	ok := k.CheckIn(1, "04A1B2C3", act)
	e.clk.Advance(2 * time.Hour)
	k.CheckOut(ok, 120, 20)
	long := k.CheckIn(1, "04A1B2C3", act)
	e.clk.Advance(5 * time.Hour)
	k.CheckOut(long, 300, 50)
	unknown := k.CheckIn(1, "04A1B2C3", 999)
	k.CheckOut(unknown, 24*60+1, 1)
	e.pushOK(k)
	fl := e.flags(hub.FlagLongShift)
	if len(fl) != 2 {
		t.Fatalf("flags %+v, want 2", fl)
	}
	if fl[0].Subject != long.ID.String() || !strings.Contains(fl[0].Detail, "300 minutes credited, 5h0m0s from check-in to check-out; its rules allow 120") {
		t.Errorf("flag %+v", fl[0])
	}
	if fl[1].Subject != unknown.ID.String() || !strings.Contains(fl[1].Detail, "unknown to the hub") {
		t.Errorf("flag %+v", fl[1])
	}
}

func TestFlagKioskNotSynced(t *testing.T) {
	e := newEnv(t)
	k := e.kiosk("T1", "A")
	e.kiosk("T2", "B")
	e.clk.Advance(hub.DefaultStaleAfter - time.Hour)
	e.pushOK(k)
	e.clk.Advance(2 * time.Hour)
	fl := e.flags(hub.FlagStale)
	if len(fl) != 1 || fl[0].Subject != "T2" || !strings.Contains(fl[0].Detail, "never synced") {
		t.Fatalf("flags %+v, want T2's only", fl)
	}
	e.clk.Advance(hub.DefaultStaleAfter)
	if fl := e.flags(hub.FlagStale); len(fl) != 2 {
		t.Errorf("flags %+v, want both", fl)
	}
	e.pushOK(k)
	if fl := e.flags(hub.FlagStale); len(fl) != 1 || fl[0].Subject != "T2" {
		t.Errorf("flags after T1 synced: %+v", fl)
	}
	all, err := e.hub.Flags(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	var resolved int
	for _, f := range all {
		if f.Kind == hub.FlagStale && f.Subject == "T1" && f.ResolvedBy == "sync" && !f.Resolved.IsZero() {
			resolved++
		}
	}
	if resolved != 1 {
		t.Errorf("T1's resolved flag not listed: %+v", all)
	}
	// A revoked kiosk is not flagged.
	e.kiosk("T3", "A")
	if err := e.hub.RevokeKiosk(ctx, "T3"); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(2 * hub.DefaultStaleAfter)
	for _, f := range e.flags(hub.FlagStale) {
		if f.Subject == "T3" {
			t.Errorf("revoked T3 flagged: %+v", f)
		}
	}
}

func TestMergeLosesNoPoints(t *testing.T) {
	e := newEnv(t)
	reg := e.person("HPL0001", "王堃", "04A1B2C3")
	a := e.kiosk("TA", "A")
	b := e.kiosk("TB", "B")
	// A walk-in at A earns 30; the registered person earns 50 at B.
	const walkIn = record.PersonID(777)
	a.AddChange(&hubsync.Person{ID: walkIn, MemberNo: "W-0777", Provisional: true, Kind: record.Resident},
		&hubsync.Card{UID: "0A0B0C0D", Person: walkIn, State: hubsync.CardActive})
	a.Earn(walkIn, "0A0B0C0D", 1, 180, 30)
	e.pushOK(a)
	b.Earn(reg.ID, "04A1B2C3", 2, 300, 50)
	e.pushOK(b)
	before := e.pull(b, 0).Version
	if len(e.flags(hub.FlagWalkIn)) != 1 {
		t.Fatal("the walk-in is not flagged")
	}
	if err := e.hub.MergePerson(ctx, walkIn, reg.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	if got := e.balance(reg.ID); got.Points != 80 || got.Minutes != 480 {
		t.Errorf("registered balance %+v, want 80 points 480 minutes", got)
	}
	if got := e.balance(walkIn); got.Person != reg.ID || got.Points != 80 {
		t.Errorf("the walk-in's balance %+v, want the registration's", got)
	}
	if len(e.flags(hub.FlagWalkIn)) != 0 {
		t.Error("the walk-in flag is still open")
	}
	// Kiosk A, offline through the merge, wrote more for the walk-in: it
	// counts for the registration.
	a.Earn(walkIn, "0A0B0C0D", 1, 60, 10)
	e.pushOK(a)
	if got := e.balance(reg.ID).Points; got != 90 {
		t.Errorf("after the walk-in's later entries: %d, want 90", got)
	}
	// Kiosk B learns the alias, the card, and the balances.
	p := e.pull(b, before)
	if len(p.Aliases) != 1 || p.Aliases[0] != (hubsync.Alias{From: walkIn, To: reg.ID}) {
		t.Errorf("aliases %+v", p.Aliases)
	}
	if len(p.Cards) != 1 || p.Cards[0].UID != "0A0B0C0D" || p.Cards[0].Person != reg.ID {
		t.Errorf("cards %+v", p.Cards)
	}
	got := map[record.PersonID]int64{}
	for _, s := range p.Balances {
		got[s.Person] = s.Points
	}
	if got[reg.ID] != 90 || got[walkIn] != 0 || len(got) != 2 {
		t.Errorf("snapshots %v, want the registration's 90 and the walk-in's 0", got)
	}
	// A merge twice is refused.
	if err := e.hub.MergePerson(ctx, walkIn, reg.ID, "admin"); err == nil {
		t.Error("a walk-in merged twice")
	}
}

func TestWalkInNamedAtTheKioskResolvesItsFlag(t *testing.T) {
	e := newEnv(t)
	k := e.kiosk("T1", "A")
	k.AddChange(&hubsync.Person{ID: 5, MemberNo: "W-5", Provisional: true, Kind: record.Resident}, nil)
	e.pushOK(k)
	k.AddChange(&hubsync.Person{ID: 5, MemberNo: "W-5", Name: "周玥", Kind: record.Resident}, nil)
	e.pushOK(k)
	if fl := e.flags(hub.FlagWalkIn); len(fl) != 0 {
		t.Errorf("flags %+v", fl)
	}
	if p, _ := e.hub.FindPerson(ctx, "W-5"); p.Provisional || p.Name != "周玥" {
		t.Errorf("person %+v", p)
	}
}

func personSubject(p record.PersonID) string { return strconv.FormatInt(int64(p), 10) }
