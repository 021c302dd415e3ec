package ui

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/hongmajia/hongmajia/assets"
	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/kiosk"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

// englishWord is a run of three or more Latin letters with a lowercase one:
// English where Chinese belongs (UIDs and fault codes are upper case).
var englishWord = regexp.MustCompile(`[A-Za-z]*[a-z][A-Za-z]*`)

// devicePath is a file name on screen (a reader's /dev/spidev0.0): data, not
// words.
var devicePath = regexp.MustCompile(`/[A-Za-z0-9._/:-]+`)

// missingKey is the catalog's form for a key it does not have.
var missingKey = regexp.MustCompile(`\[[a-z]+\.[a-z_.]+\]`)

// screenTextProblems says what is wrong with a text on screen: a Go format
// verb or its error (%!d(MISSING)), a catalog key not found, English words.
func screenTextProblems(s string) []string {
	var out []string
	for _, bad := range []string{"%!", "%s", "%d", "%v", "%q", "(MISSING)", "(EXTRA"} {
		if strings.Contains(s, bad) {
			out = append(out, "format verb "+bad)
		}
	}
	if k := missingKey.FindString(s); k != "" {
		out = append(out, "missing catalog key "+k)
	}
	for _, w := range englishWord.FindAllString(devicePath.ReplaceAllString(s, ""), -1) {
		if len(w) >= 3 {
			out = append(out, "English word "+w)
		}
	}
	return out
}

func TestScreenTextProblemsFindsThem(t *testing.T) {
	for _, bad := range []string{"本次服务 %!s(kiosk.Minutes=67)", "获得 %d 积分", "%!d(MISSING)", "[checkout.done]",
		"Please tap your card", "reader: mfrc522 ok", "兑换 %v"} {
		if len(screenTextProblems(bad)) == 0 {
			t.Errorf("%q passes", bad)
		}
	}
	for _, good := range []string{"本次服务 1小时7分钟", "读到卡号 04A1B2C3", "故障代码 E-DB-CORRUPT", "获得 15 积分，现有 15 积分",
		"50%", "大米 5 公斤", "2026年11月25日 星期三 09:41", "演示：按 1–9 刷卡"} {
		if p := screenTextProblems(good); len(p) > 0 {
			t.Errorf("%q: %v", good, p)
		}
	}
}

// TestNoScreenShowsAFormatVerb: no text of any screenshot case (every scene
// of the core, at every size) shows a Go format verb, a missing catalog key
// or English words.
func TestNoScreenShowsAFormatVerb(t *testing.T) {
	waitScreens(t)
	for _, sh := range results.shots {
		for _, text := range sh.frame.Texts() {
			for _, p := range screenTextProblems(text) {
				t.Errorf("%s-%dx%d: %q: %s", sh.name, sh.size[0], sh.size[1], text, p)
			}
		}
	}
}

// TestResultsCarryAMark: a success, a refusal and an attention result show
// their mark (✓, ✗, !) as well as their colour, drawn, with the sign in the
// banner's colour on a white disc.
func TestResultsCarryAMark(t *testing.T) {
	waitScreens(t)
	seen := map[Mark]bool{}
	for _, sh := range results.shots {
		if strings.HasPrefix(sh.name, "countdown-") {
			continue // the countdown's band covers the banner
		}
		var tone Tone
		switch sc := sceneOf(sh.name).(type) {
		case *ResultScene:
			tone = sc.Tone
		case *PickupScene:
			tone = Success
		default:
			continue
		}
		marks := sh.frame.Marks()
		if want := tone.Mark(); want != NoMark && (len(marks) != 1 || marks[0] != want) {
			t.Errorf("%s-%dx%d: a %v result with marks %v, want %v", sh.name, sh.size[0], sh.size[1], tone, marks, want)
		}
		for _, it := range sh.frame.Items {
			if it.Kind != MarkItem {
				continue
			}
			seen[it.Mark] = true
			area := it.Rect.W * it.Rect.H
			if n := inkOf(sh.img, it.Rect, it.Fill); float64(n) < 0.35*area {
				t.Errorf("%s-%dx%d: mark %v: %d disc pixels in %v", sh.name, sh.size[0], sh.size[1], it.Mark, n, it.Rect)
			}
			if n := inkOf(sh.img, it.Rect.Inset(it.Rect.W/6), it.Border); float64(n) < 0.05*area {
				t.Errorf("%s-%dx%d: mark %v: %d sign pixels in %v", sh.name, sh.size[0], sh.size[1], it.Mark, n, it.Rect)
			}
		}
	}
	for _, m := range []Mark{MarkCheck, MarkCross, MarkAttention} {
		if !seen[m] {
			t.Errorf("no screenshot shows the mark %v", m)
		}
	}
}

