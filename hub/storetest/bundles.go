package storetest

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
)

// testBundles: a bundle is put whole (its centers too) and read back,
// the latest added first; a kiosk keeps its arch, the version offered and
// the outcome it reported.
func testBundles(t *testing.T, s hub.Store) {
	addCenter(t, s, "A")
	at := hubtest.Start.UTC()
	one := hub.Bundle{SHA256: strings.Repeat("a", 64), Version: "1.4.2", Arch: "arm64", Size: 1234, Centers: []string{"A", "B"},
		Added: at, AddedBy: "hubd:tech"}
	two := hub.Bundle{SHA256: strings.Repeat("b", 64), Version: "1.5.0", Arch: "amd64", Size: 99, Added: at.Add(time.Hour)}
	update(t, s, func(tx hub.Tx) error {
		if err := tx.PutBundle(one); err != nil {
			return err
		}
		return tx.PutBundle(two)
	})
	one.Withdrawn, one.Centers = at.Add(2*time.Hour), []string{"A"}
	update(t, s, func(tx hub.Tx) error { return tx.PutBundle(one) })
	k := hub.Kiosk{Terminal: "T1", Center: "A", PublicKey: make([]byte, 32), Enrolled: at, Arch: "arm64", Offered: "1.4.2",
		Outcome: &hub.UpdateOutcome{Version: "1.4.2", Error: "rolled back: not healthy", At: at}}
	update(t, s, func(tx hub.Tx) error { return tx.PutKiosk(k) })
	err := s.View(ctx, func(r hub.Reader) error {
		all, err := r.Bundles()
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(all, []hub.Bundle{two, one}) {
			t.Errorf("bundles:\n%+v\nwant\n%+v", all, []hub.Bundle{two, one})
		}
		got, err := r.Bundle(one.SHA256)
		if err != nil || !reflect.DeepEqual(got, one) {
			t.Errorf("bundle: %+v, %v", got, err)
		}
		if _, err := r.Bundle(strings.Repeat("c", 64)); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("a bundle not there: %v", err)
		}
		gk, err := r.Kiosk("T1")
		if err != nil || gk.Arch != k.Arch || gk.Offered != k.Offered || gk.Outcome == nil || *gk.Outcome != *k.Outcome {
			t.Errorf("kiosk: %+v, %v", gk, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
