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
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hongmajia/hongmajia/clock"
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

	dry  bool     // a dry run writes no update.log
	root *os.Root // the versions directory, opened and checked (openVersions)
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
	// StepCommitted: the new version said it is healthy and is kept;
	// the kiosk leaves probation. An update killed after it is finished,
	// not rolled back.
	StepCommitted = control.StepCommitted
)

// Failpoints that are not journal steps: the running version's health
// asked before anything changes, and the probation marker written.
const (
	FailpointCheckedOld = "checked-old"
	FailpointProbation  = "probation"
)

// journal is update.json: the update in progress, written before each step
// takes effect, so whoever finds it knows what to undo.
type journal struct {
	From           string `json:"from"`
	To             string `json:"to"`
	PreviousBefore string `json:"previous_before"`
	Step           string `json:"step"`
	SchemaBefore   int    `json:"schema_before"` // -1: no ledger
	Backup         string `json:"backup,omitempty"`
	Stopped        bool   `json:"stopped,omitempty"` // the service was stopped before the switch
	Downgrade      bool   `json:"downgrade,omitempty"`
	// Probation: the new version migrates the ledger, so it holds taps
	// until the update is committed (control.ProbationFile).
	Probation bool `json:"probation,omitempty"`
	// ReaderBefore is the running version's reader health before the
	// update ("ok", a fault, "" when it did not answer): the new version
	// must have its reader answering only when the old one had.
	ReaderBefore string    `json:"reader_before,omitempty"`
	Started      time.Time `json:"started"`
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
	if u.dry || u.root == nil {
		return
	}
	f, err := u.root.OpenFile(logName, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
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
	if err := writeJSONRoot(u.root, journalName, j); err != nil {
		return fmt.Errorf("update journal: %w", err)
	}
	return nil
}

func (u *Updater) readJournal() (*journal, error) {
	b, err := u.root.ReadFile(journalName)
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
	if err := u.root.Remove(journalName); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("update journal: %w", err)
	}
	return syncRoot(u.root)
}

// open opens and checks the versions directory for one operation; the
// returned func closes it.
func (u *Updater) open() (func(), error) {
	r, err := openVersions(u.Versions)
	if err != nil {
		return nil, err
	}
	u.root = r
	return func() { r.Close(); u.root = nil }, nil
}

