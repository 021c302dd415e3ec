package ui

// Pointer is one sample of the pointing device: a mouse, or a touchscreen
// (which X11 delivers as a mouse anyway). Down is whether a button or a finger
// is on the screen; X and Y are meaningful while Down, and for the sample in
// which it was lifted.
type Pointer struct {
	X, Y float64
	Down bool
}

// PointerEvent is what a change between two samples means.
type PointerEvent int

const (
	NoEvent PointerEvent = iota
	Press                // finger or button went down
	Release              // finger or button came up
)

func (e PointerEvent) String() string {
	switch e {
	case Press:
		return "press"
	case Release:
		return "release"
	}
	return "none"
}

// Tracker turns pointer samples into presses and releases over hit targets.
// A target fires on release, and only if the release lands on the same
// target as the press: a finger that slides off a button cancels it, as on a
// phone.
type Tracker struct {
	last    Pointer
	pressed int // index of the target pressed, -1 for none
}

// NewTracker starts with nothing pressed.
func NewTracker() *Tracker { return &Tracker{pressed: -1} }

// Pressed is the index of the target under a held finger, or -1.
func (t *Tracker) Pressed() int { return t.pressed }

// Step takes a new sample and the targets of the frame on screen. It returns
// the event and the index of the target activated by a release (-1 if none).
func (t *Tracker) Step(p Pointer, targets []Rect) (PointerEvent, int) {
	prev := t.last
	t.last = p
	switch {
	case p.Down && !prev.Down:
		t.pressed = HitTest(targets, p.X, p.Y)
		return Press, -1
	case !p.Down && prev.Down:
		hit := HitTest(targets, p.X, p.Y)
		fired := -1
		if hit >= 0 && hit == t.pressed {
			fired = hit
		}
		t.pressed = -1
		return Release, fired
	case p.Down && t.pressed >= 0 && HitTest(targets, p.X, p.Y) != t.pressed:
		// Slid off: the button stops looking pressed and will not fire.
		t.pressed = -1
	}
	return NoEvent, -1
}

// Reset forgets a press, for a scene change under a held finger.
func (t *Tracker) Reset() { t.pressed = -1 }

// HitTest is the index of the last target containing the point (the one
// drawn on top), or -1.
func HitTest(targets []Rect, x, y float64) int {
	for i := len(targets) - 1; i >= 0; i-- {
		if targets[i].Contains(x, y) {
			return i
		}
	}
	return -1
}
