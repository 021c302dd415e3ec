package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hongmajia/hongmajia/hub"
)

func init() {
	commands["bundle"] = command{summary: "fleet updates: add FILE (--center ID ... | --all), list, withdraw VERSION", run: runBundle}
}

func runBundle(e *env, args []string) error {
	subs := map[string]func(*env, []string) error{"add": bundleAdd, "list": bundleList, "withdraw": bundleWithdraw}
	if len(args) == 0 || subs[args[0]] == nil {
		fmt.Fprintln(e.stderr, "usage: hubd bundle add FILE (--center ID [--center ID ...] | --all) [--data DIR]")
		fmt.Fprintln(e.stderr, "       hubd bundle list [--json] [--data DIR]")
		fmt.Fprintln(e.stderr, "       hubd bundle withdraw VERSION [--data DIR]")
		if len(args) == 0 {
			return fmt.Errorf("%w: bundle add, list or withdraw", errUsage)
		}
		return fmt.Errorf("%w: bundle %q: want add, list or withdraw", errUsage, args[0])
	}
	return subs[args[0]](e, args[1:])
}

// centerFlags is a repeatable --center flag.
type centerFlags []string

func (c *centerFlags) String() string { return strings.Join(*c, ",") }
func (c *centerFlags) Set(v string) error {
	if v == "" {
		return errors.New("an empty center id")
	}
	*c = append(*c, v)
	return nil
}

func bundleAdd(e *env, args []string) error {
	f, data := newFlagSet(e, "bundle add")
	var centers centerFlags
	f.Var(&centers, "center", "a center whose kiosks are offered the bundle (repeat for more)")
	all := f.Bool("all", false, "offer the bundle to every center's kiosks")
	rest, err := parseArgs(f, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 || (len(centers) == 0) == !*all || (len(centers) > 0 && *all) {
		return fmt.Errorf("%w: one FILE, and --center ID (repeated) or --all", errUsage)
	}
	ctx := context.Background()
	h, err := openHub(ctx, data, false, hub.Options{})
	if err != nil {
		return err
	}
	defer h.Close()
	// A mistyped center, named plainly before a large file is read.
	known, err := h.Centers(ctx)
	if err != nil {
		return err
	}
	for _, c := range centers {
		if !slices.ContainsFunc(known, func(k hub.Center) bool { return k.ID == c }) {
			return fmt.Errorf("no center %s (hubd center list shows the centers)", c)
		}
	}
	b, err := h.AddBundle(ctx, rest[0], centers, actor())
	if errors.Is(err, hub.ErrNotFound) {
		return fmt.Errorf("%w (hubd center list shows the centers)", err)
	}
	if err != nil {
		return err
	}
	to := "every center"
	if len(b.Centers) > 0 {
		to = "centers " + strings.Join(b.Centers, ", ")
	}
	fmt.Fprintf(e.stdout, "offered %s for %s (%.1f MB, SHA-256 %s) to the %s kiosks of %s at their next nightly sync\n",
		b.Version, b.Arch, float64(b.Size)/1e6, b.SHA256, b.Arch, to)
	fmt.Fprintln(e.stdout, "the hub checked its form only: each kiosk checks its signature against its own trusted keys (/etc/hongmajia/trusted-keys)")
	return nil
}

// bundleReport is a bundle in `hubd bundle list --json`: add fields, never
// rename.
type bundleReport struct {
	Version   string   `json:"version"`
	Arch      string   `json:"arch"`
	Size      int64    `json:"size"`
	SHA256    string   `json:"sha256"`
	Centers   []string `json:"centers"` // empty: every center
	Added     string   `json:"added"`
	Withdrawn string   `json:"withdrawn,omitempty"`
}

func bundleList(e *env, args []string) error {
	f, data := newFlagSet(e, "bundle list")
	asJSON := f.Bool("json", false, "print JSON")
	if err := parseFlags(f, args); err != nil {
		return err
	}
	ctx := context.Background()
	h, err := openHub(ctx, data, false, hub.Options{})
	if err != nil {
		return err
	}
	defer h.Close()
	bs, err := h.Bundles(ctx)
	if err != nil {
		return err
	}
	out := []bundleReport{}
	for _, b := range bs {
		r := bundleReport{Version: b.Version, Arch: b.Arch, Size: b.Size, SHA256: b.SHA256, Centers: b.Centers,
			Added: b.Added.Local().Format("2006-01-02 15:04")}
		if r.Centers == nil {
			r.Centers = []string{}
		}
		if !b.Withdrawn.IsZero() {
			r.Withdrawn = b.Withdrawn.Local().Format("2006-01-02 15:04")
		}
		out = append(out, r)
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(out) == 0 {
		fmt.Fprintln(e.stdout, "没有更新包 no bundles: hubd bundle add FILE --all offers one")
		return nil
	}
	fmt.Fprintf(e.stdout, "%s %s %s %s %s %s\n", padRight("版本 version", 14), padRight("架构 arch", 10), padRight("大小 size", 10),
		padRight("中心 centers", 24), padRight("添加 added", 17), "状态 state")
	for _, r := range out {
		to := "全部 all"
		if len(r.Centers) > 0 {
			to = strings.Join(r.Centers, ",")
		}
		state := "提供中 offered"
		if r.Withdrawn != "" {
			state = "已撤回 withdrawn " + r.Withdrawn
		}
		fmt.Fprintf(e.stdout, "%s %s %s %s %s %s\n", padRight(r.Version, 14), padRight(r.Arch, 10),
			padRight(fmt.Sprintf("%.1f MB", float64(r.Size)/1e6), 10), padRight(to, 24), padRight(r.Added, 17), state)
	}
	return nil
}

func bundleWithdraw(e *env, args []string) error {
	f, data := newFlagSet(e, "bundle withdraw")
	rest, err := parseArgs(f, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return fmt.Errorf("%w: give one VERSION", errUsage)
	}
	ctx := context.Background()
	h, err := openHub(ctx, data, false, hub.Options{})
	if err != nil {
		return err
	}
	defer h.Close()
	bs, err := h.WithdrawBundle(ctx, rest[0], actor())
	if errors.Is(err, hub.ErrNotFound) {
		return fmt.Errorf("no bundle of version %s is offered (hubd bundle list shows them)", rest[0])
	}
	if err != nil {
		return err
	}
	for _, b := range bs {
		fmt.Fprintf(e.stdout, "withdrew %s for %s: no kiosk is offered it from now on (one that downloaded it already may still install it)\n", b.Version, b.Arch)
	}
	return nil
}
