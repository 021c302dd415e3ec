// Package pgstore is the hub's store in PostgreSQL, for a city or a
// province that runs one hub for hundreds of kiosks on a database server it
// already operates (github.com/jackc/pgx/v5, a pool of connections). It
// implements hub.Store as hub/sqlitestore does, with the same schema
// versioning and the same errors, and passes the same contract tests
// (hub/storetest); the embedded SQLite store stays the hub's default.
//
// Several hub processes may share one database behind a load balancer:
// what is stored once is decided by the database, never by a process's
// memory. An Update is one SERIALIZABLE transaction, run again (a bounded
// number of times, with a growing, jittered pause) when PostgreSQL reports
// a serialization failure (SQLSTATE 40001) or a deadlock (40P01): the
// contract says fn has no effect outside its transaction. A View is one
// REPEATABLE READ READ ONLY transaction: one snapshot. An entry is stored
// at most once by the primary key (terminal, seq) and the unique entry id
// (INSERT … ON CONFLICT DO NOTHING); a second process storing the same
// entry at once waits for the first and then fails to serialize, and its
// retry finds the entry there.
//
// # Versions and the order of commits
//
// The pull rests on "Since(v) returns exactly the rows changed after v":
// a kiosk that pulled at v never asks for a row of version v or below
// again. A PostgreSQL SEQUENCE is not that: it is outside transactions, so
// Update A may take version 5, Update B version 6, B commit, a pull see 6
// and hand it to a kiosk, and only then A commit its rows at version 5,
// which that kiosk never pulls. SERIALIZABLE does not help: the sequence
// is no read or write PostgreSQL checks for conflicts, and a View (or a
// read-only transaction the serial order may put before A) sees B without
// A. So the registry's version is a row of the table counters, locked
// (SELECT … FOR UPDATE) by the first NextVersion of an Update and written
// when it commits: an Update that takes a version waits for one that holds
// it, and the versions commit in the order they were taken. A version an
// Update took and rolled back is taken again by the next, as the contract
// allows. Updates that take a version or store an entry (every push) are
// serialized by it; the others (the web's sessions, flags) still run beside
// each other. An Update that lost at the row runs again queued behind it
// (see Store.Update), so a night of contended pushes costs each one run
// more, not a run of failures.
//
// The same holds of every number the hub reads as "what was stored since":
// the entries' store order (TallyMark.Entries, EntriesAfter: the
// dashboard's cache would miss an entry numbered below its mark but
// committed after it), and the ids of the audit log, the register of
// certificates and the history of restocks ("an id above every id
// before it"). Each is a counter row taken the same way; an entry's number
// and the registry version are one row (a push takes both, in one order,
// so two pushes never deadlock on them).
//
// # Types
//
// The columns are those of the SQLite store: integers bigint, blobs bytea,
// times bigint Unix nanoseconds (0 the zero time) as sqlitestore keeps
// them, text text — COLLATE "C", so names order by their bytes as in
// SQLite — and the flags SQLite keeps as 0 and 1 boolean. A text cannot
// hold a NUL byte or invalid UTF-8 in PostgreSQL; the hub's text is UTF-8
// it checked. A unique violation (SQLSTATE 23505) is hub.ErrExists, no
// row hub.ErrNotFound; after a failed write PostgreSQL aborts the
// transaction, which the hub never goes on with.
//
// # Connecting
//
// Open takes a libpq connection string or URL (postgres://user@host/db?
// sslmode=verify-full, or "host=… dbname=…"). Keep the password out of it:
// pgx reads PGPASSWORD, or the passfile (PGPASSFILE, ~/.pgpass); a
// password given in the string never appears in an error of this package.
// The tables are made in the connection's current schema (public, or the
// first of search_path: ?search_path=hub for a schema of its own).
//
// A pool holds PoolSize connections (16 when 0). A push holds one for its
// Update, a pull or a page of the dashboard for its View; a city's hub
// process with a few hundred kiosks syncing at night needs 10 to 20, and
// the server's max_connections must hold every process's pool plus its
// own tools: four hubd processes of 16 fit the default 100.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultPoolSize is the pool's size when Options.PoolSize is 0.
const DefaultPoolSize = 16

// DefaultRetries is how many times an Update runs again after a
// serialization failure when Options.Retries is 0. A retry waits for the
// registry before it begins (Store.Update): a push needs one; the others
// are PostgreSQL's false conflicts (its predicate locks cover a page or a
// table once a transaction has read many rows).
const DefaultRetries = 10

// Options configure a Store.
type Options struct {
	// PoolSize is the most connections the store opens (DefaultPoolSize
	// when 0).
	PoolSize int
	// Retries is how many times an Update that failed to serialize runs
	// again before Update returns the failure (DefaultRetries when 0).
	Retries int
}

