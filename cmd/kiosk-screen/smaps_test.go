package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Where the kiosk's memory goes: /proc/PID/smaps, each mapping's PSS put in
// one of memClasses by what is mapped. BenchmarkIdle reports each class as
// a metric beside the total, and deploy/dev/memmap.sh prints the same
// breakdown, mapping by mapping, for any running process.
const (
	memBinary = "binary" // the executable: code, read-only data, the embedded fonts
	memGoHeap = "goheap" // Go's heap arenas: Go objects and goroutine stacks
	memCAnon  = "Canon"  // other anonymous memory: malloc (Mesa's textures and framebuffers), thread stacks
	memLLVM   = "llvm"   // libLLVM: llvmpipe compiles its shaders with it
	memMesa   = "mesa"   // the GL driver and the GL/EGL dispatch libraries
	memLibs   = "libs"   // every other shared library (libc, X11, libstdc++…)
	memFiles  = "files"  // other mapped files: fonts, Mesa's shader cache index
)

var memClasses = []string{memBinary, memGoHeap, memCAnon, memLLVM, memMesa, memLibs, memFiles}

// goHeapBelow is where Go's heap ends on linux/amd64 and arm64: the runtime
// reserves its arenas at addresses it picks below it, while glibc's mmap
// (malloc arenas, thread stacks, libraries) hands out addresses from just
// under the stack, at 0x7f… on amd64 and 0xffff… on arm64 (48-bit).
const goHeapBelow = 0x7000_0000_0000

// memClass is the class of a mapping named name ("" for anonymous) that
// starts at addr in a process whose executable is exe.
func memClass(name, exe string, addr uint64) string {
	base := filepath.Base(name)
	switch {
	case name == exe || strings.TrimSuffix(name, " (deleted)") == exe:
		return memBinary
	case name == "" && addr < goHeapBelow:
		return memGoHeap
	case name == "" || strings.HasPrefix(name, "["):
		return memCAnon // [heap] is malloc's main arena, [stack] the main thread's
	case strings.HasPrefix(base, "libLLVM"):
		return memLLVM
	case strings.Contains(name, "/dri/") || strings.HasPrefix(base, "libgallium") ||
		strings.HasPrefix(base, "libGL") || strings.HasPrefix(base, "libEGL") ||
		strings.HasPrefix(base, "libglapi") || strings.HasPrefix(base, "libgbm") ||
		strings.HasPrefix(base, "libvulkan"):
		return memMesa
	case strings.Contains(base, ".so"):
		return memLibs
	}
	return memFiles
}

// mapping is one mapping's PSS and RSS in kB.
type mapping struct {
	name     string
	class    string
	pss, rss uint64
}

// smapsByMapping reads /proc/PID/smaps and sums PSS and RSS by mapped file
// (anonymous mappings by class), largest PSS first.
func smapsByMapping(pid int) ([]mapping, error) {
	exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	if err != nil {
		return nil, err
	}
	exe = strings.TrimSuffix(exe, " (deleted)")
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/smaps")
	if err != nil {
		return nil, err
	}
	return parseSmaps(b, exe)
}

func parseSmaps(b []byte, exe string) ([]mapping, error) {
	byName := map[string]*mapping{}
	var cur *mapping
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if !strings.HasSuffix(f[0], ":") { // a mapping's header: addr perms offset dev inode [name]
			start, _, ok := strings.Cut(f[0], "-")
			if !ok || len(f) < 5 {
				return nil, fmt.Errorf("smaps: bad line %q", line)
			}
			addr, err := strconv.ParseUint(start, 16, 64)
			if err != nil {
				return nil, fmt.Errorf("smaps: bad line %q", line)
			}
			name := strings.Join(f[5:], " ")
			class := memClass(name, exe, addr)
			key := name
			if name == "" || strings.HasPrefix(name, "[anon") {
				key = "[anon: " + class + "]"
			}
			if byName[key] == nil {
				byName[key] = &mapping{name: key, class: class}
			}
			cur = byName[key]
			continue
		}
		if cur == nil || len(f) < 2 {
			continue
		}
		switch f[0] {
		case "Pss:":
			n, _ := strconv.ParseUint(f[1], 10, 64)
			cur.pss += n
		case "Rss:":
			n, _ := strconv.ParseUint(f[1], 10, 64)
			cur.rss += n
		}
	}
	out := make([]mapping, 0, len(byName))
	for _, m := range byName {
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b mapping) int {
		if a.pss != b.pss {
			return int(b.pss) - int(a.pss)
		}
		return strings.Compare(a.name, b.name)
	})
	return out, sc.Err()
}

// pssByClass sums the mappings' PSS by class, in kB.
func pssByClass(maps []mapping) map[string]uint64 {
	out := map[string]uint64{}
	for _, m := range maps {
		out[m.class] += m.pss
	}
	return out
}

func TestParseSmaps(t *testing.T) {
	const exe = "/usr/bin/kiosk-screen"
	in := `00400000-00405000 r--p 00000000 fe:00 1  /usr/bin/kiosk-screen
Rss:                  20 kB
Pss:                  20 kB
00405000-00d7d000 r-xp 00005000 fe:00 1  /usr/bin/kiosk-screen
Rss:                9220 kB
Pss:                9000 kB
2bc70000-2c03e000 rw-p 00000000 00:00 0                                  [heap]
Rss:                3408 kB
Pss:                3408 kB
32c57d000000-32c57e800000 rw-p 00000000 00:00 0 
Rss:               21068 kB
Pss:               21068 kB
7fa930e00000-7fa93757c000 r-xp 00000000 fe:00 325977                     /usr/lib/x86_64-linux-gnu/libLLVM-15.so.1
Rss:               57000 kB
Pss:               31562 kB
7fa93c000000-7fa93cb9f000 rw-p 00000000 00:00 0 
Rss:               10264 kB
Pss:               10264 kB
7fa941690000-7fa9426d9000 r-xp 00090000 fe:00 325480                     /usr/lib/x86_64-linux-gnu/dri/swrast_dri.so
Rss:                6000 kB
Pss:                5078 kB
7fa9a28ba000-7fa9a2945000 r-xp 0001c000 fe:00 325993                     /usr/lib/x86_64-linux-gnu/libX11.so.6.4.0
Rss:                 600 kB
Pss:                 492 kB
7fa937ebf000-7fa938000000 rw-s 00000000 fe:00 10102239                   /root/.cache/mesa_shader_cache/index
Rss:                 320 kB
Pss:                 320 kB
7ffe3b4f0000-7ffe3b511000 rw-p 00000000 00:00 0                          [stack]
Rss:                  40 kB
Pss:                  40 kB
`
	maps, err := parseSmaps([]byte(in), exe)
	if err != nil {
		t.Fatal(err)
	}
	got := pssByClass(maps)
	want := map[string]uint64{memBinary: 9020, memGoHeap: 21068, memCAnon: 3408 + 10264 + 40,
		memLLVM: 31562, memMesa: 5078, memLibs: 492, memFiles: 320}
	for _, c := range memClasses {
		if got[c] != want[c] {
			t.Errorf("%s: PSS %d kB, want %d", c, got[c], want[c])
		}
	}
	if maps[0].name != "/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1" || maps[0].rss != 57000 {
		t.Errorf("largest mapping %+v, want libLLVM's with 57000 kB RSS", maps[0])
	}
	if _, err := parseSmaps([]byte("zzzz nothing\n"), exe); err == nil {
		t.Error("a bad header parsed")
	}
}