func sceneOf(name string) Scene {
	for _, c := range sceneCases(ChineseStrings()) {
		if c.name == name {
			if w, ok := c.scene.(*withCountdown); ok {
				return w.Scene
			}
			return c.scene
		}
	}
	return nil
}

// TestCheckOutWords: the look before a check-out says the rounding plainly,
// the daily cap and a flagged duration; the result of one that credited
// nothing is no success.
func TestCheckOutWords(t *testing.T) {
	s := ChineseStrings()
	texts := func(v kiosk.View) (string, Tone) {
		sc := ScreenFor(s, v, cst, nil)
		b := NewBuilder(NewLayout(1024, 600, DefaultLayoutOpts), s, fakeFonts{}, testNow)
		sc.Build(b)
		tone := Neutral
		if r, ok := sc.(*ResultScene); ok {
			tone = r.Tone
		}
		return strings.Join(b.Frame().Texts(), "|"), tone
	}
	for _, tc := range []struct {
		name  string
		scene kiosk.Scene
		co    kiosk.CheckOutView
		want  []string
		tone  Tone
	}{
		{"rounded", kiosk.SceneCheckOutConfirm, kiosk.CheckOutView{Duration: 104 * time.Minute, Minutes: 90, Points: 15, Round: 15},
			[]string{"现在签退吗？", "已服务 1小时44分钟", "按每 15 分钟计，记 1小时30分钟", "可得 15 积分", "签退", "返回"}, Neutral},
		{"too short", kiosk.SceneCheckOutConfirm, kiosk.CheckOutView{Duration: 11 * time.Minute, Round: 15, Min: 15, Note: "checkout.too_short"},
			[]string{"已服务 11 分钟", "不满 15 分钟，不计时长和积分", "再服务 4 分钟即可计时", "继续服务", "签退"}, Neutral},
		{"done at", kiosk.SceneCheckOutDone, kiosk.CheckOutView{Activity: "助老服务", Duration: time.Hour, Minutes: 60, Points: 10,
			At: time.Date(2026, 11, 25, 3, 21, 0, 0, time.UTC)}, []string{"助老服务 · 11:21 签退", "本次服务 1小时"}, Success},
		{"not rounded", kiosk.SceneCheckOutConfirm, kiosk.CheckOutView{Duration: 47 * time.Minute, Minutes: 47, Points: 7},
			[]string{"已服务 47 分钟", "记 47 分钟", "可得 7 积分"}, Neutral},
		{"capped", kiosk.SceneCheckOutConfirm, kiosk.CheckOutView{Duration: 3 * time.Hour, Minutes: 60, Points: 10, Round: 15, DailyCap: 480, Note: "checkout.capped"},
			[]string{"按每 15 分钟计，记 1小时", "已达今日上限 8小时", "可得 10 积分"}, Neutral},
		{"flagged", kiosk.SceneCheckOutDone, kiosk.CheckOutView{Duration: 26 * time.Hour, Note: "checkout.flagged"},
			[]string{"已签退，时长待核对", "时长异常，交工作人员核对", "现有 0 积分"}, Attention},
		{"capped to nothing", kiosk.SceneCheckOutDone, kiosk.CheckOutView{Duration: time.Hour, Round: 15, DailyCap: 480, Note: "checkout.capped"},
			[]string{"已签退，未计时长", "已达今日上限 8小时"}, Attention},
		{"credited", kiosk.SceneCheckOutDone, kiosk.CheckOutView{Duration: time.Hour, Minutes: 60, Points: 10, Balance: ledger.Balance{Points: 30}},
			[]string{"签退成功", "本次服务 1小时", "记 1小时", "获得 10 积分，现有 30 积分"}, Success},
	} {
		got, tone := texts(kiosk.View{Scene: tc.scene, CheckOut: tc.co})
		for _, w := range tc.want {
			if !strings.Contains("|"+got+"|", "|"+w+"|") {
				t.Errorf("%s: no line %q in %s", tc.name, w, got)
			}
		}
		if tone != tc.tone {
			t.Errorf("%s: tone %v, want %v", tc.name, tone, tc.tone)
		}
	}
}

