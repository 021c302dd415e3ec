package hub

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

// change applies one outbox row of the kiosk: a person, a card, an
// activity, a catalog item or a staff card (a row may carry several: each
// is applied, in that order).
func (in *ingest) change(c hubsync.Change) error {
	if c.Person == nil && c.Card == nil && c.Activity == nil && c.Item == nil && c.Staff == nil {
		return fmt.Errorf("push: change %d carries nothing: %w", c.Seq, hubsync.ErrMalformed)
	}
	if c.Person != nil {
		if err := in.person(*c.Person); err != nil {
			return err
		}
	}
	if c.Card != nil {
		if err := in.card(*c.Card); err != nil {
			return err
		}
	}
	if c.Activity != nil {
		if err := in.activity(*c.Activity); err != nil {
			return err
		}
	}
	if c.Item != nil {
		if err := in.item(*c.Item); err != nil {
			return err
		}
	}
	if c.Staff != nil {
		if err := in.staff(*c.Staff); err != nil {
			return err
		}
	}
	return nil
}

// heldRegistry records the registry version a pushing kiosk says it holds
// (never past the hub's, never backwards): its changes were made having
// seen the hub's rows up to it.
func heldRegistry(tx Tx, k *Kiosk, held uint64) error {
	if held <= k.Pulled {
		return nil
	}
	v, err := tx.Version()
	if err != nil {
		return err
	}
	k.Pulled = min(held, v)
	return nil
}

// newer reports whether a row the hub holds was written, by the hub or
// another kiosk, after the version the pushing kiosk last pulled from: the
// kiosk's change to it was made without seeing it, and loses to it.
func (in *ingest) newer(changedBy string, version uint64) bool {
	return changedBy != in.k.Terminal && version > in.k.Pulled
}

