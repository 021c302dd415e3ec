package hub_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/hub"
)

var cli = hub.CommandLine("root")

const goodPassword = "correct horse battery"

func (e *env) user(name string, role hub.Role, center string) hub.User {
	e.t.Helper()
	u, err := e.hub.AddUser(ctx, cli, hub.NewUser{Name: name, Role: role, Center: center, Password: goodPassword})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// audit is the whole audit log, oldest first.
func (e *env) audit() []hub.AuditEntry {
	e.t.Helper()
	es, err := e.hub.AuditLog(ctx, hub.DistrictScope(), hub.AuditQuery{})
	if err != nil {
		e.t.Fatal(err)
	}
	for i, j := 0, len(es)-1; i < j; i, j = i+1, j-1 {
		es[i], es[j] = es[j], es[i]
	}
	return es
}

func (e *env) lastAudit() hub.AuditEntry {
	e.t.Helper()
	es := e.audit()
	if len(es) == 0 {
		e.t.Fatal("the audit log is empty")
	}
	return es[len(es)-1]
}

func TestAddUser(t *testing.T) {
	e := newEnv(t)
	u := e.user("刘芳", hub.RoleCenter, "A")
	if u.PasswordHash == "" || strings.Contains(u.PasswordHash, goodPassword) || !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Errorf("password hash %q: want an argon2id hash in PHC form", u.PasswordHash)
	}
	if !hub.PINMatches(goodPassword, u.PasswordHash) {
		t.Error("the hash does not match the password")
	}
	if a := e.lastAudit(); a.Action != hub.AuditUserAdd || a.Subject != "刘芳" || a.Center != "A" || a.Actor != "" || a.Addr != "hubd:root" || a.Detail != "center" {
		t.Errorf("audit of the add: %+v", a)
	}
	for name, req := range map[string]hub.NewUser{
		"taken name":            {Name: "刘芳", Role: hub.RoleDistrict, Password: goodPassword},
		"unknown center":        {Name: "x", Role: hub.RoleCenter, Center: "Z", Password: goodPassword},
		"center without one":    {Name: "x", Role: hub.RoleCenter, Password: goodPassword},
		"district with one":     {Name: "x", Role: hub.RoleDistrict, Center: "A", Password: goodPassword},
		"unknown role":          {Name: "x", Role: "admin", Password: goodPassword},
		"short password":        {Name: "x", Role: hub.RoleDistrict, Password: "123456789"},
		"long password":         {Name: "x", Role: hub.RoleDistrict, Password: strings.Repeat("x", hub.MaxPasswordLen+1)},
		"empty name":            {Name: "", Role: hub.RoleDistrict, Password: goodPassword},
		"spaces around":         {Name: " x", Role: hub.RoleDistrict, Password: goodPassword},
		"control character":     {Name: "x\ny", Role: hub.RoleDistrict, Password: goodPassword},
		"name of 65 characters": {Name: strings.Repeat("王", 65), Role: hub.RoleDistrict, Password: goodPassword},
	} {
		if _, err := e.hub.AddUser(ctx, cli, req); err == nil {
			t.Errorf("%s: added", name)
		}
	}
	if _, err := e.hub.AddUser(ctx, cli, hub.NewUser{Name: "刘芳", Role: hub.RoleDistrict, Password: goodPassword}); !errors.Is(err, hub.ErrExists) {
		t.Errorf("a taken name: %v, want ErrExists", err)
	}
	if _, err := e.hub.AddUser(ctx, cli, hub.NewUser{Name: "x", Role: hub.RoleCenter, Center: "Z", Password: goodPassword}); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("an unknown center: %v, want ErrNotFound", err)
	}
	us, err := e.hub.Users(ctx)
	if err != nil || len(us) != 1 || us[0].Name != "刘芳" {
		t.Errorf("users = %v, %v: want 刘芳 alone", us, err)
	}
	if n := len(e.audit()); n != 1 {
		t.Errorf("%d audit entries: refused adds recorded", n)
	}
}

func TestUserHidesItsPasswordHash(t *testing.T) {
	e := newEnv(t)
	u := e.user("admin", hub.RoleDistrict, "")
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("user", "user", u)
	for _, s := range []string{fmt.Sprint(u), fmt.Sprintf("%v %+v %#v", u, u, u), logged.String()} {
		if strings.Contains(s, u.PasswordHash) || strings.Contains(s, "argon2") {
			t.Errorf("the hash shows in %q", s)
		}
	}
}

