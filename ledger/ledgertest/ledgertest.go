// Package ledgertest opens real ledgers in a test's temporary directory,
// with a fake clock and a fake NTP status, and makes the people, cards,
// activities and items tests need in one line each.
package ledgertest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

// Center is the center every test ledger serves.
const Center = "C-TEST"

// Start is when a test ledger's clock starts: Monday 2 March 2026, 09:00 in
// China Standard Time.
var Start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// StaffPIN is the PIN of the staff card each test ledger has.
const StaffPIN = "2468"

// CheapPIN makes PIN hashing fast in tests; production uses the defaults.
var CheapPIN = ledger.PINParams{Time: 1, MemoryKiB: 64, Threads: 1}

// Env is an open test ledger and its fakes.
type Env struct {
	*ledger.Ledger
	Dir   string
	Clock *clock.Fake
	Sync  *clock.FakeSync
	Opts  ledger.Options
	// Staff is a staff card (role staff) with StaffPIN.
	Staff record.CardUID
	uids  atomic.Uint32
}

// Options returns the options a test ledger is opened with.
func Options(c *clock.Fake, s *clock.FakeSync) ledger.Options {
	o := ledger.Options{BootID: clock.FixedBootID("test-boot"), PIN: CheapPIN}
	// A nil *clock.Fake in the interface would be a clock that panics, not
	// "no clock": nil leaves the real one.
	if c != nil {
		o.Clock = c
	}
	if s != nil {
		o.Sync = s
	}
	return o
}

// MustOpen creates a ledger in tb.TempDir() with a staff card, closed when
// the test ends.
func MustOpen(tb testing.TB) *Env {
	tb.Helper()
	e := &Env{Dir: tb.TempDir(), Clock: clock.NewFake(Start), Sync: clock.NewFakeSync(true)}
	e.Opts = Options(e.Clock, e.Sync)
	l, err := ledger.Create(context.Background(), e.Dir, ledger.Terminal{Center: Center, CenterName: "测试党群服务中心"}, e.Opts)
	if err != nil {
		tb.Fatalf("create ledger: %v", err)
	}
	e.Ledger = l
	tb.Cleanup(func() { e.Ledger.Close() })
	e.Staff = e.NewUID()
	if _, err := l.AddStaff(context.Background(), ledger.AddStaff{ID: record.NewEntryID(), UID: e.Staff, Name: "值班员", Role: ledger.RoleStaff, PIN: StaffPIN}); err != nil {
		tb.Fatalf("add staff: %v", err)
	}
	return e
}

// Reopen closes the ledger and opens it again from disk.
func (e *Env) Reopen(tb testing.TB) {
	tb.Helper()
	if err := e.Ledger.Close(); err != nil {
		tb.Fatalf("close: %v", err)
	}
	l, err := ledger.Open(context.Background(), e.Dir, e.Opts)
	if err != nil {
		tb.Fatalf("reopen: %v", err)
	}
	e.Ledger = l
}

// NewUID returns a fresh 4-byte card UID.
func (e *Env) NewUID() record.CardUID {
	return record.CardUID(fmt.Sprintf("%08X", 0xA0000000+e.uids.Add(1)))
}

// AddPerson enrols a person of the given kind with a new card.
func (e *Env) AddPerson(tb testing.TB, name string, kind record.VolunteerKind) (ledger.Person, record.CardUID) {
	tb.Helper()
	ctx := context.Background()
	n := e.uids.Add(1)
	p, err := e.EnrolPerson(ctx, ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: fmt.Sprintf("M%06d", n), Name: name,
		Phone: fmt.Sprintf("138%08d", n), Community: "和平里社区", Kind: kind})
	if err != nil {
		tb.Fatalf("enrol %s: %v", name, err)
	}
	uid := e.NewUID()
	if _, err := e.BindCard(ctx, ledger.BindCard{ID: record.NewEntryID(), Person: p.ID, UID: uid, Operator: e.Staff}); err != nil {
		tb.Fatalf("bind card: %v", err)
	}
	return p, uid
}

// AddActivity stores an activity with the given schedule and rules.
func (e *Env) AddActivity(tb testing.TB, name string, s record.Schedule, r record.Rules) ledger.Activity {
	tb.Helper()
	a, err := e.PutActivity(context.Background(), ledger.PutActivity{ID: record.NewEntryID(),
		Activity: ledger.Activity{Name: name, Schedule: s, Rules: r, Active: true}})
	if err != nil {
		tb.Fatalf("put activity %s: %v", name, err)
	}
	return a
}

// AnyTime is an activity open all day at 60 points per hour for every kind.
func (e *Env) AnyTime(tb testing.TB) ledger.Activity {
	tb.Helper()
	return e.AddActivity(tb, "便民服务", record.Schedule{}, record.Rules{AnyTime: true, PointsPerHour: map[record.VolunteerKind]int64{
		record.RedVest: 60, record.GreenVest: 60, record.InService: 60, record.Resident: 60}})
}

// AddItem stores a catalog item and stocks it.
func (e *Env) AddItem(tb testing.TB, name string, price, stock int64) ledger.Item {
	tb.Helper()
	ctx := context.Background()
	it, err := e.PutItem(ctx, ledger.PutItem{ID: record.NewEntryID(), Item: ledger.Item{Name: name, Price: price, Active: true}})
	if err != nil {
		tb.Fatalf("put item %s: %v", name, err)
	}
	if stock > 0 {
		if _, err := e.Restock(ctx, ledger.Restock{ID: record.NewEntryID(), Item: it.ID, Quantity: stock, Operator: e.Staff}); err != nil {
			tb.Fatalf("restock %s: %v", name, err)
		}
	}
	return it
}

// Credit gives a person points through a staff adjustment.
func (e *Env) Credit(tb testing.TB, p record.PersonID, points int64) {
	tb.Helper()
	if _, err := e.Adjust(context.Background(), ledger.Adjust{ID: record.NewEntryID(), Person: p, Points: points, Reason: "test credit", Operator: e.Staff}); err != nil {
		tb.Fatalf("credit %d points: %v", points, err)
	}
}

// MustVerify fails the test unless Verify finds nothing wrong.
func (e *Env) MustVerify(tb testing.TB) *ledger.VerifyReport {
	tb.Helper()
	rep, err := e.Verify(context.Background())
	if err != nil {
		tb.Fatalf("verify: %v", err)
	}
	if !rep.OK() {
		tb.Fatalf("verify found problems: %v", rep.Problems)
	}
	return rep
}
