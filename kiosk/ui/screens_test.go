package ui

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hajimehoshi/ebiten/v2"

	"github.com/hongmajia/hongmajia/kiosk"
)

// ebiten runs one game per process, on the main goroutine. TestMain runs the
// tests on another goroutine and one game on the main one; the game renders
// every scene at every size, the glyph probes and a Manager session, then
// stops. Screen tests wait for its results.

type shot struct {
	name  string
	size  [2]int
	frame Frame
	img   *image.RGBA
}

type managerRun struct {
	first            *image.RGBA
	drawsIdle        int // paints over 20 frames with nothing changing
	drawsAfterTap    int
	actions          []Action
	sceneAfterTap    Scene
	drawsAfterMinute int
	// polls is what the Manager told the frame loop, one entry per call
	// to Poll; pollingAt is Polling() after each update from the 20th.
	polls     []bool
	pollingAt []bool
}

var results struct {
	once    sync.WaitGroup
	err     error
	fonts   *Fonts
	dir     string
	shots   []shot
	manager managerRun
}

func TestMain(m *testing.M) {
	if os.Getenv(tzChild) != "" {
		// TestScreensShowTheCentersTime run again in another time zone: it
		// draws its own screens.
		os.Exit(m.Run())
	}
	results.once.Add(1)
	var err error
	if coreCases, err = buildCoreCases(); err != nil {
		fmt.Fprintln(os.Stderr, "kiosk/ui: building the core's scenes:", err)
		os.Exit(1)
	}
	code := make(chan int)
	go func() { code <- m.Run() }()
	results.err = runScreens()
	results.once.Done()
	os.Exit(<-code)
}

func screenshotDir() string {
	if d := os.Getenv("HONGMAJIA_SCREENSHOTS"); d != "" {
		return d
	}
	return filepath.Join("testdata", "screenshots")
}

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}
func (c *fakeClock) After(time.Duration) <-chan time.Time { return make(chan time.Time) }
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

type screenGame struct {
	step    int // frames drawn
	updates int // manager updates run
	fonts   *Fonts
	mgr     *Manager
	clock   *fakeClock
	pointer Pointer
	done    bool
	// drew: a frame was drawn since the last manager update. The session
	// waits for one before each step it counts paints at (stalls bounds
	// the wait): on a loaded machine ebiten runs several updates a frame,
	// and a paint the step before asked for would be counted late.
	drew   bool
	stalls int
}

func runScreens() error {
	if os.Getenv("DISPLAY") == "" {
		return errors.New("no X display: run the UI tests under xvfb-run (make test does)")
	}
	f, err := LoadFonts(nil)
	if err != nil {
		return err
	}
	results.fonts = f
	results.dir = screenshotDir()
	if err := os.MkdirAll(results.dir, 0o755); err != nil {
		return err
	}
	g := &screenGame{fonts: f, clock: &fakeClock{now: testNow}}
	s := ChineseStrings()
	person := kiosk.View{Scene: kiosk.ScenePerson, Person: kiosk.PersonView{Name: "陈赟", Points: 120, Minutes: 300}}
	g.mgr = NewManager(f, s, ScreenFor(s, person, cst, nil), ManagerOpts{
		Clock: g.clock, Wake: func() {},
		Pointer: func() Pointer { return g.pointer },
		// Recorded, not applied: this loop must keep running without events.
		Poll: func(on bool) { results.manager.polls = append(results.manager.polls, on) },
		OnAction: func(a Action) {
			results.manager.actions = append(results.manager.actions, a)
			if a == Act(kiosk.ActRedeem) {
				g.mgr.GoTo(ScreenFor(s, kiosk.View{Scene: kiosk.SceneRedeemGrid, Person: person.Person,
					Choices: []kiosk.Choice{{Label: "毛巾", Price: 30, Stock: 3}}}, cst, nil))
			}
		},
	})
	ebiten.SetWindowSize(1024, 600)
	ebiten.SetScreenClearedEveryFrame(false)
	ebiten.SetRunnableOnUnfocused(true)
	err = ebiten.RunGame(g)
	if errors.Is(err, ebiten.Termination) {
		err = nil
	}
	return err
}

