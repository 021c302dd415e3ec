package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hongmajia/hongmajia/ledger"
)

func init() {
	commands["verify"] = command{summary: "check integrity, hash chain, sequences, balances, stock, triggers, shifts and redemptions (exit 0 only if all hold)", run: runVerify}
}

// errVerifyFailed is the exit status for a ledger that failed a check; the
// problems themselves are printed first.
var errVerifyFailed = errors.New("ledger failed verification")

func runVerify(e *env, args []string) error {
	f, data := newFlagSet(e, "verify")
	if err := parseFlags(f, args); err != nil {
		return err
	}
	ctx := context.Background()
	rep, err := verifyDataDir(ctx, *data)
	if rep == nil {
		return err
	}
	if rep.OK() && err == nil {
		fmt.Fprintf(e.stdout, "%s: OK\n", rep.Path)
		fmt.Fprintf(e.stdout, "  integrity_check ok; %d entries from %d terminal(s): sequences without gaps, hash chains intact;\n", rep.Entries, rep.Terminals)
		fmt.Fprintf(e.stdout, "  balances of %d people and the stock equal the sums of their entries;\n", rep.People)
		fmt.Fprintf(e.stdout, "  the append-only triggers stand; shifts and redemptions agree with their entries\n")
		return nil
	}
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
	return errVerifyFailed
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
