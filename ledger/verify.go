package ledger

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Problem is one thing Verify found wrong.
type Problem struct {
	// Check names the check: "integrity", "chain", "sequence", "hash",
	// "balance", "stock".
	Check  string
	Detail string
}

func (p Problem) String() string { return p.Check + ": " + p.Detail }

// maxProblems bounds a report; Truncated counts the rest.
const maxProblems = 200

// VerifyReport is what Verify found. OK means every check held.
type VerifyReport struct {
	Path      string
	Entries   uint64 // entries read
	Terminals int    // distinct origin terminals
	People    int    // people with a balance row
	Problems  []Problem
	Truncated int // problems beyond maxProblems, not listed
}

// OK reports whether nothing was found wrong.
func (r *VerifyReport) OK() bool { return len(r.Problems) == 0 }

func (r *VerifyReport) add(check, format string, args ...any) {
	if len(r.Problems) >= maxProblems {
		r.Truncated++
		return
	}
	r.Problems = append(r.Problems, Problem{Check: check, Detail: fmt.Sprintf(format, args...)})
}

type stockKey struct {
	center string
	item   ItemID
}

// Verify checks the whole ledger in one read transaction, beside a running
// terminal: SQLite's integrity check; for each terminal that the sequence
// runs 1, 2, 3... without a gap, that each entry's hash is the SHA-256 of its
// canonical encoding and its prev the hash before it; that stored balances
// equal the sums of entries and never went below zero; that stock equals
// the sum of stock deltas and never went below zero. The error is for not
// being able to read; what is wrong is in the report.
func (l *Ledger) Verify(ctx context.Context) (*VerifyReport, error) {
	rep := &VerifyReport{Path: l.path}
	tx, err := l.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("verify: %w", storageErr(err))
	}
	defer tx.Rollback()
	q := l.readTx(tx)
	problems, err := integrityProblems(ctx, q)
	if err != nil {
		rep.add("integrity", "%v", storageErr(err))
	}
	for _, p := range problems {
		rep.add("integrity", "%s", p)
	}
	if err := verifyEntries(ctx, q, rep); err != nil {
		return rep, fmt.Errorf("verify: %w", err)
	}
	return rep, nil
}

