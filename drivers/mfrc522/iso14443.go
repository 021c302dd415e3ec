package mfrc522

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/hongmajia/hongmajia/drivers/mfrc522/commands"
	"github.com/hongmajia/hongmajia/drivers/rfid"
)

// CardType is the card family a SAK names (NXP AN10833 §3.2, table 6).
type CardType uint8

// Card types.
const (
	CardUnknown CardType = iota
	CardMifareMini
	CardMifareClassic1K
	CardMifareClassic2K
	CardMifareClassic4K
	CardMifarePlus
	CardMifareUltralight // also NTAG
	CardISO14443_4
)

// TypeFromSAK interprets the final SAK. Classic on a SmartMX (28h, 38h)
// answers both ways; it is counted as Classic, which is what this reader
// speaks to it.
func TypeFromSAK(sak byte) CardType {
	switch sak {
	case 0x09:
		return CardMifareMini
	case 0x08, 0x88, 0x28:
		return CardMifareClassic1K
	case 0x19:
		return CardMifareClassic2K
	case 0x18, 0x38:
		return CardMifareClassic4K
	case 0x10, 0x11:
		return CardMifarePlus
	case 0x00:
		return CardMifareUltralight
	}
	if sak&commands.SAKISO14443 != 0 {
		return CardISO14443_4
	}
	return CardUnknown
}

func (t CardType) String() string {
	switch t {
	case CardMifareMini:
		return "MIFARE Mini"
	case CardMifareClassic1K:
		return "MIFARE Classic 1K"
	case CardMifareClassic2K:
		return "MIFARE Classic 2K"
	case CardMifareClassic4K:
		return "MIFARE Classic 4K"
	case CardMifarePlus:
		return "MIFARE Plus"
	case CardMifareUltralight:
		return "MIFARE Ultralight/NTAG"
	case CardISO14443_4:
		return "ISO 14443-4"
	}
	return ""
}

// Detect looks once for a card. It sends WUPA, which wakes a card in IDLE
// or in HALT: a card is never lost in HALT, whoever halted it (a read
// abandoned after its HLTA, Select and Release, an ATQA lost at the edge of
// the field), as payment terminals poll. While a card this driver woke may
// still be in the field, it sends REQA first, which only a card that has
// just arrived answers, so that a second card is not hidden behind the
// first; WUPA follows when nobody answered. A card found is selected
// through its cascade levels and halted. So a card held in the field is
// reported at every poll, and rfid's debouncing makes it one tap.
//
// Detect returns rfid.ErrNoCard for an empty field; in that case, once a
// card that left was noticed gone, it makes the SPI transactions of one
// WUPA and allocates nothing.
func (d *Dev) Detect(ctx context.Context) (rfid.Card, error) {
	if err := ctx.Err(); err != nil {
		return rfid.Card{}, err
	}
	card, err := d.detect(ctx)
	return card, classify(err)
}

func (d *Dev) detect(ctx context.Context) (rfid.Card, error) {
	d.selected = false
	if d.halted {
		if err := d.fieldOn(ctx); err != nil {
			return rfid.Card{}, fmt.Errorf("mfrc522: antenna on: %w", err)
		}
		d.halted = false
	}
	if err := d.setTimeout(shortTimeout); err != nil {
		return rfid.Card{}, fmt.Errorf("mfrc522: set timer: %w", err)
	}
	if err := d.crypto1Off(); err != nil {
		return rfid.Card{}, fmt.Errorf("mfrc522: request: %w", err)
	}
	found := false
	if d.woke {
		// REQA also sends a card left READY or ACTIVE back to IDLE or
		// HALT (ISO/IEC 14443-3 §6.3), where the WUPA below wakes it.
		var err error
		if found, err = d.request(ctx, commands.REQA); err != nil {
			return rfid.Card{}, fmt.Errorf("mfrc522: request: %w", err)
		}
	}
	if !found {
		var err error
		if found, err = d.request(ctx, commands.WUPA); err != nil {
			return rfid.Card{}, fmt.Errorf("mfrc522: wake-up: %w", err)
		}
	}
	if !found {
		// Nobody answered REQA nor WUPA: every card this driver woke has
		// left (losing power resets a card to IDLE).
		d.woke = false
		return rfid.Card{}, rfid.ErrNoCard
	}
	d.woke = true
	sak, err := d.selectCard(ctx)
	if err != nil {
		return rfid.Card{}, err
	}
	if err := d.haltCard(ctx); err != nil {
		return rfid.Card{}, err
	}
	return d.card(sak), nil
}

