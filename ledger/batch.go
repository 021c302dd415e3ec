package ledger

import (
	"context"
	"fmt"

	"github.com/hongmajia/hongmajia/record"
)

// Operation names, stored with each request's result.
const (
	opEnrolPerson  = "enrol person"
	opBindCard     = "bind card"
	opSetCardState = "set card state"
	opReplaceCard  = "replace card"
	opPutActivity  = "put activity"
	opPutItem      = "put item"
	opAddStaff     = "add staff"
	opCheckIn      = "check in"
	opCheckOut     = "check out"
	opRedeem       = "redeem"
	opRestock      = "restock"
	opAdjust       = "adjust"
	opReverse      = "reverse"
)

// Batch runs many writes in one transaction: the demo generator and the
// benchmarks seed with it. Each write is the same as the Ledger method of the
// same name (same checks, same chained append, same idempotency) inside a
// savepoint: a refused write leaves nothing and the batch goes on. Nothing is
// durable until the batch commits; time is read from the clock per write.
type Batch struct {
	t *wtx
}

// Batch runs fn in one transaction and commits when fn returns nil; an
// error from fn rolls back everything it wrote.
func (l *Ledger) Batch(ctx context.Context, fn func(b *Batch) error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, err := l.begin(ctx)
	if err != nil {
		return fmt.Errorf("batch: %w", err)
	}
	t.batch = true
	if err := fn(&Batch{t: t}); err != nil {
		t.rollback()
		return fmt.Errorf("batch: %w", err)
	}
	if err := t.commit(); err != nil {
		return fmt.Errorf("batch: %w", err)
	}
	return nil
}

// EnrolPerson is Ledger.EnrolPerson inside the batch.
func (b *Batch) EnrolPerson(req EnrolPerson) (Person, error) {
	return run(b.t, opEnrolPerson, req.ID, func(t *wtx) (Person, error) { return t.enrolPerson(req) })
}

// BindCard is Ledger.BindCard inside the batch.
func (b *Batch) BindCard(req BindCard) (Card, error) {
	return run(b.t, opBindCard, req.ID, func(t *wtx) (Card, error) { return t.bindCard(req) })
}

// SetCardState is Ledger.SetCardState inside the batch.
func (b *Batch) SetCardState(req SetCardState) (Card, error) {
	return run(b.t, opSetCardState, req.ID, func(t *wtx) (Card, error) { return t.setCardState(req) })
}

// ReplaceCard is Ledger.ReplaceCard inside the batch.
func (b *Batch) ReplaceCard(req ReplaceCard) (record.Entry, error) {
	return run(b.t, opReplaceCard, req.ID, func(t *wtx) (record.Entry, error) { return t.replaceCard(req) })
}

// PutActivity is Ledger.PutActivity inside the batch.
func (b *Batch) PutActivity(req PutActivity) (Activity, error) {
	return run(b.t, opPutActivity, req.ID, func(t *wtx) (Activity, error) { return t.putActivityHere(req.Activity) })
}

// PutItem is Ledger.PutItem inside the batch.
func (b *Batch) PutItem(req PutItem) (Item, error) {
	return run(b.t, opPutItem, req.ID, func(t *wtx) (Item, error) { return t.putItemHere(req.Item) })
}

// AddStaff is Ledger.AddStaff inside the batch (the PIN hash is slow: a few
// staff cards, not thousands).
func (b *Batch) AddStaff(req AddStaff) (Staff, error) {
	h, err := staffHash(b.t.l, req)
	if err != nil {
		return Staff{}, err
	}
	return run(b.t, opAddStaff, req.ID, func(t *wtx) (Staff, error) { return t.addStaff(req, h) })
}

// CheckIn is Ledger.CheckIn inside the batch.
func (b *Batch) CheckIn(req CheckIn) (Shift, error) {
	return run(b.t, opCheckIn, req.ID, func(t *wtx) (Shift, error) { return t.checkIn(req) })
}

// CheckOut is Ledger.CheckOut inside the batch.
func (b *Batch) CheckOut(req CheckOut) (CheckOutResult, error) {
	return run(b.t, opCheckOut, req.ID, func(t *wtx) (CheckOutResult, error) { return t.checkOut(req) })
}

// Redeem is Ledger.Redeem inside the batch.
func (b *Batch) Redeem(req Redeem) (Redemption, error) {
	return run(b.t, opRedeem, req.ID, func(t *wtx) (Redemption, error) { return t.redeem(req) })
}

// Restock is Ledger.Restock inside the batch.
func (b *Batch) Restock(req Restock) (record.Entry, error) {
	return run(b.t, opRestock, req.ID, func(t *wtx) (record.Entry, error) { return t.restock(req) })
}

// Adjust is Ledger.Adjust inside the batch.
func (b *Batch) Adjust(req Adjust) (record.Entry, error) {
	return run(b.t, opAdjust, req.ID, func(t *wtx) (record.Entry, error) { return t.adjust(req) })
}

// Reverse is Ledger.Reverse inside the batch.
func (b *Batch) Reverse(req Reverse) (record.Entry, error) {
	return run(b.t, opReverse, req.ID, func(t *wtx) (record.Entry, error) { return t.reverse(req) })
}
