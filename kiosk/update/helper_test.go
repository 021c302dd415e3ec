package update_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/kiosk/control"
	"github.com/hongmajia/hongmajia/kiosk/update"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/demo"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
)

// The test binary plays three programs besides the tests, chosen by
// roleEnv: the kiosk of a version (it answers health on the control socket
// as the file "behaviour" beside it says), that version's kioskctl migrate,
// and the updater run as a process of its own, so a test can kill it.
const roleEnv = "HONGMAJIA_UPDATE_TEST_ROLE"

func TestMain(m *testing.M) {
	role := os.Getenv(roleEnv)
	// A program the tests or the updater start without saying otherwise
	// is a version's kioskctl (the updater runs its migrate): the fake
	// service and killUpdaterAt name their roles, which come last and win.
	os.Setenv(roleEnv, "kioskctl")
	switch role {
	case "":
		dir, err := os.MkdirTemp("", "hmjb")
		if err != nil {
			panic(err)
		}
		// A version's programs are scripts that run this binary (see
		// release), so a bundle is small and quick to make. A copy where
		// any user may run it: the updater runs the ledger's part as the
		// data directory's owner.
		if err := os.Chmod(dir, 0o755); err != nil {
			panic(err)
		}
		exe, err := copyExecutable(dir)
		if err != nil {
			panic(err)
		}
		os.Setenv(exeEnv, exe)
		bundles.dir = dir
		bundles.key, bundles.otherKey = filepath.Join(dir, "release.key"), filepath.Join(dir, "other.key")
		for _, k := range []string{bundles.key, bundles.otherKey} {
			if _, err := update.Keygen(k, "test "+filepath.Base(k)); err != nil {
				panic(err)
			}
		}
		code := m.Run()
		os.RemoveAll(dir)
		os.Exit(code)
	case "kiosk":
		os.Exit(fakeKiosk(os.Args[1]))
	case "kioskctl":
		if len(os.Args) > 1 && os.Args[1] == update.ToolCommand {
			if err := update.LedgerTool(context.Background(), os.Args[2:], os.Stdout); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			os.Exit(0)
		}
		// kioskctl migrate --data DIR, as the new version's runMigrate calls it
		if len(os.Args) != 4 || os.Args[1] != "migrate" {
			fmt.Fprintln(os.Stderr, "fake kioskctl: want migrate --data DIR")
			os.Exit(2)
		}
		if err := bumpSchema(os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "updater":
		os.Exit(updaterProcess())
	}
	os.Exit(3)
}

// copyExecutable copies this test binary into dir.
func copyExecutable(dir string) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(self)
	if err != nil {
		return "", err
	}
	exe := filepath.Join(dir, "update.test")
	return exe, os.WriteFile(exe, b, 0o755)
}

// The test binary's path, and the directory of the version whose program
// runs it, for the scripts release writes.
const (
	exeEnv = "HONGMAJIA_UPDATE_TEST_EXE"
	dirEnv = "HONGMAJIA_UPDATE_TEST_DIR"
)

// program is a version's kiosk or kioskctl: this test binary, told which
// version's directory it runs from (resolved at its start, as a real
// program's path is through the "current" link).
const program = `#!/bin/sh
` + dirEnv + `="$(cd "$(dirname "$0")" && pwd -P)" exec "$` + exeEnv + `" "$@"
`

// versionFile reads a file of the running program's version.
func versionFile(name string) string {
	b, _ := os.ReadFile(filepath.Join(os.Getenv(dirEnv), name))
	return strings.TrimSpace(string(b))
}

func ownManifest() update.Manifest {
	var m update.Manifest
	if err := json.Unmarshal([]byte(versionFile("manifest.json")), &m); err != nil {
		panic(err)
	}
	return m
}

// bumpSchema stands for a migration this build does not have: it sets the
// ledger's schema to the version's MinSchema, which this program's ledger
// cannot open.
func bumpSchema(dir string) error {
	m := ownManifest()
	db, err := sql.Open("sqlite", filepath.Join(dir, ledger.FileName))
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(fmt.Sprintf("PRAGMA user_version = %d", m.MinSchema))
	return err
}

