package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hongmajia/hongmajia/record"
)

// Handing out (核销): staff give a resident the goods of a redemption
// against its pickup code and mark it so at the kiosk, once. The mark is a
// row of its own (handouts, append-only), not an entry: it moves no points
// and no stock, which the redemption did already.

const opHandOut = "hand out"

// ErrHandedOut: the pickup code's goods were handed out already; returned
// as a *HandedOutError saying when and by whom.
var ErrHandedOut = errors.New("ledger: pickup code handed out already")

// ErrRedemptionReversed: the redemption was reversed; its code is void.
var ErrRedemptionReversed = errors.New("ledger: redemption reversed")

// Handout is a redemption's goods handed out.
type Handout struct {
	Redemption record.EntryID
	Operator   record.CardUID
	By         string // the operator's name
	At         time.Time
}

// HandedOutError refuses a second hand-out of one redemption.
type HandedOutError struct{ Handout Handout }

func (e *HandedOutError) Error() string {
	return fmt.Sprintf("ledger: redemption %s handed out at %s by %s (%s)", e.Handout.Redemption,
		e.Handout.At.Format(time.DateTime), e.Handout.By, e.Handout.Operator)
}

// Is makes errors.Is(err, ErrHandedOut) true.
func (e *HandedOutError) Is(target error) bool { return target == ErrHandedOut }

// HandOut marks a redemption's goods handed out by a staff card.
type HandOut struct {
	ID         record.EntryID // the request's id
	Redemption record.EntryID
	Operator   record.CardUID
}

// HandOut records that a redemption of this center was handed out, with the
// operator and the time. A reversed redemption is refused
// (ErrRedemptionReversed), and one handed out before with a
// *HandedOutError.
func (l *Ledger) HandOut(ctx context.Context, req HandOut) (Handout, error) {
	return do(l, ctx, opHandOut, req.ID, func(t *wtx) (Handout, error) {
		if err := t.staffOperator(req.Operator); err != nil {
			return Handout{}, err
		}
		var center string
		var reversed bool
		err := t.queryRow("SELECT center, reversed FROM redemptions WHERE id = ?", req.Redemption[:]).Scan(&center, &reversed)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && center != t.l.term.Center) {
			return Handout{}, fmt.Errorf("redemption %s: %w", req.Redemption, ErrNotFound)
		}
		if err != nil {
			return Handout{}, err
		}
		if reversed {
			return Handout{}, fmt.Errorf("hand out redemption %s: %w", req.Redemption, ErrRedemptionReversed)
		}
		if err := t.notHandedOut(req.Redemption); err != nil {
			return Handout{}, err
		}
		s, err := readStaff(t.ctx, t.q, req.Operator)
		if err != nil {
			return Handout{}, err
		}
		if _, err := t.exec("INSERT INTO handouts(redemption, operator, at, boot, trusted) VALUES (?, ?, ?, ?, ?)",
			req.Redemption[:], string(req.Operator), t.now.UnixNano(), t.l.boot, t.trusted); err != nil {
			return Handout{}, err
		}
		if err := t.pickup(req.Redemption, true); err != nil {
			return Handout{}, err
		}
		return Handout{Redemption: req.Redemption, Operator: req.Operator, By: s.Name, At: t.now}, nil
	})
}

// notHandedOut refuses a redemption handed out already.
func (t *wtx) notHandedOut(id record.EntryID) error {
	h, err := readHandout(t.ctx, t.q, id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return &HandedOutError{Handout: h}
}

func readHandout(ctx context.Context, q querier, id record.EntryID) (Handout, error) {
	h := Handout{Redemption: id}
	var at int64
	err := q.QueryRowContext(ctx, "SELECT h.operator, COALESCE(s.name, ''), h.at FROM handouts h LEFT JOIN staff s ON s.uid = h.operator WHERE h.redemption = ?", id[:]).
		Scan((*string)(&h.Operator), &h.By, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return h, fmt.Errorf("handout of %s: %w", id, ErrNotFound)
	}
	h.At = time.Unix(0, at)
	return h, storageErr(err)
}

// codeWindow is how far back a pickup code typed at the kiosk is looked for:
// codes are unique per center and day only, and come round again.
const codeWindow = 31 * 24 * time.Hour

// RedemptionByCode finds the redemption a pickup code typed at the kiosk
// names: of this center's in the last month with that code, the newest not
// yet handed out nor reversed, else the newest (for the kiosk to say why it
// cannot be handed out). ErrNotFound when there is none.
func (l *Ledger) RedemptionByCode(ctx context.Context, code PickupCode) (RedemptionRecord, error) {
	since := l.opts.Clock.Now().Add(-codeWindow).UnixNano()
	recs, err := l.redemptions(ctx, `WHERE r.center = ? AND r.code = ? AND r.at >= ?
		ORDER BY (r.reversed OR h.redemption IS NOT NULL), r.at DESC LIMIT 1`, l.term.Center, string(code), since)
	if err != nil {
		return RedemptionRecord{}, fmt.Errorf("redemption by code: %w", err)
	}
	if len(recs) == 0 {
		return RedemptionRecord{}, fmt.Errorf("redemption by code %s: %w", code, ErrNotFound)
	}
	return recs[0], nil
}
