package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/demo"
)

func init() {
	commands["demo"] = command{summary: "make a data directory with demo data and print its cards: [--people N --entries M]", run: runDemo}
}

// demoPIN is the cost of the demo's staff PIN hashes; tests make it cheap.
var demoPIN ledger.PINParams

func runDemo(e *env, args []string) error {
	f, data := newFlagSet(e, "demo")
	people := f.Int("people", demo.DefaultPeople, "people to register, one card each")
	entries := f.Int("entries", demo.DefaultEntries, "entries of history (check-ins, check-outs, redemptions); 0: none")
	days := f.Int("days", demo.DefaultDays, "days of history before now")
	seed := f.Uint64("seed", 1, "seed for names and history")
	if err := parseFlags(f, args); err != nil {
		return err
	}
	if *data == defaultData {
		// A real kiosk's data directory must never receive demo people by
		// accident (a Pi whose ledger is not made yet would take them).
		return fmt.Errorf("%w: name the demo's directory with --data (demo data never goes into %s)", errUsage, defaultData)
	}
	if *people < 1 || *entries < 0 || *days < 1 {
		return fmt.Errorf("%w: --people must be at least 1, --entries at least 0, --days at least 1", errUsage)
	}
	res, err := demo.Create(context.Background(), *data, demo.Options{
		People: *people, Entries: *entries, NoHistory: *entries == 0, Days: *days, Seed: *seed,
		Ledger: ledger.Options{PIN: demoPIN},
	})
	if errors.Is(err, ledger.ErrExists) {
		return fmt.Errorf("a ledger already exists in %s: demo makes new data directories only", *data)
	}
	if err != nil {
		return err
	}
	printDemo(e.stdout, *data, res)
	return nil
}

func printDemo(w io.Writer, dir string, res *demo.Result) {
	fmt.Fprintf(w, "演示数据 demo data in %s\n", dir)
	fmt.Fprintf(w, "  中心 center %s (%s), 终端 terminal %s\n", res.Terminal.CenterName, res.Terminal.Center, res.Terminal.ID)
	fmt.Fprintf(w, "  站点活动 station activity (kiosk --headless): %s\n", res.Station.Name)
	fmt.Fprintf(w, "  %d people, %d entries (%d of history), %d on duty now\n", len(res.Cards)+len(res.Refused)-countReplacements(res), res.Entries, res.History, res.OpenShifts)

	card := func(prefix string, c demo.Card, note string) {
		fmt.Fprintf(w, "  %s %s  %s %s %4d 积分 points  %s  %s%s\n", prefix, c.UID, padRight(c.Name, 8),
			padRight(volunteerKindName(c.Kind), 8), c.Balance.Points, padRight(serviceTime(c.Balance.Minutes), 12), c.Community, note)
	}
	fmt.Fprintf(w, "\n演示卡 demo cards: keys 1–%d tap these in the demo window\n", demo.Keys)
	rest := res.Cards
	for len(rest) > 0 && rest[0].Key != 0 {
		card(fmt.Sprintf("%d", rest[0].Key), rest[0], "")
		rest = rest[1:]
	}
	if len(rest) > 0 {
		fmt.Fprintln(w, "\n其他卡 other cards")
		for _, c := range rest {
			note := ""
			if c.Replaces != "" {
				note = fmt.Sprintf("  (补卡 replaces %s)", c.Replaces)
			}
			card(" ", c, note)
		}
	}
	if len(res.Refused) > 0 {
		fmt.Fprintln(w, "\n挂失/注销 lost or revoked cards (a tap is refused)")
		for _, c := range res.Refused {
			fmt.Fprintf(w, "    %s  %s %s %s\n", c.UID, padRight(c.Name, 8), cardStateName(c.State), c.State)
		}
	}
	fmt.Fprintln(w, "\n工作人员卡 staff cards")
	for _, s := range res.Staff {
		fmt.Fprintf(w, "    %s  %s %s PIN %s\n", s.UID, padRight(s.Name, 8), padRight(roleName(s.Role)+" "+s.Role.String(), 20), s.PIN)
	}
}

func countReplacements(res *demo.Result) int {
	n := 0
	for _, c := range res.Cards {
		if c.Replaces != "" {
			n++
		}
	}
	return n
}

// serviceTime is minutes of service as the kiosk's screens say them:
// 13小时15分钟, 2小时 (no 0分钟), 45分钟.
func serviceTime(minutes int64) string {
	switch {
	case minutes < 60:
		return fmt.Sprintf("%d分钟", minutes)
	case minutes%60 == 0:
		return fmt.Sprintf("%d小时", minutes/60)
	}
	return fmt.Sprintf("%d小时%d分钟", minutes/60, minutes%60)
}
