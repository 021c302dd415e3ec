package hublink

import (
	"context"
	"errors"
	"fmt"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

// Anchor is what the hub anchored of this kiosk beside what its ledger
// holds.
type Anchor struct {
	Hub   record.Head // the highest contiguous entry the hub holds
	Local record.Head // the ledger's head
	// Fork: the ledger is behind the hub's anchor or differs from it.
	Fork   bool
	Reason string
}

// CheckAnchor asks the hub for the kiosk's anchor and checks the ledger
// against it: a push of nothing, which shows the hub the ledger's head and
// what it holds acknowledged. A ledger rolled back (behind the anchor) or
// rewritten (a hash that is not the anchored one) is a fork, recorded in the
// ledger as a refused push would be. It stores nothing at the hub. Like
// Sync it waits for a sync that runs: the hub takes a kiosk's request
// counter strictly increasing, so its requests go one at a time.
func (ln *Link) CheckAnchor(ctx context.Context) (Anchor, error) {
	var a Anchor
	select {
	case ln.one <- struct{}{}:
	case <-ctx.Done():
		return a, ctx.Err()
	}
	defer func() { <-ln.one }()
	en, err := ln.l.Enrollment(ctx)
	if err != nil {
		return a, err
	}
	if !en.Enrolled {
		return a, ErrNotEnrolled
	}
	if a.Local, err = ln.l.Head(ctx); err != nil {
		return a, err
	}
	c := ln.client(en)
	r, err := c.Push(ctx, hubsync.Push{Terminal: c.Terminal, Version: ln.opts.Version, Acked: en.Acked,
		ChangesAcked: en.ChangesAcked, Head: a.Local})
	if err != nil {
		return a, err
	}
	a.Hub = r.Acked
	err = ln.l.RecordPush(ctx, r)
	switch {
	case errors.Is(err, hubsync.ErrFork):
		a.Fork, a.Reason = true, err.Error()
		return a, nil
	case err != nil:
		return a, err
	case r.Fork:
		a.Fork, a.Reason = true, r.Refused
	case r.Refused != "":
		return a, fmt.Errorf("the hub refused the check: %s: %w", r.Refused, ErrRefused)
	}
	return a, nil
}
