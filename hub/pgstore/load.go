package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/jackc/pgx/v5"
)

// ErrNotEmpty is Import's error for a database that holds a hub already:
// a copy goes into an empty one only, never over a hub's rows.
var ErrNotEmpty = errors.New("the database holds a hub already")

// loadBatch is how many rows Put sends at once (COPY).
const loadBatch = 1000

// Import copies a hub into the store's database, which must hold none yet
// (every table empty, as Open leaves a new database): fn puts the rows
// (Loader.Put) and may read them back (Loader.Dump, Loader.View) before
// Import commits them. It is one transaction that holds every table of
// the hub locked: an error of fn, a failure or a cancelled ctx leaves the
// database as it was, empty, and a second Import or a hub process on the
// same database waits for it and then finds the rows. For hubd migrate.
func (s *Store) Import(ctx context.Context, fn func(*Loader) error) error {
	err := pgx.BeginFunc(ctx, s.pool, func(t pgx.Tx) error {
		l := &Loader{ctx: ctx, t: t, cols: map[string]map[string]column{}}
		if err := l.begin(); err != nil {
			return err
		}
		if err := fn(l); err != nil {
			return err
		}
		return l.finish()
	})
	if err != nil {
		return redact(fmt.Errorf("pgstore: import: %w", err), s.secret)
	}
	return nil
}

// Loader puts the rows of a hub into an empty database, in Import's
// transaction.
type Loader struct {
	ctx      context.Context
	t        pgx.Tx
	tables   []string                     // the hub's tables, by name
	cols     map[string]map[string]column // each table's columns
	version  uint64                       // meta 'version'
	table    string                       // the table of batch
	names    []string                     // batch's columns (PostgreSQL's names)
	batch    [][]any
	finished bool
}

// column is a column's type as Put converts to it.
type column struct {
	boolean, bytea, nullable bool
}

// skipped are the database's tables that are no hub table of the SQLite
// store: the schema's mark and the counters (meta's version, the
// numbers the tables' rows give).
var skipped = map[string]bool{"hub_schema": true, "counters": true}

