package sqlitestore

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/record"
)

// ---- the exports: a center's entries a stretch of time at a time

// centerEntriesQuery reads a center's stretch of time of some kinds (%s:
// their IN list) from the index entries_tally (center, kind, at_hub, …),
// and each entry's row for its encoding: ?1 the center, then the kinds,
// then the first instant and the end.
const centerEntriesQuery = "SELECT " + entryColumns + ` FROM entries
	WHERE center = ? AND kind IN (%s) AND at_hub >= ? AND at_hub < ?
	ORDER BY at_hub, terminal, seq`

// centerPeopleQuery reads some people's entries at a center from the
// index entries_person (person, center): a few people's whole history
// there is a few of its rows, never a scan of the center's time. %s: the
// people's IN list, then the kinds'.
const centerPeopleQuery = "SELECT " + entryColumns + ` FROM entries INDEXED BY entries_person
	WHERE person IN (%s) AND person != 0 AND center = ? AND kind IN (%s) AND at_hub >= ? AND at_hub < ?`

func (t *tx) CenterEntries(q hub.CenterEntryQuery) ([]hub.StoredEntry, error) {
	if len(q.Kinds) == 0 {
		return nil, nil
	}
	from, to := int64(math.MinInt64), int64(math.MaxInt64)
	if !q.From.IsZero() {
		from = q.From.UnixNano()
	}
	if !q.To.IsZero() {
		to = q.To.UnixNano()
	}
	kinds := make([]any, len(q.Kinds))
	for i, k := range q.Kinds {
		kinds[i] = int(k)
	}
	list := func(n int) string { return "?" + strings.Repeat(", ?", n-1) }
	if len(q.Persons) == 0 {
		args := append(append([]any{q.Center}, kinds...), from, to)
		rows, err := t.query(fmt.Sprintf(centerEntriesQuery, list(len(kinds))), args...)
		if err != nil {
			return nil, fmt.Errorf("sqlitestore: entries of %s: %w", q.Center, err)
		}
		return collect(rows, scanEntry)
	}
	ids := slices.Clone(q.Persons)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var out []hub.StoredEntry
	for chunk := range slices.Chunk(ids, idsPerQuery) {
		args := make([]any, 0, len(chunk)+len(kinds)+3)
		for _, id := range chunk {
			args = append(args, int64(id))
		}
		args = append(append(append(args, q.Center), kinds...), from, to)
		rows, err := t.query(fmt.Sprintf(centerPeopleQuery, list(len(chunk)), list(len(kinds))), args...)
		if err != nil {
			return nil, fmt.Errorf("sqlitestore: entries of people at %s: %w", q.Center, err)
		}
		got, err := collect(rows, scanEntry)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	slices.SortFunc(out, func(a, b hub.StoredEntry) int {
		return cmp.Or(a.HubTime().Compare(b.HubTime()), cmp.Compare(a.Terminal, b.Terminal), cmp.Compare(a.Seq, b.Seq))
	})
	return out, nil
}

func (t *tx) People(ids []record.PersonID) ([]hub.Person, error) {
	return inList(t, "SELECT "+personColumns+" FROM people WHERE id IN (%s) ORDER BY id", ids, scanPerson,
		func(p hub.Person) int64 { return int64(p.ID) })
}
