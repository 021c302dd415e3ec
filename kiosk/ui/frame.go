package ui

import (
	"fmt"
	"image"
	"image/color"

	"github.com/hongmajia/hongmajia/kiosk"
)

// Align is the horizontal placement of a text line in its box.
type Align int

const (
	AlignStart Align = iota
	AlignCenter
	AlignEnd
)

// TextStyle is how a line of text looks.
type TextStyle struct {
	Size  float64 // pixels
	Bold  bool
	Color color.RGBA
	Align Align
}

// ItemKind says what an Item draws.
type ItemKind int

const (
	FillItem  ItemKind = iota // a rectangle, optionally rounded and bordered
	TextItem                  // one line of text, vertically centred in Rect
	ImageItem                 // a picture scaled to fit Rect
	MarkItem                  // a drawn sign (Mark): a disc of Fill with the sign in Border
)

// Mark is a sign drawn with lines, not a font's glyph (which a font may lack).
type Mark int

// Marks.
const (
	NoMark        Mark = iota
	MarkCheck          // ✓ success
	MarkCross          // ✗ refusal
	MarkAttention      // ! attention
)

func (m Mark) String() string {
	switch m {
	case MarkCheck:
		return "✓"
	case MarkCross:
		return "✗"
	case MarkAttention:
		return "!"
	}
	return ""
}

// Item is one element of a Frame's display list.
type Item struct {
	Kind    ItemKind
	Rect    Rect
	Fill    color.RGBA
	Border  color.RGBA
	BorderW float64
	Radius  float64
	Text    string
	Style   TextStyle
	Image   image.Image
	// Target is the index of the button this item belongs to, or -1: the
	// item is drawn pressed while that button is held.
	Target int
	// Mark is the sign a MarkItem draws.
	Mark Mark
}

// Action is what a button does: a touch the terminal's core takes, as it is
// (kiosk.Action is the one list of what a button means), or, with Page set,
// turning the catalog's page, which the screen does by itself.
type Action struct {
	kiosk.Action
	Page int // -1 the previous page, +1 the next; 0: the action is the core's
}

// Act is a button that sends the core an action of kind k.
func Act(k kiosk.ActionKind) Action { return Action{Action: kiosk.Action{Kind: k}} }

// Choose is a button that picks the core's Choices[i].
func Choose(i int) Action { return Action{Action: kiosk.Action{Kind: kiosk.ActChoose, Index: i}} }

// String is the action for test messages.
func (a Action) String() string {
	if a.Page != 0 {
		return fmt.Sprintf("page %+d", a.Page)
	}
	return fmt.Sprintf("%+v", a.Action)
}

// Frame is a laid-out scene: what to draw, in order, and where the buttons
// are. It holds no ebiten types.
type Frame struct {
	Background color.RGBA
	Items      []Item
	Targets    []Rect   // button areas, in drawing order
	Actions    []Action // the action of each target
	// Overflows lists text that did not fit its box even at the smallest
	// size; the screenshot tests require it to be empty.
	Overflows []string
}

// Texts is every line of text in the frame, in order (for tests).
func (f Frame) Texts() []string {
	var out []string
	for _, it := range f.Items {
		if it.Kind == TextItem {
			out = append(out, it.Text)
		}
	}
	return out
}

// Marks is every sign in the frame, in order (for tests).
func (f Frame) Marks() []Mark {
	var out []Mark
	for _, it := range f.Items {
		if it.Kind == MarkItem {
			out = append(out, it.Mark)
		}
	}
	return out
}

// Find is the first text item whose text is s, and whether there is one.
func (f Frame) Find(s string) (Item, bool) {
	for _, it := range f.Items {
		if it.Kind == TextItem && it.Text == s {
			return it, true
		}
	}
	return Item{}, false
}

// ActionAt is the action of the button under the point, if any.
func (f Frame) ActionAt(x, y float64) (Action, bool) {
	if i := HitTest(f.Targets, x, y); i >= 0 {
		return f.Actions[i], true
	}
	return Action{}, false
}

// TargetOf is the area of the first button with action a.
func (f Frame) TargetOf(a Action) (Rect, bool) {
	for i, act := range f.Actions {
		if act == a {
			return f.Targets[i], true
		}
	}
	return Rect{}, false
}
