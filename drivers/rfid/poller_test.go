package rfid

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
)

// answer is what a scripted Detector returns on one poll.
type answer struct {
	card Card
	err  error
}

func card(c Card) answer { return answer{card: c} }

var (
	none      = answer{err: ErrNoCard}
	transient = answer{err: &Error{Kind: Transient, Err: errors.New("CRC error")}}
	gone      = answer{err: &Error{Kind: Absent, Err: errors.New("spi: no such device")}}
)

// scripted is a Detector answering from a script, one answer per poll; past
// the end it sees an empty field.
type scripted struct {
	name   string
	mu     sync.Mutex
	script []answer
	polls  int
	halted bool
}

func (s *scripted) Detect(ctx context.Context) (Card, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.halted {
		return Card{}, &Error{Kind: Fatal, Err: errors.New("detect after halt")}
	}
	s.polls++
	if len(s.script) == 0 {
		return Card{}, ErrNoCard
	}
	a := s.script[0]
	s.script = s.script[1:]
	return a.card, a.err
}

func (s *scripted) String() string { return s.name }

func (s *scripted) Halt() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.halted = true
	return nil
}

// opener hands out detectors (or errors) one open at a time and records when
// each open happened on the fake clock.
type opener struct {
	clk   *clock.Fake
	mu    sync.Mutex
	next  []any // *scripted or error
	at    []time.Time
	dets  []*scripted
	extra *scripted // returned once next is used up
}

func (o *opener) open() (Detector, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.at = append(o.at, o.clk.Now())
	if len(o.next) == 0 {
		return o.extra, nil
	}
	n := o.next[0]
	o.next = o.next[1:]
	if err, ok := n.(error); ok {
		return nil, err
	}
	d := n.(*scripted)
	o.dets = append(o.dets, d)
	return d, nil
}

func (o *opener) opens() []time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]time.Time(nil), o.at...)
}

type harness struct {
	t      *testing.T
	clk    *clock.Fake
	p      *Poller
	out    chan Event
	done   chan error
	cancel context.CancelFunc
	status []Status
	smu    sync.Mutex
}

func newHarness(t *testing.T, open func() (Detector, error), clk *clock.Fake, opts PollerOpts) *harness {
	t.Helper()
	h := &harness{t: t, clk: clk, out: make(chan Event, 64), done: make(chan error, 1)}
	opts.OnStatus = func(s Status) {
		h.smu.Lock()
		h.status = append(h.status, s)
		h.smu.Unlock()
	}
	h.p = NewPoller(open, clk, &opts)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- h.p.Run(ctx, h.out) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	return h
}

// blocked waits (in real time, briefly) until the poller waits on the fake
// clock: everything before that wait has happened.
func (h *harness) blocked() {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for h.clk.Waiters() == 0 {
		if time.Now().After(deadline) {
			h.t.Fatal("poller never waited on the clock")
		}
		runtime.Gosched()
		time.Sleep(10 * time.Microsecond)
	}
}

// advance lets the poller's current wait of d pass.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	h.blocked()
	h.clk.Advance(d)
}

// polls runs n poll intervals of 100 ms.
func (h *harness) polls(n int) {
	h.t.Helper()
	for range n {
		h.advance(100 * time.Millisecond)
	}
	h.blocked()
}

func (h *harness) events() []Event {
	var evs []Event
	for {
		select {
		case ev := <-h.out:
			evs = append(evs, ev)
		default:
			return evs
		}
	}
}

func (h *harness) states() []State {
	h.smu.Lock()
	defer h.smu.Unlock()
	var s []State
	for _, st := range h.status {
		s = append(s, st.State)
	}
	return s
}

func newClock() *clock.Fake { return clock.NewFake(t0) }

func pollOpts() PollerOpts {
	o := DefaultPollerOpts
	o.Kind = KindMFRC522
	o.Name = "mfrc522 /dev/spidev0.0"
	return o
}

func TestPollerHeldCardIsOneTapAndLeaves(t *testing.T) {
	clk := newClock()
	det := &scripted{name: "fake", script: []answer{none, card(cardA), card(cardA), card(cardA), card(cardA), none, none, none, none}}
	h := newHarness(t, func() (Detector, error) { return det, nil }, clk, pollOpts())
	h.polls(9)
	evs := h.events()
	if len(evs) != 2 {
		t.Fatalf("events = %+v, want a tap and a left", evs)
	}
	if evs[0].Kind != EventTap || !evs[0].Tap.UID.Equal(cardA.UID) || !evs[0].Tap.At.Equal(ms(100)) || evs[0].Tap.Type != cardA.Type {
		t.Errorf("tap = %+v, want card A at +100ms", evs[0])
	}
	// polls at 500, 600, 700 found nothing: gone on the third.
	if evs[1].Kind != EventLeft || !evs[1].Tap.UID.Equal(cardA.UID) || !evs[1].Tap.At.Equal(ms(700)) {
		t.Errorf("left = %+v, want card A at +700ms", evs[1])
	}
	if det.polls != 10 {
		t.Errorf("polls = %d, want 10 (one at start, one per interval)", det.polls)
	}
	st := h.p.Status()
	if st.State != StateOK || st.Taps != 1 || st.Device != "fake" || st.Kind != KindMFRC522 {
		t.Errorf("status = %+v", st)
	}
}

