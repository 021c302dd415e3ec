package ledger_test

import (
	"database/sql"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

// schema6Entries is the entries table of schemas 1 to 6, as migration 1
// made it.
const schema6Entries = `
CREATE TABLE entries (
	terminal   TEXT NOT NULL,
	seq        INTEGER NOT NULL,
	id         BLOB NOT NULL UNIQUE,
	kind       INTEGER NOT NULL,
	center     TEXT NOT NULL,
	person     INTEGER REFERENCES people(id),
	card       TEXT NOT NULL,
	minutes    INTEGER NOT NULL,
	points     INTEGER NOT NULL,
	stock      INTEGER NOT NULL,
	activity   INTEGER NOT NULL,
	shift      BLOB,
	item       INTEGER NOT NULL,
	reverses   BLOB,
	other_card TEXT NOT NULL,
	operator   TEXT NOT NULL,
	reason     TEXT NOT NULL,
	at         INTEGER NOT NULL,
	boot       TEXT NOT NULL,
	trusted    INTEGER NOT NULL,
	prev       BLOB NOT NULL,
	hash       BLOB NOT NULL,
	PRIMARY KEY (terminal, seq)
) WITHOUT ROWID;
CREATE INDEX entries_person ON entries(person);
CREATE INDEX entries_at ON entries(at);
CREATE UNIQUE INDEX entries_reverses ON entries(reverses) WHERE reverses IS NOT NULL;
CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'entries are append-only'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'entries are append-only'); END;
`

// ledgerState is what a reader and the hub see of a ledger: its check,
// balances, exports, histories and everything the hub link pushes.
func ledgerState(t *testing.T, l *ledger.Ledger, cards []record.CardUID, people []record.PersonID) string {
	t.Helper()
	var b strings.Builder
	rep, err := l.Verify(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %v %v", rep.Problems, err)
	}
	fmt.Fprintf(&b, "verify: %d entries\n", rep.Entries)
	for _, c := range cards {
		info, err := l.LookupCard(ctx, c)
		fmt.Fprintf(&b, "card %s: %+v %v\n", c, info.Balance, err)
	}
	for _, p := range people {
		bal, err := l.Balance(ctx, p)
		fmt.Fprintf(&b, "balance %d: %+v %v\n", p, bal, err)
		hist, err := l.History(ctx, p, 100)
		fmt.Fprintf(&b, "history %d: %+v %v\n", p, hist, err)
	}
	from, to := time.Unix(0, 0), time.Now().Add(24*365*time.Hour)
	for x, err := range l.ExportEntries(ctx, from, to) {
		fmt.Fprintf(&b, "export entry %+v %v\n", x, err)
	}
	for x, err := range l.ExportShifts(ctx, from, to) {
		fmt.Fprintf(&b, "export shift %+v %v\n", x, err)
	}
	es, err := l.EntriesAfter(ctx, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		enc, err := e.Encode()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "push entry %s\n", hex.EncodeToString(enc))
	}
	ch, err := l.Changes(ctx, 0, 10000)
	fmt.Fprintf(&b, "push changes %+v %v\n", ch, err)
	pk, err := l.Pickups(ctx, 0, 1<<62, 10000)
	fmt.Fprintf(&b, "push pickups %+v %v\n", pk, err)
	h, err := l.Head(ctx)
	fmt.Fprintf(&b, "head %+v %v\n", h, err)
	return b.String()
}

// entryRows is every entry as the view entries shows it, column by column.
func entryRows(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query("SELECT * FROM entries ORDER BY terminal, seq")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%x", vals))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func openRaw(t *testing.T, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, ledger.FileName))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	return db
}