// person applies a person a kiosk made or changed. A person the hub does
// not know is matched by member number: the same member number is the
// district's person (an alias); another is a new district person under
// the kiosk's id, flagged when it is a walk-in. A change to a person the
// hub changed since the kiosk last pulled loses to the hub's, flagged.
func (in *ingest) person(p hubsync.Person) error {
	p.MemberNo = strings.ToUpper(strings.TrimSpace(p.MemberNo))
	if p.ID == 0 || p.MemberNo == "" || !p.Kind.Valid() {
		return fmt.Errorf("push: person %d (member number %q, kind %d): %w", p.ID, p.MemberNo, p.Kind, hubsync.ErrMalformed)
	}
	tx, k := in.tx, in.k
	target, err := in.resolve(p.ID)
	if err != nil {
		return err
	}
	cur, err := tx.Person(target)
	if errors.Is(err, ErrNotFound) {
		other, err := tx.PersonByMemberNo(p.MemberNo)
		if err == nil {
			in.aliases[p.ID] = other.ID
			return alias(in.h, tx, p.ID, other.ID)
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		v, err := tx.NextVersion()
		if err != nil {
			return err
		}
		np := Person{ID: p.ID, MemberNo: p.MemberNo, Name: strings.TrimSpace(p.Name), Provisional: p.Provisional,
			Phone: MaskPhone(p.Phone), Community: p.Community, Kind: p.Kind, Center: k.Center, ChangedBy: k.Terminal, Version: v}
		if err := tx.AddPerson(np); err != nil {
			return err
		}
		if np.Provisional {
			return in.h.raise(tx, FlagWalkIn, personSubject(np.ID), fmt.Sprintf(
				"walk-in %d (member number %s) registered at kiosk %s of center %s waits to be merged with a registration: hubd person merge %s MEMBER-NUMBER",
				np.ID, np.MemberNo, k.Terminal, k.Center, np.MemberNo))
		}
		return nil
	}
	if err != nil {
		return err
	}
	if cur.ChangedBy != k.Terminal && cur.Version > k.Pulled {
		return in.h.raise(tx, FlagConflict, personSubject(cur.ID), fmt.Sprintf(
			"kiosk %s changed person %d (%s) to name %q, member number %s, after the hub's change it had not pulled (version %d, it had pulled %d): the hub's is kept",
			k.Terminal, cur.ID, cur.MemberNo, p.Name, p.MemberNo, cur.Version, k.Pulled))
	}
	next := cur
	if name := strings.TrimSpace(p.Name); name != "" {
		next.Name = name
	}
	completed := cur.Provisional && !p.Provisional && next.Name != ""
	if completed {
		next.Provisional = false
	}
	next.Community, next.Kind = p.Community, p.Kind
	if p.Phone != "" && MaskPhone(p.Phone) != MaskPhone(cur.Phone) {
		next.Phone = MaskPhone(p.Phone)
	}
	if p.MemberNo != cur.MemberNo {
		other, err := tx.PersonByMemberNo(p.MemberNo)
		switch {
		case err == nil && other.ID != cur.ID:
			if err := in.h.raise(tx, FlagConflict, personSubject(cur.ID), fmt.Sprintf(
				"kiosk %s gave person %d member number %s, which is person %d's: the member number %s is kept",
				k.Terminal, cur.ID, p.MemberNo, other.ID, cur.MemberNo)); err != nil {
				return err
			}
		case err == nil || errors.Is(err, ErrNotFound):
			next.MemberNo = p.MemberNo
		default:
			return err
		}
	}
	next.ChangedBy = k.Terminal
	if next == withVersionBy(cur, next.ChangedBy) {
		return nil
	}
	if next.Version, err = tx.NextVersion(); err != nil {
		return err
	}
	if err := tx.PutPerson(next); err != nil {
		return err
	}
	if completed {
		return tx.ResolveFlags(FlagWalkIn, personSubject(cur.ID), "kiosk "+k.Terminal, in.now)
	}
	return nil
}

func withVersionBy(p Person, by string) Person {
	p.ChangedBy = by
	return p
}

// card applies a card a kiosk bound, replaced, or reported lost. A block
// (lost, revoked) always applies to the card's holder: a lost card must stop
// everywhere. Anything else the hub changed since the kiosk last pulled
// wins, flagged.
func (in *ingest) card(c hubsync.Card) error {
	switch c.State {
	case hubsync.CardActive, hubsync.CardLost, hubsync.CardRevoked:
	default:
		return fmt.Errorf("push: card %s state %q: %w", c.UID, c.State, hubsync.ErrMalformed)
	}
	if _, err := record.ParseUID(string(c.UID)); err != nil || c.Person == 0 {
		return fmt.Errorf("push: card %q of person %d: %w", c.UID, c.Person, hubsync.ErrMalformed)
	}
	tx, k := in.tx, in.k
	person, err := in.resolve(c.Person)
	if err != nil {
		return err
	}
	// A staff card of a center is not a person's card: a kiosk of that
	// center would be told both, and could apply neither.
	if staff, err := tx.StaffByCard(c.UID); err != nil {
		return err
	} else if len(staff) > 0 {
		return in.h.raise(tx, FlagConflict, string(c.UID), fmt.Sprintf(
			"kiosk %s bound card %s to person %d, but it is a staff card of center %s (%s) at the hub: not applied",
			k.Terminal, c.UID, person, staff[0].Center, staff[0].Name))
	}
	cur, err := tx.Card(c.UID)
	next := Card{UID: c.UID, Person: person, State: c.State, ChangedBy: k.Terminal}
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return err
	case cur.Person == person && cur.State == c.State:
		return nil
	case cur.ChangedBy != k.Terminal && cur.Version > k.Pulled && !(c.State != hubsync.CardActive && cur.Person == person):
		return in.h.raise(tx, FlagConflict, string(c.UID), fmt.Sprintf(
			"kiosk %s set card %s to person %d, %s, after the hub's change it had not pulled (person %d, %s, version %d; it had pulled %d): the hub's is kept",
			k.Terminal, c.UID, person, c.State, cur.Person, cur.State, cur.Version, k.Pulled))
	}
	if next.Version, err = tx.NextVersion(); err != nil {
		return err
	}
	return tx.PutCard(next)
}

// maxRowID is the largest id a kiosk makes: JSON numbers hold it exactly.
const maxRowID = 1<<53 - 1

