package chipsim

import (
	"bytes"
	"fmt"
	"time"

	"github.com/hongmajia/hongmajia/drivers/mfrc522/commands"
)

// frame is a radio frame: bits counts the valid bits, LSB of data[0] first.
type frame struct {
	data []byte
	bits int
}

// cardState is the ISO/IEC 14443-3 §6.3 state of a PICC. halted (the *
// states) remembers a card woken from HALT, which falls back to HALT, not
// IDLE, on an error.
type cardState uint8

const (
	stateOff cardState = iota
	stateIdle
	stateReady
	stateActive
	stateHalt
)

type cardKind uint8

const (
	kindGeneric cardKind = iota
	kindClassic
	kindUltralight
)

// Card is a simulated PICC. Its methods are for setting up a test: call them
// while no other goroutine drives the chip.
type Card struct {
	uid  []byte
	atqa [2]byte
	sak  byte
	kind cardKind
	mem  []byte

	state  cardState
	halted bool
	level  int

	authSector   int
	authKeyB     bool
	writePending int

	inField    bool
	enterAt    time.Duration
	frames     int
	leaveAfter int

	// Tamper, when set, rewrites each answer the card gives: req is the
	// frame it received, data and bits its answer. Returning bits 0 makes
	// the card silent. It runs with the chip locked; it must not call the
	// chip.
	Tamper func(req, data []byte, bits int) ([]byte, int)

	reply [commands.FIFOSize]byte
}

// NewCard returns a card with the given UID (4, 7 or 10 bytes) and final SAK
// that answers only the ISO/IEC 14443-3 commands.
func NewCard(uid []byte, sak byte) *Card {
	switch len(uid) {
	case 4, 7, 10:
	default:
		panic(fmt.Sprintf("chipsim: UID of %d bytes; ISO/IEC 14443-3 has 4, 7 or 10", len(uid)))
	}
	k := &Card{uid: bytes.Clone(uid), sak: sak, authSector: -1, writePending: -1}
	// ATQA b8..b7: UID size; b5..b1: one bit for bit frame anticollision
	// (ISO/IEC 14443-3 §6.5.2.1).
	k.atqa[0] = byte(len(uid)/3-1)<<6 | 0x04
	return k
}

// NewClassic1K returns a MIFARE Classic 1K (SAK 08h) in transport
// configuration: every key FFFFFFFFFFFFh, access bits FF 07 80 (MF1S50yyX
// §8.7), block 0 holding the UID.
func NewClassic1K(uid []byte) *Card {
	k := NewCard(uid, 0x08)
	k.kind = kindClassic
	k.mem = make([]byte, 64*commands.BlockSize)
	copy(k.mem, uid)
	if len(uid) == 4 {
		k.mem[4] = bcc(uid)
	}
	for s := range 16 {
		t := k.mem[(s*4+3)*commands.BlockSize:]
		copy(t, []byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x80, 0x69, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF})
	}
	return k
}

// NewUltralight returns a MIFARE Ultralight (MF0ICU1: 7-byte UID, SAK 00h,
// 16 pages of 4 bytes; page 0 and 1 hold the UID and BCCs).
func NewUltralight(uid []byte) *Card {
	if len(uid) != 7 {
		panic("chipsim: an Ultralight has a 7-byte UID")
	}
	k := NewCard(uid, 0x00)
	k.kind = kindUltralight
	k.mem = make([]byte, 64)
	copy(k.mem[0:3], uid[0:3])
	k.mem[3] = commands.CascadeTag ^ uid[0] ^ uid[1] ^ uid[2]
	copy(k.mem[4:8], uid[3:7])
	k.mem[8] = bcc(uid[3:7])
	return k
}

// SetKey sets key A (keyB false) or key B of a Classic sector.
func (k *Card) SetKey(sector int, keyB bool, key [6]byte) {
	t := k.mem[(sector*4+3)*commands.BlockSize:]
	if keyB {
		copy(t[10:16], key[:])
	} else {
		copy(t[0:6], key[:])
	}
}

// Block returns a copy of a Classic block or of four Ultralight pages.
func (k *Card) Block(n int) []byte {
	if k.kind == kindUltralight {
		return bytes.Clone(k.mem[n*4 : n*4+4])
	}
	return bytes.Clone(k.mem[n*commands.BlockSize : (n+1)*commands.BlockSize])
}

