package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/pgstore"
	"github.com/hongmajia/hongmajia/hub/sqlitestore"
)

func init() {
	commands["migrate"] = command{summary: "migrate --db URL [--data DIR]: copy the hub's SQLite store (hub.db) into an empty PostgreSQL database and verify the copy", run: runMigrate}
}

// migrateHook, when set (by a test), is called before each table is
// copied: a test interrupts the copy there.
var migrateHook func(ctx context.Context, table string)

// tableSum is what migrate compares of a table on both sides: its rows
// and the sum of their SHA-256s (order does not matter, a row twice
// counts twice).
type tableSum struct {
	rows int64
	sum  [4]uint64
	perm []int // the columns in their names' order
	cols []string
	h    hash.Hash
	buf  []byte
}

func (s *tableSum) header(cols []string) {
	s.cols = cols
	s.perm = make([]int, len(cols))
	for i := range s.perm {
		s.perm[i] = i
	}
	sort.Slice(s.perm, func(a, b int) bool { return cols[s.perm[a]] < cols[s.perm[b]] })
	s.h = sha256.New()
}

// add adds row: each column's name and value, in the names' order, typed.
func (s *tableSum) add(row []any) error {
	b := s.buf[:0]
	for _, i := range s.perm {
		b = binary.AppendUvarint(b, uint64(len(s.cols[i])))
		b = append(b, s.cols[i]...)
		switch v := row[i].(type) {
		case nil:
			b = append(b, 'n')
		case int64:
			b = append(b, 'i')
			b = binary.BigEndian.AppendUint64(b, uint64(v))
		case string:
			b = append(b, 's')
			b = binary.AppendUvarint(b, uint64(len(v)))
			b = append(b, v...)
		case []byte:
			b = append(b, 'b')
			b = binary.AppendUvarint(b, uint64(len(v)))
			b = append(b, v...)
		default:
			return fmt.Errorf("column %s holds a %T", s.cols[i], v)
		}
	}
	s.buf = b
	s.h.Reset()
	s.h.Write(b)
	d := s.h.Sum(nil)
	var carry uint64
	for k := 0; k < 4; k++ {
		x := binary.BigEndian.Uint64(d[8*k:])
		lo := s.sum[k] + x
		c1 := uint64(0)
		if lo < x {
			c1 = 1
		}
		lo2 := lo + carry
		if lo2 < lo {
			c1++
		}
		s.sum[k], carry = lo2, c1
	}
	s.rows++
	return nil
}

// tableSums sums each table a dump gives.
type tableSums struct {
	order []string
	t     map[string]*tableSum
}

func (ts *tableSums) take(table string, cols []string, row []any) error {
	if ts.t == nil {
		ts.t = map[string]*tableSum{}
	}
	s, ok := ts.t[table]
	if row == nil {
		if ok {
			return fmt.Errorf("table %s given twice", table)
		}
		s = &tableSum{}
		s.header(cols)
		ts.t[table] = s
		ts.order = append(ts.order, table)
		return nil
	}
	if !ok {
		return fmt.Errorf("table %s: a row before its columns", table)
	}
	return s.add(row)
}

// differ names the tables whose rows differ between a and b.
func (a *tableSums) differ(b *tableSums) []string {
	var out []string
	for _, n := range a.order {
		x, y := a.t[n], b.t[n]
		switch {
		case y == nil:
			out = append(out, n+" (not copied)")
		case x.rows != y.rows:
			out = append(out, fmt.Sprintf("%s (%d rows, %d copied)", n, x.rows, y.rows))
		case x.sum != y.sum || strings.Join(sortedCopy(x.cols), ",") != strings.Join(sortedCopy(y.cols), ","):
			out = append(out, n+" (rows differ)")
		}
	}
	for _, n := range b.order {
		if a.t[n] == nil {
			out = append(out, n+" (not in the SQLite store)")
		}
	}
	return out
}

func sortedCopy(s []string) []string {
	s = append([]string{}, s...)
	sort.Strings(s)
	return s
}

// hubFacts are what a kiosk and the web read of a hub, each hashed: the
// registry's version, centers, kiosks, every kiosk's entries, everything
// a pull hands out (people, cards, balances …) for the district and each
// center, users, flags, the dashboard's mark and the audit log's newest.
func hubFacts(r hub.Reader) (map[string][32]byte, uint64, error) {
	facts := map[string][32]byte{}
	put := func(name string, v any) error {
		h := sha256.New()
		if err := json.NewEncoder(h).Encode(v); err != nil {
			return err
		}
		facts[name] = [32]byte(h.Sum(nil))
		return nil
	}
	version, err := r.Version()
	if err != nil {
		return nil, 0, err
	}
	if err := put("version", version); err != nil {
		return nil, 0, err
	}
	centers, err := r.Centers()
	if err != nil {
		return nil, 0, err
	}
	if err := put("centers", centers); err != nil {
		return nil, 0, err
	}
	kiosks, err := r.Kiosks()
	if err != nil {
		return nil, 0, err
	}
	if err := put("kiosks", kiosks); err != nil {
		return nil, 0, err
	}
	for _, k := range kiosks {
		h := sha256.New()
		enc := json.NewEncoder(h)
		var after uint64
		for {
			es, err := r.Entries(k.Terminal, after, 1000)
			if err != nil {
				return nil, 0, err
			}
			if len(es) == 0 {
				break
			}
			if err := enc.Encode(es); err != nil {
				return nil, 0, err
			}
			after = es[len(es)-1].Seq
		}
		facts["entries of "+k.Terminal] = [32]byte(h.Sum(nil))
	}
	for _, c := range append([]hub.Center{{}}, centers...) {
		ch, err := r.Since(0, c.ID, math.MaxInt32)
		if err != nil {
			return nil, 0, err
		}
		if err := put("pull of center "+c.ID+" (people, cards, balances …)", ch); err != nil {
			return nil, 0, err
		}
	}
	users, err := r.Users()
	if err != nil {
		return nil, 0, err
	}
	if err := put("users", users); err != nil {
		return nil, 0, err
	}
	flags, err := r.Flags(false)
	if err != nil {
		return nil, 0, err
	}
	if err := put("flags", flags); err != nil {
		return nil, 0, err
	}
	mark, err := r.TallyMark()
	if err != nil {
		return nil, 0, err
	}
	if err := put("dashboard mark", mark); err != nil {
		return nil, 0, err
	}
	audit, err := r.Audit(hub.AuditQuery{})
	if err != nil {
		return nil, 0, err
	}
	if err := put("audit log", audit); err != nil {
		return nil, 0, err
	}
	return facts, version, nil
}