func TestLogin(t *testing.T) {
	e := newEnv(t)
	e.user("admin", hub.RoleDistrict, "")
	tok, s, u, err := e.hub.Login(ctx, "admin", goodPassword, "192.0.2.7:4000")
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "admin" || s.User != "admin" || s.Addr != "192.0.2.7:4000" || !s.Created.Equal(e.clk.Now()) || len(s.CSRF) < 40 {
		t.Errorf("session %+v of %v", s, u)
	}
	if len(tok) != 43 || tok == s.CSRF {
		t.Errorf("token %q: want 32 random bytes in base64url, not the CSRF token", tok)
	}
	if a := e.lastAudit(); a.Action != hub.AuditLogin || a.Actor != "admin" || a.Addr != "192.0.2.7:4000" || a.Subject != "admin" {
		t.Errorf("audit of the login: %+v", a)
	}
	// The store holds the token's hash, never the token.
	err = e.store.View(ctx, func(r hub.Reader) error {
		got, err := r.Session(s.Hash)
		if err != nil {
			return err
		}
		if got.Hash == (hub.SessionHash{}) || strings.Contains(fmt.Sprint(got), tok) {
			t.Errorf("stored session %+v holds the token", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, gu, err := e.hub.CheckSession(ctx, tok)
	if err != nil || got.Hash != s.Hash || gu.Name != "admin" {
		t.Errorf("CheckSession = %+v, %v, %v", got, gu, err)
	}
}

func TestLoginRefusalsSayNothingMore(t *testing.T) {
	e := newEnv(t)
	e.user("admin", hub.RoleDistrict, "")
	e.user("gone", hub.RoleCenter, "B")
	if err := e.hub.DisableUser(ctx, cli, "gone"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, pw, detail, center string }{
		{"admin", "wrong password!", hub.DetailWrongPassword, ""},
		{"nobody", goodPassword, hub.DetailUnknownUser, ""},
		{"gone", goodPassword, hub.DetailDisabled, "B"},
		{"admin", strings.Repeat("x", hub.MaxPasswordLen+1), hub.DetailWrongPassword, ""},
	} {
		_, _, _, err := e.hub.Login(ctx, c.name, c.pw, "192.0.2.8:1")
		if !errors.Is(err, hub.ErrBadLogin) || err.Error() != hub.ErrBadLogin.Error() {
			t.Errorf("login of %s: %v, want ErrBadLogin alone", c.name, err)
		}
		// The reason, for the hub's counts, is the audit's.
		var refused *hub.LoginRefused
		if !errors.As(err, &refused) || refused.Reason != c.detail {
			t.Errorf("login of %s: refusal %+v, want reason %s", c.name, refused, c.detail)
		}
		a := e.lastAudit()
		if a.Action != hub.AuditLoginFailed || a.Subject != c.name || a.Actor != c.name || a.Detail != c.detail || a.Center != c.center || a.Addr != "192.0.2.8:1" {
			t.Errorf("audit of %s's refused login: %+v", c.name, a)
		}
	}
	if _, _, _, err := e.hub.Login(ctx, "", goodPassword, "x"); !errors.Is(err, hub.ErrBadLogin) {
		t.Errorf("an empty name: %v", err)
	}
	long := strings.Repeat("长", 100)
	if _, _, _, err := e.hub.Login(ctx, long, goodPassword, "x"); !errors.Is(err, hub.ErrBadLogin) {
		t.Errorf("a long name: %v", err)
	}
	if a := e.lastAudit(); a.Subject != strings.Repeat("长", hub.MaxUserName) {
		t.Errorf("a long name is recorded as %q: want it cut to %d characters", a.Subject, hub.MaxUserName)
	}
}

func TestSessionsExpire(t *testing.T) {
	e := newEnv(t)
	e.user("admin", hub.RoleDistrict, "")
	login := func() string {
		t.Helper()
		tok, _, _, err := e.hub.Login(ctx, "admin", goodPassword, "a")
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	check := func(tok string) error {
		_, _, err := e.hub.CheckSession(ctx, tok)
		return err
	}

	// Idle: used every 50 minutes it lasts; left for an hour it ends.
	idle := login()
	start := e.clk.Now()
	for range 5 {
		e.clk.Advance(50 * time.Minute)
		if err := check(idle); err != nil {
			t.Fatalf("a session used every 50 min ended after %v: %v", e.clk.Now().Sub(start), err)
		}
	}
	e.clk.Advance(hub.SessionIdle)
	if err := check(idle); !errors.Is(err, hub.ErrNoSession) {
		t.Errorf("a session idle for %v: %v, want ErrNoSession", hub.SessionIdle, err)
	}

	// Absolute: used every 30 minutes, it ends SessionMax after its login.
	busy := login()
	start = e.clk.Now()
	for e.clk.Now().Sub(start) < hub.SessionMax-30*time.Minute {
		e.clk.Advance(30 * time.Minute)
		if err := check(busy); err != nil {
			t.Fatalf("a busy session ended after %v: %v", e.clk.Now().Sub(start), err)
		}
	}
	e.clk.Advance(30 * time.Minute)
	if err := check(busy); !errors.Is(err, hub.ErrNoSession) {
		t.Errorf("a session %v old: %v, want ErrNoSession", hub.SessionMax, err)
	}

	// Not a token, and a token of no session.
	for _, tok := range []string{"", "x", strings.Repeat("A", 43)} {
		if err := check(tok); !errors.Is(err, hub.ErrNoSession) {
			t.Errorf("token %q: %v, want ErrNoSession", tok, err)
		}
	}
}

func TestSeenIsWrittenAtMostEveryMinute(t *testing.T) {
	e := newEnv(t)
	e.user("admin", hub.RoleDistrict, "")
	tok, s, _, err := e.hub.Login(ctx, "admin", goodPassword, "a")
	if err != nil {
		t.Fatal(err)
	}
	seen := func() time.Time {
		t.Helper()
		var got hub.Session
		if err := e.store.View(ctx, func(r hub.Reader) (err error) { got, err = r.Session(s.Hash); return err }); err != nil {
			t.Fatal(err)
		}
		return got.Seen
	}
	login := e.clk.Now()
	e.clk.Advance(59 * time.Second)
	if _, _, err := e.hub.CheckSession(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if !seen().Equal(login) {
		t.Errorf("seen written after 59 s: %v", seen())
	}
	e.clk.Advance(time.Second)
	if _, _, err := e.hub.CheckSession(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if !seen().Equal(e.clk.Now()) {
		t.Errorf("seen %v after a minute, want %v", seen(), e.clk.Now())
	}
}

func TestLogoutAndDisableEndSessions(t *testing.T) {
	e := newEnv(t)
	e.user("admin", hub.RoleDistrict, "")
	e.user("刘芳", hub.RoleCenter, "A")
	one, _, _, err := e.hub.Login(ctx, "admin", goodPassword, "a")
	if err != nil {
		t.Fatal(err)
	}
	two, _, _, err := e.hub.Login(ctx, "admin", goodPassword, "b")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.hub.Logout(ctx, one, "a"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.hub.CheckSession(ctx, one); !errors.Is(err, hub.ErrNoSession) {
		t.Errorf("a session logged out: %v", err)
	}
	if _, _, err := e.hub.CheckSession(ctx, two); err != nil {
		t.Errorf("logging one session out ended the other: %v", err)
	}
	if a := e.lastAudit(); a.Action != hub.AuditLogout || a.Actor != "admin" || a.Subject != "admin" {
		t.Errorf("audit of the logout: %+v", a)
	}
	n := len(e.audit())
	if err := e.hub.Logout(ctx, one, "a"); err != nil {
		t.Errorf("a second logout: %v", err)
	}
	if len(e.audit()) != n {
		t.Error("a logout of no session was recorded")
	}

	fang, _, _, err := e.hub.Login(ctx, "刘芳", goodPassword, "c")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.hub.DisableUser(ctx, hub.Actor{User: "admin", Addr: "b"}, "刘芳"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.hub.CheckSession(ctx, fang); !errors.Is(err, hub.ErrNoSession) {
		t.Errorf("a disabled user's session: %v", err)
	}
	if a := e.lastAudit(); a.Action != hub.AuditUserDisable || a.Actor != "admin" || a.Subject != "刘芳" || a.Center != "A" {
		t.Errorf("audit of the disable: %+v", a)
	}
	n = len(e.audit())
	if err := e.hub.DisableUser(ctx, cli, "刘芳"); err != nil || len(e.audit()) != n {
		t.Errorf("disabling a disabled user: %v, %d entries (want none added)", err, len(e.audit())-n)
	}
	if err := e.hub.DisableUser(ctx, cli, "nobody"); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("disabling nobody: %v, want ErrNotFound", err)
	}
	if _, _, _, err := e.hub.Login(ctx, "刘芳", goodPassword, "c"); !errors.Is(err, hub.ErrBadLogin) {
		t.Errorf("a disabled user logged in: %v", err)
	}
}

func TestEndedSessionsAreClearedAtLogin(t *testing.T) {
	e := newEnv(t)
	e.user("admin", hub.RoleDistrict, "")
	_, old, _, err := e.hub.Login(ctx, "admin", goodPassword, "a")
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(hub.SessionIdle + time.Second)
	if _, _, _, err := e.hub.Login(ctx, "admin", goodPassword, "a"); err != nil {
		t.Fatal(err)
	}
	err = e.store.View(ctx, func(r hub.Reader) error {
		_, err := r.Session(old.Hash)
		return err
	})
	if !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("an ended session is still stored after a login: %v", err)
	}
}

func TestScope(t *testing.T) {
	cs := []hub.Center{{ID: "A"}, {ID: "B"}}
	for _, c := range []struct {
		name     string
		scope    hub.Scope
		district bool
		sees     []string
	}{
		{"district", hub.User{Role: hub.RoleDistrict}.Scope(), true, []string{"A", "B"}},
		{"center A", hub.User{Role: hub.RoleCenter, Center: "A"}.Scope(), false, []string{"A"}},
		{"center without a center", hub.User{Role: hub.RoleCenter}.Scope(), false, nil},
		{"disabled district", hub.User{Role: hub.RoleDistrict, Disabled: true}.Scope(), false, nil},
		{"unknown role", hub.User{Role: "admin", Center: "A"}.Scope(), false, nil},
		{"zero", hub.Scope{}, false, nil},
	} {
		if c.scope.District() != c.district {
			t.Errorf("%s: District() = %t", c.name, c.scope.District())
		}
		var sees []string
		for _, x := range c.scope.Centers(cs) {
			sees = append(sees, x.ID)
		}
		if fmt.Sprint(sees) != fmt.Sprint(c.sees) {
			t.Errorf("%s sees %v, want %v", c.name, sees, c.sees)
		}
		for _, id := range []string{"A", "B", ""} {
			// The district's scope sees the district's own records
			// (center ""); a center's does not.
			want := c.district && id == ""
			for _, s := range c.sees {
				want = want || s == id
			}
			if c.scope.Sees(id) != want {
				t.Errorf("%s: Sees(%q) = %t", c.name, id, !want)
			}
			if err := c.scope.Check(id); (err == nil) != want || (err != nil && !errors.Is(err, hub.ErrNotFound)) {
				t.Errorf("%s: Check(%q) = %v", c.name, id, err)
			}
		}
	}
}

func TestAuditLogIsTheDistricts(t *testing.T) {
	e := newEnv(t)
	e.user("admin", hub.RoleDistrict, "")
	for _, s := range []hub.Scope{hub.CenterScope("A"), {}} {
		if _, err := e.hub.AuditLog(ctx, s, hub.AuditQuery{}); !errors.Is(err, hub.ErrForbidden) {
			t.Errorf("the audit log read in scope %+v: %v, want ErrForbidden", s, err)
		}
	}
	if err := e.hub.Audit(ctx, hub.Actor{Addr: "192.0.2.9"}, hub.AuditLoginLocked, "", "192.0.2.9", hub.DetailLockedAddr); err != nil {
		t.Fatal(err)
	}
	if a := e.lastAudit(); a.Action != hub.AuditLoginLocked || a.Subject != "192.0.2.9" || !a.At.Equal(e.clk.Now()) {
		t.Errorf("audit %+v", a)
	}
}
