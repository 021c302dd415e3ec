package kiosk

import (
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// TestTerminalAnswersEachTap: every tap is answered once, when the screen
// shows its outcome; a tap that waits for a write is answered after it.
func TestTerminalAnswersEachTap(t *testing.T) {
	env := ledgertest.MustOpen(t)
	env.AnyTime(t)
	_, card := env.AddPerson(t, "王堃", record.RedVest)
	_, other := env.AddPerson(t, "周玥", record.GreenVest)
	var answers []TapAnswer
	term := New(env.Ledger, Options{Clock: env.Clock, OnTap: func(a TapAnswer) { answers = append(answers, a) }})
	t.Cleanup(term.Close)
	term.Settle()
	r := &rig{t: t, env: env, term: term}
	tapEvent := func(uid record.CardUID) rfid.Event {
		return rfid.Event{Kind: rfid.EventTap, Tap: rfid.Tap{Card: rfid.Card{UID: rfid.UID(uid.Bytes())}, At: env.Clock.Now()}}
	}

	r.tap(card)
	if len(answers) != 1 || answers[0].Card != card || !strings.HasPrefix(answers[0].Text, "showing 王*: 0 points, 0s of service; not checked in") {
		t.Fatalf("answers %+v", answers)
	}
	// A tap while the check-in is written waits for it, and is answered
	// after it with the other person.
	term.Press(Action{Kind: ActCheckIn})
	term.Settle()
	term.Press(Action{Kind: ActConfirm})
	term.Reader(tapEvent(other))
	if len(answers) != 1 {
		t.Fatalf("the waiting tap was answered before its turn: %+v", answers)
	}
	term.Settle()
	if len(answers) != 2 || answers[1].Card != other || !strings.HasPrefix(answers[1].Text, "showing 周*") {
		t.Fatalf("answers %+v", answers)
	}
	// A bad read is answered at once.
	term.Reader(rfid.Event{Kind: rfid.EventTap, Tap: rfid.Tap{Card: rfid.Card{UID: rfid.UID{1, 2, 3}}, At: env.Clock.Now()}})
	if len(answers) != 3 || !strings.HasPrefix(answers[2].Text, "refused: ") || answers[2].Card != "010203" {
		t.Fatalf("answers %+v", answers)
	}
	env.Clock.Advance(time.Minute)
	r.tap(card)
	if len(answers) != 4 || !strings.Contains(answers[3].Text, "; checked in at 便民服务 since 09:0") {
		t.Fatalf("answers %+v", answers)
	}
}

func TestFaultedTerminalAnswersTaps(t *testing.T) {
	var got []TapAnswer
	term := NewFaulted(ledger.ErrNotDatabase, Options{OnTap: func(a TapAnswer) { got = append(got, a) }})
	defer term.Close()
	term.Reader(rfid.Event{Kind: rfid.EventTap, Tap: rfid.Tap{Card: rfid.Card{UID: rfid.UID{0x88, 0, 0, 1}}}})
	if len(got) != 1 || got[0].Card != "88000001" || got[0].Text != "needs a technician: the screen shows fault code "+FaultNotDB {
		t.Errorf("answers %+v", got)
	}
}
