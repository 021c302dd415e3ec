package ledger

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

// Applying a pull: the hub's registry changes and the district balances, in
// one transaction, after every signature checked.
//
// Balances carried from the hub are snapshots the hub signed: a person's
// balance here is their latest snapshot plus this terminal's own entries
// after the snapshot's AsOf, for them and for everyone merged into them; a
// person with no snapshot has the sum of the entries, as before the hub.
// The file keeps only its own entries, so it stays small, and Verify proves
// every balance from what the file holds. Stock of this center the same.

const opApplyPull = "apply pull"

// ApplyPull applies a pull's answer in one transaction. Every balance and
// stock snapshot's signature is checked with the hub's key first (Enroll
// stored it): one that does not verify refuses the whole pull
// (hubsync.ErrSignature), and nothing is applied. Then, in order: the
// policy; people (provisional ones too; a member number another local
// person holds moves that person's aside: the hub matches them by it at the
// next push); aliases (a person merged into another: their cards and
// balance follow the person they became, their row stays for their
// entries, out of searches); cards and their states (a card blocked at the
// hub is refused here from then on); this center's activities (others'
// are not kept) and the station activity; items; this center's stock;
// staff cards (PIN hashes in PHC form); the district balances; the
// registry version. A pull older than the version held, a snapshot of
// entries this ledger does not hold (AsOf past its head), or a row that
// names what neither the ledger nor the pull holds is ErrInvalid, and
// nothing is applied.
//
// A pull with More unset is a whole sync: LastSync is set, so MaxSyncAge
// counts from it. The offline cap counts from the acknowledged sequence
// (RecordPush), which the push before the pull moved.
func (l *Ledger) ApplyPull(ctx context.Context, p hubsync.PullResult) error {
	key, err := hubKey(ctx, l.read())
	if err != nil {
		return fmt.Errorf("%s: %w", opApplyPull, err)
	}
	// Outside the write lock: a first pull carries thousands of snapshots.
	if err := checkPullSignatures(key, l.term.ID, p); err != nil {
		return fmt.Errorf("%s: %w", opApplyPull, err)
	}
	return l.write(ctx, opApplyPull, func(t *wtx) error {
		k, err := hubKey(t.ctx, t.q)
		if err != nil {
			return err
		}
		if !k.Equal(key) {
			return fmt.Errorf("the hub's key changed while the pull was checked: %w", ErrInvalid)
		}
		m, err := t.meta()
		if err != nil {
			return err
		}
		if held := metaUint(m, "registry_version"); p.Version < held {
			return fmt.Errorf("pull of version %d, this ledger holds %d: %w", p.Version, held, ErrInvalid)
		}
		a, err := t.applyPull(p)
		if err != nil {
			return err
		}
		if err := a.recompute(); err != nil {
			return err
		}
		if err := t.setMeta("registry_version", strconv.FormatUint(p.Version, 10)); err != nil {
			return err
		}
		if !p.HubTime.IsZero() {
			if err := t.setMeta("clock_offset", strconv.FormatInt(int64(p.HubTime.Sub(t.now)), 10)); err != nil {
				return err
			}
		}
		if p.More {
			return nil
		}
		return t.setMeta("last_sync", strconv.FormatInt(t.now.UnixNano(), 10))
	})
}

// checkPullSignatures checks every snapshot's and stock's signature.
func checkPullSignatures(key ed25519.PublicKey, terminal string, p hubsync.PullResult) error {
	for _, s := range p.Balances {
		if !ed25519.Verify(key, s.SigningBytes(terminal), s.Sig) {
			return fmt.Errorf("balance of person %d (version %d): %w", s.Person, s.Version, hubsync.ErrSignature)
		}
	}
	for _, s := range p.Stock {
		if !ed25519.Verify(key, s.SigningBytes(terminal), s.Sig) {
			return fmt.Errorf("stock of item %d at %s (version %d): %w", s.Item, s.Center, s.Version, hubsync.ErrSignature)
		}
	}
	return nil
}

// pullApply is a pull being applied: what it changed, for the balances and
// stock to recompute at the end.
type pullApply struct {
	t *wtx
	// alias maps each merged person to the person they became, from the
	// table and the pull, followed to its end.
	alias map[record.PersonID]record.PersonID
	// merged are the people whose alias this pull made or changed.
	merged []record.PersonID
	people map[record.PersonID]bool // balances to recompute
	stock  map[stockKey]bool        // this center's stock to recompute
}

