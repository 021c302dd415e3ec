// Package sqlitestore is the hub's embedded store: one SQLite file in the
// hub's data directory (modernc.org/sqlite, pure Go: nothing to install).
// It implements hub.Store; every query of the hub is in this package. The
// SQL keeps to what PostgreSQL reads as well where that is easy (upserts
// with ON CONFLICT, no WITHOUT ROWID, integers for times): the PostgreSQL
// store (hub/pgstore) runs the same queries where it can.
package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

// FileName is the store's file in the data directory.
const FileName = "hub.db"

// applicationID marks the file as a hub's ("HMJH"), so neither a kiosk's
// ledger nor another program's database is taken for one.
const applicationID = 0x484D4A48

// Options configure a Store.
type Options struct {
	// BusyTimeout is how long a write waits for another process (a hubd
	// admin command beside hubd serve); 10 s when 0.
	BusyTimeout time.Duration
}

// Store is the hub's SQLite store. Writes go through one connection (one
// Update at a time: serializable by construction), reads through a few.
type Store struct {
	path string
	w    *sql.DB
	r    *sql.DB
}

var _ hub.Store = (*Store)(nil)

func dsn(path string, busy time.Duration, write bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busy.Milliseconds(), 10)+")")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "cache_size(-32768)")
	q.Add("_pragma", "temp_store(MEMORY)")
	if write {
		// BEGIN IMMEDIATE: an Update takes the write lock before it reads,
		// so what it read cannot change before it writes.
		q.Set("_txlock", "immediate")
	}
	// '%', '?' and '#' escaped: SQLite would read them as an escape, the
	// query and a fragment (a data directory "hub#2" would open "hub").
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(path) + "?" + q.Encode()
}

// Open opens the store in dir, making it (and dir, 0700) on first use and
// bringing its schema up to date.
func Open(ctx context.Context, dir string, opts Options) (*Store, error) {
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 10 * time.Second
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sqlitestore: %w", err)
	}
	path := filepath.Join(dir, FileName)
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600); err != nil {
		return nil, fmt.Errorf("sqlitestore: %w", err)
	} else {
		f.Close()
	}
	s := &Store{path: path}
	var err error
	if s.w, err = sql.Open("sqlite", dsn(path, opts.BusyTimeout, true)); err != nil {
		return nil, fmt.Errorf("sqlitestore: %w", err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	if err := s.init(ctx); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("sqlitestore: %s: %w", path, err)
	}
	if s.r, err = sql.Open("sqlite", dsn(path, opts.BusyTimeout, false)); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("sqlitestore: %w", err)
	}
	s.r.SetMaxOpenConns(4)
	return s, nil
}

func (s *Store) init(ctx context.Context) error {
	var app int64
	if err := s.w.QueryRowContext(ctx, "PRAGMA application_id").Scan(&app); err != nil {
		return err
	}
	var v int
	if err := s.w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	if v == 0 && app == 0 {
		var n int
		if err := s.w.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return errors.New("not a hub's database (tables, but no hub mark)")
		}
	} else if app != applicationID {
		return fmt.Errorf("not a hub's database (application id %#x)", app)
	}
	if _, err := s.w.ExecContext(ctx, "PRAGMA journal_mode=WAL"); err != nil {
		return err
	}
	if err := migrate(ctx, s.w, len(migrations)); err != nil {
		return err
	}
	return fillReversals(ctx, s.w)
}

// migrate runs the migrations from the file's user_version up to target,
// each in its own transaction with its version bump.
func migrate(ctx context.Context, db *sql.DB, target int) error {
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	if v > len(migrations) {
		return fmt.Errorf("schema version %d, this program knows %d: a newer hubd wrote it", v, len(migrations))
	}
	for ; v < target; v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate to %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("migrate to %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("migrate to %d: %w", v+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate to %d: %w", v+1, err)
		}
	}
	return nil
}

// Path is the store's file.
func (s *Store) Path() string { return s.path }

// Close closes the store.
func (s *Store) Close() error {
	err := s.w.Close()
	if s.r != nil {
		if e := s.r.Close(); err == nil {
			err = e
		}
	}
	return err
}

