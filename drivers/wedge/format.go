package wedge

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hongmajia/hongmajia/drivers/rfid"
)

// Base is how a reader writes the card number.
type Base uint8

// Bases.
const (
	Decimal Base = iota + 1 // "3283263748": the common "10-digit" readers
	Hex                     // "04A1B2C3"
)

func (b Base) String() string {
	switch b {
	case Decimal:
		return "decimal"
	case Hex:
		return "hex"
	}
	return fmt.Sprintf("Base(%d)", uint8(b))
}

// Order says where in the typed number the card's first UID byte is. Readers
// vary: many read the UID bytes as a little-endian integer, so the first byte
// the card sends ends up least significant.
type Order uint8

// Orders.
const (
	// LSBFirst: UID[0] is the least significant byte of the number.
	// 04 A1 B2 C3 is typed as C3B2A104 (hex) or 3283263748 (decimal).
	LSBFirst Order = iota + 1
	// MSBFirst: UID[0] is the most significant byte, the UID as written.
	// 04 A1 B2 C3 is typed as 04A1B2C3 (hex) or 77705923 (decimal).
	MSBFirst
)

func (o Order) String() string {
	switch o {
	case LSBFirst:
		return "LSB first"
	case MSBFirst:
		return "MSB first"
	}
	return fmt.Sprintf("Order(%d)", uint8(o))
}

// Format maps a typed number to the UID bytes an MFRC522 reads from the same
// card, so a volunteer's card is the same card on either reader. Leading zeros
// may be typed or not.
type Format struct {
	Base  Base
	Order Order
	// Bytes is the UID length: 4 for a single-size UID (the only one a
	// 10-digit decimal holds), 7 or 10 for longer ones. Zero means 4 for
	// Decimal, and for Hex as many bytes as the digits typed fill.
	Bytes int
}

// DefaultFormat is the common 10-digit decimal reader: a 4-byte UID read as a
// little-endian number.
var DefaultFormat = Format{Base: Decimal, Order: LSBFirst, Bytes: 4}

func (f Format) String() string {
	n := "any"
	if b := f.bytes(0); b > 0 {
		n = strconv.Itoa(b)
	}
	return fmt.Sprintf("%s, %s bytes, %s", f.Base, n, f.Order)
}

// bytes is the UID length for a number of the given number of digits.
func (f Format) bytes(digits int) int {
	switch {
	case f.Bytes > 0:
		return f.Bytes
	case f.Base == Decimal:
		return 4
	}
	return (digits + 1) / 2
}

// UID converts the digits a reader typed (ASCII, without Enter) to the card's UID.
func (f Format) UID(digits []byte) (rfid.UID, error) {
	n := f.bytes(len(digits))
	if len(digits) == 0 {
		return nil, fmt.Errorf("wedge: %w: empty", ErrBadNumber)
	}
	var id rfid.UID
	switch f.Base {
	case Decimal:
		if n > 8 {
			return nil, fmt.Errorf("wedge: %w: a decimal number holds at most 8 bytes, format wants %d", ErrBadNumber, n)
		}
		v, err := strconv.ParseUint(string(digits), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("wedge: %w: %q is not a decimal number that fits in 64 bits", ErrBadNumber, digits)
		}
		if n < 8 && v>>(8*n) != 0 {
			return nil, fmt.Errorf("wedge: %w: %s is more than %d bytes", ErrBadNumber, digits, n)
		}
		id = make(rfid.UID, n)
		for i := n - 1; i >= 0; i-- {
			id[i] = byte(v)
			v >>= 8
		}
	case Hex:
		s := strings.TrimLeft(string(digits), "0")
		if len(s) > 2*n {
			return nil, fmt.Errorf("wedge: %w: %s is more than %d bytes", ErrBadNumber, digits, n)
		}
		s = strings.Repeat("0", 2*n-len(s)) + s
		var err error
		if id, err = hex.DecodeString(s); err != nil {
			return nil, fmt.Errorf("wedge: %w: %q is not hex", ErrBadNumber, digits)
		}
	default:
		return nil, fmt.Errorf("wedge: %w: unknown base %v", ErrBadNumber, f.Base)
	}
	if f.Order == LSBFirst {
		slices.Reverse(id)
	}
	return id, nil
}

// Number is what a reader of this format types for the card uid, with leading
// zeros: the inverse of UID, for tests and for matching a reader to a card of
// known UID.
func (f Format) Number(uid rfid.UID) string {
	b := slices.Clone(uid)
	if f.Order == LSBFirst {
		slices.Reverse(b)
	}
	if f.Base == Hex {
		return strings.ToUpper(hex.EncodeToString(b))
	}
	var v uint64
	for _, x := range b {
		v = v<<8 | uint64(x)
	}
	width := len(strconv.FormatUint(1<<(8*min(len(b), 8))-1, 10))
	if len(b) >= 8 {
		width = 20
	}
	return fmt.Sprintf("%0*d", width, v)
}

// FormatNames are the names ParseFormat takes, for configuration files and
// flags.
const FormatNames = "dec-lsb, dec-msb, hex-msb or hex-lsb"

// ParseFormat reads a format by name: dec-lsb (the common readers that type
// ten decimal digits of a 4-byte UID read least significant byte first),
// dec-msb, hex-msb or hex-lsb.
func ParseFormat(name string) (Format, error) {
	switch name {
	case "dec-lsb":
		return Format{Base: Decimal, Order: LSBFirst, Bytes: 4}, nil
	case "dec-msb":
		return Format{Base: Decimal, Order: MSBFirst, Bytes: 4}, nil
	case "hex-msb":
		return Format{Base: Hex, Order: MSBFirst}, nil
	case "hex-lsb":
		return Format{Base: Hex, Order: LSBFirst}, nil
	}
	return Format{}, fmt.Errorf("wedge: unknown format %q: want %s", name, FormatNames)
}
