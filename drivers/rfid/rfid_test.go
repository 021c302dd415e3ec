package rfid

import (
	"errors"
	"fmt"
	"testing"
)

func TestUIDHexIsUpperCase(t *testing.T) {
	for _, tc := range []struct {
		uid  UID
		want string
	}{
		{UID{0xde, 0xad, 0xbe, 0xef}, "DEADBEEF"},
		{UID{0x04, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f}, "041A2B3C4D5E6F"},
		{nil, ""},
	} {
		if got := tc.uid.Hex(); got != tc.want {
			t.Errorf("%v.Hex() = %q, want %q", []byte(tc.uid), got, tc.want)
		}
	}
}

func TestKindOfWrapped(t *testing.T) {
	base := &Error{Kind: Wiring, Err: errors.New("version 0xff")}
	wrapped := fmt.Errorf("mfrc522: init: %w", base)
	if got := KindOf(wrapped); got != Wiring {
		t.Fatalf("KindOf = %v, want wiring", got)
	}
	if got := KindOf(errors.New("other")); got != Fatal {
		t.Fatalf("KindOf(plain) = %v, want fatal", got)
	}
}

func TestParseUID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // "" for an error
	}{
		{"04A1B2C3D4E5F6", "04A1B2C3D4E5F6"},
		{"04:a1:b2:c3", "04A1B2C3"},
		{" de-ad-be-ef\n", "DEADBEEF"},
		{"ABC", ""},
		{"ZZ", ""},
		{"", ""},
		{"00112233445566778899AABBCCDDEEFF00", ""},
	} {
		got, err := ParseUID(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("ParseUID(%q) = %v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got.Hex() != tc.want {
			t.Errorf("ParseUID(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}
