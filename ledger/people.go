package ledger

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode"

	"github.com/hongmajia/hongmajia/record"
)

// Person is a registered volunteer or resident.
type Person struct {
	ID       record.PersonID
	MemberNo string // the number on the registration form, unique
	Name     string // empty while Provisional
	// Provisional marks a walk-in registered at the kiosk by member number
	// only: the hub completes the registration. Screens and exports show the
	// catalog's words for it (待补登记) in place of a name.
	Provisional bool
	// Phone is masked when stored ("138****5678"): the terminal never needs
	// more, and a lost Pi leaks no numbers.
	Phone     string
	Community string
	Kind      record.VolunteerKind
	CreatedAt time.Time
}

// Balance is a person's two quantities.
type Balance struct {
	Points  int64 // spendable (积分)
	Minutes int64 // service minutes, never expire (服务时长)
}

// CardState is a card's standing.
type CardState uint8

// Card states. Stored as numbers: never renumber.
const (
	CardActive  CardState = 1
	CardLost    CardState = 2 // reported lost (挂失)
	CardRevoked CardState = 3 // withdrawn by staff (注销)
)

func (s CardState) String() string {
	switch s {
	case CardActive:
		return "active"
	case CardLost:
		return "lost"
	case CardRevoked:
		return "revoked"
	}
	return fmt.Sprintf("CardState(%d)", uint8(s))
}

// err is the refusal a card in this state gives, nil when active.
func (s CardState) err() error {
	switch s {
	case CardActive:
		return nil
	case CardLost:
		return ErrCardLost
	case CardRevoked:
		return ErrCardRevoked
	}
	return fmt.Errorf("card state %d: %w", s, ErrCorrupt)
}

// Card is a person's card.
type Card struct {
	UID       record.CardUID
	Person    record.PersonID
	State     CardState
	BoundAt   time.Time
	ChangedAt time.Time
}

// EnrolPerson registers a person.
type EnrolPerson struct {
	ID        record.EntryID
	Person    record.PersonID // 0: a new random id
	MemberNo  string
	Name      string // required, unless Provisional: then empty
	Phone     string // full or masked; stored masked
	Community string
	Kind      record.VolunteerKind
	// Provisional registers a walk-in with no name until the hub completes
	// the registration; without a MemberNo it gets one made here (see
	// walkInMemberNo).
	Provisional bool
}

// MaskPhone keeps the first three and last four digits: "138****5678".
func MaskPhone(phone string) string {
	digits := strings.Map(func(r rune) rune {
		if unicode.IsDigit(r) || r == '*' {
			return r
		}
		return -1
	}, phone)
	if len(digits) == 13 && strings.HasPrefix(digits, "86") {
		digits = digits[2:] // +86: China's country code before a mobile number
	}
	if len(digits) <= 7 {
		return digits
	}
	return digits[:3] + strings.Repeat("*", len(digits)-7) + digits[len(digits)-4:]
}

func last4(phone string) string {
	if len(phone) < 4 {
		return ""
	}
	s := phone[len(phone)-4:]
	if strings.Contains(s, "*") {
		return ""
	}
	return s
}

// maxPersonID keeps ids within what JSON numbers hold exactly.
const maxPersonID = 1<<53 - 1

func randomID() int64 {
	id := record.NewEntryID()
	var n int64
	for _, b := range id[:7] {
		n = n<<8 | int64(b)
	}
	n &= maxPersonID
	if n == 0 {
		n = 1
	}
	return n
}

// walkInMemberNo makes a member number for a walk-in, who has none yet:
// this terminal's id, which no other kiosk has, and six random digits not
// taken here, e.g. 3F9A0B12C4D5E6F7-482913. Staff find it by those digits.
func (t *wtx) walkInMemberNo() (string, error) {
	for range 20 {
		n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
		if err != nil {
			return "", fmt.Errorf("walk-in member number: %w", err)
		}
		no := fmt.Sprintf("%s-%06d", t.l.term.ID, n.Int64())
		var taken int
		if err := t.queryRow("SELECT count(*) FROM people WHERE member_no = ?", no).Scan(&taken); err != nil {
			return "", err
		}
		if taken == 0 {
			return no, nil
		}
	}
	return "", fmt.Errorf("walk-in member number: no free number: %w", ErrBusy)
}

