package ui

import (
	"os"
	"syscall"
	"unsafe"
)

// releasePages gives the kernel back the pages of b, which must be read-only
// data of the executable (an embedded file): the pages go from the
// process's resident set, and should b be read again they are read back from
// the executable, so b's content never changes. Only whole pages inside b are
// released, never a neighbour's: a page of the data segment that was written
// would lose what was written. It reports the bytes released.
//
// The embedded fonts are its use: go-text copies each table it parses into
// the heap, so once they are parsed the 7.2 MB of both weights in the
// binary's data segment are never read again, yet stay resident (and in the
// kiosk's PSS) until the kernel runs short of memory.
func releasePages(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	page := uintptr(os.Getpagesize())
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	end := start + uintptr(len(b))
	first := (start + page - 1) &^ (page - 1)
	last := end &^ (page - 1)
	if last <= first {
		return 0
	}
	whole := b[first-start : last-start]
	if err := syscall.Madvise(whole, syscall.MADV_DONTNEED); err != nil {
		return 0
	}
	return len(whole)
}
