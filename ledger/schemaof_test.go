package ledger_test

import (
	"context"
	"errors"
	"io/fs"
	"testing"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
)

func TestSchemaOf(t *testing.T) {
	e := ledgertest.MustOpen(t)
	got, err := ledger.SchemaOf(context.Background(), e.Dir)
	if err != nil || got != ledger.SchemaVersion() || got < 6 {
		t.Errorf("SchemaOf a new ledger = %d, %v; want %d", got, err, ledger.SchemaVersion())
	}
	if _, err := ledger.SchemaOf(context.Background(), t.TempDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("SchemaOf no ledger = %v, want fs.ErrNotExist", err)
	}
}
