package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/ledger/demo"
)

// BenchmarkSessionScreen measures the kiosk on a screen with buttons that
// does not change: a demo volunteer's person scene (签到, 兑换, …), reached
// by a card tap and kept for the whole window (idle_timeout 10m), beside
// the idle scene measured the same way in the same run. Over idleWindow
// each, on the whole screen:
//
//	%core        CPU of the kiosk, % of one core
//	X-%core      CPU of the X server (Xvfb) meanwhile
//	total-%core  the two together: the goal is at most 2 on the person
//	             scene, and 0.1 at idle
//	frames       frames painted in the window (the header's clock shows
//	             minutes: at most one)
//	wakes        the frame loop's Updates in the window (the session's
//	             once-a-second tick wakes it)
//	load1        the machine's 1-minute load average at the end
func BenchmarkSessionScreen(b *testing.B) {
	for _, scene := range []string{"idle", "person"} {
		b.Run(scene, func(b *testing.B) {
			bin, data := binaries(b)
			cfg := filepath.Join(b.TempDir(), "kiosk.toml")
			if err := os.WriteFile(cfg, []byte("idle_timeout = \"10m\"\n"), 0o644); err != nil {
				b.Fatal(err)
			}
			var sum idleSample
			for b.Loop() {
				k := startKiosk(b, bin, data, "--config", cfg)
				k.settle(b, "idle")
				if scene == "person" {
					k.do(b, "tap "+string(demo.CardUID(1)))
					k.settle(b, "person")
				}
				// The window must not hold the header clock's minute change
				// by chance on one scene and not the other: start it just
				// after one, and not before the start's last paints (the
				// idle scene's activities and honour roll) are long done.
				time.Sleep(untilSecond(time.Now().Add(5*time.Second), 1))
				before, err := k.status()
				if err != nil {
					b.Fatal(err)
				}
				s := measureIdle(b, func() []int { return []int{k.pid()} })
				after, err := k.status()
				if err != nil {
					b.Fatal(err)
				}
				if after.Drawn != scene {
					b.Fatalf("the screen left the %s scene while measured: %s", scene, after.Drawn)
				}
				s.frames = after.Frames - before.Frames
				s.wakes = after.Updates - before.Updates
				k.stop(b)
				sum.add(s)
			}
			n := float64(sum.n)
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(sum.cpu/n, "%core")
			b.ReportMetric(sum.xcpu/n, "X-%core")
			b.ReportMetric((sum.cpu+sum.xcpu)/n, "total-%core")
			b.ReportMetric(float64(sum.frames)/n, "frames")
			b.ReportMetric(float64(sum.wakes)/n, "wakes")
			b.ReportMetric(load1(), "load1")
		})
	}
}
