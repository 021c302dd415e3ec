package ui

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/kiosk"
)

// fakeFonts measures like fakeMeasure, scaled by size: wide characters are
// one em, the rest half an em.
type fakeFonts struct{}

func (fakeFonts) Advance(s string, size float64, bold bool) float64 {
	return fakeMeasure(s) / 10 * size
}

func TestLayoutSizes(t *testing.T) {
	for _, tc := range []struct {
		w, h              int
		wantTargetPx      float64 // the smallest height of 15 mm
		wantBodyAtLeastPx float64
		wantUnit          float64
	}{
		// The 7" panel's 154.2×85.9 mm: 15 mm is 83.8 px down at 800×480
		// (85.9/480 mm a pixel) and 104.8 px at 1024×600.
		{1024, 600, 105, 28, 1},
		{800, 480, 84, 23, 0.78},
		// Square pixels over a 7" diagonal: 215.6 dpi.
		{1280, 800, 128, 35, 1.25},
	} {
		l := NewLayout(tc.w, tc.h, DefaultLayoutOpts)
		if math.Abs(l.Unit-tc.wantUnit) > 0.01 {
			t.Errorf("%dx%d: unit %v, want %v", tc.w, tc.h, l.Unit, tc.wantUnit)
		}
		if l.Target() != tc.wantTargetPx {
			t.Errorf("%dx%d: touch target %v px tall, want %v", tc.w, tc.h, l.Target(), tc.wantTargetPx)
		}
		if mm := l.PxToMMY(l.Target()); mm < MinTargetMM {
			t.Errorf("%dx%d: touch target %.0f px = %.2f mm tall, want at least %v mm", tc.w, tc.h, l.Target(), mm, MinTargetMM)
		}
		if mm := l.PxToMMX(l.TargetW()); mm < MinTargetMM {
			t.Errorf("%dx%d: narrowest target %.0f px = %.2f mm wide, want at least %v mm", tc.w, tc.h, l.TargetW(), mm, MinTargetMM)
		}
		if l.Body() < tc.wantBodyAtLeastPx || l.Small() < tc.wantBodyAtLeastPx-3 {
			t.Errorf("%dx%d: body %v px, small %v px", tc.w, tc.h, l.Body(), l.Small())
		}
	}
	// The pitch, measured on the panel: 800 px over 154.2 mm across, 480
	// over 85.9 mm down; MM is at least the length both ways.
	l := NewLayout(800, 480, DefaultLayoutOpts)
	if math.Abs(l.MMX(154.2)-800) > 1e-9 || math.Abs(l.MMY(85.9)-480) > 1e-9 || l.MM(15) < l.MMY(15) || l.MM(15) < l.MMX(15) {
		t.Errorf("800x480: 154.2 mm across = %v px, 85.9 mm down = %v px, 15 mm = %v px", l.MMX(154.2), l.MMY(85.9), l.MM(15))
	}
	// At 1024×600 the floor holds exactly: body ≥ 28 px, targets ≥ 15 mm.
	l = NewLayout(1024, 600, DefaultLayoutOpts)
	if l.Small() < 28 || l.Body() < 28 {
		t.Errorf("1024x600: small %v, body %v px; the floor is 28", l.Small(), l.Body())
	}
	// A configured DPI wins over the panel, a configured panel over the
	// known ones; another diagonal is square pixels.
	if l := NewLayout(1024, 600, LayoutOpts{DPI: 254}); math.Abs(l.MM(15)-150) > 1e-9 || l.Target() < 150 {
		t.Errorf("at 254 DPI 15 mm = %v px, target %v", l.MM(15), l.Target())
	}
	if l := NewLayout(800, 480, LayoutOpts{Panel: PanelSize{W: 80, H: 48}}); l.Target() != 150 {
		t.Errorf("800x480 over 80×48 mm: target %v px, want 150", l.Target())
	}
	if l := NewLayout(1024, 600, LayoutOpts{DiagonalInches: 10}); math.Abs(l.PxPerMMX-l.PxPerMMY) > 1e-9 {
		t.Errorf("a 10\" 1024×600 screen: %v×%v px/mm, want square pixels", l.PxPerMMX, l.PxPerMMY)
	}
}

