package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/maphash"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/hongmajia/hongmajia/clock"
)

// verifyTask is one part of Verify, run on one of its read transactions.
// Each writes only its own results.
type verifyTask struct {
	kind string // "integrity", "chain", "records": VerifyReport.Parts
	run  func(ctx context.Context, tx *sql.Tx) error
	took time.Duration
}

// verifyWorkers is how many read transactions Verify runs its parts on:
// one a core, at least two.
func verifyWorkers() int { return max(2, runtime.NumCPU()) }

// VerifyWith is Verify with options.
func (l *Ledger) VerifyWith(ctx context.Context, o VerifyOptions) (*VerifyReport, error) {
	rep := &VerifyReport{Path: l.path}
	workers := verifyWorkers()
	db, err := l.verifyDB(workers)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	defer db.Close()
	txs, err := l.snapshot(ctx, db, workers)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	defer func() {
		for _, tx := range txs {
			tx.Rollback()
		}
	}()
	p, err := l.planVerify(ctx, txs[0], o, workers)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	queue := make(chan *verifyTask, len(p.tasks))
	for _, t := range p.tasks {
		queue <- t
	}
	close(queue)
	errs := make([]error, len(txs))
	var wg sync.WaitGroup
	for i, tx := range txs {
		wg.Go(func() {
			for t := range queue {
				if ctx.Err() != nil {
					return
				}
				sw := clock.StartStopwatch()
				if err := t.run(ctx, tx); err != nil {
					errs[i] = err
					cancel()
					return
				}
				t.took = sw.Elapsed()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return rep, fmt.Errorf("verify: %w", err)
	}
	rest := clock.StartStopwatch()
	sums := map[string]time.Duration{}
	for _, t := range p.tasks {
		sums[t.kind] += t.took
	}
	for _, k := range []string{"integrity", "chain", "records"} {
		rep.Parts = append(rep.Parts, VerifyPart{k, sums[k]})
	}
	rep.Workers = workers
	defer func() { rep.Parts = append(rep.Parts, VerifyPart{"rest", rest.Elapsed()}) }()
	p.report(rep)
	if err := compareStored(ctx, txs[0], p.chain, rep, p.pf); err != nil {
		return rep, fmt.Errorf("verify: %w", err)
	}
	if err := checkTriggers(ctx, txs[0], rep); err != nil {
		return rep, fmt.Errorf("verify: %w", err)
	}
	if err := l.unchangedSinceOpen(); err != nil {
		return rep, fmt.Errorf("verify: %w", err)
	}
	return rep, nil
}

// verifyDB is a pool of n readers of the ledger's file, Verify's own: the
// terminal's readers stay free for taps while it runs.
func (l *Ledger) verifyDB(n int) (*sql.DB, error) {
	d := dsn(l.path, l.opts.BusyTimeout, false)
	if l.opts.ReadOnly {
		d = dsnReadOnly(l.path, l.opts.BusyTimeout)
	}
	// A smaller page cache than a terminal's reader: the parts read their
	// pages once, and closing the pool frees every page cached (16 MiB a
	// connection took 1.1 s of a Verify).
	db, err := sql.Open("sqlite", d+"&_pragma=cache_size(-2048)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	return db, nil
}

// snapshot begins n read transactions on db that all see the same commit:
// writes are held off (l.mu) until each has read once, which fixes its WAL
// snapshot.
func (l *Ledger) snapshot(ctx context.Context, db *sql.DB, n int) ([]*sql.Tx, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	txs := make([]*sql.Tx, 0, n)
	for range n {
		tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
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

// verifyPlan is what Verify runs and, once they ran, what they found.
type verifyPlan struct {
	direct bool // entries read from entry_rows (schema 7 on)
	pf     *hubProof
	tasks  []*verifyTask
	// What the tasks found, each in its own place.
	integrity [][]string
	ierrs     []error
	ixs       []entryIndex
	walked    []indexDigest
	walkErrs  [][]string
	parts     []*chainPart
	shifts    []recordsFound
	redeems   recordsFound
	terminal  string
	chain     *chainPart // the parts merged, by report
}

// recordsFound is what a records check counted and found wrong.
type recordsFound struct {
	n        uint64
	problems []Problem
}

// planVerify reads what the parts need (the chain's split points, the
// indexes, the hub's proof) and makes the tasks, the longest first.
func (l *Ledger) planVerify(ctx context.Context, tx *sql.Tx, o VerifyOptions, workers int) (*verifyPlan, error) {
	p := &verifyPlan{terminal: l.term.ID}
	var err error
	if p.pf, err = loadHubProof(ctx, tx, l.term.ID); err != nil {
		return nil, err
	}
	if err := tx.QueryRowContext(ctx, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'entry_rows'").Scan(new(int)); err == nil {
		p.direct = true
	} else if !isNoRows(err) {
		return nil, storageErr(err)
	}
	seed := maphash.MakeSeed()
	src := &entrySource{}
	var small []string // integrity checks of the smaller tables, last
	switch {
	case o.Quick:
		p.addIntegrity("quick_check")
	case !p.direct:
		p.addIntegrity("integrity_check")
	default:
		p.addIntegrity("quick_check")
		p.ixs, err = loadEntryIndexes(ctx, tx)
		if errors.Is(err, errIndexShape) {
			p.ixs, err = nil, nil
			p.addIntegrity("integrity_check('entry_rows')")
		}
		if err != nil {
			return nil, err
		}
		if small, err = otherTables(ctx, tx); err != nil {
			return nil, err
		}
	}
	if p.direct {
		if src, err = loadEntrySource(ctx, tx); err != nil {
			return nil, err
		}
		src.digests(seed, p.ixs)
	}
	// The shifts in runs of their ids, each joined to its entries.
	splits, err := shiftSplits(ctx, tx, workers)
	if err != nil {
		return nil, err
	}
	bounds := append(append([][]byte{nil}, splits...), nil)
	p.shifts = make([]recordsFound, len(bounds)-1)
	for i := range p.shifts {
		p.tasks = append(p.tasks, &verifyTask{kind: "records", run: func(ctx context.Context, tx *sql.Tx) error {
			var err error
			p.shifts[i], err = checkShiftRange(ctx, tx, p.direct, bounds[i], bounds[i+1])
			return err
		}})
	}
	p.tasks = append(p.tasks,
		&verifyTask{kind: "records", run: func(ctx context.Context, tx *sql.Tx) error {
			var err error
			p.redeems, err = checkRedemptions(ctx, tx, p.direct, l.term.ID)
			return err
		}})
	ranges, err := chainRanges(ctx, tx, src, l.term.ID, 2*workers)
	if err != nil {
		return nil, err
	}
	p.parts = make([]*chainPart, len(ranges))
	for i, rs := range ranges {
		p.tasks = append(p.tasks, &verifyTask{kind: "chain", run: func(ctx context.Context, tx *sql.Tx) error {
			var err error
			p.parts[i], err = scanChain(ctx, tx, rs, p.pf, src)
			return err
		}})
	}
	p.addIntegrity(small...)
	p.walked = make([]indexDigest, len(p.ixs))
	p.walkErrs = make([][]string, len(p.ixs))
	for i := range p.ixs {
		p.tasks = append(p.tasks, &verifyTask{kind: "integrity", run: func(ctx context.Context, tx *sql.Tx) error {
			var err error
			p.walked[i], p.walkErrs[i], err = walkIndex(ctx, tx, &p.ixs[i], seed)
			return err
		}})
	}
	return p, nil
}

// addIntegrity adds a task for each of SQLite's checks (a PRAGMA's text).
func (p *verifyPlan) addIntegrity(pragmas ...string) {
	for _, pragma := range pragmas {
		i := len(p.integrity)
		p.integrity = append(p.integrity, nil)
		p.ierrs = append(p.ierrs, nil)
		p.tasks = append(p.tasks, &verifyTask{kind: "integrity", run: func(ctx context.Context, tx *sql.Tx) error {
			p.integrity[i], p.ierrs[i] = checkProblems(ctx, tx, pragma)
			return ctx.Err()
		}})
	}
}

// otherTables are integrity_check of each table but entry_rows (and
// SQLite's own, which quick_check reads).
func otherTables(ctx context.Context, q querier) ([]string, error) {
	rows, err := q.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'entry_rows' AND name NOT LIKE 'sqlite%' ORDER BY name")
	if err != nil {
		return nil, storageErr(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, storageErr(err)
		}
		out = append(out, "integrity_check('"+strings.ReplaceAll(name, "'", "''")+"')")
	}
	return out, storageErr(rows.Err())
}

// report puts what the tasks found into rep, in a fixed order: the
// integrity checks, the chain's parts merged, the indexes against the
// rows, the shifts and redemptions.
func (p *verifyPlan) report(rep *VerifyReport) {
	for i, problems := range p.integrity {
		if p.ierrs[i] != nil {
			rep.add("integrity", "%v", storageErr(p.ierrs[i]))
		}
		for _, s := range problems {
			rep.add("integrity", "%s", s)
		}
	}
	p.pf.check(rep)
	p.chain = mergeParts(p.parts, rep, p.pf)
	for i := range p.ixs {
		for _, s := range p.walkErrs[i] {
			rep.add("integrity", "%s", s)
		}
		if len(p.walkErrs[i]) > 0 {
			continue // its digest is of the entries before the damage
		}
		rows, ix := p.chain.digests[i], p.walked[i]
		switch {
		case rows.n != ix.n:
			rep.add("integrity", "index %s: %d entries, but %d rows of entry_rows belong in it", p.ixs[i].name, ix.n, rows.n)
		case rows.sum != ix.sum:
			rep.add("integrity", "index %s: its %d entries are not those of entry_rows' rows", p.ixs[i].name, ix.n)
		}
	}
	var shifts uint64
	for _, f := range append(p.shifts, p.redeems) {
		for _, pr := range f.problems {
			rep.add(pr.Check, "%s", pr.Detail)
		}
	}
	for _, f := range p.shifts {
		shifts += f.n
	}
	counts := p.chain.counts(p.terminal)
	if shifts != counts.checkIns {
		rep.add("shift", "%d check-in entries of terminal %s but %d shifts", counts.checkIns, p.terminal, shifts)
	}
	if p.redeems.n != counts.redeems {
		rep.add("redemption", "%d redeem entries of terminal %s but %d redemptions", counts.redeems, p.terminal, p.redeems.n)
	}
}
