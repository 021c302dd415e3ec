package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/pgstore"
	"github.com/hongmajia/hongmajia/hub/sqlitestore"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/internal/pgtest"
	"github.com/hongmajia/hongmajia/record"
)

var ctx = context.Background()

// hubdBin is the hubd binary TestMain built for this run; kioskctlBin the
// kioskctl every fleet release holds (the updater runs the version's own
// for the ledger's part of an update).
var hubdBin, kioskctlBin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "hongmajia-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	hubdBin, kioskctlBin = filepath.Join(dir, "hubd"), filepath.Join(dir, "kioskctl")
	for bin, pkg := range map[string]string{hubdBin: "./cmd/hubd", kioskctlBin: "./cmd/kioskctl"} {
		if err := goBuild(bin, pkg); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: build %s: %v\n", pkg, err)
			return 1
		}
	}
	// pgtest stops the PostgreSQL server of the tests that use one.
	return pgtest.Run(m)
}

// goBuild builds pkg into out with the go command that runs the tests (go
// test puts its GOROOT/bin first on PATH).
func goBuild(out, pkg string) error {
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	cmd := exec.Command(gobin, "build", "-o", out, pkg)
	cmd.Dir = ".."
	b, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v\n%s", err, b)
	}
	return nil
}

// hubd runs an admin command of the hub in dir and returns its stdout;
// the test fails unless it exits 0.
func hubd(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, stderr, code := hubdRun(t, dir, nil, args...)
	if code != 0 {
		t.Fatalf("hubd %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, stderr)
	}
	return out
}

// hubdRun runs hubd with args and --data dir, stdin from stdin.
func hubdRun(t testing.TB, dir string, stdin io.Reader, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return hubdRunEnv(t, dir, nil, stdin, args...)
}

// hubdRunEnv is hubdRun with env added to the process's environment.
func hubdRunEnv(t testing.TB, dir string, env []string, stdin io.Reader, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(hubdBin, append(args, "--data", dir)...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Stdin = &o, &e, stdin
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("hubd %s: %v", strings.Join(args, " "), err)
	}
	return o.String(), e.String(), code
}

// hubProc is a hubd serve process on loopback and its data directory.
type hubProc struct {
	t    testing.TB
	dir  string
	db   string // --db, a PostgreSQL URL without the password; "": hub.db in dir
	dbPw string // db's password, given by PGPASSWORD
	addr string // 127.0.0.1:PORT, kept across restarts
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	log  *logBuf
}

// logBuf keeps the tail of a process's log for a failure's message.
type logBuf struct {
	mu sync.Mutex
	b  []byte
}

const logKeep = 64 << 10

func (l *logBuf) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, line...)
	l.b = append(l.b, '\n')
	if len(l.b) > 2*logKeep {
		l.b = append([]byte(nil), l.b[len(l.b)-logKeep:]...)
	}
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}

// newHub makes a hub in a new data directory with the centers given as
// id, name pairs, and starts it.
func newHub(t testing.TB, centers ...string) *hubProc {
	t.Helper()
	h := &hubProc{t: t, dir: filepath.Join(t.TempDir(), "hub"), log: &logBuf{}}
	for i := 0; i+1 < len(centers); i += 2 {
		h.admin("center", "add", "--id", centers[i], "--name", centers[i+1])
	}
	h.run()
	return h
}

// run starts h and stops it when the test ends.
func (h *hubProc) run() {
	t := h.t
	t.Helper()
	h.start()
	t.Cleanup(func() {
		h.stop()
		if t.Failed() {
			t.Logf("hubd %s log (tail):\n%s", h.addr, tail(h.log.String(), 8<<10))
		}
	})
}

// twin is a second hubd serve process of h's district: the same data
// directory (its keys) and the same PostgreSQL database, as two processes
// behind a load balancer share their configuration. It is started.
func (h *hubProc) twin() *hubProc {
	h.t.Helper()
	t := &hubProc{t: h.t, dir: h.dir, db: h.db, dbPw: h.dbPw, log: &logBuf{}}
	t.run()
	return t
}

// storeArgs are the store's flags of h's commands.
func (h *hubProc) storeArgs() []string {
	if h.db == "" {
		return nil
	}
	return []string{"--db", h.db}
}

// env is what h's commands add to their environment: the database's
// password (never in --db).
func (h *hubProc) env() []string {
	if h.db == "" {
		return nil
	}
	return []string{"PGPASSWORD=" + h.dbPw}
}

