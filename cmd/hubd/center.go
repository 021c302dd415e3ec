package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hongmajia/hongmajia/hub"
)

func init() {
	commands["center"] = command{summary: "centers: add --id ID --name NAME, list", run: runCenter}
}

func runCenter(e *env, args []string) error {
	subs := map[string]func(*env, []string) error{"add": centerAdd, "list": centerList}
	if len(args) == 0 || subs[args[0]] == nil {
		fmt.Fprintln(e.stderr, "usage: hubd center add --id ID --name NAME [--data DIR]")
		fmt.Fprintln(e.stderr, "       hubd center list [--data DIR]")
		if len(args) == 0 {
			return fmt.Errorf("%w: center add or list", errUsage)
		}
		return fmt.Errorf("%w: center %q: want add or list", errUsage, args[0])
	}
	return subs[args[0]](e, args[1:])
}

func centerAdd(e *env, args []string) error {
	f, data := newFlagSet(e, "center add")
	id := f.String("id", "", "the center's id, as its kiosks name it (e.g. hepingli)")
	name := f.String("name", "", "the center's name (e.g. 和平里街道党群服务中心)")
	if err := parseFlags(f, args); err != nil {
		return err
	}
	if *id == "" || *name == "" {
		return fmt.Errorf("%w: --id and --name are required", errUsage)
	}
	ctx := context.Background()
	h, err := openHub(ctx, data, true, hub.Options{})
	if err != nil {
		return err
	}
	defer h.Close()
	if err := h.AddCenter(ctx, *id, *name); err != nil {
		if errors.Is(err, hub.ErrExists) {
			return fmt.Errorf("center %s exists already (hubd center list shows them)", *id)
		}
		return err
	}
	fmt.Fprintf(e.stdout, "已添加 added center %s (%s): `hubd kiosk token --center %s` enrolls its kiosks\n", *name, *id, *id)
	return nil
}

func centerList(e *env, args []string) error {
	f, data := newFlagSet(e, "center list")
	if err := parseFlags(f, args); err != nil {
		return err
	}
	ctx := context.Background()
	h, err := openHub(ctx, data, false, hub.Options{})
	if err != nil {
		return err
	}
	defer h.Close()
	cs, err := h.Centers(ctx)
	if err != nil {
		return err
	}
	if len(cs) == 0 {
		fmt.Fprintln(e.stdout, "没有中心 no centers: hubd center add --id ID --name NAME")
		return nil
	}
	fmt.Fprintf(e.stdout, "%s %s %s\n", padRight("编号 id", 16), padRight("名称 name", 30), "添加 added")
	for _, c := range cs {
		fmt.Fprintf(e.stdout, "%s %s %s\n", padRight(c.ID, 16), padRight(c.Name, 30), c.Created.Local().Format(time.DateOnly))
	}
	return nil
}
