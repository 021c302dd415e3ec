// Package hubtest is for the hub's tests: a kiosk as the hub sees it (a
// terminal id, an ed25519 key, a chain of real record entries made with the
// record's encoder, an outbox, a request counter) that makes the protocol's
// messages and sends them signed over HTTP. It never links the ledger: the
// hub's tests make entries exactly as the record encodes them.
package hubtest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

// Start is when the tests' clocks start: Monday 2 March 2026, 09:00 in
// China Standard Time.
var Start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// Kiosk is a terminal's side of the protocol, without a ledger.
type Kiosk struct {
	Terminal string
	Center   string // the center its entries name
	Key      ed25519.PrivateKey
	// Trusted is what its clock says of itself: on its entries and its
	// requests.
	Trusted bool
	// Clock reads the kiosk's own clock (it may be far from the hub's).
	Clock func() time.Time

	mu           sync.Mutex
	entries      []record.Entry
	raw          [][]byte
	acked        record.Head
	changes      []hubsync.Change
	changesAcked uint64
	counter      uint64
	pickups      []hubsync.Pickup
	pickupsAcked uint64
}

// NewKiosk is a kiosk of terminal at center with a new key and a trusted
// clock reading now.
func NewKiosk(terminal, center string, now func() time.Time) *Kiosk {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return &Kiosk{Terminal: terminal, Center: center, Key: key, Trusted: true, Clock: now}
}

// PublicKey is the kiosk's public key.
func (k *Kiosk) PublicKey() ed25519.PublicKey { return k.Key.Public().(ed25519.PublicKey) }

// Append chains e as the kiosk's next entry: its terminal, seq, center,
// prev and hash (and a new id, a time and the clock's trust when not set).
func (k *Kiosk) Append(e record.Entry) record.Entry {
	k.mu.Lock()
	defer k.mu.Unlock()
	e.Terminal, e.Seq = k.Terminal, uint64(len(k.entries))+1
	if e.Center == "" {
		e.Center = k.Center
	}
	if e.ID.IsZero() {
		e.ID = record.NewEntryID()
	}
	if e.At.IsZero() {
		e.At = k.Clock()
	}
	e.At = e.At.UTC()
	e.Trusted = k.Trusted
	if e.Boot == "" {
		e.Boot = "boot-" + k.Terminal
	}
	if n := len(k.entries); n > 0 {
		e.Prev = k.entries[n-1].Hash
	}
	b, err := e.Encode()
	if err != nil {
		panic(err)
	}
	if e.Hash, err = e.ComputeHash(); err != nil {
		panic(err)
	}
	k.entries = append(k.entries, e)
	k.raw = append(k.raw, b)
	return e
}

// CheckIn opens a shift; the shift is the entry's id.
func (k *Kiosk) CheckIn(person record.PersonID, card record.CardUID, activity record.ActivityID) record.Entry {
	id := record.NewEntryID()
	return k.Append(record.Entry{ID: id, Kind: record.KindCheckIn, Person: person, Card: card, Activity: activity, Shift: id})
}

// CheckOut closes shift crediting minutes and points.
func (k *Kiosk) CheckOut(shift record.Entry, minutes, points int64) record.Entry {
	return k.Append(record.Entry{Kind: record.KindCheckOut, Person: shift.Person, Card: shift.Card, Activity: shift.Activity,
		Shift: shift.ID, Minutes: minutes, Points: points})
}

// Earn is a shift of minutes credited points, checked in and out now.
func (k *Kiosk) Earn(person record.PersonID, card record.CardUID, activity record.ActivityID, minutes, points int64) record.Entry {
	return k.CheckOut(k.CheckIn(person, card, activity), minutes, points)
}

// Redeem spends points on qty of item.
func (k *Kiosk) Redeem(person record.PersonID, card record.CardUID, item record.ItemID, qty, points int64) record.Entry {
	return k.Append(record.Entry{Kind: record.KindRedeem, Person: person, Card: card, Item: item, Stock: -qty, Points: -points})
}

