// Package pgtest starts a real PostgreSQL server for tests, one per test
// binary, and hands out a fresh database to each test that asks.
//
// The server is Debian's (package postgresql, which `make test` installs):
// the newest /usr/lib/postgresql/<version>/bin is used, never a symlink in
// /usr/local/bin, which a fresh Debian does not have. A missing server is a
// test failure that says to run `make test`, never a skip.
//
// The server's cluster is made by initdb in a fresh directory under the
// temporary directory and listens on a unix socket in that directory and on
// 127.0.0.1 at a free port, so that several processes (hubd's) can share it
// over TCP. The superuser is "postgres" with a password generated for each
// server: the socket is trusted (only the server's own user can reach it: the
// directory is 0700), TCP asks the password (SCRAM), so that another user of
// the machine cannot open a test's database and a store's password handling
// is exercised for real. Its locale is C (byte order, as SQLite's BINARY
// collation), its encoding UTF8.
//
// PostgreSQL refuses to run as root, and CI runs `make test` as root: then
// initdb and postgres run as the postgres user Debian's package creates, and
// the directory is given to it. Otherwise they run as the current user.
//
// initdb costs about 2 s of CPU (5 s at a load of 8 on 2 cores): the first
// cluster it makes is kept, never started, in the user's cache directory
// (~/.cache/hongmajia-pgtest, 39 MB, by server version) and the next servers
// start from a copy of it: 1.3–1.8 s from Start to a server that accepts
// connections at the same load. A database per test takes about 0.1 s.
//
// For tests only, durability is off: fsync=off, synchronous_commit=off and
// full_page_writes=off. A crash of the machine may lose or corrupt the
// cluster, which is thrown away anyway; a test of what PostgreSQL keeps
// after a power cut cannot use this server.
//
// Durable is a second server, durable as PostgreSQL's defaults, for
// benchmarks; Kept is one such whose cluster stays in a directory the
// caller gives, for a benchmark whose data takes long to make.
//
// A package's TestMain must call Main (or Run), which stops the server and
// removes its directory when the tests end; Start fails a test that is run
// without it. If the test binary dies instead (a panic, a timeout, SIGKILL),
// the server dies with it: postgres is started with a parent-death signal
// (SIGQUIT, PostgreSQL's immediate shutdown, which also ends its backends
// and frees its shared memory) from an OS thread that lives as long as the
// binary, in a process group of its own (a ^C to the tests reaches it only
// through that signal). The directory such a server leaves is removed by the
// next Start of any test binary.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Superuser is the name of the server's superuser, whoever runs it.
const Superuser = "postgres"

// dirPrefix names the servers' directories in the temporary directory, so
// that a later Start finds and removes those of a killed test binary.
const dirPrefix = "hongmajia-pgtest-"

// Server is a running test server.
type Server struct {
	// Dir is the cluster's data directory; its unix socket is there too.
	Dir string
	// Port is its TCP port on 127.0.0.1 (and its socket's number).
	Port int
	// Password is the superuser's, asked on TCP.
	Password string
	// Pid is the postmaster's process id.
	Pid int
	// Bin is the directory of the server's binaries.
	Bin string

	dir     string // the temporary directory Dir is in (removed by Stop)
	keep    bool   // Kept's: Stop leaves dir and its cluster
	stopReq chan struct{}
	stopped chan error
	exited  chan struct{}
	stopMu  sync.Once
	stopErr error
	dbs     atomic.Int64
}

var (
	mu      sync.Mutex
	current *Server
	// durable is Durable's server, beside current.
	durable *Server
	// kept are Kept's servers, by their directory.
	kept    map[string]*Server
	mainRan bool
	// failed is why the server did not start: the next tests fail at once
	// with it rather than each trying again.
	failed error
)

