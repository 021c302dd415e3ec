package update

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/internal/atomicfile"
	"github.com/hongmajia/hongmajia/kiosk/control"
	"github.com/hongmajia/hongmajia/ledger"
)

// Updater installs bundles into a versions directory and rolls them back.
type Updater struct {
	// Versions is the versions directory (DefaultVersions); Data the
	// kiosk's data directory, with its ledger and control socket.
	Versions string
	Data     string
	Trusted  []PublicKey
	// Arch is the kiosk's GOARCH.
	Arch    string
	Service Service
	// HealthTimeout bounds the wait for a started version to say it is
	// healthy (default 2 min: a Pi starting X and verifying a large ledger).
	HealthTimeout time.Duration
	Clock         clock.Clock
	// Log gets every step as a line; each is also appended to update.log in
	// the versions directory.
	Log io.Writer
	// KeepBackups is how many pre-update backups of the ledger to keep
	// (default 3).
	KeepBackups int
	// Migrate runs the migration a new version brings on the ledger in
	// dataDir (a copy): by default the new version's own `kioskctl
	// migrate --data DIR`.
	Migrate func(ctx context.Context, versionDir, dataDir string) error
	// Free says how much disk is free on a directory's filesystem
	// (default: statfs).
	Free func(dir string) (uint64, error)
	// Failpoint, when set, is called as each step is reached (tests kill
	// the updater there).
	Failpoint func(step string)

	dry bool // a dry run writes no update.log
}

// Options tune one Update.
type Options struct {
	// DryRun checks everything (signature, architecture, version, the
	// files' hashes, free disk, the ledger) and changes nothing.
	DryRun bool
	// AllowDowngrade installs an older version; the log records it.
	AllowDowngrade bool
}

// The steps of an update, as the journal records them.
const (
	StepUnpacking = "unpacking"
	StepUnpacked  = "unpacked"
	StepBackedUp  = "backed-up"
	StepSwitched  = "switched"
	StepStarted   = "started"
	StepHealth    = "health"
)

// journal is update.json: the update in progress, written before each step
// takes effect, so whoever finds it knows what to undo.
type journal struct {
	From           string    `json:"from"`
	To             string    `json:"to"`
	PreviousBefore string    `json:"previous_before"`
	Step           string    `json:"step"`
	SchemaBefore   int       `json:"schema_before"` // -1: no ledger
	Backup         string    `json:"backup,omitempty"`
	Stopped        bool      `json:"stopped,omitempty"` // the service was stopped before the switch
	Downgrade      bool      `json:"downgrade,omitempty"`
	Started        time.Time `json:"started"`
}

// record is installed.json in a version's directory: how it came to be
// current, for a rollback by hand later.
type record struct {
	From         string    `json:"from"`
	SchemaBefore int       `json:"schema_before"`
	Backup       string    `json:"backup,omitempty"`
	Downgrade    bool      `json:"downgrade,omitempty"`
	At           time.Time `json:"at"`
}

func (u *Updater) clk() clock.Clock {
	if u.Clock == nil {
		return clock.Real{}
	}
	return u.Clock
}

func (u *Updater) logf(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	if u.Log != nil {
		fmt.Fprintln(u.Log, line)
	}
	if u.dry {
		return
	}
	f, err := os.OpenFile(filepath.Join(u.Versions, logName), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return
	}
	fmt.Fprintf(f, "%s %s\n", u.clk().Now().UTC().Format(time.RFC3339), line)
	f.Sync()
	f.Close()
}

func (u *Updater) failpoint(step string) {
	if u.Failpoint != nil {
		u.Failpoint(step)
	}
}

func (u *Updater) writeJournal(j *journal) error {
	return atomicfile.Write(filepath.Join(u.Versions, journalName), 0o644, func(w io.Writer) error {
		return json.NewEncoder(w).Encode(j)
	})
}

func (u *Updater) readJournal() (*journal, error) {
	b, err := os.ReadFile(filepath.Join(u.Versions, journalName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("update journal: %w", err)
	}
	var j journal
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("update journal %s: %w", filepath.Join(u.Versions, journalName), err)
	}
	return &j, nil
}

