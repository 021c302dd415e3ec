package wedge

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"time"
)

// Layout is the size of struct input_event as the process sees it
// (linux/input.h): a struct timeval, then type, code and value.
type Layout uint8

// Layouts. Both little-endian: every Raspberry Pi OS is.
const (
	// Layout64: 64-bit userspace (arm64, amd64): 8+8 bytes of timeval and
	// 2+2+4 = 24 bytes.
	Layout64 Layout = iota + 1
	// Layout32: 32-bit userspace (armhf Raspberry Pi OS, also on a 64-bit
	// kernel): 4+4 bytes of timeval (unsigned since Linux 5.0, for 2038) and
	// 2+2+4 = 16 bytes.
	Layout32
)

// NativeLayout is the layout of the running program.
func NativeLayout() Layout {
	if bits.UintSize == 32 {
		return Layout32
	}
	return Layout64
}

// Size is the size of one event in bytes.
func (l Layout) Size() int {
	if l == Layout32 {
		return 16
	}
	return 24
}

func (l Layout) String() string {
	switch l {
	case Layout64:
		return "64-bit"
	case Layout32:
		return "32-bit"
	}
	return fmt.Sprintf("Layout(%d)", uint8(l))
}

// Event types and codes from linux/input-event-codes.h.
const (
	evSyn      = 0x00
	evKey      = 0x01
	synDropped = 3

	keyPress = 1 // value of EV_KEY: 0 release, 1 press, 2 autorepeat
)

// keyChar maps the key codes a card reader types to their character: the
// digits of the main row and the keypad, A-F for hex readers (shifted or
// not: the case does not matter), and '\n' for Enter.
var keyChar = map[uint16]byte{
	2: '1', 3: '2', 4: '3', 5: '4', 6: '5', 7: '6', 8: '7', 9: '8', 10: '9', 11: '0', // KEY_1..KEY_0
	79: '1', 80: '2', 81: '3', 75: '4', 76: '5', 77: '6', 71: '7', 72: '8', 73: '9', 82: '0', // KEY_KP1..KEY_KP0
	30: 'A', 48: 'B', 46: 'C', 32: 'D', 18: 'E', 33: 'F', // KEY_A..KEY_F
	28: '\n', 96: '\n', // KEY_ENTER, KEY_KPENTER
}

// modifier keys come with the digits of some readers (Shift for upper-case
// hex, NumLock toggled for the keypad); they carry no digit.
var modifier = map[uint16]bool{
	42: true, 54: true, // KEY_LEFTSHIFT, KEY_RIGHTSHIFT
	29: true, 97: true, // KEY_LEFTCTRL, KEY_RIGHTCTRL
	56: true, 100: true, // KEY_LEFTALT, KEY_RIGHTALT
	58: true, 69: true, // KEY_CAPSLOCK, KEY_NUMLOCK
}

// maxDigitsLimit bounds Opts.MaxDigits: the decoder's buffer.
const maxDigitsLimit = 64

// Decoder reads input_event records and yields the numbers typed on them,
// one per Enter. Key presses alone count; releases, autorepeats, scan codes
// and sync reports pass by. Time between keys is taken from the events' own
// timestamps, so a recording decodes the same as the live device.
type Decoder struct {
	r          io.Reader
	layout     Layout
	maxDigits  int
	keyTimeout time.Duration

	ev     [24]byte
	digits [maxDigitsLimit]byte
	n      int
	last   time.Duration // timestamp of the last key press of the number
	skip   bool          // the number so far was discarded: ignore up to Enter
	ended  bool          // ErrNoEnter was returned: next is io.EOF
}

// NewDecoder reads events of the given layout from r. maxDigits (at most 64)
// bounds a number; a pause longer than keyTimeout inside a number discards it.
func NewDecoder(r io.Reader, layout Layout, maxDigits int, keyTimeout time.Duration) *Decoder {
	if maxDigits <= 0 || maxDigits > maxDigitsLimit {
		maxDigits = maxDigitsLimit
	}
	if layout != Layout32 {
		layout = Layout64
	}
	return &Decoder{r: r, layout: layout, maxDigits: maxDigits, keyTimeout: keyTimeout}
}

// Next returns the digits of the next number (valid until the next call). A
// number that had to be discarded is reported by an error wrapping ErrGarbage,
// ErrTooLong, ErrKeyTimeout, ErrDropped or ErrNoEnter; call Next again for the
// following one. Errors reading r are returned wrapped; io.EOF at the end.
func (d *Decoder) Next() ([]byte, error) {
	for {
		if d.ended {
			return nil, io.EOF
		}
		typ, code, value, at, err := d.read()
		if err != nil {
			if errors.Is(err, io.EOF) && d.n > 0 && !d.skip {
				d.ended = true
				return nil, fmt.Errorf("wedge: %w: %q discarded", ErrNoEnter, d.digits[:d.n])
			}
			return nil, err
		}
		if typ == evSyn && code == synDropped {
			// The kernel threw away what was queued: digits of this number or
			// the start of the next one. Skip to the next Enter or pause.
			d.discard(true)
			d.last = at
			return nil, fmt.Errorf("wedge: %w", ErrDropped)
		}
		if typ != evKey || value != keyPress || modifier[code] {
			continue
		}
		// A long pause starts afresh, even after garbage: this key may begin
		// a good number.
		var discarded error
		if gap := at - d.last; (d.n > 0 || d.skip) && (gap > d.keyTimeout || gap < 0) {
			if d.n > 0 && !d.skip {
				discarded = fmt.Errorf("wedge: %w of %v after %q: discarded", ErrKeyTimeout, gap, d.digits[:d.n])
			}
			d.discard(false)
		}
		d.last = at
		c, ok := keyChar[code]
		switch {
		case c == '\n':
			if d.n > 0 && !d.skip {
				n := d.n
				d.n = 0
				return d.digits[:n], nil
			}
			d.discard(false) // the end of a discarded number, or a lone Enter
		case d.skip:
		case !ok:
			d.discard(true)
			return nil, fmt.Errorf("wedge: %w: key code %d", ErrGarbage, code)
		case d.n == d.maxDigits:
			d.discard(true)
			return nil, fmt.Errorf("wedge: %w: more than %d digits", ErrTooLong, d.maxDigits)
		default:
			d.digits[d.n] = c
			d.n++
		}
		if discarded != nil {
			return nil, discarded
		}
	}
}

// discard drops the number so far; skip ignores keys up to the next Enter.
func (d *Decoder) discard(skip bool) {
	d.n = 0
	d.skip = skip
}

// read reads one event: its type, code, value and timestamp.
func (d *Decoder) read() (typ, code uint16, value int32, at time.Duration, err error) {
	b := d.ev[:d.layout.Size()]
	if _, err = io.ReadFull(d.r, b); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, 0, 0, 0, fmt.Errorf("wedge: truncated input event: %w", err)
		}
		if errors.Is(err, io.EOF) {
			return 0, 0, 0, 0, io.EOF
		}
		return 0, 0, 0, 0, fmt.Errorf("wedge: read: %w", err)
	}
	le := binary.LittleEndian
	var sec, usec int64
	if d.layout == Layout32 {
		sec, usec = int64(le.Uint32(b[0:])), int64(le.Uint32(b[4:]))
		b = b[8:]
	} else {
		sec, usec = int64(le.Uint64(b[0:])), int64(le.Uint64(b[8:]))
		b = b[16:]
	}
	at = time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond
	return le.Uint16(b[0:]), le.Uint16(b[2:]), int32(le.Uint32(b[4:])), at, nil
}
