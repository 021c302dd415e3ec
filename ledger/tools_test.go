package ledger_test

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

func TestBackupWhileWriting(t *testing.T) {
	e := ledgertest.MustOpen(t)
	act := e.AnyTime(t)
	var cards []record.CardUID
	for range 20 {
		_, c := e.AddPerson(t, "居民", record.GreenVest)
		cards = append(cards, c)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			c := cards[i%len(cards)]
			if _, err := e.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: c, Activity: act.ID}); err != nil && !errors.Is(err, ledger.ErrShiftOpen) {
				t.Errorf("check in: %v", err)
				return
			}
			if _, err := e.CheckOut(ctx, ledger.CheckOut{ID: record.NewEntryID(), Card: c}); err != nil {
				t.Errorf("check out: %v", err)
				return
			}
		}
	}()
	out := filepath.Join(t.TempDir(), "backup")
	if err := os.MkdirAll(out, 0o700); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := e.Backup(ctx, filepath.Join(out, ledger.FileName)); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	left, _ := filepath.Glob(filepath.Join(out, ".*tmp*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	b, err := ledger.Open(ctx, out, e.Opts)
	if err != nil {
		t.Fatalf("open backup: %v", err)
	}
	defer b.Close()
	rep, err := b.Verify(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("backup verify: %+v, %v", rep, err)
	}
	if b.Terminal() != e.Terminal() || rep.Entries == 0 {
		t.Fatalf("backup terminal %+v entries %d", b.Terminal(), rep.Entries)
	}
	st, _ := os.Stat(filepath.Join(out, ledger.FileName))
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("backup mode %v", st.Mode())
	}
	// A backup into a missing directory fails and leaves nothing.
	if err := e.Backup(ctx, filepath.Join(out, "nope", "x.db")); err == nil {
		t.Fatal("backup into a missing directory succeeded")
	}
}