// card is the selected card as the reader contract has it.
func (d *Dev) card(sak byte) rfid.Card {
	return rfid.Card{UID: rfid.UID(bytes.Clone(d.uid[:d.uidLen])), Type: TypeFromSAK(sak).String()}
}

// request sends REQA or WUPA, a 7-bit short frame (ISO/IEC 14443-3 §6.3.1).
// found is true when any card answered: an ATQA, or a collision of ATQAs
// from several cards (§6.5.2.1 allows different ATQAs to collide).
func (d *Dev) request(ctx context.Context, cmd byte) (found bool, err error) {
	d.tx[0] = cmd
	r, err := d.transceive(ctx, d.tx[:1], commands.ShortFrameBits, 0, 0)
	switch {
	case err == ErrTimeout:
		return false, nil
	case err != nil:
		return false, err
	case r.collErr:
		return true, nil
	case r.n != 2 || r.lastBits != 8:
		return false, fmt.Errorf("%w: ATQA of %d bits, want 16", ErrFrame, r.bits())
	}
	return true, nil
}

// selectCard runs anticollision and SELECT through the cascade levels
// (ISO/IEC 14443-3 §6.5.3, figure 9) and leaves the UID in d.uid and the
// card ACTIVE. It returns the final SAK.
func (d *Dev) selectCard(ctx context.Context) (sak byte, err error) {
	d.uidLen = 0
	for level := 1; level <= 3; level++ {
		var cl [5]byte
		if err := d.anticollision(ctx, level, &cl); err != nil {
			return 0, fmt.Errorf("mfrc522: anticollision cascade %d: %w", level, err)
		}
		if sak, err = d.selectLevel(ctx, level, &cl); err != nil {
			return 0, fmt.Errorf("mfrc522: select cascade %d: %w", level, err)
		}
		more := sak&commands.SAKCascade != 0
		switch {
		case more && cl[0] != commands.CascadeTag:
			return 0, fmt.Errorf("mfrc522: select cascade %d: %w: SAK %#02x says the UID goes on but UID CL%d does not start with the cascade tag", level, ErrFrame, sak, level)
		case more && level == 3:
			return 0, fmt.Errorf("mfrc522: select cascade 3: %w: SAK %#02x asks for a fourth cascade level", ErrFrame, sak)
		case more:
			d.uidLen += copy(d.uid[d.uidLen:], cl[1:4])
		case cl[0] == commands.CascadeTag:
			// The cascade tag never starts the last part of a UID (§6.5.4).
			return 0, fmt.Errorf("mfrc522: select cascade %d: %w: SAK %#02x ends the UID at a cascade tag", level, ErrFrame, sak)
		default:
			d.uidLen += copy(d.uid[d.uidLen:], cl[0:4])
			d.selected = true
			return sak, nil
		}
	}
	return 0, fmt.Errorf("mfrc522: select: %w", ErrFrame) // not reached: level 3 ends above
}