func (t *wtx) applyPull(p hubsync.PullResult) (*pullApply, error) {
	a := &pullApply{t: t, people: map[record.PersonID]bool{}, stock: map[stockKey]bool{}}
	var err error
	if a.alias, err = readAliases(t.ctx, t.q); err != nil {
		return nil, err
	}
	if p.Policy != nil {
		if err := p.Policy.Validate(); err != nil {
			return nil, err
		}
		b, _ := json.Marshal(*p.Policy)
		if err := t.setMeta("policy", string(b)); err != nil {
			return nil, err
		}
	}
	steps := []func(hubsync.PullResult) error{a.addAliases, a.putPeople, a.mergePeople, a.putCards, a.putActivities,
		a.putItems, a.putStaff, a.putStock, a.putBalances}
	for _, step := range steps {
		if err := step(p); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func readAliases(ctx context.Context, q querier) (map[record.PersonID]record.PersonID, error) {
	rows, err := q.QueryContext(ctx, "SELECT from_person, to_person FROM aliases")
	if err != nil {
		return nil, storageErr(err)
	}
	defer rows.Close()
	m := map[record.PersonID]record.PersonID{}
	for rows.Next() {
		var from, to record.PersonID
		if err := rows.Scan((*int64)(&from), (*int64)(&to)); err != nil {
			return nil, storageErr(err)
		}
		m[from] = to
	}
	return m, storageErr(rows.Err())
}

// root is the person p became: p itself unless merged.
func (a *pullApply) root(p record.PersonID) record.PersonID {
	if to, ok := a.alias[p]; ok {
		return to
	}
	return p
}

// addAliases records the pull's aliases, each pointing at the end of its
// chain (a walk-in merged into a person later merged again), and points
// every alias to a merged person on at the one it became.
func (a *pullApply) addAliases(p hubsync.PullResult) error {
	before := maps.Clone(a.alias)
	for _, al := range p.Aliases {
		if al.From == 0 || al.To == 0 || al.From == al.To {
			return fmt.Errorf("alias %d → %d: %w", al.From, al.To, ErrInvalid)
		}
		a.alias[al.From] = al.To
	}
	// Follow every chain to its end; a cycle is the hub's mistake.
	for from := range a.alias {
		to, seen := a.alias[from], 0
		for {
			next, ok := a.alias[to]
			if !ok {
				break
			}
			if seen++; seen > len(a.alias) {
				return fmt.Errorf("aliases of person %d go round in a circle: %w", from, ErrInvalid)
			}
			to = next
		}
		a.alias[from] = to
	}
	for _, from := range sortedKeys(a.alias) {
		to := a.alias[from]
		if old, ok := before[from]; ok && old == to {
			continue
		}
		a.merged = append(a.merged, from)
		if _, err := a.t.exec(`INSERT INTO aliases(from_person, to_person) VALUES (?, ?)
			ON CONFLICT(from_person) DO UPDATE SET to_person = excluded.to_person`, int64(from), int64(to)); err != nil {
			return err
		}
	}
	for _, al := range p.Aliases {
		a.people[a.root(al.To)] = true
	}
	return nil
}

// personSet is SQL for a person (?1) and everyone merged into them at the
// hub: what an alias-aware look-up matches. A read-only look at a file
// older than the hub's tables matches the person alone.
func (l *Ledger) personSet() string {
	if l.schema < syncSchema {
		return "(?1)"
	}
	return "(SELECT ?1 UNION ALL SELECT from_person FROM aliases WHERE to_person = ?1)"
}

// notMerged is SQL that leaves out of a search of people those merged into
// another at the hub: their rows stay for their entries only.
func (l *Ledger) notMerged() string {
	if l.schema < syncSchema {
		return ""
	}
	return " AND id NOT IN (SELECT from_person FROM aliases)"
}

func sortedKeys[K ~int64, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// putPeople upserts the pull's people. Member numbers are unique in the
// file: a pulled person's old number is moved aside first (two people may
// swap numbers in one pull), and a local person not in the pull holding a
// number the hub gives someone has "#" and their id appended (the hub
// matches them by member number at the next push and sends the alias). A
// merged person pulled with a number a live one holds gets the suffix
// instead.
func (a *pullApply) putPeople(p hubsync.PullResult) error {
	t := a.t
	pulled := map[record.PersonID]bool{}
	for _, hp := range p.People {
		hp.MemberNo = strings.TrimSpace(hp.MemberNo)
		if hp.ID <= 0 || hp.ID > maxPersonID || hp.MemberNo == "" || !hp.Kind.Valid() {
			return fmt.Errorf("person %d (%q, kind %d): an id, a member number and a kind are required: %w", hp.ID, hp.MemberNo, hp.Kind, ErrInvalid)
		}
		if pulled[hp.ID] {
			return fmt.Errorf("person %d twice in one pull: %w", hp.ID, ErrInvalid)
		}
		pulled[hp.ID] = true
		if _, err := t.exec("UPDATE people SET member_no = ? WHERE id = ? AND member_no != ?", "#pull#"+strconv.FormatInt(int64(hp.ID), 10), int64(hp.ID), hp.MemberNo); err != nil {
			return err
		}
	}
	live := slices.DeleteFunc(slices.Clone(p.People), func(hp hubsync.Person) bool { return a.root(hp.ID) != hp.ID })
	merged := slices.DeleteFunc(slices.Clone(p.People), func(hp hubsync.Person) bool { return a.root(hp.ID) == hp.ID })
	for _, hp := range append(live, merged...) {
		memberNo := strings.TrimSpace(hp.MemberNo)
		var holder int64
		err := t.queryRow("SELECT id FROM people WHERE member_no = ? AND id != ?", memberNo, int64(hp.ID)).Scan(&holder)
		switch {
		case isNoRows(err):
		case err != nil:
			return err
		case a.root(hp.ID) != hp.ID:
			// A merged person yields their number.
			memberNo += "#" + strconv.FormatInt(int64(hp.ID), 10)
		case pulled[record.PersonID(holder)] && a.root(record.PersonID(holder)) == record.PersonID(holder):
			return fmt.Errorf("people %d and %d both have member number %s: %w", holder, hp.ID, memberNo, ErrInvalid)
		default:
			if _, err := t.exec("UPDATE people SET member_no = member_no || '#' || id WHERE id = ?", holder); err != nil {
				return err
			}
		}
		phone := MaskPhone(hp.Phone)
		name := strings.TrimSpace(hp.Name)
		if _, err := t.exec(`INSERT INTO people(id, member_no, name, provisional, phone_masked, phone_last4, community, kind, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET member_no = excluded.member_no, name = excluded.name,
			provisional = excluded.provisional, phone_masked = excluded.phone_masked, phone_last4 = excluded.phone_last4,
			community = excluded.community, kind = excluded.kind`,
			int64(hp.ID), memberNo, name, hp.Provisional, phone, last4(phone), hp.Community, int(hp.Kind), t.now.UnixNano()); err != nil {
			return err
		}
		if a.root(hp.ID) == hp.ID {
			res, err := t.exec("INSERT INTO balances(person) VALUES (?) ON CONFLICT(person) DO NOTHING", int64(hp.ID))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				a.people[hp.ID] = true // a person the ledger held only as merged, or new
			}
		}
	}
	return nil
}

// mergePeople moves what merged people had to the person they became: their
// cards, and their balance (recomputed for the person they became, from
// their snapshot and everyone's entries). Their row stays: their entries
// name it.
func (a *pullApply) mergePeople(hubsync.PullResult) error {
	t := a.t
	for _, from := range a.merged {
		to := a.alias[from]
		if err := t.held(to); err != nil {
			return fmt.Errorf("person %d merged into %d: %w", from, to, err)
		}
		res, err := t.exec("UPDATE cards SET person = ?, changed_at = ? WHERE person = ?", int64(to), t.now.UnixNano(), int64(from))
		if err != nil {
			return err
		}
		moved, _ := res.RowsAffected()
		res, err = t.exec("DELETE FROM balances WHERE person = ?", int64(from))
		if err != nil {
			return err
		}
		gone, _ := res.RowsAffected()
		if _, err := t.exec("DELETE FROM snapshots WHERE person = ?", int64(from)); err != nil {
			return err
		}
		if moved > 0 || gone > 0 {
			a.people[to] = true
		}
	}
	return nil
}

func (a *pullApply) putCards(p hubsync.PullResult) error {
	t := a.t
	for _, hc := range p.Cards {
		uid, err := record.ParseUID(string(hc.UID))
		if err != nil || uid != hc.UID {
			return fmt.Errorf("card %q: not a normalised UID: %w", hc.UID, ErrBadUID)
		}
		state, err := cardStateOf(hc.State)
		if err != nil {
			return fmt.Errorf("card %s: %w", hc.UID, err)
		}
		person := a.root(hc.Person)
		if err := t.held(person); err != nil {
			return fmt.Errorf("card %s of person %d: %w", hc.UID, hc.Person, err)
		}
		var staff int
		if err := t.queryRow("SELECT count(*) FROM staff WHERE uid = ?", string(uid)).Scan(&staff); err != nil {
			return err
		}
		if staff > 0 {
			return fmt.Errorf("card %s is a staff card here, the hub binds it to person %d: %w", uid, hc.Person, ErrInvalid)
		}
		old, err := t.card(uid)
		switch {
		case err == nil && old.Person == person && old.State == state:
			continue
		case err == nil:
			if _, err := t.exec("UPDATE cards SET person = ?, state = ?, changed_at = ? WHERE uid = ?", int64(person), int(state), t.now.UnixNano(), string(uid)); err != nil {
				return err
			}
		case isNotFound(err):
			if _, err := t.exec("INSERT INTO cards(uid, person, state, bound_at, changed_at) VALUES (?, ?, ?, ?, ?)",
				string(uid), int64(person), int(state), t.now.UnixNano(), t.now.UnixNano()); err != nil {
				return err
			}
		default:
			return err
		}
		if err := t.cardHistory(uid, state, "", "hub"); err != nil {
			return err
		}
	}
	return nil
}

// held checks that the ledger holds a person the pull names: one it does
// not is the hub's mistake (ErrInvalid); any other failure is the ledger's
// own (a context ended, a busy disk) and said as it is, not blamed on the
// hub.
func (t *wtx) held(id record.PersonID) error {
	_, err := t.person(id)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("neither this ledger nor the pull holds them: %w", ErrInvalid)
	}
	return err
}

func isNotFound(err error) bool {
	return isNoRows(err) || errors.Is(err, ErrUnknownCard) || errors.Is(err, ErrNotFound)
}

// putActivities keeps this center's activities; another center's are not
// used here, and one that moved away is made inactive.
func (a *pullApply) putActivities(p hubsync.PullResult) error {
	t := a.t
	for _, ha := range p.Activities {
		if ha.ID == 0 {
			return fmt.Errorf("activity %q without an id: %w", ha.Name, ErrInvalid)
		}
		if ha.Center != t.l.term.Center {
			if _, err := t.exec("UPDATE activities SET active = 0 WHERE id = ?", int64(ha.ID)); err != nil {
				return err
			}
			continue
		}
		if _, err := t.putActivity(Activity{ID: ha.ID, Center: ha.Center, Name: strings.TrimSpace(ha.Name), Schedule: ha.Schedule,
			Rules: ha.Rules, Active: ha.Active}); err != nil {
			return err
		}
		if ha.Station && ha.Active {
			if err := t.setMeta("station_activity", strconv.FormatInt(int64(ha.ID), 10)); err != nil {
				return err
			}
		}
	}
	return nil
}

// periodOf reads a limit period's name in the protocol.
func periodOf(s string) (Period, error) {
	switch s {
	case hubsync.PeriodNone:
		return NoLimit, nil
	case hubsync.PeriodDay:
		return Daily, nil
	case hubsync.PeriodWeek:
		return Weekly, nil
	case hubsync.PeriodMonth:
		return Monthly, nil
	case hubsync.PeriodYear:
		return Yearly, nil
	}
	return 0, fmt.Errorf("limit period %q: %w", s, ErrInvalid)
}

func (a *pullApply) putItems(p hubsync.PullResult) error {
	for _, hi := range p.Items {
		if hi.ID == 0 {
			return fmt.Errorf("item %q without an id: %w", hi.Name, ErrInvalid)
		}
		period, err := periodOf(hi.LimitPeriod)
		if err != nil {
			return fmt.Errorf("item %d: %w", hi.ID, err)
		}
		if _, err := a.t.putItem(Item{ID: hi.ID, Name: strings.TrimSpace(hi.Name), Price: hi.Price, Limit: hi.LimitCount, Period: period, Active: hi.Active}); err != nil {
			return err
		}
	}
	return nil
}

// putStaff keeps the center's staff cards; a card's PIN failures and lock
// stay as they are.
func (a *pullApply) putStaff(p hubsync.PullResult) error {
	t := a.t
	for _, hs := range p.Staff {
		uid, err := record.ParseUID(string(hs.UID))
		if err != nil || uid != hs.UID {
			return fmt.Errorf("staff card %q: not a normalised UID: %w", hs.UID, ErrBadUID)
		}
		var role Role
		switch hs.Role {
		case hubsync.RoleStaff:
			role = RoleStaff
		case hubsync.RoleTechnician:
			role = RoleTechnician
		default:
			return fmt.Errorf("staff card %s: role %q: %w", uid, hs.Role, ErrInvalid)
		}
		if strings.TrimSpace(hs.Name) == "" {
			return fmt.Errorf("staff card %s: no name: %w", uid, ErrInvalid)
		}
		pin, err := pinHashFromPHC(hs.PINHash)
		if err != nil {
			return fmt.Errorf("staff card %s: %w", uid, err)
		}
		var cards int
		if err := t.queryRow("SELECT count(*) FROM cards WHERE uid = ?", string(uid)).Scan(&cards); err != nil {
			return err
		}
		if cards > 0 {
			return fmt.Errorf("staff card %s is a person's card here: %w", uid, ErrInvalid)
		}
		if _, err := t.exec(`INSERT INTO staff(uid, name, role, pin, active) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT(uid) DO UPDATE SET name = excluded.name, role = excluded.role, pin = excluded.pin, active = excluded.active`,
			string(uid), strings.TrimSpace(hs.Name), int(role), pin, hs.Active); err != nil {
			return err
		}
	}
	return nil
}

// putStock keeps the latest signed stock of each item at this center.
func (a *pullApply) putStock(p hubsync.PullResult) error {
	t := a.t
	for _, s := range p.Stock {
		if s.Center != t.l.term.Center {
			continue
		}
		if s.AsOf > t.head.seq {
			return fmt.Errorf("stock of item %d as of entry %d, this ledger ends at %d: %w", s.Item, s.AsOf, t.head.seq, ErrInvalid)
		}
		// Stock of an item this kiosk does not know (another kiosk of the
		// center made it before the hub had it) cannot be redeemed here:
		// it is not kept, and the rest of the pull applies.
		if _, err := readItem(t.ctx, t.q, s.Item); errors.Is(err, ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		res, err := t.exec(`INSERT INTO stock_snapshots(center, item, qty, as_of, version, sig) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT(center, item) DO UPDATE SET qty = excluded.qty, as_of = excluded.as_of, version = excluded.version, sig = excluded.sig
			WHERE excluded.version > version OR (excluded.version = version AND excluded.as_of >= as_of)`,
			s.Center, int64(s.Item), s.Qty, int64(s.AsOf), int64(s.Version), s.Sig)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			a.stock[stockKey{s.Center, s.Item}] = true
		}
	}
	return nil
}

// putBalances keeps the latest signed balance of each person. A snapshot
// of a merged person is not kept: the one they became has theirs.
func (a *pullApply) putBalances(p hubsync.PullResult) error {
	t := a.t
	for _, s := range p.Balances {
		if s.AsOf > t.head.seq {
			return fmt.Errorf("balance of person %d as of entry %d, this ledger ends at %d: %w", s.Person, s.AsOf, t.head.seq, ErrInvalid)
		}
		if a.root(s.Person) != s.Person {
			continue
		}
		if err := t.held(s.Person); err != nil {
			return fmt.Errorf("balance of person %d: %w", s.Person, err)
		}
		res, err := t.exec(`INSERT INTO snapshots(person, points, minutes, as_of, version, sig) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT(person) DO UPDATE SET points = excluded.points, minutes = excluded.minutes, as_of = excluded.as_of,
			version = excluded.version, sig = excluded.sig
			WHERE excluded.version > version OR (excluded.version = version AND excluded.as_of >= as_of)`,
			int64(s.Person), s.Points, s.Minutes, int64(s.AsOf), int64(s.Version), s.Sig)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			a.people[s.Person] = true
		}
	}
	return nil
}

