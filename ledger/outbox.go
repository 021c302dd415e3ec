package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

// The outbox holds the registry changes made at this kiosk, for the hub: a
// walk-in enrolled, a card bound, replaced, reported lost or revoked, a
// person renamed, the people and cards of an import; an activity of this
// center put or imported, or made the station's; a catalog item put or
// imported; a staff card added, disabled or enabled. Each is a row of its
// own (the person, card, activity, item or staff card as it is after the
// change), written in the transaction that makes the change, append-only,
// numbered without a gap from where the hub's acknowledgement stands. What
// a pull brings is not in it: it came from the hub. Entries are not in it
// either: they go to the hub as themselves.

// Outbox row kinds.
const (
	outboxPerson   = "person"
	outboxCard     = "card"
	outboxActivity = "activity"
	outboxItem     = "item"
	outboxStaff    = "staff"
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

// outboxActivity records one of this center's activities as it is now,
// with whether it is the station's. Another center's activity (PutActivity
// allows one) is not the hub's to learn from here.
func (t *wtx) outboxActivity(id record.ActivityID) error {
	a, err := readActivity(t.ctx, t.q, id)
	if err != nil {
		return err
	}
	if a.Center != t.l.term.Center {
		return nil
	}
	station, err := t.stationActivityID()
	if err != nil {
		return err
	}
	return t.outbox(outboxActivity, hubsync.Activity{ID: a.ID, Center: a.Center, Name: a.Name, Schedule: a.Schedule, Rules: a.Rules,
		Active: a.Active, Station: station == a.ID}, "")
}

// stationActivityID is the station activity's id in meta; 0 when none.
func (t *wtx) stationActivityID() (record.ActivityID, error) {
	var v string
	err := t.queryRow("SELECT value FROM meta WHERE key = 'station_activity'").Scan(&v)
	if isNoRows(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("station activity %q: %w", v, ErrCorrupt)
	}
	return record.ActivityID(n), nil
}

// setStation makes id the station activity and records the change: the
// activity that was the station's, and id.
func (t *wtx) setStation(id record.ActivityID) error {
	old, err := t.stationActivityID()
	if err != nil {
		return err
	}
	if err := t.setMeta("station_activity", strconv.FormatInt(int64(id), 10)); err != nil {
		return err
	}
	if old != 0 && old != id {
		if err := t.outboxActivity(old); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return t.outboxActivity(id)
}

// wirePeriod is a limit period's name in the protocol.
func wirePeriod(p Period) string {
	switch p {
	case Daily:
		return hubsync.PeriodDay
	case Weekly:
		return hubsync.PeriodWeek
	case Monthly:
		return hubsync.PeriodMonth
	case Yearly:
		return hubsync.PeriodYear
	}
	return hubsync.PeriodNone
}

// outboxItem records a catalog item as it is after a change made here.
func (t *wtx) outboxItem(it Item) error {
	return t.outbox(outboxItem, hubsync.Item{ID: it.ID, Name: it.Name, Price: it.Price, LimitCount: it.Limit,
		LimitPeriod: wirePeriod(it.Period), Active: it.Active}, "")
}

// wireRole is a role's name in the protocol.
func wireRole(r Role) string {
	if r == RoleTechnician {
		return hubsync.RoleTechnician
	}
	return hubsync.RoleStaff
}

// outboxStaff records a staff card as it is now, its PIN's hash in PHC
// form (the stored form with its leading $), so the hub can give the card
// to the center's other kiosks and back to this one restored.
func (t *wtx) outboxStaff(uid record.CardUID) error {
	var s hubsync.Staff
	var role Role
	var pin string
	err := t.queryRow("SELECT uid, name, role, pin, active FROM staff WHERE uid = ?", string(uid)).
		Scan((*string)(&s.UID), &s.Name, (*uint8)(&role), &pin, &s.Active)
	if isNoRows(err) {
		return fmt.Errorf("staff card %s: %w", uid, ErrNotStaff)
	}
	if err != nil {
		return err
	}
	s.Role, s.PINHash = wireRole(role), "$"+pin
	return t.outbox(outboxStaff, s, "")
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
		case outboxActivity:
			c.Activity = new(hubsync.Activity)
			err = json.Unmarshal([]byte(row), c.Activity)
		case outboxItem:
			c.Item = new(hubsync.Item)
			err = json.Unmarshal([]byte(row), c.Item)
		case outboxStaff:
			c.Staff = new(hubsync.Staff)
			err = json.Unmarshal([]byte(row), c.Staff)
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
