package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hubsync"
)

func init() {
	commands["kiosk"] = command{summary: "kiosks: token --center ID [--ttl 24h], list, revoke TERMINAL, restore-token TERMINAL [--ttl 24h]", run: runKiosk}
}

func runKiosk(e *env, args []string) error {
	subs := map[string]func(*env, []string) error{"token": kioskToken, "list": kioskList, "revoke": kioskRevoke, "restore-token": kioskRestoreToken}
	if len(args) == 0 || subs[args[0]] == nil {
		fmt.Fprintln(e.stderr, "usage: hubd kiosk token --center ID [--ttl 24h] [--data DIR]")
		fmt.Fprintln(e.stderr, "       hubd kiosk list [--data DIR]")
		fmt.Fprintln(e.stderr, "       hubd kiosk revoke TERMINAL [--data DIR]")
		fmt.Fprintln(e.stderr, "       hubd kiosk restore-token TERMINAL [--ttl 24h] [--data DIR]")
		if len(args) == 0 {
			return fmt.Errorf("%w: kiosk token, list, revoke or restore-token", errUsage)
		}
		return fmt.Errorf("%w: kiosk %q: want token, list, revoke or restore-token", errUsage, args[0])
	}
	return subs[args[0]](e, args[1:])
}

func kioskToken(e *env, args []string) error {
	f, data := newFlagSet(e, "kiosk token")
	center := f.String("center", "", "the center the kiosk joins (hubd center list)")
	ttl := f.Duration("ttl", hub.DefaultTokenTTL, "how long the token is good for")
	if err := parseFlags(f, args); err != nil {
		return err
	}
	if *center == "" {
		return fmt.Errorf("%w: --center ID is required", errUsage)
	}
	if *ttl <= 0 {
		return fmt.Errorf("%w: --ttl %s: must be positive", errUsage, *ttl)
	}
	ctx := context.Background()
	h, err := openHub(ctx, data, false, hub.Options{})
	if err != nil {
		return err
	}
	defer h.Close()
	tok, exp, err := h.IssueToken(ctx, *center, *ttl)
	if errors.Is(err, hub.ErrNotFound) {
		return fmt.Errorf("no center %s (hubd center list shows them)", *center)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, tok)
	fmt.Fprintf(e.stderr, "一次性注册码 a one-time enrollment token for center %s, good until %s; it is shown only now.\n", *center, exp.Local().Format(time.DateTime))
	fmt.Fprintln(e.stderr, "On the kiosk, stopped: sudo -u hongmajia kioskctl enroll --hub https://HUB, and paste the token when it asks (not on the command line: the shell's history would keep it)")
	fmt.Fprintf(e.stderr, "The hub's key: %s (the kiosk shows the key it learned; compare them)\n", h.Fingerprint())
	return nil
}

func kioskList(e *env, args []string) error {
	f, data := newFlagSet(e, "kiosk list")
	if err := parseFlags(f, args); err != nil {
		return err
	}
	ctx := context.Background()
	h, err := openHub(ctx, data, false, hub.Options{})
	if err != nil {
		return err
	}
	defer h.Close()
	ks, err := h.Kiosks(ctx)
	if err != nil {
		return err
	}
	if len(ks) == 0 {
		fmt.Fprintln(e.stdout, "没有终端 no kiosks: hubd kiosk token --center ID makes a token to enroll one")
		return nil
	}
	fmt.Fprintf(e.stdout, "%s %s %s %s %s\n", padRight("终端 terminal", 18), padRight("中心 center", 14), padRight("注册 enrolled", 18), padRight("密钥 key", 21), "状态 state")
	for _, k := range ks {
		state := "有效 active"
		if !k.Revoked.IsZero() {
			state = "已吊销 revoked " + k.Revoked.Local().Format(time.DateTime)
		}
		fmt.Fprintf(e.stdout, "%s %s %s %s %s\n", padRight(k.Terminal, 18), padRight(k.Center, 14), padRight(k.Enrolled.Local().Format("2006-01-02 15:04"), 18),
			padRight(hubsync.Fingerprint(k.PublicKey), 21), state)
	}
	return nil
}

func kioskRevoke(e *env, args []string) error {
	f, data := newFlagSet(e, "kiosk revoke")
	rest, err := parseArgs(f, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return fmt.Errorf("%w: kiosk revoke TERMINAL (hubd kiosk list shows them)", errUsage)
	}
	ctx := context.Background()
	h, err := openHub(ctx, data, false, hub.Options{})
	if err != nil {
		return err
	}
	defer h.Close()
	if err := h.RevokeKiosk(ctx, rest[0]); errors.Is(err, hub.ErrNotFound) {
		return fmt.Errorf("no kiosk %s (hubd kiosk list shows them)", rest[0])
	} else if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "已吊销 revoked kiosk %s: the hub refuses its every request from now on\n", rest[0])
	return nil
}

func kioskRestoreToken(e *env, args []string) error {
	f, data := newFlagSet(e, "kiosk restore-token")
	ttl := f.Duration("ttl", hub.DefaultTokenTTL, "how long the token is good for")
	rest, err := parseArgs(f, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return fmt.Errorf("%w: kiosk restore-token TERMINAL", errUsage)
	}
	if *ttl <= 0 {
		return fmt.Errorf("%w: --ttl %s: must be positive", errUsage, *ttl)
	}
	ctx := context.Background()
	h, err := openHub(ctx, data, false, hub.Options{})
	if err != nil {
		return err
	}
	defer h.Close()
	tok, exp, err := h.RestoreToken(ctx, rest[0], *ttl)
	switch {
	case errors.Is(err, hub.ErrNotFound):
		return fmt.Errorf("no kiosk %s (hubd kiosk list shows them)", rest[0])
	case errors.Is(err, hubsync.ErrRevoked):
		return fmt.Errorf("kiosk %s is revoked: it cannot be restored", rest[0])
	case err != nil:
		return err
	}
	fmt.Fprintln(e.stdout, tok)
	fmt.Fprintf(e.stderr, "一次性恢复码 a district administrator's one-time restore token for terminal %s, good until %s; it is shown only now.\n",
		rest[0], exp.Local().Format(time.DateTime))
	fmt.Fprintf(e.stderr, "On the new SD card, its data directory empty and the kiosk stopped: sudo -u hongmajia kioskctl restore --from-hub --hub https://HUB --terminal %s, and paste the token when it asks\n", rest[0])
	return nil
}
