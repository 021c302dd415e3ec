package hublink_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/kiosk/hublink"
	"github.com/hongmajia/hongmajia/kiosk/update"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
)

// fleetKiosk is a test ledger enrolled at e that says it runs 1.4.1 on
// arch and takes offers into its incoming directory.
func (e *hubEnv) fleetKiosk(t *testing.T, arch string) (*ledgertest.Env, *hublink.Link, hublink.Options) {
	t.Helper()
	k := ledgertest.MustOpen(t)
	opts := hublink.Options{Clock: k.Clock, Sync: k.Sync, Version: "1.4.1", Arch: arch,
		Versions: filepath.Join(k.Dir, "versions"), Incoming: filepath.Join(k.Dir, update.IncomingDir),
		Window: func(now time.Time) (time.Time, time.Time) { return now.Add(time.Hour), now.Add(3 * time.Hour) }}
	if _, err := hublink.Enroll(ctx, k.Dir, k.Ledger, e.url, e.token(t), opts); err != nil {
		t.Fatalf("enroll: %v", err)
	}
	key, err := hublink.LoadKey(k.Dir)
	if err != nil {
		t.Fatal(err)
	}
	return k, hublink.New(k.Ledger, key, opts), opts
}

func names(t *testing.T, dir string) map[string]bool {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, e := range ents {
		out[e.Name()] = true
	}
	return out
}

// TestOffersAreTakenIntoIncoming: an offered bundle of the kiosk's arch is
// downloaded beside its offer (with the sync window), one of another arch
// is not offered, a withdrawn one is cleared away, and the outcome root's
// updater recorded reaches the hub with the next push.
func TestOffersAreTakenIntoIncoming(t *testing.T) {
	h := newHub(t)
	_, arm, armOpts := h.fleetKiosk(t, "arm64")
	_, amd, amdOpts := h.fleetKiosk(t, "amd64")
	mustSync(t, arm)
	mustSync(t, amd)
	b, err := h.hub.AddBundle(ctx, hubtest.BundleFile(t, t.TempDir(), "1.4.2", "arm64", false), nil, hub.CommandLine("tech"))
	if err != nil {
		t.Fatal(err)
	}

	res := mustSync(t, arm)
	if res.Offered != "1.4.2" || !res.Downloaded || res.OfferError != "" {
		t.Fatalf("sync: %+v", res)
	}
	if got := names(t, armOpts.Incoming); len(got) != 2 || !got[update.OfferName] || !got[update.BundleName(b.SHA256)] {
		t.Fatalf("incoming/ holds %v", got)
	}
	raw, err := os.ReadFile(filepath.Join(armOpts.Incoming, update.OfferName))
	if err != nil {
		t.Fatal(err)
	}
	var off update.Offer
	if err := json.Unmarshal(raw, &off); err != nil || off.SHA256 != b.SHA256 || off.Size != b.Size ||
		!off.NotBefore.Equal(h.clk.Now().Add(time.Hour)) || !off.NotAfter.Equal(h.clk.Now().Add(3*time.Hour)) {
		t.Fatalf("offer %s: %v", raw, err)
	}
	// Again: the bundle is kept, not downloaded twice.
	if res := mustSync(t, arm); res.Offered != "1.4.2" || res.Downloaded {
		t.Errorf("second sync: %+v", res)
	}
	if res := mustSync(t, amd); res.Offered != "" || len(names(t, amdOpts.Incoming)) != 0 {
		t.Errorf("the amd64 kiosk: %+v, incoming %v", res, names(t, amdOpts.Incoming))
	}

	// Root's updater failed with it: the next push says so.
	os.MkdirAll(armOpts.Versions, 0o755)
	o, _ := json.Marshal(hubsync.UpdateOutcome{Version: "1.4.2", Error: "rolled back: not healthy", At: h.clk.Now()})
	if err := os.WriteFile(filepath.Join(armOpts.Versions, update.OutcomeName), o, 0o644); err != nil {
		t.Fatal(err)
	}
	if res := mustSync(t, arm); res.Offered != "" {
		t.Errorf("offered %s again after it failed", res.Offered)
	}
	if got := names(t, armOpts.Incoming); len(got) != 0 {
		t.Errorf("incoming/ keeps %v once nothing is offered", got)
	}
	st, err := h.hub.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.Arch == "arm64" && (s.Outcome == nil || s.Outcome.OK || s.Outcome.Error != "rolled back: not healthy" || s.Version != "1.4.1") {
			t.Errorf("hub status of the arm64 kiosk: %+v", s)
		}
	}
}
