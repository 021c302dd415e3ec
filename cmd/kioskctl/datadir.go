package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"unicode"

	"github.com/hongmajia/hongmajia/ledger"
)

// newFlagSet makes a subcommand's flags, with --data, reporting to stderr.
func newFlagSet(e *env, name string) (*flag.FlagSet, *string) {
	f := flag.NewFlagSet("kioskctl "+name, flag.ContinueOnError)
	f.SetOutput(e.stderr)
	data := f.String("data", defaultData, "data directory")
	return f, data
}

// parseFlags parses args; any argument left over is a usage error.
func parseFlags(f *flag.FlagSet, args []string) error {
	if err := f.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if f.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, f.Arg(0))
	}
	return nil
}

// ledgerOptions open every ledger kioskctl opens; tests make PIN hashes
// cheap, and say whether the clock is NTP-synced (Sync; nil: the kernel's
// word).
var ledgerOptions ledger.Options

// openLedgerDir opens the ledger in a data directory to write to it, as a
// terminal does, saying plainly what is missing: a technician over SSH
// should not have to read a wrapped error to learn the disk is not mounted.
// The commands that only look use openLedgerReadOnly.
func openLedgerDir(ctx context.Context, dir string) (*ledger.Ledger, error) {
	return openLedger(ctx, dir, ledger.Options{})
}

// openLedgerReadOnly opens the ledger for a look that must not change it
// (status, export, verify, backup): SQLite's mode=ro, no WAL switch, no
// migration, no checkpoint.
func openLedgerReadOnly(ctx context.Context, dir string) (*ledger.Ledger, error) {
	return openLedger(ctx, dir, ledger.Options{ReadOnly: true})
}

func openLedger(ctx context.Context, dir string, opts ledger.Options) (*ledger.Ledger, error) {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("data directory %s does not exist (is the data disk mounted? give another with --data DIR)", dir)
	case err != nil:
		return nil, fmt.Errorf("data directory: %w", err)
	case !st.IsDir():
		return nil, fmt.Errorf("data directory %s is not a directory", dir)
	}
	// A technician outside the kiosk's group is told how to get in, not
	// SQLite's "unable to open database file".
	if f, err := os.Open(filepath.Join(dir, ledger.FileName)); errors.Is(err, fs.ErrPermission) {
		return nil, fmt.Errorf("no permission to read the ledger in %s: join the hongmajia group to look "+
			"(sudo adduser $USER hongmajia, then log in again); changes need the kiosk's user (sudo -u hongmajia kioskctl …)", dir)
	} else if err == nil {
		f.Close()
	}
	opts.PIN, opts.Sync = ledgerOptions.PIN, ledgerOptions.Sync
	// The start check only: a command ends long before the full check
	// would (the terminal runs it in the background; verify runs it).
	opts.Check = ledger.CheckStart
	l, err := ledger.Open(ctx, dir, opts)
	if errors.Is(err, ledger.ErrNoLedger) {
		return nil, fmt.Errorf("no ledger in %s (%s is missing; `kioskctl init --center NAME --data %s` makes a center's, `kioskctl demo --data %s` a demo one)",
			dir, filepath.Join(dir, ledger.FileName), dir, dir)
	}
	return l, err
}

// padRight pads s to width terminal columns; Chinese characters take two.
func padRight(s string, width int) string {
	w := 0
	for _, r := range s {
		w++
		if r >= 0x1100 && (unicode.Is(unicode.Han, r) || unicode.In(r, unicode.Hangul, unicode.Hiragana, unicode.Katakana) || (r >= 0xff00 && r <= 0xff60) || (r >= 0x3000 && r <= 0x303f)) {
			w++
		}
	}
	for ; w < width; w++ {
		s += " "
	}
	return s
}

// humanBytes writes a size the way df -h does.
func humanBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
