package e2e_test

import (
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/hub"
)

var cst = time.FixedZone("CST", 8*3600)

// checkCorrected: the hub holds the kiosk's entries in their order (seq,
// as its ledger has them), each with its raw time as the kiosk wrote it
// and, for an entry made with an untrusted clock, a corrected time within
// the hub's clock: no later than when the hub received it, and no earlier
// than the kiosk's clock says it was made before it was pushed.
func checkCorrected(t *testing.T, h *hubProc, k *kiosk, began time.Time, kioskSpan time.Duration) []hub.StoredEntry {
	t.Helper()
	var held []hub.StoredEntry
	h.look(func(_ *hub.Hub, st hub.Store) { held = hubEntries(t, st, k.l.Terminal().ID) })
	local := k.entries()
	if len(held) != len(local) || len(held) == 0 {
		t.Fatalf("kiosk %s: the hub holds %d entries, the ledger %d", k.name, len(held), len(local))
	}
	for i, e := range held {
		l := local[i]
		if e.Seq != uint64(i+1) || e.Seq != l.Seq || e.Hash != l.Hash {
			t.Errorf("kiosk %s: entry %d at the hub is seq %d, the ledger's seq %d", k.name, i, e.Seq, l.Seq)
		}
		if !e.At.Equal(l.At) || e.Trusted != l.Trusted {
			t.Errorf("kiosk %s: seq %d: raw time %s (trusted %v) at the hub, %s (%v) written", k.name, e.Seq, e.At, e.Trusted, l.At, l.Trusted)
		}
		if e.Trusted {
			if !e.Corrected.IsZero() {
				t.Errorf("kiosk %s: seq %d: a trusted time corrected to %s", k.name, e.Seq, e.Corrected)
			}
			continue
		}
		c := e.Corrected
		if c.IsZero() {
			t.Errorf("kiosk %s: seq %d: an untrusted time (%s) with no corrected one", k.name, e.Seq, e.At)
			continue
		}
		if c.After(e.Received.Add(time.Second)) || c.Before(began.Add(-kioskSpan-time.Second)) {
			t.Errorf("kiosk %s: seq %d: raw %s corrected to %s, outside the hub's clock (test began %s, received %s)",
				k.name, e.Seq, e.At.Format(time.RFC3339), c.Format(time.RFC3339Nano), began.Format(time.RFC3339Nano), e.Received.Format(time.RFC3339Nano))
		}
		if !e.HubTime().Equal(c) {
			t.Errorf("kiosk %s: seq %d: hub time %s, not its corrected %s", k.name, e.Seq, e.HubTime(), c)
		}
	}
	return held
}

// TestClocks: a kiosk whose clock reads 1970, or a year ahead, with the
// kernel saying it is not synced, enrolls and syncs; its entries keep
// their order at the hub and get corrected times there. A kiosk whose
// clock claims to be synced but reads a year ahead is refused until its
// clock is right.
func TestClocks(t *testing.T) {
	h := newHub(t, "A", "和平里街道党群服务中心")
	began := time.Now()
	for _, c := range []struct {
		name  string
		start time.Time
	}{
		{"C70", time.Date(1970, 1, 1, 8, 0, 5, 0, cst)},
		{"CYR", time.Now().AddDate(1, 0, 0)},
	} {
		clk := clock.NewFake(c.start)
		k := newKiosk(t, c.name, "A", kioskOpts{clk: clk, synced: false})
		k.mustEnroll(h.url(), h.token("A"))
		p, _ := k.person("王五")
		for range 3 {
			clk.Advance(time.Second)
			k.credit(p.ID, 5)
		}
		k.mustSync()
		// A second push, its clock a little further on.
		for range 2 {
			clk.Advance(time.Second)
			k.credit(p.ID, 1)
		}
		k.mustSync()
		held := checkCorrected(t, h, k, began, clk.Now().Sub(c.start))
		for _, e := range held {
			if e.Trusted || e.At.Year() != c.start.Year() {
				t.Errorf("kiosk %s: seq %d: raw time %s (trusted %v), want the kiosk's own %d", c.name, e.Seq, e.At, e.Trusted, c.start.Year())
			}
		}
		k.mustVerify()
		en, err := k.l.Enrollment(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if off := en.ClockOffset; (off - time.Since(clk.Now())).Abs() > time.Minute {
			t.Errorf("kiosk %s: recorded clock offset %s, its clock is %s off", c.name, off, time.Since(clk.Now()).Round(time.Second))
		}
		h.look(func(hb *hub.Hub, _ hub.Store) {
			if b := districtBalance(t, hb, p.ID); b.Points != 17 {
				t.Errorf("kiosk %s: district balance %+v, want 17 points", c.name, b)
			}
		})
	}

	// A clock that says it is synced but reads a year ahead (a wrong NTP
	// server): the hub refuses its trusted requests, so the kiosk enrolls
	// and syncs with its clock untrusted, and the hub corrects the times of
	// its entries, the "trusted" ones too.
	ahead := time.Now().AddDate(1, 0, 0)
	clk := clock.NewFake(ahead)
	k := newKiosk(t, "CSY", "A", kioskOpts{clk: clk, synced: true})
	p, _ := k.person("赵六")
	k.credit(p.ID, 3) // trusted, a year ahead
	k.mustEnroll(h.url(), h.token("A"))
	for range 2 {
		clk.Advance(time.Second)
		k.credit(p.ID, 2)
	}
	k.mustSync()
	var held []hub.StoredEntry
	h.look(func(_ *hub.Hub, st hub.Store) { held = hubEntries(t, st, k.l.Terminal().ID) })
	local := k.entries()
	if len(held) != len(local) {
		t.Fatalf("the hub holds %d entries, the ledger %d", len(held), len(local))
	}
	for i, e := range held {
		if e.Seq != local[i].Seq || e.Hash != local[i].Hash {
			t.Errorf("seq %d differs at the hub", e.Seq)
		}
		if i > 0 && !held[i-1].HubTime().Before(e.HubTime().Add(time.Second)) {
			t.Errorf("seq %d at %s, before seq %d at %s", e.Seq, e.HubTime(), held[i-1].Seq, held[i-1].HubTime())
		}
		// Within seconds before it reached the hub (the fake clock moved
		// only by the test's steps), not a year off.
		if e.Corrected.IsZero() || e.Corrected.After(e.Received.Add(time.Second)) || e.Corrected.Before(e.Received.Add(-time.Minute)) {
			t.Errorf("seq %d of a clock a year ahead: trusted %v, raw %s, corrected %s, received %s", e.Seq, e.Trusted, e.At, e.Corrected, e.Received)
		}
	}
	k.mustVerify()
}
