package mfrc522

import (
	"context"
	"testing"
	"time"
)

// BenchmarkRealTimerSleep is the wait the driver does on a Pi (Opts.Clock
// nil): one reused timer, so polling allocates nothing.
func BenchmarkRealTimerSleep(b *testing.B) {
	d := &Dev{timer: time.NewTimer(time.Hour)}
	d.timer.Stop()
	ctx := context.Background()
	b.ReportAllocs()
	for range b.N {
		if err := d.sleep(ctx, time.Microsecond); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRealTimerSleepCancelled(t *testing.T) {
	d := &Dev{timer: time.NewTimer(time.Hour)}
	d.timer.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d.sleep(ctx, time.Hour); err != context.Canceled {
		t.Fatalf("sleep with a cancelled context = %v", err)
	}
	if err := d.sleep(context.Background(), time.Microsecond); err != nil {
		t.Fatalf("sleep after a cancelled one = %v", err)
	}
}