// TestIdleActivitiesTurnPages: today's activities that do not fit are
// shown a page at a time, turning every IdlePageEvery: over the pages every
// one is shown, and the scene asks to be redrawn when the page turns.
func TestIdleActivitiesTurnPages(t *testing.T) {
	s := ChineseStrings()
	var acts []ledger.Activity
	for i := range 13 {
		acts = append(acts, ledger.Activity{Name: "活动" + itoa(i+1), Schedule: record.Schedule{Start: "08:00", End: "09:00"}, Active: true})
	}
	for _, size := range testSizes {
		l := NewLayout(size[0], size[1], DefaultLayoutOpts)
		sc := &IdleScene{View: kiosk.View{Scene: kiosk.SceneIdle, Center: "和平里街道党群服务中心", Idle: kiosk.IdleView{Activities: acts}}}
		shown := map[string]bool{}
		now := idlePageStart(testNow)
		for range 8 {
			b := NewBuilder(l, s, fakeFonts{}, now)
			sc.Build(b)
			f := b.Frame()
			if len(f.Overflows) > 0 {
				t.Fatalf("%v: overflows %q", size, f.Overflows)
			}
			if sc.pages < 2 {
				t.Fatalf("%v: 13 activities on %d pages", size, sc.pages)
			}
			if _, ok := f.Find(s.F("idle.activities_page", idlePage(now, sc.pages)+1, sc.pages)); !ok {
				t.Errorf("%v: the heading does not say the page: %q", size, f.Texts())
			}
			for _, text := range f.Texts() {
				if strings.HasPrefix(text, "活动") {
					shown[text] = true
				}
			}
			// The next page, or the clock's next minute if sooner.
			if next, want := sc.NextChange(now), earlier(nextMinute(now), now.Add(IdlePageEvery)); !next.Equal(want) {
				t.Fatalf("%v: next change %v, want %v", size, next, want)
			}
			now = now.Add(IdlePageEvery)
		}
		if len(shown) != len(acts) {
			t.Errorf("%v: %d of %d activities shown over the pages", size, len(shown), len(acts))
		}
	}
	// What fits turns no page: the idle scene wakes once a minute.
	few := &IdleScene{View: kiosk.View{Scene: kiosk.SceneIdle, Idle: kiosk.IdleView{Activities: acts[:2]}}}
	few.Build(NewBuilder(NewLayout(800, 480, DefaultLayoutOpts), s, fakeFonts{}, testNow))
	if next := few.NextChange(testNow.Add(time.Second)); !next.Equal(testNow.Add(time.Minute)) {
		t.Errorf("two activities: next change %v", next)
	}
}

// TestCountdownBeforeIdle: the Manager counts the last seconds before the
// session returns to idle, each second, in the header where the clock was
// (the person's name stays), and a touch that moves the return away takes
// it off.
func TestCountdownBeforeIdle(t *testing.T) {
	waitScreens(t)
	clk := &fakeClock{now: testNow}
	person := kiosk.View{Scene: kiosk.ScenePerson, Person: kiosk.PersonView{Name: "陈赟", Points: 120}}
	m := NewManager(results.fonts, ChineseStrings(), ScreenFor(ChineseStrings(), person, cst, nil), ManagerOpts{
		Clock: clk, Wake: func() {}, Poll: func(bool) {}, Pointer: func() Pointer { return Pointer{} }})
	m.Layout(1024, 600)
	ret := testNow.Add(25 * time.Second)
	m.SetReturnAt(ret)
	shows := func(want string) {
		t.Helper()
		if err := m.Update(); err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, text := range m.Frame().Texts() {
			if strings.Contains(text, "秒后返回首页") {
				got = text
			}
		}
		if got != want {
			t.Fatalf("at %v before the return: countdown %q, want %q", ret.Sub(clk.Now()), got, want)
		}
	}
	shows("")
	if !m.next.Equal(ret.Add(-kiosk.CountdownFrom)) {
		t.Fatalf("next change %v, want when the countdown starts", m.next.Sub(testNow))
	}
	clk.Set(ret.Add(-kiosk.CountdownFrom))
	shows("10 秒后返回首页，轻触屏幕继续")
	if _, ok := m.Frame().Find("陈赟"); !ok {
		t.Error("the countdown took the person's name off the header")
	}
	if !hasAction(m.Frame(), Act(kiosk.ActCheckIn)) {
		t.Error("the countdown took the buttons away")
	}
	clk.Set(ret.Add(-8500 * time.Millisecond))
	shows("9 秒后返回首页，轻触屏幕继续")
	if !m.next.Equal(ret.Add(-8 * time.Second)) {
		t.Errorf("next change %v before the return, want 8 s", ret.Sub(m.next))
	}
	m.SetReturnAt(clk.Now().Add(30 * time.Second)) // a touch
	shows("")
}