func (u *Updater) dropJournal() error {
	if err := os.Remove(filepath.Join(u.Versions, journalName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("update journal: %w", err)
	}
	return atomicfile.SyncDir(u.Versions)
}

// ledgerSchema is the data directory's ledger's schema, -1 when there is
// no ledger yet.
func (u *Updater) ledgerSchema(ctx context.Context) (int, error) {
	v, err := ledger.SchemaOf(ctx, u.Data)
	if errors.Is(err, fs.ErrNotExist) {
		return -1, nil
	}
	return v, err
}

// Update installs the bundle at path: see the package comment for the
// steps. An error before the switch leaves everything as it was; one after
// it has rolled the update back, and says why.
func (u *Updater) Update(ctx context.Context, path string, o Options) error {
	lk, err := lock(u.Versions)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	defer lk.Close()
	if err := u.recover(ctx, true); err != nil {
		return fmt.Errorf("update: finish the interrupted update first: %w", err)
	}
	u.dry = o.DryRun
	defer func() { u.dry = false }()
	b, err := OpenBundle(path, u.Trusted)
	if err != nil {
		return fmt.Errorf("update: %w; nothing changed", err)
	}
	defer b.Close()
	m := &b.Manifest
	u.logf("bundle %s: version %s for %s, signed by %s", path, m.Version, m.Arch, describeKey(b.Signer))
	if m.Arch != u.Arch {
		return fmt.Errorf("update: %w: %s is for %s, this kiosk is %s; nothing changed", ErrArch, m.Version, m.Arch, u.Arch)
	}
	cur, err := readLink(u.Versions, currentLink)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if cur == "" {
		return fmt.Errorf("update: no current version in %s (the package makes one at install: reinstall it); nothing changed", u.Versions)
	}
	prev, _ := readLink(u.Versions, previousLink)
	downgrade := false
	switch c := CompareVersions(m.Version, cur); {
	case c == 0:
		return fmt.Errorf("update: %w: %s is already current; nothing changed", ErrDowngrade, cur)
	case c < 0 && !o.AllowDowngrade:
		return fmt.Errorf("update: %w: %s is older than the current %s (--allow-downgrade installs it, and it is recorded); nothing changed", ErrDowngrade, m.Version, cur)
	case c < 0:
		downgrade = true
	}
	schema, err := u.ledgerSchema(ctx)
	if err != nil {
		return fmt.Errorf("update: %w; nothing changed", err)
	}
	if schema > m.MinSchema {
		return fmt.Errorf("update: %w: %s opens ledgers up to schema %d and this ledger is at %d (restore a backup from before the migration instead); nothing changed",
			ErrDowngrade, m.Version, m.MinSchema, schema)
	}
	migrates := schema >= 0 && m.MinSchema > schema
	if err := u.checkSpace(m, migrates); err != nil {
		return fmt.Errorf("update: %w; nothing changed", err)
	}
	if o.DryRun {
		return u.dryRun(ctx, b, cur, schema, migrates, downgrade)
	}
	if downgrade {
		u.logf("DOWNGRADE from %s to %s, as asked (--allow-downgrade)", cur, m.Version)
	}
	j := &journal{From: cur, To: m.Version, PreviousBefore: prev, SchemaBefore: schema, Downgrade: downgrade,
		Step: StepUnpacking, Started: u.clk().Now().UTC()}
	if err := u.writeJournal(j); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	// Until the switch, a failure forgets the update: the current version
	// never stopped running, or is started again.
	forget := func(err error) error {
		if j.Stopped {
			if serr := u.Service.Start(ctx); serr != nil {
				u.logf("start %s again: %v", cur, serr)
			}
		}
		u.cleanTemp()
		if derr := u.dropJournal(); derr != nil {
			u.logf("%v", derr)
		}
		u.logf("update to %s stopped before the switch: %v; nothing changed: %s stays current", m.Version, err, cur)
		return fmt.Errorf("update: %w; nothing changed: %s stays current", err, cur)
	}
	if err := u.unpack(b); err != nil {
		return forget(err)
	}
	j.Step = StepUnpacked
	if err := u.writeJournal(j); err != nil {
		return forget(err)
	}
	u.failpoint(StepUnpacked)
	if schema >= 0 {
		if migrates {
			if err := u.tryMigration(ctx, m); err != nil {
				return forget(err)
			}
			// The ledger the old version opens is the rollback point:
			// taken with the kiosk stopped, so no tap comes after it
			// until the new version runs.
			u.logf("stop the kiosk: %s migrates the ledger from schema %d to %d", m.Version, schema, m.MinSchema)
			// Journaled before the stop: whoever finishes a killed
			// update starts the kiosk again.
			j.Stopped = true
			if err := u.writeJournal(j); err != nil {
				return forget(err)
			}
			if err := u.Service.Stop(ctx); err != nil {
				return forget(fmt.Errorf("stop the kiosk: %w", err))
			}
		}
		if j.Backup, err = u.backup(ctx, cur, m.Version); err != nil {
			return forget(err)
		}
	}
	j.Step = StepBackedUp
	if err := u.writeJournal(j); err != nil {
		return forget(err)
	}
	u.failpoint(StepBackedUp)

	// The switch. From here on a failure rolls back.
	j.Step = StepSwitched
	if err := u.writeJournal(j); err != nil {
		return forget(err)
	}
	if err := setLink(u.Versions, previousLink, cur); err != nil {
		return u.fail(ctx, j, err)
	}
	if err := setLink(u.Versions, currentLink, m.Version); err != nil {
		return u.fail(ctx, j, err)
	}
	u.logf("switched: current is %s, previous %s", m.Version, cur)
	u.failpoint(StepSwitched)
	if !j.Stopped {
		if err := u.Service.Stop(ctx); err != nil {
			return u.fail(ctx, j, fmt.Errorf("stop %s: %w", cur, err))
		}
	}
	if err := u.Service.Start(ctx); err != nil {
		return u.fail(ctx, j, fmt.Errorf("start %s: %w", m.Version, err))
	}
	j.Step = StepStarted
	if err := u.writeJournal(j); err != nil {
		return u.fail(ctx, j, err)
	}
	u.logf("started %s; waiting up to %v for it to report healthy", m.Version, u.healthTimeout())
	u.failpoint(StepStarted)
	j.Step = StepHealth
	if err := u.writeJournal(j); err != nil {
		return u.fail(ctx, j, err)
	}
	u.failpoint(StepHealth)
	if err := u.waitHealthy(ctx); err != nil {
		return u.fail(ctx, j, err)
	}
	rec := record{From: cur, SchemaBefore: schema, Backup: j.Backup, Downgrade: downgrade, At: u.clk().Now().UTC()}
	if err := writeJSON(filepath.Join(u.Versions, m.Version, installedRec), rec); err != nil {
		u.logf("record the update: %v", err)
	}
	if err := u.dropJournal(); err != nil {
		return fmt.Errorf("update: %s runs and is healthy, but %w", m.Version, err)
	}
	u.logf("updated: %s is current and healthy (previous: %s)", m.Version, cur)
	u.prune()
	return nil
}

func describeKey(k PublicKey) string {
	s := KeyID(k.Key)
	if k.Name != "" {
		s += " (" + k.Name + ")"
	}
	return s
}

func writeJSON(path string, v any) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error { return json.NewEncoder(w).Encode(v) })
}

