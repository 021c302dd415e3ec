package hub_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
	"github.com/hongmajia/hongmajia/roster"
)

// redemption is the hub's redemption of id.
func (e *env) redemption(id record.EntryID) hub.Redemption {
	e.t.Helper()
	var r hub.Redemption
	err := e.store.View(ctx, func(rd hub.Reader) (err error) { r, err = rd.Redemption(id); return err })
	if err != nil {
		e.t.Fatalf("redemption %s: %v", id, err)
	}
	return r
}

// TestPushKeepsPickupCodesAndHandOuts: a redeem entry is a redemption at
// the hub, its code and hand-out set from the push's pickup rows (a row
// of the same push as its entry too); the answer takes the rows; the same
// push again (its answer lost) and a later second hand-out of the same
// redemption change nothing; a hand-out of an unset clock is corrected as
// an entry is.
func TestPushKeepsPickupCodesAndHandOuts(t *testing.T) {
	e := newEnv(t)
	k := e.kiosk("T1", "A")
	rice := k.RedeemWithCode(1, "04A1B2C3", 7, 2, 80, "0427")
	oil := k.RedeemWithCode(2, "04A1B2C4", 8, 1, 25, "1234")
	e.clk.Advance(10 * time.Minute)
	handAt := e.clk.Now()
	k.HandOut(rice.ID, "5A000001")
	p := k.Push()
	if len(p.Pickups) != 3 {
		t.Fatalf("the push carries %d pickup rows", len(p.Pickups))
	}
	res, err := e.hub.Push(ctx, k.Meta(), p)
	if err != nil || res.Refused != "" || res.PickupsAcked != 3 {
		t.Fatalf("push: %+v, %v", res, err)
	}
	check := func(when string) {
		t.Helper()
		r := e.redemption(rice.ID)
		if r.Terminal != "T1" || r.Seq != rice.Seq || r.Center != "A" || r.Person != 1 || r.Card != "04A1B2C3" || r.Item != 7 ||
			r.Qty != 2 || r.Points != 80 || !r.At.Equal(rice.At) || r.Code != "0427" || !r.HandedAt.Equal(handAt) ||
			r.HandedBy != "5A000001" || r.HandedCorrected || r.State() != hub.RedemptionHandedOut {
			t.Errorf("%s: the rice: %+v", when, r)
		}
		if r := e.redemption(oil.ID); r.Code != "1234" || !r.HandedAt.IsZero() || r.State() != hub.RedemptionWaiting {
			t.Errorf("%s: the oil: %+v", when, r)
		}
	}
	check("after the push")
	// The answer was lost: the kiosk sends the same again.
	res, err = e.hub.Push(ctx, k.Meta(), p)
	if err != nil || res.Refused != "" || res.PickupsAcked != 3 {
		t.Fatalf("the same push again: %+v, %v", res, err)
	}
	k.Record(res)
	check("after the same push again")
	// Rows sent twice, a code changed and a second hand-out: the first
	// of each is kept.
	e.clk.Advance(time.Hour)
	k.QueuePickup(hubsync.Pickup{Redemption: rice.ID, Code: "9999"})
	k.HandOut(rice.ID, "5A000002")
	if res := e.pushOK(k); res.PickupsAcked != 5 {
		t.Errorf("acknowledged %d pickups, want 5", res.PickupsAcked)
	}
	check("after a second code and hand-out")
	// A push with no rows answers what the kiosk said it holds.
	if res := e.pushOK(k); res.PickupsAcked != 5 {
		t.Errorf("an empty push acknowledged %d pickups, want 5", res.PickupsAcked)
	}

	// A Pi whose clock reads 1970 hands out: its time is corrected by its
	// offset, as its entries are.
	epoch := time.Date(1970, 1, 1, 0, 5, 0, 0, time.UTC)
	offset := e.clk.Now().Sub(epoch)
	k.Trusted, k.Clock = false, func() time.Time { return e.clk.Now().Add(-offset) }
	k.HandOut(oil.ID, "5A000001")
	e.pushOK(k)
	if r := e.redemption(oil.ID); !r.HandedAt.Equal(e.clk.Now()) || !r.HandedCorrected || r.State() != hub.RedemptionHandedOut {
		t.Errorf("a hand-out of an unset clock: %+v, want at %v corrected", r, e.clk.Now())
	}
}

