package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/kiosk/control"
	"github.com/hongmajia/hongmajia/kiosk/hublink"
	"github.com/hongmajia/hongmajia/kiosk/update"
	"github.com/hongmajia/hongmajia/ledger"
)

// fleetService is the kiosk's unit as the updater stops and starts it: a
// started kiosk answers health on the data directory's control socket
// (the screen and the readers are not this test's).
type fleetService struct {
	dir    string
	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan error
	starts int
}

func (s *fleetService) Start(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ln, err := control.Listen(control.SocketPath(s.dir))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv := &control.Server{Handler: func(_ context.Context, line string) (string, error) {
		if line != "health" {
			return "", errors.New("unknown command")
		}
		b, err := json.Marshal(control.Health{OK: true, Mode: "headless", Screen: "headless", Ledger: "ok", Reader: "ok"})
		return string(b), err
	}}
	s.cancel, s.done = cancel, make(chan error, 1)
	s.starts++
	go func() { s.done <- srv.Serve(ctx, ln) }()
	return nil
}

func (s *fleetService) Stop(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	err := <-s.done
	s.cancel = nil
	os.Remove(control.SocketPath(s.dir))
	return err
}

// fleetKiosk is a kiosk with a versions directory seeded with from (as
// the package's postinst does), that takes the hub's offers.
type fleetKiosk struct {
	*kiosk
	versions, incoming string
	svc                *fleetService
}

func newFleetKiosk(t *testing.T, name string, h *hubProc, from string, via string) *fleetKiosk {
	t.Helper()
	k := &fleetKiosk{kiosk: newKiosk(t, name, "A", kioskOpts{synced: true})}
	k.versions = filepath.Join(t.TempDir(), "versions")
	k.incoming = filepath.Join(k.dir, update.IncomingDir)
	k.svc = &fleetService{dir: k.dir}
	t.Cleanup(func() { k.svc.Stop(context.Background()) })
	src := t.TempDir()
	writeProgram(t, src, from)
	if ok, err := update.Seed(k.versions, src, from, runtime.GOARCH, ledger.SchemaVersion()); err != nil || !ok {
		t.Fatalf("seed %s: %v, %v", from, ok, err)
	}
	k.fleet = func(o *hublink.Options) {
		o.Arch, o.Versions, o.Incoming = runtime.GOARCH, k.versions, k.incoming
		// Tonight's window is open.
		o.Window = func(now time.Time) (time.Time, time.Time) { return now.Add(-time.Hour), now.Add(time.Hour) }
	}
	k.mustEnroll(h.url(), h.token("A"))
	if via != "" {
		k.url = via
		if err := k.relink(); err != nil {
			t.Fatal(err)
		}
	}
	return k
}

