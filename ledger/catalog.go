package ledger

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/record"
)

// Period is the span a per-person limit counts over.
type Period uint8

// Periods. Stored as numbers: never renumber.
const (
	NoLimit Period = 0
	Daily   Period = 1
	Weekly  Period = 2 // weeks start on Monday
	Monthly Period = 3
	Yearly  Period = 4
)

func (p Period) String() string {
	switch p {
	case NoLimit:
		return "none"
	case Daily:
		return "day"
	case Weekly:
		return "week"
	case Monthly:
		return "month"
	case Yearly:
		return "year"
	}
	return fmt.Sprintf("Period(%d)", uint8(p))
}

// start returns the beginning of the period holding t, in loc.
func (p Period) start(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	switch p {
	case Weekly:
		return day.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
	case Monthly:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
	case Yearly:
		return time.Date(t.Year(), 1, 1, 0, 0, 0, 0, loc)
	}
	return day
}

// Item is something points can be exchanged for (大米, 食用油, 理发服务).
type Item struct {
	ID     record.ItemID
	Name   string
	Price  int64 // points per unit
	Limit  int64 // units per person per LimitPeriod; 0: no limit
	Period Period
	Active bool
}

// PutItem adds or replaces a catalog item.
type PutItem struct {
	ID   record.EntryID
	Item Item // ID 0: a new random id
}

// PutItem stores a catalog item. Stock is separate: see Restock.
func (l *Ledger) PutItem(ctx context.Context, req PutItem) (Item, error) {
	return do(l, ctx, opPutItem, req.ID, func(t *wtx) (Item, error) { return t.putItemHere(req.Item) })
}

// putItemHere stores an item made or changed here and records it for the
// hub (putItem alone is also a pull's, which must not go back).
func (t *wtx) putItemHere(it Item) (Item, error) {
	it, err := t.putItem(it)
	if err != nil {
		return it, err
	}
	return it, t.outboxItem(it)
}

func (t *wtx) putItem(it Item) (Item, error) {
	if strings.TrimSpace(it.Name) == "" || it.Price <= 0 || it.Limit < 0 || it.Period > Yearly || (it.Limit > 0 && it.Period == NoLimit) {
		return it, fmt.Errorf("put item %q: name, positive price and a period for a limit are required: %w", it.Name, ErrInvalid)
	}
	if it.ID == 0 {
		it.ID = record.ItemID(randomID())
	}
	_, err := t.exec(`INSERT INTO items(id, name, price, limit_count, limit_period, active) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET name = excluded.name, price = excluded.price, limit_count = excluded.limit_count,
		limit_period = excluded.limit_period, active = excluded.active`,
		int64(it.ID), it.Name, it.Price, it.Limit, int(it.Period), it.Active)
	return it, err
}

func readItem(ctx context.Context, q querier, id record.ItemID) (Item, error) {
	var it Item
	var period int
	err := q.QueryRowContext(ctx, "SELECT id, name, price, limit_count, limit_period, active FROM items WHERE id = ?", int64(id)).
		Scan((*int64)(&it.ID), &it.Name, &it.Price, &it.Limit, &period, &it.Active)
	it.Period = Period(period)
	if errors.Is(err, sql.ErrNoRows) {
		return it, fmt.Errorf("item %d: %w", id, ErrNotFound)
	}
	return it, storageErr(err)
}

func readStock(ctx context.Context, q querier, center string, item record.ItemID) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, "SELECT qty FROM stock WHERE center = ? AND item = ?", center, int64(item)).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, storageErr(err)
}

// Restock adds stock of an item at this center (补货).
type Restock struct {
	ID       record.EntryID
	Item     record.ItemID
	Quantity int64 // > 0
	Operator record.CardUID
}

// Restock writes a KindRestock entry carrying the stock delta.
func (l *Ledger) Restock(ctx context.Context, req Restock) (record.Entry, error) {
	return do(l, ctx, opRestock, req.ID, func(t *wtx) (record.Entry, error) { return t.restock(req) })
}

