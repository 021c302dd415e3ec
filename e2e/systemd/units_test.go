package systemd_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/internal/sdnotify"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/demo"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
)

const (
	kioskUnit   = "hongmajia-kiosk.service"
	stationUnit = "hongmajia-station.service"
	// testBin is where the container finds the kiosk's stand-in and the
	// real kiosk binary built for the test.
	testBin = "/opt/hongmajia-test"
	// standinName is the stand-in's file name: this test binary, copied
	// into the container, behaves as a kiosk when started by that name.
	standinName = "kiosk-standin"
)

// The test's timings, shorter than the units' (RestartSec=5,
// WatchdogSec=30) so that it takes seconds; the start limit
// (StartLimitBurst, StartLimitIntervalSec) is the units' own.
const (
	restartSec    = "200ms"
	watchdogLimit = 3 * time.Second
)

func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == standinName {
		os.Exit(standin(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// standin is a kiosk in one way systemd sees: "exit2", a UI that fails at
// once; "hang", a kiosk whose first screen is drawn (READY=1), alive for
// two watchdog intervals (WATCHDOG=1, as the frame loop sends it), then
// stuck.
func standin(args []string) int {
	say := func(format string, a ...any) { fmt.Fprintf(os.Stderr, "kiosk stand-in: "+format+"\n", a...) }
	if len(args) != 1 {
		say("usage: %s exit2|hang", standinName)
		return 64
	}
	switch args[0] {
	case "exit2":
		say("the UI fails: exit 2")
		return 2
	case "hang":
		interval, err := sdnotify.WatchdogInterval()
		if err != nil || interval == 0 {
			say("no watchdog (WATCHDOG_USEC): %v", err)
			return 1
		}
		if _, err := sdnotify.Notify(sdnotify.Ready, sdnotify.Status("stand-in drawn")); err != nil {
			say("%v", err)
			return 1
		}
		for range 8 {
			if _, err := sdnotify.Notify(sdnotify.Watchdog); err != nil {
				say("%v", err)
				return 1
			}
			time.Sleep(interval / 4)
		}
		say("alive for two watchdog intervals; now stuck")
		for {
			time.Sleep(time.Hour)
		}
	}
	say("unknown behaviour %q", args[0])
	return 64
}

// unitSetting is a setting's value in one of deploy/systemd's units.
func unitSetting(t *testing.T, unit, key string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../deploy/systemd", unit))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && k == key {
			return v
		}
	}
	t.Fatalf("%s has no %s=", unit, key)
	return ""
}

// dropInHead is what every drop-in of the test changes: no ExecStartPre
// (kioskctl's recovery of an interrupted update is not installed in the
// container), and the shorter timings.
func dropInHead() string {
	return fmt.Sprintf(`# The test's changes to deploy/systemd's unit; the rest is the unit's own.
[Service]
ExecStartPre=
RestartSec=%s
WatchdogSec=%d
ExecStart=
ExecStart=`, restartSec, int(watchdogLimit/time.Second))
}

// kioskDropIn runs the stand-in in behaviour instead of `kiosk session`,
// which needs X on tty7 and a PAM session with logind, neither of which a
// container has.
func kioskDropIn(behaviour string) string {
	return dropInHead() + testBin + "/" + standinName + " " + behaviour + `
PAMName=
TTYPath=
TTYReset=no
TTYVHangup=no
StandardInput=null
`
}

// stationDropIn runs the real kiosk binary, built for the test, with the
// unit's own arguments.
func stationDropIn(t *testing.T) string {
	exec := unitSetting(t, stationUnit, "ExecStart")
	if !strings.HasPrefix(exec, "/usr/bin/kiosk ") {
		t.Fatalf("%s: ExecStart=%s, want /usr/bin/kiosk …", stationUnit, exec)
	}
	return dropInHead() + testBin + "/kiosk" + strings.TrimPrefix(exec, "/usr/bin/kiosk") + "\n"
}

// newRoot makes the container's root: the host's merged-/usr links, the
// package's user and groups (its sysusers file on systemd's basic one) and
// data directory (its tmpfiles file), the units unchanged, a demo ledger
// owned by the kiosk's user, a configuration with the simulated reader,
// and the test's binaries.
func newRoot(t *testing.T) (root string, binds []string) {
	t.Helper()
	root = filepath.Join(t.TempDir(), "root")
	for _, d := range []string{"usr", "etc/systemd/system", "etc/hongmajia", "var/lib", "var/tmp", "tmp", "opt/hongmajia-test"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"tmp", "var/tmp"} {
		if err := os.Chmod(filepath.Join(root, d), 0o1777); err != nil {
			t.Fatal(err)
		}
	}
	// /bin, /lib… are links into /usr on Debian; a host without merged
	// /usr lends its directories read-only.
	for _, d := range []string{"bin", "sbin", "lib", "lib32", "lib64", "libx32"} {
		if target, err := os.Readlink("/" + d); err == nil {
			if err := os.Symlink(target, filepath.Join(root, d)); err != nil {
				t.Fatal(err)
			}
		} else if _, err := os.Stat("/" + d); err == nil {
			binds = append(binds, "/"+d)
		}
	}
	osRelease, err := os.ReadFile("/etc/os-release")
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(root, "etc/os-release"), string(osRelease), 0o644)
	write(t, filepath.Join(root, "etc/machine-id"), machineID(), 0o444)
	write(t, filepath.Join(root, "etc/systemd/system/default.target"), "[Unit]\nDescription=The test's boot: the basic system\nRequires=basic.target\nAfter=basic.target\n", 0o644)

	deploy, err := filepath.Abs("../../deploy")
	if err != nil {
		t.Fatal(err)
	}
	tool(t, "systemd-sysusers", "--root="+root, "/usr/lib/sysusers.d/basic.conf", filepath.Join(deploy, "systemd/hongmajia.sysusers"))
	tool(t, "systemd-tmpfiles", "--root="+root, "--create", filepath.Join(deploy, "systemd/hongmajia.tmpfiles"))
	for _, unit := range []string{kioskUnit, stationUnit} {
		b, err := os.ReadFile(filepath.Join(deploy, "systemd", unit))
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(root, "etc/systemd/system", unit), string(b), 0o644)
	}
	write(t, filepath.Join(root, "etc/hongmajia/kiosk.toml"), "data = \"/var/lib/hongmajia\"\n\n[reader]\nkind = \"sim\"\n", 0o644)

	data := filepath.Join(root, "var/lib/hongmajia")
	if _, err := demo.Create(context.Background(), data, demo.Options{People: 10, NoHistory: true,
		Ledger: ledger.Options{PIN: ledgertest.CheapPIN}}); err != nil {
		t.Fatal(err)
	}
	uid, gid := lookupID(t, root, "passwd", "hongmajia"), lookupID(t, root, "group", "hongmajia")
	if err := filepath.WalkDir(data, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	}); err != nil {
		t.Fatal(err)
	}

	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(root, "opt/hongmajia-test", standinName), string(b), 0o755)
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	build := exec.Command(gobin, "build", "-o", filepath.Join(root, "opt/hongmajia-test/kiosk"), "./cmd/kiosk")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build cmd/kiosk: %v\n%s", err, out)
	}
	return root, binds
}

