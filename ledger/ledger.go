// Package ledger is the kiosk's book of record: people and their cards,
// activities and shifts, the catalog and stock, and the append-only entries
// every point and every minute goes through, in one SQLite file.
//
// A data directory holds ledger.db. Create makes one (with a new terminal id
// and the center it serves); Open never does, so an unmounted data disk is
// an error, not a fresh empty ledger. Open checks the file (a start check of
// what a start leans on, in milliseconds; then PRAGMA integrity_check in the
// background, see CheckMode) and refuses a corrupt file (ErrCorrupt,
// ErrNotDatabase, naming the file) without writing to it; corruption the
// background check finds stops every write (Fault).
//
// Every write takes a request with a random 128-bit id (NewEntryID): the same
// id again returns the first result and writes nothing, so a terminal may
// retry a tap it never saw confirmed. Each write is one transaction: its
// entries, the balances and stock they change, and the request's result
// commit together with one fsync of the WAL (synchronous=FULL). The WAL is
// copied into the file by the ledger's own checkpoints, off the taps' path
// (checkpoint.go): SQLite's auto-checkpoint inside a tap's COMMIT was the
// p99 of a check-out.
//
// Entries are ordered by the per-terminal sequence, never by wall time: the
// Pi has no real-time clock. Each entry records the wall time, the boot id and
// whether the clock was trusted (NTP-synced and not earlier than a persisted
// floor that only trusted time advances).
//
// Errors are sentinels in errors.go: refusals (ErrInsufficientPoints, ...)
// are answers for the screen; ErrBusy and ErrDiskFull are transient;
// ErrCorrupt and ErrNotDatabase mean a technician is needed.
//
// With a district hub (see hubsync): Enroll and Enrollment keep the hub's
// key and address; registry changes made here go to an outbox (Changes) in
// the transaction that makes them; RecordPush records what the hub
// acknowledged, ApplyPull applies the hub's registry and signed balances in
// one transaction; RestoreFromHub rebuilds a dead kiosk's ledger.
//
// For technicians: Verify, Status, Backup, ExportEntries and ExportShifts.
// For seeding demo data and benchmarks: Batch, the same operations in one
// transaction. For tests: package ledgertest opens real ledgers in a
// temporary directory with a fake clock.
package ledger

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/internal/atomicfile"
	"github.com/hongmajia/hongmajia/record"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// FileName is the ledger's file inside a data directory.
const FileName = "ledger.db"

// Options configure Open and Create. The zero value is the real thing:
// system clock, kernel NTP status, kernel boot id, China Standard Time.
type Options struct {
	Clock  clock.Clock      // default clock.Real{}
	Sync   clock.SyncSource // NTP status; default clock.KernelSync{}
	BootID clock.BootID     // default clock.KernelBootID
	// Location is the center's time zone: days, months and schedules are in it.
	// Default UTC+8 (China Standard Time; no tzdata needed).
	Location *time.Location
	// PIN sets the cost of new PIN hashes; default DefaultPINParams. Tests use
	// cheaper ones. Stored hashes keep the parameters they were made with.
	PIN PINParams
	// BusyTimeout is how long a write waits for another process's lock.
	// Default 5 s.
	BusyTimeout time.Duration
	// MaxSize caps the database file in bytes: a write that would grow it
	// further fails with ErrDiskFull, as on a full disk, and writes nothing.
	// Zero: no cap but the disk's.
	MaxSize int64
	// Boot reads the time since boot, in which PIN locks are counted;
	// default Clock when it is a clock.BootClock (clock.Fake is), else
	// clock.Real{}.
	Boot clock.BootClock
	// ReadOnly opens the ledger for reading only (SQLite mode=ro): no WAL
	// switch, no migration, no write, so a technician's look (status,
	// export, verify) never changes the file. Writes fail with ErrReadOnly.
	// A ledger of an older schema is read as it is.
	ReadOnly bool
	// Checkpoint tunes when the WAL is copied into the database file (see
	// CheckpointOptions); the zero value is the default.
	Checkpoint CheckpointOptions
	// Logger gets what goes wrong off any caller's path (a failed background
	// checkpoint). Default slog.Default().
	Logger *slog.Logger
	// Check says how Open checks the file's integrity: by default a start
	// check bounded in size, then the full check in the background
	// (CheckStartThenAll; see CheckMode).
	Check CheckMode
}

