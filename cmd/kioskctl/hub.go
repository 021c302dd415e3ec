package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/kiosk/control"
	"github.com/hongmajia/hongmajia/kiosk/hublink"
	"github.com/hongmajia/hongmajia/kiosk/update"
)

// The commands that talk to the district hub: enroll, sync, verify --hub,
// restore --from-hub. What they share is here: the data directory's lock
// (they must not run beside a terminal, whose requests to the hub would
// race theirs), the token (a secret: never required on the command line),
// and a sync's report in words.

// syncTimeout bounds a sync asked of the running terminal: a long backlog
// after weeks offline takes a while (a million entries, under a minute).
const syncTimeout = 15 * time.Minute

// hubTimeout bounds a command's own work with the hub (enroll, a sync of
// a stopped terminal, a restore): hubsync bounds each request, this the
// whole.
const hubTimeout = 30 * time.Minute

// hubOptions are the link's options for kioskctl on the data directory:
// the enrolled address or --hub, no log (kioskctl says what happened
// itself), and the version the hub shows: the one installed in the
// versions directory beside the data, as the running kiosk says it
// ("kioskctl" where nothing is installed, as in a test's data directory).
func hubOptions(data, hub string) hublink.Options {
	version := "kioskctl"
	if in, err := update.ReadInstalled(filepath.Join(data, filepath.Base(update.DefaultVersions))); err == nil && in.Current != "" {
		version = in.Current
	}
	return hublink.Options{URL: hub, Sync: ledgerOptions.Sync, Version: version, Log: slog.New(slog.DiscardHandler)}
}

// checkHubURL refuses what is not a hub's address, as a usage error.
func checkHubURL(flagName, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%w: %s %q: want the hub's address, e.g. https://hub.example.org", errUsage, flagName, s)
	}
	return nil
}

// lockStopped takes the data directory's lock for a command that needs the
// terminal stopped. A directory that does not exist is not locked (nil):
// opening its ledger says what is wrong.
func lockStopped(data, what string) (*os.File, error) {
	f, err := control.LockData(data)
	switch {
	case errors.Is(err, control.ErrAnotherTerminal):
		return nil, fmt.Errorf("%s needs the terminal stopped: %w", what, err)
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return f, nil
}

// running reports whether a terminal answers on the data directory's
// control socket.
func running(data string) bool {
	_, err := askTerminal(data, "ping")
	return err == nil
}

// readToken is the hub's one-time token: the flag's value, a line of stdin
// for "-" (or when the flag is not given and stdin is not a terminal), or
// asked on the terminal with echo off. A token on the command line stays in
// the shell's history and shows in ps: "-" or the question keep it out.
func readToken(e *env, flagValue string, given bool) (string, error) {
	if given && flagValue != "-" {
		if strings.TrimSpace(flagValue) == "" {
			return "", fmt.Errorf("%w: --token is empty", errUsage)
		}
		return strings.TrimSpace(flagValue), nil
	}
	if e.stdin == nil {
		return "", errors.New("no token: give --token T, or --token - to read it from stdin")
	}
	var tok string
	var err error
	if f, ok := e.stdin.(*os.File); ok && flagValue != "-" && isTerminal(f) {
		tok, err = askHidden(f, e.stderr, "token 令牌 (hubd kiosk token): ")
	} else {
		tok, err = readLine(bufio.NewReader(e.stdin))
		if err != nil {
			err = fmt.Errorf("read the token from stdin: %w", err)
		}
	}
	if err != nil {
		return "", err
	}
	if tok = strings.TrimSpace(tok); tok == "" {
		return "", errors.New("no token given: ask the district for one (hubd kiosk token --center ID)")
	}
	return tok, nil
}

// hubWords is what a failure of the hub's means to a technician, after the
// error itself.
func hubWords(err error) string {
	switch {
	case errors.Is(err, hubsync.ErrToken):
		return "the hub refused the token (unknown, used or expired): ask the district for a new one (hubd kiosk token --center ID, or restore-token)"
	case errors.Is(err, hubsync.ErrNetwork):
		return "the hub was not reached: check the address and the network (curl URL/healthz)"
	case errors.Is(err, hubsync.ErrRevoked):
		return "the hub revoked this kiosk: the district enrolls it again"
	case errors.Is(err, hubsync.ErrUnknownTerminal):
		return "the hub does not know this kiosk: enroll it (kioskctl enroll)"
	case errors.Is(err, hubsync.ErrSignature):
		return "a signature did not verify: this kiosk's key is not the one the hub holds, or what answered is not the hub this kiosk enrolled with"
	case errors.Is(err, hubsync.ErrClock):
		return "this Pi's clock is far from the hub's: check NTP (timedatectl)"
	case errors.Is(err, hubsync.ErrReplay):
		return "the hub has seen this kiosk's request counter before: the ledger went back in time (rolled back: a fork) or a copy of it talks to the hub; with the clock NTP-synced the hub can tell which"
	}
	return ""
}

// explain adds hubWords to err, when they say something.
func explain(err error) error {
	if w := hubWords(err); w != "" {
		return fmt.Errorf("%w: %s", err, w)
	}
	return err
}

// troubleWords says what a failed sync means and what to do.
func troubleWords(r control.SyncReport) string {
	switch r.Trouble {
	case control.TroubleNetwork:
		return "网络不通 the hub was not reached: nothing is lost; the kiosk tries again tonight"
	case control.TroubleHub:
		return "区平台出错 the hub failed: nothing is lost; the kiosk tries again tonight"
	case control.TroubleRefused:
		return "区平台拒收 the hub refused the push (" + r.Refused + "): the kiosk keeps everything; a technician looks (kioskctl verify --hub)"
	case control.TroubleFork:
		return "账本不一致 the ledger differs from what the hub holds of it (a fork: rolled back or rewritten): a technician must restore it from the hub (kioskctl restore --from-hub on an empty data directory)"
	case control.TroubleRejected:
		return "区平台不接受本机 the hub does not take this kiosk (revoked, or its key is not the enrolled one): enroll it again with a new token"
	case control.TroubleReplay:
		return "区平台不接受本机 the hub has seen this kiosk's request counter before: its ledger went back in time (a backup put back, a lost WAL: a fork, while the clock was not NTP-synced) or a copy of it syncs elsewhere: a technician looks (kioskctl verify --hub once the clock is synced)"
	}
	return "同步失败 the sync failed"
}

// ctxHub is the context of a command's own work with the hub: Ctrl-C and
// SIGTERM end it, and so does hubTimeout.
func ctxHub() (context.Context, context.CancelFunc) {
	ctx, stop := interruptible()
	ctx, cancel := context.WithTimeout(ctx, hubTimeout)
	return ctx, func() { cancel(); stop() }
}

// stopped says plainly that a signal or the time limit ended the work with
// the hub, and what that left.
func stopped(ctx context.Context, err error, left string) error {
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("stopped (a signal, or %s passed): %s: %w", hubTimeout, left, err)
	}
	return err
}