// fakeKiosk is a version's kiosk: "healthy", "sick" (answers health with a
// problem), "crash" (exits 2 at once), "migrate" (migrates the ledger as it
// starts, then healthy), "migrate-sick".
func fakeKiosk(data string) int {
	b := versionFile("behaviour")
	if b == "crash" {
		return 2
	}
	if strings.HasPrefix(b, "migrate") {
		if err := bumpSchema(data); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	ln, err := control.Listen(control.SocketPath(data))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	version := ownManifest().Version
	// events is where the kiosk notes its start (on probation or not) and
	// the commits it heard, for the tests to read.
	events := filepath.Join(filepath.Dir(data), "run", "events")
	note := func(line string) {
		f, err := os.OpenFile(events, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err == nil {
			fmt.Fprintln(f, line)
			f.Close()
		}
	}
	p, err := control.ReadProbation(data)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var mu sync.Mutex
	onProbation := p != nil
	note(fmt.Sprintf("start %s probation=%v", version, onProbation))
	srv := &control.Server{Handler: func(ctx context.Context, line string) (string, error) {
		switch line {
		case "version":
			return version, nil
		case "health":
			h := control.Health{OK: true, Mode: "screen", Screen: "ok", Ledger: "ok", Reader: "ok"}
			if strings.HasSuffix(b, "sick") {
				h = control.Health{Mode: "screen", Screen: "ok", Ledger: "ok", Reader: "mfrc522 /dev/spidev0.0: wiring",
					Problems: []string{"reader: mfrc522 /dev/spidev0.0: wiring"}}
			}
			// The hardware: a reader unplugged fails every version's.
			if _, err := os.Stat(filepath.Join(data, "unplugged")); err == nil {
				h.OK, h.Reader = false, "mfrc522 /dev/spidev0.0: no answer"
				h.Problems = []string{"reader: " + h.Reader}
			}
			mu.Lock()
			h.Probation = onProbation
			mu.Unlock()
			j, err := json.Marshal(h)
			return string(j), err
		case "commit":
			mu.Lock()
			defer mu.Unlock()
			if !onProbation {
				return "not on probation", nil
			}
			onProbation = false
			os.Remove(filepath.Join(data, control.ProbationFile))
			note("commit " + version)
			return "committed", nil
		}
		return "", fmt.Errorf("unknown command %q", line)
	}}
	ctx, stop := signalContext()
	defer stop()
	if err := srv.Serve(ctx, ln); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 1)
	signalNotify(ch)
	go func() {
		<-ch
		cancel()
	}()
	return ctx, cancel
}

// fakeService stands for systemd, which cannot run here: it starts the
// current version's kiosk as a process of its own and stops it by the pid
// it recorded, from whichever process asks.
type fakeService struct {
	versions, data, run string
	mu                  sync.Mutex
	starts              int
}

func (s *fakeService) pidFile() string { return filepath.Join(s.run, "kiosk.pid") }

func (s *fakeService) Stop(ctx context.Context) error {
	b, err := os.ReadFile(s.pidFile())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return err
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; alive(pid); i++ {
		if i == 200 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return os.Remove(s.pidFile())
}

// alive: the process exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
}

func (s *fakeService) Start(ctx context.Context) error {
	s.mu.Lock()
	s.starts++
	s.mu.Unlock()
	cmd := exec.Command(filepath.Join(s.versions, "current", "kiosk"), s.data)
	cmd.Env = append(os.Environ(), roleEnv+"=kiosk")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	log, err := os.OpenFile(filepath.Join(s.run, "kiosk.log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() // reaped when it ends; a killed updater's child is init's
	return os.WriteFile(s.pidFile(), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644)
}

// kiosk is one test's kiosk: a data directory with a real ledger, a
// versions directory with 1.0.0 current and running, a trusted key.
type kiosk struct {
	t                             *testing.T
	root, data, versions, trusted string
	key                           string
	svc                           *fakeService
	entries                       uint64
}

// shortTemp is a directory whose socket paths fit in 108 bytes.
func shortTemp(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "hmju")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func newKiosk(t *testing.T) *kiosk {
	t.Helper()
	root := shortTemp(t)
	// Traversable by the data directory's owner, when a test gives it
	// another one.
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	k := &kiosk{t: t, root: root, data: filepath.Join(root, "d"), versions: filepath.Join(root, "v"),
		trusted: filepath.Join(root, "trusted"), key: bundles.key}
	for _, d := range []string{k.versions, k.trusted, filepath.Join(root, "run")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	clk := clock.NewFake(ledgertest.Start)
	if _, err := demo.Create(context.Background(), k.data, demo.Options{People: 6, Entries: 40, Days: 3,
		Ledger: ledgertest.Options(clk, clock.NewFakeSync(true))}); err != nil {
		t.Fatal(err)
	}
	pub, err := os.ReadFile(bundles.key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(k.trusted, "release.pub"), pub, 0o644); err != nil {
		t.Fatal(err)
	}
	src := k.release("healthy", root)
	if ok, err := update.Seed(k.versions, src, "1.0.0", runtime.GOARCH, ledger.SchemaVersion()); err != nil || !ok {
		t.Fatal(ok, err)
	}
	k.svc = &fakeService{versions: k.versions, data: k.data, run: filepath.Join(root, "run")}
	if err := k.svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.svc.Stop(context.Background()) })
	k.waitRunning("1.0.0")
	k.entries = k.verify()
	return k
}

// release is a directory with a version's files: the kiosk and kioskctl
// (scripts that run this test binary) and its behaviour.
func (k *kiosk) release(behaviour, parent string) string {
	k.t.Helper()
	dir, err := os.MkdirTemp(parent, "rel")
	if err != nil {
		k.t.Fatal(err)
	}
	for _, n := range []string{"kiosk", "kioskctl"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(program), 0o755); err != nil {
			k.t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "behaviour"), []byte(behaviour+"\n"), 0o644); err != nil {
		k.t.Fatal(err)
	}
	return dir
}

// bundle makes a signed bundle of a version with a behaviour.
func (k *kiosk) bundle(version, behaviour string, minSchema int) string {
	k.t.Helper()
	return k.bundleWith(k.key, version, behaviour, minSchema, "")
}

// bundles are made once for every test that asks for the same one.
var bundles struct {
	dir           string
	key, otherKey string // signing keys; kiosks trust key alone
	mu            sync.Mutex
	made          map[string]string
}

func (k *kiosk) bundleWith(keyPath, version, behaviour string, minSchema int, arch string) string {
	k.t.Helper()
	id := fmt.Sprintf("%s-%s-%d-%s-%s", version, behaviour, minSchema, arch, filepath.Base(keyPath))
	bundles.mu.Lock()
	defer bundles.mu.Unlock()
	if p, ok := bundles.made[id]; ok {
		return p
	}
	key, err := update.ReadSigningKey(keyPath)
	if err != nil {
		k.t.Fatal(err)
	}
	src := k.release(behaviour, bundles.dir)
	out := filepath.Join(bundles.dir, id+".bundle")
	f, err := os.Create(out)
	if err != nil {
		k.t.Fatal(err)
	}
	defer f.Close()
	files := []string{filepath.Join(src, "kiosk"), filepath.Join(src, "kioskctl"), filepath.Join(src, "behaviour")}
	if arch == "" {
		arch = runtime.GOARCH // scripts say no architecture of their own
	}
	if _, err := update.Build(f, key, files, update.BuildOptions{Version: version, MinSchema: minSchema, Arch: arch,
		Created: ledgertest.Start}); err != nil {
		k.t.Fatal(err)
	}
	if bundles.made == nil {
		bundles.made = map[string]string{}
	}
	bundles.made[id] = out
	return out
}

func (k *kiosk) updater(log *strings.Builder) *update.Updater {
	k.t.Helper()
	keys, err := update.LoadTrusted(k.trusted)
	if err != nil {
		k.t.Fatal(err)
	}
	u := &update.Updater{Versions: k.versions, Data: k.data, Trusted: keys, Arch: runtime.GOARCH, Service: k.svc,
		HealthTimeout: 3 * time.Second}
	if log != nil {
		u.Log = log
	}
	return u
}

// ask asks the running kiosk one control command.
func (k *kiosk) ask(line string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return control.Request(ctx, control.SocketPath(k.data), line)
}

// waitRunning waits until the kiosk that answers is version v.
func (k *kiosk) waitRunning(v string) {
	k.t.Helper()
	var got string
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got, err = k.ask("version"); err == nil && got == v {
			return
		}
	}
	k.t.Fatalf("the running kiosk is %q (%v), want %s", got, err, v)
}

