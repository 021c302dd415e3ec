package debpkg_test

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/internal/debpkg"
)

// The packages are built from the repository's deploy/ with stand-in
// binaries (shell scripts that print their name and the version; kioskctl
// is the real one, which postinst runs to seed the versions directory), then
// installed, upgraded, removed and purged with the real dpkg in a throwaway
// root. The maintainer scripts run outside a chroot with DPKG_ROOT set
// (--force-script-chrootless), so the user they make and the data
// directory are in the throwaway root's /etc/passwd and /var/lib.

const repo = "../.."

var mtime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// tools are programs the tests build once: the real kioskctl, which
// postinst runs, and mkdeb, which makes the packages a test installs out of
// this test binary (-race slows nfpm's gzip of real programs to minutes).
var tools struct {
	once sync.Once
	dir  string
	err  error
}

// tool is the path of the tool built from ./cmd/kioskctl or
// ./internal/debpkg/mkdeb.
func tool(t *testing.T, name string) string {
	t.Helper()
	tools.once.Do(func() {
		if tools.dir, tools.err = os.MkdirTemp("", "debpkg-tools-"); tools.err != nil {
			return
		}
		out, err := exec.Command("go", "build", "-ldflags=-s -w", "-o", tools.dir+"/", repo+"/cmd/kioskctl", repo+"/internal/debpkg/mkdeb").CombinedOutput()
		if err != nil {
			tools.err = fmt.Errorf("go build kioskctl mkdeb: %v\n%s", err, out)
		}
	})
	if tools.err != nil {
		t.Fatal(tools.err)
	}
	return filepath.Join(tools.dir, name)
}

func kioskctl(t *testing.T) string { return tool(t, "kioskctl") }

