package hubsync

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/hongmajia/hongmajia/record"
)

// Endpoints of the hub. Every one but PathHealth takes a POST with a signed
// body (PathEnroll is signed by the key it enrolls, and carries the token).
const (
	PathEnroll  = "/v1/enroll"
	PathPush    = "/v1/push"
	PathPull    = "/v1/pull"
	PathRestore = "/v1/restore"
	PathHealth  = "/healthz"
	// PathBundle, followed by a bundle's SHA-256 in hex, is a release
	// bundle the hub offers the kiosk: a GET signed like the POSTs (with an
	// empty body), answered with the bundle's bytes (Client.Bundle).
	PathBundle = "/v1/bundle/"
)

// Limits both sides enforce.
const (
	// MaxBody bounds a request's or an answer's body as sent (gzip); the
	// hub answers 413 beyond it, before reading further.
	MaxBody = 16 << 20
	// MaxPlain bounds a body once decompressed: a small gzip bomb is as
	// refused as a large body.
	MaxPlain = 96 << 20
	// MaxEnrollBody bounds an enrollment, as sent and decompressed: the hub
	// reads it before it knows who sent it, so it gets little.
	MaxEnrollBody = 64 << 10
	// MaxBatch is the most entries one push carries; a backlog goes in
	// several.
	MaxBatch = 2000
	// MaxChanges is the most outbox rows one push carries.
	MaxChanges = 2000
	// MaxPickups is the most pickup rows (codes and hand-outs) one push
	// carries.
	MaxPickups = 2000
	// MaxPullRows is the most registry rows and snapshots one pull answer
	// carries; More says to pull again.
	MaxPullRows = 20000
	// MaxRestoreEntries is the most entries one restore answer carries
	// (about 5 MB of JSON); More says to ask again after the last.
	MaxRestoreEntries = 20000
	// ClockWindow is how far a request's time may be from the hub's when
	// the kiosk says its clock is trusted (NTP-synced). An untrusted clock
	// (a Pi that booted without network, in 1970) is not held to it; the
	// nonce and the counter stop a replay instead.
	ClockWindow = 5 * time.Minute
	// MaxBundle bounds a release bundle the hub offers: the hub takes none
	// larger, and a kiosk downloads no more.
	MaxBundle = 512 << 20
)

// Wire forms of the registry's enumerations: strings, so that a kiosk and a
// hub of other versions read each other, and neither side's numbering leaks
// into the protocol.
const (
	CardActive  = "active"
	CardLost    = "lost"
	CardRevoked = "revoked"

	PeriodNone  = ""
	PeriodDay   = "day"
	PeriodWeek  = "week"
	PeriodMonth = "month"
	PeriodYear  = "year"

	RoleStaff      = "staff"
	RoleTechnician = "technician"
)

// Person is a registered person as every kiosk knows them. Phones travel
// masked (138****5678); ID numbers never travel.
type Person struct {
	ID          record.PersonID      `json:"id"`
	MemberNo    string               `json:"member_no"`
	Name        string               `json:"name,omitempty"` // empty while Provisional
	Provisional bool                 `json:"provisional,omitempty"`
	Phone       string               `json:"phone,omitempty"` // masked
	Community   string               `json:"community,omitempty"`
	Kind        record.VolunteerKind `json:"kind"`
}

// Card is a card and its state; a card is bound to one person.
type Card struct {
	UID    record.CardUID  `json:"uid"`
	Person record.PersonID `json:"person"`
	State  string          `json:"state"` // CardActive, CardLost, CardRevoked
}

// Activity is an activity of a center with its rules.
type Activity struct {
	ID       record.ActivityID `json:"id"`
	Center   string            `json:"center"`
	Name     string            `json:"name"`
	Schedule record.Schedule   `json:"schedule"`
	Rules    record.Rules      `json:"rules"`
	Active   bool              `json:"active"`
	// Station: the activity a headless station of the center serves.
	Station bool `json:"station,omitempty"`
}

// Item is a catalog item (the whole district's catalog).
type Item struct {
	ID          record.ItemID `json:"id"`
	Name        string        `json:"name"`
	Price       int64         `json:"price"`
	LimitCount  int64         `json:"limit_count,omitempty"`
	LimitPeriod string        `json:"limit_period,omitempty"` // PeriodDay…PeriodYear
	Active      bool          `json:"active"`
}