// recompute sets the balances and stock the pull changed.
func (a *pullApply) recompute() error {
	if err := recomputeBalances(a.t, a.alias, sortedKeys(a.people)); err != nil {
		return err
	}
	keys := make([]stockKey, 0, len(a.stock))
	for k := range a.stock {
		keys = append(keys, k)
	}
	return recomputeStock(a.t, keys)
}

type snapBase struct {
	points, minutes int64
	asOf            uint64
}

// recomputeBalances sets each person's balance to their snapshot plus this
// terminal's entries after its AsOf, for them and everyone merged into them
// (alias: merged → the person they became); a person without a snapshot to
// the sum of all the entries, as before the hub. A merged person has none.
func recomputeBalances(t *wtx, alias map[record.PersonID]record.PersonID, people []record.PersonID) error {
	snaps := map[record.PersonID]snapBase{}
	var plain []record.PersonID
	from := uint64(1<<63 - 1)
	for _, p := range people {
		if _, merged := alias[p]; merged {
			continue
		}
		var s snapBase
		var asOf int64
		err := t.queryRow("SELECT points, minutes, as_of FROM snapshots WHERE person = ?", int64(p)).Scan(&s.points, &s.minutes, &asOf)
		switch {
		case isNoRows(err):
			plain = append(plain, p)
			continue
		case err != nil:
			return err
		}
		s.asOf = uint64(asOf)
		snaps[p] = s
		from = min(from, s.asOf)
	}
	sums := map[record.PersonID]Balance{}
	if len(snaps) > 0 {
		// One pass over this terminal's entries after the earliest AsOf:
		// a pull's snapshots share one, near the head.
		rows, err := t.query(`SELECT person, points, minutes, seq FROM entries
			WHERE terminal = ? AND seq > ? AND person IS NOT NULL AND (points != 0 OR minutes != 0)`, t.l.term.ID, int64(from))
		if err != nil {
			return err
		}
		for rows.Next() {
			var p record.PersonID
			var points, minutes, seq int64
			if err := rows.Scan((*int64)(&p), &points, &minutes, &seq); err != nil {
				rows.Close()
				return err
			}
			if to, ok := alias[p]; ok {
				p = to
			}
			if s, ok := snaps[p]; ok && uint64(seq) > s.asOf {
				b := sums[p]
				b.Points += points
				b.Minutes += minutes
				sums[p] = b
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	for _, p := range plain {
		var b Balance
		if err := t.queryRow(`SELECT COALESCE(SUM(points), 0), COALESCE(SUM(minutes), 0) FROM entries
			WHERE person IN (SELECT ?1 UNION ALL SELECT from_person FROM aliases WHERE to_person = ?1)`, int64(p)).Scan(&b.Points, &b.Minutes); err != nil {
			return err
		}
		sums[p] = b
	}
	for p, b := range sums {
		s := snaps[p]
		if _, err := t.exec(`INSERT INTO balances(person, points, minutes) VALUES (?, ?, ?)
			ON CONFLICT(person) DO UPDATE SET points = excluded.points, minutes = excluded.minutes`,
			int64(p), s.points+b.Points, s.minutes+b.Minutes); err != nil {
			return err
		}
	}
	for p, s := range snaps {
		if _, ok := sums[p]; ok {
			continue
		}
		if _, err := t.exec(`INSERT INTO balances(person, points, minutes) VALUES (?, ?, ?)
			ON CONFLICT(person) DO UPDATE SET points = excluded.points, minutes = excluded.minutes`,
			int64(p), s.points, s.minutes); err != nil {
			return err
		}
	}
	return nil
}

// recomputeStock sets each key's stock to its snapshot plus this terminal's
// stock entries after its AsOf; a key without a snapshot to the sum of all
// the entries.
func recomputeStock(t *wtx, keys []stockKey) error {
	for _, k := range keys {
		var qty, asOf int64
		var sum int64
		err := t.queryRow("SELECT qty, as_of FROM stock_snapshots WHERE center = ? AND item = ?", k.center, int64(k.item)).Scan(&qty, &asOf)
		switch {
		case isNoRows(err):
			err = t.queryRow("SELECT COALESCE(SUM(stock), 0) FROM entries WHERE center = ? AND item = ? AND stock != 0", k.center, int64(k.item)).Scan(&sum)
		case err == nil:
			err = t.queryRow("SELECT COALESCE(SUM(stock), 0) FROM entries WHERE terminal = ? AND seq > ? AND center = ? AND item = ? AND stock != 0",
				t.l.term.ID, asOf, k.center, int64(k.item)).Scan(&sum)
		}
		if err != nil {
			return err
		}
		if _, err := t.exec(`INSERT INTO stock(center, item, qty) VALUES (?, ?, ?)
			ON CONFLICT(center, item) DO UPDATE SET qty = excluded.qty`, k.center, int64(k.item), qty+sum); err != nil {
			return err
		}
	}
	return nil
}
