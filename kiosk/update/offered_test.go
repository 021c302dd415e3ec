package update_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/kiosk/update"
)

// offeredKiosk is a versions directory seeded with 1.4.1 and a kiosk's
// incoming directory holding an offer of body as 1.4.2.
func offeredKiosk(t *testing.T, body []byte) (u *update.Updater, incoming string, off update.Offer) {
	t.Helper()
	versions := filepath.Join(t.TempDir(), "versions")
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "kiosk"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := update.Seed(versions, src, "1.4.1", runtime.GOARCH, 1); err != nil {
		t.Fatal(err)
	}
	incoming = filepath.Join(t.TempDir(), update.IncomingDir)
	if err := os.Mkdir(incoming, 0o750); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	off = update.Offer{Offer: hubsync.Offer{Version: "1.4.2", Arch: runtime.GOARCH, Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:])}}
	if err := os.WriteFile(filepath.Join(incoming, update.BundleName(off.SHA256)), body, 0o640); err != nil {
		t.Fatal(err)
	}
	writeOffer(t, incoming, off)
	return &update.Updater{Versions: versions, Data: t.TempDir(), Arch: runtime.GOARCH, Service: noService{}}, incoming, off
}

func writeOffer(t *testing.T, incoming string, off update.Offer) {
	t.Helper()
	b, err := json.Marshal(off)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(incoming, update.OfferName), b, 0o640); err != nil {
		t.Fatal(err)
	}
}

type noService struct{}

func (noService) Stop(context.Context) error  { return errors.New("stopped: nothing should have been") }
func (noService) Start(context.Context) error { return errors.New("started: nothing should have been") }

func current(t *testing.T, u *update.Updater) string {
	t.Helper()
	in, err := update.ReadInstalled(u.Versions)
	if err != nil {
		t.Fatal(err)
	}
	return in.Current
}

// TestOfferedRefusesLinks: root never reads the offer or the bundle
// through a link the kiosk's user put in its directory.
func TestOfferedRefusesLinks(t *testing.T) {
	u, incoming, off := offeredKiosk(t, []byte("a bundle"))
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte(`{"version":"1.4.2"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	offer := filepath.Join(incoming, update.OfferName)
	os.Remove(offer)
	if err := os.Symlink(secret, offer); err != nil {
		t.Fatal(err)
	}
	if err := u.UpdateOffered(context.Background(), incoming, update.OfferedOptions{}); err == nil || !strings.Contains(err.Error(), "offer") {
		t.Errorf("an offer that is a link: %v", err)
	}
	os.Remove(offer)
	writeOffer(t, incoming, off)
	b := filepath.Join(incoming, update.BundleName(off.SHA256))
	os.Remove(b)
	if err := os.Symlink(secret, b); err != nil {
		t.Fatal(err)
	}
	if err := u.UpdateOffered(context.Background(), incoming, update.OfferedOptions{}); err == nil {
		t.Error("a bundle that is a link was taken")
	}
	if c := current(t, u); c != "1.4.1" {
		t.Errorf("current %s", c)
	}
}

// TestOfferedChecksTheCopy: a bundle changed in incoming/ after the kiosk
// checked it is refused by its hash, recorded as failed, and not tried
// again; and an offer outside its window changes nothing.
func TestOfferedChecksTheCopy(t *testing.T) {
	u, incoming, off := offeredKiosk(t, []byte("the bundle as the hub offered it"))
	off.NotBefore, off.NotAfter = time.Now().Add(time.Hour), time.Now().Add(2*time.Hour)
	writeOffer(t, incoming, off)
	if err := u.UpdateOffered(context.Background(), incoming, update.OfferedOptions{}); !errors.Is(err, update.ErrNotNow) {
		t.Fatalf("before the window: %v, want ErrNotNow", err)
	}
	if o, err := update.ReadOutcome(u.Versions); err != nil || o != nil {
		t.Fatalf("an outcome recorded before the window: %+v, %v", o, err)
	}
	if err := os.WriteFile(filepath.Join(incoming, update.BundleName(off.SHA256)), []byte("the bundle as someone changed it"), 0o640); err != nil {
		t.Fatal(err)
	}
	err := u.UpdateOffered(context.Background(), incoming, update.OfferedOptions{AnyTime: true})
	if !errors.Is(err, update.ErrTampered) {
		t.Fatalf("a changed bundle: %v, want ErrTampered", err)
	}
	o, rerr := update.ReadOutcome(u.Versions)
	if rerr != nil || o == nil || o.OK || o.Version != "1.4.2" || !strings.Contains(o.Error, "SHA-256") {
		t.Fatalf("outcome: %+v, %v", o, rerr)
	}
	if err := u.UpdateOffered(context.Background(), incoming, update.OfferedOptions{AnyTime: true}); err != nil {
		t.Errorf("a bundle that failed before is tried again: %v", err)
	}
	if c := current(t, u); c != "1.4.1" {
		t.Errorf("current %s", c)
	}
	ents, _ := os.ReadDir(u.Versions)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".offered-") {
			t.Errorf("the copy %s is left behind", e.Name())
		}
	}
}
