package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/record"
)

func init() {
	commands["staff"] = command{summary: "staff cards: add --name NAME --role staff|technician --card UID (PIN asked twice), list, disable|enable --card UID", run: runStaff}
}

func runStaff(e *env, args []string) error {
	subs := map[string]func(*env, []string) error{
		"add": staffAdd, "list": staffList,
		"disable": func(e *env, a []string) error { return staffSetActive(e, a, false) },
		"enable":  func(e *env, a []string) error { return staffSetActive(e, a, true) },
	}
	if len(args) == 0 || subs[args[0]] == nil {
		fmt.Fprintln(e.stderr, "usage: kioskctl staff add --name NAME [--role staff|technician] --card UID [--data DIR]")
		fmt.Fprintln(e.stderr, "       kioskctl staff list [--data DIR]")
		fmt.Fprintln(e.stderr, "       kioskctl staff disable|enable --card UID [--data DIR]")
		fmt.Fprintln(e.stderr, "The PIN is asked twice on the terminal, or read as two lines from stdin; never an argument.")
		if len(args) == 0 {
			return fmt.Errorf("%w: staff add, list, disable or enable", errUsage)
		}
		return fmt.Errorf("%w: staff %q: want add, list, disable or enable", errUsage, args[0])
	}
	return subs[args[0]](e, args[1:])
}

var roleByName = map[string]ledger.Role{
	"staff": ledger.RoleStaff, "工作人员": ledger.RoleStaff, "technician": ledger.RoleTechnician, "技术员": ledger.RoleTechnician,
}

func staffAdd(e *env, args []string) error {
	if err := refusePINFlag(args); err != nil {
		return err
	}
	f, data := newFlagSet(e, "staff add")
	name := f.String("name", "", "the staff member's name")
	roleFlag := f.String("role", "staff", "staff (工作人员) or technician (技术员)")
	card := f.String("card", "", "the staff card's UID, in any form a reader prints")
	if err := parseFlags(f, args); err != nil {
		return err
	}
	role, ok := roleByName[strings.ToLower(*roleFlag)]
	if !ok {
		return fmt.Errorf("%w: --role %q: want staff or technician", errUsage, *roleFlag)
	}
	if strings.TrimSpace(*name) == "" || *card == "" {
		return fmt.Errorf("%w: --name and --card are required", errUsage)
	}
	uid, err := record.ParseUID(*card)
	if err != nil {
		return fmt.Errorf("%w: --card: %v", errUsage, err)
	}
	ctx := context.Background()
	l, err := openLedgerDir(ctx, *data)
	if err != nil {
		return err
	}
	defer l.Close()
	// Refuse a card in use before the PIN is asked for nothing.
	if _, err := l.LookupCard(ctx, uid); !errors.Is(err, ledger.ErrUnknownCard) {
		if err == nil || errors.Is(err, ledger.ErrCardLost) || errors.Is(err, ledger.ErrCardRevoked) || errors.Is(err, ledger.ErrStaffDisabled) {
			return fmt.Errorf("card %s is bound already (kioskctl person show %s says to whom): nothing was added", uid, uid)
		}
		return err
	}
	pin, err := readPIN(e)
	if err != nil {
		return err
	}
	s, err := l.AddStaff(ctx, ledger.AddStaff{ID: record.NewEntryID(), UID: uid, Name: strings.TrimSpace(*name), Role: role, PIN: pin})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "已添加 added %s %s %s (%s): tap it at the kiosk and type the PIN\n", roleName(s.Role), s.Role, s.Name, s.UID)
	return nil
}

func staffList(e *env, args []string) error {
	f, data := newFlagSet(e, "staff list")
	if err := parseFlags(f, args); err != nil {
		return err
	}
	ctx := context.Background()
	l, err := openLedgerDir(ctx, *data)
	if err != nil {
		return err
	}
	defer l.Close()
	list, err := l.StaffCards(ctx)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(e.stdout, "没有工作人员卡 no staff cards: kioskctl staff add --name NAME --card UID")
		return nil
	}
	now := clock.Real{}.Now()
	fmt.Fprintf(e.stdout, "%s %s %s %s %s\n", padRight("卡号 card", 22), padRight("姓名 name", 12), padRight("角色 role", 22), padRight("启用 enabled", 14), "锁定 locked")
	for _, s := range list {
		enabled := "是 yes"
		if !s.Active {
			enabled = "否 no (停用)"
		}
		locked := "否 no"
		if s.LockedUntil.After(now) {
			locked = "是 until " + s.LockedUntil.In(l.Location()).Format("2006-01-02 15:04")
		}
		fmt.Fprintf(e.stdout, "%s %s %s %s %s\n", padRight(string(s.UID), 22), padRight(s.Name, 12),
			padRight(roleName(s.Role)+" "+s.Role.String(), 22), padRight(enabled, 14), locked)
	}
	return nil
}

func staffSetActive(e *env, args []string, active bool) error {
	verb := map[bool]string{false: "disable", true: "enable"}[active]
	f, data := newFlagSet(e, "staff "+verb)
	card := f.String("card", "", "the staff card's UID")
	if err := parseFlags(f, args); err != nil {
		return err
	}
	if *card == "" {
		return fmt.Errorf("%w: --card UID is required", errUsage)
	}
	uid, err := record.ParseUID(*card)
	if err != nil {
		return fmt.Errorf("%w: --card: %v", errUsage, err)
	}
	ctx := context.Background()
	l, err := openLedgerDir(ctx, *data)
	if err != nil {
		return err
	}
	defer l.Close()
	s, err := l.SetStaffActive(ctx, ledger.SetStaffActive{ID: record.NewEntryID(), UID: uid, Active: active})
	if errors.Is(err, ledger.ErrNotStaff) {
		return fmt.Errorf("%s is not a staff card (kioskctl staff list shows them)", uid)
	}
	if err != nil {
		return err
	}
	if active {
		fmt.Fprintf(e.stdout, "已启用 enabled %s %s (%s)\n", roleName(s.Role), s.Name, s.UID)
	} else {
		fmt.Fprintf(e.stdout, "已停用 disabled %s %s (%s): the kiosk refuses it from the next tap\n", roleName(s.Role), s.Name, s.UID)
	}
	return nil
}
