package update

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"syscall"
)

// The versions directory is root's, inside the data directory, which the
// kiosk's user owns: that user may rename or replace the directory's name
// at any moment. So an updater opens it once, checks what it opened, and
// does every file operation through that open directory (os.Root), never
// through its path again: a directory swapped after the check cannot
// redirect root's writes, renames or removals.

// ErrUnsafe refuses a versions directory someone other than the updater's
// user could change.
var ErrUnsafe = errors.New("versions directory not safe")

// openVersions opens dir for writing and refuses it unless it is a real
// directory (not a symlink), owned by the user who runs the updater (root
// on a kiosk) and writable by no one else.
func openVersions(dir string) (*os.Root, error) {
	if st, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, noVersions(dir)
	} else if err != nil {
		return nil, fmt.Errorf("versions: %w", err)
	} else if st.Mode()&fs.ModeSymlink != 0 {
		return nil, fmt.Errorf("%w: %s is a symlink; it must be a directory of its own (root's, 0755)", ErrUnsafe, dir)
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("versions: %w", err)
	}
	// Judge what was opened, not the path: the name may have changed
	// since the Lstat.
	st, err := r.Stat(".")
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("versions: %w", err)
	}
	if err := checkOwned(dir, st); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// noVersions is a versions directory that is not there, said to a
// technician: the package's postinst makes it. It is fs.ErrNotExist to
// callers for which that means nothing to do.
type noVersions string

func (d noVersions) Error() string {
	return fmt.Sprintf("no versions directory %s: the package makes it at install (reinstall hongmajia-kiosk, or: kioskctl update --seed /usr/lib/hongmajia/bin --version V)", string(d))
}

func (noVersions) Unwrap() error { return fs.ErrNotExist }

func checkOwned(dir string, st fs.FileInfo) error {
	s, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%w: %s: no owner", ErrUnsafe, dir)
	}
	if !st.IsDir() {
		return fmt.Errorf("%w: %s is not a directory", ErrUnsafe, dir)
	}
	if me := os.Geteuid(); int(s.Uid) != me {
		return fmt.Errorf("%w: %s is owned by uid %d, not by uid %d who runs the update (sudo chown root:root %s)", ErrUnsafe, dir, s.Uid, me, dir)
	}
	if st.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%w: %s is writable by its group or others (%v; sudo chmod 0755 %s)", ErrUnsafe, dir, st.Mode().Perm(), dir)
	}
	return nil
}

// syncRoot fsyncs the directory itself, so a rename in it survives a power
// cut.
func syncRoot(r *os.Root) error {
	f, err := r.Open(".")
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// writeRoot writes name whole or not at all: a temporary file beside it,
// fsynced, renamed over it, the directory fsynced.
func writeRoot(r *os.Root, name string, perm fs.FileMode, write func(io.Writer) error) error {
	tmp := path.Join(path.Dir(name), tmpPrefix+"w-"+path.Base(name))
	_ = r.Remove(tmp)
	f, err := r.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = r.Rename(tmp, name)
	}
	if err != nil {
		_ = r.Remove(tmp)
		return err
	}
	return syncRoot(r)
}

func writeJSONRoot(r *os.Root, name string, v any) error {
	return writeRoot(r, name, 0o644, func(w io.Writer) error { return json.NewEncoder(w).Encode(v) })
}

// mkdirTemp makes a new directory with a random name starting with prefix.
func mkdirTemp(r *os.Root, prefix string, perm fs.FileMode) (string, error) {
	for range 10 {
		var b [6]byte
		_, _ = rand.Read(b[:])
		name := prefix + hex.EncodeToString(b[:])
		err := r.Mkdir(name, perm)
		if err == nil {
			return name, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	return "", errors.New("no free temporary name")
}

// readDir lists a directory under r.
func readDir(r *os.Root, name string) ([]fs.DirEntry, error) {
	f, err := r.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.ReadDir(-1)
}

// CreateDownload makes a new file in the versions directory (checked as an
// update checks it, and written through the directory opened once) for a
// bundle fetched over the network: on the disk it is unpacked on. Its
// path is filepath.Join(versions, name).
func CreateDownload(versions string) (f *os.File, name string, err error) {
	r, err := openVersions(versions)
	if err != nil {
		return nil, "", err
	}
	defer r.Close()
	for range 10 {
		var b [6]byte
		_, _ = rand.Read(b[:])
		name = ".download-" + hex.EncodeToString(b[:]) + ".bundle"
		f, err = r.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if !errors.Is(err, fs.ErrExist) {
			return f, name, err
		}
	}
	return nil, "", err
}
