package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/kiosk"
	"github.com/hongmajia/hongmajia/kiosk/control"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

func reportReader(s rfid.Status) control.ReaderReport {
	r := control.ReaderReport{Kind: s.Kind.String(), Device: s.Device, State: s.State.String(), Since: s.Since,
		Taps: s.Taps, Transient: s.Transient, Reopens: s.Reopens}
	if s.Err != nil {
		r.Error = s.Err.Error()
	}
	return r
}

// Status is what `kioskctl status` asks a running terminal.
func (a *App) Status(ctx context.Context) control.Status {
	st := control.Status{Mode: a.mode, Demo: a.demo, Ledger: "ok", Build: buildVersion()}
	for _, s := range a.ReaderStatus() {
		st.Readers = append(st.Readers, reportReader(s))
	}
	if l := a.led; l != nil {
		t := l.Terminal()
		st.Terminal, st.Center, st.CenterName = t.ID, t.Center, t.CenterName
		ss, err := l.SyncState(ctx)
		if err != nil {
			st.Ledger, st.LedgerError = kiosk.FaultCode(err), err.Error()
		}
		st.Unsynced = ss.Unsynced
		st.FullCheck = ReportFullCheck(l.LastFullCheck(ctx))
		if err := l.Fault(); err != nil {
			st.Ledger, st.LedgerError = kiosk.FaultCode(err), err.Error()
		}
		if !ss.LastSync.IsZero() {
			ls := ss.LastSync.In(l.Location())
			st.LastSync = &ls
		}
	}
	if a.ledErr != nil {
		st.Ledger, st.LedgerError = kiosk.FaultCode(a.ledErr), a.ledErr.Error()
	}
	a.reportSync(ctx, &st)
	a.mu.Lock()
	hooks := a.onStatus
	a.mu.Unlock()
	for _, f := range hooks {
		f(&st)
	}
	return st
}

// ReportFullCheck is the ledger's full check for the control socket's
// status; nil when none is known.
func ReportFullCheck(c ledger.FullCheck) *control.FullCheck {
	if c.At.IsZero() {
		return nil
	}
	r := &control.FullCheck{At: c.At, Running: c.Running, OK: c.OK(), TookMS: c.Took.Milliseconds()}
	if c.Err != nil {
		r.Error = c.Err.Error()
	}
	return r
}

// SharedCommands are the control commands the socket's group (the
// hongmajia group's technicians, kioskctl without sudo) may run: looks that
// change nothing. Taps, syncs and the hub's anchor are the kiosk user's.
var SharedCommands = []string{"status", "ping"}

// Control runs one line of the control protocol and returns the answer's
// text (without "ok"):
//
//	tap UID   present a card to the simulated reader ("tap 88000001") and
//	          answer with what the screen or the station did with it
//	          (checked in, checked out, refused and why, ignored as a
//	          repeat), waited for at most TapAnswerTimeout
//	remove    take it away
//	status    one line of JSON (control.Status)
//	sync      sync with the hub now, after a sync that runs, and answer
//	          when it ends: one line of JSON (control.SyncReport; a sync
//	          that failed is a report too, with its trouble); an error when
//	          the terminal cannot sync (not enrolled)
//	anchor    ask the hub whether the ledger matches its anchor: one line
//	          of JSON (control.AnchorReport)
//	health    one line of JSON (control.Health): the screen drew a frame,
//	          the ledger passed a quick verification, every reader answers;
//	          what an update waits for before it keeps a new version
//	commit    the update that started this terminal on probation is kept:
//	          taps are taken again ("committed"); what kioskctl update says
//	          once the terminal is healthy
//	ping      "pong": the terminal is running
func (a *App) Control(ctx context.Context, line string) (string, error) {
	cmd, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	arg = strings.TrimSpace(arg)
	switch cmd {
	case "tap":
		if arg == "" {
			return "", errors.New("tap: which card? tap UID")
		}
		u, err := record.ParseUID(arg)
		if err != nil {
			return "", fmt.Errorf("tap %s: %w", arg, err)
		}
		return a.tap(ctx, u)
	case "remove":
		return "", a.sim.Remove()
	case "status":
		b, err := json.Marshal(a.Status(ctx))
		return string(b), err
	case "sync":
		r, err := a.SyncNow(ctx)
		if err != nil {
			return "", err
		}
		b, err := json.Marshal(r)
		return string(b), err
	case "anchor":
		r, err := a.CheckAnchor(ctx)
		if err != nil {
			return "", err
		}
		b, err := json.Marshal(r)
		return string(b), err
	case "health":
		b, err := json.Marshal(a.Health(ctx))
		return string(b), err
	case "commit":
		if !a.OnProbation() {
			return "not on probation", nil
		}
		a.endProbation("the update was committed")
		return "committed", nil
	case "ping":
		return "pong", nil
	case "":
		return "", errors.New("empty command: tap UID, remove, status, health, sync, anchor, commit or ping")
	}
	return "", fmt.Errorf("unknown command %q: tap UID, remove, status, health, sync, anchor, commit or ping", cmd)
}
