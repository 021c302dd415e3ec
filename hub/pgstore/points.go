package pgstore

import (
	"fmt"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/record"
)

// ---- the catalog's pictures and the history of restocks

func scanPicture(s scanner, bytes bool) (hub.Picture, error) {
	var p hub.Picture
	var item, changed int64
	var hash []byte
	dest := []any{&item, &hash, &p.Width, &p.Height, &changed, &p.ChangedBy}
	if bytes {
		dest = append(dest, &p.Large, &p.Thumb)
	}
	if err := s.Scan(dest...); err != nil {
		return p, err
	}
	if len(hash) != len(p.Hash) {
		return p, fmt.Errorf("pgstore: picture of item %d: a hash of %d bytes", item, len(hash))
	}
	copy(p.Hash[:], hash)
	p.Item, p.Changed = record.ItemID(item), fromNano(changed)
	return p, nil
}

const pictureColumns = "item, hash, width, height, changed_at, changed_by"

func (t *tx) Picture(item record.ItemID) (hub.Picture, error) {
	p, err := scanPicture(t.row("SELECT "+pictureColumns+", large, thumb FROM item_pictures WHERE item = ?", int64(item)), true)
	return p, notFound(err, "picture of item %d", item)
}

func (t *tx) Pictures() ([]hub.Picture, error) {
	rows, err := t.query("SELECT " + pictureColumns + " FROM item_pictures ORDER BY item")
	if err != nil {
		return nil, fmt.Errorf("pgstore: pictures: %w", err)
	}
	return collect(t, rows, func(s scanner) (hub.Picture, error) { return scanPicture(s, false) })
}

func (t *tx) PutPicture(p hub.Picture) error {
	_, err := t.exec(`INSERT INTO item_pictures(`+pictureColumns+`, large, thumb) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(item) DO UPDATE SET hash = excluded.hash, width = excluded.width, height = excluded.height,
		changed_at = excluded.changed_at, changed_by = excluded.changed_by, large = excluded.large, thumb = excluded.thumb`,
		int64(p.Item), p.Hash[:], p.Width, p.Height, nano(p.Changed), p.ChangedBy, blob(p.Large), blob(p.Thumb))
	if err != nil {
		return fmt.Errorf("pgstore: picture of item %d: %w", p.Item, err)
	}
	return nil
}

// AddRestock takes the restock's id from counters 'restocks': above every
// id committed before it.
func (t *tx) AddRestock(r hub.Restock) error {
	id, err := t.nextID("restocks")
	if err != nil {
		return err
	}
	_, err = t.exec("INSERT INTO restocks(id, at, center, item, qty, after, reason, by_user) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		id, nano(r.At), r.Center, int64(r.Item), r.Qty, r.After, r.Reason, r.By)
	if err != nil {
		return fmt.Errorf("pgstore: add restock: %w", err)
	}
	return nil
}

func (t *tx) Restocks(q hub.RestockQuery) ([]hub.Restock, error) {
	if len(q.Centers) == 0 {
		return nil, nil
	}
	before := q.Before
	if before <= 0 {
		before = 1<<63 - 1
	}
	limit := q.Limit
	if limit <= 0 || limit > hub.MaxRestocks {
		limit = hub.MaxRestocks
	}
	rows, err := t.query(`SELECT id, at, center, item, qty, after, reason, by_user FROM restocks
		WHERE id < ? AND (?2::bigint = 0 OR item = ?2) AND center = ANY(?)
		ORDER BY id DESC LIMIT ?`, before, int64(q.Item), q.Centers, limit)
	if err != nil {
		return nil, fmt.Errorf("pgstore: restocks: %w", err)
	}
	return collect(t, rows, func(s scanner) (hub.Restock, error) {
		var r hub.Restock
		var at, item int64
		err := s.Scan(&r.ID, &at, &r.Center, &item, &r.Qty, &r.After, &r.Reason, &r.By)
		r.At, r.Item = fromNano(at), record.ItemID(item)
		return r, err
	})
}