func TestRectSplits(t *testing.T) {
	r := Rect{0, 0, 100, 50}
	top, rest := r.Top(20)
	if top != (Rect{0, 0, 100, 20}) || rest != (Rect{0, 20, 100, 30}) {
		t.Errorf("Top: %v %v", top, rest)
	}
	bot, rest := r.Bottom(10)
	if bot != (Rect{0, 40, 100, 10}) || rest != (Rect{0, 0, 100, 40}) {
		t.Errorf("Bottom: %v %v", bot, rest)
	}
	cells := r.Grid(2, 3, 5)
	if len(cells) != 6 || cells[5] != (Rect{70, 27.5, 30, 22.5}) {
		t.Errorf("Grid: %v", cells)
	}
	if r.Inset(30).W != 40 || r.Inset(30).H != 0 {
		t.Errorf("Inset past zero: %v", r.Inset(30))
	}
	if !r.Overlaps(Rect{99, 49, 5, 5}) || r.Overlaps(Rect{100, 0, 5, 5}) {
		t.Error("Overlaps is wrong at the edges")
	}
}

func TestTrackerFiresOnReleaseOverTheSameTarget(t *testing.T) {
	targets := []Rect{{0, 0, 100, 100}, {200, 0, 100, 100}}
	type step struct {
		p         Pointer
		wantEv    PointerEvent
		wantFired int
		wantHeld  int
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"tap", []step{{Pointer{50, 50, true}, Press, -1, 0}, {Pointer{50, 50, false}, Release, 0, -1}}},
		{"tap second", []step{{Pointer{250, 10, true}, Press, -1, 1}, {Pointer{251, 12, false}, Release, 1, -1}}},
		{"drag within", []step{{Pointer{10, 10, true}, Press, -1, 0}, {Pointer{90, 90, true}, NoEvent, -1, 0}, {Pointer{90, 90, false}, Release, 0, -1}}},
		{"slide off cancels", []step{{Pointer{50, 50, true}, Press, -1, 0}, {Pointer{150, 50, true}, NoEvent, -1, -1}, {Pointer{50, 50, false}, Release, -1, -1}}},
		{"press outside, release inside", []step{{Pointer{150, 50, true}, Press, -1, -1}, {Pointer{50, 50, false}, Release, -1, -1}}},
		{"press one, release other", []step{{Pointer{50, 50, true}, Press, -1, 0}, {Pointer{250, 50, false}, Release, -1, -1}}},
		{"hover does nothing", []step{{Pointer{50, 50, false}, NoEvent, -1, -1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := NewTracker()
			for i, s := range tc.steps {
				ev, fired := tr.Step(s.p, targets)
				if ev != s.wantEv || fired != s.wantFired || tr.Pressed() != s.wantHeld {
					t.Fatalf("step %d %+v: got %v fired %d held %d, want %v %d %d", i, s.p, ev, fired, tr.Pressed(), s.wantEv, s.wantFired, s.wantHeld)
				}
			}
		})
	}
}

func TestClockAndDurations(t *testing.T) {
	s := ChineseStrings()
	if got, want := ClockLine(s, testNow), "2026年11月25日 星期三 09:41"; got != want {
		t.Errorf("ClockLine = %q, want %q", got, want)
	}
	// One way to say a length of time on every screen (the honour roll,
	// the person's hours, a shift, a check-out, the history): hours and
	// minutes, never hours cut to a decimal (95 minutes are not 1.5小时).
	for mins, want := range map[int]string{0: "0 分钟", 45: "45 分钟", 60: "1小时", 95: "1小时35分钟", 150: "2小时30分钟",
		945: "15小时45分钟", 1515: "25小时15分钟"} {
		if got := Duration(s, mins); got != want {
			t.Errorf("Duration(%d) = %q, want %q", mins, got, want)
		}
	}
}

func TestGridShape(t *testing.T) {
	area := Rect{0, 0, 976, 400}
	for _, tc := range []struct{ n, cols, rows int }{
		{1, 1, 1}, {3, 1, 3}, {4, 2, 2}, {9, 3, 3}, {0, 1, 0},
	} {
		c, r := gridShape(tc.n, area, 100, 16, 200)
		if c != tc.cols || r != tc.rows {
			t.Errorf("gridShape(%d) = %d×%d, want %d×%d", tc.n, c, r, tc.cols, tc.rows)
		}
	}
}