func verifyEntries(ctx context.Context, tx querier, rep *VerifyReport) error {
	rows, err := tx.QueryContext(ctx, "SELECT "+entryColumns+" FROM entries ORDER BY terminal, seq")
	if err != nil {
		return storageErr(err)
	}
	defer rows.Close()
	type sums struct{ points, minutes int64 }
	people := map[PersonID]*sums{}
	stock := map[stockKey]int64{}
	var (
		terminal string
		want     uint64
		prev     Hash
		buf      []byte
	)
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return storageErr(err)
		}
		rep.Entries++
		if e.Terminal != terminal || rep.Entries == 1 {
			terminal, want, prev = e.Terminal, 1, Hash{}
			rep.Terminals++
		}
		if e.Seq != want {
			rep.add("sequence", "terminal %s: expected seq %d, found %d (missing %d entries)", e.Terminal, want, e.Seq, int64(e.Seq)-int64(want))
		}
		want = e.Seq + 1
		if e.Prev != prev {
			rep.add("chain", "terminal %s seq %d: prev hash %.16s… does not match previous entry's %.16s…", e.Terminal, e.Seq, e.Prev, prev)
		}
		stored := e.Hash
		if !e.Kind.valid() {
			rep.add("hash", "terminal %s seq %d: unknown kind %d", e.Terminal, e.Seq, e.Kind)
		} else {
			buf = e.appendEncoding(buf[:0])
			if sum := sha256Sum(buf); !bytes.Equal(sum[:], stored[:]) {
				rep.add("hash", "terminal %s seq %d (id %s): stored hash does not match the entry's content", e.Terminal, e.Seq, e.ID)
			}
		}
		prev = stored
		if e.Person != 0 {
			s := people[e.Person]
			if s == nil {
				s = &sums{}
				people[e.Person] = s
			}
			s.points += e.Points
			s.minutes += e.Minutes
			if s.points < 0 || s.minutes < 0 {
				rep.add("balance", "person %d below zero after terminal %s seq %d (%d points, %d minutes)", e.Person, e.Terminal, e.Seq, s.points, s.minutes)
			}
		}
		if e.Stock != 0 {
			k := stockKey{e.Center, e.Item}
			stock[k] += e.Stock
			if stock[k] < 0 {
				rep.add("stock", "item %d at %s below zero after terminal %s seq %d (%d)", e.Item, e.Center, e.Terminal, e.Seq, stock[k])
			}
		}
	}
	if err := rows.Err(); err != nil {
		return storageErr(err)
	}
	rows.Close()

	brows, err := tx.QueryContext(ctx, "SELECT person, points, minutes FROM balances")
	if err != nil {
		return storageErr(err)
	}
	defer brows.Close()
	for brows.Next() {
		var p PersonID
		var b sums
		if err := brows.Scan((*int64)(&p), &b.points, &b.minutes); err != nil {
			return storageErr(err)
		}
		rep.People++
		got := people[p]
		if got == nil {
			got = &sums{}
		}
		if *got != b {
			rep.add("balance", "person %d: stored %d points %d minutes, entries sum to %d points %d minutes", p, b.points, b.minutes, got.points, got.minutes)
		}
		delete(people, p)
	}
	if err := brows.Err(); err != nil {
		return storageErr(err)
	}
	for p, s := range people {
		rep.add("balance", "person %d: entries sum to %d points %d minutes but there is no balance", p, s.points, s.minutes)
	}

	srows, err := tx.QueryContext(ctx, "SELECT center, item, qty FROM stock")
	if err != nil {
		return storageErr(err)
	}
	defer srows.Close()
	for srows.Next() {
		var k stockKey
		var n int64
		if err := srows.Scan(&k.center, (*int64)(&k.item), &n); err != nil {
			return storageErr(err)
		}
		if n < 0 {
			rep.add("stock", "item %d at %s: stock %d below zero", k.item, k.center, n)
		}
		if stock[k] != n {
			rep.add("stock", "item %d at %s: stored %d, entries sum to %d", k.item, k.center, n, stock[k])
		}
		delete(stock, k)
	}
	if err := srows.Err(); err != nil {
		return storageErr(err)
	}
	for k, n := range stock {
		if n != 0 {
			rep.add("stock", "item %d at %s: entries sum to %d but no stock is stored", k.item, k.center, n)
		}
	}
	return nil
}

// Status is the technician's overview.
type Status struct {
	Terminal      Terminal
	SchemaVersion int
	People        int64
	Cards         int64
	OpenShifts    int64
	FlaggedShifts int64
	Entries       int64
	Sync          SyncState
	DBBytes       int64  // ledger.db plus its WAL
	FreeBytes     uint64 // free on the data directory's filesystem
}

// Status counts what the ledger holds.
func (l *Ledger) Status(ctx context.Context) (Status, error) {
	s := Status{Terminal: l.term}
	tx, err := l.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return s, fmt.Errorf("status: %w", storageErr(err))
	}
	defer tx.Rollback()
	q := l.readTx(tx)
	err = q.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM people), (SELECT count(*) FROM cards),
		(SELECT count(*) FROM shifts WHERE state = ?), (SELECT count(*) FROM shifts WHERE state = ?),
		(SELECT count(*) FROM entries)`, int(ShiftOpen), int(ShiftFlagged)).
		Scan(&s.People, &s.Cards, &s.OpenShifts, &s.FlaggedShifts, &s.Entries)
	if err != nil {
		return s, fmt.Errorf("status: %w", storageErr(err))
	}
	if err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&s.SchemaVersion); err != nil {
		return s, fmt.Errorf("status: %w", storageErr(err))
	}
	if s.Sync, err = readSyncState(ctx, q, l.term.ID); err != nil {
		return s, fmt.Errorf("status: %w", err)
	}
	for _, p := range []string{l.path, l.path + "-wal"} {
		if st, err := os.Stat(p); err == nil {
			s.DBBytes += st.Size()
		}
	}
	var fs unix.Statfs_t
	if err := unix.Statfs(l.path, &fs); err == nil {
		s.FreeBytes = fs.Bavail * uint64(fs.Bsize)
	}
	return s, nil
}