func runMigrate(e *env, args []string) error {
	f, data := newFlagSet(e, "migrate")
	f.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: hubd migrate [--db URL [--db-password-file FILE]] [--config FILE] [--data DIR]")
		fmt.Fprintln(e.stderr, "Copies the hub's SQLite store (hub.db in --data) into an empty PostgreSQL database, in one")
		fmt.Fprintln(e.stderr, "transaction, and verifies the copy before it commits: a failed or interrupted copy leaves the")
		fmt.Fprintln(e.stderr, "database empty. hub.db is only read. The database is --db's, or the config file's (database).")
		fmt.Fprintln(e.stderr, "Stop hubd serve first; then run it with the same database.")
		f.PrintDefaults()
	}
	if err := parseFlags(f, args); err != nil {
		return err
	}
	if err := data.checkDB(); err != nil {
		return err
	}
	if data.db == "" {
		return fmt.Errorf("%w: --db names the PostgreSQL database to copy the hub into (or database in the config file)", errUsage)
	}
	local := hubFlags{dir: data.dir}
	if err := local.checkHubDir(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	src, err := sqlitestore.OpenReadOnly(ctx, data.dir)
	if err != nil {
		return err
	}
	defer src.Close()
	cs, err := data.connString()
	if err != nil {
		return err
	}
	dst, err := pgstore.Open(ctx, cs, pgstore.Options{PoolSize: 2})
	if err != nil {
		return err
	}
	defer dst.Close()

	var from, to tableSums
	var version uint64
	err = dst.Import(ctx, func(l *pgstore.Loader) error {
		err := src.Dump(ctx, func(table string, cols []string, row []any) error {
			if row == nil && migrateHook != nil {
				migrateHook(ctx, table)
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := from.take(table, cols, row); err != nil {
				return err
			}
			return l.Put(table, cols, row)
		})
		if err != nil {
			return err
		}
		if err := l.Dump(to.take); err != nil {
			return fmt.Errorf("read the copy back: %w", err)
		}
		if d := from.differ(&to); len(d) > 0 {
			return fmt.Errorf("the copy differs from the SQLite store: %s", strings.Join(d, "; "))
		}
		var want, got map[string][32]byte
		if err := src.View(ctx, func(r hub.Reader) error {
			var err error
			want, version, err = hubFacts(r)
			return err
		}); err != nil {
			return fmt.Errorf("read the SQLite store: %w", err)
		}
		if err := l.View(func(r hub.Reader) error {
			var err error
			got, _, err = hubFacts(r)
			return err
		}); err != nil {
			return fmt.Errorf("read the copy: %w", err)
		}
		var bad []string
		for n, w := range want {
			if got[n] != w {
				bad = append(bad, n)
			}
		}
		if len(bad) > 0 {
			sort.Strings(bad)
			return fmt.Errorf("the copy reads differently from the SQLite store: %s", strings.Join(bad, "; "))
		}
		return nil
	})
	where := describeDB(data.db)
	if err != nil {
		if errors.Is(err, pgstore.ErrNotEmpty) {
			return fmt.Errorf("%s: %w: 目标数据库不是空的 hubd migrate copies into an empty database only (a hub there is served with hubd serve --db)", where, err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("迁移已中断 interrupted: nothing was copied (%s is as it was): %w", where, err)
		}
		return fmt.Errorf("迁移失败 failed: nothing was copied (%s is as it was): %w", where, err)
	}
	var rows int64
	var parts []string
	for _, n := range from.order {
		s := from.t[n]
		rows += s.rows
		parts = append(parts, fmt.Sprintf("%s %d", n, s.rows))
	}
	fmt.Fprintf(e.stdout, "已复制 copied %d tables, %d rows from %s to %s:\n  %s\n", len(from.order), rows,
		filepath.Join(data.dir, sqlitestore.FileName), where, strings.Join(parts, ", "))
	fmt.Fprintf(e.stdout, "已核对 verified: 每张表的行数和内容 every table's rows and content, 登记版本 the registry version %d, 流水 entries, 余额 balances: 相同 the same\n", version)
	if data.dbIs == "--db" {
		fmt.Fprintf(e.stdout, "下一步 next: database = %q in the config file (or hubd serve --db %s), hubd serve --data %s (%s is left as it was)\n",
			data.db, data.db, data.dir, sqlitestore.FileName)
	} else {
		fmt.Fprintf(e.stdout, "下一步 next: hubd serve --data %s, on the %s (%s is left as it was)\n", data.dir, data.dbIs, sqlitestore.FileName)
	}
	return nil
}
