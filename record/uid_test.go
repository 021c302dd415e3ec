package record_test

import (
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