// activity applies an activity a kiosk made or changed: an activity of the
// kiosk's center under the kiosk's id. A change to one the hub or another
// kiosk changed since the kiosk last pulled loses to it, flagged, as does
// one to another center's activity. A name the center has for another
// activity gets the kiosk's id after it, flagged (the center's staff keep
// one). A station activity is the center's only one: the others stop
// being it, unless one of them became it after the kiosk last pulled.
func (in *ingest) activity(a hubsync.Activity) error {
	tx, k := in.tx, in.k
	name := strings.TrimSpace(a.Name)
	if a.ID <= 0 || a.ID > maxRowID || name == "" || (a.Center != "" && a.Center != k.Center) {
		return fmt.Errorf("push: activity %d (%q) of center %q from a kiosk of center %s: %w", a.ID, a.Name, a.Center, k.Center, hubsync.ErrMalformed)
	}
	if err := a.Schedule.Validate(); err != nil {
		return fmt.Errorf("push: activity %d: %v: %w", a.ID, err, hubsync.ErrMalformed)
	}
	if err := a.Rules.Validate(); err != nil {
		return fmt.Errorf("push: activity %d: %v: %w", a.ID, err, hubsync.ErrMalformed)
	}
	subject := activitySubject(a.ID)
	cur, err := tx.Activity(a.ID)
	found := err == nil
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return err
	case cur.Center != k.Center:
		return in.h.raise(tx, FlagConflict, subject, fmt.Sprintf(
			"kiosk %s of center %s sent activity %d (%s), which is center %s's: not applied", k.Terminal, k.Center, a.ID, name, cur.Center))
	case in.newer(cur.ChangedBy, cur.Version):
		return in.h.raise(tx, FlagConflict, subject, fmt.Sprintf(
			"kiosk %s changed activity %d (%s) to %q after the hub's change it had not pulled (version %d, it had pulled %d): the hub's is kept",
			k.Terminal, cur.ID, cur.Name, name, cur.Version, k.Pulled))
	}
	next := Activity{ID: a.ID, Center: k.Center, Name: name, Schedule: a.Schedule, Rules: a.Rules, Active: a.Active,
		Station: a.Station, ChangedBy: k.Terminal}
	others, err := tx.Activities(k.Center)
	if err != nil {
		return err
	}
	names := map[string]record.ActivityID{}
	for _, o := range others {
		if o.ID != a.ID {
			names[o.Name] = o.ID
		}
	}
	if other, taken := names[next.Name]; taken {
		next.Name = fmt.Sprintf("%s #%d", name, a.ID)
		if _, still := names[next.Name]; still {
			return fmt.Errorf("push: activity %d: the names %q and %q are both taken at center %s", a.ID, name, next.Name, k.Center)
		}
		if err := in.h.raise(tx, FlagConflict, subject+" name", fmt.Sprintf(
			"kiosk %s's activity %d has the name %s of center %s's activity %d: it is kept as %q",
			k.Terminal, a.ID, name, k.Center, other, next.Name)); err != nil {
			return err
		}
	}
	var unset []Activity // the center's other station activities
	if next.Station && next.Active {
		for _, o := range others {
			if o.ID == a.ID || !o.Station || !o.Active {
				continue
			}
			if in.newer(o.ChangedBy, o.Version) {
				next.Station, unset = false, nil
				if err := in.h.raise(tx, FlagConflict, subject+" station", fmt.Sprintf(
					"kiosk %s made activity %d (%s) its station's after activity %d (%s) became center %s's station activity, which it had not pulled (version %d, it had pulled %d): the hub's is kept",
					k.Terminal, a.ID, name, o.ID, o.Name, k.Center, o.Version, k.Pulled)); err != nil {
					return err
				}
				break
			}
			unset = append(unset, o)
		}
	}
	for _, o := range unset {
		o.Station, o.ChangedBy = false, k.Terminal
		if o.Version, err = tx.NextVersion(); err != nil {
			return err
		}
		if err := tx.PutActivity(o); err != nil {
			return err
		}
	}
	if found && sameActivity(cur, next) {
		return nil
	}
	if next.Version, err = tx.NextVersion(); err != nil {
		return err
	}
	return tx.PutActivity(next)
}

// sameActivity reports whether a and b differ in neither content nor state.
func sameActivity(a, b Activity) bool {
	a.ChangedBy, a.Version, b.ChangedBy, b.Version = "", 0, "", 0
	return reflect.DeepEqual(a, b)
}

