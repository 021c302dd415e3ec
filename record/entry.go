package record

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// EntryID is a random 128-bit id. Every write request carries one so that a
// retried request (a tap the screen never confirmed, a replayed sync) is
// written once: the same id again returns the first result and writes nothing.
// An entry's own id is its request's id (derived ids for requests that write
// several entries, see DeriveID).
type EntryID [16]byte

// NewEntryID returns a random id from crypto/rand.
func NewEntryID() EntryID {
	var id EntryID
	if _, err := rand.Read(id[:]); err != nil {
		panic("record: crypto/rand: " + err.Error()) // rand.Read never fails on Linux ≥ 3.17
	}
	return id
}

// DeriveID gives the i-th entry id of a request that writes several entries
// (an end-of-day sweep, an expiry run): stable across retries, distinct per i.
// It is the first 16 bytes of SHA-256(req ‖ uint64 big-endian i); the ids are
// in entries already written, so this never changes.
func DeriveID(req EntryID, i int) EntryID {
	var b [16 + 8]byte
	copy(b[:], req[:])
	binary.BigEndian.PutUint64(b[16:], uint64(i))
	sum := sha256.Sum256(b[:])
	var id EntryID
	copy(id[:], sum[:16])
	return id
}

// IsZero reports whether id was never set.
func (id EntryID) IsZero() bool { return id == EntryID{} }

func (id EntryID) String() string { return hex.EncodeToString(id[:]) }

