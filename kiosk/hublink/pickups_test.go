package hublink_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/kiosk/hublink"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// hubRedemption is the hub's redemption of id; ok false when it has none.
func (e *hubEnv) redemption(t *testing.T, id record.EntryID) (hub.Redemption, bool) {
	t.Helper()
	rows, _, err := e.hub.Redemptions(ctx, hub.DistrictScope(), hub.RedemptionFilter{Limit: hub.MaxRedemptionPage})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.ID == id {
			return r.Redemption, true
		}
	}
	return hub.Redemption{}, false
}

// TestPickupsReachTheHub: a redemption's code and its hand-out at the
// kiosk reach the hub with the sync; a sync with nothing new sends none.
func TestPickupsReachTheHub(t *testing.T) {
	h := newHub(t)
	k, ln := h.kiosk(t)
	p, card := k.AddPerson(t, "王堃", record.Resident)
	k.Credit(t, p.ID, 200)
	rice := k.AddItem(t, "大米", 40, 5)
	mustSync(t, ln) // an enrolled kiosk redeems once it has synced
	first, err := k.Redeem(ctx, ledger.Redeem{ID: record.NewEntryID(), Card: card, Item: rice.ID})
	if err != nil {
		t.Fatal(err)
	}
	second, err := k.Redeem(ctx, ledger.Redeem{ID: record.NewEntryID(), Card: card, Item: rice.ID})
	if err != nil {
		t.Fatal(err)
	}
	k.Clock.Advance(5 * time.Minute)
	if _, err := k.HandOut(ctx, ledger.HandOut{ID: record.NewEntryID(), Redemption: first.Entry.ID, Operator: k.Staff}); err != nil {
		t.Fatal(err)
	}
	if res := mustSync(t, ln); res.Pickups != 3 || res.PickupsKept {
		t.Errorf("the sync sent %d pickup rows (kept %t), want 3", res.Pickups, res.PickupsKept)
	}
	r, ok := h.redemption(t, first.Entry.ID)
	if !ok || r.Code != string(first.Code) || r.HandedBy != k.Staff || !r.HandedAt.Equal(k.Clock.Now()) || r.State() != hub.RedemptionHandedOut {
		t.Errorf("the first at the hub: %+v (%t), want code %s handed out by %s at %v", r, ok, first.Code, k.Staff, k.Clock.Now())
	}
	if r, ok := h.redemption(t, second.Entry.ID); !ok || r.Code != string(second.Code) || r.State() != hub.RedemptionWaiting {
		t.Errorf("the second at the hub: %+v (%t)", r, ok)
	}
	if res := mustSync(t, ln); res.Pickups != 0 {
		t.Errorf("an idle sync sent %d pickup rows", res.Pickups)
	}
	if en, err := k.Enrollment(ctx); err != nil || en.PickupsAcked != 3 {
		t.Errorf("the ledger holds %d pickup rows acknowledged, %v; want 3", en.PickupsAcked, err)
	}
}

// dropFirstAnswer forwards every request and loses the answer of the first
// push: the hub stored it, the kiosk never heard.
type dropFirstAnswer struct {
	mu      sync.Mutex
	dropped bool
	pushes  []hubsync.Push
}

