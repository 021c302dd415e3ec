package ledger

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

// Pickups: what the hub learns of a redemption beyond its entry, which
// carries the points and the stock but neither the pickup code nor the
// hand-out. Each code given and each hand-out made here writes a row of
// the pickups table in its own transaction, numbered in the order they
// were made; a push sends the rows after the hub's acknowledgement
// (PickupsAcked), and the hub keeps each redemption's first code and
// first hand-out, so a row sent twice is harmless.

// pickup records, for the hub, a redemption's code (handout false) or its
// hand-out.
func (t *wtx) pickup(redemption record.EntryID, handout bool) error {
	if _, err := t.exec("INSERT INTO pickups(redemption, handout) VALUES (?, ?)", redemption[:], handout); err != nil {
		return fmt.Errorf("pickup of %s: %w", redemption, err)
	}
	return nil
}

// Pickups returns the pickup rows after seq after, in order, at most limit
// (hubsync.MaxPickups when limit ≤ 0 or above it), up to the first that
// names a redemption whose entry is past seq through: a push sends only
// rows of redemptions the hub holds, or will once the push's entries are
// stored (through: the last entry of the push, or what the hub holds when
// it carries none).
func (l *Ledger) Pickups(ctx context.Context, after, through uint64, limit int) ([]hubsync.Pickup, error) {
	if l.schema < pickupsSchema {
		return nil, nil
	}
	if limit <= 0 || limit > hubsync.MaxPickups {
		limit = hubsync.MaxPickups
	}
	rows, err := l.read().QueryContext(ctx, `SELECT p.seq, p.redemption, p.handout, r.seq, r.code,
		COALESCE(h.operator, ''), COALESCE(h.at, 0), COALESCE(h.trusted, 0), h.redemption IS NOT NULL
		FROM pickups p JOIN redemptions r ON r.id = p.redemption
		LEFT JOIN handouts h ON h.redemption = p.redemption AND p.handout
		WHERE p.seq > ? ORDER BY p.seq LIMIT ?`, int64(after), limit)
	if err != nil {
		return nil, fmt.Errorf("pickups after %d: %w", after, storageErr(err))
	}
	defer rows.Close()
	var out []hubsync.Pickup
	for rows.Next() {
		var p hubsync.Pickup
		var seq, entrySeq, at int64
		var id []byte
		var handout, trusted, handed bool
		var code, operator string
		if err := rows.Scan(&seq, &id, &handout, &entrySeq, &code, &operator, &at, &trusted, &handed); err != nil {
			return nil, fmt.Errorf("pickups after %d: %w", after, storageErr(err))
		}
		if uint64(entrySeq) > through {
			break
		}
		p.Seq = uint64(seq)
		copy(p.Redemption[:], id)
		switch {
		case !handout:
			p.Code = code
		case handed:
			p.Handout = &hubsync.Handout{Operator: record.CardUID(operator), At: time.Unix(0, at), Trusted: trusted}
		default:
			return nil, fmt.Errorf("pickup row %d: the hand-out of %s is not in handouts: %w", seq, p.Redemption, ErrCorrupt)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pickups after %d: %w", after, storageErr(err))
	}
	return out, nil
}

// ackPickups records that the hub took the pickup rows up to acked (from
// held, never backwards, never past the last row).
func (t *wtx) ackPickups(acked, held uint64) error {
	if acked <= held || t.l.schema < pickupsSchema {
		return nil
	}
	var last int64
	if err := t.queryRow("SELECT COALESCE(MAX(seq), 0) FROM pickups").Scan(&last); err != nil {
		return err
	}
	acked = min(acked, uint64(last))
	if acked <= held {
		return nil
	}
	return t.setMeta("pickups_acked", strconv.FormatUint(acked, 10))
}