// SetBlock writes a Classic block directly (a trailer, say, with other
// access bits).
func (k *Card) SetBlock(n int, data []byte) { copy(k.mem[n*commands.BlockSize:], data) }

// LeaveAfter makes the card leave the field when it receives its n-th frame
// from now, without answering it: a card pulled away mid-exchange.
func (k *Card) LeaveAfter(n int) { k.leaveAfter = k.frames + n }

// Halted reports whether the card is in HALT.
func (k *Card) Halted() bool { return k.state == stateHalt }

func (k *Card) powerOff() {
	k.state, k.halted, k.level = stateIdle, false, 1
	k.authSector, k.writePending = -1, -1
}

// toIdle is the ISO/IEC 14443-3 answer to any unexpected frame: back to IDLE,
// or to HALT for a card woken from it.
func (k *Card) toIdle() {
	if k.halted {
		k.state = stateHalt
	} else {
		k.state = stateIdle
	}
	k.level, k.authSector, k.writePending = 1, -1, -1
}

// levels is the number of cascade levels: 1, 2 or 3 for 4, 7 or 10 bytes.
func (k *Card) levels() int { return (len(k.uid) - 1) / 3 }

// cascadeLevel is UID CLn and its BCC (ISO/IEC 14443-3 §6.5.4, figure 10).
func (k *Card) cascadeLevel(level int, out *[5]byte) {
	n := len(k.uid)
	switch {
	case n == 4 || (n == 7 && level == 2) || (n == 10 && level == 3):
		copy(out[:4], k.uid[n-4:])
	default:
		out[0] = commands.CascadeTag
		copy(out[1:4], k.uid[(level-1)*3:level*3])
	}
	out[4] = bcc(out[:4])
}

// authenticated reports whether the card is in a MIFARE Classic session:
// it enciphers its answers and deciphers what it hears with Crypto1.
func (k *Card) authenticated() bool { return k.state == stateActive && k.authSector >= 0 }

// receive is the card's answer to tx: ok false means silence. enciphered
// says whether the reader sent tx through Crypto1 (MFCrypto1On).
func (k *Card) receive(tx frame, enciphered bool) (ans frame, delay time.Duration, ok bool) {
	k.frames++
	if k.leaveAfter > 0 && k.frames >= k.leaveAfter {
		k.leaveAfter = 0
		k.inField = false
		k.powerOff()
		return frame{}, 0, false
	}
	if enciphered != k.authenticated() {
		// Only the card in the session deciphers an enciphered frame, and
		// that card hears a plain one as noise: for either it is no
		// command at all, which READY and ACTIVE answer by falling back to
		// IDLE (or HALT) in silence and IDLE and HALT ignore (ISO/IEC
		// 14443-3 §6.3). This is why a reader that leaves MFCrypto1On set
		// never finds a card again.
		if k.state == stateReady || k.state == stateActive {
			k.toIdle()
		}
		return frame{}, 0, false
	}
	ans, delay, ok = k.respond(tx)
	if ok && k.Tamper != nil {
		data, bits := k.Tamper(tx.data, ans.data, ans.bits)
		if bits <= 0 {
			return frame{}, 0, false
		}
		n := copy(k.reply[:], data)
		ans = frame{data: k.reply[:n], bits: min(bits, n*8)}
	}
	return ans, delay, ok
}

func (k *Card) answer(data ...byte) frame {
	n := copy(k.reply[:], data)
	return frame{data: k.reply[:n], bits: n * 8}
}

func (k *Card) answerCRC(data []byte) frame {
	n := len(appendCRCA(append(k.reply[:0], data...)))
	return frame{data: k.reply[:n], bits: n * 8}
}

// ackNak answers 4 bits. After a NAK the card drops its session and falls
// back to IDLE or HALT (MF1S50yyX §9.3): it must be selected again.
func (k *Card) ackNak(code byte) frame {
	if code != commands.ACK {
		k.toIdle()
	}
	k.reply[0] = code
	return frame{data: k.reply[:1], bits: commands.ACKBits}
}

