package ledger

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations bring a database from user_version i to i+1; append only, never
// edit a shipped one. Each runs in its own transaction with the version bump.
var migrations = []string{
	// 1: the first schema.
	`
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE people (
	id           INTEGER PRIMARY KEY,
	member_no    TEXT NOT NULL UNIQUE,
	name         TEXT NOT NULL,
	phone_masked TEXT NOT NULL DEFAULT '',
	phone_last4  TEXT NOT NULL DEFAULT '',
	community    TEXT NOT NULL DEFAULT '',
	kind         INTEGER NOT NULL,
	created_at   INTEGER NOT NULL
);
CREATE INDEX people_phone ON people(phone_last4);

CREATE TABLE balances (
	person  INTEGER PRIMARY KEY REFERENCES people(id),
	points  INTEGER NOT NULL DEFAULT 0 CHECK (points >= 0),
	minutes INTEGER NOT NULL DEFAULT 0 CHECK (minutes >= 0)
);

CREATE TABLE cards (
	uid        TEXT PRIMARY KEY,
	person     INTEGER NOT NULL REFERENCES people(id),
	state      INTEGER NOT NULL,
	bound_at   INTEGER NOT NULL,
	changed_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX cards_person ON cards(person);

-- card_history is what happened to each card; append-only like entries.
CREATE TABLE card_history (
	uid      TEXT NOT NULL,
	at       INTEGER NOT NULL,
	state    INTEGER NOT NULL,
	operator TEXT NOT NULL DEFAULT '',
	reason   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX card_history_uid ON card_history(uid);

CREATE TABLE staff (
	uid          TEXT PRIMARY KEY,
	name         TEXT NOT NULL,
	role         INTEGER NOT NULL,
	pin          TEXT NOT NULL,
	failures     INTEGER NOT NULL DEFAULT 0,
	locked_until INTEGER NOT NULL DEFAULT 0,
	active       INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;

CREATE TABLE activities (
	id       INTEGER PRIMARY KEY,
	center   TEXT NOT NULL,
	name     TEXT NOT NULL,
	schedule TEXT NOT NULL,
	rules    TEXT NOT NULL,
	active   INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX activities_center ON activities(center);

CREATE TABLE shifts (
	id          BLOB PRIMARY KEY,
	person      INTEGER NOT NULL REFERENCES people(id),
	card        TEXT NOT NULL,
	activity    INTEGER NOT NULL REFERENCES activities(id),
	center      TEXT NOT NULL,
	opened_at   INTEGER NOT NULL,
	state       INTEGER NOT NULL,
	closed_at   INTEGER,
	minutes     INTEGER NOT NULL DEFAULT 0,
	points      INTEGER NOT NULL DEFAULT 0,
	close_entry BLOB,
	flag        TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
-- Partial indexes over the few shifts that need attention; queries name the
-- states as literals (1 open, 3 flagged) so the planner can use them.
CREATE UNIQUE INDEX shifts_one_open ON shifts(person) WHERE state = 1;
CREATE INDEX shifts_attention ON shifts(opened_at) WHERE state IN (1, 3);
CREATE INDEX shifts_person_day ON shifts(person, activity, opened_at);
CREATE INDEX shifts_opened ON shifts(opened_at);

CREATE TABLE items (
	id           INTEGER PRIMARY KEY,
	name         TEXT NOT NULL,
	price        INTEGER NOT NULL CHECK (price > 0),
	limit_count  INTEGER NOT NULL DEFAULT 0,
	limit_period INTEGER NOT NULL DEFAULT 0,
	active       INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE stock (
	center TEXT NOT NULL,
	item   INTEGER NOT NULL REFERENCES items(id),
	qty    INTEGER NOT NULL CHECK (qty >= 0),
	PRIMARY KEY (center, item)
) WITHOUT ROWID;

CREATE TABLE redemptions (
	id       BLOB PRIMARY KEY,
	person   INTEGER NOT NULL REFERENCES people(id),
	card     TEXT NOT NULL,
	item     INTEGER NOT NULL REFERENCES items(id),
	center   TEXT NOT NULL,
	qty      INTEGER NOT NULL,
	points   INTEGER NOT NULL,
	code     TEXT NOT NULL,
	day      TEXT NOT NULL,
	at       INTEGER NOT NULL,
	seq      INTEGER NOT NULL, -- of the redeem entry, for the offline cap
	reversed INTEGER NOT NULL DEFAULT 0,
	UNIQUE (center, day, code)
) WITHOUT ROWID;
CREATE INDEX redemptions_person ON redemptions(person, item, at);
CREATE INDEX redemptions_card ON redemptions(card, seq);

-- entries is the ledger proper: append-only, chained per terminal.
CREATE TABLE entries (
	terminal   TEXT NOT NULL,
	seq        INTEGER NOT NULL,
	id         BLOB NOT NULL UNIQUE,
	kind       INTEGER NOT NULL,
	center     TEXT NOT NULL,
	person     INTEGER REFERENCES people(id),
	card       TEXT NOT NULL,
	minutes    INTEGER NOT NULL,
	points     INTEGER NOT NULL,
	stock      INTEGER NOT NULL,
	activity   INTEGER NOT NULL,
	shift      BLOB,
	item       INTEGER NOT NULL,
	reverses   BLOB,
	other_card TEXT NOT NULL,
	operator   TEXT NOT NULL,
	reason     TEXT NOT NULL,
	at         INTEGER NOT NULL,
	boot       TEXT NOT NULL,
	trusted    INTEGER NOT NULL,
	prev       BLOB NOT NULL,
	hash       BLOB NOT NULL,
	PRIMARY KEY (terminal, seq)
) WITHOUT ROWID;
CREATE INDEX entries_person ON entries(person);
CREATE INDEX entries_at ON entries(at);
CREATE UNIQUE INDEX entries_reverses ON entries(reverses) WHERE reverses IS NOT NULL;

CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'entries are append-only'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'entries are append-only'); END;

-- requests remembers each write's result by its idempotency id. A rowid
-- table: results reach a kilobyte, past what a WITHOUT ROWID row keeps
-- in its page, and each would spill to an overflow page of its own.
CREATE TABLE requests (
	id     BLOB NOT NULL UNIQUE,
	op     TEXT NOT NULL,
	result BLOB NOT NULL
);
`,
	// 2: a walk-in registered at the kiosk is marked provisional by a column
	// until the hub completes the registration. Before, the kiosk wrote the
	// placeholder 待补登记 as the name: those people become provisional, with
	// no name.
	`
ALTER TABLE people ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0;
UPDATE people SET provisional = 1, name = '' WHERE name = '待补登记';
`,
	// 3: the staff's screens: a PIN lock is counted in time since
	// boot (lock_boot, lock_at) and grows with each lock in a row (locks);
	// locked_until stays as its wall-time end, for tools. A lock written
	// before becomes a first lock that began 15 minutes before its end.
	// handouts records each pickup code handed out, append-only like entries.
	`
ALTER TABLE staff ADD COLUMN locks     INTEGER NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN lock_boot TEXT    NOT NULL DEFAULT '';
ALTER TABLE staff ADD COLUMN lock_at   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN lock_wall INTEGER NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN lock_len  INTEGER NOT NULL DEFAULT 0;
UPDATE staff SET locks = 1, lock_wall = locked_until - 900000000000, lock_len = 900000000000 WHERE locked_until != 0;

CREATE TABLE handouts (
	redemption BLOB PRIMARY KEY REFERENCES redemptions(id),
	operator   TEXT NOT NULL,
	at         INTEGER NOT NULL,
	boot       TEXT NOT NULL,
	trusted    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER handouts_no_update BEFORE UPDATE ON handouts
BEGIN SELECT RAISE(ABORT, 'handouts are append-only'); END;
CREATE TRIGGER handouts_no_delete BEFORE DELETE ON handouts
BEGIN SELECT RAISE(ABORT, 'handouts are append-only'); END;
`,
	// 4: the ledger is marked as one in the file's header (ApplicationID,
	// "HMJL"), so another program's database is never taken for one. Open
	// recognises an older ledger by its meta table before this runs.
	`
PRAGMA application_id = 1213024844; -- 0x484D4A4C
`,
	// 5: the sync with the district hub. outbox: the registry changes made
	// here (a person, a card, an activity of this center, a catalog item, a
	// staff card: the row after the change), append-only, for the hub; every
	// one already held is written to it first, so a center that started
	// alone brings its registry at its first sync (activities, items and
	// staff cards keep no time of their own: theirs is the ledger's).
	// aliases: people merged at the hub (from → the person they became);
	// snapshots and stock_snapshots: the district balances and this
	// center's stock as the hub signed them, the latest of each. balances
	// and stock lose their CHECK (>= 0): a balance carried from the hub may
	// be below zero after an offline double spend at two centers, and the
	// writes check their own limits.
	`
CREATE TABLE outbox (
	seq      INTEGER PRIMARY KEY,
	kind     TEXT NOT NULL, -- 'person', 'card', 'activity', 'item' or 'staff'
	row      TEXT NOT NULL, -- JSON: hubsync.Person, Card, Activity, Item or Staff
	at       INTEGER NOT NULL,
	operator TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER outbox_no_update BEFORE UPDATE ON outbox
BEGIN SELECT RAISE(ABORT, 'the outbox is append-only'); END;
CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox
BEGIN SELECT RAISE(ABORT, 'the outbox is append-only'); END;

INSERT INTO outbox(kind, row, at)
SELECT 'person', json_object('id', id, 'member_no', member_no, 'name', name,
	'provisional', json(CASE WHEN provisional THEN 'true' ELSE 'false' END), 'phone', phone_masked,
	'community', community, 'kind', CASE kind WHEN 1 THEN 'red-vest' WHEN 2 THEN 'green-vest'
	WHEN 3 THEN 'in-service' ELSE 'resident' END), created_at
FROM people ORDER BY created_at, id;
INSERT INTO outbox(kind, row, at)
SELECT 'card', json_object('uid', uid, 'person', person, 'state',
	CASE state WHEN 1 THEN 'active' WHEN 2 THEN 'lost' ELSE 'revoked' END), changed_at
FROM cards ORDER BY bound_at, uid;
INSERT INTO outbox(kind, row, at)
SELECT 'activity', json_object('id', id, 'center', center, 'name', name, 'schedule', json(schedule), 'rules', json(rules),
	'active', json(CASE WHEN active THEN 'true' ELSE 'false' END),
	'station', json(CASE WHEN id = (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'station_activity') THEN 'true' ELSE 'false' END)),
	COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'created_at'), 0)
FROM activities WHERE center = (SELECT value FROM meta WHERE key = 'center') ORDER BY name, id;
INSERT INTO outbox(kind, row, at)
SELECT 'item', json_object('id', id, 'name', name, 'price', price, 'limit_count', limit_count,
	'limit_period', CASE limit_period WHEN 1 THEN 'day' WHEN 2 THEN 'week' WHEN 3 THEN 'month' WHEN 4 THEN 'year' ELSE '' END,
	'active', json(CASE WHEN active THEN 'true' ELSE 'false' END)),
	COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'created_at'), 0)
FROM items ORDER BY name, id;
INSERT INTO outbox(kind, row, at)
SELECT 'staff', json_object('uid', uid, 'name', name, 'role', CASE role WHEN 2 THEN 'technician' ELSE 'staff' END,
	'pin_hash', '$' || pin, 'active', json(CASE WHEN active THEN 'true' ELSE 'false' END)),
	COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'created_at'), 0)
FROM staff ORDER BY role DESC, name, uid;

CREATE TABLE aliases (
	from_person INTEGER PRIMARY KEY,
	to_person   INTEGER NOT NULL
);
CREATE INDEX aliases_to ON aliases(to_person);

CREATE TABLE snapshots (
	person  INTEGER PRIMARY KEY,
	points  INTEGER NOT NULL,
	minutes INTEGER NOT NULL,
	as_of   INTEGER NOT NULL,
	version INTEGER NOT NULL,
	sig     BLOB NOT NULL
);

CREATE TABLE stock_snapshots (
	center  TEXT NOT NULL,
	item    INTEGER NOT NULL,
	qty     INTEGER NOT NULL,
	as_of   INTEGER NOT NULL,
	version INTEGER NOT NULL,
	sig     BLOB NOT NULL,
	PRIMARY KEY (center, item)
) WITHOUT ROWID;

CREATE TABLE balances_v5 (
	person  INTEGER PRIMARY KEY REFERENCES people(id),
	points  INTEGER NOT NULL DEFAULT 0,
	minutes INTEGER NOT NULL DEFAULT 0
);
INSERT INTO balances_v5(person, points, minutes) SELECT person, points, minutes FROM balances;
DROP TABLE balances;
ALTER TABLE balances_v5 RENAME TO balances;

CREATE TABLE stock_v5 (
	center TEXT NOT NULL,
	item   INTEGER NOT NULL REFERENCES items(id),
	qty    INTEGER NOT NULL,
	PRIMARY KEY (center, item)
) WITHOUT ROWID;
INSERT INTO stock_v5(center, item, qty) SELECT center, item, qty FROM stock;
DROP TABLE stock;
ALTER TABLE stock_v5 RENAME TO stock;
`,
	// 6: what the hub learns of each redemption beyond its entry: its
	// pickup code, given with it, and its hand-out, when staff hand the
	// goods over. pickups numbers them in the order they were made, for
	// the push (a row names the redemption: the code and the hand-out are
	// read from redemptions and handouts), append-only. The codes and
	// hand-outs held already are written first, so the hub learns a
	// ledger's past ones too; a restored redemption's placeholder (R and
	// its seq) is no code.
	`
CREATE TABLE pickups (
	seq        INTEGER PRIMARY KEY,
	redemption BLOB NOT NULL REFERENCES redemptions(id),
	handout    INTEGER NOT NULL -- 0: the redemption's code; 1: its hand-out
);
CREATE TRIGGER pickups_no_update BEFORE UPDATE ON pickups
BEGIN SELECT RAISE(ABORT, 'pickups are append-only'); END;
CREATE TRIGGER pickups_no_delete BEFORE DELETE ON pickups
BEGIN SELECT RAISE(ABORT, 'pickups are append-only'); END;

INSERT INTO pickups(redemption, handout) SELECT id, 0 FROM redemptions WHERE code NOT GLOB 'R*' ORDER BY seq, at;
INSERT INTO pickups(redemption, handout) SELECT redemption, 1 FROM handouts ORDER BY at;
`,
	// 7: an entry's terminal and boot are small integers naming a row of
	// terminals and boots, no longer their 16- and 36-character ids in
	// every row and, for the terminal, in every index (the primary key is
	// (terminal, seq) and each index holds it); prev is stored only where
	// it is not the hash of the entry before it in its chain (a chain's
	// first entry, or its first after a restore from the hub): NULL
	// otherwise. On the 1,000,000-entry benchmark ledger the entries and
	// their indexes went from 324 to 200 bytes an entry. entry_rows holds
	// them; the view entries shows them as before, with the same columns,
	// so every read is unchanged: INSTEAD OF triggers carry an insert,
	// update or delete on it to entry_rows, whose own triggers
	// (entries_no_update, entries_no_delete) refuse the last two as
	// before. An update or delete through the view first writes the next
	// entry's prev, so no other entry changes with it.
	`
CREATE TABLE terminals (
	n  INTEGER PRIMARY KEY,
	id TEXT NOT NULL UNIQUE
);
CREATE TABLE boots (
	n  INTEGER PRIMARY KEY,
	id TEXT NOT NULL UNIQUE
);
INSERT INTO terminals(id) SELECT DISTINCT terminal FROM entries ORDER BY terminal;
INSERT INTO boots(id) SELECT DISTINCT boot FROM entries;

CREATE TABLE entry_rows (
	terminal_n INTEGER NOT NULL REFERENCES terminals(n),
	seq        INTEGER NOT NULL,
	id         BLOB NOT NULL UNIQUE,
	kind       INTEGER NOT NULL,
	center     TEXT NOT NULL,
	person     INTEGER REFERENCES people(id),
	card       TEXT NOT NULL,
	minutes    INTEGER NOT NULL,
	points     INTEGER NOT NULL,
	stock      INTEGER NOT NULL,
	activity   INTEGER NOT NULL,
	shift      BLOB,
	item       INTEGER NOT NULL,
	reverses   BLOB,
	other_card TEXT NOT NULL,
	operator   TEXT NOT NULL,
	reason     TEXT NOT NULL,
	at         INTEGER NOT NULL,
	boot_n     INTEGER NOT NULL REFERENCES boots(n),
	trusted    INTEGER NOT NULL,
	prev       BLOB, -- NULL: the hash of the entry before it
	hash       BLOB NOT NULL,
	PRIMARY KEY (terminal_n, seq)
) WITHOUT ROWID;
INSERT INTO entry_rows(terminal_n, seq, id, kind, center, person, card, minutes, points, stock,
	activity, shift, item, reverses, other_card, operator, reason, at, boot_n, trusted, prev, hash)
SELECT tm.n, e.seq, e.id, e.kind, e.center, e.person, e.card, e.minutes, e.points, e.stock,
	e.activity, e.shift, e.item, e.reverses, e.other_card, e.operator, e.reason, e.at, b.n, e.trusted,
	CASE WHEN e.prev = (SELECT p.hash FROM entries p WHERE p.terminal = e.terminal AND p.seq = e.seq - 1) THEN NULL ELSE e.prev END,
	e.hash
-- CROSS JOIN keeps terminals the outer loop: each chain is read in its
-- key's order and written in entry_rows' (the planner's own choice read
-- the entries by time and sorted a copy of them all).
FROM terminals tm CROSS JOIN entries e ON e.terminal = tm.id JOIN boots b ON b.id = e.boot
ORDER BY tm.n, e.seq;
DROP TABLE entries;
CREATE INDEX entries_person ON entry_rows(person);
CREATE INDEX entries_at ON entry_rows(at);
CREATE UNIQUE INDEX entries_reverses ON entry_rows(reverses) WHERE reverses IS NOT NULL;

CREATE TRIGGER entries_no_update BEFORE UPDATE ON entry_rows
BEGIN SELECT RAISE(ABORT, 'entries are append-only'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entry_rows
BEGIN SELECT RAISE(ABORT, 'entries are append-only'); END;

CREATE VIEW entries AS
SELECT tm.id AS terminal, e.seq AS seq, e.id AS id, e.kind AS kind, e.center AS center, e.person AS person,
	e.card AS card, e.minutes AS minutes, e.points AS points, e.stock AS stock, e.activity AS activity,
	e.shift AS shift, e.item AS item, e.reverses AS reverses, e.other_card AS other_card,
	e.operator AS operator, e.reason AS reason, e.at AS at,
	(SELECT b.id FROM boots b WHERE b.n = e.boot_n) AS boot, e.trusted AS trusted,
	COALESCE(e.prev, (SELECT p.hash FROM entry_rows p WHERE p.terminal_n = e.terminal_n AND p.seq = e.seq - 1)) AS prev,
	e.hash AS hash
FROM entry_rows e JOIN terminals tm ON tm.n = e.terminal_n;

CREATE TRIGGER entries_insert INSTEAD OF INSERT ON entries
BEGIN
	SELECT RAISE(ABORT, 'NOT NULL constraint failed: entries.prev') WHERE NEW.prev IS NULL;
	INSERT OR IGNORE INTO terminals(id) VALUES (NEW.terminal);
	INSERT OR IGNORE INTO boots(id) VALUES (NEW.boot);
	INSERT INTO entry_rows(terminal_n, seq, id, kind, center, person, card, minutes, points, stock,
		activity, shift, item, reverses, other_card, operator, reason, at, boot_n, trusted, prev, hash)
	SELECT tm.n, NEW.seq, NEW.id, NEW.kind, NEW.center, NEW.person, NEW.card, NEW.minutes, NEW.points, NEW.stock,
		NEW.activity, NEW.shift, NEW.item, NEW.reverses, NEW.other_card, NEW.operator, NEW.reason, NEW.at,
		(SELECT b.n FROM boots b WHERE b.id = NEW.boot), NEW.trusted,
		CASE WHEN NEW.prev = (SELECT p.hash FROM entry_rows p WHERE p.terminal_n = tm.n AND p.seq = NEW.seq - 1) THEN NULL ELSE NEW.prev END,
		NEW.hash
	FROM terminals tm WHERE tm.id = NEW.terminal;
END;

CREATE TRIGGER entries_update INSTEAD OF UPDATE ON entries
BEGIN
	INSERT OR IGNORE INTO terminals(id) VALUES (NEW.terminal);
	INSERT OR IGNORE INTO boots(id) VALUES (NEW.boot);
	UPDATE entry_rows SET prev = OLD.hash
	WHERE terminal_n = (SELECT n FROM terminals WHERE id = OLD.terminal) AND seq = OLD.seq + 1 AND prev IS NULL;
	UPDATE entry_rows SET terminal_n = (SELECT n FROM terminals WHERE id = NEW.terminal), seq = NEW.seq, id = NEW.id,
		kind = NEW.kind, center = NEW.center, person = NEW.person, card = NEW.card, minutes = NEW.minutes,
		points = NEW.points, stock = NEW.stock, activity = NEW.activity, shift = NEW.shift, item = NEW.item,
		reverses = NEW.reverses, other_card = NEW.other_card, operator = NEW.operator, reason = NEW.reason,
		at = NEW.at, boot_n = (SELECT n FROM boots WHERE id = NEW.boot), trusted = NEW.trusted,
		prev = CASE WHEN NEW.prev IS OLD.prev THEN prev ELSE NEW.prev END, hash = NEW.hash
	WHERE terminal_n = (SELECT n FROM terminals WHERE id = OLD.terminal) AND seq = OLD.seq;
END;

CREATE TRIGGER entries_delete INSTEAD OF DELETE ON entries
BEGIN
	UPDATE entry_rows SET prev = OLD.hash
	WHERE terminal_n = (SELECT n FROM terminals WHERE id = OLD.terminal) AND seq = OLD.seq + 1 AND prev IS NULL;
	DELETE FROM entry_rows WHERE terminal_n = (SELECT n FROM terminals WHERE id = OLD.terminal) AND seq = OLD.seq;
END;
`,
}

// syncSchema is the first schema with the hub's tables (outbox, aliases,
// snapshots): a read-only look at an older file reads without them.
const syncSchema = 5

// pickupsSchema is the first schema with the pickups table.
const pickupsSchema = 6

// compactSchema is the first schema with entries as a view over
// entry_rows.
const compactSchema = 7

// schemaVersion is the user_version this program writes.
var schemaVersion = len(migrations)

func migrate(ctx context.Context, db *sql.DB) error { return migrateTo(ctx, db, schemaVersion) }

// migrateTo runs the migrations up to version target; tests make ledgers of
// an earlier version with it.
func migrateTo(ctx context.Context, db *sql.DB, target int) error {
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("read schema version: %w", storageErr(err))
	}
	if v > schemaVersion {
		return fmt.Errorf("schema version %d, this program knows %d: %w", v, schemaVersion, ErrTooNew)
	}
	for ; v < target; v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate to %d: %w", v+1, storageErr(err))
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("migrate to %d: %w", v+1, storageErr(err))
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("migrate to %d: %w", v+1, storageErr(err))
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate to %d: %w", v+1, storageErr(err))
		}
	}
	return nil
}
