package clock

import "time"

// Stopwatch measures how long something takes on the monotonic clock: for
// reports (a full check took 28 s) and for pacing background work (a second
// without writes). It is never a time of day and never recorded as one, so
// it needs no injected Clock; a fake clock does not stop it.
type Stopwatch struct{ start time.Time }

// StartStopwatch starts one now.
func StartStopwatch() Stopwatch { return Stopwatch{start: time.Now()} }

// Elapsed is the time since the stopwatch started.
func (s Stopwatch) Elapsed() time.Duration { return time.Since(s.start) }
