package pgstore

import (
	"fmt"
	"math"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/record"
)

// ---- the exports: a center's entries a stretch of time at a time

// centerEntriesQuery reads a center's stretch of time of some kinds (%s:
// their IN list) from the index entries_tally (center, kind, at_hub, …),
// and each entry's row for its encoding: ?1 the center, then the kinds'
// array, the first instant and the end.
const centerEntriesQuery = "SELECT " + entryColumns + ` FROM entries
	WHERE center = ? AND kind = ANY(?) AND at_hub >= ? AND at_hub < ?
	ORDER BY at_hub, terminal, seq`

// centerPeopleQuery reads some people's entries at a center from the
// index entries_person (person, center): a few people's whole history
// there is a few of its rows, never a scan of the center's time. ?1: the
// people's array, then the center, the kinds' array, the first instant
// and the end.
const centerPeopleQuery = "SELECT " + entryColumns + ` FROM entries
	WHERE person = ANY(?) AND person != 0 AND center = ? AND kind = ANY(?) AND at_hub >= ? AND at_hub < ?
	ORDER BY at_hub, terminal, seq`

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
	kinds := make([]int64, len(q.Kinds))
	for i, k := range q.Kinds {
		kinds[i] = int64(k)
	}
	if len(q.Persons) == 0 {
		rows, err := t.query(centerEntriesQuery, q.Center, kinds, from, to)
		if err != nil {
			return nil, fmt.Errorf("pgstore: entries of %s: %w", q.Center, err)
		}
		return collect(t, rows, scanEntry)
	}
	ids := make([]int64, len(q.Persons))
	for i, p := range q.Persons {
		ids[i] = int64(p)
	}
	rows, err := t.query(centerPeopleQuery, ids, q.Center, kinds, from, to)
	if err != nil {
		return nil, fmt.Errorf("pgstore: entries of people at %s: %w", q.Center, err)
	}
	return collect(t, rows, scanEntry)
}

func (t *tx) People(ids []record.PersonID) ([]hub.Person, error) {
	return inList(t, "SELECT "+personColumns+" FROM people WHERE id = ANY(?) ORDER BY id", ids, scanPerson)
}
