package kiosk

import (
	"context"
	"strings"
	"testing"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// TestPINPadTakesTheLedgersPINs: the PIN pad takes as many digits as the
// ledger accepts in a PIN and no more, so the longest PIN AddStaff takes
// logs in; one too short never reaches the ledger, so it does not count
// towards the lockout.
func TestPINPadTakesTheLedgersPINs(t *testing.T) {
	r := newRig(t)
	pin := strings.Repeat("7391", ledger.MaxPINDigits)[:ledger.MaxPINDigits]
	uid := r.env.NewUID()
	if _, err := r.env.AddStaff(context.Background(), ledger.AddStaff{ID: record.NewEntryID(), UID: uid, Name: "刘珺", Role: ledger.RoleStaff, PIN: pin}); err != nil {
		t.Fatal(err)
	}
	r.tap(uid)
	r.typeDigits(pin + "5")
	if v := r.want(ScenePIN); v.Pad != pin {
		t.Fatalf("pad = %q after %d digits, want the first %d", v.Pad, len(pin)+1, len(pin))
	}
	r.press(ActConfirm)
	r.wantTitle(SceneStaffMenu, "staff.menu")
	r.press(ActBack)

	short := ledgertest.StaffPIN[:ledger.MinPINDigits-1]
	r.tap(r.env.Staff)
	for range ledger.MaxPINFailures {
		r.typeDigits(short)
		r.press(ActConfirm)
		if v := r.want(ScenePIN); len(v.Lines) != 1 || v.Lines[0].Key != "staff.pin_wrong" || v.Pad != "" {
			t.Fatalf("a %d-digit PIN: lines %v pad %q", len(short), v.Lines, v.Pad)
		}
	}
	r.staffLogin()
}

// TestNumberPadLimit: the number pad (a member number, an amount) keeps its
// own limit, whatever a PIN may be.
func TestNumberPadLimit(t *testing.T) {
	r := newRig(t)
	r.staffLogin()
	r.do(Action{Kind: ActStaff, Staff: StaffBind})
	r.typeDigits(strings.Repeat("1", maxNumber+3))
	if v := r.want(SceneStaffFind); len(v.Pad) != maxNumber {
		t.Fatalf("find pad = %q, want %d digits", v.Pad, maxNumber)
	}
}
