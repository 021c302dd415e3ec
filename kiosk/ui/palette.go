package ui

import (
	"hash/fnv"
	"image/color"
)

// The palette: dark ink on a light ground, contrast ratios of 7:1 or more for
// text, 4.5:1 at least for text on coloured buttons (WCAG 2.1, 1.4.3/1.4.6).
var (
	colBackground = color.RGBA{0xFA, 0xFA, 0xFA, 0xFF}
	colPanel      = color.RGBA{0xFF, 0xFF, 0xFF, 0xFF}
	colInk        = color.RGBA{0x11, 0x11, 0x11, 0xFF}
	colMuted      = color.RGBA{0x42, 0x42, 0x42, 0xFF}
	colRule       = color.RGBA{0xBD, 0xBD, 0xBD, 0xFF}
	colHeader     = color.RGBA{0xB7, 0x1C, 0x1C, 0xFF} // the red vest
	colOnDark     = color.RGBA{0xFF, 0xFF, 0xFF, 0xFF}
	colSuccess    = color.RGBA{0x1B, 0x5E, 0x20, 0xFF}
	// colRefusal is burnt orange: not the header's red vest, so a refusal
	// banner does not read as one more header (palette_test checks the
	// difference).
	colRefusal    = color.RGBA{0xA0, 0x4A, 0x00, 0xFF}
	colWarnInk    = color.RGBA{0xFF, 0xEB, 0x3B, 0xFF}
	colDisabledBg = color.RGBA{0xE0, 0xE0, 0xE0, 0xFF}
	colDisabledFg = color.RGBA{0x55, 0x55, 0x55, 0xFF}
	colAttention  = color.RGBA{0x37, 0x47, 0x4F, 0xFF} // done, but not as hoped: slate
	colCountdown  = color.RGBA{0x21, 0x21, 0x21, 0xFF} // the countdown's band, colWarnInk on it
	// A catalog item the person cannot take: a light tile and a light face
	// with grey words, far from every tileColors ground, and a veil over a
	// photo (white, a premultiplied ⅔).
	colRefusedTile = color.RGBA{0xEE, 0xEE, 0xEE, 0xFF}
	colRefusedFace = color.RGBA{0xD6, 0xD6, 0xD6, 0xFF}
	colVeil        = color.RGBA{0xAA, 0xAA, 0xAA, 0xAA}
)

// ButtonKind is a button's role, which sets its colours.
type ButtonKind int

const (
	Primary   ButtonKind = iota // the one obvious action: red vest, white text
	Secondary                   // other choices: white, dark border and text
	Danger                      // undoing or destructive staff actions: black, yellow text
)

func (k ButtonKind) colors(enabled bool) (bg, fg, border color.RGBA) {
	if !enabled {
		return colDisabledBg, colDisabledFg, colDisabledBg
	}
	switch k {
	case Secondary:
		return colPanel, colInk, color.RGBA{0x37, 0x47, 0x4F, 0xFF}
	case Danger:
		return color.RGBA{0x21, 0x21, 0x21, 0xFF}, colWarnInk, color.RGBA{0x21, 0x21, 0x21, 0xFF}
	}
	return colHeader, colOnDark, colHeader
}

// Tone is the feeling of a result: its colour, and its sound where there is
// a speaker.
type Tone int

const (
	Neutral   Tone = iota
	Success        // done: green, a rising two-note chime
	Refusal        // not done: deep orange, a low double buzz
	Attention      // done, but not as hoped (a check-out that credited nothing): slate, no sound
)

func (t Tone) String() string {
	switch t {
	case Success:
		return "success"
	case Refusal:
		return "refusal"
	case Attention:
		return "attention"
	}
	return "neutral"
}

// Color is the tone's banner colour (white text on it).
func (t Tone) Color() color.RGBA {
	switch t {
	case Success:
		return colSuccess
	case Refusal:
		return colRefusal
	case Attention:
		return colAttention
	}
	return colHeader
}

// Mark is the tone's sign, drawn beside its banner's words, so that a result
// does not rest on colour alone: ✓ for success, ✗ for refusal, ! for
// attention.
func (t Tone) Mark() Mark {
	switch t {
	case Success:
		return MarkCheck
	case Refusal:
		return MarkCross
	case Attention:
		return MarkAttention
	}
	return NoMark
}

// tileColors are the grounds of generated catalog tiles, each dark enough for
// white text.
var tileColors = []color.RGBA{
	{0x0D, 0x47, 0xA1, 0xFF}, {0x1B, 0x5E, 0x20, 0xFF}, {0x4A, 0x14, 0x8C, 0xFF},
	{0x00, 0x60, 0x64, 0xFF}, {0x83, 0x3B, 0x00, 0xFF}, {0x88, 0x0E, 0x4F, 0xFF},
	{0x26, 0x32, 0x38, 0xFF}, {0x3E, 0x27, 0x23, 0xFF},
}

// TileColor is the generated tile colour for a catalog item without a
// picture: stable for a name, so an item keeps its colour across days.
func TileColor(name string) color.RGBA {
	h := fnv.New32a()
	h.Write([]byte(name))
	return tileColors[h.Sum32()%uint32(len(tileColors))]
}
