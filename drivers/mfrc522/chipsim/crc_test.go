package chipsim

import "testing"

// Known answers, none computed here or by the driver: ISO/IEC 14443-3
// Annex B's CRC_A examples (00 00 gives A0 1E, 12 34 gives 26 CF), frames
// every ISO/IEC 14443 trace shows (HLTA 50 00 57 CD, MIFARE READ of block
// 0 and 4, RATS E0 50 BC A5), and an Ultralight's pages 0-3 read by an ST
// CR95HF, answered with their CRC_A 9B C3.
var crcKnown = []struct {
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
}

func TestCRCAKnownAnswers(t *testing.T) {
	for _, tc := range crcKnown {
		crc := crcA(0x6363, tc.in)
		if byte(crc) != tc.lo || byte(crc>>8) != tc.hi {
			t.Errorf("crcA(% X) = %02X %02X, want %02X %02X", tc.in, byte(crc), byte(crc>>8), tc.lo, tc.hi)
		}
		frame := appendCRCA(append([]byte(nil), tc.in...))
		if !crcAOK(frame) {
			t.Errorf("crcAOK refuses % X", frame)
		}
		frame[len(frame)-1] ^= 0x80
		if crcAOK(frame) {
			t.Errorf("crcAOK accepts % X with a flipped bit", frame)
		}
	}
	if crcAOK([]byte{0x63, 0x63}) {
		t.Error("crcAOK accepts a frame with no payload")
	}
}

// The same Ultralight's pages 0-2 carry the UID and its two check bytes:
// SN0 SN1 SN2 BCC0, SN3..SN6, BCC1; BCC0 covers the cascade tag 88h.
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
		if got := bcc(tc.cl); got != tc.want {
			t.Errorf("bcc(% X) = %02X, want %02X", tc.cl, got, tc.want)
		}
	}
	// The model's cards carry those check bytes in their memory.
	k := NewUltralight([]byte{0x6A, 0x1E, 0x4D, 0x7E, 0x00, 0x00, 0x4B})
	if got := k.Block(0); got[3] != 0xB1 {
		t.Errorf("Ultralight page 0 = % X, want BCC0 B1", got)
	}
	if got := k.Block(2); got[0] != 0x35 {
		t.Errorf("Ultralight page 2 = % X, want BCC1 35", got)
	}
}

// CalcCRC honours ModeReg's preset: with FFFFh and the result inverted it
// is CRC_B, whose Annex B examples pin the preset path (00 00 00 gives
// CC C6, 0F AA FF gives FC D1).
func TestCRCPresetKnownAnswers(t *testing.T) {
	for _, tc := range []struct {
		in     []byte
		lo, hi byte
	}{
		{[]byte{0x00, 0x00, 0x00}, 0xCC, 0xC6},
		{[]byte{0x0F, 0xAA, 0xFF}, 0xFC, 0xD1},
	} {
		crc := ^crcA(0xFFFF, tc.in)
		if byte(crc) != tc.lo || byte(crc>>8) != tc.hi {
			t.Errorf("CRC_B(% X) = %02X %02X, want %02X %02X", tc.in, byte(crc), byte(crc>>8), tc.lo, tc.hi)
		}
	}
}