// Main is a TestMain that runs the package's tests and stops the server
// when they end: func TestMain(m *testing.M) { pgtest.Main(m) }.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run runs the tests and stops the server, for a TestMain that does more
// than Main: it returns m.Run's code (1 if the server did not stop cleanly).
func Run(m *testing.M) int {
	mu.Lock()
	mainRan = true
	mu.Unlock()
	code := m.Run()
	if err := Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Start returns the test binary's server, starting it on first use (see
// the package doc for how long that takes). A failure to start fails tb.
func Start(tb testing.TB) *Server {
	tb.Helper()
	return running(tb, &current, false)
}

// Durable returns the test binary's second server, started on first use:
// as Start's, but durable as PostgreSQL is by default (fsync,
// synchronous_commit and full_page_writes on) and with a production-like
// shared_buffers (256 MB), for a benchmark set beside SQLite's FULL
// synchronous commits. Stop stops it too.
func Durable(tb testing.TB) *Server {
	tb.Helper()
	return running(tb, &durable, true)
}

// running is *s, started first when nil.
func running(tb testing.TB, s **Server, durable bool) *Server {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if !mainRan {
		tb.Fatal("pgtest: the package's TestMain must call pgtest.Main(m) (or pgtest.Run), which stops the server when the tests end")
	}
	if *s != nil {
		return *s
	}
	if failed != nil && !durable {
		tb.Fatal(failed)
	}
	started, err := start(durable)
	if err != nil {
		if !durable {
			failed = err
		}
		tb.Fatal(err)
	}
	*s = started
	return started
}

// Kept returns a durable server (as Durable's) whose cluster is kept in
// dir, for a benchmark whose data takes long to make: the first run makes
// the cluster there (dir and its parents made when missing), later runs
// start it again with what it holds. Stop stops it and leaves dir. dir
// must be on a local disk and, when the tests run as root, reachable by
// the postgres user (every directory above it searchable by others), as
// the temporary directory is; only one process can run the cluster at a
// time (PostgreSQL's lock in the directory: a second fails to start). A
// test binary killed while it runs leaves a cluster that its next start
// recovers, as after a crash. Use KeptDB for a database that outlives the
// run.
func Kept(tb testing.TB, dir string) *Server {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if !mainRan {
		tb.Fatal("pgtest: the package's TestMain must call pgtest.Main(m) (or pgtest.Run), which stops the server when the tests end")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		tb.Fatal(err)
	}
	if s := kept[dir]; s != nil {
		return s
	}
	s, err := startKept(dir)
	if err != nil {
		tb.Fatal(err)
	}
	if kept == nil {
		kept = make(map[string]*Server)
	}
	kept[dir] = s
	return s
}

// KeptDB returns database name's URL over TCP, creating it when the server
// does not hold it: unlike NewDB's, it is never dropped (for Kept's
// server, whose databases outlive the run).
func (s *Server) KeptDB(tb testing.TB, name string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := pgx.Connect(ctx, s.SocketURL("postgres"))
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	defer c.Close(context.Background())
	var have bool
	if err := c.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&have); err != nil {
		tb.Fatalf("pgtest: database %s: %v", name, err)
	}
	if !have {
		if _, err := c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			tb.Fatalf("pgtest: create database %s: %v", name, err)
		}
	}
	return s.URL(name)
}

// DB is Start(tb).NewDB(tb): a fresh database's URL over TCP.
func DB(tb testing.TB) string {
	tb.Helper()
	return Start(tb).NewDB(tb)
}

// Stop stops the running server, if any, and removes its directory. Run
// calls it; a later Start starts a new server.
func Stop() error {
	mu.Lock()
	servers := []*Server{current, durable}
	for _, s := range kept {
		servers = append(servers, s)
	}
	current, durable, kept = nil, nil, nil
	mu.Unlock()
	var errs []error
	for _, s := range servers {
		if s != nil {
			errs = append(errs, s.stop())
		}
	}
	return errors.Join(errs...)
}

// NewDB creates a database of its own for tb, dropped (with any connection
// left to it) when tb ends, and returns its URL over TCP with the password.
func (s *Server) NewDB(tb testing.TB) string {
	tb.Helper()
	name := s.NewDBName(tb)
	return s.URL(name)
}