func (t *wtx) restock(req Restock) (record.Entry, error) {
	if req.Quantity <= 0 {
		return record.Entry{}, fmt.Errorf("restock: quantity %d: %w", req.Quantity, ErrInvalid)
	}
	if err := t.staffOperator(req.Operator); err != nil {
		return record.Entry{}, err
	}
	if _, err := readItem(t.ctx, t.q, req.Item); err != nil {
		return record.Entry{}, err
	}
	e := record.Entry{ID: req.ID, Kind: record.KindRestock, Item: req.Item, Stock: req.Quantity, Operator: req.Operator}
	return e, t.append(&e)
}

// PickupCode is the short code a resident shows to collect a redeemed item
// (取货码): four digits, unique at the center for the day.
type PickupCode string

// Redeem exchanges points for an item (积分兑换).
type Redeem struct {
	ID       record.EntryID
	Card     record.CardUID
	Item     record.ItemID
	Quantity int64 // 0 means 1
}

// Redemption is a completed exchange.
type Redemption struct {
	Entry    record.Entry
	Code     PickupCode
	Item     Item
	Quantity int64
	Points   int64 // spent
	Balance  Balance
}

// Redeem takes points and stock in one transaction and returns a pickup
// code. Refusals, in the order checked: ErrNotFound (item), ErrOutOfStock,
// ErrSyncTooOld, ErrInsufficientPoints, ErrPeriodLimit, ErrOfflineCap.
func (l *Ledger) Redeem(ctx context.Context, req Redeem) (Redemption, error) {
	return do(l, ctx, opRedeem, req.ID, func(t *wtx) (Redemption, error) { return t.redeem(req) })
}