// Staff is a staff card of the kiosk's center, with its PIN's argon2id hash
// in PHC form ($argon2id$v=19$m=…,t=…,p=…$salt$hash). Printed (fmt) or
// logged (slog) it shows everything but the hash: a hash in a log is a
// PIN to brute-force offline.
type Staff struct {
	UID     record.CardUID `json:"uid"`
	Name    string         `json:"name"`
	Role    string         `json:"role"` // RoleStaff, RoleTechnician
	PINHash string         `json:"pin_hash"`
	Active  bool           `json:"active"`
}

// String is s without its PIN hash.
func (s Staff) String() string {
	return fmt.Sprintf("{UID:%s Name:%s Role:%s PINHash:%s Active:%t}", s.UID, s.Name, s.Role, redacted(s.PINHash), s.Active)
}

// GoString is s without its PIN hash, for %#v.
func (s Staff) GoString() string { return "hubsync.Staff" + s.String() }

// LogValue is s without its PIN hash, for slog (whose JSON handler would
// otherwise marshal the hash).
func (s Staff) LogValue() slog.Value {
	return slog.GroupValue(slog.String("uid", string(s.UID)), slog.String("name", s.Name), slog.String("role", s.Role),
		slog.String("pin_hash", redacted(s.PINHash)), slog.Bool("active", s.Active))
}

func redacted(secret string) string {
	if secret == "" {
		return ""
	}
	return "[redacted]"
}

// Alias says a person was merged into another: a kiosk's walk-in into a
// registration, or a kiosk's own person into the district's one of the same
// member number. Entries keep the id they were written with; everything else
// follows To.
type Alias struct {
	From record.PersonID `json:"from"`
	To   record.PersonID `json:"to"`
}

// Change is a registry change made at a kiosk (a walk-in enrolled, a card
// bound, replaced or reported lost, a name completed, an activity, catalog
// item or staff card made or changed), in the order the kiosk made them:
// Seq is the kiosk's outbox sequence, gap-free. Each carries one row as it
// is after the change. A kiosk made before it enrolled (a center that
// started alone) sends everything it held as its first changes.
type Change struct {
	Seq      uint64         `json:"seq"`
	At       time.Time      `json:"at"`
	Operator record.CardUID `json:"operator,omitempty"`
	Person   *Person        `json:"person,omitempty"` // the person after the change
	Card     *Card          `json:"card,omitempty"`   // the card after the change
	// Activity is an activity of the kiosk's center (its Center is the
	// kiosk's); Station says it is the one the center's station serves.
	Activity *Activity `json:"activity,omitempty"`
	Item     *Item     `json:"item,omitempty"` // joins the district's catalog
	// Staff is a staff card of the kiosk's center, with its PIN's hash.
	Staff *Staff `json:"staff,omitempty"`
}

// LogValue is c for slog, its staff card without the PIN hash.
func (c Change) LogValue() slog.Value {
	attrs := []slog.Attr{slog.Uint64("seq", c.Seq), slog.Time("at", c.At)}
	if c.Operator != "" {
		attrs = append(attrs, slog.String("operator", string(c.Operator)))
	}
	for _, row := range []struct {
		key string
		v   any
		set bool
	}{{"person", c.Person, c.Person != nil}, {"card", c.Card, c.Card != nil}, {"activity", c.Activity, c.Activity != nil},
		{"item", c.Item, c.Item != nil}} {
		if row.set {
			attrs = append(attrs, slog.Any(row.key, row.v))
		}
	}
	if c.Staff != nil {
		attrs = append(attrs, slog.Any("staff", c.Staff.LogValue()))
	}
	return slog.GroupValue(attrs...)
}

// Snapshot is the district's balance of a person as the hub computed it,
// signed by the hub, for one kiosk: the kiosk's balance of the person is
// Points and Minutes plus its own entries after AsOf. Verify checks Sig
// with the hub's key, so the kiosk's file proves every balance it holds.
type Snapshot struct {
	Person  record.PersonID `json:"person"`
	Points  int64           `json:"points"`
	Minutes int64           `json:"minutes"`
	AsOf    uint64          `json:"as_of"` // the kiosk's acknowledged seq the sums include
	Version uint64          `json:"version"`
	Sig     []byte          `json:"sig"`
}

