package ledger_test

import (
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
	"golang.org/x/crypto/argon2"
)

// wrongPINs types n wrong PINs and returns the last refusal.
func wrongPINs(t *testing.T, e *ledgertest.Env, n int) *ledger.PINError {
	t.Helper()
	var pe *ledger.PINError
	for range n {
		_, err := e.CheckPIN(ctx, e.Staff, "0000")
		if !errors.As(err, &pe) {
			t.Fatalf("wrong PIN: %v, want a *PINError", err)
		}
	}
	return pe
}

// lockedUntil checks the card is locked and returns the lock's end.
func lockedUntil(t *testing.T, e *ledgertest.Env) time.Time {
	t.Helper()
	_, err := e.CheckPIN(ctx, e.Staff, ledgertest.StaffPIN)
	var pe *ledger.PINError
	if !errors.Is(err, ledger.ErrPINLocked) || !errors.As(err, &pe) {
		t.Fatalf("right PIN while locked: %v, want a *PINError wrapping ErrPINLocked", err)
	}
	return pe.Until
}

func unlocked(t *testing.T, e *ledgertest.Env) {
	t.Helper()
	if _, err := e.CheckPIN(ctx, e.Staff, ledgertest.StaffPIN); err != nil {
		t.Fatalf("right PIN: %v, want unlocked", err)
	}
}

// TestPINLockout pins the README's numbers: 5 wrong PINs in a row lock the
// card for 15 minutes; each wrong one says how many tries are left.
func TestPINLockout(t *testing.T) {
	e := ledgertest.MustOpen(t)
	if s, err := e.CheckPIN(ctx, e.Staff, ledgertest.StaffPIN); err != nil || s.Role != ledger.RoleStaff {
		t.Fatalf("right PIN: %+v, %v", s, err)
	}
	for i := 1; i <= 4; i++ {
		_, err := e.CheckPIN(ctx, e.Staff, "0000")
		var pe *ledger.PINError
		if !errors.Is(err, ledger.ErrPINWrong) || !errors.As(err, &pe) || pe.Left != 5-i {
			t.Fatalf("wrong PIN %d: %v (%+v), want ErrPINWrong with %d tries left", i, err, pe, 5-i)
		}
	}
	// A right PIN before the fifth wrong one resets the count.
	unlocked(t, e)
	if pe := wrongPINs(t, e, 4); pe.Left != 1 {
		t.Fatalf("4 wrong PINs after a reset: %d left, want 1", pe.Left)
	}
	pe := wrongPINs(t, e, 1)
	if !errors.Is(pe, ledger.ErrPINLocked) || !pe.Until.Equal(e.Clock.Now().Add(15*time.Minute)) {
		t.Fatalf("fifth wrong PIN: %v, want locked until %v", pe, e.Clock.Now().Add(15*time.Minute))
	}
	// Locked: the right PIN is refused too, also after a restart, and the card
	// cannot authorise corrections.
	e.Reopen(t)
	lockedUntil(t, e)
	p, _ := e.AddPerson(t, "王堃", record.RedVest)
	if _, err := e.Adjust(ctx, ledger.Adjust{ID: record.NewEntryID(), Person: p.ID, Points: 1, Reason: "x", Operator: e.Staff}); !errors.Is(err, ledger.ErrPINLocked) {
		t.Fatalf("adjust by locked staff: %v", err)
	}
	e.Clock.Advance(15*time.Minute - time.Second)
	if until := lockedUntil(t, e); !until.Equal(e.Clock.Now().Add(time.Second)) {
		t.Fatalf("a second before the end: locked until %v, want %v", until, e.Clock.Now().Add(time.Second))
	}
	e.Clock.Advance(time.Second)
	unlocked(t, e)
}

// TestPINLockGrowsAndResets: a second lock in a row lasts an hour, every
// one after it 4 hours; wrong PINs after a lock count from 5 again; the
// right PIN starts the locks again at 15 minutes.
func TestPINLockGrowsAndResets(t *testing.T) {
	e := ledgertest.MustOpen(t)
	for i, want := range []time.Duration{15 * time.Minute, time.Hour, 4 * time.Hour, 4 * time.Hour} {
		if pe := wrongPINs(t, e, 1); pe.Left != 4 {
			t.Fatalf("before lock %d: %d tries left, want 4", i+1, pe.Left)
		}
		if pe := wrongPINs(t, e, 4); !errors.Is(pe, ledger.ErrPINLocked) || !pe.Until.Equal(e.Clock.Now().Add(want)) {
			t.Fatalf("lock %d: %v, want locked until %v later", i+1, pe, want)
		}
		e.Clock.Advance(want - time.Second)
		lockedUntil(t, e)
		e.Clock.Advance(time.Second)
	}
	unlocked(t, e)
	if pe := wrongPINs(t, e, 5); !pe.Until.Equal(e.Clock.Now().Add(15 * time.Minute)) {
		t.Fatalf("after the right PIN the lock lasts until %v, want 15 minutes", pe.Until)
	}
}

