package kiosk_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/drivers/feedback"
	"github.com/hongmajia/hongmajia/drivers/feedback/feedbacktest"
	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/kiosk"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"

	_ "modernc.org/sqlite"
)

// stationRules credit quarter hours, at least 15 minutes, at most 8 hours,
// 10 points an hour for a red vest, 6 for a green one.
var stationRules = record.Rules{
	PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 10, record.GreenVest: 6},
	RoundMinutes:  15, MinMinutes: 15, MaxMinutes: 8 * 60, AnyTime: true,
}

type stationFixture struct {
	env  *ledgertest.Env
	desk ledger.Activity
	st   *kiosk.Station
	fb   *feedbacktest.Recorder
	logs *strings.Builder
}

func newStationFixture(t *testing.T, opts kiosk.StationOptions) *stationFixture {
	t.Helper()
	e := ledgertest.MustOpen(t)
	desk := e.AddActivity(t, "便民服务", record.Schedule{}, stationRules)
	if err := e.SetStationActivity(context.Background(), desk.ID); err != nil {
		t.Fatal(err)
	}
	f := &stationFixture{env: e, desk: desk, fb: &feedbacktest.Recorder{}, logs: &strings.Builder{}}
	opts.Clock, opts.Feedback = e.Clock, f.fb
	opts.Logf = func(format string, args ...any) { fmt.Fprintf(f.logs, format+"\n", args...) }
	f.st = kiosk.NewStation(e.Ledger, nil, opts)
	return f
}

func (f *stationFixture) tap(t *testing.T, uid record.CardUID) kiosk.StationResult {
	t.Helper()
	return f.st.Tap(context.Background(), rfid.Tap{Card: rfid.Card{UID: uid.Bytes()}, Kind: rfid.KindSim, At: f.env.Clock.Now()})
}

func (f *stationFixture) entries(t *testing.T) int64 {
	t.Helper()
	st, err := f.env.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st.Entries
}

