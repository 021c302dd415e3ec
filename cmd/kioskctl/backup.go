package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hongmajia/hongmajia/ledger"
)

func init() {
	commands["backup"] = command{summary: "a consistent, verified copy of the ledger while the kiosk runs: -o FILE [--force]", run: runBackup}
}

func runBackup(e *env, args []string) error {
	f, data := newFlagSet(e, "backup")
	out := f.String("o", "", "file to write the copy to")
	force := f.Bool("force", false, "replace FILE if it exists")
	if err := parseFlags(f, args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("%w: -o FILE is required", errUsage)
	}
	// A backup must not silently replace another (yesterday's good copy, or
	// the ledger itself given by mistake).
	if st, err := os.Stat(*out); err == nil {
		if st.IsDir() {
			return fmt.Errorf("%s is a directory: give a file name", *out)
		}
		if !*force {
			return fmt.Errorf("%s exists: not replacing it (use --force to)", *out)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("backup: %w", err)
	}
	ctx, stop := interruptible()
	defer stop()
	// Read-only: a copy is a look too, and must not change the ledger.
	l, err := openLedgerReadOnly(ctx, *data)
	if err != nil {
		return err
	}
	defer l.Close()
	if same, _ := sameFile(*out, l.Path()); same {
		return fmt.Errorf("%s is the ledger itself", *out)
	}
	cleanStale(e, filepath.Dir(*out))
	if err := interrupted(ctx, l.Backup(ctx, *out), *out); err != nil {
		return err
	}
	// Backup checked the copy's integrity; check its chains and balances too,
	// read-only, as anyone restoring it would.
	rep, err := ledger.VerifyFile(ctx, *out)
	if err != nil {
		return fmt.Errorf("backup written to %s but could not be verified: %w", *out, err)
	}
	if !rep.OK() {
		return fmt.Errorf("backup written to %s but failed verification: %v", *out, rep.Problems)
	}
	st, err := os.Stat(*out)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s: %s, %d entries; verified (integrity, hash chain, sequences, balances, stock)\n",
		*out, humanBytes(uint64(st.Size())), rep.Entries)
	return nil
}

// sameFile reports whether two paths name one file.
func sameFile(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}
