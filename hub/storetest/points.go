package storetest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/record"
)

// testPictures: an item's picture is put whole by its item (a second
// replaces the first), read with its bytes alone, and without them in a
// list of every item's; an item without one is ErrNotFound; a picture of
// an item that is not there is refused.
func testPictures(t *testing.T, s hub.Store) {
	pic := func(item record.ItemID, large string, w, h int, at time.Time, by string) hub.Picture {
		return hub.Picture{Item: item, Hash: sha256.Sum256([]byte(large)), Large: []byte(large), Thumb: []byte("t" + large),
			Width: w, Height: h, Changed: at, ChangedBy: by}
	}
	update(t, s, func(tx hub.Tx) error {
		for _, it := range []hub.Item{{ID: 10, Name: "rice", Price: 80, Active: true, Version: 1}, {ID: 11, Name: "oil", Price: 50, Active: true, Version: 2},
			{ID: 12, Name: "soap", Price: 5, Active: true, Version: 3}} {
			if err := tx.PutItem(it); err != nil {
				return err
			}
		}
		for _, p := range []hub.Picture{pic(11, "oil-1", 800, 600, hubtest.Start, "王芳"), pic(10, "rice", 600, 800, hubtest.Start, "王芳"),
			pic(11, "oil-2", 640, 480, hubtest.Start.Add(time.Hour), "李静")} {
			if err := tx.PutPicture(p); err != nil {
				return err
			}
		}
		return nil
	})
	if err := s.Update(ctx, func(tx hub.Tx) error { return tx.PutPicture(pic(99, "none", 1, 1, hubtest.Start, "")) }); err == nil {
		t.Error("a picture of an item that is not there was stored")
	}
	err := s.View(ctx, func(r hub.Reader) error {
		got, err := r.Picture(11)
		if err != nil {
			return err
		}
		want := pic(11, "oil-2", 640, 480, hubtest.Start.Add(time.Hour), "李静")
		if got.Item != 11 || got.Hash != want.Hash || !bytes.Equal(got.Large, want.Large) || !bytes.Equal(got.Thumb, want.Thumb) ||
			got.Width != 640 || got.Height != 480 || !got.Changed.Equal(want.Changed) || got.ChangedBy != "李静" {
			t.Errorf("the picture put again: %+v", got)
		}
		if _, err := r.Picture(12); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("an item without a picture: %v, want ErrNotFound", err)
		}
		all, err := r.Pictures()
		if err != nil {
			return err
		}
		if len(all) != 2 || all[0].Item != 10 || all[1].Item != 11 || all[1].Hash != want.Hash || all[0].Width != 600 ||
			all[0].Large != nil || all[0].Thumb != nil || all[1].Large != nil || !all[0].Changed.Equal(hubtest.Start) {
			t.Errorf("every picture: %+v", all)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testRestocks: restocks are kept under growing ids whatever the id
// given, read newest first by center (several at once), item, a page
// before an id and a limit; none of no center; the history is
// append-only.
func testRestocks(t *testing.T, s hub.Store) {
	addCenter(t, s, "A")
	addCenter(t, s, "B")
	at := func(h int) time.Time { return hubtest.Start.Add(time.Duration(h) * time.Hour) }
	update(t, s, func(tx hub.Tx) error {
		for i, r := range []hub.Restock{
			{ID: 77, At: at(0), Center: "A", Item: 10, Qty: 20, After: 20, Reason: "到货", By: "王芳"},
			{At: at(1), Center: "B", Item: 10, Qty: 5, After: 5, Reason: "到货", By: "王芳"},
			{At: at(2), Center: "A", Item: 11, Qty: 8, After: 8, Reason: "区里配送", By: "刘芳"},
			{ID: 1, At: at(3), Center: "A", Item: 10, Qty: -2, After: 18, Reason: "盘点更正", By: "刘芳"},
		} {
			if err := tx.AddRestock(r); err != nil {
				return fmt.Errorf("restock %d: %w", i, err)
			}
		}
		return nil
	})
	read := func(q hub.RestockQuery) []hub.Restock {
		t.Helper()
		var out []hub.Restock
		if err := s.View(ctx, func(r hub.Reader) (err error) { out, err = r.Restocks(q); return err }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	short := func(rs []hub.Restock) string {
		var b bytes.Buffer
		for _, r := range rs {
			fmt.Fprintf(&b, "%s/%d%+d=%d;", r.Center, r.Item, r.Qty, r.After)
		}
		return b.String()
	}
	all := read(hub.RestockQuery{Centers: []string{"A", "B"}})
	if len(all) != 4 || short(all) != "A/10-2=18;A/11+8=8;B/10+5=5;A/10+20=20;" {
		t.Fatalf("every restock: %s", short(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].ID >= all[i-1].ID {
			t.Errorf("ids not newest first: %d after %d", all[i].ID, all[i-1].ID)
		}
	}
	if r := all[0]; !r.At.Equal(at(3)) || r.Reason != "盘点更正" || r.By != "刘芳" {
		t.Errorf("the newest restock: %+v", r)
	}
	for _, c := range []struct {
		q    hub.RestockQuery
		want string
	}{
		{hub.RestockQuery{Centers: []string{"A"}}, "A/10-2=18;A/11+8=8;A/10+20=20;"},
		{hub.RestockQuery{Centers: []string{"B", "A", "B"}, Item: 10}, "A/10-2=18;B/10+5=5;A/10+20=20;"},
		{hub.RestockQuery{Centers: []string{"A"}, Item: 10, Before: all[0].ID}, "A/10+20=20;"},
		{hub.RestockQuery{Centers: []string{"A", "B"}, Limit: 2}, "A/10-2=18;A/11+8=8;"},
		{hub.RestockQuery{Centers: []string{"C"}}, ""},
		{hub.RestockQuery{}, ""},
	} {
		if got := short(read(c.q)); got != c.want {
			t.Errorf("restocks %+v: %s, want %s", c.q, got, c.want)
		}
	}
	// Nothing changes a restock once kept: a store offers no way to, and
	// one added again is another.
	update(t, s, func(tx hub.Tx) error { return tx.AddRestock(all[0]) })
	if again := read(hub.RestockQuery{Centers: []string{"A", "B"}}); len(again) != 5 || again[0].ID <= all[0].ID {
		t.Errorf("a restock added again: %s", short(again))
	}
}
