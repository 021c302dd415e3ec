package ui

import (
	"context"
	"fmt"
	"regexp"
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
		tp.press("取消")
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
