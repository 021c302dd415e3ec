package hub

import (
	"context"
	"fmt"
	"time"
)

// AuditAction says what an audit entry records.
type AuditAction string

// Audit actions. A page that changes something adds its own here, and its
// words to the web's catalog (hub/web checks that every action has them).
const (
	// AuditLogin: a user logged in. Subject: the user.
	AuditLogin AuditAction = "login"
	// AuditLogout: a user logged out. Subject: the user.
	AuditLogout AuditAction = "logout"
	// AuditLoginFailed: a login was refused. Subject: the name typed;
	// Detail: DetailUnknownUser, DetailWrongPassword or DetailDisabled.
	AuditLoginFailed AuditAction = "login-failed"
	// AuditLoginLocked: too many wrong passwords locked a name or an
	// address out for a while (hub/web). Subject: the name or address.
	AuditLoginLocked AuditAction = "login-locked"
	// AuditUserAdd: a user was added. Subject: the user; Detail: its role.
	AuditUserAdd AuditAction = "user-add"
	// AuditUserDisable: a user was disabled. Subject: the user.
	AuditUserDisable AuditAction = "user-disable"
	// AuditIDSet: a person's ID document was kept or deleted. Subject:
	// the person (name and member number); Detail: its IDType, or
	// DetailIDRemoved. Never the number.
	AuditIDSet AuditAction = "person-id-set"
	// AuditIDView: a person's ID number was shown in clear (a
	// certificate opened). Subject: the person; Detail: the certificate's
	// number.
	AuditIDView AuditAction = "person-id-view"
	// AuditCertIssue: a certificate of service hours was issued. Subject:
	// the person; Detail: its number.
	AuditCertIssue AuditAction = "certificate-issue"
	// AuditIssuerSet: what certificates say of their issuer was changed.
	// Subject: the issuer's name.
	AuditIssuerSet AuditAction = "certificate-issuer-set"
	// AuditFlagResolve: a flag was resolved (the dashboard). Subject: the
	// flag's id, kind and subject; Detail: the note it was resolved with.
	AuditFlagResolve AuditAction = "flag-resolve"
)

// AuditActions are every action the hub records, in the order above.
func AuditActions() []AuditAction {
	return []AuditAction{AuditLogin, AuditLogout, AuditLoginFailed, AuditLoginLocked, AuditUserAdd, AuditUserDisable,
		AuditIDSet, AuditIDView, AuditCertIssue, AuditIssuerSet, AuditFlagResolve,
		AuditPersonRegister, AuditCardBind, AuditCardLost, AuditCardReplace, AuditPeopleImport, AuditPersonMerge,
		AuditExport, AuditItemAdd, AuditItemChange, AuditItemPicture, AuditRestock, AuditBundleAdd, AuditBundleWithdraw}
}

// The details of a refused login: words for the web's catalog, not for a
// person to read as they are.
const (
	DetailUnknownUser   = "unknown-user"
	DetailWrongPassword = "wrong-password"
	DetailDisabled      = "disabled"
	// DetailLockedName, DetailLockedAddr: which count locked a login
	// (AuditLoginLocked).
	DetailLockedName = "locked-name"
	DetailLockedAddr = "locked-address"
	// DetailIDRemoved: a person's ID document was deleted (AuditIDSet).
	DetailIDRemoved = "id-removed"
)

// AuditDetails are every detail the hub itself writes.
func AuditDetails() []string {
	ds := []string{DetailUnknownUser, DetailWrongPassword, DetailDisabled, DetailLockedName, DetailLockedAddr, DetailIDRemoved}
	for _, t := range IDTypes() {
		ds = append(ds, string(t)) // AuditIDSet's
	}
	return ds
}

// Actor is who made a change: a user of the web from an address, or, with
// no user, the command line (Addr then says "hubd" and the system user).
type Actor struct {
	User string
	Addr string
}

// CommandLine is the actor of a hubd command run by the system user
// osUser.
func CommandLine(osUser string) Actor { return Actor{Addr: "hubd:" + osUser} }

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	ID     int64
	At     time.Time
	Actor  string // the user; "" for the command line
	Addr   string // the user's address, or "hubd:" and the system user
	Action AuditAction
	// Center is the center the change concerns; "" for the district's.
	Center  string
	Subject string
	Detail  string
}

// AuditQuery selects a page of the audit log.
type AuditQuery struct {
	// Before: entries with an id below it; 0 for the newest.
	Before int64
	// Limit: at most this many (1 to MaxAuditPage; MaxAuditPage when 0).
	Limit int
}

// MaxAuditPage is the most entries one read of the audit log returns.
const MaxAuditPage = 500

// audit records a change made in tx: every change of a hub method goes
// through here, in the same Update as the change.
func (h *Hub) audit(tx Tx, by Actor, action AuditAction, center, subject, detail string) error {
	err := tx.AddAudit(AuditEntry{At: h.now(), Actor: by.User, Addr: by.Addr, Action: action, Center: center, Subject: subject, Detail: detail})
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// Audit records what happened outside a change of the hub's own (a lockout
// the web decided).
func (h *Hub) Audit(ctx context.Context, by Actor, action AuditAction, center, subject, detail string) error {
	return h.store.Update(ctx, func(tx Tx) error { return h.audit(tx, by, action, center, subject, detail) })
}

// AuditLog is a page of the audit log, newest first: for the district's
// scope only (ErrForbidden otherwise).
func (h *Hub) AuditLog(ctx context.Context, scope Scope, q AuditQuery) ([]AuditEntry, error) {
	if !scope.District() {
		return nil, fmt.Errorf("audit log: %w", ErrForbidden)
	}
	if q.Limit <= 0 || q.Limit > MaxAuditPage {
		q.Limit = MaxAuditPage
	}
	var es []AuditEntry
	err := h.store.View(ctx, func(r Reader) (err error) {
		es, err = r.Audit(q)
		return err
	})
	return es, err
}
