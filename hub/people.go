package hub

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
	"github.com/hongmajia/hongmajia/roster"
)

// Registration at the hub's web (注册登记): people registered at a
// center's desk, their cards bound, reported lost and replaced, lists
// imported, walk-ins merged. Each change takes a registry version in its
// Update (the kiosks get it at their next pull) and is recorded in the
// audit log by who made it.
//
// People are the district's: a card works at every center. What a user
// may do with a person is decided by the center the person was registered
// at (Person.Center) and the user's Scope:
//
//   - District staff see and change everyone.
//   - A center's staff see and change the people registered at their
//     center. Of a person registered elsewhere (another center, or the
//     district's own imports) they see the masked name (王*), the member
//     number, the kind and where the person is registered: enough to send
//     the volunteer to the right desk, never the phone, the community, the
//     cards or the balance; and they find such a person only by what the
//     person carries (the whole member number, or the card tapped on the
//     desk's reader), never by name or phone. A change to such a person
//     is ErrNotFound, as an id of another center in a URL is.
//
// Phones are shown masked to everyone (138****5678).

// Registration audit actions.
const (
	// AuditPersonRegister: a person registered at a desk. Subject: the
	// member number; Detail: the card bound with it, if any.
	AuditPersonRegister AuditAction = "person-register"
	// AuditCardBind: a card bound to a person. Subject: the member
	// number; Detail: the card.
	AuditCardBind AuditAction = "card-bind"
	// AuditCardLost: a card reported lost. Subject: the member number;
	// Detail: the card.
	AuditCardLost AuditAction = "card-lost"
	// AuditCardReplace: a card replaced by a new one (the old one lost).
	// Subject: the member number; Detail: "OLD → NEW".
	AuditCardReplace AuditAction = "card-replace"
	// AuditPeopleImport: a list of people imported. Subject: how many;
	// Detail: the member numbers of the first and last.
	AuditPeopleImport AuditAction = "people-import"
	// AuditPersonMerge: a walk-in merged into a registration. Subject: the
	// walk-in's member number; Detail: the registration's.
	AuditPersonMerge AuditAction = "person-merge"
)

// Fields of a registration (beside the import's).
const (
	FieldPhone     Field = "phone"
	FieldKind      Field = "kind"
	FieldCommunity Field = "community"
	FieldCenter    Field = "center"
)

// Errors of registration.
var (
	// ErrHasCard: the person holds a card in use; replace it instead.
	ErrHasCard = errors.New("hub: the person has a card in use")
	// ErrNotWalkIn: a merge of a person who is not a walk-in, or into
	// one who is.
	ErrNotWalkIn = errors.New("hub: not a walk-in")
	// ErrMerged: the person was merged into another; change that one.
	ErrMerged = errors.New("hub: merged into another person")
)

// FieldError is a change refused for one of its fields: Field says which,
// Err why (ErrExists: a member number or card held already; ErrHasCard;
// record.ErrBadUID; record.ErrInvalid for a value the rules refuse).
type FieldError struct {
	Field Field
	Err   error
}

func (e *FieldError) Error() string { return fmt.Sprintf("hub: %s: %v", e.Field, e.Err) }
func (e *FieldError) Unwrap() error { return e.Err }

// Registration is a person to register at a desk.
type Registration struct {
	// Center is where: a center the scope sees; "" registers the person
	// as the district's (district staff only).
	Center string
	// Person as roster.CheckPerson read the desk's form (Line unused).
	roster.Person
}

// rosterFields maps roster's column keys to the fields of a registration.
var rosterFields = map[string]Field{
	roster.ColName: FieldName, roster.ColMemberNo: FieldMemberNo, roster.ColKind: FieldKind,
	roster.ColPhone: FieldPhone, roster.ColCommunity: FieldCommunity, roster.ColCard: FieldCard,
}

// checkPerson checks p by the roster's rules again: the hub keeps them
// whoever calls it.
func checkPerson(p roster.Person) error {
	kind := ""
	if p.Kind.Valid() {
		kind = p.Kind.String()
	}
	got, problems := roster.CheckPerson(roster.PersonFields{Name: p.Name, MemberNo: p.MemberNo, Kind: kind, Phone: p.Phone,
		Community: p.Community, Card: string(p.Card)})
	if len(problems) > 0 {
		pr := problems[0]
		return &FieldError{Field: rosterFields[pr.Column], Err: fmt.Errorf("%s: %w", pr.Reason, record.ErrInvalid)}
	}
	if got.Name != p.Name || got.MemberNo != p.MemberNo || got.Phone != p.Phone || got.Community != p.Community || got.Card != p.Card {
		return fmt.Errorf("hub: person %s not as roster.CheckPerson reads it: %w", p.MemberNo, record.ErrInvalid)
	}
	return nil
}

