package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/hongmajia/hongmajia/kiosk/control"
	"github.com/hongmajia/hongmajia/ledger/demo"
)

func init() {
	commands["tap"] = command{summary: "tap a card on the running terminal: UID, --remove, or --list the demo cards", run: runTap}
	commands["ping"] = command{summary: "ask whether the terminal is running (its control socket answers)", run: runPing}
}

// controlTimeout bounds a question to the running terminal: it answers at
// once or not at all.
const controlTimeout = 5 * time.Second

// tapTimeout bounds a tap: the terminal waits up to 5 s for its screen's or
// station's answer to it.
const tapTimeout = 10 * time.Second

func askTerminal(data, line string) (string, error) {
	return askTerminalWithin(data, line, controlTimeout)
}

func askTerminalWithin(data, line string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return control.Request(ctx, control.SocketPath(data), line)
}

func runTap(e *env, args []string) error {
	f, data := newFlagSet(e, "tap")
	list := f.Bool("list", false, "print the demo cards (keys 1–9 in the demo window)")
	remove := f.Bool("remove", false, "take the card away from the reader")
	f.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: kioskctl tap [--data DIR] UID | --remove | --list")
		fmt.Fprintln(e.stderr, "Presents card UID to the running terminal's simulated reader, as if tapped, and prints")
		fmt.Fprintln(e.stderr, "what the terminal did with it: checked in or out, refused and why, ignored as a repeat.")
		f.PrintDefaults()
	}
	if err := f.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	switch {
	case *list:
		if f.NArg() > 0 {
			return fmt.Errorf("%w: --list takes no UID", errUsage)
		}
		return listDemoCards(e, *data)
	case *remove:
		if f.NArg() > 0 {
			return fmt.Errorf("%w: --remove takes no UID", errUsage)
		}
		_, err := askTerminal(*data, "remove")
		if err == nil {
			fmt.Fprintln(e.stdout, "ok: card removed")
		}
		return err
	case f.NArg() != 1:
		f.Usage()
		return fmt.Errorf("%w: give one card UID", errUsage)
	}
	// The answer says what the terminal did with the tap: checked in or
	// out, refused and why, ignored as a repeat.
	answer, err := askTerminalWithin(*data, "tap "+f.Arg(0), tapTimeout)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, answer)
	return nil
}

func listDemoCards(e *env, data string) error {
	ctx := context.Background()
	l, err := openLedgerReadOnly(ctx, data)
	if err != nil {
		return err
	}
	defer l.Close()
	cards, err := demo.KeyCards(ctx, l)
	if err != nil {
		return err
	}
	if len(cards) == 0 {
		return fmt.Errorf("%s holds no demo cards (made by `kioskctl demo`)", data)
	}
	for _, c := range cards {
		fmt.Fprintf(e.stdout, "%d  %s  %s %s %4d 积分 points\n", c.Key, c.UID, padRight(c.Name, 8), padRight(volunteerKindName(c.Kind), 8), c.Balance.Points)
	}
	fmt.Fprintf(e.stdout, "tap one: kioskctl tap --data %s %s\n", data, cards[0].UID)
	return nil
}

func runPing(e *env, args []string) error {
	f, data := newFlagSet(e, "ping")
	if err := parseFlags(f, args); err != nil {
		return err
	}
	answer, err := askTerminal(*data, "ping")
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, answer)
	return nil
}