// MarshalText writes the id as 32 hex digits.
func (id EntryID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText reads 32 hex digits.
func (id *EntryID) UnmarshalText(b []byte) error {
	parsed, err := ParseEntryID(string(b))
	if err != nil {
		return err
	}
	*id = parsed
	return nil
}

// ParseEntryID reads the 32 hex digits String writes, in either case.
func ParseEntryID(s string) (EntryID, error) {
	var id EntryID
	if len(s) != 2*len(id) {
		return id, fmt.Errorf("parse entry id %q: %w", s, ErrInvalid)
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return EntryID{}, fmt.Errorf("parse entry id %q: %w", s, ErrInvalid)
	}
	return id, nil
}

// Hash is a SHA-256 digest of an entry's canonical encoding.
type Hash [32]byte

// IsZero reports whether h was never set (the Prev of a terminal's first entry).
func (h Hash) IsZero() bool { return h == Hash{} }

func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText writes the hash as 64 hex digits.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText reads 64 hex digits.
func (h *Hash) UnmarshalText(b []byte) error {
	var parsed Hash
	if len(b) != 2*len(parsed) {
		return fmt.Errorf("parse hash: %d digits: %w", len(b), ErrInvalid)
	}
	if _, err := hex.Decode(parsed[:], b); err != nil {
		return fmt.Errorf("parse hash: %w", ErrInvalid)
	}
	*h = parsed
	return nil
}

// Kind says what an entry records.
type Kind uint8

// Entry kinds. The numbers are part of the canonical encoding: never renumber.
const (
	KindCheckIn     Kind = 1 // a shift opened (签到); no deltas
	KindCheckOut    Kind = 2 // a shift closed and credited (签退): minutes and points
	KindRedeem      Kind = 3 // points exchanged for an item (兑换): points and stock down
	KindAdjust      Kind = 4 // staff correction with a reason (调整)
	KindReverse     Kind = 5 // undoes one earlier entry, named in Reverses (冲正)
	KindReplaceCard Kind = 6 // the person moves to a new card (换卡/补卡); the balance is the person's and stays; OtherCard is the old one
	KindExpire      Kind = 7 // points expired by policy (过期)
	KindRestock     Kind = 8 // staff added stock of an item at this center (补货)
)

// Kinds lists every kind, in number order.
func Kinds() []Kind {
	return []Kind{KindCheckIn, KindCheckOut, KindRedeem, KindAdjust, KindReverse, KindReplaceCard, KindExpire, KindRestock}
}

var kindNames = [...]string{
	KindCheckIn:     "check-in",
	KindCheckOut:    "check-out",
	KindRedeem:      "redeem",
	KindAdjust:      "adjust",
	KindReverse:     "reverse",
	KindReplaceCard: "replace-card",
	KindExpire:      "expire",
	KindRestock:     "restock",
}

// Valid reports whether k is one of the kinds above.
func (k Kind) Valid() bool { return k >= KindCheckIn && k <= KindRestock }

func (k Kind) String() string {
	if k.Valid() {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// MarshalText writes the kind's name.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind's name.
func (k *Kind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if n != "" && n == string(b) {
			*k = Kind(i)
			return nil
		}
	}
	return fmt.Errorf("parse kind %q: %w", b, ErrInvalid)
}

// Entry is one line of the ledger: append-only, chained per terminal. In
// JSON, zero fields are left out.
type Entry struct {
	Terminal string     `json:",omitzero"` // origin terminal id
	Seq      uint64     `json:",omitzero"` // gap-free per terminal, from 1
	ID       EntryID    `json:",omitzero"` // random, unique everywhere
	Kind     Kind       `json:",omitzero"`
	Center   string     `json:",omitzero"` // the center the terminal served
	Person   PersonID   `json:",omitzero"` // 0 for a restock
	Card     CardUID    `json:",omitzero"` // the card tapped, "" where none
	Minutes  int64      `json:",omitzero"` // service minutes delta (服务时长)
	Points   int64      `json:",omitzero"` // points delta (积分)
	Stock    int64      `json:",omitzero"` // stock delta of Item at Center
	Activity ActivityID `json:",omitzero"`
	Shift    EntryID    `json:",omitzero"` // the shift (its check-in entry id) a check-in or check-out belongs to
	Item     ItemID     `json:",omitzero"`
	Reverses EntryID    `json:",omitzero"` // for KindReverse: the entry undone
	// OtherCard is the card replaced by a KindReplaceCard entry.
	OtherCard CardUID   `json:",omitzero"`
	Operator  CardUID   `json:",omitzero"` // staff card of whoever made a correction
	Reason    string    `json:",omitzero"`
	At        time.Time `json:",omitzero"` // wall time from the clock; a hint, never an order
	Boot      string    `json:",omitzero"` // kernel boot id when written
	Trusted   bool      `json:",omitzero"` // clock NTP-synced and not earlier than the persisted floor
	Prev      Hash      `json:",omitzero"` // hash of this terminal's previous entry; zero for the first
	Hash      Hash      `json:",omitzero"` // SHA-256 of Encode()
}

// encodingVersion is the first byte of the canonical encoding.
const encodingVersion = 1

// maxString bounds every string field of the encoding (a uint16 length).
const maxString = 1<<16 - 1

// Encode returns the canonical binary encoding of e, the bytes its Hash is
// taken over. All integers are big-endian; strings are a uint16 byte length
// then UTF-8 bytes. Field by field, in order:
//
//	version   uint8 = 1
//	terminal  string
//	seq       uint64
//	id        [16]byte
//	kind      uint8
//	center    string
//	person    int64
//	card      string
//	minutes   int64
//	points    int64
//	stock     int64
//	activity  int64
//	shift     [16]byte
//	item      int64
//	reverses  [16]byte
//	othercard string
//	operator  string
//	reason    string
//	at        int64 (Unix nanoseconds, UTC)
//	boot      string
//	trusted   uint8 (0 or 1)
//	prev      [32]byte
//
// Hash is not encoded. Decode accepts exactly this and nothing else, so
// Decode(b) succeeding means Encode of the result gives b back. At is held
// as int64 Unix nanoseconds, so only times between the years 1678 and 2262
// come back as they went in.
func (e *Entry) Encode() ([]byte, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	return e.appendEncoding(make([]byte, 0, 256)), nil
}

// check refuses what the encoding cannot hold.
func (e *Entry) check() error {
	for _, s := range []string{e.Terminal, e.Center, string(e.Card), string(e.OtherCard), string(e.Operator), e.Reason, e.Boot} {
		if len(s) > maxString {
			return fmt.Errorf("encode entry: string of %d bytes: %w", len(s), ErrInvalid)
		}
		if !utf8.ValidString(s) {
			return fmt.Errorf("encode entry: string not UTF-8: %w", ErrInvalid)
		}
	}
	if !e.Kind.Valid() {
		return fmt.Errorf("encode entry: kind %d: %w", e.Kind, ErrInvalid)
	}
	return nil
}

func (e *Entry) appendEncoding(b []byte) []byte {
	str := func(s string) {
		b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
		b = append(b, s...)
	}
	i64 := func(v int64) { b = binary.BigEndian.AppendUint64(b, uint64(v)) }
	b = append(b, encodingVersion)
	str(e.Terminal)
	b = binary.BigEndian.AppendUint64(b, e.Seq)
	b = append(b, e.ID[:]...)
	b = append(b, byte(e.Kind))
	str(e.Center)
	i64(int64(e.Person))
	str(string(e.Card))
	i64(e.Minutes)
	i64(e.Points)
	i64(e.Stock)
	i64(int64(e.Activity))
	b = append(b, e.Shift[:]...)
	i64(int64(e.Item))
	b = append(b, e.Reverses[:]...)
	str(string(e.OtherCard))
	str(string(e.Operator))
	str(e.Reason)
	i64(e.At.UnixNano())
	str(e.Boot)
	if e.Trusted {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = append(b, e.Prev[:]...)
	return b
}

// ComputeHash returns SHA-256 of the canonical encoding.
func (e *Entry) ComputeHash() (Hash, error) {
	b, err := e.Encode()
	if err != nil {
		return Hash{}, err
	}
	return sha256.Sum256(b), nil
}

var errShort = errors.New("short")

// DecodeEntry reads a canonical encoding (see Entry.Encode). Hash is set to
// the SHA-256 of b. Any deviation — wrong version, unknown kind, a trusted
// byte other than 0 or 1, a string that is not UTF-8, trailing bytes — is an
// error wrapping ErrCorrupt.
func DecodeEntry(b []byte) (Entry, error) {
	var e Entry
	d := decoder{b: b}
	if v := d.u8(); v != encodingVersion && d.err == nil {
		return e, fmt.Errorf("decode entry: version %d: %w", v, ErrCorrupt)
	}
	e.Terminal = d.str()
	e.Seq = d.u64()
	d.bytes(e.ID[:])
	e.Kind = Kind(d.u8())
	e.Center = d.str()
	e.Person = PersonID(d.u64())
	e.Card = CardUID(d.str())
	e.Minutes = int64(d.u64())
	e.Points = int64(d.u64())
	e.Stock = int64(d.u64())
	e.Activity = ActivityID(d.u64())
	d.bytes(e.Shift[:])
	e.Item = ItemID(d.u64())
	d.bytes(e.Reverses[:])
	e.OtherCard = CardUID(d.str())
	e.Operator = CardUID(d.str())
	e.Reason = d.str()
	e.At = time.Unix(0, int64(d.u64())).UTC()
	e.Boot = d.str()
	trusted := d.u8()
	d.bytes(e.Prev[:])
	if d.err != nil {
		return Entry{}, fmt.Errorf("decode entry: %v: %w", d.err, ErrCorrupt)
	}
	if len(d.b) != 0 {
		return Entry{}, fmt.Errorf("decode entry: %d trailing bytes: %w", len(d.b), ErrCorrupt)
	}
	if !e.Kind.Valid() {
		return Entry{}, fmt.Errorf("decode entry: kind %d: %w", e.Kind, ErrCorrupt)
	}
	if trusted > 1 {
		return Entry{}, fmt.Errorf("decode entry: trusted byte %d: %w", trusted, ErrCorrupt)
	}
	e.Trusted = trusted == 1
	e.Hash = sha256.Sum256(b)
	return e, nil
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if len(d.b) < n {
		d.err = errShort
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) u8() uint8 {
	if p := d.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if p := d.take(8); p != nil {
		return binary.BigEndian.Uint64(p)
	}
	return 0
}

func (d *decoder) bytes(dst []byte) {
	if p := d.take(len(dst)); p != nil {
		copy(dst, p)
	}
}

func (d *decoder) str() string {
	p := d.take(2)
	if p == nil {
		return ""
	}
	s := d.take(int(binary.BigEndian.Uint16(p)))
	if d.err == nil && !utf8.Valid(s) {
		d.err = errors.New("string not UTF-8")
	}
	return string(s)
}
