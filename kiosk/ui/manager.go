package ui

import (
	"image"
	"sync"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
)

// Clock is the little the screens need of clock.Clock; clock.Real
// and *clock.Fake satisfy it.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// ManagerOpts configure a Manager.
type ManagerOpts struct {
	Layout LayoutOpts
	Clock  Clock
	// OnAction receives the actions of buttons that the scene does not
	// handle itself. It runs inside ebiten's Update and must not block.
	OnAction func(Action)
	// Pointer samples the pointing device; nil reads ebiten's mouse and
	// touches. Tests replace it to tap without X.
	Pointer func() Pointer
	// Samples, when set, are the pointer's changes since the last call, in
	// order (a Recorder's Take): each Update feeds them all to the tracker
	// in place of one Pointer sample, so a press and release that came
	// together are both seen, and the frame loop may sleep with buttons on
	// screen. ok false (the recording broke) falls back to Pointer and to
	// polling while buttons are on screen. Run sets it from StartRecorder
	// when nil.
	Samples func() (samples []Pointer, ok bool)
	// Wake asks for a frame soon from any goroutine; nil is
	// ebiten.ScheduleFrame, which wakes a frame loop waiting for events.
	Wake func()
	// OnUpdate runs at the start of every Update, before the pointer is
	// read: the owner applies what arrived meanwhile (taps, the ledger's
	// answers) and may GoTo another scene. It must not block. An error ends
	// the game (ebiten.Termination for a clean stop).
	OnUpdate func() error
	// Sounds plays the success and refusal tones; nil is silent.
	Sounds *Sounds
	// Poll switches the frame loop between polling input every frame (on:
	// buttons on screen, or a paint being presented) and sleeping until an
	// event or a Wake (off). nil switches ebiten's FPS mode.
	Poll func(on bool)
	// OnDraw runs after each frame painted, in ebiten's Draw; nil: nothing.
	OnDraw func()
	// Location is the center's time zone: every scene is built with the
	// clock's time in it (the header's clock above all), whatever the
	// machine's own zone. nil: the clock's time as it comes.
	Location *time.Location
}

// Manager is the ebiten.Game: it shows one Scene at a time, turns touches
// into actions, and draws only when something changed.
type Manager struct {
	fonts   *Fonts
	strings Strings
	opts    ManagerOpts
	painter *painter
	tracker *Tracker

	scene   Scene
	frame   Frame
	layout  Layout
	w, h    int
	dirty   bool // the frame must be rebuilt
	repaint bool // the screen must be drawn
	pressed int  // the pressed target drawn last
	// shown is the frame on screen, painted on an image of paintedOn's
	// bounds (painted: at all): Draw repaints only where the next differs.
	// The screen is not cleared between frames (see Run).
	shown     Frame
	painted   bool
	paintedOn image.Rectangle
	next      time.Time
	calm      int  // Updates since the last one that asked for a paint
	polling   bool // what Poll was last told
	// recorded: this Update's pointer came from Samples (the X server's
	// RECORD), so the loop need not poll for buttons.
	recorded bool
	pollSet  bool // Poll was told at all
	// returnAt is when the session returns to idle (SetReturnAt): the last
	// kiosk.CountdownFrom of it is counted down over the scene.
	returnAt time.Time

	mu      sync.Mutex
	posted  Scene         // from Post, taken by the next Update
	resched chan struct{} // tells the waker that next changed
	nextAt  time.Time     // guarded by mu: when the waker must wake
	// Draws counts frames actually painted (for tests and benchmarks).
	Draws int
}

// NewManager shows first.
func NewManager(f *Fonts, s Strings, first Scene, o ManagerOpts) *Manager {
	if o.Wake == nil {
		//lint:ignore SA1019 see Run: the frame loop sleeps until woken.
		o.Wake = ebiten.ScheduleFrame
	}
	if o.Pointer == nil {
		o.Pointer = ebitenPointer
	}
	if o.Poll == nil {
		o.Poll = pollFrames
	}
	m := &Manager{fonts: f, strings: s, opts: o, painter: newPainter(f), tracker: NewTracker(),
		scene: first, dirty: true, pressed: -1, resched: make(chan struct{}, 1)}
	return m
}