func (d *dropFirstAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path != hubsync.PathPush {
		return http.DefaultTransport.RoundTrip(r)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var p hubsync.Push
	if err := hubsync.DecodeBody(body, &p); err != nil {
		return nil, err
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.pushes = append(d.pushes, p)
	if err == nil && !d.dropped {
		d.dropped = true
		resp.Body.Close()
		return nil, errors.New("connection reset by peer")
	}
	return resp, err
}

// TestAPushCutAndSentAgainStoresEachPickupOnce: a center with more
// redemptions than a push carries syncs; the first push's answer is lost
// after the hub stored it, so the retry sends the same rows again; the hub
// holds each code and hand-out once, every one the kiosk made.
func TestAPushCutAndSentAgainStoresEachPickupOnce(t *testing.T) {
	h := newHub(t)
	k := ledgertest.MustOpen(t)
	const people, each, handed = 5, 420, 100 // 2,100 redemptions: more than a push's entries and rows
	towel := k.AddItem(t, "毛巾", 1, people*each)
	var made []ledger.Redemption
	for range people {
		p, card := k.AddPerson(t, "志愿者", record.Resident)
		k.Credit(t, p.ID, each)
		err := k.Batch(ctx, func(b *ledger.Batch) error {
			for range each {
				r, err := b.Redeem(ledger.Redeem{ID: record.NewEntryID(), Card: card, Item: towel.ID})
				if err != nil {
					return err
				}
				made = append(made, r)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	k.Clock.Advance(time.Hour)
	for _, r := range made[:handed] {
		if _, err := k.HandOut(ctx, ledger.HandOut{ID: record.NewEntryID(), Redemption: r.Entry.ID, Operator: k.Staff}); err != nil {
			t.Fatal(err)
		}
	}
	tr := &dropFirstAnswer{}
	opts := hublink.Options{Clock: k.Clock, Sync: k.Sync, HTTP: &http.Client{Transport: tr}}
	if _, err := hublink.Enroll(ctx, k.Dir, k.Ledger, h.url, h.token(t), opts); err != nil {
		t.Fatal(err)
	}
	key, err := hublink.LoadKey(k.Dir)
	if err != nil {
		t.Fatal(err)
	}
	ln := hublink.New(k.Ledger, key, opts)
	if _, err := ln.Sync(ctx); !errors.Is(err, hubsync.ErrNetwork) {
		t.Fatalf("the sync whose answer was lost: %v, want a network error", err)
	}
	res := mustSync(t, ln)
	if len(tr.pushes) < 3 || len(tr.pushes[0].Pickups) == 0 {
		t.Fatalf("%d pushes, the first with %d pickup rows", len(tr.pushes), len(tr.pushes[0].Pickups))
	}
	if a, b := tr.pushes[0], tr.pushes[1]; a.PickupsAcked != b.PickupsAcked || len(a.Pickups) != len(b.Pickups) {
		t.Errorf("the retry sent %d rows after %d; the lost push %d after %d", len(b.Pickups), b.PickupsAcked, len(a.Pickups), a.PickupsAcked)
	}
	for i, p := range tr.pushes {
		if len(p.Pickups) > hubsync.MaxPickups || len(p.Entries) > hubsync.MaxBatch {
			t.Errorf("push %d carries %d pickup rows and %d entries", i, len(p.Pickups), len(p.Entries))
		}
	}
	// The kiosk never heard the first push's rows were taken: the second
	// sync sends them all.
	if res.Unsynced != 0 || res.Pickups != len(made)+handed {
		t.Errorf("the second sync: %+v; want every entry and %d pickup rows", res, len(made)+handed)
	}
	held := map[record.EntryID]hub.Redemption{}
	f := hub.RedemptionFilter{Limit: hub.MaxRedemptionPage}
	for {
		rows, more, err := h.hub.Redemptions(ctx, hub.DistrictScope(), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if _, twice := held[r.ID]; twice {
				t.Fatalf("redemption %s listed twice", r.ID)
			}
			held[r.ID] = r.Redemption
		}
		if !more {
			break
		}
		f.Before = rows[len(rows)-1].Cursor()
	}
	if len(held) != len(made) {
		t.Fatalf("the hub holds %d redemptions, the kiosk made %d", len(held), len(made))
	}
	handedOut := 0
	for i, m := range made {
		r := held[m.Entry.ID]
		if r.Code != string(m.Code) {
			t.Fatalf("redemption %d: code %q at the hub, %q at the kiosk", i, r.Code, m.Code)
		}
		if want := i < handed; want != (r.State() == hub.RedemptionHandedOut) || (want && r.HandedBy != k.Staff) {
			t.Fatalf("redemption %d at the hub: %+v", i, r)
		}
		if r.State() == hub.RedemptionHandedOut {
			handedOut++
		}
	}
	if en, err := k.Enrollment(ctx); err != nil || en.PickupsAcked != uint64(len(made)+handed) {
		t.Errorf("pickup rows acknowledged %d, %v; want %d", en.PickupsAcked, err, len(made)+handed)
	}
	t.Logf("%d redemptions, %d handed out, in %d pushes", len(held), handedOut, len(tr.pushes))
}

// olderHub stands in front of the hub for one that predates pickups: it
// takes every push's pickup rows out, signed again with the kiosk's key as
// if the kiosk had sent none, and so the hub answers none taken, as an
// older hub's answer (without pickups_acked) reads.
type olderHub struct {
	key    ed25519.PrivateKey
	strip  bool
	mu     sync.Mutex
	pushes int
}

func (o *olderHub) RoundTrip(r *http.Request) (*http.Response, error) {
	o.mu.Lock()
	strip := o.strip
	o.mu.Unlock()
	if r.URL.Path != hubsync.PathPush || !strip {
		return http.DefaultTransport.RoundTrip(r)
	}
	m, err := hubsync.ReadMeta(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	var p hubsync.Push
	if err := hubsync.DecodeBody(body, &p); err != nil {
		return nil, err
	}
	p.Pickups, p.PickupsAcked = nil, 0
	if body, err = hubsync.EncodeBody(p); err != nil {
		return nil, err
	}
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	hubsync.SignRequest(o.key, r, body, m)
	o.mu.Lock()
	o.pushes++
	o.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// TestAnOlderHubLeavesThePickupsWithTheKiosk: a hub that takes no pickup
// rows takes the entries; the kiosk keeps the rows, sends them once per
// sync, and the hub has them all once it takes them.
func TestAnOlderHubLeavesThePickupsWithTheKiosk(t *testing.T) {
	h := newHub(t)
	k := ledgertest.MustOpen(t)
	p, card := k.AddPerson(t, "王堃", record.Resident)
	k.Credit(t, p.ID, 200)
	rice := k.AddItem(t, "大米", 40, 5)
	r, err := k.Redeem(ctx, ledger.Redeem{ID: record.NewEntryID(), Card: card, Item: rice.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.HandOut(ctx, ledger.HandOut{ID: record.NewEntryID(), Redemption: r.Entry.ID, Operator: k.Staff}); err != nil {
		t.Fatal(err)
	}
	old := &olderHub{strip: true}
	opts := hublink.Options{Clock: k.Clock, Sync: k.Sync, HTTP: &http.Client{Transport: old}}
	if _, err := hublink.Enroll(ctx, k.Dir, k.Ledger, h.url, h.token(t), opts); err != nil {
		t.Fatal(err)
	}
	if old.key, err = hublink.LoadKey(k.Dir); err != nil {
		t.Fatal(err)
	}
	ln := hublink.New(k.Ledger, old.key, opts)
	res := mustSync(t, ln)
	head, _ := k.Head(ctx)
	if !res.PickupsKept || res.Pickups != 0 || res.Acked != head.Seq || old.pushes != 1 {
		t.Errorf("a sync with an older hub: %+v in %d pushes; want the entries taken in one push, the pickups kept", res, old.pushes)
	}
	if got, _ := h.redemption(t, r.Entry.ID); got.Code != "" || got.State() != hub.RedemptionUnreported {
		t.Errorf("the older hub's redemption: %+v", got)
	}
	if en, _ := k.Enrollment(ctx); en.PickupsAcked != 0 {
		t.Errorf("the kiosk holds %d pickup rows acknowledged by a hub that took none", en.PickupsAcked)
	}
	if res := mustSync(t, ln); !res.PickupsKept || old.pushes != 2 {
		t.Errorf("the next sync: %+v in %d pushes", res, old.pushes)
	}
	// The hub is upgraded.
	old.mu.Lock()
	old.strip = false
	old.mu.Unlock()
	if res := mustSync(t, ln); res.PickupsKept || res.Pickups != 2 {
		t.Errorf("the sync with the upgraded hub: %+v", res)
	}
	if got, _ := h.redemption(t, r.Entry.ID); got.Code != string(r.Code) || got.HandedBy != k.Staff || got.State() != hub.RedemptionHandedOut {
		t.Errorf("the upgraded hub's redemption: %+v", got)
	}
}
