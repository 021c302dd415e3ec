package main

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/hubtest"
	"github.com/hongmajia/hongmajia/hub/sqlitestore"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

// passwordFile is a file (mode 600) holding pw and a newline.
func passwordFile(t testing.TB, pw string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "db.password")
	if err := os.WriteFile(p, []byte(pw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// noSecret fails t when secret is in any of texts.
func noSecret(t *testing.T, secret string, texts ...string) {
	t.Helper()
	for _, x := range texts {
		if strings.Contains(x, secret) {
			t.Errorf("the password is in:\n%s", x)
		}
	}
}

func TestDBPassword(t *testing.T) {
	srv := pgtest.Start(t)
	db := srv.URLWithoutPassword(srv.NewDBName(t))
	dir := filepath.Join(t.TempDir(), "hub")
	const secret = "s3cret-Passw0rd"

	// A password on the command line, in each spelling, is refused: exit 2.
	withPW, _ := url.Parse(db)
	withPW.User = url.UserPassword(pgtest.Superuser, secret)
	inQuery := db + "&password=" + secret
	dsn := "host=127.0.0.1 port=5432 user=postgres password = " + secret + " dbname=x"
	for _, bad := range []string{withPW.String(), inQuery, dsn} {
		stderr := fails(t, 2, []string{"--db holds a password", "PGPASSWORD", "~/.pgpass", "--db-password-file"}, "center", "add", "--id", "A", "--name", "中心", "--db", bad, "--data", dir)
		noSecret(t, secret, stderr)
		stderr = fails(t, 2, []string{"--db holds a password"}, "migrate", "--db", bad, "--data", dir)
		noSecret(t, secret, stderr)
	}
	fails(t, 2, []string{"--db-password-file goes with --db"}, "status", "--db-password-file", passwordFile(t, secret), "--data", dir)

	// A password file others may read is refused, a missing one named.
	open := passwordFile(t, srv.Password)
	if err := os.Chmod(open, 0o640); err != nil {
		t.Fatal(err)
	}
	fails(t, 1, []string{"readable by others", "chmod 600"}, "center", "add", "--id", "A", "--name", "中心", "--db", db, "--db-password-file", open, "--data", dir)
	fails(t, 1, []string{"--db-password-file", "no such file"}, "center", "add", "--id", "A", "--name", "中心", "--db", db, "--db-password-file", filepath.Join(t.TempDir(), "none"), "--data", dir)

	// A wrong password in the file: refused by the server, and in no message.
	stderr := fails(t, 1, []string{"password authentication failed"}, "center", "add", "--id", "A", "--name", "中心", "--db", db, "--db-password-file", passwordFile(t, secret), "--data", dir)
	noSecret(t, secret, stderr)

	// The file's password (trimmed) opens the database.
	pw := passwordFile(t, "  "+srv.Password+"\n\n")
	must(t, "center", "add", "--id", "A", "--name", "和平里党群服务中心", "--db", db, "--db-password-file", pw, "--data", dir)
	out := must(t, "center", "list", "--db", db, "--db-password-file", pw, "--data", dir)
	wantIn(t, "center list", out, "和平里党群服务中心")
	if _, err := os.Stat(filepath.Join(dir, sqlitestore.FileName)); err == nil {
		t.Errorf("a hub on PostgreSQL made %s", sqlitestore.FileName)
	}
	if _, err := os.Stat(filepath.Join(dir, hub.KeyFile)); err != nil {
		t.Errorf("the hub's key is not in the data directory: %v", err)
	}
	// An admin command with --db on a directory with no hub (no hub.key)
	// makes none, as without --db.
	fails(t, 1, []string{"no hub in", "hub.key is missing"}, "kiosk", "list", "--db", db, "--db-password-file", pw, "--data", t.TempDir())
	// Without the flag, the SQLite store of the same directory: none.
	fails(t, 1, []string{"hub.db is missing"}, "center", "list", "--data", dir)

	// PGPASSWORD, which pgx reads.
	t.Setenv("PGPASSWORD", srv.Password)
	wantIn(t, "center list with PGPASSWORD", must(t, "center", "list", "--db", db, "--data", dir), "和平里党群服务中心")
	wantIn(t, "metrics token with --db", must(t, "metrics", "token", "--db", db, "--data", dir), "")
}

// richHub is a SQLite hub with real content: centers, activities, the
// catalog, people, two kiosks' entries (check-ins, redemptions, a
// walk-in), a merge, flags, users, staff and the audit of it all.
func richHub(t *testing.T) string {
	t.Helper()
	dir := newHub(t)
	must(t, "import", "activities", filepath.Join(examples, "activities.csv"), "--center", "A", "--data", dir)
	must(t, "import", "catalog", filepath.Join(examples, "catalog.csv"), "--center", "A", "--data", dir)
	syncKiosks(t, dir)
	must(t, "person", "merge", "W-4242", "HPL0002", "--data", dir)
	if code, _, stderr := hubdIn(t, strings.NewReader("web password 1\nweb password 1\n"), "user", "add", "--role", "district", "--name", "王芳", "--data", dir); code != 0 {
		t.Fatalf("user add: %d %s", code, stderr)
	}
	if code, _, stderr := hubdIn(t, strings.NewReader("2468\n2468\n"), "staff", "add", "--center", "A", "--name", "张三", "--card", "FFEE0001", "--role", "technician", "--data", dir); code != 0 {
		t.Fatalf("staff add: %d %s", code, stderr)
	}
	must(t, "card", "block", "3A7F2C91", "--data", dir)
	return dir
}

// answers are what the hub of where answers a technician and a kiosk:
// the admin commands' output and a kiosk's pull from 0.
func answers(t *testing.T, where *hubFlags) map[string]string {
	t.Helper()
	var store []string
	if where.db != "" {
		store = []string{"--db", where.db, "--db-password-file", where.passwordFile}
	}
	out := map[string]string{}
	for _, c := range [][]string{{"center", "list"}, {"kiosk", "list"}, {"flags", "--all"}, {"user", "list"}, {"policy", "show"}, {"status", "--json"}, {"bundle", "list"}} {
		out[strings.Join(c, " ")] = must(t, append(append(c, "--data", where.dir), store...)...)
	}
	withHubAt(t, where, func(h *hub.Hub) {
		for _, k := range []string{"T-A", "T-B"} {
			res, err := h.Pull(ctx, hubsync.Meta{Terminal: k}, hubsync.Pull{Terminal: k})
			if err != nil {
				t.Fatalf("pull %s: %v", k, err)
			}
			res.HubTime = time.Time{} // the hub's clock, at the pull
			b, _ := json.Marshal(res)
			out["pull "+k] = string(b)
		}
		p, err := h.FindPerson(ctx, "HPL0001")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(p)
		out["person HPL0001"] = string(b)
	})
	return out
}

func TestMigrate(t *testing.T) {
	srv := pgtest.Start(t)
	name := srv.NewDBName(t)
	dir := richHub(t)
	pg := &hubFlags{dir: dir, db: srv.URLWithoutPassword(name), passwordFile: passwordFile(t, srv.Password)}
	before, err := os.ReadFile(filepath.Join(dir, sqlitestore.FileName))
	if err != nil {
		t.Fatal(err)
	}

	fails(t, 2, []string{"--db names the PostgreSQL database"}, "migrate", "--data", dir)
	code, out, stderr := hubd(t, "migrate", "--db", pg.db, "--db-password-file", pg.passwordFile, "--data", dir)
	if code != 0 {
		t.Fatalf("migrate: exit %d\n%s\n%s", code, out, stderr)
	}
	wantIn(t, "migrate", out, "已复制 copied 25 tables", "entries 6", "people 21", "kiosks 2", "redemptions 2", "users 1", "audit ", "已核对 verified", "相同 the same",
		"postgresql host=127.0.0.1", "dbname="+name, "user=postgres", "hubd serve --db")
	noSecret(t, srv.Password, out, stderr)
	if i := strings.Index(out, "已复制"); i < 0 || i > strings.Index(out, "copied") {
		t.Errorf("the Chinese does not come first:\n%s", out)
	}
	after, _ := os.ReadFile(filepath.Join(dir, sqlitestore.FileName))
	if string(after) != string(before) {
		t.Error("migrate changed hub.db")
	}

	// The migrated hub answers as the original.
	want := answers(t, &hubFlags{dir: dir})
	got := answers(t, pg)
	for k, w := range want {
		if g := got[k]; g != w {
			t.Errorf("%s after migrate:\n%s\nwant (SQLite):\n%s", k, g, w)
		}
	}

	// It takes a kiosk's next push: numbers follow the copied ones.
	withHubAt(t, pg, func(h *hub.Hub) {
		tok, _, err := h.IssueToken(ctx, "B", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		k := hubtest.NewKiosk("T-C", "B", clock.Real{}.Now)
		if _, err := h.Enroll(ctx, k.Meta(), k.Enroll(tok)); err != nil {
			t.Fatal(err)
		}
		p, err := h.FindPerson(ctx, "HPL0003")
		if err != nil {
			t.Fatal(err)
		}
		k.Earn(p.ID, "11223344", 1, 30, 5)
		res, err := h.Push(ctx, k.Meta(), k.Push())
		if err != nil || res.Refused != "" || res.Acked != k.Head() {
			t.Fatalf("push after migrate: %+v, %v", res, err)
		}
		pull, err := h.Pull(ctx, k.Meta(), hubsync.Pull{Terminal: "T-C"})
		if err != nil {
			t.Fatal(err)
		}
		var wantVersion struct{ Version uint64 }
		json.Unmarshal([]byte(want["pull T-A"]), &wantVersion)
		if pull.Version <= wantVersion.Version {
			t.Errorf("the registry version after a push on the copy: %d, the original's %d", pull.Version, wantVersion.Version)
		}
	})

	// A second migrate into the now non-empty database is refused.
	stderr = fails(t, 1, []string{"目标数据库不是空的", "holds a hub already", "empty database only"}, "migrate", "--db", pg.db, "--db-password-file", pg.passwordFile, "--data", dir)
	noSecret(t, srv.Password, stderr)
	t.Setenv("PGPASSWORD", srv.Password)
	wantIn(t, "the copy after a refused migrate", must(t, "kiosk", "list", "--db", pg.db, "--data", dir), "T-C")
}

// rows counts the rows of the hub's tables in the database of connString,
// and the counters not zero.
func rows(t *testing.T, connString string) int {
	t.Helper()
	c, err := pgx.Connect(ctx, connString)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var tables []string
	r, err := c.Query(ctx, "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_name NOT IN ('hub_schema', 'counters')")
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var n string
		r.Scan(&n)
		tables = append(tables, n)
	}
	if r.Err() != nil {
		t.Fatal(r.Err())
	}
	total := 0
	for _, n := range tables {
		var k int
		if err := c.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{n}.Sanitize()).Scan(&k); err != nil {
			t.Fatal(err)
		}
		total += k
	}
	var k int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM counters WHERE version <> 0 OR value <> 0").Scan(&k); err != nil {
		t.Fatal(err)
	}
	return total + k
}

