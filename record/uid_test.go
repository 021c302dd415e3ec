package record_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/hongmajia/hongmajia/record"
)

func TestParseUID(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     record.CardUID
		err      bool
	}{
		{"4 bytes upper", "04A1B2C3", "04A1B2C3", false},
		{"4 bytes lower", "04a1b2c3", "04A1B2C3", false},
		{"colons", "04:a1:b2:c3", "04A1B2C3", false},
		{"dashes and spaces", " 04-A1-B2-C3 ", "04A1B2C3", false},
		{"spaces between bytes", "04 A1 B2 C3", "04A1B2C3", false},
		{"0x prefix", "0x04A1B2C3", "04A1B2C3", false},
		{"7 bytes", "04:11:22:33:44:55:66", "04112233445566", false},
		{"10 bytes", "0411223344556677889A", "0411223344556677889A", false},
		{"8 digits read as hex", "12345678", "12345678", false},
		{"wedge 10 digits", "0012345678", "00BC614E", false},
		{"wedge max 32-bit", "4294967295", "FFFFFFFF", false},
		{"wedge 33-bit goes to 7 bytes", "4294967296", "00000100000000", false},
		{"wedge 56-bit max", "72057594037927935", "FFFFFFFFFFFFFF", false},
		{"wedge 57-bit goes to 10 bytes", "72057594037927936", "00000100000000000000", false},
		{"wedge short number", "42", "0000002A", false},
		{"empty", "", "", true},
		{"blank", "   ", "", true},
		{"ten digits are a wedge number", "0102030405", "0614DC45", false},
		{"5 bytes hex with letters", "0A0B0C0D0E", "", true},
		{"odd hex", "04A1B2C", "", true},
		{"not hex", "04G1B2C3", "", true},
		{"bad group", "04:A1B2:C3", "", true},
		{"wedge too wide", "1208925819614629174706176", "", true}, // 2^80
		{"too many digits", strings.Repeat("9", 30), "", true},
		{"unicode", "０４Ａ１Ｂ２Ｃ３", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := record.ParseUID(tc.in)
			if tc.err {
				if !errors.Is(err, record.ErrBadUID) {
					t.Fatalf("ParseUID(%q) = %q, %v; want ErrBadUID", tc.in, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseUID(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

// FuzzParseUID: whatever the input, a success is normalised hex of 4, 7 or 10
// bytes that parses to itself, and a failure is ErrBadUID.
func FuzzParseUID(f *testing.F) {
	for _, s := range []string{"04A1B2C3", "04:a1:b2:c3", "0x04112233445566", "0012345678", "4294967296", "", "zz", "04-A1-B2", "0411223344556677889A", "9999999999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := record.ParseUID(s)
		if err != nil {
			if !errors.Is(err, record.ErrBadUID) {
				t.Fatalf("ParseUID(%q): error %v is not ErrBadUID", s, err)
			}
			return
		}
		if n := len(u.Bytes()); n != 4 && n != 7 && n != 10 {
			t.Fatalf("ParseUID(%q) = %q: %d bytes", s, u, n)
		}
		if strings.ToUpper(string(u)) != string(u) {
			t.Fatalf("ParseUID(%q) = %q: not upper case", s, u)
		}
		again, err := record.ParseUID(string(u))
		if err != nil || again != u {
			t.Fatalf("ParseUID(ParseUID(%q)=%q) = %q, %v: not stable", s, u, again, err)
		}
	})
}

// TestUIDFromBytes: the bytes of an ISO/IEC 14443A UID (4, 7 or 10) make a
// card; any other length is a bad read, whatever the bytes.
func TestUIDFromBytes(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want record.CardUID
	}{
		{"nil", nil, ""},
		{"empty", []byte{}, ""},
		{"3 bytes (a wedge number like 123456)", []byte{0x01, 0xE2, 0x40}, ""},
		{"4 bytes", []byte{0x04, 0xa1, 0xb2, 0xc3}, "04A1B2C3"},
		{"5 bytes", []byte{0x04, 0xa1, 0xb2, 0xc3, 0xd4}, ""},
		{"7 bytes", []byte{0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66}, "04112233445566"},
		{"10 bytes", []byte{0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x9a}, "0411223344556677889A"},
		{"11 bytes", make([]byte, 11), ""},
		{"4 zero bytes", make([]byte, 4), "00000000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := record.UIDFromBytes(tc.in)
			if tc.want == "" {
				if !errors.Is(err, record.ErrBadUID) || got != "" {
					t.Fatalf("UIDFromBytes(%x) = %q, %v; want ErrBadUID", tc.in, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("UIDFromBytes(%x) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			if !bytes.Equal(got.Bytes(), tc.in) {
				t.Fatalf("Bytes() = %x, want %x", got.Bytes(), tc.in)
			}
			if again, err := record.ParseUID(string(got)); err != nil || again != got {
				t.Fatalf("ParseUID(%q) = %q, %v: not the same card", got, again, err)
			}
		})
	}
}

// FuzzUIDFromBytes: a card exactly when the length is 4, 7 or 10, and then
// the card's bytes are the input.
func FuzzUIDFromBytes(f *testing.F) {
	for _, n := range []int{0, 3, 4, 5, 7, 10, 11} {
		f.Add(bytes.Repeat([]byte{0xa5}, n))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := record.UIDFromBytes(b)
		if n := len(b); n != 4 && n != 7 && n != 10 {
			if !errors.Is(err, record.ErrBadUID) {
				t.Fatalf("UIDFromBytes(%d bytes) = %q, %v; want ErrBadUID", n, u, err)
			}
			return
		}
		if err != nil || !bytes.Equal(u.Bytes(), b) || strings.ToUpper(string(u)) != string(u) {
			t.Fatalf("UIDFromBytes(%x) = %q, %v", b, u, err)
		}
	})
}