// activitySubject is an activity's conflict flags' subject; a taken name
// and a station are flagged under it with " name" and " station" after, so
// that one open flag does not hide the other.
func activitySubject(id record.ActivityID) string { return fmt.Sprintf("activity %d", id) }

// item applies a catalog item a kiosk made or changed: it joins the
// district's catalog under the kiosk's id (ids are random: another
// kiosk's cannot be it). A change to an item the hub or another kiosk
// changed since the kiosk last pulled loses to it, flagged. A name the
// catalog has for another item gets the kiosk's id after it, flagged: the
// same goods at two centers that started alone are two items until the
// district keeps one.
func (in *ingest) item(it hubsync.Item) error {
	tx, k := in.tx, in.k
	name := strings.TrimSpace(it.Name)
	if it.ID <= 0 || it.ID > maxRowID || name == "" || it.Price <= 0 || it.LimitCount < 0 || !validPeriod(it.LimitPeriod) ||
		(it.LimitCount > 0 && it.LimitPeriod == hubsync.PeriodNone) {
		return fmt.Errorf("push: item %d (%q, price %d, limit %d per %q): %w", it.ID, it.Name, it.Price, it.LimitCount, it.LimitPeriod, hubsync.ErrMalformed)
	}
	subject := itemSubject(it.ID)
	items, err := tx.Items()
	if err != nil {
		return err
	}
	var cur Item
	var found bool
	names := map[string]record.ItemID{}
	for _, x := range items {
		if x.ID == it.ID {
			cur, found = x, true
		} else {
			names[x.Name] = x.ID
		}
	}
	if found && in.newer(cur.ChangedBy, cur.Version) {
		return in.h.raise(tx, FlagConflict, subject, fmt.Sprintf(
			"kiosk %s changed item %d (%s) to %q at %d points after the hub's change it had not pulled (version %d, it had pulled %d): the hub's is kept",
			k.Terminal, cur.ID, cur.Name, name, it.Price, cur.Version, k.Pulled))
	}
	next := Item{ID: it.ID, Name: name, Price: it.Price, LimitCount: it.LimitCount, LimitPeriod: it.LimitPeriod, Active: it.Active,
		ChangedBy: k.Terminal}
	if other, taken := names[name]; taken {
		next.Name = fmt.Sprintf("%s #%d", name, it.ID)
		if _, still := names[next.Name]; still {
			return fmt.Errorf("push: item %d: the names %q and %q are both taken", it.ID, name, next.Name)
		}
		if err := in.h.raise(tx, FlagConflict, subject+" name", fmt.Sprintf(
			"kiosk %s's item %d has the name %s of the catalog's item %d: it is kept as %q",
			k.Terminal, it.ID, name, other, next.Name)); err != nil {
			return err
		}
	}
	if found && withVersionByItem(cur, next.ChangedBy) == next {
		return nil
	}
	if next.Version, err = tx.NextVersion(); err != nil {
		return err
	}
	return tx.PutItem(next)
}

func withVersionByItem(it Item, by string) Item {
	it.ChangedBy, it.Version = by, 0
	return it
}

func validPeriod(p string) bool {
	switch p {
	case hubsync.PeriodNone, hubsync.PeriodDay, hubsync.PeriodWeek, hubsync.PeriodMonth, hubsync.PeriodYear:
		return true
	}
	return false
}

// itemSubject is as activitySubject.
func itemSubject(id record.ItemID) string { return fmt.Sprintf("item %d", id) }