func TestPollerDebouncesRepeatsAndNewCards(t *testing.T) {
	clk := newClock()
	script := []answer{card(cardA), none, none, none} // A, then gone at 300
	script = append(script, card(cardA), none, none, none)
	for range 20 { // 2 s of nothing
		script = append(script, none)
	}
	script = append(script, card(cardA), card(cardB))
	det := &scripted{name: "fake", script: script}
	h := newHarness(t, func() (Detector, error) { return det, nil }, clk, pollOpts())
	h.polls(len(script))
	var got []string
	for _, ev := range h.events() {
		got = append(got, ev.Kind.String()+" "+ev.Tap.UID.Hex()+" "+ev.Tap.At.Sub(t0).String())
	}
	want := []string{
		"tap 04A1B2C3D4E5F6 0s",
		"left 04A1B2C3D4E5F6 300ms",
		// back at 400 ms, inside the window: ignored, and so its leaving
		"tap 04A1B2C3D4E5F6 2.8s",
		"tap DEADBEEF 2.9s",
	}
	if len(got) != len(want) {
		t.Fatalf("events:\n%v\nwant:\n%v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestPollerCountsTransientErrorsAndRetries(t *testing.T) {
	clk := newClock()
	det := &scripted{name: "fake", script: []answer{transient, transient, card(cardB), transient}}
	h := newHarness(t, func() (Detector, error) { return det, nil }, clk, pollOpts())
	h.polls(4)
	evs := h.events()
	if len(evs) != 1 || evs[0].Kind != EventTap || !evs[0].Tap.At.Equal(ms(200)) {
		t.Fatalf("events = %+v, want one tap at +200ms", evs)
	}
	st := h.p.Status()
	if st.Transient != 3 || st.State != StateOK || st.Reopens != 0 {
		t.Fatalf("status = %+v, want 3 transient errors, ok, no reopen", st)
	}
	if st.Err == nil || KindOf(st.Err) != Transient {
		t.Fatalf("status error = %v, want the transient error", st.Err)
	}
}

func TestPollerMalformedUIDIsTransient(t *testing.T) {
	clk := newClock()
	det := &scripted{name: "fake", script: []answer{card(Card{}), card(Card{UID: make(UID, 17)}), card(cardC)}}
	h := newHarness(t, func() (Detector, error) { return det, nil }, clk, pollOpts())
	h.polls(3)
	evs := h.events()
	if len(evs) != 1 || !evs[0].Tap.UID.Equal(cardC.UID) {
		t.Fatalf("events = %+v, want only card C", evs)
	}
	if st := h.p.Status(); st.Transient != 2 {
		t.Fatalf("transient = %d, want 2", st.Transient)
	}
}

func TestPollerReopensAbsentReaderWithBackoff(t *testing.T) {
	clk := newClock()
	absent := &Error{Kind: Absent, Err: errors.New("no SPI device")}
	det := &scripted{name: "fake", script: []answer{card(cardA)}}
	o := &opener{clk: clk, next: []any{absent, absent, absent, det}}
	h := newHarness(t, o.open, clk, pollOpts())

	h.blocked()
	st := h.p.Status()
	if st.State != StateAbsent || !errors.Is(st.Err, absent) || !st.Retry.Equal(ms(500)) {
		t.Fatalf("status after first failure = %+v", st)
	}
	if st.Device != "mfrc522 /dev/spidev0.0" {
		t.Fatalf("device = %q, want the configured name", st.Device)
	}
	h.advance(500 * time.Millisecond)
	h.advance(time.Second)
	h.advance(2 * time.Second)
	h.blocked()
	want := []time.Time{ms(0), ms(500), ms(1500), ms(3500)}
	got := o.opens()
	if len(got) != len(want) {
		t.Fatalf("opens at %v, want %v", got, want)
	}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Fatalf("open %d at %v, want %v", i, got[i].Sub(t0), want[i].Sub(t0))
		}
	}
	evs := h.events()
	if len(evs) != 1 || !evs[0].Tap.At.Equal(ms(3500)) {
		t.Fatalf("events = %+v, want the tap right after reopening", evs)
	}
	st = h.p.Status()
	if st.State != StateOK || st.Reopens != 1 || !st.Retry.IsZero() || st.Device != "fake" {
		t.Fatalf("status after reopen = %+v", st)
	}
	states := h.states()
	if len(states) < 2 || states[0] != StateAbsent || states[len(states)-1] != StateOK {
		t.Fatalf("OnStatus states = %v", states)
	}
}