// China Standard Time, used unless Options.Location says otherwise.
var chinaStandardTime = time.FixedZone("CST", 8*3600)

func (o Options) withDefaults() Options {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Sync == nil {
		o.Sync = clock.KernelSync{}
	}
	if o.BootID == nil {
		o.BootID = clock.KernelBootID
	}
	if o.Location == nil {
		o.Location = chinaStandardTime
	}
	if o.PIN == (PINParams{}) {
		o.PIN = DefaultPINParams
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Boot == nil {
		o.Boot = clock.Real{}
		if b, ok := o.Clock.(clock.BootClock); ok {
			o.Boot = b
		}
	}
	return o
}

// Terminal says which terminal a ledger belongs to and which center it serves.
type Terminal struct {
	// ID is made at creation (16 random hex digits) unless given.
	ID string
	// Center is the center's id; stock and pickup codes are per center.
	Center string
	// CenterName is shown on the idle screen, e.g. "和平里街道党群服务中心".
	CenterName string
}

// Ledger is an open data directory. It is safe for concurrent use; writes are
// serialised.
type Ledger struct {
	path string
	opts Options
	w    *sql.DB // the single writer connection; BEGIN IMMEDIATE
	r    *sql.DB // readers; WAL lets them run beside the writer
	term Terminal
	boot string
	// termN and bootN number the terminal and the boot in terminals and
	// boots, for the entries this ledger writes (loadChainRows); 0: not
	// known.
	termN, bootN int64
	// schema is the file's schema version: schemaVersion once migrated; a
	// read-only look at an older file keeps the file's.
	schema int
	// lay is the file as a read-only ledger found it when it reads it as
	// it lies (readAsItLies), nil otherwise: see unchangedSinceOpen.
	lay *fileStamp

	mu     sync.Mutex // serialises writes; guards the fields below
	closed bool
	// stale: a COMMIT or ROLLBACK failed, so what was written is unknown;
	// the next write reads the head again first.
	stale  bool
	head   chainHead
	floor  time.Time     // never-earlier-than floor for trusted time
	saved  time.Time     // floor as last persisted
	wc     *sql.Conn     // the writer connection, held for the ledger's life
	wq     cachedQ       // statements on wc
	rcache *stmtCache    // statements on the reader pool
	ck     *checkpointer // nil when read-only

	check fullCheckState // the full integrity check and its verdict
}

type chainHead struct {
	seq  uint64
	hash record.Hash
}

// Path returns the database file's path.
func (l *Ledger) Path() string { return l.path }

// Terminal returns the terminal's identity.
func (l *Ledger) Terminal() Terminal { return l.term }

// Location returns the center's time zone.
func (l *Ledger) Location() *time.Location { return l.opts.Location }

func dsn(path string, busy time.Duration, write bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busy.Milliseconds(), 10)+")")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)")
	// 16 MiB of page cache: a tap touches a dozen B-tree paths, and each
	// read that misses is a syscall.
	q.Add("_pragma", "cache_size(-16384)")
	// Savepoint journals in memory, not a temp file per batch operation.
	q.Add("_pragma", "temp_store(MEMORY)")
	if write {
		q.Set("_txlock", "immediate")
	}
	return fileURI(path) + "?" + q.Encode()
}

// fileURI is path as an SQLite URI filename: '%', '?' and '#' escaped,
// which SQLite would otherwise read as an escape, the query and a fragment
// (a data directory "kiosk#2" would open "kiosk").
func fileURI(path string) string {
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(path)
}

