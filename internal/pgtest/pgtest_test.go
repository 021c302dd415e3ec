package pgtest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// childEnv makes the test binary a child that starts a server, reports it
// on stdout and then ends as the value says (see childMain).
const childEnv = "PGTEST_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		childMain(mode)
	}
	Main(m)
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func TestServerRuns(t *testing.T) {
	begin := time.Now()
	s := Start(t)
	t.Logf("server up in %v (started by this test, or earlier by another): pid %d, port %d, %s", time.Since(begin), s.Pid, s.Port, s.Bin)
	if Start(t) != s {
		t.Fatal("a second Start started another server: one per test binary")
	}
	c := connect(t, s.NewDB(t))
	var version, who, enc, collate string
	if err := c.QueryRow(context.Background(),
		"SELECT current_setting('server_version'), current_user, current_setting('server_encoding'), datcollate FROM pg_database WHERE datname = current_database()").
		Scan(&version, &who, &enc, &collate); err != nil {
		t.Fatal(err)
	}
	if who != Superuser || enc != "UTF8" || collate != "C" {
		t.Errorf("user %q encoding %q collation %q, want %q UTF8 C", who, enc, collate, Superuser)
	}
	if !strings.HasPrefix(s.Bin, "/usr/lib/postgresql/"+strings.Split(version, ".")[0]+"/") {
		t.Errorf("server %s runs from %s", version, s.Bin)
	}
	for _, set := range []string{"fsync", "synchronous_commit", "full_page_writes"} {
		var v string
		if err := c.QueryRow(context.Background(), "SELECT current_setting($1)", set).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != "off" {
			t.Errorf("%s = %s, want off", set, v)
		}
	}
}

// TestDurableServer: Durable is a second server, durable as PostgreSQL's
// defaults are, stopped with the first.
func TestDurableServer(t *testing.T) {
	d := Durable(t)
	if Durable(t) != d {
		t.Fatal("a second Durable started another server")
	}
	if s := Start(t); s == d || s.Port == d.Port || s.Dir == d.Dir {
		t.Fatalf("Durable's server is Start's: port %d, %s", d.Port, d.Dir)
	}
	c := connect(t, d.NewDB(t))
	for set, want := range map[string]string{"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on", "shared_buffers": "256MB"} {
		var v string
		if err := c.QueryRow(context.Background(), "SELECT current_setting($1)", set).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != want {
			t.Errorf("%s = %s, want %s", set, v, want)
		}
	}
}

// TestKeptServer: Kept's cluster outlives the run, in its directory (made
// when missing), with KeptDB's databases and what they hold; durable as
// Durable's.
func TestKeptServer(t *testing.T) {
	top, err := os.MkdirTemp("", "pgtest-kept-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(top) })
	if err := os.Chmod(top, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(top, "made", "here")
	s := Kept(t, dir)
	t.Cleanup(func() { Stop() }) // before top is removed
	if Kept(t, dir) != s {
		t.Fatal("a second Kept of the same directory started another server")
	}
	if d := Durable(t); d == s || d.Dir == s.Dir {
		t.Fatalf("Kept's server is Durable's: %s", s.Dir)
	}
	url := s.KeptDB(t, "kept")
	if again := s.KeptDB(t, "kept"); again != url {
		t.Fatalf("KeptDB again: %s, want %s", again, url)
	}
	c := connect(t, url)
	for set, want := range map[string]string{"fsync": "on", "synchronous_commit": "on", "shared_buffers": "256MB"} {
		var v string
		if err := c.QueryRow(context.Background(), "SELECT current_setting($1)", set).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != want {
			t.Errorf("%s = %s, want %s", set, v, want)
		}
	}
	if _, err := c.Exec(context.Background(), "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('first run')"); err != nil {
		t.Fatal(err)
	}
	c.Close(context.Background())

	if err := Stop(); err != nil {
		t.Fatal(err)
	}
	if alive(s.Pid) {
		t.Fatalf("postgres (pid %d) runs after Stop", s.Pid)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "PG_VERSION")); err != nil {
		t.Fatalf("Stop removed the kept cluster: %v", err)
	}

	s2 := Kept(t, dir)
	if s2 == s || s2.Pid == s.Pid {
		t.Fatal("Kept after Stop returned the stopped server")
	}
	var v string
	if err := connect(t, s2.KeptDB(t, "kept")).QueryRow(context.Background(), "SELECT v FROM kept").Scan(&v); err != nil {
		t.Fatalf("the kept database after a restart: %v", err)
	}
	if v != "first run" {
		t.Fatalf("kept holds %q, want %q", v, "first run")
	}
}

// TestRunsAsPostgresWhenRoot: as root (CI's `make test`) the server runs
// as the postgres user, otherwise as the tests' user.
func TestRunsAsPostgresWhenRoot(t *testing.T) {
	s := Start(t)
	want := os.Getuid()
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatal(err)
		}
		want, _ = strconv.Atoi(u.Uid)
	}
	if uid := procUID(s.Pid); uid != want {
		t.Errorf("postgres (pid %d) runs as uid %d, want %d (tests' euid %d)", s.Pid, uid, want, os.Geteuid())
	}
	fi, err := os.Stat(s.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := int(fi.Sys().(*syscall.Stat_t).Uid); got != want {
		t.Errorf("data directory owned by uid %d, want %d", got, want)
	}
}

