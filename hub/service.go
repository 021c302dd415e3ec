package hub

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hongmajia/hongmajia/record"
)

// The record of service (志愿服务记录): every shift a person served, as the
// kiosks pushed it (a check-in and its check-out, at their hub times, so
// corrected where a kiosk's clock was not trusted), the staff corrections
// of their minutes, and the certificates of service hours (志愿服务记录证明)
// the centers issue from it, each numbered and kept in a register.

// serviceZone is the zone a shift's day is counted in: the centers', as
// on the kiosks' screens.
var serviceZone = time.FixedZone("CST", 8*3600)

// RowKind says what a row of a service record is.
type RowKind uint8

// Row kinds.
const (
	// RowShift: a shift, its check-in and check-out.
	RowShift RowKind = iota + 1
	// RowAdjust: a staff correction of minutes or points (调整).
	RowAdjust
)

// RowState says whether a row's minutes and points count.
type RowState uint8

// Row states.
const (
	// StateClosed: checked out and credited (an adjustment: made).
	StateClosed RowState = iota + 1
	// StateOpen: checked in, and no check-out at the hub (yet).
	StateOpen
	// StateReversed: its credit undone by a reversal (冲正).
	StateReversed
)

// ServiceRow is a row of a person's service record.
type ServiceRow struct {
	Kind  RowKind
	State RowState
	// Shift is a shift's id (its check-in entry's), an adjustment's own
	// entry id.
	Shift    record.EntryID
	Center   string
	Terminal string
	Activity record.ActivityID
	// ActivityName is "" for an adjustment, or an activity the hub does
	// not know.
	ActivityName string
	// In and Out are the check-in's and the check-out's hub times
	// (StoredEntry.HubTime); zero when the hub holds none. An
	// adjustment's time is In.
	In, Out time.Time
	// InCorrected and OutCorrected: the hub corrected In or Out (the
	// kiosk's clock was not trusted when it wrote that entry); each on its
	// own, since a kiosk's clock may be set between the two.
	InCorrected, OutCorrected bool
	// Minutes and Points are what the row credited; they count only when
	// its State is StateClosed.
	Minutes, Points int64
	// Reason is an adjustment's reason, or its reversal's.
	Reason string
}

// At is the row's time: its check-in, or its check-out when the hub holds
// no check-in.
func (r ServiceRow) At() time.Time {
	if r.In.IsZero() {
		return r.Out
	}
	return r.In
}

// Counts reports whether the row's minutes and points count.
func (r ServiceRow) Counts() bool { return r.State == StateClosed }

// ActivityTotal is the service of one activity in a record or on a
// certificate: Activity 0 and Name "" for the adjustments.
type ActivityTotal struct {
	Activity record.ActivityID `json:"activity"`
	Name     string            `json:"name"`
	Shifts   int               `json:"shifts"`
	Minutes  int64             `json:"minutes"`
}

// IDSummary is what a record shows of a person's ID document: its type
// and the number masked.
type IDSummary struct {
	Type      IDType
	Masked    string
	Changed   time.Time
	ChangedBy string
}

// ServiceRecord is a person's record of service as a scope sees it.
type ServiceRecord struct {
	Person Person
	// ID is the person's ID document, masked; nil when none is kept.
	ID *IDSummary
	// Rows are the rows in the scope and the period, newest first.
	Rows []ServiceRow
	// Shifts, Minutes and Points are the rows' that count.
	Shifts          int
	Minutes, Points int64
	// Activities are the counted minutes by activity, most first.
	Activities []ActivityTotal
	// First and Last are the times of the first and the last row that
	// counts; zero when none does.
	First, Last time.Time
	// Years are the years with a row in the scope (any period), newest
	// first.
	Years []int
}

// RecordQuery selects the period of a record: rows whose At is in [From,
// To); a zero end is open.
type RecordQuery struct {
	From, To time.Time
}

func (q RecordQuery) holds(t time.Time) bool {
	return (q.From.IsZero() || !t.Before(q.From)) && (q.To.IsZero() || t.Before(q.To))
}

// FindQuery is what FindPeople looks for.
type FindQuery struct {
	// Text is a member number, a card UID, a person id, or part of a
	// name.
	Text string
	// Center: only people with an entry at this center ("" any).
	Center string
	// Limit: at most this many (1 to MaxPeopleFound).
	Limit int
}

