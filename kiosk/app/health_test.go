package app_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/kiosk/app"
	"github.com/hongmajia/hongmajia/kiosk/control"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
)

func (f *appFixture) health(t *testing.T) control.Health {
	t.Helper()
	got, err := f.ask(t, "health")
	if err != nil {
		t.Fatal(err)
	}
	var h control.Health
	if err := json.Unmarshal([]byte(got), &h); err != nil {
		t.Fatalf("health %q: %v", got, err)
	}
	return h
}

func TestHealthWaitsForTheFirstFrame(t *testing.T) {
	clk := clock.NewFake(ledgertest.Start)
	dir, lo := newDemoDir(t, clk)
	f := startApp(t, dir, clk, lo, nil)
	h := f.health(t)
	if h.OK || h.Mode != "screen" || h.Screen != "no frame drawn yet" || h.Ledger != "ok" || h.Reader != "ok" {
		t.Fatalf("before a frame: %+v", h)
	}
	if len(h.Problems) != 1 || !strings.HasPrefix(h.Problems[0], "screen: ") {
		t.Errorf("problems %q, want the screen's alone", h.Problems)
	}
	f.app.OnStatus(func(st *control.Status) { st.Drawn, st.Frames = "idle", 1 })
	if h := f.health(t); !h.OK || h.Screen != "ok" || len(h.Problems) != 0 {
		t.Errorf("after a frame: %+v", h)
	}
}

func TestHealthOfTheStation(t *testing.T) {
	clk := clock.NewFake(ledgertest.Start)
	dir, lo := newDemoDir(t, clk)
	f := startApp(t, dir, clk, lo, func(c *app.Config) { c.Headless = true })
	if h := f.health(t); !h.OK || h.Screen != "headless" || h.Mode != "headless" {
		t.Errorf("station: %+v", h)
	}
}

func TestHealthOfABrokenLedger(t *testing.T) {
	clk := clock.NewFake(ledgertest.Start)
	dir, lo := newDemoDir(t, clk)
	// Not a database: the terminal starts and shows "needs a technician";
	// an update must not call that healthy.
	if err := os.WriteFile(filepath.Join(dir, ledger.FileName), []byte("not a ledger at all, just words"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, ledger.FileName+"-wal"))
	f := startApp(t, dir, clk, lo, func(c *app.Config) { c.Headless = true })
	h := f.health(t)
	if h.OK || h.Ledger == "ok" || len(h.Problems) != 1 || !strings.HasPrefix(h.Problems[0], "ledger: E-DB-") {
		t.Errorf("broken ledger: %+v", h)
	}
}
