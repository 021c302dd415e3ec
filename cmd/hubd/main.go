// Command hubd is the district hub: `hubd serve` runs it, the other
// subcommands administer it on its data directory (the same exit codes as
// kioskctl: 0 done, 1 failed, 2 a bad invocation). Each subcommand lives in
// its own file and is listed in commands.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
)

// defaultData is where a hub keeps everything it writes.
const defaultData = "/var/lib/hongmajia-hub"

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
		fmt.Fprintf(e.stderr, "hubd: unknown command %q\n", args[0])
		usage(e.stderr)
		return 2
	}
	if err := c.run(e, args[1:]); err != nil {
		if errors.Is(err, errUsage) || errors.Is(err, flag.ErrHelp) {
			if !errors.Is(err, flag.ErrHelp) {
				fmt.Fprintf(e.stderr, "hubd %s: %v\n", args[0], err)
			}
			return 2
		}
		fmt.Fprintf(e.stderr, "hubd %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: hubd COMMAND [flags]")
	fmt.Fprintf(w, "The data directory is --data DIR (default %s).\n", defaultData)
	fmt.Fprintf(w, "The store is hub.db in it, or the PostgreSQL database of --db URL or of the config file\n")
	fmt.Fprintf(w, "(database, database_password_file), which every command reads: --config FILE, else $%s,\n", configEnv)
	fmt.Fprintf(w, "else %s if it exists; a flag wins over the file.\n", defaultConfigFile)
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
}
