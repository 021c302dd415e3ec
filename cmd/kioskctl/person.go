package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

func init() {
	commands["person"] = command{summary: "a person: show MEMBER|UID, rename MEMBER --name NAME, block-card UID --by STAFFCARD", run: runPerson}
}

func runPerson(e *env, args []string) error {
	subs := map[string]func(*env, []string) error{"show": personShow, "rename": personRename, "block-card": personBlockCard}
	if len(args) == 0 || subs[args[0]] == nil {
		fmt.Fprintln(e.stderr, "usage: kioskctl person show MEMBER|UID [--data DIR]")
		fmt.Fprintln(e.stderr, "       kioskctl person rename MEMBER|UID --name NAME [--data DIR]   (also completes a walk-in)")
		fmt.Fprintln(e.stderr, "       kioskctl person block-card UID --by STAFFCARD [--reason TEXT] [--data DIR]   (a card reported lost)")
		if len(args) == 0 {
			return fmt.Errorf("%w: person show, rename or block-card", errUsage)
		}
		return fmt.Errorf("%w: person %q: want show, rename or block-card", errUsage, args[0])
	}
	return subs[args[0]](e, args[1:])
}

// findPerson finds a person by member number, else by a card of theirs in
// any state. A staff card is no person's.
func findPerson(ctx context.Context, l *ledger.Ledger, who string) (ledger.Person, error) {
	p, err := l.PersonByMemberNo(ctx, who)
	if err == nil || !errors.Is(err, ledger.ErrNotFound) {
		return p, err
	}
	uid, uerr := record.ParseUID(who)
	if uerr != nil {
		return p, fmt.Errorf("nobody has member number %s (and it is not a card UID)", who)
	}
	info, err := l.LookupCard(ctx, uid)
	switch {
	case info.Staff != nil:
		return p, fmt.Errorf("%s is the staff card of %s (kioskctl staff list)", uid, info.Staff.Name)
	case errors.Is(err, ledger.ErrUnknownCard):
		return p, fmt.Errorf("nobody has member number %s or card %s", who, uid)
	case info.Person != nil:
		return *info.Person, nil
	}
	return p, err
}

func personShow(e *env, args []string) error {
	f, data := newFlagSet(e, "person show")
	rest, err := parseArgs(f, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return fmt.Errorf("%w: person show MEMBER|UID", errUsage)
	}
	ctx := context.Background()
	l, err := openLedgerDir(ctx, *data)
	if err != nil {
		return err
	}
	defer l.Close()
	p, err := findPerson(ctx, l, rest[0])
	if err != nil {
		return err
	}
	bal, err := l.Balance(ctx, p.ID)
	if err != nil {
		return err
	}
	cards, err := l.Cards(ctx, p.ID)
	if err != nil {
		return err
	}
	loc := l.Location()
	w := e.stdout
	row := func(label, value string) { fmt.Fprintf(w, "%s %s\n", padRight(label, 18), value) }
	row("姓名 name", personName(p.Name, p.Provisional))
	if p.Provisional {
		row("", "待补登记 provisional: a walk-in; kioskctl person rename "+p.MemberNo+" --name NAME completes it")
	}
	row("会员号 member", p.MemberNo)
	row("类型 kind", volunteerKindName(p.Kind)+" "+p.Kind.String())
	row("社区 community", p.Community)
	row("电话 phone", p.Phone)
	row("登记 registered", p.CreatedAt.In(loc).Format("2006-01-02 15:04"))
	row("积分 points", fmt.Sprint(bal.Points))
	row("服务时长 hours", fmt.Sprintf("%.1f (%d min)", float64(bal.Minutes)/60, bal.Minutes))
	if len(cards) == 0 {
		row("卡 cards", "无 none")
	}
	for i, c := range cards {
		label := ""
		if i == 0 {
			label = "卡 cards"
		}
		row(label, fmt.Sprintf("%s  %s %s  绑定 bound %s", padRight(string(c.UID), 20), cardStateName(c.State), padRight(c.State.String(), 8),
			c.BoundAt.In(loc).Format("2006-01-02 15:04")))
	}
	sh, err := l.OpenShift(ctx, p.ID)
	switch {
	case errors.Is(err, ledger.ErrNoOpenShift):
		row("签到中 on duty", "否 no")
	case err != nil:
		return err
	default:
		row("签到中 on duty", fmt.Sprintf("%s since 自 %s", activityName(ctx, l, sh.Activity), sh.OpenedAt.In(loc).Format("2006-01-02 15:04")))
	}
	history, err := l.History(ctx, p.ID, 10)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "最近记录 last entries (%d)\n", len(history))
	for _, en := range history {
		var parts []string
		if en.Activity != 0 {
			parts = append(parts, activityName(ctx, l, en.Activity))
		}
		if en.Points != 0 {
			parts = append(parts, fmt.Sprintf("%+d 积分", en.Points))
		}
		if en.Minutes != 0 {
			parts = append(parts, fmt.Sprintf("%+d 分钟", en.Minutes))
		}
		if en.Reason != "" {
			parts = append(parts, en.Reason)
		}
		fmt.Fprintf(w, "  %s  %s %s  %s\n", en.At.In(loc).Format("2006-01-02 15:04"), padRight(entryKindName(en.Kind), 4), padRight(string(en.Card), 20), strings.Join(parts, "  "))
	}
	return nil
}

