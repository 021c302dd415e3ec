package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"hash/maphash"
	"math"
	"os"
	"strings"
	"time"

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
	// Parts is how long each kind of part ran, summed over its pieces:
	// "integrity" (SQLite's checks and entry_rows' indexes), "chain" (the
	// entries, in pieces) and "records" (shifts and redemptions) ran at
	// once on Workers read transactions; then "rest" (balances, stock,
	// triggers). BenchmarkVerify reports them.
	Parts   []VerifyPart
	Workers int
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
// Its parts run at once on a read transaction a core (at least two, of a
// pool of its own: the terminal's readers stay free for taps), all of one
// snapshot (they start while writes are held off): SQLite's quick_check
// and each smaller table's integrity_check, entry_rows' indexes read page
// by page (verify_index.go: together as much as integrity_check, without
// its million lookups an index), the entries in runs of the chain, the
// shifts in runs of their ids. A million entries take 6–9 s on two cores
// (BenchmarkVerify), integrity_check alone took 12.5.
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
	// digests are entry_rows' indexes' entries as the rows read make them
	// (entrySource.ixs).
	digests   []indexDigest
	problems  []Problem
	truncated int
}

func newChainPart() *chainPart {
	return &chainPart{terminals: map[string]bool{}, points: map[record.PersonID]*running{}, minutes: map[record.PersonID]*running{},
		stock: map[stockKey]*running{}, kinds: map[string]*kindCounts{}}
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
	n        int64 // the terminal's number in entry_rows
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

// entrySource is how the chain scan reads the entries: from entry_rows,
// with the terminals' and boots' ids from memory (schema 7 on), or from
// the entries table of an older schema (direct false).
type entrySource struct {
	direct    bool
	terminals map[int64]string // terminal_n: id
	boots     map[int64]string // boot_n: id
	// ixs are entry_rows' indexes the scan makes the digests of, from
	// cols read beside each entry, with seed.
	ixs  []entryIndex
	cols []string
	seed maphash.Seed
}

func loadEntrySource(ctx context.Context, q querier) (*entrySource, error) {
	s := &entrySource{direct: true, terminals: map[int64]string{}, boots: map[int64]string{}}
	for _, t := range []struct {
		query string
		m     map[int64]string
	}{{"SELECT n, id FROM terminals", s.terminals}, {"SELECT n, id FROM boots", s.boots}} {
		rows, err := q.QueryContext(ctx, t.query)
		if err != nil {
			return nil, storageErr(err)
		}
		for rows.Next() {
			var n int64
			var id string
			if err := rows.Scan(&n, &id); err != nil {
				rows.Close()
				return nil, storageErr(err)
			}
			t.m[n] = id
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, storageErr(err)
		}
	}
	return s, nil
}

// digests has the scan make ixs' digests of the rows it reads.
func (s *entrySource) digests(seed maphash.Seed, ixs []entryIndex) {
	s.seed, s.ixs, s.cols = seed, ixs, indexColumns(ixs)
}

// minChainPart is the fewest entries worth a part of their own (tests
// make it smaller).
var minChainPart int64 = 4096

// chainRanges splits the entries into about n parts for the chain scan:
// this terminal's chain in runs of equal length, the other terminals'
// entries (none until the hub sends some) with the first.
func chainRanges(ctx context.Context, q querier, src *entrySource, local string, n int) ([][]chainRange, error) {
	var others []chainRange
	var localN int64
	headQ, hashQ := "SELECT COALESCE(MAX(seq), 0) FROM entries WHERE terminal = ?", "SELECT hash FROM entries WHERE terminal = ? AND seq = ?"
	var key any = local
	if src.direct {
		headQ, hashQ = "SELECT COALESCE(MAX(seq), 0) FROM entry_rows WHERE terminal_n = ?", "SELECT hash FROM entry_rows WHERE terminal_n = ? AND seq = ?"
		for tn, id := range src.terminals {
			if id == local {
				localN = tn
			}
		}
		key = localN
		// Every terminal number entry_rows holds, by seeking from one to
		// the next in its primary key; a number terminals does not name
		// is scanned too (scanDirect reports it).
		for after := int64(-1 << 62); ; {
			var tn int64
			err := q.QueryRowContext(ctx, "SELECT terminal_n FROM entry_rows WHERE terminal_n > ? ORDER BY terminal_n LIMIT 1", after).Scan(&tn)
			if isNoRows(err) {
				break
			}
			if err != nil {
				return nil, storageErr(err)
			}
			after = tn
			if tn == localN {
				continue
			}
			id, ok := src.terminals[tn]
			if !ok {
				id = fmt.Sprintf("#%d", tn)
			}
			others = append(others, chainRange{terminal: id, n: tn, from: 1})
		}
	} else {
		ids, err := otherTerminals(ctx, q, local)
		if err != nil {
			return nil, err
		}
		for _, t := range ids {
			others = append(others, chainRange{terminal: t, from: 1})
		}
	}
	var head int64
	if err := q.QueryRowContext(ctx, headQ, key).Scan(&head); err != nil {
		return nil, storageErr(err)
	}
	parts := int(min(int64(n), max(1, head/minChainPart)))
	out := make([][]chainRange, parts)
	for i := range parts {
		from := uint64(1 + int64(i)*head/int64(parts))
		r := chainRange{terminal: local, n: localN, from: from}
		if i < parts-1 {
			r.to = uint64(1 + int64(i+1)*head/int64(parts))
		}
		if from > 1 {
			var h []byte
			err := q.QueryRowContext(ctx, hashQ, key, int64(from-1)).Scan(&h)
			if err != nil && !isNoRows(err) {
				return nil, storageErr(err)
			}
			copy(r.prev[:], h)
		}
		out[i] = append(out[i], r)
	}
	out[0] = append(out[0], others...)
	return out, nil
}

// scanChain reads the ranges' entries in order and checks sequence, chain
// and hashes, summing balances and stock as it goes: each entry for the
// person it counts for (pf.root), and only where no snapshot holds it
// already.
func scanChain(ctx context.Context, q querier, ranges []chainRange, pf *hubProof, src *entrySource) (*chainPart, error) {
	c := newChainPart()
	var rd *rowDigests
	if len(src.ixs) > 0 {
		rd = newRowDigests(src.seed, src.ixs, src.cols)
	}
	for _, r := range ranges {
		var err error
		if src.direct {
			err = c.scanDirect(ctx, q, r, pf, src, rd)
		} else {
			err = c.scanEntries(ctx, q, r, pf)
		}
		if err != nil {
			return nil, err
		}
	}
	if rd != nil {
		c.digests = rd.ds
	}
	return c, nil
}

// scanEntries reads a range from the entries table of a schema before 7.
func (c *chainPart) scanEntries(ctx context.Context, q querier, r chainRange, pf *hubProof) error {
	rows, err := q.QueryContext(ctx, "SELECT "+entryColumns+" FROM entries WHERE terminal = ? AND seq >= ? AND seq < ? ORDER BY seq",
		r.terminal, int64(r.from), r.end())
	if err != nil {
		return storageErr(err)
	}
	defer rows.Close()
	chain := record.NewChain(r.terminal, record.Head{Seq: r.from - 1, Hash: r.prev})
	for rows.Next() {
		e, err := scanEntryRows(rows)
		if err != nil {
			return storageErr(err)
		}
		c.take(chain, &e, pf)
	}
	if err := rows.Err(); err != nil {
		return storageErr(err)
	}
	c.end(chain, r)
	return nil
}

// entryRowColumns are the columns of entry_rows scanDirect reads, in
// order.
var entryRowColumns = []string{"seq", "id", "kind", "center", "person", "card", "minutes", "points", "stock", "activity",
	"shift", "item", "reverses", "other_card", "operator", "reason", "at", "boot_n", "trusted", "prev", "hash"}

// scanDirect reads a range from entry_rows itself: the entries view looks
// the boot and, where it is not stored, prev up for each row (a million
// lookups each), which the scan knows already. prev is NULL where it is
// the hash of the entry before, and the entry before is the one just read.
// Every column is read as SQLite stores it (sqlValue) and the indexes'
// digests made of the same values: the driver takes a lock for each
// column of each row, so each is read once.
func (c *chainPart) scanDirect(ctx context.Context, q querier, r chainRange, pf *hubProof, src *entrySource, rd *rowDigests) error {
	cols := append([]string(nil), entryRowColumns...)
	for _, col := range src.cols {
		if !containsFold(cols, col) {
			cols = append(cols, col)
		}
	}
	quoted := make([]string, len(cols))
	for i, col := range cols {
		quoted[i] = `"` + strings.ReplaceAll(col, `"`, `""`) + `"`
	}
	rows, err := q.QueryContext(ctx, "SELECT "+strings.Join(quoted, ", ")+" FROM entry_rows WHERE terminal_n = ? AND seq >= ? AND seq < ? ORDER BY seq",
		r.n, int64(r.from), r.end())
	if err != nil {
		return storageErr(err)
	}
	defer rows.Close()
	if _, ok := src.terminals[r.n]; !ok {
		c.add("integrity", "entry_rows holds entries of terminal number %d, which terminals does not name", r.n)
	}
	vals := make([]sqlValue, len(cols))
	dest := make([]any, len(cols))
	for i := range vals {
		dest[i] = &vals[i]
	}
	// The digests' columns, from the values read.
	var ixVals []sqlValue
	var ixPos []int
	if rd != nil {
		ixVals = make([]sqlValue, len(src.cols))
		for _, col := range src.cols {
			for i, c := range cols {
				if strings.EqualFold(c, col) {
					ixPos = append(ixPos, i)
					break
				}
			}
		}
	}
	chain := record.NewChain(r.terminal, record.Head{Seq: r.from - 1, Hash: r.prev})
	last, lastSeq := r.prev, r.from-1
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return storageErr(err)
		}
		v := vals
		e := record.Entry{
			Terminal: r.terminal, Seq: uint64(v[0].i), Kind: record.Kind(v[2].i), Center: string(v[3].b),
			Person: record.PersonID(v[4].i), Card: record.CardUID(v[5].b), Minutes: v[6].i, Points: v[7].i, Stock: v[8].i,
			Activity: record.ActivityID(v[9].i), Item: record.ItemID(v[11].i), OtherCard: record.CardUID(v[13].b),
			Operator: record.CardUID(v[14].b), Reason: string(v[15].b), At: time.Unix(0, v[16].i), Trusted: v[18].i != 0,
		}
		copy(e.ID[:], v[1].b)
		copy(e.Shift[:], v[10].b)
		copy(e.Reverses[:], v[12].b)
		copy(e.Hash[:], v[20].b)
		switch {
		case v[19].class != valNull:
			copy(e.Prev[:], v[19].b)
		case e.Seq == lastSeq+1:
			e.Prev = last
		}
		last, lastSeq = e.Hash, e.Seq
		boot, ok := src.boots[v[17].i]
		if !ok {
			c.add("integrity", "terminal %s seq %d: boot number %d, which boots does not name", r.terminal, e.Seq, v[17].i)
		}
		e.Boot = boot
		if rd != nil {
			for i, p := range ixPos {
				ixVals[i] = vals[p]
			}
			rd.add(ixVals)
		}
		c.take(chain, &e, pf)
	}
	if err := rows.Err(); err != nil {
		return storageErr(err)
	}
	c.end(chain, r)
	return nil
}

