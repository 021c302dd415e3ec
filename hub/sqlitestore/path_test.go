package sqlitestore_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hongmajia/hongmajia/hub/sqlitestore"
)

// A data directory whose path holds what an SQLite URI reads as its own
// ('#', '?', '%') is that directory: two such hubs are two files.
func TestDataDirectoryWithURICharacters(t *testing.T) {
	base := t.TempDir()
	for _, n := range []string{"hub#1", "hub#2", "hub?x=1", "100%"} {
		dir := filepath.Join(base, n)
		st, err := sqlitestore.Open(ctx, dir, sqlitestore.Options{})
		if err != nil {
			t.Fatalf("open %q: %v", n, err)
		}
		st.Close()
		if _, err := os.Stat(filepath.Join(dir, sqlitestore.FileName)); err != nil {
			t.Errorf("%q: no store file in its directory: %v", n, err)
		}
	}
	if _, err := os.Stat(filepath.Join(base, "hub")); err == nil {
		t.Error(`a store was made at "hub", the path cut at its '#'`)
	}
}
