package hub

import "testing"

// TestTallyCacheStartsOverWhenFull: the sums kept are bounded, by the
// people their groups hold and by how many periods.
func TestTallyCacheStartsOverWhenFull(t *testing.T) {
	var c tallyCache
	c.room(maxKept - 10)
	c.sums = map[sumsKey]*cachedSums{{from: 1}: {}}
	c.room(10)
	if len(c.sums) != 1 || c.kept != maxKept {
		t.Fatalf("room for exactly the most: %d periods, %d people kept", len(c.sums), c.kept)
	}
	c.room(1)
	if c.sums != nil || c.kept != 1 {
		t.Errorf("one more person: %d periods, %d people kept; want a cache started over", len(c.sums), c.kept)
	}
	for i := range maxCached {
		c.room(0)
		if c.sums == nil {
			c.sums = map[sumsKey]*cachedSums{}
		}
		c.sums[sumsKey{from: int64(i)}] = &cachedSums{}
	}
	if len(c.sums) != maxCached {
		t.Fatalf("%d periods kept, want %d", len(c.sums), maxCached)
	}
	c.room(0)
	if c.sums != nil {
		t.Errorf("one period more than the most kept: %d periods", len(c.sums))
	}
}
