package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hongmajia/hongmajia/clock"
)

// FullCheck is how a full integrity check (PRAGMA integrity_check) went.
type FullCheck struct {
	// At is when it started (the system clock); zero: none has run.
	At time.Time
	// Running: it runs now (At is its start).
	Running bool
	// Took is how long it ran.
	Took time.Duration
	// Err is nil when it passed; a *FileError wrapping ErrCorrupt when it
	// found the file damaged (Fault then returns it); another error when
	// it could not run to its end (the ledger closed meanwhile).
	Err error
}

// OK reports whether the check ran to its end and found nothing wrong.
func (c FullCheck) OK() bool { return !c.At.IsZero() && !c.Running && c.Err == nil }

// fullCheckState is the ledger's background check and its verdict.
type fullCheckState struct {
	mu    sync.Mutex
	fault error // corruption a full check found: every write is refused with it
	last  FullCheck
	// done is closed when the check Open started ends (at once when none).
	done chan struct{}
	// faulted is closed when fault is set, by whichever check found it.
	faulted chan struct{}
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// Fault returns the corruption the background full check (or CheckNow)
// found, nil while none was found. Once set, every write fails with it
// (a *FileError wrapping ErrCorrupt): the terminal shows "needs a
// technician", as it would had Open refused the file.
func (l *Ledger) Fault() error {
	l.check.mu.Lock()
	defer l.check.mu.Unlock()
	return l.check.fault
}

// Checked is closed when the full check Open started in the background
// (CheckStartThenAll) has ended; then LastFullCheck says how it went. It is
// closed from the start when Open started none.
func (l *Ledger) Checked() <-chan struct{} { return l.check.done }

// Faulted is closed when a full check finds the file damaged (Fault
// then returns it): the one Open started or any later one (the nightly
// CheckNow), so the screen and the station can say so at once, not at
// the next tap.
func (l *Ledger) Faulted() <-chan struct{} { return l.check.faulted }

// LastFullCheck returns the full check running now or the last one this
// process ran; when none ran, the last one that passed as the ledger
// recorded it (meta full_check), with Took, so a technician's read-only
// look sees when the terminal last checked its file whole.
func (l *Ledger) LastFullCheck(ctx context.Context) FullCheck {
	l.check.mu.Lock()
	c := l.check.last
	l.check.mu.Unlock()
	if !c.At.IsZero() {
		return c
	}
	if l.r == nil {
		return c
	}
	var v string
	if err := l.r.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'full_check'").Scan(&v); err != nil {
		return c
	}
	at, took, _ := strings.Cut(v, " ")
	n, _ := strconv.ParseInt(at, 10, 64)
	d, _ := strconv.ParseInt(took, 10, 64)
	if n == 0 {
		return c
	}
	return FullCheck{At: time.Unix(0, n).In(l.opts.Location), Took: time.Duration(d)}
}

// startFullCheck runs the full check in the background once Open has
// returned: one read connection of its own, one goroutine, so it takes one
// core of the Pi's four and taps are served beside it. (Not at a lower
// thread priority: an unprivileged thread cannot raise its priority again,
// and ending the thread instead kills any child started from it with
// Pdeathsig, as the crash test's are.) It is one read
// transaction for the whole check (97.5 s at 1,000,000 entries, 590 MB, on
// the development machine at load 30, some 30 s unloaded; minutes on a
// Pi's SD card): the WAL cannot be
// checkpointed past the snapshot it reads while it runs, and grows by the
// taps of those minutes, then is checkpointed as usual. Close cancels it.
func (l *Ledger) startFullCheck() {
	ctx, cancel := context.WithCancel(context.Background())
	l.check.cancel = cancel
	l.check.wg.Add(1)
	go func() {
		defer l.check.wg.Done()
		defer close(l.check.done)
		l.runFullCheck(ctx)
	}()
}

// CheckNow runs the full check (PRAGMA integrity_check) now and waits for
// it: the nightly window reruns it. A failure sets Fault and stops every
// write. The error is for not being able to run it; what it found is in the
// FullCheck.
func (l *Ledger) CheckNow(ctx context.Context) (FullCheck, error) {
	c := l.runFullCheck(ctx)
	if c.Err != nil && !errors.Is(c.Err, ErrCorrupt) {
		return c, c.Err
	}
	return c, nil
}

func (l *Ledger) runFullCheck(ctx context.Context) FullCheck {
	c := FullCheck{At: l.opts.Clock.Now().In(l.opts.Location), Running: true}
	l.check.mu.Lock()
	l.check.last = c
	l.check.mu.Unlock()
	sw := clock.StartStopwatch()
	c.Err = fullIntegrityCheck(ctx, l.path)
	c.Took = sw.Elapsed()
	c.Running = false
	l.check.mu.Lock()
	l.check.last = c
	if errors.Is(c.Err, ErrCorrupt) && l.check.fault == nil {
		l.check.fault = c.Err
		close(l.check.faulted)
	}
	l.check.mu.Unlock()
	if c.Err == nil {
		l.recordFullCheck(ctx, c)
	}
	return c
}

// fullIntegrityCheck is integrityCheck on a connection of its own that is
// cancelled with ctx.
func fullIntegrityCheck(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", fileURI(path)+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	problems, err := integrityProblems(ctx, db)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("full check: %w", ctx.Err())
		}
		return fileErr(path, err)
	}
	if len(problems) > 0 {
		return &FileError{Path: path, Err: ErrCorrupt, Detail: "integrity_check: " + problemSummary(problems)}
	}
	return nil
}

// problemSummary is integrity_check's complaints in one line, the first
// few of them and how many more: a page scribbled over gives up to 100
// lines (SQLite's limit), which in the log, on the control socket and in
// kioskctl status would bury everything else. kioskctl verify lists them
// all.
func problemSummary(problems []string) string {
	const keep = 3
	var lines []string
	for _, p := range problems {
		for _, s := range strings.Split(p, "\n") {
			if s = strings.TrimSpace(s); s != "" && !strings.HasPrefix(s, "*** in database") {
				lines = append(lines, s)
			}
		}
	}
	if len(lines) <= keep {
		return strings.Join(lines, "; ")
	}
	return fmt.Sprintf("%s; and %d more (kioskctl verify lists them all)", strings.Join(lines[:keep], "; "), len(lines)-keep)
}

// recordFullCheck keeps a passed check in meta (full_check: its start and
// its duration in nanoseconds) for kioskctl status; a failed one is never
// written, as nothing is written to a damaged file.
func (l *Ledger) recordFullCheck(ctx context.Context, c FullCheck) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.w == nil || l.Fault() != nil {
		return
	}
	_, err := l.wq.ExecContext(ctx, "INSERT INTO meta(key, value) VALUES ('full_check', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
		strconv.FormatInt(c.At.UnixNano(), 10)+" "+strconv.FormatInt(int64(c.Took), 10))
	if err != nil {
		l.stale = true // as any write whose outcome is unknown
	}
}
