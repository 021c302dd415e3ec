package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// The hub's config file is what every hubd command reads before it opens
// the store, so that an admin command a technician types works on the
// store `hubd serve` serves without repeating --db: on a hub on
// PostgreSQL, forgetting --db would otherwise open the data directory's
// SQLite store instead. It holds the store's database only; the server's
// own flags (listener, certificate, URL) stay in /etc/default/hongmajia-hub,
// which only the unit reads. A flag given on the command line wins over
// the file.
//
// The data directory is not in it: the unit's sandbox (ReadWritePaths),
// the tmpfiles snippet and the user's home all name /var/lib/hongmajia-hub,
// so a data directory set here would be one the service cannot write.

// defaultConfigFile is read when neither --config nor HUBD_CONFIG names a
// file; a missing one is no configuration (the SQLite store). Empty: none
// is read (the tests).
var defaultConfigFile = "/etc/hongmajia/hubd.toml"

// configEnv names the config file, as --config does, when --config is not
// given.
const configEnv = "HUBD_CONFIG"

// hubConfig is the config file's keys.
type hubConfig struct {
	// Database is --db: the PostgreSQL database of the hub's store,
	// without its password.
	Database string `toml:"database"`
	// DatabasePasswordFile is --db-password-file: the file of Database's
	// password, which only its owner may read.
	DatabasePasswordFile string `toml:"database_password_file"`
}

// configError is a config file refused: the file, the line (0 when not
// known), the key and the reason. It is a usage error: exit 2.
type configError struct {
	path   string
	line   int
	key    string
	reason string
}

func (e *configError) Error() string {
	var b strings.Builder
	b.WriteString(e.path)
	if e.line > 0 {
		fmt.Fprintf(&b, ":%d", e.line)
	}
	b.WriteString(": ")
	if e.key != "" {
		b.WriteString(e.key + ": ")
	}
	b.WriteString(e.reason)
	return b.String()
}

func (e *configError) Unwrap() error { return errUsage }

// configErrors are several refusals of one file (every unknown key at
// once, so that they are fixed in one go).
type configErrors []error

func (es configErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (es configErrors) Unwrap() []error { return es }

// loadConfig reads the config file of h (--config, else HUBD_CONFIG, else
// defaultConfigFile) and takes from it what no flag gave. It runs once;
// checkDB calls it, so every command that opens the store reads the file.
func (h *hubFlags) loadConfig() error {
	if h.loaded {
		return nil
	}
	h.loaded = true
	if h.dbIs == "" && h.db != "" {
		h.dbIs = "--db"
	}
	if h.passwordFileIs == "" && h.passwordFile != "" {
		h.passwordFileIs = "--db-password-file"
	}
	path, named := h.config, "--config"
	if path == "" {
		path, named = os.Getenv(configEnv), configEnv
	}
	if path == "" {
		path, named = defaultConfigFile, ""
	}
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && named == "" {
		return nil // no config file: the flags alone, SQLite by default
	}
	if err != nil {
		if named != "" {
			return fmt.Errorf("%w: %s: %v", errUsage, named, err)
		}
		return fmt.Errorf("%w: the config file: %v", errUsage, err)
	}
	c, err := parseConfig(path, b)
	if err != nil {
		return err
	}
	h.configRead = path
	// The password file is the config's database's: a --db on the command
	// line (another database) never gets it, so a password is sent to no
	// server but its own.
	if h.db == "" && c.Database != "" {
		h.db, h.dbIs = c.Database, "database in "+path
		if h.passwordFile == "" && c.DatabasePasswordFile != "" {
			h.passwordFile, h.passwordFileIs = c.DatabasePasswordFile, "database_password_file in "+path
		}
	}
	return nil
}

// parseConfig decodes and checks the config file path, whose text is b.
func parseConfig(path string, b []byte) (hubConfig, error) {
	var c hubConfig
	md, err := toml.Decode(string(b), &c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return c, &configError{path: path, line: pe.Position.Line, key: pe.LastKey, reason: pe.Message}
		}
		if m := decodeLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ := strconv.Atoi(m[1])
			return c, &configError{path: path, line: line, key: m[2], reason: m[3]}
		}
		return c, &configError{path: path, reason: err.Error()}
	}
	if un := md.Undecoded(); len(un) > 0 {
		var errs configErrors
		tables := map[string]bool{}
		for _, k := range un {
			if tables[k[0]] {
				continue // a key of an unknown table: the table is reported
			}
			if len(k) == 1 {
				tables[k[0]] = true
			}
			errs = append(errs, &configError{path: path, line: keyLine(b, k.String()), key: k.String(),
				reason: "unknown key (the keys are database and database_password_file)"})
		}
		if len(errs) == 1 {
			return c, errs[0]
		}
		return c, errs
	}
	bad := func(key, format string, args ...any) error {
		return &configError{path: path, line: keyLine(b, key), key: key, reason: fmt.Sprintf(format, args...)}
	}
	if c.Database != "" && hasPassword(c.Database) {
		return c, bad("database", "holds a password, which everyone who reads the file would read: leave it out and give it by database_password_file (a file only hongmajia-hub reads), PGPASSWORD or a passfile (PGPASSFILE or ~/.pgpass)")
	}
	if c.DatabasePasswordFile != "" && c.Database == "" {
		return c, bad("database_password_file", "goes with database")
	}
	if c.DatabasePasswordFile != "" && !filepath.IsAbs(c.DatabasePasswordFile) {
		return c, bad("database_password_file", "%q: want an absolute path (a relative one would depend on where hubd runs)", c.DatabasePasswordFile)
	}
	return c, nil
}

// decodeLine pulls the line out of the errors toml gives for wrong types,
// which are not ParseErrors: `toml: line 3 (last key "d"): incompatible ...`.
var decodeLine = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]*)"\): (.*)$`)

// keyLine finds the line that sets key (a top-level key, or a [table]);
// 0 when it cannot tell.
func keyLine(b []byte, key string) int {
	sc := bufio.NewScanner(bytes.NewReader(b))
	table := ""
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			table = strings.TrimSpace(strings.Trim(line, "[]"))
			if table == key {
				return n
			}
			continue
		}
		k, _, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		full := strings.Trim(strings.TrimSpace(k), `"`)
		if table != "" {
			full = table + "." + full
		}
		if full == key {
			return n
		}
	}
	return 0
}