// TestCountdownCoversNothing: the countdown of a session's last seconds
// takes a place of its own on every screen of a session, at every size:
// the clock's in a header, a band over a banner or at the top of a scene
// without either. It covers no button, no text and no mark, and every word
// of the screen without it (the person's name, the result's header) is
// still on the screen with it.
func TestCountdownCoversNothing(t *testing.T) {
	s := ChineseStrings()
	const secs = 10
	msg := s.F("countdown.return", secs)
	if !strings.Contains(msg, "轻触屏幕继续") {
		t.Errorf("the countdown %q does not say how to stay", msg)
	}
	squeeze := strings.NewReplacer(" ", "", "\n", "")
	for _, size := range testSizes {
		l := NewLayout(size[0], size[1], DefaultLayoutOpts)
		for _, c := range sceneCases(s) {
			if c.view.Scene == kiosk.SceneIdle || c.view.Scene == kiosk.SceneTechnician {
				continue // no session: no countdown
			}
			sc := c.scene
			if w, ok := sc.(*withCountdown); ok {
				sc = w.Scene
			}
			where := fmt.Sprintf("%s-%dx%d", c.name, size[0], size[1])
			plain := NewBuilder(l, s, fakeFonts{}, c.now.In(cst))
			build(sc, plain, 0)
			b := NewBuilder(l, s, fakeFonts{}, c.now.In(cst))
			build(sc, b, secs)
			f := b.Frame()
			checkFrame(t, where, l, &f)
			if len(f.Overflows) > 0 {
				t.Errorf("%s: with the countdown, text does not fit: %q", where, f.Overflows)
			}
			cd, ok := f.Find(msg)
			if !ok {
				t.Errorf("%s: no countdown in %q", where, f.Texts())
				continue
			}
			var band Rect
			for _, it := range f.Items {
				if it.Kind == FillItem && it.Fill == colCountdown && it.Rect.Contains(cd.Rect.X+cd.Rect.W/2, cd.Rect.Y+cd.Rect.H/2) {
					band = it.Rect
				}
			}
			if band.W == 0 {
				t.Errorf("%s: the countdown has no ground", where)
			}
			for i, r := range f.Targets {
				if r.Overlaps(band) {
					t.Errorf("%s: button %v under the countdown", where, f.Actions[i])
				}
			}
			for _, it := range f.Items {
				if (it.Kind == TextItem && it.Text != msg && it.Text != "" || it.Kind == MarkItem) && it.Rect.Overlaps(band) {
					t.Errorf("%s: %q (mark %v) under the countdown", where, it.Text, it.Mark)
				}
			}
			all := squeeze.Replace(strings.Join(f.Texts(), ""))
			clock := ClockLine(s, c.now.In(cst))
			for _, text := range plain.Frame().Texts() {
				if text != clock && !strings.Contains(all, squeeze.Replace(text)) {
					t.Errorf("%s: %q is gone under the countdown", where, text)
				}
			}
		}
	}
}

// TestPrimaryActionLabelIsTheLargest: on the person scene, at every size,
// the label of 签到 or 签退 is clearly larger (by a quarter at least) than
// those of 兑换, 记录 and 返回.
func TestPrimaryActionLabelIsTheLargest(t *testing.T) {
	waitScreens(t)
	seen := map[[2]int]bool{}
	for _, sh := range results.shots {
		if _, ok := sceneOf(sh.name).(*PersonScene); !ok {
			continue
		}
		main, ok := sh.frame.Find("签到")
		if !ok {
			main, ok = sh.frame.Find("签退")
		}
		if !ok {
			t.Errorf("%s-%dx%d: no 签到 or 签退", sh.name, sh.size[0], sh.size[1])
			continue
		}
		seen[sh.size] = true
		for _, label := range []string{"兑换", "记录", "返回"} {
			it, ok := sh.frame.Find(label)
			if !ok || main.Style.Size < 1.25*it.Style.Size {
				t.Errorf("%s-%dx%d: %q at %v px beside %q at %v px", sh.name, sh.size[0], sh.size[1], main.Text, main.Style.Size, label, it.Style.Size)
			}
		}
	}
	if len(seen) != len(testSizes) {
		t.Errorf("person scenes seen at %v only", seen)
	}
}