// Create makes a new ledger in dir (made if missing) for the terminal t, and
// opens it. It refuses when dir already holds one (ErrExists).
func Create(ctx context.Context, dir string, t Terminal, opts Options) (*Ledger, error) {
	path := filepath.Join(dir, FileName)
	if t.Center == "" {
		return nil, fmt.Errorf("create ledger: no center: %w", ErrInvalid)
	}
	if t.ID == "" {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("create ledger: %w", err)
		}
		t.ID = strings.ToUpper(hex.EncodeToString(b[:]))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create ledger: %w", err)
	}
	// O_EXCL: two processes creating at once, or a file already there, never
	// both win and never overwrite.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("create ledger: %s: %w", path, ErrExists)
	}
	if err != nil {
		return nil, fmt.Errorf("create ledger: %w", err)
	}
	f.Close()
	opts = opts.withDefaults()
	db, err := sql.Open("sqlite", dsn(path, opts.BusyTimeout, true))
	if err != nil {
		return nil, fmt.Errorf("create ledger: %w", err)
	}
	err = func() error {
		if _, err := db.ExecContext(ctx, "PRAGMA journal_mode=WAL"); err != nil {
			return storageErr(err)
		}
		if err := migrate(ctx, db); err != nil {
			return err
		}
		now := opts.Clock.Now()
		_, err := db.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES
			('terminal', ?), ('center', ?), ('center_name', ?), ('created_at', ?)`,
			t.ID, t.Center, t.CenterName, strconv.FormatInt(now.UnixNano(), 10))
		return storageErr(err)
	}()
	db.Close()
	if err != nil {
		// The file is ours (O_EXCL) and holds nothing yet: remove it so a
		// second try is not refused with ErrExists.
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			os.Remove(p)
		}
		return nil, fmt.Errorf("create ledger: %w", err)
	}
	if err := atomicfile.SyncDir(dir); err != nil {
		return nil, fmt.Errorf("create ledger: %w", err)
	}
	return Open(ctx, dir, opts)
}

// Open opens the ledger in dir. It checks the file's integrity first (the
// start check, and the full check as Options.Check says) and returns a
// *FileError wrapping ErrNotDatabase or ErrCorrupt when the check fails; the
// file is not written to in that case. By default the full check goes on in
// the background: see Fault, Checked and LastFullCheck.
func Open(ctx context.Context, dir string, opts Options) (*Ledger, error) {
	opts = opts.withDefaults()
	path := filepath.Join(dir, FileName)
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("open ledger: %s: %w", path, ErrNoLedger)
	}
	if err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	if err := checkHeader(path, st.Size()); err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	// Check that the file is a ledger, and its integrity, on read-only
	// connections before anything can write.
	if err := checkIdentity(ctx, path); err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	if err := startCheck(ctx, path); err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	l := &Ledger{path: path, opts: opts}
	l.check.done = make(chan struct{})
	l.check.faulted = make(chan struct{})
	if opts.Check == CheckAll {
		sw := clock.StartStopwatch()
		c := FullCheck{At: opts.Clock.Now().In(opts.Location)}
		err := integrityCheck(ctx, path)
		if err != nil {
			return nil, fmt.Errorf("open ledger: %w", err)
		}
		c.Took = sw.Elapsed()
		l.check.last = c
	}
	if opts.ReadOnly || opts.Check != CheckStartThenAll {
		close(l.check.done)
	}
	if opts.ReadOnly {
		if err := l.openReadOnly(ctx); err != nil {
			return nil, fmt.Errorf("open ledger: %s: %w", path, err)
		}
		return l, nil
	}
	if l.boot, err = opts.BootID(); err != nil {
		l.boot = "" // an unknown boot is recorded as such, not fatal
	}
	if l.w, err = sql.Open("sqlite", dsn(path, opts.BusyTimeout, true)); err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	l.w.SetMaxOpenConns(1)
	l.w.SetMaxIdleConns(1)
	l.w.SetConnMaxLifetime(0)
	if l.r, err = sql.Open("sqlite", dsn(path, opts.BusyTimeout, false)); err != nil {
		l.w.Close()
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	l.r.SetMaxOpenConns(4)
	if err := l.init(ctx); err != nil {
		l.w.Close()
		l.r.Close()
		return nil, fmt.Errorf("open ledger: %s: %w", path, err)
	}
	if opts.Check == CheckStartThenAll {
		l.startFullCheck()
	}
	return l, nil
}

// sqliteHeader starts every SQLite 3 database file.
const sqliteHeader = "SQLite format 3\x00"

// checkHeader refuses a non-empty file that does not start as a database,
// before SQLite is asked to open it.
func checkHeader(path string, size int64) error {
	if size == 0 {
		return &FileError{Path: path, Err: ErrNotDatabase, Detail: "empty file"}
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	b := make([]byte, len(sqliteHeader))
	if n, _ := f.ReadAt(b, 0); n < len(b) || string(b) != sqliteHeader {
		return &FileError{Path: path, Err: ErrNotDatabase, Detail: "no SQLite header"}
	}
	return nil
}

// integrityCheck runs PRAGMA integrity_check on a read-only connection.
func integrityCheck(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", fileURI(path)+"?"+readOnlyQuery(path))
	if err != nil {
		return err
	}
	defer db.Close()
	problems, err := integrityProblems(ctx, db)
	if err != nil {
		mapped := storageErr(err)
		switch {
		case errors.Is(mapped, ErrNotDatabase):
			return &FileError{Path: path, Err: ErrNotDatabase, Detail: err.Error()}
		case errors.Is(mapped, ErrCorrupt):
			return &FileError{Path: path, Err: ErrCorrupt, Detail: err.Error()}
		}
		return mapped
	}
	if len(problems) > 0 {
		return &FileError{Path: path, Err: ErrCorrupt, Detail: problemSummary(problems)}
	}
	return nil
}

// integrityProblems returns integrity_check's complaints; none means ok.
func integrityProblems(ctx context.Context, q querier) ([]string, error) {
	return checkProblems(ctx, q, "integrity_check")
}

// checkProblems runs PRAGMA integrity_check or quick_check.
func checkProblems(ctx context.Context, q querier, pragma string) ([]string, error) {
	rows, err := q.QueryContext(ctx, "PRAGMA "+pragma)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	return problems, rows.Err()
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (l *Ledger) init(ctx context.Context) error {
	var mode string
	if err := l.w.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); err != nil {
		return storageErr(err)
	}
	if err := migrate(ctx, l.w); err != nil {
		return err
	}
	l.schema = schemaVersion
	meta, err := readMeta(ctx, l.w)
	if err != nil {
		return err
	}
	l.term = Terminal{ID: meta["terminal"], Center: meta["center"], CenterName: meta["center_name"]}
	if l.term.ID == "" || l.term.Center == "" {
		return fmt.Errorf("no terminal identity in meta: %w", ErrCorrupt)
	}
	if err := l.loadHead(ctx, l.w); err != nil {
		return err
	}
	l.loadChainRows(ctx)
	if l.wc, err = l.w.Conn(ctx); err != nil {
		return storageErr(err)
	}
	if l.opts.MaxSize > 0 {
		var pageSize, got int64
		if err := l.wc.QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize); err != nil {
			return storageErr(err)
		}
		pages := max(1, l.opts.MaxSize/pageSize)
		if err := l.wc.QueryRowContext(ctx, "PRAGMA max_page_count = "+strconv.FormatInt(pages, 10)).Scan(&got); err != nil {
			return storageErr(err)
		}
	}
	// The ledger checkpoints by itself, off the taps' path (checkpoint.go).
	ckpt := l.opts.Checkpoint.withDefaults()
	if _, err := l.wc.ExecContext(ctx, "PRAGMA wal_autocheckpoint = 0"); err != nil {
		return storageErr(err)
	}
	var limit int64
	if err := l.wc.QueryRowContext(ctx, "PRAGMA journal_size_limit = "+strconv.FormatInt(ckpt.MaxWAL, 10)).Scan(&limit); err != nil {
		return storageErr(err)
	}
	l.wq = cachedQ{c: newStmtCache(l.wc.PrepareContext), direct: l.wc}
	l.rcache = newStmtCache(l.r.PrepareContext)
	if l.ck, err = newCheckpointer(ctx, l); err != nil {
		return err
	}
	return nil
}

// loadChainRows writes the rows of terminals and boots naming this
// terminal and boot, if they are not there yet, and keeps their numbers
// for the entries it writes. If it cannot (a full disk), the numbers stay
// 0 and each entry is written through the view entries, whose trigger adds
// the rows.
func (l *Ledger) loadChainRows(ctx context.Context) {
	tx, err := l.w.BeginTx(ctx, nil)
	if err != nil {
		return
	}
	defer tx.Rollback()
	var termN, bootN int64
	if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO terminals(id) VALUES (?)", l.term.ID); err != nil {
		return
	}
	if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO boots(id) VALUES (?)", l.boot); err != nil {
		return
	}
	if err := tx.QueryRowContext(ctx, "SELECT (SELECT n FROM terminals WHERE id = ?), (SELECT n FROM boots WHERE id = ?)", l.term.ID, l.boot).Scan(&termN, &bootN); err != nil {
		return
	}
	if tx.Commit() == nil {
		l.termN, l.bootN = termN, bootN
	}
}

// loadHead reads the chain head and the persisted clock floor, at open and
// again after a write whose outcome is unknown (a COMMIT or ROLLBACK that
// failed): the database, not the memory, says where the chain ends.
func (l *Ledger) loadHead(ctx context.Context, q querier) error {
	var head chainHead
	var seq sql.NullInt64
	var hash []byte
	err := q.QueryRowContext(ctx, "SELECT seq, hash FROM entries WHERE terminal = ? ORDER BY seq DESC LIMIT 1", l.term.ID).Scan(&seq, &hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return storageErr(err)
	}
	if seq.Valid {
		head.seq = uint64(seq.Int64)
		copy(head.hash[:], hash)
	}
	var floor string
	err = q.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'clock_floor'").Scan(&floor)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return storageErr(err)
	}
	l.head = head
	if n, _ := strconv.ParseInt(floor, 10, 64); n != 0 {
		l.saved = time.Unix(0, n)
		if l.saved.After(l.floor) {
			l.floor = l.saved
		}
	}
	return nil
}

func readMeta(ctx context.Context, q querier) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, "SELECT key, value FROM meta")
	if err != nil {
		return nil, storageErr(err)
	}
	defer rows.Close()
	m := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, storageErr(err)
		}
		m[k] = v
	}
	return m, storageErr(rows.Err())
}

// Close closes the database. Writes in flight finish first. Closing a nil
// or closed Ledger does nothing.
func (l *Ledger) Close() error {
	if l == nil {
		return nil
	}
	// The background check first: it may wait for l.mu to record its end,
	// and its read transaction would hold the final checkpoint back.
	if l.check.cancel != nil {
		l.check.cancel()
	}
	l.check.wg.Wait()
	// Then the checkpointer, which may wait for l.mu: it stops, and
	// checkpoints the WAL into the file once more.
	var err error
	if l.ck != nil {
		err = l.ck.close()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if l.rcache != nil {
		l.rcache.close()
	}
	if l.wc != nil {
		l.wq.c.close()
		err = errors.Join(err, l.wc.Close())
	}
	err = errors.Join(err, l.r.Close())
	if l.w != nil {
		err = errors.Join(err, l.w.Close())
	}
	if err != nil {
		return fmt.Errorf("close ledger: %w", err)
	}
	return nil
}

// Statements a tap runs, on the writer connection.
const (
	sqlFindRequest = "SELECT op, result FROM requests WHERE id = ?"
	sqlSaveRequest = "INSERT INTO requests(id, op, result) VALUES (?, ?, ?)"
	sqlInsertEntry = `INSERT INTO entries(terminal, seq, id, kind, center, person, card, minutes, points, stock,
		activity, shift, item, reverses, other_card, operator, reason, at, boot, trusted, prev, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// sqlInsertEntryRow is a tap's entry written straight to entry_rows,
	// its terminal and boot by their numbers (Ledger.termN, bootN), prev
	// NULL where it is the hash of the entry before (every entry but a
	// chain's first). Through the view's trigger, which looks the numbers
	// and the entry before up, the insert took 2 to 3 times as long.
	sqlInsertEntryRow = `INSERT INTO entry_rows(terminal_n, seq, id, kind, center, person, card, minutes, points, stock,
		activity, shift, item, reverses, other_card, operator, reason, at, boot_n, trusted, prev, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlAddBalance = "UPDATE balances SET points = points + ?, minutes = minutes + ? WHERE person = ?"
	// Not an upsert: SQLite checks qty >= 0 on the row to insert before it
	// sees the conflict.
	sqlAddStock = "UPDATE stock SET qty = qty + ? WHERE center = ? AND item = ?"
	sqlNewStock = "INSERT INTO stock(center, item, qty) VALUES (?, ?, ?)"
)

// wtx is one write transaction: its time, its trust, and the chain head it
// extends. Ops run against it; append is the only way to write an entry.
type wtx struct {
	l       *Ledger
	ctx     context.Context
	q       cachedQ // the writer connection, inside BEGIN IMMEDIATE
	now     time.Time
	trusted bool
	head    chainHead
	floor   time.Time
	// batch: run each operation in a savepoint so a refusal undoes only
	// itself; a single operation's transaction just rolls back.
	batch bool
}

func (t *wtx) exec(query string, args ...any) (sql.Result, error) {
	return t.q.ExecContext(t.ctx, query, args...)
}

func (t *wtx) query(query string, args ...any) (*sql.Rows, error) {
	return t.q.QueryContext(t.ctx, query, args...)
}

func (t *wtx) queryRow(query string, args ...any) *sql.Row {
	return t.q.QueryRowContext(t.ctx, query, args...)
}

// rollback abandons the transaction. SQLite may have rolled back already
// (after SQLITE_FULL, for one), and then ROLLBACK fails; as any failed
// ROLLBACK leaves the outcome in doubt, the head is read again before the
// next write.
// It ignores the caller's context: a cancelled request must still end its
// transaction, or the connection would stay inside it.
func (t *wtx) rollback() {
	if _, err := t.q.ExecContext(context.WithoutCancel(t.ctx), "ROLLBACK"); err != nil {
		t.l.stale = true
	}
}

// tick reads the clock for the next operation and decides whether to trust it.
func (t *wtx) tick() {
	t.now = t.l.opts.Clock.Now()
	t.trusted = t.l.opts.Sync.Synced() && !t.now.Before(t.floor)
	if t.trusted && t.now.After(t.floor) {
		t.floor = t.now
	}
}

// nullID stores a zero id as NULL, so unique indexes ignore it.
func nullID(id record.EntryID) any {
	if id.IsZero() {
		return nil
	}
	return id[:]
}

func nullPerson(p record.PersonID) any {
	if p == 0 {
		return nil
	}
	return int64(p)
}

// append chains e after the terminal's last entry and writes it with the
// balance and stock it changes. It fills Terminal, Center, Seq, At, Boot,
// Trusted, Prev and Hash.
func (t *wtx) append(e *record.Entry) error {
	if e.ID.IsZero() {
		return ErrNoRequestID
	}
	e.Terminal = t.l.term.ID
	e.Center = t.l.term.Center
	e.Seq = t.head.seq + 1
	e.Prev = t.head.hash
	e.At = t.now
	e.Boot = t.l.boot
	e.Trusted = t.trusted
	h, err := e.ComputeHash()
	if err != nil {
		return err
	}
	e.Hash = h
	if t.l.termN != 0 && t.l.bootN != 0 {
		var prev []byte // the head's hash: the entry before is the head
		if t.head.seq == 0 {
			prev = e.Prev[:]
		}
		_, err = t.exec(sqlInsertEntryRow,
			t.l.termN, int64(e.Seq), e.ID[:], int(e.Kind), e.Center, nullPerson(e.Person), string(e.Card),
			e.Minutes, e.Points, e.Stock, int64(e.Activity), nullID(e.Shift), int64(e.Item), nullID(e.Reverses),
			string(e.OtherCard), string(e.Operator), e.Reason, e.At.UnixNano(), t.l.bootN, e.Trusted, prev, e.Hash[:])
	} else {
		_, err = t.exec(sqlInsertEntry,
			e.Terminal, int64(e.Seq), e.ID[:], int(e.Kind), e.Center, nullPerson(e.Person), string(e.Card),
			e.Minutes, e.Points, e.Stock, int64(e.Activity), nullID(e.Shift), int64(e.Item), nullID(e.Reverses),
			string(e.OtherCard), string(e.Operator), e.Reason, e.At.UnixNano(), e.Boot, e.Trusted, e.Prev[:], e.Hash[:])
	}
	if err != nil {
		return fmt.Errorf("append entry: %w", err)
	}
	if e.Person != 0 && (e.Points != 0 || e.Minutes != 0) {
		res, err := t.exec(sqlAddBalance, e.Points, e.Minutes, int64(e.Person))
		if err != nil {
			return fmt.Errorf("update balance: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			// A person merged at the hub has no balance of their own: an
			// entry for them (their shift opened before the merge) counts
			// for the person they became.
			var to int64
			if err := t.queryRow("SELECT to_person FROM aliases WHERE from_person = ?", int64(e.Person)).Scan(&to); err == nil {
				res, err = t.exec(sqlAddBalance, e.Points, e.Minutes, to)
				if err != nil {
					return fmt.Errorf("update balance: %w", err)
				}
				n, _ = res.RowsAffected()
			}
			if n != 1 {
				return fmt.Errorf("update balance of person %d: %w", e.Person, ErrNotFound)
			}
		}
	}
	if e.Stock != 0 {
		res, err := t.exec(sqlAddStock, e.Stock, e.Center, int64(e.Item))
		if err != nil {
			return fmt.Errorf("update stock: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := t.exec(sqlNewStock, e.Center, int64(e.Item), e.Stock); err != nil {
				return fmt.Errorf("update stock: %w", err)
			}
		}
	}
	t.head = chainHead{seq: e.Seq, hash: e.Hash}
	return nil
}

// begin starts a write transaction. The caller holds l.mu.
func (l *Ledger) begin(ctx context.Context) (*wtx, error) {
	if l.closed {
		return nil, ErrClosed
	}
	if l.w == nil {
		return nil, ErrReadOnly
	}
	if err := l.Fault(); err != nil {
		return nil, err
	}
	t := &wtx{l: l, ctx: ctx, q: l.wq}
	if _, err := t.exec("BEGIN IMMEDIATE"); err != nil {
		// The driver reports a context that ended while the BEGIN ran as
		// its failure even when the BEGIN took effect: end it, or the
		// writer stays inside it and every later write fails. With no
		// transaction open the ROLLBACK fails, harmlessly.
		_, _ = t.q.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return nil, storageErr(err)
	}
	if l.stale {
		if err := l.loadHead(ctx, t.q); err != nil {
			t.rollback()
			return nil, err
		}
		l.stale = false
	}
	t.head, t.floor = l.head, l.floor
	return t, nil
}

// floorPersistStep: the floor is written when it has moved this far, so a
// tap does not pay an extra row write; a floor a minute low is still safe.
const floorPersistStep = time.Minute

// commit persists the floor if it moved and commits; only then does the
// ledger adopt the transaction's chain head.
func (t *wtx) commit() error {
	l := t.l
	if t.floor.Sub(l.saved) >= floorPersistStep {
		_, err := t.exec("INSERT INTO meta(key, value) VALUES ('clock_floor', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
			strconv.FormatInt(t.floor.UnixNano(), 10))
		if err != nil {
			t.rollback()
			return storageErr(err)
		}
	}
	// Never cancelled: a COMMIT interrupted after it reached the disk
	// would be reported as failed while the entries stand.
	if _, err := t.q.ExecContext(context.WithoutCancel(t.ctx), "COMMIT"); err != nil {
		t.rollback()
		l.stale = true
		return storageErr(err)
	}
	if t.floor.Sub(l.saved) >= floorPersistStep {
		l.saved = t.floor
	}
	l.head = t.head
	l.floor = t.floor
	l.ck.committed()
	return nil
}

// run does one idempotent operation inside t: a request id seen before
// returns its stored result (or ErrIDReused for another op); otherwise fn
// runs (inside a savepoint in a batch), and its result is stored under the
// id. A refusal leaves nothing behind once the caller rolls back (do) or the
// savepoint is undone (Batch), so the same id may be tried again later.
func run[R any](t *wtx, op string, id record.EntryID, fn func(t *wtx) (R, error)) (R, error) {
	var zero R
	if id.IsZero() {
		return zero, ErrNoRequestID
	}
	var stored string
	var blob []byte
	err := t.queryRow(sqlFindRequest, id[:]).Scan(&stored, &blob)
	switch {
	case err == nil:
		if stored != op {
			return zero, fmt.Errorf("%s %s: was %s: %w", op, id, stored, ErrIDReused)
		}
		var r R
		if err := json.Unmarshal(blob, &r); err != nil {
			return zero, fmt.Errorf("%s %s: stored result: %v: %w", op, id, err, ErrCorrupt)
		}
		if err := expandResult(t, &r); err != nil {
			return zero, fmt.Errorf("%s %s: %w", op, id, err)
		}
		return r, nil
	case !errors.Is(err, sql.ErrNoRows):
		return zero, storageErr(err)
	}
	if t.batch {
		if _, err := t.exec("SAVEPOINT op"); err != nil {
			return zero, storageErr(err)
		}
	}
	head, floor := t.head, t.floor
	t.tick()
	r, err := fn(t)
	if err == nil {
		blob, err = json.Marshal(compactResult(r))
		if err == nil {
			err = t.saveRequest(id, op, blob)
		}
	}
	if err != nil {
		t.head, t.floor = head, floor
		if t.batch {
			if _, rerr := t.exec("ROLLBACK TO op"); rerr != nil {
				return zero, errors.Join(storageErr(err), storageErr(rerr))
			}
			_, _ = t.exec("RELEASE op")
		}
		return zero, storageErr(err)
	}
	if t.batch {
		if _, err := t.exec("RELEASE op"); err != nil {
			return zero, storageErr(err)
		}
	}
	return r, nil
}

// do runs one idempotent operation in its own transaction.
func do[R any](l *Ledger, ctx context.Context, op string, id record.EntryID, fn func(t *wtx) (R, error)) (R, error) {
	var zero R
	l.mu.Lock()
	defer l.mu.Unlock()
	t, err := l.begin(ctx)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", op, err)
	}
	r, err := run(t, op, id, fn)
	if err != nil {
		t.rollback()
		return zero, fmt.Errorf("%s: %w", op, err)
	}
	if err := t.commit(); err != nil {
		return zero, fmt.Errorf("%s: %w", op, err)
	}
	return r, nil
}
