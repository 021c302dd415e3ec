package ledger

import (
	"fmt"
	"slices"

	"github.com/hongmajia/hongmajia/record"
)

// A request's stored result names its entries by id only: the entries are in
// the ledger already, and a full copy would double what each tap writes.
// compactResult strips them before the result is stored; expandResult
// reads them back when a repeated request returns the stored result.

// resultEntries returns pointers to the entries inside a result. Slices are
// copied first when copyFirst is set, so a stripped copy never writes
// through to the caller's result.
func resultEntries(r any, copyFirst bool) []*record.Entry {
	switch v := r.(type) {
	case *record.Entry:
		return []*record.Entry{v}
	case *CheckOutResult:
		return []*record.Entry{&v.Entry}
	case *Redemption:
		return []*record.Entry{&v.Entry}
	case *ExpireResult:
		if copyFirst {
			v.Entries = slices.Clone(v.Entries)
		}
		out := make([]*record.Entry, len(v.Entries))
		for i := range v.Entries {
			out[i] = &v.Entries[i]
		}
		return out
	case *SweepResult:
		if copyFirst {
			v.Closed = slices.Clone(v.Closed)
		}
		out := make([]*record.Entry, len(v.Closed))
		for i := range v.Closed {
			out[i] = &v.Closed[i].Entry
		}
		return out
	}
	return nil
}

// compactResult returns a copy of r with each entry reduced to its id.
func compactResult[R any](r R) R {
	for _, e := range resultEntries(&r, true) {
		*e = record.Entry{ID: e.ID}
	}
	return r
}

// expandResult reads back the entries compactResult stripped.
func expandResult[R any](t *wtx, r *R) error {
	for _, e := range resultEntries(r, false) {
		if e.Kind != 0 || e.ID.IsZero() {
			continue
		}
		full, err := scanEntry(t.queryRow("SELECT "+entryColumns+" FROM entries WHERE id = ?", e.ID[:]))
		if err != nil {
			return fmt.Errorf("stored result names entry %s: %v: %w", e.ID, err, ErrCorrupt)
		}
		*e = full
	}
	return nil
}