// events are what the kiosk's versions noted: their starts and commits.
func (k *kiosk) events() string {
	b, _ := os.ReadFile(filepath.Join(k.root, "run", "events"))
	return string(b)
}

func (k *kiosk) installed() update.Installed {
	k.t.Helper()
	in, err := update.ReadInstalled(k.versions)
	if err != nil {
		k.t.Fatal(err)
	}
	return in
}

// verify checks the ledger as the current version would and returns its
// entries.
func (k *kiosk) verify() uint64 {
	k.t.Helper()
	rep, err := ledger.VerifyFile(context.Background(), filepath.Join(k.data, ledger.FileName))
	if err != nil {
		k.t.Fatal(err)
	}
	if !rep.OK() {
		k.t.Fatalf("ledger: %v", rep.Problems)
	}
	return rep.Entries
}

// settled checks the state after an update, failed or killed and
// recovered: exactly version want is current, runs and answers, no update
// is in progress, nothing is left half-done, and (for a version of this
// build's schema) the ledger verifies with every entry it had.
func (k *kiosk) settled(want string) {
	k.t.Helper()
	in := k.installed()
	if in.Current != want || in.Interrupted {
		k.t.Fatalf("installed %+v, want %s current and no update in progress", in, want)
	}
	k.waitRunning(want)
	left, _ := filepath.Glob(filepath.Join(k.versions, ".tmp-*"))
	if len(left) > 0 {
		k.t.Errorf("left behind: %v", left)
	}
	schema, err := ledger.SchemaOf(context.Background(), k.data)
	if err != nil {
		k.t.Fatal(err)
	}
	if schema == ledger.SchemaVersion() {
		if got := k.verify(); got != k.entries {
			k.t.Errorf("ledger holds %d entries, had %d", got, k.entries)
		}
	}
}