func TestStationCheckInThenOutCreditsByRules(t *testing.T) {
	f := newStationFixture(t, kiosk.StationOptions{})
	ctx := context.Background()
	p, card := f.env.AddPerson(t, "王堃", record.RedVest)

	in := f.tap(t, card)
	if in.Outcome != kiosk.CheckedIn || in.Shift.Activity != f.desk.ID || in.Shift.State != ledger.ShiftOpen {
		t.Fatalf("first tap: %+v", in)
	}
	f.env.Clock.Advance(time.Hour + 44*time.Minute) // 1h44 rounds down to 1h30
	out := f.tap(t, card)
	if out.Outcome != kiosk.CheckedOut || out.Credit.Minutes != 90 || out.Credit.Points != 15 || out.Shift.ID != in.Shift.ID {
		t.Fatalf("second tap: %+v", out)
	}
	bal, err := f.env.Balance(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if bal.Minutes != 90 || bal.Points != 15 {
		t.Errorf("balance %+v, want 90 min and 15 points", bal)
	}
	if got := f.fb.Played(); !slices.Equal(got, []feedback.Pattern{feedback.Success, feedback.Success}) {
		t.Errorf("played %v", got)
	}
	// The log names the card, the member number and the masked name, never the name.
	if log := f.logs.String(); !strings.Contains(log, "checked in card "+string(card)) ||
		!strings.Contains(log, "checked out card "+string(card)) || !strings.Contains(log, "90 min, 15 points") ||
		!strings.Contains(log, p.MemberNo+" (王*)") || strings.Contains(log, "王堃") {
		t.Errorf("log:\n%s", log)
	}
	// A third tap, later, opens a new shift.
	f.env.Clock.Advance(2 * time.Hour)
	if r := f.tap(t, card); r.Outcome != kiosk.CheckedIn || r.Shift.ID == in.Shift.ID {
		t.Errorf("third tap: %+v", r)
	}
	f.env.MustVerify(t)
}

func TestStationRepeatsTheAnswerWithinTheWindow(t *testing.T) {
	f := newStationFixture(t, kiosk.StationOptions{RepeatWindow: time.Minute})
	_, card := f.env.AddPerson(t, "李喆", record.GreenVest)
	in := f.tap(t, card)
	if in.Outcome != kiosk.CheckedIn {
		t.Fatalf("first tap: %+v", in)
	}
	before := f.entries(t)
	// The volunteer did not hear the beep and taps again: same answer, nothing written.
	f.env.Clock.Advance(20 * time.Second)
	again := f.tap(t, card)
	if again.Outcome != kiosk.Repeated || again.Shift.ID != in.Shift.ID {
		t.Fatalf("repeat: %+v", again)
	}
	if n := f.entries(t); n != before {
		t.Errorf("entries %d after the repeat, want %d", n, before)
	}
	info, err := f.env.LookupCard(context.Background(), card)
	if err != nil || info.OpenShift == nil || info.OpenShift.ID != in.Shift.ID {
		t.Fatalf("after the repeat the shift must still be open: %+v %v", info.OpenShift, err)
	}
	// After the window the tap checks out: 2h at 6 points an hour.
	f.env.Clock.Advance(2*time.Hour - 20*time.Second)
	out := f.tap(t, card)
	if out.Outcome != kiosk.CheckedOut || out.Credit.Minutes != 120 || out.Credit.Points != 12 {
		t.Fatalf("check-out: %+v", out)
	}
	if got := f.fb.Played(); !slices.Equal(got, []feedback.Pattern{feedback.Success, feedback.Success, feedback.Success}) {
		t.Errorf("played %v", got)
	}
	// Another card within the window is its own answer.
	_, other := f.env.AddPerson(t, "陈赟", record.RedVest)
	if r := f.tap(t, other); r.Outcome != kiosk.CheckedIn {
		t.Errorf("other card: %+v", r)
	}
}

// cardIn makes a volunteer whose card staff then put in state.
func cardIn(state ledger.CardState) func(t *testing.T, f *stationFixture) record.CardUID {
	return func(t *testing.T, f *stationFixture) record.CardUID {
		_, c := f.env.AddPerson(t, "周玥", record.RedVest)
		if _, err := f.env.SetCardState(context.Background(), ledger.SetCardState{ID: record.NewEntryID(), UID: c, State: state, Operator: f.env.Staff, Reason: "test"}); err != nil {
			t.Fatal(err)
		}
		return c
	}
}

func TestStationRefusals(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		card func(t *testing.T, f *stationFixture) record.CardUID
		want error // nil: only the outcome is checked
	}{
		{"unknown card", func(t *testing.T, f *stationFixture) record.CardUID { return f.env.NewUID() }, ledger.ErrUnknownCard},
		{"lost card", cardIn(ledger.CardLost), ledger.ErrCardLost},
		{"revoked card", cardIn(ledger.CardRevoked), ledger.ErrCardRevoked},
		{"staff card", func(t *testing.T, f *stationFixture) record.CardUID { return f.env.Staff }, nil},
		{"disabled staff card", func(t *testing.T, f *stationFixture) record.CardUID {
			if _, err := f.env.SetStaffActive(ctx, ledger.SetStaffActive{ID: record.NewEntryID(), UID: f.env.Staff}); err != nil {
				t.Fatal(err)
			}
			return f.env.Staff
		}, ledger.ErrStaffDisabled},
		{"activity closed now", func(t *testing.T, f *stationFixture) record.CardUID {
			// The clock reads 09:00; this activity runs in the evening only.
			evening := f.env.AddActivity(t, "网格巡查", record.Schedule{Start: "19:00", End: "21:00"}, record.Rules{})
			if err := f.env.SetStationActivity(ctx, evening.ID); err != nil {
				t.Fatal(err)
			}
			_, c := f.env.AddPerson(t, "欧阳娜娜", record.RedVest)
			return c
		}, ledger.ErrNotInWindow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newStationFixture(t, kiosk.StationOptions{})
			card := tc.card(t, f)
			before := f.entries(t)
			r := f.tap(t, card)
			if r.Outcome != kiosk.Refused || r.Err == nil {
				t.Fatalf("tap: %+v", r)
			}
			if tc.want != nil && !errors.Is(r.Err, tc.want) {
				t.Errorf("refused for %v, want %v", r.Err, tc.want)
			}
			if got := f.fb.Played(); !slices.Equal(got, []feedback.Pattern{feedback.Refusal}) {
				t.Errorf("played %v, want the refusal", got)
			}
			if n := f.entries(t); n != before {
				t.Errorf("a refusal wrote %d entries", n-before)
			}
			if !strings.Contains(f.logs.String(), "refused card "+string(card)) {
				t.Errorf("log:\n%s", f.logs.String())
			}
			// A refused card is refused again, never "repeated".
			f.env.Clock.Advance(5 * time.Second)
			if r := f.tap(t, card); r.Outcome != kiosk.Refused {
				t.Errorf("second tap: %+v", r)
			}
		})
	}
}

