package hub

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hongmajia/hongmajia/record"
)

// Store is where the hub keeps everything: the one interface every query
// of the hub sits behind (hub/sqlitestore, hub/pgstore). The hub's
// logic runs in Go inside the store's transactions, so a second store
// implements the queries, never the rules.
//
// The contract every implementation keeps (hub/storetest checks it):
//
//   - Update runs fn in one transaction: when fn returns nil every write of
//     fn is kept, when it returns an error (or the store fails) none is.
//     Updates are serializable: fn sees every Update committed before it
//     began and nothing of one running beside it. This is what makes Push
//     exactly-once under concurrent calls: an Update reads the terminal's
//     anchor and stores the entries after it, and no other Update can store
//     them in between. An implementation may run fn again after a
//     serialization failure, so fn has no effect outside tx.
//   - View runs fn on one consistent snapshot: a pull's rows, balances and
//     the kiosk's anchor are of the same moment.
//   - Tx.AddEntry stores an entry at most once: a (terminal, seq) or an id
//     it holds is not stored again and AddEntry reports false; AddEntries
//     is AddEntry of each entry of a list in turn.
//   - Tx.NextVersion is strictly increasing across all Updates that commit;
//     a version taken by an Update that rolled back may be taken again.
//     Every registry row written carries a version taken in its Update, so
//     Since(v) returns exactly the rows changed after v.
//   - Tx.AddFlag keeps at most one open (unresolved) flag per kind and
//     subject: it reports false when one is open already.
//   - The reads of many at once (Aliases, Balances, CardUses) take a list
//     of any length, in any order and with repeats, and return each row
//     once, in the order their doc says, leaving out what is not there
//     (no ErrNotFound); an implementation may split a long list into
//     several queries. They are how a push reads what its entries need in
//     a few queries, not one per entry.
//   - Lookups of a row that is not there return an error wrapping
//     ErrNotFound; an insert of a row that is there (a center, a member
//     number) wraps ErrExists, and so does a write that would give a row a
//     name another row holds (an activity's at its center, an item's in
//     the catalog). The hub looks before it writes, so no Update goes on
//     after a failed write (PostgreSQL aborts the transaction there).
//   - Put… writes the row of its key (an id; a staff card's center and
//     card; a user's name; a session's hash) whole, inserting or replacing
//     it, ChangedBy and Version too.
//   - The audit log is append-only: AddAudit stores an entry under a new
//     id above every id before it (the ID it is given is ignored), and
//     nothing changes or deletes an entry once stored.
//   - The register of certificates is append-only in the same way
//     (AddCertificate), and so is the history of restocks (AddRestock).
//     A sealed ID number is stored as it is given: the store never sees
//     it in clear.
type Store interface {
	View(ctx context.Context, fn func(Reader) error) error
	Update(ctx context.Context, fn func(Tx) error) error
	Close() error
}

// InTurn is a Store that can run an Update in turn: UpdateInTurn runs fn
// as Update does, but first waits for the Updates that store entries or
// take versions (every push) to commit, and keeps the others of its kind
// waiting until it commits. The hub runs a push that way: it is sure to
// store entries, and on a store whose Updates run beside each other
// (PostgreSQL's SERIALIZABLE) a push begun beside another would read, wait
// for the registry and run again, its first run's reads thrown away — the
// more hub processes, the more such runs. A store whose Updates take turns
// anyway (SQLite's one writer) need not implement it. It is a matter of
// cost, never of what is stored: Update alone keeps the contract.
type InTurn interface {
	UpdateInTurn(ctx context.Context, fn func(Tx) error) error
}

// updateInTurn is s.UpdateInTurn when s has it, else s.Update.
func updateInTurn(ctx context.Context, s Store, fn func(Tx) error) error {
	if t, ok := s.(InTurn); ok {
		return t.UpdateInTurn(ctx, fn)
	}
	return s.Update(ctx, fn)
}

