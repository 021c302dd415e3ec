package app

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/drivers/sim"
	"github.com/hongmajia/hongmajia/kiosk"
	"github.com/hongmajia/hongmajia/ledger"
)

// ControlSocketName is the control socket's name in the data directory.
const ControlSocketName = "control.sock"

// ControlSocketPath is the control socket of the terminal using dataDir.
func ControlSocketPath(dataDir string) string { return filepath.Join(dataDir, ControlSocketName) }

// ErrNoHub answers `sync` until the district hub exists: there is nothing to
// sync with yet, and saying so is better than pretending.
var ErrNoHub = errors.New("no hub yet: sync arrives with the hub")

// ControlStatus is the control socket's `status`, one line of JSON. Field
// names are read by scripts: add, never rename.
type ControlStatus struct {
	Terminal   string `json:"terminal,omitempty"`
	Center     string `json:"center,omitempty"`
	CenterName string `json:"center_name,omitempty"`
	// Mode is "screen" or "headless".
	Mode string `json:"mode"`
	Demo bool   `json:"demo"`
	// Scene is what the screen shows, when a screen says (OnStatus).
	Scene string `json:"scene,omitempty"`
	// Drawn is the scene on the last frame painted: Scene is on screen once
	// Drawn names it. Frames counts frames painted and Updates the frame
	// loop's wakes; at idle both grow once a minute (the clock).
	Drawn   string `json:"drawn,omitempty"`
	Frames  uint64 `json:"frames,omitempty"`
	Updates uint64 `json:"updates,omitempty"`
	// Station is the headless station's activity.
	Station string         `json:"station_activity,omitempty"`
	Readers []ReaderReport `json:"readers"`
	// Ledger is "ok" or the fault the terminal shows a technician.
	Ledger      string     `json:"ledger"`
	LedgerError string     `json:"ledger_error,omitempty"`
	Unsynced    uint64     `json:"unsynced"`
	LastSync    *time.Time `json:"last_sync"` // null: never
	// LastTap is what the last tap did, when the station says (OnStatus).
	LastTap string `json:"last_tap,omitempty"`
}

// ReaderReport is one reader in ControlStatus.
type ReaderReport struct {
	Kind   string    `json:"kind"`
	Device string    `json:"device"`
	State  string    `json:"state"`
	Since  time.Time `json:"since"`
	Error  string    `json:"error,omitempty"`
	Taps   uint64    `json:"taps"`
	// Transient counts RF glitches and malformed reads, each retried.
	Transient uint64 `json:"transient"`
	Reopens   uint64 `json:"reopens"`
}

func reportReader(s rfid.Status) ReaderReport {
	r := ReaderReport{Kind: s.Kind.String(), Device: s.Device, State: s.State.String(), Since: s.Since,
		Taps: s.Taps, Transient: s.Transient, Reopens: s.Reopens}
	if s.Err != nil {
		r.Error = s.Err.Error()
	}
	return r
}

// Status is what `kioskctl status` asks a running terminal.
func (a *App) Status(ctx context.Context) ControlStatus {
	st := ControlStatus{Mode: a.mode, Demo: a.demo, Ledger: "ok"}
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
		if !ss.LastSync.IsZero() {
			ls := ss.LastSync.In(l.Location())
			st.LastSync = &ls
		}
	}
	if a.ledErr != nil {
		st.Ledger, st.LedgerError = kiosk.FaultCode(a.ledErr), a.ledErr.Error()
	}
	a.mu.Lock()
	hooks := a.onStatus
	a.mu.Unlock()
	for _, f := range hooks {
		f(&st)
	}
	return st
}

// Control runs one line of the control protocol and returns the answer's
// text (without "ok"):
//
//	tap UID   present a card to the simulated reader ("tap 88000001")
//	remove    take it away
//	status    one line of JSON (ControlStatus)
//	sync      sync with the hub now (ErrNoHub until a hub exists)
//	ping      "pong": the terminal is running
func (a *App) Control(ctx context.Context, line string) (string, error) {
	cmd, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	arg = strings.TrimSpace(arg)
	switch cmd {
	case "tap":
		if arg == "" {
			return "", errors.New("tap: which card? tap UID")
		}
		u, err := ledger.ParseUID(arg)
		if err != nil {
			return "", fmt.Errorf("tap %s: %w", arg, err)
		}
		if err := a.sim.Tap(rfid.UID(u.Bytes())); err != nil {
			return "", err
		}
		return "tapped " + string(u), nil
	case "remove":
		return "", a.sim.Remove()
	case "status":
		b, err := json.Marshal(a.Status(ctx))
		return string(b), err
	case "sync":
		return "", ErrNoHub
	case "ping":
		return "pong", nil
	case "":
		return "", errors.New("empty command: tap UID, remove, status, sync or ping")
	}
	return "", fmt.Errorf("unknown command %q: tap UID, remove, status, sync or ping", cmd)
}

// serveControl answers the control protocol on ln until ctx ends: one reply
// line per command, "ok[ text]" or "error reason".
func (a *App) serveControl(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			ln.Close() // removes the socket file before we return
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("accept: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			stop := context.AfterFunc(ctx, func() { c.Close() })
			defer stop()
			sc := bufio.NewScanner(c)
			sc.Buffer(make([]byte, 0, sim.MaxLine), sim.MaxLine)
			for sc.Scan() {
				reply, err := a.Control(ctx, sc.Text())
				if err := writeReply(c, reply, err); err != nil {
					return
				}
			}
			if errors.Is(sc.Err(), bufio.ErrTooLong) {
				writeReply(c, "", fmt.Errorf("line longer than %d bytes", sim.MaxLine))
			}
		}()
	}
}

func writeReply(c net.Conn, reply string, err error) error {
	var line string
	switch {
	case err != nil:
		line = "error " + err.Error()
	case reply != "":
		line = "ok " + reply
	default:
		line = "ok"
	}
	_, werr := fmt.Fprintln(c, strings.ReplaceAll(line, "\n", " "))
	return werr
}

// ControlRequest sends one command to the terminal whose control socket is at
// path and returns the answer's text; an "error" answer is an error. It is
// the client side, for kioskctl.
func ControlRequest(ctx context.Context, path, line string) (string, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return "", fmt.Errorf("reach the terminal at %s (is kiosk running?): %w", path, err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if _, err := fmt.Fprintln(c, line); err != nil {
		return "", fmt.Errorf("send %q: %w", line, err)
	}
	answer, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("read the answer to %q: %w", line, err)
	}
	answer = strings.TrimRight(answer, "\r\n")
	switch {
	case answer == "ok":
		return "", nil
	case strings.HasPrefix(answer, "ok "):
		return answer[3:], nil
	case strings.HasPrefix(answer, "error "):
		return "", errors.New(answer[6:])
	}
	return "", fmt.Errorf("unexpected answer to %q: %q", line, answer)
}
