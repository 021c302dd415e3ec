package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/hongmajia/hongmajia/record"
)

// Setting up a real center (kioskctl init, import, staff, person): imports
// that apply a whole file or nothing, staff cards listed and disabled, a
// walk-in's registration completed.

const (
	opImportPeople     = "import people"
	opImportActivities = "import activities"
	opImportCatalog    = "import catalog"
	opRenamePerson     = "rename person"
	opSetStaffActive   = "set staff active"
)

// RowError is one refused row of an import; Row is its index in the
// request (the caller knows which line of which file that was).
type RowError struct {
	Row int
	Err error
}

func (e *RowError) Error() string { return fmt.Sprintf("row %d: %v", e.Row, e.Err) }
func (e *RowError) Unwrap() error { return e.Err }

// ImportError answers an import with refused rows: every one of them, in
// request order. Nothing of the import was written.
type ImportError struct {
	Rows []*RowError
}

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ledger: import refused: %d row(s)", len(e.Rows))
	for i, r := range e.Rows {
		if i == 3 {
			fmt.Fprintf(&b, "; …")
			break
		}
		fmt.Fprintf(&b, "; %v", r)
	}
	return b.String()
}

// Unwrap gives the rows' errors, so errors.Is(err, ErrCardInUse) holds when
// a row was refused for it.
func (e *ImportError) Unwrap() []error {
	out := make([]error, len(e.Rows))
	for i, r := range e.Rows {
		out[i] = r
	}
	return out
}

// ImportResult counts what an import wrote (or, dry, would write).
type ImportResult struct {
	People     int   // people registered
	Cards      int   // cards bound to them
	Activities int   // activities added
	Station    bool  // the station activity was set
	Items      int   // catalog items added
	Stock      int64 // units stocked
}

// rows collects an import's refused rows. A refusal is a row's; anything
// else (a full disk, corruption) stops the import at once.
type rows []*RowError

func (rs *rows) refuse(i int, err error) error {
	for _, r := range []error{ErrInvalid, ErrDuplicate, ErrCardInUse, ErrBadUID} {
		if errors.Is(err, r) {
			*rs = append(*rs, &RowError{Row: i, Err: err})
			return nil
		}
	}
	return err
}

func (rs rows) err() error {
	if len(rs) == 0 {
		return nil
	}
	return &ImportError{Rows: rs}
}

// importOp runs an import as one transaction: stored under its request id
// like every write, or, dry, checked in full and rolled back, storing
// nothing (not even the id: the real import may use it next).
func importOp(l *Ledger, ctx context.Context, op string, id record.EntryID, dry bool, fn func(t *wtx, id record.EntryID) (ImportResult, error)) (ImportResult, error) {
	if !dry {
		return do(l, ctx, op, id, func(t *wtx) (ImportResult, error) { return fn(t, id) })
	}
	if id.IsZero() {
		id = record.NewEntryID()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	t, err := l.begin(ctx)
	if err != nil {
		return ImportResult{}, fmt.Errorf("%s: %w", op, err)
	}
	defer t.rollback()
	t.tick()
	r, err := fn(t, id)
	if err != nil {
		return ImportResult{}, fmt.Errorf("%s: %w", op, storageErr(err))
	}
	return r, nil
}

// ImportPeople registers people, each with a card when one is given, all or
// nothing (a district's roster, kioskctl import people).
type ImportPeople struct {
	ID     record.EntryID
	People []ImportPerson
	// DryRun checks every row as the import would, then rolls back.
	DryRun bool
}

// ImportPerson is one person of an import.
type ImportPerson struct {
	MemberNo  string
	Name      string
	Phone     string // stored masked
	Community string
	Kind      record.VolunteerKind
	Card      record.CardUID // "": none; else normalised (record.ParseUID)
}

// ImportPeople registers every person or none. A member number the ledger
// holds already is refused (ErrDuplicate): an import adds people and never
// changes one, so a second run of the same file writes nothing. A card in
// use is ErrCardInUse. Every refused row is listed in an *ImportError.
func (l *Ledger) ImportPeople(ctx context.Context, req ImportPeople) (ImportResult, error) {
	return importOp(l, ctx, opImportPeople, req.ID, req.DryRun, func(t *wtx, _ record.EntryID) (ImportResult, error) {
		var res ImportResult
		var refused rows
		for i, p := range req.People {
			err := t.importPerson(p)
			if err != nil {
				if err := refused.refuse(i, err); err != nil {
					return res, err
				}
				continue
			}
			res.People++
			if p.Card != "" {
				res.Cards++
			}
		}
		return res, refused.err()
	})
}

func (t *wtx) importPerson(p ImportPerson) error {
	member := strings.TrimSpace(p.MemberNo)
	var n int
	if err := t.queryRow("SELECT count(*) FROM people WHERE member_no = ?", member).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("member number %s: %w", member, ErrDuplicate)
	}
	if p.Card != "" {
		if err := t.uidFree(p.Card); err != nil {
			return err
		}
	}
	got, err := t.enrolPerson(EnrolPerson{MemberNo: member, Name: p.Name, Phone: p.Phone, Community: p.Community, Kind: p.Kind})
	if err != nil {
		return err
	}
	if p.Card == "" {
		return nil
	}
	_, err = t.bindCard(BindCard{Person: got.ID, UID: p.Card})
	return err
}