// Reader is what a View (and an Update) reads.
type Reader interface {
	// Version is the registry's version: the last NextVersion committed.
	Version() (uint64, error)

	Center(id string) (Center, error)
	Centers() ([]Center, error)
	Token(hash TokenHash) (Token, error)
	// RestoreTokens are the restore tokens issued for terminal.
	RestoreTokens(terminal string) ([]Token, error)
	Kiosk(terminal string) (Kiosk, error)
	Kiosks() ([]Kiosk, error)
	// Bundle is the release bundle of a SHA-256 (hex); Bundles every one,
	// the latest added first.
	Bundle(sha256 string) (Bundle, error)
	Bundles() ([]Bundle, error)

	// EntryHashes are the hashes of terminal's entries from seq from to to
	// (inclusive), in seq order; an entry the store does not hold is left
	// out.
	EntryHashes(terminal string, from, to uint64) (map[uint64]record.Hash, error)
	// Entries are terminal's entries after seq after, in seq order, at
	// most limit.
	Entries(terminal string, after uint64, limit int) ([]StoredEntry, error)
	// Entry is the entry of id.
	Entry(id record.EntryID) (StoredEntry, error)
	// CardUses are the entries at other centers than center (check-ins,
	// check-outs and redemptions) whose card is a window's and whose hub
	// time is within that window (From and To included): each entry once,
	// however many windows it falls in, in hub time order. A push asks
	// once for all its cards (a window per card and stretch of time); the
	// store may split a long list of windows into several queries.
	CardUses(center string, windows []CardWindow) ([]StoredEntry, error)

	Person(id record.PersonID) (Person, error)
	PersonByMemberNo(memberNo string) (Person, error)
	// SearchPeople are the people q matches, by member number, at most
	// q.Limit.
	SearchPeople(q PeopleQuery) ([]Person, error)
	// Alias is where a person id was merged to; ErrNotFound when it was not.
	Alias(from record.PersonID) (Alias, error)
	// Aliases are the aliases of the ids of from that were merged (the
	// others are left out), in From order: a push resolves its people at
	// once.
	Aliases(from []record.PersonID) ([]Alias, error)
	// AliasesTo are the aliases pointing at to.
	AliasesTo(to record.PersonID) ([]Alias, error)
	Card(uid record.CardUID) (Card, error)
	CardsOf(person record.PersonID) ([]Card, error)
	Activity(id record.ActivityID) (Activity, error)
	Activities(center string) ([]Activity, error)
	Items() ([]Item, error)
	Stock(center string, item record.ItemID) (Stock, error)
	// StaffByCard is a staff card at every center that has it.
	StaffByCard(uid record.CardUID) ([]Staff, error)
	// Policy is the district's policy and its version; record.DefaultPolicy
	// at version 0 when none was set.
	Policy() (record.Policy, uint64, error)
	Balance(person record.PersonID) (Balance, error)
	// Balances are the balances of the persons that have one (the others
	// are left out), in Person order: a push reads its people's at once.
	Balances(persons []record.PersonID) ([]Balance, error)

	// Since is every registry row and balance with a version above since:
	// the activities, stock and staff of center only; each list in version
	// order and at most limit long.
	Since(since uint64, center string, limit int) (Changes, error)
	// Flags are the flags in the order they were raised; only the open
	// ones when open.
	Flags(open bool) ([]Flag, error)
	// Flag is the flag of id.
	Flag(id int64) (Flag, error)

	// CenterStock is the stock of every item center has a row of, in
	// item order.
	CenterStock(center string) ([]Stock, error)
	// Tallies sum the entries of q.Centers in each of q's periods, grouped
	// as q.By says: what Tally's fields count but Volunteers (left 0:
	// TallyPeople says who), in the order of TallyRow's fields; a group
	// with none of the entries the sums read (check-outs, redemptions,
	// adjustments, reversals, expiries) is left out. The store sums them
	// where they are (the dashboard reads millions of entries), never
	// handing the entries out.
	Tallies(q TallyQuery) ([]TallyRow, error)
	// TallyPeople are the people of the check-outs of each of Tallies'
	// groups: each period, group and person once, an id merged into
	// another as that one, in the order of TallyPerson's fields.
	TallyPeople(q TallyQuery) ([]TallyPerson, error)
	// TopVolunteers are the q.Limit people (every one when 0) with the
	// most service minutes (Tally.Minutes) at q.Centers from q.From to
	// q.To (excluded), most first (then most points, then the lowest id);
	// an id merged into another counts as that one.
	TopVolunteers(q TopQuery) ([]VolunteerTally, error)
	// TallyMark is where the entries and the aliases stand, for the hub to
	// know when sums it read are still good: Entries grows with every
	// entry stored (SQLite's rowid; a sequence in another store), Aliases
	// with every alias written (the highest alias version).
	TallyMark() (TallyMark, error)
	// EntriesAfter are the entries stored after mark (a TallyMark's
	// Entries), what the sums read of each, in the order they were
	// stored, at most limit.
	EntriesAfter(mark uint64, limit int) ([]EntryStamp, error)
	// AliasesAfter are the aliases written after version, in version
	// order.
	AliasesAfter(version uint64) ([]Alias, error)

	// User is the web's user of name.
	User(name string) (User, error)
	// Users are every user, by name.
	Users() ([]User, error)
	// Session is the session of hash.
	Session(hash SessionHash) (Session, error)
	// Audit is the audit log newest first: the entries below q.Before
	// (every one when 0), at most q.Limit.
	Audit(q AuditQuery) ([]AuditEntry, error)

	// The service record (志愿服务记录) and its certificates.
	//
	// PersonEntries are every entry of the persons (ids as the entries
	// name them: the hub resolves aliases), in hub time order.
	PersonEntries(persons []record.PersonID) ([]StoredEntry, error)
	// FindPeople are the people q finds (see FindQuery), by name then
	// id; ids merged into another are left out.
	FindPeople(q FindQuery) ([]Person, error)
	// SealedID is a person's sealed ID document.
	SealedID(person record.PersonID) (SealedID, error)
	// CertIssuer is what a certificate of center ("" the district office)
	// says of its issuer.
	CertIssuer(center string) (CertIssuer, error)
	// Certificate is the certificate of number.
	Certificate(number string) (Certificate, error)
	// Certificates are the register's certificates q selects, newest
	// first.
	Certificates(q CertificateQuery) ([]Certificate, error)
	// LastCertificateSeq is the highest Seq of year's certificates; 0
	// when there is none.
	LastCertificateSeq(year int) (int, error)

	// The exports: a center's service a week at a time.
	//
	// CenterEntries are the entries q selects (see CenterEntryQuery), in
	// hub time order, then terminal and seq: a center's stretch of time
	// of some kinds, read from the index (center, kind, at_hub, …), or
	// its entries of some people.
	CenterEntries(q CenterEntryQuery) ([]StoredEntry, error)
	// People are the people of ids that are there (the others are left
	// out), each once, in id order.
	People(ids []record.PersonID) ([]Person, error)
	// The catalog's pictures and the history of restocks (积分兑换).
	//
	// Picture is item's picture, its bytes too.
	Picture(item record.ItemID) (Picture, error)
	// Pictures are every item's picture without its bytes (Large and
	// Thumb nil), in item order.
	Pictures() ([]Picture, error)
	// Restocks are the restocks q selects, newest first.
	Restocks(q RestockQuery) ([]Restock, error)
	// The redemptions (积分兑换), each with its pickup code and hand-out.
	//
	// Redemption is the redemption of its redeem entry's id.
	Redemption(id record.EntryID) (Redemption, error)
	// Redemptions are the redemptions q selects, newest first (hub time,
	// then id, both descending), at most q.Limit (every one when 0).
	Redemptions(q RedemptionQuery) ([]Redemption, error)
	// RedemptionSums sum the redemptions q selects (its Centers, From, To
	// and Match) by center and item, in that order; a group without a
	// redemption is left out.
	RedemptionSums(q RedemptionQuery) ([]RedemptionSum, error)
}