// Store is the hub's PostgreSQL store.
type Store struct {
	pool    *pgxpool.Pool
	retries int
	secret  []string // what a message must not show: the password as given
	// turn is held by this process's Update in turn (UpdateInTurn).
	turn chan struct{}
}

var (
	_ hub.Store  = (*Store)(nil)
	_ hub.InTurn = (*Store)(nil)
)

// lockKey is the advisory lock two hub processes starting at once take
// around their migrations ("HMJH").
const lockKey = 0x484D4A48

// registryKey is the advisory lock of the counters row 'registry': an
// Update takes it (for its transaction) before it locks the row, and an
// Update run again after a serialization failure takes it (for its
// session) before its transaction begins. See Update.
const registryKey = lockKey + 1

// application marks the database as a hub's (hub_schema.application).
const application = "hongmajia hub"

// Open connects to the database of connString, making the hub's tables on
// first use and bringing their schema up to date.
func Open(ctx context.Context, connString string, opts Options) (*Store, error) {
	secret := secrets(connString)
	fail := func(err error) error { return redact(fmt.Errorf("pgstore: %w", err), secret) }
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, fail(err)
	}
	if cfg.ConnConfig.Password != "" {
		secret = append(secret, cfg.ConnConfig.Password)
	}
	if opts.PoolSize <= 0 {
		opts.PoolSize = DefaultPoolSize
	}
	if opts.Retries <= 0 {
		opts.Retries = DefaultRetries
	}
	cfg.MaxConns = int32(opts.PoolSize)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fail(err)
	}
	s := &Store{pool: pool, retries: opts.Retries, secret: secret, turn: make(chan struct{}, 1)}
	if err := s.init(ctx); err != nil {
		pool.Close()
		return nil, fail(err)
	}
	return s, nil
}

// secrets are the password of connString as it may appear in a message:
// as given and URL-escaped.
func secrets(connString string) []string {
	var out []string
	if u, err := url.Parse(connString); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			out = append(out, pw, url.QueryEscape(pw), url.PathEscape(pw))
		}
	}
	for _, f := range strings.Fields(connString) {
		if v, ok := strings.CutPrefix(f, "password="); ok && v != "" {
			out = append(out, v, strings.Trim(v, "'"))
		}
	}
	return out
}

// redactedError is err with every secret replaced in its message; it
// unwraps to err (errors.Is and As still see a *pgconn.PgError).
type redactedError struct {
	err error
	msg string
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact hides the secrets in err's message.
func redact(err error, secret []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	changed := false
	for _, s := range secret {
		if len(s) >= 2 && strings.Contains(msg, s) {
			msg, changed = strings.ReplaceAll(msg, s, "xxxxx"), true
		}
	}
	if !changed {
		return err
	}
	return &redactedError{err: err, msg: msg}
}

// init checks the database is a hub's (or empty) and migrates it, holding
// the advisory lock: a second process starting at once waits, then finds
// the schema up to date.
func (s *Store) init(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(lockKey)); err != nil {
		return fmt.Errorf("lock for migrations: %w", err)
	}
	defer func() {
		// A lost connection released it already.
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(lockKey))
	}()
	return migrate(ctx, conn.Conn(), len(migrations))
}

// schemaVersion is the database's schema version: 0 and no error for an
// empty schema, an error for another program's tables.
func schemaVersion(ctx context.Context, c *pgx.Conn) (int, error) {
	var marked bool
	if err := c.QueryRow(ctx, "SELECT to_regclass('hub_schema') IS NOT NULL").Scan(&marked); err != nil {
		return 0, err
	}
	if !marked {
		var n int
		if err := c.QueryRow(ctx, "SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'v', 'p', 'S')").Scan(&n); err != nil {
			return 0, err
		}
		if n > 0 {
			return 0, errors.New("not a hub's database (tables, but no hub mark)")
		}
		return 0, nil
	}
	var app string
	var v int
	if err := c.QueryRow(ctx, "SELECT application, version FROM hub_schema WHERE id = 1").Scan(&app, &v); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	if app != application {
		return 0, fmt.Errorf("not a hub's database (application %q)", app)
	}
	return v, nil
}