// TestPushRefusesPickupsOfOtherRedemptions: a pickup row naming a
// redemption the hub does not hold, or another terminal's, is a malformed
// push: nothing of it is stored, its entries neither.
func TestPushRefusesPickupsOfOtherRedemptions(t *testing.T) {
	e := newEnv(t)
	b := e.kiosk("T2", "A")
	other := b.RedeemWithCode(1, "04A1B2C3", 7, 1, 40, "0001")
	e.pushOK(b)
	for name, row := range map[string]hubsync.Pickup{
		"unknown":            {Redemption: record.EntryID{0xFF}, Code: "0002"},
		"another terminal's": {Redemption: other.ID, Handout: &hubsync.Handout{Operator: "5A000001", At: e.clk.Now()}},
	} {
		k := hubtest.NewKiosk("T3-"+strings.ReplaceAll(name, " ", ""), "A", e.clk.Now)
		e.enroll(k, "A")
		k.Earn(1, "04A1B2C3", 1, 60, 10)
		k.QueuePickup(row)
		_, err := e.hub.Push(ctx, k.Meta(), k.Push())
		if !errors.Is(err, hubsync.ErrMalformed) {
			t.Errorf("%s: %v, want malformed", name, err)
		}
		if got := e.stored(k.Terminal); len(got) != 0 {
			t.Errorf("%s: %d entries stored of a malformed push", name, len(got))
		}
	}
	if r := e.redemption(other.ID); !r.HandedAt.IsZero() {
		t.Errorf("another terminal handed out T2's redemption: %+v", r)
	}
}

// TestReversalAndOlderKiosk: a reversal marks its redemption reversed (a
// restock's marks none); a kiosk that sends no pickup rows (older than
// them) has its redemptions unreported.
func TestReversalAndOlderKiosk(t *testing.T) {
	e := newEnv(t)
	k := e.kiosk("T1", "A")
	r := k.RedeemWithCode(1, "04A1B2C3", 7, 1, 40, "0001")
	st := k.Restock(7, 10)
	e.pushOK(k)
	e.clk.Advance(time.Minute)
	rev := k.Append(record.Entry{Kind: record.KindReverse, Person: 1, Card: "04A1B2C3", Item: 7, Stock: 1, Points: 40, Reverses: r.ID,
		Operator: "5A000001", Reason: "撤销"})
	k.Append(record.Entry{Kind: record.KindReverse, Item: 7, Stock: -10, Reverses: st.ID, Operator: "5A000001", Reason: "录错"})
	e.pushOK(k)
	if got := e.redemption(r.ID); got.ReversedBy != rev.ID || !got.ReversedAt.Equal(rev.At) || got.State() != hub.RedemptionReversed {
		t.Errorf("the reversed redemption: %+v", got)
	}
	old := e.kiosk("T0", "B")
	plain := old.Redeem(2, "04A1B2C4", 7, 1, 40)
	e.pushOK(old)
	if got := e.redemption(plain.ID); got.Code != "" || got.State() != hub.RedemptionUnreported {
		t.Errorf("an older kiosk's redemption: %+v", got)
	}
}

// redemptionDistrict is two centers' redemptions for the reads: 王堃 (of
// the district's registry) at A and B, 李梅 registered at B, and a walk-in
// at A merged into 王堃.
type redemptionDistrict struct {
	e              *env
	wang, li       hub.Person
	walkIn         record.PersonID
	walkInMemberNo string
	march, april   time.Time
	ka, kb         *hubtest.Kiosk
	riceID, oilID  record.ItemID
}

