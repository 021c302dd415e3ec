package ledger

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"path/filepath"
	"testing"
)

// BenchmarkEntryInsert is a tap's insert of its entry without the commit's
// fsync, in a file of 20,000 entries: as a ledger writes it since schema 7
// (straight to entry_rows, the terminal and boot by number, prev NULL:
// "direct"), through the view entries' trigger (as a restore does:
// "view"), beside the insert into schema 6's entries table (the peer).
func BenchmarkEntryInsert(b *testing.B) {
	const terminal, boot = "T-0123456789ABCD", "2f1e6a3c-8d4b-4a7e-9c2d-1b3a5e7f9d0c"
	for _, tc := range []struct {
		name   string
		schema int
		direct bool
	}{{"schema6-table", 6, false}, {"schema7-view", compactSchema, false}, {"schema7-direct", compactSchema, true}} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			db, err := sql.Open("sqlite", "file:"+filepath.Join(b.TempDir(), "e.db")+"?_pragma=synchronous(OFF)&_pragma=journal_mode(WAL)")
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			db.SetMaxOpenConns(1)
			if err := migrateTo(ctx, db, tc.schema); err != nil {
				b.Fatal(err)
			}
			if tc.direct {
				if _, err := db.Exec("INSERT INTO terminals(n, id) VALUES (1, ?); INSERT INTO boots(n, id) VALUES (1, ?)", terminal, boot); err != nil {
					b.Fatal(err)
				}
			}
			tx, err := db.Begin()
			if err != nil {
				b.Fatal(err)
			}
			defer tx.Rollback()
			q := sqlInsertEntry
			if tc.direct {
				q = sqlInsertEntryRow
			}
			ins, err := tx.Prepare(q)
			if err != nil {
				b.Fatal(err)
			}
			var prev [32]byte
			seq := int64(0)
			insert := func() {
				seq++
				var id [16]byte
				binary.BigEndian.PutUint64(id[:], uint64(seq)*0x9E3779B97F4A7C15)
				hash := sha256.Sum256(id[:])
				var t, bt, p any = terminal, boot, prev[:]
				if tc.direct {
					t, bt = 1, 1
					if seq > 1 {
						p = nil
					}
				}
				if _, err := ins.Exec(t, seq, id[:], 3, "C-DISTRICT-01", nil, "1A2B3C4D", 0, 10, 0, 1, nil, 0, nil,
					"", "", "", seq*1e9, bt, 1, p, hash[:]); err != nil {
					b.Fatal(err)
				}
				prev = hash
			}
			for range 20000 {
				insert()
			}
			b.ResetTimer()
			for range b.N {
				insert()
			}
		})
	}
}
