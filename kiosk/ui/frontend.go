package ui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sync/atomic"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/inpututil"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/kiosk"
)

// Wake asks the frame loop, which sleeps until something happens, for an
// Update soon. Safe from any goroutine; give it to kiosk.Options.Wake.
func Wake() {
	//lint:ignore SA1019 the frame loop sleeps until woken (see Run).
	ebiten.ScheduleFrame()
}

// FrontendOpts configure a Frontend.
type FrontendOpts struct {
	Layout LayoutOpts
	Clock  Clock
	// Events are the card readers' taps; nil when there are none.
	Events <-chan rfid.Event
	// DemoKey taps demo card n (1–9) when its key is pressed; nil outside
	// demo mode.
	DemoKey func(n int)
	// Sounds plays the tones; nil is silent.
	Sounds *Sounds
	// ItemImages are the catalog's pictures by item name (LoadItemImages).
	ItemImages map[string]image.Image
}

// Frontend shows a kiosk.Terminal on the Manager: in each Update it hands
// the terminal what the readers delivered, applies the ledger's answers
// (Poll) and, when the view changed, goes to its scene. Nothing here blocks.
type Frontend struct {
	term    *kiosk.Terminal
	strings Strings
	mgr     *Manager
	opts    FrontendOpts
	events  chan rfid.Event
	shown   uint64
	cue     uint64
	session atomic.Bool
	busy    atomic.Bool  // the terminal waits for the ledger
	scene   atomic.Value // kiosk.Scene shown, for the control socket's status
	drawn   atomic.Value // kiosk.Scene on the last frame painted
	frames  atomic.Uint64
	updates atomic.Uint64
	quit    atomic.Bool
	chars   []rune // AppendInputChars' buffer
}

// NewFrontend joins a terminal to a new Manager.
func NewFrontend(f *Fonts, s Strings, term *kiosk.Terminal, o FrontendOpts) *Frontend {
	fe := &Frontend{term: term, strings: s, opts: o, events: make(chan rfid.Event, 16)}
	v := term.View()
	fe.shown, fe.cue = v.Version, v.Cue
	fe.scene.Store(v.Scene)
	fe.mgr = NewManager(f, s, ScreenFor(s, v, term.Location(), nil), ManagerOpts{
		Layout:   o.Layout,
		Clock:    o.Clock,
		OnAction: fe.action,
		OnUpdate: fe.update,
		Sounds:   o.Sounds,
		OnDraw:   fe.painted,
		Location: term.Location(),
	})
	return fe
}

// Manager is the ebiten game.
func (fe *Frontend) Manager() *Manager { return fe.mgr }

// Run opens the window and runs until it is closed or ctx ends.
func (fe *Frontend) Run(ctx context.Context, o RunOpts) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go fe.forward(ctx)
	go fe.tick(ctx)
	stop := context.AfterFunc(ctx, func() { fe.quit.Store(true); Wake() })
	defer stop()
	err := Run(fe.mgr, o)
	if errors.Is(err, ebiten.Termination) {
		err = nil
	}
	return err
}

// Scene is the name of the scene on screen; safe from any goroutine.
func (fe *Frontend) Scene() string {
	if s, ok := fe.scene.Load().(kiosk.Scene); ok {
		return s.String()
	}
	return ""
}

// Drawn is the scene on the last frame painted ("" before the first), how
// many frames were painted and how many times the frame loop woke (Updates);
// safe from any goroutine. A scene is on screen once Drawn names it, not
// when Scene does: the control socket reports both, for scripts and
// benchmarks, and the counts show whether the idle loop sleeps.
func (fe *Frontend) Drawn() (scene string, frames, updates uint64) {
	if s, ok := fe.drawn.Load().(kiosk.Scene); ok {
		scene = s.String()
	}
	return scene, fe.frames.Load(), fe.updates.Load()
}

// alivePoll is how often Alive wakes the frame loop while it waits.
const alivePoll = 50 * time.Millisecond

// Alive wakes the frame loop and waits until it has run an Update, or ctx
// ends: nil when the loop runs (and has painted a first frame), an error
// when it is stuck in a frame or has not drawn anything yet. The watchdog
// asks it: the loop sleeps at idle, so only a wake proves it would answer a
// tap. Safe from any goroutine.
func (fe *Frontend) Alive(ctx context.Context) error {
	if fe.frames.Load() == 0 {
		return errors.New("ui: no frame drawn yet")
	}
	before := fe.updates.Load()
	for {
		// Again and again: a wake asked for while a frame runs may be lost.
		Wake()
		select {
		case <-ctx.Done():
			return fmt.Errorf("ui: the frame loop did not run: %w", ctx.Err())
		case <-clock.Real{}.After(alivePoll):
		}
		if fe.updates.Load() != before {
			return nil
		}
	}
}