// updaterProcess is the updater in a process of its own: it updates to the
// bundle and, at the failpoint, says so on stdout and waits to be killed.
func updaterProcess() int {
	env := func(n string) string { return os.Getenv("HONGMAJIA_UPDATE_TEST_" + n) }
	keys, err := update.LoadTrusted(env("TRUSTED"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	svc := &fakeService{versions: env("VERSIONS"), data: env("DATA"), run: env("RUN")}
	u := &update.Updater{Versions: env("VERSIONS"), Data: env("DATA"), Trusted: keys, Arch: runtime.GOARCH,
		Service: svc, HealthTimeout: 30 * time.Second, Log: os.Stderr}
	at := env("FAILPOINT")
	u.Failpoint = func(step string) {
		if step == at {
			fmt.Printf("FAILPOINT %s\n", step)
			select {}
		}
	}
	if err := u.Update(context.Background(), env("BUNDLE"), update.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// killUpdaterAt runs the updater as a process, and SIGKILLs it once it
// reaches step.
func (k *kiosk) killUpdaterAt(bundle, step string) {
	k.t.Helper()
	exe, _ := os.Executable()
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), roleEnv+"=updater",
		"HONGMAJIA_UPDATE_TEST_TRUSTED="+k.trusted, "HONGMAJIA_UPDATE_TEST_VERSIONS="+k.versions,
		"HONGMAJIA_UPDATE_TEST_DATA="+k.data, "HONGMAJIA_UPDATE_TEST_RUN="+k.svc.run,
		"HONGMAJIA_UPDATE_TEST_FAILPOINT="+step, "HONGMAJIA_UPDATE_TEST_BUNDLE="+bundle)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		k.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		k.t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "FAILPOINT "+step+"\n" {
		cmd.Wait()
		k.t.Fatalf("the updater did not reach %s: %q\n%s", step, line, stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		k.t.Fatal(err)
	}
	cmd.Wait()
	k.t.Logf("updater killed at %s; its log:\n%s", step, stderr.String())
}