// NewDBName is NewDB, returning the database's name (for URL or SocketURL).
func (s *Server) NewDBName(tb testing.TB) string {
	tb.Helper()
	name := dbName(tb.Name(), s.dbs.Add(1))
	// FILE_COPY copies template1's files where the default (WAL_LOG)
	// writes them through the WAL: with fsync off its checkpoint is cheap,
	// and it took a median 100 ms against 200 (load 10, 8 of each).
	if err := s.admin(context.Background(), "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" STRATEGY FILE_COPY"); err != nil {
		tb.Fatalf("pgtest: create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		if err := s.admin(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			tb.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return name
}

// URL is database db's connection string over TCP (127.0.0.1:Port) as the
// superuser, with the password.
func (s *Server) URL(db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(Superuser, s.Password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// URLWithoutPassword is URL without the password, for a test of a program
// that reads it from the environment or a file.
func (s *Server) URLWithoutPassword(db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(Superuser),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// SocketURL is database db's connection string over the unix socket in Dir
// (no password: the socket is trusted). Only the server's user can reach
// the socket: as root, root (which can reach anything); otherwise the
// current user.
func (s *Server) SocketURL(db string) string {
	q := url.Values{"host": {s.Dir}, "port": {strconv.Itoa(s.Port)}, "sslmode": {"disable"}}
	return "postgres://" + Superuser + "@/" + url.PathEscape(db) + "?" + q.Encode()
}

// admin runs one statement in the postgres database over the socket.
func (s *Server) admin(ctx context.Context, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	c, err := pgx.Connect(ctx, s.SocketURL("postgres"))
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	_, err = c.Exec(ctx, sql)
	return err
}

var notIdent = regexp.MustCompile(`[^a-z0-9]+`)

// dbName is a database name from a test's name (63 bytes at most, the
// limit of PostgreSQL's names), unique by n.
func dbName(test string, n int64) string {
	base := strings.Trim(notIdent.ReplaceAllString(strings.ToLower(test), "_"), "_")
	suffix := "_" + strconv.FormatInt(n, 10)
	if len(base) > 50 {
		base = base[:50]
	}
	return "t_" + base + suffix
}

// Binaries returns the directory of the newest PostgreSQL server Debian
// installed (/usr/lib/postgresql/<version>/bin with initdb and postgres).
func Binaries() (string, error) {
	return binariesIn("/usr/lib/postgresql")
}

func binariesIn(root string) (string, error) {
	ents, _ := os.ReadDir(root)
	type found struct {
		ver []int
		bin string
	}
	var all []found
	for _, e := range ents {
		ver, ok := parseVersion(e.Name())
		if !ok {
			continue
		}
		bin := filepath.Join(root, e.Name(), "bin")
		if isExec(filepath.Join(bin, "initdb")) && isExec(filepath.Join(bin, "postgres")) {
			all = append(all, found{ver, bin})
		}
	}
	if len(all) == 0 {
		return "", fmt.Errorf("pgtest: no PostgreSQL server in %s/<version>/bin (initdb, postgres): run `make test`, which installs Debian's postgresql package", root)
	}
	sort.Slice(all, func(i, j int) bool { return lessVersion(all[j].ver, all[i].ver) })
	return all[0].bin, nil
}

// parseVersion reads "15" or "9.6" into its numbers.
func parseVersion(s string) ([]int, bool) {
	var v []int
	for _, p := range strings.Split(s, ".") {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, false
		}
		v = append(v, n)
	}
	return v, true
}

func lessVersion(a, b []int) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

func isExec(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// runAs is who runs initdb and postgres: nil for the current user, else
// the postgres user (when the tests run as root).
type runAs struct {
	uid, gid uint32
	home     string
}

func serverUser() (*runAs, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgtest: PostgreSQL refuses to run as root and there is no postgres user to run it as (%v): run `make test`, which installs Debian's postgresql package (it creates the user)", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("pgtest: user postgres has uid %q gid %q", u.Uid, u.Gid)
	}
	return &runAs{uint32(uid), uint32(gid), u.HomeDir}, nil
}

// reachable checks that user as can walk down to dir: every directory
// above it searchable by others (the tests' own temporary directory is
// given to it).
func reachable(dir string) error {
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("pgtest: the postgres user cannot reach %s: %s is %v (set TMPDIR to a directory under one every user can enter, such as /tmp)", dir, d, fi.Mode().Perm())
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

func (r *runAs) attr() *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGQUIT}
	if r != nil {
		a.Credential = &syscall.Credential{Uid: r.uid, Gid: r.gid, Groups: []uint32{}}
	}
	return a
}

func (r *runAs) env(dir string) []string {
	home := dir
	if r != nil && r.home != "" {
		home = r.home
	}
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + home, "LC_ALL=C", "TZ=UTC"}
	return env
}

// start makes a cluster in a fresh directory and starts it.
func start(durable bool) (*Server, error) {
	bin, err := Binaries()
	if err != nil {
		return nil, err
	}
	as, err := serverUser()
	if err != nil {
		return nil, err
	}
	removeStale(os.TempDir())
	tmp, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	// owner marks the directory as this binary's: a later Start removes it
	// once this process is gone.
	if err := os.WriteFile(filepath.Join(tmp, "owner"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	if as != nil {
		if err := reachable(tmp); err != nil {
			return nil, err
		}
		if err := os.Chown(tmp, int(as.uid), int(as.gid)); err != nil {
			return nil, fmt.Errorf("pgtest: give %s to postgres: %w", tmp, err)
		}
	}
	data := filepath.Join(tmp, "data")
	cached, fromCache, err := makeCluster(bin, as, tmp, data)
	if err != nil {
		return nil, err
	}

	s, err := launchOnFreePort(bin, as, tmp, data, durable)
	if err != nil {
		if fromCache {
			os.RemoveAll(cached)
			err = fmt.Errorf("%w (from the cached cluster %s, now removed: the next start makes it again)", err, cached)
		}
		return nil, err
	}
	if err := s.setPassword(); err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}

// launchOnFreePort launches postgres on a port found free. Another
// process may take the port in between: postgres then fails to bind and
// is launched again on another, five times at most.
func launchOnFreePort(bin string, as *runAs, tmp, data string, durable bool) (*Server, error) {
	for try := 0; ; try++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s, err := launch(bin, as, tmp, data, port, durable)
		if err == nil || try == 4 || !errors.Is(err, errBind) {
			return s, err
		}
	}
}

// makeCluster makes a cluster in data (which must not exist): a copy of
// the cached one (cached, "" when there is no cache directory) when there
// is one, else initdb's, then cached for the next.
func makeCluster(bin string, as *runAs, tmp, data string) (cached string, fromCache bool, err error) {
	cached = templateDir(bin)
	fromCache = cached != "" && copyTree(cached, data, as) == nil
	if !fromCache {
		os.RemoveAll(data)
		if err := initdb(bin, as, tmp, data); err != nil {
			return cached, false, err
		}
		if cached != "" {
			saveTemplate(data, cached)
		}
	}
	return cached, fromCache, nil
}

// startKept starts Kept's server of dir, making its cluster in dir/data
// first when it holds none.
func startKept(dir string) (*Server, error) {
	bin, err := Binaries()
	if err != nil {
		return nil, err
	}
	as, err := serverUser()
	if err != nil {
		return nil, err
	}
	// 0755, so that the postgres user can reach a directory made here
	// (the cluster in it is 0700).
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	if as != nil {
		if err := reachable(dir); err != nil {
			return nil, err
		}
		if err := os.Chown(dir, int(as.uid), int(as.gid)); err != nil {
			return nil, fmt.Errorf("pgtest: give %s to postgres: %w", dir, err)
		}
	}
	data := filepath.Join(dir, "data")
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err != nil {
		// No cluster, or one whose making was cut short: made afresh.
		os.RemoveAll(data)
		if _, _, err := makeCluster(bin, as, dir, data); err != nil {
			return nil, err
		}
	}
	s, err := launchOnFreePort(bin, as, dir, data, true)
	if err != nil {
		return nil, err
	}
	s.keep = true
	if err := s.setPassword(); err != nil {
		return nil, err
	}
	return s, nil
}

// setPassword sets a new password of the superuser, asked on TCP: set at
// each start, not by initdb, so that the cached cluster holds none.
func (s *Server) setPassword() error {
	pw := make([]byte, 16)
	if _, err := rand.Read(pw); err != nil {
		s.stop()
		return fmt.Errorf("pgtest: %w", err)
	}
	s.Password = hex.EncodeToString(pw)
	if err := s.admin(context.Background(), "ALTER ROLE "+Superuser+" PASSWORD '"+s.Password+"'"); err != nil {
		s.stop()
		return fmt.Errorf("pgtest: set the password: %w", err)
	}
	return nil
}

// initdb makes a cluster in data, as the server's user.
func initdb(bin string, as *runAs, tmp, data string) error {
	if err := os.Mkdir(data, 0o700); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	if as != nil {
		if err := os.Chown(data, int(as.uid), int(as.gid)); err != nil {
			return fmt.Errorf("pgtest: give %s to postgres: %w", data, err)
		}
	}
	cmd := exec.Command(filepath.Join(bin, "initdb"),
		"-D", data, "-U", Superuser,
		"--auth-local=trust", "--auth-host=scram-sha-256",
		"--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions")
	cmd.Dir = tmp
	cmd.Env = as.env(tmp)
	cmd.SysProcAttr = as.attr()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: initdb: %v\n%s", err, out)
	}
	return nil
}

// templateDir is where the cluster initdb makes is kept for the next
// servers, in the user's cache directory (~/.cache/hongmajia-pgtest), named
// by the server's version and build (its binary's size and time) and by
// initdb's options here (the "1"): a copy of 40 MB takes a fraction of
// initdb's 2 s of CPU. "" when there is no cache directory.
func templateDir(bin string) string {
	cache, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	fi, err := os.Stat(filepath.Join(bin, "postgres"))
	if err != nil {
		return ""
	}
	key := fmt.Sprintf("%s-%d-%d-1", filepath.Base(filepath.Dir(bin)), fi.Size(), fi.ModTime().Unix())
	return filepath.Join(cache, "hongmajia-pgtest", key)
}

// saveTemplate copies a fresh cluster (never started) to dir, whole or not
// at all: into a temporary directory beside it, then renamed. Another test
// binary may save the same at once: the first rename wins.
func saveTemplate(data, dir string) {
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".new-")
	if err != nil {
		return
	}
	defer os.RemoveAll(tmp)
	if copyTree(data, filepath.Join(tmp, "data"), nil) != nil {
		return
	}
	os.Rename(filepath.Join(tmp, "data"), dir)
}

// copyTree copies the directories and regular files under src to dst
// (which must not exist) with their permissions, given to as's user.
func copyTree(src, dst string, as *runAs) error {
	if _, err := os.Stat(filepath.Join(src, "PG_VERSION")); err != nil {
		return err
	}
	return filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if err := os.Mkdir(to, fi.Mode().Perm()); err != nil {
				return err
			}
		case fi.Mode().IsRegular():
			if err := copyFile(path, to, fi.Mode().Perm()); err != nil {
				return err
			}
		default:
			return fmt.Errorf("pgtest: %s is neither a file nor a directory", path)
		}
		if as != nil {
			return os.Lchown(to, int(as.uid), int(as.gid))
		}
		return nil
	})
}

