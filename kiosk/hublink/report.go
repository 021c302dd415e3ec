package hublink

import (
	"errors"
	"time"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/kiosk/control"
	"github.com/hongmajia/hongmajia/ledger"
)

// Report is a sync's result as the control socket and kioskctl report it:
// what it did, the ledger's standing after it (a sync that failed half-way
// acknowledged what it did: st is read after), and for a failure its kind
// of trouble.
func Report(res Result, err error, st ledger.SyncState, at time.Time) control.SyncReport {
	r := control.SyncReport{At: at, OK: err == nil, Pushed: res.Pushed, Changes: res.Changes, Pulled: res.Pulled,
		Acked: st.AckedSeq, Unsynced: st.Unsynced, RegistryVersion: st.RegistryVersion, ClockOffsetMS: st.ClockOffset.Milliseconds(),
		TookMS: res.Took.Milliseconds(), Refused: res.Refused}
	if err != nil {
		r.Trouble, r.Error = Trouble(res, err), err.Error()
	}
	return r
}

// Trouble sorts a failed sync into what a person does about it (one of
// control's Trouble kinds): wait for tonight (network, hub), or call a
// technician (a refusal, a fork, a kiosk the hub does not take).
func Trouble(res Result, err error) string {
	switch {
	case res.Fork || errors.Is(err, hubsync.ErrFork):
		return control.TroubleFork
	case res.Refused != "" || errors.Is(err, ErrRefused):
		return control.TroubleRefused
	case errors.Is(err, hubsync.ErrNetwork):
		return control.TroubleNetwork
	case errors.Is(err, hubsync.ErrHub):
		return control.TroubleHub
	case errors.Is(err, hubsync.ErrReplay):
		return control.TroubleReplay
	case errors.Is(err, hubsync.ErrRevoked), errors.Is(err, hubsync.ErrUnknownTerminal), errors.Is(err, hubsync.ErrSignature),
		errors.Is(err, hubsync.ErrClock):
		return control.TroubleRejected
	}
	return control.TroubleFailed
}
