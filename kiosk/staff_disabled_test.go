package kiosk

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

func (r *rig) setStaffActive(uid record.CardUID, active bool) {
	r.t.Helper()
	if _, err := r.env.SetStaffActive(context.Background(), ledger.SetStaffActive{ID: record.NewEntryID(), UID: uid, Active: active}); err != nil {
		r.t.Fatal(err)
	}
}

func TestDisabledStaffCardOpensNoPINScreen(t *testing.T) {
	r := newRig(t)
	r.setStaffActive(r.env.Staff, false)
	r.tap(r.env.Staff)
	v := r.wantTitle(SceneNotice, "staff.disabled")
	if v.Tone != ToneRefusal || len(v.Lines) != 1 || v.Lines[0].Key != "staff.disabled_hint" {
		t.Fatalf("notice: tone %v, lines %v", v.Tone, v.Lines)
	}
	// The refusal is said plainly, with no fault code.
	for _, l := range v.Lines {
		if l.Key == "tech.code" {
			t.Fatalf("a disabled staff card shows a fault code: %v", v.Lines)
		}
	}
	// Enabled again, the PIN screen opens.
	r.setStaffActive(r.env.Staff, true)
	r.staffLogin()
}

func TestStaffCardDisabledWhileItsPINIsTyped(t *testing.T) {
	r := newRig(t)
	r.tap(r.env.Staff)
	r.wantTitle(ScenePIN, "staff.pin")
	r.setStaffActive(r.env.Staff, false)
	r.typeDigits(ledgertest.StaffPIN)
	r.press(ActConfirm)
	r.wantTitle(SceneNotice, "staff.disabled")
}

// A disabled staff card is still a bound card: it is not a walk-in's new card.
func TestDisabledStaffCardIsNoWalkInsCard(t *testing.T) {
	r := newRig(t)
	other := r.env.NewUID()
	if _, err := r.env.AddStaff(context.Background(), ledger.AddStaff{ID: record.NewEntryID(), UID: other, Name: "离职员工", Role: ledger.RoleStaff, PIN: "8642"}); err != nil {
		t.Fatal(err)
	}
	r.setStaffActive(other, false)
	r.staffLogin()
	r.do(Action{Kind: ActStaff, Staff: StaffEnrol})
	r.typeDigits("20261126")
	r.press(ActConfirm)
	r.want(SceneStaffTapCard)
	r.tap(other)
	if v := r.want(SceneStaffTapCard); fmt.Sprint(v.Title) != fmt.Sprint(T("staff.card_is_staff", "离职员工")) ||
		fmt.Sprint(v.Lines) != fmt.Sprint([]Text{T("staff.tap_other_card")}) || v.Tone != ToneRefusal {
		t.Fatalf("disabled staff card as a walk-in's card: %v %v", v.Title, v.Lines)
	}
}

func TestClassifyStaffDisabledIsARefusal(t *testing.T) {
	err := fmt.Errorf("check PIN: %w", ledger.ErrStaffDisabled)
	if got := Classify(err); got != TroubleRefused {
		t.Fatalf("Classify(%v) = %v, want refused", err, got)
	}
	if errors.Is(err, ledger.ErrCardRevoked) {
		t.Fatal("a disabled staff card is not a revoked person's card")
	}
}
