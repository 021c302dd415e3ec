package ledger

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestLoadEntryIndexesPartialOnItsOwnLine: a partial index is known by
// SQLite's own flag, not by the spacing of its DDL; a WHERE on a line of
// its own was read as no WHERE at all, and every row of entry_rows then
// counted as belonging in the index (a false alarm on a healthy ledger).
func TestLoadEntryIndexesPartialOnItsOwnLine(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.Exec(`CREATE TABLE entry_rows (terminal_n INTEGER NOT NULL, seq INTEGER NOT NULL, reverses BLOB, at INTEGER NOT NULL,
		PRIMARY KEY (terminal_n, seq)) WITHOUT ROWID;
		CREATE UNIQUE INDEX entries_reverses ON entry_rows(reverses)
			WHERE reverses IS NOT NULL;
		CREATE INDEX entries_at ON entry_rows(at);
		CREATE INDEX entries_odd ON entry_rows(at)
		WHERE at > 5;`)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := loadEntryIndexes(ctx, db); err != errIndexShape {
		t.Fatalf("an index WHERE at > 5: %v, want errIndexShape (SQLite checks it)", err)
	}
	if _, err := db.Exec("DROP INDEX entries_odd"); err != nil {
		t.Fatal(err)
	}
	ixs, err := loadEntryIndexes(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, ix := range ixs {
		got[ix.name] = ix.partial
	}
	if len(got) != 2 || got["entries_reverses"] != "reverses" || got["entries_at"] != "" {
		t.Fatalf("partial columns %v, want entries_reverses: reverses, entries_at: none", got)
	}
}
