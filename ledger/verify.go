package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"sync"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/record"
	"golang.org/x/sys/unix"
)

// Problem is one thing Verify found wrong.
type Problem struct {
	// Check names the check: "integrity", "chain", "sequence", "hash",
	// "terminal" (the chain's, see record.ChainProblem), "balance", "stock",
	// "snapshot" (a balance or stock the hub signed), "trigger", "shift",
	// "redemption".
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
	// Parts is how long each part took: "integrity", "chain 1/2" and
	// "chain 2/2" ran at once, then "rest" (balances, stock, triggers,
	// shifts and redemptions). BenchmarkVerify reports them.
	Parts []VerifyPart
}

// VerifyPart is one part of Verify and how long it ran.
type VerifyPart struct {
	Name string
	Took time.Duration
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
	item   record.ItemID
}

// Verify checks the whole ledger, beside a running terminal: SQLite's
// integrity check; for each terminal that the sequence runs 1, 2, 3...
// without a gap, that each entry's hash is the SHA-256 of its canonical
// encoding and its prev the hash before it; that stored balances equal the
// sums of entries and never went below zero; that stock equals the sum of
// stock deltas and never went below zero (from the hub's signed snapshot,
// its signature checked, when the hub sent one: see hubProof); that the
// triggers keeping entries
// append-only are there; that each shift agrees with its check-in and
// check-out entries and each redemption with its redeem entry. The error is for not being able to
// read; what is wrong is in the report.
//
// The integrity check and two halves of the entries run at once on three
// read transactions that see one snapshot (they start while writes are held
// off), so a million entries take seconds, not tens of seconds.
func (l *Ledger) Verify(ctx context.Context) (*VerifyReport, error) {
	return l.VerifyWith(ctx, VerifyOptions{})
}

// VerifyOptions tune VerifyWith.
type VerifyOptions struct {
	// Quick runs PRAGMA quick_check instead of integrity_check: every page
	// and record is still read and checked, but not that each index holds
	// exactly its table's rows. Several times faster on a large ledger
	// (make bench runs BenchmarkVerify and BenchmarkVerifyQuick side by side;
	// the README has the numbers); the ledger's own checks run in full.
	Quick bool
}

// VerifyWith is Verify with options.
func (l *Ledger) VerifyWith(ctx context.Context, o VerifyOptions) (*VerifyReport, error) {
	rep := &VerifyReport{Path: l.path}
	txs, err := l.snapshot(ctx, 3)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	defer func() {
		for _, tx := range txs {
			tx.Rollback()
		}
	}()
	// Split this terminal's chain at its middle; other terminals' entries
	// (none until the hub sends some) go with the first half.
	q1 := l.readTx(txs[1])
	var head int64
	if err := q1.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM entries WHERE terminal = ?", l.term.ID).Scan(&head); err != nil {
		return nil, fmt.Errorf("verify: %w", storageErr(err))
	}
	mid := uint64(head/2 + 1)
	var midPrev record.Hash
	if mid > 1 {
		var h []byte
		err := q1.QueryRowContext(ctx, "SELECT hash FROM entries WHERE terminal = ? AND seq = ?", l.term.ID, int64(mid-1)).Scan(&h)
		if err != nil && !isNoRows(err) {
			return nil, fmt.Errorf("verify: %w", storageErr(err))
		}
		copy(midPrev[:], h)
	}
	pf, err := loadHubProof(ctx, q1, l.term.ID)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	first := []chainRange{{terminal: l.term.ID, from: 1, to: mid}}
	others, err := otherTerminals(ctx, q1, l.term.ID)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	for _, t := range others {
		first = append(first, chainRange{terminal: t, from: 1})
	}
	second := []chainRange{{terminal: l.term.ID, from: mid, prev: midPrev}}
	var (
		wg        sync.WaitGroup
		integrity []string
		ierr      error
		parts     [2]*chainPart
		perr      [2]error
	)
	var took [3]time.Duration
	sw := clock.StartStopwatch()
	wg.Add(3)
	go func() {
		defer wg.Done()
		pragma := "integrity_check"
		if o.Quick {
			pragma = "quick_check"
		}
		integrity, ierr = checkProblems(ctx, l.readTx(txs[0]), pragma)
		took[0] = sw.Elapsed()
	}()
	go func() {
		defer wg.Done()
		parts[0], perr[0] = scanChain(ctx, q1, first, pf)
		took[1] = sw.Elapsed()
	}()
	go func() {
		defer wg.Done()
		parts[1], perr[1] = scanChain(ctx, l.readTx(txs[2]), second, pf)
		took[2] = sw.Elapsed()
	}()
	wg.Wait()
	rest := clock.StartStopwatch()
	rep.Parts = []VerifyPart{{"integrity", took[0]}, {"chain 1/2", took[1]}, {"chain 2/2", took[2]}}
	defer func() { rep.Parts = append(rep.Parts, VerifyPart{"rest", rest.Elapsed()}) }()
	if ierr != nil {
		rep.add("integrity", "%v", storageErr(ierr))
	}
	for _, p := range integrity {
		rep.add("integrity", "%s", p)
	}
	for _, err := range perr {
		if err != nil {
			return rep, fmt.Errorf("verify: %w", err)
		}
	}
	pf.check(rep)
	parts[0].merge(parts[1], rep, pf)
	if err := compareStored(ctx, q1, parts[0], rep, pf); err != nil {
		return rep, fmt.Errorf("verify: %w", err)
	}
	if err := checkTriggers(ctx, q1, rep); err != nil {
		return rep, fmt.Errorf("verify: %w", err)
	}
	if err := checkRecords(ctx, q1, l.term.ID, parts[0].counts(l.term.ID), rep); err != nil {
		return rep, fmt.Errorf("verify: %w", err)
	}
	return rep, nil
}

