package ledger

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"regexp"
	"strings"
)

// Verify's integrity check of a big ledger is SQLite's quick_check (every
// page, the file's page accounting, every b-tree's structure, NOT NULL),
// integrity_check of each table but entry_rows (its rows against its
// indexes, UNIQUE), and entry_rows' indexes checked here: each index's
// entries read from its pages in order (sorted, unique where it must be)
// and compared, as an order-free digest, with the rows the chain scan reads
// anyway. Together they find what integrity_check finds. integrity_check
// looks each of a million rows up in each of entry_rows' four indexes, one
// b-tree descent each: 12.5 s of the whole 13 s (quick_check 1.4 s), on one
// core; reading the indexes' pages takes a fraction of that, and the parts
// run at once on as many read transactions (BenchmarkVerify).

// entryIndex is one of entry_rows' indexes, as Verify reads it.
type entryIndex struct {
	name string
	root uint32
	// cols are the key's columns, then the primary key's that each entry
	// carries to find its row (index_xinfo).
	cols   []string
	nKey   int
	unique bool
	// partial is the column of a partial index "WHERE col IS NOT NULL".
	partial string
}

// errIndexShape is an index Verify does not read by its pages (a
// descending or collated column, an expression, another WHERE): Verify then
// has SQLite check entry_rows as it checks the other tables.
var errIndexShape = errors.New("index read by SQLite")

var isNotNull = regexp.MustCompile(`(?is)\bWHERE\s+"?(\w+)"?\s+IS\s+NOT\s+NULL\s*$`)

// loadEntryIndexes lists entry_rows' indexes with what reading them needs.
func loadEntryIndexes(ctx context.Context, q querier) ([]entryIndex, error) {
	rows, err := q.QueryContext(ctx, `SELECT m.name, m.rootpage, COALESCE(m.sql, ''), l."unique", l.partial
		FROM sqlite_master m JOIN pragma_index_list('entry_rows') l ON l.name = m.name
		WHERE m.type = 'index' AND m.tbl_name = 'entry_rows' ORDER BY m.name`)
	if err != nil {
		return nil, storageErr(err)
	}
	var out []entryIndex
	for rows.Next() {
		var ix entryIndex
		var root int64
		var ddl string
		var partial bool
		if err := rows.Scan(&ix.name, &root, &ddl, &ix.unique, &partial); err != nil {
			rows.Close()
			return nil, storageErr(err)
		}
		if root < 2 || root > math.MaxUint32 {
			rows.Close()
			return nil, fmt.Errorf("index %s: root page %d: %w", ix.name, root, ErrCorrupt)
		}
		ix.root = uint32(root)
		// SQLite says which indexes are partial: a WHERE the DDL spells
		// on a line of its own, or after a tab, is one too.
		if partial {
			m := isNotNull.FindStringSubmatch(ddl)
			if m == nil {
				rows.Close()
				return nil, errIndexShape
			}
			ix.partial = m[1]
		}
		out = append(out, ix)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, storageErr(err)
	}
	for i := range out {
		ix := &out[i]
		cols, err := q.QueryContext(ctx, `SELECT cid, COALESCE(name, ''), "desc", COALESCE(coll, ''), key FROM pragma_index_xinfo(?) ORDER BY seqno`, ix.name)
		if err != nil {
			return nil, storageErr(err)
		}
		for cols.Next() {
			var cid int
			var name, coll string
			var desc, key bool
			if err := cols.Scan(&cid, &name, &desc, &coll, &key); err != nil {
				cols.Close()
				return nil, storageErr(err)
			}
			if cid < 0 || name == "" || desc || !strings.EqualFold(coll, "BINARY") {
				cols.Close()
				return nil, errIndexShape
			}
			ix.cols = append(ix.cols, name)
			if key {
				ix.nKey++
			}
		}
		cols.Close()
		if err := cols.Err(); err != nil {
			return nil, storageErr(err)
		}
		if ix.nKey == 0 || ix.nKey == len(ix.cols) {
			return nil, errIndexShape
		}
	}
	return out, nil
}

