package ledger

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/hongmajia/hongmajia/record"
)

// CheckMode says how Open checks the file's integrity.
//
// PRAGMA integrity_check reads every page of the file: 26.7 s for a ledger
// of 1,000,000 entries (950 MB) on the development machine, minutes on a
// Pi's SD card, with the screen black all the while. The start check reads
// only what a start and the next taps lean on, in milliseconds whatever the
// ledger's size: 18.8 ms for the same million entries (590 MB) where
// integrity_check took 122 s in the same run on a loaded machine
// (BenchmarkOpen beside BenchmarkIntegrityCheck). The full check then runs
// in the background and stops every write if it fails.
type CheckMode int

const (
	// CheckStartThenAll (the default) runs the start check at Open, which
	// refuses a file it finds damaged, then PRAGMA integrity_check in the
	// background on a read connection of its own: a failure sets Fault, and
	// every write is refused from then on with it (ErrCorrupt), as a
	// corrupt file found at Open would have been refused. Read-only opens
	// run the start check only (a technician's look ends long before the
	// full check would).
	CheckStartThenAll CheckMode = iota
	// CheckAll runs the start check and then the full integrity_check
	// before Open returns, as every start did before the start check:
	// slow on a large ledger.
	CheckAll
	// CheckStart runs the start check only. Verify runs the full check.
	CheckStart
)

// startTailPages is how many pages at the end of the file the start check
// reads: a ledger grows at its end, so the pages the latest writes
// allocated are there.
const startTailPages = 128

// startWALPages bounds the pages of the WAL (the writes not yet
// checkpointed) the start check reads.
const startWALPages = 1024

// startChainEntries is how many of the chain's last entries the start
// check hashes and links again.
const startChainEntries = 64

// startCheck is the bounded check Open runs before anything may write: the
// header and the identity (as before), the schema (sqlite_schema holds what
// this program's migrations make, when the file is at its version), page 1,
// every b-tree's root page, the last startTailPages pages of the file and
// up to startWALPages pages of the WAL (each b-tree page's header, cell
// pointers, cells, free blocks and fragment count added up to the page's
// content area, as integrity_check does for each page; an overflow page's
// next pointer), and the chain head: the last startChainEntries entries
// hashed and linked again. It reads a few hundred pages, not the file's
// every page: 1,000,000 entries take milliseconds (BenchmarkOpen).
//
// What it cannot tell: an overflow page's content (any bytes pass, as long
// as its next pointer is inside the file), and a free page's.
//
// What it does not read (the middle pages of a big table or index, a page
// no tree uses) only the full check sees: Open's background check, Verify.
func startCheck(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", fileURI(path)+"?"+readOnlyQuery(path))
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		return fileErr(path, err)
	}
	defer conn.Close()
	// One read transaction: the pages, the schema and the chain are of one
	// snapshot even while another process writes.
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fileErr(path, err)
	}
	defer tx.Rollback()
	c := pageChecker{path: path, q: tx}
	if err := c.run(ctx); err != nil {
		var fe *FileError
		if errors.As(err, &fe) {
			return err
		}
		return fileErr(path, err)
	}
	return nil
}

// pageChecker is one start check's state.
type pageChecker struct {
	path     string
	q        *sql.Tx
	pageSize int
	usable   int
	pages    uint32
	free     map[uint32]bool // freelist pages (trunks and leaves)
	ptrmap   bool            // auto_vacuum: pointer-map pages exist
	checked  map[uint32]bool
}

func (c *pageChecker) corrupt(format string, args ...any) error {
	return &FileError{Path: c.path, Err: ErrCorrupt, Detail: "start check: " + fmt.Sprintf(format, args...)}
}

func (c *pageChecker) run(ctx context.Context) error {
	var pageSize, pages int64
	if err := c.q.QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize); err != nil {
		return err
	}
	if err := c.q.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		return err
	}
	c.pageSize, c.pages = int(pageSize), uint32(pages)
	c.checked = map[uint32]bool{}
	p1, err := c.page(ctx, 1)
	if err != nil {
		return err
	}
	c.usable = c.pageSize - int(p1[20])
	if c.usable < 480 {
		return c.corrupt("usable page size %d", c.usable)
	}
	c.ptrmap = binary.BigEndian.Uint32(p1[52:]) != 0
	if err := c.readFreelist(ctx, p1); err != nil {
		return err
	}
	if err := c.checkSchema(ctx); err != nil {
		return err
	}
	// Page 1 and every root page.
	roots := []uint32{1}
	rows, err := c.q.QueryContext(ctx, "SELECT rootpage FROM sqlite_schema WHERE rootpage > 0")
	if err != nil {
		return err
	}
	for rows.Next() {
		var r int64
		if err := rows.Scan(&r); err != nil {
			rows.Close()
			return err
		}
		roots = append(roots, uint32(r))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, pg := range roots {
		if pg < 1 || pg > c.pages {
			return c.corrupt("root page %d beyond the file's %d pages", pg, c.pages)
		}
		if err := c.check(ctx, pg, true); err != nil {
			return err
		}
	}
	// The file's tail.
	for pg := c.pages; pg >= 2 && pg+startTailPages > c.pages; pg-- {
		if err := c.check(ctx, pg, false); err != nil {
			return err
		}
	}
	// The WAL's pages, latest first.
	wal, err := walPages(c.path+"-wal", startWALPages)
	if err != nil {
		return err
	}
	for _, pg := range wal {
		if pg <= c.pages {
			if err := c.check(ctx, pg, false); err != nil {
				return err
			}
		}
	}
	return c.checkChainHead(ctx)
}

