// Command idlecpu shows the idle scene through ui.Run (or, with -mode
// vsync, the same Manager with ebiten's default frame loop) so its CPU can be
// measured from outside: run under xvfb-run, read /proc/PID/stat twice.
package main

import (
	"flag"
	"log"
	"time"

	"github.com/hajimehoshi/ebiten/v2"

	"github.com/hongmajia/hongmajia/kiosk"
	"github.com/hongmajia/hongmajia/kiosk/ui"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

func main() {
	mode := flag.String("mode", "minimum", "minimum (ui.Run) | vsync (ebiten's default loop, draws skipped)")
	flag.Parse()
	f, err := ui.LoadFonts(nil)
	if err != nil {
		log.Fatal(err)
	}
	idle := &ui.IdleScene{View: kiosk.View{Scene: kiosk.SceneIdle, Center: "和平里社区党群服务中心", Idle: kiosk.IdleView{
		Activities: []ledger.Activity{{Name: "社区环境清洁", Schedule: record.Schedule{Start: "08:30", End: "10:30"}}},
		Honour:     []ledger.HonourRow{{Name: "王堃", Minutes: 600}, {Name: "周玥", Minutes: 300}}}}}
	o := ui.ManagerOpts{Clock: realClock{}}
	if *mode == "vsync" {
		o.Poll = func(bool) {} // keep ebiten's default loop
	}
	m := ui.NewManager(f, ui.ChineseStrings(), idle, o)
	if *mode == "vsync" {
		ebiten.SetWindowSize(1024, 600)
		ebiten.SetScreenClearedEveryFrame(false)
		log.Fatal(ebiten.RunGame(m))
	}
	log.Fatal(ui.Run(m, ui.RunOpts{Width: 1024, Height: 600}))
}
