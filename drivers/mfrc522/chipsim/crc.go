package chipsim

import "math/bits"

// The model computes CRC_A and BCC itself rather than with package
// commands: the driver uses those, and a model that shared them would agree
// with any mistake in them. Both are pinned by the known answers in
// crc_test.go.

// crcA is CRC_A of ISO/IEC 14443-3 Annex B from preset (6363h for CRC_A,
// or another of ModeReg's presets): here the textbook MSB-first register
// with polynomial 1021h, fed bit-reversed bytes and read back reversed,
// which is the same CRC as the driver's LSB-first loop by another road.
// The low byte of the result goes on the air first.
func crcA(preset uint16, data []byte) uint16 {
	reg := bits.Reverse16(preset)
	for _, b := range data {
		reg ^= uint16(bits.Reverse8(b)) << 8
		for range 8 {
			if reg&0x8000 != 0 {
				reg = reg<<1 ^ 0x1021
			} else {
				reg <<= 1
			}
		}
	}
	return bits.Reverse16(reg)
}

// appendCRCA appends CRC_A to frame, low byte first.
func appendCRCA(frame []byte) []byte {
	crc := crcA(0x6363, frame)
	return append(frame, byte(crc), byte(crc>>8))
}

// crcAOK reports whether frame is at least one byte followed by its CRC_A.
func crcAOK(frame []byte) bool {
	n := len(frame) - 2
	if n < 1 {
		return false
	}
	crc := crcA(0x6363, frame[:n])
	return frame[n] == byte(crc) && frame[n+1] == byte(crc>>8)
}

// bcc is the check byte of one cascade level's UID CLn: its four bytes
// XORed (ISO/IEC 14443-3 §6.5.4).
func bcc(cl []byte) byte {
	return cl[0] ^ cl[1] ^ cl[2] ^ cl[3]
}
