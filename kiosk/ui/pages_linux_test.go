package ui

import (
	"bufio"
	"crypto/sha256"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/hongmajia/hongmajia/assets"
)

// residentKB is the RSS of the mapping of this process that holds addr,
// from /proc/self/smaps.
func residentKB(t *testing.T, addr uintptr) int {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if lo, hi, ok := strings.Cut(fields[0], "-"); ok && !strings.HasSuffix(fields[0], ":") {
			a, err1 := strconv.ParseUint(lo, 16, 64)
			b, err2 := strconv.ParseUint(hi, 16, 64)
			in = err1 == nil && err2 == nil && uint64(addr) >= a && uint64(addr) < b
			continue
		}
		if in && fields[0] == "Rss:" {
			n, _ := strconv.Atoi(fields[1])
			return n
		}
	}
	t.Fatalf("no mapping holds %#x", addr)
	return 0
}

// The embedded bold font's pages leave the resident set and its bytes read
// the same after.
func TestReleasePages(t *testing.T) {
	data := assets.FontBold()
	sum := sha256.Sum256(data) // reads every page in
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
	before := residentKB(t, addr)
	n := releasePages(data)
	if page := os.Getpagesize(); n < len(data)-2*page || n > len(data) {
		t.Fatalf("released %d bytes of %d", n, len(data))
	}
	after := residentKB(t, addr)
	if drop := before - after; drop < n/1024-4 {
		t.Errorf("resident %d kB before, %d after: dropped %d kB, released %d kB", before, after, drop, n/1024)
	}
	if sha256.Sum256(data) != sum {
		t.Error("the font reads differently after its pages were released")
	}
	if releasePages(data[1:100]) != 0 || releasePages(nil) != 0 {
		t.Error("part of a page was released")
	}
}