// ImportActivities adds activities, all or nothing.
type ImportActivities struct {
	ID         record.EntryID
	Activities []ImportActivity
	DryRun     bool
}

// ImportActivity is one activity of an import.
type ImportActivity struct {
	Name     string
	Schedule record.Schedule
	Rules    record.Rules
	// Station makes it the station activity (SetStationActivity); at most
	// one per import.
	Station bool
}

// ImportActivities adds every activity, active, at this center, or none.
// A name the center has already is refused (ErrDuplicate), as are rules or
// a schedule that cannot be applied (ErrInvalid).
func (l *Ledger) ImportActivities(ctx context.Context, req ImportActivities) (ImportResult, error) {
	return importOp(l, ctx, opImportActivities, req.ID, req.DryRun, func(t *wtx, _ record.EntryID) (ImportResult, error) {
		var res ImportResult
		var refused rows
		for i, a := range req.Activities {
			err := t.importActivity(a, res.Station)
			if err != nil {
				if err := refused.refuse(i, err); err != nil {
					return res, err
				}
				continue
			}
			res.Activities++
			res.Station = res.Station || a.Station
		}
		return res, refused.err()
	})
}

func (t *wtx) importActivity(a ImportActivity, stationSet bool) error {
	if a.Station && stationSet {
		return fmt.Errorf("activity %q: a second station activity: %w", a.Name, ErrInvalid)
	}
	var n int
	if err := t.queryRow("SELECT count(*) FROM activities WHERE center = ? AND name = ?", t.l.term.Center, strings.TrimSpace(a.Name)).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("activity %q: %w", a.Name, ErrDuplicate)
	}
	got, err := t.putActivity(Activity{Name: strings.TrimSpace(a.Name), Schedule: a.Schedule, Rules: a.Rules, Active: true})
	if err != nil {
		return err
	}
	if a.Station {
		return t.setStation(got.ID)
	}
	return t.outboxActivity(got.ID)
}

// ImportCatalog adds items and their first stock, all or nothing.
type ImportCatalog struct {
	ID     record.EntryID
	Items  []ImportItem
	DryRun bool
}

// ImportItem is one item of an import and its first stock at this center.
type ImportItem struct {
	Item  Item // ID 0: a new id; Active as given
	Stock int64
}

// ImportReason is the reason of the stock entries an import writes.
const ImportReason = "导入 import"

// ImportCatalog adds every item, or none, and stocks each with a restock
// entry (KindRestock, reason ImportReason). The entries name no staff card:
// they are the setup's, made by the technician's tool before any staff card
// need exist. A name the catalog has already is refused (ErrDuplicate).
func (l *Ledger) ImportCatalog(ctx context.Context, req ImportCatalog) (ImportResult, error) {
	return importOp(l, ctx, opImportCatalog, req.ID, req.DryRun, func(t *wtx, id record.EntryID) (ImportResult, error) {
		var res ImportResult
		var refused rows
		for i, it := range req.Items {
			err := t.importItem(it, record.DeriveID(id, i))
			if err != nil {
				if err := refused.refuse(i, err); err != nil {
					return res, err
				}
				continue
			}
			res.Items++
			res.Stock += it.Stock
		}
		return res, refused.err()
	})
}

func (t *wtx) importItem(it ImportItem, entry record.EntryID) error {
	if it.Stock < 0 {
		return fmt.Errorf("item %q: stock %d: %w", it.Item.Name, it.Stock, ErrInvalid)
	}
	it.Item.Name = strings.TrimSpace(it.Item.Name)
	var n int
	if err := t.queryRow("SELECT count(*) FROM items WHERE name = ?", it.Item.Name).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("item %q: %w", it.Item.Name, ErrDuplicate)
	}
	got, err := t.putItemHere(it.Item)
	if err != nil || it.Stock == 0 {
		return err
	}
	e := record.Entry{ID: entry, Kind: record.KindRestock, Item: got.ID, Stock: it.Stock, Reason: ImportReason}
	return t.append(&e)
}