// MaxPeopleFound is the most people one search returns.
const MaxPeopleFound = 100

// CertIssuer is what a certificate says of who issued it: a center, or
// the district office (Center "").
type CertIssuer struct {
	Center string
	// Name is the issuing organisation as printed (出具单位).
	Name string
	// Head is its person in charge (负责人).
	Head string
	// Contact is a telephone to check the certificate with (联系电话).
	Contact   string
	Changed   time.Time
	ChangedBy string
}

// Complete reports whether a certificate can name everything the rules
// ask of its issuer.
func (c CertIssuer) Complete() bool { return c.Name != "" && c.Head != "" && c.Contact != "" }

// Certificate is a certificate of service hours (志愿服务记录证明) as the
// register keeps it: everything it said when issued, so a copy printed
// later is the same.
type Certificate struct {
	// ID is the register's row: higher for a later certificate.
	ID int64
	// Number is the year of issue and its sequence in that year:
	// 2026-000001.
	Number    string
	Year, Seq int
	// Issuer is the issuing center, "" the district office; IssuerName,
	// Head and Contact are its CertIssuer's when issued.
	Issuer                    string
	IssuerName, Head, Contact string
	Person                    record.PersonID
	Name, MemberNo            string
	// IDType and SealedID are the person's ID document when issued, its
	// number sealed to this certificate.
	IDType   IDType
	SealedID []byte
	// From and To are the first and the last service it counts.
	From, To   time.Time
	Minutes    int64
	Shifts     int
	Activities []ActivityTotal
	// Content is what was done, in the issuer's words ("" for the
	// activities' names).
	Content  string
	IssuedBy string
	IssuedAt time.Time
}

// CertificateQuery selects a page of the register.
type CertificateQuery struct {
	// AnyIssuer: every issuer's; otherwise Issuer's only.
	AnyIssuer bool
	Issuer    string
	// Person: only this person's (0 any).
	Person record.PersonID
	// Before: certificates with an ID below it (0 the newest).
	Before int64
	// Limit: at most this many (1 to MaxCertificatePage).
	Limit int
}

// MaxCertificatePage is the most certificates one read of the register
// returns.
const MaxCertificatePage = 200

// Lengths of what people type for a certificate: a certificate with
// every field this long still prints on one A4 page (hub/web's browser
// tests print one).
const (
	MaxIssuerName   = 50 // characters
	MaxIssuerField  = 30
	MaxCertContent  = 150
	MaxIDNumberText = 40 // bytes, as typed
)

// Errors of the record and its certificates.
var (
	// ErrNoIDDocument: a certificate needs the person's ID document.
	ErrNoIDDocument = errors.New("hub: the person has no ID document")
	// ErrIssuerIncomplete: the issuer's name, person in charge or contact
	// is missing.
	ErrIssuerIncomplete = errors.New("hub: the issuer's name, person in charge or contact is missing")
	// ErrNoService: no service counts in the period.
	ErrNoService = errors.New("hub: no service hours in the period")
	// ErrBadText: a field is too long or holds control characters.
	ErrBadText = errors.New("hub: a field is too long or not plain text")
)

// ServiceRecord is person's record in scope, rows of q's period only.
// A merged id is read as the person it was merged into (Person says
// who). A center's staff see a person only when some row is at their
// center (ErrNotFound otherwise), and only those rows.
func (h *Hub) ServiceRecord(ctx context.Context, scope Scope, person record.PersonID, q RecordQuery) (ServiceRecord, error) {
	var rec ServiceRecord
	err := h.store.View(ctx, func(r Reader) (err error) {
		rec, err = h.serviceRecord(r, scope, person, q)
		return err
	})
	return rec, err
}