func (g *screenGame) Layout(w, h int) (int, int) { return g.mgr.Layout(w, h) }

func (g *screenGame) Update() error {
	if g.done {
		return ebiten.Termination
	}
	if g.step >= 2 {
		if k := g.updates; (k == 25 || k == 30 || k == 33) && !g.drew && g.stalls < 600 {
			g.stalls++
			return nil
		}
		g.drew = false
		g.driveManager()
		g.updates++
		err := g.mgr.Update()
		if g.updates > 20 {
			results.manager.pollingAt = append(results.manager.pollingAt, g.mgr.Polling())
		}
		return err
	}
	return nil
}

// driveManager plays a session on the Manager, one step an update: settle,
// idle 25 updates, tap 兑换, a minute passes, the idle scene (no buttons)
// for 10 updates.
func (g *screenGame) driveManager() {
	k := g.updates
	switch {
	case k == 25:
		results.manager.drawsIdle = g.mgr.Draws
		r, _ := g.mgr.Frame().TargetOf(Act(kiosk.ActRedeem))
		g.pointer = Pointer{X: r.X + r.W/2, Y: r.Y + r.H/2, Down: true}
	case k == 26:
		g.pointer.Down = false
	case k == 30:
		results.manager.drawsAfterTap = g.mgr.Draws
		results.manager.sceneAfterTap = g.mgr.Scene()
		g.clock.Set(testNow.Add(time.Minute))
	case k == 33:
		results.manager.drawsAfterMinute = g.mgr.Draws
		g.mgr.GoTo(ScreenFor(ChineseStrings(), kiosk.View{Scene: kiosk.SceneIdle, Center: "和平里街道党群服务中心"}, cst, nil))
	case k == 43:
		g.done = true
	}
}

func (g *screenGame) Draw(screen *ebiten.Image) {
	switch g.step {
	case 0:
		renderShots(g.fonts)
		renderRepaints(g.fonts)
		probeGlyphs(g.fonts)
	default:
		g.mgr.Draw(screen)
		g.drew = true
		if g.step == 3 {
			w, h := screen.Bounds().Dx(), screen.Bounds().Dy()
			img := image.NewRGBA(image.Rect(0, 0, w, h))
			screen.ReadPixels(img.Pix)
			results.manager.first = img
		}
	}
	g.step++
}

func renderShots(f *Fonts) {
	s := ChineseStrings()
	p := newPainter(f)
	for _, size := range testSizes {
		dst := ebiten.NewImage(size[0], size[1])
		l := NewLayout(size[0], size[1], DefaultLayoutOpts)
		for _, c := range sceneCases(s) {
			b := NewBuilder(l, s, f, c.now.In(cst))
			c.scene.Build(b)
			fr := b.Frame()
			p.paint(dst, &fr, -1)
			img := image.NewRGBA(image.Rect(0, 0, size[0], size[1]))
			dst.ReadPixels(img.Pix)
			results.shots = append(results.shots, shot{name: c.name, size: size, frame: fr, img: img})
		}
		dst.Deallocate()
	}
}

