package commands

import "testing"

// Known answers, none computed by this package or by the chip model:
// ISO/IEC 14443-3 Annex B's CRC_A examples (00 00 gives A0 1E, 12 34 gives
// 26 CF), frames every ISO/IEC 14443 trace shows (HLTA 50 00 57 CD, MIFARE
// READ of block 0 and 4, RATS E0 50 BC A5), and an Ultralight's pages 0-3
// as an ST CR95HF read them, answered with their CRC_A 9B C3.
func TestCRCAKnownFrames(t *testing.T) {
	for _, tc := range []struct {
		in     []byte
		lo, hi byte
	}{
		{[]byte{0x00, 0x00}, 0xA0, 0x1E},
		{[]byte{0x12, 0x34}, 0x26, 0xCF},
		{[]byte{0x50, 0x00}, 0x57, 0xCD},
		{[]byte{0x30, 0x00}, 0x02, 0xA8},
		{[]byte{0x30, 0x04}, 0x26, 0xEE},
		{[]byte{0xE0, 0x50}, 0xBC, 0xA5},
		{[]byte{0x6A, 0x1E, 0x4D, 0xB1, 0x7E, 0x00, 0x00, 0x4B, 0x35, 0x92, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, 0x9B, 0xC3},
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

// CalcCRC's other presets: with FFFFh and the result inverted it is CRC_B,
// whose Annex B examples are 00 00 00 giving CC C6 and 0F AA FF giving FC D1.
func TestCRCAWithPresetKnownAnswers(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want uint16
	}{
		{[]byte{0x00, 0x00, 0x00}, 0xC6CC},
		{[]byte{0x0F, 0xAA, 0xFF}, 0xD1FC},
	} {
		if got := ^CRCAWithPreset(0xFFFF, tc.in); got != tc.want {
			t.Errorf("CRC_B(% X) = %04X, want %04X", tc.in, got, tc.want)
		}
	}
}

// BCC is the XOR of UID CLn's four bytes. The Ultralight above carries
// them in its pages: 6A 1E 4D B1 (BCC0 over the cascade tag 88h and SN0..2)
// and 7E 00 00 4B, then 35 (BCC1).
func TestBCCKnownAnswers(t *testing.T) {
	for _, tc := range []struct {
		cl   []byte
		want byte
	}{
		{[]byte{0x88, 0x6A, 0x1E, 0x4D}, 0xB1},
		{[]byte{0x7E, 0x00, 0x00, 0x4B}, 0x35},
		{[]byte{0xDE, 0xAD, 0xBE, 0xEF}, 0x22},
		{[]byte{0x00, 0x00, 0x00, 0x00}, 0x00},
	} {
		if got := BCC(tc.cl); got != tc.want {
			t.Errorf("BCC(% X) = %02X, want %02X", tc.cl, got, tc.want)
		}
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