// end is the range's last seq, exclusive.
func (r chainRange) end() int64 {
	if r.to == 0 {
		return math.MaxInt64
	}
	return int64(r.to)
}

// take checks one entry against the chain and adds it up.
func (c *chainPart) take(chain *record.Chain, e *record.Entry, pf *hubProof) {
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
	for _, p := range chain.Next(e) {
		c.add(p.Problem.String(), "%s", p.Error())
	}
	if p := pf.root(e.Person); e.Person != 0 && (e.Points != 0 || e.Minutes != 0) && !pf.inSnapshot(p, e) {
		runOf(c.points, p).add(e.Points, e.Terminal, e.Seq)
		runOf(c.minutes, p).add(e.Minutes, e.Terminal, e.Seq)
	}
	if k := (stockKey{e.Center, e.Item}); e.Stock != 0 && !pf.inStock(k, e) {
		if c.stock[k] == nil {
			c.stock[k] = &running{}
		}
		c.stock[k].add(e.Stock, e.Terminal, e.Seq)
	}
}

// end checks that a range that stops before the chain's end reached it.
func (c *chainPart) end(chain *record.Chain, r chainRange) {
	if r.to != 0 {
		if p := chain.End(r.to); p != nil {
			c.add(p.Problem.String(), "%s", p.Error())
		}
	}
}