// TestRefusedTiles: a catalog tile that cannot be taken carries a drawn ✗
// (a mark, not a font's glyph) on its picture, is no button, and gives its
// reason at body size at least, in bold; one that can has no ✗. When no
// item can be had, one line says so, with the reason every item shares.
func TestRefusedTiles(t *testing.T) {
	s := ChineseStrings()
	item := func(name string, refusal string, args ...any) kiosk.Choice {
		return kiosk.Choice{Label: name, Price: 200, Stock: 3, Refusal: refusal, RefusalArgs: args}
	}
	for _, size := range testSizes {
		l := NewLayout(size[0], size[1], DefaultLayoutOpts)
		frame := func(items ...kiosk.Choice) Frame {
			b := NewBuilder(l, s, fakeFonts{}, testNow)
			ScreenFor(s, kiosk.View{Scene: kiosk.SceneRedeemGrid, Person: kiosk.PersonView{Points: 120}, Choices: items}, cst, nil).Build(b)
			f := b.Frame()
			checkFrame(t, "catalog", l, &f)
			return f
		}
		f := frame(item("洗衣液", ""), item("大米", "refusal.insufficient_points", int64(80)), item("毛巾", "refusal.out_of_stock"))
		var marks []Rect
		for _, it := range f.Items {
			if it.Kind == MarkItem && it.Mark == MarkCross {
				marks = append(marks, it.Rect)
			}
		}
		if len(marks) != 2 {
			t.Errorf("%v: %d ✗ marks on 2 refused tiles", size, len(marks))
		}
		if !hasAction(f, Choose(0)) || hasAction(f, Choose(1)) || hasAction(f, Choose(2)) {
			t.Errorf("%v: buttons %v, want the first tile only", size, f.Actions)
		}
		for i, name := range []string{"大米", "毛巾"} {
			tile, _ := f.Find(name)
			if i < len(marks) && !(marks[i].X > tile.Rect.X-l.U(8) && marks[i].X < tile.Rect.X+tile.Rect.W+l.U(8)) {
				t.Errorf("%v: the ✗ at %v is not on %s's tile (%v)", size, marks[i], name, tile.Rect)
			}
		}
		for _, reason := range []string{"积分不够，", "还差 80 分", "库存不足"} {
			if it, ok := f.Find(reason); !ok || it.Style.Size < l.Body() || !it.Style.Bold {
				t.Errorf("%v: reason %q drawn %+v, want bold at body size (%v px) at least", size, reason, it.Style, l.Body())
			}
		}
		for _, none := range []string{"redeem.none_points", "redeem.none_stock", "redeem.none"} {
			if _, ok := f.Find(s.T(none)); ok {
				t.Errorf("%v: %q while 洗衣液 can be had", size, s.T(none))
			}
		}
		for _, tc := range []struct {
			items []kiosk.Choice
			want  string
		}{
			{[]kiosk.Choice{item("大米", "refusal.insufficient_points", int64(80)), item("油", "refusal.not_enough_points")}, "积分不够兑换任何物品"},
			{[]kiosk.Choice{item("毛巾", "refusal.out_of_stock"), item("油", "refusal.out_of_stock")}, "物品暂时都没有库存"},
			{[]kiosk.Choice{item("大米", "refusal.insufficient_points", int64(80)), item("毛巾", "refusal.limit_week")}, "现在没有可以兑换的物品"},
		} {
			if _, ok := frame(tc.items...).Find(tc.want); !ok {
				t.Errorf("%v: nothing can be had, and %q is not said", size, tc.want)
			}
		}
	}
}

