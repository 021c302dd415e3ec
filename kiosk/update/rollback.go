package update

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
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
	if err := setLink(u.root, currentLink, j.From); err != nil {
		return err
	}
	if err := setLink(u.root, previousLink, j.PreviousBefore); err != nil {
		return err
	}
	u.logf("switched back: current is %s", j.From)
	if err := u.restoreLedger(ctx, j); err != nil {
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
	if err := u.waitHealthy(ctx, j.ReaderBefore); err != nil {
		u.logf("%s is back but %v", j.From, err)
		return fmt.Errorf("%s is back but %w", j.From, err)
	}
	u.logf("rolled back: %s is current and healthy", j.From)
	return nil
}

// restoreLedger puts back the backup when the ledger's schema is newer than
// the version going back opens, and takes the new version off probation:
// the version going back's kioskctl does it, as the data directory's owner.
// The newer ledger is kept beside the backups, never deleted; it holds no
// tap the backup lacks, since the version that migrated it was on
// probation and wrote none.
func (u *Updater) restoreLedger(ctx context.Context, j *journal) error {
	if j.SchemaBefore < 0 {
		return nil
	}
	dir, err := u.backups()
	if err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	aside := filepath.Join(dir, fmt.Sprintf("rolledback-%s-%s", u.clk().Now().UTC().Format("20060102T150405Z"), j.To))
	out, err := u.tool(ctx, j.From, "restore", strconv.Itoa(j.SchemaBefore), j.Backup, aside, j.To)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line != "" {
			u.logf("%s", line)
		}
	}
	if err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	return nil
}

// Recover finishes an update that was interrupted (its updater killed, the
// power cut): before the switch it forgets it, after the switch it rolls it
// back, once committed it keeps it. With start, the service is stopped and
// started around it and the old version waited for; without (at the
// kiosk's own start, as its unit's ExecStartPre), only the files change.
// Nothing to do, or an update running, is no error.
func (u *Updater) Recover(ctx context.Context, start bool) error {
	if _, err := os.Lstat(u.Versions); errors.Is(err, fs.ErrNotExist) {
		return nil // nothing installed through it yet: nothing to finish
	}
	done, err := u.open()
	if err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	defer done()
	lk, err := lock(u.root)
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
	cur, err := readLink(u.root, currentLink)
	if err != nil {
		return err
	}
	u.logf("an update from %s to %s was interrupted at %q", j.From, j.To, j.Step)
	if j.Step == StepCommitted && cur == j.To {
		u.logf("it was committed: %s stays current", j.To)
		return u.commit(ctx, j, start)
	}
	switched := j.Step == StepSwitched || j.Step == StepStarted || j.Step == StepHealth || j.Step == StepCommitted || cur != j.From
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
	done, err := u.open()
	if err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	defer done()
	lk, err := lock(u.root)
	if err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	defer lk.Close()
	if err := u.recover(ctx, true); err != nil {
		return fmt.Errorf("rollback: finish the interrupted update first: %w", err)
	}
	cur, err := readLink(u.root, currentLink)
	if err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	prev, err := readLink(u.root, previousLink)
	if err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	if prev == "" {
		return fmt.Errorf("rollback: no previous version in %s", u.Versions)
	}
	pm, err := readManifest(u.root, prev)
	if err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	schema, err := u.ledgerSchema(ctx, cur)
	if err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	j := &journal{From: prev, To: cur, PreviousBefore: cur, SchemaBefore: -1, Step: StepSwitched,
		Started: u.clk().Now().UTC()}
	if schema > pm.MinSchema {
		var rec record
		b, err := u.root.ReadFile(path.Join(cur, installedRec))
		if err == nil {
			err = json.Unmarshal(b, &rec)
		}
		if err != nil || rec.Backup == "" || rec.From != prev {
			return fmt.Errorf("rollback: %s opens ledgers up to schema %d, this one is at %d, and no backup from before the migration is recorded", prev, pm.MinSchema, schema)
		}
		if !force {
			return fmt.Errorf("rollback: %s opens ledgers up to schema %d and %s migrated this one to %d: going back puts back the backup made before the update (%s) and sets today's ledger aside, so every tap since then must be entered again; --force to do it",
				prev, pm.MinSchema, cur, schema, rec.Backup)
		}
		j.SchemaBefore, j.Backup = pm.MinSchema, rec.Backup
	}
	u.logf("rollback by hand from %s to %s", cur, prev)
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
// The versions directory is made (0755) when missing, and refused like an
// update refuses it (openVersions).
func Seed(versions, src, version, arch string, minSchema int) (bool, error) {
	if err := checkVersion(version); err != nil {
		return false, fmt.Errorf("seed: %w", err)
	}
	if err := os.Mkdir(versions, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return false, fmt.Errorf("seed: %w", err)
	}
	r, err := openVersions(versions)
	if err != nil {
		return false, fmt.Errorf("seed: %w", err)
	}
	defer r.Close()
	lk, err := lock(r)
	if err != nil {
		return false, fmt.Errorf("seed: %w", err)
	}
	defer lk.Close()
	if _, err := r.Lstat(journalName); err == nil {
		return false, errors.New("seed: an update was interrupted: kioskctl update --recover first")
	}
	cur, err := readLink(r, currentLink)
	if err != nil {
		return false, err
	}
	if cur != "" && CompareVersions(cur, version) >= 0 {
		return false, nil
	}
	if err := seed(r, src, version, arch, minSchema); err != nil {
		return false, err
	}
	if cur != "" {
		if err := setLink(r, previousLink, cur); err != nil {
			return false, err
		}
	}
	return true, setLink(r, currentLink, version)
}

func seed(r *os.Root, src, version, arch string, minSchema int) error {
	tmp, err := mkdirTemp(r, tmpPrefix+"seed-", 0o755)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	defer r.RemoveAll(tmp)
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
		if err := copyNew(r, filepath.Join(src, e.Name()), path.Join(tmp, e.Name()), fs.FileMode(d.Mode)); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		m.Files = append(m.Files, d.File)
	}
	if err := writeJSONRoot(r, path.Join(tmp, manifestName), m); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if err := r.RemoveAll(version); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if err := r.Rename(tmp, version); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	return syncRoot(r)
}

func copyNew(r *os.Root, from, to string, mode fs.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := r.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
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
