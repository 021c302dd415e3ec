package update

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/internal/atomicfile"
	"github.com/hongmajia/hongmajia/kiosk/control"
	"github.com/hongmajia/hongmajia/ledger"
)

// The updater runs as root and the ledger is the kiosk user's: a ledger.db
// that user made a symlink to /etc/shadow must never be read or written by
// root. So everything that touches the ledger (its schema, the pre-update
// backup, the verification, the copy a migration is tried on, putting a
// backup back, the probation marker) runs in a child process as the data
// directory's owner: `kioskctl update-ledger OP ARGS` of the version that
// opens the ledger, which LedgerTool implements.

// ToolCommand is kioskctl's subcommand that runs LedgerTool.
const ToolCommand = "update-ledger"

// LedgerTool is the updater's child (kioskctl update-ledger), run as the
// data directory's owner:
//
//	schema DATA                      the ledger's schema, -1 when none
//	verify DATA                      verify the ledger; its entries
//	backup DATA FILE                 VACUUM INTO FILE, verified; its entries
//	probation DATA JOURNAL VERSION   write the probation marker
//	restore DATA SCHEMA BACKUP ASIDE FROM
//	                                 put BACKUP back when the ledger's schema
//	                                 is newer than SCHEMA, the ledger set
//	                                 aside into ASIDE; remove the marker
//
// Answers are lines on w.
func LedgerTool(ctx context.Context, args []string, w io.Writer) error {
	if len(args) < 2 {
		return errors.New("update-ledger: want OP DATA [ARGS]")
	}
	op, data, rest := args[0], args[1], args[2:]
	want := map[string]int{"schema": 0, "verify": 0, "backup": 1, "probation": 2, "restore": 4}
	n, ok := want[op]
	if !ok || len(rest) != n {
		return fmt.Errorf("update-ledger: %s: want %d arguments after DATA", op, n)
	}
	if err := plainLedger(data); err != nil {
		return err
	}
	switch op {
	case "schema":
		v, err := schemaOf(ctx, data)
		if err != nil {
			return err
		}
		fmt.Fprintln(w, v)
	case "verify":
		rep, err := ledger.VerifyFile(ctx, filepath.Join(data, ledger.FileName))
		if err != nil {
			return err
		}
		if !rep.OK() {
			return fmt.Errorf("the ledger fails verification (%d problems: kioskctl verify)", len(rep.Problems))
		}
		fmt.Fprintln(w, rep.Entries)
	case "backup":
		entries, err := backupLedger(ctx, data, rest[0])
		if err != nil {
			return err
		}
		fmt.Fprintln(w, entries)
	case "probation":
		p := control.Probation{Journal: rest[0], Version: rest[1], Since: clock.Real{}.Now().UTC()}
		return atomicfile.Write(filepath.Join(data, control.ProbationFile), 0o644, func(w io.Writer) error {
			return json.NewEncoder(w).Encode(p)
		})
	case "restore":
		before, err := strconv.Atoi(rest[0])
		if err != nil {
			return fmt.Errorf("update-ledger: restore: schema %q", rest[0])
		}
		if err := restoreLedger(ctx, w, data, before, rest[1], rest[2], rest[3]); err != nil {
			return err
		}
		// The version going back is no version on probation.
		if err := os.Remove(filepath.Join(data, control.ProbationFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rollback: %w", err)
		}
		return atomicfile.SyncDir(data)
	}
	return nil
}

// plainLedger refuses a ledger (or its WAL) that is a symlink or not a
// regular file: the ledger is a file of the data directory, nothing else.
// (The child runs as the data directory's owner, so even a link made after
// this check reaches only what that user may read.)
func plainLedger(data string) error {
	for _, s := range []string{"", "-wal", "-shm"} {
		p := filepath.Join(data, ledger.FileName+s)
		st, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("update-ledger: %w", err)
		}
		if !st.Mode().IsRegular() {
			return fmt.Errorf("update-ledger: %s is not a regular file (%v): refused; a ledger is never a link", p, st.Mode().Type())
		}
	}
	return nil
}

func schemaOf(ctx context.Context, data string) (int, error) {
	v, err := ledger.SchemaOf(ctx, data)
	if errors.Is(err, fs.ErrNotExist) {
		return -1, nil
	}
	return v, err
}

func backupLedger(ctx context.Context, data, path string) (uint64, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	l, err := ledger.Open(ctx, data, ledger.Options{ReadOnly: true})
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	defer l.Close()
	if err := l.Backup(ctx, path); err != nil {
		return 0, err
	}
	rep, err := ledger.VerifyFile(ctx, path)
	if err != nil {
		return 0, fmt.Errorf("backup: verify %s: %w", path, err)
	}
	if !rep.OK() {
		return 0, fmt.Errorf("backup: %s fails verification: %v", path, rep.Problems)
	}
	return rep.Entries, nil
}