// fail rolls back an update that failed after the switch, and says why.
func (u *Updater) fail(ctx context.Context, j *journal, cause error) error {
	u.logf("update to %s failed: %v", j.To, cause)
	if err := u.rollBack(ctx, j, true); err != nil {
		return fmt.Errorf("update to %s failed: %v; and the rollback to %s failed: %w", j.To, cause, j.From, err)
	}
	return fmt.Errorf("update to %s failed: %v; rolled back to %s", j.To, cause, j.From)
}

func (u *Updater) healthTimeout() time.Duration {
	if u.HealthTimeout > 0 {
		return u.HealthTimeout
	}
	return 2 * time.Minute
}

// waitHealthy asks the kiosk's control socket for its health until it says
// OK, or says why it did not within the deadline.
func (u *Updater) waitHealthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, u.healthTimeout())
	defer cancel()
	sock := control.SocketPath(u.Data)
	last := "it never answered on " + sock
	for {
		// health verifies the ledger (quickly): on a Pi with a large
		// ledger that takes seconds.
		rctx, rcancel := context.WithTimeout(ctx, time.Minute)
		ans, err := control.Request(rctx, sock, "health")
		rcancel()
		if err == nil {
			var h control.Health
			if jerr := json.Unmarshal([]byte(ans), &h); jerr != nil {
				last = fmt.Sprintf("its health answer %q: %v", ans, jerr)
			} else if h.OK {
				return nil
			} else {
				last = "not healthy: " + strings.Join(h.Problems, "; ")
			}
		} else if !errors.Is(err, syscall.ENOENT) && !errors.Is(err, syscall.ECONNREFUSED) {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not healthy within %v: %s", u.healthTimeout(), last)
		case <-u.clk().After(250 * time.Millisecond):
		}
	}
}

