package pgstore

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/record"
)

// ---- the service record: a person's entries, ID documents, certificates

func (t *tx) PersonEntries(persons []record.PersonID) ([]hub.StoredEntry, error) {
	ids := make([]int64, 0, len(persons))
	for _, p := range persons {
		if p != 0 {
			ids = append(ids, int64(p))
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := t.query("SELECT "+entryColumns+" FROM entries WHERE person = ANY(?) AND person != 0 ORDER BY at_hub, terminal, seq", ids)
	if err != nil {
		return nil, fmt.Errorf("pgstore: person entries: %w", err)
	}
	return collect(t, rows, scanEntry)
}

// findPeopleQuery: ?1 the text as a member number, ?2 a LIKE pattern of
// the name, ?3 a person id (-1 none), ?4 the text as a card UID, ?5 the
// center (empty: any), ?6 the limit. A merged id is left out; a person who
// served at the center under a merged id is found.
const findPeopleQuery = `SELECT ` + personColumns + ` FROM people p
	WHERE p.id NOT IN (SELECT from_id FROM aliases)
	AND (p.member_no = ?1 OR p.name ILIKE ?2 ESCAPE '\' OR p.id = ?3 OR p.id IN (SELECT person FROM cards WHERE uid = ?4))
	AND (?5::text = '' OR EXISTS (SELECT 1 FROM entries e WHERE e.center = ?5 AND e.person != 0
		AND e.person IN (SELECT p.id UNION ALL SELECT from_id FROM aliases WHERE to_id = p.id)))
	ORDER BY p.name, p.id LIMIT ?6`

func (t *tx) FindPeople(q hub.FindQuery) ([]hub.Person, error) {
	text := strings.TrimSpace(q.Text)
	if text == "" {
		return nil, nil
	}
	limit := q.Limit
	if limit <= 0 || limit > hub.MaxPeopleFound {
		limit = hub.MaxPeopleFound
	}
	uid := strings.ToUpper(text)
	if u, err := record.ParseUID(text); err == nil {
		uid = string(u)
	}
	id, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		id = -1
	}
	like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(text) + "%"
	rows, err := t.query(findPeopleQuery, strings.ToUpper(text), like, id, uid, q.Center, limit)
	if err != nil {
		return nil, fmt.Errorf("pgstore: find people: %w", err)
	}
	return collect(t, rows, scanPerson)
}

func (t *tx) SealedID(person record.PersonID) (hub.SealedID, error) {
	s := hub.SealedID{Person: person}
	var typ string
	var changed int64
	err := t.row("SELECT id_type, sealed, changed_at, changed_by FROM person_ids WHERE person = ?", int64(person)).
		Scan(&typ, &s.Sealed, &changed, &s.ChangedBy)
	s.Type, s.Changed = hub.IDType(typ), fromNano(changed)
	return s, notFound(err, "ID document of person %d", person)
}

func (t *tx) PutSealedID(s hub.SealedID) error {
	_, err := t.exec(`INSERT INTO person_ids(person, id_type, sealed, changed_at, changed_by) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(person) DO UPDATE SET id_type = excluded.id_type, sealed = excluded.sealed, changed_at = excluded.changed_at,
		changed_by = excluded.changed_by`, int64(s.Person), string(s.Type), blob(s.Sealed), nano(s.Changed), s.ChangedBy)
	if err != nil {
		return fmt.Errorf("pgstore: put ID document of person %d: %w", s.Person, err)
	}
	return nil
}

func (t *tx) DeleteSealedID(person record.PersonID) error {
	if _, err := t.exec("DELETE FROM person_ids WHERE person = ?", int64(person)); err != nil {
		return fmt.Errorf("pgstore: delete ID document of person %d: %w", person, err)
	}
	return nil
}

func (t *tx) CertIssuer(center string) (hub.CertIssuer, error) {
	c := hub.CertIssuer{Center: center}
	var changed int64
	err := t.row("SELECT name, head, contact, changed_at, changed_by FROM cert_issuers WHERE center = ?", center).
		Scan(&c.Name, &c.Head, &c.Contact, &changed, &c.ChangedBy)
	c.Changed = fromNano(changed)
	return c, notFound(err, "certificate issuer %q", center)
}

func (t *tx) PutCertIssuer(c hub.CertIssuer) error {
	_, err := t.exec(`INSERT INTO cert_issuers(center, name, head, contact, changed_at, changed_by) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(center) DO UPDATE SET name = excluded.name, head = excluded.head, contact = excluded.contact,
		changed_at = excluded.changed_at, changed_by = excluded.changed_by`,
		c.Center, c.Name, c.Head, c.Contact, nano(c.Changed), c.ChangedBy)
	if err != nil {
		return fmt.Errorf("pgstore: put certificate issuer %q: %w", c.Center, err)
	}
	return nil
}

const certificateColumns = `id, number, year, seq, issuer, issuer_name, head, contact, person, name, member_no, id_type, id_sealed,
	period_from, period_to, minutes, shifts, activities, content, issued_by, issued_at`

func scanCertificate(s scanner) (hub.Certificate, error) {
	var c hub.Certificate
	var person, from, to, issued int64
	var typ, activities string
	err := s.Scan(&c.ID, &c.Number, &c.Year, &c.Seq, &c.Issuer, &c.IssuerName, &c.Head, &c.Contact, &person, &c.Name, &c.MemberNo,
		&typ, &c.SealedID, &from, &to, &c.Minutes, &c.Shifts, &activities, &c.Content, &c.IssuedBy, &issued)
	if err != nil {
		return c, err
	}
	c.Person, c.IDType = record.PersonID(person), hub.IDType(typ)
	c.From, c.To, c.IssuedAt = fromNano(from), fromNano(to), fromNano(issued)
	if err := json.Unmarshal([]byte(activities), &c.Activities); err != nil {
		return c, fmt.Errorf("certificate %s: activities: %w", c.Number, err)
	}
	return c, nil
}

func (t *tx) Certificate(number string) (hub.Certificate, error) {
	c, err := scanCertificate(t.row("SELECT "+certificateColumns+" FROM certificates WHERE number = ?", number))
	return c, notFound(err, "certificate %s", number)
}

func (t *tx) Certificates(q hub.CertificateQuery) ([]hub.Certificate, error) {
	before := q.Before
	if before <= 0 {
		before = 1<<63 - 1
	}
	limit := q.Limit
	if limit <= 0 || limit > hub.MaxCertificatePage {
		limit = hub.MaxCertificatePage
	}
	rows, err := t.query("SELECT "+certificateColumns+` FROM certificates
		WHERE id < ? AND (?::boolean OR issuer = ?) AND (?::bigint = 0 OR person = ?) ORDER BY id DESC LIMIT ?`,
		before, q.AnyIssuer, q.Issuer, int64(q.Person), int64(q.Person), limit)
	if err != nil {
		return nil, fmt.Errorf("pgstore: certificates: %w", err)
	}
	return collect(t, rows, scanCertificate)
}

func (t *tx) LastCertificateSeq(year int) (int, error) {
	var seq int
	if err := t.row("SELECT coalesce(max(seq), 0) FROM certificates WHERE year = ?", year).Scan(&seq); err != nil {
		return 0, fmt.Errorf("pgstore: last certificate of %d: %w", year, err)
	}
	return seq, nil
}

func (t *tx) AddCertificate(c hub.Certificate) error {
	activities, err := json.Marshal(c.Activities)
	if err != nil {
		return fmt.Errorf("pgstore: certificate %s: %w", c.Number, err)
	}
	if c.Activities == nil {
		activities = []byte("[]")
	}
	// The register's id from counters 'certificates': above every id
	// committed before it.
	id, err := t.nextID("certificates")
	if err != nil {
		return err
	}
	_, err = t.exec(`INSERT INTO certificates(`+certificateColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, c.Number, c.Year, c.Seq, c.Issuer, c.IssuerName, c.Head, c.Contact, int64(c.Person), c.Name, c.MemberNo,
		string(c.IDType), blob(c.SealedID), nano(c.From), nano(c.To), c.Minutes, c.Shifts, string(activities), c.Content,
		c.IssuedBy, nano(c.IssuedAt))
	return exists(err, "certificate %s", c.Number)
}
