package ledger

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

// hubProof is what the hub signed that a file's balances and stock start
// from: the latest snapshot of each person and of each item's stock at this
// center, and who was merged into whom. Verify proves a balance with a
// snapshot as the snapshot plus the terminal's own entries after its AsOf
// (for the person and everyone merged into them), and checks the
// snapshot's signature with the hub's key; a balance without one as the
// sum of every entry, as before the hub. A file that never had a hub has
// no snapshots and verifies as it always did.
type hubProof struct {
	terminal string
	key      ed25519.PublicKey // nil: none stored
	alias    map[record.PersonID]record.PersonID
	snaps    map[record.PersonID]hubsync.Snapshot
	stock    map[stockKey]hubsync.Stock
}

// loadHubProof reads the snapshots, the aliases and the hub's key; a file
// older than the hub's tables has none.
func loadHubProof(ctx context.Context, q querier, terminal string) (*hubProof, error) {
	pf := &hubProof{terminal: terminal, alias: map[record.PersonID]record.PersonID{}, snaps: map[record.PersonID]hubsync.Snapshot{},
		stock: map[stockKey]hubsync.Stock{}}
	var n int
	if err := q.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('aliases', 'snapshots', 'stock_snapshots')").Scan(&n); err != nil {
		return nil, storageErr(err)
	}
	if n < 3 {
		return pf, nil
	}
	var err error
	if pf.alias, err = readAliases(ctx, q); err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, "SELECT person, points, minutes, as_of, version, sig FROM snapshots")
	if err != nil {
		return nil, storageErr(err)
	}
	for rows.Next() {
		var s hubsync.Snapshot
		var asOf, version int64
		if err := rows.Scan((*int64)(&s.Person), &s.Points, &s.Minutes, &asOf, &version, &s.Sig); err != nil {
			rows.Close()
			return nil, storageErr(err)
		}
		s.AsOf, s.Version = uint64(asOf), uint64(version)
		pf.snaps[s.Person] = s
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, storageErr(err)
	}
	rows, err = q.QueryContext(ctx, "SELECT center, item, qty, as_of, version, sig FROM stock_snapshots")
	if err != nil {
		return nil, storageErr(err)
	}
	for rows.Next() {
		var s hubsync.Stock
		var asOf, version int64
		if err := rows.Scan(&s.Center, (*int64)(&s.Item), &s.Qty, &asOf, &version, &s.Sig); err != nil {
			rows.Close()
			return nil, storageErr(err)
		}
		s.AsOf, s.Version = uint64(asOf), uint64(version)
		pf.stock[stockKey{s.Center, s.Item}] = s
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, storageErr(err)
	}
	var k string
	err = q.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'hub_key'").Scan(&k)
	if err != nil && !isNoRows(err) {
		return nil, storageErr(err)
	}
	if b, err := hex.DecodeString(k); err == nil && len(b) == ed25519.PublicKeySize {
		pf.key = b
	}
	return pf, nil
}

// root is the person p's entries count for: p, or the one p was merged into.
func (pf *hubProof) root(p record.PersonID) record.PersonID {
	if pf == nil {
		return p
	}
	if to, ok := pf.alias[p]; ok {
		return to
	}
	return p
}

// inSnapshot reports whether e's points and minutes, counted for root, are
// in root's snapshot already: another terminal's, or this one's up to AsOf.
func (pf *hubProof) inSnapshot(root record.PersonID, e *record.Entry) bool {
	if pf == nil {
		return false
	}
	s, ok := pf.snaps[root]
	return ok && (e.Terminal != pf.terminal || e.Seq <= s.AsOf)
}

// inStock is inSnapshot for stock.
func (pf *hubProof) inStock(k stockKey, e *record.Entry) bool {
	if pf == nil {
		return false
	}
	s, ok := pf.stock[k]
	return ok && (e.Terminal != pf.terminal || e.Seq <= s.AsOf)
}

// base is where a person's balance starts: their snapshot, or zero.
func (pf *hubProof) base(p record.PersonID) sums {
	if pf == nil {
		return sums{}
	}
	s := pf.snaps[p]
	return sums{points: s.Points, minutes: s.Minutes}
}

// stockBase is where an item's stock starts: its snapshot, or zero.
func (pf *hubProof) stockBase(k stockKey) int64 {
	if pf == nil {
		return 0
	}
	return pf.stock[k].Qty
}

// check reports each snapshot whose signature does not verify with the
// hub's key (edited with sqlite3, or not the hub's).
func (pf *hubProof) check(rep *VerifyReport) {
	if len(pf.snaps)+len(pf.stock) == 0 {
		return
	}
	if pf.key == nil {
		rep.add("snapshot", "%d balance and %d stock snapshot(s) but no hub key to check them with", len(pf.snaps), len(pf.stock))
		return
	}
	for _, p := range sortedKeys(pf.snaps) {
		s := pf.snaps[p]
		if !ed25519.Verify(pf.key, s.SigningBytes(pf.terminal), s.Sig) {
			rep.add("snapshot", "person %d: the hub's signature does not match the snapshot (%d points %d minutes as of %d, version %d)",
				p, s.Points, s.Minutes, s.AsOf, s.Version)
		}
	}
	for k, s := range pf.stock {
		if !ed25519.Verify(pf.key, s.SigningBytes(pf.terminal), s.Sig) {
			rep.add("snapshot", "item %d at %s: the hub's signature does not match the stock snapshot (%d as of %d, version %d)",
				k.item, k.center, s.Qty, s.AsOf, s.Version)
		}
	}
}
