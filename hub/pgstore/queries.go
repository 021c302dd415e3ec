package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/record"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// tx is a View's or an Update's transaction; it implements hub.Tx (a View
// hands it out as a hub.Reader only).
type tx struct {
	ctx   context.Context
	q     pgx.Tx
	write bool
	// registry is the counters row 'registry' (the registry version and
	// the last entry number), read by Version in a View, locked by an
	// Update's first NextVersion or AddEntry and written when it commits.
	registry             counter
	registryRead, locked bool
	ids                  map[string]*counter // the other counters an Update locked
	serialFailed         bool                // a query failed to serialize (40001, 40P01)
	serialErr            error
}

// counter is a counters row as an Update holds it.
type counter struct {
	version, value uint64
	dirty          bool
}

var _ hub.Tx = (*tx)(nil)

// seen notes a serialization failure of err: the Update runs again even
// when fn swallowed the error.
func (t *tx) seen(err error) error {
	if err != nil && retryable(err) && !t.serialFailed {
		t.serialFailed, t.serialErr = true, err
	}
	return err
}

func (t *tx) exec(query string, args ...any) (pgconn.CommandTag, error) {
	tag, err := t.q.Exec(t.ctx, rebind(query), args...)
	return tag, t.seen(err)
}

func (t *tx) query(query string, args ...any) (pgx.Rows, error) {
	rows, err := t.q.Query(t.ctx, rebind(query), args...)
	return rows, t.seen(err)
}

// row is query's first row.
func (t *tx) row(query string, args ...any) scanner {
	return seenRow{t, t.q.QueryRow(t.ctx, rebind(query), args...)}
}

type seenRow struct {
	t *tx
	r pgx.Row
}

func (r seenRow) Scan(dest ...any) error { return r.t.seen(r.r.Scan(dest...)) }

// rebound are the queries rebind made.
var rebound sync.Map

// rebind is query with SQLite's parameters (? and ?N) as PostgreSQL's
// ($N): a plain ? is one above the highest number before it, as in SQLite,
// so the queries read as the SQLite store's. Quoted text is left as it is.
func rebind(query string) string {
	if q, ok := rebound.Load(query); ok {
		return q.(string)
	}
	var b strings.Builder
	high := 0
	quoted := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			quoted = !quoted
			b.WriteByte(c)
		case c == '?' && !quoted:
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			n := high + 1
			if j > i+1 {
				n, _ = strconv.Atoi(query[i+1 : j])
			}
			high = max(high, n)
			b.WriteString("$" + strconv.Itoa(n))
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	q := b.String()
	rebound.Store(query, q)
	return q
}

// nano is t as stored: Unix nanoseconds, 0 for the zero time.
func nano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// blob is b as a bytea that is never NULL: nil is no bytes.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// notFound turns pgx.ErrNoRows into hub.ErrNotFound.
func notFound(err error, what string, args ...any) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", fmt.Sprintf(what, args...), hub.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("pgstore: %s: %w", fmt.Sprintf(what, args...), err)
	}
	return nil
}

