package kiosk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/drivers/feedback"
	"github.com/hongmajia/hongmajia/drivers/feedback/feedbacktest"
	"github.com/hongmajia/hongmajia/drivers/printer"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// fakePrinter hands each slip to the test; stuck holds Print that long (a
// printer out of paper), err fails it.
type fakePrinter struct {
	slips    chan printer.Slip
	stuck    time.Duration
	err      error
	returned atomic.Bool
}

func (p *fakePrinter) Print(ctx context.Context, s printer.Slip) error {
	defer p.returned.Store(true)
	p.slips <- s
	if p.stuck > 0 {
		select {
		case <-time.After(p.stuck):
			return errors.New("printer: stuck")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return p.err
}

// logBook collects the terminal's log lines.
type logBook struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBook) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logBook) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// printerRig is a rig whose terminal has p as its receipt printer.
func printerRig(t *testing.T, p Printer, log *logBook) *rig {
	t.Helper()
	env := ledgertest.MustOpen(t)
	fb := &feedbacktest.Recorder{}
	term := New(env.Ledger, Options{Clock: env.Clock, Feedback: fb, Printer: p, Logf: log.logf,
		Words: func(k string) string { return "words:" + k }})
	t.Cleanup(term.Close)
	term.Settle()
	return &rig{t: t, env: env, term: term, fb: fb}
}

// redeemRice redeems 大米 (80 points) for a resident with 100.
func (r *rig) redeemRice() View {
	r.t.Helper()
	p, card := r.env.AddPerson(r.t, "王堃", record.Resident)
	r.env.Credit(r.t, p.ID, 100)
	rice := r.env.AddItem(r.t, "大米 5kg", 80, 3)
	r.tap(card)
	r.press(ActRedeem)
	v := r.want(SceneRedeemGrid)
	r.do(Action{Kind: ActChoose, Index: slices.IndexFunc(v.Choices, func(c Choice) bool { return c.Label == rice.Name })})
	r.want(SceneRedeemConfirm)
	r.press(ActConfirm)
	return r.want(SceneRedeemDone)
}

func nextSlip(t *testing.T, slips <-chan printer.Slip) printer.Slip {
	t.Helper()
	select {
	case s := <-slips:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("no slip printed")
		panic("not reached")
	}
}

// A redemption prints its slip: the center, the item, the points, the
// time in the center's zone, and the code the screen shows.
func TestRedeemPrintsPickupSlip(t *testing.T) {
	p := &fakePrinter{slips: make(chan printer.Slip, 1)}
	r := printerRig(t, p, &logBook{})
	v := r.redeemRice()
	s := nextSlip(t, p.slips)
	want := printer.Slip{
		Heading: "测试党群服务中心",
		Title:   "words:slip.title",
		Lines: []printer.Line{
			{Label: "words:slip.item", Value: "大米 5kg"},
			{Label: "words:slip.points", Value: "80"},
			{Label: "words:slip.balance", Value: "20"},
			// ledgertest's clock: 2 March 2026, 09:00 China Standard Time.
			{Label: "words:slip.time", Value: "2026-03-02 09:00"},
		},
		CodeLabel: "words:redeem.pickup_code",
		Code:      string(v.Redeem.Code),
		Footer:    "words:redeem.pickup_hint",
	}
	if fmt.Sprint(s) != fmt.Sprint(want) || s.Code == "" {
		t.Fatalf("slip = %+v\nwant %+v", s, want)
	}
}

// A printer that never finishes does not hold the screen: the code is
// shown and the next visitor is served while the slip waits.
func TestRedeemDoesNotWaitForThePrinter(t *testing.T) {
	p := &fakePrinter{slips: make(chan printer.Slip, 4), stuck: 2 * time.Second}
	r := printerRig(t, p, &logBook{})
	v := r.redeemRice()
	if p.returned.Load() {
		t.Fatal("the screen showed the code only after the printer was done")
	}
	if v.Redeem.Code == "" || v.Tone != ToneSuccess || lastPlayed(r.fb) != feedback.Success {
		t.Fatalf("done = %+v tone %v", v.Redeem, v.Tone)
	}
	nextSlip(t, p.slips) // printing, and stuck
	_, card := r.env.AddPerson(t, "李喆", record.Resident)
	r.tap(card)
	r.want(ScenePerson)
}

// A printer that fails is logged; the screen says what it says without one.
func TestRedeemPrinterFailureIsLoggedOnly(t *testing.T) {
	p := &fakePrinter{slips: make(chan printer.Slip, 1), err: errors.New("printer: open /dev/usb/lp0: no such device")}
	log := &logBook{}
	r := printerRig(t, p, log)
	v := r.redeemRice()
	s := nextSlip(t, p.slips)
	if v.Tone != ToneSuccess || len(v.Lines) != 0 || v.Redeem.Code == "" {
		t.Fatalf("done = %+v tone %v lines %v", v.Redeem, v.Tone, v.Lines)
	}
	for i := 0; !strings.Contains(log.text(), "no such device"); i++ {
		if i == 500 {
			t.Fatalf("log %q does not say the slip failed", log.text())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(log.text(), s.Code) {
		t.Fatalf("log %q does not name the code %s", log.text(), s.Code)
	}
	r.term.Poll()
	if got := r.term.View(); got.Scene != SceneRedeemDone || len(got.Lines) != 0 {
		t.Fatalf("after the failure the screen shows %v %v", got.Scene, got.Lines)
	}
}

// Nothing is printed for a redemption refused.
func TestRedeemRefusedPrintsNothing(t *testing.T) {
	p := &fakePrinter{slips: make(chan printer.Slip, 1)}
	r := printerRig(t, p, &logBook{})
	pr, card := r.env.AddPerson(t, "李喆", record.Resident)
	q, other := r.env.AddPerson(t, "陈赟", record.Resident)
	r.env.Credit(t, pr.ID, 100)
	r.env.Credit(t, q.ID, 100)
	towel := r.env.AddItem(t, "毛巾", 40, 1)
	r.tap(card)
	r.press(ActRedeem)
	r.do(Action{Kind: ActChoose, Index: 0})
	r.want(SceneRedeemConfirm)
	// Meanwhile the last towel goes to someone else.
	if _, err := r.env.Redeem(context.Background(), ledger.Redeem{ID: record.NewEntryID(), Card: other, Item: towel.ID}); err != nil {
		t.Fatal(err)
	}
	r.press(ActConfirm)
	r.wantTitle(SceneNotice, "refusal.out_of_stock")
	select {
	case s := <-p.slips:
		t.Fatalf("slip printed for a refused redemption: %+v", s)
	case <-time.After(50 * time.Millisecond):
	}
}
