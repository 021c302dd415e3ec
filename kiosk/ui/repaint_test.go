package ui

import (
	"fmt"
	"image"
	"path/filepath"
	"testing"
	"time"

	"github.com/hajimehoshi/ebiten/v2"

	"github.com/hongmajia/hongmajia/kiosk"
)

// repaintShot is one change of a scene painted two ways on ebiten images
// under X: the first frame painted whole and then only where the second
// differs (the Manager's Draw), and the second painted whole.
type repaintShot struct {
	name          string
	size          [2]int
	areas         []image.Rectangle // what the partial repaint painted
	partial, full *image.RGBA
	before        *image.RGBA // the first frame, painted whole
}

var repaints []repaintShot

// repaintChange is a scene drawn at two times, or two scenes.
type repaintChange struct {
	name     string
	from, to Scene
	at, then time.Time
	secs     int // the countdown shown on the second frame
}

func repaintChanges(s Strings) []repaintChange {
	var paged, full kiosk.View
	for _, c := range sceneCases(s) {
		switch c.name {
		case "idle-paged":
			paged = c.view
		case "idle":
			full = c.view
		}
	}
	person := kiosk.View{Scene: kiosk.ScenePerson, Person: kiosk.PersonView{Name: "周玥", Points: 35, Minutes: 95}}
	idle := func(v kiosk.View) Scene { return ScreenFor(s, v, cst, nil) }
	sc := idle(paged)
	// testNow is 09:41:00: the first page; the next turn, in the same
	// minute; back to the first page with the clock's next minute.
	return []repaintChange{
		{name: "page-turn", from: sc, to: sc, at: testNow, then: testNow.Add(IdlePageEvery)},
		{name: "page-turn-back-and-minute", from: sc, to: sc, at: testNow.Add(time.Minute - IdlePageEvery), then: testNow.Add(time.Minute)},
		{name: "minute", from: idle(full), to: idle(full), at: testNow, then: testNow.Add(time.Minute)},
		{name: "countdown", from: idle(person), to: idle(person), at: testNow, then: testNow, secs: 9},
		{name: "scene", from: idle(full), to: idle(person), at: testNow, then: testNow},
	}
}

// renderRepaints paints every repaintChange at every size; it runs in the
// screen game's Draw (ebiten's images need the running game).
func renderRepaints(f *Fonts) {
	s := ChineseStrings()
	p := newPainter(f)
	read := func(img *ebiten.Image) *image.RGBA {
		out := image.NewRGBA(img.Bounds())
		img.ReadPixels(out.Pix)
		return out
	}
	for _, size := range testSizes {
		l := NewLayout(size[0], size[1], DefaultLayoutOpts)
		for _, c := range repaintChanges(s) {
			frame := func(sc Scene, at time.Time, secs int) Frame {
				b := NewBuilder(l, s, f, at.In(cst))
				build(sc, b, secs)
				return b.Frame()
			}
			was := frame(c.from, c.at, 0)
			fr := frame(c.to, c.then, c.secs)
			partial, full := ebiten.NewImage(size[0], size[1]), ebiten.NewImage(size[0], size[1])
			p.paint(partial, &was, -1)
			before := read(partial)
			areas := p.repaint(partial, &was, &fr, -1)
			p.paint(full, &fr, -1)
			repaints = append(repaints, repaintShot{name: c.name, size: size, areas: areas,
				partial: read(partial), full: read(full), before: before})
			partial.Deallocate()
			full.Deallocate()
		}
	}
}

// TestPartialRepaintPaintsTheWholeFrame: a screen repainted only where the
// next frame differs is, pixel for pixel, the next frame painted whole: no
// ghost of the last page's rows, every row and heading of the new one; and
// a page turn or the clock's minute repaints only a part of it.
func TestPartialRepaintPaintsTheWholeFrame(t *testing.T) {
	waitScreens(t)
	if len(repaints) == 0 {
		t.Fatal("no repaint rendered")
	}
	for _, r := range repaints {
		name := fmt.Sprintf("%s-%dx%d", r.name, r.size[0], r.size[1])
		painted := 0
		for _, a := range r.areas {
			painted += a.Dx() * a.Dy()
		}
		screen := r.size[0] * r.size[1]
		if diff := differentPixels(r.before, r.full); diff == 0 {
			t.Errorf("%s: the two frames look the same: nothing is tested", name)
		}
		if diff := differentPixels(r.partial, r.full); diff > 0 {
			t.Errorf("%s: %d pixels differ between the partial repaint and the whole paint (repainted %v); see repaint-%s-*.png", name, diff, r.areas, name)
			saveShot(t, "repaint-"+name+"-partial", r.partial)
			saveShot(t, "repaint-"+name+"-full", r.full)
		}
		switch r.name {
		case "page-turn", "page-turn-back-and-minute", "minute", "countdown":
			// A page turn repaints the list (its rows and heading), the
			// minute the header's clock: about 28 % and 6 % of 1280×800.
			if painted*5 > screen*2 {
				t.Errorf("%s: repainted %d of %d pixels (%v), want at most 40 %%", name, painted, screen, r.areas)
			}
		case "scene":
			if painted != screen {
				t.Errorf("%s: another scene repainted %d of %d pixels, want it all", name, painted, screen)
			}
		}
		if r.name == "page-turn" && r.size == testSizes[len(testSizes)-1] {
			saveShot(t, "idle-paged-turned", r.partial)
		}
		t.Logf("%s: repainted %.1f%% of the screen in %d areas", name, 100*float64(painted)/float64(screen), len(r.areas))
	}
}

func differentPixels(a, b *image.RGBA) int {
	n := 0
	for i := 0; i+3 < len(a.Pix) && i+3 < len(b.Pix); i += 4 {
		if a.Pix[i] != b.Pix[i] || a.Pix[i+1] != b.Pix[i+1] || a.Pix[i+2] != b.Pix[i+2] {
			n++
		}
	}
	return n
}

func saveShot(t *testing.T, name string, img *image.RGBA) {
	t.Helper()
	if err := writePNG(filepath.Join(results.dir, name+".png"), img); err != nil {
		t.Fatal(err)
	}
}
