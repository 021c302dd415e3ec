package sqlitestore

import (
	"context"
	"strings"
	"testing"

	"github.com/hongmajia/hongmajia/hub"
)

// TestTalliesReadTheIndexAlone: the dashboard's sums read each center's
// stretch of time of a kind of entry from the covering index, never the
// entries' rows (a month of a district is a few hundred thousand of them)
// nor the whole index; nor does the honour roll.
func TestTalliesReadTheIndexAlone(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	queries := map[string]string{}
	for _, by := range []hub.TallyGroup{0, hub.ByCenter, hub.ByCenter | hub.ByActivity | hub.ByItem} {
		qs := tallyQueries(by, 3)
		queries[qs.sums], queries[qs.reversals], queries[qs.people] = "sums", "reversals", "people"
	}
	queries[topQuery(2)] = "top"
	for q := range queries {
		rows, err := s.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, make([]any, strings.Count(q, "?"))...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		text := strings.Join(plan, "\n")
		if !strings.Contains(text, "SEARCH e USING COVERING INDEX entries_tally (center=? AND kind=? AND at_hub>? AND at_hub<?)") {
			t.Errorf("the plan does not search the covering index by center and time:\n%s\n%s", text, q)
		}
		if strings.Contains(text, "SCAN e") {
			t.Errorf("the plan scans the entries:\n%s", text)
		}
	}
}