// RedeemWithCode is Redeem giving the redemption a pickup code, which goes
// to the hub as a pickup row (a kiosk older than pickups gives none: Redeem).
func (k *Kiosk) RedeemWithCode(person record.PersonID, card record.CardUID, item record.ItemID, qty, points int64, code string) record.Entry {
	e := k.Redeem(person, card, item, qty, points)
	k.QueuePickup(hubsync.Pickup{Redemption: e.ID, Code: code})
	return e
}

// HandOut records that redemption's goods were handed out by the staff
// card operator now (the kiosk's clock, and its trust).
func (k *Kiosk) HandOut(redemption record.EntryID, operator record.CardUID) hubsync.Pickup {
	return k.QueuePickup(hubsync.Pickup{Redemption: redemption, Handout: &hubsync.Handout{Operator: operator, At: k.Clock(), Trusted: k.Trusted}})
}

// QueuePickup queues any pickup row, numbered as the kiosk does.
func (k *Kiosk) QueuePickup(p hubsync.Pickup) hubsync.Pickup {
	k.mu.Lock()
	defer k.mu.Unlock()
	p.Seq = uint64(len(k.pickups)) + 1
	k.pickups = append(k.pickups, p)
	return p
}

// Restock adds qty of item at the kiosk's center.
func (k *Kiosk) Restock(item record.ItemID, qty int64) record.Entry {
	return k.Append(record.Entry{Kind: record.KindRestock, Item: item, Stock: qty})
}

// Head is the kiosk's chain head.
func (k *Kiosk) Head() record.Head {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.headLocked()
}

func (k *Kiosk) headLocked() record.Head {
	if n := len(k.entries); n > 0 {
		return record.Head{Seq: k.entries[n-1].Seq, Hash: k.entries[n-1].Hash}
	}
	return record.Head{}
}

// Entries are the kiosk's entries.
func (k *Kiosk) Entries() []record.Entry {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]record.Entry(nil), k.entries...)
}

// Raw is the canonical encoding of entry seq.
func (k *Kiosk) Raw(seq uint64) []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.raw[seq-1]
}

// Acked is what the kiosk holds the hub acknowledged.
func (k *Kiosk) Acked() record.Head {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.acked
}

// Truncate drops the entries after seq, as a ledger rolled back (its WAL
// deleted) would: the next Append reuses seq+1.
func (k *Kiosk) Truncate(seq uint64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.entries, k.raw = k.entries[:seq], k.raw[:seq]
	if k.acked.Seq > seq {
		k.acked = k.headLocked()
	}
}

// AddChange queues a registry change (a person, a card) in the outbox.
func (k *Kiosk) AddChange(p *hubsync.Person, c *hubsync.Card) hubsync.Change {
	return k.Queue(hubsync.Change{Person: p, Card: c})
}

// Queue queues any registry change (an activity, an item, a staff card…)
// in the outbox, numbered and timed as the kiosk does.
func (k *Kiosk) Queue(ch hubsync.Change) hubsync.Change {
	k.mu.Lock()
	defer k.mu.Unlock()
	ch.Seq, ch.At = uint64(len(k.changes))+1, k.Clock()
	k.changes = append(k.changes, ch)
	return ch
}

// Push is the kiosk's next push: the outbox after what the hub applied,
// the entries after what it acknowledged (at most hubsync.MaxBatch), and
// the pickup rows after what it took, up to the first of a redemption past
// the push's last entry (as a ledger sends them).
func (k *Kiosk) Push() hubsync.Push {
	k.mu.Lock()
	defer k.mu.Unlock()
	p := hubsync.Push{Terminal: k.Terminal, Version: "test", Acked: k.acked, ChangesAcked: k.changesAcked, Head: k.headLocked(),
		PickupsAcked: k.pickupsAcked}
	for _, c := range k.changes {
		if c.Seq > k.changesAcked && len(p.Changes) < hubsync.MaxChanges {
			p.Changes = append(p.Changes, c)
		}
	}
	for i := k.acked.Seq; i < uint64(len(k.raw)) && len(p.Entries) < hubsync.MaxBatch; i++ {
		p.Entries = append(p.Entries, k.raw[i])
	}
	through := k.acked.Seq + uint64(len(p.Entries))
	seqOf := map[record.EntryID]uint64{}
	for _, e := range k.entries {
		seqOf[e.ID] = e.Seq
	}
	for _, pk := range k.pickups {
		if pk.Seq <= k.pickupsAcked {
			continue
		}
		if seqOf[pk.Redemption] > through || len(p.Pickups) == hubsync.MaxPickups {
			break
		}
		p.Pickups = append(p.Pickups, pk)
	}
	return p
}

