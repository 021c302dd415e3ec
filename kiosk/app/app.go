package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"net"
	"os"
	"sync"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/drivers/board"
	"github.com/hongmajia/hongmajia/drivers/feedback"
	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/drivers/sim"
	"github.com/hongmajia/hongmajia/drivers/wedge"
	"github.com/hongmajia/hongmajia/internal/atomicfile"
	"github.com/hongmajia/hongmajia/internal/datadisk"
	"github.com/hongmajia/hongmajia/kiosk"
	"github.com/hongmajia/hongmajia/kiosk/control"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

// AppOptions replace the real parts of an App in tests; the zero value is the
// real thing.
type AppOptions struct {
	Clock clock.Clock // default clock.Real{}
	// Logf receives the log; default log.Printf (stderr, journald).
	Logf func(format string, args ...any)
	// Feedback replaces the player built from the configured pins.
	Feedback feedback.Player
	// Ledger opens the ledger; its Clock is set to Clock.
	Ledger ledger.Options
}

// App is a running terminal's parts, assembled from a Config: the clock,
// the ledger, the card readers merged into one stream of events, the
// buzzer and LEDs, and the control socket. The screen (kiosk-screen) and the
// headless station are both built on it.
//
// A ledger that cannot be opened (corrupt, not a database, missing) does not
// stop the App: LedgerErr says why, the screen shows "needs a technician",
// the station blinks for attention, and nothing is written. Restarting
// would find the same file, so crashing would only loop.
type App struct {
	cfg  Config
	clk  clock.Clock
	logf func(format string, args ...any)

	led       *ledger.Ledger
	ledErr    error
	demo      bool
	demoCards []string

	sim     *sim.Reader
	readers []rfid.Reader
	events  chan rfid.Event
	fb      feedback.Player
	printer *board.Printer // nil: none fitted

	mu       sync.Mutex
	onStatus []func(*control.Status)
	mode     string

	cancel context.CancelFunc
	wg     sync.WaitGroup
	ln     net.Listener
	closed bool
	// lockFile holds the data directory's lock (LockName) while the App
	// lives; nil when the directory could not be locked (missing).
	lockFile *os.File
	// answers are the faces' answers to the control socket's taps.
	answers tapAnswers
	// hub is the sync with the district hub; runCtx the context Start
	// runs it in.
	hub    hubLink
	runCtx context.Context
	// probation is set while the terminal holds taps after an update
	// (control.ProbationFile); guarded by mu.
	probation *control.Probation
}