func (h *Hub) serviceRecord(r Reader, scope Scope, person record.PersonID, q RecordQuery) (ServiceRecord, error) {
	if to, err := resolve(r, person); err != nil {
		return ServiceRecord{}, err
	} else {
		person = to
	}
	p, err := r.Person(person)
	if err != nil {
		return ServiceRecord{}, fmt.Errorf("service record: %w", err)
	}
	ids := []record.PersonID{p.ID}
	as, err := r.AliasesTo(p.ID)
	if err != nil {
		return ServiceRecord{}, err
	}
	for _, a := range as {
		ids = append(ids, a.From)
	}
	es, err := r.PersonEntries(ids)
	if err != nil {
		return ServiceRecord{}, err
	}
	all := serviceRows(es)
	rec := ServiceRecord{Person: p}
	years := map[int]bool{}
	seen := false
	for _, row := range all {
		if !scope.Sees(row.Center) {
			continue
		}
		seen = true
		years[row.At().In(serviceZone).Year()] = true
		if q.holds(row.At()) {
			rec.Rows = append(rec.Rows, row)
		}
	}
	if !seen && !scope.District() {
		// A person who never served at the center: as if not there.
		return ServiceRecord{}, fmt.Errorf("service record of person %d: %w", person, ErrNotFound)
	}
	for y := range years {
		rec.Years = append(rec.Years, y)
	}
	slices.SortFunc(rec.Years, func(a, b int) int { return cmp.Compare(b, a) })
	names := map[record.ActivityID]string{}
	byActivity := map[record.ActivityID]*ActivityTotal{}
	for i := range rec.Rows {
		row := &rec.Rows[i]
		if row.Kind == RowShift && row.Activity != 0 {
			name, ok := names[row.Activity]
			if !ok {
				a, err := r.Activity(row.Activity)
				if err != nil && !errors.Is(err, ErrNotFound) {
					return ServiceRecord{}, err
				}
				name, names[row.Activity] = a.Name, a.Name
			}
			row.ActivityName = name
		}
		if !row.Counts() {
			continue
		}
		if row.Kind == RowShift {
			rec.Shifts++
		}
		rec.Minutes += row.Minutes
		rec.Points += row.Points
		if rec.First.IsZero() || row.At().Before(rec.First) {
			rec.First = row.At()
		}
		if row.At().After(rec.Last) {
			rec.Last = row.At()
		}
		key := row.Activity
		if row.Kind == RowAdjust {
			key = 0
		}
		t := byActivity[key]
		if t == nil {
			t = &ActivityTotal{Activity: key, Name: row.ActivityName}
			if row.Kind == RowAdjust {
				t.Name = ""
			}
			byActivity[key] = t
		}
		if row.Kind == RowShift {
			t.Shifts++
		}
		t.Minutes += row.Minutes
	}
	for _, t := range byActivity {
		if t.Minutes != 0 || t.Shifts != 0 {
			rec.Activities = append(rec.Activities, *t)
		}
	}
	slices.SortFunc(rec.Activities, func(a, b ActivityTotal) int {
		return cmp.Or(cmp.Compare(b.Minutes, a.Minutes), cmp.Compare(a.Activity, b.Activity))
	})
	slices.SortStableFunc(rec.Rows, func(a, b ServiceRow) int { return b.At().Compare(a.At()) })
	sealed, err := r.SealedID(p.ID)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return ServiceRecord{}, err
	default:
		d, err := h.ids.open(personWhere(p.ID), sealed.Type, sealed.Sealed)
		if err != nil {
			return ServiceRecord{}, err
		}
		rec.ID = &IDSummary{Type: sealed.Type, Masked: d.Masked(), Changed: sealed.Changed, ChangedBy: sealed.ChangedBy}
	}
	return rec, nil
}

