package clock

import (
	"testing"
	"time"
)

func TestFakeAfterFiresInOrder(t *testing.T) {
	start := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	f := NewFake(start)
	a := f.After(2 * time.Second)
	b := f.After(time.Second)
	if f.Waiters() != 2 {
		t.Fatalf("waiters = %d, want 2", f.Waiters())
	}
	f.Advance(1500 * time.Millisecond)
	select {
	case got := <-b:
		if !got.Equal(start.Add(1500 * time.Millisecond)) {
			t.Fatalf("b fired at %v", got)
		}
	default:
		t.Fatal("b did not fire after 1.5s")
	}
	select {
	case <-a:
		t.Fatal("a fired early")
	default:
	}
	f.Advance(time.Second)
	select {
	case <-a:
	default:
		t.Fatal("a did not fire after 2.5s")
	}
	if f.Waiters() != 0 {
		t.Fatalf("waiters = %d, want 0", f.Waiters())
	}
}

func TestFakeAfterZeroFiresAtOnce(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	select {
	case <-f.After(0):
	default:
		t.Fatal("After(0) did not fire")
	}
}

func TestFakeSetBackwards(t *testing.T) {
	f := NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	f.Set(time.Unix(0, 0))
	if got := f.Now(); got.Year() != 1970 {
		t.Fatalf("Now = %v, want 1970", got)
	}
}
