package hubsync

import (
	"errors"
	"fmt"
	"net/http"
)

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
	// ErrHub: the hub failed (its store, a bug) or answered a status this
	// version does not know; trying again later may work.
	ErrHub = errors.New("hubsync: hub failed")
	// ErrNetwork: the hub was not reached, or its answer did not arrive
	// whole, or what answered was not a hub (no signature: a proxy's error
	// page). Nothing was applied; trying again later may work.
	ErrNetwork = errors.New("hubsync: network")
	// ErrNotOffered: a bundle the hub does not offer the kiosk (never
	// added, withdrawn, another center's or architecture's).
	ErrNotOffered = errors.New("hubsync: bundle not offered")
)

// statuses is the one table from errors to HTTP statuses and back: the hub
// answers Status(err), the kiosk reads ErrorOf(status). Each status is one
// error's alone, so the kiosk knows the reason without parsing words.
var statuses = []struct {
	err    error
	status int
}{
	{ErrMalformed, http.StatusBadRequest},
	{ErrSignature, http.StatusUnauthorized},
	{ErrToken, http.StatusForbidden},
	{ErrUnknownTerminal, http.StatusNotFound},
	{ErrReplay, http.StatusConflict},
	{ErrRevoked, http.StatusGone},
	{ErrFork, http.StatusPreconditionFailed},
	{ErrTooLarge, http.StatusRequestEntityTooLarge},
	{ErrClock, http.StatusUnprocessableEntity},
	{ErrHub, http.StatusInternalServerError},
	// 404 is an unknown terminal's: a bundle not offered has its own.
	{ErrNotOffered, http.StatusNotAcceptable},
}

// Status is the HTTP status the hub answers err with: 200 for nil, the
// status of the first protocol error err wraps, 500 for anything else.
func Status(err error) int {
	if err == nil {
		return http.StatusOK
	}
	for _, s := range statuses {
		if errors.Is(err, s.err) {
			return s.status
		}
	}
	return http.StatusInternalServerError
}

// ErrorOf is Status's inverse: the protocol error an answer's status means
// (nil for 200; ErrHub for a status the protocol does not use).
func ErrorOf(status int) error {
	if status == http.StatusOK {
		return nil
	}
	for _, s := range statuses {
		if s.status == status {
			return s.err
		}
	}
	return ErrHub
}

// Retryable reports whether a sync that failed with err may succeed if
// simply run again later (the network, the hub's trouble), as opposed to a
// refusal, which needs a person (a revoked kiosk, a fork, a bad token) or a
// fix (a wrong key, a clock).
func Retryable(err error) bool {
	return errors.Is(err, ErrNetwork) || errors.Is(err, ErrHub)
}

// HubError is an error answer of the hub, its signature checked (except a
// refused enrollment's when the kiosk expects no key yet). It wraps the
// protocol error its status means, so errors.Is(err, ErrRevoked) holds.
type HubError struct {
	Status  int    // the answer's HTTP status
	Message string // the hub's words (Problem.Error)
}

func (e *HubError) Error() string {
	return fmt.Sprintf("hub answered %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

// Unwrap is the protocol error of the status.
func (e *HubError) Unwrap() error { return ErrorOf(e.Status) }