func copyFile(from, to string, perm os.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

var errBind = errors.New("port taken")

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// launch starts postgres on port and waits until it accepts connections.
//
// The parent-death signal is sent when the thread that started the child
// ends, not the process: postgres is started from a goroutine locked to its
// thread that lives until the server is stopped, so the signal comes when
// the test binary dies and not before.
func launch(bin string, as *runAs, tmp, data string, port int, durable bool) (*Server, error) {
	logPath := filepath.Join(tmp, "postgres.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	settings := []string{"fsync=off", "synchronous_commit=off", "full_page_writes=off", "shared_buffers=32MB"}
	if durable {
		settings = []string{"fsync=on", "synchronous_commit=on", "full_page_writes=on", "shared_buffers=256MB"}
	}
	args := []string{"-D", data, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=" + data,
		"-c", "max_connections=200",
		"-c", "logging_collector=off", "-c", "log_min_messages=warning"}
	for _, set := range settings {
		args = append(args, "-c", set)
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Dir = tmp
	cmd.Env = as.env(tmp)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = as.attr()

	s := &Server{
		Dir: data, Port: port, Bin: bin, dir: tmp,
		stopReq: make(chan struct{}),
		stopped: make(chan error, 1),
		exited:  make(chan struct{}),
	}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// The thread stays locked: when this goroutine returns it ends,
		// after postgres has stopped.
		err := cmd.Start()
		logf.Close()
		started <- err
		if err != nil {
			return
		}
		waited := make(chan error, 1)
		go func() {
			waited <- cmd.Wait()
			close(s.exited)
		}()
		select {
		case <-s.stopReq:
		case err := <-waited:
			s.stopped <- fmt.Errorf("postgres exited by itself: %v", err)
			return
		}
		// Smart shutdown would wait for pools left open; fast shutdown
		// (SIGINT) ends their sessions and checkpoints; immediate (SIGQUIT)
		// if that takes long; SIGKILL last.
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGQUIT, syscall.SIGKILL} {
			cmd.Process.Signal(sig)
			select {
			case <-waited:
				s.stopped <- nil
				return
			case <-time.After(10 * time.Second):
			}
		}
		<-waited
		s.stopped <- errors.New("postgres stopped only by SIGKILL")
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("pgtest: start postgres: %w", err)
	}
	s.Pid = cmd.Process.Pid

	// Ready when a connection over the socket succeeds.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, err := pgx.Connect(ctx, s.SocketURL("postgres"))
		cancel()
		if err == nil {
			c.Close(context.Background())
			return s, nil
		}
		select {
		case <-s.exited:
			log, _ := os.ReadFile(logPath)
			<-s.stopped
			if strings.Contains(string(log), "could not bind") || strings.Contains(string(log), "Address already in use") {
				return nil, fmt.Errorf("pgtest: postgres on port %d: %w", port, errBind)
			}
			return nil, fmt.Errorf("pgtest: postgres exited at start:\n%s", log)
		case <-timeout:
			s.stop()
			log, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("pgtest: postgres did not accept connections in 60 s (last: %v):\n%s", err, log)
		case <-tick.C:
		}
	}
}

