package systemd_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A machine is a container booted with systemd-nspawn: systemd as its
// PID 1, the host's /usr read-only, and /etc, /var and /opt from a
// throwaway directory, so nothing the container's systemd does at boot
// (systemd-tmpfiles empties /tmp, sysctl, binfmt) reaches the host.
type machine struct {
	t      *testing.T // the (sub)test using it now
	boot   *testing.T // the test that booted it, which shuts it down
	root   string
	nspawn *exec.Cmd
	done   chan struct{}
	out    *syncBuffer // nspawn's and the container's console
	leader int         // the container's PID 1, as the host numbers it
}

// syncBuffer is nspawn's output, written by exec's copying goroutine and
// read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// nspawnScript starts nspawn in the cgroups made for it and in a mount
// namespace of its own (os/exec unshares it, private) with /run on a
// tmpfs: nspawn keeps its mount propagation directory there and refuses
// to remove one on a disk, and a host without systemd has /run on its root.
const nspawnScript = `set -e
for cg in $HONGMAJIA_CGROUPS; do echo $$ > "$cg/cgroup.procs"; done
mount -t tmpfs -o mode=0755 tmpfs /run
exec systemd-nspawn "$@"`

// boot starts systemd in root and waits until it has finished booting.
func boot(t *testing.T, root string, binds []string) *machine {
	t.Helper()
	if _, err := exec.LookPath("systemd-nspawn"); err != nil {
		t.Fatal("systemd-nspawn is needed (Debian's systemd-container; make test installs it)")
	}
	m := &machine{t: t, boot: t, root: root, done: make(chan struct{}), out: &syncBuffer{}}
	name := "hongmajia-test-" + randomHex(4)
	cgroups := containerCgroups(t, name)
	args := []string{
		"--directory=" + root,
		"--machine=" + name,
		"--bind-ro=/usr",
		// No systemd on the host to register with or to make a scope:
		// the container stays in the cgroups made for it.
		"--register=no", "--keep-unit",
		"--private-network",
		"--console=read-only",
		"--boot",
	}
	for _, b := range binds {
		args = slices.Insert(args, 1, "--bind-ro="+b)
	}
	cmd := exec.Command("sh", append([]string{"-c", nspawnScript, "sh"}, args...)...)
	cmd.Env = append(os.Environ(), "HONGMAJIA_CGROUPS="+strings.Join(cgroups, " "))
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	cmd.Stdout, cmd.Stderr = m.out, m.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start systemd-nspawn: %v", err)
	}
	m.nspawn = cmd
	go func() {
		cmd.Wait()
		close(m.done)
	}()
	t.Cleanup(m.shutdown)

	for deadline := time.Now().Add(30 * time.Second); m.leader == 0; time.Sleep(50 * time.Millisecond) {
		select {
		case <-m.done:
			t.Fatalf("systemd-nspawn exited: %v\n%s", cmd.ProcessState, m.out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no container after 30 s:\n%s", m.out)
		}
		m.leader = containerInit(cmd.Process.Pid)
	}
	// Until the boot's jobs are done: "running", or "degraded" when a unit
	// of the host's /usr that this bare container lacks something for failed.
	// Its PID 1 answers once it listens ("offline" before).
	var state string
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		state, _ = m.run(90*time.Second, "systemctl", "is-system-running", "--wait")
		if state == "running" || state == "degraded" {
			break
		}
	}
	if state != "running" && state != "degraded" {
		failed, _ := m.run(10*time.Second, "systemctl", "--failed", "--no-pager")
		t.Fatalf("the container's systemd is %q:\n%s\n%s", state, failed, m.out)
	}
	return m
}

// containerInit is the process nspawn started as the container's PID 1
// (its child, PID 1 in its own PID namespace); 0 while there is none.
func containerInit(nspawn int) int {
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", d.Name(), "status"))
		if err != nil {
			continue
		}
		var ppid int
		var nspid []string
		for line := range strings.Lines(string(b)) {
			k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
			switch k {
			case "PPid":
				ppid, _ = strconv.Atoi(strings.TrimSpace(v))
			case "NSpid":
				nspid = strings.Fields(v)
			}
		}
		if ppid == nspawn && len(nspid) > 1 && nspid[len(nspid)-1] == "1" {
			return pid
		}
	}
	return 0
}

// shutdown powers the container off (nspawn passes SIGTERM on as a
// shutdown request), kills it when that takes too long, and removes the
// cgroups it leaves.
func (m *machine) shutdown() {
	if m.nspawn == nil || m.nspawn.Process == nil {
		return
	}
	m.nspawn.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.done:
		return
	case <-time.After(20 * time.Second):
	}
	m.boot.Logf("the container did not power off within 20 s; killing it:\n%s", m.out)
	// Its PID 1 first: the kernel then ends the whole PID namespace.
	if m.leader != 0 {
		syscall.Kill(m.leader, syscall.SIGKILL)
	}
	m.nspawn.Process.Kill()
	<-m.done
}

