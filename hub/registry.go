package hub

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
	"github.com/hongmajia/hongmajia/roster"
	"golang.org/x/crypto/argon2"
)

// errDryRun rolls a dry run's Update back.
var errDryRun = errors.New("hub: dry run")

// RowError is one row an import refused: its index in the rows given,
// the field refused, and why.
type RowError struct {
	Row   int
	Field Field
	Err   error
}

// Field names the field of a row an import refused.
type Field string

// Fields of imported rows.
const (
	FieldMemberNo Field = "member_no"
	FieldCard     Field = "card"
	FieldName     Field = "name"
	FieldStation  Field = "station"
	FieldStock    Field = "stock"
	FieldPrice    Field = "price"
)

// ImportError lists every row an import refused; nothing was imported.
type ImportError struct{ Rows []RowError }

func (e *ImportError) Error() string {
	return fmt.Sprintf("hub: import: %d row(s) refused, nothing imported", len(e.Rows))
}

// ImportResult says what an import wrote (or, dry, would write).
type ImportResult struct {
	People, Cards, Activities, Items int
	Stock                            int64 // units of stock set
}

// update runs fn in an Update that a dry run rolls back.
func (h *Hub) update(ctx context.Context, dry bool, fn func(Tx) error) error {
	err := h.store.Update(ctx, func(tx Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if dry {
			return errDryRun
		}
		return nil
	})
	if errors.Is(err, errDryRun) {
		return nil
	}
	return err
}

// newID is a random 53-bit id (JSON keeps it exact) that taken refuses.
func newID(taken func(int64) (bool, error)) (int64, error) {
	for {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return 0, err
		}
		id := int64(binary.BigEndian.Uint64(b[:]) & (1<<53 - 1))
		if id == 0 {
			continue
		}
		t, err := taken(id)
		if err != nil {
			return 0, err
		}
		if !t {
			return id, nil
		}
	}
}

