package update_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hongmajia/hongmajia/kiosk/update"
	"github.com/hongmajia/hongmajia/ledger"
)

// TestKilledUpdaterIsFinishedByTheNextOne kills the updater, a process of
// its own, at each step with SIGKILL, then lets the next update, a
// rollback or the kiosk's start finish the job: afterwards exactly one of
// the old and new versions is current and runs, the ledger verifies and
// holds every entry, and a new update goes in.
func TestKilledUpdaterIsFinishedByTheNextOne(t *testing.T) {
	steps := []struct {
		step     string
		switched bool
	}{
		{update.StepUnpacked, false},
		{update.StepBackedUp, false},
		{update.StepSwitched, true},
		{update.StepStarted, true},
		{update.StepHealth, true},
	}
	recoverers := []struct {
		name string
		run  func(k *kiosk) error
	}{
		{"the next update", func(k *kiosk) error {
			return k.updater(nil).Update(context.Background(), k.bundle("1.2.0", "healthy", ledger.SchemaVersion()), update.Options{})
		}},
		{"the kiosk's start", func(k *kiosk) error {
			// As the unit's ExecStartPre: the files only, then the
			// service starts whatever is current.
			if err := k.updater(nil).Recover(context.Background(), false); err != nil {
				return err
			}
			if err := k.svc.Stop(context.Background()); err != nil {
				return err
			}
			return k.svc.Start(context.Background())
		}},
		{"a rollback", func(k *kiosk) error {
			return k.updater(nil).Recover(context.Background(), true)
		}},
	}
	for i, s := range steps {
		r := recoverers[i%len(recoverers)]
		t.Run(s.step+" then "+r.name, func(t *testing.T) {
			k := newKiosk(t)
			k.killUpdaterAt(k.bundle("1.1.0", "healthy", ledger.SchemaVersion()), s.step)
			in := k.installed()
			if !in.Interrupted {
				t.Fatalf("no journal after a kill at %s", s.step)
			}
			if want := map[bool]string{false: "1.0.0", true: "1.1.0"}[s.switched]; in.Current != want {
				t.Errorf("killed at %s: current %s, want %s", s.step, in.Current, want)
			}
			if err := r.run(k); err != nil {
				t.Fatalf("%s: %v", r.name, err)
			}
			if r.name == "the next update" {
				k.settled("1.2.0")
				return
			}
			// A kill after the switch is rolled back: its version never
			// said it was healthy.
			k.settled("1.0.0")
			// And the update, tried again, goes in.
			if err := k.updater(nil).Update(context.Background(), k.bundle("1.1.0", "healthy", ledger.SchemaVersion()), update.Options{}); err != nil {
				t.Fatal(err)
			}
			k.settled("1.1.0")
		})
	}
}

// TestAMigrationIsTriedOnACopyAndUndone: a version that migrates the ledger
// has its migration tried on a copy first (by its own kioskctl), and when it
// fails its health check the ledger the old version opens is put back; the
// migrated one is kept.
func TestAMigrationIsTriedOnACopyAndUndone(t *testing.T) {
	k := newKiosk(t)
	newSchema := ledger.SchemaVersion() + 1
	var log strings.Builder
	err := k.updater(&log).Update(context.Background(), k.bundle("2.0.0", "migrate-sick", newSchema), update.Options{})
	if err == nil || !strings.Contains(err.Error(), "rolled back to 1.0.0") {
		t.Fatalf("update = %v\n%s", err, log.String())
	}
	for _, s := range []string{"2.0.0's migration to schema", "ran on a copy of the ledger", "stop the kiosk: 2.0.0 migrates the ledger",
		"put back the ledger as it was before 2.0.0"} {
		if !strings.Contains(log.String(), s) {
			t.Errorf("log lacks %q:\n%s", s, log.String())
		}
	}
	k.settled("1.0.0") // the ledger at this build's schema, every entry there
	if schema, _ := ledger.SchemaOf(context.Background(), k.data); schema != ledger.SchemaVersion() {
		t.Errorf("schema %d after the rollback", schema)
	}
	kept, _ := filepath.Glob(filepath.Join(k.versions, "backups", "rolledback-*-2.0.0", ledger.FileName))
	if len(kept) != 1 {
		t.Fatalf("the migrated ledger was not kept: %v", kept)
	}
	if schema, _ := ledger.SchemaOf(context.Background(), filepath.Dir(kept[0])); schema != newSchema {
		t.Errorf("the kept ledger is at schema %d, want %d", schema, newSchema)
	}
}

func TestAMigrationKeptThenRolledBackByHand(t *testing.T) {
	k := newKiosk(t)
	newSchema := ledger.SchemaVersion() + 1
	u := k.updater(nil)
	if err := u.Update(context.Background(), k.bundle("2.0.0", "migrate", newSchema), update.Options{}); err != nil {
		t.Fatal(err)
	}
	k.settled("2.0.0")
	if schema, _ := ledger.SchemaOf(context.Background(), k.data); schema != newSchema {
		t.Fatalf("schema %d after the update, want %d", schema, newSchema)
	}
	// Going back drops what was written since: asked for explicitly.
	err := u.Rollback(context.Background(), false)
	if err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("rollback across a migration without --force = %v", err)
	}
	k.settled("2.0.0")
	if err := u.Rollback(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	k.settled("1.0.0")
}

func TestAMigrationThatFailsOnTheCopyChangesNothing(t *testing.T) {
	k := newKiosk(t)
	u := k.updater(nil)
	u.Migrate = func(ctx context.Context, versionDir, dataDir string) error {
		return errors.New("no such table: pickups")
	}
	err := u.Update(context.Background(), k.bundle("2.0.0", "migrate", ledger.SchemaVersion()+1), update.Options{})
	if err == nil || !strings.Contains(err.Error(), "2.0.0's migration failed on a copy of the ledger: no such table") ||
		!strings.Contains(err.Error(), "nothing changed") {
		t.Fatalf("update = %v", err)
	}
	k.settled("1.0.0")
	if k.svc.starts != 1 {
		t.Errorf("the kiosk was restarted %d times for an update that never switched", k.svc.starts-1)
	}
	if _, err := os.Stat(filepath.Join(k.versions, "2.0.0")); err == nil {
		// Left for the next update to replace or prune: harmless, but
		// say so if it is ever current.
		if in := k.installed(); in.Current == "2.0.0" || in.Previous == "2.0.0" {
			t.Errorf("installed %+v", in)
		}
	}
}

// TestAKilledMigratingUpdateIsUndone: killed while the version that
// migrated the ledger waits for its health, the next start puts back the
// ledger the old version opens.
func TestAKilledMigratingUpdateIsUndone(t *testing.T) {
	k := newKiosk(t)
	k.killUpdaterAt(k.bundle("2.0.0", "migrate", ledger.SchemaVersion()+1), update.StepHealth)
	if err := k.updater(nil).Recover(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	k.settled("1.0.0")
	if schema, _ := ledger.SchemaOf(context.Background(), k.data); schema != ledger.SchemaVersion() {
		t.Errorf("schema %d after the recovery", schema)
	}
}