// View runs fn in a read transaction: one snapshot of the file (WAL).
func (s *Store) View(ctx context.Context, fn func(hub.Reader) error) error {
	t, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlitestore: view: %w", err)
	}
	defer t.Rollback() //nolint:errcheck // a read transaction has nothing to keep
	return fn(&tx{ctx: ctx, q: t})
}

// Update runs fn in a write transaction (BEGIN IMMEDIATE on the one write
// connection): Updates run one at a time, so each is serializable.
func (s *Store) Update(ctx context.Context, fn func(hub.Tx) error) error {
	t, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlitestore: update: %w", err)
	}
	x := &tx{ctx: ctx, q: t, write: true}
	if err := fn(x); err != nil {
		_ = t.Rollback()
		return err
	}
	if x.versionDirty {
		if _, err := t.ExecContext(ctx, "UPDATE meta SET value = ? WHERE key = 'version'", strconv.FormatUint(x.version, 10)); err != nil {
			_ = t.Rollback()
			return fmt.Errorf("sqlitestore: update: %w", err)
		}
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("sqlitestore: update: %w", err)
	}
	return nil
}

// migrations bring the file from user_version i to i+1: append only,
// never edit a shipped one.
var migrations = []string{
	// 1: the first schema.
	`
PRAGMA application_id = 1213024840; -- 0x484D4A48 "HMJH"

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
INSERT INTO meta(key, value) VALUES ('version', '0');

CREATE TABLE centers (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	created_at INTEGER NOT NULL
);

-- tokens keep a token's SHA-256, never the token.
CREATE TABLE tokens (
	hash       BLOB PRIMARY KEY,
	kind       TEXT NOT NULL,
	center     TEXT NOT NULL DEFAULT '',
	terminal   TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	used_at    INTEGER NOT NULL DEFAULT 0,
	used_by    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX tokens_terminal ON tokens(terminal) WHERE terminal != '';

CREATE TABLE kiosks (
	terminal      TEXT PRIMARY KEY,
	center        TEXT NOT NULL REFERENCES centers(id),
	public_key    BLOB NOT NULL,
	enrolled_at   INTEGER NOT NULL,
	revoked_at    INTEGER NOT NULL DEFAULT 0,
	anchor_seq    INTEGER NOT NULL DEFAULT 0,
	anchor_hash   BLOB NOT NULL,
	head_seq      INTEGER NOT NULL DEFAULT 0,
	head_hash     BLOB NOT NULL,
	counter       INTEGER NOT NULL DEFAULT 0,
	last_sync     INTEGER NOT NULL DEFAULT 0,
	version       TEXT NOT NULL DEFAULT '',
	clock_offset  INTEGER NOT NULL DEFAULT 0,
	changes_acked INTEGER NOT NULL DEFAULT 0,
	pulled        INTEGER NOT NULL DEFAULT 0,
	refusal       TEXT NOT NULL DEFAULT '',
	fork          INTEGER NOT NULL DEFAULT 0
);

-- entries: every kiosk's entries, each once. raw is the kiosk's canonical
-- encoding; the other columns are read from it, for the hub's queries.
-- center is the sending kiosk's center at the hub; at_hub is at, or
-- at_corrected for an entry written with an untrusted clock.
CREATE TABLE entries (
	terminal     TEXT NOT NULL,
	seq          INTEGER NOT NULL,
	id           BLOB NOT NULL UNIQUE,
	kind         INTEGER NOT NULL,
	center       TEXT NOT NULL,
	person       INTEGER NOT NULL,
	card         TEXT NOT NULL,
	points       INTEGER NOT NULL,
	minutes      INTEGER NOT NULL,
	stock        INTEGER NOT NULL,
	item         INTEGER NOT NULL,
	activity     INTEGER NOT NULL,
	at           INTEGER NOT NULL,
	trusted      INTEGER NOT NULL,
	at_corrected INTEGER,
	at_hub       INTEGER NOT NULL,
	hash         BLOB NOT NULL,
	raw          BLOB NOT NULL,
	received_at  INTEGER NOT NULL,
	PRIMARY KEY (terminal, seq)
);
CREATE INDEX entries_card ON entries(card, at_hub) WHERE card != '';

CREATE TABLE people (
	id          INTEGER PRIMARY KEY,
	member_no   TEXT NOT NULL UNIQUE,
	name        TEXT NOT NULL,
	provisional INTEGER NOT NULL DEFAULT 0,
	phone       TEXT NOT NULL DEFAULT '',
	community   TEXT NOT NULL DEFAULT '',
	kind        INTEGER NOT NULL,
	changed_by  TEXT NOT NULL DEFAULT '',
	version     INTEGER NOT NULL
);
CREATE INDEX people_version ON people(version);

CREATE TABLE aliases (
	from_id INTEGER PRIMARY KEY,
	to_id   INTEGER NOT NULL,
	version INTEGER NOT NULL
);
CREATE INDEX aliases_to ON aliases(to_id);
CREATE INDEX aliases_version ON aliases(version);

CREATE TABLE cards (
	uid        TEXT PRIMARY KEY,
	person     INTEGER NOT NULL,
	state      TEXT NOT NULL,
	changed_by TEXT NOT NULL DEFAULT '',
	version    INTEGER NOT NULL
);
CREATE INDEX cards_person ON cards(person);
CREATE INDEX cards_version ON cards(version);

CREATE TABLE activities (
	id         INTEGER PRIMARY KEY,
	center     TEXT NOT NULL REFERENCES centers(id),
	name       TEXT NOT NULL,
	schedule   TEXT NOT NULL,
	rules      TEXT NOT NULL,
	active     INTEGER NOT NULL,
	station    INTEGER NOT NULL,
	changed_by TEXT NOT NULL DEFAULT '',
	version    INTEGER NOT NULL,
	UNIQUE (center, name)
);
CREATE INDEX activities_version ON activities(center, version);

CREATE TABLE items (
	id           INTEGER PRIMARY KEY,
	name         TEXT NOT NULL UNIQUE,
	price        INTEGER NOT NULL,
	limit_count  INTEGER NOT NULL,
	limit_period TEXT NOT NULL,
	active       INTEGER NOT NULL,
	changed_by   TEXT NOT NULL DEFAULT '',
	version      INTEGER NOT NULL
);
CREATE INDEX items_version ON items(version);

CREATE TABLE stock (
	center  TEXT NOT NULL,
	item    INTEGER NOT NULL,
	qty     INTEGER NOT NULL,
	version INTEGER NOT NULL,
	PRIMARY KEY (center, item)
);
CREATE INDEX stock_version ON stock(center, version);

CREATE TABLE staff (
	center     TEXT NOT NULL REFERENCES centers(id),
	uid        TEXT NOT NULL,
	name       TEXT NOT NULL,
	role       TEXT NOT NULL,
	pin_hash   TEXT NOT NULL,
	active     INTEGER NOT NULL,
	changed_by TEXT NOT NULL DEFAULT '',
	version    INTEGER NOT NULL,
	PRIMARY KEY (center, uid)
);
CREATE INDEX staff_uid ON staff(uid);
CREATE INDEX staff_version ON staff(center, version);

CREATE TABLE policy (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	body    TEXT NOT NULL,
	version INTEGER NOT NULL
);

CREATE TABLE balances (
	person  INTEGER PRIMARY KEY,
	points  INTEGER NOT NULL,
	minutes INTEGER NOT NULL,
	version INTEGER NOT NULL
);
CREATE INDEX balances_version ON balances(version);

CREATE TABLE flags (
	id          INTEGER PRIMARY KEY,
	kind        TEXT NOT NULL,
	subject     TEXT NOT NULL,
	detail      TEXT NOT NULL,
	at          INTEGER NOT NULL,
	resolved_by TEXT NOT NULL DEFAULT '',
	resolved_at INTEGER NOT NULL DEFAULT 0
);
-- at most one open flag per kind and subject
CREATE UNIQUE INDEX flags_open ON flags(kind, subject) WHERE resolved_at = 0;
`,
	// 2: the web's users, their sessions and the audit log.
	`
CREATE TABLE users (
	name          TEXT PRIMARY KEY,
	role          TEXT NOT NULL,
	center        TEXT NOT NULL DEFAULT '',
	password_hash TEXT NOT NULL,
	disabled      INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL
);

-- sessions keep a token's SHA-256, never the token.
CREATE TABLE sessions (
	hash       BLOB PRIMARY KEY,
	user_name  TEXT NOT NULL REFERENCES users(name),
	csrf       TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	seen_at    INTEGER NOT NULL,
	addr       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_name);
CREATE INDEX sessions_seen ON sessions(seen_at);
CREATE INDEX sessions_created ON sessions(created_at);

-- audit: every change, append-only.
CREATE TABLE audit (
	id      INTEGER PRIMARY KEY,
	at      INTEGER NOT NULL,
	actor   TEXT NOT NULL,
	addr    TEXT NOT NULL DEFAULT '',
	action  TEXT NOT NULL,
	center  TEXT NOT NULL DEFAULT '',
	subject TEXT NOT NULL DEFAULT '',
	detail  TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
`,
	// 3: the service record: a person's entries, their ID documents
	// (sealed), what certificates say of their issuers, and the register
	// of certificates.
	`
CREATE INDEX entries_person ON entries(person, center) WHERE person != 0;

-- person_ids: the number sealed with the hub's ID key (id.key), never in clear.
CREATE TABLE person_ids (
	person     INTEGER PRIMARY KEY,
	id_type    TEXT NOT NULL,
	sealed     BLOB NOT NULL,
	changed_at INTEGER NOT NULL,
	changed_by TEXT NOT NULL DEFAULT ''
);

-- cert_issuers: center '' is the district office.
CREATE TABLE cert_issuers (
	center     TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	head       TEXT NOT NULL,
	contact    TEXT NOT NULL,
	changed_at INTEGER NOT NULL,
	changed_by TEXT NOT NULL DEFAULT ''
);

-- certificates: the register, append-only; each as it was issued.
CREATE TABLE certificates (
	id          INTEGER PRIMARY KEY,
	number      TEXT NOT NULL UNIQUE,
	year        INTEGER NOT NULL,
	seq         INTEGER NOT NULL,
	issuer      TEXT NOT NULL,
	issuer_name TEXT NOT NULL,
	head        TEXT NOT NULL,
	contact     TEXT NOT NULL,
	person      INTEGER NOT NULL,
	name        TEXT NOT NULL,
	member_no   TEXT NOT NULL,
	id_type     TEXT NOT NULL,
	id_sealed   BLOB NOT NULL,
	period_from INTEGER NOT NULL,
	period_to   INTEGER NOT NULL,
	minutes     INTEGER NOT NULL,
	shifts      INTEGER NOT NULL,
	activities  TEXT NOT NULL,
	content     TEXT NOT NULL,
	issued_by   TEXT NOT NULL,
	issued_at   INTEGER NOT NULL,
	UNIQUE (year, seq)
);
CREATE INDEX certificates_issuer ON certificates(issuer, id);
CREATE INDEX certificates_person ON certificates(person, id);
CREATE TRIGGER certificates_no_update BEFORE UPDATE ON certificates BEGIN SELECT RAISE(ABORT, 'the register of certificates is append-only'); END;
CREATE TRIGGER certificates_no_delete BEFORE DELETE ON certificates BEGIN SELECT RAISE(ABORT, 'the register of certificates is append-only'); END;
`,
	// 4: the center a person was registered at ('' for the district's);
	// the walk-ins a kiosk made before are their kiosk's center's.
	`
ALTER TABLE people ADD COLUMN center TEXT NOT NULL DEFAULT '';
UPDATE people SET center = (SELECT k.center FROM kiosks k WHERE k.terminal = people.changed_by)
	WHERE provisional = 1 AND changed_by IN (SELECT terminal FROM kiosks);
CREATE INDEX people_center ON people(center);
`,
	// 5: the dashboard's sums read a center's stretch of time of one kind
	// of entry from this index alone (every column they read is in it),
	// never the entries' rows with their raw encodings.
	`
CREATE INDEX entries_tally ON entries(center, kind, at_hub, person, activity, item, minutes, points, stock);
`,
	// 6: the catalog's pictures, and the history of restocks made at the
	// hub (append-only).
	`
-- item_pictures: the JPEGs the hub made of an upload; hash is large's SHA-256.
CREATE TABLE item_pictures (
	item       INTEGER PRIMARY KEY REFERENCES items(id),
	hash       BLOB NOT NULL,
	large      BLOB NOT NULL,
	thumb      BLOB NOT NULL,
	width      INTEGER NOT NULL,
	height     INTEGER NOT NULL,
	changed_at INTEGER NOT NULL,
	changed_by TEXT NOT NULL DEFAULT ''
);

CREATE TABLE restocks (
	id       INTEGER PRIMARY KEY,
	at       INTEGER NOT NULL,
	center   TEXT NOT NULL REFERENCES centers(id),
	item     INTEGER NOT NULL,
	qty      INTEGER NOT NULL,
	after    INTEGER NOT NULL,
	reason   TEXT NOT NULL,
	by_user  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX restocks_center ON restocks(center, id);
CREATE INDEX restocks_item ON restocks(item, id);
CREATE TRIGGER restocks_no_update BEFORE UPDATE ON restocks BEGIN SELECT RAISE(ABORT, 'the history of restocks is append-only'); END;
CREATE TRIGGER restocks_no_delete BEFORE DELETE ON restocks BEGIN SELECT RAISE(ABORT, 'the history of restocks is append-only'); END;
`,
	// 7: the redemptions (积分兑换), one row per redeem entry (kind 3), with
	// the pickup code and the hand-out its kiosk pushed and the entry that
	// reversed it. The redeem entries held already are written here; their
	// reversals, which only an entry's encoding names, are found when the
	// store opens (fillReversals, while meta holds fill_reversals).
	`
CREATE TABLE redemptions (
	id               BLOB PRIMARY KEY,
	terminal         TEXT NOT NULL,
	seq              INTEGER NOT NULL,
	center           TEXT NOT NULL,
	person           INTEGER NOT NULL,
	card             TEXT NOT NULL,
	item             INTEGER NOT NULL,
	qty              INTEGER NOT NULL,
	points           INTEGER NOT NULL,
	at_hub           INTEGER NOT NULL,
	corrected        INTEGER NOT NULL DEFAULT 0,
	code             TEXT NOT NULL DEFAULT '',
	reversed_by      BLOB,
	reversed_at      INTEGER NOT NULL DEFAULT 0,
	handed_at        INTEGER NOT NULL DEFAULT 0,
	handed_corrected INTEGER NOT NULL DEFAULT 0,
	handed_by        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX redemptions_center ON redemptions(center, at_hub);
CREATE INDEX redemptions_at ON redemptions(at_hub);
CREATE INDEX redemptions_code ON redemptions(code) WHERE code != '';
CREATE INDEX redemptions_person ON redemptions(person);
INSERT INTO redemptions(id, terminal, seq, center, person, card, item, qty, points, at_hub, corrected)
	SELECT id, terminal, seq, center, person, card, item, -stock, -points, at_hub, at_corrected IS NOT NULL FROM entries WHERE kind = 3;
INSERT INTO meta(key, value) VALUES ('fill_reversals', '1');
`,
	// 8: fleet updates: the release bundles offered to kiosks (the files
	// are bundles/<sha256> in the data directory), and what each kiosk
	// says of its architecture and of the last bundle offered to it.
	`
CREATE TABLE bundles (
	sha256       TEXT PRIMARY KEY,
	version      TEXT NOT NULL,
	arch         TEXT NOT NULL,
	size         INTEGER NOT NULL,
	centers      TEXT NOT NULL DEFAULT '', -- JSON array; '' or '[]': every center
	added_at     INTEGER NOT NULL,
	added_by     TEXT NOT NULL DEFAULT '',
	withdrawn_at INTEGER NOT NULL DEFAULT 0
);
ALTER TABLE kiosks ADD COLUMN arch TEXT NOT NULL DEFAULT '';
ALTER TABLE kiosks ADD COLUMN offered TEXT NOT NULL DEFAULT '';
ALTER TABLE kiosks ADD COLUMN outcome TEXT NOT NULL DEFAULT ''; -- JSON of hub.UpdateOutcome; '': none
`,
}

// isUnique reports whether err is a uniqueness violation.
func isUnique(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "UNIQUE constraint failed") || strings.Contains(err.Error(), "PRIMARY KEY"))
}
