package hub_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/record"
	"github.com/hongmajia/hongmajia/roster"
)

// district is a month of two centers' kiosks, pushed to the hub: three
// volunteers, three activities, three items; the sums the tests expect are
// worked out by hand from it.
type district struct {
	*env
	ka, kb             *hubtest.Kiosk
	p1, p2, p3         hub.Person
	bianmin, huanjing  record.ActivityID // A's 便民服务 (at most 100 minutes a shift) and 环境整治
	zhulao             record.ActivityID // B's 助老
	rice, oil, brushes record.ItemID
}

func newDistrict(t *testing.T) *district {
	e := newEnv(t)
	d := &district{env: e}
	d.p1 = e.person("HPL00001", "王堃", "C0000001")
	d.p2 = e.person("HPL00002", "李娜", "C0000002")
	d.p3 = e.person("HPL00003", "张伟", "C0000003")
	rules := record.Rules{PointsPerHour: map[record.VolunteerKind]int64{record.GreenVest: 30}}
	long := rules
	long.MaxMinutes = 100
	if _, err := e.hub.ImportActivities(ctx, "A", []roster.Activity{{Line: 2, Name: "便民服务", Rules: long}, {Line: 3, Name: "环境整治", Rules: rules}}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.hub.ImportActivities(ctx, "B", []roster.Activity{{Line: 2, Name: "助老", Rules: rules}}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.hub.ImportCatalog(ctx, "A", []roster.Item{{Line: 2, Name: "大米", Price: 40, Stock: 3}, {Line: 3, Name: "食用油", Price: 25, Stock: 50},
		{Line: 4, Name: "牙刷", Price: 1, Stock: 70}}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.hub.ImportCatalog(ctx, "B", []roster.Item{{Line: 2, Name: "食用油", Price: 25, Stock: 4}}, false); err != nil {
		t.Fatal(err)
	}
	err := e.store.View(ctx, func(r hub.Reader) error {
		for _, c := range []string{"A", "B"} {
			as, err := r.Activities(c)
			if err != nil {
				return err
			}
			for _, a := range as {
				switch a.Name {
				case "便民服务":
					d.bianmin = a.ID
				case "环境整治":
					d.huanjing = a.ID
				case "助老":
					d.zhulao = a.ID
				}
			}
		}
		items, err := r.Items()
		for _, it := range items {
			switch it.Name {
			case "大米":
				d.rice = it.ID
			case "食用油":
				d.oil = it.ID
			case "牙刷":
				d.brushes = it.ID
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	d.ka, d.kb = e.kiosk("KA", "A"), e.kiosk("KB", "B")
	// March 2 at A: 王堃 120 minutes of 便民服务 (longer than its 100: a
	// flag) and 30 of 环境整治, 李娜 60 of 便民服务; three redemptions.
	d.ka.Earn(d.p1.ID, "C0000001", d.bianmin, 120, 60)
	d.ka.Earn(d.p2.ID, "C0000002", d.bianmin, 60, 30)
	d.ka.Earn(d.p1.ID, "C0000001", d.huanjing, 30, 15)
	d.ka.Redeem(d.p1.ID, "C0000001", d.rice, 1, 40)
	d.ka.Redeem(d.p2.ID, "C0000002", d.oil, 1, 25)
	d.ka.Redeem(d.p1.ID, "C0000001", d.brushes, 50, 30)
	e.pushOK(d.ka)
	// An hour later at B (no card at two centers minutes apart): 王堃 90
	// minutes of 助老, 张伟 60, who then spends more than he has (a flag).
	e.clk.Advance(time.Hour)
	d.kb.Earn(d.p1.ID, "C0000001", d.zhulao, 90, 45)
	d.kb.Earn(d.p3.ID, "C0000003", d.zhulao, 60, 20)
	d.kb.Redeem(d.p3.ID, "C0000003", d.oil, 1, 25)
	e.pushOK(d.kb)
	return d
}

func march() hub.Selection { return hub.Selection{Month: hubtest.Start} }

func TestMonthReport(t *testing.T) {
	d := newDistrict(t)
	r, err := d.hub.MonthReport(ctx, hub.DistrictScope(), march())
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 3, 1, 0, 0, 0, 0, hubtest.Start.Location()); !r.Month.Equal(want) {
		t.Errorf("month %v, want %v", r.Month, want)
	}
	// Both centers: 王堃 served at both and is one volunteer.
	if got, want := fmt.Sprintf("%+v", r.Total), "{Volunteers:3 Shifts:5 Minutes:360 Earned:170 Redeemed:120 Redemptions:4 Given:53 Expired:0}"; got != want {
		t.Errorf("total %s, want %s", got, want)
	}
	var got []string
	for _, c := range r.ByCenter {
		got = append(got, fmt.Sprintf("%s %+v", c.Center.Name, c.Tally))
	}
	if want := []string{
		"和平里党群服务中心 {Volunteers:2 Shifts:3 Minutes:210 Earned:105 Redeemed:95 Redemptions:3 Given:52 Expired:0}",
		"小黄庄党群服务中心 {Volunteers:2 Shifts:2 Minutes:150 Earned:65 Redeemed:25 Redemptions:1 Given:1 Expired:0}",
	}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("by center:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	got = nil
	for _, a := range r.ByActivity {
		got = append(got, fmt.Sprintf("%s %s %d/%d/%d/%d", a.Center.ID, a.Name, a.Volunteers, a.Shifts, a.Minutes, a.Earned))
	}
	if want := "[A 便民服务 2/2/180/90 A 环境整治 1/1/30/15 B 助老 2/2/150/65]"; fmt.Sprint(got) != want {
		t.Errorf("by activity %v, want %s", got, want)
	}
	got = nil
	for _, it := range r.ByItem {
		got = append(got, fmt.Sprintf("%s %d/%d/%d", it.Name, it.Redemptions, it.Given, it.Redeemed))
	}
	if want := "[食用油 2/2/50 大米 1/1/40 牙刷 1/50/30]"; fmt.Sprint(got) != want {
		t.Errorf("by item %v, want %s", got, want)
	}

	// A center's user sees their center alone, whatever they ask for.
	r, err = d.hub.MonthReport(ctx, hub.CenterScope("A"), march())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Centers) != 1 || r.Centers[0].ID != "A" || r.Total.Minutes != 210 || r.Total.Volunteers != 2 || len(r.ByActivity) != 2 || len(r.ByItem) != 3 {
		t.Errorf("A's month as A's user: %+v", r)
	}
	if _, err := d.hub.MonthReport(ctx, hub.CenterScope("A"), hub.Selection{Center: "B", Month: hubtest.Start}); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("B's month as A's user: %v, want ErrNotFound", err)
	}
	if _, err := d.hub.MonthReport(ctx, hub.DistrictScope(), hub.Selection{Center: "Z", Month: hubtest.Start}); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("a center not there: %v, want ErrNotFound", err)
	}
	if r, err := d.hub.MonthReport(ctx, hub.Scope{}, march()); err != nil || len(r.Centers) != 0 || !r.Total.IsZero() {
		t.Errorf("the zero scope: %+v, %v; want nothing", r, err)
	}
	// Another month: nothing.
	if r, err := d.hub.MonthReport(ctx, hub.DistrictScope(), hub.Selection{Month: hubtest.Start.AddDate(0, -1, 0)}); err != nil ||
		!r.Total.IsZero() || len(r.ByActivity) != 0 || len(r.ByCenter) != 2 {
		t.Errorf("February: %+v, %v", r, err)
	}
}

func TestTrendAndHonourRoll(t *testing.T) {
	d := newDistrict(t)
	roll, err := d.hub.HonourRoll(ctx, hub.DistrictScope(), march(), 3)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range roll {
		got = append(got, fmt.Sprintf("%d %s %s %d/%d/%d", h.Rank, h.Person.Name, h.Person.MemberNo, h.Shifts, h.Minutes, h.Earned))
	}
	// 李娜 and 张伟 served 60 minutes each: one place, more points first.
	if want := "[1 王堃 HPL00001 3/240/120 2 李娜 HPL00002 1/60/30 2 张伟 HPL00003 1/60/20]"; fmt.Sprint(got) != want {
		t.Errorf("honour roll %v, want %s", got, want)
	}
	if roll, err := d.hub.HonourRoll(ctx, hub.CenterScope("B"), march(), 10); err != nil || len(roll) != 2 || roll[0].Minutes != 90 {
		t.Errorf("B's honour roll as B's user: %+v, %v", roll, err)
	}

	// April 5 at A: 张伟 60 minutes.
	d.clk.Set(time.Date(2026, 4, 5, 10, 0, 0, 0, hubtest.Start.Location()))
	d.ka.Earn(d.p3.ID, "C0000003", d.bianmin, 60, 30)
	d.pushOK(d.ka)
	trend, err := d.hub.Trend(ctx, hub.DistrictScope(), hub.Selection{Month: d.clk.Now()}, 3)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, m := range trend {
		got = append(got, fmt.Sprintf("%s %d/%d/%d/%d/%d", m.Month.Format("2006-01-02 MST"), m.Volunteers, m.Shifts, m.Minutes, m.Earned, m.Redeemed))
	}
	if want := "[2026-02-01 CST 0/0/0/0/0 2026-03-01 CST 3/5/360/170/120 2026-04-01 CST 1/1/60/30/0]"; fmt.Sprint(got) != want {
		t.Errorf("trend %v, want %s", got, want)
	}
	trend, err = d.hub.Trend(ctx, hub.CenterScope("B"), hub.Selection{Month: d.clk.Now()}, 2)
	if err != nil || len(trend) != 2 || trend[0].Minutes != 150 || trend[1].Minutes != 0 {
		t.Errorf("B's trend as B's user: %+v, %v", trend, err)
	}
}

func TestLowStock(t *testing.T) {
	d := newDistrict(t)
	low, err := d.hub.LowStock(ctx, hub.DistrictScope(), "", hubtest.Start.Location())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range low {
		got = append(got, fmt.Sprintf("%s %s %d/%d", l.Center.ID, l.Item.Name, l.Qty, l.Given))
	}
	// 大米 and B's 食用油: 5 or fewer left; 牙刷: 20 left, 50 given out
	// in a month, so gone in less than two weeks; A's 食用油 (49, 1 given)
	// is fine.
	if want := "[A 大米 2/1 A 牙刷 20/50 B 食用油 3/1]"; fmt.Sprint(got) != want {
		t.Errorf("low stock %v, want %s", got, want)
	}
	if low, err := d.hub.LowStock(ctx, hub.CenterScope("B"), "", hubtest.Start.Location()); err != nil || len(low) != 1 || low[0].Center.ID != "B" {
		t.Errorf("low stock as B's user: %+v, %v", low, err)
	}
	if _, err := d.hub.LowStock(ctx, hub.CenterScope("B"), "A", hubtest.Start.Location()); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("A's low stock as B's user: %v, want ErrNotFound", err)
	}
	// A month on, nothing was given out: 牙刷's 20 last.
	d.clk.Advance(31 * 24 * time.Hour)
	if low, err := d.hub.LowStock(ctx, hub.CenterScope("A"), "", hubtest.Start.Location()); err != nil || fmt.Sprint(len(low)) != "1" || low[0].Item.Name != "大米" {
		t.Errorf("A's low stock a month on: %+v, %v", low, err)
	}
}

func TestFlagsByCenterAndResolved(t *testing.T) {
	d := newDistrict(t)
	// Four days on, only A's kiosk synced: B's is stale.
	d.clk.Advance(4 * 24 * time.Hour)
	d.pushOK(d.ka)
	kinds := func(fs []hub.CenterFlag) string {
		var out []string
		for _, f := range fs {
			out = append(out, fmt.Sprintf("%s@%s", f.Kind, f.Center))
		}
		return fmt.Sprint(out)
	}
	all, err := d.hub.OpenFlags(ctx, hub.DistrictScope(), "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := kinds(all), "[long-shift@A double-spend@ not-synced@B]"; got != want {
		t.Fatalf("the district's open flags %s, want %s", got, want)
	}
	for _, c := range []struct {
		scope  hub.Scope
		center string
		want   string
	}{
		{hub.CenterScope("A"), "", "[long-shift@A]"},
		{hub.CenterScope("B"), "", "[not-synced@B]"},
		{hub.DistrictScope(), "B", "[not-synced@B]"},
		{hub.Scope{}, "", "[]"},
	} {
		fs, err := d.hub.OpenFlags(ctx, c.scope, c.center)
		if got := kinds(fs); err != nil || got != c.want {
			t.Errorf("open flags of %+v %q: %s, %v; want %s", c.scope, c.center, got, err, c.want)
		}
	}
	if _, err := d.hub.OpenFlags(ctx, hub.CenterScope("A"), "B"); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("B's flags as A's user: %v, want ErrNotFound", err)
	}

	long, spend := all[0], all[1]
	liu := hub.Actor{User: "刘芳", Addr: "10.0.0.7"}
	// A's user cannot resolve the district's flag, nor one with no note.
	if _, err := d.hub.ResolveFlag(ctx, hub.CenterScope("A"), liu, spend.ID, "看过了"); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("the district's flag resolved by A's user: %v, want ErrNotFound", err)
	}
	if _, err := d.hub.ResolveFlag(ctx, hub.CenterScope("A"), liu, long.ID, "  "); err == nil {
		t.Error("a flag resolved without a note")
	}
	if _, err := d.hub.ResolveFlag(ctx, hub.CenterScope("A"), liu, 999, "看过了"); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("a flag not there: %v, want ErrNotFound", err)
	}
	f, err := d.hub.ResolveFlag(ctx, hub.CenterScope("A"), liu, long.ID, " 已核实：志愿者忘记签退，按 100 分钟计。 ")
	if err != nil {
		t.Fatal(err)
	}
	if f.ResolvedBy != "刘芳" || !f.Resolved.Equal(d.clk.Now()) || f.Center != "A" {
		t.Errorf("the resolved flag %+v", f)
	}
	log, err := d.hub.AuditLog(ctx, hub.DistrictScope(), hub.AuditQuery{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := hub.AuditEntry{ID: log[0].ID, At: d.clk.Now().UTC(), Actor: "刘芳", Addr: "10.0.0.7", Action: hub.AuditFlagResolve, Center: "A",
		Subject: fmt.Sprintf("#%d long-shift %s", long.ID, long.Subject), Detail: "已核实：志愿者忘记签退，按 100 分钟计。"}
	if log[0] != want {
		t.Errorf("audit %+v\nwant  %+v", log[0], want)
	}
	if _, err := d.hub.ResolveFlag(ctx, hub.CenterScope("A"), liu, long.ID, "again"); !errors.Is(err, hub.ErrFlagResolved) {
		t.Errorf("a flag resolved twice: %v, want ErrFlagResolved", err)
	}
	if _, err := d.hub.ResolveFlag(ctx, hub.DistrictScope(), hub.Actor{User: "王芳"}, spend.ID, "已联系本人"); err != nil {
		t.Errorf("the district's flag by the district: %v", err)
	}
	if fs, _ := d.hub.OpenFlags(ctx, hub.DistrictScope(), ""); kinds(fs) != "[not-synced@B]" {
		t.Errorf("open flags after two were resolved: %s", kinds(fs))
	}
}

func TestFlagCenters(t *testing.T) {
	d := newDistrict(t)
	act := d.bianmin
	// Flags of every shape of subject, raised as the sync raises them.
	err := d.store.Update(ctx, func(tx hub.Tx) error {
		for _, f := range []hub.Flag{
			{Kind: hub.FlagFork, Subject: "KB"},
			{Kind: hub.FlagChain, Subject: "gone"},
			{Kind: hub.FlagConflict, Subject: fmt.Sprintf("activity %d name", act)},
			{Kind: hub.FlagConflict, Subject: "staff card 5AF00001 of B"},
			{Kind: hub.FlagConflict, Subject: "C0000001"},
			{Kind: hub.FlagClone, Subject: "C0000002"},
			{Kind: hub.FlagLongShift, Subject: "not an id"},
		} {
			f.Detail, f.At = "d", hubtest.Start
			if _, err := tx.AddFlag(f); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := d.hub.OpenFlags(ctx, hub.DistrictScope(), "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, fmt.Sprintf("%s %s@%s", f.Kind, f.Subject, f.Center))
	}
	want := []string{
		"long-shift " + d.ka.Entries()[1].Shift.String() + "@A",
		fmt.Sprintf("double-spend %d@", d.p3.ID),
		"fork KB@B",
		"chain gone@",
		fmt.Sprintf("conflict activity %d name@A", act),
		"conflict staff card 5AF00001 of B@B",
		"conflict C0000001@",
		"card-clone C0000002@",
		"long-shift not an id@",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("flags' centers:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestKioskHealth(t *testing.T) {
	d := newDistrict(t)
	kc := d.kiosk("KC", "A")
	if err := d.hub.RevokeKiosk(ctx, kc.Terminal); err != nil {
		t.Fatal(err)
	}
	d.clk.Advance(4 * 24 * time.Hour)
	d.pushOK(d.ka)
	hs, err := d.hub.KioskHealth(ctx, hub.DistrictScope(), "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hs {
		got = append(got, fmt.Sprintf("%s %s %s %s", h.Terminal, h.CenterName, h.Health, h.Age))
	}
	// The longest without a sync first, the revoked last.
	if want := "[KB 小黄庄党群服务中心 stale 96h0m0s KA 和平里党群服务中心 ok 0s KC 和平里党群服务中心 revoked 96h0m0s]"; fmt.Sprint(got) != want {
		t.Errorf("kiosks %v\nwant %s", got, want)
	}
	if hs, err := d.hub.KioskHealth(ctx, hub.CenterScope("A"), ""); err != nil || len(hs) != 2 || hs[0].Terminal != "KA" {
		t.Errorf("A's kiosks as A's user: %+v, %v", hs, err)
	}
	if _, err := d.hub.KioskHealth(ctx, hub.CenterScope("A"), "B"); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("B's kiosks as A's user: %v, want ErrNotFound", err)
	}
}

// TestDashboardSumsFollowTheSync: the sums the hub keeps are the store's
// after every sync and merge: a month read before new entries came into
// it, or before two of its volunteers were merged into one, is read
// again; the months no entry came into stay as they were.
func TestDashboardSumsFollowTheSync(t *testing.T) {
	d := newDistrict(t)
	scope := hub.DistrictScope()
	april := hub.Selection{Month: time.Date(2026, 4, 15, 0, 0, 0, 0, hubtest.Start.Location())}
	trend := func() string {
		t.Helper()
		ts, err := d.hub.Trend(ctx, scope, april, 3)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range ts {
			out = append(out, fmt.Sprintf("%d/%d/%d", m.Volunteers, m.Shifts, m.Minutes))
		}
		return fmt.Sprint(out)
	}
	month := func() string {
		t.Helper()
		r, err := d.hub.MonthReport(ctx, scope, march())
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%+v %d", r.Total, len(r.ByActivity))
	}
	top := func() string {
		t.Helper()
		roll, err := d.hub.HonourRoll(ctx, scope, march(), 1)
		if err != nil || len(roll) != 1 {
			t.Fatalf("honour roll %+v, %v", roll, err)
		}
		return fmt.Sprintf("%s %d", roll[0].Person.Name, roll[0].Minutes)
	}
	if got := trend(); got != "[0/0/0 3/5/360 0/0/0]" {
		t.Fatalf("trend %s", got)
	}
	before := month()
	if got := top(); got != "王堃 240" {
		t.Fatalf("top %s", got)
	}
	// Read again, the same.
	if got := trend(); got != "[0/0/0 3/5/360 0/0/0]" || month() != before || top() != "王堃 240" {
		t.Fatalf("read again: %s, %s, %s", got, month(), top())
	}
	// April: a shift synced now; and a kiosk's shift of March 20 synced
	// late, long enough to top the roll.
	d.clk.Set(time.Date(2026, 4, 2, 9, 0, 0, 0, hubtest.Start.Location()))
	d.ka.Earn(d.p3.ID, "C0000003", d.huanjing, 30, 15)
	late := time.Date(2026, 3, 20, 9, 0, 0, 0, hubtest.Start.Location())
	in := d.kb.Append(record.Entry{Kind: record.KindCheckIn, Person: d.p2.ID, Card: "C0000002", Activity: d.zhulao, At: late})
	d.kb.Append(record.Entry{Kind: record.KindCheckOut, Person: d.p2.ID, Card: "C0000002", Activity: d.zhulao, Shift: in.ID,
		Minutes: 300, Points: 150, At: late.Add(5 * time.Hour)})
	d.pushOK(d.ka)
	d.pushOK(d.kb)
	if got := trend(); got != "[0/0/0 3/6/660 1/1/30]" {
		t.Errorf("trend after the sync %s, want [0/0/0 3/6/660 1/1/30]", got)
	}
	if got := month(); got == before || !strings.HasPrefix(got, "{Volunteers:3 Shifts:6 Minutes:660 ") {
		t.Errorf("March after the sync: %s", got)
	}
	if got := top(); got != "李娜 360" {
		t.Errorf("the top after the sync: %s, want 李娜 360", got)
	}
	// 张伟 merged into 李娜: March has two volunteers.
	if err := d.hub.MergePerson(ctx, d.p3.ID, d.p2.ID, "test"); err != nil {
		t.Fatal(err)
	}
	if got := trend(); got != "[0/0/0 2/6/660 1/1/30]" {
		t.Errorf("trend after the merge %s, want [0/0/0 2/6/660 1/1/30]", got)
	}
	if got := top(); got != "李娜 420" {
		t.Errorf("the top after the merge: %s, want 李娜 420", got)
	}
}

// TestKeptSumsAreTheStores: the sums the hub keeps and adds each sync's
// entries and merges to are the store's: after rounds of every kind of
// entry (reversals, adjustments, expiries, restocks, late ones in earlier
// months) at both centers and merges, every read of a hub that kept its
// sums is a fresh hub's on the same store.
func TestKeptSumsAreTheStores(t *testing.T) {
	d := newDistrict(t)
	fresh := func() *hub.Hub {
		h, err := hub.Open(ctx, d.dir, hub.Options{Store: d.store, Clock: d.clk, PIN: cheapPIN, Password: cheapPIN,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		return h // not closed: it would close the store
	}
	loc := hubtest.Start.Location()
	reads := func(h *hub.Hub) string {
		t.Helper()
		var out []string
		for _, scope := range []hub.Scope{hub.DistrictScope(), hub.CenterScope("B")} {
			for _, month := range []time.Time{time.Date(2026, 2, 1, 0, 0, 0, 0, loc), time.Date(2026, 3, 1, 0, 0, 0, 0, loc)} {
				sel := hub.Selection{Month: month}
				r, err := h.MonthReport(ctx, scope, sel)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, fmt.Sprintf("%+v %+v %+v %+v", r.Total, r.ByCenter, r.ByActivity, r.ByItem))
				tr, err := h.Trend(ctx, scope, sel, 3)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, fmt.Sprintf("%+v", tr))
				roll, err := h.HonourRoll(ctx, scope, sel, 3)
				if err != nil {
					t.Fatal(err)
				}
				for _, h := range roll {
					out = append(out, fmt.Sprintf("%d %d %+v", h.Rank, h.Person.ID, h.VolunteerTally))
				}
			}
			low, err := h.LowStock(ctx, scope, "", loc)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%+v", low))
		}
		return strings.Join(out, "\n")
	}
	kept := d.hub
	if got, want := reads(kept), reads(fresh()); got != want {
		t.Fatalf("first reads differ:\n%s\nfresh:\n%s", got, want)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	people := []hub.Person{d.p1, d.p2, d.p3}
	for i := range 6 {
		people = append(people, d.person(fmt.Sprintf("HPL1%04d", i), fmt.Sprintf("志愿者%d", i), record.CardUID(fmt.Sprintf("D%07X", i))))
	}
	for round := range 8 {
		d.clk.Advance(17 * time.Hour)
		for _, k := range []*hubtest.Kiosk{d.ka, d.kb} {
			act := d.bianmin
			if k == d.kb {
				act = d.zhulao
			}
			for range 12 {
				p := people[rng.IntN(len(people))]
				card := record.CardUID(fmt.Sprintf("X%07X", p.ID%0xfffffff))
				// Some late: a kiosk's entries of February.
				var at time.Time
				if rng.IntN(4) == 0 {
					at = time.Date(2026, 2, 1+rng.IntN(27), 10, 0, 0, 0, loc)
				}
				switch rng.IntN(7) {
				case 0, 1, 2:
					in := k.Append(record.Entry{Kind: record.KindCheckIn, Person: p.ID, Card: card, Activity: act, At: at})
					out := k.Append(record.Entry{Kind: record.KindCheckOut, Person: p.ID, Card: card, Activity: act, Shift: in.ID,
						Minutes: int64(15 * (1 + rng.IntN(8))), Points: int64(rng.IntN(40)), At: at})
					if rng.IntN(3) == 0 {
						k.Append(record.Entry{Kind: record.KindReverse, Person: p.ID, Card: card, Activity: act, Shift: in.ID,
							Minutes: -out.Minutes, Points: -out.Points, Reverses: out.ID, Operator: "5AF00001", Reason: "r"})
					}
				case 3:
					red := k.Append(record.Entry{Kind: record.KindRedeem, Person: p.ID, Card: card, Item: d.oil, Stock: -1, Points: -25, At: at})
					if rng.IntN(2) == 0 {
						k.Append(record.Entry{Kind: record.KindReverse, Person: p.ID, Card: card, Item: d.oil, Stock: 1, Points: 25,
							Reverses: red.ID, Operator: "5AF00001", Reason: "r"})
					}
				case 4:
					k.Append(record.Entry{Kind: record.KindAdjust, Person: p.ID, Card: card, Minutes: int64(rng.IntN(60)), Points: int64(rng.IntN(9)),
						Operator: "5AF00001", Reason: "补录", At: at})
				case 5:
					k.Append(record.Entry{Kind: record.KindExpire, Person: p.ID, Points: -int64(1 + rng.IntN(5)), At: at})
				case 6:
					rs := k.Append(record.Entry{Kind: record.KindRestock, Item: d.rice, Stock: 10, Operator: "5AF00001"})
					k.Append(record.Entry{Kind: record.KindReverse, Item: d.rice, Stock: -10, Reverses: rs.ID, Operator: "5AF00001", Reason: "r"})
				}
			}
			d.push(k)
		}
		if round%3 == 2 {
			// Two people merged: one of them often served beside the other.
			from := people[len(people)-1]
			people = people[:len(people)-1]
			if err := d.hub.MergePerson(ctx, from.ID, people[rng.IntN(len(people))].ID, "test"); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := reads(kept), reads(fresh()); got != want {
			t.Fatalf("round %d: the kept sums differ from the store's:\n%s\nfresh:\n%s", round, got, want)
		}
	}
}

// TestKeptSumsWhileSyncing: reads of the dashboard beside kiosks' pushes
// and a merge (run with -race) end with the store's sums.
func TestKeptSumsWhileSyncing(t *testing.T) {
	d := newDistrict(t)
	loc := hubtest.Start.Location()
	sel := hub.Selection{Month: time.Date(2026, 3, 1, 0, 0, 0, 0, loc)}
	read := func(h *hub.Hub) (string, error) {
		r, err := h.MonthReport(ctx, hub.DistrictScope(), sel)
		if err != nil {
			return "", err
		}
		tr, err := h.Trend(ctx, hub.DistrictScope(), sel, 2)
		if err != nil {
			return "", err
		}
		roll, err := h.HonourRoll(ctx, hub.DistrictScope(), sel, 5)
		return fmt.Sprintf("%+v %+v %+v %+v", r.Total, r.ByActivity, tr, roll), err
	}
	stop := make(chan struct{})
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			for {
				select {
				case <-stop:
					errs <- nil
					return
				default:
				}
				if _, err := read(d.hub); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := range 8 {
		d.clk.Advance(time.Hour)
		d.ka.Earn(d.p2.ID, "C0000002", d.bianmin, 30, 15)
		d.kb.Earn(d.p3.ID, "C0000003", d.zhulao, 45, 20)
		d.pushOK(d.ka)
		d.pushOK(d.kb)
		if i == 4 {
			if err := d.hub.MergePerson(ctx, d.p3.ID, d.p2.ID, "test"); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(stop)
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	fresh, err := hub.Open(ctx, d.dir, hub.Options{Store: d.store, Clock: d.clk, PIN: cheapPIN, Password: cheapPIN,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	got, err := read(d.hub)
	if err != nil {
		t.Fatal(err)
	}
	want, err := read(fresh)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("after the syncs the kept sums are\n%s\nthe store's\n%s", got, want)
	}
}