// Stock is a center's stock of an item, signed like a Snapshot: the kiosk's
// stock is Qty plus its own entries after AsOf.
type Stock struct {
	Center  string        `json:"center"`
	Item    record.ItemID `json:"item"`
	Qty     int64         `json:"qty"`
	AsOf    uint64        `json:"as_of"`
	Version uint64        `json:"version"`
	Sig     []byte        `json:"sig"`
}

// Enroll registers a kiosk with a one-time token the hub issued for a
// center. It is signed by the key it registers.
type Enroll struct {
	Token      string      `json:"token"`
	Terminal   string      `json:"terminal"`
	Center     string      `json:"center"`      // the ledger's center id (a center that started alone)
	CenterName string      `json:"center_name"` // the ledger's
	PublicKey  []byte      `json:"public_key"`  // ed25519
	Head       record.Head `json:"head"`        // the ledger's chain head now
	Version    string      `json:"version"`     // the kiosk program's
}

// Enrolled answers Enroll: what the kiosk keeps to sync from now on.
type Enrolled struct {
	Terminal   string        `json:"terminal"`
	Center     string        `json:"center"`
	CenterName string        `json:"center_name"`
	HubKey     []byte        `json:"hub_key"` // ed25519: every answer is signed with it
	HubURL     string        `json:"hub_url"`
	Policy     record.Policy `json:"policy"`
	HubTime    time.Time     `json:"hub_time"`
}

// Pickup is what a kiosk knows of one of its redemptions beyond its entry:
// the pickup code (取货码) it gave when the redemption was made, or the
// hand-out (核销) when staff gave the goods over against that code with
// their card. A row carries one of Code and Handout. Seq numbers the
// kiosk's rows in the order it wrote them; a row names a redemption whose
// entry the hub holds, or one of the same push (the hub reads it after the
// entries). The hub keeps each redemption's first code and first
// hand-out, so a row sent twice changes nothing.
type Pickup struct {
	Seq        uint64         `json:"seq"`
	Redemption record.EntryID `json:"redemption"` // the redeem entry's id
	Code       string         `json:"code,omitempty"`
	Handout    *Handout       `json:"handout,omitempty"`
}

// Handout is a redemption's goods handed over at the kiosk: when (the
// kiosk's clock, and whether it was set) and by which staff card.
type Handout struct {
	Operator record.CardUID `json:"operator"`
	At       time.Time      `json:"at"`
	Trusted  bool           `json:"trusted,omitempty"`
}

// Push carries a kiosk's registry changes and entries. Entries hold
// canonical encodings (record.Entry.Encode) of consecutive sequence numbers
// from Acked.Seq+1; Changes the outbox rows after ChangesAcked; Pickups
// the pickup rows after PickupsAcked.
//
// Pickups came after the first kiosks: a hub older than them ignores the
// two fields and answers no PickupsAcked, and the kiosk keeps its rows for
// a hub that takes them; a kiosk older than them sends none, and the hub
// knows its redemptions without their codes.
type Push struct {
	Terminal     string      `json:"terminal"`
	Version      string      `json:"version"`
	Acked        record.Head `json:"acked"` // what the kiosk holds the hub acknowledged
	ChangesAcked uint64      `json:"changes_acked"`
	Changes      []Change    `json:"changes,omitempty"`
	Entries      [][]byte    `json:"entries,omitempty"`
	// Head is the kiosk's chain head now: the hub sees how far behind it is.
	Head record.Head `json:"head"`
	// Registry is the registry version the kiosk holds (its last pull
	// applied): its changes were made having seen the hub's up to it, so
	// only a hub change past it wins over them.
	Registry uint64 `json:"registry,omitempty"`
	// PickupsAcked is the last pickup row the kiosk holds the hub took;
	// Pickups the rows after it, in Seq order.
	PickupsAcked uint64   `json:"pickups_acked,omitempty"`
	Pickups      []Pickup `json:"pickups,omitempty"`
	// Arch is the kiosk's architecture (GOARCH), for the hub to offer it
	// bundles of its own; Installed the outcome of the last bundle the hub
	// offered it. A kiosk older than fleet updates sends neither, and is
	// offered nothing.
	Arch      string         `json:"arch,omitempty"`
	Installed *UpdateOutcome `json:"installed,omitempty"`
}