// TestHonourRollSaysHowManyItShows: the roll shows the rows that fit; when
// that is fewer than the core gave, its title says how many (前 8 名), so
// no name is dropped unsaid.
func TestHonourRollSaysHowManyItShows(t *testing.T) {
	s := ChineseStrings()
	var roll []ledger.HonourRow
	for i := range 10 {
		roll = append(roll, ledger.HonourRow{Name: "志愿者" + itoa(i+1), Minutes: int64(1000 - 10*i)})
	}
	for _, size := range testSizes {
		for _, n := range []int{3, 10} {
			b := NewBuilder(NewLayout(size[0], size[1], DefaultLayoutOpts), s, fakeFonts{}, testNow)
			(&IdleScene{View: kiosk.View{Scene: kiosk.SceneIdle, Idle: kiosk.IdleView{Honour: roll[:n]}}}).Build(b)
			f := b.Frame()
			shown := 0
			for i := range n {
				if _, ok := f.Find(itoa(i+1) + "."); ok {
					shown++
				}
			}
			title := s.T("idle.honour_roll")
			if shown < n {
				title = s.F("idle.honour_roll_top", shown)
			}
			if _, ok := f.Find(title); !ok || shown == 0 {
				t.Errorf("%v: %d of %d rows shown, and no title %q in %q", size, shown, n, title, f.Texts())
			}
			if n == 3 && shown != 3 {
				t.Errorf("%v: %d of 3 rows shown", size, shown)
			}
			if len(f.Overflows) > 0 {
				t.Errorf("%v: overflows %q", size, f.Overflows)
			}
		}
	}
}

// TestTechnicianScreenOffersNoWayBack: the screen of a terminal that
// needs a technician says what a visitor can do, gives the code, and has
// no button: the core takes no touch there.
func TestTechnicianScreenOffersNoWayBack(t *testing.T) {
	waitScreens(t)
	n := 0
	for _, sh := range results.shots {
		if sh.name != "core-technician" {
			continue
		}
		n++
		if len(sh.frame.Targets) != 0 {
			t.Errorf("%dx%d: buttons %v", sh.size[0], sh.size[1], sh.frame.Actions)
		}
	}
	if n == 0 {
		t.Error("no technician screen")
	}
}

// TestIdleFixturesInTheCoresOrder: the idle screenshots list today's
// activities as the core sorts them: by start, 随时可签到 last.
func TestIdleFixturesInTheCoresOrder(t *testing.T) {
	for _, c := range sceneCases(ChineseStrings()) {
		if c.view.Scene != kiosk.SceneIdle {
			continue
		}
		acts := c.view.Idle.Activities
		for i := 1; i < len(acts); i++ {
			a, b := acts[i-1].Schedule.Start, acts[i].Schedule.Start
			if a == "" && b != "" || a != "" && b != "" && a > b {
				t.Errorf("%s: %s (%q) before %s (%q)", c.name, acts[i-1].Name, a, acts[i].Name, b)
			}
		}
	}
}

// TestHistoryWords: the history says each kind of entry in the screens'
// words: a change of points with its sign (the minus sign −), an expiry as
// points expired, a replaced card as 已换新卡.
func TestHistoryWords(t *testing.T) {
	s := ChineseStrings()
	for _, tc := range []struct {
		line kiosk.HistoryLine
		want string
	}{
		{kiosk.HistoryLine{Kind: record.KindAdjust, What: "更正录入错误", Points: -20}, "积分调整 −20：更正录入错误"},
		{kiosk.HistoryLine{Kind: record.KindAdjust, What: "活动奖励", Points: 120}, "积分调整 +120：活动奖励"},
		{kiosk.HistoryLine{Kind: record.KindExpire, Points: -15}, "15 积分已过期"},
		{kiosk.HistoryLine{Kind: record.KindReplaceCard}, "已换新卡"},
		{kiosk.HistoryLine{Kind: record.KindCheckOut, What: "助老服务", Minutes: 45, Points: 7}, "签退：助老服务，45 分钟，获得 7 积分"},
	} {
		if got := historyText(s, tc.line); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.line.Kind, got, tc.want)
		}
	}
	if Signed(-20) != padShown(kiosk.View{Signed: true, Negative: true, Pad: "20"}) {
		t.Errorf("the history writes %q, the pad %q: two minus signs", Signed(-20), padShown(kiosk.View{Signed: true, Negative: true, Pad: "20"}))
	}
}

