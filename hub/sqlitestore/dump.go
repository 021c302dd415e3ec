package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DumpTables are the store's tables in the order Dump reads them: a table
// before those that refer to it (centers before kiosks, users before
// sessions, items before their pictures), so that a copy can insert them
// in this order with its foreign keys checked.
var DumpTables = []string{
	"meta", "centers", "tokens", "kiosks", "entries", "people", "aliases", "cards", "activities",
	"items", "stock", "staff", "policy", "balances", "flags", "users", "sessions", "audit",
	"person_ids", "cert_issuers", "certificates", "item_pictures", "restocks", "redemptions", "bundles",
}

// OpenReadOnly opens the store in dir for reading only (SQLite's mode=ro
// and query_only): hubd migrate copies a hub from it and leaves the file
// as it was. It opens only a store of this program's schema: an older one
// is brought up to date by opening it once the usual way (any hubd
// command), which a read-only store cannot do.
func OpenReadOnly(ctx context.Context, dir string) (*Store, error) {
	path := filepath.Join(dir, FileName)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("sqlitestore: %w", err)
	}
	ro := func() (*sql.DB, error) {
		d := dsn(path, 10e9, false)
		d = strings.Replace(d, "?", "?mode=ro&", 1) + "&_pragma=query_only(1)"
		return sql.Open("sqlite", d)
	}
	s := &Store{path: path}
	var err error
	if s.w, err = ro(); err != nil {
		return nil, fmt.Errorf("sqlitestore: %w", err)
	}
	s.w.SetMaxOpenConns(1)
	if s.r, err = ro(); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("sqlitestore: %w", err)
	}
	s.r.SetMaxOpenConns(4)
	fail := func(err error) (*Store, error) {
		s.Close()
		return nil, fmt.Errorf("sqlitestore: %s: %w", path, err)
	}
	var app int64
	var v int
	if err := s.r.QueryRowContext(ctx, "PRAGMA application_id").Scan(&app); err != nil {
		return fail(err)
	}
	if app != applicationID {
		return fail(fmt.Errorf("not a hub's database (application id %#x)", app))
	}
	if err := s.r.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fail(err)
	}
	if v != len(migrations) {
		return fail(fmt.Errorf("schema version %d, this program's is %d: open it once with this hubd (e.g. hubd status) to bring it up to date", v, len(migrations)))
	}
	var pending int
	if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM meta WHERE key = 'fill_reversals'").Scan(&pending); err != nil {
		return fail(err)
	}
	if pending > 0 {
		return fail(errors.New("the redemptions' reversals are not filled in yet: open it once with this hubd (e.g. hubd status)"))
	}
	return s, nil
}

// Dump calls fn with every row of every table, in one read snapshot, for
// hubd migrate, which copies a hub into another store. For each table of
// DumpTables in turn, fn is called once with row nil (the table, even an
// empty one), then once for each of its rows in its primary key's order.
// cols names row's values, which are as SQLite holds them: int64, string,
// []byte or nil (flags are 0 and 1, times Unix nanoseconds). The entries'
// store order, which SQLite keeps as their rowid, is the column "rowid".
// A table in the file that DumpTables does not name is an error, never a
// table left out of a copy.
func (s *Store) Dump(ctx context.Context, fn func(table string, cols []string, row []any) error) error {
	t, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlitestore: dump: %w", err)
	}
	defer t.Rollback() //nolint:errcheck // a read transaction has nothing to keep
	rows, err := t.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
	if err != nil {
		return fmt.Errorf("sqlitestore: dump: %w", err)
	}
	known := map[string]bool{}
	for _, n := range DumpTables {
		known[n] = true
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return fmt.Errorf("sqlitestore: dump: %w", err)
		}
		if !known[n] {
			rows.Close()
			return fmt.Errorf("sqlitestore: dump: table %s is not one Dump knows", n)
		}
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("sqlitestore: dump: %w", err)
	}
	for _, table := range DumpTables {
		q := "SELECT * FROM " + table + " ORDER BY rowid"
		switch table {
		case "entries":
			q = "SELECT rowid AS rowid, * FROM entries ORDER BY terminal, seq"
		case "meta", "centers", "tokens", "kiosks", "cards", "stock", "staff", "users", "sessions",
			"cert_issuers", "redemptions", "bundles":
			q = "SELECT * FROM " + table // ordered below by its key
			q += " ORDER BY " + dumpKeys[table]
		}
		if err := dumpTable(ctx, t, table, q, fn); err != nil {
			return fmt.Errorf("sqlitestore: dump %s: %w", table, err)
		}
	}
	return nil
}

// dumpKeys are the primary keys of the tables without an integer one.
var dumpKeys = map[string]string{
	"meta": "key", "centers": "id", "tokens": "hash", "kiosks": "terminal", "cards": "uid",
	"stock": "center, item", "staff": "center, uid", "users": "name", "sessions": "hash",
	"cert_issuers": "center", "redemptions": "id", "bundles": "sha256",
}

func dumpTable(ctx context.Context, t *sql.Tx, table, q string, fn func(string, []string, []any) error) error {
	rows, err := t.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	if err := fn(table, cols, nil); err != nil {
		return err
	}
	for rows.Next() {
		row := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range row {
			switch x := v.(type) {
			case int64, string, nil:
			case []byte:
				row[i] = append([]byte{}, x...)
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
