package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"slices"
	"strings"

	"github.com/hongmajia/hongmajia/hub"
)

func init() {
	commands["user"] = command{summary: "the web's logins: add --role district|center [--center ID] --name NAME (password asked twice), list, disable NAME", run: runUser}
}

var userRoleByName = map[string]hub.Role{
	"district": hub.RoleDistrict, "区级": hub.RoleDistrict, "center": hub.RoleCenter, "中心": hub.RoleCenter,
}

// passwordParams hash every password hubd hashes; tests make them cheap.
var passwordParams hub.PINParams

func runUser(e *env, args []string) error {
	subs := map[string]func(*env, []string) error{"add": userAdd, "list": userList, "disable": userDisable}
	if len(args) == 0 || subs[args[0]] == nil {
		fmt.Fprintln(e.stderr, "usage: hubd user add --role district|center [--center ID] --name NAME [--data DIR]")
		fmt.Fprintln(e.stderr, "       hubd user list [--data DIR]")
		fmt.Fprintln(e.stderr, "       hubd user disable NAME [--data DIR]")
		fmt.Fprintln(e.stderr, "The password is asked twice on the terminal, or read as two lines from stdin; never an argument.")
		if len(args) == 0 {
			return fmt.Errorf("%w: user add, list or disable", errUsage)
		}
		return fmt.Errorf("%w: user %q: want add, list or disable", errUsage, args[0])
	}
	return subs[args[0]](e, args[1:])
}

// actor is who runs this hubd, for the audit log: the system user, and
// who became it with sudo.
func actor() hub.Actor {
	name := "?"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if s := os.Getenv("SUDO_USER"); s != "" && s != name {
		name += " (sudo " + s + ")"
	}
	return hub.CommandLine(name)
}

func userAdd(e *env, args []string) error {
	if err := refuseSecretFlag(args, "the password", "password", "passwd", "pass", "pw"); err != nil {
		return err
	}
	f, data := newFlagSet(e, "user add")
	roleFlag := f.String("role", "", "district (区级: every center, the audit log) or center (中心: one center)")
	center := f.String("center", "", "a center user's center (hubd center list)")
	name := f.String("name", "", "the login name, e.g. 王芳")
	if err := parseFlags(f, args); err != nil {
		return err
	}
	role, ok := userRoleByName[strings.ToLower(*roleFlag)]
	switch {
	case !ok:
		return fmt.Errorf("%w: --role %q: want district or center", errUsage, *roleFlag)
	case role == hub.RoleCenter && *center == "":
		return fmt.Errorf("%w: a center user needs --center ID", errUsage)
	case role == hub.RoleDistrict && *center != "":
		return fmt.Errorf("%w: a district user sees every center: no --center", errUsage)
	}
	if err := hub.ValidUserName(*name); err != nil {
		return fmt.Errorf("%w: --name: %v", errUsage, err)
	}
	ctx := context.Background()
	// The district's first administrator is a hub's first step: it makes
	// the hub, as center add does. A center user needs a center, so a hub.
	h, err := openHub(ctx, data, role == hub.RoleDistrict, hub.Options{})
	if err != nil {
		return err
	}
	defer h.Close()
	// Refuse what would be refused before the password is asked for
	// nothing.
	if role == hub.RoleCenter {
		cs, err := h.Centers(ctx)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(cs, func(c hub.Center) bool { return c.ID == *center }) {
			return fmt.Errorf("no center %s (hubd center list shows them): nothing was added", *center)
		}
	}
	us, err := h.Users(ctx)
	if err != nil {
		return err
	}
	for _, u := range us {
		if u.Name == *name {
			return fmt.Errorf("a user %s exists already (hubd user list shows them): nothing was added", *name)
		}
	}
	pw, err := readTwice(e, "password", fmt.Sprintf("password 密码 (%d characters or more, 至少%d个字符): ", hub.MinPasswordLen, hub.MinPasswordLen), "password again 再输一次: ")
	if err != nil {
		return err
	}
	if err := hub.ValidPassword(pw); err != nil {
		return fmt.Errorf("%v (密码至少%d个字符): nothing was added", err, hub.MinPasswordLen)
	}
	u, err := h.AddUser(ctx, actor(), hub.NewUser{Name: *name, Role: role, Center: *center, Password: pw})
	switch {
	case errors.Is(err, hub.ErrExists):
		return fmt.Errorf("a user %s exists already (hubd user list shows them): nothing was added", *name)
	case errors.Is(err, hub.ErrNotFound):
		return fmt.Errorf("no center %s (hubd center list shows them): nothing was added", *center)
	case err != nil:
		return err
	}
	where := "every center 所有中心"
	if u.Role == hub.RoleCenter {
		where = "center " + u.Center
	}
	fmt.Fprintf(e.stdout, "已添加 added %s user %s (%s): they log in at the hub's address, https://HUB/\n", u.Role, u.Name, where)
	return nil
}

func userList(e *env, args []string) error {
	f, data := newFlagSet(e, "user list")
	if err := parseFlags(f, args); err != nil {
		return err
	}
	ctx := context.Background()
	h, err := openHub(ctx, data, false, hub.Options{})
	if err != nil {
		return err
	}
	defer h.Close()
	us, err := h.Users(ctx)
	if err != nil {
		return err
	}
	if len(us) == 0 {
		fmt.Fprintln(e.stdout, "no users yet 还没有用户: hubd user add --role district --name NAME")
		return nil
	}
	fmt.Fprintf(e.stdout, "%s %s %s %s %s\n", padRight("用户 name", 20), padRight("角色 role", 12), padRight("中心 center", 14), padRight("添加 added", 18), "状态 state")
	for _, u := range us {
		state := "active 启用"
		if u.Disabled {
			state = "disabled 停用"
		}
		center := u.Center
		if center == "" {
			center = "-"
		}
		fmt.Fprintf(e.stdout, "%s %s %s %s %s\n", padRight(u.Name, 20), padRight(string(u.Role), 12), padRight(center, 14),
			padRight(u.Created.Local().Format("2006-01-02 15:04"), 18), state)
	}
	return nil
}

func userDisable(e *env, args []string) error {
	f, data := newFlagSet(e, "user disable")
	rest, err := parseArgs(f, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return fmt.Errorf("%w: user disable NAME (hubd user list shows them)", errUsage)
	}
	ctx := context.Background()
	h, err := openHub(ctx, data, false, hub.Options{})
	if err != nil {
		return err
	}
	defer h.Close()
	if err := h.DisableUser(ctx, actor(), rest[0]); err != nil {
		if errors.Is(err, hub.ErrNotFound) {
			return fmt.Errorf("no user %s (hubd user list shows them)", rest[0])
		}
		return err
	}
	fmt.Fprintf(e.stdout, "已停用 disabled user %s: their sessions have ended and they cannot log in\n", rest[0])
	return nil
}
