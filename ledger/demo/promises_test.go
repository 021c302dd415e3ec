package demo_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/record"
)

// The README: `kioskctl demo` makes 40 people by default, four weeks of
// history, and keys 1–9 tap the first nine cards, 88000001…88000009.
func TestPromiseDemoDefaults(t *testing.T) {
	c := clock.NewFake(now)
	dir, res := create(t, options(c))
	l := open(t, dir, c)
	st, err := l.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.People != 40 {
		t.Errorf("%d people, want 40", st.People)
	}
	keys := 0
	for i, card := range res.Cards {
		if card.Key == 0 {
			continue
		}
		keys++
		if want := fmt.Sprintf("8800000%d", i+1); card.Key != i+1 || string(card.UID) != want {
			t.Errorf("card %d: key %d, UID %s; want key %d, UID %s", i, card.Key, card.UID, i+1, want)
		}
	}
	if keys != 9 {
		t.Errorf("%d key cards, want 9", keys)
	}
	from := now.AddDate(0, 0, -29)
	first, last := now, from
	for e, err := range l.ExportEntries(context.Background(), from.AddDate(-1, 0, 0), now.AddDate(0, 0, 1)) {
		if err != nil {
			t.Fatal(err)
		}
		if e.Kind != record.KindCheckIn {
			continue
		}
		if e.At.Before(first) {
			first = e.At
		}
		if e.At.After(last) {
			last = e.At
		}
	}
	if first.Before(from) || first.After(now.AddDate(0, 0, -26)) || last.After(now) {
		t.Errorf("history from %v to %v, want about four weeks up to %v", first, last, now)
	}
}
