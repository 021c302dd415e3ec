package update_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hongmajia/hongmajia/kiosk/control"
	"github.com/hongmajia/hongmajia/kiosk/update"
	"github.com/hongmajia/hongmajia/ledger"
)

func (k *kiosk) noMarker() {
	k.t.Helper()
	if _, err := os.Stat(filepath.Join(k.data, control.ProbationFile)); !os.IsNotExist(err) {
		k.t.Errorf("the probation marker stays: %v", err)
	}
}

// TestAMigratingUpdateIsOnProbationUntilCommitted: the version that
// migrates the ledger starts on probation (it holds taps) and is told
// commit once it is healthy; an update without a migration has no
// probation (a rollback keeps its ledger, and every tap in it).
func TestAMigratingUpdateIsOnProbationUntilCommitted(t *testing.T) {
	k := newKiosk(t)
	var log strings.Builder
	if err := k.updater(&log).Update(context.Background(), k.bundle("1.1.0", "healthy", ledger.SchemaVersion()), update.Options{}); err != nil {
		t.Fatalf("update: %v\n%s", err, log.String())
	}
	if err := k.updater(&log).Update(context.Background(), k.bundle("2.0.0", "migrate", ledger.SchemaVersion()+1), update.Options{}); err != nil {
		t.Fatalf("update: %v\n%s", err, log.String())
	}
	k.settled("2.0.0")
	k.noMarker()
	want := "start 1.0.0 probation=false\nstart 1.1.0 probation=false\nstart 2.0.0 probation=true\ncommit 2.0.0\n"
	if got := k.events(); got != want {
		t.Errorf("the kiosk's events:\n%s\nwant:\n%s", got, want)
	}
	if !strings.Contains(log.String(), "2.0.0 starts on probation") {
		t.Errorf("log:\n%s", log.String())
	}
}

// TestARolledBackMigrationLosesNothing: the version that migrated the
// ledger fails its health and is rolled back: it was on probation, so no
// tap went into the migrated ledger, and the ledger put back (the backup)
// holds every entry there was.
func TestARolledBackMigrationLosesNothing(t *testing.T) {
	k := newKiosk(t)
	var log strings.Builder
	err := k.updater(&log).Update(context.Background(), k.bundle("2.0.0", "migrate-sick", ledger.SchemaVersion()+1), update.Options{})
	if err == nil || !strings.Contains(err.Error(), "rolled back to 1.0.0") {
		t.Fatalf("update = %v\n%s", err, log.String())
	}
	k.settled("1.0.0") // every entry there was
	k.noMarker()
	if got, want := k.events(), "start 1.0.0 probation=false\nstart 2.0.0 probation=true\nstart 1.0.0 probation=false\n"; got != want {
		t.Errorf("the kiosk's events:\n%s\nwant:\n%s", got, want)
	}
	backups, _ := filepath.Glob(filepath.Join(k.versions, "backups", "ledger-*-1.0.0-to-2.0.0.db"))
	if len(backups) != 1 {
		t.Fatalf("backups %v", backups)
	}
	rep, err := ledger.VerifyFile(context.Background(), backups[0])
	if err != nil || rep.Entries != k.verify() {
		t.Errorf("the backup holds %+v (%v), the ledger %d entries", rep, err, k.verify())
	}
}

// TestKilledAroundTheDecision: killed after the probation marker is
// written, the update is rolled back and the marker removed; killed once
// the journal says committed, it is finished: the new version stays and
// is told commit.
func TestKilledAroundTheDecision(t *testing.T) {
	t.Run("probation", func(t *testing.T) {
		k := newKiosk(t)
		k.killUpdaterAt(k.bundle("2.0.0", "migrate", ledger.SchemaVersion()+1), update.FailpointProbation)
		if _, err := os.Stat(filepath.Join(k.data, control.ProbationFile)); err != nil {
			t.Fatalf("no marker at the failpoint: %v", err)
		}
		if err := k.updater(nil).Recover(context.Background(), true); err != nil {
			t.Fatal(err)
		}
		k.settled("1.0.0")
		k.noMarker()
	})
	t.Run("committed", func(t *testing.T) {
		k := newKiosk(t)
		k.killUpdaterAt(k.bundle("2.0.0", "migrate", ledger.SchemaVersion()+1), update.StepCommitted)
		if err := k.updater(nil).Recover(context.Background(), true); err != nil {
			t.Fatal(err)
		}
		k.settled("2.0.0")
		k.noMarker()
		if !strings.HasSuffix(k.events(), "start 2.0.0 probation=true\ncommit 2.0.0\n") {
			t.Errorf("the kiosk's events:\n%s", k.events())
		}
	})
	t.Run("checked-old", func(t *testing.T) {
		k := newKiosk(t)
		k.killUpdaterAt(k.bundle("2.0.0", "migrate", ledger.SchemaVersion()+1), update.FailpointCheckedOld)
		if err := k.updater(nil).Recover(context.Background(), true); err != nil {
			t.Fatal(err)
		}
		k.settled("1.0.0")
	})
}

// TestAnUnpluggedReaderDoesNotRollBack: a reader that did not answer before
// the update is not asked of the new version (screen and ledger are); a
// reader that answered before must answer after.
func TestAnUnpluggedReaderDoesNotRollBack(t *testing.T) {
	k := newKiosk(t)
	unplugged := filepath.Join(k.data, "unplugged")
	if err := os.WriteFile(unplugged, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	if err := k.updater(&log).Update(context.Background(), k.bundle("1.1.0", "healthy", ledger.SchemaVersion()), update.Options{}); err != nil {
		t.Fatalf("update with the reader unplugged: %v\n%s", err, log.String())
	}
	k.settled("1.1.0")
	if !strings.Contains(log.String(), "1.0.0's reader does not answer") {
		t.Errorf("log:\n%s", log.String())
	}
	// Plugged in again: a version that breaks the reader is rolled back.
	if err := os.Remove(unplugged); err != nil {
		t.Fatal(err)
	}
	log.Reset()
	err := k.updater(&log).Update(context.Background(), k.bundle("1.2.0", "sick", ledger.SchemaVersion()), update.Options{})
	if err == nil || !strings.Contains(err.Error(), "reader: mfrc522 /dev/spidev0.0: wiring (it answered before the update)") ||
		!strings.Contains(err.Error(), "rolled back to 1.1.0") {
		t.Fatalf("update that breaks the reader = %v\n%s", err, log.String())
	}
	k.settled("1.1.0")
}
