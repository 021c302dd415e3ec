package update_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/hongmajia/hongmajia/kiosk/update"
	"github.com/hongmajia/hongmajia/ledger"
)

// nobody is the kiosk user of the tests that give the data directory to
// another user than the one running them (root, as make test runs).
const nobody = 65534

func ownerOf(t *testing.T, p string) uint32 {
	t.Helper()
	st, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Sys().(*syscall.Stat_t).Uid
}

// chownTree gives dir and everything in it to uid.
func chownTree(t *testing.T, dir string, uid int) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, uid)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestAnUnsafeVersionsDirectoryIsRefused: a versions directory that is a
// symlink, owned by another user or writable by its group is refused by
// every writer, and nothing is written through it.
func TestAnUnsafeVersionsDirectoryIsRefused(t *testing.T) {
	k := newKiosk(t)
	k.svc.Stop(context.Background())
	bundle := k.bundle("1.1.0", "healthy", ledger.SchemaVersion())
	// elsewhere stands for a directory the kiosk's user would like root to
	// write into.
	elsewhere := filepath.Join(k.root, "elsewhere")
	if err := os.Mkdir(elsewhere, 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, want string
		make       func(t *testing.T) string
	}{
		{"a symlink", "is a symlink", func(t *testing.T) string {
			p := filepath.Join(k.root, "vlink")
			if err := os.Symlink(elsewhere, p); err != nil {
				t.Fatal(err)
			}
			return p
		}},
		{"group-writable", "writable by its group or others", func(t *testing.T) string {
			p := filepath.Join(k.root, "vgroup")
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, 0o775); err != nil {
				t.Fatal(err)
			}
			return p
		}},
		{"another user's", "is owned by uid", func(t *testing.T) string {
			if os.Geteuid() != 0 {
				// Not root: "/" is another user's directory.
				return "/"
			}
			p := filepath.Join(k.root, "vother")
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(p, nobody, nobody); err != nil {
				t.Fatal(err)
			}
			return p
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := c.make(t)
			u := k.updater(nil)
			u.Versions = dir
			err := u.Update(context.Background(), bundle, update.Options{})
			if !errors.Is(err, update.ErrUnsafe) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "nothing changed") {
				t.Errorf("update = %v", err)
			}
			if err := u.Recover(context.Background(), false); !errors.Is(err, update.ErrUnsafe) {
				t.Errorf("recover = %v", err)
			}
			if err := u.Rollback(context.Background(), false); !errors.Is(err, update.ErrUnsafe) {
				t.Errorf("rollback = %v", err)
			}
			if _, err := update.Seed(dir, k.release("healthy", k.root), "1.0.1", runtime.GOARCH, ledger.SchemaVersion()); !errors.Is(err, update.ErrUnsafe) {
				t.Errorf("seed = %v", err)
			}
			if dir == "/" {
				return
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("written into %s: %v", dir, ents)
			}
		})
	}
	// The real one is untouched.
	if in := k.installed(); in.Current != "1.0.0" || in.Interrupted {
		t.Errorf("installed %+v", in)
	}
}

// TestTheLedgerIsTouchedAsItsOwner: the pre-update backup is made by the
// data directory's owner (the kiosk's user), not by root who runs the
// update.
func TestTheLedgerIsTouchedAsItsOwner(t *testing.T) {
	k := newKiosk(t)
	owner := uint32(os.Geteuid())
	if owner == 0 {
		owner = nobody
		chownTree(t, k.data, nobody)
	}
	var log strings.Builder
	if err := k.updater(&log).Update(context.Background(), k.bundle("1.1.0", "healthy", ledger.SchemaVersion()), update.Options{}); err != nil {
		t.Fatalf("update: %v\n%s", err, log.String())
	}
	k.settled("1.1.0")
	backups, _ := filepath.Glob(filepath.Join(k.versions, "backups", "ledger-*.db"))
	if len(backups) != 1 {
		t.Fatalf("backups %v", backups)
	}
	if got := ownerOf(t, backups[0]); got != owner {
		t.Errorf("the backup is uid %d's, want the data directory's owner %d", got, owner)
	}
	if got := ownerOf(t, k.versions); got != uint32(os.Geteuid()) {
		t.Errorf("the versions directory is uid %d's", got)
	}
}

// TestALedgerLinkedToAnotherFileIsNotCopied: the kiosk's user makes
// ledger.db a symlink to a file only root may read (here a ledger, so a
// root that followed it would back it up fine): the update refuses, and
// nothing of that file reaches a backup.
func TestALedgerLinkedToAnotherFileIsNotCopied(t *testing.T) {
	k := newKiosk(t)
	secret := filepath.Join(k.root, "rootonly")
	if err := os.Mkdir(secret, 0o700); err != nil {
		t.Fatal(err)
	}
	live := filepath.Join(k.data, ledger.FileName)
	if err := os.Rename(live, filepath.Join(secret, ledger.FileName)); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(secret, ledger.FileName), live); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		chownTree(t, k.data, nobody)
	}
	var log strings.Builder
	err := k.updater(&log).Update(context.Background(), k.bundle("1.1.0", "healthy", ledger.SchemaVersion()), update.Options{})
	if err == nil || !strings.Contains(err.Error(), "not a regular file") || !strings.Contains(err.Error(), "nothing changed") {
		t.Fatalf("update = %v\n%s", err, log.String())
	}
	if backups, _ := filepath.Glob(filepath.Join(k.versions, "backups", "*")); len(backups) != 0 {
		t.Errorf("backups made: %v", backups)
	}
	if in := k.installed(); in.Current != "1.0.0" || in.Interrupted {
		t.Errorf("installed %+v", in)
	}
}