// NewApp assembles a terminal from cfg. It fails for what a restart cannot
// fix without a technician (a pin that does not exist in the
// configuration), and when another terminal runs on the same data
// directory (ErrAnotherTerminal); ledger trouble is carried in LedgerErr
// instead.
func NewApp(ctx context.Context, cfg Config, opts *AppOptions) (*App, error) {
	var o AppOptions
	if opts != nil {
		o = *opts
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logf == nil {
		o.Logf = log.Printf
	}
	a := &App{cfg: cfg, clk: o.Clock, logf: o.Logf, events: make(chan rfid.Event, 16), mode: "screen"}
	if cfg.Headless {
		a.mode = "headless"
		// The station will answer taps from its first moment: a `tap` that
		// comes before RunStation has started waits for it.
		a.answers.addFace()
	}

	// Before the ledger is opened: two terminals on one ledger would both
	// answer every tap.
	if err := a.lock(); err != nil {
		return nil, err
	}
	a.cleanTemp()
	if d, err := datadisk.Of(cfg.Data); err == nil && d.Lost() {
		a.logf("kiosk: WARNING: the data directory %s is on %s", cfg.Data, d.Warning())
	}
	lo := o.Ledger
	lo.Clock = o.Clock
	a.led, a.ledErr = ledger.Open(ctx, cfg.Data, lo)
	if a.ledErr == nil && cfg.Center != "" && cfg.Center != a.led.Terminal().Center {
		a.ledErr = fmt.Errorf("open ledger: %s serves center %q, the configuration says %q: %w",
			a.led.Path(), a.led.Terminal().Center, cfg.Center, ledger.ErrInvalid)
		a.led.Close()
		a.led = nil
	}
	if a.ledErr != nil {
		a.logf("kiosk: ledger unusable, a technician is needed: %v", a.ledErr)
	}
	a.loadProbation()
	a.openLink(ctx, o)
	a.demo = cfg.Demo
	if a.led != nil {
		// `kioskctl demo` marks the ledger it fills; nothing else makes demo data.
		mark, err := a.led.Demo(ctx)
		if err != nil {
			a.logf("kiosk: demo mark: %v", err)
		}
		a.demo = a.demo || mark.Demo
		if a.demo {
			for _, c := range mark.KeyCards {
				a.demoCards = append(a.demoCards, string(c))
			}
		}
	}

	fb, err := a.feedback(o.Feedback)
	if err != nil {
		a.closeLedger()
		return nil, err
	}
	a.fb = fb
	a.printer = a.openPrinter()

	// The simulated reader is always there: keys 1–9 in demo mode, and
	// `kioskctl tap` for a technician proving a kiosk end to end.
	a.sim = sim.New(a.clk, nil)
	a.readers = append(a.readers, a.sim)
	switch cfg.Reader.Kind {
	case ReaderMFRC522:
		r, err := a.mfrc522()
		if err != nil {
			a.closeLedger()
			return nil, err
		}
		a.readers = append(a.readers, r)
	case ReaderWedge:
		f, err := ParseWedgeFormat(cfg.Reader.WedgeFormat)
		if err != nil {
			a.closeLedger()
			return nil, err
		}
		a.readers = append(a.readers, wedge.New(a.clk, &wedge.Opts{Device: cfg.Reader.WedgeDevice, Format: f}))
	}
	return a, nil
}

// cleanTemp removes what an export or a backup killed outright (SIGKILL, a
// power cut) left in the data directory: full-size temporary files that
// would otherwise fill the disk run after run.
func (a *App) cleanTemp() {
	removed, err := atomicfile.Clean(a.cfg.Data, a.clk.Now())
	for _, p := range removed {
		a.logf("kiosk: removed %s, left by an interrupted export or backup", p)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		a.logf("kiosk: %v", err)
	}
}

// feedback builds the buzzer and LEDs from the configured pins.
func (a *App) feedback(override feedback.Player) (feedback.Player, error) {
	if override != nil {
		return override, nil
	}
	c := a.cfg.Feedback
	fb, err := board.Feedback{
		Buzzer: board.Pin{Setting: "feedback.buzzer", Name: c.Buzzer},
		Green:  board.Pin{Setting: "feedback.green", Name: c.Green},
		Red:    board.Pin{Setting: "feedback.red", Name: c.Red},
		ToneHz: c.ToneHz,
	}.Player(a.clk)
	if err != nil {
		return nil, fmt.Errorf("open feedback pins: %w", err)
	}
	return fb, nil
}

// mfrc522 is the SPI reader, opened by its Poller (and again after a
// failure): a missing SPI device leaves it absent, with the technician's
// hint in its status, until SPI is enabled.
func (a *App) mfrc522() (rfid.Reader, error) {
	rc := a.cfg.Reader
	open, err := board.MFRC522{
		SPI:   rc.SPI,
		Reset: board.Pin{Setting: "reader.reset_pin", Name: rc.ResetPin},
		IRQ:   board.Pin{Setting: "reader.irq_pin", Name: rc.IRQPin},
		Logf:  a.logf,
	}.Opener()
	if err != nil {
		return nil, fmt.Errorf("open reader pins: %w", err)
	}
	po := rfid.DefaultPollerOpts
	po.Kind, po.Name = rfid.KindMFRC522, "mfrc522 "+rc.SPI
	po.OnStatus = func(s rfid.Status) { a.logf("kiosk: reader %s", s) }
	return rfid.NewPoller(open, a.clk, &po), nil
}

// Start runs the readers, the nightly sync with the hub (when the ledger is
// enrolled) and opens the control socket. It fails when another terminal
// runs on the same data directory. A control socket that cannot be opened
// otherwise is logged, not fatal: the terminal serves its visitors without
// it.
func (a *App) Start(ctx context.Context) error {
	ctx, a.cancel = context.WithCancel(ctx)
	a.mu.Lock()
	a.runCtx = ctx
	a.mu.Unlock()
	for _, r := range a.readers {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			if err := r.Run(ctx, a.events); err != nil && ctx.Err() == nil {
				a.logf("kiosk: reader %s stopped: %v", r, err)
			}
		}()
	}
	a.runLink(ctx)
	a.watchProbation(ctx)
	a.watchFullCheck(ctx)
	sock := control.SocketPath(a.cfg.Data)
	ln, err := control.Listen(sock)
	if errors.Is(err, control.ErrInUse) {
		// Two terminals on one ledger would both answer every tap.
		a.cancel()
		a.wg.Wait()
		return fmt.Errorf("another terminal is running on %s: its control socket %s answers", a.cfg.Data, sock)
	}
	if err != nil {
		a.logf("kiosk: control socket: %v", err)
		return nil
	}
	a.ln = ln
	srv := &control.Server{Handler: a.Control, Shared: SharedCommands, Logf: func(format string, args ...any) { a.logf("kiosk: "+format, args...) }}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := srv.Serve(ctx, ln); err != nil {
			a.logf("kiosk: control socket: %v", err)
		}
	}()
	return nil
}

