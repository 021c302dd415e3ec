package wedge

import "errors"

// Errors that discard what was typed so far. Each is a transient error for
// the reader: the next number is read as usual.
var (
	// ErrGarbage: a key that belongs in no card number (a letter outside A-F,
	// a space): the number is dropped up to the next Enter.
	ErrGarbage = errors.New("unexpected key")
	// ErrTooLong: more digits than Opts.MaxDigits before Enter.
	ErrTooLong = errors.New("number too long")
	// ErrKeyTimeout: a pause longer than Opts.KeyTimeout inside a number; a
	// reader types a whole number in a few tens of milliseconds.
	ErrKeyTimeout = errors.New("pause between keys")
	// ErrDropped: the kernel dropped input events (SYN_DROPPED), so digits
	// may be missing.
	ErrDropped = errors.New("input events dropped by the kernel")
	// ErrNoEnter: the input ended in the middle of a number.
	ErrNoEnter = errors.New("number with no Enter")
	// ErrBadNumber: a complete number that does not fit the configured Format.
	ErrBadNumber = errors.New("number does not fit the format")
)
