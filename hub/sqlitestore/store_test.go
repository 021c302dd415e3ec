package sqlitestore_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/sqlitestore"
	"github.com/hongmajia/hongmajia/hub/storetest"
	"github.com/hongmajia/hongmajia/record"
)

var ctx = context.Background()

func open(t *testing.T) hub.Store {
	t.Helper()
	s, err := sqlitestore.Open(ctx, t.TempDir(), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestContract(t *testing.T) { storetest.Run(t, open) }

func TestReopenKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	s, err := sqlitestore.Open(ctx, dir, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(ctx, func(tx hub.Tx) error {
		if _, err := tx.NextVersion(); err != nil {
			return err
		}
		return tx.AddCenter(hub.Center{ID: "A", Name: "和平里"})
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if st, err := os.Stat(filepath.Join(dir, sqlitestore.FileName)); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("store file: %v, %v", st.Mode(), err)
	}
	s, err = sqlitestore.Open(ctx, dir, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.View(ctx, func(r hub.Reader) error {
		c, err := r.Center("A")
		if err != nil || c.Name != "和平里" {
			t.Errorf("center %+v, %v", c, err)
		}
		if v, err := r.Version(); err != nil || v != 1 {
			t.Errorf("version %d, %v", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRefusesAnotherDatabase(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlitestore.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE people (id INTEGER)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := sqlitestore.Open(ctx, dir, sqlitestore.Options{}); err == nil || !strings.Contains(err.Error(), "not a hub's database") {
		t.Errorf("another program's database opened: %v", err)
	}
}

func TestRefusesANewerSchema(t *testing.T) {
	dir := t.TempDir()
	s, err := sqlitestore.Open(ctx, dir, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlitestore.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := sqlitestore.Open(ctx, dir, sqlitestore.Options{}); err == nil || !strings.Contains(err.Error(), "newer hubd") {
		t.Errorf("a newer schema opened: %v", err)
	}
}

// TestMigratesTheFirstSchema: a hub made before the web had users opens
// with its rows and gets the web's tables.
func TestMigratesTheFirstSchema(t *testing.T) {
	dir := t.TempDir()
	if err := sqlitestore.CreateAt(ctx, dir, 1); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlitestore.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO centers(id, name, created_at) VALUES ('A', '和平里', 1)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := sqlitestore.Open(ctx, dir, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Update(ctx, func(tx hub.Tx) error {
		if c, err := tx.Center("A"); err != nil || c.Name != "和平里" {
			t.Errorf("center after the migration: %+v, %v", c, err)
		}
		return tx.AddUser(hub.User{Name: "admin", Role: hub.RoleDistrict, PasswordHash: "h"})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestMigratesPeopleToTheirCenter: a hub of schema 2 opens with its
// people at no center but the walk-ins, which are their kiosk's center's.
func TestMigratesPeopleToTheirCenter(t *testing.T) {
	dir := t.TempDir()
	if err := sqlitestore.CreateAt(ctx, dir, 2); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlitestore.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"INSERT INTO centers(id, name, created_at) VALUES ('A', '和平里', 1)",
		"INSERT INTO kiosks(terminal, center, public_key, enrolled_at, anchor_hash, head_hash) VALUES ('T1', 'A', x'00', 1, x'', x'')",
		"INSERT INTO people(id, member_no, name, provisional, kind, changed_by, version) VALUES (1, 'W-1', '', 1, 4, 'T1', 1)",
		"INSERT INTO people(id, member_no, name, provisional, kind, changed_by, version) VALUES (2, 'HPL1', '王堃', 0, 1, 'T1', 2)",
		"INSERT INTO people(id, member_no, name, provisional, kind, changed_by, version) VALUES (3, 'HPL2', '李', 0, 1, '', 3)",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err := sqlitestore.Open(ctx, dir, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.View(ctx, func(r hub.Reader) error {
		for id, want := range map[record.PersonID]string{1: "A", 2: "", 3: ""} {
			if p, err := r.Person(id); err != nil || p.Center != want {
				t.Errorf("person %d after the migration: %+v, %v; want center %q", id, p, err, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestAuditIsAppendOnly: the file itself refuses to change or delete an
// audit entry (sqlite3 on the file included).
func TestAuditIsAppendOnly(t *testing.T) {
	dir := t.TempDir()
	s, err := sqlitestore.Open(ctx, dir, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(ctx, func(tx hub.Tx) error {
		return tx.AddAudit(hub.AuditEntry{Actor: "admin", Action: hub.AuditLogin})
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
	for _, q := range []string{"UPDATE audit SET actor = 'someone'", "DELETE FROM audit"} {
		if _, err := db.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want it refused", q, err)
		}
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM audit WHERE actor = 'admin'").Scan(&n); err != nil || n != 1 {
		t.Errorf("audit entries: %d, %v", n, err)
	}
}
