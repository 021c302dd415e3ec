package hub_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/hubsync"
)

// fleetKiosk enrolls a kiosk of center that says it runs version on arch.
func (e *env) fleetKiosk(terminal, center, version, arch string, installed *hubsync.UpdateOutcome) *hubtest.Kiosk {
	e.t.Helper()
	k := e.kiosk(terminal, center)
	e.say(k, version, arch, installed)
	return k
}

// say pushes what k runs and what became of its last offered bundle.
func (e *env) say(k *hubtest.Kiosk, version, arch string, installed *hubsync.UpdateOutcome) {
	e.t.Helper()
	p := k.Push()
	p.Version, p.Arch, p.Installed = version, arch, installed
	res, err := e.hub.Push(ctx, k.Meta(), p)
	if err != nil {
		e.t.Fatalf("push %s: %v", k.Terminal, err)
	}
	k.Record(res)
}

func (e *env) offer(k *hubtest.Kiosk) *hubsync.Offer {
	e.t.Helper()
	return e.pull(k, 0).Offer
}

func (e *env) addBundle(version, arch string, centers ...string) hub.Bundle {
	e.t.Helper()
	b, err := e.hub.AddBundle(ctx, hubtest.BundleFile(e.t, e.t.TempDir(), version, arch, false), centers, hub.CommandLine("tech"))
	if err != nil {
		e.t.Fatalf("add bundle %s %s: %v", version, arch, err)
	}
	to := "all centers"
	if len(centers) > 0 {
		to = strings.Join(centers, " ")
	}
	if a := e.lastAudit(); a.Action != hub.AuditBundleAdd || a.Subject != version+" "+arch || a.Detail != to+" · SHA-256 "+b.SHA256 || a.Addr != "hubd:tech" {
		e.t.Errorf("bundle %s %s's audit: %+v", version, arch, a)
	}
	return b
}

// TestBundlesAreOfferedToOlderKiosksOfTheirArchAndCenters: a bundle goes
// to the kiosks of the chosen centers that run an older release of its
// architecture, and to no other.
func TestBundlesAreOfferedToOlderKiosksOfTheirArchAndCenters(t *testing.T) {
	e := newEnv(t)
	older := e.fleetKiosk("A-older", "A", "1.4.1", "arm64", nil)
	amd := e.fleetKiosk("A-amd64", "A", "1.4.1", "amd64", nil)
	newer := e.fleetKiosk("A-newer", "A", "1.5.0", "arm64", nil)
	same := e.fleetKiosk("A-same", "A", "1.4.2", "arm64", nil)
	dev := e.fleetKiosk("A-dev", "A", "3f2a9c1b7d4e", "arm64", nil)
	silent := e.fleetKiosk("A-silent", "A", "1.4.1", "", nil) // a kiosk older than fleet updates
	otherCenter := e.fleetKiosk("B-older", "B", "1.4.1", "arm64", nil)

	b := e.addBundle("1.4.2", "arm64", "A")
	data, err := os.ReadFile(filepath.Join(e.dir, hub.BundlesDir, b.SHA256))
	if err != nil {
		t.Fatalf("the bundle is not kept in the data directory: %v", err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != b.SHA256 || int64(len(data)) != b.Size {
		t.Fatalf("the kept bundle is not the file added")
	}
	want := hubsync.Offer{Version: "1.4.2", Arch: "arm64", Size: b.Size, SHA256: b.SHA256}
	if got := e.offer(older); got == nil || *got != want {
		t.Errorf("an older arm64 kiosk of A is offered %+v, want %+v", got, want)
	}
	for _, k := range []*hubtest.Kiosk{amd, newer, same, dev, silent, otherCenter} {
		if got := e.offer(k); got != nil {
			t.Errorf("%s is offered %+v", k.Terminal, got)
		}
	}
	st, err := e.hub.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if wantOffered := map[string]string{"A-older": "1.4.2"}[s.Terminal]; s.Offered != wantOffered {
			t.Errorf("status of %s: offered %q, want %q", s.Terminal, s.Offered, wantOffered)
		}
		if s.Terminal == "A-amd64" && (s.Arch != "amd64" || s.Version != "1.4.1") {
			t.Errorf("status of %s: %s on %s", s.Terminal, s.Version, s.Arch)
		}
	}

	// A newer bundle for every center: the newest is offered, to B too.
	b2 := e.addBundle("1.5.1", "arm64")
	for _, k := range []*hubtest.Kiosk{older, newer, same, otherCenter} {
		if got := e.offer(k); got == nil || got.SHA256 != b2.SHA256 {
			t.Errorf("%s is offered %+v, want 1.5.1", k.Terminal, got)
		}
	}

	// Withdrawn, 1.5.1 is offered no more; 1.4.2 comes back for A's.
	w, err := e.hub.WithdrawBundle(ctx, "1.5.1", hub.CommandLine("tech"))
	if err != nil || len(w) != 1 || w[0].SHA256 != b2.SHA256 {
		t.Fatalf("withdraw 1.5.1: %v, %v", w, err)
	}
	if a := e.lastAudit(); a.Action != hub.AuditBundleWithdraw || a.Subject != "1.5.1" || a.Detail != "arm64" || a.Addr != "hubd:tech" {
		t.Errorf("the withdrawal's audit: %+v", a)
	}
	if got := e.offer(older); got == nil || got.Version != "1.4.2" {
		t.Errorf("after the withdrawal A-older is offered %+v, want 1.4.2", got)
	}
	if got := e.offer(otherCenter); got != nil {
		t.Errorf("after the withdrawal B-older is offered %+v", got)
	}
	if _, err := e.hub.WithdrawBundle(ctx, "1.5.1", hub.CommandLine("tech")); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("withdraw twice: %v, want ErrNotFound", err)
	}
	if _, _, err := e.hub.OpenBundle(ctx, otherCenter.Meta(), b2.SHA256); !errors.Is(err, hubsync.ErrNotOffered) {
		t.Errorf("download of a withdrawn bundle: %v, want ErrNotOffered", err)
	}
	if _, _, err := e.hub.OpenBundle(ctx, amd.Meta(), b.SHA256); !errors.Is(err, hubsync.ErrNotOffered) {
		t.Errorf("download of another arch's bundle: %v, want ErrNotOffered", err)
	}
	f, got, err := e.hub.OpenBundle(ctx, older.Meta(), b.SHA256)
	if err != nil || got.Version != "1.4.2" {
		t.Fatalf("download of the offered bundle: %v, %v", got, err)
	}
	f.Close()
	list, err := e.hub.Bundles(ctx)
	// Added in the same second here: their order is the store's tie-break.
	if len(list) == 2 && list[0].Version == "1.4.2" {
		list[0], list[1] = list[1], list[0]
	}
	if err != nil || len(list) != 2 || list[0].Version != "1.5.1" || list[0].Withdrawn.IsZero() || !list[1].Withdrawn.IsZero() ||
		len(list[1].Centers) != 1 || list[1].Centers[0] != "A" || list[0].Centers != nil {
		t.Errorf("bundles: %+v, %v", list, err)
	}
}

