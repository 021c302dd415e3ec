package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

// The outbox holds the registry changes made at this kiosk, for the hub: a
// walk-in enrolled, a card bound, replaced, reported lost or revoked, a
// person renamed, the people and cards of an import. Each is a row of its
// own (the person or the card as it is after the change), written in the
// transaction that makes the change, append-only, numbered without a gap
// from where the hub's acknowledgement stands. Entries are not in it: they
// go to the hub as themselves.

// Outbox row kinds.
const (
	outboxPerson = "person"
	outboxCard   = "card"
)

// wirePerson is a person as the protocol carries it.
func wirePerson(p Person) hubsync.Person {
	return hubsync.Person{ID: p.ID, MemberNo: p.MemberNo, Name: p.Name, Provisional: p.Provisional,
		Phone: p.Phone, Community: p.Community, Kind: p.Kind}
}

// wireCardState is a card state's name in the protocol.
func wireCardState(s CardState) string {
	switch s {
	case CardActive:
		return hubsync.CardActive
	case CardLost:
		return hubsync.CardLost
	}
	return hubsync.CardRevoked
}

// cardStateOf reads a card state's name in the protocol.
func cardStateOf(s string) (CardState, error) {
	switch s {
	case hubsync.CardActive:
		return CardActive, nil
	case hubsync.CardLost:
		return CardLost, nil
	case hubsync.CardRevoked:
		return CardRevoked, nil
	}
	return 0, fmt.Errorf("card state %q: %w", s, ErrInvalid)
}

// outboxPerson records a person as it is after a change made here.
func (t *wtx) outboxPerson(p Person) error {
	return t.outbox(outboxPerson, wirePerson(p), "")
}

// outboxCard records a card as it is after a change made here.
func (t *wtx) outboxCard(c Card, operator record.CardUID) error {
	return t.outbox(outboxCard, hubsync.Card{UID: c.UID, Person: c.Person, State: wireCardState(c.State)}, operator)
}

// sqlOutbox numbers the row after the last one, or after what the hub
// acknowledged when that is further (a ledger restored from the hub starts
// its outbox there).
const sqlOutbox = `INSERT INTO outbox(seq, kind, row, at, operator) VALUES (
	MAX(COALESCE((SELECT MAX(seq) FROM outbox), 0),
		COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'changes_acked'), 0)) + 1, ?, ?, ?, ?)`

func (t *wtx) outbox(kind string, row any, operator record.CardUID) error {
	b, err := json.Marshal(row)
	if err != nil {
		return fmt.Errorf("outbox %s: %w", kind, err)
	}
	if _, err := t.exec(sqlOutbox, kind, string(b), t.now.UnixNano(), string(operator)); err != nil {
		return fmt.Errorf("outbox %s: %w", kind, err)
	}
	return nil
}

// Changes returns up to limit registry changes made here after the outbox
// sequence after, in order: what a push sends (after: the hub's
// ChangesAcked). limit ≤ 0 or above hubsync.MaxChanges is MaxChanges.
func (l *Ledger) Changes(ctx context.Context, after uint64, limit int) ([]hubsync.Change, error) {
	if l.schema < syncSchema {
		return nil, nil
	}
	if limit <= 0 || limit > hubsync.MaxChanges {
		limit = hubsync.MaxChanges
	}
	rows, err := l.read().QueryContext(ctx, "SELECT seq, kind, row, at, operator FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?", int64(after), limit)
	if err != nil {
		return nil, fmt.Errorf("changes after %d: %w", after, storageErr(err))
	}
	defer rows.Close()
	var out []hubsync.Change
	for rows.Next() {
		var c hubsync.Change
		var seq, at int64
		var kind, row, operator string
		if err := rows.Scan(&seq, &kind, &row, &at, &operator); err != nil {
			return nil, fmt.Errorf("changes after %d: %w", after, storageErr(err))
		}
		c.Seq, c.At, c.Operator = uint64(seq), time.Unix(0, at), record.CardUID(operator)
		switch kind {
		case outboxPerson:
			c.Person = new(hubsync.Person)
			err = json.Unmarshal([]byte(row), c.Person)
		case outboxCard:
			c.Card = new(hubsync.Card)
			err = json.Unmarshal([]byte(row), c.Card)
		default:
			err = fmt.Errorf("kind %q", kind)
		}
		if err != nil {
			return nil, fmt.Errorf("outbox row %d: %v: %w", seq, err, ErrCorrupt)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("changes after %d: %w", after, storageErr(err))
	}
	return out, nil
}
