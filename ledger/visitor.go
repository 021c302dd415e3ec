package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/record"
)

// CheckOutPreview is what a check-out of the card's open shift would credit
// now: the terminal shows it before the visitor confirms.
type CheckOutPreview struct {
	Shift    Shift
	Activity Activity // its Rules say the rounding and the minimum
	At       time.Time
	Credit   record.Credit
}

// PreviewCheckOut computes, without writing, what CheckOut would credit the
// card's open shift now: the same rules (record.Rules.Credit) with the same
// minutes credited today for the daily cap. ErrNoOpenShift when none is
// open; a lost or revoked card is refused as CheckOut refuses it.
func (l *Ledger) PreviewCheckOut(ctx context.Context, card record.CardUID) (CheckOutPreview, error) {
	var p CheckOutPreview
	tx, err := l.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return p, fmt.Errorf("preview check-out: %w", storageErr(err))
	}
	defer tx.Rollback()
	q := l.readTx(tx)
	c, err := readCard(ctx, q, card)
	if err != nil {
		return p, fmt.Errorf("preview check-out: %w", err)
	}
	if err := c.State.err(); err != nil {
		return p, fmt.Errorf("preview check-out: card %s: %w", card, err)
	}
	s, err := openShift(ctx, q, l, c.Person)
	if err != nil {
		return p, err
	}
	a, err := readActivity(ctx, q, s.Activity)
	if err != nil {
		return p, err
	}
	person, err := readPerson(ctx, q, s.Person)
	if err != nil {
		return p, err
	}
	today, err := creditedOnDay(ctx, q, l.opts.Location, s, a.Rules)
	if err != nil {
		return p, fmt.Errorf("preview check-out: %w", storageErr(err))
	}
	now := l.opts.Clock.Now()
	return CheckOutPreview{Shift: s, Activity: a, At: now, Credit: a.Rules.Credit(person.Kind, now.Sub(s.OpenedAt), today)}, nil
}

// PickupCodes returns the pickup codes of the redemptions among ids (entry
// ids of KindRedeem entries), for the visitor's history.
func (l *Ledger) PickupCodes(ctx context.Context, ids ...record.EntryID) (map[record.EntryID]PickupCode, error) {
	out := map[record.EntryID]PickupCode{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i := range ids {
		args[i] = ids[i][:]
	}
	rows, err := l.r.QueryContext(ctx, "SELECT id, code FROM redemptions WHERE id IN (?"+strings.Repeat(", ?", len(ids)-1)+")", args...)
	if err != nil {
		return nil, fmt.Errorf("pickup codes: %w", storageErr(err))
	}
	defer rows.Close()
	for rows.Next() {
		var id []byte
		var code string
		if err := rows.Scan(&id, &code); err != nil {
			return nil, fmt.Errorf("pickup codes: %w", storageErr(err))
		}
		var e record.EntryID
		copy(e[:], id)
		out[e] = PickupCode(code)
	}
	return out, storageErr(rows.Err())
}

// PeriodLimitError refuses a redemption past an item's limit per period: it
// carries the period, so the screen says 本周已兑换 for a weekly limit and
// 本月已兑换 for a monthly one. errors.Is(err, ErrPeriodLimit) holds.
type PeriodLimitError struct {
	Item   string
	Period Period
	Limit  int64 // units per period
	Taken  int64 // units already redeemed this period
}

func (e *PeriodLimitError) Error() string {
	return fmt.Sprintf("ledger: item %q: %d of %d this %v: period limit reached", e.Item, e.Taken, e.Limit, e.Period)
}

// Is makes errors.Is(err, ErrPeriodLimit) true.
func (e *PeriodLimitError) Is(target error) bool { return target == ErrPeriodLimit }

// InsufficientPointsError refuses a redemption the balance does not cover:
// it carries both, so the screen says how many points are missing.
// errors.Is(err, ErrInsufficientPoints) holds.
type InsufficientPointsError struct {
	Item    string
	Cost    int64
	Balance int64
}

func (e *InsufficientPointsError) Error() string {
	return fmt.Sprintf("ledger: item %q costs %d, balance %d: insufficient points", e.Item, e.Cost, e.Balance)
}

// Is makes errors.Is(err, ErrInsufficientPoints) true.
func (e *InsufficientPointsError) Is(target error) bool { return target == ErrInsufficientPoints }

// Missing is how many points the balance lacks.
func (e *InsufficientPointsError) Missing() int64 { return e.Cost - e.Balance }
