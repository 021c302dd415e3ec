package hub

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The hub's web is used by district staff, who see every center, and by
// each center's staff, who see their own. What is decided about them is
// decided here, for the web (hub/web: cookies, CSRF, rate limits, pages)
// and the command line alike: who may log in, how long a session lasts,
// which centers a user sees (Scope), and what the audit log records.

// Role is what a user of the hub's web may see and do.
type Role string

// Roles.
const (
	// RoleDistrict: district staff, who see every center and read the
	// audit log.
	RoleDistrict Role = "district"
	// RoleCenter: a center's staff, who see their center only.
	RoleCenter Role = "center"
)

// User is a login of the hub's web.
type User struct {
	Name   string
	Role   Role
	Center string // RoleCenter: the user's center; "" for RoleDistrict
	// PasswordHash is the argon2id hash in PHC form: never logged.
	PasswordHash string
	Disabled     bool
	Created      time.Time
}

// String is u without its password hash.
func (u User) String() string {
	return fmt.Sprintf("{Name:%s Role:%s Center:%s PasswordHash:%s Disabled:%t Created:%s}",
		u.Name, u.Role, u.Center, redacted(u.PasswordHash), u.Disabled, u.Created.Format(time.RFC3339))
}

// GoString is u without its password hash, for %#v.
func (u User) GoString() string { return "hub.User" + u.String() }

// LogValue is u without its password hash.
func (u User) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", u.Name), slog.String("role", string(u.Role)), slog.String("center", u.Center),
		slog.Bool("disabled", u.Disabled))
}

// Scope is the centers a user may see and change: every one for district
// staff, their own for a center's. Every read or change of a center's data
// takes one (Sees, Check, Centers), so the decision is made here once and
// a page cannot forget it. The zero Scope sees nothing.
type Scope struct {
	district bool
	center   string
}

// DistrictScope sees every center.
func DistrictScope() Scope { return Scope{district: true} }

// CenterScope sees center only ("" sees nothing).
func CenterScope(center string) Scope { return Scope{center: center} }

// Scope is what u sees: nothing when u is disabled or its role unknown.
func (u User) Scope() Scope {
	switch {
	case u.Disabled:
		return Scope{}
	case u.Role == RoleDistrict:
		return DistrictScope()
	case u.Role == RoleCenter:
		return CenterScope(u.Center)
	}
	return Scope{}
}

// District reports whether s sees every center (and the district's own
// records, such as the audit log).
func (s Scope) District() bool { return s.district }

// Center is the one center of a center's scope; "" for the district's.
func (s Scope) Center() string { return s.center }

// Sees reports whether s sees center: the district's scope sees the
// district's own records (center "") too.
func (s Scope) Sees(center string) bool { return s.district || (s.center != "" && s.center == center) }

// Check is nil when s sees center, and otherwise an error wrapping
// ErrNotFound: a center staff who edits another center's id into a URL
// learns no more than that there is nothing there.
func (s Scope) Check(center string) error {
	if s.Sees(center) {
		return nil
	}
	return fmt.Errorf("center %q: %w", center, ErrNotFound)
}

// Centers are the centers of cs that s sees, in their order.
func (s Scope) Centers(cs []Center) []Center {
	var out []Center
	for _, c := range cs {
		if s.Sees(c.ID) {
			out = append(out, c)
		}
	}
	return out
}

// SessionHash is the SHA-256 of a session's token: the store never holds
// the token, so a copy of the database logs nobody in.
type SessionHash [32]byte

// Session is a user's login in a browser.
type Session struct {
	Hash SessionHash
	User string
	// CSRF is the token every form of the session carries back.
	CSRF    string
	Created time.Time
	// Seen is the session's last request (to within SessionTouch).
	Seen time.Time
	Addr string // the address it logged in from
}

// How long a session lasts.
const (
	// SessionIdle: a session unused this long has ended (a PC left on at
	// the front desk).
	SessionIdle = time.Hour
	// SessionMax: a session ends this long after its login, used or not.
	SessionMax = 12 * time.Hour
	// SessionTouch: a session's Seen is written at most this often.
	SessionTouch = time.Minute
)