// serviceRows are the shifts and adjustments of a person's entries (in
// hub time order), oldest first: a check-in and its check-out make one
// row, whichever of them the hub holds; a reversal marks the row of the
// entry it undoes.
func serviceRows(es []StoredEntry) []ServiceRow {
	var rows []*ServiceRow
	shifts := map[record.EntryID]*ServiceRow{}
	undoable := map[record.EntryID]*ServiceRow{} // a check-out's or an adjustment's id: its row
	shift := func(e *StoredEntry) *ServiceRow {
		id := e.Shift
		if id.IsZero() {
			id = e.ID
		}
		row := shifts[id]
		if row == nil {
			row = &ServiceRow{Kind: RowShift, State: StateOpen, Shift: id}
			shifts[id] = row
			rows = append(rows, row)
		}
		if row.Center == "" {
			row.Center, row.Terminal, row.Activity = e.HubCenter, e.Terminal, e.Activity
		}
		return row
	}
	for i := range es {
		e := &es[i]
		switch e.Kind {
		case record.KindCheckIn:
			row := shift(e)
			// The check-in names the shift's center and activity.
			row.In, row.Center, row.Terminal, row.Activity = e.HubTime(), e.HubCenter, e.Terminal, e.Activity
			row.InCorrected = !e.Corrected.IsZero()
		case record.KindCheckOut:
			row := shift(e)
			row.Out, row.OutCorrected = e.HubTime(), !e.Corrected.IsZero()
			row.State = StateClosed
			row.Minutes += e.Minutes
			row.Points += e.Points
			undoable[e.ID] = row
		case record.KindAdjust:
			if e.Minutes == 0 && e.Points == 0 {
				continue
			}
			row := &ServiceRow{Kind: RowAdjust, State: StateClosed, Shift: e.ID, Center: e.HubCenter, Terminal: e.Terminal,
				In: e.HubTime(), InCorrected: !e.Corrected.IsZero(), Minutes: e.Minutes, Points: e.Points, Reason: e.Reason}
			rows = append(rows, row)
			undoable[e.ID] = row
		}
	}
	// Reversals after every row is known: a reversal's time may sort
	// before its entry's when one of their clocks was corrected.
	for i := range es {
		e := &es[i]
		if e.Kind != record.KindReverse {
			continue
		}
		if row := undoable[e.Reverses]; row != nil {
			row.State = StateReversed
			if e.Reason != "" {
				row.Reason = e.Reason
			}
		}
	}
	out := make([]ServiceRow, len(rows))
	for i, r := range rows {
		out[i] = *r
	}
	slices.SortStableFunc(out, func(a, b ServiceRow) int { return a.At().Compare(b.At()) })
	return out
}

// FindServedPeople are the people text finds (a member number, a card
// UID, a person id, or part of a name) that scope may open: anyone for
// the district, those who served at the center for a center's staff.
func (h *Hub) FindServedPeople(ctx context.Context, scope Scope, text string, limit int) ([]Person, error) {
	text = strings.TrimSpace(text)
	if text == "" || (!scope.District() && scope.Center() == "") {
		return nil, nil
	}
	if limit <= 0 || limit > MaxPeopleFound {
		limit = MaxPeopleFound
	}
	q := FindQuery{Text: truncate(text, 64), Limit: limit}
	if !scope.District() {
		q.Center = scope.Center()
	}
	var ps []Person
	err := h.store.View(ctx, func(r Reader) (err error) {
		ps, err = r.FindPeople(q)
		return err
	})
	return ps, err
}

// personLabel names a person in the audit log: their name and member
// number, never their ID number.
func personLabel(p Person) string { return strings.TrimSpace(p.Name + " " + p.MemberNo) }

// SetIDDocument keeps d as person's ID document, sealed (d.Number ""
// deletes the one kept). scope must see the person (as ServiceRecord).
// The audit log records the change and the type, never the number.
func (h *Hub) SetIDDocument(ctx context.Context, by Actor, scope Scope, person record.PersonID, d IDDocument) error {
	remove := strings.TrimSpace(d.Number) == ""
	if !remove {
		if len(d.Number) > MaxIDNumberText {
			return fmt.Errorf("set ID document: %w", ErrIDNumber)
		}
		n, err := NormalizeIDNumber(d.Type, d.Number)
		if err != nil {
			return fmt.Errorf("set ID document: %w", err)
		}
		d.Number = n
	}
	return h.store.Update(ctx, func(tx Tx) error {
		rec, err := h.serviceRecord(tx, scope, person, RecordQuery{})
		if err != nil {
			return err
		}
		p := rec.Person
		if remove {
			if rec.ID == nil {
				return nil
			}
			if err := tx.DeleteSealedID(p.ID); err != nil {
				return err
			}
			return h.audit(tx, by, AuditIDSet, scope.Center(), personLabel(p), DetailIDRemoved)
		}
		s := SealedID{Person: p.ID, Type: d.Type, Sealed: h.ids.seal(personWhere(p.ID), d), Changed: h.now(), ChangedBy: by.User}
		if err := tx.PutSealedID(s); err != nil {
			return err
		}
		return h.audit(tx, by, AuditIDSet, scope.Center(), personLabel(p), string(d.Type))
	})
}