// RenamePerson sets a person's name: a correction, or a walk-in's
// registration completed (the person is no longer provisional).
type RenamePerson struct {
	ID     record.EntryID
	Person record.PersonID
	Name   string
}

// RenamePerson sets the name and clears Provisional.
func (l *Ledger) RenamePerson(ctx context.Context, req RenamePerson) (Person, error) {
	return do(l, ctx, opRenamePerson, req.ID, func(t *wtx) (Person, error) {
		name := strings.TrimSpace(req.Name)
		if name == "" || utf8.RuneCountInString(name) > 64 {
			return Person{}, fmt.Errorf("rename person: a name of 1 to 64 characters: %w", ErrInvalid)
		}
		if _, err := t.person(req.Person); err != nil {
			return Person{}, err
		}
		if _, err := t.exec("UPDATE people SET name = ?, provisional = 0 WHERE id = ?", name, int64(req.Person)); err != nil {
			return Person{}, err
		}
		p, err := t.person(req.Person)
		if err != nil {
			return Person{}, err
		}
		return p, t.outboxPerson(p)
	})
}

// PersonByMemberNo finds a person by member number: exact, else in upper
// case (imports store member numbers upper case: "HPL0012").
func (l *Ledger) PersonByMemberNo(ctx context.Context, memberNo string) (Person, error) {
	memberNo = strings.TrimSpace(memberNo)
	for _, m := range []string{memberNo, strings.ToUpper(memberNo)} {
		p, err := scanPerson(l.read().QueryRowContext(ctx, "SELECT "+personColumns+" FROM people WHERE member_no = ?"+l.notMerged(), m))
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return p, fmt.Errorf("person %s: %w", memberNo, storageErr(err))
		}
	}
	return Person{}, fmt.Errorf("member number %s: %w", memberNo, ErrNotFound)
}

// OpenShift returns a person's open shift; ErrNoOpenShift when none.
func (l *Ledger) OpenShift(ctx context.Context, person record.PersonID) (Shift, error) {
	return openShift(ctx, l.read(), l, person)
}

// StaffCards lists the staff cards, enabled or not, technicians first, then
// by name.
func (l *Ledger) StaffCards(ctx context.Context) ([]Staff, error) {
	rs, err := l.read().QueryContext(ctx, "SELECT uid FROM staff ORDER BY role DESC, name, uid")
	if err != nil {
		return nil, fmt.Errorf("list staff: %w", storageErr(err))
	}
	var uids []record.CardUID
	for rs.Next() {
		var u string
		if err := rs.Scan(&u); err != nil {
			rs.Close()
			return nil, fmt.Errorf("list staff: %w", storageErr(err))
		}
		uids = append(uids, record.CardUID(u))
	}
	if err := rs.Close(); err != nil {
		return nil, fmt.Errorf("list staff: %w", storageErr(err))
	}
	out := make([]Staff, 0, len(uids))
	for _, u := range uids {
		s, err := readStaff(ctx, l.r, u)
		if err != nil {
			return nil, fmt.Errorf("list staff: %w", err)
		}
		out = append(out, s)
	}
	return out, nil
}

// SetStaffActive disables a staff card (a member of staff leaves, a card
// is lost) or enables it again.
type SetStaffActive struct {
	ID     record.EntryID
	UID    record.CardUID
	Active bool
}

// SetStaffActive enables or disables a staff card (ErrNotStaff if the card
// is not one). A disabled card is refused at the kiosk (ErrStaffDisabled)
// before its PIN is asked, and as the operator of any write.
func (l *Ledger) SetStaffActive(ctx context.Context, req SetStaffActive) (Staff, error) {
	return do(l, ctx, opSetStaffActive, req.ID, func(t *wtx) (Staff, error) {
		s, err := readStaff(t.ctx, t.q, req.UID)
		if err != nil {
			return Staff{}, err
		}
		if s.Active == req.Active {
			return s, nil
		}
		if _, err := t.exec("UPDATE staff SET active = ? WHERE uid = ?", req.Active, string(req.UID)); err != nil {
			return Staff{}, err
		}
		s.Active = req.Active
		return s, t.outboxStaff(req.UID)
	})
}
