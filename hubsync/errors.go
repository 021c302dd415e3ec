package hubsync

import "errors"

// Errors of the protocol. The hub answers each with its own status (see
// Status); a kiosk that meets them keeps everything it holds and tries
// again later, except ErrRevoked and ErrFork, which need a person.
var (
	// ErrMalformed: a body or a header that is not what the protocol says.
	ErrMalformed = errors.New("hubsync: malformed message")
	// ErrTooLarge: a body over MaxBody, or over MaxPlain decompressed.
	ErrTooLarge = errors.New("hubsync: body too large")
	// ErrSignature: a signature that does not verify.
	ErrSignature = errors.New("hubsync: bad signature")
	// ErrClock: a trusted clock too far from the hub's (ClockWindow).
	ErrClock = errors.New("hubsync: clock outside the window")
	// ErrReplay: a counter not above the last one the hub saw, or a nonce
	// seen before.
	ErrReplay = errors.New("hubsync: replayed request")
	// ErrUnknownTerminal: no kiosk enrolled under that terminal id.
	ErrUnknownTerminal = errors.New("hubsync: unknown terminal")
	// ErrRevoked: the kiosk was revoked at the hub.
	ErrRevoked = errors.New("hubsync: terminal revoked")
	// ErrToken: an enrollment or restore token unknown, used or expired.
	ErrToken = errors.New("hubsync: bad token")
	// ErrFork: the kiosk's ledger is behind or differs from its anchor at
	// the hub.
	ErrFork = errors.New("hubsync: ledger forked from its anchor")
)
