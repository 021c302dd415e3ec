package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"slices"
	"strconv"
)

func init() {
	commands["logs"] = command{summary: "the kiosk's recent journal: [-n N] [-f] [--since TIME] [--unit kiosk|station|all]", run: runLogs}
}

// logUnits are the systemd units a kiosk runs as, by --unit's names.
var logUnits = map[string][]string{
	"kiosk":   {"hongmajia-kiosk.service"},
	"station": {"hongmajia-station.service"},
	"all":     {"hongmajia-kiosk.service", "hongmajia-station.service"},
}

// runLogs shows the terminal's journal through journalctl: what a
// technician reads first when a kiosk misbehaves.
func runLogs(e *env, args []string) error {
	f := flag.NewFlagSet("kioskctl logs", flag.ContinueOnError)
	f.SetOutput(e.stderr)
	n := f.Int("n", 200, "the last N lines")
	follow := f.Bool("f", false, "go on printing new lines as they come (Ctrl-C ends)")
	since := f.String("since", "", `from this time on, as journalctl reads it: "today", "1h ago", "2025-03-01 08:00"`)
	unit := f.String("unit", "all", "kiosk (the touch screen), station (headless) or all")
	if err := parseFlags(f, args); err != nil {
		return err
	}
	us, ok := logUnits[*unit]
	if !ok {
		return fmt.Errorf("%w: --unit %q: kiosk, station or all", errUsage, *unit)
	}
	if *n < 0 {
		return fmt.Errorf("%w: -n %d: a count of lines", errUsage, *n)
	}
	journalctl, err := exec.LookPath("journalctl")
	if err != nil {
		return errors.New("no journalctl here: this is not a systemd system (the kiosk logs to stderr)")
	}
	jargs := []string{"--no-pager", "-n", strconv.Itoa(*n)}
	for _, u := range us {
		jargs = append(jargs, "-u", u)
	}
	if *since != "" {
		jargs = append(jargs, "--since", *since)
	}
	if *follow {
		jargs = append(jargs, "-f")
	}
	if !readsTheJournal() {
		fmt.Fprintln(e.stderr, "kioskctl logs: you are not in the systemd-journal group, so the kiosk's lines are hidden from you: "+
			"sudo adduser $USER systemd-journal (then log in again), or sudo kioskctl logs")
	}
	cmd := exec.Command(journalctl, jargs...)
	cmd.Stdout, cmd.Stderr = e.stdout, e.stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("journalctl: %w", err)
	}
	return nil
}

// readsTheJournal reports whether this user may read the system's journal:
// root, or a member of systemd-journal or adm.
func readsTheJournal() bool {
	if os.Geteuid() == 0 {
		return true
	}
	gids, err := os.Getgroups()
	if err != nil {
		return true // unknown: journalctl says
	}
	for _, name := range []string{"systemd-journal", "adm"} {
		if g, err := user.LookupGroup(name); err == nil {
			if gid, err := strconv.Atoi(g.Gid); err == nil && (slices.Contains(gids, gid) || gid == os.Getegid()) {
				return true
			}
		}
	}
	return false
}
