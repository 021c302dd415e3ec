package kiosk

import (
	"context"
	"errors"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/drivers/feedback"
	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

// Options configure a Terminal. The zero value works: real clock, 30 s idle
// timeout, no hub, no buzzer.
type Options struct {
	Clock clock.Clock
	// IdleTimeout returns to idle after this long without a touch or a tap.
	IdleTimeout time.Duration
	// PlacedFor: a card that stayed in the field at least this long and then
	// left ends the session (the visitor laid it on the reader and took it
	// away). A quick tap-and-lift does not: the visitor still needs the screen.
	PlacedFor time.Duration
	// HistoryLen is how many entries the history scene shows.
	HistoryLen int
	// Demo marks a demo data directory: the idle scene says keys 1–9 tap cards.
	Demo bool
	// Feedback plays success and refusal on a buzzer and LEDs, when fitted.
	Feedback feedback.Player
	// ReaderStatus reports the card readers for the reader test; may be nil.
	ReaderStatus func() []rfid.Status
	// Sync syncs with the district hub now (the staff menu's 立即同步); nil
	// when the terminal has no hub link (not enrolled).
	Sync Syncer
	// Words gives a catalog key's Chinese words, for what the ledger stores
	// in words (an adjustment's reason); nil stores the key.
	Words func(key string) string
	// Wake is called from a background goroutine when an answer is ready,
	// so a frontend that sleeps between events polls soon; may be nil.
	Wake func()
	// Logf logs what a technician may want to read later; may be nil.
	Logf func(format string, args ...any)
	// Retry is how a write that meets a busy database is tried again;
	// the zero value is DefaultRetry.
	Retry Retry
	// Printer prints a pickup slip after each redemption, in the
	// background; nil when no receipt printer is fitted.
	Printer Printer
	// CardGoneTimeout: once a visitor's card has left the reader after a
	// quick tap, the session returns to idle after this long without a
	// touch (counted from the later of the departure and the last touch),
	// so a name and a balance do not stay up for the next person to read.
	// Never longer than IdleTimeout.
	CardGoneTimeout time.Duration
	// OnTap learns what the screen did with each tap, once the tap's ledger
	// work is done (the control socket's `tap` answers with it); may be nil.
	// It is called from the goroutine that calls Reader and Poll.
	OnTap func(TapAnswer)
	// Held, when it says true, holds taps: the terminal is on probation
	// after an update that migrated the ledger, and writes nothing; a tap
	// is answered "please wait, updating".
	Held func() bool
}

// DefaultIdleTimeout is how long a scene waits for a touch before going back
// to idle (ARCHITECTURE.md, "The screen": 30 s).
const DefaultIdleTimeout = 30 * time.Second

// DefaultCardGoneTimeout is how long a visitor's scene stays without a touch
// once the card has gone (README, "What the screens say").
const DefaultCardGoneTimeout = 20 * time.Second

// CountdownFrom is how long before returning to idle a frontend shows the
// countdown (10 秒后返回首页).
const CountdownFrom = 10 * time.Second

// DefaultPlacedFor is how long a card must have lain on the reader for its
// removal to end the session.
const DefaultPlacedFor = 3 * time.Second

// idleRefreshGap: the idle scene reloads today's activities and the
// honour roll at least this often.
const idleRefreshGap = 5 * time.Minute

// Terminal is the kiosk's core: it turns taps, touches and the ledger's answers
// into scenes. All its methods are called from one goroutine (the frontend's
// update loop) and never block: ledger work runs in goroutines whose results
// Poll applies.
type Terminal struct {
	*desk
	opts Options

	ctx    context.Context
	cancel context.CancelFunc

	view    View
	results chan result
	pending int

	// session changes whenever a visitor's or a staff member's session begins
	// or ends; a late answer for an old session is dropped.
	session   uint64
	lastInput time.Time
	idleAt    time.Time // when the idle data was loaded

	card    record.CardUID // the visitor's card
	cardAt  time.Time      // when it was tapped
	person  record.PersonID
	queued  *rfid.Event // a tap that came while a write was in flight
	writing bool

	// cardGone is when the visitor's card left the reader after a quick
	// tap (zero while it is there): the session's timeout is shorter then.
	cardGone time.Time

	flow staffFlow

	activities  []ledger.Activity // check-in choices on screen
	offers      []ledger.Offer    // catalog on screen
	redeemIndex int               // the offer being confirmed

	// tapWaiting: a tap of tapCard waits for its answer (Options.OnTap).
	tapWaiting bool
	tapCard    record.CardUID

	// syncing: a sync asked from the staff menu runs; its result is shown
	// to the session syncFor, if it still looks at the sync scene.
	syncing bool
	syncFor uint64
}

type result struct {
	session uint64
	write   bool
	apply   func()
	// background: not a ledger job of a session (a sync): it neither makes
	// the screen busy nor is dropped with its session; apply decides.
	background bool
}

// New returns a terminal on an open ledger, at the idle scene.
func New(l *ledger.Ledger, opts Options) *Terminal {
	t := newTerminal(opts)
	t.desk = newDesk(l, t.opts.Clock, t.opts.Retry, nil)
	t.desk.held = t.opts.Held
	t.view.Center = l.Terminal().CenterName
	t.goIdle()
	// The ledger's full check runs in the background after its start
	// check, and again every night: should one fail, the screen wakes to
	// show "needs a technician" at once, not at the next tap.
	go func() {
		select {
		case <-l.Faulted():
			if t.opts.Wake != nil {
				t.opts.Wake()
			}
		case <-t.ctx.Done():
		}
	}()
	return t
}

// NewFaulted returns a terminal that could not open its ledger: it shows the
// "needs a technician" scene with the fault's code and never writes.
func NewFaulted(err error, opts Options) *Terminal {
	t := newTerminal(opts)
	t.desk = newDesk(nil, t.opts.Clock, t.opts.Retry, err)
	t.fault(err)
	return t
}

func newTerminal(opts Options) *Terminal {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.PlacedFor <= 0 {
		opts.PlacedFor = DefaultPlacedFor
	}
	if opts.CardGoneTimeout <= 0 {
		opts.CardGoneTimeout = DefaultCardGoneTimeout
	}
	opts.CardGoneTimeout = min(opts.CardGoneTimeout, opts.IdleTimeout)
	if opts.HistoryLen <= 0 {
		opts.HistoryLen = 10
	}
	if opts.Feedback == nil {
		opts.Feedback = feedback.Nop{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &Terminal{opts: opts, ctx: ctx, cancel: cancel, results: make(chan result, 16)}
	t.view.Demo = opts.Demo
	t.lastInput = opts.Clock.Now()
	return t
}

// Close stops the terminal's background work. The ledger stays open: it
// belongs to the caller.
func (t *Terminal) Close() { t.cancel() }

// View returns the current view. Its slices must not be modified.
func (t *Terminal) View() View { return t.view }

// Faulted reports whether the terminal shows "needs a technician".
func (t *Terminal) Faulted() bool { return t.view.Scene == SceneTechnician }

func (t *Terminal) logf(format string, args ...any) {
	if t.opts.Logf != nil {
		t.opts.Logf(format, args...)
	}
}

// changed marks the view as new for the frontend.
func (t *Terminal) changed() { t.view.Version++ }

// cue sets the scene's tone and plays it on the buzzer and LEDs. A refusal
// is spoken as PromptRefused unless the caller says more (say).
func (t *Terminal) cue(tone Tone) {
	t.view.Tone = tone
	t.view.Prompt = PromptNone
	if tone != ToneNone {
		t.view.Cue++
	}
	if tone == ToneRefusal {
		t.view.Prompt = PromptRefused
	}
	switch tone {
	case ToneSuccess:
		t.opts.Feedback.Play(feedback.Success)
	case ToneRefusal:
		t.opts.Feedback.Play(feedback.Refusal)
	case ToneAttention:
		t.opts.Feedback.Play(feedback.Attention)
	}
}

// show switches to a scene, clearing what belongs to the previous one.
func (t *Terminal) show(s Scene, tone Tone) {
	t.view.Scene = s
	t.view.Title = Text{}
	t.view.Lines = nil
	t.view.Page = 0
	t.cue(tone)
	t.changed()
}

// run starts ledger work in a goroutine; its answer is applied by Poll if the
// session is still the same. A write keeps the terminal busy: actions wait,
// and a tap is held until the write is answered.
func (t *Terminal) run(write bool, work func(ctx context.Context) func()) {
	t.pending++
	t.writing = t.writing || write
	t.view.Busy = true
	t.changed()
	sess := t.session
	ctx := t.ctx
	go func() {
		apply := work(ctx)
		select {
		case t.results <- result{session: sess, write: write, apply: apply}:
			if t.opts.Wake != nil {
				t.opts.Wake()
			}
		case <-ctx.Done():
		}
	}()
}

// Poll applies the ledger's answers and the idle timeout. It never blocks. It
// returns true when the view changed.
func (t *Terminal) Poll() bool {
	before := t.view.Version
	for {
		select {
		case r := <-t.results:
			t.finish(r)
			continue
		default:
		}
		break
	}
	t.tick()
	return t.view.Version != before
}

// Settle blocks until every answer of the ledger has come and been applied:
// for tests and for the end-to-end runs, never for the frontend's update
// loop. A sync running beside (the staff menu's 立即同步) is not waited for:
// Poll applies its result when it comes.
func (t *Terminal) Settle() {
	for t.pending > 0 {
		t.finish(<-t.results)
	}
	t.tick()
}

func (t *Terminal) finish(r result) {
	if r.background {
		r.apply() // it minds the scene itself
		return
	}
	t.pending--
	if r.write {
		t.writing = false
	}
	if r.session == t.session && t.view.Scene != SceneTechnician {
		r.apply()
	}
	if t.pending == 0 {
		t.view.Busy = false
		t.changed()
	}
	t.tapAnswered()
	if q := t.queued; q != nil && !t.writing {
		t.queued = nil
		t.Reader(*q)
	}
}

func (t *Terminal) tick() {
	now := t.clk.Now()
	if t.view.Scene != SceneTechnician {
		if err := t.desk.Broken(); err != nil {
			t.fault(err)
			return
		}
	}
	switch t.view.Scene {
	case SceneTechnician:
		return
	case SceneIdle:
		if t.pending == 0 && (now.Sub(t.idleAt) >= idleRefreshGap || !sameDay(now, t.idleAt, t.loc())) {
			t.loadIdle()
		}
		return
	}
	if t.pending == 0 && !now.Before(t.returnAt()) {
		t.goIdle()
	}
}

// say sets the words spoken with the cue just given.
func (t *Terminal) say(p Prompt) { t.view.Prompt = p }

// returnAt is when the session returns to idle without a touch: IdleTimeout
// after the last touch, or CardGoneTimeout after the later of the last touch
// and the departure of a visitor's card.
func (t *Terminal) returnAt() time.Time {
	at := t.lastInput.Add(t.opts.IdleTimeout)
	if !t.cardGone.IsZero() && t.person != 0 {
		from := t.lastInput
		if t.cardGone.After(from) {
			from = t.cardGone
		}
		if gone := from.Add(t.opts.CardGoneTimeout); gone.Before(at) {
			at = gone
		}
	}
	return at
}

// ReturnAt is when the scene on screen returns to idle unless touched (a
// frontend counts down the last CountdownFrom of it); the zero time at the
// idle and the technician's scenes. It moves with every touch without a new
// View.Version.
func (t *Terminal) ReturnAt() time.Time {
	if !t.InSession() {
		return time.Time{}
	}
	return t.returnAt()
}

// Location is the center's time zone, in which the frontend shows times.
func (t *Terminal) Location() *time.Location { return t.loc() }

// InSession reports whether a scene other than idle or the technician's is
// shown: the frontend then wakes once a second so the idle timeout fires.
func (t *Terminal) InSession() bool {
	return t.view.Scene != SceneIdle && t.view.Scene != SceneTechnician
}

func (t *Terminal) loc() *time.Location {
	if t.led != nil {
		return t.led.Location()
	}
	return time.UTC
}

func sameDay(a, b time.Time, loc *time.Location) bool {
	ay, am, ad := a.In(loc).Date()
	by, bm, bd := b.In(loc).Date()
	return ay == by && am == bm && ad == bd
}

// goIdle ends any session and shows the idle scene.
func (t *Terminal) goIdle() {
	t.session++
	t.card, t.person, t.cardGone = "", 0, time.Time{}
	t.flow = staffFlow{}
	t.view.Person = PersonView{}
	t.view.Staff = StaffView{}
	t.view.Pad = ""
	t.view.Choices = nil
	t.show(SceneIdle, ToneNone)
	t.loadIdle()
}

func (t *Terminal) loadIdle() {
	t.idleAt = t.clk.Now()
	now := t.idleAt.In(t.loc())
	t.run(false, func(ctx context.Context) func() {
		acts, err := t.led.ActivitiesToday(ctx)
		var roll []ledger.HonourRow
		if err == nil {
			roll, err = t.led.HonourRoll(ctx, now.Year(), now.Month(), 10)
		}
		return func() {
			if err != nil {
				t.failed(err)
				return
			}
			sortByStart(acts)
			t.view.Idle = IdleView{Activities: acts, Honour: roll}
			t.changed()
		}
	})
}

// touched notes a touch or a tap: the idle timeout starts again.
func (t *Terminal) touched() { t.lastInput = t.clk.Now() }

// Reader takes an event from a card reader.
func (t *Terminal) Reader(ev rfid.Event) {
	if t.view.Scene == SceneTechnician {
		if ev.Kind == rfid.EventTap {
			t.waitTap(ev)
			t.tapAnswered()
		}
		return
	}
	switch ev.Kind {
	case rfid.EventLeft:
		t.cardLeft(ev.Tap)
		return
	case rfid.EventTap:
	default:
		return
	}
	if t.writing {
		t.queued = &ev // answered when it is taken
		return
	}
	t.waitTap(ev)
	defer t.tapAnswered()
	t.touched()
	if t.desk.Held() {
		t.session++
		t.notice(ToneRefusal, T("updating.wait"), T("updating.hint"))
		return
	}
	uid, err := CardOf(ev.Tap.UID)
	if err != nil {
		t.session++
		t.notice(ToneRefusal, T("card.unreadable"), T("card.try_again"))
		t.say(PromptTryAgain)
		return
	}
	switch t.view.Scene {
	case SceneStaffReader:
		t.view.Staff.LastUID = string(uid)
		t.readers()
		t.cue(ToneSuccess)
		t.changed()
		return
	case SceneStaffTapCard:
		t.newCardTapped(uid)
		return
	}
	t.startSession(uid, ev.Tap.At)
}

// waitTap notes a tap whose answer Options.OnTap is to learn.
func (t *Terminal) waitTap(ev rfid.Event) {
	t.tapWaiting = true
	t.tapCard = record.CardUID(ev.Tap.UID.Hex())
	if uid, err := CardOf(ev.Tap.UID); err == nil {
		t.tapCard = uid
	}
}

// cardLeft ends a visitor's session when the card had been laid on the reader
// and was taken away. A quick tap keeps the screen, for CardGoneTimeout
// after the last touch rather than the whole IdleTimeout; so do results (a
// pickup code above all), which stay until read.
func (t *Terminal) cardLeft(tap rfid.Tap) {
	if t.card == "" {
		return
	}
	uid, err := CardOf(tap.UID)
	if err != nil || uid != t.card {
		return
	}
	if t.cardGone.IsZero() {
		t.cardGone = t.clk.Now()
	}
	if t.view.Busy {
		return
	}
	switch t.view.Scene {
	case ScenePerson, SceneCheckInChoose, SceneCheckInConfirm, SceneRedeemGrid, SceneRedeemConfirm, SceneHistory, SceneCheckOutConfirm:
	default:
		return
	}
	if tap.At.Sub(t.cardAt) >= t.opts.PlacedFor {
		t.goIdle()
	}
}

// startSession begins a new session for a tapped card, ending any other.
func (t *Terminal) startSession(uid record.CardUID, at time.Time) {
	t.session++
	t.flow = staffFlow{}
	t.card, t.cardAt, t.person, t.cardGone = uid, at, 0, time.Time{}
	t.run(false, func(ctx context.Context) func() {
		info, err := t.led.LookupCard(ctx, uid)
		return func() { t.cardLookedUp(info, err) }
	})
}

func (t *Terminal) cardLookedUp(info ledger.CardInfo, err error) {
	switch {
	case errors.Is(err, ledger.ErrUnknownCard):
		t.notice(ToneRefusal, T("card.unknown"), T("card.unknown_hint"))
		return
	case errors.Is(err, ledger.ErrCardLost):
		t.notice(ToneRefusal, T("card.lost"), T("card.desk_hint"))
		return
	case errors.Is(err, ledger.ErrCardRevoked):
		t.notice(ToneRefusal, T("card.revoked"), T("card.desk_hint"))
		return
	case errors.Is(err, ledger.ErrStaffDisabled):
		// No PIN screen for a disabled staff card: it can do nothing.
		t.notice(ToneRefusal, T("staff.disabled"), T("staff.disabled_hint"))
		return
	case err != nil:
		t.failed(err)
		return
	}
	if info.Staff != nil {
		t.staffTapped(*info.Staff)
		return
	}
	t.person = info.Person.ID
	t.setPerson(info)
	t.show(ScenePerson, ToneSuccess)
}

func (t *Terminal) setPerson(info ledger.CardInfo) {
	p := PersonView{Name: viewName(*info.Person), Provisional: info.Person.Provisional, Kind: info.Person.Kind, Points: info.Balance.Points, Minutes: info.Balance.Minutes}
	if s := info.OpenShift; s != nil {
		p.OpenShift = &OpenShift{Activity: t.activityName(s.Activity), Since: s.OpenedAt}
	}
	t.view.Person = p
}

// activityName looks an activity's name up among what the terminal has seen;
// the ledger call is cheap enough to make from a job, so jobs fill it in.
func (t *Terminal) activityName(id record.ActivityID) string {
	for _, a := range t.view.Idle.Activities {
		if a.ID == id {
			return a.Name
		}
	}
	for _, a := range t.activities {
		if a.ID == id {
			return a.Name
		}
	}
	return ""
}

// notice shows a refusal or an explanation with what to do next.
func (t *Terminal) notice(tone Tone, title Text, lines ...Text) {
	t.show(SceneNotice, tone)
	t.view.Title = title
	t.view.Lines = lines
}

// failed handles an error the visitor cannot act on, as Classify says: a
// broken ledger needs a technician and is never written again; a full disk
// needs one too, but the next tap is served and tries again; a busy
// database was tried again already and the visitor may try once more.
func (t *Terminal) failed(err error) {
	t.note(err)
	switch Classify(err) {
	case TroubleBroken:
		t.fault(err)
	case TroubleStorage:
		t.logf("kiosk: a write failed, a technician is needed (%s): %v", FaultCode(err), err)
		t.notice(ToneAttention, T("tech.title"), T("tech.code", FaultCode(err)))
	case TroubleBusy:
		t.notice(ToneRefusal, T("result.refused"), T("result.try_again"))
		t.say(PromptTryAgain)
	default:
		t.logf("kiosk: %v", err)
		t.notice(ToneRefusal, T("result.refused"), T("tech.code", FaultInternal))
	}
}

// fault shows "needs a technician" and stops writing for good: a restart
// after the technician's repair is the way out, never a crash loop.
func (t *Terminal) fault(err error) {
	code := FaultCode(err)
	t.logf("kiosk: needs a technician (%s): %v", code, err)
	t.session++
	t.view.Fault = code
	t.show(SceneTechnician, ToneAttention)
	t.view.Title = T("tech.title")
	t.view.Lines = []Text{T("tech.code", code)}
}
