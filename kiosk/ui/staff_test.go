package ui

import (
	"context"
	"fmt"
	"image/color"
	"regexp"
	"strings"
	"testing"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/kiosk"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

// manyItems is a staff list of n catalog items as the core makes it.
func manyItems(n int) kiosk.View {
	v := kiosk.View{Scene: kiosk.SceneStaffItems, Title: kiosk.T("staff.restock")}
	for i := range n {
		v.Choices = append(v.Choices, kiosk.Choice{Label: fmt.Sprintf("物品%02d", i+1), Price: 10, Stock: int64(i), Detail: kiosk.T("redeem.stock", int64(i))})
	}
	return v
}

// TestChoiceScenePagesEveryOption: a list longer than the screen pages with
// 上一页/下一页 at 800×480; every option is offered once, none dropped, and
// the pages keep within the screen.
func TestChoiceScenePagesEveryOption(t *testing.T) {
	s := ChineseStrings()
	for _, size := range testSizes {
		l := NewLayout(size[0], size[1], DefaultLayoutOpts)
		c := ScreenFor(s, manyItems(25), cst, nil).(*ChoiceScene)
		build := func() Frame {
			b := NewBuilder(l, s, fakeFonts{}, testNow)
			c.Build(b)
			f := b.Frame()
			checkFrame(t, "many-items", l, &f)
			if len(f.Overflows) > 0 {
				t.Fatalf("%v page %d overflows: %q", size, c.Page, f.Overflows)
			}
			return f
		}
		seen := map[Action]int{}
		pages := 0
		for ; pages < 25; pages++ {
			f := build()
			for _, a := range f.Actions {
				if a.Kind == kiosk.ActChoose {
					seen[a]++
				}
			}
			if !hasAction(f, nextPage) {
				break
			}
			if !c.Handle(nextPage) {
				t.Fatal("下一页 not handled")
			}
		}
		for i := range 25 {
			if seen[Choose(i)] != 1 {
				t.Errorf("%v: item %d offered %d times over %d pages", size, i, seen[Choose(i)], pages+1)
			}
		}
		if len(seen) != 25 || pages == 0 {
			t.Errorf("%v: %d options over %d pages", size, len(seen), pages+1)
		}
		// A new view of the same list (a refusal, the ledger busy) keeps the
		// page; another list starts at the first.
		if again := ScreenFor(s, manyItems(25), cst, c).(*ChoiceScene); again.Page != c.Page {
			t.Errorf("the same list again went to page %d, want %d", again.Page, c.Page)
		}
		if other := ScreenFor(s, manyItems(24), cst, c).(*ChoiceScene); other.Page != 0 {
			t.Errorf("another list opened at page %d", other.Page)
		}
		for c.Page > 0 {
			c.Handle(prevPage)
		}
		if f := build(); !hasAction(f, Choose(0)) || hasAction(f, prevPage) {
			t.Errorf("%v: back on the first page: %v", size, f.Actions)
		}
	}
	// A list that fits has no page buttons.
	b := NewBuilder(NewLayout(800, 480, DefaultLayoutOpts), s, fakeFonts{}, testNow)
	ScreenFor(s, manyItems(3), cst, nil).Build(b)
	if f := b.Frame(); hasAction(f, nextPage) || hasAction(f, prevPage) {
		t.Error("page buttons on a list that fits")
	}
}

// TestRestockReachesEveryItem drives a real terminal through the screen at
// 800×480: with 25 items in the catalog, each is reached by 下一页 and its
// button, and the restock pad opens for it.
func TestRestockReachesEveryItem(t *testing.T) {
	waitScreens(t)
	ctx := context.Background()
	clk := clock.NewFake(testNow)
	led, err := ledger.Create(ctx, t.TempDir(), ledger.Terminal{Center: "C", CenterName: "和平里街道党群服务中心"},
		ledger.Options{Clock: clk, Sync: clock.NewFakeSync(true), BootID: clock.FixedBootID("t"), Location: cst, PIN: ledger.PINParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	staff := record.CardUID("5A5A0012")
	if _, err := led.AddStaff(ctx, ledger.AddStaff{ID: record.NewEntryID(), UID: staff, Name: "刘珺", Role: ledger.RoleStaff, PIN: "1357"}); err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		if _, err := led.PutItem(ctx, ledger.PutItem{ID: record.NewEntryID(), Item: ledger.Item{Name: fmt.Sprintf("物品%02d", i+1), Price: 10, Active: true}}); err != nil {
			t.Fatal(err)
		}
	}
	term := kiosk.New(led, kiosk.Options{Clock: clk})
	defer term.Close()
	tp := newTapper(t, term, clk)
	tp.fe.mgr.Layout(800, 480)
	tp.card(staff, clk.Now())
	for _, d := range "1357" {
		tp.press(string(d))
	}
	tp.press("确认")
	for i := range 25 {
		name := fmt.Sprintf("物品%02d", i+1)
		tp.press("补充库存")
		for turns := 0; ; turns++ {
			if _, ok := tp.fe.mgr.Frame().Find(name); ok {
				break
			}
			if turns > 25 {
				t.Fatalf("%s never shown", name)
			}
			tp.press("下一页")
		}
		tp.press(name)
		if v := term.View(); v.Scene != kiosk.SceneStaffAmount || fmt.Sprint(v.Title.Args) != "["+name+"]" {
			t.Fatalf("after %s: scene %v, title %v", name, v.Scene, v.Title)
		}
		tp.press("返回")
	}
}

// goVerb is what fmt prints for a bad or missing argument, or a verb
// left unfilled.
var goVerb = regexp.MustCompile(`%!|%[-+# 0-9.\[\]]*[vsdqxXtTfgeEcbopU]|\(MISSING\)|\(EXTRA `)

// TestStaffScreensShowNoFormatVerb: no text on any screen drawn (staff
// scenes among them: the close-shift result once read 本次服务
// %!s(kiosk.Minutes=67)) holds a Go format verb.
func TestStaffScreensShowNoFormatVerb(t *testing.T) {
	waitScreens(t)
	for _, sh := range results.shots {
		for _, text := range sh.frame.Texts() {
			if goVerb.MatchString(text) {
				t.Errorf("%s at %v: %q", sh.name, sh.size, text)
			}
		}
	}
}

// coreView is the view of the core's screenshot case name (core-…).
func coreView(t *testing.T, name string) kiosk.View {
	t.Helper()
	waitScreens(t)
	for _, c := range coreCases {
		if c.name == name {
			return c.view
		}
	}
	t.Fatalf("no core case %s", name)
	return kiosk.View{}
}

// fillOf is the fill of the button that does a.
func fillOf(f Frame, a Action) (Rect, color.RGBA, bool) {
	for i, act := range f.Actions {
		if act != a {
			continue
		}
		for _, it := range f.Items {
			if it.Kind == FillItem && it.Target == i {
				return f.Targets[i], it.Fill, true
			}
		}
	}
	return Rect{}, color.RGBA{}, false
}

// TestStaffMenuLabelsAreOneSizeOnOneLine: every entry of the staff menu is
// drawn at one size, each on one line (登记新志愿者 is not broken into 登记新志
// and 愿者), at every size, in the real fonts; its way out says 退出.
func TestStaffMenuLabelsAreOneSizeOnOneLine(t *testing.T) {
	v := coreView(t, "core-staff-menu")
	s := ChineseStrings()
	for _, size := range testSizes {
		l := NewLayout(size[0], size[1], DefaultLayoutOpts)
		b := NewBuilder(l, s, results.fonts, testNow)
		ScreenFor(s, v, cst, nil).Build(b)
		f := b.Frame()
		sizes := map[float64][]string{}
		for _, m := range v.Staff.Menu {
			label := s.T(m.Key)
			it, ok := f.Find(label)
			if !ok {
				t.Fatalf("%v: %s is not one line: %q", size, label, f.Texts())
			}
			sizes[it.Style.Size] = append(sizes[it.Style.Size], label)
		}
		if len(sizes) != 1 {
			t.Errorf("%v: the menu's labels come in %d sizes: %v", size, len(sizes), sizes)
		}
		if r, _, ok := fillOf(f, Act(kiosk.ActBack)); !ok || !hasText(f, "退出", r) {
			t.Errorf("%v: no 退出 leaving the menu: %q", size, f.Texts())
		}
	}
}

// hasText: the text is drawn as one line inside r.
func hasText(f Frame, text string, r Rect) bool {
	for _, it := range f.Items {
		if it.Kind == TextItem && it.Text == text && it.Rect.X >= r.X && it.Rect.X+it.Rect.W <= r.X+r.W+0.5 {
			return true
		}
	}
	return false
}

// TestAdjustPadSignsAreTwoButtons: the adjustment pad has 加分 and 扣分 side
// by side, the one in force filled, each setting its sign; 返回 is well
// below them, not touching.
func TestAdjustPadSignsAreTwoButtons(t *testing.T) {
	s := ChineseStrings()
	for _, size := range testSizes {
		l := NewLayout(size[0], size[1], DefaultLayoutOpts)
		for _, negative := range []bool{false, true} {
			v := kiosk.View{Scene: kiosk.SceneStaffAmount, Title: kiosk.T("staff.adjust_amount", "周玥", int64(30)), Pad: "20", Signed: true, Negative: negative}
			b := NewBuilder(l, s, fakeFonts{}, testNow)
			ScreenFor(s, v, cst, nil).Build(b)
			f := b.Frame()
			add, addFill, ok1 := fillOf(f, Act(kiosk.ActAdd))
			sub, subFill, ok2 := fillOf(f, Act(kiosk.ActSubtract))
			back, _, ok3 := fillOf(f, Act(kiosk.ActBack))
			if !ok1 || !ok2 || !ok3 || !hasText(f, "加分", add) || !hasText(f, "扣分", sub) || !hasText(f, "返回", back) {
				t.Fatalf("%v: buttons %v %v %v: %q", size, ok1, ok2, ok3, f.Texts())
			}
			primary, _, _ := Primary.colors(true)
			if (addFill == primary) == negative || (subFill == primary) != negative {
				t.Errorf("%v negative %v: 加分 filled %v, 扣分 filled %v", size, negative, addFill == primary, subFill == primary)
			}
			if add.Y != sub.Y || add.X+add.W > sub.X {
				t.Errorf("%v: 加分 %v and 扣分 %v are not side by side", size, add, sub)
			}
			if gap := back.Y - (add.Y + add.H); gap < 2*l.Gap() {
				t.Errorf("%v: %.0f px between the signs and 返回, want at least %.0f", size, gap, 2*l.Gap())
			}
			if _, ok := f.Find("「周玥」现有 30 积分，"); !ok {
				t.Errorf("%v: the heading does not break after its first clause: %q", size, f.Texts())
			}
		}
	}
}

func TestClauseBreak(t *testing.T) {
	measure := func(s string) float64 { return float64(len([]rune(s))) }
	for _, tc := range []struct {
		in   string
		w    float64
		want string
	}{
		{"绑定新卡：手机后四位或会员号", 10, "绑定新卡：\n手机后四位或会员号"},
		{"绑定新卡：手机后四位或会员号", 20, "绑定新卡：手机后四位或会员号"}, // fits
		{"「周玥」现有 30 积分，请输入要调整的积分", 14, "「周玥」现有 30 积分，\n请输入要调整的积分"},
		{"一二三四五六七八九十：后", 5, "一二三四五六七八九十：后"}, // the first clause does not fit either
		{"请输入取货码", 3, "请输入取货码"},
		{"工作人员：刘珺\n请输入密码", 3, "工作人员：刘珺\n请输入密码"},
	} {
		if got := clauseBreak(tc.in, tc.w, measure); got != tc.want {
			t.Errorf("clauseBreak(%q, %v) = %q, want %q", tc.in, tc.w, got, tc.want)
		}
	}
}

// TestHandoutsTypeCodeIsAButton: 输入取货码 is the primary button beside
// 返回, not an entry of the list of redemptions; with nothing waiting the
// list says so.
func TestHandoutsTypeCodeIsAButton(t *testing.T) {
	s := ChineseStrings()
	l := NewLayout(1024, 600, DefaultLayoutOpts)
	v := coreView(t, "core-staff-handouts")
	b := NewBuilder(l, s, fakeFonts{}, testNow)
	sc := ScreenFor(s, v, cst, nil).(*ChoiceScene)
	sc.Build(b)
	f := b.Frame()
	r, fill, ok := fillOf(f, Choose(0))
	primary, _, _ := Primary.colors(true)
	back, _, _ := fillOf(f, Act(kiosk.ActBack))
	if !ok || fill != primary || !hasText(f, "输入取货码", r) || r.Y != back.Y {
		t.Fatalf("输入取货码: %v fill %v, 返回 at %v", r, fill, back)
	}
	for _, o := range sc.Options {
		if o.Label == "输入取货码" || o.Act == Choose(0) {
			t.Fatalf("输入取货码 is among the options: %+v", sc.Options)
		}
	}
	if len(sc.Options) != len(v.Choices)-1 || sc.Options[0].Act != Choose(1) {
		t.Fatalf("options %+v for choices %+v", sc.Options, v.Choices)
	}
	v.Choices = v.Choices[:1]
	b = NewBuilder(l, s, fakeFonts{}, testNow)
	ScreenFor(s, v, cst, nil).Build(b)
	if _, ok := b.Frame().Find("今天没有待领取的兑换，可输入取货码"); !ok {
		t.Errorf("nothing waiting: %q", b.Frame().Texts())
	}
}

// TestRefusedChoiceIsNoTarget: a redemption handed out is listed for
// reversal greyed, saying why, and cannot be touched.
func TestRefusedChoiceIsNoTarget(t *testing.T) {
	s := ChineseStrings()
	v := coreView(t, "core-staff-redemptions-handed-out")
	refused := -1
	for i, c := range v.Choices {
		if c.Refusal != "" {
			refused = i
		}
	}
	if refused < 0 {
		t.Fatalf("no refused choice in %+v", v.Choices)
	}
	b := NewBuilder(NewLayout(1024, 600, DefaultLayoutOpts), s, fakeFonts{}, testNow)
	ScreenFor(s, v, cst, nil).Build(b)
	f := b.Frame()
	if hasAction(f, Choose(refused)) {
		t.Error("a handed-out redemption can be touched to reverse")
	}
	found := false
	for _, text := range f.Texts() {
		found = found || strings.HasPrefix(text, "已领取，不能撤销")
	}
	if !found {
		t.Errorf("the refused choice does not say why: %q", f.Texts())
	}
}

// TestSummarySaysEachSumApart: today's summary says the points for service
// and those adjusted by hand on lines of their own, and shifts left open on
// an earlier day apart from today's; the lines for what did not happen are
// left out.
func TestSummarySaysEachSumApart(t *testing.T) {
	s := ChineseStrings()
	text := func(sum ledger.Summary) string {
		v := kiosk.View{Scene: kiosk.SceneStaffSummary, Staff: kiosk.StaffView{Summary: sum, Unsynced: 3}}
		b := NewBuilder(NewLayout(1024, 600, DefaultLayoutOpts), s, fakeFonts{}, testNow)
		ScreenFor(s, v, cst, nil).Build(b)
		return strings.Join(b.Frame().Texts(), "|")
	}
	got := text(ledger.Summary{CheckIns: 3, CheckOuts: 2, OpenShifts: 1, OpenEarlier: 2, MinutesCredit: 90, PointsEarned: 15,
		Adjustments: 2, PointsAdjusted: -20, Redemptions: 1, PointsRedeemed: 80})
	for _, want := range []string{"今日签到 3 次，签退 2 次，1 人还未签退", "另有 2 人此前未签退", "共计服务 1小时30分钟，服务积分 15",
		"人工调整 −20 积分（2 次）", "兑换 1 次，用去 80 积分", "未同步 3 条"} {
		if !strings.Contains(got, "|"+want+"|") {
			t.Errorf("summary lacks %q: %s", want, got)
		}
	}
	got = text(ledger.Summary{CheckIns: 1, OpenShifts: 1})
	if strings.Contains(got, "另有") || strings.Contains(got, "人工调整") {
		t.Errorf("a summary with no old shifts and no adjustments: %s", got)
	}
}

// TestWalkInsAreToldApart: a walk-in is named with its short number
// wherever a name goes, so two are not the same 待补登记.
func TestWalkInsAreToldApart(t *testing.T) {
	s := ChineseStrings()
	if got := personName(s, "772601", true); got != "待补登记 772601" {
		t.Errorf("walk-in named %q", got)
	}
	if got := personName(s, "", true); got != "待补登记" {
		t.Errorf("a walk-in being registered named %q", got)
	}
	if got := personName(s, "周玥", false); got != "周玥" {
		t.Errorf("named %q", got)
	}
}