func newRedemptionDistrict(t *testing.T) *redemptionDistrict {
	e := newEnv(t)
	d := &redemptionDistrict{e: e}
	d.wang = e.person("HPL00001", "王堃", "C0000001")
	if _, err := e.hub.ImportCatalog(ctx, "A", []roster.Item{{Line: 2, Name: "大米", Price: 40, Stock: 10}, {Line: 3, Name: "食用油", Price: 25, Stock: 10}}, false); err != nil {
		t.Fatal(err)
	}
	err := e.store.View(ctx, func(r hub.Reader) error {
		its, err := r.Items()
		for _, it := range its {
			switch it.Name {
			case "大米":
				d.riceID = it.ID
			case "食用油":
				d.oilID = it.ID
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	li, err := e.hub.RegisterPerson(ctx, hub.CenterScope("B"), hub.CommandLine("test"), hub.Registration{
		Center: "B", Person: roster.Person{MemberNo: "XHZ00001", Name: "李梅", Kind: record.RedVest, Card: "C0000002"}})
	if err != nil {
		t.Fatal(err)
	}
	d.li = li
	d.ka, d.kb = e.kiosk("KA", "A"), e.kiosk("KB", "B")
	d.walkIn, d.walkInMemberNo = 901, "KA-000901"
	d.ka.AddChange(&hubsync.Person{ID: d.walkIn, MemberNo: d.walkInMemberNo, Provisional: true, Kind: record.Resident},
		&hubsync.Card{UID: "C0000901", Person: d.walkIn, State: hubsync.CardActive})
	a1 := d.ka.RedeemWithCode(d.wang.ID, "C0000001", d.riceID, 1, 40, "0427")
	e.clk.Advance(time.Minute)
	d.ka.RedeemWithCode(d.li.ID, "C0000002", d.oilID, 2, 50, "1234")
	e.clk.Advance(time.Minute)
	d.ka.RedeemWithCode(d.walkIn, "C0000901", d.oilID, 1, 25, "0001")
	e.clk.Advance(time.Minute)
	d.ka.HandOut(a1.ID, "5A000001")
	e.pushOK(d.ka)
	d.kb.RedeemWithCode(d.wang.ID, "C0000001", d.riceID, 1, 40, "0427")
	e.pushOK(d.kb)
	if err := e.hub.MergeWalkIn(ctx, hub.DistrictScope(), hub.CommandLine("test"), d.walkIn, d.wang.ID); err != nil {
		t.Fatal(err)
	}
	d.march = hubtest.Start
	e.clk.Advance(31 * 24 * time.Hour)
	d.april = e.clk.Now()
	d.ka.RedeemWithCode(d.wang.ID, "C0000001", d.riceID, 3, 120, "0005")
	e.pushOK(d.ka)
	return d
}

func rowsOf(rows []hub.RedemptionRow) string {
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s %s %s(%s,full=%t) %s×%d %d %s %v", r.CenterName, r.Code, r.Person.Name, r.Person.MemberNo,
			r.Person.Full, r.ItemName, r.Qty, r.Points, r.State, r.HandedByName))
	}
	return strings.Join(out, "\n")
}

// TestRedemptionsAsAScopeSeesThem: the district sees every center's, newest
// first, names whole; a center's staff their center's only, another
// center's person masked, another center's id not found; the filters and
// the search by code or member number (the walk-in merged into the person
// found too); pages.
func TestRedemptionsAsAScopeSeesThem(t *testing.T) {
	d := newRedemptionDistrict(t)
	e := d.e
	list := func(scope hub.Scope, f hub.RedemptionFilter) string {
		t.Helper()
		rows, _, err := e.hub.Redemptions(ctx, scope, f)
		if err != nil {
			t.Fatal(err)
		}
		return rowsOf(rows)
	}
	district, centerA := hub.DistrictScope(), hub.CenterScope("A")
	march := hub.RedemptionFilter{Month: d.march}
	want := strings.Join([]string{
		"小黄庄党群服务中心 0427 王堃(HPL00001,full=true) 大米×1 40 waiting ",
		"和平里党群服务中心 0001 王堃(HPL00001,full=true) 食用油×1 25 waiting ",
		"和平里党群服务中心 1234 李梅(XHZ00001,full=true) 食用油×2 50 waiting ",
		"和平里党群服务中心 0427 王堃(HPL00001,full=true) 大米×1 40 handed-out ",
	}, "\n")
	// The staff card is not in the hub's registry: no name.
	if got := list(district, march); got != want {
		t.Errorf("the district's March:\n%s\nwant\n%s", got, want)
	}
	// A center's staff: their center's; 李梅 (B's) and 王堃 (the
	// district's) masked.
	if got := list(centerA, march); got != strings.Join([]string{
		"和平里党群服务中心 0001 王*(HPL00001,full=false) 食用油×1 25 waiting ",
		"和平里党群服务中心 1234 李*(XHZ00001,full=false) 食用油×2 50 waiting ",
		"和平里党群服务中心 0427 王*(HPL00001,full=false) 大米×1 40 handed-out ",
	}, "\n") {
		t.Errorf("center A's March:\n%s", got)
	}
	if _, _, err := e.hub.Redemptions(ctx, centerA, hub.RedemptionFilter{Center: "B"}); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("center A asking for B's: %v", err)
	}
	if _, _, err := e.hub.Redemptions(ctx, hub.Scope{}, hub.RedemptionFilter{}); err != nil {
		t.Errorf("the zero scope: %v", err)
	} else if rows, _, _ := e.hub.Redemptions(ctx, hub.Scope{}, hub.RedemptionFilter{}); len(rows) != 0 {
		t.Errorf("the zero scope sees %d", len(rows))
	}
	for _, c := range []struct {
		name  string
		scope hub.Scope
		f     hub.RedemptionFilter
		want  int
	}{
		{"every month", district, hub.RedemptionFilter{}, 5},
		{"April", district, hub.RedemptionFilter{Month: d.april}, 1},
		{"B", district, hub.RedemptionFilter{Center: "B"}, 1},
		{"waiting", district, hub.RedemptionFilter{State: hub.RedemptionWaiting}, 4},
		{"handed out", district, hub.RedemptionFilter{State: hub.RedemptionHandedOut}, 1},
		{"the code 0427", district, hub.RedemptionFilter{Search: " 0427 "}, 2},
		{"the code 0427 at A", centerA, hub.RedemptionFilter{Search: "0427"}, 1},
		{"王堃's member number, his merged walk-in's too", district, hub.RedemptionFilter{Search: "hpl00001"}, 4},
		{"the walk-in's own number finds whom it was merged into", district, hub.RedemptionFilter{Search: d.walkInMemberNo}, 4},
		{"李梅's at A by a center user", centerA, hub.RedemptionFilter{Search: "XHZ00001"}, 1},
		{"a part of a member number finds none", district, hub.RedemptionFilter{Search: "HPL"}, 0},
	} {
		rows, _, err := e.hub.Redemptions(ctx, c.scope, c.f)
		if err != nil || len(rows) != c.want {
			t.Errorf("%s: %d rows, %v; want %d\n%s", c.name, len(rows), err, c.want, rowsOf(rows))
		}
	}
	// Pages of two, one after another.
	var seen []string
	f := hub.RedemptionFilter{Limit: 2}
	for range 5 {
		rows, more, err := e.hub.Redemptions(ctx, district, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			seen = append(seen, r.Code)
		}
		if !more {
			break
		}
		f.Before = rows[len(rows)-1].Cursor()
	}
	if got := strings.Join(seen, " "); got != "0005 0427 0001 1234 0427" {
		t.Errorf("pages of two: %s", got)
	}
}

