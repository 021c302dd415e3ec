package pgstore

import (
	"fmt"
	"time"

	"github.com/hongmajia/hongmajia/hub"
)

// ---- the web's users, sessions and audit log

const userColumns = "name, role, center, password_hash, disabled, created_at"

func scanUser(s scanner) (hub.User, error) {
	var u hub.User
	var role string
	var created int64
	err := s.Scan(&u.Name, &role, &u.Center, &u.PasswordHash, &u.Disabled, &created)
	u.Role, u.Created = hub.Role(role), fromNano(created)
	return u, err
}

func (t *tx) User(name string) (hub.User, error) {
	u, err := scanUser(t.row("SELECT "+userColumns+" FROM users WHERE name = ?", name))
	return u, notFound(err, "user %s", name)
}

func (t *tx) Users() ([]hub.User, error) {
	rows, err := t.query("SELECT " + userColumns + " FROM users ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("pgstore: users: %w", err)
	}
	return collect(t, rows, scanUser)
}

func userArgs(u hub.User) []any {
	return []any{u.Name, string(u.Role), u.Center, u.PasswordHash, u.Disabled, nano(u.Created)}
}

func (t *tx) AddUser(u hub.User) error {
	_, err := t.exec("INSERT INTO users("+userColumns+") VALUES (?, ?, ?, ?, ?, ?)", userArgs(u)...)
	return exists(err, "user %s", u.Name)
}

func (t *tx) PutUser(u hub.User) error {
	_, err := t.exec(`INSERT INTO users(`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(name) DO UPDATE SET role = excluded.role, center = excluded.center, password_hash = excluded.password_hash,
		disabled = excluded.disabled, created_at = excluded.created_at`, userArgs(u)...)
	return exists(err, "user %s", u.Name)
}

const sessionColumns = "hash, user_name, csrf, created_at, seen_at, addr"

func (t *tx) Session(hash hub.SessionHash) (hub.Session, error) {
	var s hub.Session
	var h []byte
	var created, seen int64
	err := t.row("SELECT "+sessionColumns+" FROM sessions WHERE hash = ?", hash[:]).Scan(&h, &s.User, &s.CSRF, &created, &seen, &s.Addr)
	copy(s.Hash[:], h)
	s.Created, s.Seen = fromNano(created), fromNano(seen)
	return s, notFound(err, "session")
}

func (t *tx) PutSession(s hub.Session) error {
	_, err := t.exec(`INSERT INTO sessions(`+sessionColumns+`) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(hash) DO UPDATE SET user_name = excluded.user_name, csrf = excluded.csrf, created_at = excluded.created_at,
		seen_at = excluded.seen_at, addr = excluded.addr`,
		s.Hash[:], s.User, s.CSRF, nano(s.Created), nano(s.Seen), s.Addr)
	if err != nil {
		return fmt.Errorf("pgstore: put session of %s: %w", s.User, err)
	}
	return nil
}

func (t *tx) DeleteSession(hash hub.SessionHash) error {
	if _, err := t.exec("DELETE FROM sessions WHERE hash = ?", hash[:]); err != nil {
		return fmt.Errorf("pgstore: delete session: %w", err)
	}
	return nil
}

func (t *tx) DeleteSessionsOf(user string) error {
	if _, err := t.exec("DELETE FROM sessions WHERE user_name = ?", user); err != nil {
		return fmt.Errorf("pgstore: delete sessions of %s: %w", user, err)
	}
	return nil
}

func (t *tx) DeleteExpiredSessions(seenBefore, madeBefore time.Time) (int, error) {
	res, err := t.exec("DELETE FROM sessions WHERE seen_at < ? OR created_at < ?", nano(seenBefore), nano(madeBefore))
	if err != nil {
		return 0, fmt.Errorf("pgstore: delete ended sessions: %w", err)
	}
	return int(res.RowsAffected()), nil
}

// AddAudit takes the entry's id from counters 'audit': above every id
// committed before it.
func (t *tx) AddAudit(e hub.AuditEntry) error {
	id, err := t.nextID("audit")
	if err != nil {
		return err
	}
	_, err = t.exec("INSERT INTO audit(id, at, actor, addr, action, center, subject, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		id, nano(e.At), e.Actor, e.Addr, string(e.Action), e.Center, e.Subject, e.Detail)
	if err != nil {
		return fmt.Errorf("pgstore: add audit entry: %w", err)
	}
	return nil
}

func (t *tx) Audit(q hub.AuditQuery) ([]hub.AuditEntry, error) {
	before := q.Before
	if before <= 0 {
		before = 1<<63 - 1
	}
	limit := q.Limit
	if limit <= 0 || limit > hub.MaxAuditPage {
		limit = hub.MaxAuditPage
	}
	rows, err := t.query("SELECT id, at, actor, addr, action, center, subject, detail FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?", before, limit)
	if err != nil {
		return nil, fmt.Errorf("pgstore: audit: %w", err)
	}
	return collect(t, rows, func(s scanner) (hub.AuditEntry, error) {
		var e hub.AuditEntry
		var at int64
		var action string
		err := s.Scan(&e.ID, &at, &e.Actor, &e.Addr, &action, &e.Center, &e.Subject, &e.Detail)
		e.At, e.Action = fromNano(at), hub.AuditAction(action)
		return e, err
	})
}