// Passwords and names.
const (
	MinPasswordLen = 10  // characters
	MaxPasswordLen = 256 // bytes: argon2 takes any length, a form does not need more
	MaxUserName    = 64  // characters
)

// Errors of logins and sessions.
var (
	// ErrBadLogin: the name is unknown, the password wrong or the user
	// disabled; which one is never said.
	ErrBadLogin = errors.New("hub: wrong name or password")
	// ErrNoSession: the token is unknown, its session has ended, or its
	// user is disabled.
	ErrNoSession = errors.New("hub: no session")
	// ErrForbidden: the user's scope does not reach what was asked.
	ErrForbidden = errors.New("hub: not allowed")
)

// LoginRefused is the error of a refused login: ErrBadLogin, its words
// and nothing more (errors.Is(err, ErrBadLogin)), whatever the reason.
// Reason (DetailUnknownUser, DetailWrongPassword or DetailDisabled) is
// for the hub's own counts (hub/web's metrics), never for the page.
type LoginRefused struct{ Reason string }

func (e *LoginRefused) Error() string { return ErrBadLogin.Error() }

// Is makes a refusal ErrBadLogin.
func (e *LoginRefused) Is(target error) bool { return target == ErrBadLogin }

// DefaultPasswordParams are argon2id's costs for a web password (RFC 9106's
// second recommendation, as the PINs): about 100 ms on a PC, once per
// login.
var DefaultPasswordParams = PINParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 4}

// hashSlots is how many password hashes run at once: each takes 64 MiB, so
// a burst of logins waits instead of exhausting memory.
const hashSlots = 2

// ValidUserName is nil when name can be a user's name: 1 to MaxUserName
// characters, no control characters, no spaces around it.
func ValidUserName(name string) error {
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0:
		return errors.New("a name is required")
	case n > MaxUserName:
		return fmt.Errorf("a name is at most %d characters", MaxUserName)
	case !utf8.ValidString(name):
		return errors.New("a name is UTF-8 text")
	case strings.TrimSpace(name) != name:
		return errors.New("a name has no spaces at its ends")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return errors.New("a name has no control characters")
	}
	return nil
}

// ValidPassword is nil when pw can be a password: MinPasswordLen
// characters or more, at most MaxPasswordLen bytes.
func ValidPassword(pw string) error {
	switch {
	case utf8.RuneCountInString(pw) < MinPasswordLen:
		return fmt.Errorf("a password is at least %d characters", MinPasswordLen)
	case len(pw) > MaxPasswordLen:
		return fmt.Errorf("a password is at most %d bytes", MaxPasswordLen)
	}
	return nil
}

// NewUser is what AddUser needs.
type NewUser struct {
	Name     string
	Role     Role
	Center   string // RoleCenter only
	Password string
}

