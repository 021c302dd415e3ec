package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hongmajia/hongmajia/hub/sqlitestore"
	"github.com/hongmajia/hongmajia/internal/pgtest"
)

// configFile writes a hub config file (mode 644, as the package ships it)
// and returns its path.
func configFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hubd.toml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConfigDatabase: the config file's database, with its password file,
// is the store of an admin command and of a real `hubd serve`, with no
// --db; a flag on the command line wins over the file.
func TestConfigDatabase(t *testing.T) {
	srv := pgtest.Start(t)
	db := srv.URLWithoutPassword(srv.NewDBName(t))
	pw := passwordFile(t, srv.Password)
	cfg := configFile(t, "# the hub's store\ndatabase = \""+db+"\"\ndatabase_password_file = \""+pw+"\"\n")
	dir := filepath.Join(t.TempDir(), "hub")

	must(t, "center", "add", "--id", "A", "--name", "和平里党群服务中心", "--config", cfg, "--data", dir)
	wantIn(t, "center list by the config", must(t, "center", "list", "--config", cfg, "--data", dir), "和平里党群服务中心")
	if _, err := os.Stat(filepath.Join(dir, sqlitestore.FileName)); err == nil {
		t.Errorf("a hub on the config's PostgreSQL made %s", sqlitestore.FileName)
	}
	// The same file by HUBD_CONFIG, and as the default file.
	t.Setenv(configEnv, cfg)
	wantIn(t, "center list by "+configEnv, must(t, "center", "list", "--data", dir), "和平里党群服务中心")
	t.Setenv(configEnv, "")
	defer func(was string) { defaultConfigFile = was }(defaultConfigFile)
	defaultConfigFile = cfg
	wantIn(t, "center list by the default file", must(t, "center", "list", "--data", dir), "和平里党群服务中心")
	// A missing default file is no configuration: the SQLite store.
	defaultConfigFile = filepath.Join(t.TempDir(), "hubd.toml")
	fails(t, 1, []string{"hub.db is missing"}, "center", "list", "--data", dir)
	defaultConfigFile = ""

	// The flags win. --db names another database: the config's password
	// file is not sent to it, so without one of its own it is refused…
	other := srv.URLWithoutPassword(srv.NewDBName(t))
	stderr := fails(t, 1, []string{"password"}, "center", "list", "--config", cfg, "--db", other, "--data", dir)
	noSecret(t, srv.Password, stderr)
	// …and with one it is the store: not the config's hub.
	if out := must(t, "center", "list", "--config", cfg, "--db", other, "--db-password-file", pw, "--data", dir); strings.Contains(out, "和平里") {
		t.Errorf("--db over the config's database listed the config's centers:\n%s", out)
	}
	// --db-password-file over the config's: a wrong password is refused.
	stderr = fails(t, 1, []string{"password authentication failed"}, "center", "list", "--config", cfg, "--db-password-file", passwordFile(t, "not-the-password"), "--data", dir)
	noSecret(t, "not-the-password", stderr)

	// A real `hubd serve` on the config's database logs the file and the
	// store, by host, port, database and user only.
	p, addrs := startServe(t, []string{"addr"}, "--listen", "127.0.0.1:0", "--config", cfg, "--data", dir)
	if addrs["addr"] == "" {
		t.Fatal("no address")
	}
	if err := p.stop(); err != nil {
		t.Fatalf("hubd serve after SIGTERM: %v\n%s", err, p.String())
	}
	u, _ := url.Parse(db)
	log := p.String()
	wantIn(t, "serve log", log, "config="+cfg, `store="postgresql host=127.0.0.1 port=`+u.Port()+" dbname="+strings.TrimPrefix(u.Path, "/")+" user="+u.User.Username()+`"`)
	noSecret(t, srv.Password, log)
}

