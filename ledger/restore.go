package ledger

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

// RestoreFromHub makes a new ledger in dir (which must hold none) for a
// terminal whose SD card died, from what the hub holds of it: the old
// terminal's identity and center (en), its entries, its outbox position and
// a full pull (r). The entries' chain is checked from its first entry, and
// every snapshot's signature with en's hub key, before anything is written:
// a broken chain (a *record.ChainError, ErrCorrupt) or a bad signature
// (hubsync.ErrSignature) is refused and dir is left as it was. Then, in one
// transaction: the enrollment, the registry and balances of the pull, the
// entries, the shifts and redemptions they made, every balance and stock
// recomputed (from the snapshots and the entries after them), everything
// acknowledged. The returned ledger's next entry continues the old chain
// (seq head+1, prev the head's hash), and its request counter continues
// from r.Counter.
//
// What no entry records is not restored: pickup codes (a restored
// redemption's code is "R" and its sequence), hand-outs, PIN failures, and
// the flag of a shift whose check-out credited nothing (it comes back
// closed). A person, activity or item an entry names that the pull lacks
// comes back as a placeholder only for a person merged at the hub (the
// alias names them) and for activities and items (inactive, named by their
// id); another person is refused (ErrInvalid): the hub lost them.
func RestoreFromHub(ctx context.Context, dir string, en hubsync.Enrolled, r hubsync.Restored, opts Options) (*Ledger, error) {
	term := Terminal{ID: en.Terminal, Center: en.Center, CenterName: en.CenterName}
	if en.Terminal == "" || en.Center == "" {
		return nil, fmt.Errorf("restore: no terminal or center: %w", ErrInvalid)
	}
	if err := checkEnrolled(en, term); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	sum, err := checkRestored(en.Terminal, r.Entries)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	if err := checkPullSignatures(en.HubKey, en.Terminal, r.Pull); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	l, err := Create(ctx, dir, term, opts)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	err = l.write(ctx, "restore", func(t *wtx) error { return t.restore(en, r, sum) })
	if err != nil {
		l.Close()
		path := filepath.Join(dir, FileName)
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			os.Remove(p)
		}
		return nil, err
	}
	return l, nil
}

// restoredChain is what the check of a restored chain learnt.
type restoredChain struct {
	head    record.Head
	floor   time.Time // the latest trusted time among the entries
	persons map[record.PersonID]bool
	// activities checked in to and items redeemed: the shifts and
	// redemptions rebuilt name them.
	activities map[record.ActivityID]bool
	items      map[record.ItemID]bool
}

// checkRestored decodes and checks the chain of a terminal's entries from
// its first, keeping none of them.
func checkRestored(terminal string, entries [][]byte) (restoredChain, error) {
	rc := restoredChain{persons: map[record.PersonID]bool{}, activities: map[record.ActivityID]bool{}, items: map[record.ItemID]bool{}}
	chain := record.NewChain(terminal, record.Head{})
	for i, b := range entries {
		e, err := record.DecodeEntry(b)
		if err != nil {
			return rc, fmt.Errorf("entry %d of %d: %w", i+1, len(entries), err)
		}
		if problems := chain.Next(&e); len(problems) > 0 {
			return rc, problems[0]
		}
		if e.Trusted && e.At.After(rc.floor) {
			rc.floor = e.At
		}
		if e.Person != 0 {
			rc.persons[e.Person] = true
		}
		switch e.Kind {
		case record.KindCheckIn:
			rc.activities[e.Activity] = true
		case record.KindRedeem:
			rc.items[e.Item] = true
		}
	}
	rc.head = chain.Head()
	return rc, nil
}