func notFound(err error) (bool, error) {
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// ImportPeople adds a roster's people (and their cards) to the district,
// all or none: a member number or a card the hub holds refuses its row
// (*ImportError). dry checks and writes nothing.
func (h *Hub) ImportPeople(ctx context.Context, rows []roster.Person, dry bool) (ImportResult, error) {
	var res ImportResult
	err := h.update(ctx, dry, func(tx Tx) (err error) {
		res, err = importPeople(tx, "", rows)
		return err
	})
	return res, err
}

// importPeople adds rows to the registry as people of center, all or
// none (*ImportError), in tx.
func importPeople(tx Tx, center string, rows []roster.Person) (ImportResult, error) {
	var res ImportResult
	var bad []RowError
	for i, p := range rows {
		if _, err := tx.PersonByMemberNo(p.MemberNo); err == nil {
			bad = append(bad, RowError{i, FieldMemberNo, fmt.Errorf("member number %s: %w", p.MemberNo, ErrExists)})
			continue
		} else if !errors.Is(err, ErrNotFound) {
			return res, err
		}
		if p.Card != "" {
			if err := cardFree(tx, p.Card); err != nil {
				if !errors.Is(err, ErrExists) {
					return res, err
				}
				bad = append(bad, RowError{i, FieldCard, err})
				continue
			}
		}
		id, err := newID(func(id int64) (bool, error) {
			_, err := tx.Person(record.PersonID(id))
			return notFound(err)
		})
		if err != nil {
			return res, err
		}
		v, err := tx.NextVersion()
		if err != nil {
			return res, err
		}
		err = tx.AddPerson(Person{ID: record.PersonID(id), MemberNo: p.MemberNo, Name: p.Name, Phone: p.Phone,
			Community: p.Community, Kind: p.Kind, Center: center, Version: v})
		if err != nil {
			return res, fmt.Errorf("import person %s: %w", p.MemberNo, err)
		}
		res.People++
		if p.Card != "" {
			if v, err = tx.NextVersion(); err != nil {
				return res, err
			}
			if err := tx.PutCard(Card{UID: p.Card, Person: record.PersonID(id), State: hubsync.CardActive, Version: v}); err != nil {
				return res, err
			}
			res.Cards++
		}
	}
	if len(bad) > 0 {
		return res, &ImportError{Rows: bad}
	}
	return res, nil
}

// cardFree refuses (ErrExists) a card bound to a person or a staff card.
func cardFree(r Reader, uid record.CardUID) error {
	if c, err := r.Card(uid); err == nil {
		return fmt.Errorf("card %s is person %d's: %w", uid, c.Person, ErrExists)
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	staff, err := r.StaffByCard(uid)
	if err != nil {
		return err
	}
	if len(staff) > 0 {
		return fmt.Errorf("card %s is a staff card of center %s: %w", uid, staff[0].Center, ErrExists)
	}
	return nil
}

// ImportActivities adds a center's activities, all or none: a name the
// center has, or a second station activity, refuses its row.
func (h *Hub) ImportActivities(ctx context.Context, center string, rows []roster.Activity, dry bool) (ImportResult, error) {
	var res ImportResult
	err := h.update(ctx, dry, func(tx Tx) error {
		res = ImportResult{}
		if _, err := tx.Center(center); err != nil {
			return fmt.Errorf("import activities: center %s: %w", center, err)
		}
		have, err := tx.Activities(center)
		if err != nil {
			return err
		}
		names, station := map[string]bool{}, false
		for _, a := range have {
			names[a.Name] = true
			station = station || (a.Station && a.Active)
		}
		var bad []RowError
		for i, a := range rows {
			switch {
			case names[a.Name]:
				bad = append(bad, RowError{i, FieldName, fmt.Errorf("activity %s of center %s: %w", a.Name, center, ErrExists)})
				continue
			case a.Station && station:
				bad = append(bad, RowError{i, FieldStation, fmt.Errorf("center %s has a station activity already: %w", center, ErrExists)})
				continue
			}
			id, err := newID(func(id int64) (bool, error) {
				_, err := tx.Activity(record.ActivityID(id))
				return notFound(err)
			})
			if err != nil {
				return err
			}
			v, err := tx.NextVersion()
			if err != nil {
				return err
			}
			err = tx.PutActivity(Activity{ID: record.ActivityID(id), Center: center, Name: a.Name, Schedule: a.Schedule,
				Rules: a.Rules, Active: true, Station: a.Station, Version: v})
			if err != nil {
				return fmt.Errorf("import activity %s: %w", a.Name, err)
			}
			names[a.Name], station = true, station || a.Station
			res.Activities++
		}
		if len(bad) > 0 {
			return &ImportError{Rows: bad}
		}
		return nil
	})
	return res, err
}

var periods = map[roster.Period]string{
	roster.NoLimit: hubsync.PeriodNone, roster.Daily: hubsync.PeriodDay, roster.Weekly: hubsync.PeriodWeek,
	roster.Monthly: hubsync.PeriodMonth, roster.Yearly: hubsync.PeriodYear,
}

// ImportCatalog adds items to the district's catalog and their first stock
// at center, all or none. An item the catalog has already (by name) is the
// same item when its price and limit agree (another center's import), and
// refuses its row when they differ; stock the center has of it already
// refuses its row (stock changes at a kiosk, by restock). Without a center
// a row with stock is refused.
func (h *Hub) ImportCatalog(ctx context.Context, center string, rows []roster.Item, dry bool) (ImportResult, error) {
	var res ImportResult
	err := h.update(ctx, dry, func(tx Tx) error {
		res = ImportResult{}
		if center != "" {
			if _, err := tx.Center(center); err != nil {
				return fmt.Errorf("import catalog: center %s: %w", center, err)
			}
		}
		items, err := tx.Items()
		if err != nil {
			return err
		}
		byName := map[string]Item{}
		for _, it := range items {
			byName[it.Name] = it
		}
		var bad []RowError
		for i, r := range rows {
			period, ok := periods[r.Period]
			if !ok {
				return fmt.Errorf("import catalog: period %v: %w", r.Period, record.ErrInvalid)
			}
			want := Item{Name: r.Name, Price: r.Price, LimitCount: r.Limit, LimitPeriod: period, Active: true}
			if r.Stock > 0 && center == "" {
				bad = append(bad, RowError{i, FieldStock, fmt.Errorf("stock %d of %s needs the center it is at (--center): %w", r.Stock, r.Name, record.ErrInvalid)})
				continue
			}
			it, known := byName[r.Name]
			if known {
				if it.Price != want.Price || it.LimitCount != want.LimitCount || it.LimitPeriod != want.LimitPeriod {
					bad = append(bad, RowError{i, FieldPrice, fmt.Errorf("item %s is in the catalog already at %d points (limit %d per %q): %w",
						r.Name, it.Price, it.LimitCount, it.LimitPeriod, ErrExists)})
					continue
				}
			} else {
				id, err := newID(func(id int64) (bool, error) {
					for _, x := range byName {
						if int64(x.ID) == id {
							return true, nil
						}
					}
					return false, nil
				})
				if err != nil {
					return err
				}
				want.ID = record.ItemID(id)
				if want.Version, err = tx.NextVersion(); err != nil {
					return err
				}
				if err := tx.PutItem(want); err != nil {
					return fmt.Errorf("import item %s: %w", r.Name, err)
				}
				it, byName[r.Name] = want, want
				res.Items++
			}
			if r.Stock > 0 {
				if _, err := tx.Stock(center, it.ID); err == nil {
					bad = append(bad, RowError{i, FieldStock, fmt.Errorf("center %s has stock of %s already (restock at the kiosk): %w", center, r.Name, ErrExists)})
					continue
				} else if !errors.Is(err, ErrNotFound) {
					return err
				}
				if err := addStock(tx, center, it.ID, r.Stock); err != nil {
					return err
				}
				res.Stock += r.Stock
			}
		}
		if len(bad) > 0 {
			return &ImportError{Rows: bad}
		}
		return nil
	})
	return res, err
}

// Blocked says what BlockCard blocked.
type Blocked struct {
	Card  *Card   // a person's card, now revoked
	Staff []Staff // staff cards, now disabled
}

// BlockCard revokes a card everywhere: a person's card is refused at every
// kiosk after its next pull, a staff card is disabled at every center.
// A card the hub does not know is ErrNotFound.
func (h *Hub) BlockCard(ctx context.Context, uid record.CardUID) (Blocked, error) {
	var out Blocked
	err := h.store.Update(ctx, func(tx Tx) error {
		out = Blocked{}
		c, err := tx.Card(uid)
		switch {
		case err == nil:
			if c.State != hubsync.CardRevoked {
				c.State, c.ChangedBy = hubsync.CardRevoked, ""
				if c.Version, err = tx.NextVersion(); err != nil {
					return err
				}
				if err := tx.PutCard(c); err != nil {
					return err
				}
			}
			out.Card = &c
		case !errors.Is(err, ErrNotFound):
			return err
		}
		staff, err := tx.StaffByCard(uid)
		if err != nil {
			return err
		}
		for _, s := range staff {
			if s.Active {
				s.Active, s.ChangedBy = false, ""
				if s.Version, err = tx.NextVersion(); err != nil {
					return err
				}
				if err := tx.PutStaff(s); err != nil {
					return err
				}
			}
			out.Staff = append(out.Staff, s)
		}
		if out.Card == nil && len(out.Staff) == 0 {
			return fmt.Errorf("card %s is not known at the hub: %w", uid, ErrNotFound)
		}
		return nil
	})
	if err == nil {
		h.log.Info("card blocked", "card", string(uid))
	}
	return out, err
}

// AddStaff is a staff card to add to a center.
type AddStaff struct {
	Center string
	UID    record.CardUID
	Name   string
	Role   string // hubsync.RoleStaff (the default) or hubsync.RoleTechnician
	PIN    string
}

// ValidPIN reports whether pin is MinPINDigits to MaxPINDigits digits.
func ValidPIN(pin string) bool {
	return len(pin) >= MinPINDigits && len(pin) <= MaxPINDigits && strings.Trim(pin, "0123456789") == ""
}

// AddStaff adds a staff card to a center; its PIN is kept only as an
// argon2id hash, which the center's kiosks pull.
func (h *Hub) AddStaff(ctx context.Context, req AddStaff) (Staff, error) {
	if req.Role == "" {
		req.Role = hubsync.RoleStaff
	}
	req.Name = strings.TrimSpace(req.Name)
	switch {
	case req.Role != hubsync.RoleStaff && req.Role != hubsync.RoleTechnician:
		return Staff{}, fmt.Errorf("add staff: role %q: want %s or %s", req.Role, hubsync.RoleStaff, hubsync.RoleTechnician)
	case req.Name == "":
		return Staff{}, errors.New("add staff: a name is required")
	case !ValidPIN(req.PIN):
		return Staff{}, fmt.Errorf("add staff: a PIN is %d to %d digits", MinPINDigits, MaxPINDigits)
	}
	if _, err := record.ParseUID(string(req.UID)); err != nil {
		return Staff{}, fmt.Errorf("add staff: %w", err)
	}
	hash, err := HashPIN(req.PIN, h.opts.PIN)
	if err != nil {
		return Staff{}, err
	}
	s := Staff{Center: req.Center, UID: req.UID, Name: req.Name, Role: req.Role, PINHash: hash, Active: true}
	err = h.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.Center(req.Center); err != nil {
			return fmt.Errorf("add staff: center %s: %w", req.Center, err)
		}
		if err := cardFree(tx, req.UID); err != nil {
			return fmt.Errorf("add staff: %w", err)
		}
		if s.Version, err = tx.NextVersion(); err != nil {
			return err
		}
		return tx.PutStaff(s)
	})
	return s, err
}

