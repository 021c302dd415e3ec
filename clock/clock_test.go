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

// TestBootTimeIgnoresWallClockJumps: the fake's time since boot moves with
// Advance (time passing) but not with Set (the wall clock set), and Reboot
// starts it again; the real one reads CLOCK_BOOTTIME and moves forward.
func TestBootTimeIgnoresWallClockJumps(t *testing.T) {
	f := NewFake(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	at := func() time.Duration {
		t.Helper()
		d, err := f.SinceBoot()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	start := at()
	f.Advance(10 * time.Minute)
	if got := at() - start; got != 10*time.Minute {
		t.Fatalf("after Advance(10m) boot time moved %v", got)
	}
	f.Set(f.Now().AddDate(1, 0, 0))
	f.Advance(-time.Hour)
	if got := at() - start; got != 10*time.Minute {
		t.Fatalf("wall clock jumps moved boot time by %v", got-10*time.Minute)
	}
	f.Reboot()
	if got := at(); got != 0 {
		t.Fatalf("after Reboot boot time = %v", got)
	}

	var r BootClock = Real{}
	a, err := r.SinceBoot()
	if err != nil || a <= 0 {
		t.Fatalf("CLOCK_BOOTTIME = %v, %v", a, err)
	}
	time.Sleep(2 * time.Millisecond)
	if b, _ := r.SinceBoot(); b-a < 2*time.Millisecond {
		t.Fatalf("CLOCK_BOOTTIME moved %v over 2 ms", b-a)
	}
}
