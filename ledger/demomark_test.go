package ledger_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

func TestDemoMark(t *testing.T) {
	e := ledgertest.MustOpen(t)
	if d, err := e.Demo(ctx); err != nil || d.Demo || d.KeyCards != nil {
		t.Fatalf("a new ledger's demo mark = %+v, %v; want none", d, err)
	}
	if err := e.MarkDemo(ctx, []record.CardUID{"88000001", "04:a1:b2:c3"}); !errors.Is(err, ledger.ErrBadUID) {
		t.Fatalf("MarkDemo with an unnormalised UID: %v, want ErrBadUID", err)
	}
	if d, _ := e.Demo(ctx); d.Demo {
		t.Fatal("a refused MarkDemo marked the ledger")
	}
	cards := []record.CardUID{"88000001", "88000002", "04A1B2C3D4E5F6"}
	if err := e.MarkDemo(ctx, cards); err != nil {
		t.Fatal(err)
	}
	e.Reopen(t)
	d, err := e.Demo(ctx)
	if err != nil || !d.Demo || !slices.Equal(d.KeyCards, cards) {
		t.Fatalf("demo mark after reopening = %+v, %v; want demo with %v", d, err, cards)
	}
	e.MustVerify(t)
}