// admin runs an admin command of h (on its store) and returns its stdout;
// the test fails unless it exits 0.
func (h *hubProc) admin(args ...string) string {
	h.t.Helper()
	args = append(args, h.storeArgs()...)
	out, stderr, code := hubdRunEnv(h.t, h.dir, h.env(), nil, args...)
	if code != 0 {
		h.t.Fatalf("hubd %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, stderr)
	}
	return out
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

var addrRe = regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)

// start runs hubd serve: on a port the kernel picks the first time (read
// from its log), on the same one after a restart, so the kiosks' address
// stays good (should another process have taken it meanwhile, on a new
// one: h.addr says which). It returns once /healthz answers.
func (h *hubProc) start() {
	h.t.Helper()
	listen := h.addr
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	var lastErr error
	for try := 0; try < 50; try++ {
		if lastErr = h.startOnce(listen); lastErr == nil {
			return
		}
		// The port of a process just killed may take a moment to free.
		time.Sleep(20 * time.Millisecond)
		if try == 40 {
			listen = "127.0.0.1:0"
		}
	}
	h.t.Fatalf("hubd serve: %v\n%s", lastErr, tail(h.log.String(), 8<<10))
}

func (h *hubProc) startOnce(listen string) error {
	cmd := exec.Command(hubdBin, append([]string{"serve", "--data", h.dir, "--listen", listen}, h.storeArgs()...)...)
	if env := h.env(); env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	// A test binary killed (a timeout) takes its hubd with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	pr, pw := io.Pipe()
	cmd.Stderr, cmd.Stdout = pw, pw
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			h.log.add(sc.Text())
			if m := addrRe.FindStringSubmatch(sc.Text()); m != nil && strings.Contains(sc.Text(), "hubd serving") {
				select {
				case addrc <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	go func() {
		_ = cmd.Wait()
		pw.Close()
		close(done)
	}()
	var addr string
	select {
	case addr = <-addrc:
	case <-done:
		return fmt.Errorf("hubd serve exited before it served")
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("hubd serve did not say where it listens")
	}
	h.cmd, h.done, h.addr = cmd, done, addr
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get(h.url() + hubsync.PathHealth)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			h.kill()
			return fmt.Errorf("/healthz: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (h *hubProc) url() string { return "http://" + h.addr }

// kill ends the process with SIGKILL: nothing of it runs after.
func (h *hubProc) kill() {
	if h.cmd == nil {
		return
	}
	_ = h.cmd.Process.Signal(syscall.SIGKILL)
	<-h.done
	h.cmd = nil
}

// stop ends the process with SIGTERM, as systemd does.
func (h *hubProc) stop() {
	if h.cmd == nil {
		return
	}
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.done:
	case <-time.After(30 * time.Second):
		h.t.Errorf("hubd did not stop on SIGTERM")
		h.kill()
	}
	h.cmd = nil
}

// token is a one-time enrollment token for center (hubd kiosk token).
func (h *hubProc) token(center string) string {
	h.t.Helper()
	return strings.TrimSpace(h.admin("kiosk", "token", "--center", center))
}

// hubStatus is `hubd status --json`.
type hubStatus struct {
	HubKey string `json:"hub_key"`
	Kiosks []struct {
		Terminal string `json:"terminal"`
		Center   string `json:"center"`
		AckedSeq uint64 `json:"acked_seq"`
		HeadSeq  uint64 `json:"head_seq"`
		Lag      uint64 `json:"lag"`
		Revoked  bool   `json:"revoked"`
		Refusal  string `json:"refusal"`
		Fork     bool   `json:"fork"`
	} `json:"kiosks"`
}

func (h *hubProc) status() hubStatus {
	h.t.Helper()
	var s hubStatus
	out := h.admin("status", "--json")
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		h.t.Fatalf("hubd status --json: %v\n%s", err, out)
	}
	return s
}

// look opens the hub's store and domain in-process beside the running
// hubd (as its admin commands do) for fn to read what the hub holds.
func (h *hubProc) look(fn func(hb *hub.Hub, st hub.Store)) {
	h.t.Helper()
	var st hub.Store
	var err error
	if h.db == "" {
		st, err = sqlitestore.Open(ctx, h.dir, sqlitestore.Options{})
	} else {
		u, perr := url.Parse(h.db)
		if perr != nil {
			h.t.Fatal(perr)
		}
		u.User = url.UserPassword(u.User.Username(), h.dbPw)
		st, err = pgstore.Open(ctx, u.String(), pgstore.Options{PoolSize: 2})
	}
	if err != nil {
		h.t.Fatalf("open the hub's store: %v", err)
	}
	hb, err := hub.Open(ctx, h.dir, hub.Options{Store: st, Log: discard})
	if err != nil {
		st.Close()
		h.t.Fatalf("open the hub: %v", err)
	}
	defer hb.Close()
	fn(hb, st)
}

// hubEntries is every entry the hub holds of terminal, in seq order.
func hubEntries(t testing.TB, st hub.Store, terminal string) []hub.StoredEntry {
	t.Helper()
	var out []hub.StoredEntry
	err := st.View(ctx, func(r hub.Reader) error {
		var after uint64
		for {
			es, err := r.Entries(terminal, after, 5000)
			if err != nil {
				return err
			}
			if len(es) == 0 {
				return nil
			}
			out = append(out, es...)
			after = es[len(es)-1].Seq
		}
	})
	if err != nil {
		t.Fatalf("the hub's entries of %s: %v", terminal, err)
	}
	return out
}

// entryCount is how many entries the hub holds of all its kiosks.
func (h *hubProc) entryCount() int {
	h.t.Helper()
	n := 0
	h.look(func(hb *hub.Hub, st hub.Store) {
		ks, err := hb.Kiosks(ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		for _, k := range ks {
			n += len(hubEntries(h.t, st, k.Terminal))
		}
	})
	return n
}

// districtBalance is the hub's balance of p (after its merges).
func districtBalance(t testing.TB, hb *hub.Hub, p record.PersonID) hub.Balance {
	t.Helper()
	b, err := hb.DistrictBalance(ctx, p)
	if err != nil && !errors.Is(err, hub.ErrNotFound) {
		t.Fatalf("district balance of %d: %v", p, err)
	}
	return b
}

// writeFile writes text to a new file in a temporary directory.
func writeFile(t testing.TB, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