func TestStationOverLongShiftIsFlaggedNotCredited(t *testing.T) {
	f := newStationFixture(t, kiosk.StationOptions{})
	p, card := f.env.AddPerson(t, "王堃", record.RedVest)
	f.tap(t, card)
	f.env.Clock.Advance(9 * time.Hour) // over the 8-hour maximum: forgot to check out
	r := f.tap(t, card)
	if r.Outcome != kiosk.CheckedOut || r.Credit.Flag != record.FlagOverMax || r.Credit.Points != 0 {
		t.Fatalf("tap: %+v", r)
	}
	if got := f.fb.Played(); got[len(got)-1] != feedback.Refusal {
		t.Errorf("played %v: a shift left for staff is not a success", got)
	}
	if bal, _ := f.env.Balance(context.Background(), p.ID); bal.Points != 0 || bal.Minutes != 0 {
		t.Errorf("balance %+v", bal)
	}
	if !strings.Contains(f.logs.String(), "flagged for staff") {
		t.Errorf("log:\n%s", f.logs.String())
	}
}

func TestStationConfiguredActivity(t *testing.T) {
	e := ledgertest.MustOpen(t)
	e.AddActivity(t, "便民服务", record.Schedule{}, stationRules)
	care := e.AddActivity(t, "助老服务", record.Schedule{}, stationRules)
	_, card := e.AddPerson(t, "李喆", record.RedVest)
	for _, name := range []string{"助老服务", fmt.Sprint(int64(care.ID))} {
		st := kiosk.NewStation(e.Ledger, nil, kiosk.StationOptions{Clock: e.Clock, Activity: name})
		a, err := st.Activity(context.Background())
		if err != nil || a.ID != care.ID {
			t.Errorf("activity %q: %+v %v", name, a, err)
		}
	}
	st := kiosk.NewStation(e.Ledger, nil, kiosk.StationOptions{Clock: e.Clock, Activity: "助老服务"})
	r := st.Tap(context.Background(), rfid.Tap{Card: rfid.Card{UID: card.Bytes()}, At: e.Clock.Now()})
	if r.Outcome != kiosk.CheckedIn || r.Shift.Activity != care.ID {
		t.Errorf("tap: %+v", r)
	}
	// Neither configured nor in the ledger: every tap is refused, saying why.
	fb := &feedbacktest.Recorder{}
	none := kiosk.NewStation(e.Ledger, nil, kiosk.StationOptions{Clock: e.Clock, Feedback: fb, Activity: "没有"})
	_, other := e.AddPerson(t, "周玥", record.RedVest)
	r = none.Tap(context.Background(), rfid.Tap{Card: rfid.Card{UID: other.Bytes()}, At: e.Clock.Now()})
	if r.Outcome != kiosk.Refused || !errors.Is(r.Err, ledger.ErrNotFound) {
		t.Errorf("unknown activity: %+v", r)
	}
}