// page reads one page as the snapshot sees it (the WAL's latest version
// when it holds one) through the sqlite_dbpage virtual table.
func (c *pageChecker) page(ctx context.Context, pg uint32) ([]byte, error) {
	var data []byte
	if err := c.q.QueryRowContext(ctx, "SELECT data FROM sqlite_dbpage('main') WHERE pgno = ?", int64(pg)).Scan(&data); err != nil {
		return nil, err
	}
	if len(data) != c.pageSize {
		return nil, c.corrupt("page %d: %d bytes, not %d", pg, len(data), c.pageSize)
	}
	return data, nil
}

// readFreelist collects the free pages, walking the trunk chain: a free
// page holds anything and is not checked. A long freelist (over 64 trunks,
// some 65,000 free pages) is not walked to its end; pages it would have
// named are then checked as overflow pages, which any content passes.
func (c *pageChecker) readFreelist(ctx context.Context, p1 []byte) error {
	c.free = map[uint32]bool{}
	trunk := binary.BigEndian.Uint32(p1[32:])
	total := binary.BigEndian.Uint32(p1[36:])
	if total > c.pages {
		return c.corrupt("freelist of %d pages in a file of %d", total, c.pages)
	}
	for n := 0; trunk != 0 && n < 64; n++ {
		if trunk > c.pages || c.free[trunk] {
			return c.corrupt("freelist trunk page %d (file of %d pages)", trunk, c.pages)
		}
		c.free[trunk] = true
		p, err := c.page(ctx, trunk)
		if err != nil {
			return err
		}
		leaves := binary.BigEndian.Uint32(p[4:])
		if int(leaves) > c.usable/4-2 {
			return c.corrupt("freelist trunk page %d lists %d leaves", trunk, leaves)
		}
		for i := range leaves {
			leaf := binary.BigEndian.Uint32(p[8+4*i:])
			if leaf < 2 || leaf > c.pages {
				return c.corrupt("freelist leaf page %d (file of %d pages)", leaf, c.pages)
			}
			c.free[leaf] = true
		}
		trunk = binary.BigEndian.Uint32(p[0:])
	}
	return nil
}

// isPtrmap reports whether pg is an auto_vacuum pointer-map page.
func (c *pageChecker) isPtrmap(pg uint32) bool {
	if !c.ptrmap || pg < 2 {
		return false
	}
	return (pg-2)%uint32(c.usable/5+1) == 0
}

// check checks page pg once. A root page must be a b-tree page; another
// page is a b-tree page, a free page, a pointer-map page or an overflow page.
func (c *pageChecker) check(ctx context.Context, pg uint32, root bool) error {
	if c.checked[pg] {
		return nil
	}
	c.checked[pg] = true
	if c.free[pg] || c.isPtrmap(pg) || int64(pg) == (1<<30)/int64(c.pageSize)+1 { // the lock-byte page
		return nil
	}
	p, err := c.page(ctx, pg)
	if err != nil {
		return err
	}
	h := 0
	if pg == 1 {
		h = 100
	}
	switch p[h] {
	case 2, 5, 10, 13:
		return c.checkBtree(pg, p, h)
	}
	if root {
		return c.corrupt("root page %d: page type %d is not a b-tree's", pg, p[h])
	}
	// An overflow page: the next overflow page, or 0.
	if next := binary.BigEndian.Uint32(p); next > c.pages || next == 1 {
		return c.corrupt("page %d: neither a b-tree page (type %d) nor an overflow page (next %d)", pg, p[h], next)
	}
	return nil
}

