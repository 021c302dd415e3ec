package ledger_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// TestPreviewCheckOutIsWhatCheckOutCredits: the preview the screen shows
// before a check-out is what the check-out then credits, through rounding,
// the minimum and the daily cap (which counts what was credited today).
func TestPreviewCheckOutIsWhatCheckOutCredits(t *testing.T) {
	e := ledgertest.MustOpen(t)
	a := e.AddActivity(t, "助老服务", record.Schedule{}, record.Rules{AnyTime: true, RoundMinutes: 15, MinMinutes: 15,
		DailyCapMinutes: 120, PointsPerHour: map[record.VolunteerKind]int64{record.RedVest: 10}})
	_, card := e.AddPerson(t, "王堃", record.RedVest)
	if _, err := e.PreviewCheckOut(ctx, card); !errors.Is(err, ledger.ErrNoOpenShift) {
		t.Fatalf("preview with no shift open: %v, want ErrNoOpenShift", err)
	}
	for _, tc := range []struct {
		name   string
		served time.Duration
		want   record.Credit
	}{
		{"too short", 11 * time.Minute, record.Credit{BelowMinimum: true}},
		{"rounded down", 104 * time.Minute, record.Credit{Minutes: 90, Points: 15}},
		// 90 credited today already: the cap of 120 leaves 30.
		{"capped by today's", 61 * time.Minute, record.Credit{Minutes: 30, Points: 5, Capped: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: card, Activity: a.ID}); err != nil {
				t.Fatal(err)
			}
			e.Clock.Advance(tc.served)
			p, err := e.PreviewCheckOut(ctx, card)
			if err != nil {
				t.Fatal(err)
			}
			if p.Credit != tc.want || p.Activity.ID != a.ID || p.Activity.Rules.RoundMinutes != 15 || !p.At.Equal(e.Clock.Now()) {
				t.Fatalf("preview = %+v credit %+v, want %+v", p.Activity.Name, p.Credit, tc.want)
			}
			res, err := e.CheckOut(ctx, ledger.CheckOut{ID: record.NewEntryID(), Card: card})
			if err != nil {
				t.Fatal(err)
			}
			if res.Credit != p.Credit {
				t.Fatalf("check-out credited %+v, the preview said %+v", res.Credit, p.Credit)
			}
			e.Clock.Advance(time.Minute)
		})
	}
	e.MustVerify(t)
}

func TestPreviewCheckOutRefusesALostCard(t *testing.T) {
	e := ledgertest.MustOpen(t)
	a := e.AnyTime(t)
	_, card := e.AddPerson(t, "李喆", record.GreenVest)
	if _, err := e.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: card, Activity: a.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.SetCardState(ctx, ledger.SetCardState{ID: record.NewEntryID(), UID: card, State: ledger.CardLost, Operator: e.Staff}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.PreviewCheckOut(ctx, card); !errors.Is(err, ledger.ErrCardLost) {
		t.Fatalf("preview on a lost card: %v, want ErrCardLost", err)
	}
}

// TestRedeemRefusalsCarryWhatTheScreenSays: a period limit names its period
// (a weekly limit is not 本月已兑换), and too few points say how many.
func TestRedeemRefusalsCarryWhatTheScreenSays(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, card := e.AddPerson(t, "周玥", record.Resident)
	e.Credit(t, p.ID, 100)
	for _, period := range []ledger.Period{ledger.Daily, ledger.Weekly, ledger.Monthly, ledger.Yearly} {
		it, err := e.PutItem(ctx, ledger.PutItem{ID: record.NewEntryID(), Item: ledger.Item{Name: "理发服务" + period.String(), Price: 5, Limit: 1, Period: period, Active: true}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Restock(ctx, ledger.Restock{ID: record.NewEntryID(), Item: it.ID, Quantity: 5, Operator: e.Staff}); err != nil {
			t.Fatal(err)
		}
		if _, err := redeem(e, card, it.ID); err != nil {
			t.Fatal(err)
		}
		_, err = redeem(e, card, it.ID)
		var limit *ledger.PeriodLimitError
		if !errors.As(err, &limit) || !errors.Is(err, ledger.ErrPeriodLimit) || limit.Period != period || limit.Limit != 1 || limit.Taken != 1 {
			t.Fatalf("%v limit: %v (%+v)", period, err, limit)
		}
		offers, err := e.CatalogFor(ctx, card)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range offers {
			if o.Item.ID == it.ID && (!errors.As(o.Refusal, &limit) || limit.Period != period) {
				t.Fatalf("catalog offer of a %v limit: %v", period, o.Refusal)
			}
		}
	}
	oil := e.AddItem(t, "食用油", 150, 3)
	_, err := redeem(e, card, oil.ID)
	var short *ledger.InsufficientPointsError
	if !errors.As(err, &short) || !errors.Is(err, ledger.ErrInsufficientPoints) || short.Cost != 150 || short.Balance != 80 || short.Missing() != 70 {
		t.Fatalf("insufficient: %v (%+v)", err, short)
	}
}

func TestPickupCodesOfHistory(t *testing.T) {
	e := ledgertest.MustOpen(t)
	p, card := e.AddPerson(t, "陈赟", record.Resident)
	e.Credit(t, p.ID, 100)
	rice := e.AddItem(t, "大米", 30, 5)
	var want []ledger.Redemption
	for range 2 {
		r, err := redeem(e, card, rice.ID)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, r)
	}
	hist, err := e.History(ctx, p.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []record.EntryID
	for _, h := range hist {
		ids = append(ids, h.ID)
	}
	codes, err := e.PickupCodes(ctx, ids...)
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 2 || codes[want[0].Entry.ID] != want[0].Code || codes[want[1].Entry.ID] != want[1].Code {
		t.Fatalf("codes = %v, want %s and %s", codes, want[0].Code, want[1].Code)
	}
	if none, err := e.PickupCodes(ctx); err != nil || len(none) != 0 {
		t.Fatalf("no ids: %v, %v", none, err)
	}
}
