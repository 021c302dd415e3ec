// Package feedbacktest has a feedback.Player for tests: it plays nothing and
// remembers every pattern it was asked to play.
package feedbacktest

import (
	"slices"
	"sync"

	"github.com/hongmajia/hongmajia/drivers/feedback"
)

// Recorder is a feedback.Player that remembers what it played. It is safe for
// concurrent use.
type Recorder struct {
	mu     sync.Mutex
	played []feedback.Pattern
}

var _ feedback.Player = (*Recorder)(nil)

// Play records p.
func (r *Recorder) Play(p feedback.Pattern) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.played = append(r.played, p)
}

func (r *Recorder) String() string { return "recorder" }

// Halt does nothing.
func (r *Recorder) Halt() error { return nil }

// Played returns every pattern played so far, oldest first.
func (r *Recorder) Played() []feedback.Pattern {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.played)
}