// mkdeb makes the kiosk's amd64 package from bin with mkdeb and returns
// its path.
func mkdeb(t *testing.T, root, bin, version string) string {
	t.Helper()
	p, err := mkdebIn(tool(t, "mkdeb"), root, bin, version, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// mkdebIn is mkdeb's, for a goroutine: it writes into out and returns the
// package's path or what mkdeb said.
func mkdebIn(mkdeb, root, bin, version, out string) (string, error) {
	b, err := exec.Command(mkdeb, "--package", debpkg.Kiosk, "--arch", "amd64", "--bin", bin, "--version", version,
		"--root", root, "-o", out, "--mtime", strconv.FormatInt(mtime.Unix(), 10)).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("mkdeb: %v\n%s", err, b)
	}
	return strings.TrimSpace(string(b)), nil
}

func TestMain(m *testing.M) {
	// The update test's stand-in for systemctl is this binary.
	if filepath.Base(os.Args[0]) == "systemctl" {
		os.Exit(fakeSystemctl())
	}
	code := m.Run()
	if tools.dir != "" {
		os.RemoveAll(tools.dir)
	}
	os.Exit(code)
}

// stubs writes the four binaries, each printing its name and version.
func stubs(t *testing.T, version string) string {
	t.Helper()
	dir := t.TempDir()
	for _, b := range []string{"kiosk", "kiosk-screen", "kioskctl", "hubd"} {
		script := "#!/bin/sh\necho " + b + " " + version + "\n"
		if err := os.WriteFile(filepath.Join(dir, b), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// build makes both packages for arch from root (the repository or a copy)
// and returns their paths by name.
func build(t *testing.T, root, arch, version string) map[string]string {
	t.Helper()
	out := t.TempDir()
	paths, err := debpkg.WriteAll(debpkg.Options{Root: root, Bin: stubs(t, version), Arch: arch, Version: version, MTime: mtime}, out)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range paths {
		got[strings.SplitN(filepath.Base(p), "_", 2)[0]] = p
	}
	if got[debpkg.Kiosk] == "" || got[debpkg.Hub] == "" {
		t.Fatalf("WriteAll made %v, want both packages", paths)
	}
	return got
}

// installable is the kiosk's amd64 package for a test that installs it:
// its postinst runs kioskctl, so kioskctl is the real one.
func installable(t *testing.T, root, version string) string {
	t.Helper()
	bin := stubs(t, version)
	write(t, filepath.Join(bin, "kioskctl"), read(t, kioskctl(t)))
	return mkdeb(t, root, bin, version)
}

// throwawayRoot is an empty dpkg database and the passwd and group files
// of a fresh Debian (root, and the device groups udev's own sysusers
// makes), without spi and gpio, which only Raspberry Pi OS has.
func throwawayRoot(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("the package test runs as root (as make test does): dpkg --root installs files owned by root and by the user the package makes")
	}
	root := t.TempDir()
	for _, d := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates", "etc"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(t, filepath.Join(root, "var/lib/dpkg/status"), "")
	write(t, filepath.Join(root, "var/lib/dpkg/available"), "")
	write(t, filepath.Join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/bash\n")
	write(t, filepath.Join(root, "etc/group"), "root:x:0:\nlp:x:7:\ndialout:x:20:\naudio:x:29:\nvideo:x:44:\ninput:x:101:\nrender:x:102:\n")
	return root
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dpkg runs dpkg on root and returns what it printed; the dependencies
// (libraries, X) are not in the throwaway root, so they are forced.
func dpkg(t *testing.T, root string, args ...string) string {
	t.Helper()
	out, err := dpkgErr(root, args...)
	if err != nil {
		t.Fatalf("dpkg %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func dpkgErr(root string, args ...string) (string, error) {
	cmd := exec.Command("dpkg", append([]string{"--root=" + root, "--force-script-chrootless", "--force-depends", "--log=/dev/null"}, args...)...)
	// dpkg looks for ldconfig and start-stop-daemon on PATH.
	cmd.Env = append(os.Environ(), "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND=noninteractive")
	cmd.Stdin = nil
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// field is a control field of a .deb, as dpkg-deb reads it.
func field(t *testing.T, deb, name string) string {
	t.Helper()
	out, err := exec.Command("dpkg-deb", "--field", deb, name).Output()
	if err != nil {
		t.Fatalf("dpkg-deb --field %s %s: %v", deb, name, err)
	}
	return strings.TrimSpace(string(out))
}

// entry is a line of /etc/passwd or /etc/group in root, by its name.
func entry(t *testing.T, root, file, name string) []string {
	t.Helper()
	for line := range strings.Lines(read(t, filepath.Join(root, "etc", file))) {
		f := strings.Split(strings.TrimSpace(line), ":")
		if f[0] == name {
			return f
		}
	}
	t.Fatalf("%s: no %s in %s", file, name, read(t, filepath.Join(root, "etc", file)))
	return nil
}

type want struct {
	mode     fs.FileMode
	uid, gid uint32
}

func checkFile(t *testing.T, root, path string, w want) {
	t.Helper()
	st, err := os.Lstat(filepath.Join(root, path))
	if err != nil {
		t.Errorf("%s: %v", path, err)
		return
	}
	sys := st.Sys().(*syscall.Stat_t)
	if st.Mode().Perm() != w.mode || sys.Uid != w.uid || sys.Gid != w.gid {
		t.Errorf("%s: mode %v owner %d:%d, want %v %d:%d", path, st.Mode().Perm(), sys.Uid, sys.Gid, w.mode, w.uid, w.gid)
	}
}

func atoi(t *testing.T, s string) uint32 {
	t.Helper()
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		t.Fatal(err)
	}
	return uint32(n)
}

func TestKioskPackageDeclaresWhatTheScreenNeeds(t *testing.T) {
	for _, arch := range debpkg.Arches {
		deb := build(t, repo, arch, "0.11.1")[debpkg.Kiosk]
		if got := field(t, deb, "Architecture"); got != arch {
			t.Errorf("%s: Architecture %q", deb, got)
		}
		if got := field(t, deb, "Version"); got != "0.11.1" {
			t.Errorf("%s: Version %q", deb, got)
		}
		depends := strings.Split(field(t, deb, "Depends"), ", ")
		// libasound2 (kiosk-screen does not start without it), libgles2
		// (ebiten's first graphics path), Mesa's drivers, a bare X server
		// with libinput for the touch panel.
		for _, p := range []string{"libasound2t64 | libasound2", "libx11-6", "libgles2", "libgl1", "libgl1-mesa-dri", "xserver-xorg-core", "xserver-xorg-input-libinput", "systemd"} {
			found := false
			for _, d := range depends {
				found = found || d == p
			}
			if !found {
				t.Errorf("%s: Depends %v lacks %q", deb, depends, p)
			}
		}
		if got := field(t, deb, "Recommends"); got != "fonts-wqy-microhei" {
			t.Errorf("%s: Recommends %q, want fonts-wqy-microhei", deb, got)
		}
	}
}

// Every name the kiosk's Depends gives is a package Debian has (apt-cache
// knows it here, on bookworm; libasound2t64 is trixie's and has its
// alternative). One apt-cache for all: it prints those it knows.
func TestKioskDependsAreDebianPackages(t *testing.T) {
	deb := build(t, repo, "amd64", "0.11.1")[debpkg.Kiosk]
	depends := strings.Split(field(t, deb, "Depends"), ", ")
	args := []string{"show", "--no-all-versions"}
	for _, d := range depends {
		args = append(args, strings.Split(d, " | ")...)
	}
	out, _ := exec.Command("apt-cache", args...).Output()
	known := map[string]bool{}
	for line := range strings.Lines(string(out)) {
		if name, ok := strings.CutPrefix(strings.TrimSpace(line), "Package: "); ok {
			known[name] = true
		}
	}
	if !known["libc6"] {
		t.Fatalf("apt-cache knows no libc6: its lists are empty (make deps-test runs apt-get update)")
	}
	for _, d := range depends {
		ok := false
		for _, a := range strings.Split(d, " | ") {
			ok = ok || known[a]
		}
		if !ok {
			t.Errorf("Depends %q: not a package apt-cache knows", d)
		}
	}
}

func TestKioskPackageInstallsUpgradesRemovesAndPurges(t *testing.T) {
	root := throwawayRoot(t)
	v1 := installable(t, repo, "0.11.1")
	out := dpkg(t, root, "-i", v1)
	if !strings.Contains(out, "kioskctl init") || !strings.Contains(out, "adduser $USER hongmajia") {
		t.Errorf("the first install does not say what to do next:\n%s", out)
	}

	// The user hongmajia and its group; technicians join the group, the
	// user is in the device groups (spi and gpio made, as on plain Debian).
	u := entry(t, root, "passwd", "hongmajia")
	if u[5] != "/var/lib/hongmajia" || u[6] != "/usr/sbin/nologin" {
		t.Errorf("passwd hongmajia: %v", u)
	}
	uid, gid := atoi(t, u[2]), atoi(t, u[3])
	if uid == 0 || uid >= 1000 {
		t.Errorf("hongmajia's uid %d: want a system user", uid)
	}
	if g := entry(t, root, "group", "hongmajia"); atoi(t, g[2]) != gid {
		t.Errorf("group hongmajia %v, want gid %d", g, gid)
	}
	for _, group := range []string{"spi", "gpio", "input", "video", "render", "audio", "lp", "dialout"} {
		if g := entry(t, root, "group", group); !strings.Contains(","+g[3]+",", ",hongmajia,") {
			t.Errorf("group %s: %v, want hongmajia in it", group, g)
		}
	}
	if g := entry(t, root, "group", "input"); g[2] != "101" {
		t.Errorf("group input %v: an existing group's gid changed", g)
	}

	rootOwned := func(mode fs.FileMode) want { return want{mode, 0, 0} }
	for path, w := range map[string]want{
		"usr/lib/hongmajia/bin/kiosk":                      rootOwned(0o755),
		"usr/lib/hongmajia/bin/kiosk-screen":               rootOwned(0o755),
		"usr/lib/hongmajia/bin/kioskctl":                   rootOwned(0o755),
		"usr/bin/kioskctl":                                 rootOwned(0o755),
		"var/lib/hongmajia/versions":                       rootOwned(0o755),
		"etc/hongmajia/trusted-keys":                       rootOwned(0o755),
		"usr/lib/systemd/system/hongmajia-kiosk.service":   rootOwned(0o644),
		"usr/lib/systemd/system/hongmajia-station.service": rootOwned(0o644),
		"usr/lib/systemd/system/hongmajia-update.path":     rootOwned(0o644),
		"usr/lib/systemd/system/hongmajia-update.service":  rootOwned(0o644),
		"usr/lib/sysusers.d/hongmajia.conf":                rootOwned(0o644),
		"usr/lib/tmpfiles.d/hongmajia.conf":                rootOwned(0o644),
		"usr/lib/udev/rules.d/60-hongmajia.rules":          rootOwned(0o644),
		"etc/hongmajia/kiosk.toml":                         rootOwned(0o644),
		"usr/share/doc/hongmajia-kiosk/README.md":          rootOwned(0o644),
		"var/lib/hongmajia":                                {0o750, uid, gid},
	} {
		checkFile(t, root, path, w)
	}
	// Each unit of the repository is installed as it is there.
	units, _ := filepath.Glob(filepath.Join(repo, "deploy/systemd/*.service"))
	if len(units) < 2 {
		t.Fatalf("units in deploy/systemd: %v", units)
	}
	for _, u := range units {
		if read(t, filepath.Join(root, "usr/lib/systemd/system", filepath.Base(u))) != read(t, u) {
			t.Errorf("%s differs from the repository's", filepath.Base(u))
		}
	}
	checkExec(t, root, units)
	// The layout: root runs the package's kioskctl, never one found
	// through the data directory; the kiosk runs the current version.
	if st, err := os.Lstat(filepath.Join(root, "usr/bin/kioskctl")); err != nil || !st.Mode().IsRegular() {
		t.Errorf("/usr/bin/kioskctl: %v %v, want a file of the package", st.Mode(), err)
	}
	checkLayout(t, root, "0.11.1", "")

	conffiles := read(t, filepath.Join(root, "var/lib/dpkg/info/hongmajia-kiosk.conffiles"))
	if strings.TrimSpace(conffiles) != "/etc/hongmajia/kiosk.toml" {
		t.Errorf("conffiles: %q", conffiles)
	}

	// The center's ledger, and a technician's edit of the configuration.
	write(t, filepath.Join(root, "var/lib/hongmajia/ledger.db"), "the center's ledger")
	edited := read(t, filepath.Join(root, "etc/hongmajia/kiosk.toml")) + "\n# edited by the technician\n"
	write(t, filepath.Join(root, "etc/hongmajia/kiosk.toml"), edited)

	// An upgrade with the same default configuration keeps the edit
	// without asking, and replaces the binaries; no first-install message.
	out = dpkg(t, root, "-i", installable(t, repo, "0.11.2"))
	if strings.Contains(out, "nothing runs yet") {
		t.Errorf("an upgrade repeats the first install's message:\n%s", out)
	}
	if got := read(t, filepath.Join(root, "etc/hongmajia/kiosk.toml")); got != edited {
		t.Errorf("upgrade: kiosk.toml is\n%s\nwant the technician's edit", got)
	}
	checkLayout(t, root, "0.11.2", "0.11.1")

	// An upgrade whose default configuration changed: the edit is kept
	// (--force-confold, as a technician answers dpkg's question), the new
	// default lands beside it.
	changed := copyRepo(t)
	write(t, filepath.Join(changed, "deploy/etc/kiosk.toml"), read(t, filepath.Join(repo, "deploy/etc/kiosk.toml"))+"\n# a new setting\n")
	dpkg(t, root, "--force-confold", "-i", installable(t, changed, "0.11.3"))
	if got := read(t, filepath.Join(root, "etc/hongmajia/kiosk.toml")); got != edited {
		t.Errorf("upgrade with a new default: kiosk.toml is\n%s\nwant the technician's edit", got)
	}
	if got := read(t, filepath.Join(root, "etc/hongmajia/kiosk.toml.dpkg-dist")); !strings.Contains(got, "# a new setting") {
		t.Errorf("kiosk.toml.dpkg-dist: %q", got)
	}
	os.Remove(filepath.Join(root, "etc/hongmajia/kiosk.toml.dpkg-dist"))
	checkLayout(t, root, "0.11.3", "0.11.2")

	// A newer version installed since by an update (kioskctl update does
	// what --seed does to the links) stays current over an upgrade of
	// the package; the package's programs are kept as a version.
	versions := filepath.Join(root, "var/lib/hongmajia/versions")
	if out, err := exec.Command(kioskctl(t), "update", "--seed", stubs(t, "0.12.0"), "--version", "0.12.0", "--versions", versions).CombinedOutput(); err != nil {
		t.Fatalf("install 0.12.0: %v\n%s", err, out)
	}
	out = dpkg(t, root, "--force-confold", "-i", installable(t, repo, "0.11.4"))
	if !strings.Contains(out, "0.12.0 stays current") {
		t.Errorf("an upgrade under a newer update does not say it keeps it:\n%s", out)
	}
	checkLayout(t, root, "0.12.0", "0.11.3")

	// Remove: the programs go; the ledger, the configuration and the
	// user stay.
	dpkg(t, root, "-r", debpkg.Kiosk)
	for _, gone := range []string{"usr/bin/kiosk", "usr/bin/kiosk-screen", "usr/bin/kioskctl", "usr/lib/hongmajia", "usr/lib/systemd/system/hongmajia-kiosk.service", "usr/lib/udev/rules.d/60-hongmajia.rules"} {
		if _, err := os.Lstat(filepath.Join(root, gone)); err == nil {
			t.Errorf("remove left %s", gone)
		}
	}
	if got := read(t, filepath.Join(root, "var/lib/hongmajia/ledger.db")); got != "the center's ledger" {
		t.Errorf("remove: ledger.db is %q", got)
	}
	checkFile(t, root, "var/lib/hongmajia", want{0o750, uid, gid})
	if got, err := os.Readlink(filepath.Join(versions, "current")); err != nil || got != "0.12.0" {
		t.Errorf("remove: versions/current %q %v, want kept with the data", got, err)
	}
	if got := read(t, filepath.Join(root, "etc/hongmajia/kiosk.toml")); got != edited {
		t.Errorf("remove: kiosk.toml is %q, want kept until purge", got)
	}

	// Purge: the configuration and the units' enablement go; the ledger
	// and the user stay, and it says so.
	wants := filepath.Join(root, "etc/systemd/system/multi-user.target.wants")
	if err := os.MkdirAll(wants, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/usr/lib/systemd/system/hongmajia-kiosk.service", filepath.Join(wants, "hongmajia-kiosk.service")); err != nil {
		t.Fatal(err)
	}
	out = dpkg(t, root, "-P", debpkg.Kiosk)
	if !strings.Contains(out, "/var/lib/hongmajia") || !strings.Contains(out, "rm -r /var/lib/hongmajia") || !strings.Contains(out, "deluser --system hongmajia") || !strings.Contains(out, "versions/") {
		t.Errorf("purge does not say what it leaves:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(versions, "0.12.0", "kiosk")); err != nil {
		t.Errorf("purge: %v, want the versions kept with the data", err)
	}
	for _, gone := range []string{"etc/hongmajia/kiosk.toml", "etc/hongmajia/trusted-keys", "etc/hongmajia", "etc/systemd/system/multi-user.target.wants/hongmajia-kiosk.service"} {
		if _, err := os.Lstat(filepath.Join(root, gone)); err == nil {
			t.Errorf("purge left %s", gone)
		}
	}
	if got := read(t, filepath.Join(root, "var/lib/hongmajia/ledger.db")); got != "the center's ledger" {
		t.Errorf("purge: ledger.db is %q", got)
	}
	entry(t, root, "passwd", "hongmajia")

	// Installed again over the kept data: the same user, the ledger as it was.
	dpkg(t, root, "-i", v1)
	if u2 := entry(t, root, "passwd", "hongmajia"); u2[2] != u[2] {
		t.Errorf("reinstall: uid %s, was %s", u2[2], u[2])
	}
	if got := read(t, filepath.Join(root, "var/lib/hongmajia/ledger.db")); got != "the center's ledger" {
		t.Errorf("reinstall: ledger.db is %q", got)
	}
	checkLayout(t, root, "0.12.0", "0.11.3")
}

// checkLayout checks the links of the versions directory in root, and that
// /usr/bin/kiosk and kiosk-screen resolve inside root to current's
// programs (the stand-ins print their version).
func checkLayout(t *testing.T, root, current, previous string) {
	t.Helper()
	versions := filepath.Join(root, "var/lib/hongmajia/versions")
	for link, w := range map[string]string{"current": current, "previous": previous} {
		got, err := os.Readlink(filepath.Join(versions, link))
		if w == "" {
			if err == nil {
				t.Errorf("versions/%s is %q, want none", link, got)
			}
			continue
		}
		if err != nil || got != w {
			t.Errorf("versions/%s: %q %v, want %q", link, got, err, w)
		}
	}
	for _, b := range []string{"kiosk", "kiosk-screen"} {
		p := filepath.Join(root, "usr/bin", b)
		target, err := os.Readlink(p)
		if err != nil || filepath.IsAbs(target) {
			t.Errorf("/usr/bin/%s: %q %v, want a relative link", b, target, err)
			continue
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			t.Errorf("/usr/bin/%s: %v", b, err)
			continue
		}
		if want := filepath.Join(versions, current, b); real != want {
			t.Errorf("/usr/bin/%s resolves to %s, want %s", b, real, want)
		}
		if got := read(t, p); !strings.HasSuffix(got, "echo "+b+" "+current+"\n") {
			t.Errorf("/usr/bin/%s runs %q, want %s's", b, got, current)
		}
	}
}

func TestHubPackageInstallsAndPurges(t *testing.T) {
	root := throwawayRoot(t)
	deb := build(t, repo, "amd64", "0.11.1")[debpkg.Hub]
	if got := field(t, deb, "Depends"); strings.Contains(got, "xserver") || strings.Contains(got, "libx11") {
		t.Errorf("the hub depends on the kiosk's X: %s", got)
	}
	out := dpkg(t, root, "-i", deb)
	if !strings.Contains(out, "hubd user add --role district") {
		t.Errorf("the first install does not say what to do next:\n%s", out)
	}
	u := entry(t, root, "passwd", "hongmajia-hub")
	if u[5] != "/var/lib/hongmajia-hub" || u[6] != "/usr/sbin/nologin" {
		t.Errorf("passwd hongmajia-hub: %v", u)
	}
	uid, gid := atoi(t, u[2]), atoi(t, u[3])
	checkExec(t, root, []string{filepath.Join(repo, "deploy/hub/hongmajia-hub.service")})
	for path, w := range map[string]want{
		"usr/bin/hubd": {0o755, 0, 0},
		"usr/lib/systemd/system/hongmajia-hub.service": {0o644, 0, 0},
		"usr/lib/sysusers.d/hongmajia-hub.conf":        {0o644, 0, 0},
		"usr/lib/tmpfiles.d/hongmajia-hub.conf":        {0o644, 0, 0},
		"etc/default/hongmajia-hub":                    {0o644, 0, 0},
		"etc/hongmajia/hubd.toml":                      {0o644, 0, 0},
		"var/lib/hongmajia-hub":                        {0o700, uid, gid},
	} {
		checkFile(t, root, path, w)
	}
	for _, absent := range []string{"usr/bin/kiosk", "usr/bin/kioskctl", "etc/hongmajia/kiosk.toml"} {
		if _, err := os.Lstat(filepath.Join(root, absent)); err == nil {
			t.Errorf("the hub's package installs %s", absent)
		}
	}
	if got := strings.TrimSpace(read(t, filepath.Join(root, "var/lib/dpkg/info/hongmajia-hub.conffiles"))); got != "/etc/default/hongmajia-hub\n/etc/hongmajia/hubd.toml" {
		t.Errorf("conffiles: %q", got)
	}
	write(t, filepath.Join(root, "var/lib/hongmajia-hub/hub.db"), "the district")
	out = dpkg(t, root, "-P", debpkg.Hub)
	if !strings.Contains(out, "rm -r /var/lib/hongmajia-hub") {
		t.Errorf("purge does not say what it leaves:\n%s", out)
	}
	for _, conf := range []string{"etc/default/hongmajia-hub", "etc/hongmajia/hubd.toml"} {
		if _, err := os.Lstat(filepath.Join(root, conf)); err == nil {
			t.Errorf("purge left /%s", conf)
		}
	}
	if got := read(t, filepath.Join(root, "var/lib/hongmajia-hub/hub.db")); got != "the district" {
		t.Errorf("purge: hub.db is %q", got)
	}
}

// The same commit makes the same bytes: a package built twice is one file.
func TestPackagesAreReproducible(t *testing.T) {
	bin := stubs(t, "0.11.1")
	o := debpkg.Options{Root: repo, Bin: bin, Arch: "arm64", Version: "0.11.1", MTime: mtime}
	a, err := debpkg.WriteAll(o, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, err := debpkg.WriteAll(o, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if read(t, a[i]) != read(t, b[i]) {
			t.Errorf("%s: two builds differ", filepath.Base(a[i]))
		}
	}
}

func TestRefusals(t *testing.T) {
	bin := stubs(t, "1")
	for name, tc := range map[string]struct {
		o    debpkg.Options
		want string
	}{
		"version not a Debian one": {debpkg.Options{Root: repo, Bin: bin, Arch: "amd64", Version: "v1.0"}, "starts with a digit"},
		"unknown architecture":     {debpkg.Options{Root: repo, Bin: bin, Arch: "armhf", Version: "1.0"}, "armhf"},
		"binaries not built":       {debpkg.Options{Root: repo, Bin: t.TempDir(), Arch: "amd64", Version: "1.0"}, "make build"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := debpkg.WriteAll(tc.o, t.TempDir())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("WriteAll: %v, want an error saying %q", err, tc.want)
			}
		})
	}
	// A file the package has no place for is an error, not dropped.
	root := copyRepo(t)
	write(t, filepath.Join(root, "deploy/systemd/watchdog.conf"), "[Manager]\n")
	_, err := debpkg.WriteAll(debpkg.Options{Root: root, Bin: bin, Arch: "amd64", Version: "1.0"}, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "watchdog.conf") {
		t.Errorf("an unknown file in deploy/systemd: %v", err)
	}
}

// copyRepo copies what the packages read (deploy/, README.md) to a temp
// dir, for a test that changes it.
func copyRepo(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	if err := os.CopyFS(filepath.Join(dst, "deploy"), os.DirFS(filepath.Join(repo, "deploy"))); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dst, "README.md"), read(t, filepath.Join(repo, "README.md")))
	return dst
}

// Every file under deploy/etc is a conffile in /etc/hongmajia, in a
// directory too (a trusted key the project ships, say).
func TestEveryFileOfDeployEtcIsAConffile(t *testing.T) {
	root := copyRepo(t)
	if err := os.MkdirAll(filepath.Join(root, "deploy/etc/trusted-keys"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(root, "deploy/etc/trusted-keys/release.pub"), "a key\n")
	deb := build(t, root, "amd64", "0.11.1")[debpkg.Kiosk]
	out, err := exec.Command("dpkg-deb", "--info", deb, "conffiles").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), "/etc/hongmajia/kiosk.toml\n/etc/hongmajia/trusted-keys/release.pub\n"; got != want {
		t.Errorf("conffiles:\n%s\nwant\n%s", got, want)
	}
}

// checkExec checks that the units run what the package installed, or the
// X server its dependencies bring.
func checkExec(t *testing.T, root string, units []string) {
	t.Helper()
	fromDepends := map[string]bool{"/usr/bin/Xorg": true, "/usr/bin/X": true}
	for _, u := range units {
		for line := range strings.Lines(read(t, u)) {
			k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
			if !ok || !strings.HasPrefix(k, "Exec") {
				continue
			}
			for i, f := range strings.Fields(v) {
				if i == 0 {
					f = strings.TrimLeft(f, "-+!@:")
				}
				if !strings.HasPrefix(f, "/usr/bin/") && !strings.HasPrefix(f, "/usr/lib/hongmajia/") {
					continue
				}
				if _, err := os.Stat(filepath.Join(root, f)); err != nil && !fromDepends[f] {
					t.Errorf("%s: %s runs %s: not in the package", filepath.Base(u), k, f)
				}
			}
		}
	}
}