func TestPollerBackoffIsCappedAndResetAfterSuccess(t *testing.T) {
	clk := newClock()
	wiring := &Error{Kind: Wiring, Err: errors.New("VersionReg 0xff")}
	healthy := &scripted{name: "ok", script: []answer{none, gone}}
	o := &opener{clk: clk, next: []any{wiring, wiring, wiring, wiring, healthy, wiring}, extra: &scripted{name: "later"}}
	opts := pollOpts()
	opts.MaxBackoff = 3 * time.Second
	h := newHarness(t, o.open, clk, opts)
	h.blocked()
	if st := h.p.Status(); st.State != StateWiring {
		t.Fatalf("state = %v, want wiring", st.State)
	}
	for _, d := range []time.Duration{500, 1000, 2000, 3000} { // capped at 3 s
		h.advance(d * time.Millisecond)
	}
	// opened at 6.5 s: polls none, then at 6.6 s the reader vanishes
	h.advance(100 * time.Millisecond)
	h.blocked()
	if st := h.p.Status(); st.State != StateAbsent {
		t.Fatalf("state = %v, want absent after the reader vanished", st.State)
	}
	if !healthy.halted {
		t.Fatal("the vanished detector was not halted")
	}
	h.advance(500 * time.Millisecond) // backoff reset by the good poll
	h.blocked()
	want := []int{0, 500, 1500, 3500, 6500, 7100}
	got := o.opens()
	if len(got) != len(want) {
		t.Fatalf("opens at %v, want %v ms", got, want)
	}
	for i := range want {
		if !got[i].Equal(ms(want[i])) {
			t.Fatalf("open %d at %v, want %d ms", i, got[i].Sub(t0), want[i])
		}
	}
}

func TestPollerReopensAfterTransientStreak(t *testing.T) {
	clk := newClock()
	stuck := &scripted{name: "stuck", script: []answer{transient, transient, transient}}
	fresh := &scripted{name: "fresh", script: []answer{card(cardA)}}
	o := &opener{clk: clk, next: []any{stuck, fresh}}
	opts := pollOpts()
	opts.ReopenAfter = 3
	h := newHarness(t, o.open, clk, opts)
	h.polls(2)
	// the third transient error reopens at once, without waiting
	evs := h.events()
	if len(evs) != 1 || !evs[0].Tap.At.Equal(ms(200)) {
		t.Fatalf("events = %+v, want card A at 200ms from the fresh detector", evs)
	}
	if !stuck.halted {
		t.Fatal("stuck detector not halted")
	}
	if st := h.p.Status(); st.Reopens != 1 || st.Transient != 3 || st.State != StateOK {
		t.Fatalf("status = %+v", st)
	}
}

func TestPollerFatalPlainError(t *testing.T) {
	clk := newClock()
	o := &opener{clk: clk, next: []any{errors.New("permission denied")}, extra: &scripted{name: "x"}}
	h := newHarness(t, o.open, clk, pollOpts())
	h.blocked()
	if st := h.p.Status(); st.State != StateFatal || st.Err == nil {
		t.Fatalf("status = %+v, want fatal with the error", st)
	}
}

func TestPollerHaltReleasesDevice(t *testing.T) {
	clk := newClock()
	det := &scripted{name: "fake"}
	h := newHarness(t, func() (Detector, error) { return det, nil }, clk, pollOpts())
	h.blocked()
	if err := h.p.Run(context.Background(), h.out); err == nil {
		t.Fatal("second concurrent Run did not fail")
	}
	if err := h.p.Halt(); err != nil {
		t.Fatal(err)
	}
	if err := <-h.done; err != nil {
		t.Fatalf("Run after Halt = %v, want nil", err)
	}
	h.done <- nil // for the cleanup
	if !det.halted {
		t.Fatal("detector not halted")
	}
	if st := h.p.Status(); st.State != StateStopped {
		t.Fatalf("state = %v, want stopped", st.State)
	}
	if err := h.p.Halt(); err != nil {
		t.Fatalf("Halt when not running: %v", err)
	}
}

func TestPollerCancelReturnsContextError(t *testing.T) {
	clk := newClock()
	p := NewPoller(func() (Detector, error) { return &scripted{name: "x"}, nil }, clk, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx, make(chan Event)) }()
	for clk.Waiters() == 0 {
		runtime.Gosched()
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
}

func TestPollerBlockedOnSlowConsumerStillStops(t *testing.T) {
	clk := newClock()
	det := &scripted{name: "fake", script: []answer{card(cardA)}}
	p := NewPoller(func() (Detector, error) { return det, nil }, clk, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx, make(chan Event)) }() // nobody reads
	for det.pollsDone() == 0 {
		runtime.Gosched()
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
}

