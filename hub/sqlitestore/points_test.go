package sqlitestore_test

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/sqlitestore"
)

// TestRestocksAreAppendOnly: the file itself refuses to change or delete a
// restock of the history (sqlite3 on the file included).
func TestRestocksAreAppendOnly(t *testing.T) {
	dir := t.TempDir()
	s, err := sqlitestore.Open(ctx, dir, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(ctx, func(tx hub.Tx) error {
		if err := tx.AddCenter(hub.Center{ID: "A", Name: "A"}); err != nil {
			return err
		}
		return tx.AddRestock(hub.Restock{Center: "A", Item: 1, Qty: 5, After: 5, Reason: "到货", By: "王芳"})
	})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlitestore.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{"UPDATE restocks SET qty = 500", "DELETE FROM restocks"} {
		if _, err := db.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want it refused", q, err)
		}
	}
	var n int
	if err := db.QueryRow("SELECT qty FROM restocks").Scan(&n); err != nil || n != 5 {
		t.Errorf("the restock: %d, %v", n, err)
	}
}