// writeProgram writes a release into dir: a stand-in kiosk and the real
// kioskctl, which the updater runs for the ledger's part of an update.
func writeProgram(t *testing.T, dir, version string) []string {
	t.Helper()
	kiosk, ctl := filepath.Join(dir, "kiosk"), filepath.Join(dir, "kioskctl")
	if err := os.WriteFile(kiosk, []byte("#!/bin/sh\necho hongmajia kiosk "+version+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ctl, []byte("#!/bin/sh\nexec '"+kioskctlBin+"' \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return []string{kiosk, ctl}
}

func (k *fleetKiosk) updater(t *testing.T, trusted string, clk clock.Clock, log io.Writer) *update.Updater {
	t.Helper()
	keys, err := update.LoadTrusted(trusted)
	if err != nil {
		t.Fatal(err)
	}
	return &update.Updater{Versions: k.versions, Data: k.dir, Trusted: keys, Arch: runtime.GOARCH, Service: k.svc,
		HealthTimeout: 30 * time.Second, Clock: clk, Log: log}
}

func (k *fleetKiosk) current(t *testing.T) string {
	t.Helper()
	in, err := update.ReadInstalled(k.versions)
	if err != nil {
		t.Fatal(err)
	}
	return in.Current
}

// fleetStatus is what `hubd status --json` says of kiosks' updates.
type fleetStatus struct {
	Kiosks []struct {
		Terminal string `json:"terminal"`
		Version  string `json:"version"`
		Arch     string `json:"arch"`
		Offered  string `json:"offered"`
		Update   *struct {
			Version string `json:"version"`
			OK      bool   `json:"ok"`
			Error   string `json:"error"`
		} `json:"update"`
	} `json:"kiosks"`
}

// TestFleetUpdate: a bundle added at a real hubd reaches the kiosks at
// their sync, lands in incoming/ with its offer, is installed by root's
// updater (UpdateOffered, what `kioskctl update --offered` runs) inside
// the sync window only, and the next sync shows the new version at the
// hub. A kiosk behind a proxy that alters the download refuses it by its
// hash: nothing is offered to root, nothing is installed.
func TestFleetUpdate(t *testing.T) {
	h := newHub(t, "A", "和平里党群服务中心")

	// The release: a signing key, its public half the kiosks' only trusted
	// key, and a bundle of 1.4.2 signed with it.
	keys := t.TempDir()
	trusted := filepath.Join(keys, "trusted")
	if err := os.Mkdir(trusted, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := update.Keygen(filepath.Join(keys, "release"), "e2e"); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(keys, "release.pub"), filepath.Join(trusted, "release.pub")); err != nil {
		t.Fatal(err)
	}
	key, err := update.ReadSigningKey(filepath.Join(keys, "release"))
	if err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(t.TempDir(), "hongmajia-1.4.2.bundle")
	f, err := os.Create(bundle)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := update.Build(f, key, writeProgram(t, t.TempDir(), "1.4.2"), update.BuildOptions{Version: "1.4.2",
		Arch: runtime.GOARCH, MinSchema: ledger.SchemaVersion(), Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	// One kiosk straight to the hub, one behind a proxy that alters every
	// bundle it carries (a byte in the middle flipped).
	target, err := url.Parse(h.url())
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = func(r *http.Response) error {
		if !strings.HasPrefix(r.Request.URL.Path, hubsync.PathBundle) || r.StatusCode != http.StatusOK {
			return nil
		}
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return err
		}
		b[len(b)/2] ^= 0x20
		r.Body = io.NopCloser(bytes.NewReader(b))
		return nil
	}
	tamper := httptest.NewServer(rp)
	t.Cleanup(tamper.Close)
	good := newFleetKiosk(t, "fleet-1", h, "1.4.1", "")
	bad := newFleetKiosk(t, "fleet-2", h, "1.4.1", tamper.URL)
	good.mustSync()
	bad.mustSync()

	out := hubd(t, h.dir, "bundle", "add", bundle, "--all")
	if !strings.Contains(out, "offered 1.4.2 for "+runtime.GOARCH) {
		t.Fatalf("hubd bundle add: %s", out)
	}
	if out := hubd(t, h.dir, "bundle", "list"); !strings.Contains(out, "1.4.2") || !strings.Contains(out, "offered") {
		t.Errorf("hubd bundle list: %s", out)
	}

	// The nightly sync: the good kiosk downloads the bundle and drops the
	// offer; its hash is the file's.
	res := good.mustSync()
	if res.Offered != "1.4.2" || !res.Downloaded || res.OfferError != "" {
		t.Fatalf("sync of the good kiosk: %+v", res)
	}
	raw, err := os.ReadFile(filepath.Join(good.incoming, update.OfferName))
	if err != nil {
		t.Fatalf("no offer in incoming/: %v", err)
	}
	var offer update.Offer
	if err := json.Unmarshal(raw, &offer); err != nil || offer.Version != "1.4.2" || offer.NotBefore.IsZero() {
		t.Fatalf("offer %s: %v", raw, err)
	}
	got, err := os.ReadFile(filepath.Join(good.incoming, update.BundleName(offer.SHA256)))
	want, _ := os.ReadFile(bundle)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("the downloaded bundle is not the one added: %v", err)
	}

	// Root's updater, outside the window: nothing happens.
	var log bytes.Buffer
	late := clock.NewFake(offer.NotAfter.Add(time.Minute))
	if err := good.updater(t, trusted, late, &log).UpdateOffered(ctx, good.incoming, update.OfferedOptions{}); !errors.Is(err, update.ErrNotNow) {
		t.Fatalf("outside the window: %v, want ErrNotNow", err)
	}
	if cur := good.current(t); cur != "1.4.1" || good.svc.starts != 0 {
		t.Fatalf("outside the window: current %s, %d starts", cur, good.svc.starts)
	}
	// In the window: installed, healthy, recorded.
	if err := good.updater(t, trusted, nil, &log).UpdateOffered(ctx, good.incoming, update.OfferedOptions{}); err != nil {
		t.Fatalf("update --offered: %v\n%s", err, log.String())
	}
	if cur := good.current(t); cur != "1.4.2" || good.svc.starts != 1 {
		t.Fatalf("after update --offered: current %s, %d starts\n%s", cur, good.svc.starts, log.String())
	}
	if o, err := update.ReadOutcome(good.versions); err != nil || o == nil || !o.OK || o.Version != "1.4.2" {
		t.Fatalf("outcome: %+v, %v", o, err)
	}

	// The next sync reports it; the hub offers nothing more, and the
	// kiosk clears incoming/.
	res = good.mustSync()
	if res.Offered != "" {
		t.Errorf("offered %s after the install", res.Offered)
	}
	if ents, _ := os.ReadDir(good.incoming); len(ents) != 0 {
		t.Errorf("incoming/ keeps %d files after the install", len(ents))
	}

	// The tampered download: refused by its hash, no offer for root.
	res = bad.mustSync()
	if res.Offered != "1.4.2" || res.Downloaded || !strings.Contains(res.OfferError, "SHA-256") {
		t.Fatalf("sync through the tampering proxy: %+v", res)
	}
	if ents, _ := os.ReadDir(bad.incoming); len(ents) != 0 {
		t.Errorf("incoming/ after a tampered download holds %d files", len(ents))
	}
	if err := bad.updater(t, trusted, nil, &log).UpdateOffered(ctx, bad.incoming, update.OfferedOptions{}); err == nil {
		t.Error("update --offered with no offer succeeded")
	}
	if cur := bad.current(t); cur != "1.4.1" || bad.svc.starts != 0 {
		t.Errorf("the tampered kiosk: current %s, %d starts", cur, bad.svc.starts)
	}

	var st fleetStatus
	if err := json.Unmarshal([]byte(hubd(t, h.dir, "status", "--json")), &st); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, k := range st.Kiosks {
		seen[k.Terminal] = true
		switch k.Terminal {
		case good.l.Terminal().ID:
			if k.Version != "1.4.2" || k.Arch != runtime.GOARCH || k.Update == nil || !k.Update.OK || k.Update.Version != "1.4.2" {
				t.Errorf("hubd status of the updated kiosk: %+v (update %+v)", k, k.Update)
			}
		case bad.l.Terminal().ID:
			if k.Version != "1.4.1" || k.Offered != "1.4.2" || k.Update != nil {
				t.Errorf("hubd status of the tampered kiosk: %+v", k)
			}
		}
	}
	if len(seen) != 2 {
		t.Errorf("hubd status shows %d kiosks", len(seen))
	}
	if text := hubd(t, h.dir, "status"); !strings.Contains(text, "installed 1.4.2") || !strings.Contains(text, "offered 1.4.2") {
		t.Errorf("hubd status:\n%s", text)
	}
}
