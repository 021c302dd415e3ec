package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hongmajia/hongmajia/clock"
)

// Checkpoints: the ledger moves the WAL's pages into the database file
// itself, off the taps' path.
//
// SQLite's own auto-checkpoint runs inside the COMMIT that takes the WAL past
// 1,000 pages: that tap copies the whole WAL into the file and fsyncs it. A
// check-out writes about 12 WAL pages, so every ~85th tap (1.2%) paid for
// it, 12 to 35 ms on the 1,000,000-entry benchmark ledger: the check-out's
// p99 (12 ms against the bare insert's 1.0 ms in issue 12's run). So the
// writer connection turns it off (wal_autocheckpoint=0) and a goroutine
// checkpoints on its own connection:
//
//   - when writes have paused for CheckpointOptions.Idle (1 s): a person's
//     tap, the screen's answer and the next card take 2 s or more, so 1 s of
//     quiet falls between taps of a queue, and the few pages a tap wrote are
//     in the file long before the next one;
//   - every CheckpointOptions.Every (128) commits beside continuous writes
//     (a Batch, a hub pull, the benchmark): about 1,500 pages, 6 MiB, the
//     copy running beside the taps, not inside one;
//   - when a checkpoint finds the WAL past CheckpointOptions.MaxWAL (16 MiB),
//     because back-to-back writes never let it start over: then it holds the
//     ledger's write mutex for a RESTART checkpoint, which copies the few
//     pages written since and makes the next write start the WAL from its
//     beginning. journal_size_limit (MaxWAL) then cuts the file back.
//
// All of them run with busy_timeout 0: a checkpoint never waits for a reader.
// A long read (Verify, Backup, an export) keeps the pages it may still read
// in the WAL; the checkpoint copies what it can, says busy, and the next
// trigger tries again (after at least Idle, so it never spins). While such a
// read runs the WAL grows past MaxWAL by what is written meanwhile; the
// first checkpoint after it ends brings it back. A failed checkpoint (disk
// full, busy, I/O) is logged and loses nothing: the WAL keeps every page
// until the file holds them, and SQLite's recovery replays it after a crash
// at any point of a checkpoint.
//
// Close stops the goroutine, waits for it, and checkpoints once more.

// CheckpointOptions tune the ledger's WAL checkpoints. The zero value is the
// default described on each field.
type CheckpointOptions struct {
	// Off: no background checkpoints. SQLite's auto-checkpoint stays off too,
	// so the WAL grows until Checkpoint or Close. For tests and tools.
	Off bool
	// Idle is the pause in writes after which the WAL is checkpointed.
	// Default 1 s.
	Idle time.Duration
	// Every: beside continuous writes, checkpoint (PASSIVE, taps go on)
	// after this many commits. Default 128.
	Every int
	// MaxWAL bounds the WAL file in bytes: past it a checkpoint holds the
	// write mutex long enough to restart the WAL. Default 16 MiB.
	MaxWAL int64
}

func (o CheckpointOptions) withDefaults() CheckpointOptions {
	if o.Idle <= 0 {
		o.Idle = time.Second
	}
	if o.Every <= 0 {
		o.Every = 128
	}
	if o.MaxWAL <= 0 {
		o.MaxWAL = 16 << 20
	}
	return o
}

// CheckpointResult is what one checkpoint did, in WAL frames (pages).
type CheckpointResult struct {
	// Frames in the WAL and how many of them the file now holds.
	Log, Checkpointed int
	// Busy: a reader (or another process's writer) kept the checkpoint from
	// finishing; what it could copy is copied.
	Busy bool
	// Restarted: the WAL was checkpointed whole and starts over at the next
	// write.
	Restarted bool
}

// checkpointer runs the ledger's checkpoints on a connection of its own.
type checkpointer struct {
	l    *Ledger
	opts CheckpointOptions
	db   *sql.DB
	log  *slog.Logger
	// kick gets a (non-blocking) send after each commit.
	kick     chan struct{}
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{} // closed when run returns
	mu       sync.Mutex    // one checkpoint at a time
	pageSize int64
	// background counts the goroutine's checkpoints that ran, restarts
	// those that held the write mutex for a RESTART (for tests).
	background, restarts atomic.Int64
}

