package main

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hongmajia/hongmajia/hub"
)

func TestUserAddListDisable(t *testing.T) {
	dir := newHub(t)
	const pw = "长城长城 2026!"
	code, out, stderr := hubdIn(t, strings.NewReader(pw+"\n"+pw+"\n"), "user", "add", "--role", "district", "--name", "王芳", "--data", dir)
	if code != 0 {
		t.Fatalf("user add: exit %d\n%s", code, stderr)
	}
	wantIn(t, "user add", out, "district", "王芳", "https://HUB/")
	code, _, stderr = hubdIn(t, strings.NewReader("center pass 1\ncenter pass 1"), "user", "add", "--role", "中心", "--center", "A", "--name", "刘芳", "--data", dir)
	if code != 0 {
		t.Fatalf("user add of a center user (the last line without its newline): exit %d\n%s", code, stderr)
	}
	withHub(t, dir, func(h *hub.Hub) {
		if _, _, u, err := h.Login(ctx, "王芳", pw, "t"); err != nil || u.Role != hub.RoleDistrict {
			t.Errorf("login with the password given: %v, %v", u, err)
		}
		if _, _, u, err := h.Login(ctx, "刘芳", "center pass 1", "t"); err != nil || u.Role != hub.RoleCenter || u.Center != "A" {
			t.Errorf("the center user: %v, %v", u, err)
		}
		es, err := h.AuditLog(ctx, hub.DistrictScope(), hub.AuditQuery{})
		if err != nil {
			t.Fatal(err)
		}
		var adds int
		for _, e := range es {
			if e.Action == hub.AuditUserAdd {
				adds++
				if e.Actor != "" || !strings.HasPrefix(e.Addr, "hubd:") {
					t.Errorf("an add recorded as by %q from %q: want the command line", e.Actor, e.Addr)
				}
			}
		}
		if adds != 2 {
			t.Errorf("%d adds recorded, want 2", adds)
		}
	})
	out = must(t, "user", "list", "--data", dir)
	wantIn(t, "user list", out, "王芳", "district", "刘芳", "center", "A", "active")

	// Refusals, each before the password is read (stdin is empty).
	for _, c := range []struct {
		code int
		say  string
		args []string
	}{
		{2, "never given on the command line", []string{"--role", "district", "--name", "x", "--password=secret12345"}},
		{2, "never given on the command line", []string{"--role", "district", "--name", "x", "-pw", "secret12345"}},
		{2, "want district or center", []string{"--role", "admin", "--name", "x"}},
		{2, "needs --center", []string{"--role", "center", "--name", "x"}},
		{2, "no --center", []string{"--role", "district", "--center", "A", "--name", "x"}},
		{2, "a name is required", []string{"--role", "district"}},
		{1, "no center Z", []string{"--role", "center", "--center", "Z", "--name", "x"}},
		{1, "exists already", []string{"--role", "district", "--name", "王芳"}},
	} {
		fails(t, c.code, []string{c.say}, append(append([]string{"user", "add"}, c.args...), "--data", dir)...)
	}
	code, _, stderr = hubdIn(t, strings.NewReader("password one\npassword two\n"), "user", "add", "--role", "district", "--name", "x", "--data", dir)
	if code != 1 || !strings.Contains(stderr, "differ") {
		t.Errorf("passwords that differ: exit %d\n%s", code, stderr)
	}
	code, _, stderr = hubdIn(t, strings.NewReader("short\nshort\n"), "user", "add", "--role", "district", "--name", "x", "--data", dir)
	if code != 1 || !strings.Contains(stderr, "at least 10 characters") {
		t.Errorf("a short password: exit %d\n%s", code, stderr)
	}
	code, _, stderr = hubdIn(t, strings.NewReader("only one line\n"), "user", "add", "--role", "district", "--name", "x", "--data", dir)
	if code != 1 || !strings.Contains(stderr, "two lines") {
		t.Errorf("one line of stdin: exit %d\n%s", code, stderr)
	}
	if out := must(t, "user", "list", "--data", dir); strings.Contains(out, "x ") {
		t.Errorf("a refused user was added:\n%s", out)
	}

	out = must(t, "user", "disable", "刘芳", "--data", dir)
	wantIn(t, "user disable", out, "刘芳")
	wantIn(t, "user list", must(t, "user", "list", "--data", dir), "disabled")
	withHub(t, dir, func(h *hub.Hub) {
		if _, _, _, err := h.Login(ctx, "刘芳", "center pass 1", "t"); !errors.Is(err, hub.ErrBadLogin) {
			t.Errorf("a disabled user logs in: %v", err)
		}
	})
	fails(t, 1, []string{"no user nobody"}, "user", "disable", "nobody", "--data", dir)
	fails(t, 2, []string{"user disable NAME"}, "user", "disable", "--data", dir)
	fails(t, 2, []string{"want add, list or disable"}, "user", "remove", "x", "--data", dir)
}

func TestUserListEmpty(t *testing.T) {
	dir := newHub(t)
	wantIn(t, "user list", must(t, "user", "list", "--data", dir), "hubd user add --role district")
}

// TestFirstDistrictUserMakesTheHub: the README's first step on a new data
// directory is the district's administrator; a center user needs a hub.
func TestFirstDistrictUserMakesTheHub(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "hub")
	const pw = "长城长城 2026!"
	code, _, stderr := hubdIn(t, strings.NewReader(pw+"\n"+pw+"\n"), "user", "add", "--role", "center", "--center", "A", "--name", "刘芳", "--data", dir)
	if code != 1 || !strings.Contains(stderr, "does not exist") {
		t.Errorf("a center user on no hub: exit %d, %s", code, stderr)
	}
	code, _, stderr = hubdIn(t, strings.NewReader(pw+"\n"+pw+"\n"), "user", "add", "--role", "district", "--name", "王芳", "--data", dir)
	if code != 0 {
		t.Fatalf("the first district user on a new data directory: exit %d\n%s", code, stderr)
	}
	withHub(t, dir, func(h *hub.Hub) {
		if _, _, u, err := h.Login(ctx, "王芳", pw, "t"); err != nil || u.Role != hub.RoleDistrict {
			t.Errorf("login: %v, %v", u, err)
		}
	})
}
