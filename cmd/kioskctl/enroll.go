package main

import (
	"crypto/ed25519"
	"flag"
	"fmt"

	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/kiosk/hublink"
)

func init() {
	commands["enroll"] = command{summary: "join the district hub: --hub URL, the token asked (or --token T, --token - from stdin); the terminal stopped", run: runEnroll}
}

func runEnroll(e *env, args []string) error {
	f, data := newFlagSet(e, "enroll")
	hub := f.String("hub", "", "the district hub's address, e.g. https://hub.example.org")
	token := f.String("token", "", "the one-time token from the district (hubd kiosk token); - reads it from stdin; omitted: asked")
	f.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: kioskctl enroll --hub URL [--token T | --token -] [--data DIR]")
		fmt.Fprintln(e.stderr, "Joins this kiosk to its district hub with a one-time token: makes the kiosk's key")
		fmt.Fprintln(e.stderr, "(kiosk.key in the data directory), registers it, learns the hub's key, and marks the ledger")
		fmt.Fprintln(e.stderr, "enrolled; from then on the kiosk syncs every night. Stop the terminal first. The token is")
		fmt.Fprintln(e.stderr, "asked with echo off on a terminal, or read from stdin (--token -): on the command line it")
		fmt.Fprintln(e.stderr, "would stay in the shell's history.")
		f.PrintDefaults()
	}
	if err := parseFlags(f, args); err != nil {
		return err
	}
	if *hub == "" {
		return fmt.Errorf("%w: --hub URL is required", errUsage)
	}
	if err := checkHubURL("--hub", *hub); err != nil {
		return err
	}
	tokenGiven := false
	f.Visit(func(fl *flag.Flag) { tokenGiven = tokenGiven || fl.Name == "token" })

	lock, err := lockStopped(*data, "enroll")
	if err != nil {
		return err
	}
	if lock != nil {
		defer lock.Close()
	}
	ctx, cancel := ctxHub()
	defer cancel()
	l, err := openLedgerDir(ctx, *data)
	if err != nil {
		return err
	}
	defer l.Close()
	if before, err := l.Enrollment(ctx); err == nil && before.Enrolled {
		fmt.Fprintf(e.stderr, "kioskctl enroll: enrolled already with %s; enrolling again (a hub that moved) keeps this kiosk's key and what the hub acknowledged\n", before.HubURL)
	}
	tok, err := readToken(e, *token, tokenGiven)
	if err != nil {
		return err
	}
	en, err := hublink.Enroll(ctx, *data, l, *hub, tok, hubOptions(*data, ""))
	if err != nil {
		return stopped(ctx, explain(err), "not enrolled")
	}
	key, err := hublink.LoadKey(*data)
	if err != nil {
		return err
	}
	owner, err := ownLikeDir(*data, hublink.KeyFile)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "已接入区平台 enrolled with the district hub\n")
	line := func(label, format string, args ...any) {
		fmt.Fprintf(e.stdout, "  %s %s\n", padRight(label, 26), fmt.Sprintf(format, args...))
	}
	line("中心 center", "%s (%s)", en.CenterName, en.Center)
	line("终端 terminal", "%s", en.Terminal)
	line("区平台 hub", "%s", en.HubURL)
	line("区平台密钥 hub key", "%s  (compare: hubd status on the hub prints its key)", hubsync.Fingerprint(en.HubKey))
	line("本机密钥 kiosk key", "%s  (hubd kiosk list shows it)", hubsync.Fingerprint(key.Public().(ed25519.PublicKey)))
	if owner != "" {
		fmt.Fprintf(e.stdout, "  %s\n", owner)
	}
	at, as := "", ""
	if *data != defaultData {
		at = " --data " + *data
	} else {
		// On a kiosk the ledger is the hongmajia user's.
		as = "sudo -u hongmajia "
	}
	fmt.Fprintln(e.stdout, "下一步 next:")
	fmt.Fprintf(e.stdout, "  %skioskctl sync%s   (the first sync brings this center's people and entries to the hub)\n", as, at)
	fmt.Fprintln(e.stdout, "  sudo systemctl start hongmajia-kiosk   (it syncs every night, [sync] in kiosk.toml)")
	return nil
}