// checkBtree checks one b-tree page as integrity_check checks each page:
// the header, the cell pointers inside the content area, each cell inside
// the page (its overflow and child pointers inside the file), the free
// blocks in order and inside the page, and the cells, free blocks and
// fragments together filling the content area exactly.
func (c *pageChecker) checkBtree(pg uint32, p []byte, h int) error {
	typ := p[h]
	interior := typ == 2 || typ == 5
	hdr := 8
	if interior {
		hdr = 12
	}
	ncell := int(binary.BigEndian.Uint16(p[h+3:]))
	content := int(binary.BigEndian.Uint16(p[h+5:]))
	if content == 0 {
		content = 65536
	}
	frag := int(p[h+7])
	ptrEnd := h + hdr + 2*ncell
	if ptrEnd > content || content > c.usable || frag > 60 {
		return c.corrupt("page %d: %d cells, content from %d, %d fragmented bytes (usable %d)", pg, ncell, content, frag, c.usable)
	}
	if interior {
		if child := binary.BigEndian.Uint32(p[h+8:]); child < 2 || child > c.pages {
			return c.corrupt("page %d: right child %d (file of %d pages)", pg, child, c.pages)
		}
	}
	used := frag
	for i := range ncell {
		pc := int(binary.BigEndian.Uint16(p[h+hdr+2*i:]))
		if pc < content || pc > c.usable-4 {
			return c.corrupt("page %d: cell %d at %d, outside the content area [%d, %d)", pg, i, pc, content, c.usable)
		}
		size, overflow, child := c.cellSize(typ, p[pc:c.usable])
		if size < 0 || pc+size > c.usable {
			return c.corrupt("page %d: cell %d at %d runs past the page", pg, i, pc)
		}
		if child != 0 && (child < 2 || child > c.pages) {
			return c.corrupt("page %d: cell %d: child page %d (file of %d pages)", pg, i, child, c.pages)
		}
		if overflow != 0 && (overflow < 2 || overflow > c.pages) {
			return c.corrupt("page %d: cell %d: overflow page %d (file of %d pages)", pg, i, overflow, c.pages)
		}
		used += size
	}
	prev := 0
	for fb := int(binary.BigEndian.Uint16(p[h+1:])); fb != 0; {
		if fb <= prev || fb < content || fb > c.usable-4 {
			return c.corrupt("page %d: free block at %d (content from %d)", pg, fb, content)
		}
		size := int(binary.BigEndian.Uint16(p[fb+2:]))
		if size < 4 || fb+size > c.usable {
			return c.corrupt("page %d: free block at %d of %d bytes", pg, fb, size)
		}
		used += size
		prev = fb + size - 1
		fb = int(binary.BigEndian.Uint16(p[fb:]))
	}
	if used != c.usable-content {
		return c.corrupt("page %d: cells, free blocks and fragments take %d bytes of a content area of %d", pg, used, c.usable-content)
	}
	return nil
}

// cellSize returns a cell's size on its page (at least 4), its first
// overflow page and its child page (0 when none); size -1 for a cell whose
// varints run off the page.
func (c *pageChecker) cellSize(typ byte, b []byte) (size int, overflow, child uint32) {
	n := 0
	if typ == 2 || typ == 5 {
		if len(b) < 4 {
			return -1, 0, 0
		}
		child = binary.BigEndian.Uint32(b)
		n = 4
	}
	if typ == 5 { // table interior: child and rowid, no payload
		_, k := sqliteVarint(b[n:])
		if k == 0 {
			return -1, 0, 0
		}
		return max(n+k, 4), 0, child
	}
	payload, k := sqliteVarint(b[n:])
	if k == 0 {
		return -1, 0, 0
	}
	n += k
	maxLocal := (c.usable-12)*64/255 - 23
	if typ == 13 {
		_, k := sqliteVarint(b[n:]) // the rowid
		if k == 0 {
			return -1, 0, 0
		}
		n += k
		maxLocal = c.usable - 35
	}
	minLocal := (c.usable-12)*32/255 - 23
	if payload <= uint64(maxLocal) {
		return max(n+int(payload), 4), 0, child
	}
	local := minLocal + int((payload-uint64(minLocal))%uint64(c.usable-4))
	if local > maxLocal {
		local = minLocal
	}
	if n+local+4 > len(b) {
		return -1, 0, 0
	}
	return n + local + 4, binary.BigEndian.Uint32(b[n+local:]), child
}

