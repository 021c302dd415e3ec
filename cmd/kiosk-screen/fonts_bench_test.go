package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// BenchmarkFontCost: what the fonts cost the screen, measured on
// kiosk/ui/testdata/fontcost, which loads the fonts as the kiosk does, shows
// a screen of names (the staff's list of people) at 1024×600 and reports
// after its first frame. One sub-benchmark per screen of names:
//
//	common    names in GB2312: the embedded fonts alone
//	tongyong  王堃 李喆 陈赟 周玥 刘䶮 张㛃…: the 通用规范汉字表, embedded
//	extA      names with characters of CJK Extension A outside it (㐂 㒰):
//	          the system font (Noto Sans CJK SC) is loaded for them
//
// Reported: ms (from main's start to the first frame painted, the median
// run), cpu-ms (the CPU time meanwhile, which a loaded machine does not
// inflate), RSS-MB and PSS-MB after that frame, heap-MB (the Go heap in
// use), system-fonts (how many system fonts the names loaded), binary-MB
// (kiosk-screen's size, which the embedded fonts are part of).
func BenchmarkFontCost(b *testing.B) {
	bin, _ := binaries(b)
	cost := filepath.Join(bin, "fontcost")
	if _, err := os.Stat(cost); err != nil {
		cmd := exec.Command("go", "build", "-o", cost, "github.com/hongmajia/hongmajia/kiosk/ui/testdata/fontcost")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("build fontcost: %v\n%s", err, out)
		}
	}
	st, err := os.Stat(filepath.Join(bin, "kiosk-screen"))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, names string }{
		{"common", "张伟,王芳,李娜,刘洋,陈静,杨帆,赵磊,黄敏,周杰"},
		{"tongyong", "王堃,李喆,陈赟,周玥,刘䶮,张㛃,孙燊,吴昇,郑琤"},
		{"extA", "王堃,李喆,陈赟,周玥,孙㐂,钱㒰,张㛃,吴昇,郑琤"},
	} {
		b.Run(c.name, func(b *testing.B) {
			var runs []fontCost
			for b.Loop() {
				runs = append(runs, runFontCost(b, cost, c.names))
			}
			slices.SortFunc(runs, func(x, y fontCost) int { return int(x.MS - y.MS) })
			mid := runs[len(runs)/2]
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(mid.MS, "ms")
			b.ReportMetric(mid.CPUMS, "cpu-ms")
			b.ReportMetric(float64(mid.RSS)/1024, "RSS-MB")
			b.ReportMetric(float64(mid.PSS)/1024, "PSS-MB")
			b.ReportMetric(float64(mid.Heap)/1024, "heap-MB")
			b.ReportMetric(float64(len(mid.System)), "system-fonts")
			b.ReportMetric(float64(st.Size())/(1<<20), "binary-MB")
			b.ReportMetric(load1(), "load1")
		})
	}
}

// fontCost is fontcost's report.
type fontCost struct {
	MS     float64  `json:"ms"`
	CPUMS  float64  `json:"cpu_ms"`
	RSS    uint64   `json:"rss_kb"`
	PSS    uint64   `json:"pss_kb"`
	Heap   uint64   `json:"heap_kb"`
	System []string `json:"system"`
}

func runFontCost(b *testing.B, cost, names string) fontCost {
	b.Helper()
	var out, stderr bytes.Buffer
	cmd := exec.Command(cost, "-names", names)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			b.Fatalf("fontcost: %v\n%s", err, stderr.String())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		b.Fatalf("fontcost did not draw within 60 s\n%s", stderr.String())
	}
	var c fontCost
	if err := json.Unmarshal(out.Bytes(), &c); err != nil {
		b.Fatalf("fontcost printed %q: %v", out.String(), err)
	}
	return c
}
