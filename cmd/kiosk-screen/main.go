// Command kiosk-screen is the touch UI of the terminal. `kiosk` execs it when
// there is a display; it takes the same flags and configuration. It is a
// binary of its own because ebiten opens the display when its package is
// initialised.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/kiosk"
	"github.com/hongmajia/hongmajia/kiosk/app"
	"github.com/hongmajia/hongmajia/kiosk/control"
	"github.com/hongmajia/hongmajia/kiosk/ui"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}

// gcPercent is the kiosk's GOGC unless the environment sets one: its live
// heap is about 12 MB (the parsed embedded fonts 7 MB of it) and grows
// little at the idle screen, so the default 100 held the heap at twice that;
// 50 holds 1.5 times. Measured under Xvfb beside the kiosk before it, 35 s
// after the start (deploy/dev/memmap.sh), with lean's return of the start's
// garbage: Go heap 21.3 → 17.2 MB resident, at no CPU the idle benchmark
// sees.
const gcPercent = 50

// lean sets the kiosk's GOGC and, once the first idle screen has been drawn
// (or after startMost), gives the operating system back what the start left
// free: the fonts' parsing, the ledger's open and the GL's shaders leave a
// few MB of garbage that the heap would otherwise hold.
func lean(ctx context.Context, fe *ui.Frontend) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	const startMost = 30 * time.Second
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for sw := clock.StartStopwatch(); sw.Elapsed() < startMost; {
		if scene, frames, _ := fe.Drawn(); scene == "idle" && frames > 0 {
			break
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
	select {
	case <-ctx.Done():
		return
	case <-time.After(2 * time.Second): // the idle screen's activities and honour roll
	}
	debug.FreeOSMemory()
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	// The same start and log as kiosk's: it execs this binary, and the
	// configured log file must not be lost on the way.
	cfg, logger, closeLog, exit := app.Begin("kiosk-screen", args, stderr)
	if exit >= 0 {
		return exit
	}
	defer closeLog()
	a, err := app.NewApp(ctx, cfg, &app.AppOptions{Logf: logger.Printf})
	if err != nil {
		logger.Printf("kiosk-screen: %v", err)
		return 1
	}
	defer a.Close()
	// The terminal first: it answers the control socket's taps from the
	// moment the socket opens, and holds what comes before its window.
	strs := ui.ChineseStrings()
	term := a.Terminal(kiosk.Options{Wake: ui.Wake, Words: strs.T})
	defer term.Close()
	if err := a.Start(ctx); err != nil {
		logger.Printf("kiosk-screen: %v", err)
		return 1
	}
	fonts, err := ui.LoadFonts(nil)
	if err != nil {
		logger.Printf("kiosk-screen: %v", err)
		return 1
	}
	fonts.SetLog(logger.Printf)
	// The embedded fonts draw GB2312 and the 通用规范汉字表; the rest of CJK
	// Extension A and rarer characters need the system's Noto Sans CJK
	// (fonts-noto-cjk), read only when a name needs it.
	if path, err := fonts.FallbackFile(); err != nil {
		logger.Printf("kiosk-screen: %v: install fonts-noto-cjk", err)
	} else if path != ui.SystemCJKFonts[0] {
		logger.Printf("kiosk-screen: system font %s has no CJK Extension A: install fonts-noto-cjk", path)
	}
	sounds, err := ui.NewSounds()
	if err != nil {
		logger.Printf("kiosk-screen: no sound: %v", err)
	}
	images, err := ui.LoadItemImages(filepath.Join(cfg.Data, "images"))
	if err != nil {
		logger.Printf("kiosk-screen: %v", err)
	}
	var demoKey func(int)
	if a.Demo() {
		demoKey = a.DemoKey
	}
	fe := ui.NewFrontend(fonts, strs, term, ui.FrontendOpts{Clock: a.Clock(), Events: a.Events(), DemoKey: demoKey, Sounds: sounds, ItemImages: images})
	a.OnStatus(func(st *control.Status) {
		st.Scene = fe.Scene()
		st.Drawn, st.Frames, st.Updates = fe.Drawn()
	})
	// systemd (hongmajia-kiosk.service): ready once the first screen is
	// drawn, alive while the frame loop and the ledger answer.
	a.Watch(fe.Alive)
	go lean(ctx, fe)
	w, h := cfg.Screen.Width, cfg.Screen.Height
	if w == 0 || h == 0 {
		w, h = 1024, 600
	}
	if err := fe.Run(ctx, ui.RunOpts{Width: w, Height: h, Fullscreen: cfg.Screen.Fullscreen, Logf: logger.Printf}); err != nil {
		logger.Printf("kiosk-screen: %v", err)
		return 1
	}
	return 0
}