func (t *wtx) redeem(req Redeem) (Redemption, error) {
	if req.Quantity == 0 {
		req.Quantity = 1
	}
	if req.Quantity < 0 {
		return Redemption{}, fmt.Errorf("redeem: quantity %d: %w", req.Quantity, ErrInvalid)
	}
	c, err := t.activeCard(req.Card)
	if err != nil {
		return Redemption{}, err
	}
	bal, err := readBalance(t.ctx, t.q, c.Person)
	if err != nil {
		return Redemption{}, err
	}
	chk := redeemCheck{ctx: t.ctx, q: t.q, l: t.l, now: t.now}
	it, err := readItem(t.ctx, t.q, req.Item)
	if err != nil {
		return Redemption{}, err
	}
	if err := chk.check(c, it, req.Quantity, bal); err != nil {
		return Redemption{}, err
	}
	cost := it.Price * req.Quantity
	e := record.Entry{ID: req.ID, Kind: record.KindRedeem, Person: c.Person, Card: c.UID, Item: it.ID, Points: -cost, Stock: -req.Quantity}
	if err := t.append(&e); err != nil {
		return Redemption{}, err
	}
	code, err := t.pickupCode()
	if err != nil {
		return Redemption{}, err
	}
	day := t.now.In(t.l.opts.Location).Format(time.DateOnly)
	if _, err := t.exec(`INSERT INTO redemptions(id, person, card, item, center, qty, points, code, day, at, seq)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, req.ID[:], int64(c.Person), string(c.UID), int64(it.ID), t.l.term.Center,
		req.Quantity, cost, string(code), day, t.now.UnixNano(), int64(e.Seq)); err != nil {
		return Redemption{}, err
	}
	if err := t.pickup(req.ID, false); err != nil {
		return Redemption{}, err
	}
	bal.Points -= cost
	return Redemption{Entry: e, Code: code, Item: it, Quantity: req.Quantity, Points: cost, Balance: bal}, nil
}

// pickupRand is where pickup codes' digits come from; a test replaces it to
// force a collision.
var pickupRand io.Reader = rand.Reader

// pickupCode draws four random digits not yet given out at this center today.
func (t *wtx) pickupCode() (PickupCode, error) {
	day := t.now.In(t.l.opts.Location).Format(time.DateOnly)
	for range 50 {
		n, err := rand.Int(pickupRand, big.NewInt(10000))
		if err != nil {
			return "", err
		}
		code := PickupCode(fmt.Sprintf("%04d", n.Int64()))
		var taken int
		if err := t.queryRow("SELECT count(*) FROM redemptions WHERE center = ? AND day = ? AND code = ?", t.l.term.Center, day, string(code)).Scan(&taken); err != nil {
			return "", err
		}
		if taken == 0 {
			return code, nil
		}
	}
	return "", fmt.Errorf("pickup code: no free code today at %s: %w", t.l.term.Center, ErrBusy)
}

// redeemCheck applies a redemption's refusals; the catalog view uses it too,
// so what the screen offers is what Redeem accepts.
type redeemCheck struct {
	ctx context.Context
	q   querier
	l   *Ledger
	now time.Time
	// loaded once per check
	policy *record.Policy
	sync   *SyncState
}

func (c *redeemCheck) check(card Card, it Item, qty int64, bal Balance) error {
	if !it.Active {
		return fmt.Errorf("item %q inactive: %w", it.Name, ErrNotFound)
	}
	stock, err := readStock(c.ctx, c.q, c.l.term.Center, it.ID)
	if err != nil {
		return err
	}
	if stock < qty {
		return fmt.Errorf("item %q: %d in stock: %w", it.Name, stock, ErrOutOfStock)
	}
	if c.policy == nil {
		p, err := readPolicy(c.ctx, c.q)
		if err != nil {
			return err
		}
		s, err := readSyncState(c.ctx, c.q, c.l, false)
		if err != nil {
			return err
		}
		c.policy, c.sync = &p, &s
	}
	if c.policy.SyncTooOld(c.sync.Enrolled, c.sync.LastSync, c.now) {
		return fmt.Errorf("last sync %s: %w", c.sync.LastSync.Format(time.DateTime), ErrSyncTooOld)
	}
	cost := it.Price * qty
	if bal.Points < cost {
		return &InsufficientPointsError{Item: it.Name, Cost: cost, Balance: bal.Points}
	}
	if it.Limit > 0 {
		var n int64
		err := c.q.QueryRowContext(c.ctx, `SELECT COALESCE(SUM(qty), 0) FROM redemptions WHERE person IN `+c.l.personSet()+` AND item = ?2 AND at >= ?3 AND reversed = 0`,
			int64(card.Person), int64(it.ID), it.Period.start(c.now, c.l.opts.Location).UnixNano()).Scan(&n)
		if err != nil {
			return storageErr(err)
		}
		if n+qty > it.Limit {
			return &PeriodLimitError{Item: it.Name, Period: it.Period, Limit: it.Limit, Taken: n}
		}
	}
	if c.policy.OfflineCapPoints > 0 {
		var spent int64
		err := c.q.QueryRowContext(c.ctx, `SELECT COALESCE(SUM(points), 0) FROM redemptions WHERE card = ? AND seq > ? AND reversed = 0`,
			string(card.UID), int64(c.sync.AckedSeq)).Scan(&spent)
		if err != nil {
			return storageErr(err)
		}
		if c.policy.OverOfflineCap(spent, cost) {
			return fmt.Errorf("card %s: %d of %d points since last sync: %w", card.UID, spent, c.policy.OfflineCapPoints, ErrOfflineCap)
		}
	}
	return nil
}

// Offer is a catalog item as one person sees it: Refusal is nil when they
// can redeem one now, else why not (ErrInsufficientPoints, ErrOutOfStock,
// ErrPeriodLimit, ErrOfflineCap, ErrSyncTooOld).
type Offer struct {
	Item    Item
	Stock   int64
	Refusal error
}

// CanRedeem reports whether Refusal is nil.
func (o Offer) CanRedeem() bool { return o.Refusal == nil }

// Catalog returns the active items with this center's stock, by price then name.
func (l *Ledger) Catalog(ctx context.Context) ([]Offer, error) {
	rows, err := l.read().QueryContext(ctx, `SELECT i.id, i.name, i.price, i.limit_count, i.limit_period, i.active, COALESCE(s.qty, 0)
		FROM items i LEFT JOIN stock s ON s.item = i.id AND s.center = ? WHERE i.active ORDER BY i.price, i.name`, l.term.Center)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", storageErr(err))
	}
	defer rows.Close()
	var out []Offer
	for rows.Next() {
		var o Offer
		var period int
		if err := rows.Scan((*int64)(&o.Item.ID), &o.Item.Name, &o.Item.Price, &o.Item.Limit, &period, &o.Item.Active, &o.Stock); err != nil {
			return nil, fmt.Errorf("catalog: %w", storageErr(err))
		}
		o.Item.Period = Period(period)
		out = append(out, o)
	}
	return out, storageErr(rows.Err())
}

// CatalogFor returns the catalog as the card's holder sees it: each offer
// says whether they can redeem it and, if not, why.
func (l *Ledger) CatalogFor(ctx context.Context, card record.CardUID) ([]Offer, error) {
	tx, err := l.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", storageErr(err))
	}
	defer tx.Rollback()
	q := l.readTx(tx)
	c, err := readCard(ctx, q, card)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	if err := c.State.err(); err != nil {
		return nil, fmt.Errorf("catalog: card %s: %w", card, err)
	}
	bal, err := readBalance(ctx, q, c.Person)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	offers, err := l.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	chk := redeemCheck{ctx: ctx, q: q, l: l, now: l.opts.Clock.Now()}
	for i := range offers {
		err := chk.check(c, offers[i].Item, 1, bal)
		if err != nil && !isRefusal(err) {
			return nil, fmt.Errorf("catalog: %w", err)
		}
		offers[i].Refusal = err
	}
	return offers, nil
}

func isRefusal(err error) bool {
	for _, r := range []error{ErrInsufficientPoints, ErrOutOfStock, ErrPeriodLimit, ErrOfflineCap, ErrSyncTooOld, ErrNotFound} {
		if errors.Is(err, r) {
			return true
		}
	}
	return false
}

// Redemptions returns a day's redemptions at this center ("2006-01-02"),
// for staff handing out goods against pickup codes.
func (l *Ledger) Redemptions(ctx context.Context, day string) ([]RedemptionRecord, error) {
	recs, err := l.redemptions(ctx, "WHERE r.center = ? AND r.day = ? ORDER BY r.at, r.seq, r.id", l.term.Center, day)
	if err != nil {
		return nil, fmt.Errorf("list redemptions: %w", err)
	}
	return recs, nil
}

// redemptions reads redemption records; where filters and orders them.
func (l *Ledger) redemptions(ctx context.Context, where string, args ...any) ([]RedemptionRecord, error) {
	rows, err := l.read().QueryContext(ctx, `SELECT r.id, r.person, p.name, p.provisional, r.item, i.name, r.qty, r.points, r.code, r.at, r.reversed,
		COALESCE(h.at, 0), COALESCE(h.operator, ''), COALESCE(s.name, ''), p.member_no
		FROM redemptions r JOIN people p ON p.id = r.person JOIN items i ON i.id = r.item
		LEFT JOIN handouts h ON h.redemption = r.id LEFT JOIN staff s ON s.uid = h.operator `+where, args...)
	if err != nil {
		return nil, storageErr(err)
	}
	defer rows.Close()
	var out []RedemptionRecord
	for rows.Next() {
		var r RedemptionRecord
		var id []byte
		var at, handed int64
		if err := rows.Scan(&id, (*int64)(&r.Person), &r.PersonName, &r.PersonProvisional, (*int64)(&r.Item), &r.ItemName, &r.Quantity, &r.Points,
			(*string)(&r.Code), &at, &r.Reversed, &handed, (*string)(&r.HandedOut.Operator), &r.HandedOut.By, &r.PersonMemberNo); err != nil {
			return nil, storageErr(err)
		}
		copy(r.Entry[:], id)
		r.At = time.Unix(0, at)
		if handed != 0 {
			r.HandedOut.Redemption, r.HandedOut.At = r.Entry, time.Unix(0, handed)
		}
		out = append(out, r)
	}
	return out, storageErr(rows.Err())
}

// RedemptionRecord is one line of a day's redemptions.
type RedemptionRecord struct {
	Entry      record.EntryID
	Person     record.PersonID
	PersonName string
	// PersonProvisional: the person is a walk-in with no name yet.
	PersonProvisional bool
	Item              record.ItemID
	ItemName          string
	Quantity          int64
	Points            int64
	Code              PickupCode
	At                time.Time
	Reversed          bool
	// HandedOut is when and by whom its goods were handed out; zero At
	// while they were not.
	HandedOut Handout
	// PersonMemberNo is the person's member number: a walk-in, who has no
	// name yet, is known by its digits.
	PersonMemberNo string
}