func TestStationFaultStopsWriting(t *testing.T) {
	ctx := context.Background()
	t.Run("ledger never opened", func(t *testing.T) {
		fb := &feedbacktest.Recorder{}
		err := &ledger.FileError{Path: "/var/lib/hongmajia/ledger.db", Err: ledger.ErrCorrupt}
		st := kiosk.NewStation(nil, err, kiosk.StationOptions{Feedback: fb})
		events := make(chan rfid.Event, 1)
		events <- rfid.Event{Kind: rfid.EventTap, Tap: rfid.Tap{Card: rfid.Card{UID: rfid.UID{0x88, 0, 0, 1}}}}
		close(events)
		if err := st.Run(ctx, events); err != nil {
			t.Fatal(err)
		}
		// Attention at start, and again for the tap.
		if got := fb.Played(); !slices.Equal(got, []feedback.Pattern{feedback.Attention, feedback.Attention}) {
			t.Errorf("played %v", got)
		}
		if r := st.Last(); r.Outcome != kiosk.Faulted || !errors.Is(r.Err, ledger.ErrCorrupt) {
			t.Errorf("last: %+v", r)
		}
	})
	t.Run("ledger fails while running", func(t *testing.T) {
		f := newStationFixture(t, kiosk.StationOptions{})
		_, card := f.env.AddPerson(t, "王堃", record.RedVest)
		f.env.Ledger.Close() // the ledger is gone from under the station
		for range 2 {
			f.env.Clock.Advance(time.Hour)
			if r := f.tap(t, card); r.Outcome != kiosk.Faulted || r.Err == nil {
				t.Fatalf("tap: %+v", r)
			}
		}
		if got := f.fb.Played(); !slices.Equal(got, []feedback.Pattern{feedback.Attention, feedback.Attention}) {
			t.Errorf("played %v", got)
		}
		f.env.Reopen(t)
		if st, _ := f.env.Status(ctx); st.OpenShifts != 0 {
			t.Errorf("a faulted station wrote: %d open shifts", st.OpenShifts)
		}
	})
}

func TestStationRetriesABusyLedger(t *testing.T) {
	f := newStationFixture(t, kiosk.StationOptions{Retry: kiosk.Retry{Delay: time.Second}})
	_, card := f.env.AddPerson(t, "王堃", record.RedVest)
	f.env.Opts.BusyTimeout = 20 * time.Millisecond
	f.env.Reopen(t)
	f.st = kiosk.NewStation(f.env.Ledger, nil, kiosk.StationOptions{Clock: f.env.Clock, Feedback: f.fb, Retry: kiosk.Retry{Delay: time.Second}})
	before := f.entries(t)

	// Another process (a backup, kioskctl) holds the write lock.
	db, err := sql.Open("sqlite", filepath.Join(f.env.Dir, ledger.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	done := make(chan kiosk.StationResult, 1)
	go func() { done <- f.tap(t, card) }()
	// The check-in met the lock and waits to try again.
	for deadline := time.Now().Add(5 * time.Second); f.env.Clock.Waiters() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the station did not wait to retry")
		}
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	f.env.Clock.Advance(time.Second)
	r := <-done
	if r.Outcome != kiosk.CheckedIn {
		t.Fatalf("tap: %+v", r)
	}
	if n := f.entries(t); n != before+1 {
		t.Errorf("%d entries written, want one check-in", n-before)
	}
	if got := f.fb.Played(); !slices.Equal(got, []feedback.Pattern{feedback.Success}) {
		t.Errorf("played %v", got)
	}

	// Held for good: after its attempts the station refuses, having written nothing.
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, "ROLLBACK")
	f.env.Clock.Advance(time.Hour)
	go func() { done <- f.tap(t, card) }()
	for range 2 {
		for deadline := time.Now().Add(5 * time.Second); f.env.Clock.Waiters() == 0; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the station did not wait to retry")
			}
		}
		f.env.Clock.Advance(time.Second)
	}
	if r := <-done; r.Outcome != kiosk.Refused || !errors.Is(r.Err, ledger.ErrBusy) {
		t.Errorf("tap on a locked ledger: %+v", r)
	}
}

