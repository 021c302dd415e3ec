package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/hongmajia/hongmajia/kiosk/xsession"
)

// defaultServer is the X server of a kiosk's session: Xorg on the console
// hongmajia-kiosk.service gives it (tty7), without VT switching.
const defaultServer = "/usr/bin/Xorg vt7 -keeptty -novtswitch"

// runSession is `kiosk session [flags] [-- KIOSK FLAGS]`, what
// hongmajia-kiosk.service starts: an X server with this kiosk as its one
// client (xsession), ending with the kiosk's exit status so that systemd
// restarts a kiosk that failed.
func runSession(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("kiosk session", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", defaultServer, "the X server and its own arguments (the session adds the display, the cookie and the kiosk's settings)")
	display := fs.String("display", ":0", "the display to start")
	runtime := fs.String("runtime", runtimeDir(), "the directory for the session's cookie (the user's alone; systemd's RuntimeDirectory)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: kiosk session [--server CMD] [--display :N] [--runtime DIR] [-- KIOSK FLAGS]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	n, err := strconv.Atoi(strings.TrimPrefix(*display, ":"))
	if err != nil || n < 0 || !strings.HasPrefix(*display, ":") {
		fmt.Fprintf(stderr, "kiosk session: --display %q: want :N, e.g. :0\n", *display)
		return 2
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "kiosk session: %v\n", err)
		return 1
	}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "kiosk "+format+"\n", a...) }
	s := &xsession.Session{
		Server:     strings.Fields(*server),
		Display:    n,
		RuntimeDir: *runtime,
		Client:     append([]string{self}, fs.Args()...),
		Logf:       logf,
		Stdout:     os.Stdout,
		Stderr:     stderr,
	}
	code, err := s.Run(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "kiosk session: %v\n", err)
	}
	return code
}

// runtimeDir is the first of systemd's RUNTIME_DIRECTORY, else the unit's
// usual one.
func runtimeDir() string {
	if d, _, _ := strings.Cut(os.Getenv("RUNTIME_DIRECTORY"), ":"); d != "" {
		return d
	}
	return "/run/hongmajia-kiosk"
}
