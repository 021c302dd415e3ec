package record

import (
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
)

// CardUID is a card's identifier in normalised form: upper-case hex without
// separators, of a 4-, 7- or 10-byte ISO/IEC 14443A UID. Make one with
// ParseUID from what a reader typed or printed, or UIDFromBytes from the
// bytes a reader delivered.
type CardUID string

// UIDFromBytes is the card a reader's bytes name: ISO/IEC 14443A UIDs are 4,
// 7 or 10 bytes (single, double, triple size), and anything else — a short
// or garbled read, a keyboard-wedge number turned into too few bytes — is
// ErrBadUID, never a card.
func UIDFromBytes(b []byte) (CardUID, error) {
	if !uidLength(len(b)) {
		return "", fmt.Errorf("card UID of %d bytes, want 4, 7 or 10: %w", len(b), ErrBadUID)
	}
	return CardUID(strings.ToUpper(hex.EncodeToString(b))), nil
}

func uidLength(n int) bool { return n == 4 || n == 7 || n == 10 }

// hexLength: the hex digits of a UID.
func hexLength(n int) bool { return n == 8 || n == 14 || n == 20 }

// ParseUID normalises what a reader produced to a CardUID. It accepts:
//
//   - hex of 4, 7 or 10 bytes in any case, bare or with ':', '-', ' ' or '.'
//     between bytes, optionally prefixed "0x" ("04:a1:b2:c3", "04A1B2C3D4E5F6");
//   - a keyboard-wedge decimal number (what USB readers type, commonly ten
//     zero-padded digits, "0012345678"): read as the big-endian value of the
//     UID bytes, 4 bytes when it fits in 32 bits, else 7, else 10.
//
// A bare run of 8, 14 or 20 decimal digits is ambiguous; it is read as hex,
// since that is what a hex reader prints for a 4/7/10-byte UID. Wedge readers
// type other lengths (10 digits for a 4-byte UID) or should be configured to.
func ParseUID(s string) (CardUID, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return "", fmt.Errorf("parse card UID %q: empty: %w", s, ErrBadUID)
	}
	hasPrefix := len(t) > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')
	if hasPrefix {
		t = t[2:]
	}
	digitsOnly := true
	separated := false
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= '0' && c <= '9':
		case c == ':' || c == '-' || c == ' ' || c == '.':
			separated = true
			digitsOnly = false
		default:
			digitsOnly = false
		}
	}
	if digitsOnly && !hasPrefix && !hexLength(len(t)) {
		return parseDecimalUID(s, t)
	}
	if separated {
		// Separators must fall between whole bytes: "04:A1:B2:C3".
		var b strings.Builder
		for i, part := range strings.FieldsFunc(t, func(r rune) bool { return r == ':' || r == '-' || r == ' ' || r == '.' }) {
			if len(part) != 2 {
				return "", fmt.Errorf("parse card UID %q: group %d is not one byte: %w", s, i+1, ErrBadUID)
			}
			b.WriteString(part)
		}
		t = b.String()
	}
	if !hexLength(len(t)) {
		return "", fmt.Errorf("parse card UID %q: %d hex digits, want 8, 14 or 20: %w", s, len(t), ErrBadUID)
	}
	raw, err := hex.DecodeString(t)
	if err != nil {
		return "", fmt.Errorf("parse card UID %q: not hex: %w", s, ErrBadUID)
	}
	return UIDFromBytes(raw)
}

// maxDecimalDigits bounds the wedge number: 2^80-1 has 25 digits.
const maxDecimalDigits = 25

func parseDecimalUID(orig, digits string) (CardUID, error) {
	if len(strings.TrimLeft(digits, "0")) > maxDecimalDigits {
		return "", fmt.Errorf("parse card UID %q: number too long: %w", orig, ErrBadUID)
	}
	n, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return "", fmt.Errorf("parse card UID %q: not a number: %w", orig, ErrBadUID)
	}
	var size int
	switch bits := n.BitLen(); {
	case bits <= 32:
		size = 4
	case bits <= 56:
		size = 7
	case bits <= 80:
		size = 10
	default:
		return "", fmt.Errorf("parse card UID %q: number wider than 10 bytes: %w", orig, ErrBadUID)
	}
	return UIDFromBytes(n.FillBytes(make([]byte, size)))
}

// Bytes returns the UID's bytes; nil if u is not normalised hex.
func (u CardUID) Bytes() []byte {
	b, err := hex.DecodeString(string(u))
	if err != nil {
		return nil
	}
	return b
}

func (u CardUID) String() string { return string(u) }