// BenchmarkStationTap is a tap's cost at a headless station, from the
// reader's event to the pattern played: a lookup and one committed write
// (check-in or check-out, alternately), with its fsync.
func BenchmarkStationTap(b *testing.B) {
	e := ledgertest.MustOpen(b)
	desk := e.AddActivity(b, "便民服务", record.Schedule{}, stationRules)
	if err := e.SetStationActivity(context.Background(), desk.ID); err != nil {
		b.Fatal(err)
	}
	_, card := e.AddPerson(b, "王堃", record.RedVest)
	st := kiosk.NewStation(e.Ledger, nil, kiosk.StationOptions{Clock: e.Clock})
	tap := rfid.Tap{Card: rfid.Card{UID: card.Bytes()}, Kind: rfid.KindSim}
	b.ReportAllocs()
	for b.Loop() {
		e.Clock.Advance(time.Hour)
		tap.At = e.Clock.Now()
		if r := st.Tap(context.Background(), tap); r.Outcome != kiosk.CheckedIn && r.Outcome != kiosk.CheckedOut {
			b.Fatalf("tap: %+v", r)
		}
	}
}

// A walk-in has no name to mask: the station's log says what they are
// instead of an empty "()".
func TestStationLogsAWalkIn(t *testing.T) {
	f := newStationFixture(t, kiosk.StationOptions{})
	ctx := context.Background()
	p, err := f.env.EnrolPerson(ctx, ledger.EnrolPerson{ID: record.NewEntryID(), Kind: record.GreenVest, Provisional: true})
	if err != nil {
		t.Fatal(err)
	}
	card := f.env.NewUID()
	if _, err := f.env.BindCard(ctx, ledger.BindCard{ID: record.NewEntryID(), Person: p.ID, UID: card, Operator: f.env.Staff}); err != nil {
		t.Fatal(err)
	}
	r := f.tap(t, card)
	if r.Outcome != kiosk.CheckedIn {
		t.Fatalf("tap: %v", r)
	}
	if s := r.String(); strings.Contains(s, "()") || !strings.Contains(s, "walk-in") {
		t.Errorf("log line %q: want the walk-in named as such", s)
	}
}

// stuckBuzzer blocks every Play until released: a GPIO write that hangs.
type stuckBuzzer struct {
	feedbacktest.Recorder
	release chan struct{}
}

func (b *stuckBuzzer) Play(p feedback.Pattern) {
	b.Recorder.Play(p)
	<-b.release
}

// The watchdog asks the station's loop whether it serves: it answers while
// Run runs, and not while a tap is stuck or before Run.
func TestStationAliveOnlyWhileItsLoopServes(t *testing.T) {
	f := newStationFixture(t, kiosk.StationOptions{})
	alive := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		return f.st.Alive(ctx)
	}
	if err := alive(); err == nil {
		t.Fatal("Alive before Run")
	}
	buzzer := &stuckBuzzer{release: make(chan struct{})}
	e := f.env
	st := kiosk.NewStation(e.Ledger, nil, kiosk.StationOptions{Clock: e.Clock, Feedback: buzzer})
	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan rfid.Event, 1)
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx, events) }()
	probe := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		return st.Alive(ctx)
	}
	if err := probe(); err != nil {
		t.Fatalf("Alive while Run serves: %v", err)
	}
	_, card := e.AddPerson(t, "王堃", record.RedVest)
	events <- rfid.Event{Kind: rfid.EventTap, Tap: rfid.Tap{Card: rfid.Card{UID: card.Bytes()}, Kind: rfid.KindSim, At: e.Clock.Now()}}
	for len(buzzer.Played()) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	if err := probe(); err == nil {
		t.Fatal("Alive while a tap is stuck")
	}
	close(buzzer.release)
	if err := probe(); err != nil {
		t.Fatalf("Alive once the tap ended: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