// Record keeps what a push's answer acknowledged.
func (k *Kiosk) Record(r hubsync.PushResult) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if r.Refused == "" {
		k.acked, k.changesAcked = r.Acked, r.ChangesAcked
		k.pickupsAcked = max(k.pickupsAcked, r.PickupsAcked)
	}
}

// Meta is the next request's headers: a new counter and nonce, the
// kiosk's clock.
func (k *Kiosk) Meta() hubsync.Meta {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.counter++
	return hubsync.Meta{Terminal: k.Terminal, Time: k.Clock(), Trusted: k.Trusted, Nonce: hubsync.NewNonce(), Counter: k.counter}
}

// Enroll is the kiosk's enrollment with token.
func (k *Kiosk) Enroll(token string) hubsync.Enroll {
	return hubsync.Enroll{Token: token, Terminal: k.Terminal, Center: k.Center, CenterName: k.Center,
		PublicKey: k.PublicKey(), Head: k.Head(), Version: "test"}
}

// Answer is what the hub answered a request.
type Answer struct {
	Status int
	Body   []byte
	Sig    string
	Meta   hubsync.Meta // the request's
}

// Send posts req to base+path signed with the kiosk's key (meta: the next
// Meta when zero) and returns the answer as it came.
func (k *Kiosk) Send(ctx context.Context, client *http.Client, base, path string, req any, meta hubsync.Meta) (Answer, error) {
	body, err := hubsync.EncodeBody(req)
	if err != nil {
		return Answer{}, err
	}
	return k.SendRaw(ctx, client, base, path, body, meta)
}

// SendRaw posts body as it is, signed.
func (k *Kiosk) SendRaw(ctx context.Context, client *http.Client, base, path string, body []byte, meta hubsync.Meta) (Answer, error) {
	if meta.Terminal == "" {
		meta = k.Meta()
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, bytes.NewReader(body))
	if err != nil {
		return Answer{}, err
	}
	r.Header.Set("Content-Type", hubsync.ContentType)
	// Asked for explicitly, so the transport hands the gzip'd body over as
	// it came: the hub's signature is over those bytes.
	r.Header.Set("Accept-Encoding", "gzip")
	hubsync.SignRequest(k.Key, r, body, meta)
	resp, err := client.Do(r)
	if err != nil {
		return Answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, hubsync.MaxBody+1))
	if err != nil {
		return Answer{}, err
	}
	return Answer{Status: resp.StatusCode, Body: b, Sig: resp.Header.Get(hubsync.HeaderSignature), Meta: meta}, nil
}

// Decode checks the answer's signature with hubKey and decodes it into v
// (a hubsync.Problem when the status is not 200).
func (a Answer) Decode(hubKey ed25519.PublicKey, v any) error {
	if err := hubsync.VerifyAnswer(hubKey, a.Status, a.Body, a.Meta, a.Sig); err != nil {
		return err
	}
	if a.Status != http.StatusOK {
		var p hubsync.Problem
		if err := hubsync.DecodeBody(a.Body, &p); err != nil {
			return fmt.Errorf("status %d: %w", a.Status, err)
		}
		return fmt.Errorf("status %d: %s", a.Status, p.Error)
	}
	return hubsync.DecodeBody(a.Body, v)
}