// TestSoundPack: the embedded pack has a prompt for each the terminal asks
// for, small, 16 kHz mono; a pack without them leaves the tones alone.
func TestSoundPack(t *testing.T) {
	pack := assets.SoundPack()
	for _, p := range kiosk.Prompts {
		b, err := fs.ReadFile(pack, string(p)+".wav")
		if err != nil {
			t.Fatalf("prompt %s: %v", p, err)
		}
		if len(b) < 44 || string(b[:4]) != "RIFF" || string(b[12:16]) != "fmt " {
			t.Fatalf("%s.wav is not a plain WAV file", p)
		}
		channels, rate, bits := binary.LittleEndian.Uint16(b[22:24]), binary.LittleEndian.Uint32(b[24:28]), binary.LittleEndian.Uint16(b[34:36])
		if channels != 1 || rate != 16000 || bits != 16 || len(b) > 160<<10 {
			t.Errorf("%s.wav: %d channels, %d Hz, %d bits, %d bytes: want 16 kHz 16-bit mono, small", p, channels, rate, bits, len(b))
		}
	}
	prompts := LoadPrompts(pack, SampleRate)
	for _, p := range kiosk.Prompts {
		// 16 kHz mono to SampleRate stereo: about 11 times the bytes.
		n := len(prompts[p])
		if want := 0.5 * SampleRate * 4; float64(n) < want {
			t.Errorf("prompt %s decoded to %d bytes, want at least half a second", p, n)
		}
	}
	tone := ToneSamples(Success, SampleRate)
	cue := CueSamples(tone, prompts[kiosk.PromptCheckedIn], SampleRate)
	if !bytes.HasPrefix(cue, tone) || !bytes.HasSuffix(cue, prompts[kiosk.PromptCheckedIn]) || len(cue) <= len(tone)+len(prompts[kiosk.PromptCheckedIn]) {
		t.Error("a cue is not its tone, a pause and its words")
	}
	// Without a pack: the tones alone.
	none := LoadPrompts(fstest.MapFS{"checkin-done.wav": {Data: []byte("not a wav")}}, SampleRate)
	if len(none) != 0 || !bytes.Equal(CueSamples(tone, none[kiosk.PromptCheckedIn], SampleRate), tone) {
		t.Errorf("a missing or broken pack gave %d prompts", len(none))
	}
	var s *Sounds
	s.Say(Success, kiosk.PromptCheckedIn) // a nil Sounds is silent, not a crash
}

// tzChild marks the process TestScreensShowTheCentersTime runs itself in,
// with the machine's time zone set to New York.
const tzChild = "HONGMAJIA_UI_TZ_CHILD"