// anticollision finds UID CLn and its BCC at one cascade level (ISO/IEC
// 14443-3 §6.5.3.1). On a collision it keeps the bits before it, chooses 1
// for the collided bit and asks again with the longer prefix: only the
// cards whose UID begins so answer, so the loop ends with one card's UID,
// after at most 32 rounds.
func (d *Dev) anticollision(ctx context.Context, level int, cl *[5]byte) error {
	known := 0 // UID CLn bits agreed so far
	for range 33 {
		nBytes, nBits := known/8, known%8
		d.tx[0] = commands.SelCode(level)
		d.tx[1] = byte(2+nBytes)<<4 | byte(nBits) // NVB (§6.5.3.2)
		sent := nBytes
		if nBits > 0 {
			sent++
		}
		copy(d.tx[2:], cl[:sent])
		want := 40 - known
		r, err := d.transceive(ctx, d.tx[:2+sent], 16+known, nBits, want)
		if err != nil {
			return err
		}
		// The answer starts inside byte nBytes, at bit nBits (RxAlign).
		got := r.bits() - nBits
		if r.collErr {
			if r.coll&commands.CollPosNotValid != 0 {
				return fmt.Errorf("%w: CollReg %#02x has no position", ErrCollision, r.coll)
			}
			pos := int(r.coll & commands.CollPosMask)
			if pos == 0 {
				pos = 32
			}
			at := nBytes*8 + pos - 1 // index of the collided bit in UID CLn
			if at < known || at >= 32 || r.n == 0 {
				return fmt.Errorf("%w: collision at bit %d with %d bits known", ErrCollision, at, known)
			}
			d.mergeAnswer(cl, nBytes, nBits, r.n)
			// Keep the bits before the collision, choose 1 for it.
			for i := at; i < 40; i++ {
				cl[i/8] &^= 1 << (i % 8)
			}
			cl[at/8] |= 1 << (at % 8)
			known = at + 1
			continue
		}
		if got != want || r.n != 5-nBytes {
			return fmt.Errorf("%w: %d UID bits, want %d", ErrFrame, got, want)
		}
		d.mergeAnswer(cl, nBytes, nBits, r.n)
		if commands.BCC(cl[:4]) != cl[4] {
			return fmt.Errorf("%w: UID CL%d % X, BCC %02X", ErrBCC, level, cl[:4], cl[4])
		}
		return nil
	}
	return fmt.Errorf("%w: no progress", ErrCollision)
}

// mergeAnswer puts n received bytes after the nBits known bits of byte
// nBytes of UID CLn.
func (d *Dev) mergeAnswer(cl *[5]byte, nBytes, nBits, n int) {
	keep := byte(1)<<nBits - 1
	for i := range n {
		j := nBytes + i
		if j >= len(cl) {
			break
		}
		if i == 0 {
			cl[j] = cl[j]&keep | d.rx[0]&^keep
		} else {
			cl[j] = d.rx[i]
		}
	}
}

// selectLevel sends SELECT with UID CLn (ISO/IEC 14443-3 §6.5.3.3) and
// returns the SAK, after checking its CRC_A.
func (d *Dev) selectLevel(ctx context.Context, level int, cl *[5]byte) (byte, error) {
	d.tx[0] = commands.SelCode(level)
	d.tx[1] = commands.NVBSelect
	copy(d.tx[2:7], cl[:])
	frame, err := d.appendCRC(ctx, d.tx[:7])
	if err != nil {
		return 0, err
	}
	r, err := d.transceive(ctx, frame, len(frame)*8, 0, 24)
	if err != nil {
		return 0, err
	}
	if r.collErr {
		// Two cards with this UID CLn answered different SAKs: a cloned
		// UID, or a card that lies; neither can be told apart here.
		return 0, fmt.Errorf("%w: in the SAK", ErrCollision)
	}
	if r.n != 3 || r.lastBits != 8 {
		return 0, fmt.Errorf("%w: SAK answer of %d bits, want 24", ErrFrame, r.bits())
	}
	if err := checkCRC(d.rx[:3]); err != nil {
		return 0, err
	}
	return d.rx[0], nil
}

// haltCard sends HLTA (ISO/IEC 14443-3 §6.3.3). A card acknowledges by
// silence; an answer within the timeout means it did not halt, which is
// harmless here: the next poll sees it again and debouncing merges it.
func (d *Dev) haltCard(ctx context.Context) error {
	d.selected = false
	d.tx[0], d.tx[1] = commands.HLTA, 0
	frame, err := d.appendCRC(ctx, d.tx[:2])
	if err != nil {
		return fmt.Errorf("mfrc522: halt: %w", err)
	}
	_, err = d.transceive(ctx, frame, len(frame)*8, 0, 0)
	if err != nil && !errors.Is(err, ErrTimeout) && !errors.Is(err, ErrRadio) && !errors.Is(err, ErrFrame) {
		return fmt.Errorf("mfrc522: halt: %w", err)
	}
	return nil
}