func (l *Loader) begin() error {
	rows, err := l.t.Query(l.ctx, `SELECT table_name::text, column_name::text, data_type::text, is_nullable = 'YES'
		FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var table, name, typ string
		var nullable bool
		if err := rows.Scan(&table, &name, &typ, &nullable); err != nil {
			rows.Close()
			return err
		}
		if l.cols[table] == nil {
			l.cols[table] = map[string]column{}
			l.tables = append(l.tables, table)
		}
		l.cols[table][name] = column{boolean: typ == "boolean", bytea: typ == "bytea", nullable: nullable}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	sort.Strings(l.tables)
	lock := "LOCK TABLE "
	for i, table := range l.tables {
		if i > 0 {
			lock += ", "
		}
		lock += pgx.Identifier{table}.Sanitize()
	}
	if _, err := l.t.Exec(l.ctx, lock+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		return err
	}
	var used bool
	if err := l.t.QueryRow(l.ctx, "SELECT EXISTS (SELECT 1 FROM counters WHERE version <> 0 OR value <> 0)").Scan(&used); err != nil {
		return err
	}
	if used {
		return fmt.Errorf("%w (its counters are not zero)", ErrNotEmpty)
	}
	for _, table := range l.tables {
		if skipped[table] {
			continue
		}
		var some bool
		if err := l.t.QueryRow(l.ctx, "SELECT EXISTS (SELECT 1 FROM "+pgx.Identifier{table}.Sanitize()+")").Scan(&some); err != nil {
			return err
		}
		if some {
			return fmt.Errorf("%w (table %s has rows)", ErrNotEmpty, table)
		}
	}
	return nil
}

// Put stores a row of table, in the shape sqlitestore's Dump gives it:
// cols names row's values (int64, string, []byte or nil); a flag's 0 or 1
// becomes a boolean, the entries' "rowid" their store number n, meta's
// version the registry's. A row nil only names the table. Rows are sent
// in batches (COPY); a table's rows must come together.
func (l *Loader) Put(table string, cols []string, row []any) error {
	if l.finished {
		return errors.New("put after the rows were read back")
	}
	if table == "meta" {
		if row == nil {
			return nil
		}
		return l.putMeta(cols, row)
	}
	types, ok := l.cols[table]
	if !ok || skipped[table] {
		return fmt.Errorf("table %s: not a table of the hub's database", table)
	}
	if table != l.table {
		if err := l.flush(); err != nil {
			return err
		}
		l.table = table
		l.names = make([]string, len(cols))
		for i, c := range cols {
			if table == "entries" && c == "rowid" {
				c = "n"
			}
			if _, ok := types[c]; !ok {
				return fmt.Errorf("table %s: no column %s in the hub's database", table, c)
			}
			l.names[i] = c
		}
	}
	if row == nil {
		return nil
	}
	if len(row) != len(l.names) {
		return fmt.Errorf("table %s: a row of %d values for %d columns", table, len(row), len(l.names))
	}
	out := make([]any, len(row))
	for i, v := range row {
		c := types[l.names[i]]
		switch {
		case v == nil && c.bytea && !c.nullable:
			v = []byte{}
		case c.boolean:
			n, ok := v.(int64)
			if !ok || (n != 0 && n != 1) {
				return fmt.Errorf("table %s: column %s: %v is no flag (0 or 1)", table, l.names[i], v)
			}
			v = n == 1
		}
		out[i] = v
	}
	l.batch = append(l.batch, out)
	if len(l.batch) >= loadBatch {
		return l.flush()
	}
	return nil
}

// putMeta takes meta's rows: its version is the registry's; the store
// keeps no other.
func (l *Loader) putMeta(cols []string, row []any) error {
	var key, value string
	for i, c := range cols {
		s, _ := row[i].(string)
		switch c {
		case "key":
			key = s
		case "value":
			value = s
		}
	}
	if key != "version" {
		return fmt.Errorf("meta %q: not a key this store keeps", key)
	}
	v, err := strconv.ParseUint(value, 10, 64)
	if err != nil {
		return fmt.Errorf("meta version %q: %w", value, err)
	}
	l.version = v
	return nil
}

// flush sends the batch.
func (l *Loader) flush() error {
	if len(l.batch) == 0 {
		return nil
	}
	_, err := l.t.CopyFrom(l.ctx, pgx.Identifier{l.table}, l.names, pgx.CopyFromRows(l.batch))
	l.batch = l.batch[:0]
	if err != nil {
		return fmt.Errorf("table %s: %w", l.table, err)
	}
	return nil
}

// finish sends the last batch and sets the counters from the rows: the
// registry's version from meta, its entry number and the append-only
// tables' last ids from their highest, and the flags' identity past
// their highest id.
func (l *Loader) finish() error {
	if l.finished {
		return nil
	}
	if err := l.flush(); err != nil {
		return err
	}
	l.finished = true
	if _, err := l.t.Exec(l.ctx, "UPDATE counters SET version = $1, value = (SELECT coalesce(max(n), 0) FROM entries) WHERE name = 'registry'", int64(l.version)); err != nil {
		return err
	}
	for _, table := range []string{"audit", "certificates", "restocks"} {
		if _, err := l.t.Exec(l.ctx, "UPDATE counters SET value = (SELECT coalesce(max(id), 0) FROM "+table+") WHERE name = $1", table); err != nil {
			return err
		}
	}
	_, err := l.t.Exec(l.ctx, "SELECT setval(pg_get_serial_sequence('flags', 'id'), coalesce(max(id), 0) + 1, false) FROM flags")
	return err
}

// Dump reads the rows back as Put took them, in the shape of sqlitestore's
// Dump: each table (by name) with row nil, then its rows, with flags 0 and
// 1, the entries' n as "rowid", and meta's one row, the version. hubd
// migrate compares them with what it put.
func (l *Loader) Dump(fn func(table string, cols []string, row []any) error) error {
	if err := l.finish(); err != nil {
		return err
	}
	var version int64
	if err := l.t.QueryRow(l.ctx, "SELECT version FROM counters WHERE name = 'registry'").Scan(&version); err != nil {
		return err
	}
	meta := []string{"key", "value"}
	if err := fn("meta", meta, nil); err != nil {
		return err
	}
	if err := fn("meta", meta, []any{"version", strconv.FormatInt(version, 10)}); err != nil {
		return err
	}
	for _, table := range l.tables {
		if skipped[table] {
			continue
		}
		if err := l.dumpTable(table, fn); err != nil {
			return fmt.Errorf("table %s: %w", table, err)
		}
	}
	return nil
}

func (l *Loader) dumpTable(table string, fn func(string, []string, []any) error) error {
	rows, err := l.t.Query(l.ctx, "SELECT * FROM "+pgx.Identifier{table}.Sanitize())
	if err != nil {
		return err
	}
	defer rows.Close()
	var cols []string
	for _, f := range rows.FieldDescriptions() {
		name := f.Name
		if table == "entries" && name == "n" {
			name = "rowid"
		}
		cols = append(cols, name)
	}
	if err := fn(table, cols, nil); err != nil {
		return err
	}
	for rows.Next() {
		row, err := rows.Values()
		if err != nil {
			return err
		}
		for i, v := range row {
			switch x := v.(type) {
			case bool:
				row[i] = int64(0)
				if x {
					row[i] = int64(1)
				}
			case int64, string, []byte, nil:
			default:
				return fmt.Errorf("column %s holds a %T", cols[i], v)
			}
		}
		if err := fn(table, cols, row); err != nil {
			return err
		}
	}
	return rows.Err()
}

// View runs fn on the rows put so far, in Import's transaction: the hub's
// reads, for hubd migrate to compare with the store it copied.
func (l *Loader) View(fn func(hub.Reader) error) error {
	if err := l.finish(); err != nil {
		return err
	}
	return fn(&tx{ctx: l.ctx, q: l.t})
}
