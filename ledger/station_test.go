package ledger_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

func TestStationActivity(t *testing.T) {
	ctx := context.Background()
	e := ledgertest.MustOpen(t)
	if _, err := e.StationActivity(ctx); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("before one is set: %v, want ErrNotFound", err)
	}
	a := e.AnyTime(t)
	if err := e.SetStationActivity(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	elsewhere, err := e.PutActivity(ctx, ledger.PutActivity{ID: record.NewEntryID(), Activity: ledger.Activity{
		Center: "C-OTHER", Name: "环境整治", Rules: record.Rules{AnyTime: true}, Active: true}})
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		id   record.ActivityID
		want error
	}{
		"unknown activity": {a.ID + 1, ledger.ErrNotFound},
		"another center's": {elsewhere.ID, ledger.ErrInvalid},
	} {
		if err := e.SetStationActivity(ctx, tc.id); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	e.Reopen(t) // kept in the ledger, not in memory
	got, err := e.StationActivity(ctx)
	if err != nil || got.ID != a.ID || got.Name != a.Name {
		t.Fatalf("station activity after reopen = %+v, %v; want %+v", got, err, a)
	}
}

func TestVerifyFile(t *testing.T) {
	ctx := context.Background()
	e := ledgertest.MustOpen(t)
	p, uid := e.AddPerson(t, "王堃", record.RedVest)
	e.Credit(t, p.ID, 100)
	a := e.AnyTime(t)
	if _, err := e.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: uid, Activity: a.ID}); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "copy.db")
	if err := e.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(backup)
	rep, err := ledger.VerifyFile(ctx, backup)
	if err != nil || !rep.OK() || rep.Entries != 2 || rep.People != 1 || rep.Path != backup {
		t.Fatalf("verify copy: %+v %v", rep, err)
	}
	if after, _ := os.ReadFile(backup); string(after) != string(before) {
		t.Error("VerifyFile wrote to the file")
	}
	if _, err := os.Stat(backup + "-wal"); err == nil {
		t.Error("VerifyFile left a WAL beside the file")
	}

	notDB := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(notDB, []byte("not a ledger"), 0o600)
	if _, err := ledger.VerifyFile(ctx, notDB); !errors.Is(err, ledger.ErrNotDatabase) {
		t.Errorf("a text file: %v, want ErrNotDatabase", err)
	}
	if _, err := ledger.VerifyFile(ctx, filepath.Join(t.TempDir(), "missing.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file: %v, want ErrNotExist", err)
	}
}