// ebitenPointer reads the first touch if any, else the left mouse button.
func ebitenPointer() Pointer {
	if ids := ebiten.AppendTouchIDs(nil); len(ids) > 0 {
		x, y := ebiten.TouchPosition(ids[0])
		return Pointer{X: float64(x), Y: float64(y), Down: true}
	}
	x, y := ebiten.CursorPosition()
	return Pointer{X: float64(x), Y: float64(y), Down: ebiten.IsMouseButtonPressed(ebiten.MouseButtonLeft)}
}

// pollFrames switches ebiten's frame loop. Vsync on polls GLFW's events
// every frame with sticky mouse buttons, so a press released before the
// frame that reads it is still seen once as pressed; and it presents the
// frame before the next one starts. The minimum mode waits for X events
// with sticky buttons off, and ends a frame without waiting for the render
// thread to present it.
func pollFrames(on bool) {
	if on {
		ebiten.SetVsyncEnabled(true)
		return
	}
	//lint:ignore SA1019 see Run: the frame loop sleeps until woken.
	ebiten.SetFPSMode(ebiten.FPSModeVsyncOffMinimum)
}

// GoTo shows s from the next frame. Call it from OnAction (ebiten's
// goroutine); other goroutines use Post.
func (m *Manager) GoTo(s Scene) {
	m.scene = s
	m.dirty = true
	m.tracker.Reset()
}

// Post asks, from any goroutine, for s to be shown; the latest post wins.
// It never blocks, and wakes a sleeping frame loop.
func (m *Manager) Post(s Scene) {
	m.mu.Lock()
	m.posted = s
	m.mu.Unlock()
	m.opts.Wake()
}

// Scene is the scene shown.
func (m *Manager) Scene() Scene { return m.scene }

// SetReturnAt says when the scene returns to idle unless touched (zero:
// never); its last seconds are counted down over the scene. Call it from
// ebiten's goroutine (OnUpdate, OnAction).
func (m *Manager) SetReturnAt(t time.Time) {
	if t.Equal(m.returnAt) {
		return
	}
	now := m.opts.Clock.Now()
	if countdownSecs(m.returnAt, now) != countdownSecs(t, now) {
		m.dirty = true
	}
	m.returnAt = t
	m.next = earlier(m.scene.NextChange(now), countdownNext(t, now))
	m.mu.Lock()
	m.nextAt = m.next
	m.mu.Unlock()
	select {
	case m.resched <- struct{}{}:
	default:
	}
}

// Frame is the frame on screen (after the last Update).
func (m *Manager) Frame() Frame { return m.frame }

// Feedback plays the tone's sound where there is a speaker.
func (m *Manager) Feedback(t Tone) { m.opts.Sounds.Play(t) }

// Layout implements ebiten.Game: the screen is the window, pixel for pixel.
func (m *Manager) Layout(outsideWidth, outsideHeight int) (int, int) {
	if outsideWidth != m.w || outsideHeight != m.h {
		m.w, m.h = outsideWidth, outsideHeight
		m.dirty = true
	}
	return outsideWidth, outsideHeight
}

// Update implements ebiten.Game. It never blocks.
func (m *Manager) Update() error {
	if m.opts.OnUpdate != nil {
		if err := m.opts.OnUpdate(); err != nil {
			return err
		}
	}
	m.mu.Lock()
	if m.posted != nil {
		m.GoTo(m.posted)
		m.posted = nil
	}
	m.mu.Unlock()

	now := m.opts.Clock.Now()
	if !m.next.IsZero() && !now.Before(m.next) {
		m.dirty = true
	}
	m.rebuild(now)

	m.recorded = false
	if m.opts.Samples != nil {
		var samples []Pointer
		samples, m.recorded = m.opts.Samples()
		for _, p := range samples {
			m.step(p, now)
		}
	}
	if !m.recorded {
		m.step(m.opts.Pointer(), now)
	}
	m.pace()
	return nil
}