// run runs a command inside the container (its namespaces and root) and
// returns its output, trimmed.
func (m *machine) run(timeout time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ns := []string{"--target", strconv.Itoa(m.leader), "--mount", "--uts", "--ipc", "--net", "--pid", "--root", "--wd", "--"}
	cmd := exec.CommandContext(ctx, "nsenter", append(ns, args...)...)
	cmd.Env = []string{"PATH=/usr/bin:/usr/sbin", "LANG=C.UTF-8", "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0"}
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// must is run that fails the test on an error.
func (m *machine) must(args ...string) string {
	m.t.Helper()
	out, err := m.run(60*time.Second, args...)
	if err != nil {
		m.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// show is a unit's properties, as `systemctl show` says them.
func (m *machine) show(unit string) map[string]string {
	m.t.Helper()
	out := m.must("systemctl", "show", "--no-pager", "--property=ActiveState,SubState,Result,NRestarts,MainPID,ExecMainStatus,StatusText", unit)
	props := map[string]string{}
	for line := range strings.Lines(out) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			props[k] = v
		}
	}
	return props
}

// journal is what a unit's processes and systemd about the unit logged.
func (m *machine) journal(unit string) string {
	m.t.Helper()
	return m.must("journalctl", "--no-pager", "--quiet", "--output=cat", "--unit="+unit)
}

// await waits until cond holds of the unit's properties; it fails the test
// with them and the unit's journal after timeout.
func (m *machine) await(unit, what string, timeout time.Duration, cond func(props map[string]string) bool) map[string]string {
	m.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		props := m.show(unit)
		if cond(props) {
			return props
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("%s: not %s within %v: %v\n%s", unit, what, timeout, props, m.journal(unit))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// awaitJournal waits until the unit's journal holds every line of want,
// in that order (journald may write a moment after systemd acted).
func (m *machine) awaitJournal(unit string, want ...string) string {
	m.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		j := m.journal(unit)
		if inOrder(j, want) {
			return j
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("%s's journal lacks, in this order, %q:\n%s", unit, want, j)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// inOrder reports whether s holds each of want, each after the one before.
func inOrder(s string, want []string) bool {
	for _, w := range want {
		i := strings.Index(s, w)
		if i < 0 {
			return false
		}
		s = s[i+len(w):]
	}
	return true
}

// dropIn installs a unit's drop-in and has systemd read it.
func (m *machine) dropIn(unit, text string) {
	m.t.Helper()
	dir := filepath.Join(m.root, "etc/systemd/system", unit+".d")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		m.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "test.conf"), []byte(text), 0o644); err != nil {
		m.t.Fatal(err)
	}
	m.must("systemctl", "daemon-reload")
}

// cgroup2Magic is statfs(2)'s f_type of a cgroup2 file system.
const cgroup2Magic = 0x63677270

func isCgroup2(path string) bool {
	var st syscall.Statfs_t
	return syscall.Statfs(path, &st) == nil && st.Type == cgroup2Magic
}

// containerCgroups makes a cgroup of the container's own in each
// hierarchy systemd uses (the unified one and, on a hybrid host, the
// named "systemd" one): nspawn, with no systemd on the host to ask, puts
// the container below the cgroup it runs in, which would otherwise be the
// host's root. They are removed with everything below them at the end.
func containerCgroups(t *testing.T, name string) []string {
	t.Helper()
	var bases []string
	switch {
	case isCgroup2("/sys/fs/cgroup/unified"):
		bases = []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd"}
	case isCgroup2("/sys/fs/cgroup"):
		bases = []string{"/sys/fs/cgroup"}
	default:
		bases = []string{"/sys/fs/cgroup/systemd"}
	}
	var made []string
	for _, base := range bases {
		dir := filepath.Join(base, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatalf("a cgroup for the container: %v", err)
		}
		made = append(made, dir)
	}
	t.Cleanup(func() {
		for _, dir := range made {
			if err := removeCgroup(dir); err != nil {
				t.Errorf("remove the container's cgroup: %v", err)
			}
		}
	})
	return made
}

// removeCgroup removes a cgroup and those below it, deepest first; a
// cgroup whose last process is still exiting is busy for a moment.
func removeCgroup(dir string) error {
	var dirs []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, path)
		}
		return nil
	})
	slices.Reverse(dirs)
	for _, d := range dirs {
		var err error
		for range 50 {
			if err = os.Remove(d); err == nil || errors.Is(err, fs.ErrNotExist) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// lookupID is a user's (file "passwd") or group's (file "group") number
// in root's /etc.
func lookupID(t *testing.T, root, file, name string) int {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "etc", file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) > 2 && fields[0] == name {
			id, err := strconv.Atoi(fields[2])
			if err != nil {
				t.Fatalf("%s in %s: %v", name, file, err)
			}
			return id
		}
	}
	t.Fatalf("no %s in the container's /etc/%s", name, file)
	return 0
}

// machineID is a fresh /etc/machine-id: with none, the container's
// systemd would take its boot for a first boot and ask for a locale.
func machineID() string { return randomHex(16) + "\n" }

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