// HashPIN is pin's argon2id hash in PHC form, as hubsync.Staff carries it.
func HashPIN(pin string, p PINParams) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pin), salt, p.Time, p.MemoryKiB, p.Threads, 32)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// PINMatches reports whether pin is the one hash was made of.
func PINMatches(pin, hash string) bool {
	p, salt, want, ok := parsePINHash(hash)
	if !ok {
		return false
	}
	got := argon2.IDKey([]byte(pin), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// parsePINHash reads an argon2id hash in PHC form.
func parsePINHash(hash string) (p PINParams, salt, key []byte, ok bool) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, nil, nil, false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) == 0 || p.Time == 0 || p.Threads == 0 {
		return p, nil, nil, false
	}
	return p, salt, key, true
}

// The costs of a PIN hash a kiosk may send for the center's other kiosks
// to check: a kiosk checks a PIN in a few hundred ms with the defaults
// (64 MiB, 3 passes), and one kiosk's hash must not make the others run out
// of memory or time.
const (
	maxPINMemoryKiB = 256 << 10
	maxPINTime      = 16
	maxPINThreads   = 16
)

// usablePINHash reports whether hash is an argon2id hash in PHC form whose
// costs the center's kiosks can afford to check.
func usablePINHash(hash string) bool {
	p, salt, key, ok := parsePINHash(hash)
	return ok && p.MemoryKiB <= maxPINMemoryKiB && p.Time <= maxPINTime && p.Threads <= maxPINThreads &&
		len(salt) >= 8 && len(key) >= 16 && len(key) <= 64
}

