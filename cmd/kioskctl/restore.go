package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hongmajia/hongmajia/kiosk/hublink"
	"github.com/hongmajia/hongmajia/ledger"
)

func init() {
	commands["restore"] = command{summary: "rebuild a kiosk whose SD card died: --from-hub --hub URL --terminal ID, the token asked; into an empty data directory", run: runRestore}
}

func runRestore(e *env, args []string) error {
	f, data := newFlagSet(e, "restore")
	fromHub := f.Bool("from-hub", false, "restore from the district hub (the only restore there is)")
	hub := f.String("hub", "", "the district hub's address, e.g. https://hub.example.org")
	terminal := f.String("terminal", "", "the old terminal's id (hubd kiosk list shows it)")
	token := f.String("token", "", "the restore token from the district (hubd kiosk restore-token); - reads it from stdin; omitted: asked")
	f.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: kioskctl restore --from-hub --hub URL --terminal ID [--token T | --token -] [--data DIR]")
		fmt.Fprintln(e.stderr, "Rebuilds the ledger of a kiosk whose SD card died from its district hub, into an empty data")
		fmt.Fprintln(e.stderr, "directory: enrolls this card's new key as the old terminal's (with a restore token a district")
		fmt.Fprintln(e.stderr, "administrator made), brings its entries and the registry back, checks every hash and")
		fmt.Fprintln(e.stderr, "signature, and writes the ledger; the kiosk then goes on with its own chain.")
		f.PrintDefaults()
	}
	if err := parseFlags(f, args); err != nil {
		return err
	}
	switch {
	case !*fromHub:
		return fmt.Errorf("%w: restore --from-hub is the only restore (a backup file is copied back by hand: README)", errUsage)
	case *hub == "" || *terminal == "":
		return fmt.Errorf("%w: --hub URL and --terminal ID are required", errUsage)
	}
	if err := checkHubURL("--hub", *hub); err != nil {
		return err
	}
	tokenGiven := false
	f.Visit(func(fl *flag.Flag) { tokenGiven = tokenGiven || fl.Name == "token" })

	// A new SD card's data directory may not exist yet; one that holds a
	// ledger is never written over.
	if err := os.MkdirAll(*data, 0o750); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if _, err := os.Stat(filepath.Join(*data, ledger.FileName)); !errors.Is(err, fs.ErrNotExist) {
		if err != nil {
			return err
		}
		return fmt.Errorf("a ledger already exists in %s: restore writes only into an empty data directory (a new SD card); move that one away first (kioskctl status shows what it holds)", *data)
	}
	lock, err := lockStopped(*data, "restore")
	if err != nil {
		return err
	}
	if lock != nil {
		defer lock.Close()
	}
	tok, err := readToken(e, *token, tokenGiven)
	if err != nil {
		return err
	}
	ctx, cancel := ctxHub()
	defer cancel()
	l, err := hublink.Restore(ctx, *data, *hub, *terminal, tok, ledger.Options{PIN: ledgerOptions.PIN, Sync: ledgerOptions.Sync}, hubOptions(*data, ""))
	if err != nil {
		return stopped(ctx, explain(fmt.Errorf("restore: %w", err)), "no ledger was written; run it again with the same token until it expires")
	}
	defer l.Close()
	st, err := l.Status(ctx)
	if err != nil {
		return err
	}
	en, err := l.Enrollment(ctx)
	if err != nil {
		return err
	}
	rep, err := l.Verify(ctx)
	if err != nil {
		return err
	}
	owner, err := ownLikeDir(*data, hublink.KeyFile)
	if err != nil {
		return err
	}
	term := l.Terminal()
	fmt.Fprintf(e.stdout, "已恢复 restored from the district hub into %s\n", *data)
	line := func(label, format string, args ...any) {
		fmt.Fprintf(e.stdout, "  %s %s\n", padRight(label, 26), fmt.Sprintf(format, args...))
	}
	line("中心 center", "%s (%s)", term.CenterName, term.Center)
	line("终端 terminal", "%s", term.ID)
	line("区平台 hub", "%s", en.HubURL)
	line("流水 entries", "%d, up to seq %d (the hub holds them all)", st.Entries, st.Sync.HeadSeq)
	line("人员 people", "%d, %d cards", st.People, st.Cards)
	line("登记版本 registry version", "%d", st.Sync.RegistryVersion)
	verified := "OK: chains, balances and the hub's signatures hold"
	if !rep.OK() {
		verified = fmt.Sprintf("%d problem(s): kioskctl verify --data %s lists them", len(rep.Problems)+rep.Truncated, *data)
	}
	line("校验 verify", "%s", verified)
	if owner != "" {
		fmt.Fprintf(e.stdout, "  %s\n", owner)
	}
	fmt.Fprintln(e.stdout, "  Pickup codes and hand-outs are not in the entries: earlier pickup codes do not come back.")
	fmt.Fprintln(e.stdout, "下一步 next: sudo systemctl start hongmajia-kiosk   (it goes on with the old terminal's chain)")
	if !rep.OK() {
		return errVerifyFailed
	}
	return nil
}