// TestCompactEntriesMigration: a ledger of schema 6 (entries with the
// terminal and boot ids and prev in every row) with shifts closed, open and
// reversed, redemptions kept and reversed, a walk-in merged at the hub, its
// chain restored from the hub and written on over several boots, loses
// nothing in the move to entry_rows: the same rows through the view entries,
// the same check, balances, exports, histories and push, and the next entry
// continues the chain.
func TestCompactEntriesMigration(t *testing.T) {
	_, en, r := deadKiosk(t)
	dir := t.TempDir()
	opts, clk := restoreOpts()
	opts.BootID = clock.FixedBootID("restore-boot")
	l, err := ledger.RestoreFromHub(ctx, dir, en, r, opts)
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	wcard, qcard := r.Pull.Cards[3].UID, r.Pull.Cards[2].UID
	if _, err := l.CheckOut(ctx, ledger.CheckOut{ID: record.NewEntryID(), Card: wcard}); err != nil {
		t.Fatal(err)
	}
	act := r.Pull.Activities[0]
	for i := range 2 { // two more boots: a check-in, then its check-out
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour)
		clk.Reboot()
		opts.BootID = clock.FixedBootID(fmt.Sprintf("boot-%d", i))
		if l, err = ledger.Open(ctx, dir, opts); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			_, err = l.CheckIn(ctx, ledger.CheckIn{ID: record.NewEntryID(), Card: qcard, Activity: act.ID})
		} else {
			_, err = l.CheckOut(ctx, ledger.CheckOut{ID: record.NewEntryID(), Card: qcard})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	var cards []record.CardUID
	for _, c := range r.Pull.Cards {
		cards = append(cards, c.UID)
	}
	var people []record.PersonID
	for _, p := range r.Pull.People {
		people = append(people, p.ID)
	}
	before := ledgerState(t, l, cards, people)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	// The same ledger as schema 6 held it.
	db := openRaw(t, dir)
	rowsBefore := entryRows(t, db)
	var boots int
	if err := db.QueryRow("SELECT count(DISTINCT boot) FROM entries").Scan(&boots); err != nil || boots != 4 {
		t.Fatalf("%d boots %v, want the restored entries', the restore's and two more", boots, err)
	}
	for _, q := range []string{
		"CREATE TEMP TABLE v AS SELECT * FROM entries",
		"DROP VIEW entries", "DROP TABLE entry_rows", "DROP TABLE terminals", "DROP TABLE boots",
		schema6Entries,
		"INSERT INTO entries SELECT * FROM temp.v",
		"PRAGMA user_version = 6",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var typ string
	if err := db.QueryRow("SELECT type FROM sqlite_master WHERE name = 'entries'").Scan(&typ); err != nil || typ != "table" {
		t.Fatalf("entries is a %q %v", typ, err)
	}
	if got := entryRows(t, db); strings.Join(got, "\n") != strings.Join(rowsBefore, "\n") {
		t.Fatalf("the schema 6 table holds\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(rowsBefore, "\n"))
	}
	db.Close()

	l, err = ledger.Open(ctx, dir, opts)
	if err != nil {
		t.Fatalf("open (migrate): %v", err)
	}
	defer l.Close()
	if after := ledgerState(t, l, cards, people); after != before {
		t.Errorf("after the migration:\n%s\nbefore:\n%s", after, before)
	}
	db = openRaw(t, dir)
	defer db.Close()
	if got := entryRows(t, db); strings.Join(got, "\n") != strings.Join(rowsBefore, "\n") {
		t.Errorf("entries after the migration\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(rowsBefore, "\n"))
	}
	var terminals, bootRows, stored, total int
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM terminals), (SELECT count(*) FROM boots),
		(SELECT count(*) FROM entry_rows WHERE prev IS NOT NULL), (SELECT count(*) FROM entry_rows)`).Scan(&terminals, &bootRows, &stored, &total); err != nil {
		t.Fatal(err)
	}
	// Only the chain's first entry keeps its prev (zero): every other is
	// its predecessor's hash.
	if terminals != 1 || bootRows != boots || stored != 1 || total != len(rowsBefore) {
		t.Errorf("%d terminals, %d boots, %d of %d entries store prev; want 1, %d, 1 of %d", terminals, bootRows, stored, total, boots, len(rowsBefore))
	}

	// The next entry continues the chain, and is refused a second time.
	h, err := l.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := record.NewEntryID()
	if _, err := l.CheckIn(ctx, ledger.CheckIn{ID: id, Card: qcard, Activity: act.ID}); err != nil {
		t.Fatal(err)
	}
	got, err := l.Entry(ctx, id)
	if err != nil || got.Seq != h.Seq+1 || got.Prev != h.Hash || got.Terminal != l.Terminal().ID {
		t.Errorf("the next entry %+v %v, want seq %d after %s", got, err, h.Seq+1, h.Hash)
	}
	if rep, err := l.Verify(ctx); err != nil || !rep.OK() {
		t.Errorf("verify after writing on: %v %v", rep.Problems, err)
	}
}
