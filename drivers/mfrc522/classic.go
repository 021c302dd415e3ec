package mfrc522

import (
	"context"
	"errors"
	"fmt"

	"github.com/hongmajia/hongmajia/drivers/mfrc522/commands"
	"github.com/hongmajia/hongmajia/drivers/rfid"
)

// KeyType says which key of a MIFARE Classic sector authenticates.
type KeyType uint8

// Key types (MF1S50yyX §9.1: AUTH 60h with key A, 61h with key B).
const (
	KeyA KeyType = iota
	KeyB
)

func (k KeyType) String() string {
	if k == KeyB {
		return "key B"
	}
	return "key A"
}

// Key is a MIFARE Classic sector key.
type Key [commands.KeySize]byte

// DefaultKey is the transport key of new cards.
var DefaultKey = Key{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}

// Select wakes every card in the field (WUPA, so a card halted by Detect
// too), selects one and leaves it ACTIVE for Authenticate, ReadBlock and
// WriteBlock. End with Release.
func (d *Dev) Select(ctx context.Context) (rfid.Card, error) {
	if err := ctx.Err(); err != nil {
		return rfid.Card{}, err
	}
	card, err := d.selectForAccess(ctx)
	return card, classify(err)
}

func (d *Dev) selectForAccess(ctx context.Context) (rfid.Card, error) {
	d.selected = false
	if err := d.setTimeout(shortTimeout); err != nil {
		return rfid.Card{}, fmt.Errorf("mfrc522: set timer: %w", err)
	}
	if err := d.crypto1Off(); err != nil {
		return rfid.Card{}, fmt.Errorf("mfrc522: wake-up: %w", err)
	}
	// A card left ACTIVE (after a NAK, say) takes the first WUPA as an
	// unexpected command and drops to IDLE or HALT in silence (ISO/IEC
	// 14443-3 §6.3.5); the second wakes it.
	found := false
	for range 2 {
		var err error
		if found, err = d.request(ctx, commands.WUPA); err != nil {
			return rfid.Card{}, fmt.Errorf("mfrc522: wake-up: %w", err)
		}
		if found {
			break
		}
	}
	if !found {
		return rfid.Card{}, rfid.ErrNoCard
	}
	d.woke = true
	sak, err := d.selectCard(ctx)
	if err != nil {
		return rfid.Card{}, err
	}
	return d.card(sak), nil
}

// Authenticate runs MIFARE authentication for the sector of block with
// MFAuthent (§10.3.1.9), which checks Status2Reg MFCrypto1On. The last four
// UID bytes go with the key. A wrong key gives ErrWrongKey and drops the card
// to IDLE: Select it again.
func (d *Dev) Authenticate(ctx context.Context, block byte, kt KeyType, key Key) error {
	if !d.selected {
		return classify(fmt.Errorf("mfrc522: authenticate block %d: %w", block, ErrNotSelected))
	}
	err := d.authenticate(ctx, block, kt, key)
	if err != nil {
		d.selected = false
		return classify(fmt.Errorf("mfrc522: authenticate block %d with %s: %w", block, kt, err))
	}
	return nil
}

func (d *Dev) authenticate(ctx context.Context, block byte, kt KeyType, key Key) error {
	if err := d.setTimeout(longTimeout); err != nil {
		return err
	}
	// From here MFCrypto1On may be set, whatever this function returns.
	d.crypto = true
	cmd := byte(commands.MFAuthKeyA)
	if kt == KeyB {
		cmd = commands.MFAuthKeyB
	}
	d.tx[0], d.tx[1] = cmd, block
	copy(d.tx[2:8], key[:])
	copy(d.tx[8:12], d.uid[d.uidLen-4:d.uidLen])
	if err := d.start(commands.MFAuthent, d.tx[:12]); err != nil {
		return err
	}
	// Four frames and three frame delays: about 1.5 ms on the air.
	first := 4*commands.FrameTime(64) + 3*commands.FDT + slack
	st, err := d.await(ctx, commands.IdleIRq|commands.TimerIRq, first, d.timeout()+first)
	if err != nil {
		return err
	}
	switch {
	case st.err&commands.ProtocolErr != 0:
		return fmt.Errorf("%w: ErrorReg %#02x", ErrRadio, st.err)
	case st.irq&commands.IdleIRq == 0 || st.status2&commands.MFCrypto1On == 0:
		// MFAuthent only ends by itself on success; the card stays silent
		// after a wrong key and the timer ends it.
		return ErrWrongKey
	}
	return nil
}