func write(t *testing.T, path, s string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), mode); err != nil {
		t.Fatal(err)
	}
}

func tool(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// TestUnitsUnderSystemd boots a container and proves the units' restart
// policy and watchdog with systemd itself.
func TestUnitsUnderSystemd(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("the units' test runs as root (as make test does): it boots a container with systemd-nspawn")
	}
	root, binds := newRoot(t)
	m := boot(t, root, binds)

	t.Run("a UI that exits 2 is restarted, then stopped at the start limit", func(t *testing.T) {
		m.t = t
		burst, err := strconv.Atoi(unitSetting(t, kioskUnit, "StartLimitBurst"))
		if err != nil {
			t.Fatal(err)
		}
		m.dropIn(kioskUnit, kioskDropIn("exit2"))
		m.must("systemctl", "start", "--no-block", kioskUnit)
		// systemd 252 keeps the last run's result ('exit-code'; later ones
		// say 'start-limit-hit') and says in the journal why it gave up.
		props := m.await(kioskUnit, "stopped at the start limit", 30*time.Second, func(p map[string]string) bool {
			return p["ActiveState"] == "failed" && strings.Contains(m.journal(kioskUnit), "Start request repeated too quickly.")
		})
		if props["NRestarts"] != strconv.Itoa(burst) || props["ExecMainStatus"] != "2" {
			t.Errorf("NRestarts=%s ExecMainStatus=%s, want %d restarts of a UI that exits 2", props["NRestarts"], props["ExecMainStatus"], burst)
		}
		journal := m.journal(kioskUnit)
		if n := strings.Count(journal, "kiosk stand-in: the UI fails: exit 2"); n != burst {
			t.Errorf("the UI ran %d times, want StartLimitBurst=%d:\n%s", n, burst, journal)
		}
		if !inOrder(journal, []string{"status=2/", fmt.Sprintf("restart counter is at %d.", burst), "Start request repeated too quickly."}) {
			t.Errorf("the journal does not say that the UI exited 2 and was restarted until the limit:\n%s", journal)
		}
		// Stopped means stopped: nothing restarts it, and a start by hand
		// within StartLimitIntervalSec is refused until a technician resets
		// it (systemctl reset-failed).
		time.Sleep(time.Second)
		if out, err := m.run(30*time.Second, "systemctl", "start", kioskUnit); err == nil {
			t.Errorf("a start within StartLimitIntervalSec succeeded: %s", out)
		}
		if n := strings.Count(m.journal(kioskUnit), "Start request repeated too quickly."); n != 2 {
			t.Errorf("the start by hand was refused %d times for the start limit, want once:\n%s", n-1, m.journal(kioskUnit))
		}
		if p := m.show(kioskUnit); p["ActiveState"] != "failed" {
			t.Errorf("after a start by hand: %v", p)
		}
		if n := strings.Count(m.journal(kioskUnit), "kiosk stand-in: the UI fails: exit 2"); n != burst {
			t.Errorf("the UI ran %d times after the start limit, want %d", n, burst)
		}
		m.must("systemctl", "reset-failed", kioskUnit)
	})

	t.Run("a kiosk that stops telling the watchdog is killed and restarted", func(t *testing.T) {
		m.t = t
		m.dropIn(kioskUnit, kioskDropIn("hang"))
		// Type=notify: start returns once the stand-in said READY=1.
		m.must("systemctl", "start", kioskUnit)
		first := m.show(kioskUnit)
		if first["ActiveState"] != "active" || first["StatusText"] != "stand-in drawn" {
			t.Fatalf("after start: %v", first)
		}
		again := m.await(kioskUnit, "restarted after the watchdog", 30*time.Second, func(p map[string]string) bool {
			return p["NRestarts"] == "1" && p["ActiveState"] == "active" && p["MainPID"] != first["MainPID"]
		})
		t.Logf("restarted: %v", again)
		// Alive as long as WATCHDOG=1 came (two intervals), killed by the
		// watchdog only once it stopped.
		m.awaitJournal(kioskUnit,
			"kiosk stand-in: alive for two watchdog intervals; now stuck",
			fmt.Sprintf("Watchdog timeout (limit %ds)!", int(watchdogLimit/time.Second)),
			"Failed with result 'watchdog'.")
		m.must("systemctl", "stop", kioskUnit)
	})

	t.Run("the headless station is ready, kept alive by App.Watch, and restarted when it hangs", func(t *testing.T) {
		m.t = t
		m.dropIn(stationUnit, stationDropIn(t))
		// Type=notify: start returns once the station said READY=1.
		m.must("systemctl", "start", stationUnit)
		first := m.show(stationUnit)
		if first["ActiveState"] != "active" || first["SubState"] != "running" || first["StatusText"] != "serving" {
			t.Fatalf("after start: %v\n%s", first, m.journal(stationUnit))
		}
		if user := m.must("stat", "-c", "%U", "/proc/"+first["MainPID"]); user != "hongmajia" {
			t.Errorf("the station runs as %q, want hongmajia", user)
		}
		// Two watchdog intervals later it has not been restarted: its
		// WATCHDOG=1 messages reach systemd through the unit.
		time.Sleep(2 * watchdogLimit)
		if p := m.show(stationUnit); p["ActiveState"] != "active" || p["NRestarts"] != "0" || p["MainPID"] != first["MainPID"] {
			t.Fatalf("after two watchdog intervals: %v\n%s", p, m.journal(stationUnit))
		}
		// A station that hangs (stopped by SIGSTOP: its loop and its watchdog
		// messages stand still) is killed and started again.
		m.must("systemctl", "kill", "--signal=SIGSTOP", stationUnit)
		m.await(stationUnit, "restarted after the watchdog", 40*time.Second, func(p map[string]string) bool {
			return p["NRestarts"] == "1" && p["ActiveState"] == "active" && p["MainPID"] != first["MainPID"]
		})
		m.awaitJournal(stationUnit,
			"kiosk: headless station on /var/lib/hongmajia",
			fmt.Sprintf("Watchdog timeout (limit %ds)!", int(watchdogLimit/time.Second)),
			"Failed with result 'watchdog'.",
			"kiosk: headless station on /var/lib/hongmajia")
		// Stopped by hand, it closes its ledger and exits 0.
		m.must("systemctl", "stop", stationUnit)
		if p := m.show(stationUnit); p["ActiveState"] != "inactive" || p["Result"] != "success" {
			t.Errorf("after stop: %v\n%s", p, m.journal(stationUnit))
		}
		m.awaitJournal(stationUnit, "Failed with result 'watchdog'.", "kiosk: stopped")
	})
}