// Tx is an Update's transaction.
type Tx interface {
	Reader
	// NextVersion takes the registry's next version.
	NextVersion() (uint64, error)

	AddCenter(Center) error
	PutToken(Token) error
	PutKiosk(Kiosk) error
	// PutBundle writes a bundle whole, its centers too.
	PutBundle(Bundle) error
	// AdvanceCounter stores counter as terminal's last request counter when
	// it is above the one stored, and reports whether it was.
	AdvanceCounter(terminal string, counter uint64) (bool, error)
	AddEntry(StoredEntry) (bool, error)
	// AddEntries stores entries as AddEntry stores each, in their order,
	// and reports for each whether it was stored (an entry a (terminal,
	// seq) or an id before it in the list holds is not): a push stores
	// its batch in one call, which a server store sends at once.
	AddEntries([]StoredEntry) ([]bool, error)

	// AddPerson inserts a person (ErrExists: the id or the member number
	// is held); PutPerson replaces one.
	AddPerson(Person) error
	PutPerson(Person) error
	PutAlias(Alias) error
	PutCard(Card) error
	PutActivity(Activity) error
	PutItem(Item) error
	PutStock(Stock) error
	PutStaff(Staff) error
	PutPolicy(p record.Policy, version uint64) error
	PutBalance(Balance) error
	// PutBalances writes each balance as PutBalance does, in their order
	// (a person twice: the last one).
	PutBalances([]Balance) error

	AddFlag(Flag) (bool, error)
	// ResolveFlags resolves the open flags of kind and subject.
	ResolveFlags(kind FlagKind, subject, by string, at time.Time) error

	// AddUser inserts a user (ErrExists: the name is taken); PutUser
	// replaces one.
	AddUser(User) error
	PutUser(User) error
	// PutSession writes a session whole (its user must be there).
	PutSession(Session) error
	// DeleteSession deletes a session; one that is not there is no error.
	DeleteSession(hash SessionHash) error
	// DeleteSessionsOf deletes every session of user.
	DeleteSessionsOf(user string) error
	// DeleteExpiredSessions deletes every session last seen before
	// seenBefore or made before madeBefore, and reports how many.
	DeleteExpiredSessions(seenBefore, madeBefore time.Time) (int, error)
	// AddAudit appends an entry to the audit log, under an id above every
	// id before it; the log is append-only.
	AddAudit(AuditEntry) error

	// PutSealedID writes a person's sealed ID document whole;
	// DeleteSealedID deletes it (one not there is no error).
	PutSealedID(SealedID) error
	DeleteSealedID(person record.PersonID) error
	PutCertIssuer(CertIssuer) error
	// AddCertificate appends a certificate to the register under an ID
	// above every ID before it (the ID it is given is ignored); ErrExists
	// when its number or its year and seq are held. The register is
	// append-only.
	AddCertificate(Certificate) error

	// PutPicture writes an item's picture whole (the item must be there).
	PutPicture(Picture) error
	// AddRestock appends a restock to the history under an ID above every
	// ID before it (the ID it is given is ignored); the history is
	// append-only.
	AddRestock(Restock) error
	// PutRedemption writes a redemption whole.
	PutRedemption(Redemption) error
}