// TestRedemptionMonthSumsByCenterAndItem: each center's month by item with
// its total, every center's by item, and the total; a center user's their
// center's; another center's not found.
func TestRedemptionMonthSumsByCenterAndItem(t *testing.T) {
	d := newRedemptionDistrict(t)
	e := d.e
	text := func(m hub.RedemptionMonth) string {
		var out []string
		line := func(what string, s hub.RedemptionSum) {
			out = append(out, fmt.Sprintf("%s: %d/%d units, %d handed out, %d waiting, %d points", what, s.Redemptions, s.Qty, s.HandedOut, s.Waiting, s.Points))
		}
		for _, c := range m.Centers {
			for _, it := range c.Items {
				line(c.Center.ID+" "+it.Name, it.RedemptionSum)
			}
			line(c.Center.ID+" total", c.Total)
		}
		for _, it := range m.Items {
			line("all "+it.Name, it.RedemptionSum)
		}
		line("total", m.Total)
		return strings.Join(out, "\n")
	}
	m, err := e.hub.RedemptionMonth(ctx, hub.DistrictScope(), hub.Selection{Month: d.march})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := text(m), strings.Join([]string{
		"A 大米: 1/1 units, 1 handed out, 0 waiting, 40 points",
		"A 食用油: 2/3 units, 0 handed out, 3 waiting, 75 points",
		"A total: 3/4 units, 1 handed out, 3 waiting, 115 points",
		"B 大米: 1/1 units, 0 handed out, 1 waiting, 40 points",
		"B total: 1/1 units, 0 handed out, 1 waiting, 40 points",
		"all 大米: 2/2 units, 1 handed out, 1 waiting, 80 points",
		"all 食用油: 2/3 units, 0 handed out, 3 waiting, 75 points",
		"total: 4/5 units, 1 handed out, 4 waiting, 155 points",
	}, "\n"); got != want {
		t.Errorf("March:\n%s\nwant\n%s", got, want)
	}
	m, err = e.hub.RedemptionMonth(ctx, hub.CenterScope("B"), hub.Selection{Month: d.april})
	if err != nil {
		t.Fatal(err)
	}
	if got := text(m); got != "B total: 0/0 units, 0 handed out, 0 waiting, 0 points\ntotal: 0/0 units, 0 handed out, 0 waiting, 0 points" {
		t.Errorf("B's April:\n%s", got)
	}
	if _, err := e.hub.RedemptionMonth(ctx, hub.CenterScope("B"), hub.Selection{Center: "A", Month: d.march}); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("B asking for A's month: %v", err)
	}
}
