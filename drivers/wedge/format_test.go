package wedge

import (
	"errors"
	"testing"

	"github.com/hongmajia/hongmajia/drivers/rfid"
)

func TestFormatUID(t *testing.T) {
	dec := func(o Order, n int) Format { return Format{Base: Decimal, Order: o, Bytes: n} }
	hexf := func(o Order, n int) Format { return Format{Base: Hex, Order: o, Bytes: n} }
	for _, tc := range []struct {
		name   string
		f      Format
		digits string
		want   string // UID hex, "" for ErrBadNumber
	}{
		// The card 04 A1 B2 C3 as the MFRC522 reads it.
		{"decimal LSB first", dec(LSBFirst, 4), "3283263748", "04A1B2C3"},
		{"decimal MSB first", dec(MSBFirst, 4), "0077705923", "04A1B2C3"},
		{"decimal without leading zeros", dec(MSBFirst, 4), "77705923", "04A1B2C3"},
		{"decimal zero bytes default to 4", dec(LSBFirst, 0), "3283263748", "04A1B2C3"},
		{"decimal largest 4-byte", dec(MSBFirst, 4), "4294967295", "FFFFFFFF"},
		{"decimal too big for 4 bytes", dec(MSBFirst, 4), "4294967296", ""},
		{"decimal 7-byte UID", dec(MSBFirst, 7), "1303689068602870", "04A1B2C3D4E5F6"},
		{"decimal over 64 bits", dec(MSBFirst, 8), "99999999999999999999", ""},
		{"decimal wants 10 bytes", dec(MSBFirst, 10), "1", ""},
		{"hex digit in a decimal number", dec(MSBFirst, 4), "04A1B2C3", ""},
		{"hex MSB first", hexf(MSBFirst, 0), "04A1B2C3D4E5F6", "04A1B2C3D4E5F6"},
		{"hex LSB first", hexf(LSBFirst, 4), "C3B2A104", "04A1B2C3"},
		{"hex without leading zero", hexf(MSBFirst, 4), "4A1B2C3", "04A1B2C3"},
		{"hex odd digits, no length", hexf(MSBFirst, 0), "4A1B2C3", "04A1B2C3"},
		{"hex extra leading zeros", hexf(MSBFirst, 4), "0004A1B2C3", "04A1B2C3"},
		{"hex too long", hexf(MSBFirst, 4), "104A1B2C3", ""},
		{"empty", hexf(MSBFirst, 4), "", ""},
		{"unknown base", Format{Order: MSBFirst}, "12", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.f.UID([]byte(tc.digits))
			if tc.want == "" {
				if !errors.Is(err, ErrBadNumber) {
					t.Fatalf("UID(%q) = %v, %v; want ErrBadNumber", tc.digits, got, err)
				}
				return
			}
			if err != nil || got.Hex() != tc.want {
				t.Fatalf("UID(%q) = %v, %v; want %s", tc.digits, got, err, tc.want)
			}
		})
	}
}

func TestFormatNumberRoundTrip(t *testing.T) {
	uids := []rfid.UID{{0x04, 0xa1, 0xb2, 0xc3}, {0, 0, 0, 1}, {0xff, 0xff, 0xff, 0xff}, {0x04, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6}}
	for _, base := range []Base{Decimal, Hex} {
		for _, order := range []Order{LSBFirst, MSBFirst} {
			for _, uid := range uids {
				f := Format{Base: base, Order: order, Bytes: len(uid)}
				n := f.Number(uid)
				got, err := f.UID([]byte(n))
				if err != nil || !got.Equal(uid) {
					t.Errorf("%v: %v typed as %q reads back as %v, %v", f, uid, n, got, err)
				}
			}
		}
	}
	if n := DefaultFormat.Number(rfid.UID{0, 0, 0, 1}); n != "0016777216" {
		t.Errorf("10-digit number = %q, want leading zeros to 10 digits", n)
	}
	if s := DefaultFormat.String(); s != "decimal, 4 bytes, LSB first" {
		t.Errorf("String = %q", s)
	}
}