func newCheckpointer(ctx context.Context, l *Ledger) (*checkpointer, error) {
	// busy_timeout 0: a checkpoint never waits for a reader, nor for
	// another process's writer.
	db, err := sql.Open("sqlite", dsn(l.path, 0, false))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	c := &checkpointer{l: l, opts: l.opts.Checkpoint.withDefaults(), db: db, log: l.opts.Logger,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if err := db.QueryRowContext(ctx, "PRAGMA page_size").Scan(&c.pageSize); err != nil {
		db.Close()
		return nil, storageErr(err)
	}
	if c.opts.Off {
		close(c.done)
	} else {
		go c.run()
	}
	return c, nil
}

// committed tells the checkpointer a write committed. It never blocks.
func (c *checkpointer) committed() {
	if c == nil {
		return
	}
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	idle := time.NewTimer(time.Hour)
	idle.Stop()
	var (
		pending bool            // commits since the last checkpoint
		n       int             // commits counted since the last checkpoint
		last    clock.Stopwatch // since the last checkpoint, for the backoff after a busy one
		busy    bool
	)
	for {
		select {
		case <-c.stop:
			idle.Stop()
			return
		case <-c.kick:
			pending = true
			n++
			idle.Reset(c.opts.Idle)
			// A busy or failed checkpoint (a long read, a full disk) is
			// not tried again sooner than Idle: nothing would be gained.
			if n < c.opts.Every || (busy && last.Elapsed() < c.opts.Idle) {
				continue
			}
		case <-idle.C:
			if !pending {
				continue
			}
		}
		r, err := c.checkpoint(context.Background())
		if err == nil {
			c.background.Add(1)
		}
		last, busy, n = clock.StartStopwatch(), r.Busy || err != nil, 0
		pending = err != nil || r.Checkpointed < r.Log
		if pending {
			idle.Reset(c.opts.Idle)
		}
	}
}

// checkpoint copies the WAL into the file without holding the write mutex
// (PASSIVE); when the WAL is past MaxWAL it then holds the mutex for a
// RESTART, so that back-to-back writes cannot keep the WAL growing. Errors
// are logged and returned; none is fatal to the ledger.
func (c *checkpointer) checkpoint(ctx context.Context) (CheckpointResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.pragma(ctx, "PASSIVE")
	if err == nil && int64(r.Log)*c.pageSize > c.opts.MaxWAL {
		var closed bool
		c.l.mu.Lock()
		if closed = c.l.closed; !closed {
			r, err = c.pragma(ctx, "RESTART")
			c.restarts.Add(1)
		}
		c.l.mu.Unlock()
		if closed {
			return r, ErrClosed
		}
	}
	if err != nil {
		c.log.Warn("ledger: checkpoint failed; the WAL keeps its pages", "path", c.l.path, "err", err)
		return r, err
	}
	if r.Busy {
		c.log.Debug("ledger: checkpoint busy (a reader)", "path", c.l.path, "log", r.Log, "checkpointed", r.Checkpointed)
	}
	return r, nil
}

// pragma runs PRAGMA wal_checkpoint(mode) on the checkpointer's connection.
func (c *checkpointer) pragma(ctx context.Context, mode string) (CheckpointResult, error) {
	var busy int
	var r CheckpointResult
	if err := c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &r.Log, &r.Checkpointed); err != nil {
		return r, storageErr(err)
	}
	r.Busy = busy != 0
	// SQLite says -1, -1 when the database is not in WAL mode.
	r.Log, r.Checkpointed = max(r.Log, 0), max(r.Checkpointed, 0)
	r.Restarted = !r.Busy && mode != "PASSIVE"
	return r, nil
}

// close stops the goroutine, waits for it, checkpoints the WAL into the
// file once more (TRUNCATE: the WAL file is emptied) and closes the
// connection. The caller must not hold l.mu: the goroutine may be waiting
// for it.
func (c *checkpointer) close() error {
	c.stopOnce.Do(func() { close(c.stop) })
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.db == nil {
		return nil
	}
	c.l.mu.Lock()
	if !c.l.closed {
		if r, err := c.pragma(context.Background(), "TRUNCATE"); err != nil || r.Busy {
			// Not fatal: the WAL keeps its pages for the next open.
			c.log.Warn("ledger: checkpoint at close incomplete", "path", c.l.path, "err", err, "busy", r.Busy)
		}
	}
	c.l.mu.Unlock()
	err := c.db.Close()
	c.db = nil
	return err
}

// Checkpoint copies the WAL into the database file now and, when no reader
// holds part of it, empties the WAL file (TRUNCATE), holding the write
// mutex meanwhile. It does not wait for readers: a busy result says how far
// it got. The ledger checkpoints by itself (see CheckpointOptions); this is
// for tests and tools that want the file whole now.
func (l *Ledger) Checkpoint(ctx context.Context) (CheckpointResult, error) {
	if l.ck == nil {
		return CheckpointResult{}, fmt.Errorf("checkpoint: %w", ErrReadOnly)
	}
	c := l.ck
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.db == nil {
		return CheckpointResult{}, fmt.Errorf("checkpoint: %w", ErrClosed)
	}
	// First without the mutex, then the rest with it.
	if _, err := c.pragma(ctx, "PASSIVE"); err != nil {
		return CheckpointResult{}, fmt.Errorf("checkpoint: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return CheckpointResult{}, fmt.Errorf("checkpoint: %w", ErrClosed)
	}
	// PASSIVE again for the counts (TRUNCATE reports an emptied WAL as 0).
	r, err := c.pragma(ctx, "PASSIVE")
	if err != nil {
		return r, fmt.Errorf("checkpoint: %w", err)
	}
	t, err := c.pragma(ctx, "TRUNCATE")
	if err != nil {
		return r, fmt.Errorf("checkpoint: %w", err)
	}
	r.Busy, r.Restarted = t.Busy, t.Restarted
	if r.Busy {
		return r, fmt.Errorf("checkpoint: a reader holds the WAL: %w", ErrBusy)
	}
	return r, nil
}