// procUID is the effective uid process pid runs as (-1 if it is gone).
func procUID(pid int) int {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "Uid:" {
			uid, _ := strconv.Atoi(f[2])
			return uid
		}
	}
	return -1
}

func TestDatabasesAreIndependent(t *testing.T) {
	s := Start(t)
	a := connect(t, s.NewDB(t))
	b := connect(t, s.NewDB(t))
	ctx := context.Background()
	var na, nb string
	a.QueryRow(ctx, "SELECT current_database()").Scan(&na)
	b.QueryRow(ctx, "SELECT current_database()").Scan(&nb)
	if na == nb || na == "" {
		t.Fatalf("two NewDB gave databases %q and %q", na, nb)
	}
	if _, err := a.Exec(ctx, "CREATE TABLE people (id int PRIMARY KEY, name text); INSERT INTO people VALUES (1, '张三')"); err != nil {
		t.Fatal(err)
	}
	var pgErr *pgconn.PgError
	_, err := b.Exec(ctx, "SELECT * FROM people")
	if !errors.As(err, &pgErr) || pgErr.Code != "42P01" {
		t.Fatalf("the other database sees the table: %v", err)
	}
	if _, err := b.Exec(ctx, "CREATE TABLE people (id int PRIMARY KEY, name text); INSERT INTO people VALUES (1, '李四')"); err != nil {
		t.Fatal(err)
	}
	var name string
	if err := a.QueryRow(ctx, "SELECT name FROM people WHERE id = 1").Scan(&name); err != nil || name != "张三" {
		t.Fatalf("first database reads %q, %v; want 张三", name, err)
	}
}

// TestTCPAndSocket: one database through both ways in, and TCP asks the
// password.
func TestTCPAndSocket(t *testing.T) {
	s := Start(t)
	db := s.NewDBName(t)
	ctx := context.Background()
	sock := connect(t, s.SocketURL(db))
	if _, err := sock.Exec(ctx, "CREATE TABLE n (v int); INSERT INTO n VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	tcp := connect(t, s.URL(db))
	var v int
	var addr *string
	if err := tcp.QueryRow(ctx, "SELECT v, host(inet_client_addr()) FROM n").Scan(&v, &addr); err != nil {
		t.Fatal(err)
	}
	if v != 42 || addr == nil || *addr != "127.0.0.1" {
		t.Errorf("over TCP: v %d client %v, want 42 from 127.0.0.1", v, addr)
	}
	if err := sock.QueryRow(ctx, "SELECT host(inet_client_addr())").Scan(&addr); err != nil || addr != nil {
		t.Errorf("over the socket: client address %v %v, want none (a unix socket)", addr, err)
	}

	_, err := pgx.Connect(ctx, s.URLWithoutPassword(db))
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		t.Errorf("TCP without the password: %v, want password authentication failed (28P01)", err)
	}
	cfg, err := pgx.ParseConfig(s.URLWithoutPassword(db))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Password = s.Password
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("TCP with the password given apart: %v", err)
	}
	c.Close(ctx)
}

// TestDatabaseDroppedAtCleanup: a test's database is gone when it ends,
// even with a connection it left open.
func TestDatabaseDroppedAtCleanup(t *testing.T) {
	s := Start(t)
	var name string
	var left *pgx.Conn
	t.Run("test", func(t *testing.T) {
		name = s.NewDBName(t)
		c, err := pgx.Connect(context.Background(), s.URL(name))
		if err != nil {
			t.Fatal(err)
		}
		left = c // not closed: a pool a test forgot
	})
	defer left.Close(context.Background())
	c := connect(t, s.SocketURL("postgres"))
	var n int
	if err := c.QueryRow(context.Background(), "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("database %s still there after its test", name)
	}
}