// migrate runs the migrations from the database's version up to target,
// each in its own transaction with its version bump. The caller holds the
// advisory lock.
func migrate(ctx context.Context, c *pgx.Conn, target int) error {
	v, err := schemaVersion(ctx, c)
	if err != nil {
		return err
	}
	if v > len(migrations) {
		return fmt.Errorf("schema version %d, this program knows %d: a newer hubd wrote it", v, len(migrations))
	}
	for ; v < target; v++ {
		err := pgx.BeginFunc(ctx, c, func(t pgx.Tx) error {
			if v == 0 {
				if _, err := t.Exec(ctx, `CREATE TABLE hub_schema (
					id          integer PRIMARY KEY CHECK (id = 1),
					application text NOT NULL,
					version     integer NOT NULL)`); err != nil {
					return err
				}
				if _, err := t.Exec(ctx, "INSERT INTO hub_schema(id, application, version) VALUES (1, $1, 0)", application); err != nil {
					return err
				}
			}
			if _, err := t.Exec(ctx, migrations[v]); err != nil {
				return err
			}
			_, err := t.Exec(ctx, "UPDATE hub_schema SET version = $1 WHERE id = 1", v+1)
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate to %d: %w", v+1, err)
		}
	}
	return nil
}

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// View runs fn in a REPEATABLE READ READ ONLY transaction: one snapshot.
func (s *Store) View(ctx context.Context, fn func(hub.Reader) error) error {
	t, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return redact(fmt.Errorf("pgstore: view: %w", err), s.secret)
	}
	defer t.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a read transaction has nothing to keep
	return fn(&tx{ctx: ctx, q: t})
}

// Update runs fn in a SERIALIZABLE transaction, again when it fails to
// serialize (at most Options.Retries times, pausing 1 ms, 2 ms, 4 ms … up
// to 100 ms, each by a random part of it so the losers do not meet again).
//
// Updates that take a version or store an entry (every push) wait for
// each other at the counters row, and the one that waited fails to
// serialize: its snapshot is older than the row. Run again the same way,
// it could lose again to the next push, and a night's pushes of hundreds of
// kiosks would run out of tries. So a retry first waits for the registry
// (the advisory lock registryKey, on its connection) and only then begins
// its transaction: its snapshot is after every Update holding it, and
// no other can take it until it commits. Pushes that collide run twice,
// the second one after the other, as on SQLite's one writer (a third run
// only for PostgreSQL's own false conflicts, which its coarse conflict
// tracking makes now and then); the first run of each is still free to run
// beside the others.
func (s *Store) Update(ctx context.Context, fn func(hub.Tx) error) error {
	return s.updates(ctx, fn, false)
}

// updates runs fn until it commits, fails for another reason than
// serialization, or has run 1+Options.Retries times; queued, its first run
// waits for the registry too.
func (s *Store) updates(ctx context.Context, fn func(hub.Tx) error, queued bool) error {
	for attempt := 0; ; attempt++ {
		retry, err := s.update(ctx, fn, queued || attempt > 0)
		if !retry || attempt >= s.retries {
			return err
		}
		pause := min(time.Millisecond<<min(attempt, 7), 100*time.Millisecond)
		pause = pause/2 + rand.N(pause/2+1)
		timer := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			timer.Stop()
			return err
		case <-timer.C:
		}
	}
}

// UpdateInTurn is Update, waiting for the registry (the advisory lock
// registryKey) before its first run as a retry does: a push, sure to take
// the registry, never runs beside another only to fail at it and run again
// (see hub.InTurn).
func (s *Store) UpdateInTurn(ctx context.Context, fn func(hub.Tx) error) error {
	// One at a time in this process: the others wait here, not on a
	// connection of the pool (which pulls and pages need).
	select {
	case s.turn <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("pgstore: update: %w", ctx.Err())
	}
	defer func() { <-s.turn }()
	return s.updates(ctx, fn, true)
}

// update runs fn once, first waiting for the registry when queue, and
// reports whether it failed to serialize.
func (s *Store) update(ctx context.Context, fn func(hub.Tx) error, queue bool) (bool, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return false, redact(fmt.Errorf("pgstore: update: %w", err), s.secret)
	}
	defer conn.Release()
	if queue {
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(registryKey)); err != nil {
			return false, fmt.Errorf("pgstore: update: wait for the registry: %w", err)
		}
		defer func() {
			bg := context.WithoutCancel(ctx)
			if _, err := conn.Exec(bg, "SELECT pg_advisory_unlock($1)", int64(registryKey)); err != nil {
				// Never hand the pool a connection holding it: closed, the
				// server releases it.
				_ = conn.Conn().Close(bg)
			}
		}()
	}
	t, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return retryable(err), fmt.Errorf("pgstore: update: %w", err)
	}
	x := &tx{ctx: ctx, q: t, write: true}
	rollback := func() { _ = t.Rollback(context.WithoutCancel(ctx)) }
	if err := fn(x); err != nil {
		rollback()
		return x.serialFailed || retryable(err), err
	}
	if x.serialFailed {
		// fn went on after a failed query (its error swallowed): the
		// transaction is aborted; run it again.
		rollback()
		return true, fmt.Errorf("pgstore: update: %w", x.serialErr)
	}
	if err := x.flush(); err != nil {
		rollback()
		return retryable(err), err
	}
	if err := t.Commit(ctx); err != nil {
		return retryable(err), fmt.Errorf("pgstore: update: %w", err)
	}
	return false, nil
}

// retryable reports whether err is a serialization failure or a deadlock:
// the transaction may succeed when run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// isUnique reports whether err is a uniqueness violation.
func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}