// staff applies a staff card a kiosk added, disabled or enabled: a staff
// card of the kiosk's center, with the PIN hash the kiosk made. A change
// to a card the hub or another kiosk changed since the kiosk last pulled
// loses to it, flagged; so does a card that is a person's at the hub. The
// PIN hash is in no error, flag or log.
func (in *ingest) staff(s hubsync.Staff) error {
	tx, k := in.tx, in.k
	name := strings.TrimSpace(s.Name)
	uid, err := record.ParseUID(string(s.UID))
	switch {
	case err != nil || uid != s.UID:
		return fmt.Errorf("push: staff card %q: not a normalised card UID: %w", s.UID, hubsync.ErrMalformed)
	case name == "" || (s.Role != hubsync.RoleStaff && s.Role != hubsync.RoleTechnician):
		return fmt.Errorf("push: staff card %s (%q, role %q): a name and a role are required: %w", uid, s.Name, s.Role, hubsync.ErrMalformed)
	case !usablePINHash(s.PINHash):
		return fmt.Errorf("push: staff card %s: its PIN hash is not an argon2id hash in PHC form a kiosk can check: %w", uid, hubsync.ErrMalformed)
	}
	subject := staffSubject(k.Center, uid)
	if c, err := tx.Card(uid); err == nil {
		return in.h.raise(tx, FlagConflict, subject, fmt.Sprintf(
			"kiosk %s made card %s a staff card (%s) of center %s, but it is person %d's card at the hub: not applied",
			k.Terminal, uid, name, k.Center, c.Person))
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	cards, err := tx.StaffByCard(uid)
	if err != nil {
		return err
	}
	var cur Staff
	var found bool
	for _, c := range cards {
		if c.Center == k.Center {
			cur, found = c, true
		}
	}
	if found && in.newer(cur.ChangedBy, cur.Version) {
		return in.h.raise(tx, FlagConflict, subject, fmt.Sprintf(
			"kiosk %s changed staff card %s of center %s (%s, %s, active %t) after the hub's change it had not pulled (version %d, it had pulled %d): the hub's is kept",
			k.Terminal, uid, k.Center, name, s.Role, s.Active, cur.Version, k.Pulled))
	}
	next := Staff{Center: k.Center, UID: uid, Name: name, Role: s.Role, PINHash: s.PINHash, Active: s.Active, ChangedBy: k.Terminal}
	if found {
		same := cur
		same.ChangedBy, same.Version = next.ChangedBy, 0
		if same == next {
			return nil
		}
	}
	if next.Version, err = tx.NextVersion(); err != nil {
		return err
	}
	return tx.PutStaff(next)
}

func staffSubject(center string, uid record.CardUID) string {
	return fmt.Sprintf("staff card %s of %s", uid, center)
}

// alias makes from mean to from now on: the aliases to from move to to,
// from's balance is added to to's, and from's cards become to's. Entries
// keep the id they were written with; the hub resolves it.
func alias(h *Hub, tx Tx, from, to record.PersonID) error {
	if from == to {
		return nil
	}
	if a, err := tx.Alias(to); err == nil {
		to = a.To
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	v, err := tx.NextVersion()
	if err != nil {
		return err
	}
	if err := tx.PutAlias(Alias{From: from, To: to, Version: v}); err != nil {
		return err
	}
	earlier, err := tx.AliasesTo(from)
	if err != nil {
		return err
	}
	for _, a := range earlier {
		a.To = to
		if a.Version, err = tx.NextVersion(); err != nil {
			return err
		}
		if err := tx.PutAlias(a); err != nil {
			return err
		}
	}
	b, err := tx.Balance(from)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return err
	case b.Points != 0 || b.Minutes != 0:
		if err := addBalance(h, tx, to, b.Points, b.Minutes, fmt.Sprintf("after person %d was merged into it", from)); err != nil {
			return err
		}
		if err := addBalance(h, tx, from, -b.Points, -b.Minutes, ""); err != nil {
			return err
		}
	}
	cards, err := tx.CardsOf(from)
	if err != nil {
		return err
	}
	for _, c := range cards {
		c.Person, c.ChangedBy = to, ""
		if c.Version, err = tx.NextVersion(); err != nil {
			return err
		}
		if err := tx.PutCard(c); err != nil {
			return err
		}
	}
	return nil
}

// MaskPhone keeps a phone's first three and last four digits, as kiosks
// show it (138****5678); a masked phone stays as it is.
func MaskPhone(phone string) string {
	digits := strings.Map(func(r rune) rune {
		if unicode.IsDigit(r) || r == '*' {
			return r
		}
		return -1
	}, phone)
	if len(digits) == 13 && strings.HasPrefix(digits, "86") {
		digits = digits[2:]
	}
	if len(digits) <= 7 {
		return digits
	}
	return digits[:3] + strings.Repeat("*", len(digits)-7) + digits[len(digits)-4:]
}
