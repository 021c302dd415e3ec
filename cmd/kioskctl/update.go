package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/internal/atomicfile"
	"github.com/hongmajia/hongmajia/internal/buildinfo"
	"github.com/hongmajia/hongmajia/kiosk/update"
	"github.com/hongmajia/hongmajia/ledger"
)

func init() {
	commands["keygen"] = command{summary: "make a release signing key (on the technician's machine): -o KEY writes KEY (0600) and KEY.pub for the kiosks' trusted keys", run: runKeygen}
	commands["bundle"] = command{summary: "make a signed release bundle: --key KEY --version V -o FILE BINARY...", run: runBundle}
	commands["update"] = command{summary: "install a signed bundle, rolled back by itself if the kiosk is not healthy: [--dry-run] [--allow-downgrade] BUNDLE|URL, or --offered (the hub's)", run: runUpdate}
	commands["rollback"] = command{summary: "go back to the previous version: [--force]", run: runRollback}
	commands[update.ToolCommand] = command{summary: "(run by kioskctl update, as the data directory's owner) the ledger's part of an update: OP DATA ARGS", run: runUpdateLedger}
	commands["migrate"] = command{summary: "bring the ledger in --data DIR to this version's schema, then verify it (an update runs it on a copy)", run: runMigrate}
}

func runKeygen(e *env, args []string) error {
	f, _ := newFlagSet(e, "keygen")
	out := f.String("o", "", "file for the private key; its public half goes to FILE.pub")
	name := f.String("name", "", "a comment in the public key: whose key it is")
	if err := parseFlags(f, args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("%w: -o KEY is required", errUsage)
	}
	pub, err := update.Keygen(*out, *name)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s (keep it secret: it signs updates for every kiosk that trusts it) and %s\n", *out, *out+".pub")
	fmt.Fprintf(e.stdout, "key id %s: copy %s.pub into %s on each kiosk\n", update.KeyID(pub), *out, update.DefaultTrusted)
	return nil
}