// Update installs the bundle at path: see the package comment for the
// steps. An error before the switch leaves everything as it was; one after
// it has rolled the update back, and says why.
func (u *Updater) Update(ctx context.Context, path string, o Options) error {
	done, err := u.open()
	if err != nil {
		return fmt.Errorf("update: %w; nothing changed", err)
	}
	defer done()
	lk, err := lock(u.root)
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
	cur, err := readLink(u.root, currentLink)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if cur == "" {
		return fmt.Errorf("update: no current version in %s (the package makes one at install: reinstall it); nothing changed", u.Versions)
	}
	prev, _ := readLink(u.root, previousLink)
	downgrade := false
	switch c := CompareVersions(m.Version, cur); {
	case c == 0:
		return fmt.Errorf("update: %w: %s is already current; nothing changed", ErrDowngrade, cur)
	case c < 0 && !o.AllowDowngrade:
		return fmt.Errorf("update: %w: %s is older than the current %s (--allow-downgrade installs it, and it is recorded); nothing changed", ErrDowngrade, m.Version, cur)
	case c < 0:
		downgrade = true
	}
	schema, err := u.ledgerSchema(ctx, cur)
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
		Probation: migrates, Step: StepUnpacking, Started: u.clk().Now().UTC()}
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
	j.ReaderBefore = u.readerBefore(ctx, cur)
	if err := u.writeJournal(j); err != nil {
		return forget(err)
	}
	u.failpoint(FailpointCheckedOld)
	if schema >= 0 {
		if migrates {
			if err := u.tryMigration(ctx, cur, m); err != nil {
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
	if err := setLink(u.root, previousLink, cur); err != nil {
		return u.fail(ctx, j, err)
	}
	if err := setLink(u.root, currentLink, m.Version); err != nil {
		return u.fail(ctx, j, err)
	}
	u.logf("switched: current is %s, previous %s", m.Version, cur)
	u.failpoint(StepSwitched)
	if j.Probation {
		// A tap the new version took during its health wait would be lost
		// by a rollback, which puts back the backup: it starts on
		// probation and holds taps until the update is committed.
		abs, err := filepath.Abs(filepath.Join(u.Versions, journalName))
		if err == nil {
			_, err = u.tool(ctx, cur, "probation", abs, m.Version)
		}
		if err != nil {
			return u.fail(ctx, j, fmt.Errorf("put %s on probation: %w", m.Version, err))
		}
		u.logf("%s starts on probation: it holds taps until the update is committed", m.Version)
		u.failpoint(FailpointProbation)
	}
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
	if err := u.waitHealthy(ctx, j.ReaderBefore); err != nil {
		return u.fail(ctx, j, err)
	}
	// The decision, journaled before the kiosk hears it: a tap it takes
	// from now on stays, so nothing may roll this update back any more.
	j.Step = StepCommitted
	if err := u.writeJournal(j); err != nil {
		return u.fail(ctx, j, err)
	}
	u.failpoint(StepCommitted)
	return u.commit(ctx, j, true)
}

// commit finishes an update that was decided (StepCommitted): tells the
// kiosk (with tell) to leave probation, records the update, drops the
// journal.
func (u *Updater) commit(ctx context.Context, j *journal, tell bool) error {
	if j.Probation && tell {
		// Best effort: the kiosk also leaves probation by itself once the
		// journal is gone.
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := control.Request(rctx, control.SocketPath(u.Data), "commit")
		cancel()
		if err != nil {
			u.logf("tell %s the update is committed: %v (it sees the journal gone)", j.To, err)
		}
	}
	rec := record{From: j.From, SchemaBefore: j.SchemaBefore, Backup: j.Backup, Downgrade: j.Downgrade, At: u.clk().Now().UTC()}
	if err := writeJSONRoot(u.root, path.Join(j.To, installedRec), rec); err != nil {
		u.logf("record the update: %v", err)
	}
	if err := u.dropJournal(); err != nil {
		return fmt.Errorf("update: %s runs and is healthy, but %w", j.To, err)
	}
	u.logf("updated: %s is current and healthy (previous: %s)", j.To, j.From)
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

// askHealth asks the kiosk's control socket for its health once.
func (u *Updater) askHealth(ctx context.Context) (*control.Health, error) {
	// health verifies the ledger (quickly): on a Pi with a large ledger
	// that takes seconds.
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	ans, err := control.Request(rctx, control.SocketPath(u.Data), "health")
	if err != nil {
		return nil, err
	}
	var h control.Health
	if err := json.Unmarshal([]byte(ans), &h); err != nil {
		return nil, fmt.Errorf("its health answer %q: %v", ans, err)
	}
	return &h, nil
}

// readerBefore asks the running version for its health before anything
// changes, and returns what it said of its reader ("" when it did not
// answer).
//
// A card reader unplugged, or dead, before the update must not roll back
// every update: the new version's health needs the screen drawn and the
// ledger verified, and its reader answering only when the old version's
// did. So a kiosk whose reader was already dead still updates, and one
// whose new version broke the reader rolls back. A version that did not
// answer at all (not running) gives no reader to compare with, so its
// reader is not required either.
func (u *Updater) readerBefore(ctx context.Context, cur string) string {
	h, err := u.askHealth(ctx)
	if err != nil {
		u.logf("before the update, %s did not answer health (%v): the new version's reader is not required", cur, err)
		return ""
	}
	if h.Reader == "ok" {
		u.logf("before the update, %s's reader answers: the new version's must too", cur)
	} else {
		u.logf("before the update, %s's reader does not answer (%s): the new version's is not required", cur, h.Reader)
	}
	return h.Reader
}

// healthy judges a health answer: the screen drawn (or headless), the
// ledger verified, and the reader answering when readerBefore says the
// old version's did.
func healthy(h *control.Health, readerBefore string) (bool, string) {
	if h.OK {
		return true, ""
	}
	var problems []string
	if h.Screen != "ok" && h.Screen != "headless" {
		problems = append(problems, "screen: "+h.Screen)
	}
	if h.Ledger != "ok" {
		problems = append(problems, "ledger: "+h.Ledger)
	}
	if h.Reader != "ok" && readerBefore == "ok" {
		problems = append(problems, "reader: "+h.Reader+" (it answered before the update)")
	}
	if len(problems) > 0 {
		return false, "not healthy: " + strings.Join(problems, "; ")
	}
	return true, ""
}

// waitHealthy asks the kiosk's control socket for its health until it says
// healthy (healthy), or says why it did not within the deadline.
func (u *Updater) waitHealthy(ctx context.Context, readerBefore string) error {
	ctx, cancel := context.WithTimeout(ctx, u.healthTimeout())
	defer cancel()
	last := "it never answered on " + control.SocketPath(u.Data)
	for {
		h, err := u.askHealth(ctx)
		if err == nil {
			ok, why := healthy(h, readerBefore)
			if ok {
				if !h.OK {
					u.logf("healthy but for its reader (%s), which did not answer before the update either", h.Reader)
				}
				return nil
			}
			last = why
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
		// Lstat: the sizes of the kiosk user's files, never what a link
		// of theirs points at.
		if st, err := os.Lstat(filepath.Join(u.Data, p)); err == nil && st.Mode().IsRegular() {
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
		out, err := u.tool(ctx, cur, "verify")
		if err != nil {
			return fmt.Errorf("update: the ledger: %w; nothing changed", err)
		}
		u.logf("dry run: the ledger verifies (%s entries, schema %d)", strings.TrimSpace(out), schema)
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
	tmp, err := mkdirTemp(u.root, tmpPrefix+"unpack-", 0o755)
	if err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			u.root.RemoveAll(tmp)
		}
	}()
	var open []*os.File
	defer func() {
		for _, f := range open {
			f.Close()
		}
	}()
	err = b.Extract(func(f File) (io.Writer, error) {
		w, err := u.root.OpenFile(path.Join(tmp, f.Name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, fs.FileMode(f.Mode))
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
	for _, f := range []struct {
		name string
		data []byte
	}{{manifestName, b.raw}, {signatureName, b.sig}} {
		if err := writeRoot(u.root, path.Join(tmp, f.name), 0o644, func(w io.Writer) error {
			_, err := w.Write(f.data)
			return err
		}); err != nil {
			return fmt.Errorf("unpack: %w", err)
		}
	}
	// A directory of this version left by an update that did not finish,
	// or one rolled back from, is made again from the bundle.
	if err := u.root.RemoveAll(m.Version); err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	if err := u.root.Rename(tmp, m.Version); err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	ok = true
	if err := syncRoot(u.root); err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	u.logf("unpacked %s into %s (%d files, hashes checked)", m.Version, filepath.Join(u.Versions, m.Version), len(m.Files))
	return nil
}

// backup copies the ledger (VACUUM INTO, verified) into the backups
// directory, named for the update, and returns its path. from's kioskctl
// makes it, as the data directory's owner.
func (u *Updater) backup(ctx context.Context, from, to string) (string, error) {
	dir, err := u.backups()
	if err != nil {
		return "", err
	}
	name := fmt.Sprintf("ledger-%s-%s-to-%s.db", u.clk().Now().UTC().Format("20060102T150405Z"), from, to)
	p := filepath.Join(dir, name)
	out, err := u.tool(ctx, from, "backup", p)
	if err != nil {
		return "", err
	}
	u.logf("backed up the ledger to %s (%s entries, verified)", p, strings.TrimSpace(out))
	return p, nil
}

// tryMigration runs the new version's migration on a copy of the ledger:
// a migration that fails, or leaves a ledger that does not verify, stops
// the update before anything changed. The copy, the migration and the look
// at its schema run as the data directory's owner.
func (u *Updater) tryMigration(ctx context.Context, cur string, m *Manifest) error {
	bdir, err := u.backups()
	if err != nil {
		return fmt.Errorf("migration on a copy: %w", err)
	}
	cred, err := u.owner()
	if err != nil {
		return fmt.Errorf("migration on a copy: %w", err)
	}
	name, err := mkdirTemp(u.root, path.Join(backupsDir, tmpPrefix+"migrate-"), 0o700)
	if err != nil {
		return fmt.Errorf("migration on a copy: %w", err)
	}
	defer u.root.RemoveAll(name)
	if cred != nil {
		if err := u.root.Lchown(name, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("migration on a copy: %w", err)
		}
	}
	dir := filepath.Join(bdir, path.Base(name))
	if _, err := u.tool(ctx, cur, "backup", filepath.Join(dir, ledger.FileName)); err != nil {
		return fmt.Errorf("migration on a copy: %w", err)
	}
	migrate := u.Migrate
	if migrate == nil {
		migrate = u.runMigrate
	}
	if err := migrate(ctx, filepath.Join(u.Versions, m.Version), dir); err != nil {
		return fmt.Errorf("%s's migration failed on a copy of the ledger: %w", m.Version, err)
	}
	got, err := u.copySchema(ctx, m.Version, dir)
	if err != nil {
		return fmt.Errorf("migration on a copy: %w", err)
	}
	if got != m.MinSchema {
		return fmt.Errorf("%s's migration left schema %d on the copy, its manifest says %d", m.Version, got, m.MinSchema)
	}
	u.logf("%s's migration to schema %d ran on a copy of the ledger", m.Version, got)
	return nil
}

// copySchema is the schema of the ledger in dir as version's kioskctl
// reads it.
func (u *Updater) copySchema(ctx context.Context, version, dir string) (int, error) {
	out, err := u.asOwner(ctx, filepath.Join(u.Versions, version, "kioskctl"), ToolCommand, "schema", dir)
	if err != nil {
		return 0, fmt.Errorf("%s's kioskctl %s schema: %w", version, ToolCommand, err)
	}
	return strconv.Atoi(strings.TrimSpace(out))
}

// runMigrate is the new version's own kioskctl migrating dataDir, as the
// data directory's owner.
func (u *Updater) runMigrate(ctx context.Context, versionDir, dataDir string) error {
	_, err := u.asOwner(ctx, filepath.Join(versionDir, "kioskctl"), "migrate", "--data", dataDir)
	return err
}

// cleanTemp removes what an unpack or a migration left when it was killed.
func (u *Updater) cleanTemp() {
	for _, dir := range []string{".", backupsDir} {
		ents, _ := readDir(u.root, dir)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), tmpPrefix) {
				u.root.RemoveAll(path.Join(dir, e.Name()))
			}
		}
	}
}

// prune keeps the current and previous versions and the newest backups.
func (u *Updater) prune() {
	cur, err1 := readLink(u.root, currentLink)
	prev, err2 := readLink(u.root, previousLink)
	if err1 != nil || err2 != nil {
		return
	}
	ents, _ := readDir(u.root, ".")
	for _, e := range ents {
		n := e.Name()
		if !e.IsDir() || reserved(n) || n == cur || n == prev {
			continue
		}
		if err := u.root.RemoveAll(n); err == nil {
			u.logf("removed old version %s", n)
		}
	}
	keep := u.KeepBackups
	if keep <= 0 {
		keep = 3
	}
	ents, _ = readDir(u.root, backupsDir)
	var backups []string
	for _, e := range ents {
		if n := e.Name(); strings.HasPrefix(n, "ledger-") && strings.HasSuffix(n, ".db") {
			backups = append(backups, n)
		}
	}
	// Names start with the time: sorted, the oldest come first.
	sort.Strings(backups)
	for len(backups) > keep {
		u.root.Remove(path.Join(backupsDir, backups[0]))
		backups = backups[1:]
	}
}
