package hubsync_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/hongmajia/hongmajia/hubsync"
)

// TestStatusTable: each protocol error has a status of its own and reads
// back from it, wrapped or not, so the kiosk knows the hub's reason from
// the status alone; anything else is the hub's failure, 500.
func TestStatusTable(t *testing.T) {
	all := []error{hubsync.ErrMalformed, hubsync.ErrTooLarge, hubsync.ErrSignature, hubsync.ErrClock, hubsync.ErrReplay,
		hubsync.ErrUnknownTerminal, hubsync.ErrRevoked, hubsync.ErrToken, hubsync.ErrFork, hubsync.ErrHub}
	seen := map[int]error{}
	for _, e := range all {
		s := hubsync.Status(fmt.Errorf("push: terminal T: %w", e))
		if s < 400 || s > 599 {
			t.Errorf("Status(%v) = %d, not an error status", e, s)
		}
		if prev, ok := seen[s]; ok {
			t.Errorf("%v and %v share status %d", prev, e, s)
		}
		seen[s] = e
		if got := hubsync.ErrorOf(s); got != e {
			t.Errorf("ErrorOf(Status(%v)) = %v", e, got)
		}
		he := &hubsync.HubError{Status: s, Message: "x"}
		if !errors.Is(he, e) {
			t.Errorf("HubError of %d is not %v", s, e)
		}
	}
	for _, c := range []struct {
		err  error
		want int
	}{
		{nil, 200}, {errors.New("disk I/O error"), 500}, {hubsync.ErrTooLarge, 413}, {hubsync.ErrRevoked, 410},
		{hubsync.ErrUnknownTerminal, 404}, {hubsync.ErrSignature, 401}, {hubsync.ErrMalformed, 400},
	} {
		if got := hubsync.Status(c.err); got != c.want {
			t.Errorf("Status(%v) = %d, want %d", c.err, got, c.want)
		}
	}
	if hubsync.ErrorOf(http.StatusOK) != nil || hubsync.ErrorOf(http.StatusTeapot) != hubsync.ErrHub || hubsync.ErrorOf(http.StatusBadGateway) != hubsync.ErrHub {
		t.Error("ErrorOf: 200 is no error, a status the protocol does not use is the hub's failure")
	}
	for _, e := range all {
		want := e == hubsync.ErrHub
		if got := hubsync.Retryable(fmt.Errorf("sync: %w", e)); got != want {
			t.Errorf("Retryable(%v) = %v, want %v", e, got, want)
		}
	}
	if !hubsync.Retryable(fmt.Errorf("%w: dial tcp: refused", hubsync.ErrNetwork)) || hubsync.Retryable(errors.New("other")) {
		t.Error("Retryable: the network yes, an error it does not know no")
	}
}