func runBundle(e *env, args []string) error {
	f, _ := newFlagSet(e, "bundle")
	keyPath := f.String("key", "", "the release signing key (kioskctl keygen)")
	version := f.String("version", "", "the release's version, e.g. 1.4.2")
	out := f.String("o", "", "the bundle file to write")
	arch := f.String("arch", "", "the architecture (default: the programs')")
	minSchema := f.Int("min-schema", ledger.SchemaVersion(), "the ledger schema the release needs (default: this kioskctl's, built from the same source)")
	if err := f.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *keyPath == "" || *version == "" || *out == "" || f.NArg() == 0 {
		return fmt.Errorf("%w: --key KEY --version V -o FILE BINARY... are required", errUsage)
	}
	key, err := update.ReadSigningKey(*keyPath)
	if err != nil {
		return err
	}
	var m *update.Manifest
	err = atomicfile.Write(*out, 0o644, func(w io.Writer) error {
		var err error
		m, err = update.Build(w, key, f.Args(), update.BuildOptions{Version: *version, Arch: *arch, MinSchema: *minSchema,
			Created: clock.Real{}.Now()})
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s: version %s for %s, ledger schema %d, %d files, signed by %s\n",
		*out, m.Version, m.Arch, m.MinSchema, len(m.Files), m.KeyID)
	return nil
}

// updaterFlags are the flags update and rollback share.
type updaterFlags struct {
	data, versions, trusted, unit *string
	timeout                       *time.Duration
}

func newUpdaterFlags(e *env, name string) (*flag.FlagSet, *updaterFlags) {
	f, data := newFlagSet(e, name)
	return f, &updaterFlags{
		data:     data,
		versions: f.String("versions", update.DefaultVersions, "the versions directory"),
		trusted:  f.String("trusted", update.DefaultTrusted, "the directory of trusted release keys (KEY.pub files)"),
		unit:     f.String("unit", update.DefaultUnit, "the kiosk's systemd unit (hongmajia-station for a headless one)"),
		timeout:  f.Duration("timeout", 2*time.Minute, "how long a started version has to report healthy"),
	}
}

func (uf *updaterFlags) updater(e *env, needKeys bool) (*update.Updater, error) {
	u := &update.Updater{Versions: *uf.versions, Data: *uf.data, Arch: runtime.GOARCH,
		Service: update.Systemd{Unit: *uf.unit}, HealthTimeout: *uf.timeout, Log: e.stdout}
	if needKeys {
		keys, err := update.LoadTrusted(*uf.trusted)
		if err != nil {
			return nil, err
		}
		u.Trusted = keys
	}
	return u, nil
}

func runUpdate(e *env, args []string) error {
	f, uf := newUpdaterFlags(e, "update")
	dry := f.Bool("dry-run", false, "check everything and change nothing")
	down := f.Bool("allow-downgrade", false, "install an older version (recorded in the log)")
	rec := f.Bool("recover", false, "only finish an update that was interrupted (no BUNDLE)")
	noStart := f.Bool("no-start", false, "with --recover: change the files only, do not stop or start the kiosk (the unit's ExecStartPre)")
	seedDir := f.String("seed", "", "make the binaries in DIR (the package's) a version and current, unless a newer one is (the package's postinst); with --recover, where to seed from when there is no current version (default "+packageBin+")")
	seedVersion := f.String("version", "", "with --seed: the package's version (with --recover: default this kioskctl's release)")
	offered := f.Bool("offered", false, "install the bundle the hub offered, which the kiosk downloaded into DATA/incoming (hongmajia-update.service runs it as root)")
	anyTime := f.Bool("any-time", false, "with --offered: install outside the kiosk's nightly sync window")
	if err := f.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	ctx, stop := interruptible()
	defer stop()
	if *seedDir != "" && !*rec {
		if *seedVersion == "" || f.NArg() != 0 {
			return fmt.Errorf("%w: --seed DIR --version V, without a bundle", errUsage)
		}
		ok, err := update.Seed(*uf.versions, *seedDir, *seedVersion, runtime.GOARCH, ledger.SchemaVersion())
		if err != nil {
			return err
		}
		in, err := update.ReadInstalled(*uf.versions)
		if err != nil {
			return err
		}
		if ok {
			fmt.Fprintf(e.stdout, "%s is current (previous: %s)\n", in.Current, orNone(in.Previous))
		} else {
			fmt.Fprintf(e.stdout, "%s stays current: not older than %s\n", in.Current, *seedVersion)
		}
		return nil
	}
	if *rec {
		if f.NArg() != 0 {
			return fmt.Errorf("%w: --recover takes no bundle", errUsage)
		}
		u, err := uf.updater(e, false)
		if err != nil {
			return err
		}
		// No versions directory at all: nothing to finish, only to seed.
		if _, err := os.Stat(*uf.versions); err == nil {
			if err := u.Recover(ctx, !*noStart); err != nil {
				return err
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("recover: %w", err)
		}
		return seedIfNone(e, *uf.versions, cmp.Or(*seedDir, packageBin), cmp.Or(*seedVersion, buildinfo.Release()))
	}
	if *offered {
		if f.NArg() != 0 {
			return fmt.Errorf("%w: --offered takes no bundle", errUsage)
		}
		unitGiven := false
		f.Visit(func(fl *flag.Flag) { unitGiven = unitGiven || fl.Name == "unit" })
		if !unitGiven && stationActive(ctx) {
			// The unit runs this without --unit on a touch kiosk and a
			// headless station alike: restart the one that runs.
			*uf.unit = "hongmajia-station"
		}
		u, err := uf.updater(e, true)
		if err != nil {
			return err
		}
		err = u.UpdateOffered(ctx, filepath.Join(*uf.data, update.IncomingDir), update.OfferedOptions{AnyTime: *anyTime})
		if errors.Is(err, update.ErrNotNow) {
			// Not a failure: the kiosk drops the offer again in its window.
			fmt.Fprintf(e.stdout, "%s: installed at the kiosk's next nightly sync (--any-time installs now)\n", strings.TrimPrefix(err.Error(), "update: "))
			return nil
		}
		return err
	}
	if f.NArg() != 1 {
		return fmt.Errorf("%w: give one BUNDLE file or URL", errUsage)
	}
	u, err := uf.updater(e, true)
	if err != nil {
		return err
	}
	path := f.Arg(0)
	if isURL(path) {
		local, err := download(ctx, e, path, *uf.versions)
		if err != nil {
			return err
		}
		defer os.Remove(local)
		path = local
	}
	return u.Update(ctx, path, update.Options{DryRun: *dry, AllowDowngrade: *down})
}

// packageBin is where hongmajia-kiosk installs its programs: the version
// seeded at install, and again when the versions directory has none.
const packageBin = "/usr/lib/hongmajia/bin"

// seedIfNone makes the programs in dir the current version when the
// versions directory has none (lost with the data partition, or emptied by
// hand), so that the unit's /usr/bin/kiosk, a link through "current",
// starts. An update still running (its journal there) is left to finish.
func seedIfNone(e *env, versions, dir, version string) error {
	in, err := update.ReadInstalled(versions)
	if err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	if in.Current != "" || in.Interrupted {
		return nil
	}
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("recover: no current version in %s, and none to seed it with: %w (reinstall hongmajia-kiosk)", versions, err)
	}
	if version == "" {
		return fmt.Errorf("recover: no current version in %s, and this kioskctl is a development build that does not know its version: kioskctl update --seed %s --version V", versions, dir)
	}
	if _, err := update.Seed(versions, dir, version, runtime.GOARCH, ledger.SchemaVersion()); err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	fmt.Fprintf(e.stdout, "no current version in %s: seeded %s from %s\n", versions, version, dir)
	return nil
}

func runRollback(e *env, args []string) error {
	f, uf := newUpdaterFlags(e, "rollback")
	force := f.Bool("force", false, "go back across a ledger migration: the backup from before it is put back and today's ledger set aside")
	if err := parseFlags(f, args); err != nil {
		return err
	}
	u, err := uf.updater(e, false)
	if err != nil {
		return err
	}
	ctx, stop := interruptible()
	defer stop()
	return u.Rollback(ctx, *force)
}

// runUpdateLedger is the updater's child: it touches the ledger as the data
// directory's owner, never as root (update.LedgerTool).
func runUpdateLedger(e *env, args []string) error {
	ctx, stop := interruptible()
	defer stop()
	return update.LedgerTool(ctx, args, e.stdout)
}

func runMigrate(e *env, args []string) error {
	f, data := newFlagSet(e, "migrate")
	if err := parseFlags(f, args); err != nil {
		return err
	}
	ctx, stop := interruptible()
	defer stop()
	l, err := openLedgerDir(ctx, *data)
	if err != nil {
		return err
	}
	rep, err := l.VerifyWith(ctx, ledger.VerifyOptions{Quick: true})
	l.Close()
	if err != nil {
		return err
	}
	if !rep.OK() {
		return fmt.Errorf("the migrated ledger fails verification: %v", rep.Problems)
	}
	fmt.Fprintf(e.stdout, "%s: schema %d, %d entries, verified\n", *data, ledger.SchemaVersion(), rep.Entries)
	return nil
}

func isURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// maxDownload bounds a bundle fetched over the network.
const maxDownload = 1 << 30

// download fetches a bundle into the versions directory (the disk it is
// unpacked on) and returns its path; it is checked like any other file.
func download(ctx context.Context, e *env, from, dir string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, from, nil)
	if err != nil {
		return "", fmt.Errorf("download: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("download: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("download %s: %s", from, resp.Status)
	}
	// Through the versions directory opened once and checked: root never
	// writes through a path the kiosk's user can swap.
	tmp, _, err := update.CreateDownload(dir)
	if err != nil {
		return "", fmt.Errorf("download: %w", err)
	}
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, maxDownload+1))
	if err == nil && n > maxDownload {
		err = fmt.Errorf("larger than %d bytes", maxDownload)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("download %s: %w", from, err)
	}
	fmt.Fprintf(e.stdout, "downloaded %s (%.1f MB) to %s\n", from, float64(n)/1e6, filepath.Base(tmp.Name()))
	return tmp.Name(), nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// stationActive says whether the headless station's unit runs here.
func stationActive(ctx context.Context) bool {
	return exec.CommandContext(ctx, "systemctl", "is-active", "--quiet", "hongmajia-station.service").Run() == nil
}