// CertificateRequest is what IssueCertificate needs.
type CertificateRequest struct {
	Person record.PersonID
	// Issuer is the issuing center, "" the district office: the
	// certificate counts the service its scope sees.
	Issuer string
	// Period: the service counted.
	Period RecordQuery
	// Content is what was done, in the issuer's words ("" for the
	// activities' names).
	Content string
}

// IssueCertificate issues a certificate of service hours: numbered (the
// year and the next sequence of that year), kept in the register, and
// recorded in the audit log. The issuer must be in scope and complete,
// the person must have an ID document, and some service must count in
// the period.
func (h *Hub) IssueCertificate(ctx context.Context, by Actor, scope Scope, req CertificateRequest) (Certificate, error) {
	req.Content = strings.TrimSpace(req.Content)
	if err := plainText(req.Content, MaxCertContent); err != nil {
		return Certificate{}, fmt.Errorf("issue certificate: %w", err)
	}
	if err := scope.Check(req.Issuer); err != nil {
		return Certificate{}, fmt.Errorf("issue certificate: %w", err)
	}
	issuerScope := DistrictScope()
	if req.Issuer != "" {
		issuerScope = CenterScope(req.Issuer)
	}
	var c Certificate
	err := h.store.Update(ctx, func(tx Tx) error {
		iss, err := certIssuer(tx, req.Issuer)
		if err != nil {
			return err
		}
		if !iss.Complete() {
			return fmt.Errorf("issue certificate: %w", ErrIssuerIncomplete)
		}
		// The person as the user's scope sees them first: a center's
		// staff learn nothing of a person outside it.
		if _, err := h.serviceRecord(tx, scope, req.Person, RecordQuery{}); err != nil {
			return err
		}
		rec, err := h.serviceRecord(tx, issuerScope, req.Person, req.Period)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("issue certificate: %w", ErrNoService)
		}
		if err != nil {
			return err
		}
		if rec.Minutes <= 0 {
			return fmt.Errorf("issue certificate: %w", ErrNoService)
		}
		sealed, err := tx.SealedID(rec.Person.ID)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("issue certificate: %w", ErrNoIDDocument)
		}
		if err != nil {
			return err
		}
		doc, err := h.ids.open(personWhere(rec.Person.ID), sealed.Type, sealed.Sealed)
		if err != nil {
			return err
		}
		now := h.now()
		year := now.In(serviceZone).Year()
		last, err := tx.LastCertificateSeq(year)
		if err != nil {
			return err
		}
		c = Certificate{Number: CertificateNumber(year, last+1), Year: year, Seq: last + 1,
			Issuer: req.Issuer, IssuerName: iss.Name, Head: iss.Head, Contact: iss.Contact,
			Person: rec.Person.ID, Name: rec.Person.Name, MemberNo: rec.Person.MemberNo, IDType: doc.Type,
			From: rec.First, To: rec.Last, Minutes: rec.Minutes, Shifts: rec.Shifts, Activities: rec.Activities,
			Content: req.Content, IssuedBy: by.User, IssuedAt: now}
		c.SealedID = h.ids.seal(certificateWhere(c.Number), doc)
		if err := tx.AddCertificate(c); err != nil {
			return fmt.Errorf("issue certificate %s: %w", c.Number, err)
		}
		return h.audit(tx, by, AuditCertIssue, req.Issuer, personLabel(rec.Person), c.Number)
	})
	if err != nil {
		return Certificate{}, err
	}
	return c, nil
}

// CertificateNumber is the number of a year's seq-th certificate.
func CertificateNumber(year, seq int) string { return fmt.Sprintf("%04d-%06d", year, seq) }