// mergeParts folds the chain's parts, in order, into one: a running low
// counts from the totals of the parts before it, so "below zero" means
// below zero in the whole chain (said once, where it first went). A
// quantity carried from a snapshot starts from it: it may be below zero
// there (an offline double spend at two centers), and is then reported
// only if the entries took it lower still.
func mergeParts(parts []*chainPart, rep *VerifyReport, pf *hubProof) *chainPart {
	c := newChainPart()
	for _, b := range parts {
		for _, p := range b.problems {
			rep.add(p.Check, "%s", p.Detail)
		}
		rep.Truncated += b.truncated
		c.entries += b.entries
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
		for len(c.digests) < len(b.digests) {
			c.digests = append(c.digests, indexDigest{})
		}
		for i, d := range b.digests {
			c.digests[i].add(d)
		}
	}
	rep.Entries = c.entries
	rep.Terminals = len(c.terminals)
	fold := func(check string, start int64, runs func(*chainPart) *running, describe func() string) *running {
		floor := min(start, 0)
		total := &running{}
		reported := false
		for _, b := range parts {
			r := runs(b)
			if r == nil {
				continue
			}
			if !reported && start+total.sum+r.low < floor {
				rep.add(check, "%s below zero after terminal %s seq %d (%d)", describe(), r.lowAtTerm, r.lowAt, start+total.sum+r.low)
				reported = true
			}
			total.sum += r.sum
		}
		return total
	}
	people := map[record.PersonID]bool{}
	for _, b := range parts {
		for p := range b.points {
			people[p] = true
		}
		for p := range b.minutes {
			people[p] = true
		}
	}
	for p := range people {
		describe := func(what string) func() string {
			return func() string { return fmt.Sprintf("person %d's %s", p, what) }
		}
		c.points[p] = fold("balance", pf.base(p).points, func(b *chainPart) *running { return b.points[p] }, describe("points"))
		c.minutes[p] = fold("balance", pf.base(p).minutes, func(b *chainPart) *running { return b.minutes[p] }, describe("minutes"))
	}
	items := map[stockKey]bool{}
	for _, b := range parts {
		for k := range b.stock {
			items[k] = true
		}
	}
	for k := range items {
		c.stock[k] = fold("stock", pf.stockBase(k), func(b *chainPart) *running { return b.stock[k] },
			func() string { return fmt.Sprintf("item %d at %s", k.item, k.center) })
	}
	return c
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