func inkCount(img *image.RGBA) int {
	n := 0
	for i := 0; i < len(img.Pix); i += 4 {
		if img.Pix[i] < 128 {
			n++
		}
	}
	return n
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func waitScreens(t *testing.T) {
	t.Helper()
	results.once.Wait()
	if results.err != nil {
		t.Fatalf("rendering screens: %v", results.err)
	}
}

// TestScreenshots writes every scene at every size as a PNG and checks what
// must be visible is: each required text laid out whole on one line with
// ink of its colour in its box, nothing overflowing, nothing overlapping.
func TestScreenshots(t *testing.T) {
	waitScreens(t)
	abs, _ := filepath.Abs(results.dir)
	t.Logf("screenshots in %s", abs)
	fmt.Fprintf(os.Stderr, "kiosk/ui: screenshots in %s\n", abs)
	if len(results.shots) != len(testSizes)*len(sceneCases(ChineseStrings())) {
		t.Fatalf("%d screenshots rendered", len(results.shots))
	}
	for _, sh := range results.shots {
		name := fmt.Sprintf("%s-%dx%d", sh.name, sh.size[0], sh.size[1])
		if err := writePNG(filepath.Join(results.dir, name+".png"), sh.img); err != nil {
			t.Fatal(err)
		}
		l := NewLayout(sh.size[0], sh.size[1], DefaultLayoutOpts)
		checkFrame(t, sh.name, l, &sh.frame)
		if len(sh.frame.Overflows) > 0 {
			t.Errorf("%s: text does not fit: %q", name, sh.frame.Overflows)
		}
		var must []string
		for _, c := range sceneCases(ChineseStrings()) {
			if c.name == sh.name {
				must = c.must
			}
		}
		for _, want := range must {
			it, ok := sh.frame.Find(want)
			if !ok {
				t.Errorf("%s: %q is not on screen as one line; lines are %q", name, want, sh.frame.Texts())
				continue
			}
			if w := results.fonts.Advance(it.Text, it.Style.Size, it.Style.Bold); w > it.Rect.W+1 {
				t.Errorf("%s: %q is %.0f px wide in a %.0f px box", name, want, w, it.Rect.W)
			}
			if n := inkOf(sh.img, it.Rect, it.Style.Color); n < 20*len([]rune(strings.ReplaceAll(want, " ", ""))) {
				t.Errorf("%s: %q: only %d pixels of its colour in %v", name, want, n, it.Rect)
			}
		}
		checkTextOverlap(t, name, &sh.frame)
	}
}

// checkTextOverlap fails when two lines of text share pixels.
func checkTextOverlap(t *testing.T, name string, f *Frame) {
	t.Helper()
	var texts []Item
	for _, it := range f.Items {
		if it.Kind == TextItem && strings.TrimSpace(it.Text) != "" {
			texts = append(texts, it)
		}
	}
	for i, a := range texts {
		ar := inkBox(a)
		for _, b := range texts[i+1:] {
			if ar.Overlaps(inkBox(b)) {
				t.Errorf("%s: %q and %q overlap", name, a.Text, b.Text)
			}
		}
	}
}

// inkBox is where a line's glyphs can fall: its box, narrowed to the text's
// measured width.
func inkBox(it Item) Rect {
	w := results.fonts.Advance(it.Text, it.Style.Size, it.Style.Bold)
	r := it.Rect
	switch it.Style.Align {
	case AlignCenter:
		r.X += (r.W - w) / 2
	case AlignEnd:
		r.X += r.W - w
	}
	r.W = w
	// Glyphs fill the em box around the line's centre.
	r.Y += (r.H - it.Style.Size) / 2
	r.H = it.Style.Size
	return r
}

// inkOf counts pixels within r close to colour c.
func inkOf(img *image.RGBA, r Rect, c color.RGBA) int {
	n := 0
	for y := int(r.Y); y < int(r.Y+r.H) && y < img.Bounds().Dy(); y++ {
		for x := int(r.X); x < int(r.X+r.W) && x < img.Bounds().Dx(); x++ {
			if x < 0 || y < 0 {
				continue
			}
			p := img.RGBAAt(x, y)
			if absDiff(p.R, c.R) < 48 && absDiff(p.G, c.G) < 48 && absDiff(p.B, c.B) < 48 {
				n++
			}
		}
	}
	return n
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// TestManagerRedrawsOnlyOnChange runs the Manager as the game: it paints
// once, then not again while nothing changes; a tap on 兑换 reaches the
// owner, which moves to the catalog (one paint for the press, one for the
// new scene); and a new minute repaints the clock.
func TestManagerRedrawsOnlyOnChange(t *testing.T) {
	waitScreens(t)
	r := results.manager
	if r.first == nil {
		t.Fatal("the manager's screen was never read")
	}
	if err := writePNG(filepath.Join(results.dir, "manager-person-1024x600.png"), r.first); err != nil {
		t.Fatal(err)
	}
	if r.drawsIdle != 1 {
		t.Errorf("painted %d times over 25 frames with nothing changing, want 1", r.drawsIdle)
	}
	if len(r.actions) != 1 || r.actions[0] != Act(kiosk.ActRedeem) {
		t.Fatalf("actions %v, want one %v", r.actions, Act(kiosk.ActRedeem))
	}
	if _, ok := r.sceneAfterTap.(*CatalogScene); !ok {
		t.Errorf("after the tap the scene is %T, want the catalog", r.sceneAfterTap)
	}
	// Press and release may fall in one frame when ebiten runs two updates
	// per draw; at most pressed, released and the new scene.
	if d := r.drawsAfterTap - r.drawsIdle; d < 1 || d > 3 {
		t.Errorf("the tap caused %d paints, want 1 to 3", d)
	}
	if r.drawsAfterMinute != r.drawsAfterTap+1 {
		t.Errorf("a new minute caused %d paints, want 1", r.drawsAfterMinute-r.drawsAfterTap)
	}
	// Polling while buttons are on screen; at the idle scene, until the
	// paint has been presented (settleFrames), then sleeping.
	if len(r.polls) != 2 || !r.polls[0] || r.polls[1] {
		t.Errorf("Poll was told %v, want [true false]: poll from the start, sleep at the idle scene", r.polls)
	}
	// From update 21 on: polling until the idle scene (built in update 34)
	// has been presented, at least settleFrames updates, then sleeping for
	// good. A repaint ebiten asks for (a resize, an expose) may keep it
	// polling a few updates longer, so the switch may come a little later.
	got := ""
	for _, on := range r.pollingAt {
		got += map[bool]string{true: "P", false: "s"}[on]
	}
	first := strings.IndexByte(got, 's')
	earliest := 34 + settleFrames - 21 // index of the first update that may sleep
	if first < earliest || first > earliest+6 || strings.Contains(got[first:], "P") {
		t.Errorf("polling (P) or sleeping (s) after updates 21–44: %s; want polling until at least update %d, then sleeping", got, 34+settleFrames)
	}
	// The person's name is in the red header of the real screen.
	if n := inkOf(r.first, Rect{24, 10, 300, 64}, colOnDark); n < 200 {
		t.Errorf("the header shows %d white pixels where 陈赟 should be", n)
	}
}

// readmeShots are the README's pictures (assets/screenshots) and the
// screenshot case each is: the idle screen, a volunteer's card with a shift
// running, and the catalog.
var readmeShots = map[string]string{
	"idle-1024x600.png":   "idle",
	"person-1024x600.png": "person-open-shift",
	"redeem-1024x600.png": "core-redeem-grid",
}

// updateReadme, set in the environment, makes TestReadmeScreenshots write
// the README's pictures from the screens instead of comparing them.
const updateReadme = "HONGMAJIA_UPDATE_README"

// TestReadmeScreenshots: the README's pictures are the screens as they are
// drawn now, at 1024×600 (a picture of an old screen fails; a few pixels of
// anti-aliasing may differ). With HONGMAJIA_UPDATE_README=1 it writes them,
// small (best compression).
func TestReadmeScreenshots(t *testing.T) {
	waitScreens(t)
	dir := filepath.Join("..", "..", "assets", "screenshots")
	for file, name := range readmeShots {
		var img *image.RGBA
		for _, sh := range results.shots {
			if sh.name == name && sh.size == [2]int{1024, 600} {
				img = sh.img
			}
		}
		if img == nil {
			t.Fatalf("no screenshot %s at 1024x600 for %s", name, file)
		}
		path := filepath.Join(dir, file)
		if os.Getenv(updateReadme) != "" {
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(f, img); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		old, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if old.Bounds() != img.Bounds() {
			t.Errorf("%s is %v, the screen %v", path, old.Bounds(), img.Bounds())
			continue
		}
		differ := 0
		for y := 0; y < img.Bounds().Dy(); y++ {
			for x := 0; x < img.Bounds().Dx(); x++ {
				r, g, b, _ := old.At(x, y).RGBA()
				p := img.RGBAAt(x, y)
				if absDiff(uint8(r>>8), p.R) > 64 || absDiff(uint8(g>>8), p.G) > 64 || absDiff(uint8(b>>8), p.B) > 64 {
					differ++
				}
			}
		}
		if total := img.Bounds().Dx() * img.Bounds().Dy(); differ > total/200 {
			t.Errorf("%s differs from the %s screen in %d of %d pixels: an old picture? Make it again with %s=1 xvfb-run -a go test -run TestReadmeScreenshots ./kiosk/ui",
				path, name, differ, total, updateReadme)
		}
	}
}
