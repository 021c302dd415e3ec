package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Reverse undoes one entry (冲正).
type Reverse struct {
	ID       EntryID
	Entry    EntryID // the entry undone
	Operator CardUID // staff card, recorded on the entry
	Reason   string
}

// Reverse writes a KindReverse entry with the negated deltas of the named
// entry. Reversing a redemption returns its stock and frees its period
// limit; reversing a check-out marks the shift reversed. An entry is
// reversed at most once; check-ins, card replacements and reversals cannot be
// reversed (ErrNotReversible). A reversal that would take a balance or stock
// below zero is refused like any other write.
func (l *Ledger) Reverse(ctx context.Context, req Reverse) (Entry, error) {
	return do(l, ctx, opReverse, req.ID, func(t *wtx) (Entry, error) { return t.reverse(req) })
}

func (t *wtx) reverse(req Reverse) (Entry, error) {
	if err := t.staffOperator(req.Operator); err != nil {
		return Entry{}, err
	}
	orig, err := scanEntry(t.queryRow("SELECT "+entryColumns+" FROM entries WHERE id = ?", req.Entry[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return Entry{}, fmt.Errorf("entry %s: %w", req.Entry, ErrNotFound)
	}
	if err != nil {
		return Entry{}, err
	}
	switch orig.Kind {
	case KindCheckOut, KindRedeem, KindAdjust, KindExpire, KindRestock:
	default:
		return Entry{}, fmt.Errorf("entry %s is a %v: %w", orig.ID, orig.Kind, ErrNotReversible)
	}
	var done int
	if err := t.queryRow("SELECT count(*) FROM entries WHERE reverses = ?", orig.ID[:]).Scan(&done); err != nil {
		return Entry{}, err
	}
	if done > 0 {
		return Entry{}, fmt.Errorf("entry %s reversed already: %w", orig.ID, ErrNotReversible)
	}
	if orig.Person != 0 && (orig.Points > 0 || orig.Minutes > 0) {
		bal, err := readBalance(t.ctx, t.q, orig.Person)
		if err != nil {
			return Entry{}, err
		}
		if bal.Points < orig.Points || bal.Minutes < orig.Minutes {
			return Entry{}, fmt.Errorf("reverse entry %s: balance %d points: %w", orig.ID, bal.Points, ErrInsufficientPoints)
		}
	}
	if orig.Stock > 0 {
		n, err := readStock(t.ctx, t.q, orig.Center, orig.Item)
		if err != nil {
			return Entry{}, err
		}
		if n < orig.Stock {
			return Entry{}, fmt.Errorf("reverse restock %s: %d in stock: %w", orig.ID, n, ErrOutOfStock)
		}
	}
	if orig.Stock != 0 && orig.Center != t.l.term.Center {
		return Entry{}, fmt.Errorf("entry %s moved stock at center %s: %w", orig.ID, orig.Center, ErrNotReversible)
	}
	e := Entry{ID: req.ID, Kind: KindReverse, Person: orig.Person, Card: orig.Card, Minutes: -orig.Minutes, Points: -orig.Points,
		Stock: -orig.Stock, Activity: orig.Activity, Shift: orig.Shift, Item: orig.Item, Reverses: orig.ID,
		Operator: req.Operator, Reason: req.Reason}
	if err := t.append(&e); err != nil {
		return Entry{}, err
	}
	switch orig.Kind {
	case KindRedeem:
		if _, err := t.exec("UPDATE redemptions SET reversed = 1 WHERE id = ?", orig.ID[:]); err != nil {
			return Entry{}, err
		}
	case KindCheckOut:
		if _, err := t.exec("UPDATE shifts SET state = ? WHERE id = ? AND close_entry = ?", int(ShiftReversed), orig.Shift[:], orig.ID[:]); err != nil {
			return Entry{}, err
		}
	}
	return e, nil
}

// Adjust is a staff correction (调整).
type Adjust struct {
	ID       EntryID
	Person   PersonID
	Card     CardUID // the card presented, if any
	Points   int64
	Minutes  int64
	Reason   string // required
	Operator CardUID
}

// Adjust writes a KindAdjust entry. A reason and a non-zero delta are
// required; the balance may not go below zero.
func (l *Ledger) Adjust(ctx context.Context, req Adjust) (Entry, error) {
	return do(l, ctx, opAdjust, req.ID, func(t *wtx) (Entry, error) { return t.adjust(req) })
}

func (t *wtx) adjust(req Adjust) (Entry, error) {
	if strings.TrimSpace(req.Reason) == "" || (req.Points == 0 && req.Minutes == 0) {
		return Entry{}, fmt.Errorf("adjust: a reason and a change are required: %w", ErrInvalid)
	}
	if err := t.staffOperator(req.Operator); err != nil {
		return Entry{}, err
	}
	bal, err := readBalance(t.ctx, t.q, req.Person)
	if err != nil {
		return Entry{}, err
	}
	if bal.Points+req.Points < 0 || bal.Minutes+req.Minutes < 0 {
		return Entry{}, fmt.Errorf("adjust person %d by %d points: balance %d: %w", req.Person, req.Points, bal.Points, ErrInsufficientPoints)
	}
	e := Entry{ID: req.ID, Kind: KindAdjust, Person: req.Person, Card: req.Card, Points: req.Points, Minutes: req.Minutes,
		Operator: req.Operator, Reason: req.Reason}
	return e, t.append(&e)
}

// ExpirePoints runs the points-expiry policy (Policy.PointsExpireMonths).
type ExpirePoints struct {
	ID EntryID
}

// ExpireResult lists the expiry entries written.
type ExpireResult struct {
	Entries []Entry
	Points  int64 // total expired
}

// ExpirePoints expires points earned longer ago than the policy allows and
// not spent since, oldest first: a person's expirable points are the balance
// less what they earned inside the window. With the default policy (never)
// it writes nothing.
func (l *Ledger) ExpirePoints(ctx context.Context, req ExpirePoints) (ExpireResult, error) {
	return do(l, ctx, "expire points", req.ID, func(t *wtx) (ExpireResult, error) {
		res := ExpireResult{Entries: []Entry{}}
		p, err := readPolicy(t.ctx, t.q)
		if err != nil || p.PointsExpireMonths <= 0 {
			return res, err
		}
		cutoff := t.now.AddDate(0, -p.PointsExpireMonths, 0)
		rows, err := t.query(`SELECT b.person, b.points - COALESCE((SELECT SUM(e.points) FROM entries e
			WHERE e.person = b.person AND e.points > 0 AND e.at >= ?), 0) FROM balances b WHERE b.points > 0 ORDER BY b.person`,
			cutoff.UnixNano())
		if err != nil {
			return res, err
		}
		type due struct {
			person PersonID
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
			e := Entry{ID: deriveID(req.ID, i), Kind: KindExpire, Person: d.person, Points: -d.points,
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
