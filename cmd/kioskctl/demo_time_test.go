package main

import "testing"

// TestServiceTime: the demo's list says a balance of service as the
// kiosk's screens do.
func TestServiceTime(t *testing.T) {
	for minutes, want := range map[int64]string{0: "0分钟", 45: "45分钟", 60: "1小时", 120: "2小时", 795: "13小时15分钟", 61: "1小时1分钟"} {
		if got := serviceTime(minutes); got != want {
			t.Errorf("%d minutes: %q, want %q", minutes, got, want)
		}
	}
}
