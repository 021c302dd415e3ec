package pgstore

import (
	"fmt"
	"strings"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/record"
)

// ---- redemptions

const redemptionColumns = `id, terminal, seq, center, person, card, item, qty, points, at_hub, corrected, code,
	reversed_by, reversed_at, handed_at, handed_corrected, handed_by`

func scanRedemption(s scanner) (hub.Redemption, error) {
	var r hub.Redemption
	var id, reversedBy []byte
	var seq, person, item, at, reversedAt, handedAt int64
	err := s.Scan(&id, &r.Terminal, &seq, &r.Center, &person, (*string)(&r.Card), &item, &r.Qty, &r.Points, &at, &r.Corrected,
		&r.Code, &reversedBy, &reversedAt, &handedAt, &r.HandedCorrected, (*string)(&r.HandedBy))
	copy(r.ID[:], id)
	copy(r.ReversedBy[:], reversedBy)
	r.Seq, r.Person, r.Item = uint64(seq), record.PersonID(person), record.ItemID(item)
	r.At, r.ReversedAt, r.HandedAt = fromNano(at), fromNano(reversedAt), fromNano(handedAt)
	return r, err
}

func (t *tx) Redemption(id record.EntryID) (hub.Redemption, error) {
	r, err := scanRedemption(t.row("SELECT "+redemptionColumns+" FROM redemptions WHERE id = ?", id[:]))
	return r, notFound(err, "redemption %s", id)
}

func (t *tx) PutRedemption(r hub.Redemption) error {
	var reversedBy any
	if !r.ReversedBy.IsZero() {
		reversedBy = r.ReversedBy[:]
	}
	_, err := t.exec(`INSERT INTO redemptions(`+redemptionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET terminal = excluded.terminal, seq = excluded.seq, center = excluded.center,
		person = excluded.person, card = excluded.card, item = excluded.item, qty = excluded.qty, points = excluded.points,
		at_hub = excluded.at_hub, corrected = excluded.corrected, code = excluded.code, reversed_by = excluded.reversed_by,
		reversed_at = excluded.reversed_at, handed_at = excluded.handed_at, handed_corrected = excluded.handed_corrected,
		handed_by = excluded.handed_by`,
		r.ID[:], r.Terminal, int64(r.Seq), r.Center, int64(r.Person), string(r.Card), int64(r.Item), r.Qty, r.Points, nano(r.At),
		r.Corrected, r.Code, reversedBy, nano(r.ReversedAt), nano(r.HandedAt), r.HandedCorrected, string(r.HandedBy))
	if err != nil {
		return fmt.Errorf("pgstore: put redemption %s: %w", r.ID, err)
	}
	return nil
}

// redemptionWhere is q's WHERE clause (without the word) and its
// arguments: its centers, its time, its state and its match. A query of no
// center matches nothing.
func redemptionWhere(q hub.RedemptionQuery) (string, []any) {
	if len(q.Centers) == 0 {
		return "false", nil
	}
	conds := []string{"center = ANY(?)"}
	args := []any{q.Centers}
	if !q.From.IsZero() {
		conds, args = append(conds, "at_hub >= ?"), append(args, q.From.UnixNano())
	}
	if !q.To.IsZero() {
		conds, args = append(conds, "at_hub < ?"), append(args, q.To.UnixNano())
	}
	switch q.State {
	case hub.RedemptionWaiting:
		conds = append(conds, "reversed_by IS NULL AND handed_at = 0 AND code != ''")
	case hub.RedemptionHandedOut:
		conds = append(conds, "reversed_by IS NULL AND handed_at != 0")
	case hub.RedemptionReversed:
		conds = append(conds, "reversed_by IS NOT NULL")
	case hub.RedemptionUnreported:
		conds = append(conds, "reversed_by IS NULL AND handed_at = 0 AND code = ''")
	}
	if m := q.Match; m != nil {
		var or []string
		if m.Code != "" {
			or, args = append(or, "code = ?"), append(args, m.Code)
		}
		if len(m.Persons) > 0 {
			ids := make([]int64, len(m.Persons))
			for i, p := range m.Persons {
				ids[i] = int64(p)
			}
			or, args = append(or, "person = ANY(?)"), append(args, ids)
		}
		if len(or) == 0 {
			or = []string{"false"}
		}
		conds = append(conds, "("+strings.Join(or, " OR ")+")")
	}
	return strings.Join(conds, " AND "), args
}

func (t *tx) Redemptions(q hub.RedemptionQuery) ([]hub.Redemption, error) {
	where, args := redemptionWhere(q)
	if !q.Before.IsZero() {
		where += " AND (at_hub, id) < (?, ?)"
		args = append(args, nano(q.Before.At), q.Before.ID[:])
	}
	query := "SELECT " + redemptionColumns + " FROM redemptions WHERE " + where + " ORDER BY at_hub DESC, id DESC"
	if q.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, q.Limit)
	}
	rows, err := t.query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("pgstore: redemptions: %w", err)
	}
	return collect(t, rows, scanRedemption)
}

func (t *tx) RedemptionSums(q hub.RedemptionQuery) ([]hub.RedemptionSum, error) {
	q.State, q.Before, q.Limit = hub.RedemptionAny, hub.RedemptionCursor{}, 0
	where, args := redemptionWhere(q)
	rows, err := t.query(`SELECT center, item,
		count(*) FILTER (WHERE reversed_by IS NULL),
		SUM(CASE WHEN reversed_by IS NULL THEN qty ELSE 0 END)::bigint,
		SUM(CASE WHEN reversed_by IS NULL AND handed_at != 0 THEN qty ELSE 0 END)::bigint,
		SUM(CASE WHEN reversed_by IS NULL AND handed_at = 0 AND code != '' THEN qty ELSE 0 END)::bigint,
		SUM(CASE WHEN reversed_by IS NULL AND handed_at = 0 AND code = '' THEN qty ELSE 0 END)::bigint,
		count(*) FILTER (WHERE reversed_by IS NOT NULL),
		SUM(CASE WHEN reversed_by IS NULL THEN points ELSE 0 END)::bigint
		FROM redemptions WHERE `+where+` GROUP BY center, item ORDER BY center, item`, args...)
	if err != nil {
		return nil, fmt.Errorf("pgstore: redemption sums: %w", err)
	}
	return collect(t, rows, func(s scanner) (hub.RedemptionSum, error) {
		var r hub.RedemptionSum
		var item int64
		err := s.Scan(&r.Center, &item, &r.Redemptions, &r.Qty, &r.HandedOut, &r.Waiting, &r.Unreported, &r.Reversed, &r.Points)
		r.Item = record.ItemID(item)
		return r, err
	})
}