func (s *scripted) pollsDone() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.polls
}

// pushed is a Detector that blocks until the test sends it an answer, as the
// wedge and the simulator do.
type pushed struct {
	ready chan struct{} // Detect was entered: the previous answer is handled
	in    chan answer
}

func (p *pushed) Detect(ctx context.Context) (Card, error) {
	select {
	case p.ready <- struct{}{}:
	case <-ctx.Done():
		return Card{}, ctx.Err()
	}
	select {
	case a := <-p.in:
		return a.card, a.err
	case <-ctx.Done():
		return Card{}, ctx.Err()
	}
}
func (p *pushed) String() string { return "pushed" }
func (p *pushed) Halt() error    { return nil }

func TestPollerPushReader(t *testing.T) {
	clk := newClock()
	det := &pushed{ready: make(chan struct{}), in: make(chan answer)}
	p := NewPoller(func() (Detector, error) { return det, nil }, clk, &PollerOpts{Kind: KindSim})
	out := make(chan Event, 8)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx, out) }()
	step := func(d time.Duration, a answer) {
		<-det.ready
		clk.Advance(d)
		det.in <- a
	}
	step(0, card(cardA))
	step(time.Second, card(cardA)) // typed again while held
	step(time.Second, answer{err: ErrCardLeft})
	step(2*time.Second, card(cardA))
	step(0, transient)
	step(0, none)
	<-det.ready
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	var got []string
	for len(out) > 0 {
		ev := <-out
		got = append(got, ev.Kind.String()+" "+ev.Tap.At.Sub(t0).String()+" "+ev.Tap.Kind.String())
	}
	want := []string{"tap 0s sim", "left 2s sim", "tap 4s sim"}
	if len(got) != len(want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("event %d = %q, want %q", i, got[i], want[i])
		}
	}
	if clk.Waiters() != 0 {
		t.Fatalf("a push reader waited on the clock %d times", clk.Waiters())
	}
	if st := p.Status(); st.Transient != 1 || st.State != StateStopped {
		t.Fatalf("status = %+v", st)
	}
}

func TestStatusString(t *testing.T) {
	s := Status{Device: "wedge /dev/input/event3", State: StateAbsent, Since: t0, Err: errors.New("gone"), Retry: ms(500), Transient: 2}
	got := s.String()
	want := "wedge /dev/input/event3: absent since 2026-11-25T09:00:00Z, 0 taps, 2 transient errors, 0 reopens, last error: gone, retry at 2026-11-25T09:00:00Z"
	if got != want {
		t.Fatalf("String =\n%s\nwant\n%s", got, want)
	}
}

// panicking is a driver with a bug: Detect panics on its second poll.
type panicking struct{ scripted }

func (p *panicking) Detect(ctx context.Context) (Card, error) {
	c, err := p.scripted.Detect(ctx)
	if p.pollsDone() == 2 {
		var b []byte
		_ = b[5] // index out of range, as a parser might on garbage
	}
	return c, err
}

func TestPollerSurvivesPanickingDriver(t *testing.T) {
	clk := newClock()
	bad := &panicking{scripted{name: "buggy"}}
	good := &scripted{name: "good", script: []answer{card(cardA)}}
	opens := 0
	h := newHarness(t, func() (Detector, error) {
		opens++
		if opens == 1 {
			return bad, nil
		}
		return good, nil
	}, clk, pollOpts())
	h.polls(1) // second poll panics: fatal, reopen after 500 ms
	st := h.p.Status()
	if st.State != StateFatal || st.Err == nil || !strings.Contains(st.Err.Error(), "rfid: buggy panicked: runtime error: index out of range") {
		t.Fatalf("status = %+v", st)
	}
	h.advance(500 * time.Millisecond)
	h.blocked()
	if evs := h.events(); len(evs) != 1 || !evs[0].Tap.UID.Equal(cardA.UID) {
		t.Fatalf("events = %+v", evs)
	}
}

func TestPollerBadOpenerIsFatal(t *testing.T) {
	for name, tc := range map[string]struct {
		open func() (Detector, error)
		msg  string
	}{
		"returns nothing": {func() (Detector, error) { return nil, nil }, "open returned no reader"},
		"panics":          {func() (Detector, error) { panic("init on garbage") }, "opening the reader panicked: init on garbage"},
	} {
		t.Run(name, func(t *testing.T) {
			clk := newClock()
			h := newHarness(t, tc.open, clk, pollOpts())
			h.blocked()
			if st := h.p.Status(); st.State != StateFatal || !strings.Contains(st.Err.Error(), tc.msg) {
				t.Fatalf("status = %+v", st)
			}
		})
	}
}