// step gives the tracker one pointer sample and runs the action of the
// button it fires.
func (m *Manager) step(p Pointer, now time.Time) {
	ev, hit := m.tracker.Step(p, m.frame.Targets)
	if ev != NoEvent || m.tracker.Pressed() != m.pressed {
		m.repaint = true
	}
	if hit >= 0 {
		act := m.frame.Actions[hit]
		if h, ok := m.scene.(Handler); ok && h.Handle(act) {
			m.dirty = true
		} else if m.opts.OnAction != nil {
			m.opts.OnAction(act)
		}
		m.rebuild(now)
	}
}

// settleFrames is how many frames the loop polls after one that painted
// before it sleeps again: none. ebiten presents the unchanged screen again
// in each of the 3 frames after a paint (its maxSkipCount, 4), and the loop
// used to poll for them; but a present is most of what a paint costs on a
// software renderer, and the painted frame's own present reaches the
// server while the loop sleeps (the render thread swaps, and Mesa sends
// the picture, without waiting for the main thread's next event).
// TestIdlePageTurnsReachTheServer (cmd/kiosk-screen) reads the server's
// pixels after each page turn to hold that. Measured on the demo's idle
// scene under Xvfb (1280×800, Mesa 22.3 llvmpipe over EGL, whose picture
// reaches the server through the socket; 2-core x86, load 3.5), over 60 s
// with a page turned every 15 s: the kiosk plus Xvfb spent 0.75 % of a core
// with no frame polled after a paint, 1.05 % with one, and with the old
// four at 8 s pages 3.8 %; each present costs Xvfb about 30 ms of CPU
// (receiving and copying the 4 MB picture) and the kiosk about 20 ms.
const settleFrames = 0

// pace chooses the frame loop's mode for what follows this Update. With
// the loop sleeping until an X event, the frame is presented by the render
// thread after the loop has gone back to sleep; the loop polls for
// settleFrames after a paint. And GLFW keeps only the state of the mouse button after all
// the events it read at once: a tap whose press and release come together
// (a quick tap, or any tap while a frame is being painted) is never seen
// as pressed. With the pointer recorded (Samples) no tap depends on that
// state and the loop sleeps on every scene; without, it polls while
// buttons are on screen too.
func (m *Manager) pace() {
	if m.repaint {
		m.calm = 0
	} else if m.calm < settleFrames {
		m.calm++
	}
	on := (!m.recorded && len(m.frame.Targets) > 0) || m.calm < settleFrames
	if m.pollSet && on == m.polling {
		return
	}
	m.polling, m.pollSet = on, true
	m.opts.Poll(on)
}

// Polling reports whether the frame loop polls input every frame (a paint
// still being presented, or buttons on screen with the pointer not
// recorded) rather than sleeping until an event.
func (m *Manager) Polling() bool { return m.polling }

// rebuild lays the scene out again when dirty, and tells the waker when
// the scene will next change by itself.
func (m *Manager) rebuild(now time.Time) {
	if !m.dirty || m.w == 0 {
		return
	}
	if m.opts.Location != nil {
		now = now.In(m.opts.Location)
	}
	m.layout = NewLayout(m.w, m.h, m.opts.Layout)
	b := NewBuilder(m.layout, m.strings, m.fonts, now)
	build(m.scene, b, countdownSecs(m.returnAt, now))
	m.frame = b.Frame()
	m.dirty = false
	m.repaint = true
	m.next = earlier(m.scene.NextChange(now), countdownNext(m.returnAt, now))
	m.mu.Lock()
	m.nextAt = m.next
	m.mu.Unlock()
	select {
	case m.resched <- struct{}{}:
	default:
	}
}

