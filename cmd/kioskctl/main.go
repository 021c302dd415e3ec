// Command kioskctl is the technician's tool, run over SSH on the Pi. Each
// subcommand lives in its own file and is listed in commands below.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// defaultData is where a kiosk keeps everything it writes.
const defaultData = "/var/lib/hongmajia"

// command is one subcommand: run gets the arguments after its name.
type command struct {
	summary string
	run     func(env *env, args []string) error
}

// env is what every subcommand gets: where to read and write, so tests can
// capture it.
type env struct {
	stdout io.Writer
	stderr io.Writer
	stdin  io.Reader // nil: nothing to read
}

// errUsage marks a bad invocation: exit code 2.
var errUsage = errors.New("usage")

// commands lists every subcommand; each file adds its own line.
var commands = map[string]command{}

func main() {
	os.Exit(run(&env{stdout: os.Stdout, stderr: os.Stderr, stdin: os.Stdin}, os.Args[1:]))
}

func run(e *env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "kioskctl: unknown command %q\n", args[0])
		usage(e.stderr)
		return 2
	}
	if err := c.run(e, args[1:]); err != nil {
		if errors.Is(err, errUsage) || errors.Is(err, flag.ErrHelp) {
			if !errors.Is(err, flag.ErrHelp) {
				fmt.Fprintf(e.stderr, "kioskctl %s: %v\n", args[0], err)
			}
			return 2
		}
		// The update package's errors start with the command's name
		// ("update: …", "bundle: …"): said once.
		fmt.Fprintf(e.stderr, "kioskctl %s: %s\n", args[0], strings.TrimPrefix(err.Error(), args[0]+": "))
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: kioskctl COMMAND [flags]")
	fmt.Fprintf(w, "The data directory is --data DIR (default %s).\n", defaultData)
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
}
