package kiosk

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/drivers/feedback/feedbacktest"
	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"

	_ "modernc.org/sqlite"
)

// The screen and the headless station share one policy for a reader's
// bytes, for what an error means, and for a busy database: the same read or
// the same fault gets the same answer on both.

func stationOn(t *testing.T, env *ledgertest.Env, opts StationOptions) *Station {
	t.Helper()
	act := env.AnyTime(t)
	if err := env.SetStationActivity(context.Background(), act.ID); err != nil {
		t.Fatal(err)
	}
	opts.Clock = env.Clock
	if opts.Feedback == nil {
		opts.Feedback = &feedbacktest.Recorder{}
	}
	return NewStation(env.Ledger, nil, opts)
}

func entries(t *testing.T, env *ledgertest.Env) int64 {
	t.Helper()
	st, err := env.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st.Entries
}

func TestScreenAndStationReadCardsAlike(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	st := stationOn(t, r.env, StationOptions{RepeatWindow: -1})
	// 陈赟's card is 0001E240: what a hex-msb wedge typing 123456 (three
	// bytes) would become if the bytes were read as a decimal number.
	p, _ := r.env.AddPerson(t, "陈赟", record.RedVest)
	if _, err := r.env.BindCard(ctx, ledger.BindCard{ID: record.NewEntryID(), Person: p.ID, UID: "0001E240", Operator: r.env.Staff}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		uid  rfid.UID
		card bool // a card's UID (unknown here), or a bad read
	}{
		{"3 bytes, hex-msb wedge typing 123456", rfid.UID{0x12, 0x34, 0x56}, false},
		{"4 bytes", rfid.UID{0x04, 0xA1, 0xB2, 0xC3}, true},
		{"5 bytes", rfid.UID{0x04, 0xA1, 0xB2, 0xC3, 0xD4}, false},
		{"7 bytes", rfid.UID{0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6}, true},
		{"10 bytes", rfid.UID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, true},
		{"11 bytes", rfid.UID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, false},
		{"nothing", rfid.UID{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := entries(t, r.env)
			res := st.Tap(ctx, rfid.Tap{Card: rfid.Card{UID: tc.uid}, Kind: rfid.KindWedge, At: r.env.Clock.Now()})
			r.term.Reader(rfid.Event{Kind: rfid.EventTap, Tap: rfid.Tap{Card: rfid.Card{UID: tc.uid}, Kind: rfid.KindWedge, At: r.env.Clock.Now()}})
			r.term.Settle()
			v := r.want(SceneNotice)
			wantErr, wantTitle := ledger.ErrBadUID, "card.unreadable"
			if tc.card {
				wantErr, wantTitle = ledger.ErrUnknownCard, "card.unknown"
			}
			if res.Outcome != Refused || !errors.Is(res.Err, wantErr) {
				t.Errorf("station: %v, want refused with %v", res, wantErr)
			}
			if v.Title.Key != wantTitle {
				t.Errorf("screen: %q, want %q", v.Title.Key, wantTitle)
			}
			if n := entries(t, r.env); n != before {
				t.Errorf("%d entries written for a read that is no one's card", n-before)
			}
			r.do(Action{Kind: ActHome})
		})
	}
}

// lockLedger holds the ledger's write lock from another connection, as a
// backup or a kioskctl command does, until the returned func releases it.
func lockLedger(t *testing.T, env *ledgertest.Env) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(env.Dir, ledger.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	return func() {
		if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
	}
}

// waitForRetry waits until a write that met the lock sleeps on the fake
// clock before its next attempt.
func waitForRetry(t *testing.T, env *ledgertest.Env) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); env.Clock.Waiters() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the write did not wait to try again")
		}
	}
}

func TestScreenRetriesABusyLedgerAsTheStationDoes(t *testing.T) {
	env := ledgertest.MustOpen(t)
	env.Opts.BusyTimeout = 20 * time.Millisecond
	env.Reopen(t)
	env.AnyTime(t)
	p, card := env.AddPerson(t, "王堃", record.RedVest)
	term := New(env.Ledger, Options{Clock: env.Clock, Retry: Retry{Delay: time.Second}})
	t.Cleanup(term.Close)
	r := &rig{t: t, env: env, term: term, fb: &feedbacktest.Recorder{}}
	r.term.Settle()
	r.tap(card)
	r.press(ActCheckIn)
	r.want(SceneCheckInConfirm)

	release := lockLedger(t, env)
	r.term.Press(Action{Kind: ActConfirm})
	waitForRetry(t, env)
	release()
	env.Clock.Advance(time.Second)
	r.term.Settle()
	r.want(SceneCheckInDone)
	if s, err := env.OpenShifts(context.Background()); err != nil || len(s) != 1 || s[0].Person != p.ID {
		t.Fatalf("open shifts %v, %v: want 王堃's", s, err)
	}

	// Held through every attempt: the visitor is asked to try again, and
	// nothing was written.
	r.press(ActBack, ActHome)
	r.tap(card)
	r.want(ScenePerson)
	r.press(ActCheckOut)
	r.want(SceneCheckOutConfirm)
	release = lockLedger(t, env)
	defer release()
	before := entries(t, env)
	r.term.Press(Action{Kind: ActConfirm})
	for range DefaultRetry.Attempts - 1 {
		waitForRetry(t, env)
		env.Clock.Advance(time.Second)
	}
	r.term.Settle()
	v := r.wantTitle(SceneNotice, "result.refused")
	if len(v.Lines) != 1 || v.Lines[0].Key != "result.try_again" {
		t.Errorf("lines %v, want try again", v.Lines)
	}
	if n := entries(t, env); n != before {
		t.Errorf("%d entries written on a locked ledger", n-before)
	}
}

