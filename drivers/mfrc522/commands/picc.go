package commands

import "time"

// Radio timing of ISO/IEC 14443-2 §8.1 and ISO/IEC 14443-3 §6.2.1 type A at
// 106 kbit/s.
const (
	// BitTime is one bit: 128 carrier cycles (9.44 µs).
	BitTime = 128 * time.Second / CarrierHz
	// FDT is the frame delay time of a card's answer, 1236/fc (last bit of
	// the command 1): 91 µs.
	FDT = 1236 * time.Second / CarrierHz
)

// FrameTime is how long bits take on the air with parity, SOF and EOF.
func FrameTime(bits int) time.Duration { return time.Duration(bits+bits/8+2) * BitTime }

// PICC commands of ISO/IEC 14443-3 type A (§6.3, table 4) and the MIFARE
// commands of NXP MF1S50yyX (Classic 1K, §9) and MF0ICU1 (Ultralight, §9).
const (
	REQA       = 0x26 // 7-bit short frame: wake IDLE cards (§6.3.1)
	WUPA       = 0x52 // 7-bit short frame: wake IDLE and HALT cards (§6.3.1)
	SelCL1     = 0x93 // ANTICOLLISION/SELECT, cascade level 1 (§6.5.3.1)
	SelCL2     = 0x95 // cascade level 2
	SelCL3     = 0x97 // cascade level 3
	HLTA       = 0x50 // HLTA is 50 00 CRC_A (§6.3.3)
	CascadeTag = 0x88 // CT: more UID bytes follow at the next level (§6.5.4)
	NVBSelect  = 0x70 // NVB of a SELECT: 7 valid bytes (§6.5.3.2)
	NVBAnticol = 0x20 // NVB of the first ANTICOLLISION: 2 valid bytes

	ShortFrameBits = 7 // REQA and WUPA are 7-bit short frames (§6.2.3.1)

	MFAuthKeyA = 0x60 // MIFARE Classic AUTH with key A
	MFAuthKeyB = 0x61 // MIFARE Classic AUTH with key B
	MFRead     = 0x30 // READ: 16 bytes (one Classic block, four Ultralight pages)
	MFWrite    = 0xA0 // WRITE of 16 bytes in two steps, each ACKed
	ULWrite    = 0xA2 // Ultralight WRITE of one 4-byte page

	// ACK and NAK are 4-bit answers (MF1S50yyX §9.3, table 10). Any value but
	// ACK is a NAK: 0x0 invalid operation, 0x1 parity or CRC error, 0x4 and
	// 0x5 invalid operation and transmission error.
	ACK     = 0x0A
	ACKBits = 4

	// SAK bits, ISO/IEC 14443-3 §6.5.3.4.
	SAKCascade  = 0x04 // UID not complete: go to the next cascade level
	SAKISO14443 = 0x20 // ISO/IEC 14443-4 compliant

	// MIFARE Classic layout (MF1S50yyX §8.6): 16-byte blocks, sector
	// trailer last in each sector.
	BlockSize = 16
	KeySize   = 6
)

// CRCA computes CRC_A of ISO/IEC 14443-3 Annex B: polynomial x^16+x^12+x^5+1
// processed LSB first, preset 6363h, sent low byte first.
func CRCA(data []byte) (lo, hi byte) {
	crc := CRCAWithPreset(0x6363, data)
	return byte(crc), byte(crc >> 8)
}

// CRCAWithPreset is CRC_A with another preset, as CalcCRC honours ModeReg's
// CRCPreset (§9.3.2.2).
func CRCAWithPreset(preset uint16, data []byte) uint16 {
	crc := preset
	for _, b := range data {
		crc ^= uint16(b)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0x8408
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}

// CheckCRCA reports whether frame ends in the CRC_A of what precedes it.
func CheckCRCA(frame []byte) bool {
	if len(frame) < 3 {
		return false
	}
	n := len(frame) - 2
	lo, hi := CRCA(frame[:n])
	return frame[n] == lo && frame[n+1] == hi
}

// BCC is the UID check byte of a cascade level: the XOR of its four bytes
// (ISO/IEC 14443-3 §6.5.4).
func BCC(b []byte) byte {
	var x byte
	for _, v := range b {
		x ^= v
	}
	return x
}

// SelCode is the SEL byte of cascade level 1..3.
func SelCode(level int) byte {
	switch level {
	case 2:
		return SelCL2
	case 3:
		return SelCL3
	}
	return SelCL1
}
