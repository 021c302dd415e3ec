package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/record"
)

func init() {
	commands["card"] = command{summary: "card block UID: refused at every kiosk after its next sync (a person's card or a staff card)", run: runCard}
}

func runCard(e *env, args []string) error {
	if len(args) == 0 || args[0] != "block" {
		fmt.Fprintln(e.stderr, "usage: hubd card block UID [--data DIR]")
		return fmt.Errorf("%w: card block UID", errUsage)
	}
	f, data := newFlagSet(e, "card block")
	rest, err := parseArgs(f, args[1:])
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return fmt.Errorf("%w: card block UID", errUsage)
	}
	uid, err := record.ParseUID(rest[0])
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	ctx := context.Background()
	h, err := openHub(ctx, data, false, hub.Options{})
	if err != nil {
		return err
	}
	defer h.Close()
	b, err := h.BlockCard(ctx, uid)
	if errors.Is(err, hub.ErrNotFound) {
		return fmt.Errorf("card %s is not known at the hub: nothing was blocked (a card bound at a kiosk is known after its next sync)", uid)
	}
	if err != nil {
		return err
	}
	if b.Card != nil {
		p, err := h.FindPerson(ctx, fmt.Sprint(int64(b.Card.Person)))
		who := fmt.Sprintf("person %d", b.Card.Person)
		if err == nil {
			who = fmt.Sprintf("%s %s", p.MemberNo, p.Name)
		}
		fmt.Fprintf(e.stdout, "已挂失 blocked card %s of %s: every kiosk refuses it after its next sync\n", uid, who)
	}
	for _, s := range b.Staff {
		fmt.Fprintf(e.stdout, "已停用 disabled staff card %s (%s) at center %s\n", uid, s.Name, s.Center)
	}
	return nil
}