// UpdateOutcome is what became of a bundle the hub offered, as the kiosk's
// updater recorded it.
type UpdateOutcome struct {
	Version string    `json:"version"` // the bundle's
	OK      bool      `json:"ok"`      // installed and healthy
	Error   string    `json:"error,omitempty"`
	At      time.Time `json:"at"`
}

// PushResult answers Push. A refused batch is stored not at all.
type PushResult struct {
	Acked        record.Head `json:"acked"` // the highest contiguous entry the hub holds
	ChangesAcked uint64      `json:"changes_acked"`
	// Refused says why nothing was stored ("" when the batch was): a gap,
	// a broken chain, a fork from the anchor.
	Refused string `json:"refused,omitempty"`
	// Fork: the kiosk's ledger differs from what the hub anchored (rolled
	// back, rewritten); it must be restored from the hub, never reuse a seq.
	Fork    bool      `json:"fork,omitempty"`
	HubTime time.Time `json:"hub_time"`
	// PickupsAcked is the last pickup row of the push the hub took (the
	// push's own PickupsAcked when it carried none). A hub older than
	// pickups leaves it out: the kiosk learns so from an answer that takes
	// none of the rows it sent.
	PickupsAcked uint64 `json:"pickups_acked,omitempty"`
}

// Pull asks for the registry's changes since Since.
type Pull struct {
	Terminal string `json:"terminal"`
	Since    uint64 `json:"since"`
}

// PullResult carries changes since Pull.Since up to Version, for the
// kiosk to apply in one transaction; More: pull again from Version.
type PullResult struct {
	Version    uint64         `json:"version"`
	More       bool           `json:"more,omitempty"`
	People     []Person       `json:"people,omitempty"`
	Cards      []Card         `json:"cards,omitempty"`
	Aliases    []Alias        `json:"aliases,omitempty"`
	Activities []Activity     `json:"activities,omitempty"`
	Items      []Item         `json:"items,omitempty"`
	Stock      []Stock        `json:"stock,omitempty"`
	Staff      []Staff        `json:"staff,omitempty"`
	Policy     *record.Policy `json:"policy,omitempty"`
	Balances   []Snapshot     `json:"balances,omitempty"`
	HubTime    time.Time      `json:"hub_time"`
	// Offer is a release bundle the hub offers the kiosk (newer than its
	// version, of its architecture), fetched from PathBundle+SHA256. A
	// kiosk older than fleet updates ignores it.
	Offer *Offer `json:"offer,omitempty"`
}

// Offer describes a release bundle: the kiosk downloads it, checks its
// size and hash against these, and its updater checks its signature.
type Offer struct {
	Version string `json:"version"`
	Arch    string `json:"arch"`
	Size    int64  `json:"size"`
	SHA256  string `json:"sha256"` // hex
}

// Check refuses an offer that does not read: no version, a size over
// MaxBundle, a hash that is not 64 hex digits.
func (o Offer) Check() error {
	if CheckVersion(o.Version) != nil || o.Arch == "" || o.Size <= 0 || o.Size > MaxBundle || !ValidSHA256(o.SHA256) {
		return fmt.Errorf("offer %+v: %w", o, ErrMalformed)
	}
	return nil
}

// ValidSHA256 reports whether s is a SHA-256 in lower-case hex.
func ValidSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// Restore asks for everything a terminal's ledger held, to rebuild it on a
// new SD card: authorised by a district administrator's one-time token.
type Restore struct {
	Token    string `json:"token"`
	Terminal string `json:"terminal"`
	// After: the entries after this seq (0: from the first); a terminal of
	// years of entries comes back in several answers.
	After uint64 `json:"after,omitempty"`
}

// Restored answers Restore: the terminal's entries in sequence order (the
// kiosk checks the chain and continues it), its outbox position, and a full
// pull (Since 0). A terminal of five years holds more entries than one
// answer carries: More says to ask again from the last entry (and then to
// pull on from Pull.Version while Pull.More).
type Restored struct {
	Entries      [][]byte   `json:"entries"`
	ChangesAcked uint64     `json:"changes_acked"`
	Pull         PullResult `json:"pull"`
	// More: entries remain; ask again After the last one. Pull is sent
	// with the last answer only.
	More bool `json:"more,omitempty"`
	// Counter is the last request counter the hub saw from the terminal:
	// the restored ledger counts on from it.
	Counter uint64 `json:"counter,omitempty"`
}

// Problem is the body of every error answer.
type Problem struct {
	Error string `json:"error"`
}
