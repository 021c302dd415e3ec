package ledger

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// TestTapQueriesUseIndexes guards a tap's cost: every lookup a tap makes
// must search an index, never scan a table that grows with use.
func TestTapQueriesUseIndexes(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ query, want string }{
		{sqlOpenShift, "shifts_one_open"},
		{sqlOpenShiftKind, "SEARCH s USING INDEX shifts_one_open (person=?); SEARCH p USING INTEGER PRIMARY KEY (rowid=?)"},
		{sqlOpenShiftMerged, "SEARCH a USING COVERING INDEX aliases_to (to_person=?); SEARCH s USING INDEX shifts_one_open (person=?)"},
		{"SELECT " + shiftColumns + " FROM shifts WHERE state IN (1, 3) ORDER BY opened_at", "shifts_attention"},
		{"SELECT " + shiftColumns + " FROM shifts INDEXED BY shifts_attention WHERE state IN (1, 3) AND state = 1 AND opened_at < ? ORDER BY opened_at", "shifts_attention"},
		{`SELECT COALESCE(SUM(minutes), 0) FROM shifts WHERE person = ? AND activity = ? AND opened_at >= ? AND opened_at < ? AND state IN (?, ?)`, "shifts_person_day"},
		{sqlFindRequest, "sqlite_autoindex_requests_1"},
		{`SELECT COALESCE(SUM(points), 0) FROM redemptions WHERE card = ? AND seq > ? AND reversed = 0`, "redemptions_card"},
		{`SELECT COALESCE(SUM(qty), 0) FROM redemptions WHERE person = ? AND item = ? AND at >= ? AND reversed = 0`, "redemptions_person"},
		{"SELECT " + entryColumns + " FROM entries WHERE person = ? ORDER BY terminal = ? DESC, seq DESC LIMIT ?", "entries_person"},
		{"SELECT " + entryColumns + " FROM entries WHERE id = ?", "sqlite_autoindex_entry_rows_1"},
		// The chain head, a tap's first read, and the entries to push.
		{"SELECT seq, hash FROM entries WHERE terminal = ? ORDER BY seq DESC LIMIT 1", "PRIMARY KEY (terminal_n=?)"},
		{"SELECT " + entryColumns + " FROM entries WHERE terminal = ? AND seq > ? ORDER BY seq LIMIT ?", "PRIMARY KEY (terminal_n=? AND seq>?)"},
		{"SELECT count(*) FROM entries WHERE reverses = ?", "entries_reverses"},
		{"SELECT points, minutes FROM balances WHERE person = ?", "PRIMARY KEY"},
	} {
		args := make([]any, strings.Count(tc.query, "?"))
		rows, err := db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+tc.query, args...)
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		joined := strings.Join(plan, "; ")
		fullScan := false
		for _, p := range plan {
			if (strings.HasPrefix(p, "SCAN shifts") || strings.HasPrefix(p, "SCAN e") || strings.HasPrefix(p, "MATERIALIZE")) && !strings.Contains(p, "shifts_attention") {
				fullScan = true // a scan of the attention index is a scan of the few open shifts
			}
		}
		if !strings.Contains(joined, tc.want) || fullScan {
			t.Errorf("%s\n  plan: %s\n  want: %s", tc.query, joined, tc.want)
		}
	}
}