// Store errors.
var (
	ErrNotFound = errors.New("hub: not found")
	ErrExists   = errors.New("hub: already exists")
)

// Center is a service center (党群服务中心) of the district.
type Center struct {
	ID      string
	Name    string
	Created time.Time
}

// TokenKind says what a token authorises.
type TokenKind string

// Token kinds.
const (
	TokenEnroll  TokenKind = "enroll"  // a kiosk joins a center
	TokenRestore TokenKind = "restore" // a terminal's entries come back to a new SD card
)

// TokenHash is the SHA-256 of a token: the store never holds the token.
type TokenHash [32]byte

// Token is a one-time token the hub issued.
type Token struct {
	Hash     TokenHash
	Kind     TokenKind
	Center   string // TokenEnroll: the center the kiosk joins
	Terminal string // TokenRestore: the terminal restored
	Created  time.Time
	Expires  time.Time
	Used     time.Time // zero: not used
	UsedBy   string    // the terminal that used it
}

// Kiosk is an enrolled terminal as the hub knows it.
type Kiosk struct {
	Terminal  string
	Center    string
	PublicKey ed25519.PublicKey
	Enrolled  time.Time
	Revoked   time.Time // zero: not revoked
	// Anchor is the highest contiguous entry the hub holds of the
	// terminal: its acknowledged head.
	Anchor record.Head
	// Head is the terminal's head as it last said (its lag is Head.Seq -
	// Anchor.Seq).
	Head record.Head
	// Counter is the last request counter the hub accepted.
	Counter uint64
	// LastSync is the last push or pull that succeeded; zero: never.
	LastSync time.Time
	// Version is the kiosk program's version it last said.
	Version string
	// ClockOffset is hub − kiosk, measured at the last request.
	ClockOffset time.Duration
	// ChangesAcked is the highest outbox seq of the kiosk the hub applied.
	ChangesAcked uint64
	// Pulled is the registry version the kiosk holds as far as the hub
	// knows: the Since of its last pull, or the Registry of its last push
	// when higher. A change after it is one the kiosk had not seen.
	Pulled uint64
	// Refusal is why its last push was refused ("" when it was not);
	// Fork when its ledger differs from the anchor.
	Refusal string
	Fork    bool
	// Arch is the kiosk's architecture as it last said ("" for a kiosk
	// older than fleet updates); Offered the version of the bundle last
	// offered to it; Outcome what became of the last one it installed or
	// tried to (nil: none reported).
	Arch    string
	Offered string
	Outcome *UpdateOutcome
}

// StoredEntry is an entry as the hub holds it: the kiosk's canonical
// encoding, what was decoded from it, and the hub's own columns.
type StoredEntry struct {
	record.Entry
	// Raw is the canonical encoding as the kiosk sent it.
	Raw []byte
	// HubCenter is the center the sending kiosk belongs to at the hub.
	HubCenter string
	// Corrected is At corrected by the kiosk's clock offset, for an entry
	// written with an untrusted clock; zero for a trusted one.
	Corrected time.Time
	// Received is when the hub stored it.
	Received time.Time
}

// CardWindow is a stretch of hub time around a card's uses.
type CardWindow struct {
	Card     record.CardUID
	From, To time.Time
}

// HubTime is the entry's best time: the corrected one when the kiosk's
// clock was not trusted.
func (e StoredEntry) HubTime() time.Time {
	if !e.Corrected.IsZero() {
		return e.Corrected
	}
	return e.At
}

