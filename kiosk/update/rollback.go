package update

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hongmajia/hongmajia/internal/atomicfile"
	"github.com/hongmajia/hongmajia/ledger"
)

// rollBack undoes a switched update j: the old version current again, the
// ledger one it opens, and (with service) the old version started and
// waited for.
func (u *Updater) rollBack(ctx context.Context, j *journal, service bool) error {
	u.logf("rolling back from %s to %s", j.To, j.From)
	if service {
		if err := u.Service.Stop(ctx); err != nil {
			u.logf("stop %s: %v", j.To, err)
		}
	}
	if err := setLink(u.Versions, currentLink, j.From); err != nil {
		return err
	}
	if err := setLink(u.Versions, previousLink, j.PreviousBefore); err != nil {
		return err
	}
	u.logf("switched back: current is %s", j.From)
	if err := u.restoreLedger(ctx, j.SchemaBefore, j.Backup, j.To); err != nil {
		return err
	}
	if err := u.dropJournal(); err != nil {
		return err
	}
	if !service {
		return nil
	}
	if err := u.Service.Start(ctx); err != nil {
		return fmt.Errorf("start %s again: %w", j.From, err)
	}
	if err := u.waitHealthy(ctx); err != nil {
		u.logf("%s is back but %v", j.From, err)
		return fmt.Errorf("%s is back but %w", j.From, err)
	}
	u.logf("rolled back: %s is current and healthy", j.From)
	return nil
}

// restoreLedger puts back the backup when the ledger's schema is newer than
// the version going back opens (schemaBefore). The newer ledger is kept
// beside the backups, never deleted.
func (u *Updater) restoreLedger(ctx context.Context, schemaBefore int, backup, from string) error {
	if schemaBefore < 0 {
		return nil
	}
	now, err := u.ledgerSchema(ctx)
	if err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	if now < 0 && backup != "" {
		// A rollback killed after it set the migrated ledger aside: put
		// the backup in its place.
		return u.putBack(backup, nil, schemaBefore, now, from, "")
	}
	if now <= schemaBefore {
		return nil
	}
	if backup == "" {
		return fmt.Errorf("rollback: the ledger is at schema %d, the version going back opens %d, and no backup was recorded", now, schemaBefore)
	}
	live := filepath.Join(u.Data, ledger.FileName)
	st, err := os.Stat(live)
	if err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	aside := filepath.Join(u.Versions, backupsDir, fmt.Sprintf("rolledback-%s-%s", u.clk().Now().UTC().Format("20060102T150405Z"), from))
	if err := os.MkdirAll(aside, 0o700); err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		err := os.Rename(live+suffix, filepath.Join(aside, ledger.FileName+suffix))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rollback: keep the migrated ledger: %w", err)
		}
	}
	if err := atomicfile.SyncDir(u.Data); err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	return u.putBack(backup, st, schemaBefore, now, from, aside)
}

