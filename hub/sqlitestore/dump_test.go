package sqlitestore_test

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/sqlitestore"
)

func TestDump(t *testing.T) {
	dir := t.TempDir()
	s, err := sqlitestore.Open(ctx, dir, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(ctx, func(tx hub.Tx) error {
		if _, err := tx.NextVersion(); err != nil {
			return err
		}
		if err := tx.AddCenter(hub.Center{ID: "B", Name: "小黄庄"}); err != nil {
			return err
		}
		return tx.AddCenter(hub.Center{ID: "A", Name: "和平里"})
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	path := filepath.Join(dir, sqlitestore.FileName)
	before, _ := os.ReadFile(path)

	ro, err := sqlitestore.OpenReadOnly(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	var got []string
	err = ro.Dump(ctx, func(table string, cols []string, row []any) error {
		if row == nil {
			tables = append(tables, table)
			return nil
		}
		if table == "meta" || table == "centers" {
			var b strings.Builder
			for i, c := range cols {
				b.WriteString(c + "=")
				switch v := row[i].(type) {
				case string:
					b.WriteString(v)
				case int64:
					b.WriteString("int")
				}
				b.WriteString(" ")
			}
			got = append(got, table+": "+b.String())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(tables, ",") != strings.Join(sqlitestore.DumpTables, ",") {
		t.Errorf("tables %v, want %v", tables, sqlitestore.DumpTables)
	}
	want := []string{"meta: key=version value=1 ", "centers: id=A name=和平里 created_at=int ", "centers: id=B name=小黄庄 created_at=int "}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("dump:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Read-only: an Update fails, the file is as it was.
	if err := ro.Update(ctx, func(tx hub.Tx) error { return tx.AddCenter(hub.Center{ID: "C", Name: "c"}) }); err == nil {
		t.Error("an Update on a read-only store")
	}
	ro.Close()
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("the file changed")
	}

	// A table Dump does not know is an error, not a table left out.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE extra (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	ro, err = sqlitestore.OpenReadOnly(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := ro.Dump(ctx, func(string, []string, []any) error { return nil }); err == nil || !strings.Contains(err.Error(), "extra") {
		t.Errorf("dump with a table it does not know: %v", err)
	}
	ro.Close()

	// An older schema is refused: only a read-write Open brings it up to date.
	if _, err := db.Exec("PRAGMA user_version = 7"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := sqlitestore.OpenReadOnly(ctx, dir); err == nil || !strings.Contains(err.Error(), "schema version 7") {
		t.Errorf("an older schema: %v", err)
	}
	if _, err := sqlitestore.OpenReadOnly(ctx, t.TempDir()); err == nil {
		t.Error("no hub.db: opened")
	}
}
