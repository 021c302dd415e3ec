package mfrc522

import (
	"context"
	"errors"
	"fmt"

	"github.com/hongmajia/hongmajia/drivers/rfid"
)

// Errors of one radio exchange. They are wrapped with the package name and
// the step ("mfrc522: select cascade 2: CRC_A mismatch"); Detect hands them
// out inside an *rfid.Error of kind Transient: a retry may well succeed.
var (
	// ErrTimeout: nobody answered in time. The card left or is too far.
	ErrTimeout = errors.New("no answer from the card in time")
	// ErrCRC: a received CRC_A did not match (ISO/IEC 14443-3 §6.2.4).
	ErrCRC = errors.New("CRC_A mismatch")
	// ErrBCC: a UID part did not match its check byte (§6.5.4).
	ErrBCC = errors.New("UID check byte (BCC) mismatch")
	// ErrCollision: two cards answered and the collision could not be
	// resolved (no valid position, or no progress).
	ErrCollision = errors.New("unresolved collision")
	// ErrFrame: an answer of the wrong length, or a SAK or cascade tag that
	// contradicts the protocol.
	ErrFrame = errors.New("malformed answer")
	// ErrRadio: the chip flagged a parity, protocol or FIFO overflow error.
	ErrRadio = errors.New("radio error")
	// ErrWrongKey: MIFARE authentication failed: the key is wrong for the
	// sector (or the card left during the exchange). The card must be
	// selected again.
	ErrWrongKey = errors.New("authentication failed: wrong key")
	// ErrNAK matches every *NAKError.
	ErrNAK = errors.New("card refused the command (NAK)")
	// ErrNotSelected: a block command without a selected card.
	ErrNotSelected = errors.New("no card selected")
)

// Errors of the chip itself, which Detect reports as Wiring or Fatal.
var (
	// ErrWiring: VersionReg reads 0x00 or 0xFF, or ErrorReg 0xFF twice:
	// MISO is floating or shorted, or the module has no power.
	ErrWiring = errors.New("no MFRC522 answers; check the wiring (MISO, MOSI, SCK, SDA/CS, 3.3 V, GND) and that SPI is enabled (dtparam=spi=on)")
	// ErrChip: the chip did not finish a command it must finish by itself
	// (its timer always ends an exchange); it was reset or disconnected.
	ErrChip = errors.New("chip did not finish the command")
	// ErrTemperature: the chip switched its antenna off because it
	// overheated (ErrorReg TempErr, read twice).
	ErrTemperature = errors.New("chip overheated; antenna switched off")
)

// NAKError is a 4-bit NAK from a MIFARE card (MF1S50yyX §9.3, table 10).
type NAKError struct{ Code byte }

func (e *NAKError) Error() string {
	switch e.Code {
	case 0x0, 0x4:
		return fmt.Sprintf("card refused the command (NAK %#x: invalid operation or not allowed)", e.Code)
	case 0x1, 0x5:
		return fmt.Sprintf("card refused the command (NAK %#x: parity or CRC error)", e.Code)
	}
	return fmt.Sprintf("card refused the command (NAK %#x)", e.Code)
}

// Is makes errors.Is(err, ErrNAK) true for every NAK.
func (e *NAKError) Is(target error) bool { return target == ErrNAK }

// classify wraps err in the *rfid.Error the reader contract asks for.
func classify(err error) error {
	if err == nil || err == rfid.ErrNoCard {
		return err // the idle poll: no errors.As, which allocates
	}
	var re *rfid.Error
	switch {
	case errors.Is(err, rfid.ErrNoCard), errors.As(err, &re),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, ErrWiring):
		return &rfid.Error{Kind: rfid.Wiring, Err: err}
	case errors.Is(err, ErrTimeout), errors.Is(err, ErrCRC), errors.Is(err, ErrBCC),
		errors.Is(err, ErrCollision), errors.Is(err, ErrFrame), errors.Is(err, ErrRadio),
		errors.Is(err, ErrWrongKey), errors.Is(err, ErrNAK), errors.Is(err, ErrNotSelected):
		return &rfid.Error{Kind: rfid.Transient, Err: err}
	}
	return &rfid.Error{Kind: rfid.Fatal, Err: err}
}
