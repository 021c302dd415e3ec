package app_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/kiosk"
	"github.com/hongmajia/hongmajia/kiosk/app"
	"github.com/hongmajia/hongmajia/kiosk/control"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/demo"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
)

// onProbation puts dir's next terminal on probation, as kioskctl update
// does before it starts a version that migrated the ledger: the marker, and
// the update's journal at its health wait. It returns the journal's path.
func onProbation(t *testing.T, dir string) string {
	t.Helper()
	journal := filepath.Join(t.TempDir(), "update.json")
	if err := os.WriteFile(journal, []byte(`{"from":"1.0.0","to":"2.0.0","step":"health"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(control.Probation{Version: "2.0.0", Journal: journal, Since: ledgertest.Start})
	if err := os.WriteFile(filepath.Join(dir, control.ProbationFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return journal
}

func entries(t *testing.T, dir string) uint64 {
	t.Helper()
	rep, err := ledger.VerifyFile(context.Background(), filepath.Join(dir, ledger.FileName))
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %v %+v", err, rep)
	}
	return rep.Entries
}

// TestAStationOnProbationHoldsTaps: started on probation, the station
// answers health (saying so) but writes no tap, and says why, until the
// updater commits it; then taps are taken.
func TestAStationOnProbationHoldsTaps(t *testing.T) {
	clk := clock.NewFake(ledgertest.Start)
	dir, lo := newDemoDir(t, clk)
	onProbation(t, dir)
	before := entries(t, dir)
	f := startApp(t, dir, clk, lo, func(c *app.Config) { c.Headless = true })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.app.RunStation(ctx) }()
	defer func() { cancel(); <-done }()

	if h := f.health(t); !h.OK || !h.Probation {
		t.Errorf("health on probation: %+v", h)
	}
	card := string(demo.CardUID(2))
	f.tapSays(t, card, "refused: an update is being checked", "nothing written")
	if got := entries(t, dir); got != before {
		t.Fatalf("a tap on probation wrote: %d entries, had %d", got, before)
	}
	if ans, err := f.ask(t, "commit"); err != nil || ans != "committed" {
		t.Fatalf("commit = %q, %v", ans, err)
	}
	if _, err := os.Stat(filepath.Join(dir, control.ProbationFile)); !os.IsNotExist(err) {
		t.Errorf("the marker stays after commit: %v", err)
	}
	if h := f.health(t); h.Probation {
		t.Errorf("health after commit: %+v", h)
	}
	clk.Advance(5 * time.Second)
	f.tapSays(t, card, "checked in: ")
	if got := entries(t, dir); got != before+1 {
		t.Errorf("after commit: %d entries, want %d", got, before+1)
	}
}

// TestAScreenOnProbationHoldsTapsUntilTheJournalIsGone: the screen answers
// a tap on probation with "please wait, updating" from the catalog and
// writes nothing; an updater that died after its decision never says
// commit, so the terminal leaves probation once the journal is gone.
func TestAScreenOnProbationHoldsTapsUntilTheJournalIsGone(t *testing.T) {
	clk := clock.NewFake(ledgertest.Start)
	dir, lo := newDemoDir(t, clk)
	journal := onProbation(t, dir)
	before := entries(t, dir)
	f := startApp(t, dir, clk, lo, nil)
	term := f.app.Terminal(kiosk.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	loop := make(chan struct{})
	go func() {
		defer close(loop)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-f.app.Events():
				term.Reader(ev)
			case <-tick.C:
				term.Poll()
			}
		}
	}()
	defer func() { cancel(); <-loop; term.Close() }()

	card := string(demo.CardUID(3))
	f.tapSays(t, card, "refused: Updating, please wait (系统更新中，请稍候)")
	if got := entries(t, dir); got != before {
		t.Fatalf("a tap on probation wrote: %d entries, had %d", got, before)
	}
	// The journal stays: however long it takes, taps are held.
	clk.Advance(time.Hour)
	time.Sleep(50 * time.Millisecond)
	if !f.app.OnProbation() {
		t.Fatal("left probation with the update's journal still there")
	}
	if err := os.Remove(journal); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.app.OnProbation() && time.Now().Before(deadline) {
		clk.Advance(3 * time.Second)
		time.Sleep(10 * time.Millisecond)
	}
	if f.app.OnProbation() {
		t.Fatal("still on probation with the journal gone")
	}
	clk.Advance(5 * time.Second)
	got := f.tapSays(t, card, "showing 陈*")
	if strings.Contains(got, "系统更新中") {
		t.Errorf("after probation: %q", got)
	}
}