// snapshot begins n read transactions that all see the same commit: writes
// are held off (l.mu) until each has read once, which fixes its WAL snapshot.
func (l *Ledger) snapshot(ctx context.Context, n int) ([]*sql.Tx, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	txs := make([]*sql.Tx, 0, n)
	for range n {
		tx, err := l.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err == nil {
			var x int
			err = tx.QueryRowContext(ctx, "SELECT count(*) FROM meta").Scan(&x)
			if err != nil {
				tx.Rollback()
			}
		}
		if err != nil {
			for _, t := range txs {
				t.Rollback()
			}
			return nil, storageErr(err)
		}
		txs = append(txs, tx)
	}
	return txs, nil
}

type sums struct{ points, minutes int64 }

// running tracks a quantity through a part of the chain: where it ended and
// the lowest it went (relative to the part's start), with where.
type running struct {
	sum, low  int64
	lowAt     uint64
	lowAtTerm string
}

func (r *running) add(d int64, term string, seq uint64) {
	r.sum += d
	if r.sum < r.low {
		r.low, r.lowAt, r.lowAtTerm = r.sum, seq, term
	}
}

// chainPart is what one scan of a range of entries found.
type chainPart struct {
	entries   uint64
	terminals map[string]bool
	points    map[record.PersonID]*running
	minutes   map[record.PersonID]*running
	stock     map[stockKey]*running
	kinds     map[string]*kindCounts // by terminal
	problems  []Problem
	truncated int
}

// counts returns a terminal's entries by kind.
func (c *chainPart) counts(terminal string) kindCounts {
	if k := c.kinds[terminal]; k != nil {
		return *k
	}
	return kindCounts{}
}

// chainRange is a run of one terminal's chain: seq in [from, to), to 0
// meaning to the end, prev the hash before from.
type chainRange struct {
	terminal string
	from, to uint64
	prev     record.Hash
}

// otherTerminals lists terminals other than local that have entries, by
// seeking from one to the next in the primary key (no full scan).
func otherTerminals(ctx context.Context, q querier, local string) ([]string, error) {
	var out []string
	after := ""
	for {
		var t string
		err := q.QueryRowContext(ctx, "SELECT terminal FROM entries WHERE terminal > ? ORDER BY terminal LIMIT 1", after).Scan(&t)
		if isNoRows(err) {
			return out, nil
		}
		if err != nil {
			return nil, storageErr(err)
		}
		if t != local {
			out = append(out, t)
		}
		after = t
	}
}

func (c *chainPart) add(check, format string, args ...any) {
	if len(c.problems) >= maxProblems {
		c.truncated++
		return
	}
	c.problems = append(c.problems, Problem{Check: check, Detail: fmt.Sprintf(format, args...)})
}

func runOf(m map[record.PersonID]*running, p record.PersonID) *running {
	r := m[p]
	if r == nil {
		r = &running{}
		m[p] = r
	}
	return r
}

