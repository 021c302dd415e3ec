package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/hongmajia/hongmajia/hub"
)

func init() {
	commands["person"] = command{summary: "person merge WALKIN REGISTERED: a walk-in into a registration (member numbers or ids); no points lost", run: runPerson}
}

func runPerson(e *env, args []string) error {
	if len(args) == 0 || args[0] != "merge" {
		fmt.Fprintln(e.stderr, "usage: hubd person merge WALKIN REGISTERED [--data DIR]")
		fmt.Fprintln(e.stderr, "Each is a member number (the walk-in's is its provisional one, hubd flags shows it) or a person id.")
		return fmt.Errorf("%w: person merge WALKIN REGISTERED", errUsage)
	}
	f, data := newFlagSet(e, "person merge")
	rest, err := parseArgs(f, args[1:])
	if err != nil {
		return err
	}
	if len(rest) != 2 {
		return fmt.Errorf("%w: person merge WALKIN REGISTERED", errUsage)
	}
	ctx := context.Background()
	h, err := openHub(ctx, data, false, hub.Options{})
	if err != nil {
		return err
	}
	defer h.Close()
	var people [2]hub.Person
	for i, key := range rest {
		if people[i], err = h.FindPerson(ctx, key); errors.Is(err, hub.ErrNotFound) {
			return fmt.Errorf("no person %s at the hub (a member number or an id)", key)
		} else if err != nil {
			return err
		}
	}
	w, r := people[0], people[1]
	if err := h.MergePerson(ctx, w.ID, r.ID, "hubd person merge"); err != nil {
		return err
	}
	b, err := h.DistrictBalance(ctx, r.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "已合并 merged %s (%d) into %s %s (%d): %d points, %d minutes; every kiosk learns it at its next sync\n",
		w.MemberNo, w.ID, r.MemberNo, r.Name, r.ID, b.Points, b.Minutes)
	return nil
}