// painted runs after each frame painted: the scene stored by the Update
// before it is the one on that frame.
func (fe *Frontend) painted() {
	fe.drawn.Store(fe.scene.Load())
	fe.frames.Add(1)
}

// forward moves reader events to the frame loop and wakes it.
func (fe *Frontend) forward(ctx context.Context) {
	if fe.opts.Events == nil {
		return
	}
	for {
		select {
		case ev := <-fe.opts.Events:
			select {
			case fe.events <- ev:
			case <-ctx.Done():
				return
			}
			Wake()
		case <-ctx.Done():
			return
		}
	}
}

// tick wakes the loop once a second during a session, so the idle timeout
// fires with nobody touching, and whenever a tap or an answer waits: a wake
// asked for before the loop ran, or lost, costs a second at most, never the
// minute until the idle scene's own next change.
func (fe *Frontend) tick(ctx context.Context) {
	clk := fe.opts.Clock
	for {
		select {
		case <-clk.After(time.Second):
			if fe.session.Load() || fe.busy.Load() || len(fe.events) > 0 || len(fe.opts.Events) > 0 {
				Wake()
			}
		case <-ctx.Done():
			return
		}
	}
}

var demoKeys = [...]ebiten.Key{ebiten.KeyDigit1, ebiten.KeyDigit2, ebiten.KeyDigit3, ebiten.KeyDigit4,
	ebiten.KeyDigit5, ebiten.KeyDigit6, ebiten.KeyDigit7, ebiten.KeyDigit8, ebiten.KeyDigit9}

var numpadKeys = [...]ebiten.Key{ebiten.KeyNumpad1, ebiten.KeyNumpad2, ebiten.KeyNumpad3, ebiten.KeyNumpad4,
	ebiten.KeyNumpad5, ebiten.KeyNumpad6, ebiten.KeyNumpad7, ebiten.KeyNumpad8, ebiten.KeyNumpad9}

// demoKeys taps demo card n for each press of key n (1–9, on the main row
// or the keypad). The frame loop sleeps in glfw.WaitEvents with sticky keys
// off, where a key pressed and released in one batch of events (xdotool's,
// or a quick finger while a scene is painted) leaves no state behind: the
// characters typed, which GLFW hands over one per press, are counted
// first, and a key that typed none (the keypad without NumLock) by its
// state.
func (fe *Frontend) demoKeys() {
	var typed [10]int
	fe.chars = ebiten.AppendInputChars(fe.chars[:0])
	for _, c := range fe.chars {
		if c >= '1' && c <= '9' {
			typed[c-'0']++
		}
	}
	for i := range demoKeys {
		n := typed[i+1]
		if n == 0 && (inpututil.IsKeyJustPressed(demoKeys[i]) || inpututil.IsKeyJustPressed(numpadKeys[i])) {
			n = 1
		}
		for range n {
			fe.opts.DemoKey(i + 1)
		}
	}
}

func (fe *Frontend) update() error {
	fe.updates.Add(1)
	if fe.quit.Load() {
		return ebiten.Termination
	}
	if fe.opts.DemoKey != nil {
		fe.demoKeys()
	}
	for {
		select {
		case ev := <-fe.events:
			fe.term.Reader(ev)
			continue
		default:
		}
		break
	}
	fe.term.Poll()
	fe.present()
	return nil
}

// present goes to the view's scene when the view changed, and plays its cue.
func (fe *Frontend) present() {
	v := fe.term.View()
	fe.session.Store(fe.term.InSession())
	fe.busy.Store(v.Busy)
	fe.scene.Store(v.Scene)
	fe.mgr.SetReturnAt(fe.term.ReturnAt())
	if v.Version == fe.shown {
		return
	}
	fe.shown = v.Version
	scene := ScreenFor(fe.strings, v, fe.term.Location(), fe.mgr.Scene())
	if c, ok := scene.(*CatalogScene); ok {
		c.Images = fe.opts.ItemImages
	}
	fe.mgr.GoTo(scene)
	if v.Cue != fe.cue {
		fe.cue = v.Cue
		fe.opts.Sounds.Say(tone(v.Tone), v.Prompt)
	}
}

// action gives the core a button's action: every key of a pad too, so the
// pad's digits and limits are the core's alone.
func (fe *Frontend) action(a Action) {
	if a.Page == 0 {
		fe.term.Press(a.Action)
	}
	fe.present()
}