// Person is a person of the district's registry.
type Person struct {
	ID          record.PersonID
	MemberNo    string
	Name        string
	Provisional bool
	Phone       string // digits from an import; masked when a kiosk made it
	Community   string
	Kind        record.VolunteerKind
	// Center is the center the person was registered at: the desk's at
	// the hub's web, the kiosk's for a person a kiosk made; "" for the
	// district's own (hubd import). Its staff may change the person's
	// registration (hub.Scope); never sent to a kiosk.
	Center string
	// ChangedBy is the terminal whose change wrote the row ("" for the
	// hub's own).
	ChangedBy string
	Version   uint64
}

// PeopleQuery is a search of the registry: a person matches when any
// field given matches ("" fields are not asked), among the people of
// Center.
type PeopleQuery struct {
	// Center: only the people registered at this center; "" asks every
	// person.
	Center string
	// Name: the name holds it.
	Name string
	// MemberNo: the member number starts with it.
	MemberNo string
	// PhoneEnd: the phone ends with it (digits: a masked phone keeps its
	// last four).
	PhoneEnd string
	// Limit: at most this many (1 to MaxSearch; MaxSearch when 0).
	Limit int
}

// MaxSearch is the most people one search returns.
const MaxSearch = 200

// Alias says a person id now means another: a walk-in merged into a
// registration, or a kiosk's person into the district's one of the same
// member number.
type Alias struct {
	From, To record.PersonID
	Version  uint64
}

// Card is a card of a person and its state (hubsync.CardActive, …).
type Card struct {
	UID       record.CardUID
	Person    record.PersonID
	State     string
	ChangedBy string // as Person.ChangedBy
	Version   uint64
}

// Activity is an activity of a center.
type Activity struct {
	ID       record.ActivityID
	Center   string
	Name     string
	Schedule record.Schedule
	Rules    record.Rules
	Active   bool
	Station  bool
	// ChangedBy is the terminal whose change wrote the row ("" for the
	// hub's own): a kiosk's change loses to a newer one of anyone else.
	ChangedBy string
	Version   uint64
}

// Item is an item of the district's catalog.
type Item struct {
	ID          record.ItemID
	Name        string
	Price       int64
	LimitCount  int64
	LimitPeriod string // hubsync.PeriodDay…
	Active      bool
	ChangedBy   string // as Activity.ChangedBy
	Version     uint64
}

// Stock is a center's stock of an item: what the hub set plus every
// entry of the center's kiosks.
type Stock struct {
	Center  string
	Item    record.ItemID
	Qty     int64
	Version uint64
}

// Staff is a staff card of a center.
type Staff struct {
	Center string
	UID    record.CardUID
	Name   string
	Role   string // hubsync.RoleStaff, hubsync.RoleTechnician
	// PINHash is the argon2id hash in PHC form: never logged, never in a
	// flag.
	PINHash   string
	Active    bool
	ChangedBy string // as Activity.ChangedBy
	Version   uint64
}

// String is s without its PIN hash.
func (s Staff) String() string {
	return fmt.Sprintf("{Center:%s UID:%s Name:%s Role:%s PINHash:%s Active:%t ChangedBy:%s Version:%d}",
		s.Center, s.UID, s.Name, s.Role, redacted(s.PINHash), s.Active, s.ChangedBy, s.Version)
}

// GoString is s without its PIN hash, for %#v.
func (s Staff) GoString() string { return "hub.Staff" + s.String() }

// LogValue is s without its PIN hash.
func (s Staff) LogValue() slog.Value {
	return slog.GroupValue(slog.String("center", s.Center), slog.String("uid", string(s.UID)), slog.String("name", s.Name),
		slog.String("role", s.Role), slog.String("pin_hash", redacted(s.PINHash)), slog.Bool("active", s.Active),
		slog.String("changed_by", s.ChangedBy), slog.Uint64("version", s.Version))
}

func redacted(secret string) string {
	if secret == "" {
		return ""
	}
	return "[redacted]"
}

// Balance is a person's district balance: every kiosk's entries for them
// and the ids aliased to them.
type Balance struct {
	Person  record.PersonID
	Points  int64
	Minutes int64
	Version uint64
}

// Changes are the rows Since found.
type Changes struct {
	People     []Person
	Cards      []Card
	Aliases    []Alias
	Activities []Activity
	Items      []Item
	Stock      []Stock
	Staff      []Staff
	Balances   []Balance
	// Policy is set when the policy changed; PolicyVersion is its version.
	Policy        *record.Policy
	PolicyVersion uint64
}