// restoreLedger puts back the backup when the ledger's schema is newer than
// the version going back opens (schemaBefore). The newer ledger is set
// aside, never deleted.
func restoreLedger(ctx context.Context, w io.Writer, data string, schemaBefore int, backup, aside, from string) error {
	if schemaBefore < 0 {
		return nil
	}
	now, err := schemaOf(ctx, data)
	if err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	if now < 0 && backup != "" {
		// A rollback killed after it set the migrated ledger aside: put
		// the backup in its place.
		return putBack(w, data, backup, schemaBefore, now, from, "")
	}
	if now <= schemaBefore {
		return nil
	}
	if backup == "" {
		return fmt.Errorf("rollback: the ledger is at schema %d, the version going back opens %d, and no backup was recorded", now, schemaBefore)
	}
	if err := os.MkdirAll(aside, 0o700); err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	live := filepath.Join(data, ledger.FileName)
	for _, suffix := range []string{"", "-wal", "-shm"} {
		err := os.Rename(live+suffix, filepath.Join(aside, ledger.FileName+suffix))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rollback: keep the migrated ledger: %w", err)
		}
	}
	if err := atomicfile.SyncDir(data); err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	return putBack(w, data, backup, schemaBefore, now, from, aside)
}

// putBack copies the backup into the ledger's place.
func putBack(w io.Writer, data, backup string, schemaBefore, now int, from, aside string) error {
	live := filepath.Join(data, ledger.FileName)
	err := atomicfile.Replace(live, 0o600, func(tmp string) error { return copyFile(backup, tmp) })
	if err != nil {
		return fmt.Errorf("rollback: put back %s: %w", backup, err)
	}
	if aside != "" {
		fmt.Fprintf(w, "put back the ledger as it was before %s (%s, schema %d); the migrated one (schema %d) is kept in %s\n",
			from, backup, schemaBefore, now, aside)
	} else {
		fmt.Fprintf(w, "put back the ledger as it was before %s (%s, schema %d)\n", from, backup, schemaBefore)
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// owner is the data directory's owner, as whom the child runs: nil when
// this process cannot change its user (not root) or the owner is root.
func (u *Updater) owner() (*syscall.Credential, error) {
	st, err := os.Stat(u.Data)
	if err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	s, ok := st.Sys().(*syscall.Stat_t)
	if !ok || !st.IsDir() {
		return nil, fmt.Errorf("data directory %s: not a directory", u.Data)
	}
	if os.Geteuid() != 0 || s.Uid == 0 {
		return nil, nil
	}
	return &syscall.Credential{Uid: s.Uid, Gid: s.Gid, Groups: []uint32{}}, nil
}

// asOwner runs a program as the data directory's owner and returns its
// standard output.
func (u *Updater) asOwner(ctx context.Context, exe string, args ...string) (string, error) {
	cred, err := u.owner()
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		return out.String(), errors.New(msg)
	}
	return out.String(), nil
}

// tool runs LedgerTool in version's kioskctl as the data directory's owner.
func (u *Updater) tool(ctx context.Context, version, op string, args ...string) (string, error) {
	if _, err := u.root.Lstat(path.Join(version, "kioskctl")); err != nil {
		return "", fmt.Errorf("version %s has no kioskctl, which does the ledger's part of an update: %w", version, err)
	}
	exe := filepath.Join(u.Versions, version, "kioskctl")
	out, err := u.asOwner(ctx, exe, append([]string{ToolCommand, op, u.Data}, args...)...)
	if err != nil {
		return out, fmt.Errorf("%s's kioskctl %s %s: %w", version, ToolCommand, op, err)
	}
	return out, nil
}

// ledgerSchema is the data directory's ledger's schema as version's
// kioskctl reads it, -1 when there is no ledger yet.
func (u *Updater) ledgerSchema(ctx context.Context, version string) (int, error) {
	out, err := u.tool(ctx, version, "schema")
	if err != nil {
		return 0, err
	}
	v, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		return 0, fmt.Errorf("%s's kioskctl says the schema is %q", version, strings.TrimSpace(out))
	}
	return v, nil
}

// backupsDir makes the backups directory, the data directory's owner's (the
// child writes the backups), and returns its path.
func (u *Updater) backups() (string, error) {
	if err := u.root.Mkdir(backupsDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("backups: %w", err)
	}
	st, err := u.root.Lstat(backupsDir)
	if err != nil {
		return "", fmt.Errorf("backups: %w", err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("backups: %s is not a directory", filepath.Join(u.Versions, backupsDir))
	}
	cred, err := u.owner()
	if err != nil {
		return "", err
	}
	if cred != nil {
		if err := u.root.Lchown(backupsDir, int(cred.Uid), int(cred.Gid)); err != nil {
			return "", fmt.Errorf("backups: %w", err)
		}
	}
	return filepath.Join(u.Versions, backupsDir), nil
}