// TestABundleThatFailedIsNotOfferedAgain: a kiosk that rolled a bundle back
// says so; the hub shows it and offers that bundle no more (a newer one,
// yes), and an installed one shows as installed.
func TestABundleThatFailedIsNotOfferedAgain(t *testing.T) {
	e := newEnv(t)
	k := e.fleetKiosk("A-1", "A", "1.4.1", "arm64", nil)
	e.addBundle("1.4.2", "arm64", "A")
	if got := e.offer(k); got == nil {
		t.Fatal("not offered")
	}
	failed := &hubsync.UpdateOutcome{Version: "1.4.2", Error: "rolled back: not healthy within 2m0s", At: e.clk.Now()}
	e.say(k, "1.4.1", "arm64", failed)
	if got := e.offer(k); got != nil {
		t.Errorf("offered again after it failed: %+v", got)
	}
	st, err := e.hub.Status(ctx)
	if err != nil || len(st) != 1 || st[0].Outcome == nil || st[0].Outcome.OK || st[0].Outcome.Error != failed.Error {
		t.Fatalf("status: %+v, %v", st, err)
	}
	e.addBundle("1.4.3", "arm64", "A")
	if got := e.offer(k); got == nil || got.Version != "1.4.3" {
		t.Fatalf("a newer bundle: offered %+v", got)
	}
	e.say(k, "1.4.3", "arm64", &hubsync.UpdateOutcome{Version: "1.4.3", OK: true, At: e.clk.Now()})
	if got := e.offer(k); got != nil {
		t.Errorf("offered %+v once it runs 1.4.3", got)
	}
	st, _ = e.hub.Status(ctx)
	if st[0].Version != "1.4.3" || st[0].Outcome == nil || !st[0].Outcome.OK {
		t.Errorf("status after the install: %+v", st[0])
	}
}

// TestAddBundleChecksItsForm: what is not a well-formed bundle, or names a
// center the hub does not have, is not offered.
func TestAddBundleChecksItsForm(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.bundle")
	if err := os.WriteFile(junk, []byte("not a bundle"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := e.hub.AddBundle(ctx, junk, nil, hub.CommandLine("tech")); !errors.Is(err, hub.ErrNotBundle) {
		t.Errorf("junk: %v, want ErrNotBundle", err)
	}
	tampered := hubtest.BundleFile(t, dir, "1.4.2", "arm64", true)
	if _, err := e.hub.AddBundle(ctx, tampered, nil, hub.CommandLine("tech")); !errors.Is(err, hub.ErrNotBundle) {
		t.Errorf("a file that does not match its manifest: %v, want ErrNotBundle", err)
	}
	good := hubtest.BundleFile(t, dir, "1.4.2", "arm64", false)
	if _, err := e.hub.AddBundle(ctx, good, []string{"Z"}, hub.CommandLine("tech")); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("an unknown center: %v, want ErrNotFound", err)
	}
	if list, err := e.hub.Bundles(ctx); err != nil || len(list) != 0 {
		t.Errorf("bundles after refusals: %+v, %v", list, err)
	}
}