func TestMigrateInterrupted(t *testing.T) {
	srv := pgtest.Start(t)
	name := srv.NewDBName(t)
	dir := richHub(t)
	pw := passwordFile(t, srv.Password)
	db := srv.URLWithoutPassword(name)

	// ^C (SIGINT) while the people are copied: the centers, kiosks and
	// entries copied before are rolled back with the rest.
	migrateHook = func(ctx context.Context, table string) {
		if table == "people" {
			syscall.Kill(os.Getpid(), syscall.SIGINT)
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Second):
				t.Error("SIGINT did not stop the copy")
			}
		}
	}
	defer func() { migrateHook = nil }()
	fails(t, 1, []string{"迁移已中断 interrupted", "nothing was copied", "context canceled"}, "migrate", "--db", db, "--db-password-file", pw, "--data", dir)
	migrateHook = nil
	if n := rows(t, srv.URL(name)); n != 0 {
		t.Fatalf("an interrupted migrate left %d rows", n)
	}
	// Run again, it copies the hub.
	out := must(t, "migrate", "--db", db, "--db-password-file", pw, "--data", dir)
	wantIn(t, "migrate after an interrupted one", out, "已核对 verified")
	if n := rows(t, srv.URL(name)); n == 0 {
		t.Fatal("the second migrate copied nothing")
	}

	// A source that is no hub, and one with no hub.db, are refused.
	fails(t, 1, []string{"hub.db is missing"}, "migrate", "--db", db, "--db-password-file", pw, "--data", t.TempDir())
}

