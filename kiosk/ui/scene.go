package ui

import "time"

// Scene is one screen of the terminal, built from the core's view (or the
// part of it that it draws).
type Scene interface {
	// Build lays the scene out into b: a pure function of the scene's view,
	// b's layout and b.Now.
	Build(b *Builder)
	// NextChange is when the scene will look different by itself (the
	// clock's next minute, a running shift's next minute), or the zero time
	// for never. The Manager redraws then and not before.
	NextChange(now time.Time) time.Time
}

// Handler is a Scene that consumes some of its own actions (the catalog's
// page turning). Handle reports whether it did; the Manager redraws after it.
// Actions it does not consume go to the Manager's owner.
type Handler interface {
	Handle(a Action) bool
}

// nextMinute is the start of the minute after now: when an HH:MM clock
// changes.
func nextMinute(now time.Time) time.Time {
	return now.Truncate(time.Minute).Add(time.Minute)
}
