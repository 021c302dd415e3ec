package pgstore

import "strings"

// migrations bring the database from hub_schema.version i to i+1: append
// only, never edit a shipped one. The first is the SQLite store's schema 8
// at once (a PostgreSQL hub starts there, or is copied there by hubd
// migrate), with the counters rows of the versions and numbers that must
// follow the order of commits (see the package's doc) and the entries'
// store number n where SQLite has its rowid.
var migrations = []string{
	// 1: the schema of sqlitestore's 8.
	collateC(`
-- counters: the numbers the hub reads as "what was stored since", each
-- a row an Update locks and writes (never a SEQUENCE: see the package doc).
-- 'registry' is the registry's version (Reader.Version) and the last entry
-- number (entries.n) at once; the others the last id of their table.
CREATE TABLE counters (
	name    TEXT PRIMARY KEY,
	version bigint NOT NULL DEFAULT 0,
	value   bigint NOT NULL DEFAULT 0
);
INSERT INTO counters(name) VALUES ('registry'), ('audit'), ('certificates'), ('restocks');

CREATE TABLE centers (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	created_at bigint NOT NULL
);

-- tokens keep a token's SHA-256, never the token.
CREATE TABLE tokens (
	hash       bytea PRIMARY KEY,
	kind       TEXT NOT NULL,
	center     TEXT NOT NULL DEFAULT '',
	terminal   TEXT NOT NULL DEFAULT '',
	created_at bigint NOT NULL,
	expires_at bigint NOT NULL,
	used_at    bigint NOT NULL DEFAULT 0,
	used_by    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX tokens_terminal ON tokens(terminal) WHERE terminal != '';

CREATE TABLE kiosks (
	terminal      TEXT PRIMARY KEY,
	center        TEXT NOT NULL REFERENCES centers(id),
	public_key    bytea NOT NULL,
	enrolled_at   bigint NOT NULL,
	revoked_at    bigint NOT NULL DEFAULT 0,
	anchor_seq    bigint NOT NULL DEFAULT 0,
	anchor_hash   bytea NOT NULL,
	head_seq      bigint NOT NULL DEFAULT 0,
	head_hash     bytea NOT NULL,
	counter       bigint NOT NULL DEFAULT 0,
	last_sync     bigint NOT NULL DEFAULT 0,
	version       TEXT NOT NULL DEFAULT '',
	clock_offset  bigint NOT NULL DEFAULT 0,
	changes_acked bigint NOT NULL DEFAULT 0,
	pulled        bigint NOT NULL DEFAULT 0,
	refusal       TEXT NOT NULL DEFAULT '',
	fork          boolean NOT NULL DEFAULT false,
	arch          TEXT NOT NULL DEFAULT '',
	offered       TEXT NOT NULL DEFAULT '',
	outcome       TEXT NOT NULL DEFAULT '' -- JSON of hub.UpdateOutcome; '': none
);

-- entries: every kiosk's entries, each once. raw is the kiosk's canonical
-- encoding; the other columns are read from it, for the hub's queries.
-- center is the sending kiosk's center at the hub; at_hub is at, or
-- at_corrected for an entry written with an untrusted clock. n is the
-- order they were stored in (counters 'registry'.value).
CREATE TABLE entries (
	terminal     TEXT NOT NULL,
	seq          bigint NOT NULL,
	id           bytea NOT NULL UNIQUE,
	n            bigint NOT NULL UNIQUE,
	kind         bigint NOT NULL,
	center       TEXT NOT NULL,
	person       bigint NOT NULL,
	card         TEXT NOT NULL,
	points       bigint NOT NULL,
	minutes      bigint NOT NULL,
	stock        bigint NOT NULL,
	item         bigint NOT NULL,
	activity     bigint NOT NULL,
	at           bigint NOT NULL,
	trusted      boolean NOT NULL,
	at_corrected bigint,
	at_hub       bigint NOT NULL,
	hash         bytea NOT NULL,
	raw          bytea NOT NULL,
	received_at  bigint NOT NULL,
	PRIMARY KEY (terminal, seq)
);
CREATE INDEX entries_card ON entries(card, at_hub) WHERE card != '';
CREATE INDEX entries_person ON entries(person, center) WHERE person != 0;
-- the dashboard's sums read a center's stretch of time of one kind of
-- entry from this index alone (an index-only scan), never the rows.
CREATE INDEX entries_tally ON entries(center, kind, at_hub) INCLUDE (person, activity, item, minutes, points, stock);

CREATE TABLE people (
	id          bigint PRIMARY KEY,
	member_no   TEXT NOT NULL UNIQUE,
	name        TEXT NOT NULL,
	provisional boolean NOT NULL DEFAULT false,
	phone       TEXT NOT NULL DEFAULT '',
	community   TEXT NOT NULL DEFAULT '',
	kind        bigint NOT NULL,
	changed_by  TEXT NOT NULL DEFAULT '',
	version     bigint NOT NULL,
	center      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX people_version ON people(version);
CREATE INDEX people_center ON people(center);

CREATE TABLE aliases (
	from_id bigint PRIMARY KEY,
	to_id   bigint NOT NULL,
	version bigint NOT NULL
);
CREATE INDEX aliases_to ON aliases(to_id);
CREATE INDEX aliases_version ON aliases(version);

CREATE TABLE cards (
	uid        TEXT PRIMARY KEY,
	person     bigint NOT NULL,
	state      TEXT NOT NULL,
	changed_by TEXT NOT NULL DEFAULT '',
	version    bigint NOT NULL
);
CREATE INDEX cards_person ON cards(person);
CREATE INDEX cards_version ON cards(version);

CREATE TABLE activities (
	id         bigint PRIMARY KEY,
	center     TEXT NOT NULL REFERENCES centers(id),
	name       TEXT NOT NULL,
	schedule   TEXT NOT NULL,
	rules      TEXT NOT NULL,
	active     boolean NOT NULL,
	station    boolean NOT NULL,
	changed_by TEXT NOT NULL DEFAULT '',
	version    bigint NOT NULL,
	UNIQUE (center, name)
);
CREATE INDEX activities_version ON activities(center, version);

CREATE TABLE items (
	id           bigint PRIMARY KEY,
	name         TEXT NOT NULL UNIQUE,
	price        bigint NOT NULL,
	limit_count  bigint NOT NULL,
	limit_period TEXT NOT NULL,
	active       boolean NOT NULL,
	changed_by   TEXT NOT NULL DEFAULT '',
	version      bigint NOT NULL
);
CREATE INDEX items_version ON items(version);

CREATE TABLE stock (
	center  TEXT NOT NULL,
	item    bigint NOT NULL,
	qty     bigint NOT NULL,
	version bigint NOT NULL,
	PRIMARY KEY (center, item)
);
CREATE INDEX stock_version ON stock(center, version);

CREATE TABLE staff (
	center     TEXT NOT NULL REFERENCES centers(id),
	uid        TEXT NOT NULL,
	name       TEXT NOT NULL,
	role       TEXT NOT NULL,
	pin_hash   TEXT NOT NULL,
	active     boolean NOT NULL,
	changed_by TEXT NOT NULL DEFAULT '',
	version    bigint NOT NULL,
	PRIMARY KEY (center, uid)
);
CREATE INDEX staff_uid ON staff(uid);
CREATE INDEX staff_version ON staff(center, version);

CREATE TABLE policy (
	id      bigint PRIMARY KEY CHECK (id = 1),
	body    TEXT NOT NULL,
	version bigint NOT NULL
);

CREATE TABLE balances (
	person  bigint PRIMARY KEY,
	points  bigint NOT NULL,
	minutes bigint NOT NULL,
	version bigint NOT NULL
);
CREATE INDEX balances_version ON balances(version);

CREATE TABLE flags (
	id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	kind        TEXT NOT NULL,
	subject     TEXT NOT NULL,
	detail      TEXT NOT NULL,
	at          bigint NOT NULL,
	resolved_by TEXT NOT NULL DEFAULT '',
	resolved_at bigint NOT NULL DEFAULT 0
);
-- at most one open flag per kind and subject
CREATE UNIQUE INDEX flags_open ON flags(kind, subject) WHERE resolved_at = 0;

CREATE TABLE users (
	name          TEXT PRIMARY KEY,
	role          TEXT NOT NULL,
	center        TEXT NOT NULL DEFAULT '',
	password_hash TEXT NOT NULL,
	disabled      boolean NOT NULL DEFAULT false,
	created_at    bigint NOT NULL
);

-- sessions keep a token's SHA-256, never the token.
CREATE TABLE sessions (
	hash       bytea PRIMARY KEY,
	user_name  TEXT NOT NULL REFERENCES users(name),
	csrf       TEXT NOT NULL,
	created_at bigint NOT NULL,
	seen_at    bigint NOT NULL,
	addr       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_name);
CREATE INDEX sessions_seen ON sessions(seen_at);
CREATE INDEX sessions_created ON sessions(created_at);

-- append_only refuses to change or delete a row of the table it guards.
CREATE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
END $$;

-- audit: every change, append-only.
CREATE TABLE audit (
	id      bigint PRIMARY KEY,
	at      bigint NOT NULL,
	actor   TEXT NOT NULL,
	addr    TEXT NOT NULL DEFAULT '',
	action  TEXT NOT NULL,
	center  TEXT NOT NULL DEFAULT '',
	subject TEXT NOT NULL DEFAULT '',
	detail  TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
	FOR EACH ROW EXECUTE FUNCTION append_only('the audit log is append-only');
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
	FOR EACH STATEMENT EXECUTE FUNCTION append_only('the audit log is append-only');

-- person_ids: the number sealed with the hub's ID key (id.key), never in clear.
CREATE TABLE person_ids (
	person     bigint PRIMARY KEY,
	id_type    TEXT NOT NULL,
	sealed     bytea NOT NULL,
	changed_at bigint NOT NULL,
	changed_by TEXT NOT NULL DEFAULT ''
);

-- cert_issuers: center '' is the district office.
CREATE TABLE cert_issuers (
	center     TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	head       TEXT NOT NULL,
	contact    TEXT NOT NULL,
	changed_at bigint NOT NULL,
	changed_by TEXT NOT NULL DEFAULT ''
);

-- certificates: the register, append-only; each as it was issued.
CREATE TABLE certificates (
	id          bigint PRIMARY KEY,
	number      TEXT NOT NULL UNIQUE,
	year        bigint NOT NULL,
	seq         bigint NOT NULL,
	issuer      TEXT NOT NULL,
	issuer_name TEXT NOT NULL,
	head        TEXT NOT NULL,
	contact     TEXT NOT NULL,
	person      bigint NOT NULL,
	name        TEXT NOT NULL,
	member_no   TEXT NOT NULL,
	id_type     TEXT NOT NULL,
	id_sealed   bytea NOT NULL,
	period_from bigint NOT NULL,
	period_to   bigint NOT NULL,
	minutes     bigint NOT NULL,
	shifts      bigint NOT NULL,
	activities  TEXT NOT NULL,
	content     TEXT NOT NULL,
	issued_by   TEXT NOT NULL,
	issued_at   bigint NOT NULL,
	UNIQUE (year, seq)
);
CREATE INDEX certificates_issuer ON certificates(issuer, id);
CREATE INDEX certificates_person ON certificates(person, id);
CREATE TRIGGER certificates_append_only BEFORE UPDATE OR DELETE ON certificates
	FOR EACH ROW EXECUTE FUNCTION append_only('the register of certificates is append-only');
CREATE TRIGGER certificates_no_truncate BEFORE TRUNCATE ON certificates
	FOR EACH STATEMENT EXECUTE FUNCTION append_only('the register of certificates is append-only');

-- item_pictures: the JPEGs the hub made of an upload; hash is large's SHA-256.
CREATE TABLE item_pictures (
	item       bigint PRIMARY KEY REFERENCES items(id),
	hash       bytea NOT NULL,
	large      bytea NOT NULL,
	thumb      bytea NOT NULL,
	width      bigint NOT NULL,
	height     bigint NOT NULL,
	changed_at bigint NOT NULL,
	changed_by TEXT NOT NULL DEFAULT ''
);

CREATE TABLE restocks (
	id       bigint PRIMARY KEY,
	at       bigint NOT NULL,
	center   TEXT NOT NULL REFERENCES centers(id),
	item     bigint NOT NULL,
	qty      bigint NOT NULL,
	after    bigint NOT NULL,
	reason   TEXT NOT NULL,
	by_user  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX restocks_center ON restocks(center, id);
CREATE INDEX restocks_item ON restocks(item, id);
CREATE TRIGGER restocks_append_only BEFORE UPDATE OR DELETE ON restocks
	FOR EACH ROW EXECUTE FUNCTION append_only('the history of restocks is append-only');
CREATE TRIGGER restocks_no_truncate BEFORE TRUNCATE ON restocks
	FOR EACH STATEMENT EXECUTE FUNCTION append_only('the history of restocks is append-only');

-- redemptions (积分兑换): one row per redeem entry, with the pickup code
-- and the hand-out its kiosk pushed and the entry that reversed it.
CREATE TABLE redemptions (
	id               bytea PRIMARY KEY,
	terminal         TEXT NOT NULL,
	seq              bigint NOT NULL,
	center           TEXT NOT NULL,
	person           bigint NOT NULL,
	card             TEXT NOT NULL,
	item             bigint NOT NULL,
	qty              bigint NOT NULL,
	points           bigint NOT NULL,
	at_hub           bigint NOT NULL,
	corrected        boolean NOT NULL DEFAULT false,
	code             TEXT NOT NULL DEFAULT '',
	reversed_by      bytea,
	reversed_at      bigint NOT NULL DEFAULT 0,
	handed_at        bigint NOT NULL DEFAULT 0,
	handed_corrected boolean NOT NULL DEFAULT false,
	handed_by        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX redemptions_center ON redemptions(center, at_hub);
CREATE INDEX redemptions_at ON redemptions(at_hub);
CREATE INDEX redemptions_code ON redemptions(code) WHERE code != '';
CREATE INDEX redemptions_person ON redemptions(person);

-- bundles: the release bundles offered to kiosks.
CREATE TABLE bundles (
	sha256       TEXT PRIMARY KEY,
	version      TEXT NOT NULL,
	arch         TEXT NOT NULL,
	size         bigint NOT NULL,
	centers      TEXT NOT NULL DEFAULT '', -- JSON array; '' or '[]': every center
	added_at     bigint NOT NULL,
	added_by     TEXT NOT NULL DEFAULT '',
	withdrawn_at bigint NOT NULL DEFAULT 0
);
`),
}

// collateC makes every TEXT column of schema COLLATE "C": text orders and
// compares by its bytes, as in SQLite (BINARY), whatever the database's
// locale, and its indexes serve a prefix LIKE.
func collateC(schema string) string {
	return strings.ReplaceAll(schema, " TEXT ", ` text COLLATE "C" `)
}
