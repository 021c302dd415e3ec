package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hubsync"
	"github.com/hongmajia/hongmajia/record"
)

func init() {
	commands["staff"] = command{summary: "staff add --center ID --name NAME --card UID [--role staff|technician] (PIN asked twice)", run: runStaff}
}

var roleByName = map[string]string{
	"staff": hubsync.RoleStaff, "工作人员": hubsync.RoleStaff, "technician": hubsync.RoleTechnician, "技术员": hubsync.RoleTechnician,
}

func runStaff(e *env, args []string) error {
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprintln(e.stderr, "usage: hubd staff add --center ID --name NAME --card UID [--role staff|technician] [--data DIR]")
		fmt.Fprintln(e.stderr, "The PIN is asked twice on the terminal, or read as two lines from stdin; never an argument.")
		return fmt.Errorf("%w: staff add", errUsage)
	}
	args = args[1:]
	if err := refusePINFlag(args); err != nil {
		return err
	}
	f, data := newFlagSet(e, "staff add")
	center := f.String("center", "", "the center whose kiosks take the card")
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
	if *center == "" || strings.TrimSpace(*name) == "" || *card == "" {
		return fmt.Errorf("%w: --center, --name and --card are required", errUsage)
	}
	uid, err := record.ParseUID(*card)
	if err != nil {
		return fmt.Errorf("%w: --card: %v", errUsage, err)
	}
	ctx := context.Background()
	h, err := openHub(ctx, data, false, hub.Options{})
	if err != nil {
		return err
	}
	defer h.Close()
	// Refuse an unknown center before the PIN is asked for nothing.
	cs, err := h.Centers(ctx)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(cs, func(c hub.Center) bool { return c.ID == *center }) {
		return fmt.Errorf("no center %s (hubd center list shows them): nothing was added", *center)
	}
	pin, err := readPIN(e)
	if err != nil {
		return err
	}
	s, err := h.AddStaff(ctx, hub.AddStaff{Center: *center, UID: uid, Name: *name, Role: role, PIN: pin})
	switch {
	case errors.Is(err, hub.ErrNotFound):
		return fmt.Errorf("no center %s (hubd center list shows them): nothing was added", *center)
	case errors.Is(err, hub.ErrExists):
		return fmt.Errorf("%v: nothing was added", err)
	case err != nil:
		return err
	}
	fmt.Fprintf(e.stdout, "已添加 added %s %s (%s) at center %s: its kiosks take it after their next sync\n", s.Role, s.Name, s.UID, s.Center)
	return nil
}