// checkSpace refuses a bundle that does not fit: its files, the ledger's
// backup and, for a migration, the copy it is tried on, with room to spare.
func (u *Updater) checkSpace(m *Manifest, migrates bool) error {
	free := u.Free
	if free == nil {
		free = freeBytes
	}
	avail, err := free(u.Versions)
	if err != nil {
		return fmt.Errorf("free disk on %s: %w", u.Versions, err)
	}
	var db int64
	for _, p := range []string{ledger.FileName, ledger.FileName + "-wal"} {
		if st, err := os.Stat(filepath.Join(u.Data, p)); err == nil {
			db += st.Size()
		}
	}
	need := m.Size() + db + 16<<20
	if migrates {
		need += db
	}
	if uint64(need) > avail {
		return fmt.Errorf("%w: %s needs %s on %s (its files %s, a backup of the ledger %s, and room to spare); %s free",
			ErrNoSpace, m.Version, mb(need), u.Versions, mb(m.Size()), mb(db), mb(int64(avail)))
	}
	return nil
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

func (u *Updater) dryRun(ctx context.Context, b *Bundle, cur string, schema int, migrates, downgrade bool) error {
	m := &b.Manifest
	if err := b.Extract(nil); err != nil {
		return fmt.Errorf("update: %w; nothing changed", err)
	}
	u.logf("dry run: %s's %d files match the signed manifest", m.Version, len(m.Files))
	if schema >= 0 {
		rep, err := ledger.VerifyFile(ctx, filepath.Join(u.Data, ledger.FileName))
		if err != nil {
			return fmt.Errorf("update: the ledger: %w; nothing changed", err)
		}
		if !rep.OK() {
			return fmt.Errorf("update: the ledger fails verification (%d problems: kioskctl verify); nothing changed", len(rep.Problems))
		}
		u.logf("dry run: the ledger verifies (%d entries, schema %d)", rep.Entries, schema)
	}
	what := "update"
	if downgrade {
		what = "DOWNGRADE"
	}
	mig := ""
	if migrates {
		mig = fmt.Sprintf(", migrating the ledger from schema %d to %d (tried on a copy first)", schema, m.MinSchema)
	}
	u.logf("dry run: would %s %s to %s%s; nothing changed", what, cur, m.Version, mig)
	return nil
}

// unpack writes the bundle's files into a temporary directory beside the
// versions, each fsynced and checked, then renames it into place.
func (u *Updater) unpack(b *Bundle) error {
	m := &b.Manifest
	tmp, err := os.MkdirTemp(u.Versions, tmpPrefix+"unpack-")
	if err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	var open []*os.File
	defer func() {
		for _, f := range open {
			f.Close()
		}
	}()
	err = b.Extract(func(f File) (io.Writer, error) {
		w, err := os.OpenFile(filepath.Join(tmp, f.Name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, fs.FileMode(f.Mode))
		if err != nil {
			return nil, fmt.Errorf("unpack: %w", err)
		}
		open = append(open, w)
		return w, nil
	})
	if err != nil {
		return err
	}
	for _, f := range open {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("unpack: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("unpack: %w", err)
		}
	}
	open = nil
	if err := os.WriteFile(filepath.Join(tmp, manifestName), b.raw, 0o644); err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	if err := os.WriteFile(filepath.Join(tmp, signatureName), b.sig, 0o644); err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	for _, n := range []string{manifestName, signatureName} {
		f, err := os.Open(filepath.Join(tmp, n))
		if err == nil {
			err = f.Sync()
			f.Close()
		}
		if err != nil {
			return fmt.Errorf("unpack: %w", err)
		}
	}
	if err := atomicfile.SyncDir(tmp); err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	dst := filepath.Join(u.Versions, m.Version)
	// A directory of this version left by an update that did not finish,
	// or one rolled back from, is made again from the bundle.
	if err := os.RemoveAll(dst); err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	ok = true
	if err := atomicfile.SyncDir(u.Versions); err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	u.logf("unpacked %s into %s (%d files, hashes checked)", m.Version, dst, len(m.Files))
	return nil
}

// backup copies the ledger (VACUUM INTO, verified) into the backups
// directory, named for the update, and returns its path.
func (u *Updater) backup(ctx context.Context, from, to string) (string, error) {
	dir := filepath.Join(u.Versions, backupsDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	name := fmt.Sprintf("ledger-%s-%s-to-%s.db", u.clk().Now().UTC().Format("20060102T150405Z"), from, to)
	path := filepath.Join(dir, name)
	l, err := ledger.Open(ctx, u.Data, ledger.Options{ReadOnly: true})
	if err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	defer l.Close()
	if err := l.Backup(ctx, path); err != nil {
		return "", err
	}
	rep, err := ledger.VerifyFile(ctx, path)
	if err != nil {
		return "", fmt.Errorf("backup: verify %s: %w", path, err)
	}
	if !rep.OK() {
		return "", fmt.Errorf("backup: %s fails verification: %v", path, rep.Problems)
	}
	u.logf("backed up the ledger to %s (%d entries, verified)", path, rep.Entries)
	return path, nil
}

// tryMigration runs the new version's migration on a copy of the ledger:
// a migration that fails, or leaves a ledger that does not verify, stops
// the update before anything changed.
func (u *Updater) tryMigration(ctx context.Context, m *Manifest) error {
	dir, err := os.MkdirTemp(u.Versions, tmpPrefix+"migrate-")
	if err != nil {
		return fmt.Errorf("migration on a copy: %w", err)
	}
	defer os.RemoveAll(dir)
	l, err := ledger.Open(ctx, u.Data, ledger.Options{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("migration on a copy: %w", err)
	}
	err = l.Backup(ctx, filepath.Join(dir, ledger.FileName))
	l.Close()
	if err != nil {
		return fmt.Errorf("migration on a copy: %w", err)
	}
	migrate := u.Migrate
	if migrate == nil {
		migrate = runMigrate
	}
	if err := migrate(ctx, filepath.Join(u.Versions, m.Version), dir); err != nil {
		return fmt.Errorf("%s's migration failed on a copy of the ledger: %w", m.Version, err)
	}
	got, err := ledger.SchemaOf(ctx, dir)
	if err != nil {
		return fmt.Errorf("migration on a copy: %w", err)
	}
	if got != m.MinSchema {
		return fmt.Errorf("%s's migration left schema %d on the copy, its manifest says %d", m.Version, got, m.MinSchema)
	}
	u.logf("%s's migration to schema %d ran on a copy of the ledger", m.Version, got)
	return nil
}

// runMigrate is the new version's own kioskctl migrating dataDir.
func runMigrate(ctx context.Context, versionDir, dataDir string) error {
	out, err := exec.CommandContext(ctx, filepath.Join(versionDir, "kioskctl"), "migrate", "--data", dataDir).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// cleanTemp removes what an unpack or a migration left when it was killed.
func (u *Updater) cleanTemp() {
	ents, _ := os.ReadDir(u.Versions)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			os.RemoveAll(filepath.Join(u.Versions, e.Name()))
		}
	}
}

// prune keeps the current and previous versions and the newest backups.
func (u *Updater) prune() {
	in, err := ReadInstalled(u.Versions)
	if err != nil {
		return
	}
	ents, _ := os.ReadDir(u.Versions)
	for _, e := range ents {
		n := e.Name()
		if !e.IsDir() || reserved(n) || n == in.Current || n == in.Previous {
			continue
		}
		if err := os.RemoveAll(filepath.Join(u.Versions, n)); err == nil {
			u.logf("removed old version %s", n)
		}
	}
	keep := u.KeepBackups
	if keep <= 0 {
		keep = 3
	}
	backups, _ := filepath.Glob(filepath.Join(u.Versions, backupsDir, "ledger-*.db"))
	// Names start with the time: sorted, the oldest come first.
	for len(backups) > keep {
		os.Remove(backups[0])
		backups = backups[1:]
	}
}
