package hublink

import (
	"context"
	"hash/fnv"
	"time"

	"github.com/hongmajia/hongmajia/hubsync"
)

// Schedule is when a kiosk syncs by itself: every night at At (the
// center's local time) plus a jitter of the terminal's own, so that a
// district's kiosks do not all call at once; retried with backoff until
// Window has passed since At.
type Schedule struct {
	At       time.Duration  // since local midnight; default 02:00
	Window   time.Duration  // default 2 h
	Jitter   time.Duration  // the most a kiosk's start is moved; default 30 min, negative: none
	Location *time.Location // default UTC+8
	// Backoff is the first wait after a failed try, doubled each time up
	// to MaxBackoff; defaults 1 min and 20 min.
	Backoff, MaxBackoff time.Duration
}

func (s Schedule) withDefaults() Schedule {
	if s.At == 0 {
		s.At = 2 * time.Hour
	}
	if s.Window <= 0 {
		s.Window = 2 * time.Hour
	}
	// Negative stays negative (no jitter), so that withDefaults may run
	// twice.
	if s.Jitter == 0 {
		s.Jitter = 30 * time.Minute
	}
	if s.Jitter >= s.Window {
		s.Jitter = s.Window / 2
	}
	if s.Location == nil {
		s.Location = time.FixedZone("CST", 8*3600)
	}
	if s.Backoff <= 0 {
		s.Backoff = time.Minute
	}
	if s.MaxBackoff < s.Backoff {
		s.MaxBackoff = 20 * time.Minute
	}
	return s
}

// jitter is terminal's own offset within the schedule's jitter: the same
// every night, different between kiosks.
func (s Schedule) jitter(terminal string) time.Duration {
	if s.Jitter <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(terminal))
	return time.Duration(h.Sum64() % uint64(s.Jitter))
}

// Next is the start of the first nightly window of terminal after now, and
// when that window closes. A window that is open now (now is past its start
// and before its close) is returned as it is.
func (s Schedule) Next(now time.Time, terminal string) (start, end time.Time) {
	s = s.withDefaults()
	local := now.In(s.Location)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, s.Location)
	for d := -1; ; d++ {
		open := day.AddDate(0, 0, d).Add(s.At)
		start, end = open.Add(s.jitter(terminal)), open.Add(s.Window)
		if now.Before(end) {
			return start, end
		}
	}
}

// Run syncs on the schedule until ctx ends: at each night's start, and
// again after a failure that may pass (hubsync.Retryable) with a doubling
// wait, until the window closes; a refusal that needs a person (a fork, a
// revoked kiosk) waits for the next night. done, when not nil, hears of
// every try. A clock that jumps (NTP after a boot in 1970) is seen at the
// next wake: the wait is never longer than an hour.
func (ln *Link) Run(ctx context.Context, s Schedule, done func(Result, error)) {
	s = s.withDefaults()
	clk := ln.opts.Clock
	terminal := ln.l.Terminal().ID
	var lastNight time.Time // the window synced, or given up, already
	backoff := s.Backoff
	for {
		now := clk.Now()
		start, end := s.Next(now, terminal)
		if start.Equal(lastNight) {
			// This window is done: wait for its close.
			start, end = s.Next(end, terminal)
		}
		if wait := start.Sub(now); wait > 0 {
			if !sleep(ctx, clk.After(min(wait, time.Hour))) {
				return
			}
			continue
		}
		res, err := ln.Sync(ctx)
		if ctx.Err() != nil {
			return
		}
		if done != nil {
			done(res, err)
		}
		if err == nil || !hubsync.Retryable(err) {
			lastNight, backoff = start, s.Backoff
			continue
		}
		wait := backoff
		backoff = min(backoff*2, s.MaxBackoff)
		if clk.Now().Add(wait).After(end) {
			lastNight, backoff = start, s.Backoff
			continue
		}
		if !sleep(ctx, clk.After(wait)) {
			return
		}
	}
}

func sleep(ctx context.Context, c <-chan time.Time) bool {
	select {
	case <-c:
		return true
	case <-ctx.Done():
		return false
	}
}
