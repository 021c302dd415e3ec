package pgstore_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/pgstore"
	"github.com/hongmajia/hongmajia/internal/pgtest"
)

// sqliteRows are a few rows in the shape sqlitestore's Dump gives them.
func putRows(l *pgstore.Loader) error {
	rows := []struct {
		table string
		cols  []string
		row   []any
	}{
		{"meta", []string{"key", "value"}, []any{"version", "41"}},
		{"centers", []string{"id", "name", "created_at"}, []any{"A", "和平里", int64(1)}},
		{"flags", []string{"id", "kind", "subject", "detail", "at", "resolved_by", "resolved_at"}, []any{int64(7), "walk-in", "W-1", "", int64(1), "", int64(0)}},
		{"audit", []string{"id", "at", "actor", "addr", "action", "center", "subject", "detail"}, []any{int64(12), int64(1), "hubd", "", "center.add", "A", "A", ""}},
		{"people", []string{"id", "member_no", "name", "provisional", "phone", "community", "kind", "changed_by", "version", "center"},
			[]any{int64(5), "HPL0001", "王堃", int64(1), "", "", int64(1), "", int64(40), "A"}},
	}
	for _, r := range rows {
		if err := l.Put(r.table, r.cols, nil); err != nil {
			return err
		}
		if err := l.Put(r.table, r.cols, r.row); err != nil {
			return err
		}
	}
	return nil
}

func TestImport(t *testing.T) {
	url := pgtest.DB(t)
	s, err := pgstore.Open(ctx, url, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	// A failure after the rows were put keeps none of them.
	boom := errors.New("boom")
	err = s.Import(ctx, func(l *pgstore.Loader) error {
		if err := putRows(l); err != nil {
			return err
		}
		return l.View(func(r hub.Reader) error {
			if v, err := r.Version(); err != nil || v != 41 {
				t.Errorf("version in the import: %d, %v", v, err)
			}
			return boom
		})
	})
	if !errors.Is(err, boom) {
		t.Fatalf("import: %v", err)
	}
	s.View(ctx, func(r hub.Reader) error {
		if cs, err := r.Centers(); err != nil || len(cs) != 0 {
			t.Errorf("after a failed import: centers %v, %v", cs, err)
		}
		if v, err := r.Version(); err != nil || v != 0 {
			t.Errorf("after a failed import: version %d, %v", v, err)
		}
		return nil
	})

	// Bad rows are refused.
	for name, put := range map[string]func(*pgstore.Loader) error{
		"a flag of 2": func(l *pgstore.Loader) error {
			return l.Put("people", []string{"id", "member_no", "name", "provisional", "kind", "version"}, []any{int64(5), "X", "x", int64(2), int64(1), int64(1)})
		},
		"an unknown table":  func(l *pgstore.Loader) error { return l.Put("nope", []string{"a"}, []any{int64(1)}) },
		"an unknown column": func(l *pgstore.Loader) error { return l.Put("centers", []string{"id", "colour"}, []any{"A", "red"}) },
		"another meta key": func(l *pgstore.Loader) error {
			return l.Put("meta", []string{"key", "value"}, []any{"fill_reversals", "1"})
		},
	} {
		if err := s.Import(ctx, put); err == nil {
			t.Errorf("%s: imported", name)
		}
	}

	if err := s.Import(ctx, putRows); err != nil {
		t.Fatal(err)
	}
	// The counters follow the rows: the next version, audit id and flag
	// id are above the imported ones.
	err = s.Update(ctx, func(tx hub.Tx) error {
		v, err := tx.NextVersion()
		if err != nil {
			return err
		}
		if v != 42 {
			t.Errorf("next version after the import: %d, want 42", v)
		}
		if _, err := tx.AddFlag(hub.Flag{Kind: hub.FlagWalkIn, Subject: "W-2"}); err != nil {
			return err
		}
		return tx.AddAudit(hub.AuditEntry{Actor: "hubd", Action: "test"})
	})
	if err != nil {
		t.Fatal(err)
	}
	s.View(ctx, func(r hub.Reader) error {
		fl, err := r.Flags(true)
		if err != nil || len(fl) != 2 || fl[0].ID == fl[1].ID || max(fl[0].ID, fl[1].ID) != 8 {
			t.Errorf("flags after the import: %+v, %v", fl, err)
		}
		au, err := r.Audit(hub.AuditQuery{})
		if err != nil || len(au) != 2 || au[0].ID != 13 {
			t.Errorf("audit after the import: %+v, %v", au, err)
		}
		p, err := r.Person(5)
		if err != nil || !p.Provisional || p.Name != "王堃" {
			t.Errorf("person: %+v, %v", p, err)
		}
		return nil
	})

	// A second import into the database is refused.
	err = s.Import(ctx, putRows)
	if !errors.Is(err, pgstore.ErrNotEmpty) || !strings.Contains(err.Error(), "holds a hub already") {
		t.Errorf("a second import: %v", err)
	}
}
