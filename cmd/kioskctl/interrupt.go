package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/internal/atomicfile"
)

// interruptible is the context of a command that writes a file (export,
// backup): Ctrl-C or SIGTERM ends it, its write stops, and the temporary
// file it was filling is removed rather than left behind at full size.
func interruptible() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// errInterrupted marks a command a signal stopped.
var errInterrupted = errors.New("stopped by a signal")

// interrupted turns the error of a write that a signal stopped into plain
// words; any other error is returned as it is.
func interrupted(ctx context.Context, err error, out string) error {
	if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return fmt.Errorf("interrupted: %s not written, no temporary file left behind: %w", out, errInterrupted)
	}
	return err
}

// ctxWriter stops writing once ctx ends: a format that gathers its rows
// first (XLSX) still stops at its next write.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// cleanStale removes the temporary files an export or a backup killed
// outright (SIGKILL, a power cut) left in dir, saying so on stderr.
func cleanStale(e *env, dir string) {
	removed, err := atomicfile.Clean(dir, clock.Real{}.Now())
	for _, p := range removed {
		fmt.Fprintf(e.stderr, "kioskctl: removed %s, left by an export or backup that was interrupted\n", p)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "kioskctl: %v\n", err)
	}
}