// EnrolPerson registers a person with a zero balance.
func (l *Ledger) EnrolPerson(ctx context.Context, req EnrolPerson) (Person, error) {
	return do(l, ctx, opEnrolPerson, req.ID, func(t *wtx) (Person, error) { return t.enrolPerson(req) })
}

func (t *wtx) enrolPerson(req EnrolPerson) (Person, error) {
	if req.Provisional && strings.TrimSpace(req.MemberNo) == "" {
		no, err := t.walkInMemberNo()
		if err != nil {
			return Person{}, err
		}
		req.MemberNo = no
	}
	if strings.TrimSpace(req.MemberNo) == "" || !req.Kind.Valid() {
		return Person{}, fmt.Errorf("enrol person: member number and kind are required: %w", ErrInvalid)
	}
	// A provisional person has no name, and only a provisional one: the
	// flag, not a placeholder name, says a registration is incomplete.
	if named := strings.TrimSpace(req.Name) != ""; named == req.Provisional {
		return Person{}, fmt.Errorf("enrol person: a name is required, and given only when not provisional: %w", ErrInvalid)
	}
	p := Person{
		ID: req.Person, MemberNo: strings.TrimSpace(req.MemberNo), Name: strings.TrimSpace(req.Name), Provisional: req.Provisional,
		Phone: MaskPhone(req.Phone), Community: req.Community, Kind: req.Kind, CreatedAt: t.now,
	}
	if p.ID == 0 {
		p.ID = record.PersonID(randomID())
	}
	_, err := t.exec(`INSERT INTO people(id, member_no, name, provisional, phone_masked, phone_last4, community, kind, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, int64(p.ID), p.MemberNo, p.Name, p.Provisional, p.Phone, last4(p.Phone), p.Community, int(p.Kind), p.CreatedAt.UnixNano())
	if err != nil {
		if isConstraint(err) {
			return Person{}, fmt.Errorf("enrol person %q: member number or id taken: %w", p.MemberNo, ErrInvalid)
		}
		return Person{}, err
	}
	if _, err := t.exec("INSERT INTO balances(person) VALUES (?)", int64(p.ID)); err != nil {
		return Person{}, err
	}
	return p, t.outboxPerson(p)
}

// sqliteConstraint is SQLITE_CONSTRAINT.
const sqliteConstraint = 19

func isConstraint(err error) bool {
	var c interface{ Code() int }
	return errors.As(err, &c) && c.Code()&0xff == sqliteConstraint
}

// BindCard gives a person a card.
type BindCard struct {
	ID       record.EntryID
	Person   record.PersonID
	UID      record.CardUID
	Operator record.CardUID // staff card, may be empty when seeding
}

// BindCard binds an unused card to a person.
func (l *Ledger) BindCard(ctx context.Context, req BindCard) (Card, error) {
	return do(l, ctx, opBindCard, req.ID, func(t *wtx) (Card, error) { return t.bindCard(req) })
}

func (t *wtx) bindCard(req BindCard) (Card, error) {
	if _, err := record.ParseUID(string(req.UID)); err != nil || record.CardUID(strings.ToUpper(string(req.UID))) != req.UID {
		return Card{}, fmt.Errorf("bind card %q: not normalised (use ParseUID): %w", req.UID, ErrBadUID)
	}
	if _, err := t.person(req.Person); err != nil {
		return Card{}, err
	}
	if err := t.uidFree(req.UID); err != nil {
		return Card{}, err
	}
	c := Card{UID: req.UID, Person: req.Person, State: CardActive, BoundAt: t.now, ChangedAt: t.now}
	if _, err := t.exec("INSERT INTO cards(uid, person, state, bound_at, changed_at) VALUES (?, ?, ?, ?, ?)",
		string(c.UID), int64(c.Person), int(c.State), t.now.UnixNano(), t.now.UnixNano()); err != nil {
		return Card{}, err
	}
	if err := t.outboxCard(c, req.Operator); err != nil {
		return Card{}, err
	}
	return c, t.cardHistory(c.UID, c.State, req.Operator, "bound")
}

func (t *wtx) uidFree(uid record.CardUID) error {
	var n int
	err := t.queryRow("SELECT (SELECT count(*) FROM cards WHERE uid = ?1) + (SELECT count(*) FROM staff WHERE uid = ?1)", string(uid)).Scan(&n)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("card %s: %w", uid, ErrCardInUse)
	}
	return nil
}

func (t *wtx) cardHistory(uid record.CardUID, s CardState, operator record.CardUID, reason string) error {
	_, err := t.exec("INSERT INTO card_history(uid, at, state, operator, reason) VALUES (?, ?, ?, ?, ?)",
		string(uid), t.now.UnixNano(), int(s), string(operator), reason)
	return err
}

// SetCardState reports a card lost or revokes it.
type SetCardState struct {
	ID       record.EntryID
	UID      record.CardUID
	State    CardState      // CardLost or CardRevoked
	Operator record.CardUID // staff card
	Reason   string
}

// SetCardState marks a card lost or revoked; it is refused from then on.
func (l *Ledger) SetCardState(ctx context.Context, req SetCardState) (Card, error) {
	return do(l, ctx, opSetCardState, req.ID, func(t *wtx) (Card, error) { return t.setCardState(req) })
}

func (t *wtx) setCardState(req SetCardState) (Card, error) {
	if req.State != CardLost && req.State != CardRevoked {
		return Card{}, fmt.Errorf("set card state %v: %w", req.State, ErrInvalid)
	}
	if err := t.staffOperator(req.Operator); err != nil {
		return Card{}, err
	}
	c, err := t.card(req.UID)
	if err != nil {
		return Card{}, err
	}
	if _, err := t.exec("UPDATE cards SET state = ?, changed_at = ? WHERE uid = ?", int(req.State), t.now.UnixNano(), string(c.UID)); err != nil {
		return Card{}, err
	}
	c.State, c.ChangedAt = req.State, t.now
	if err := t.outboxCard(c, req.Operator); err != nil {
		return Card{}, err
	}
	return c, t.cardHistory(c.UID, c.State, req.Operator, req.Reason)
}

// ReplaceCard moves a person from an old card to a new one (补卡).
type ReplaceCard struct {
	ID       record.EntryID
	Old      record.CardUID
	New      record.CardUID
	Operator record.CardUID // staff card
}

// ReplaceCard binds New to Old's person, marks Old lost (if it was active)
// and writes one KindReplaceCard entry. Balances are per person, so the
// balance moves with the person; the old card is refused from then on.
func (l *Ledger) ReplaceCard(ctx context.Context, req ReplaceCard) (record.Entry, error) {
	return do(l, ctx, opReplaceCard, req.ID, func(t *wtx) (record.Entry, error) { return t.replaceCard(req) })
}

func (t *wtx) replaceCard(req ReplaceCard) (record.Entry, error) {
	if err := t.staffOperator(req.Operator); err != nil {
		return record.Entry{}, err
	}
	old, err := t.card(req.Old)
	if err != nil {
		return record.Entry{}, err
	}
	if _, err := t.bindCard(BindCard{Person: old.Person, UID: req.New, Operator: req.Operator}); err != nil {
		return record.Entry{}, err
	}
	if old.State == CardActive {
		if _, err := t.exec("UPDATE cards SET state = ?, changed_at = ? WHERE uid = ?", int(CardLost), t.now.UnixNano(), string(old.UID)); err != nil {
			return record.Entry{}, err
		}
		if err := t.cardHistory(old.UID, CardLost, req.Operator, "replaced by "+string(req.New)); err != nil {
			return record.Entry{}, err
		}
		old.State, old.ChangedAt = CardLost, t.now
		if err := t.outboxCard(old, req.Operator); err != nil {
			return record.Entry{}, err
		}
	}
	e := record.Entry{ID: req.ID, Kind: record.KindReplaceCard, Person: old.Person, Card: req.New, OtherCard: old.UID, Operator: req.Operator}
	return e, t.append(&e)
}

// card reads a card in any state; ErrUnknownCard when there is none.
func (t *wtx) card(uid record.CardUID) (Card, error) { return readCard(t.ctx, t.q, uid) }

// activeCard reads a card and refuses a lost or revoked one.
func (t *wtx) activeCard(uid record.CardUID) (Card, error) {
	c, err := t.card(uid)
	if err != nil {
		return c, err
	}
	if err := c.State.err(); err != nil {
		return c, fmt.Errorf("card %s: %w", uid, err)
	}
	return c, nil
}

func readCard(ctx context.Context, q querier, uid record.CardUID) (Card, error) {
	var c Card
	var bound, changed int64
	var state int
	err := q.QueryRowContext(ctx, "SELECT uid, person, state, bound_at, changed_at FROM cards WHERE uid = ?", string(uid)).
		Scan((*string)(&c.UID), (*int64)(&c.Person), &state, &bound, &changed)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("card %s: %w", uid, ErrUnknownCard)
	}
	if err != nil {
		return c, storageErr(err)
	}
	c.State = CardState(state)
	c.BoundAt, c.ChangedAt = time.Unix(0, bound), time.Unix(0, changed)
	return c, nil
}

func (t *wtx) person(id record.PersonID) (Person, error) { return readPerson(t.ctx, t.q, id) }

const personColumns = "id, member_no, name, provisional, phone_masked, community, kind, created_at"

func scanPerson(s interface{ Scan(...any) error }) (Person, error) {
	var p Person
	var kind int
	var created int64
	err := s.Scan((*int64)(&p.ID), &p.MemberNo, &p.Name, &p.Provisional, &p.Phone, &p.Community, &kind, &created)
	p.Kind = record.VolunteerKind(kind)
	p.CreatedAt = time.Unix(0, created)
	return p, err
}

func readPerson(ctx context.Context, q querier, id record.PersonID) (Person, error) {
	p, err := scanPerson(q.QueryRowContext(ctx, "SELECT "+personColumns+" FROM people WHERE id = ?", int64(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("person %d: %w", id, ErrNotFound)
	}
	return p, storageErr(err)
}

func readBalance(ctx context.Context, q querier, id record.PersonID) (Balance, error) {
	var b Balance
	err := q.QueryRowContext(ctx, "SELECT points, minutes FROM balances WHERE person = ?", int64(id)).Scan(&b.Points, &b.Minutes)
	if errors.Is(err, sql.ErrNoRows) {
		return b, fmt.Errorf("balance of person %d: %w", id, ErrNotFound)
	}
	return b, storageErr(err)
}

// Person returns a registered person.
func (l *Ledger) Person(ctx context.Context, id record.PersonID) (Person, error) {
	return readPerson(ctx, l.r, id)
}

// Balance returns a person's balance.
func (l *Ledger) Balance(ctx context.Context, id record.PersonID) (Balance, error) {
	return readBalance(ctx, l.r, id)
}

// CardInfo is what a tap shows: whose card, its state, the balance and any
// open shift. Exactly one of Person and Staff is set.
type CardInfo struct {
	Card      Card
	Person    *Person
	Balance   Balance
	OpenShift *Shift
	Staff     *Staff
}

// LookupCard answers a tap. A staff card gives Staff set; a disabled one
// the info and ErrStaffDisabled. A lost or revoked card gives the info and
// ErrCardLost or ErrCardRevoked; an unknown one ErrUnknownCard.
func (l *Ledger) LookupCard(ctx context.Context, uid record.CardUID) (CardInfo, error) {
	var info CardInfo
	tx, err := l.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return info, fmt.Errorf("look up card: %w", storageErr(err))
	}
	defer tx.Rollback()
	q := l.readTx(tx)
	c, err := readCard(ctx, q, uid)
	if errors.Is(err, ErrUnknownCard) {
		s, serr := readStaff(ctx, q, uid)
		if serr == nil && !s.Active {
			return CardInfo{Card: Card{UID: uid, State: CardActive}, Staff: &s}, fmt.Errorf("look up card %s: %w", uid, ErrStaffDisabled)
		}
		if serr == nil {
			return CardInfo{Card: Card{UID: uid, State: CardActive}, Staff: &s}, nil
		}
		return info, fmt.Errorf("look up card: %w", err)
	}
	if err != nil {
		return info, fmt.Errorf("look up card: %w", err)
	}
	info.Card = c
	p, err := readPerson(ctx, q, c.Person)
	if err != nil {
		return info, fmt.Errorf("look up card: %w", err)
	}
	info.Person = &p
	if info.Balance, err = readBalance(ctx, q, c.Person); err != nil {
		return info, fmt.Errorf("look up card: %w", err)
	}
	s, err := openShift(ctx, q, l, c.Person)
	if err == nil {
		info.OpenShift = &s
	} else if !errors.Is(err, ErrNoOpenShift) {
		return info, fmt.Errorf("look up card: %w", err)
	}
	if err := c.State.err(); err != nil {
		return info, fmt.Errorf("look up card %s: %w", uid, err)
	}
	return info, nil
}

// Cards returns a person's cards, newest first.
func (l *Ledger) Cards(ctx context.Context, person record.PersonID) ([]Card, error) {
	rows, err := l.read().QueryContext(ctx, "SELECT uid FROM cards WHERE person = ? ORDER BY bound_at DESC, uid", int64(person))
	if err != nil {
		return nil, storageErr(err)
	}
	var uids []record.CardUID
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			rows.Close()
			return nil, storageErr(err)
		}
		uids = append(uids, record.CardUID(u))
	}
	rows.Close()
	cards := make([]Card, 0, len(uids))
	for _, u := range uids {
		c, err := readCard(ctx, l.r, u)
		if err != nil {
			return nil, err
		}
		cards = append(cards, c)
	}
	return cards, nil
}

// FindPeople finds people for staff helping someone without a card: by the
// last four digits of their phone, by member number, or by the number in a
// member number (its last run of digits), leading zeros or not, as the
// kiosk's number pad types it (HPL0012 by 0012 or 12; 3F9A-482913 by
// 482913). At most limit people, by name.
func (l *Ledger) FindPeople(ctx context.Context, query string, limit int) ([]Person, error) {
	query = strings.TrimSpace(query)
	if query == "" {
		return nil, nil
	}
	if limit <= 0 {
		limit = 20
	}
	// The number is matched in Go; SQL narrows it to member numbers holding
	// it. A search is rare, so the scan a LIKE with a leading % costs is fine.
	num := memberNumber(query)
	sqlQuery := "SELECT " + personColumns + ", phone_last4 FROM people WHERE (phone_last4 = ?1 OR member_no = ?1)" + l.notMerged() + " ORDER BY name, member_no"
	if num != "" {
		sqlQuery = "SELECT " + personColumns + ", phone_last4 FROM people WHERE (phone_last4 = ?1 OR member_no = ?1 OR member_no LIKE '%' || ?2 || '%')" + l.notMerged() + " ORDER BY name, member_no"
	}
	rows, err := l.read().QueryContext(ctx, sqlQuery, query, num)
	if err != nil {
		return nil, fmt.Errorf("find people: %w", storageErr(err))
	}
	defer rows.Close()
	var out []Person
	for rows.Next() && len(out) < limit {
		var p Person
		var phone4 string
		var kind int
		var created int64
		if err := rows.Scan((*int64)(&p.ID), &p.MemberNo, &p.Name, &p.Provisional, &p.Phone, &p.Community, &kind, &created, &phone4); err != nil {
			return nil, fmt.Errorf("find people: %w", storageErr(err))
		}
		p.Kind, p.CreatedAt = record.VolunteerKind(kind), time.Unix(0, created)
		if phone4 == query || p.MemberNo == query || (num != "" && memberMatches(p.MemberNo, num)) {
			out = append(out, p)
		}
	}
	return out, storageErr(rows.Err())
}

// memberNumber is a query of digits as a number, without leading zeros;
// "" when the query is not all digits, or zero.
func memberNumber(q string) string {
	for _, r := range q {
		if r < '0' || r > '9' {
			return ""
		}
	}
	return strings.TrimLeft(q, "0")
}

// memberMatches reports whether the number num (memberNumber) is a member
// number's last run of digits, leading zeros dropped.
func memberMatches(member, num string) bool {
	end := strings.LastIndexFunc(member, isDigit) + 1
	start := strings.LastIndexFunc(member[:end], func(r rune) bool { return !isDigit(r) }) + 1
	return end > 0 && strings.TrimLeft(member[start:end], "0") == num
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }
