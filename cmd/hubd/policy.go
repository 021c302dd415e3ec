package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/record"
)

func init() {
	commands["policy"] = command{summary: "policy set [--offline-cap N] [--max-sync-age D] [--expire-months N], show", run: runPolicy}
}

func runPolicy(e *env, args []string) error {
	subs := map[string]func(*env, []string) error{"set": policySet, "show": policyShow}
	if len(args) == 0 || subs[args[0]] == nil {
		fmt.Fprintln(e.stderr, "usage: hubd policy set [--offline-cap N] [--max-sync-age D] [--expire-months N] [--data DIR]")
		fmt.Fprintln(e.stderr, "       hubd policy show [--data DIR]")
		if len(args) == 0 {
			return fmt.Errorf("%w: policy set or show", errUsage)
		}
		return fmt.Errorf("%w: policy %q: want set or show", errUsage, args[0])
	}
	return subs[args[0]](e, args[1:])
}

func policySet(e *env, args []string) error {
	f, data := newFlagSet(e, "policy set")
	offlineCap := f.Int64("offline-cap", -1, "points one card may redeem at a kiosk between syncs (0: no cap)")
	age := f.Duration("max-sync-age", -1, "a kiosk not synced this long refuses redemption, e.g. 168h (0: no limit)")
	months := f.Int("expire-months", -1, "points expire after this many months (0: never)")
	if err := parseFlags(f, args); err != nil {
		return err
	}
	set := map[string]bool{}
	f.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if !set["offline-cap"] && !set["max-sync-age"] && !set["expire-months"] {
		return fmt.Errorf("%w: give --offline-cap, --max-sync-age or --expire-months", errUsage)
	}
	ctx := context.Background()
	h, err := openHub(ctx, data, false, hub.Options{})
	if err != nil {
		return err
	}
	defer h.Close()
	p, err := h.Policy(ctx)
	if err != nil {
		return err
	}
	if set["offline-cap"] {
		p.OfflineCapPoints = *offlineCap
	}
	if set["max-sync-age"] {
		p.MaxSyncAge = *age
	}
	if set["expire-months"] {
		p.PointsExpireMonths = *months
	}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("%w: a limit is 0 (none) or more", errUsage)
	}
	if err := h.SetPolicy(ctx, p); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "已设置 set; every kiosk takes it at its next sync:")
	printPolicy(e, p)
	return nil
}

func policyShow(e *env, args []string) error {
	f, data := newFlagSet(e, "policy show")
	if err := parseFlags(f, args); err != nil {
		return err
	}
	ctx := context.Background()
	h, err := openHub(ctx, data, false, hub.Options{})
	if err != nil {
		return err
	}
	defer h.Close()
	p, err := h.Policy(ctx)
	if err != nil {
		return err
	}
	printPolicy(e, p)
	return nil
}

func printPolicy(e *env, p record.Policy) {
	none := func(n int64, unit string) string {
		if n == 0 {
			return "无 none"
		}
		return fmt.Sprintf("%d %s", n, unit)
	}
	age := "无 none"
	if p.MaxSyncAge > 0 {
		age = fmt.Sprintf("%s (%.1f days)", p.MaxSyncAge, p.MaxSyncAge.Hours()/24)
	}
	fmt.Fprintf(e.stdout, "  %s %s\n", padRight("离线兑换上限 offline cap", 30), none(p.OfflineCapPoints, "points per card between syncs"))
	fmt.Fprintf(e.stdout, "  %s %s\n", padRight("最长未同步 max sync age", 30), age)
	fmt.Fprintf(e.stdout, "  %s %s\n", padRight("积分有效期 points expire", 30), none(int64(p.PointsExpireMonths), "months"))
}