// AddUser adds a user of the hub's web; the password is kept only as an
// argon2id hash. by made the change (the audit log says so).
func (h *Hub) AddUser(ctx context.Context, by Actor, req NewUser) (User, error) {
	if err := ValidUserName(req.Name); err != nil {
		return User{}, fmt.Errorf("add user: %w", err)
	}
	switch {
	case req.Role == RoleDistrict && req.Center != "":
		return User{}, errors.New("add user: a district user has no center")
	case req.Role == RoleCenter && req.Center == "":
		return User{}, errors.New("add user: a center user needs a center")
	case req.Role != RoleDistrict && req.Role != RoleCenter:
		return User{}, fmt.Errorf("add user: role %q: want %s or %s", req.Role, RoleDistrict, RoleCenter)
	}
	if err := ValidPassword(req.Password); err != nil {
		return User{}, fmt.Errorf("add user: %w", err)
	}
	hash, err := h.hashPassword(ctx, req.Password)
	if err != nil {
		return User{}, err
	}
	u := User{Name: req.Name, Role: req.Role, Center: req.Center, PasswordHash: hash, Created: h.now()}
	err = h.store.Update(ctx, func(tx Tx) error {
		if u.Role == RoleCenter {
			if _, err := tx.Center(u.Center); err != nil {
				return fmt.Errorf("add user: %w", err)
			}
		}
		if _, err := tx.User(u.Name); err == nil {
			return fmt.Errorf("add user %s: %w", u.Name, ErrExists)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if err := tx.AddUser(u); err != nil {
			return fmt.Errorf("add user: %w", err)
		}
		return h.audit(tx, by, AuditUserAdd, u.Center, u.Name, string(u.Role))
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// Users are every user of the hub's web, by name.
func (h *Hub) Users(ctx context.Context) ([]User, error) {
	var us []User
	err := h.store.View(ctx, func(r Reader) (err error) {
		us, err = r.Users()
		return err
	})
	return us, err
}

// DisableUser stops name from logging in and ends its sessions; a user
// disabled already stays so and nothing is recorded.
func (h *Hub) DisableUser(ctx context.Context, by Actor, name string) error {
	return h.store.Update(ctx, func(tx Tx) error {
		u, err := tx.User(name)
		if err != nil {
			return fmt.Errorf("disable user: %w", err)
		}
		if u.Disabled {
			return nil
		}
		u.Disabled = true
		if err := tx.PutUser(u); err != nil {
			return err
		}
		if err := tx.DeleteSessionsOf(name); err != nil {
			return err
		}
		return h.audit(tx, by, AuditUserDisable, u.Center, u.Name, "")
	})
}

// Login checks name's password and starts a session, whose token (for the
// browser's cookie) it returns with it. A wrong password, an unknown name
// and a disabled user are all ErrBadLogin (a *LoginRefused with the
// reason), in about the same time, and recorded in the audit log with the
// reason. The web limits how often it
// is called (hub/web).
func (h *Hub) Login(ctx context.Context, name, password, addr string) (string, Session, User, error) {
	if name == "" {
		return "", Session{}, User{}, &LoginRefused{Reason: DetailUnknownUser}
	}
	name = truncate(name, MaxUserName) // a longer one is no user's
	var u User
	err := h.store.View(ctx, func(r Reader) (err error) {
		u, err = r.User(name)
		return err
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return "", Session{}, User{}, err
	}
	known := err == nil
	hash := u.PasswordHash
	if !known {
		// The same work for a name that is not there: the time a refusal
		// takes says nothing of whether the name exists.
		if hash, err = h.dummyHash(ctx); err != nil {
			return "", Session{}, User{}, err
		}
	}
	ok, err := h.passwordMatches(ctx, password, hash)
	if err != nil {
		return "", Session{}, User{}, err
	}
	reason := ""
	switch {
	case !known:
		reason = DetailUnknownUser
	case !ok:
		reason = DetailWrongPassword
	case u.Disabled:
		reason = DetailDisabled
	}
	by := Actor{User: name, Addr: addr}
	if reason != "" {
		if err := h.store.Update(ctx, func(tx Tx) error {
			return h.audit(tx, by, AuditLoginFailed, u.Center, name, reason)
		}); err != nil {
			return "", Session{}, User{}, err
		}
		return "", Session{}, User{}, &LoginRefused{Reason: reason}
	}
	token, hashed := newSessionToken()
	csrf, _ := newSessionToken()
	now := h.now()
	s := Session{Hash: hashed, User: u.Name, CSRF: csrf, Created: now, Seen: now, Addr: addr}
	err = h.store.Update(ctx, func(tx Tx) error {
		// Ended sessions are cleared here, at the rate people log in.
		if _, err := tx.DeleteExpiredSessions(now.Add(-SessionIdle), now.Add(-SessionMax)); err != nil {
			return err
		}
		// Disabled while the password was checked: refused all the same.
		if cur, err := tx.User(u.Name); err != nil || cur.Disabled {
			return &LoginRefused{Reason: DetailDisabled}
		}
		if err := tx.PutSession(s); err != nil {
			return err
		}
		return h.audit(tx, by, AuditLogin, u.Center, u.Name, "")
	})
	if err != nil {
		return "", Session{}, User{}, err
	}
	return token, s, u, nil
}

// CheckSession is the session of token and its user, and records that it
// was used; ErrNoSession when there is none, it has ended, or its user is
// disabled.
func (h *Hub) CheckSession(ctx context.Context, token string) (Session, User, error) {
	hash, ok := tokenHash(token)
	if !ok {
		return Session{}, User{}, ErrNoSession
	}
	var s Session
	var u User
	err := h.store.View(ctx, func(r Reader) (err error) {
		if s, err = r.Session(hash); err != nil {
			return err
		}
		u, err = r.User(s.User)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return Session{}, User{}, ErrNoSession
	}
	if err != nil {
		return Session{}, User{}, err
	}
	now := h.now()
	if u.Disabled || now.Sub(s.Seen) >= SessionIdle || now.Sub(s.Created) >= SessionMax {
		if err := h.store.Update(ctx, func(tx Tx) error { return tx.DeleteSession(hash) }); err != nil {
			return Session{}, User{}, err
		}
		return Session{}, User{}, ErrNoSession
	}
	if now.Sub(s.Seen) >= SessionTouch {
		s.Seen = now
		err := h.store.Update(ctx, func(tx Tx) error {
			// Ended by a logout or a disable in between: not written back.
			if _, err := tx.Session(hash); err != nil {
				return err
			}
			return tx.PutSession(s)
		})
		if errors.Is(err, ErrNotFound) {
			return Session{}, User{}, ErrNoSession
		}
		if err != nil {
			return Session{}, User{}, err
		}
	}
	return s, u, nil
}

// Logout ends the session of token, recording it; a token of no session
// is no error.
func (h *Hub) Logout(ctx context.Context, token, addr string) error {
	hash, ok := tokenHash(token)
	if !ok {
		return nil
	}
	return h.store.Update(ctx, func(tx Tx) error {
		s, err := tx.Session(hash)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteSession(hash); err != nil {
			return err
		}
		center := ""
		if u, err := tx.User(s.User); err == nil {
			center = u.Center
		}
		return h.audit(tx, Actor{User: s.User, Addr: addr}, AuditLogout, center, s.User, "")
	})
}

// newSessionToken is a random 32-byte token, base64url, and its hash.
func newSessionToken() (string, SessionHash) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("hub: crypto/rand: " + err.Error())
	}
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	return tok, sha256.Sum256([]byte(tok))
}

// tokenHash is the hash of a token of newSessionToken's form.
func tokenHash(tok string) (SessionHash, bool) {
	if b, err := base64.RawURLEncoding.DecodeString(tok); err != nil || len(b) != 32 {
		return SessionHash{}, false
	}
	return sha256.Sum256([]byte(tok)), true
}

// hashPassword hashes pw with the hub's costs, waiting for a slot.
func (h *Hub) hashPassword(ctx context.Context, pw string) (string, error) {
	if err := h.takeSlot(ctx); err != nil {
		return "", err
	}
	defer h.freeSlot()
	return HashPIN(pw, h.opts.Password)
}

// passwordMatches checks pw against hash, waiting for a slot.
func (h *Hub) passwordMatches(ctx context.Context, pw, hash string) (bool, error) {
	if len(pw) > MaxPasswordLen {
		return false, nil
	}
	if err := h.takeSlot(ctx); err != nil {
		return false, err
	}
	defer h.freeSlot()
	return PINMatches(pw, hash), nil
}

func (h *Hub) takeSlot(ctx context.Context) error {
	select {
	case h.hashing <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hub) freeSlot() { <-h.hashing }

// dummyHash is a hash of nothing anyone types, with the hub's costs.
func (h *Hub) dummyHash(ctx context.Context) (string, error) {
	h.dummyOnce.Do(func() {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			panic("hub: crypto/rand: " + err.Error())
		}
		// Not cancelled with the first request: every later one uses it.
		h.dummy, h.dummyErr = h.hashPassword(context.WithoutCancel(ctx), base64.RawStdEncoding.EncodeToString(b))
	})
	return h.dummy, h.dummyErr
}

// truncate is s cut to n characters.
func truncate(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
