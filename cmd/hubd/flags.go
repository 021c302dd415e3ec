package main

import (
	"context"
	"fmt"

	"github.com/hongmajia/hongmajia/hub"
)

func init() {
	commands["flags"] = command{summary: "what needs a person: double spends, likely clones, long shifts, kiosks not synced, forks, walk-ins (--all: resolved too)", run: runFlags}
}

// flagNames say each kind of flag in the words a district's staff read.
var flagNames = map[hub.FlagKind]string{
	hub.FlagDoubleSpend: "积分透支 double spend",
	hub.FlagClone:       "疑似复制卡 likely clone",
	hub.FlagLongShift:   "超时长 long shift",
	hub.FlagStale:       "未同步 not synced",
	hub.FlagChain:       "流水不连续 chain refused",
	hub.FlagFork:        "流水被改 fork",
	hub.FlagWalkIn:      "待补登记 walk-in",
	hub.FlagConflict:    "修改冲突 conflict",
}

func runFlags(e *env, args []string) error {
	f, data := newFlagSet(e, "flags")
	all := f.Bool("all", false, "list resolved flags too")
	if err := parseFlags(f, args); err != nil {
		return err
	}
	ctx := context.Background()
	h, err := openHub(ctx, data, false, hub.Options{})
	if err != nil {
		return err
	}
	defer h.Close()
	fl, err := h.Flags(ctx, *all)
	if err != nil {
		return err
	}
	if len(fl) == 0 {
		fmt.Fprintln(e.stdout, "没有待处理的问题 no open flags")
		return nil
	}
	for _, x := range fl {
		state := "待处理 open"
		if !x.Resolved.IsZero() {
			state = fmt.Sprintf("已处理 resolved by %s %s", x.ResolvedBy, x.Resolved.Local().Format("2006-01-02 15:04"))
		}
		fmt.Fprintf(e.stdout, "#%d %s %s %s [%s]\n    %s\n", x.ID, x.At.Local().Format("2006-01-02 15:04"), padRight(flagNames[x.Kind], 24), x.Subject, state, x.Detail)
	}
	return nil
}
