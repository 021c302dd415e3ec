package wedge

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// event is one input_event record.
type event struct {
	at        time.Duration
	typ, code uint16
	value     int32
}

// encode lays events out as the kernel does for the given layout.
func encode(l Layout, evs []event) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	for _, e := range evs {
		sec, usec := uint64(e.at/time.Second), uint64(e.at%time.Second/time.Microsecond)
		if l == Layout32 {
			b.Write(le.AppendUint32(nil, uint32(sec)))
			b.Write(le.AppendUint32(nil, uint32(usec)))
		} else {
			b.Write(le.AppendUint64(nil, sec))
			b.Write(le.AppendUint64(nil, usec))
		}
		b.Write(le.AppendUint16(nil, e.typ))
		b.Write(le.AppendUint16(nil, e.code))
		b.Write(le.AppendUint32(nil, uint32(e.value)))
	}
	return b.Bytes()
}

var codeOf = map[rune]uint16{
	'1': 2, '2': 3, '3': 4, '4': 5, '5': 6, '6': 7, '7': 8, '8': 9, '9': 10, '0': 11,
	'A': 30, 'B': 48, 'C': 46, 'D': 32, 'E': 18, 'F': 33, '\n': 28,
	'G': 34, ' ': 57, // garbage
}

var keypadCode = map[rune]uint16{
	'1': 79, '2': 80, '3': 81, '4': 75, '5': 76, '6': 77, '7': 71, '8': 72, '9': 73, '0': 82, '\n': 96,
}

// typist produces the events a reader sends when it types: for each key an
// MSC_SCAN, the press, a SYN_REPORT, then the release and a SYN_REPORT, as
// evtest shows for real wedge readers; upper-case letters with Shift held.
type typist struct {
	at     time.Duration
	step   time.Duration // between keys
	keypad bool
	evs    []event
}

func (ty *typist) emit(typ, code uint16, value int32) {
	ty.evs = append(ty.evs, event{at: ty.at, typ: typ, code: code, value: value})
}

func (ty *typist) key(code uint16) {
	ty.emit(4, 4, 0x70000+int32(code)) // EV_MSC MSC_SCAN: noise to skip
	ty.emit(evKey, code, 1)
	ty.emit(evSyn, 0, 0)
	ty.at += ty.step / 2
	ty.emit(evKey, code, 0)
	ty.emit(evSyn, 0, 0)
	ty.at += ty.step / 2
}

func (ty *typist) typeString(s string) *typist {
	for _, r := range s {
		code, ok := codeOf[r]
		if ty.keypad {
			if k, ok2 := keypadCode[r]; ok2 {
				code, ok = k, true
			}
		}
		if !ok {
			panic("no key for " + string(r))
		}
		shifted := r >= 'A' && r <= 'Z'
		if shifted {
			ty.emit(evKey, 42, 1) // KEY_LEFTSHIFT
		}
		ty.key(code)
		if shifted {
			ty.emit(evKey, 42, 0)
		}
	}
	return ty
}

func (ty *typist) pause(d time.Duration) *typist { ty.at += d; return ty }

func newTypist() *typist {
	return &typist{at: 1_700_000_000 * time.Second, step: 16 * time.Millisecond}
}

// decodeAll returns every number and error up to EOF.
func decodeAll(t *testing.T, l Layout, evs []event) []string {
	t.Helper()
	d := NewDecoder(bytes.NewReader(encode(l, evs)), l, 20, 200*time.Millisecond)
	var got []string
	for range 1000 {
		digits, err := d.Next()
		switch {
		case errors.Is(err, io.EOF):
			return got
		case err != nil:
			got = append(got, "error: "+err.Error())
		default:
			got = append(got, string(digits))
		}
	}
	t.Fatal("decoder never reached EOF")
	return nil
}

func TestDecoder(t *testing.T) {
	for _, tc := range []struct {
		name string
		ty   *typist
		want []string
	}{
		{"10-digit decimal", newTypist().typeString("3283263748\n"),
			[]string{"3283263748"}},
		{"two numbers", newTypist().typeString("0012345678\n").pause(time.Second).typeString("0087654321\n"),
			[]string{"0012345678", "0087654321"}},
		{"keypad digits and keypad Enter", func() *typist { ty := newTypist(); ty.keypad = true; return ty.typeString("4294967295\n") }(),
			[]string{"4294967295"}},
		{"upper-case hex with Shift", newTypist().typeString("04A1B2C3D4E5F6\n"),
			[]string{"04A1B2C3D4E5F6"}},
		{"lone Enter is ignored", newTypist().typeString("\n\n12\n"),
			[]string{"12"}},
		{"garbage drops the number up to Enter", newTypist().typeString("12G34\n5678\n"),
			[]string{"error: wedge: unexpected key: key code 34", "5678"}},
		{"too long", newTypist().typeString(strings.Repeat("9", 25) + "\n123\n"),
			[]string{"error: wedge: number too long: more than 20 digits", "123"}},
		{"pause inside a number", newTypist().typeString("123").pause(time.Second).typeString("4567890123\n"),
			[]string{"error: wedge: pause between keys of 1.016s after \"123\": discarded", "4567890123"}},
		{"pause then Enter alone", newTypist().typeString("123").pause(time.Second).typeString("\n"),
			[]string{"error: wedge: pause between keys of 1.016s after \"123\": discarded"}},
		{"pause after garbage recovers at once", newTypist().typeString("1G2").pause(time.Second).typeString("777\n"),
			[]string{"error: wedge: unexpected key: key code 34", "777"}},
		{"no Enter at the end", newTypist().typeString("99\n123"),
			[]string{"99", "error: wedge: number with no Enter: \"123\" discarded"}},
	} {
		for _, l := range []Layout{Layout64, Layout32} {
			t.Run(tc.name+"/"+l.String(), func(t *testing.T) {
				got := decodeAll(t, l, tc.ty.evs)
				if strings.Join(got, "|") != strings.Join(tc.want, "|") {
					t.Fatalf("got\n%q\nwant\n%q", got, tc.want)
				}
			})
		}
	}
}