func activityName(ctx context.Context, l *ledger.Ledger, id record.ActivityID) string {
	a, err := l.Activity(ctx, id)
	if err != nil {
		return fmt.Sprintf("activity %d", id)
	}
	return a.Name
}

func personRename(e *env, args []string) error {
	f, data := newFlagSet(e, "person rename")
	name := f.String("name", "", "the person's name")
	rest, err := parseArgs(f, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 || strings.TrimSpace(*name) == "" {
		return fmt.Errorf("%w: person rename MEMBER|UID --name NAME", errUsage)
	}
	ctx := context.Background()
	l, err := openLedgerDir(ctx, *data)
	if err != nil {
		return err
	}
	defer l.Close()
	p, err := findPerson(ctx, l, rest[0])
	if err != nil {
		return err
	}
	got, err := l.RenamePerson(ctx, ledger.RenamePerson{ID: record.NewEntryID(), Person: p.ID, Name: *name})
	if err != nil {
		return err
	}
	was := personName(p.Name, p.Provisional)
	fmt.Fprintf(e.stdout, "已改名 renamed %s: %s → %s\n", got.MemberNo, was, got.Name)
	return nil
}

func personBlockCard(e *env, args []string) error {
	f, data := newFlagSet(e, "person block-card")
	by := f.String("by", "", "the staff card of whoever took the report (kioskctl staff list): every card change names one")
	reason := f.String("reason", "本人挂失 reported lost", "why, kept with the card's history")
	rest, err := parseArgs(f, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return fmt.Errorf("%w: person block-card UID --by STAFFCARD", errUsage)
	}
	if *by == "" {
		return fmt.Errorf("%w: --by STAFFCARD is required: the staff card of whoever took the report (kioskctl staff list shows them)", errUsage)
	}
	uid, err := record.ParseUID(rest[0])
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	op, err := record.ParseUID(*by)
	if err != nil {
		return fmt.Errorf("%w: --by: %v", errUsage, err)
	}
	ctx := context.Background()
	l, err := openLedgerDir(ctx, *data)
	if err != nil {
		return err
	}
	defer l.Close()
	info, err := l.LookupCard(ctx, uid)
	switch {
	case info.Staff != nil:
		return fmt.Errorf("%s is a staff card: kioskctl staff disable --card %s", uid, uid)
	case errors.Is(err, ledger.ErrCardLost):
		fmt.Fprintf(e.stdout, "%s was reported lost already (已挂失)\n", uid)
		return nil
	case errors.Is(err, ledger.ErrCardRevoked):
		fmt.Fprintf(e.stdout, "%s was revoked already (已注销): it is refused\n", uid)
		return nil
	case errors.Is(err, ledger.ErrUnknownCard):
		return fmt.Errorf("card %s is not registered", uid)
	case err != nil:
		return err
	}
	c, err := l.SetCardState(ctx, ledger.SetCardState{ID: record.NewEntryID(), UID: uid, State: ledger.CardLost, Operator: op, Reason: *reason})
	switch {
	case errors.Is(err, ledger.ErrNotStaff):
		return fmt.Errorf("--by %s is not a staff card (kioskctl staff list shows them)", op)
	case err != nil:
		return err
	}
	fmt.Fprintf(e.stdout, "已挂失 blocked %s of %s (%s): the kiosk refuses it from the next tap; the points stay with the person (补卡 at the kiosk moves them to a new card)\n",
		c.UID, personName(info.Person.Name, info.Person.Provisional), info.Person.MemberNo)
	return nil
}