// TestPINLockIgnoresTheWallClock: the lock runs in time since boot, so a
// wall clock set a year ahead neither ends it, nor, once set right again,
// keeps the card locked for a year; the end it states is now plus what is
// left of it.
func TestPINLockIgnoresTheWallClock(t *testing.T) {
	e := ledgertest.MustOpen(t)
	wrongPINs(t, e, 5)
	e.Clock.Set(e.Clock.Now().AddDate(1, 0, 0)) // a wrong "synced" time
	if until := lockedUntil(t, e); !until.Equal(e.Clock.Now().Add(15 * time.Minute)) {
		t.Fatalf("after a jump of a year: locked until %v, want 15 minutes from the (wrong) now", until)
	}

	// Locked while the clock is a year ahead, then the clock is set right.
	e.Clock.Advance(15 * time.Minute)
	unlocked(t, e)
	wrongPINs(t, e, 5)
	e.Clock.Set(e.Clock.Now().AddDate(-1, 0, 0))
	e.Clock.Advance(10 * time.Minute)
	if until := lockedUntil(t, e); !until.Equal(e.Clock.Now().Add(5 * time.Minute)) {
		t.Fatalf("clock set back: locked until %v, want in 5 minutes", until)
	}
	e.Clock.Advance(5 * time.Minute)
	unlocked(t, e)
}

// reboot reopens the ledger as after a reboot: a new boot id, the time since
// boot from zero, and the wall clock where set.
func reboot(t *testing.T, e *ledgertest.Env, id string, wall time.Time) {
	t.Helper()
	e.Opts.BootID = clock.FixedBootID(id)
	e.Clock.Reboot()
	e.Clock.Set(wall)
	e.Reopen(t)
}

// TestPINLockAcrossAReboot: after a reboot the time since boot says nothing
// of the lock, so the wall clock is believed, but never for longer than the
// lock: a reboot 10 minutes into a first lock leaves 5; a lock made while the
// clock was a year ahead lasts 15 minutes, not a year; and from the first
// check after the reboot the lock runs in the new boot's time.
func TestPINLockAcrossAReboot(t *testing.T) {
	e := ledgertest.MustOpen(t)
	wrongPINs(t, e, 5)
	e.Clock.Advance(10 * time.Minute)
	reboot(t, e, "second-boot", e.Clock.Now())
	if until := lockedUntil(t, e); !until.Equal(e.Clock.Now().Add(5 * time.Minute)) {
		t.Fatalf("after the reboot: locked until %v, want in 5 minutes", until)
	}
	e.Clock.Advance(5 * time.Minute)
	unlocked(t, e)

	start := e.Clock.Now()
	e.Clock.Set(start.AddDate(1, 0, 0))
	wrongPINs(t, e, 5)
	reboot(t, e, "third-boot", start.Add(time.Minute))
	if until := lockedUntil(t, e); !until.Equal(e.Clock.Now().Add(15 * time.Minute)) {
		t.Fatalf("locked a year ahead, rebooted: until %v, want 15 minutes from now", until)
	}
	// Counted in this boot from now on: a jump of the wall clock changes nothing.
	e.Clock.Advance(10 * time.Minute)
	e.Clock.Set(e.Clock.Now().AddDate(0, 0, 2))
	if until := lockedUntil(t, e); !until.Equal(e.Clock.Now().Add(5 * time.Minute)) {
		t.Fatalf("after the rebase and a jump: until %v, want in 5 minutes", until)
	}
	e.Clock.Advance(5 * time.Minute)
	unlocked(t, e)
}

// pinHash is a PIN as the ledger stores it: argon2id, cheap parameters.
func pinHash(pin string) string {
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte(pin), salt, 1, 64, 1, 32)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("argon2id$v=%d$m=64,t=1,p=1$%s$%s", argon2.Version, enc.EncodeToString(salt), enc.EncodeToString(key))
}

// TestMigrateKeepsAPINLock: a card locked by a ledger of schema version 2
// (wall time only) stays locked until that end, and no longer than 15
// minutes.
func TestMigrateKeepsAPINLock(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  time.Duration // from now, as the old ledger stored it
		left time.Duration
	}{
		{"10 minutes left", 10 * time.Minute, 10 * time.Minute},
		{"a year ahead", 365 * 24 * time.Hour, 15 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, ledger.FileName))
			if err != nil {
				t.Fatal(err)
			}
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := db.ExecContext(ctx, q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			exec("PRAGMA journal_mode=WAL")
			if err := ledger.MigrateTo(ctx, db, 2); err != nil {
				t.Fatal(err)
			}
			now := ledgertest.Start
			exec("INSERT INTO meta(key, value) VALUES ('terminal', 'T-OLD'), ('center', ?), ('center_name', '测试党群服务中心'), ('created_at', ?)", ledgertest.Center, now.UnixNano())
			exec("INSERT INTO staff(uid, name, role, pin, locked_until) VALUES ('5A5A0001', '刘珺', 1, ?, ?)", pinHash("1234"), now.Add(tc.end).UnixNano())
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			l, err := ledger.Open(ctx, dir, ledgertest.Options(clock.NewFake(now), clock.NewFakeSync(true)))
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			_, err = l.CheckPIN(ctx, "5A5A0001", "1234")
			var pe *ledger.PINError
			if !errors.As(err, &pe) || !errors.Is(err, ledger.ErrPINLocked) || !pe.Until.Equal(now.Add(tc.left)) {
				t.Fatalf("CheckPIN after the upgrade: %v, want locked until %v", err, now.Add(tc.left))
			}
		})
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
