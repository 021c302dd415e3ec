package debpkg_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/kiosk/control"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/demo"
	"github.com/hongmajia/hongmajia/record"
)

// TestUpdateEndToEnd proves, with the real programs, that the package and
// the updater fit together: the amd64 package (kiosk, kiosk-screen and
// kioskctl built from this tree, stripped and told their version as make
// deb builds them) installed with dpkg into a throwaway root; its
// /usr/bin/kiosk started under Xvfb through the relative links into the
// versions directory; the package's own /usr/bin/kioskctl updating it with
// a signed bundle of a newer build, which is then what runs (the process's
// executable is the new version's kiosk-screen, and it reports the new
// version and healthy); then a bundle whose screen exits 2 at once, which
// never reports healthy: the update is rolled back by itself, the version
// before runs again and is healthy, the ledger verifies and a check-in made
// between the two updates is still in it.
//
// systemd is not PID 1 here, so kioskctl's `systemctl start|stop` reach a
// stand-in: this test binary, linked as systemctl on PATH, asks the test
// over a socket, and the test starts and stops the root's /usr/bin/kiosk.
func TestUpdateEndToEnd(t *testing.T) {
	if os.Getenv("DISPLAY") == "" {
		t.Fatal("no X display: run under xvfb-run (make test does)")
	}
	start := time.Now()
	root := throwawayRoot(t)
	work := t.TempDir()
	const v1, v2, v3 = "0.11.1", "0.11.2", "0.11.3"

	// The programs of two releases: the same code, told another version.
	bin1, bin2 := filepath.Join(work, "bin1"), filepath.Join(work, "bin2")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, b := range []struct{ dir, version string }{{bin1, v1}, {bin2, v2}} {
		wg.Go(func() { errs[i] = goBuild(b.dir, b.version) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("built two releases in %v", time.Since(start).Round(time.Second))

	// The package of the first, and on the technician's side (the newer
	// build's kioskctl) a release key and two signed bundles: the newer
	// build, and a broken one whose screen exits 2 at once, so it never
	// draws. Side by side: each is mostly gzip on one core.
	var debPath string
	key := filepath.Join(work, "release.key")
	good, bad := filepath.Join(work, "good.bundle"), filepath.Join(work, "bad.bundle")
	mkdebBin, debDir := tool(t, "mkdeb"), t.TempDir()
	wg.Go(func() { debPath, errs[0] = mkdebIn(mkdebBin, repo, bin1, v1, debDir) })
	wg.Go(func() {
		broken := filepath.Join(work, "broken")
		if errs[1] = os.Mkdir(broken, 0o755); errs[1] != nil {
			return
		}
		if errs[1] = os.WriteFile(filepath.Join(broken, "kiosk-screen"), []byte("#!/bin/sh\nexit 2\n"), 0o755); errs[1] != nil {
			return
		}
		for _, args := range [][]string{
			{"keygen", "-o", key},
			{"bundle", "--key", key, "--version", v2, "-o", good, filepath.Join(bin2, "kiosk"), filepath.Join(bin2, "kiosk-screen"), filepath.Join(bin2, "kioskctl")},
			{"bundle", "--key", key, "--version", v3, "--arch", "amd64", "-o", bad, filepath.Join(bin2, "kiosk"), filepath.Join(broken, "kiosk-screen"), filepath.Join(bin2, "kioskctl")},
		} {
			if out, err := exec.Command(filepath.Join(bin2, "kioskctl"), args...).CombinedOutput(); err != nil {
				errs[1] = fmt.Errorf("kioskctl %s: %v\n%s", args[0], err, out)
				return
			}
		}
	})
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("package and bundles made at %v", time.Since(start).Round(time.Second))

	dpkg(t, root, "-i", debPath)
	debInfo, err := os.Stat(debPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("package %.1f MB, installed at %v", float64(debInfo.Size())/1e6, time.Since(start).Round(time.Second))
	kioskctlBin := filepath.Join(root, "usr/bin/kioskctl")
	data := filepath.Join(root, "var/lib/hongmajia")
	versions := filepath.Join(data, "versions")
	trusted := filepath.Join(root, "etc/hongmajia/trusted-keys")
	// The kiosk trusts the release key.
	if err := os.Rename(key+".pub", filepath.Join(trusted, "release.pub")); err != nil {
		t.Fatal(err)
	}

	svc := newService(t, root, data, work)
	ctl := func(args ...string) (string, error) {
		cmd := exec.Command(kioskctlBin, args...)
		cmd.Env = append(os.Environ(), "PATH="+svc.path+":"+os.Getenv("PATH"), serviceEnv+"="+svc.sock)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	mustCtl := func(args ...string) string {
		t.Helper()
		out, err := ctl(args...)
		if err != nil {
			t.Fatalf("kioskctl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	// The kiosk runs here as root (the test's Xvfb and its cookie are
	// root's), so the data directory is root's too: the updater runs the
	// ledger's part of an update as the directory's owner, and the
	// hongmajia user of this root could not reach into the test's 0700
	// temporary directories. Dropping to the owner is kiosk/update's test.
	if err := os.Chown(data, 0, 0); err != nil {
		t.Fatal(err)
	}
	mustCtl("demo", "--data", data)
	card := freeCard(t, data)

	// The package's version runs, through /usr/bin/kiosk.
	if err := svc.start("hongmajia-kiosk"); err != nil {
		t.Fatal(err)
	}
	svc.waitHealthy(t, v1)
	t.Logf("kiosk %s healthy at %v", v1, time.Since(start).Round(time.Second))

	update := []string{"update", "--data", data, "--versions", versions, "--trusted", trusted, "--timeout", "40s"}
	out := mustCtl(append(update, good)...)
	if !strings.Contains(out, "updated: "+v2+" is current and healthy (previous: "+v1+")") {
		t.Errorf("update to %s:\n%s", v2, out)
	}
	svc.waitHealthy(t, v2)
	t.Logf("updated to %s at %v", v2, time.Since(start).Round(time.Second))
	var st struct {
		Installed string `json:"installed_version"`
		Previous  string `json:"previous_version"`
		Running   string `json:"running_build"`
	}
	if err := json.Unmarshal([]byte(mustCtl("status", "--data", data, "--json")), &st); err != nil {
		t.Fatal(err)
	}
	if st.Installed != v2 || st.Previous != v1 || st.Running != v2 {
		t.Errorf("kioskctl status: installed %q previous %q running %q, want %s, %s, %s", st.Installed, st.Previous, st.Running, v2, v1, v2)
	}
	if out := mustCtl("status", "--data", data); !strings.Contains(out, v2+" (previous") {
		t.Errorf("kioskctl status does not show the versions:\n%s", out)
	}

	// A check-in made on the new version (the station: a screen records
	// nothing for a tap alone), kept through what follows.
	svc.stop()
	if err := svc.start("hongmajia-station"); err != nil {
		t.Fatal(err)
	}
	svc.waitHealthy(t, v2)
	if out := mustCtl("tap", "--data", data, string(card)); !strings.Contains(out, "checked in") && !strings.Contains(out, "签到") {
		t.Errorf("tap %s on the station: %s", card, out)
	}
	svc.stop()
	if err := svc.start("hongmajia-kiosk"); err != nil {
		t.Fatal(err)
	}
	svc.waitHealthy(t, v2)

	// The broken release: not healthy within the deadline, rolled back.
	out, err = ctl("update", "--data", data, "--versions", versions, "--trusted", trusted, "--timeout", "15s", bad)
	if err == nil {
		t.Fatalf("update to the broken %s succeeded:\n%s", v3, out)
	}
	for _, want := range []string{"update to " + v3 + " failed: not healthy within 15s", "rolled back to " + v2, "rolled back: " + v2 + " is current and healthy"} {
		if !strings.Contains(out, want) {
			t.Errorf("update to %s does not say %q:\n%s", v3, want, out)
		}
	}
	svc.waitHealthy(t, v2)
	if got, _ := os.Readlink(filepath.Join(versions, "current")); got != v2 {
		t.Errorf("current is %q after the rollback, want %s", got, v2)
	}
	t.Logf("rolled back from %s at %v", v3, time.Since(start).Round(time.Second))
	svc.stop()

	mustCtl("verify", "--data", data)
	l, err := ledger.Open(context.Background(), data, ledger.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	info2, err := l.LookupCard(context.Background(), card)
	if err != nil {
		t.Fatal(err)
	}
	if info2.OpenShift == nil {
		t.Errorf("card %s: the check-in made before the broken update is gone", card)
	}
	log, _ := os.ReadFile(filepath.Join(versions, "update.log"))
	if !strings.Contains(string(log), "rolled back: "+v2) {
		t.Errorf("update.log does not record the rollback:\n%s", log)
	}
	t.Logf("done in %v", time.Since(start).Round(time.Second))
}

// goBuild builds the three programs into dir as make deb does (stripped,
// told version), but for -trimpath, so the build shares the cache of the
// other tests.
func goBuild(dir, version string) error {
	cmd := exec.Command("go", "build", "-ldflags=-s -w -X github.com/hongmajia/hongmajia/internal/buildinfo.version="+version,
		"-o", dir+"/", "./cmd/kiosk", "./cmd/kiosk-screen", "./cmd/kioskctl")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", version, err, out)
	}
	return nil
}

// freeCard is a demo card with a person and no open shift.
func freeCard(t *testing.T, data string) record.CardUID {
	t.Helper()
	l, err := ledger.Open(context.Background(), data, ledger.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for n := 1; n <= demo.Keys; n++ {
		info, err := l.LookupCard(context.Background(), demo.CardUID(n))
		if err == nil && info.Person != nil && info.OpenShift == nil {
			return demo.CardUID(n)
		}
	}
	t.Fatal("no demo card without an open shift")
	return ""
}

// serviceEnv names the socket the stand-in systemctl asks.
const serviceEnv = "HONGMAJIA_TEST_SERVICE"

// fakeSystemctl is this test binary run as systemctl: it passes its
// arguments to the test's service and exits as it answers.
func fakeSystemctl() int {
	c, err := net.Dial("unix", os.Getenv(serviceEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "systemctl (test):", err)
		return 1
	}
	defer c.Close()
	fmt.Fprintln(c, strings.Join(os.Args[1:], " "))
	answer, _ := bufio.NewReader(c).ReadString('\n')
	if answer = strings.TrimSpace(answer); answer != "ok" {
		fmt.Fprintln(os.Stderr, answer)
		return 1
	}
	return 0
}

// service is the kiosk's unit as the stand-in systemctl sees it: the
// throwaway root's /usr/bin/kiosk, as the touch kiosk (hongmajia-kiosk, on
// the test's X display) or the station (hongmajia-station).
type service struct {
	t          *testing.T
	root, data string
	logPath    string
	path, sock string // the stand-in's directory for PATH, and its socket

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

func newService(t *testing.T, root, data, work string) *service {
	t.Helper()
	s := &service{t: t, root: root, data: data, logPath: filepath.Join(work, "kiosk.log"),
		path: filepath.Join(work, "fakebin"), sock: filepath.Join(work, "systemctl.sock")}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(s.path, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(exe, filepath.Join(s.path, "systemctl")); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", s.sock)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.stop()
		if t.Failed() {
			b, _ := os.ReadFile(s.logPath)
			t.Logf("the kiosk's output:\n%s", b)
		}
	})
	return s
}

func (s *service) serve(c net.Conn) {
	defer c.Close()
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return
	}
	f := strings.Fields(line)
	var answer error
	switch {
	case len(f) == 2 && f[0] == "reset-failed":
	case len(f) == 2 && f[0] == "start":
		answer = s.start(f[1])
	case len(f) == 2 && f[0] == "stop":
		s.stop()
	default:
		answer = fmt.Errorf("systemctl (test): %q: not a command this stand-in knows", strings.TrimSpace(line))
	}
	if answer != nil {
		fmt.Fprintln(c, answer)
		return
	}
	fmt.Fprintln(c, "ok")
}

// start runs the root's /usr/bin/kiosk for unit, as the unit would.
func (s *service) start(unit string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil // systemctl start of a running unit does nothing
	}
	args := []string{"--data", s.data}
	switch unit {
	case "hongmajia-kiosk":
		args = append(args, "--windowed", "--size", "800x480")
	case "hongmajia-station":
		args = append(args, "--headless")
	default:
		return fmt.Errorf("systemctl (test): no unit %s", unit)
	}
	logf, err := os.OpenFile(s.logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "--- start %s\n", unit)
	cmd := exec.Command(filepath.Join(s.root, "usr/bin/kiosk"), args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done
	return nil
}

// stop ends the kiosk as systemd would: SIGTERM, then SIGKILL after the
// unit's TimeoutStopSec.
func (s *service) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd, s.done = nil, nil
}

// waitHealthy waits until the running kiosk says it is healthy and is
// version: the control socket's status says its build, and the process
// runs that version's program, found through the links.
func (s *service) waitHealthy(t *testing.T, version string) {
	t.Helper()
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		t.Fatal("the kiosk is not running")
	}
	sock := control.SocketPath(s.data)
	deadline := time.Now().Add(40 * time.Second)
	last := "no answer"
	for {
		select {
		case <-done:
			t.Fatalf("the kiosk exited: %v", cmd.ProcessState)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		ans, err := control.Request(ctx, sock, "health")
		cancel()
		var h control.Health
		if err == nil {
			if err = json.Unmarshal([]byte(ans), &h); err == nil && !h.OK {
				err = errors.New(strings.Join(h.Problems, "; "))
			}
		}
		if err == nil {
			break
		}
		last = err.Error()
		if time.Now().After(deadline) {
			t.Fatalf("the kiosk is not healthy within 40s: %s", last)
		}
		time.Sleep(200 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ans, err := control.Request(ctx, sock, "status")
	if err != nil {
		t.Fatal(err)
	}
	var st control.Status
	if err := json.Unmarshal([]byte(ans), &st); err != nil {
		t.Fatal(err)
	}
	if st.Build != version {
		t.Errorf("the running kiosk is %q, want %s", st.Build, version)
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	prog := "kiosk-screen"
	if st.Mode == "headless" {
		prog = "kiosk"
	}
	if want := filepath.Join(s.data, "versions", version, prog); exe != want {
		t.Errorf("the kiosk runs %s, want %s", exe, want)
	}
}
