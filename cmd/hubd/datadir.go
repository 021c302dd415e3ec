package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"unicode"

	"github.com/hongmajia/hongmajia/hub"
)

// newFlagSet makes a subcommand's flags, with --data and the store's
// (--config, --db, --db-password-file), reporting to stderr.
func newFlagSet(e *env, name string) (*flag.FlagSet, *hubFlags) {
	f := flag.NewFlagSet("hubd "+name, flag.ContinueOnError)
	f.SetOutput(e.stderr)
	h := &hubFlags{}
	f.StringVar(&h.dir, "data", defaultData, "data directory")
	h.addStoreFlags(f)
	return f, h
}

// parseFlags parses args; any argument left over is a usage error.
func parseFlags(f *flag.FlagSet, args []string) error {
	rest, err := parseArgs(f, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, rest[0])
	}
	return nil
}

// parseArgs parses flags wherever they are among the arguments and
// returns the arguments; after "--" all are arguments.
func parseArgs(f *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		left := f.Args()
		if len(left) == 0 {
			return rest, nil
		}
		if len(args) > len(left) && args[len(args)-len(left)-1] == "--" {
			return append(rest, left...), nil
		}
		rest = append(rest, left[0])
		args = left[1:]
	}
}

// pinParams hash every PIN hubd hashes; tests make them cheap.
var pinParams hub.PINParams

// openHub opens the hub of where (its store is opened here). Only create
// makes one where there is none (serve, center add): a mistyped --data is
// not a new, empty hub.
func openHub(ctx context.Context, where *hubFlags, create bool, opts hub.Options) (*hub.Hub, error) {
	if err := where.checkDB(); err != nil {
		return nil, err
	}
	dir := where.dir
	if create {
		st, err := os.Stat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("data directory: %w", err)
		case !st.IsDir():
			return nil, fmt.Errorf("data directory %s is not a directory", dir)
		}
	} else if err := where.checkHubDir(); err != nil {
		return nil, err
	}
	s, err := where.openStore(ctx)
	if err != nil {
		return nil, err
	}
	opts.Store = s
	if opts.PIN == (hub.PINParams{}) {
		opts.PIN = pinParams
	}
	if opts.Password == (hub.PINParams{}) {
		opts.Password = passwordParams
	}
	if opts.Log == nil {
		// An admin command says what it did on stdout; the hub's own log
		// is the server's.
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	h, err := hub.Open(ctx, dir, opts)
	if err != nil {
		s.Close()
		return nil, err
	}
	return h, nil
}

// padRight pads s to width terminal columns; Chinese characters take two.
func padRight(s string, width int) string {
	w := 0
	for _, r := range s {
		w++
		if r >= 0x1100 && (unicode.Is(unicode.Han, r) || (r >= 0xff00 && r <= 0xff60) || (r >= 0x3000 && r <= 0x303f)) {
			w++
		}
	}
	for ; w < width; w++ {
		s += " "
	}
	return s
}
