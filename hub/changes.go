package hub

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

// change applies one outbox row of the kiosk: a person, a card, or both.
func (in *ingest) change(c hubsync.Change) error {
	if c.Person == nil && c.Card == nil {
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
	return nil
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
			Phone: MaskPhone(p.Phone), Community: p.Community, Kind: p.Kind, ChangedBy: k.Terminal, Version: v}
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
