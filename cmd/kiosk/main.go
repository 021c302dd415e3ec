// Command kiosk is the terminal. With --headless it is a service station
// (reader, buzzer, LEDs) run in this process; otherwise it hands over to
// kiosk-screen, the touch UI, found next to this executable. The screen is a
// second binary because ebiten opens the display when its package is
// initialised, before main could say that there is none. `kiosk session`
// starts an X server with the kiosk as its one client (hongmajia-kiosk.service).
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/hongmajia/hongmajia/internal/buildinfo"
	"github.com/hongmajia/hongmajia/kiosk/app"
	"github.com/hongmajia/hongmajia/kiosk/control"
)

// screenName is the touch UI's binary, installed beside kiosk.
const screenName = "kiosk-screen"

func main() {
	if len(os.Args) == 2 && os.Args[1] == "--version" {
		// The release it was built as (make deb, make bundle), else its commit.
		fmt.Println(buildinfo.Version())
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var code int
	if len(os.Args) > 1 && os.Args[1] == "session" {
		code = runSession(ctx, os.Args[2:], os.Stderr)
	} else {
		code = run(ctx, os.Args[1:], os.Stderr)
	}
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	cfg, logger, closeLog, exit := app.Begin("kiosk", args, stderr)
	if exit >= 0 {
		return exit
	}
	defer closeLog()
	if cfg.CheckDisplay {
		if err := checkDisplay(); err != nil {
			fmt.Fprintf(stderr, "kiosk: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "kiosk: display %s opens\n", os.Getenv("DISPLAY"))
		return 0
	}
	if !cfg.Headless {
		err := execScreen(args)
		if !cfg.FallbackHeadless {
			fmt.Fprintf(stderr, "kiosk: %v\n", err)
			return 1
		}
		logger.Printf("kiosk: %v; running the headless station instead (--fallback-headless)", err)
		cfg.Headless = true
	}
	return station(ctx, cfg, logger)
}

// execScreen replaces this process with kiosk-screen; it returns only when
// it could not, or when the display cannot be opened (checkDisplay): the
// touch UI would only panic.
func execScreen(args []string) error {
	if err := checkDisplay(); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find kiosk-screen: %w", err)
	}
	screen := filepath.Join(filepath.Dir(self), screenName)
	if _, err := os.Stat(screen); err != nil {
		return fmt.Errorf("the touch UI %s is not installed next to kiosk: %w", screen, err)
	}
	err = syscall.Exec(screen, append([]string{screen}, args...), os.Environ())
	return fmt.Errorf("start %s: %w", screen, err)
}

// station runs the headless service station until ctx ends (SIGTERM, Ctrl-C).
func station(ctx context.Context, cfg app.Config, logger *log.Logger) int {
	a, err := app.NewApp(ctx, cfg, &app.AppOptions{Logf: logger.Printf})
	if err != nil {
		logger.Printf("kiosk: %v", err)
		return 1
	}
	if err := a.Start(ctx); err != nil {
		logger.Printf("kiosk: %v", err)
		a.Close()
		return 1
	}
	logger.Printf("kiosk: headless station on %s, control socket %s", cfg.Data, control.SocketPath(cfg.Data))
	if cards := a.DemoCards(); len(cards) > 0 {
		logger.Printf("kiosk: demo cards: %v", cards)
	}
	err = a.RunStation(ctx)
	if cerr := a.Close(); cerr != nil {
		logger.Printf("kiosk: close: %v", cerr)
	}
	if err != nil {
		logger.Printf("kiosk: %v", err)
		return 1
	}
	logger.Printf("kiosk: stopped")
	return 0
}