// Close stops the readers and the control socket, turns the buzzer and LEDs
// off and closes the ledger.
func (a *App) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	a.mu.Unlock()
	if a.cancel != nil {
		a.cancel()
	}
	var errs []error
	for _, r := range a.readers {
		errs = append(errs, r.Halt())
	}
	a.wg.Wait()
	errs = append(errs, a.fb.Halt(), a.closeLedger())
	return errors.Join(errs...)
}

// closeLedger closes the ledger and then releases the data directory's
// lock: no other terminal may open the ledger before this one has let go.
func (a *App) closeLedger() error {
	defer a.unlock()
	if a.led == nil {
		return nil
	}
	err := a.led.Close()
	a.led = nil
	return err
}

// Config returns the configuration the App was made from.
func (a *App) Config() Config { return a.cfg }

// Clock returns the terminal's clock.
func (a *App) Clock() clock.Clock { return a.clk }

// Ledger returns the open ledger; nil when LedgerErr is set.
func (a *App) Ledger() *ledger.Ledger { return a.led }

// LedgerErr says why the ledger could not be used; nil when it can.
func (a *App) LedgerErr() error { return a.ledErr }

// Demo reports whether the terminal runs on demo data (or --demo).
func (a *App) Demo() bool { return a.demo }

// DemoCards are the UIDs keys 1–9 tap in demo mode, in key order; none
// outside demo mode.
func (a *App) DemoCards() []string { return a.demoCards }

// Events yields every reader's taps and departures.
func (a *App) Events() <-chan rfid.Event { return a.events }

// ReaderStatus reports every reader, the simulated one first.
func (a *App) ReaderStatus() []rfid.Status {
	out := make([]rfid.Status, len(a.readers))
	for i, r := range a.readers {
		out[i] = r.Status()
	}
	return out
}

// Feedback returns the buzzer and LEDs (feedback.Nop when none are fitted).
func (a *App) Feedback() feedback.Player { return a.fb }

// Logf logs as the App does.
func (a *App) Logf(format string, args ...any) { a.logf(format, args...) }

// SimTap presents a card to the simulated reader: the demo window's keys and
// the control socket's `tap`. uid is any form record.ParseUID reads.
func (a *App) SimTap(uid string) error {
	u, err := record.ParseUID(uid)
	if err != nil {
		return err
	}
	return a.sim.Tap(rfid.UID(u.Bytes()))
}

// Terminal makes the terminal core a screen shows on this App: on the
// ledger, or at "needs a technician" when the ledger cannot be used. opts
// carry what only the screen knows (Wake, Words); the App fills in the rest
// from the configuration: clock, timeouts, demo mode, buzzer, readers, log,
// receipt printer, the sync with the hub (the staff menu's 立即同步).
func (a *App) Terminal(opts kiosk.Options) *kiosk.Terminal {
	opts.Clock = a.clk
	if opts.IdleTimeout == 0 {
		opts.IdleTimeout = time.Duration(a.cfg.IdleTimeout)
	}
	if opts.PlacedFor == 0 {
		opts.PlacedFor = time.Duration(a.cfg.PlacedFor)
	}
	opts.Demo = opts.Demo || a.demo
	if opts.Feedback == nil {
		opts.Feedback = a.fb
	}
	if opts.ReaderStatus == nil {
		opts.ReaderStatus = a.ReaderStatus
	}
	if opts.Logf == nil {
		opts.Logf = a.logf
	}
	if opts.Printer == nil && a.printer != nil {
		opts.Printer = a.printer
	}
	if opts.OnTap == nil {
		opts.OnTap = a.answers.answered
		a.answers.addFace()
	}
	if opts.Sync == nil && a.hub.link != nil {
		opts.Sync = syncer{a}
	}
	if opts.Held == nil {
		opts.Held = a.OnProbation
	}
	if a.led == nil {
		return kiosk.NewFaulted(a.ledErr, opts)
	}
	t := kiosk.New(a.led, opts)
	a.reportHealth(t)
	return t
}

// reportHealth makes the control socket's status say what the terminal's
// writes found wrong with the ledger (a full disk, a broken file), as the
// screen or the station shows it.
func (a *App) reportHealth(h interface{ Health() error }) {
	a.OnStatus(func(st *control.Status) {
		if err := h.Health(); err != nil && a.ledErr == nil {
			st.Ledger, st.LedgerError = kiosk.FaultCode(err), err.Error()
		}
	})
}

// DemoKey taps the demo card of key n (1–9), for the demo window; a key
// without a card does nothing.
func (a *App) DemoKey(n int) {
	if n < 1 || n > len(a.demoCards) {
		return
	}
	if err := a.SimTap(a.demoCards[n-1]); err != nil {
		a.logf("kiosk: demo key %d: %v", n, err)
	}
}

// OnStatus adds f to what the control socket's `status` runs to fill in its
// answer (the screen adds its scene). f is called from the control socket's
// goroutine and must be safe for that.
func (a *App) OnStatus(f func(*control.Status)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.onStatus = append(a.onStatus, f)
}