// TestTableSums: migrate's comparison of a table ignores the rows' and
// the columns' order and sees any value changed, a row missing or twice.
func TestTableSums(t *testing.T) {
	sum := func(cols []string, rows ...[]any) *tableSums {
		var ts tableSums
		if err := ts.take("t", cols, nil); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if err := ts.take("t", cols, r); err != nil {
				t.Fatal(err)
			}
		}
		return &ts
	}
	a := sum([]string{"id", "name", "raw"}, []any{int64(1), "甲", []byte{1}}, []any{int64(2), "乙", nil})
	same := sum([]string{"raw", "id", "name"}, []any{nil, int64(2), "乙"}, []any{[]byte{1}, int64(1), "甲"})
	if d := a.differ(same); len(d) != 0 {
		t.Errorf("the same rows in another order differ: %v", d)
	}
	for name, b := range map[string]*tableSums{
		"a value":       sum([]string{"id", "name", "raw"}, []any{int64(1), "甲", []byte{2}}, []any{int64(2), "乙", nil}),
		"a type":        sum([]string{"id", "name", "raw"}, []any{int64(1), "甲", "\x01"}, []any{int64(2), "乙", nil}),
		"null or empty": sum([]string{"id", "name", "raw"}, []any{int64(1), "甲", []byte{1}}, []any{int64(2), "乙", []byte{}}),
		"a row missing": sum([]string{"id", "name", "raw"}, []any{int64(1), "甲", []byte{1}}),
		"a row twice":   sum([]string{"id", "name", "raw"}, []any{int64(1), "甲", []byte{1}}, []any{int64(1), "甲", []byte{1}}),
		"two columns":   sum([]string{"id", "raw", "name"}, []any{int64(1), "甲", []byte{1}}, []any{int64(2), "乙", nil}),
	} {
		if d := a.differ(b); len(d) != 1 {
			t.Errorf("%s: differ %v", name, d)
		}
	}
	var empty tableSums
	if d := a.differ(&empty); len(d) != 1 || !strings.Contains(d[0], "not copied") {
		t.Errorf("a table not copied: %v", d)
	}
}
