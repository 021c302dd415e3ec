package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/kiosk"
	"github.com/hongmajia/hongmajia/record"
)

// TapAnswerTimeout bounds how long the control socket's `tap` waits for the
// screen's or the station's answer to the tap it made.
const TapAnswerTimeout = 5 * time.Second

// tapAnswers hands the faces' answers to the control connections waiting
// for them, by card.
type tapAnswers struct {
	mu      sync.Mutex
	faces   int // screens and stations that answer taps
	waiting map[record.CardUID][]chan string
}

// expect registers a wait for the answer to a tap of card; done ends it.
func (t *tapAnswers) expect(card record.CardUID) (answer <-chan string, done func()) {
	ch := make(chan string, 1)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.waiting == nil {
		t.waiting = map[record.CardUID][]chan string{}
	}
	t.waiting[card] = append(t.waiting[card], ch)
	return ch, func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		list := t.waiting[card]
		for i, c := range list {
			if c == ch {
				t.waiting[card] = append(list[:i:i], list[i+1:]...)
				break
			}
		}
		if len(t.waiting[card]) == 0 {
			delete(t.waiting, card)
		}
	}
}

// answered gives every wait for the card the face's answer.
func (t *tapAnswers) answered(a kiosk.TapAnswer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, ch := range t.waiting[a.Card] {
		select {
		case ch <- a.Text:
		default:
		}
	}
	delete(t.waiting, a.Card)
}

func (t *tapAnswers) addFace() {
	t.mu.Lock()
	t.faces++
	t.mu.Unlock()
}

func (t *tapAnswers) hasFace() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.faces > 0
}

// tap presents card u to the simulated reader and says what became of it:
// ignored by the reader (the same card within its debounce window), or the
// face's answer, waited for at most TapAnswerTimeout.
func (a *App) tap(ctx context.Context, u record.CardUID) (string, error) {
	answer, done := a.answers.expect(u)
	defer done()
	ctx, cancel := context.WithTimeout(ctx, TapAnswerTimeout)
	defer cancel()
	tapped, err := a.sim.TapWait(ctx, rfid.UID(u.Bytes()))
	if err != nil {
		return "", err
	}
	if !tapped {
		return fmt.Sprintf("ignored: card %s was read less than %s ago, and the reader takes a card held or tapped again within that for one tap",
			u, rfid.DefaultDebounceOpts.Window), nil
	}
	if !a.answers.hasFace() {
		return "tapped " + string(u), nil // nothing answers taps: a test reading Events
	}
	select {
	case text := <-answer:
		return text, nil
	case <-ctx.Done():
		return fmt.Sprintf("tapped %s: no answer from the terminal within %s", u, TapAnswerTimeout), nil
	}
}