func TestStatusAndSummary(t *testing.T) {
	e := ledgertest.MustOpen(t)
	act := e.AnyTime(t)
	p, c := e.AddPerson(t, "王堃", record.RedVest)
	_, c2 := e.AddPerson(t, "李喆", record.GreenVest)
	checkIn(t, e, c, act.ID)
	checkIn(t, e, c2, act.ID)
	e.Clock.Advance(time.Hour)
	checkOut(t, e, c)
	it := e.AddItem(t, "大米", 20, 5)
	if _, err := redeem(e, c, it.ID); err != nil {
		t.Fatal(err)
	}
	st, err := e.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// entries: 2 check-ins, 1 check-out, restock, redeem
	if st.People != 2 || st.Cards != 2 || st.OpenShifts != 1 || st.Entries != 5 || st.Sync.Unsynced != 5 ||
		st.DBBytes == 0 || st.FreeBytes == 0 || st.SchemaVersion != ledger.SchemaVersion() || st.Terminal.Center != ledgertest.Center {
		t.Fatalf("status %+v", st)
	}
	sum, err := e.TodaySummary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := ledger.Summary{Day: "2026-03-02", CheckIns: 2, CheckOuts: 1, MinutesCredit: 60, PointsEarned: 60, Redemptions: 1, PointsRedeemed: 20, OpenShifts: 1}
	if sum != want {
		t.Fatalf("summary %+v, want %+v", sum, want)
	}
	roll, err := e.HonourRoll(ctx, 2026, time.March, 10)
	if err != nil || len(roll) != 1 || roll[0].Person != p.ID || roll[0].Minutes != 60 || roll[0].Name != "王堃" {
		t.Fatalf("honour roll %+v, %v", roll, err)
	}
	if roll, _ := e.HonourRoll(ctx, 2026, time.February, 10); len(roll) != 0 {
		t.Fatalf("February roll %+v", roll)
	}
	open, _ := e.ActivitiesOpenNow(ctx)
	today, _ := e.ActivitiesToday(ctx)
	if len(open) != 1 || len(today) != 1 {
		t.Fatalf("activities open %d today %d", len(open), len(today))
	}
	after, _ := e.EntriesAfter(ctx, 3, 100)
	if len(after) != 2 || after[0].Seq != 4 {
		t.Fatalf("entries after 3: %+v", after)
	}
	// A reversed redemption is not counted: two more, one of them reversed.
	if _, err := redeem(e, c, it.ID); err != nil {
		t.Fatal(err)
	}
	undone, err := redeem(e, c, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Reverse(ctx, ledger.Reverse{ID: record.NewEntryID(), Entry: undone.Entry.ID, Operator: e.Staff, Reason: "撤销"}); err != nil {
		t.Fatal(err)
	}
	if sum, err = e.TodaySummary(ctx); err != nil || sum.Redemptions != 2 || sum.PointsRedeemed != 40 {
		t.Fatalf("summary after a reversal: %+v, %v; want 2 redemptions of 40 points", sum, err)
	}
}

// TestSummaryKeepsServiceAndAdjustmentsApart: today's summary says the
// points service earned apart from the points staff adjusted by hand (a
// reversed adjustment not counted), and counts today's open shifts apart
// from the ones left open on an earlier day.
func TestSummaryKeepsServiceAndAdjustmentsApart(t *testing.T) {
	e := ledgertest.MustOpen(t)
	act := e.AnyTime(t)
	_, old := e.AddPerson(t, "李喆", record.RedVest)
	checkIn(t, e, old, act.ID) // yesterday's, never closed
	e.Clock.Advance(24 * time.Hour)
	p, c := e.AddPerson(t, "王堃", record.RedVest)
	_, c2 := e.AddPerson(t, "周玥", record.GreenVest)
	checkIn(t, e, c, act.ID)
	checkIn(t, e, c2, act.ID)
	e.Clock.Advance(time.Hour)
	checkOut(t, e, c)
	adjust := func(points int64) record.EntryID {
		t.Helper()
		en, err := e.Adjust(ctx, ledger.Adjust{ID: record.NewEntryID(), Person: p.ID, Points: points, Reason: "活动奖励", Operator: e.Staff})
		if err != nil {
			t.Fatal(err)
		}
		return en.ID
	}
	adjust(120)
	adjust(-20)
	undone := adjust(7)
	if _, err := e.Reverse(ctx, ledger.Reverse{ID: record.NewEntryID(), Entry: undone, Operator: e.Staff, Reason: "撤销"}); err != nil {
		t.Fatal(err)
	}
	sum, err := e.TodaySummary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := ledger.Summary{Day: "2026-03-03", CheckIns: 2, CheckOuts: 1, MinutesCredit: 60, PointsEarned: 60,
		Adjustments: 2, PointsAdjusted: 100, OpenShifts: 1, OpenEarlier: 1}
	if sum != want {
		t.Fatalf("summary %+v, want %+v", sum, want)
	}
}

func TestExport(t *testing.T) {
	e := ledgertest.MustOpen(t)
	act := e.AnyTime(t)
	_, c := e.AddPerson(t, "周玥", record.RedVest)
	for range 3 {
		checkIn(t, e, c, act.ID)
		e.Clock.Advance(time.Hour)
		checkOut(t, e, c)
		e.Clock.Advance(23 * time.Hour)
	}
	from := ledgertest.Start.Add(12 * time.Hour) // skips day one
	to := from.Add(48 * time.Hour)
	var n int
	for x, err := range e.ExportEntries(ctx, from, to) {
		if err != nil {
			t.Fatal(err)
		}
		if x.PersonName != "周玥" || x.ActivityName != "便民服务" || x.At.Before(from) || !x.At.Before(to) {
			t.Fatalf("row %+v", x)
		}
		n++
	}
	if n != 4 {
		t.Fatalf("%d entries exported, want 4 (two shifts)", n)
	}
	var shifts int
	for s, err := range e.ExportShifts(ctx, ledgertest.Start.Add(-time.Hour), to) {
		if err != nil {
			t.Fatal(err)
		}
		if s.State != ledger.ShiftClosed || s.Minutes != 60 || s.MemberNo == "" {
			t.Fatalf("shift row %+v", s)
		}
		shifts++
		if shifts == 2 {
			break // stopping early is allowed
		}
	}
	if shifts != 2 {
		t.Fatalf("shifts %d", shifts)
	}
}

func TestBatch(t *testing.T) {
	e := ledgertest.MustOpen(t)
	act := e.AnyTime(t)
	var people int
	err := e.Batch(ctx, func(b *ledger.Batch) error {
		for i := range 50 {
			p, err := b.EnrolPerson(ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: "B" + string(rune('A'+i%26)) + time.Duration(i).String(), Name: "批量", Kind: record.GreenVest})
			if err != nil {
				return err
			}
			uid := e.NewUID()
			if _, err := b.BindCard(ledger.BindCard{ID: record.NewEntryID(), Person: p.ID, UID: uid}); err != nil {
				return err
			}
			if _, err := b.CheckIn(ledger.CheckIn{ID: record.NewEntryID(), Card: uid, Activity: act.ID}); err != nil {
				return err
			}
			// A refusal inside a batch leaves nothing and the batch goes on.
			if _, err := b.CheckIn(ledger.CheckIn{ID: record.NewEntryID(), Card: uid, Activity: act.ID}); !errors.Is(err, ledger.ErrShiftOpen) {
				t.Errorf("second check-in in batch: %v", err)
			}
			e.Clock.Advance(time.Minute)
			if _, err := b.CheckOut(ledger.CheckOut{ID: record.NewEntryID(), Card: uid}); err != nil {
				return err
			}
			people++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := e.Status(ctx)
	if st.People != 50 || st.Entries != 100 {
		t.Fatalf("after batch %+v", st)
	}
	// A batch that fails writes nothing.
	err = e.Batch(ctx, func(b *ledger.Batch) error {
		if _, err := b.EnrolPerson(ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: "ROLLBACK", Name: "回滚", Kind: record.Resident}); err != nil {
			return err
		}
		return errors.New("stop")
	})
	if err == nil {
		t.Fatal("batch error lost")
	}
	if got, _ := e.FindPeople(ctx, "ROLLBACK", 1); len(got) != 0 {
		t.Fatal("a failed batch left a person behind")
	}
	// The chain continues after a rolled-back batch.
	_, c := e.AddPerson(t, "王堃", record.RedVest)
	checkIn(t, e, c, act.ID)
	e.MustVerify(t)
}