// TestScenesLayOut builds every sample scene at every size with a fake
// measure: targets are big enough and on screen, no two targets overlap,
// and the texts the scene must show are there.
func TestScenesLayOut(t *testing.T) {
	s := ChineseStrings()
	for _, size := range testSizes {
		l := NewLayout(size[0], size[1], DefaultLayoutOpts)
		for _, c := range sceneCases(s) {
			b := NewBuilder(l, s, fakeFonts{}, c.now.In(cst))
			c.scene.Build(b)
			f := b.Frame()
			checkFrame(t, c.name, l, &f)
		}
	}
}

func checkFrame(t *testing.T, name string, l Layout, f *Frame) {
	t.Helper()
	where := name + "@" + formatSize(l)
	for i, r := range f.Targets {
		// Each edge by the pitch of its direction: the panel's pixels are
		// not square.
		if r.H < l.MMY(MinTargetMM)-0.01 || r.W < l.MMX(MinTargetMM)-0.01 {
			t.Errorf("%s: button %v is %.0f×%.0f px (%.1f×%.1f mm), under %d mm", where, f.Actions[i], r.W, r.H,
				l.PxToMMX(r.W), l.PxToMMY(r.H), MinTargetMM)
		}
		if r.X < 0 || r.Y < 0 || r.X+r.W > l.W+0.5 || r.Y+r.H > l.H+0.5 {
			t.Errorf("%s: button %v at %v leaves the screen", where, f.Actions[i], r)
		}
		for j := i + 1; j < len(f.Targets); j++ {
			if r.Overlaps(f.Targets[j]) {
				t.Errorf("%s: buttons %v and %v overlap", where, f.Actions[i], f.Actions[j])
			}
		}
	}
	for _, it := range f.Items {
		if it.Kind == TextItem && (it.Rect.Y < -0.5 || it.Rect.Y+it.Rect.H > l.H+0.5) {
			t.Errorf("%s: text %q at %v leaves the screen", where, it.Text, it.Rect)
		}
		// A catalog string given the wrong arguments shows fmt's complaint.
		if it.Kind == TextItem && strings.Contains(it.Text, "%!") {
			t.Errorf("%s: text %q leaks a format verb", where, it.Text)
		}
	}
}

