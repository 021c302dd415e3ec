package ledger_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

func TestPINLockout(t *testing.T) {
	e := ledgertest.MustOpen(t)
	if s, err := e.CheckPIN(ctx, e.Staff, ledgertest.StaffPIN); err != nil || s.Role != ledger.RoleStaff {
		t.Fatalf("right PIN: %+v, %v", s, err)
	}
	for i := 1; i < ledger.MaxPINFailures; i++ {
		if _, err := e.CheckPIN(ctx, e.Staff, "0000"); !errors.Is(err, ledger.ErrPINWrong) {
			t.Fatalf("wrong PIN %d: %v", i, err)
		}
	}
	// A right PIN before the fifth wrong one resets the count.
	if _, err := e.CheckPIN(ctx, e.Staff, ledgertest.StaffPIN); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < ledger.MaxPINFailures; i++ {
		if _, err := e.CheckPIN(ctx, e.Staff, "0000"); !errors.Is(err, ledger.ErrPINWrong) {
			t.Fatalf("wrong PIN %d after reset: %v", i, err)
		}
	}
	if _, err := e.CheckPIN(ctx, e.Staff, "0000"); !errors.Is(err, ledger.ErrPINLocked) {
		t.Fatalf("fifth wrong PIN: %v, want ErrPINLocked", err)
	}
	// Locked: the right PIN is refused too, also after a restart, and the card
	// cannot authorise corrections.
	e.Reopen(t)
	if _, err := e.CheckPIN(ctx, e.Staff, ledgertest.StaffPIN); !errors.Is(err, ledger.ErrPINLocked) {
		t.Fatalf("right PIN while locked after reopen: %v", err)
	}
	p, _ := e.AddPerson(t, "王堃", record.RedVest)
	if _, err := e.Adjust(ctx, ledger.Adjust{ID: record.NewEntryID(), Person: p.ID, Points: 1, Reason: "x", Operator: e.Staff}); !errors.Is(err, ledger.ErrPINLocked) {
		t.Fatalf("adjust by locked staff: %v", err)
	}
	e.Clock.Advance(ledger.PINLockout - time.Second)
	if _, err := e.CheckPIN(ctx, e.Staff, ledgertest.StaffPIN); !errors.Is(err, ledger.ErrPINLocked) {
		t.Fatalf("a second before the end: %v", err)
	}
	e.Clock.Advance(time.Second)
	if _, err := e.CheckPIN(ctx, e.Staff, ledgertest.StaffPIN); err != nil {
		t.Fatalf("after lockout: %v", err)
	}
}

func TestAddStaff(t *testing.T) {
	e := ledgertest.MustOpen(t)
	uid := e.NewUID()
	for _, tc := range []struct {
		name string
		req  ledger.AddStaff
		want error
	}{
		{"short PIN", ledger.AddStaff{UID: uid, Name: "技术员", Role: ledger.RoleTechnician, PIN: "12"}, ledger.ErrInvalid},
		{"letters in PIN", ledger.AddStaff{UID: uid, Name: "技术员", Role: ledger.RoleTechnician, PIN: "12ab"}, ledger.ErrInvalid},
		{"no role", ledger.AddStaff{UID: uid, Name: "技术员", PIN: "1234"}, ledger.ErrInvalid},
		{"card taken", ledger.AddStaff{UID: e.Staff, Name: "技术员", Role: ledger.RoleTechnician, PIN: "1234"}, ledger.ErrCardInUse},
		{"bad UID", ledger.AddStaff{UID: "XYZ", Name: "技术员", Role: ledger.RoleTechnician, PIN: "1234"}, ledger.ErrBadUID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.ID = record.NewEntryID()
			if _, err := e.AddStaff(ctx, tc.req); !errors.Is(err, tc.want) {
				t.Fatalf("AddStaff = %v, want %v", err, tc.want)
			}
		})
	}
	s, err := e.AddStaff(ctx, ledger.AddStaff{ID: record.NewEntryID(), UID: uid, Name: "技术员", Role: ledger.RoleTechnician, PIN: "135790"})
	if err != nil || s.Role != ledger.RoleTechnician {
		t.Fatalf("AddStaff: %+v, %v", s, err)
	}
	if _, err := e.CheckPIN(ctx, uid, "135790"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CheckPIN(ctx, "01020304", "1234"); !errors.Is(err, ledger.ErrNotStaff) {
		t.Fatalf("unknown staff card: %v", err)
	}
}