// putBack copies the backup into the ledger's place, owned as st (the
// ledger it replaces) when known, else as the data directory.
func (u *Updater) putBack(backup string, st fs.FileInfo, schemaBefore, now int, from, aside string) error {
	live := filepath.Join(u.Data, ledger.FileName)
	if st == nil {
		var err error
		if st, err = os.Stat(u.Data); err != nil {
			return fmt.Errorf("rollback: %w", err)
		}
	}
	err := atomicfile.Replace(live, 0o600, func(tmp string) error {
		if err := copyFile(backup, tmp); err != nil {
			return err
		}
		// The kiosk's user owns its ledger, whoever runs the rollback.
		chownLike(tmp, st)
		return nil
	})
	if err != nil {
		return fmt.Errorf("rollback: put back %s: %w", backup, err)
	}
	if aside != "" {
		u.logf("put back the ledger as it was before %s (%s, schema %d); the migrated one (schema %d) is kept in %s: a tap made while %s ran is in it",
			from, backup, schemaBefore, now, aside, from)
	} else {
		u.logf("put back the ledger as it was before %s (%s, schema %d)", from, backup, schemaBefore)
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Recover finishes an update that was interrupted (its updater killed, the
// power cut): before the switch it forgets it, after the switch it rolls it
// back. With start, the service is stopped and started around it and the
// old version waited for; without (at the kiosk's own start, as its unit's
// ExecStartPre), only the files change. Nothing to do, or an update
// running, is no error.
func (u *Updater) Recover(ctx context.Context, start bool) error {
	lk, err := lock(u.Versions)
	if errors.Is(err, errBusy) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	defer lk.Close()
	return u.recover(ctx, start)
}

// recover is Recover with the lock held.
func (u *Updater) recover(ctx context.Context, start bool) error {
	j, err := u.readJournal()
	if err != nil || j == nil {
		return err
	}
	u.cleanTemp()
	cur, err := readLink(u.Versions, currentLink)
	if err != nil {
		return err
	}
	u.logf("an update from %s to %s was interrupted at %q", j.From, j.To, j.Step)
	switched := j.Step == StepSwitched || j.Step == StepStarted || j.Step == StepHealth || cur != j.From
	if !switched {
		if j.Stopped && start {
			if err := u.Service.Start(ctx); err != nil {
				return fmt.Errorf("recover: start %s: %w", j.From, err)
			}
		}
		if err := u.dropJournal(); err != nil {
			return err
		}
		u.logf("it had not switched: %s stays current", j.From)
		return nil
	}
	return u.rollBack(ctx, j, start)
}

// Rollback goes back by hand to the previous version: the current one
// becomes previous. A ledger the previous version cannot open (the current
// one migrated it) is replaced by the backup made before that migration,
// which drops what was written since: refused unless force.
func (u *Updater) Rollback(ctx context.Context, force bool) error {
	lk, err := lock(u.Versions)
	if err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	defer lk.Close()
	if err := u.recover(ctx, true); err != nil {
		return fmt.Errorf("rollback: finish the interrupted update first: %w", err)
	}
	in, err := ReadInstalled(u.Versions)
	if err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	if in.Previous == "" {
		return fmt.Errorf("rollback: no previous version in %s", u.Versions)
	}
	pm, err := readManifest(u.Versions, in.Previous)
	if err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	schema, err := u.ledgerSchema(ctx)
	if err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	j := &journal{From: in.Previous, To: in.Current, PreviousBefore: in.Current, SchemaBefore: -1, Step: StepSwitched,
		Started: u.clk().Now().UTC()}
	if schema > pm.MinSchema {
		var rec record
		b, err := os.ReadFile(filepath.Join(u.Versions, in.Current, installedRec))
		if err == nil {
			err = json.Unmarshal(b, &rec)
		}
		if err != nil || rec.Backup == "" || rec.From != in.Previous {
			return fmt.Errorf("rollback: %s opens ledgers up to schema %d, this one is at %d, and no backup from before the migration is recorded", in.Previous, pm.MinSchema, schema)
		}
		if !force {
			return fmt.Errorf("rollback: %s opens ledgers up to schema %d and %s migrated this one to %d: going back puts back the backup made before the update (%s) and sets today's ledger aside, so every tap since then must be entered again; --force to do it",
				in.Previous, pm.MinSchema, in.Current, schema, rec.Backup)
		}
		j.SchemaBefore, j.Backup = pm.MinSchema, rec.Backup
	}
	u.logf("rollback by hand from %s to %s", in.Current, in.Previous)
	if err := u.writeJournal(j); err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	if err := u.rollBack(ctx, j, true); err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	return nil
}

// Seed installs a directory of binaries (the package's) as a version, with
// an unsigned manifest, and makes it current: what the package does at
// install and upgrade, so that /usr/bin's links through "current" work and
// updates have a version to go back to. A current version as new or newer
// (a bundle installed since) is left alone, and Seed says so with false.
func Seed(versions, src, version, arch string, minSchema int) (bool, error) {
	if err := checkVersion(version); err != nil {
		return false, fmt.Errorf("seed: %w", err)
	}
	if err := os.MkdirAll(versions, 0o755); err != nil {
		return false, fmt.Errorf("seed: %w", err)
	}
	lk, err := lock(versions)
	if err != nil {
		return false, fmt.Errorf("seed: %w", err)
	}
	defer lk.Close()
	if _, err := os.Stat(filepath.Join(versions, journalName)); err == nil {
		return false, errors.New("seed: an update was interrupted: kioskctl update --recover first")
	}
	cur, err := readLink(versions, currentLink)
	if err != nil {
		return false, err
	}
	if cur != "" && CompareVersions(cur, version) >= 0 {
		return false, nil
	}
	if err := seed(versions, src, version, arch, minSchema); err != nil {
		return false, err
	}
	if cur != "" {
		if err := setLink(versions, previousLink, cur); err != nil {
			return false, err
		}
	}
	return true, setLink(versions, currentLink, version)
}

func seed(versions, src, version, arch string, minSchema int) error {
	tmp, err := os.MkdirTemp(versions, tmpPrefix+"seed-")
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	defer os.RemoveAll(tmp)
	ents, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	m := Manifest{Format: manifestFormat, Version: version, Arch: arch, MinSchema: minSchema}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		d, err := describe(filepath.Join(src, e.Name()))
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		if err := copyNew(filepath.Join(src, e.Name()), filepath.Join(tmp, e.Name()), fs.FileMode(d.Mode)); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		m.Files = append(m.Files, d.File)
	}
	if err := writeJSON(filepath.Join(tmp, manifestName), m); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	dst := filepath.Join(versions, version)
	if err := os.RemoveAll(dst); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	return atomicfile.SyncDir(versions)
}

func copyNew(from, to string, mode fs.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