// TestConfigRefused: a config file that cannot be right stops every
// command before it opens a store (exit 2), naming the file, its line and
// the key; a password in it is refused and never repeated.
func TestConfigRefused(t *testing.T) {
	dir := newHub(t)
	const secret = "s3cret-Passw0rd"
	for name, tc := range map[string]struct {
		text string
		say  []string
	}{
		"password in the URL": {"database = \"postgres://hub:" + secret + "@db.example:5432/hub\"\n",
			[]string{":1: database: holds a password", "database_password_file", "PGPASSWORD"}},
		"password in the query": {"\n\ndatabase = \"postgres://hub@db.example:5432/hub?sslmode=verify-full&password=" + secret + "\"\n",
			[]string{":3: database: holds a password"}},
		"password in a connection string": {"database = \"host=db.example user=hub password=" + secret + "\"\n",
			[]string{":1: database: holds a password"}},
		"unknown key": {"database = \"postgres://hub@db.example/hub\"\ndatbase_password_file = \"/x\"\n",
			[]string{":2: datbase_password_file: unknown key"}},
		"unknown table": {"[store]\ndatabase = \"postgres://hub@db.example/hub\"\n",
			[]string{":1: store: unknown key"}},
		"malformed": {"# the hub\ndatabase = \"postgres://hub@db.example/hub\n",
			[]string{":2:"}},
		"wrong type": {"database = 5432\n",
			[]string{":1:", "database"}},
		"password file without database": {"database_password_file = \"/etc/hongmajia/db.password\"\n",
			[]string{":1: database_password_file: goes with database"}},
		"relative password file": {"database = \"postgres://hub@db.example/hub\"\ndatabase_password_file = \"db.password\"\n",
			[]string{":2: database_password_file:", "absolute path"}},
		"unparsable database": {"database = \"postgres://hub@db.example:port/hub\"\n",
			[]string{"database in ", "hubd.toml"}},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := configFile(t, tc.text)
			for _, args := range [][]string{
				{"center", "list", "--config", cfg, "--data", dir},
				{"serve", "--listen", "127.0.0.1:0", "--config", cfg, "--data", dir},
				{"metrics", "token", "--config", cfg, "--data", dir},
				// A flag over the file does not excuse the file.
				{"migrate", "--config", cfg, "--db", "postgres://hub@127.0.0.1:1/hub", "--data", dir},
			} {
				if name == "unparsable database" && args[0] == "migrate" {
					continue // --db is the store then, and the file's database is unused
				}
				stderr := fails(t, 2, append([]string{cfg}, tc.say...), args...)
				noSecret(t, secret, stderr)
			}
		})
	}

	// A file --config or HUBD_CONFIG names must be there.
	missing := filepath.Join(t.TempDir(), "hubd.toml")
	fails(t, 2, []string{"--config", missing, "no such file"}, "status", "--config", missing, "--data", dir)
	t.Setenv(configEnv, missing)
	fails(t, 2, []string{configEnv, missing, "no such file"}, "status", "--data", dir)
	// --config names the file over HUBD_CONFIG.
	must(t, "status", "--config", configFile(t, "# nothing: the SQLite store\n"), "--data", dir)
}

// TestConfigPasswordFile: the config's password file is checked as
// --db-password-file's, and named by its key and file in the message.
func TestConfigPasswordFile(t *testing.T) {
	srv := pgtest.Start(t)
	db := srv.URLWithoutPassword(srv.NewDBName(t))
	pw := passwordFile(t, srv.Password)
	if err := os.Chmod(pw, 0o640); err != nil {
		t.Fatal(err)
	}
	cfg := configFile(t, "database = \""+db+"\"\ndatabase_password_file = \""+pw+"\"\n")
	dir := filepath.Join(t.TempDir(), "hub")
	stderr := fails(t, 1, []string{"database_password_file in " + cfg, "readable by others", "chmod 600"},
		"center", "add", "--id", "A", "--name", "中心", "--config", cfg, "--data", dir)
	noSecret(t, srv.Password, stderr)
	if err := os.Chmod(pw, 0o600); err != nil {
		t.Fatal(err)
	}
	must(t, "center", "add", "--id", "A", "--name", "中心", "--config", cfg, "--data", dir)
	if err := os.Remove(pw); err != nil {
		t.Fatal(err)
	}
	fails(t, 1, []string{"database_password_file in " + cfg, "no such file"}, "center", "list", "--config", cfg, "--data", dir)
}

// The example the package ships as /etc/hongmajia/hubd.toml is a config
// hubd reads: as shipped (the SQLite store), and with its example lines
// taken in.
func TestShippedConfig(t *testing.T) {
	const shipped = "../../deploy/hub/hubd.toml"
	b, err := os.ReadFile(shipped)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := parseConfig(shipped, b); err != nil || c != (hubConfig{}) {
		t.Errorf("as shipped: %+v, %v", c, err)
	}
	on := strings.ReplaceAll(string(b), "\n#database", "\ndatabase")
	c, err := parseConfig(shipped, []byte(on))
	if err != nil || !strings.HasPrefix(c.Database, "postgres://") || c.DatabasePasswordFile == "" {
		t.Errorf("its example taken in: %+v, %v", c, err)
	}
	dir := newHub(t)
	must(t, "status", "--config", shipped, "--data", dir)
}