// scanChain reads the ranges' entries in order and checks sequence, chain
// and hashes, summing balances and stock as it goes: each entry for the
// person it counts for (pf.root), and only where no snapshot holds it
// already.
func scanChain(ctx context.Context, q querier, ranges []chainRange, pf *hubProof) (*chainPart, error) {
	c := &chainPart{terminals: map[string]bool{}, points: map[record.PersonID]*running{}, minutes: map[record.PersonID]*running{},
		stock: map[stockKey]*running{}, kinds: map[string]*kindCounts{}}
	for _, r := range ranges {
		to := int64(math.MaxInt64)
		if r.to != 0 {
			to = int64(r.to)
		}
		rows, err := q.QueryContext(ctx, "SELECT "+entryColumns+" FROM entries WHERE terminal = ? AND seq >= ? AND seq < ? ORDER BY seq",
			r.terminal, int64(r.from), to)
		if err != nil {
			return nil, storageErr(err)
		}
		chain := record.NewChain(r.terminal, record.Head{Seq: r.from - 1, Hash: r.prev})
		for rows.Next() {
			e, err := scanEntryRows(rows)
			if err != nil {
				rows.Close()
				return nil, storageErr(err)
			}
			c.entries++
			c.terminals[e.Terminal] = true
			if e.Kind == record.KindCheckIn || e.Kind == record.KindRedeem {
				k := c.kinds[e.Terminal]
				if k == nil {
					k = &kindCounts{}
					c.kinds[e.Terminal] = k
				}
				if e.Kind == record.KindCheckIn {
					k.checkIns++
				} else {
					k.redeems++
				}
			}
			for _, p := range chain.Next(&e) {
				c.add(p.Problem.String(), "%s", p.Error())
			}
			if p := pf.root(e.Person); e.Person != 0 && (e.Points != 0 || e.Minutes != 0) && !pf.inSnapshot(p, &e) {
				runOf(c.points, p).add(e.Points, e.Terminal, e.Seq)
				runOf(c.minutes, p).add(e.Minutes, e.Terminal, e.Seq)
			}
			if k := (stockKey{e.Center, e.Item}); e.Stock != 0 && !pf.inStock(k, &e) {
				if c.stock[k] == nil {
					c.stock[k] = &running{}
				}
				c.stock[k].add(e.Stock, e.Terminal, e.Seq)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, storageErr(err)
		}
		if r.to != 0 {
			if p := chain.End(r.to); p != nil {
				c.add(p.Problem.String(), "%s", p.Error())
			}
		}
	}
	return c, nil
}

// merge folds the later part b into c: running lows in b count from c's
// totals, so "below zero" means below zero in the whole chain. A quantity
// carried from a snapshot starts from it: it may be below zero there (an
// offline double spend at two centers), and is then reported only if the
// entries took it lower still.
func (c *chainPart) merge(b *chainPart, rep *VerifyReport, pf *hubProof) {
	for _, p := range c.problems {
		rep.add(p.Check, "%s", p.Detail)
	}
	for _, p := range b.problems {
		rep.add(p.Check, "%s", p.Detail)
	}
	rep.Truncated += c.truncated + b.truncated
	rep.Entries = c.entries + b.entries
	for t := range b.terminals {
		c.terminals[t] = true
	}
	for t, k := range b.kinds {
		if c.kinds[t] == nil {
			c.kinds[t] = &kindCounts{}
		}
		c.kinds[t].checkIns += k.checkIns
		c.kinds[t].redeems += k.redeems
	}
	rep.Terminals = len(c.terminals)
	fold := func(check string, start int64, base, later *running, describe func() string) {
		floor := min(start, 0)
		if start+base.low < floor {
			rep.add(check, "%s below zero after terminal %s seq %d (%d)", describe(), base.lowAtTerm, base.lowAt, start+base.low)
		}
		if later != nil {
			if start+base.sum+later.low < floor {
				rep.add(check, "%s below zero after terminal %s seq %d (%d)", describe(), later.lowAtTerm, later.lowAt, start+base.sum+later.low)
			}
			base.sum += later.sum
		}
	}
	merge := func(what string, a, b map[record.PersonID]*running, start func(record.PersonID) int64) {
		for p := range b {
			if a[p] == nil {
				a[p] = &running{}
			}
		}
		for p, r := range a {
			fold("balance", start(p), r, b[p], func() string { return fmt.Sprintf("person %d's %s", p, what) })
		}
	}
	merge("points", c.points, b.points, func(p record.PersonID) int64 { return pf.base(p).points })
	merge("minutes", c.minutes, b.minutes, func(p record.PersonID) int64 { return pf.base(p).minutes })
	for k := range b.stock {
		if c.stock[k] == nil {
			c.stock[k] = &running{}
		}
	}
	for k, r := range c.stock {
		fold("stock", pf.stockBase(k), r, b.stock[k], func() string { return fmt.Sprintf("item %d at %s", k.item, k.center) })
	}
}

// compareStored checks the balances and stock tables against the sums, each
// from its snapshot when the hub sent one.
func compareStored(ctx context.Context, q querier, c *chainPart, rep *VerifyReport, pf *hubProof) error {
	brows, err := q.QueryContext(ctx, "SELECT person, points, minutes FROM balances")
	if err != nil {
		return storageErr(err)
	}
	defer brows.Close()
	seen := map[record.PersonID]bool{}
	for brows.Next() {
		var p record.PersonID
		var b sums
		if err := brows.Scan((*int64)(&p), &b.points, &b.minutes); err != nil {
			return storageErr(err)
		}
		rep.People++
		seen[p] = true
		if to := pf.root(p); to != p {
			rep.add("balance", "person %d was merged into %d at the hub but has a balance of their own (%d points %d minutes)", p, to, b.points, b.minutes)
			continue
		}
		got := pf.base(p)
		if r := c.points[p]; r != nil {
			got.points += r.sum
		}
		if r := c.minutes[p]; r != nil {
			got.minutes += r.sum
		}
		if got != b {
			if _, ok := pf.snaps[p]; ok {
				rep.add("balance", "person %d: stored %d points %d minutes, the hub's snapshot and the entries after it sum to %d points %d minutes",
					p, b.points, b.minutes, got.points, got.minutes)
				continue
			}
			rep.add("balance", "person %d: stored %d points %d minutes, entries sum to %d points %d minutes", p, b.points, b.minutes, got.points, got.minutes)
		}
	}
	if err := brows.Err(); err != nil {
		return storageErr(err)
	}
	for p, r := range c.points {
		if !seen[p] && (r.sum != 0 || c.minutes[p].sum != 0) {
			rep.add("balance", "person %d: entries sum to %d points %d minutes but there is no balance", p, r.sum, c.minutes[p].sum)
		}
	}
	for _, p := range sortedKeys(pf.snaps) {
		if !seen[p] {
			rep.add("balance", "person %d: the hub sent a balance (%d points) but there is none", p, pf.snaps[p].Points)
		}
	}
	srows, err := q.QueryContext(ctx, "SELECT center, item, qty FROM stock")
	if err != nil {
		return storageErr(err)
	}
	defer srows.Close()
	seenStock := map[stockKey]bool{}
	for srows.Next() {
		var k stockKey
		var n int64
		if err := srows.Scan(&k.center, (*int64)(&k.item), &n); err != nil {
			return storageErr(err)
		}
		seenStock[k] = true
		_, carried := pf.stock[k]
		if n < 0 && !carried {
			rep.add("stock", "item %d at %s: stock %d below zero", k.item, k.center, n)
		}
		want := pf.stockBase(k)
		if r := c.stock[k]; r != nil {
			want += r.sum
		}
		if want != n {
			rep.add("stock", "item %d at %s: stored %d, entries sum to %d", k.item, k.center, n, want)
		}
	}
	if err := srows.Err(); err != nil {
		return storageErr(err)
	}
	for k, r := range c.stock {
		if !seenStock[k] && pf.stockBase(k)+r.sum != 0 {
			rep.add("stock", "item %d at %s: entries sum to %d but no stock is stored", k.item, k.center, pf.stockBase(k)+r.sum)
		}
	}
	for k, s := range pf.stock {
		if !seenStock[k] && c.stock[k] == nil && s.Qty != 0 {
			rep.add("stock", "item %d at %s: the hub sent a stock of %d but none is stored", k.item, k.center, s.Qty)
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
		(SELECT count(*) FROM shifts WHERE state = 1), (SELECT count(*) FROM shifts WHERE state = 3),
		(SELECT count(*) FROM entries)`).
		Scan(&s.People, &s.Cards, &s.OpenShifts, &s.FlaggedShifts, &s.Entries)
	if err != nil {
		return s, fmt.Errorf("status: %w", storageErr(err))
	}
	if err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&s.SchemaVersion); err != nil {
		return s, fmt.Errorf("status: %w", storageErr(err))
	}
	if s.Sync, err = readSyncState(ctx, q, l, true); err != nil {
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