// sqliteVarint decodes SQLite's big-endian varint (1 to 9 bytes); k is 0
// when b ends first.
func sqliteVarint(b []byte) (v uint64, k int) {
	for i := 0; i < 9; i++ {
		if i >= len(b) {
			return 0, 0
		}
		if i == 8 {
			return v<<8 | uint64(b[i]), 9
		}
		v = v<<7 | uint64(b[i]&0x7f)
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}

// walPages lists up to limit distinct pages in the WAL file's frames of its
// current generation (the header's salts), latest first. A missing or
// empty WAL has none.
func walPages(path string, limit int) ([]uint32, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var hdr [32]byte
	if n, _ := f.ReadAt(hdr[:], 0); n < len(hdr) {
		return nil, nil
	}
	if m := binary.BigEndian.Uint32(hdr[:]); m != 0x377f0682 && m != 0x377f0683 {
		return nil, nil // not (yet) a WAL: SQLite ignores it too
	}
	pageSize := int64(binary.BigEndian.Uint32(hdr[8:]))
	if pageSize == 1 {
		pageSize = 65536
	}
	if pageSize < 512 {
		return nil, nil
	}
	frame := 24 + pageSize
	frames := (st.Size() - 32) / frame
	seen := map[uint32]bool{}
	var out []uint32
	var fh [24]byte
	for i := frames - 1; i >= 0 && len(out) < limit; i-- {
		if _, err := f.ReadAt(fh[:], 32+i*frame); err != nil {
			return nil, err
		}
		if string(fh[8:16]) != string(hdr[16:24]) {
			continue // a frame of an earlier generation, after a restart of the WAL
		}
		pg := binary.BigEndian.Uint32(fh[:])
		if pg != 0 && !seen[pg] {
			seen[pg] = true
			out = append(out, pg)
		}
	}
	return out, nil
}

var (
	expectedSchemaOnce sync.Once
	expectedSchema     map[string]string
	expectedSchemaErr  error
)

// wantSchema is what this program's migrations make: sqlite_schema's sql
// by name, from a migrated in-memory database, made once per process.
func wantSchema(ctx context.Context) (map[string]string, error) {
	expectedSchemaOnce.Do(func() {
		db, err := sql.Open("sqlite", "file::memory:")
		if err != nil {
			expectedSchemaErr = err
			return
		}
		defer db.Close()
		db.SetMaxOpenConns(1)
		if err := migrate(context.WithoutCancel(ctx), db); err != nil {
			expectedSchemaErr = err
			return
		}
		expectedSchema, expectedSchemaErr = schemaOf(context.WithoutCancel(ctx), db)
	})
	return expectedSchema, expectedSchemaErr
}

func schemaOf(ctx context.Context, q querier) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, "SELECT name, COALESCE(sql, '') FROM sqlite_schema")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string]string{}
	for rows.Next() {
		var name, s string
		if err := rows.Scan(&name, &s); err != nil {
			return nil, err
		}
		m[name] = s
	}
	return m, rows.Err()
}

// checkSchema compares sqlite_schema with the migrations' schema when the
// file is at this program's version (an older file is migrated after the
// check; a newer one is refused later as ErrTooNew): a table, index or
// trigger missing or changed is corruption. A foreign file was refused
// before (checkIdentity).
func (c *pageChecker) checkSchema(ctx context.Context) error {
	var v int
	if err := c.q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	got, err := schemaOf(ctx, c.q)
	if err != nil {
		return err
	}
	if v != schemaVersion {
		return nil
	}
	want, err := wantSchema(ctx)
	if err != nil {
		return fmt.Errorf("start check: the expected schema: %w", err)
	}
	var diff []string
	for name, s := range want {
		g, ok := got[name]
		switch {
		case !ok:
			diff = append(diff, name+" missing")
		case g != s:
			diff = append(diff, name+" changed")
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			diff = append(diff, name+" unexpected")
		}
	}
	if len(diff) > 0 {
		slices.Sort(diff)
		return c.corrupt("schema: %s", strings.Join(diff, ", "))
	}
	return nil
}

// checkChainHead hashes the last startChainEntries entries of the
// terminal's chain again and links each to the one before.
func (c *pageChecker) checkChainHead(ctx context.Context) error {
	var terminal string
	err := c.q.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'terminal'").Scan(&terminal)
	if err != nil {
		if isNoRows(err) {
			return nil // Open refuses a ledger without a terminal after this
		}
		return err
	}
	var head int64
	if err := c.q.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM entries WHERE terminal = ?", terminal).Scan(&head); err != nil {
		return err
	}
	from := max(1, head-startChainEntries+1)
	var prev []byte
	if from > 1 {
		if err := c.q.QueryRowContext(ctx, "SELECT hash FROM entries WHERE terminal = ? AND seq = ?", terminal, from-1).Scan(&prev); err != nil {
			if isNoRows(err) {
				return c.corrupt("chain: entry %d missing", from-1)
			}
			return err
		}
	}
	part, err := scanChain(ctx, c.q, []chainRange{{terminal: terminal, from: uint64(from), to: uint64(head + 1), prev: hashOf(prev)}}, &hubProof{}, &entrySource{})
	if err != nil {
		return err
	}
	if len(part.problems) > 0 {
		return c.corrupt("chain head: %s", part.problems[0])
	}
	return nil
}

// hashOf copies a stored hash (nil: the zero hash before seq 1).
func hashOf(b []byte) record.Hash {
	var h record.Hash
	copy(h[:], b)
	return h
}