// OpenCertificate is the certificate of number with its person's ID
// document in clear, for printing: each opening is recorded in the audit
// log as a view of the ID number. A certificate of an issuer outside
// scope is not found.
func (h *Hub) OpenCertificate(ctx context.Context, by Actor, scope Scope, number string) (Certificate, IDDocument, error) {
	var c Certificate
	var d IDDocument
	err := h.store.Update(ctx, func(tx Tx) (err error) {
		if c, err = tx.Certificate(number); err != nil {
			return err
		}
		if err := scope.Check(c.Issuer); err != nil {
			return fmt.Errorf("certificate %s: %w", number, ErrNotFound)
		}
		if d, err = h.ids.open(certificateWhere(c.Number), c.IDType, c.SealedID); err != nil {
			return err
		}
		return h.audit(tx, by, AuditIDView, c.Issuer, strings.TrimSpace(c.Name+" "+c.MemberNo), c.Number)
	})
	if err != nil {
		return Certificate{}, IDDocument{}, err
	}
	return c, d, nil
}

// Certificates are a page of the register, newest first: every issuer's
// for the district, the center's own for a center's staff; a person's
// only when person is not 0.
func (h *Hub) Certificates(ctx context.Context, scope Scope, person record.PersonID, before int64, limit int) ([]Certificate, error) {
	q := CertificateQuery{AnyIssuer: scope.District(), Issuer: scope.Center(), Person: person, Before: max(before, 0), Limit: limit}
	if q.Limit <= 0 || q.Limit > MaxCertificatePage {
		q.Limit = MaxCertificatePage
	}
	if !scope.District() && scope.Center() == "" {
		return nil, nil
	}
	var cs []Certificate
	err := h.store.View(ctx, func(r Reader) (err error) {
		cs, err = r.Certificates(q)
		return err
	})
	return cs, err
}

// certIssuer is center's issuer, its name the center's when none was set.
func certIssuer(r Reader, center string) (CertIssuer, error) {
	ci, err := r.CertIssuer(center)
	if err == nil {
		return ci, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return CertIssuer{}, err
	}
	ci = CertIssuer{Center: center}
	if center != "" {
		c, err := r.Center(center)
		if err != nil {
			return CertIssuer{}, err
		}
		ci.Name = c.Name
	}
	return ci, nil
}

// CertIssuers are the issuers scope may issue as: the district office and
// every center for the district, the center for its staff.
func (h *Hub) CertIssuers(ctx context.Context, scope Scope) ([]CertIssuer, error) {
	var out []CertIssuer
	err := h.store.View(ctx, func(r Reader) error {
		cs, err := r.Centers()
		if err != nil {
			return err
		}
		centers := []string{}
		if scope.District() {
			centers = append(centers, "")
		}
		for _, c := range scope.Centers(cs) {
			centers = append(centers, c.ID)
		}
		for _, c := range centers {
			ci, err := certIssuer(r, c)
			if err != nil {
				return err
			}
			out = append(out, ci)
		}
		return nil
	})
	return out, err
}

// SetCertIssuer keeps what certificates of ci.Center say of their issuer.
func (h *Hub) SetCertIssuer(ctx context.Context, by Actor, scope Scope, ci CertIssuer) error {
	ci.Name, ci.Head, ci.Contact = strings.TrimSpace(ci.Name), strings.TrimSpace(ci.Head), strings.TrimSpace(ci.Contact)
	for _, f := range []struct {
		s string
		n int
	}{{ci.Name, MaxIssuerName}, {ci.Head, MaxIssuerField}, {ci.Contact, MaxIssuerField}} {
		if err := plainText(f.s, f.n); err != nil {
			return fmt.Errorf("set certificate issuer: %w", err)
		}
	}
	if err := scope.Check(ci.Center); err != nil {
		return fmt.Errorf("set certificate issuer: %w", err)
	}
	ci.Changed, ci.ChangedBy = h.now(), by.User
	return h.store.Update(ctx, func(tx Tx) error {
		if ci.Center != "" {
			if _, err := tx.Center(ci.Center); err != nil {
				return fmt.Errorf("set certificate issuer: %w", err)
			}
		}
		if err := tx.PutCertIssuer(ci); err != nil {
			return err
		}
		return h.audit(tx, by, AuditIssuerSet, ci.Center, ci.Name, "")
	})
}

// plainText is nil when s is at most n characters of UTF-8 without
// control characters.
func plainText(s string, n int) error {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > n || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return ErrBadText
	}
	return nil
}
