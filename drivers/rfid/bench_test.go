package rfid

import (
	"context"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
)

// emptyField is a Detector that never sees a card.
type emptyField struct{}

func (emptyField) Detect(context.Context) (Card, error) { return Card{}, ErrNoCard }
func (emptyField) String() string                       { return "empty" }
func (emptyField) Halt() error                          { return nil }

// readyClock fires every wait at once from one reused channel, so that a
// benchmark counts the Poller's own allocations, not the clock's.
type readyClock struct {
	now time.Time
	ch  chan time.Time
}

func (c *readyClock) Now() time.Time { return c.now }
func (c *readyClock) After(d time.Duration) <-chan time.Time {
	c.now = c.now.Add(d)
	c.ch <- c.now
	return c.ch
}

// BenchmarkPollerIdlePoll is one idle poll: Detect finds nothing, the
// debouncer is told, the Poller waits out the interval. Goal: 0 allocs.
func BenchmarkPollerIdlePoll(b *testing.B) {
	clk := &readyClock{now: t0, ch: make(chan time.Time, 1)}
	p := NewPoller(func() (Detector, error) { return emptyField{}, nil }, clk, nil)
	p.deb.Seen(cardA, t0) // a card was here: the idle path also ages its departure
	ctx := context.Background()
	det := emptyField{}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.poll(ctx, det); err != nil {
			b.Fatal(err)
		}
		p.wait(ctx, p.opts.Interval)
	}
}

// BenchmarkClockAfter shows what each wait costs with the clocks the terminal
// uses; the Poller calls After once per poll.
func BenchmarkClockAfter(b *testing.B) {
	b.Run("real", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			<-clock.Real{}.After(0)
		}
	})
	b.Run("fake", func(b *testing.B) {
		f := clock.NewFake(t0)
		b.ReportAllocs()
		for b.Loop() {
			f.After(time.Millisecond)
			f.Advance(time.Millisecond)
		}
	})
}

// BenchmarkPollerTapLatency runs a Poller at the default 10 Hz on a fake
// clock; each iteration a new card enters the field at some point between two
// polls and the time from that point to its Event on the channel is measured
// in fake-clock time (fake-ms/tap, mean and max). ns/op is the real cost of
// one poll that finds a card and hands its tap over.
func BenchmarkPollerTapLatency(b *testing.B) {
	clk := clock.NewFake(t0)
	field := make(chan Card, 1)
	det := &fieldDetector{field: field}
	p := NewPoller(func() (Detector, error) { return det, nil }, clk, nil)
	out := make(chan Event, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = p.Run(ctx, out) }()
	waitClock := func() {
		for clk.Waiters() == 0 {
			time.Sleep(time.Microsecond)
		}
	}
	var sum, worst time.Duration
	n := 0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		waitClock()
		// the card arrives 0..99 ms after the last poll
		offset := time.Duration((i*37)%100) * time.Millisecond
		clk.Advance(offset)
		entered := clk.Now()
		field <- Card{UID: UID{byte(i), byte(i >> 8), byte(i >> 16), byte(i >> 24)}}
		clk.Advance(100*time.Millisecond - offset)
		ev := <-out
		lat := ev.Tap.At.Sub(entered)
		sum += lat
		worst = max(worst, lat)
		n++
	}
	b.ReportMetric(float64(sum.Milliseconds())/float64(n), "fake-ms/tap")
	b.ReportMetric(float64(worst.Milliseconds()), "max-fake-ms/tap")
}

// fieldDetector sees the card put in field, once.
type fieldDetector struct{ field chan Card }

func (f *fieldDetector) Detect(context.Context) (Card, error) {
	select {
	case c := <-f.field:
		return c, nil
	default:
		return Card{}, ErrNoCard
	}
}
func (f *fieldDetector) String() string { return "field" }
func (f *fieldDetector) Halt() error    { return nil }

func TestIdlePollDoesNotAllocate(t *testing.T) {
	clk := &readyClock{now: t0, ch: make(chan time.Time, 1)}
	p := NewPoller(func() (Detector, error) { return emptyField{}, nil }, clk, nil)
	p.deb.Seen(cardA, t0)
	ctx := context.Background()
	allocs := testing.AllocsPerRun(1000, func() {
		_, _ = p.poll(ctx, emptyField{})
		p.wait(ctx, p.opts.Interval)
	})
	if allocs != 0 {
		t.Fatalf("idle poll allocates %v times, want 0", allocs)
	}
}