// stop stops postgres and removes its directory (not Kept's).
func (s *Server) stop() error {
	s.stopMu.Do(func() {
		close(s.stopReq)
		err := <-s.stopped
		if s.keep {
			// Kept's: its directory is for the next run.
		} else if rerr := os.RemoveAll(s.dir); rerr != nil && err == nil {
			err = rerr
		}
		if err != nil {
			s.stopErr = fmt.Errorf("pgtest: stop the server (pid %d): %w", s.Pid, err)
		}
	})
	return s.stopErr
}

// removeStale removes the directories of servers whose test binary is
// gone (killed before its TestMain stopped them; their postgres died with
// it).
func removeStale(tmp string) {
	dirs, _ := filepath.Glob(filepath.Join(tmp, dirPrefix+"*"))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "owner"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || alive(pid) {
			continue
		}
		// Its postmaster, if it still runs (dying from the parent-death
		// signal), holds the data directory's postmaster.pid.
		if pb, err := os.ReadFile(filepath.Join(d, "data", "postmaster.pid")); err == nil {
			first, _, _ := strings.Cut(string(pb), "\n")
			if ppid, err := strconv.Atoi(strings.TrimSpace(first)); err == nil && alive(ppid) {
				continue
			}
		}
		os.RemoveAll(d)
	}
}

// alive reports whether process pid runs (a zombie, dead but not yet
// reaped, does not).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) state ...: comm may hold spaces and parentheses.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 || i+2 >= len(b) {
		return false
	}
	st := b[i+2]
	return st != 'Z' && st != 'X'
}