func formatSize(l Layout) string {
	return time.Duration(0).String()[:0] + itoa(int(l.W)) + "x" + itoa(int(l.H))
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

func TestPersonSceneOneObviousAction(t *testing.T) {
	s := ChineseStrings()
	l := NewLayout(1024, 600, DefaultLayoutOpts)
	for _, tc := range []struct {
		open *kiosk.OpenShift
		want Action
		not  Action
	}{
		{nil, Act(kiosk.ActCheckIn), Act(kiosk.ActCheckOut)},
		{&kiosk.OpenShift{Activity: "清洁", Since: testNow.Add(-time.Hour)}, Act(kiosk.ActCheckOut), Act(kiosk.ActCheckIn)},
	} {
		b := NewBuilder(l, s, fakeFonts{}, testNow)
		(&PersonScene{View: kiosk.View{Scene: kiosk.ScenePerson, Person: kiosk.PersonView{Name: "李喆", OpenShift: tc.open}}}).Build(b)
		f := b.Frame()
		main, ok := f.TargetOf(tc.want)
		if !ok {
			t.Fatalf("no %v button", tc.want)
		}
		if _, ok := f.TargetOf(tc.not); ok {
			t.Errorf("both %v and %v offered", tc.want, tc.not)
		}
		for i, r := range f.Targets {
			if f.Actions[i] != tc.want && r.W*r.H >= main.W*main.H {
				t.Errorf("%v is as big as the main action %v", f.Actions[i], tc.want)
			}
		}
		if a, ok := f.ActionAt(main.X+main.W/2, main.Y+main.H/2); !ok || a != tc.want {
			t.Errorf("tapping the middle of the main button gives %v", a)
		}
	}
}

func TestToneSamples(t *testing.T) {
	const rate = 8000
	succ := ToneSamples(Success, rate)
	if want := (int(110.0/1000*rate) + int(190.0/1000*rate)) * 4; len(succ) != want {
		t.Fatalf("success tone is %d bytes, want %d", len(succ), want)
	}
	// Zero crossings of the first note give its frequency (659 Hz ± 5%).
	n := int(0.110 * rate)
	crossings := 0
	prev := int16(0)
	for i := 0; i < n; i++ {
		v := int16(uint16(succ[4*i]) | uint16(succ[4*i+1])<<8)
		if (prev < 0) != (v < 0) && i > 0 {
			crossings++
		}
		prev = v
	}
	freq := float64(crossings) / 2 / 0.110
	if freq < 626 || freq > 692 {
		t.Errorf("first success note ≈ %.0f Hz, want 659", freq)
	}
	if len(ToneSamples(Refusal, rate)) == 0 || len(ToneSamples(Neutral, rate)) != 0 {
		t.Error("refusal must sound and neutral must not")
	}
	var s *Sounds
	s.Play(Success) // a nil Sounds is silent, not a crash
}

func TestNextChangeIsTheNextMinute(t *testing.T) {
	idle := &IdleScene{}
	if got := idle.NextChange(testNow.Add(12 * time.Second)); !got.Equal(testNow.Add(time.Minute)) {
		t.Errorf("idle next change %v", got)
	}
	if !(&PickupScene{}).NextChange(testNow).IsZero() {
		t.Error("a scene without a clock asked to be redrawn")
	}
}

func TestCatalogPages(t *testing.T) {
	s := ChineseStrings()
	v := kiosk.View{Scene: kiosk.SceneRedeemGrid, Person: kiosk.PersonView{Points: 100}}
	for i := 0; i < 10; i++ {
		v.Choices = append(v.Choices, kiosk.Choice{Label: "物品" + itoa(i+1), Price: 10, Stock: 5})
	}
	c := ScreenFor(s, v, cst, nil).(*CatalogScene)
	l := NewLayout(800, 480, DefaultLayoutOpts)
	build := func() Frame {
		b := NewBuilder(l, s, fakeFonts{}, testNow)
		c.Build(b)
		return b.Frame()
	}
	seen := map[Action]bool{}
	for page := 0; page < 10; page++ {
		f := build()
		for _, a := range f.Actions {
			if a.Kind == kiosk.ActChoose {
				if seen[a] {
					t.Fatalf("page %d repeats %v", page, a)
				}
				seen[a] = true
			}
		}
		if _, ok := f.TargetOf(nextPage); !ok {
			break
		}
		if !c.Handle(nextPage) {
			t.Fatal("next page not handled")
		}
	}
	if len(seen) != 10 {
		t.Errorf("paging showed %d of 10 items", len(seen))
	}
	c.Handle(nextPage) // past the end: stays
	last := c.Page
	c.Handle(nextPage)
	if c.Page != last {
		t.Errorf("next past the last page moved to %d", c.Page)
	}
	// A new view of the same scene (a refused tile's tap) keeps the page.
	if again := ScreenFor(s, v, cst, c).(*CatalogScene); again.Page != last {
		t.Errorf("a new view went to page %d, want %d", again.Page, last)
	}
	for c.Page > 0 {
		c.Handle(prevPage)
	}
	c.Handle(prevPage)
	if f := build(); c.Page != 0 || !hasAction(f, Choose(0)) {
		t.Errorf("back to the first page: page %d", c.Page)
	}
	if c.Handle(Choose(0)) {
		t.Error("the catalog took a choice; choices are the core's")
	}
}

func hasAction(f Frame, a Action) bool {
	_, ok := f.TargetOf(a)
	return ok
}

// TestScreenKeepsItsOwnView: the core reuses its lists' arrays for its next
// view; the scene on screen still draws the view it was made from.
func TestScreenKeepsItsOwnView(t *testing.T) {
	s := ChineseStrings()
	v := kiosk.View{Scene: kiosk.SceneRedeemGrid, Person: kiosk.PersonView{Points: 100}, Choices: []kiosk.Choice{{Label: "大米", Price: 80, Stock: 3}}}
	c := ScreenFor(s, v, cst, nil)
	v.Choices[0] = kiosk.Choice{Label: "食用油", Price: 150, Refusal: "refusal.insufficient_points"}
	b := NewBuilder(NewLayout(1024, 600, DefaultLayoutOpts), s, fakeFonts{}, testNow)
	c.Build(b)
	f := b.Frame()
	if _, ok := f.Find("大米"); !ok || !hasAction(f, Choose(0)) {
		t.Errorf("the catalog drew %q", f.Texts())
	}
}
