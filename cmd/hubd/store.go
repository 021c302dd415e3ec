package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/pgstore"
	"github.com/hongmajia/hongmajia/hub/sqlitestore"
	"github.com/jackc/pgx/v5/pgconn"
)

// A hub keeps its store in SQLite in the data directory (hub.db), or, with
// --db, in a PostgreSQL database; the data directory keeps the hub's keys
// and bundles either way. Every command that opens the store takes the same
// --db and --db-password-file, and reads the same config file (config.go:
// database, database_password_file), so an admin command beside `hubd
// serve` works on the store the server serves.
//
// The database's password is never an argument: arguments stay in the
// shell's history and every user of the machine sees them in ps. pgx reads
// it from PGPASSWORD or the passfile (PGPASSFILE, ~/.pgpass), or hubd from
// --db-password-file, a file only its owner reads, as the hub's keys.

// hubFlags are where a command finds the hub: the data directory and the
// store's database, from the flags and the config file.
type hubFlags struct {
	dir          string
	db           string
	passwordFile string
	// config is --config: the config file to read instead of
	// HUBD_CONFIG's or defaultConfigFile.
	config string

	// dbIs and passwordFileIs say where db and passwordFile came from, for
	// a message: "--db", or "database in /etc/hongmajia/hubd.toml".
	dbIs, passwordFileIs string
	// configRead is the config file read; empty: none.
	configRead string
	// loaded: loadConfig has run.
	loaded bool
}

// addStoreFlags adds --config, --db and --db-password-file to f.
func (h *hubFlags) addStoreFlags(f *flag.FlagSet) {
	f.StringVar(&h.config, "config", "", "the hub's config file (database, database_password_file), read before the store opens; a flag wins over it (default: the file $"+configEnv+" names, else "+defaultConfigFile+" if it exists)")
	f.StringVar(&h.db, "db", "", "keep the hub's store in this PostgreSQL database (postgres://USER@HOST:PORT/DBNAME?sslmode=verify-full, no password in it) instead of hub.db in the data directory; over the config file's database")
	f.StringVar(&h.passwordFile, "db-password-file", "", "the file of --db's password (mode 600); or PGPASSWORD, or the passfile (PGPASSFILE, ~/.pgpass)")
}

// dbPasswordHelp says where the database's password goes instead.
const dbPasswordHelp = "give it by PGPASSWORD, a passfile (PGPASSFILE or ~/.pgpass) or --db-password-file FILE (mode 600)"

// dsnPassword finds "password=" in a key=value connection string.
var dsnPassword = regexp.MustCompile(`(^|\s)password\s*=`)

// checkDB reads the config file (loadConfig), then refuses a --db that
// holds a password, and --db-password-file without a database. A usage
// error: exit 2. Every command calls it before it opens the store.
func (h *hubFlags) checkDB() error {
	if err := h.loadConfig(); err != nil {
		return err
	}
	if h.passwordFile != "" && h.db == "" {
		return fmt.Errorf("%w: --db-password-file goes with --db (or database in the config file)", errUsage)
	}
	if h.db == "" {
		return nil
	}
	// The config file's database was checked for a password as it was read.
	if hasPassword(h.db) {
		return fmt.Errorf("%w: --db holds a password, which would stay in the shell history and show in ps: leave it out and %s", errUsage, dbPasswordHelp)
	}
	if _, err := pgconn.ParseConfig(h.db); err != nil {
		return fmt.Errorf("%w: %s: %v", errUsage, h.dbIs, err)
	}
	return nil
}

// hasPassword reports whether the connection string s holds a password.
func hasPassword(s string) bool {
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		u, err := url.Parse(s)
		if err != nil {
			// Unparsable: "user:password@" before the host is one.
			rest := s[strings.Index(s, "://")+3:]
			at := strings.LastIndex(rest, "@")
			return at >= 0 && strings.Contains(rest[:at], ":")
		}
		if _, ok := u.User.Password(); ok {
			return true
		}
		_, ok := u.Query()["password"]
		return ok
	}
	return dsnPassword.MatchString(s)
}

// connString is --db with the password of --db-password-file, if any.
func (h *hubFlags) connString() (string, error) {
	if h.passwordFile == "" {
		return h.db, nil
	}
	pw, err := readPasswordFile(h.passwordFileIs, h.passwordFile)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(h.db, "postgres://") || strings.HasPrefix(h.db, "postgresql://") {
		u, err := url.Parse(h.db)
		if err != nil {
			return "", fmt.Errorf("%s: %w", h.dbIs, err)
		}
		name := ""
		if u.User != nil {
			name = u.User.Username()
		}
		u.User = url.UserPassword(name, pw)
		return u.String(), nil
	}
	return h.db + " password='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(pw) + "'", nil
}

// readPasswordFile reads the database's password: the file's text,
// trimmed, refused when others may read it. is names it in a message
// (--db-password-file, or the config file's key).
func readPasswordFile(is, path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", is, err)
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s: %s is not a file", is, path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%s: %s is readable by others (mode %v): chmod 600 it", is, path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", is, err)
	}
	pw := strings.TrimSpace(string(b))
	if pw == "" {
		return "", fmt.Errorf("%s: %s is empty", is, path)
	}
	return pw, nil
}

// describeDB names the database for a log or a message: host, port,
// database and user, never the password.
func describeDB(connString string) string {
	cfg, err := pgconn.ParseConfig(connString)
	if err != nil {
		return "postgresql (unparsable --db)"
	}
	return "postgresql host=" + cfg.Host + " port=" + strconv.Itoa(int(cfg.Port)) + " dbname=" + cfg.Database + " user=" + cfg.User
}

// store names the hub's store for the log: the SQLite file or the
// database without its password.
func (h *hubFlags) store() string {
	if h.db == "" {
		return "sqlite " + filepath.Join(h.dir, sqlitestore.FileName)
	}
	return describeDB(h.db)
}

// configName names the config file read for the log: "none" when none
// was.
func (h *hubFlags) configName() string {
	if h.configRead == "" {
		return "none"
	}
	return h.configRead
}

// checkHubDir checks that dir holds a hub, for a command that makes none:
// with SQLite, its hub.db; with --db, its key (the database holds the
// rest).
func (h *hubFlags) checkHubDir() error {
	st, err := os.Stat(h.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("data directory %s does not exist (give another with --data DIR; `hubd center add --id ID --name NAME --data %s` makes a hub)", h.dir, h.dir)
	case err != nil:
		return fmt.Errorf("data directory: %w", err)
	case !st.IsDir():
		return fmt.Errorf("data directory %s is not a directory", h.dir)
	}
	marker := sqlitestore.FileName
	if h.db != "" {
		marker = hub.KeyFile
	}
	if _, err := os.Stat(filepath.Join(h.dir, marker)); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no hub in %s (%s is missing; `hubd center add --id ID --name NAME --data %s` or `hubd serve --data %s` makes one)",
			h.dir, marker, h.dir, h.dir)
	} else if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	return nil
}

// openStore opens the hub's store: PostgreSQL with --db, else SQLite in
// the data directory.
func (h *hubFlags) openStore(ctx context.Context) (hub.Store, error) {
	if h.db == "" {
		return sqlitestore.Open(ctx, h.dir, sqlitestore.Options{})
	}
	cs, err := h.connString()
	if err != nil {
		return nil, err
	}
	return pgstore.Open(ctx, cs, pgstore.Options{})
}
