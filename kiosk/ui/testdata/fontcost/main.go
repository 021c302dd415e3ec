// Command fontcost shows a screen of names as the kiosk does (the fonts
// loaded at start, then ui.Run) and, once the first frame is painted,
// prints one JSON line with the time since main started, the process's
// memory and the system fonts the names made the chain load, then exits.
// cmd/kiosk-screen's BenchmarkFontCost runs it under X.
package main

import (
	"encoding/json"
	"flag"
	"log"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hongmajia/hongmajia/kiosk/ui"
)

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

func main() {
	start := time.Now()
	names := flag.String("names", "王堃,李喆,陈赟,周玥,刘䶮,张㛃", "the names on screen, comma-separated")
	flag.Parse()
	fonts, err := ui.LoadFonts(nil)
	if err != nil {
		log.Fatal(err)
	}
	var loaded []string
	fonts.SetLog(func(format string, args ...any) {
		if strings.HasPrefix(format, "ui: system font %s") {
			loaded = append(loaded, args[0].(string))
		}
	})
	s := ui.ChineseStrings()
	scene := &ui.ChoiceScene{Title: s.F("staff.choose_person_for", s.T("staff.bind_card"))}
	for i, n := range strings.Split(*names, ",") {
		scene.Options = append(scene.Options, ui.Option{Label: n, Act: ui.Choose(i)})
	}
	drawn := false
	m := ui.NewManager(fonts, s, scene, ui.ManagerOpts{Clock: realClock{}, OnDraw: func() {
		if drawn {
			return
		}
		drawn = true
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		json.NewEncoder(os.Stdout).Encode(map[string]any{
			"ms":      float64(time.Since(start).Microseconds()) / 1000,
			"cpu_ms":  cpuMS(),
			"rss_kb":  kB("/proc/self/status", "VmRSS"),
			"hwm_kb":  kB("/proc/self/status", "VmHWM"),
			"pss_kb":  kB("/proc/self/smaps_rollup", "Pss"),
			"heap_kb": ms.HeapInuse >> 10,
			"system":  loaded,
		})
		os.Exit(0)
	}})
	log.Fatal(ui.Run(m, ui.RunOpts{Width: 1024, Height: 600}))
}

// cpuMS is the CPU time the process has used, user and system, in ms: on
// a loaded machine it says more than the wall time.
func cpuMS() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e6
}

// kB is the number after "name:" in a /proc status-style file.
func kB(path, name string) uint64 {
	b, _ := os.ReadFile(path)
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && k == name {
			n, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