// exists turns a uniqueness violation into hub.ErrExists.
func exists(err error, what string, args ...any) error {
	if isUnique(err) {
		return fmt.Errorf("%s: %w", fmt.Sprintf(what, args...), hub.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("pgstore: %s: %w", fmt.Sprintf(what, args...), err)
	}
	return nil
}

// lockRegistry reads and locks the counters row 'registry' (after its
// advisory lock, which a retrying Update holds while it runs: see
// Store.Update): an Update taking a version or storing an entry waits for
// one that holds it, and fails to serialize (and runs again) when one
// committed since its snapshot.
func (t *tx) lockRegistry() error {
	if t.locked {
		return nil
	}
	if _, err := t.exec("SELECT pg_advisory_xact_lock(?)", int64(registryKey)); err != nil {
		return fmt.Errorf("pgstore: version: %w", err)
	}
	var v, n int64
	if err := t.row("SELECT version, value FROM counters WHERE name = 'registry' FOR UPDATE").Scan(&v, &n); err != nil {
		return fmt.Errorf("pgstore: version: %w", err)
	}
	t.registry = counter{version: uint64(v), value: uint64(n)}
	t.locked, t.registryRead = true, true
	return nil
}

// nextID takes the next id of counter name (locking its row).
func (t *tx) nextID(name string) (int64, error) {
	c := t.ids[name]
	if c == nil {
		var n int64
		if err := t.row("SELECT value FROM counters WHERE name = ? FOR UPDATE", name).Scan(&n); err != nil {
			return 0, fmt.Errorf("pgstore: next id of %s: %w", name, err)
		}
		c = &counter{value: uint64(n)}
		if t.ids == nil {
			t.ids = map[string]*counter{}
		}
		t.ids[name] = c
	}
	c.value++
	c.dirty = true
	return int64(c.value), nil
}

// flush writes the counters an Update changed, before it commits.
func (t *tx) flush() error {
	if t.registry.dirty {
		if _, err := t.exec("UPDATE counters SET version = ?, value = ? WHERE name = 'registry'",
			int64(t.registry.version), int64(t.registry.value)); err != nil {
			return fmt.Errorf("pgstore: update: %w", err)
		}
	}
	for name, c := range t.ids {
		if c.dirty {
			if _, err := t.exec("UPDATE counters SET value = ? WHERE name = ?", int64(c.value), name); err != nil {
				return fmt.Errorf("pgstore: update: %w", err)
			}
		}
	}
	return nil
}

func (t *tx) Version() (uint64, error) {
	if !t.registryRead {
		var v int64
		if err := t.row("SELECT version FROM counters WHERE name = 'registry'").Scan(&v); err != nil {
			return 0, fmt.Errorf("pgstore: version: %w", err)
		}
		t.registry.version, t.registryRead = uint64(v), true
	}
	return t.registry.version, nil
}

func (t *tx) NextVersion() (uint64, error) {
	if !t.write {
		return 0, errors.New("pgstore: NextVersion in a view")
	}
	if err := t.lockRegistry(); err != nil {
		return 0, err
	}
	t.registry.version++
	t.registry.dirty = true
	return t.registry.version, nil
}

// ---- centers, tokens, kiosks

func (t *tx) Center(id string) (hub.Center, error) {
	c := hub.Center{ID: id}
	var at int64
	err := t.row("SELECT name, created_at FROM centers WHERE id = ?", id).Scan(&c.Name, &at)
	c.Created = fromNano(at)
	return c, notFound(err, "center %s", id)
}

func (t *tx) Centers() ([]hub.Center, error) {
	rows, err := t.query("SELECT id, name, created_at FROM centers ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("pgstore: centers: %w", err)
	}
	return collect(t, rows, func(s scanner) (hub.Center, error) {
		var c hub.Center
		var at int64
		err := s.Scan(&c.ID, &c.Name, &at)
		c.Created = fromNano(at)
		return c, err
	})
}

func (t *tx) AddCenter(c hub.Center) error {
	_, err := t.exec("INSERT INTO centers(id, name, created_at) VALUES (?, ?, ?)", c.ID, c.Name, nano(c.Created))
	return exists(err, "center %s", c.ID)
}

const tokenColumns = "hash, kind, center, terminal, created_at, expires_at, used_at, used_by"

func scanToken(s scanner) (hub.Token, error) {
	var tk hub.Token
	var hash []byte
	var created, expires, used int64
	err := s.Scan(&hash, &tk.Kind, &tk.Center, &tk.Terminal, &created, &expires, &used, &tk.UsedBy)
	copy(tk.Hash[:], hash)
	tk.Created, tk.Expires, tk.Used = fromNano(created), fromNano(expires), fromNano(used)
	return tk, err
}

func (t *tx) Token(hash hub.TokenHash) (hub.Token, error) {
	tk, err := scanToken(t.row("SELECT "+tokenColumns+" FROM tokens WHERE hash = ?", hash[:]))
	return tk, notFound(err, "token")
}

func (t *tx) RestoreTokens(terminal string) ([]hub.Token, error) {
	rows, err := t.query("SELECT "+tokenColumns+" FROM tokens WHERE terminal = ? AND kind = ? ORDER BY created_at", terminal, string(hub.TokenRestore))
	if err != nil {
		return nil, fmt.Errorf("pgstore: restore tokens: %w", err)
	}
	return collect(t, rows, scanToken)
}

func (t *tx) PutToken(tk hub.Token) error {
	_, err := t.exec(`INSERT INTO tokens(`+tokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(hash) DO UPDATE SET used_at = excluded.used_at, used_by = excluded.used_by`,
		tk.Hash[:], string(tk.Kind), tk.Center, tk.Terminal, nano(tk.Created), nano(tk.Expires), nano(tk.Used), tk.UsedBy)
	return exists(err, "token")
}

const kioskColumns = `terminal, center, public_key, enrolled_at, revoked_at, anchor_seq, anchor_hash, head_seq, head_hash,
	counter, last_sync, version, clock_offset, changes_acked, pulled, refusal, fork, arch, offered, outcome`

func scanKiosk(s scanner) (hub.Kiosk, error) {
	var k hub.Kiosk
	var key, anchor, head []byte
	var enrolled, revoked, last, offset int64
	var anchorSeq, headSeq, counter, acked, pulled int64
	var outcome string
	err := s.Scan(&k.Terminal, &k.Center, &key, &enrolled, &revoked, &anchorSeq, &anchor, &headSeq, &head,
		&counter, &last, &k.Version, &offset, &acked, &pulled, &k.Refusal, &k.Fork, &k.Arch, &k.Offered, &outcome)
	if err == nil && outcome != "" {
		k.Outcome = new(hub.UpdateOutcome)
		if jerr := json.Unmarshal([]byte(outcome), k.Outcome); jerr != nil {
			err = fmt.Errorf("pgstore: kiosk %s: outcome: %w", k.Terminal, jerr)
		}
	}
	k.PublicKey = key
	k.Enrolled, k.Revoked, k.LastSync = fromNano(enrolled), fromNano(revoked), fromNano(last)
	k.Anchor.Seq, k.Head.Seq = uint64(anchorSeq), uint64(headSeq)
	copy(k.Anchor.Hash[:], anchor)
	copy(k.Head.Hash[:], head)
	k.Counter, k.ChangesAcked, k.Pulled = uint64(counter), uint64(acked), uint64(pulled)
	k.ClockOffset = time.Duration(offset)
	return k, err
}

func (t *tx) Kiosk(terminal string) (hub.Kiosk, error) {
	k, err := scanKiosk(t.row("SELECT "+kioskColumns+" FROM kiosks WHERE terminal = ?", terminal))
	return k, notFound(err, "kiosk %s", terminal)
}

func (t *tx) Kiosks() ([]hub.Kiosk, error) {
	rows, err := t.query("SELECT " + kioskColumns + " FROM kiosks ORDER BY center, terminal")
	if err != nil {
		return nil, fmt.Errorf("pgstore: kiosks: %w", err)
	}
	return collect(t, rows, scanKiosk)
}

func (t *tx) PutKiosk(k hub.Kiosk) error {
	var outcome []byte
	if k.Outcome != nil {
		var err error
		if outcome, err = json.Marshal(k.Outcome); err != nil {
			return fmt.Errorf("pgstore: kiosk %s: outcome: %w", k.Terminal, err)
		}
	}
	_, err := t.exec(`INSERT INTO kiosks(`+kioskColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(terminal) DO UPDATE SET center = excluded.center, public_key = excluded.public_key,
		enrolled_at = excluded.enrolled_at, revoked_at = excluded.revoked_at, anchor_seq = excluded.anchor_seq,
		anchor_hash = excluded.anchor_hash, head_seq = excluded.head_seq, head_hash = excluded.head_hash,
		counter = excluded.counter, last_sync = excluded.last_sync, version = excluded.version,
		clock_offset = excluded.clock_offset, changes_acked = excluded.changes_acked, pulled = excluded.pulled,
		refusal = excluded.refusal, fork = excluded.fork, arch = excluded.arch, offered = excluded.offered,
		outcome = excluded.outcome`,
		k.Terminal, k.Center, blob(k.PublicKey), nano(k.Enrolled), nano(k.Revoked), int64(k.Anchor.Seq), k.Anchor.Hash[:],
		int64(k.Head.Seq), k.Head.Hash[:], int64(k.Counter), nano(k.LastSync), k.Version, int64(k.ClockOffset),
		int64(k.ChangesAcked), int64(k.Pulled), k.Refusal, k.Fork, k.Arch, k.Offered, string(outcome))
	return exists(err, "kiosk %s", k.Terminal)
}

const bundleColumns = `sha256, version, arch, size, centers, added_at, added_by, withdrawn_at`

func scanBundle(s scanner) (hub.Bundle, error) {
	var b hub.Bundle
	var centers string
	var added, withdrawn int64
	err := s.Scan(&b.SHA256, &b.Version, &b.Arch, &b.Size, &centers, &added, &b.AddedBy, &withdrawn)
	if err == nil && centers != "" {
		if jerr := json.Unmarshal([]byte(centers), &b.Centers); jerr != nil {
			err = fmt.Errorf("pgstore: bundle %s: centers: %w", b.SHA256, jerr)
		}
	}
	if len(b.Centers) == 0 {
		b.Centers = nil
	}
	b.Added, b.Withdrawn = fromNano(added), fromNano(withdrawn)
	return b, err
}

func (t *tx) Bundle(sum string) (hub.Bundle, error) {
	b, err := scanBundle(t.row("SELECT "+bundleColumns+" FROM bundles WHERE sha256 = ?", sum))
	return b, notFound(err, "bundle %s", sum)
}

func (t *tx) Bundles() ([]hub.Bundle, error) {
	rows, err := t.query("SELECT " + bundleColumns + " FROM bundles ORDER BY added_at DESC, sha256")
	if err != nil {
		return nil, fmt.Errorf("pgstore: bundles: %w", err)
	}
	return collect(t, rows, scanBundle)
}

func (t *tx) PutBundle(b hub.Bundle) error {
	centers := ""
	if len(b.Centers) > 0 {
		raw, err := json.Marshal(b.Centers)
		if err != nil {
			return fmt.Errorf("pgstore: bundle %s: %w", b.SHA256, err)
		}
		centers = string(raw)
	}
	_, err := t.exec(`INSERT INTO bundles(`+bundleColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(sha256) DO UPDATE SET version = excluded.version, arch = excluded.arch, size = excluded.size,
		centers = excluded.centers, added_at = excluded.added_at, added_by = excluded.added_by, withdrawn_at = excluded.withdrawn_at`,
		b.SHA256, b.Version, b.Arch, b.Size, centers, nano(b.Added), b.AddedBy, nano(b.Withdrawn))
	if err != nil {
		return fmt.Errorf("pgstore: bundle %s: %w", b.SHA256, err)
	}
	return nil
}

func (t *tx) AdvanceCounter(terminal string, counter uint64) (bool, error) {
	if int64(counter) < 0 {
		return false, nil
	}
	res, err := t.exec("UPDATE kiosks SET counter = ? WHERE terminal = ? AND counter < ?", int64(counter), terminal, int64(counter))
	if err != nil {
		return false, fmt.Errorf("pgstore: counter: %w", err)
	}
	n := res.RowsAffected()
	if n == 0 {
		if _, err := t.Kiosk(terminal); err != nil {
			return false, err
		}
	}
	return n == 1, nil
}

// ---- entries

const entryColumns = "raw, center, at_corrected, received_at"

func scanEntry(s scanner) (hub.StoredEntry, error) {
	var e hub.StoredEntry
	var corrected *int64
	var received int64
	if err := s.Scan(&e.Raw, &e.HubCenter, &corrected, &received); err != nil {
		return e, err
	}
	de, err := record.DecodeEntry(e.Raw)
	if err != nil {
		return e, fmt.Errorf("pgstore: stored entry: %w", err)
	}
	e.Entry = de
	if corrected != nil {
		e.Corrected = fromNano(*corrected)
	}
	e.Received = fromNano(received)
	return e, nil
}

// AddEntry numbers the entry with the next of counters 'registry'.value
// (locked: see the package's doc); one not stored leaves the number to the
// next.
func (t *tx) AddEntry(e hub.StoredEntry) (bool, error) {
	if err := t.lockRegistry(); err != nil {
		return false, err
	}
	var corrected *int64
	if !e.Corrected.IsZero() {
		c := e.Corrected.UnixNano()
		corrected = &c
	}
	n := t.registry.value + 1
	res, err := t.exec(`INSERT INTO entries(terminal, seq, id, n, kind, center, person, card, points, minutes, stock, item,
		activity, at, trusted, at_corrected, at_hub, hash, raw, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		e.Terminal, int64(e.Seq), e.ID[:], int64(n), int(e.Kind), e.HubCenter, int64(e.Person), string(e.Card), e.Points, e.Minutes,
		e.Stock, int64(e.Item), int64(e.Activity), e.At.UnixNano(), e.Trusted, corrected, e.HubTime().UnixNano(),
		e.Hash[:], blob(e.Raw), nano(e.Received))
	if err != nil {
		return false, fmt.Errorf("pgstore: add entry %s/%d: %w", e.Terminal, e.Seq, err)
	}
	if res.RowsAffected() != 1 {
		return false, nil
	}
	t.registry.value, t.registry.dirty = n, true
	return true, nil
}

// AddEntries stores the entries with one COPY (PostgreSQL's bulk path; an
// INSERT … ON CONFLICT of a push's 2,000 entries took three times as long),
// in a savepoint: a push's entries follow what the hub holds, so none is
// held, and COPY stores them all. When one is (a unique violation: another
// push's entry id, or entries a caller did not check), the savepoint is
// undone and the entries go again through INSERT … ON CONFLICT DO NOTHING,
// which skips the held ones in the list's order: an entry is skipped when
// the store, or an entry stored before it in the list, holds its
// (terminal, seq) or id — one skipped holds nothing, as with AddEntry of
// each in turn (a list with a repeat goes that way too: COPY fails at it).
// Each entry is numbered in the list's order; a number a skipped one had
// is left unused (the numbers only grow).
func (t *tx) AddEntries(es []hub.StoredEntry) ([]bool, error) {
	added := make([]bool, len(es))
	if err := t.lockRegistry(); err != nil || len(es) == 0 {
		return added, err
	}
	// No repeat is left out here: which of two entries of one id is
	// stored depends on whether the store takes the first, which only the
	// database knows.
	rows := make([][]any, 0, len(es))
	n := t.registry.value
	for i := range es {
		e := &es[i]
		n++
		var corrected *int64
		if !e.Corrected.IsZero() {
			c := e.Corrected.UnixNano()
			corrected = &c
		}
		rows = append(rows, []any{e.Terminal, int64(e.Seq), e.ID[:], int64(n), int64(e.Kind), e.HubCenter, int64(e.Person),
			string(e.Card), e.Points, e.Minutes, e.Stock, int64(e.Item), int64(e.Activity), e.At.UnixNano(), e.Trusted, corrected,
			e.HubTime().UnixNano(), e.Hash[:], blob(e.Raw), nano(e.Received)})
	}
	copied, err := t.copyEntries(rows)
	if err != nil {
		return nil, fmt.Errorf("pgstore: add %d entries: %w", len(rows), err)
	}
	stored := make([]bool, len(rows))
	if copied {
		for j := range stored {
			stored[j] = true
		}
	} else if stored, err = t.insertEntries(rows); err != nil {
		return nil, fmt.Errorf("pgstore: add %d entries: %w", len(rows), err)
	}
	for i, ok := range stored {
		if ok {
			added[i] = true
			t.registry.value, t.registry.dirty = uint64(rows[i][3].(int64)), true
		}
	}
	return added, nil
}

// entryRowColumns are the columns of an entry's row as AddEntries writes
// it.
var entryRowColumns = []string{"terminal", "seq", "id", "n", "kind", "center", "person", "card", "points", "minutes", "stock",
	"item", "activity", "at", "trusted", "at_corrected", "at_hub", "hash", "raw", "received_at"}

// copyEntries COPYs rows into entries in a savepoint, and reports false
// (the savepoint undone, the transaction good) when one of them is held.
func (t *tx) copyEntries(rows [][]any) (bool, error) {
	sp, err := t.q.Begin(t.ctx)
	if err != nil {
		return false, t.seen(err)
	}
	_, err = sp.CopyFrom(t.ctx, pgx.Identifier{"entries"}, entryRowColumns, pgx.CopyFromRows(rows))
	if isUnique(err) {
		return false, t.seen(sp.Rollback(t.ctx))
	}
	if err != nil {
		_ = sp.Rollback(t.ctx)
		return false, t.seen(err)
	}
	return true, t.seen(sp.Commit(t.ctx))
}

// insertEntries inserts rows in one statement, skipping those held, and
// reports which it stored. The rows go in by their number (ORDER BY 4),
// which is the list's order, and ON CONFLICT DO NOTHING checks each
// against the rows the statement inserted before it too: a repeat of the
// list is skipped only when the entry before it was stored.
func (t *tx) insertEntries(rows [][]any) ([]bool, error) {
	cols := make([]any, len(entryRowColumns)) // each column's values
	for c := range cols {
		col := make([]any, len(rows))
		for j, r := range rows {
			col[j] = r[c]
		}
		cols[c] = col
	}
	res, err := t.query(`INSERT INTO entries(`+strings.Join(entryRowColumns, ", ")+`)
		SELECT * FROM unnest(?::text[], ?::bigint[], ?::bytea[], ?::bigint[], ?::bigint[], ?::text[], ?::bigint[], ?::text[],
			?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::boolean[], ?::bigint[], ?::bigint[],
			?::bytea[], ?::bytea[], ?::bigint[])
		ORDER BY 4
		ON CONFLICT DO NOTHING RETURNING n`, cols...)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	first := rows[0][3].(int64)
	stored := make([]bool, len(rows))
	for res.Next() {
		var n int64
		if err := res.Scan(&n); err != nil {
			return nil, err
		}
		if n < first || n-first >= int64(len(rows)) {
			return nil, fmt.Errorf("stored number %d, not one given", n)
		}
		stored[n-first] = true
	}
	return stored, t.seen(res.Err())
}

func (t *tx) EntryHashes(terminal string, from, to uint64) (map[uint64]record.Hash, error) {
	rows, err := t.query("SELECT seq, hash FROM entries WHERE terminal = ? AND seq >= ? AND seq <= ?", terminal, int64(from), int64(to))
	if err != nil {
		return nil, fmt.Errorf("pgstore: entry hashes: %w", err)
	}
	defer rows.Close()
	out := map[uint64]record.Hash{}
	for rows.Next() {
		var seq int64
		var h []byte
		if err := rows.Scan(&seq, &h); err != nil {
			return nil, fmt.Errorf("pgstore: entry hashes: %w", err)
		}
		var hash record.Hash
		copy(hash[:], h)
		out[uint64(seq)] = hash
	}
	return out, rows.Err()
}

func (t *tx) Entries(terminal string, after uint64, limit int) ([]hub.StoredEntry, error) {
	rows, err := t.query("SELECT "+entryColumns+" FROM entries WHERE terminal = ? AND seq > ? ORDER BY seq LIMIT ?", terminal, int64(after), limit)
	if err != nil {
		return nil, fmt.Errorf("pgstore: entries: %w", err)
	}
	return collect(t, rows, scanEntry)
}

func (t *tx) Entry(id record.EntryID) (hub.StoredEntry, error) {
	e, err := scanEntry(t.row("SELECT "+entryColumns+" FROM entries WHERE id = ?", id[:]))
	return e, notFound(err, "entry %s", id)
}

// cardUsesQuery finds the uses of cards within windows (three arrays:
// the cards, the first and the last instants) at other centers; n IN
// keeps an entry in two windows once.
const cardUsesQuery = `SELECT ` + entryColumns + ` FROM entries WHERE n IN (
		SELECT e.n FROM unnest(?::text[], ?::bigint[], ?::bigint[]) AS w(card, lo, hi)
		JOIN entries e ON e.card = w.card AND e.at_hub >= w.lo AND e.at_hub <= w.hi
		WHERE e.card != '' AND e.center != ? AND e.kind IN (?, ?, ?))
	ORDER BY at_hub, terminal, seq`

// CardUses asks for every window in one query: PostgreSQL takes arrays of
// any length.
func (t *tx) CardUses(center string, windows []hub.CardWindow) ([]hub.StoredEntry, error) {
	if len(windows) == 0 {
		return nil, nil
	}
	cards := make([]string, len(windows))
	los := make([]int64, len(windows))
	his := make([]int64, len(windows))
	for i, w := range windows {
		cards[i], los[i], his[i] = string(w.Card), w.From.UnixNano(), w.To.UnixNano()
	}
	rows, err := t.query(cardUsesQuery, cards, los, his, center, int(record.KindCheckIn), int(record.KindCheckOut), int(record.KindRedeem))
	if err != nil {
		return nil, fmt.Errorf("pgstore: card uses: %w", err)
	}
	out, err := collect(t, rows, scanEntry)
	if len(out) == 0 {
		return nil, err
	}
	return out, err
}

// ---- people, aliases, cards

const personColumns = "id, member_no, name, provisional, phone, community, kind, changed_by, version, center"

func scanPerson(s scanner) (hub.Person, error) {
	var p hub.Person
	var id, version int64
	var kind int
	err := s.Scan(&id, &p.MemberNo, &p.Name, &p.Provisional, &p.Phone, &p.Community, &kind, &p.ChangedBy, &version, &p.Center)
	p.ID, p.Kind, p.Version = record.PersonID(id), record.VolunteerKind(kind), uint64(version)
	return p, err
}

func (t *tx) Person(id record.PersonID) (hub.Person, error) {
	p, err := scanPerson(t.row("SELECT "+personColumns+" FROM people WHERE id = ?", int64(id)))
	return p, notFound(err, "person %d", id)
}

func (t *tx) PersonByMemberNo(no string) (hub.Person, error) {
	p, err := scanPerson(t.row("SELECT "+personColumns+" FROM people WHERE member_no = ?", no))
	return p, notFound(err, "member number %s", no)
}

func personArgs(p hub.Person) []any {
	return []any{int64(p.ID), p.MemberNo, p.Name, p.Provisional, p.Phone, p.Community, int(p.Kind), p.ChangedBy, int64(p.Version), p.Center}
}

func (t *tx) AddPerson(p hub.Person) error {
	_, err := t.exec("INSERT INTO people("+personColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", personArgs(p)...)
	return exists(err, "person %d (member number %s)", p.ID, p.MemberNo)
}

func (t *tx) PutPerson(p hub.Person) error {
	_, err := t.exec(`INSERT INTO people(`+personColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET member_no = excluded.member_no, name = excluded.name, provisional = excluded.provisional,
		phone = excluded.phone, community = excluded.community, kind = excluded.kind, changed_by = excluded.changed_by,
		version = excluded.version, center = excluded.center`, personArgs(p)...)
	return exists(err, "person %d (member number %s)", p.ID, p.MemberNo)
}

// SearchPeople reads the whole table for a name (strpos, no LIKE to
// escape).
func (t *tx) SearchPeople(q hub.PeopleQuery) ([]hub.Person, error) {
	var conds []string
	var args []any
	if q.Name != "" {
		conds, args = append(conds, "strpos(name, ?) > 0"), append(args, q.Name)
	}
	if q.MemberNo != "" {
		conds, args = append(conds, "substr(member_no, 1, ?::integer) = ?"), append(args, len(q.MemberNo), q.MemberNo)
	}
	if q.PhoneEnd != "" {
		conds, args = append(conds, "(length(phone) >= ?::integer AND substr(phone, length(phone) - ?::integer + 1) = ?)"),
			append(args, len(q.PhoneEnd), len(q.PhoneEnd), q.PhoneEnd)
	}
	if len(conds) == 0 {
		return nil, nil
	}
	limit := q.Limit
	if limit <= 0 || limit > hub.MaxSearch {
		limit = hub.MaxSearch
	}
	where := "(" + strings.Join(conds, " OR ") + ")"
	if q.Center != "" {
		where, args = "center = ? AND "+where, append([]any{q.Center}, args...)
	}
	rows, err := t.query("SELECT "+personColumns+" FROM people WHERE "+where+" ORDER BY member_no LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("pgstore: search people: %w", err)
	}
	return collect(t, rows, scanPerson)
}

func scanAlias(s scanner) (hub.Alias, error) {
	var a hub.Alias
	var from, to, v int64
	err := s.Scan(&from, &to, &v)
	a.From, a.To, a.Version = record.PersonID(from), record.PersonID(to), uint64(v)
	return a, err
}

func (t *tx) Alias(from record.PersonID) (hub.Alias, error) {
	a, err := scanAlias(t.row("SELECT from_id, to_id, version FROM aliases WHERE from_id = ?", int64(from)))
	return a, notFound(err, "alias of %d", from)
}

func (t *tx) Aliases(from []record.PersonID) ([]hub.Alias, error) {
	return inList(t, "SELECT from_id, to_id, version FROM aliases WHERE from_id = ANY(?) ORDER BY from_id", from, scanAlias)
}

func (t *tx) AliasesTo(to record.PersonID) ([]hub.Alias, error) {
	rows, err := t.query("SELECT from_id, to_id, version FROM aliases WHERE to_id = ? ORDER BY from_id", int64(to))
	if err != nil {
		return nil, fmt.Errorf("pgstore: aliases: %w", err)
	}
	return collect(t, rows, scanAlias)
}

func (t *tx) PutAlias(a hub.Alias) error {
	_, err := t.exec(`INSERT INTO aliases(from_id, to_id, version) VALUES (?, ?, ?)
		ON CONFLICT(from_id) DO UPDATE SET to_id = excluded.to_id, version = excluded.version`, int64(a.From), int64(a.To), int64(a.Version))
	return exists(err, "alias of %d", a.From)
}

const cardColumns = "uid, person, state, changed_by, version"

func scanCard(s scanner) (hub.Card, error) {
	var c hub.Card
	var uid string
	var person, v int64
	err := s.Scan(&uid, &person, &c.State, &c.ChangedBy, &v)
	c.UID, c.Person, c.Version = record.CardUID(uid), record.PersonID(person), uint64(v)
	return c, err
}

func (t *tx) Card(uid record.CardUID) (hub.Card, error) {
	c, err := scanCard(t.row("SELECT "+cardColumns+" FROM cards WHERE uid = ?", string(uid)))
	return c, notFound(err, "card %s", uid)
}

func (t *tx) CardsOf(person record.PersonID) ([]hub.Card, error) {
	rows, err := t.query("SELECT "+cardColumns+" FROM cards WHERE person = ? ORDER BY uid", int64(person))
	if err != nil {
		return nil, fmt.Errorf("pgstore: cards: %w", err)
	}
	return collect(t, rows, scanCard)
}

func (t *tx) PutCard(c hub.Card) error {
	_, err := t.exec(`INSERT INTO cards(`+cardColumns+`) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(uid) DO UPDATE SET person = excluded.person, state = excluded.state, changed_by = excluded.changed_by,
		version = excluded.version`, string(c.UID), int64(c.Person), c.State, c.ChangedBy, int64(c.Version))
	return exists(err, "card %s", c.UID)
}

// ---- activities, items, stock, staff, policy, balances

const activityColumns = "id, center, name, schedule, rules, active, station, changed_by, version"

func scanActivity(s scanner) (hub.Activity, error) {
	var a hub.Activity
	var id, v int64
	var sched, rules string
	if err := s.Scan(&id, &a.Center, &a.Name, &sched, &rules, &a.Active, &a.Station, &a.ChangedBy, &v); err != nil {
		return a, err
	}
	a.ID, a.Version = record.ActivityID(id), uint64(v)
	if err := json.Unmarshal([]byte(sched), &a.Schedule); err != nil {
		return a, fmt.Errorf("pgstore: activity %d schedule: %w", id, err)
	}
	if err := json.Unmarshal([]byte(rules), &a.Rules); err != nil {
		return a, fmt.Errorf("pgstore: activity %d rules: %w", id, err)
	}
	return a, nil
}

func activityArgs(a hub.Activity) ([]any, error) {
	sched, err := json.Marshal(a.Schedule)
	if err != nil {
		return nil, err
	}
	rules, err := json.Marshal(a.Rules)
	if err != nil {
		return nil, err
	}
	return []any{int64(a.ID), a.Center, a.Name, string(sched), string(rules), a.Active, a.Station, a.ChangedBy, int64(a.Version)}, nil
}

func (t *tx) Activity(id record.ActivityID) (hub.Activity, error) {
	a, err := scanActivity(t.row("SELECT "+activityColumns+" FROM activities WHERE id = ?", int64(id)))
	return a, notFound(err, "activity %d", id)
}

func (t *tx) Activities(center string) ([]hub.Activity, error) {
	rows, err := t.query("SELECT "+activityColumns+" FROM activities WHERE center = ? ORDER BY name", center)
	if err != nil {
		return nil, fmt.Errorf("pgstore: activities: %w", err)
	}
	return collect(t, rows, scanActivity)
}

func (t *tx) PutActivity(a hub.Activity) error {
	args, err := activityArgs(a)
	if err != nil {
		return err
	}
	_, err = t.exec(`INSERT INTO activities(`+activityColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET center = excluded.center, name = excluded.name, schedule = excluded.schedule,
		rules = excluded.rules, active = excluded.active, station = excluded.station, changed_by = excluded.changed_by,
		version = excluded.version`, args...)
	return exists(err, "activity %s of center %s", a.Name, a.Center)
}

const itemColumns = "id, name, price, limit_count, limit_period, active, changed_by, version"

func scanItem(s scanner) (hub.Item, error) {
	var it hub.Item
	var id, v int64
	err := s.Scan(&id, &it.Name, &it.Price, &it.LimitCount, &it.LimitPeriod, &it.Active, &it.ChangedBy, &v)
	it.ID, it.Version = record.ItemID(id), uint64(v)
	return it, err
}

func (t *tx) Items() ([]hub.Item, error) {
	rows, err := t.query("SELECT " + itemColumns + " FROM items ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("pgstore: items: %w", err)
	}
	return collect(t, rows, scanItem)
}

func (t *tx) PutItem(it hub.Item) error {
	_, err := t.exec(`INSERT INTO items(`+itemColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET name = excluded.name, price = excluded.price, limit_count = excluded.limit_count,
		limit_period = excluded.limit_period, active = excluded.active, changed_by = excluded.changed_by, version = excluded.version`,
		int64(it.ID), it.Name, it.Price, it.LimitCount, it.LimitPeriod, it.Active, it.ChangedBy, int64(it.Version))
	return exists(err, "item %s", it.Name)
}

func scanStock(s scanner) (hub.Stock, error) {
	var st hub.Stock
	var item, v int64
	err := s.Scan(&st.Center, &item, &st.Qty, &v)
	st.Item, st.Version = record.ItemID(item), uint64(v)
	return st, err
}

func (t *tx) Stock(center string, item record.ItemID) (hub.Stock, error) {
	s, err := scanStock(t.row("SELECT center, item, qty, version FROM stock WHERE center = ? AND item = ?", center, int64(item)))
	return s, notFound(err, "stock of item %d at %s", item, center)
}

func (t *tx) PutStock(s hub.Stock) error {
	_, err := t.exec(`INSERT INTO stock(center, item, qty, version) VALUES (?, ?, ?, ?)
		ON CONFLICT(center, item) DO UPDATE SET qty = excluded.qty, version = excluded.version`,
		s.Center, int64(s.Item), s.Qty, int64(s.Version))
	return exists(err, "stock of item %d at %s", s.Item, s.Center)
}

const staffColumns = "center, uid, name, role, pin_hash, active, changed_by, version"

func scanStaff(s scanner) (hub.Staff, error) {
	var st hub.Staff
	var uid string
	var v int64
	err := s.Scan(&st.Center, &uid, &st.Name, &st.Role, &st.PINHash, &st.Active, &st.ChangedBy, &v)
	st.UID, st.Version = record.CardUID(uid), uint64(v)
	return st, err
}

func (t *tx) StaffByCard(uid record.CardUID) ([]hub.Staff, error) {
	rows, err := t.query("SELECT "+staffColumns+" FROM staff WHERE uid = ? ORDER BY center", string(uid))
	if err != nil {
		return nil, fmt.Errorf("pgstore: staff: %w", err)
	}
	return collect(t, rows, scanStaff)
}

func (t *tx) PutStaff(s hub.Staff) error {
	_, err := t.exec(`INSERT INTO staff(`+staffColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(center, uid) DO UPDATE SET name = excluded.name, role = excluded.role, pin_hash = excluded.pin_hash,
		active = excluded.active, changed_by = excluded.changed_by, version = excluded.version`,
		s.Center, string(s.UID), s.Name, s.Role, s.PINHash, s.Active, s.ChangedBy, int64(s.Version))
	return exists(err, "staff card %s of %s", s.UID, s.Center)
}

func (t *tx) Policy() (record.Policy, uint64, error) {
	var body string
	var v int64
	err := t.row("SELECT body, version FROM policy WHERE id = 1").Scan(&body, &v)
	if errors.Is(err, pgx.ErrNoRows) {
		return record.DefaultPolicy, 0, nil
	}
	if err != nil {
		return record.Policy{}, 0, fmt.Errorf("pgstore: policy: %w", err)
	}
	var p record.Policy
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		return record.Policy{}, 0, fmt.Errorf("pgstore: policy: %w", err)
	}
	return p, uint64(v), nil
}

func (t *tx) PutPolicy(p record.Policy, version uint64) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = t.exec(`INSERT INTO policy(id, body, version) VALUES (1, ?, ?)
		ON CONFLICT(id) DO UPDATE SET body = excluded.body, version = excluded.version`, string(b), int64(version))
	return exists(err, "policy")
}

func scanBalance(s scanner) (hub.Balance, error) {
	var b hub.Balance
	var p, v int64
	err := s.Scan(&p, &b.Points, &b.Minutes, &v)
	b.Person, b.Version = record.PersonID(p), uint64(v)
	return b, err
}

func (t *tx) Balance(person record.PersonID) (hub.Balance, error) {
	b, err := scanBalance(t.row("SELECT person, points, minutes, version FROM balances WHERE person = ?", int64(person)))
	return b, notFound(err, "balance of %d", person)
}

func (t *tx) Balances(persons []record.PersonID) ([]hub.Balance, error) {
	return inList(t, "SELECT person, points, minutes, version FROM balances WHERE person = ANY(?) ORDER BY person", persons, scanBalance)
}

func (t *tx) PutBalance(b hub.Balance) error {
	_, err := t.exec(`INSERT INTO balances(person, points, minutes, version) VALUES (?, ?, ?, ?)
		ON CONFLICT(person) DO UPDATE SET points = excluded.points, minutes = excluded.minutes, version = excluded.version`,
		int64(b.Person), b.Points, b.Minutes, int64(b.Version))
	return exists(err, "balance of %d", b.Person)
}

// PutBalances writes the balances in one statement; a person twice is
// written as the last of them (one statement may not change a row twice).
func (t *tx) PutBalances(bs []hub.Balance) error {
	last := make(map[record.PersonID]int, len(bs))
	for i, b := range bs {
		last[b.Person] = i
	}
	var person, points, minutes, version []int64
	for i, b := range bs {
		if last[b.Person] != i {
			continue
		}
		person, points, minutes, version = append(person, int64(b.Person)), append(points, b.Points), append(minutes, b.Minutes), append(version, int64(b.Version))
	}
	if len(person) == 0 {
		return nil
	}
	_, err := t.exec(`INSERT INTO balances(person, points, minutes, version)
		SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[])
		ON CONFLICT(person) DO UPDATE SET points = excluded.points, minutes = excluded.minutes, version = excluded.version`,
		person, points, minutes, version)
	return exists(err, "balances of %d people", len(person))
}

// ---- the pull

func (t *tx) Since(since uint64, center string, limit int) (hub.Changes, error) {
	var ch hub.Changes
	var err error
	v := int64(since)
	list := func(q string, args ...any) (pgx.Rows, error) {
		rows, err := t.query(q, args...)
		if err != nil {
			return nil, fmt.Errorf("pgstore: since: %w", err)
		}
		return rows, nil
	}
	rows, err := list("SELECT "+personColumns+" FROM people WHERE version > ? ORDER BY version LIMIT ?", v, limit)
	if err != nil {
		return ch, err
	}
	if ch.People, err = collect(t, rows, scanPerson); err != nil {
		return ch, err
	}
	if rows, err = list("SELECT "+cardColumns+" FROM cards WHERE version > ? ORDER BY version LIMIT ?", v, limit); err != nil {
		return ch, err
	}
	if ch.Cards, err = collect(t, rows, scanCard); err != nil {
		return ch, err
	}
	if rows, err = list("SELECT from_id, to_id, version FROM aliases WHERE version > ? ORDER BY version LIMIT ?", v, limit); err != nil {
		return ch, err
	}
	if ch.Aliases, err = collect(t, rows, scanAlias); err != nil {
		return ch, err
	}
	if rows, err = list("SELECT "+activityColumns+" FROM activities WHERE center = ? AND version > ? ORDER BY version LIMIT ?", center, v, limit); err != nil {
		return ch, err
	}
	if ch.Activities, err = collect(t, rows, scanActivity); err != nil {
		return ch, err
	}
	if rows, err = list("SELECT "+itemColumns+" FROM items WHERE version > ? ORDER BY version LIMIT ?", v, limit); err != nil {
		return ch, err
	}
	if ch.Items, err = collect(t, rows, scanItem); err != nil {
		return ch, err
	}
	if rows, err = list("SELECT center, item, qty, version FROM stock WHERE center = ? AND version > ? ORDER BY version LIMIT ?", center, v, limit); err != nil {
		return ch, err
	}
	if ch.Stock, err = collect(t, rows, scanStock); err != nil {
		return ch, err
	}
	if rows, err = list("SELECT "+staffColumns+" FROM staff WHERE center = ? AND version > ? ORDER BY version LIMIT ?", center, v, limit); err != nil {
		return ch, err
	}
	if ch.Staff, err = collect(t, rows, scanStaff); err != nil {
		return ch, err
	}
	if rows, err = list("SELECT person, points, minutes, version FROM balances WHERE version > ? ORDER BY version LIMIT ?", v, limit); err != nil {
		return ch, err
	}
	if ch.Balances, err = collect(t, rows, scanBalance); err != nil {
		return ch, err
	}
	p, pv, err := t.Policy()
	if err != nil {
		return ch, err
	}
	if pv > since {
		ch.Policy, ch.PolicyVersion = &p, pv
	}
	return ch, nil
}

// ---- flags

func (t *tx) AddFlag(f hub.Flag) (bool, error) {
	res, err := t.exec(`INSERT INTO flags(kind, subject, detail, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		string(f.Kind), f.Subject, f.Detail, nano(f.At))
	if err != nil {
		return false, fmt.Errorf("pgstore: add flag: %w", err)
	}
	return res.RowsAffected() == 1, nil
}

func (t *tx) ResolveFlags(kind hub.FlagKind, subject, by string, at time.Time) error {
	_, err := t.exec("UPDATE flags SET resolved_by = ?, resolved_at = ? WHERE kind = ? AND subject = ? AND resolved_at = 0",
		by, nano(at), string(kind), subject)
	if err != nil {
		return fmt.Errorf("pgstore: resolve flags: %w", err)
	}
	return nil
}

func (t *tx) Flags(open bool) ([]hub.Flag, error) {
	q := "SELECT id, kind, subject, detail, at, resolved_by, resolved_at FROM flags"
	if open {
		q += " WHERE resolved_at = 0"
	}
	rows, err := t.query(q + " ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("pgstore: flags: %w", err)
	}
	return collect(t, rows, func(s scanner) (hub.Flag, error) {
		var f hub.Flag
		var at, resolved int64
		var kind string
		err := s.Scan(&f.ID, &kind, &f.Subject, &f.Detail, &at, &f.ResolvedBy, &resolved)
		f.Kind, f.At, f.Resolved = hub.FlagKind(kind), fromNano(at), fromNano(resolved)
		return f, err
	})
}

// ---- helpers

// inList runs query, whose ? is an array of ids, for ids (integer ids,
// any number, in any order and with repeats: = ANY reads each row once).
func inList[T any, ID ~int64](t *tx, query string, ids []ID, scan func(scanner) (T, error)) ([]T, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	arg := make([]int64, len(ids))
	for i, id := range ids {
		arg[i] = int64(id)
	}
	rows, err := t.query(query, arg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	return collect(t, rows, scan)
}

type scanner interface{ Scan(dest ...any) error }

// collect scans every row with scan and closes rows.
func collect[T any](t *tx, rows pgx.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, t.seen(fmt.Errorf("pgstore: scan: %w", err))
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, t.seen(fmt.Errorf("pgstore: %w", err))
	}
	return out, nil
}