// Draw implements ebiten.Game. With the screen not cleared every frame
// (see Run), skipping the paint leaves the last picture on screen.
func (m *Manager) Draw(screen *ebiten.Image) {
	if !m.repaint {
		return
	}
	pressed := m.tracker.Pressed()
	if m.painted && pressed == m.pressed && screen.Bounds() == m.paintedOn {
		m.painter.repaint(screen, &m.shown, &m.frame, pressed)
	} else {
		m.painter.paint(screen, &m.frame, pressed)
	}
	// The frame is kept as painted: rebuild makes a new one each time.
	m.shown, m.painted, m.paintedOn, m.pressed = m.frame, true, screen.Bounds(), pressed
	m.repaint = false
	m.Draws++
	if m.opts.OnDraw != nil {
		m.opts.OnDraw()
	}
}

// Wakes runs until stop is closed, waking the frame loop when the scene is
// due to change by itself (the clock's next minute). Run starts it.
func (m *Manager) wakes(stop <-chan struct{}) {
	for {
		m.mu.Lock()
		next := m.nextAt
		m.mu.Unlock()
		var due <-chan time.Time
		if !next.IsZero() {
			due = m.opts.Clock.After(max(0, next.Sub(m.opts.Clock.Now())))
		}
		select {
		case <-due:
			m.opts.Wake()
			// Sleep until Update has seen it and set the next time.
			select {
			case <-m.resched:
			case <-stop:
				return
			}
		case <-m.resched:
		case <-stop:
			return
		}
	}
}

// RunOpts are how the window is opened.
type RunOpts struct {
	Width, Height int  // window size in windowed mode
	Fullscreen    bool // the kiosk; false for --windowed
	// Logf logs, once, that the pointer is not recorded (the loop then
	// polls while buttons are on screen); nil: not logged.
	Logf func(format string, args ...any)
}

// Run opens the window and runs m until the window closes or Update fails.
// The frame loop waits for input events or a Wake instead of presenting 60
// frames a second: on a Pi or under Xvfb nothing throttles an idle loop.
// The pointer's events are recorded (StartRecorder) so that no tap is lost
// while it sleeps; where they cannot be, it polls while buttons are on
// screen (see Manager.pace).
func Run(m *Manager, o RunOpts) error {
	if m.opts.Samples == nil {
		rec, err := StartRecorder(m.opts.Wake)
		if err != nil {
			if o.Logf != nil {
				o.Logf("%v: polling while buttons are on screen", err)
			}
		} else {
			defer rec.Close()
			logged := false
			m.opts.Samples = func() ([]Pointer, bool) {
				s, ok := rec.Take()
				if !ok && !logged && o.Logf != nil {
					logged = true
					o.Logf("ui: X record stopped (%v): polling while buttons are on screen", rec.Err())
				}
				return s, ok
			}
		}
	}
	ebiten.SetWindowTitle(WindowTitle(m.strings))
	ebiten.SetWindowSize(o.Width, o.Height)
	ebiten.SetFullscreen(o.Fullscreen)
	ebiten.SetScreenClearedEveryFrame(false)
	ebiten.SetRunnableOnUnfocused(true)
	if o.Fullscreen {
		ebiten.SetCursorMode(ebiten.CursorModeHidden)
	}
	//lint:ignore SA1019 the suggested replacement still runs Update and presents 60 times a second (see doc.go).
	ebiten.SetFPSMode(ebiten.FPSModeVsyncOffMinimum)
	// One Update for every frame the loop wakes for. With a fixed TPS, ebiten
	// counts Updates from the time since the last frame, and a wake that
	// comes sooner than a tick after it (a tap right after the ledger's
	// answer) may run no Update at all.
	ebiten.SetTPS(ebiten.SyncWithFPS)
	stop := make(chan struct{})
	defer close(stop)
	go m.wakes(stop)
	return ebiten.RunGame(m)
}