// centerIn checks that center is one the scope may register at: a center
// of the hub it sees, or "" for the district's scope.
func centerIn(r Reader, scope Scope, center string) error {
	if err := scope.Check(center); err != nil {
		return &FieldError{Field: FieldCenter, Err: err}
	}
	if center == "" {
		return nil
	}
	if _, err := r.Center(center); err != nil {
		return &FieldError{Field: FieldCenter, Err: err}
	}
	return nil
}

// RegisterPerson registers a person at reg.Center, with their card when
// one is given: both reach every kiosk at its next pull.
func (h *Hub) RegisterPerson(ctx context.Context, scope Scope, by Actor, reg Registration) (Person, error) {
	if err := checkPerson(reg.Person); err != nil {
		return Person{}, fmt.Errorf("register: %w", err)
	}
	var p Person
	err := h.store.Update(ctx, func(tx Tx) error {
		if err := centerIn(tx, scope, reg.Center); err != nil {
			return err
		}
		if _, err := tx.PersonByMemberNo(reg.MemberNo); err == nil {
			return &FieldError{Field: FieldMemberNo, Err: fmt.Errorf("member number %s: %w", reg.MemberNo, ErrExists)}
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if reg.Card != "" {
			if err := cardFree(tx, reg.Card); err != nil {
				if errors.Is(err, ErrExists) {
					return &FieldError{Field: FieldCard, Err: err}
				}
				return err
			}
		}
		id, err := newID(func(id int64) (bool, error) {
			_, err := tx.Person(record.PersonID(id))
			return notFound(err)
		})
		if err != nil {
			return err
		}
		p = Person{ID: record.PersonID(id), MemberNo: reg.MemberNo, Name: reg.Name, Phone: reg.Phone, Community: reg.Community,
			Kind: reg.Kind, Center: reg.Center}
		if p.Version, err = tx.NextVersion(); err != nil {
			return err
		}
		if err := tx.AddPerson(p); err != nil {
			return fmt.Errorf("register %s: %w", p.MemberNo, err)
		}
		if reg.Card != "" {
			c := Card{UID: reg.Card, Person: p.ID, State: hubsync.CardActive}
			if c.Version, err = tx.NextVersion(); err != nil {
				return err
			}
			if err := tx.PutCard(c); err != nil {
				return err
			}
		}
		return h.audit(tx, by, AuditPersonRegister, p.Center, p.MemberNo, string(reg.Card))
	})
	if err != nil {
		return Person{}, err
	}
	return p, nil
}

// personIn is the person of id when scope may change them: ErrNotFound
// when there is none or the scope does not reach their center, ErrMerged
// when they were merged into another.
func personIn(r Reader, scope Scope, id record.PersonID) (Person, error) {
	p, err := r.Person(id)
	if err != nil {
		return Person{}, err
	}
	if err := scope.Check(p.Center); err != nil {
		return Person{}, fmt.Errorf("person %d: %w", id, ErrNotFound)
	}
	if a, err := r.Alias(id); err == nil {
		return Person{}, fmt.Errorf("person %d was merged into %d: %w", id, a.To, ErrMerged)
	} else if !errors.Is(err, ErrNotFound) {
		return Person{}, err
	}
	return p, nil
}

// cardOf is person's card uid: ErrNotFound when the person has no such
// card.
func cardOf(r Reader, person record.PersonID, uid record.CardUID) (Card, error) {
	c, err := r.Card(uid)
	if err != nil {
		return Card{}, err
	}
	if c.Person != person {
		return Card{}, fmt.Errorf("card %s of person %d: %w", uid, person, ErrNotFound)
	}
	return c, nil
}

// hasActiveCard reports whether person holds a card in use.
func hasActiveCard(r Reader, person record.PersonID) (bool, error) {
	cs, err := r.CardsOf(person)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(cs, func(c Card) bool { return c.State == hubsync.CardActive }), nil
}

// bindFree checks that uid can be bound: ErrExists (as a FieldError) when
// a person or a staff card holds it.
func bindFree(r Reader, uid record.CardUID) error {
	if _, err := record.ParseUID(string(uid)); err != nil || strings.ToUpper(string(uid)) != string(uid) {
		return &FieldError{Field: FieldCard, Err: fmt.Errorf("card %q: %w", uid, record.ErrBadUID)}
	}
	if err := cardFree(r, uid); err != nil {
		if errors.Is(err, ErrExists) {
			return &FieldError{Field: FieldCard, Err: err}
		}
		return err
	}
	return nil
}

// BindCard binds a new card to a person who holds none in use (ErrHasCard:
// replace it instead).
func (h *Hub) BindCard(ctx context.Context, scope Scope, by Actor, person record.PersonID, uid record.CardUID) (Card, error) {
	var c Card
	err := h.store.Update(ctx, func(tx Tx) error {
		p, err := personIn(tx, scope, person)
		if err != nil {
			return err
		}
		if err := bindFree(tx, uid); err != nil {
			return err
		}
		if has, err := hasActiveCard(tx, p.ID); err != nil {
			return err
		} else if has {
			return &FieldError{Field: FieldCard, Err: fmt.Errorf("person %s: %w", p.MemberNo, ErrHasCard)}
		}
		c = Card{UID: uid, Person: p.ID, State: hubsync.CardActive}
		if c.Version, err = tx.NextVersion(); err != nil {
			return err
		}
		if err := tx.PutCard(c); err != nil {
			return err
		}
		return h.audit(tx, by, AuditCardBind, p.Center, p.MemberNo, string(uid))
	})
	return c, err
}

// ReportCardLost marks person's card lost: every kiosk refuses it after
// its next pull. A card not in use stays as it is, and nothing is
// recorded.
func (h *Hub) ReportCardLost(ctx context.Context, scope Scope, by Actor, person record.PersonID, uid record.CardUID) (Card, error) {
	var c Card
	err := h.store.Update(ctx, func(tx Tx) error {
		p, err := personIn(tx, scope, person)
		if err != nil {
			return err
		}
		if c, err = cardOf(tx, p.ID, uid); err != nil {
			return err
		}
		if c.State != hubsync.CardActive {
			return nil
		}
		c.State, c.ChangedBy = hubsync.CardLost, ""
		if c.Version, err = tx.NextVersion(); err != nil {
			return err
		}
		if err := tx.PutCard(c); err != nil {
			return err
		}
		return h.audit(tx, by, AuditCardLost, p.Center, p.MemberNo, string(uid))
	})
	return c, err
}

// ReplaceCard gives person a new card in place of old (补卡): old, when
// still in use, is lost from now on, as a kiosk's replacement does.
func (h *Hub) ReplaceCard(ctx context.Context, scope Scope, by Actor, person record.PersonID, old, uid record.CardUID) (Card, error) {
	var c Card
	err := h.store.Update(ctx, func(tx Tx) error {
		p, err := personIn(tx, scope, person)
		if err != nil {
			return err
		}
		prev, err := cardOf(tx, p.ID, old)
		if err != nil {
			return err
		}
		if err := bindFree(tx, uid); err != nil {
			return err
		}
		if prev.State == hubsync.CardActive {
			prev.State, prev.ChangedBy = hubsync.CardLost, ""
			if prev.Version, err = tx.NextVersion(); err != nil {
				return err
			}
			if err := tx.PutCard(prev); err != nil {
				return err
			}
		}
		c = Card{UID: uid, Person: p.ID, State: hubsync.CardActive}
		if c.Version, err = tx.NextVersion(); err != nil {
			return err
		}
		if err := tx.PutCard(c); err != nil {
			return err
		}
		return h.audit(tx, by, AuditCardReplace, p.Center, p.MemberNo, string(old)+" → "+string(uid))
	})
	return c, err
}

// PersonView is a person as a scope sees them (see the top of this file).
type PersonView struct {
	// Person: its Phone masked; when not Full, its Name masked and its
	// Phone and Community empty.
	Person
	// Full: the scope reaches the person's center, and may change them.
	Full bool
	// CenterName is the name of the center the person was registered at;
	// "" for the district's.
	CenterName string
	// Cards (by UID) and Balance: when Full only.
	Cards   []Card
	Balance Balance
	// MergedInto is the person this one was merged into; 0 when not.
	MergedInto record.PersonID
}

// view is p as scope sees them; cards and balance are read when full.
func view(r Reader, scope Scope, p Person, names map[string]string) (PersonView, error) {
	v := PersonView{Person: p, Full: scope.Sees(p.Center), CenterName: names[p.Center]}
	v.Phone = MaskPhone(p.Phone)
	if a, err := r.Alias(p.ID); err == nil {
		v.MergedInto = a.To
	} else if !errors.Is(err, ErrNotFound) {
		return PersonView{}, err
	}
	if !v.Full {
		v.Name, v.Phone, v.Community = MaskName(p.Name), "", ""
		return v, nil
	}
	var err error
	if v.Cards, err = r.CardsOf(p.ID); err != nil {
		return PersonView{}, err
	}
	if v.Balance, err = r.Balance(p.ID); errors.Is(err, ErrNotFound) {
		v.Balance, err = Balance{Person: p.ID}, nil
	}
	return v, err
}

func centerNames(r Reader) (map[string]string, error) {
	cs, err := r.Centers()
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, c := range cs {
		names[c.ID] = c.Name
	}
	return names, nil
}

// ViewPerson is the person of id as scope sees them: the district's
// people are everyone's to look up (a card works everywhere), masked
// outside the scope.
func (h *Hub) ViewPerson(ctx context.Context, scope Scope, id record.PersonID) (PersonView, error) {
	var v PersonView
	err := h.store.View(ctx, func(r Reader) error {
		p, err := r.Person(id)
		if err != nil {
			return err
		}
		names, err := centerNames(r)
		if err != nil {
			return err
		}
		v, err = view(r, scope, p, names)
		return err
	})
	return v, err
}

// MaxResults is the most people a search shows.
const MaxResults = 50

// maxSearchText bounds what a search looks for.
const maxSearchText = 64

// SearchPeople finds people by what the desk types or its reader taps: a
// name (or part of it), a member number (or its start), the last four
// digits of a phone, or a card (hex or a wedge reader's decimal). Outside
// the scope only the whole member number or the card finds a person. The
// people merged into others are left out; more reports that there were
// more than MaxResults.
func (h *Hub) SearchPeople(ctx context.Context, scope Scope, text string) (views []PersonView, more bool, err error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, false, nil
	}
	text = truncate(text, maxSearchText)
	upper := strings.ToUpper(text)
	q := PeopleQuery{Center: scope.Center(), Name: text, Limit: MaxResults + 1}
	if strings.IndexFunc(upper, func(r rune) bool { return notMemberRune(r) }) < 0 {
		q.MemberNo = upper
	}
	if len(text) == 4 && strings.Trim(text, "0123456789") == "" {
		q.PhoneEnd = text
	}
	uid, uidErr := record.ParseUID(text)
	err = h.store.View(ctx, func(r Reader) error {
		var found []Person
		seen := map[record.PersonID]bool{}
		add := func(p Person) {
			if !seen[p.ID] {
				seen[p.ID] = true
				found = append(found, p)
			}
		}
		if uidErr == nil {
			if c, err := r.Card(uid); err == nil {
				p, err := r.Person(c.Person)
				if err != nil {
					return err
				}
				add(p)
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		if p, err := r.PersonByMemberNo(upper); err == nil {
			add(p)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if scope.District() || scope.Center() != "" {
			ps, err := r.SearchPeople(q)
			if err != nil {
				return err
			}
			for _, p := range ps {
				add(p)
			}
		}
		ids := make([]record.PersonID, len(found))
		for i, p := range found {
			ids[i] = p.ID
		}
		merged, err := r.Aliases(ids)
		if err != nil {
			return err
		}
		gone := map[record.PersonID]bool{}
		for _, a := range merged {
			gone[a.From] = true
		}
		names, err := centerNames(r)
		if err != nil {
			return err
		}
		for _, p := range found {
			if gone[p.ID] {
				continue
			}
			if len(views) == MaxResults {
				more = true
				break
			}
			v, err := view(r, scope, p, names)
			if err != nil {
				return err
			}
			views = append(views, v)
		}
		return nil
	})
	return views, more, err
}

// notMemberRune: a rune no member number holds (roster's rule).
func notMemberRune(r rune) bool {
	return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
}

// MaskName hides a name's middle (张三明 → 张*明, 王堃 → 王*), as the
// kiosks' honour roll does; a name in Latin letters keeps each word's
// first letter.
func MaskName(name string) string {
	name = strings.TrimSpace(name)
	if strings.ContainsFunc(name, unicode.IsSpace) {
		words := strings.Fields(name)
		for i, w := range words {
			r, n := utf8.DecodeRuneInString(w)
			words[i] = string(r) + strings.Repeat("*", utf8.RuneCountInString(w[n:]))
		}
		return strings.Join(words, " ")
	}
	r := []rune(name)
	switch len(r) {
	case 0, 1:
		return name
	case 2:
		return string(r[0]) + "*"
	}
	return string(r[0]) + strings.Repeat("*", len(r)-2) + string(r[len(r)-1])
}

// ImportPeopleAt imports a list of people at center (as ImportPeople
// does, all or none; "" for the district's, district staff only),
// recorded as by's. dry checks and writes nothing.
func (h *Hub) ImportPeopleAt(ctx context.Context, scope Scope, by Actor, center string, rows []roster.Person, dry bool) (ImportResult, error) {
	for i, p := range rows {
		if err := checkPerson(p); err != nil {
			var fe *FieldError
			if errors.As(err, &fe) {
				return ImportResult{}, &ImportError{Rows: []RowError{{Row: i, Field: fe.Field, Err: fe.Err}}}
			}
			return ImportResult{}, err
		}
	}
	var res ImportResult
	err := h.update(ctx, dry, func(tx Tx) error {
		if err := centerIn(tx, scope, center); err != nil {
			return err
		}
		var err error
		if res, err = importPeople(tx, center, rows); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		return h.audit(tx, by, AuditPeopleImport, center, fmt.Sprint(len(rows)), rows[0].MemberNo+" … "+rows[len(rows)-1].MemberNo)
	})
	return res, err
}

// WalkIns are the walk-ins waiting to be merged (their flag open) whose
// kiosk's center the scope sees, in the order they came.
func (h *Hub) WalkIns(ctx context.Context, scope Scope) ([]PersonView, error) {
	var out []PersonView
	err := h.store.View(ctx, func(r Reader) error {
		fs, err := r.Flags(true)
		if err != nil {
			return err
		}
		names, err := centerNames(r)
		if err != nil {
			return err
		}
		for _, f := range fs {
			if f.Kind != FlagWalkIn {
				continue
			}
			var id int64
			if _, err := fmt.Sscan(f.Subject, &id); err != nil {
				continue
			}
			p, err := r.Person(record.PersonID(id))
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if !scope.Sees(p.Center) {
				continue
			}
			v, err := view(r, scope, p, names)
			if err != nil {
				return err
			}
			if v.MergedInto == 0 {
				out = append(out, v)
			}
		}
		return nil
	})
	return out, err
}

// MergeWalkIn merges a walk-in a kiosk made into a registration (see
// MergePerson), recorded as by's: both must be people the scope may
// change, the walk-in still a walk-in and the registration none.
func (h *Hub) MergeWalkIn(ctx context.Context, scope Scope, by Actor, walkIn, registered record.PersonID) error {
	if walkIn == registered {
		return errors.New("merge: a person cannot be merged into themselves")
	}
	err := h.store.Update(ctx, func(tx Tx) error {
		w, err := personIn(tx, scope, walkIn)
		if err != nil {
			return err
		}
		reg, err := personIn(tx, scope, registered)
		if err != nil {
			return err
		}
		if !w.Provisional {
			return fmt.Errorf("merge: person %s: %w", w.MemberNo, ErrNotWalkIn)
		}
		if reg.Provisional {
			return fmt.Errorf("merge into %s, a walk-in too: %w", reg.MemberNo, ErrNotWalkIn)
		}
		if err := h.merge(tx, w.ID, reg.ID, by.User); err != nil {
			return err
		}
		return h.audit(tx, by, AuditPersonMerge, reg.Center, w.MemberNo, reg.MemberNo)
	})
	if err == nil {
		h.log.Info("person merged", "from", int64(walkIn), "to", int64(registered), "by", by.User)
	}
	return err
}
