package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hongmajia/hongmajia/kiosk/control"
	"github.com/hongmajia/hongmajia/kiosk/hublink"
	"github.com/hongmajia/hongmajia/ledger"
)

func init() {
	commands["verify"] = command{summary: "check integrity, hash chain, sequences, balances, stock, triggers, shifts and redemptions (exit 0 only if all hold); --hub: and the hub's anchor", run: runVerify}
}

// errVerifyFailed is the exit status for a ledger that failed a check; the
// problems themselves are printed first.
var errVerifyFailed = errors.New("ledger failed verification")

func runVerify(e *env, args []string) error {
	f, data := newFlagSet(e, "verify")
	hub := f.Bool("hub", false, "also ask the district hub whether the ledger matches its anchor (exit 1 on a fork)")
	if err := parseFlags(f, args); err != nil {
		return err
	}
	ctx := context.Background()
	rep, err := verifyDataDir(ctx, *data)
	if rep == nil {
		return err
	}
	local := rep.OK() && err == nil
	if local {
		fmt.Fprintf(e.stdout, "%s: OK\n", rep.Path)
		fmt.Fprintf(e.stdout, "  integrity_check ok; %d entries from %d terminal(s): sequences without gaps, hash chains intact;\n", rep.Entries, rep.Terminals)
		fmt.Fprintf(e.stdout, "  balances of %d people and the stock equal the sums of their entries;\n", rep.People)
		fmt.Fprintf(e.stdout, "  the append-only triggers stand; shifts and redemptions agree with their entries\n")
	} else {
		n := len(rep.Problems) + rep.Truncated
		fmt.Fprintf(e.stdout, "%s: %d problem(s)\n", rep.Path, n)
		for _, p := range rep.Problems {
			// integrity_check's own lines may hold newlines: keep them indented.
			fmt.Fprintf(e.stdout, "  %s\n", strings.ReplaceAll(p.String(), "\n", "\n    "))
		}
		if rep.Truncated > 0 {
			fmt.Fprintf(e.stdout, "  … and %d more\n", rep.Truncated)
		}
		if err != nil {
			fmt.Fprintf(e.stdout, "  could not read on: %v\n", err)
		}
	}
	if *hub {
		if err := verifyAnchor(e, *data); err != nil {
			if !local {
				fmt.Fprintf(e.stderr, "kioskctl verify: %v\n", err)
				return errVerifyFailed
			}
			return err
		}
	}
	if !local {
		return errVerifyFailed
	}
	return nil
}

// errFork is the exit status of a ledger that differs from the hub's anchor.
var errFork = errors.New("the ledger differs from the hub's anchor (a fork): a technician must restore it from the hub (kioskctl restore --from-hub on an empty data directory)")

// verifyAnchor asks the hub for the terminal's anchor and compares the
// ledger's head with it: through the running terminal, or on the data
// directory (its lock held) when none runs.
func verifyAnchor(e *env, data string) error {
	var a control.AnchorReport
	if running(data) {
		answer, err := askTerminalWithin(data, "anchor", syncTimeout)
		if err != nil {
			return fmt.Errorf("the terminal's anchor check: %w", err)
		}
		if err := json.Unmarshal([]byte(answer), &a); err != nil {
			return fmt.Errorf("the terminal's answer to anchor: %q: %w", answer, err)
		}
	} else {
		var err error
		if a, err = anchorDataDir(data); err != nil {
			return err
		}
	}
	short := func(h string) string { return h[:min(16, len(h))] }
	fmt.Fprintf(e.stdout, "区平台锚点 hub anchor: seq %d (%s…); ledger head seq %d (%s…)\n", a.HubSeq, short(a.HubHash), a.LocalSeq, short(a.LocalHash))
	if a.Fork {
		fmt.Fprintf(e.stdout, "  账本不一致 FORK: %s\n", a.Reason)
		return errFork
	}
	fmt.Fprintln(e.stdout, "  与区平台一致 the ledger holds what the hub anchored, and goes on from it")
	return nil
}

func anchorDataDir(data string) (control.AnchorReport, error) {
	var a control.AnchorReport
	lock, err := lockStopped(data, "an anchor check on the data directory")
	if err != nil {
		return a, err
	}
	if lock != nil {
		defer lock.Close()
	}
	ctx, cancel := ctxHub()
	defer cancel()
	l, err := openLedgerDir(ctx, data)
	if err != nil {
		return a, err
	}
	defer l.Close()
	key, err := hublink.LoadKey(data)
	if err != nil {
		return a, fmt.Errorf("%w: a ledger never enrolled has no anchor (kioskctl enroll)", err)
	}
	anc, err := hublink.New(l, key, hubOptions(data, "")).CheckAnchor(ctx)
	if err != nil {
		return a, stopped(ctx, explain(fmt.Errorf("check the hub's anchor: %w", err)), "not checked")
	}
	return control.AnchorReport{HubSeq: anc.Hub.Seq, HubHash: hex.EncodeToString(anc.Hub.Hash[:]), LocalSeq: anc.Local.Seq,
		LocalHash: hex.EncodeToString(anc.Local.Hash[:]), Fork: anc.Fork, Reason: anc.Reason}, nil
}

// verifyDataDir runs ledger.Verify on the data directory's ledger. A ledger
// that will not open because it is corrupt is verified as a file, read-only,
// so the technician sees every problem rather than the first.
func verifyDataDir(ctx context.Context, dir string) (*ledger.VerifyReport, error) {
	l, err := openLedgerReadOnly(ctx, dir)
	if err != nil {
		if !errors.Is(err, ledger.ErrCorrupt) {
			return nil, err
		}
		rep, verr := ledger.VerifyFile(ctx, filepath.Join(dir, ledger.FileName))
		if rep == nil {
			return nil, err
		}
		if rep.OK() {
			// The file reads clean but the ledger did not open: say why.
			rep.Problems = append(rep.Problems, ledger.Problem{Check: "open", Detail: err.Error()})
		}
		return rep, verr
	}
	defer l.Close()
	return l.Verify(ctx)
}