// indexColumns are the columns of entry_rows the indexes hold, each once.
func indexColumns(ixs []entryIndex) []string {
	var out []string
	for _, ix := range ixs {
		for _, c := range append(ix.cols, ix.partial) {
			if c != "" && !containsFold(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

func containsFold(s []string, v string) bool {
	for _, x := range s {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

// indexDigest is an order-free digest of a set of index entries: how many,
// and the sum of each entry's hash under one Verify's random seed.
type indexDigest struct{ n, sum uint64 }

func (d *indexDigest) add(o indexDigest) { d.n += o.n; d.sum += o.sum }

// sqlValue is one value as SQLite stores it: its class and content.
type sqlValue struct {
	class byte // valNull, valInt, valFloat, valText, valBlob
	i     int64
	f     float64
	b     []byte
}

const (
	valNull = iota
	valInt
	valFloat
	valText
	valBlob
)

// Scan implements sql.Scanner: the value of a column of the table, as the
// driver gives it.
func (v *sqlValue) Scan(src any) error {
	v.i, v.f, v.b = 0, 0, v.b[:0]
	switch x := src.(type) {
	case nil:
		v.class = valNull
	case int64:
		v.class, v.i = valInt, x
	case float64:
		v.setFloat(x)
	case bool:
		v.class, v.i = valInt, 0
		if x {
			v.i = 1
		}
	case string:
		v.class, v.b = valText, append(v.b, x...)
	case []byte:
		v.class, v.b = valBlob, append(v.b, x...)
	default:
		return fmt.Errorf("verify: a value of type %T", src)
	}
	return nil
}

// setFloat keeps a whole number as an integer: SQLite writes a REAL that
// is whole as an integer in a record.
func (v *sqlValue) setFloat(f float64) {
	if f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 {
		v.class, v.i = valInt, int64(f)
		return
	}
	v.class, v.f = valFloat, f
}

// compareValues orders two values as SQLite orders an index's keys with
// the BINARY collation: NULL, numbers, text, blobs.
func compareValues(a, b *sqlValue) int {
	rank := func(c byte) int {
		switch c {
		case valNull:
			return 0
		case valInt, valFloat:
			return 1
		case valText:
			return 2
		}
		return 3
	}
	if ra, rb := rank(a.class), rank(b.class); ra != rb {
		return ra - rb
	}
	switch a.class {
	case valNull:
		return 0
	case valInt, valFloat:
		if a.class == valInt && b.class == valInt {
			switch {
			case a.i < b.i:
				return -1
			case a.i > b.i:
				return 1
			}
			return 0
		}
		af, bf := a.f, b.f
		if a.class == valInt {
			af = float64(a.i)
		}
		if b.class == valInt {
			bf = float64(b.i)
		}
		switch {
		case af < bf:
			return -1
		case af > bf:
			return 1
		}
		return 0
	}
	return bytes.Compare(a.b, b.b)
}

// hashEntry is an index entry's hash under seed.
func hashEntry(h *maphash.Hash, vals []sqlValue) uint64 {
	h.Reset()
	var n [8]byte
	for i := range vals {
		v := &vals[i]
		h.WriteByte(v.class)
		switch v.class {
		case valInt:
			binary.BigEndian.PutUint64(n[:], uint64(v.i))
			h.Write(n[:])
		case valFloat:
			binary.BigEndian.PutUint64(n[:], math.Float64bits(v.f))
			h.Write(n[:])
		case valText, valBlob:
			binary.BigEndian.PutUint64(n[:], uint64(len(v.b)))
			h.Write(n[:])
			h.Write(v.b)
		}
	}
	return h.Sum64()
}

// rowDigests adds a table row's entry of each index to ds: vals are the
// row's indexColumns, by name in names.
type rowDigests struct {
	ixs   []entryIndex
	pos   [][]int // each index's columns' positions in vals
	part  []int   // each index's partial column's position, -1 for none
	h     maphash.Hash
	tuple []sqlValue
	ds    []indexDigest
}

func newRowDigests(seed maphash.Seed, ixs []entryIndex, names []string) *rowDigests {
	r := &rowDigests{ixs: ixs, ds: make([]indexDigest, len(ixs))}
	r.h.SetSeed(seed)
	at := func(c string) int {
		for i, n := range names {
			if strings.EqualFold(n, c) {
				return i
			}
		}
		return -1
	}
	for _, ix := range ixs {
		var p []int
		for _, c := range ix.cols {
			p = append(p, at(c))
		}
		r.pos = append(r.pos, p)
		pp := -1
		if ix.partial != "" {
			pp = at(ix.partial)
		}
		r.part = append(r.part, pp)
	}
	return r
}

func (r *rowDigests) add(vals []sqlValue) {
	for i := range r.ixs {
		if p := r.part[i]; p >= 0 && vals[p].class == valNull {
			continue
		}
		r.tuple = r.tuple[:0]
		for _, p := range r.pos[i] {
			r.tuple = append(r.tuple, vals[p])
		}
		r.ds[i].n++
		r.ds[i].sum += hashEntry(&r.h, r.tuple)
	}
}

// indexWalk reads one index's b-tree in key order from its pages.
type indexWalk struct {
	ix       *entryIndex
	stmt     *sql.Stmt
	pageSize int
	usable   int
	pages    uint32
	seen     map[uint32]bool
	h        maphash.Hash
	prev     []sqlValue
	cur      []sqlValue
	entries  uint64
	d        indexDigest
	problems []string
}

// maxIndexDepth bounds the descent: a b-tree of a billion entries is far
// less deep; a deeper one loops.
const maxIndexDepth = 40

// walkIndex reads ix's entries from its pages on tx, checking that each
// page is an index page, the entries come in strictly ascending order and,
// for a unique index, no two share a key; it returns their digest and what
// it found wrong (one problem ends the walk: what follows a broken page
// cannot be trusted).
func walkIndex(ctx context.Context, tx *sql.Tx, ix *entryIndex, seed maphash.Seed) (indexDigest, []string, error) {
	w := &indexWalk{ix: ix, seen: map[uint32]bool{}}
	w.h.SetSeed(seed)
	var pageSize, pages int64
	if err := tx.QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize); err != nil {
		return indexDigest{}, nil, storageErr(err)
	}
	if err := tx.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		return indexDigest{}, nil, storageErr(err)
	}
	stmt, err := tx.PrepareContext(ctx, "SELECT data FROM sqlite_dbpage('main') WHERE pgno = ?")
	if err != nil {
		return indexDigest{}, nil, storageErr(err)
	}
	defer stmt.Close()
	w.stmt, w.pageSize, w.pages = stmt, int(pageSize), uint32(pages)
	p1, err := w.page(ctx, 1)
	if err != nil {
		return indexDigest{}, nil, err
	}
	w.usable = w.pageSize - int(p1[20])
	if w.usable < 480 {
		return indexDigest{}, []string{fmt.Sprintf("page 1: %d usable bytes a page", w.usable)}, nil
	}
	if err := w.walk(ctx, ix.root, 0); err != nil {
		var bad walkProblem
		if errors.As(err, &bad) {
			return w.d, append(w.problems, string(bad)), nil
		}
		return w.d, w.problems, err
	}
	return w.d, w.problems, nil
}

// walkProblem is what is wrong with the index's pages.
type walkProblem string

func (p walkProblem) Error() string { return string(p) }

func (w *indexWalk) bad(format string, args ...any) error {
	return walkProblem("index " + w.ix.name + ": " + fmt.Sprintf(format, args...))
}

func (w *indexWalk) page(ctx context.Context, pg uint32) ([]byte, error) {
	var data []byte
	if err := w.stmt.QueryRowContext(ctx, int64(pg)).Scan(&data); err != nil {
		return nil, storageErr(err)
	}
	if len(data) != w.pageSize {
		return nil, w.bad("page %d: %d bytes, not %d", pg, len(data), w.pageSize)
	}
	return data, nil
}

func (w *indexWalk) walk(ctx context.Context, pg uint32, depth int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if pg < 2 || pg > w.pages {
		return w.bad("page %d is outside the file (%d pages)", pg, w.pages)
	}
	if w.seen[pg] {
		return w.bad("page %d is reached twice", pg)
	}
	if depth > maxIndexDepth {
		return w.bad("page %d is %d levels deep", pg, depth)
	}
	w.seen[pg] = true
	p, err := w.page(ctx, pg)
	if err != nil {
		return err
	}
	typ := p[0]
	if typ != 2 && typ != 10 {
		return w.bad("page %d is not an index page (type %d)", pg, typ)
	}
	interior := typ == 2
	hdr := 8
	if interior {
		hdr = 12
	}
	ncell := int(binary.BigEndian.Uint16(p[3:]))
	if hdr+2*ncell > w.usable {
		return w.bad("page %d: %d cells do not fit", pg, ncell)
	}
	for i := range ncell {
		pc := int(binary.BigEndian.Uint16(p[hdr+2*i:]))
		if pc < hdr+2*ncell || pc > w.usable-4 {
			return w.bad("page %d: cell %d at %d, outside the page", pg, i, pc)
		}
		cell := p[pc:w.usable]
		if interior {
			if err := w.walk(ctx, binary.BigEndian.Uint32(cell), depth+1); err != nil {
				return err
			}
			cell = cell[4:]
		}
		payload, err := w.payload(ctx, pg, i, cell)
		if err != nil {
			return err
		}
		if err := w.entry(pg, payload); err != nil {
			return err
		}
	}
	if interior {
		return w.walk(ctx, binary.BigEndian.Uint32(p[8:]), depth+1)
	}
	return nil
}

// maxIndexPayload bounds an index entry: entry_rows' are tens of bytes.
const maxIndexPayload = 1 << 20

// payload is a cell's record: its bytes on the page and on its overflow
// pages.
func (w *indexWalk) payload(ctx context.Context, pg uint32, i int, cell []byte) ([]byte, error) {
	size, k := sqliteVarint(cell)
	if k == 0 || size > maxIndexPayload {
		return nil, w.bad("page %d: cell %d: payload of %d bytes", pg, i, size)
	}
	cell = cell[k:]
	maxLocal := (w.usable-12)*64/255 - 23
	minLocal := (w.usable-12)*32/255 - 23
	if size <= uint64(maxLocal) {
		if int(size) > len(cell) {
			return nil, w.bad("page %d: cell %d runs past the page", pg, i)
		}
		return cell[:size], nil
	}
	local := minLocal + int((size-uint64(minLocal))%uint64(w.usable-4))
	if local > maxLocal {
		local = minLocal
	}
	if local+4 > len(cell) {
		return nil, w.bad("page %d: cell %d runs past the page", pg, i)
	}
	out := append([]byte(nil), cell[:local]...)
	next := binary.BigEndian.Uint32(cell[local:])
	for uint64(len(out)) < size {
		if next < 2 || next > w.pages || w.seen[next] {
			return nil, w.bad("page %d: cell %d: overflow page %d", pg, i, next)
		}
		w.seen[next] = true
		op, err := w.page(ctx, next)
		if err != nil {
			return nil, err
		}
		n := min(uint64(w.usable-4), size-uint64(len(out)))
		out = append(out, op[4:4+n]...)
		next = binary.BigEndian.Uint32(op)
	}
	return out, nil
}

// entry decodes one index entry, checks its place after the one before
// it and adds it to the digest.
func (w *indexWalk) entry(pg uint32, rec []byte) error {
	w.cur = w.cur[:0]
	hs, k := sqliteVarint(rec)
	if k == 0 || hs > uint64(len(rec)) || hs < uint64(k) {
		return w.bad("page %d: entry %d: a record header of %d bytes", pg, w.entries+1, hs)
	}
	head, body := rec[k:hs], rec[hs:]
	for len(head) > 0 {
		st, k := sqliteVarint(head)
		if k == 0 {
			return w.bad("page %d: entry %d: a broken record header", pg, w.entries+1)
		}
		head = head[k:]
		var v sqlValue
		n := 0
		switch {
		case st == 0:
			v.class = valNull
		case st >= 1 && st <= 6:
			n = [...]int{0, 1, 2, 3, 4, 6, 8}[st]
			if n > len(body) {
				break
			}
			x := int64(int8(body[0]))
			for _, c := range body[1:n] {
				x = x<<8 | int64(c)
			}
			v.class, v.i = valInt, x
		case st == 7:
			n = 8
			if n > len(body) {
				break
			}
			v.setFloat(math.Float64frombits(binary.BigEndian.Uint64(body)))
		case st == 8 || st == 9:
			v.class, v.i = valInt, int64(st-8)
		case st >= 12:
			n = int((st - 12) / 2)
			if n > len(body) {
				break
			}
			v.class, v.b = valBlob, body[:n]
			if st%2 == 1 {
				v.class = valText
			}
		default:
			return w.bad("page %d: entry %d: serial type %d", pg, w.entries+1, st)
		}
		if n > len(body) {
			return w.bad("page %d: entry %d runs past its record", pg, w.entries+1)
		}
		body = body[n:]
		w.cur = append(w.cur, v)
	}
	w.entries++
	if len(w.cur) != len(w.ix.cols) {
		return w.bad("page %d: entry %d has %d columns, not %d", pg, w.entries, len(w.cur), len(w.ix.cols))
	}
	if w.entries > 1 {
		c := 0
		for i := range w.cur {
			if c = compareValues(&w.prev[i], &w.cur[i]); c != 0 {
				break
			}
		}
		if c >= 0 {
			return w.bad("page %d: entry %d is out of order", pg, w.entries)
		}
		if w.ix.unique {
			same := true
			for i := range w.ix.nKey {
				if w.cur[i].class == valNull || compareValues(&w.prev[i], &w.cur[i]) != 0 {
					same = false
					break
				}
			}
			if same && len(w.problems) < maxProblems {
				w.problems = append(w.problems, fmt.Sprintf("index %s: non-unique entry (page %d, entry %d)", w.ix.name, pg, w.entries))
			}
		}
	}
	w.d.n++
	w.d.sum += hashEntry(&w.h, w.cur)
	// The next entry compares with this one: keep its bytes, which point
	// into a page about to be read over.
	if len(w.prev) != len(w.cur) {
		w.prev = make([]sqlValue, len(w.cur))
	}
	for i, v := range w.cur {
		b := w.prev[i].b[:0]
		w.prev[i] = v
		w.prev[i].b = append(b, v.b...)
	}
	return nil
}