// Policy is the district's policy.
func (h *Hub) Policy(ctx context.Context) (record.Policy, error) {
	var p record.Policy
	err := h.store.View(ctx, func(r Reader) (err error) {
		p, _, err = r.Policy()
		return err
	})
	return p, err
}

// SetPolicy replaces the district's policy; every kiosk gets it at its
// next pull.
func (h *Hub) SetPolicy(ctx context.Context, p record.Policy) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return h.store.Update(ctx, func(tx Tx) error {
		v, err := tx.NextVersion()
		if err != nil {
			return err
		}
		return tx.PutPolicy(p, v)
	})
}

// FindPerson finds a person by member number, or by id.
func (h *Hub) FindPerson(ctx context.Context, key string) (Person, error) {
	key = strings.TrimSpace(key)
	var p Person
	err := h.store.View(ctx, func(r Reader) (err error) {
		p, err = r.PersonByMemberNo(strings.ToUpper(key))
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		id, perr := strconv.ParseInt(key, 10, 64)
		if perr != nil {
			return fmt.Errorf("person %s: %w", key, ErrNotFound)
		}
		p, err = r.Person(record.PersonID(id))
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("person %s: %w", key, ErrNotFound)
		}
		return err
	})
	return p, err
}

// MergePerson merges a walk-in into a registered person: an alias from
// the walk-in's id, its balance added to the registration's, its cards the
// registration's, the walk-in flag resolved. The walk-in's entries stay as
// they were written; the hub and the kiosks resolve the alias, so no point
// is lost, now or from entries still to come.
func (h *Hub) MergePerson(ctx context.Context, walkIn, registered record.PersonID, by string) error {
	if walkIn == registered {
		return errors.New("merge: a person cannot be merged into themselves")
	}
	err := h.store.Update(ctx, func(tx Tx) error { return h.merge(tx, walkIn, registered, by) })
	if err == nil {
		h.log.Info("person merged", "from", int64(walkIn), "to", int64(registered))
	}
	return err
}

// merge is MergePerson's change, in tx.
func (h *Hub) merge(tx Tx, walkIn, registered record.PersonID, by string) error {
	w, err := tx.Person(walkIn)
	if err != nil {
		return fmt.Errorf("merge: person %d: %w", walkIn, err)
	}
	if _, err := tx.Person(registered); err != nil {
		return fmt.Errorf("merge: person %d: %w", registered, err)
	}
	for _, id := range []record.PersonID{walkIn, registered} {
		if a, err := tx.Alias(id); err == nil {
			return fmt.Errorf("merge: person %d was merged into %d already: %w", id, a.To, ErrMerged)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	if err := alias(h, tx, walkIn, registered); err != nil {
		return err
	}
	return tx.ResolveFlags(FlagWalkIn, personSubject(w.ID), by, h.now())
}

// KioskStatus is a kiosk as `hubd status` shows it.
type KioskStatus struct {
	Kiosk
	CenterName string
	// Lag is how many entries the kiosk said it holds that the hub does
	// not.
	Lag         uint64
	Fingerprint string
}

// Status is every kiosk's sync state.
func (h *Hub) Status(ctx context.Context) ([]KioskStatus, error) {
	var out []KioskStatus
	err := h.store.View(ctx, func(r Reader) error {
		ks, err := r.Kiosks()
		if err != nil {
			return err
		}
		cs, err := r.Centers()
		if err != nil {
			return err
		}
		names := map[string]string{}
		for _, c := range cs {
			names[c.ID] = c.Name
		}
		for _, k := range ks {
			s := KioskStatus{Kiosk: k, CenterName: names[k.Center], Fingerprint: hubsync.Fingerprint(k.PublicKey)}
			if k.Head.Seq > k.Anchor.Seq {
				s.Lag = k.Head.Seq - k.Anchor.Seq
			}
			out = append(out, s)
		}
		return nil
	})
	return out, err
}