// TestScreensShowTheCentersTime: on a machine whose zone is not the
// center's (TZ=America/New_York; the center is in China Standard Time),
// every time and date on the visitor's screens, the header's clock
// included, is the center's. At 09:41 in the center it is 20:41 the day
// before in New York.
func TestScreensShowTheCentersTime(t *testing.T) {
	if os.Getenv(tzChild) == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestScreensShowTheCentersTime$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "TZ=America/New_York", tzChild+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("--- PASS: TestScreensShowTheCentersTime")) {
			t.Fatalf("with the machine in New York: %v\n%s", err, out)
		}
		return
	}
	if _, off := time.Date(2026, 11, 25, 0, 0, 0, 0, time.Local).Zone(); off != -5*3600 {
		t.Fatalf("time.Local is %v (offset %d): TZ=America/New_York did not take", time.Local, off)
	}
	ctx := context.Background()
	center := time.FixedZone("CST", 8*3600)
	clk := clock.NewFake(time.Date(2026, 11, 25, 9, 41, 0, 0, center).In(time.Local)) // as clock.Real gives it
	// The ledger's default zone: China Standard Time.
	led, err := ledger.Create(ctx, t.TempDir(), ledger.Terminal{Center: "C", CenterName: "和平里街道党群服务中心"},
		ledger.Options{Clock: clk, Sync: clock.NewFakeSync(true), BootID: clock.FixedBootID("t"), PIN: ledger.PINParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	if _, err := led.PutActivity(ctx, ledger.PutActivity{ID: record.NewEntryID(), Activity: ledger.Activity{Name: "助老服务", Active: true,
		Schedule: record.Schedule{Start: "08:30", End: "11:30"}, Rules: record.Rules{PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 10}}}}); err != nil {
		t.Fatal(err)
	}
	p, err := led.EnrolPerson(ctx, ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: "1", Name: "李喆", Kind: record.RedVest})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := led.BindCard(ctx, ledger.BindCard{ID: record.NewEntryID(), Person: p.ID, UID: "04A1B2C3"}); err != nil {
		t.Fatal(err)
	}
	fonts, err := LoadFonts(nil)
	if err != nil {
		t.Fatal(err)
	}
	term := kiosk.New(led, kiosk.Options{Clock: clk})
	defer term.Close()
	fe := NewFrontend(fonts, ChineseStrings(), term, FrontendOpts{Clock: clk})
	fe.mgr.opts.Pointer = func() Pointer { return Pointer{} }
	fe.mgr.opts.Poll = func(bool) {}
	fe.mgr.Layout(1024, 600)
	var seen []string
	// screen runs frames until the terminal has answered, and notes every
	// text of the frame on screen.
	screen := func() {
		t.Helper()
		for i := 0; ; i++ {
			if err := fe.mgr.Update(); err != nil {
				t.Fatal(err)
			}
			if !term.View().Busy {
				break
			}
			if i == 200 {
				t.Fatal("the terminal did not answer in 200 frames")
			}
			time.Sleep(5 * time.Millisecond)
		}
		seen = append(seen, fe.mgr.Frame().Texts()...)
	}
	press := func(k kiosk.ActionKind) { fe.action(Act(k)); screen() }

	screen()
	fe.events <- rfid.Event{Kind: rfid.EventTap, Tap: rfid.Tap{Card: rfid.Card{UID: rfid.UID{0x04, 0xA1, 0xB2, 0xC3}}, At: clk.Now()}}
	screen()
	press(kiosk.ActCheckIn)
	press(kiosk.ActConfirm)
	clk.Advance(100 * time.Minute)
	press(kiosk.ActBack)
	press(kiosk.ActCheckOut)
	press(kiosk.ActConfirm)
	press(kiosk.ActBack)
	press(kiosk.ActHistory)
	press(kiosk.ActHome)

	all := strings.Join(seen, "\n")
	for _, want := range []string{"2026年11月25日 星期三 09:41", "2026年11月25日 星期三 11:21", "签到时间 09:41", "11-25 09:41", "11-25 11:21"} {
		if !strings.Contains(all, want) {
			t.Errorf("%q is not on any screen", want)
		}
	}
	allowed := map[string]bool{"09:41": true, "11:21": true, "08:30": true, "11:30": true}
	for _, hm := range regexp.MustCompile(`\d{1,2}:\d{2}`).FindAllString(all, -1) {
		if !allowed[hm] {
			t.Errorf("the time %s is on a screen: not the center's", hm)
		}
	}
	for _, d := range regexp.MustCompile(`\d+年\d+月\d+日 星期.|\d{2}-\d{2} `).FindAllString(all, -1) {
		if d != "2026年11月25日 星期三" && d != "11-25 " {
			t.Errorf("the date %q is on a screen: not the center's", d)
		}
	}
	if t.Failed() {
		t.Logf("screens:\n%s", all)
	}
}

// TestHistoryPages: a history longer than the screen turns pages, so no
// entry is dropped; a new view of it keeps the page.
func TestHistoryPages(t *testing.T) {
	s := ChineseStrings()
	v := kiosk.View{Scene: kiosk.SceneHistory}
	for i := range 12 {
		v.History = append(v.History, kiosk.HistoryLine{Kind: record.KindRedeem, At: testNow.Add(-time.Duration(i) * time.Hour), What: "物品" + itoa(i+1), Points: -10})
	}
	h := ScreenFor(s, v, cst, nil).(*HistoryScene)
	l := NewLayout(800, 480, DefaultLayoutOpts)
	seen := map[string]bool{}
	pages := 0
	for range 12 {
		b := NewBuilder(l, s, fakeFonts{}, testNow)
		h.Build(b)
		f := b.Frame()
		if pages == 0 {
			pages = (len(v.History) + h.perPage - 1) / h.perPage
		}
		// Where the list is: 第 1/2 页.
		if _, ok := f.Find(s.F("page.of", h.Page+1, pages)); !ok || pages < 2 {
			t.Errorf("page %d of %d: no page indicator in %q", h.Page+1, pages, f.Texts())
		}
		for _, text := range f.Texts() {
			if strings.HasPrefix(text, "兑换：") {
				seen[text] = true
			}
		}
		if !hasAction(f, nextPage) {
			break
		}
		h.Handle(nextPage)
	}
	if len(seen) != len(v.History) || h.Page == 0 {
		t.Fatalf("%d of %d entries shown over %d pages", len(seen), len(v.History), h.Page+1)
	}
	if again := ScreenFor(s, v, cst, h).(*HistoryScene); again.Page != h.Page {
		t.Errorf("a new view went to page %d, want %d", again.Page, h.Page)
	}
}
