package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/hongmajia/hongmajia/record"
)

// Reverse undoes one entry (冲正).
type Reverse struct {
	ID       record.EntryID
	Entry    record.EntryID // the entry undone
	Operator record.CardUID // staff card, recorded on the entry
	Reason   string
}

// Reverse writes a KindReverse entry with the negated deltas of the named
// entry. Reversing a redemption returns its stock and frees its period
// limit; reversing a check-out marks the shift reversed. An entry is
// reversed at most once; check-ins, card replacements and reversals cannot be
// reversed (ErrNotReversible). A reversal that would take a balance or stock
// below zero is refused like any other write.
func (l *Ledger) Reverse(ctx context.Context, req Reverse) (record.Entry, error) {
	return do(l, ctx, opReverse, req.ID, func(t *wtx) (record.Entry, error) { return t.reverse(req) })
}

func (t *wtx) reverse(req Reverse) (record.Entry, error) {
	if err := t.staffOperator(req.Operator); err != nil {
		return record.Entry{}, err
	}
	orig, err := scanEntry(t.queryRow("SELECT "+entryColumns+" FROM entries WHERE id = ?", req.Entry[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return record.Entry{}, fmt.Errorf("entry %s: %w", req.Entry, ErrNotFound)
	}
	if err != nil {
		return record.Entry{}, err
	}
	switch orig.Kind {
	case record.KindCheckOut, record.KindRedeem, record.KindAdjust, record.KindExpire, record.KindRestock:
	default:
		return record.Entry{}, fmt.Errorf("entry %s is a %v: %w", orig.ID, orig.Kind, ErrNotReversible)
	}
	var done int
	if err := t.queryRow("SELECT count(*) FROM entries WHERE reverses = ?", orig.ID[:]).Scan(&done); err != nil {
		return record.Entry{}, err
	}
	if done > 0 {
		return record.Entry{}, fmt.Errorf("entry %s reversed already: %w", orig.ID, ErrNotReversible)
	}
	if orig.Kind == record.KindRedeem {
		// Goods handed out are gone: the points cannot come back for them.
		if err := t.notHandedOut(orig.ID); errors.Is(err, ErrHandedOut) {
			return record.Entry{}, fmt.Errorf("reverse entry %s: %w: %w", orig.ID, err, ErrNotReversible)
		} else if err != nil {
			return record.Entry{}, err
		}
	}
	if orig.Person != 0 && (orig.Points > 0 || orig.Minutes > 0) {
		bal, err := readBalance(t.ctx, t.q, orig.Person)
		if err != nil {
			return record.Entry{}, err
		}
		if bal.Points < orig.Points || bal.Minutes < orig.Minutes {
			return record.Entry{}, fmt.Errorf("reverse entry %s: balance %d points: %w", orig.ID, bal.Points, ErrInsufficientPoints)
		}
	}
	if orig.Stock > 0 {
		n, err := readStock(t.ctx, t.q, orig.Center, orig.Item)
		if err != nil {
			return record.Entry{}, err
		}
		if n < orig.Stock {
			return record.Entry{}, fmt.Errorf("reverse restock %s: %d in stock: %w", orig.ID, n, ErrOutOfStock)
		}
	}
	if orig.Stock != 0 && orig.Center != t.l.term.Center {
		return record.Entry{}, fmt.Errorf("entry %s moved stock at center %s: %w", orig.ID, orig.Center, ErrNotReversible)
	}
	e := record.Entry{ID: req.ID, Kind: record.KindReverse, Person: orig.Person, Card: orig.Card, Minutes: -orig.Minutes, Points: -orig.Points,
		Stock: -orig.Stock, Activity: orig.Activity, Shift: orig.Shift, Item: orig.Item, Reverses: orig.ID,
		Operator: req.Operator, Reason: req.Reason}
	if err := t.append(&e); err != nil {
		return record.Entry{}, err
	}
	switch orig.Kind {
	case record.KindRedeem:
		if _, err := t.exec("UPDATE redemptions SET reversed = 1 WHERE id = ?", orig.ID[:]); err != nil {
			return record.Entry{}, err
		}
	case record.KindCheckOut:
		if _, err := t.exec("UPDATE shifts SET state = ? WHERE id = ? AND close_entry = ?", int(ShiftReversed), orig.Shift[:], orig.ID[:]); err != nil {
			return record.Entry{}, err
		}
	}
	return e, nil
}

// Adjust is a staff correction (调整).
type Adjust struct {
	ID       record.EntryID
	Person   record.PersonID
	Card     record.CardUID // the card presented, if any
	Points   int64
	Minutes  int64
	Reason   string // required
	Operator record.CardUID
}

// Adjust writes a KindAdjust entry. A reason and a non-zero delta are
// required; the balance may not go below zero.
func (l *Ledger) Adjust(ctx context.Context, req Adjust) (record.Entry, error) {
	return do(l, ctx, opAdjust, req.ID, func(t *wtx) (record.Entry, error) { return t.adjust(req) })
}

func (t *wtx) adjust(req Adjust) (record.Entry, error) {
	if strings.TrimSpace(req.Reason) == "" || (req.Points == 0 && req.Minutes == 0) {
		return record.Entry{}, fmt.Errorf("adjust: a reason and a change are required: %w", ErrInvalid)
	}
	if err := t.staffOperator(req.Operator); err != nil {
		return record.Entry{}, err
	}
	bal, err := readBalance(t.ctx, t.q, req.Person)
	if err != nil {
		return record.Entry{}, err
	}
	if bal.Points+req.Points < 0 || bal.Minutes+req.Minutes < 0 {
		return record.Entry{}, fmt.Errorf("adjust person %d by %d points: balance %d: %w", req.Person, req.Points, bal.Points, ErrInsufficientPoints)
	}
	e := record.Entry{ID: req.ID, Kind: record.KindAdjust, Person: req.Person, Card: req.Card, Points: req.Points, Minutes: req.Minutes,
		Operator: req.Operator, Reason: req.Reason}
	return e, t.append(&e)
}

// ExpirePoints runs the points-expiry policy (Policy.PointsExpireMonths).
type ExpirePoints struct {
	ID record.EntryID
}

// ExpireResult lists the expiry entries written.
type ExpireResult struct {
	Entries []record.Entry
	Points  int64 // total expired
}

// ExpirePoints expires points earned longer ago than the policy allows and
// not spent since, oldest first: a person's expirable points are the balance
// less what they earned inside the window. With the default policy (never)
// it writes nothing.
func (l *Ledger) ExpirePoints(ctx context.Context, req ExpirePoints) (ExpireResult, error) {
	return do(l, ctx, "expire points", req.ID, func(t *wtx) (ExpireResult, error) {
		res := ExpireResult{Entries: []record.Entry{}}
		p, err := readPolicy(t.ctx, t.q)
		if err != nil {
			return res, err
		}
		cutoff, ok := p.ExpiryCutoff(t.now)
		if !ok {
			return res, nil
		}
		rows, err := t.query(`SELECT b.person, b.points - COALESCE((SELECT SUM(e.points) FROM entries e
			WHERE e.person = b.person AND e.points > 0 AND e.at >= ?), 0) FROM balances b WHERE b.points > 0 ORDER BY b.person`,
			cutoff.UnixNano())
		if err != nil {
			return res, err
		}
		type due struct {
			person record.PersonID
			points int64
		}
		var dues []due
		for rows.Next() {
			var d due
			if err := rows.Scan((*int64)(&d.person), &d.points); err != nil {
				rows.Close()
				return res, err
			}
			if d.points > 0 {
				dues = append(dues, d)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return res, err
		}
		for i, d := range dues {
			e := record.Entry{ID: record.DeriveID(req.ID, i), Kind: record.KindExpire, Person: d.person, Points: -d.points,
				Reason: fmt.Sprintf("earned before %s", cutoff.In(t.l.opts.Location).Format("2006-01-02"))}
			if err := t.append(&e); err != nil {
				return res, err
			}
			res.Entries = append(res.Entries, e)
			res.Points += d.points
		}
		return res, nil
	})
}