func (k *Card) respond(tx frame) (frame, time.Duration, bool) {
	d := tx.data
	if tx.bits == commands.ShortFrameBits && len(d) == 1 {
		switch {
		case d[0] == commands.REQA && k.state == stateIdle,
			d[0] == commands.WUPA && (k.state == stateIdle || k.state == stateHalt):
			k.halted = k.state == stateHalt
			k.state, k.level = stateReady, 1
			return k.answer(k.atqa[0], k.atqa[1]), 0, true
		case k.state == stateReady || k.state == stateActive:
			k.toIdle()
		}
		return frame{}, 0, false
	}
	switch k.state {
	case stateReady:
		return k.respondReady(tx)
	case stateActive:
		return k.respondActive(tx)
	}
	return frame{}, 0, false
}

func (k *Card) respondReady(tx frame) (frame, time.Duration, bool) {
	d := tx.data
	if len(d) < 2 || d[0] != commands.SelCode(k.level) {
		k.toIdle()
		return frame{}, 0, false
	}
	var cl [5]byte
	k.cascadeLevel(k.level, &cl)
	nvb := d[1]
	if nvb == commands.NVBSelect {
		if tx.bits != 9*8 || !crcAOK(d[:9]) || !bytes.Equal(d[2:7], cl[:]) {
			k.toIdle()
			return frame{}, 0, false
		}
		sak := k.sak
		if k.level < k.levels() {
			sak = commands.SAKCascade
			k.level++
		} else {
			k.state = stateActive
		}
		return k.answerCRC([]byte{sak}), 0, true
	}
	nBytes, nBits := int(nvb>>4), int(nvb&0x0F)
	known := (nBytes-2)*8 + nBits
	if nBytes < 2 || nBits > 7 || known > 39 || tx.bits != 16+known {
		k.toIdle()
		return frame{}, 0, false
	}
	for i := range known {
		if (d[2+i/8]>>(i%8))&1 != (cl[i/8]>>(i%8))&1 {
			return frame{}, 0, false // another card's UID: stay READY, silent
		}
	}
	// Answer the rest of UID CLn and BCC, from bit known on.
	for i := range k.reply[:5] {
		k.reply[i] = 0
	}
	n := 40 - known
	for i := range n {
		b := (cl[(known+i)/8] >> ((known + i) % 8)) & 1
		k.reply[i/8] |= b << (i % 8)
	}
	return frame{data: k.reply[:(n+7)/8], bits: n}, 0, true
}

func (k *Card) respondActive(tx frame) (frame, time.Duration, bool) {
	d := tx.data
	crcOK := tx.bits == len(d)*8 && crcAOK(d)
	if k.writePending >= 0 {
		blk := k.writePending
		k.writePending = -1
		if len(d) != commands.BlockSize+2 || !crcOK {
			return k.ackNak(0x5), 0, true // transmission error
		}
		k.writeBlock(blk, d[:commands.BlockSize])
		return k.ackNak(commands.ACK), eepromWrite, true
	}
	if len(d) == 4 && d[0] == commands.HLTA && d[1] == 0 && crcOK {
		k.state, k.halted, k.level = stateHalt, false, 1
		k.authSector, k.writePending = -1, -1
		return frame{}, 0, false
	}
	if len(d) < 1 {
		k.toIdle()
		return frame{}, 0, false
	}
	switch {
	case d[0] == commands.MFRead && k.kind != kindGeneric:
		if len(d) != 4 || !crcOK {
			return k.ackNak(0x5), 0, true
		}
		return k.read(int(d[1]))
	case d[0] == commands.MFWrite && k.kind == kindClassic:
		if len(d) != 4 || !crcOK {
			return k.ackNak(0x5), 0, true
		}
		blk := int(d[1])
		if blk == 0 || blk >= len(k.mem)/commands.BlockSize || !k.mayWrite(blk) {
			return k.ackNak(0x4), 0, true
		}
		k.writePending = blk
		return k.ackNak(commands.ACK), 0, true
	case d[0] == commands.ULWrite && k.kind == kindUltralight:
		if len(d) != 8 || !crcOK {
			return k.ackNak(0x5), 0, true
		}
		page := int(d[1])
		if page < 4 || page > 15 {
			return k.ackNak(0x0), 0, true
		}
		copy(k.mem[page*4:], d[2:6])
		return k.ackNak(commands.ACK), eepromWrite, true
	}
	k.toIdle()
	return frame{}, 0, false
}

