package commands

import "testing"

// Known frames: HLTA is 50 00 57 CD on the air (ISO/IEC 14443-3 §6.3.3), and
// the ISO/IEC 14443-3 Annex B example CRC_A of 00 00 is A0 1E.
func TestCRCAKnownFrames(t *testing.T) {
	for _, tc := range []struct {
		in     []byte
		lo, hi byte
	}{
		{[]byte{0x50, 0x00}, 0x57, 0xCD},
		{[]byte{0x00, 0x00}, 0xA0, 0x1E},
		{[]byte{0x12, 0x34}, 0x26, 0xCF},
	} {
		lo, hi := CRCA(tc.in)
		if lo != tc.lo || hi != tc.hi {
			t.Errorf("CRCA(% X) = %02X %02X, want %02X %02X", tc.in, lo, hi, tc.lo, tc.hi)
		}
		if !CheckCRCA(append(append([]byte{}, tc.in...), tc.lo, tc.hi)) {
			t.Errorf("CheckCRCA refuses % X with its own CRC", tc.in)
		}
		if CheckCRCA(append(append([]byte{}, tc.in...), tc.lo^1, tc.hi)) {
			t.Errorf("CheckCRCA accepts % X with a flipped CRC bit", tc.in)
		}
	}
	if CheckCRCA([]byte{0x63, 0x63}) {
		t.Error("CheckCRCA accepts a frame with no payload")
	}
}

func TestAddressByte(t *testing.T) {
	if got := ReadAddr(VersionReg); got != 0xEE {
		t.Errorf("ReadAddr(VersionReg) = %#x, want 0xEE", got)
	}
	if got := WriteAddr(CommandReg); got != 0x02 {
		t.Errorf("WriteAddr(CommandReg) = %#x, want 0x02", got)
	}
	reg, read, ok := DecodeAddr(0xEE)
	if reg != VersionReg || !read || !ok {
		t.Errorf("DecodeAddr(0xEE) = %#x %v %v", reg, read, ok)
	}
	if _, _, ok := DecodeAddr(0x03); ok {
		t.Error("DecodeAddr accepts an address byte with bit 0 set")
	}
}

func TestCommandString(t *testing.T) {
	if Transceive.String() != "Transceive" || Command(0x5).String() != "Command(0x5)" {
		t.Errorf("got %q and %q", Transceive, Command(0x5))
	}
}