func TestDBName(t *testing.T) {
	long := dbName("TestStore/Postgres/"+strings.Repeat("很长的名字", 20)+"/"+strings.Repeat("x", 80), 12345)
	for _, c := range []struct{ got, want string }{
		{dbName("TestPush/two_kiosks", 3), "t_testpush_two_kiosks_3"},
		{dbName("Test中文", 1), "t_test_1"},
	} {
		if c.got != c.want {
			t.Errorf("dbName = %q, want %q", c.got, c.want)
		}
	}
	if len(long) > 63 || !strings.HasSuffix(long, "_12345") {
		t.Errorf("long name %q (%d bytes): want at most 63, ending _12345", long, len(long))
	}
}

func TestBinaries(t *testing.T) {
	root := t.TempDir()
	mk := func(ver string, names ...string) {
		bin := filepath.Join(root, ver, "bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if err := os.WriteFile(filepath.Join(bin, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, err := binariesIn(root)
	if err == nil || !strings.Contains(err.Error(), "make test") {
		t.Fatalf("no server: %v, want an error saying to run make test", err)
	}
	mk("9.6", "initdb", "postgres")
	mk("15", "initdb", "postgres")
	mk("16", "initdb") // the client package alone: no server
	mk("common", "initdb", "postgres")
	got, err := binariesIn(root)
	if want := filepath.Join(root, "15", "bin"); err != nil || got != want {
		t.Errorf("binariesIn = %q, %v; want %q", got, err, want)
	}
	mk("17", "initdb", "postgres")
	if got, _ := binariesIn(root); got != filepath.Join(root, "17", "bin") {
		t.Errorf("binariesIn = %q, want the newest, 17", got)
	}
}

func TestReachable(t *testing.T) {
	closed := filepath.Join(t.TempDir(), "closed")
	if err := os.MkdirAll(filepath.Join(closed, "tmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	os.Chmod(closed, 0o700)
	if err := reachable(filepath.Join(closed, "tmp", "x")); err == nil || !strings.Contains(err.Error(), "TMPDIR") {
		t.Errorf("under a 0700 directory: %v, want an error naming TMPDIR", err)
	}
	if err := reachable("/tmp/x"); err != nil {
		t.Errorf("/tmp/x: %v", err)
	}
}

// report is what a child tells of its server.
type report struct {
	Pid      int    // the postmaster
	Dir      string // its temporary directory
	Children []int  // its processes, one a backend serving the child
	UID      int    // the postmaster's effective uid
}

// childMain starts a server without a test (as Start does), reports it,
// and ends: "stop" as Run does, "panic" in a panic, "kill": it waits to be
// killed.
func childMain(mode string) {
	mu.Lock()
	mainRan = true
	mu.Unlock()
	s, err := start(false)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	current = s
	c, err := pgx.Connect(context.Background(), s.URL("postgres"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	var backend int
	c.QueryRow(context.Background(), "SELECT pg_backend_pid()").Scan(&backend)
	kids := childrenOf(s.Pid)
	found := false
	for _, k := range kids {
		found = found || k == backend
	}
	if !found {
		fmt.Fprintf(os.Stderr, "backend %d not among postgres's processes %v\n", backend, kids)
		os.Exit(3)
	}
	json.NewEncoder(os.Stdout).Encode(report{s.Pid, s.dir, kids, procUID(s.Pid)})
	switch mode {
	case "stop":
		if err := Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "panic":
		panic("a test panics")
	default:
		select {}
	}
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(pid int) []int {
	ents, _ := os.ReadDir("/proc")
	var kids []int
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			kids = append(kids, p)
		}
	}
	return kids
}

// TestServerEndsWithTheTests runs this binary as a child that starts a
// server and ends three ways: its TestMain stops the server, a test
// panics, or it is killed. Each time no process of the server is left,
// and its directory is removed (at once, or by the next Start). As root
// (CI), the server runs as postgres; the child is also run as another user
// (nobody), whose server runs as that user, as a developer's does.
func TestServerEndsWithTheTests(t *testing.T) {
	modes := []string{"stop", "panic", "kill"}
	if os.Geteuid() == 0 {
		modes = append(modes, "stop-as-nobody")
	}
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			// The child's temporary directory: one every user can enter, as
			// the postgres user must when the tests run as root.
			tmp, err := os.MkdirTemp("", "pgtest-child-")
			if err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(tmp)
			os.Chmod(tmp, 0o755)

			wantUID := os.Geteuid()
			if wantUID == 0 {
				u, err := user.Lookup("postgres")
				if err != nil {
					t.Fatal(err)
				}
				wantUID, _ = strconv.Atoi(u.Uid)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), childEnv+"="+strings.TrimSuffix(mode, "-as-nobody"), "TMPDIR="+tmp)
			if mode == "stop-as-nobody" {
				// The binary copied where nobody can run it, its home,
				// cache and temporary directory its own.
				u, err := user.Lookup("nobody")
				if err != nil {
					t.Fatal(err)
				}
				uid, _ := strconv.Atoi(u.Uid)
				gid, _ := strconv.Atoi(u.Gid)
				bin := filepath.Join(tmp, "pgtest.test")
				b, err := os.ReadFile(os.Args[0])
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(bin, b, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Chown(tmp, uid, gid); err != nil {
					t.Fatal(err)
				}
				cmd.Path = bin
				cmd.Dir = tmp
				cmd.Env = append(cmd.Env, "HOME="+tmp, "XDG_CACHE_HOME="+filepath.Join(tmp, "cache"))
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}
				wantUID = uid
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var r report
			line, err := bufio.NewReader(out).ReadBytes('\n')
			if err != nil || json.Unmarshal(line, &r) != nil {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("child's report %q, %v; stderr:\n%s", line, err, stderr.String())
			}
			if len(r.Children) < 3 {
				t.Errorf("postgres %d runs %v: want its background processes and a backend", r.Pid, r.Children)
			}
			if r.UID != wantUID {
				t.Errorf("postgres runs as uid %d, want %d", r.UID, wantUID)
			}
			if mode == "kill" {
				cmd.Process.Signal(syscall.SIGKILL)
			}
			err = cmd.Wait()
			switch mode {
			case "stop", "stop-as-nobody":
				if err != nil {
					t.Fatalf("child: %v\n%s", err, stderr.String())
				}
			case "panic":
				if !strings.Contains(stderr.String(), "a test panics") {
					t.Fatalf("child did not panic: %v\n%s", err, stderr.String())
				}
			}
			pids := append([]int{r.Pid}, r.Children...)
			deadline := time.Now().Add(20 * time.Second)
			for {
				var left []int
				for _, p := range pids {
					if alive(p) {
						left = append(left, p)
					}
				}
				if len(left) == 0 {
					break
				}
				if time.Now().After(deadline) {
					for _, p := range left {
						syscall.Kill(p, syscall.SIGKILL)
					}
					t.Fatalf("postgres's processes %v outlived the tests by 20 s (of %v)", left, pids)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if strings.HasPrefix(mode, "stop") {
				if _, err := os.Stat(r.Dir); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("server's directory %s left after Stop: %v", r.Dir, err)
				}
				return
			}
			if _, err := os.Stat(filepath.Join(r.Dir, "data", "PG_VERSION")); err != nil {
				t.Fatalf("a killed child's directory: %v (expected left behind)", err)
			}
			removeStale(tmp)
			if _, err := os.Stat(r.Dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the next start left the killed child's directory %s: %v", r.Dir, err)
			}
		})
	}
}

// TestRemoveStaleKeepsLiveOnes: a directory whose owner runs is kept.
func TestRemoveStaleKeepsLiveOnes(t *testing.T) {
	tmp := t.TempDir()
	mine := filepath.Join(tmp, dirPrefix+"mine")
	other := filepath.Join(tmp, "something-else")
	for _, d := range []string{mine, other} {
		os.Mkdir(d, 0o700)
		os.WriteFile(filepath.Join(d, "owner"), []byte("1"), 0o644) // a dead pid is written below
	}
	os.WriteFile(filepath.Join(mine, "owner"), []byte(strconv.Itoa(os.Getpid())), 0o644)
	removeStale(tmp)
	for _, d := range []string{mine, other} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s removed: %v", d, err)
		}
	}
}

// TestTemplateCache: the first server's cluster is kept (never started,
// no password in it) and the next servers start from a copy; a cluster
// there that does not start is removed with a clear error, and the next
// start makes it again.
func TestTemplateCache(t *testing.T) {
	s := Start(t)
	dir := templateDir(s.Bin)
	if dir == "" {
		t.Fatal("no cache directory")
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err != nil {
		t.Fatalf("the cluster is not kept: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the kept cluster was started: %v", err)
	}

	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	broken := templateDir(s.Bin)
	if err := os.MkdirAll(broken, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(broken, "PG_VERSION"), []byte("15\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := start(false); err == nil || !strings.Contains(err.Error(), broken) {
		t.Fatalf("start from a broken cache: %v, want an error naming %s", err, broken)
	}
	if _, err := os.Stat(broken); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the broken cluster is still kept: %v", err)
	}
	begin := time.Now()
	s2, err := start(false)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("a server with initdb in %v", time.Since(begin))
	defer s2.stop()
	if _, err := os.Stat(filepath.Join(broken, "base")); err != nil {
		t.Errorf("the cluster is not kept again: %v", err)
	}
	c := connect(t, s2.URL("postgres"))
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	begin = time.Now()
	s3, err := start(false)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("a server from the kept cluster in %v", time.Since(begin))
	if err := s3.stop(); err != nil {
		t.Fatal(err)
	}
	if s3.Password == s2.Password {
		t.Error("two servers with one password")
	}
}