// fillLedger writes restocks until the ledger's size cap refuses one.
func fillLedger(t *testing.T, env *ledgertest.Env, item record.ItemID) {
	t.Helper()
	for i := 0; i < 20000; i++ {
		_, err := env.Restock(context.Background(), ledger.Restock{ID: record.NewEntryID(), Item: item, Quantity: 1, Operator: env.Staff})
		if errors.Is(err, ledger.ErrDiskFull) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Fatal("the ledger never filled up")
}

// capLedger reopens the ledger with its size capped at what it holds now.
func capLedger(t *testing.T, env *ledgertest.Env) {
	t.Helper()
	env.Reopen(t) // checkpoints the WAL into the file
	fi, err := os.Stat(filepath.Join(env.Dir, ledger.FileName))
	if err != nil {
		t.Fatal(err)
	}
	env.Opts.MaxSize = fi.Size()
	env.Reopen(t)
}

func TestScreenAndStationKeepServingOnAFullDisk(t *testing.T) {
	env := ledgertest.MustOpen(t)
	env.AnyTime(t)
	item := env.AddItem(t, "香皂", 10, 100)
	_, card := env.AddPerson(t, "李喆", record.GreenVest)
	_, other := env.AddPerson(t, "周玥", record.RedVest)
	capLedger(t, env)
	term := New(env.Ledger, Options{Clock: env.Clock})
	t.Cleanup(term.Close)
	r := &rig{t: t, env: env, term: term, fb: &feedbacktest.Recorder{}}
	r.term.Settle()

	// The disk fills up under a check-in (restocks take the last pages;
	// one more round if the check-in found room after all).
	for range 5 {
		fillLedger(t, env, item.ID)
		r.tap(card)
		r.press(ActCheckIn, ActConfirm)
		if r.term.View().Scene != SceneCheckInDone {
			break
		}
		r.press(ActBack)
		r.press(ActCheckOut, ActHome)
	}
	v := r.wantTitle(SceneNotice, "tech.title")
	if len(v.Lines) != 1 || v.Lines[0].Key != "tech.code" || v.Lines[0].Args[0] != FaultDiskFull {
		t.Fatalf("lines %v, want the code %s", v.Lines, FaultDiskFull)
	}
	if r.term.Faulted() {
		t.Fatal("a full disk stopped the screen for good")
	}
	if err := r.term.Health(); !errors.Is(err, ledger.ErrDiskFull) || FaultCode(err) != FaultDiskFull {
		t.Errorf("health %v, want disk full", err)
	}
	// The next visitor is served, and a write is tried again.
	r.press(ActHome)
	r.tap(other)
	r.want(ScenePerson)
	r.press(ActCheckIn, ActConfirm)
	r.wantTitle(SceneNotice, "tech.title")

	// The station says the same: disk full, and it keeps trying.
	st := NewStation(env.Ledger, nil, StationOptions{Clock: env.Clock, Activity: "", RepeatWindow: -1})
	acts, err := env.Activities(context.Background())
	if err != nil || len(acts) == 0 {
		t.Fatal(acts, err)
	}
	if err := env.SetStationActivity(context.Background(), acts[0].ID); err != nil && !errors.Is(err, ledger.ErrDiskFull) {
		t.Fatal(err)
	}
	st.activity = acts[0].Name
	for range 2 {
		res := st.Tap(context.Background(), rfid.Tap{Card: rfid.Card{UID: rfid.UID(other.Bytes())}, At: env.Clock.Now()})
		if res.Outcome != Faulted || !errors.Is(res.Err, ledger.ErrDiskFull) {
			t.Fatalf("station: %v, want faulted by the full disk", res)
		}
	}
	if st.Broken() != nil || !errors.Is(st.Health(), ledger.ErrDiskFull) {
		t.Errorf("station: broken %v, health %v: want still writing, disk full", st.Broken(), st.Health())
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want Trouble
	}{
		{nil, TroubleNone},
		{ledger.ErrUnknownCard, TroubleRefused},
		{&ledger.ShiftOpenError{}, TroubleRefused},
		{ledger.ErrInsufficientPoints, TroubleRefused},
		{ledger.ErrPINLocked, TroubleRefused},
		{ledger.ErrBusy, TroubleBusy},
		{ledger.ErrDiskFull, TroubleStorage},
		{ledger.ErrCorrupt, TroubleBroken},
		{ledger.ErrNotDatabase, TroubleBroken},
		{ledger.ErrForeign, TroubleBroken},
		{ledger.ErrClosed, TroubleBroken},
		{ledger.ErrTooNew, TroubleBroken},
		{errors.New("something else"), TroubleUnknown},
	} {
		if got := Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
