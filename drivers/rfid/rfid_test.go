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