func TestDecoderDroppedEvents(t *testing.T) {
	ty := newTypist().typeString("12")
	ty.emit(evSyn, synDropped, 0)
	ty.typeString("34\n").typeString("5678\n")
	// between numbers: the start of the next one may be what was lost
	ty.emit(evSyn, synDropped, 0)
	ty.typeString("42\n")
	ty.emit(evSyn, synDropped, 0)
	ty.pause(time.Second).typeString("43\n") // a pause: surely a new number
	got := decodeAll(t, Layout64, ty.evs)
	want := []string{"error: wedge: input events dropped by the kernel", "5678",
		"error: wedge: input events dropped by the kernel", "error: wedge: input events dropped by the kernel", "43"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestDecoderIgnoresRepeatAndRelease(t *testing.T) {
	ty := newTypist()
	ty.emit(evKey, 2, 1) // '1' pressed
	ty.emit(evKey, 2, 2) // autorepeat: not another digit
	ty.emit(evKey, 2, 0)
	ty.emit(evKey, 3, 0) // a release without a press
	ty.emit(evKey, 28, 1)
	if got := decodeAll(t, Layout32, ty.evs); len(got) != 1 || got[0] != "1" {
		t.Fatalf("got %q, want [1]", got)
	}
}

func TestDecoderTruncatedEvent(t *testing.T) {
	b := encode(Layout64, newTypist().typeString("1\n").evs)
	d := NewDecoder(bytes.NewReader(b[:len(b)-5]), Layout64, 20, time.Second)
	if digits, err := d.Next(); err != nil || string(digits) != "1" {
		t.Fatalf("Next = %q, %v", digits, err)
	}
	_, err := d.Next()
	if err == nil || !strings.Contains(err.Error(), "truncated input event") {
		t.Fatalf("err = %v, want truncated", err)
	}
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

func TestDecoderReadError(t *testing.T) {
	d := NewDecoder(failingReader{io.ErrClosedPipe}, Layout64, 20, time.Second)
	if _, err := d.Next(); !errors.Is(err, io.ErrClosedPipe) || !strings.HasPrefix(err.Error(), "wedge: read:") {
		t.Fatalf("err = %v", err)
	}
}

// The 32-bit layout's seconds are unsigned since Linux 5.0: past 2038 the
// pause between keys must still be right.
func TestDecoder32BitAfter2038(t *testing.T) {
	ty := &typist{at: (1<<31 + 100) * time.Second, step: 16 * time.Millisecond}
	ty.typeString("12\n")
	if got := decodeAll(t, Layout32, ty.evs); len(got) != 1 || got[0] != "12" {
		t.Fatalf("got %q", got)
	}
}

func FuzzDecoder(f *testing.F) {
	f.Add(encode(Layout64, newTypist().typeString("3283263748\n").evs), false)
	f.Add(encode(Layout32, newTypist().typeString("12G3\n04A1\n").evs), true)
	f.Add([]byte{1, 2, 3}, false)
	f.Fuzz(func(t *testing.T, b []byte, l32 bool) {
		l := Layout64
		if l32 {
			l = Layout32
		}
		d := NewDecoder(bytes.NewReader(b), l, 20, 200*time.Millisecond)
		for range len(b)/16 + 2 {
			digits, err := d.Next()
			if err != nil {
				if errors.Is(err, io.EOF) || strings.Contains(err.Error(), "truncated") {
					return
				}
				continue
			}
			if len(digits) == 0 || len(digits) > 20 {
				t.Fatalf("number of %d digits", len(digits))
			}
			// whatever was typed, the format gives a UID or an error
			_, _ = DefaultFormat.UID(digits)
			_, _ = Format{Base: Hex, Order: MSBFirst}.UID(digits)
		}
		if _, err := d.Next(); err == nil {
			t.Fatal("decoder still yields numbers past the input")
		}
	})
}