func (t *wtx) restore(en hubsync.Enrolled, r hubsync.Restored, rc restoredChain) error {
	if err := t.writeEnrollment(en); err != nil {
		return err
	}
	// The pull's snapshots are of entries up to the restored head.
	t.head = chainHead{seq: rc.head.Seq, hash: rc.head.Hash}
	if rc.floor.After(t.floor) {
		t.floor = rc.floor
	}
	a, err := t.applyPull(r.Pull)
	if err != nil {
		return err
	}
	if err := t.restorePlaceholders(a, rc); err != nil {
		return err
	}
	items := map[stockKey]bool{}
	for _, b := range r.Entries {
		e, err := record.DecodeEntry(b)
		if err != nil {
			return err
		}
		if err := t.restoreEntry(&e); err != nil {
			return fmt.Errorf("entry %d: %w", e.Seq, err)
		}
		if e.Stock != 0 {
			items[stockKey{e.Center, e.Item}] = true
		}
	}
	var people []record.PersonID
	rows, err := t.query("SELECT id FROM people WHERE id NOT IN (SELECT from_person FROM aliases) ORDER BY id")
	if err != nil {
		return err
	}
	for rows.Next() {
		var p record.PersonID
		if err := rows.Scan((*int64)(&p)); err != nil {
			rows.Close()
			return err
		}
		people = append(people, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if err := recomputeBalances(t, a.alias, people); err != nil {
		return err
	}
	for k := range a.stock {
		items[k] = true
	}
	keys := make([]stockKey, 0, len(items))
	for k := range items {
		keys = append(keys, k)
	}
	if err := recomputeStock(t, keys); err != nil {
		return err
	}
	now := strconv.FormatInt(t.now.UnixNano(), 10)
	for _, kv := range [][2]string{{"acked_seq", strconv.FormatUint(rc.head.Seq, 10)}, {"changes_acked", strconv.FormatUint(r.ChangesAcked, 10)},
		{"registry_version", strconv.FormatUint(r.Pull.Version, 10)}, {"counter", strconv.FormatUint(r.Counter, 10)},
		{"last_sync", now}, {"last_push", now}} {
		if err := t.setMeta(kv[0], kv[1]); err != nil {
			return err
		}
	}
	return nil
}

// restorePlaceholders adds the rows the entries need that the pull lacks:
// merged people (their entries name them), activities and items.
func (t *wtx) restorePlaceholders(a *pullApply, rc restoredChain) error {
	for _, p := range sortedKeys(rc.persons) {
		_, err := t.person(p)
		if err == nil {
			continue
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		to, merged := a.alias[p]
		if !merged {
			return fmt.Errorf("the entries name person %d, whom the hub did not send: %w", p, ErrInvalid)
		}
		root, err := t.person(to)
		if err != nil {
			return fmt.Errorf("person %d merged into %d: %w", p, to, err)
		}
		if _, err := t.exec(`INSERT INTO people(id, member_no, name, provisional, kind, created_at) VALUES (?, ?, '', 1, ?, ?)`,
			int64(p), "#restored#"+strconv.FormatInt(int64(p), 10), int(root.Kind), t.now.UnixNano()); err != nil {
			return err
		}
	}
	for _, id := range sortedKeys(rc.activities) {
		if _, err := t.exec(`INSERT INTO activities(id, center, name, schedule, rules, active) VALUES (?, ?, ?, '{}', '{}', 0)
			ON CONFLICT(id) DO NOTHING`, int64(id), t.l.term.Center, "#"+strconv.FormatInt(int64(id), 10)); err != nil {
			return err
		}
	}
	for _, id := range sortedKeys(rc.items) {
		if _, err := t.exec(`INSERT INTO items(id, name, price, active) VALUES (?, ?, 1, 0) ON CONFLICT(id) DO NOTHING`,
			int64(id), "#"+strconv.FormatInt(int64(id), 10)); err != nil {
			return err
		}
	}
	return nil
}

// restoreEntry writes a restored entry as it is, and the shift or
// redemption it made or changed.
func (t *wtx) restoreEntry(e *record.Entry) error {
	_, err := t.exec(sqlInsertEntry,
		e.Terminal, int64(e.Seq), e.ID[:], int(e.Kind), e.Center, nullPerson(e.Person), string(e.Card),
		e.Minutes, e.Points, e.Stock, int64(e.Activity), nullID(e.Shift), int64(e.Item), nullID(e.Reverses),
		string(e.OtherCard), string(e.Operator), e.Reason, e.At.UnixNano(), e.Boot, e.Trusted, e.Prev[:], e.Hash[:])
	if err != nil {
		return err
	}
	switch e.Kind {
	case record.KindCheckIn:
		_, err = t.exec("INSERT INTO shifts(id, person, card, activity, center, opened_at, state) VALUES (?, ?, ?, ?, ?, ?, ?)",
			e.Shift[:], int64(e.Person), string(e.Card), int64(e.Activity), e.Center, e.At.UnixNano(), int(ShiftOpen))
	case record.KindCheckOut:
		// A check-out with an operator is staff closing the shift by hand;
		// one after a flagged check-out keeps the first's end.
		state := ShiftClosed
		if e.Operator != "" {
			state = ShiftResolved
		}
		_, err = t.exec("UPDATE shifts SET state = ?, closed_at = COALESCE(closed_at, ?), minutes = ?, points = ?, close_entry = ? WHERE id = ?",
			int(state), e.At.UnixNano(), e.Minutes, e.Points, e.ID[:], e.Shift[:])
	case record.KindRedeem:
		day := e.At.In(t.l.opts.Location).Format(time.DateOnly)
		_, err = t.exec(`INSERT INTO redemptions(id, person, card, item, center, qty, points, code, day, at, seq)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.ID[:], int64(e.Person), string(e.Card), int64(e.Item), e.Center,
			-e.Stock, -e.Points, "R"+strconv.FormatUint(e.Seq, 10), day, e.At.UnixNano(), int64(e.Seq))
	case record.KindReverse:
		if _, err = t.exec("UPDATE shifts SET state = ? WHERE close_entry = ?", int(ShiftReversed), e.Reverses[:]); err == nil {
			_, err = t.exec("UPDATE redemptions SET reversed = 1 WHERE id = ?", e.Reverses[:])
		}
	}
	return err
}