// ReadBlock reads 16 bytes: a MIFARE Classic block (after Authenticate) or
// four Ultralight pages from page block on.
//
// A NAK drops the card back to IDLE or HALT (MF1S50yyX §9.3): Select it
// again.
func (d *Dev) ReadBlock(ctx context.Context, block byte, dst *[commands.BlockSize]byte) error {
	if err := d.readBlock(ctx, block, dst); err != nil {
		d.deselectOnNAK(err)
		return classify(fmt.Errorf("mfrc522: read block %d: %w", block, err))
	}
	return nil
}

// deselectOnNAK forgets the selected card after a NAK: it left the ACTIVE
// state, and its session with it.
func (d *Dev) deselectOnNAK(err error) {
	if errors.Is(err, ErrNAK) {
		d.selected = false
	}
}

func (d *Dev) readBlock(ctx context.Context, block byte, dst *[commands.BlockSize]byte) error {
	if !d.selected {
		return ErrNotSelected
	}
	if err := d.setTimeout(longTimeout); err != nil {
		return err
	}
	d.tx[0], d.tx[1] = commands.MFRead, block
	frame, err := d.appendCRC(ctx, d.tx[:2])
	if err != nil {
		return err
	}
	r, err := d.transceive(ctx, frame, len(frame)*8, 0, 18*8)
	if err != nil {
		return err
	}
	if err := ackOrNAK(r, d.rx[0], false); err != nil {
		return err
	}
	if r.collErr || r.n != commands.BlockSize+2 || r.lastBits != 8 {
		return fmt.Errorf("%w: %d bits, want 144", ErrFrame, r.bits())
	}
	if err := checkCRC(d.rx[:r.n]); err != nil {
		return err
	}
	copy(dst[:], d.rx[:commands.BlockSize])
	return nil
}

// WriteBlock writes 16 bytes to a MIFARE Classic block after Authenticate:
// WRITE with the address, ACK, the data, ACK (MF1S50yyX §9.3). After a NAK,
// Select the card again.
func (d *Dev) WriteBlock(ctx context.Context, block byte, data *[commands.BlockSize]byte) error {
	if err := d.writeBlock(ctx, block, data); err != nil {
		d.deselectOnNAK(err)
		return classify(fmt.Errorf("mfrc522: write block %d: %w", block, err))
	}
	return nil
}

func (d *Dev) writeBlock(ctx context.Context, block byte, data *[commands.BlockSize]byte) error {
	if !d.selected {
		return ErrNotSelected
	}
	if err := d.setTimeout(longTimeout); err != nil {
		return err
	}
	d.tx[0], d.tx[1] = commands.MFWrite, block
	if err := d.exchangeACK(ctx, d.tx[:2]); err != nil {
		return err
	}
	copy(d.tx[:], data[:])
	return d.exchangeACK(ctx, d.tx[:commands.BlockSize])
}

// exchangeACK sends data with its CRC_A and wants a 4-bit ACK.
func (d *Dev) exchangeACK(ctx context.Context, data []byte) error {
	frame, err := d.appendCRC(ctx, data)
	if err != nil {
		return err
	}
	r, err := d.transceive(ctx, frame, len(frame)*8, 0, commands.ACKBits)
	if err != nil {
		return err
	}
	return ackOrNAK(r, d.rx[0], true)
}

// ackOrNAK reads a 4-bit answer (MF1S50yyX §9.3, table 10). For a READ an
// ACK is not an answer, so only a NAK returns early there.
func ackOrNAK(r reply, b byte, wantACK bool) error {
	if r.n == 1 && r.lastBits == commands.ACKBits && !r.collErr {
		code := b & 0x0F
		if code != commands.ACK {
			return &NAKError{Code: code}
		}
		if wantACK {
			return nil
		}
		return fmt.Errorf("%w: a 4-bit ACK where data was due", ErrFrame)
	}
	if wantACK {
		return fmt.Errorf("%w: %d bits where a 4-bit ACK was due", ErrFrame, r.bits())
	}
	return nil
}

// Release halts the selected card and switches Crypto1 off (Status2Reg
// MFCrypto1On, §9.3.1.9), so the next Detect starts clean.
func (d *Dev) Release(ctx context.Context) error {
	var errs []error
	if d.selected {
		if err := d.setTimeout(shortTimeout); err != nil {
			errs = append(errs, fmt.Errorf("mfrc522: release: %w", err))
		}
		if err := d.haltCard(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	d.selected = false
	if err := d.writeReg(commands.Status2Reg, 0); err != nil {
		errs = append(errs, fmt.Errorf("mfrc522: crypto1 off: %w", err))
	} else {
		d.crypto = false
	}
	return classify(errors.Join(errs...))
}