func (k *Card) read(blk int) (frame, time.Duration, bool) {
	var out [commands.BlockSize]byte
	if k.kind == kindUltralight {
		if blk > 15 {
			return k.ackNak(0x0), 0, true
		}
		for i := range out {
			out[i] = k.mem[(blk*4+i)%len(k.mem)]
		}
		return k.answerCRC(out[:]), 0, true
	}
	if blk >= len(k.mem)/commands.BlockSize || blk/4 != k.authSector {
		return k.ackNak(0x4), 0, true
	}
	copy(out[:], k.mem[blk*commands.BlockSize:])
	if blk%4 == 3 {
		// Key A never reads back; key B only where the access bits let it.
		cond, _ := k.access(blk)
		clear(out[0:6])
		if !(cond == 0b000 || cond == 0b010 || cond == 0b001) || k.authKeyB {
			clear(out[10:16])
		}
		return k.answerCRC(out[:]), 0, true
	}
	cond, ok := k.access(blk)
	mayRead := ok && (cond == 0b000 || cond == 0b010 || cond == 0b100 || cond == 0b110 || cond == 0b001 ||
		(k.authKeyB && (cond == 0b011 || cond == 0b101)))
	if !mayRead {
		return k.ackNak(0x4), 0, true
	}
	return k.answerCRC(out[:]), 0, true
}

func (k *Card) mayWrite(blk int) bool {
	if blk/4 != k.authSector {
		return false
	}
	cond, ok := k.access(blk)
	if !ok {
		return false
	}
	if blk%4 == 3 {
		// Trailer: writing keys and access bits (MF1S50yyX §8.7.2 table 7).
		switch cond {
		case 0b000, 0b001:
			return !k.authKeyB
		case 0b100, 0b011:
			return k.authKeyB
		}
		return false
	}
	switch cond {
	case 0b000:
		return true
	case 0b100, 0b110, 0b011:
		return k.authKeyB
	}
	return false
}

func (k *Card) writeBlock(blk int, data []byte) { copy(k.mem[blk*commands.BlockSize:], data) }

// access returns C1C2C3 of block blk from its sector trailer (MF1S50yyX
// §8.7.1, figure 10); ok is false when the inverted copies do not match,
// which blocks the sector on a real card.
func (k *Card) access(blk int) (cond int, ok bool) {
	t := k.mem[(blk/4*4+3)*commands.BlockSize:]
	b6, b7, b8 := t[6], t[7], t[8]
	c1, c2, c3 := b7>>4, b8&0x0F, b8>>4
	if b6&0x0F != ^c1&0x0F || b6>>4 != ^c2&0x0F || b7&0x0F != ^c3&0x0F {
		return 0, false
	}
	i := uint(blk % 4)
	return int((c1>>i)&1)<<2 | int((c2>>i)&1)<<1 | int((c3>>i)&1), true
}

// authenticate is the key check of the MIFARE three-pass authentication.
func (k *Card) authenticate(cmd, blk byte, key, uid4 []byte) bool {
	ok := k.kind == kindClassic && (cmd == commands.MFAuthKeyA || cmd == commands.MFAuthKeyB) &&
		int(blk) < len(k.mem)/commands.BlockSize && bytes.Equal(uid4, k.uid[len(k.uid)-4:])
	if ok {
		t := k.mem[(int(blk)/4*4+3)*commands.BlockSize:]
		keyB := cmd == commands.MFAuthKeyB
		want := t[0:6]
		if keyB {
			want = t[10:16]
			// A readable key B is data, not a key (MF1S50yyX §8.7.3).
			if cond, _ := k.access(int(blk)/4*4 + 3); cond == 0b000 || cond == 0b010 || cond == 0b001 {
				ok = false
			}
		}
		ok = ok && bytes.Equal(key, want)
		if ok {
			k.authSector, k.authKeyB = int(blk)/4, keyB
			return true
		}
	}
	k.toIdle()
	return false
}
