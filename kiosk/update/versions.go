package update

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
)

// DefaultVersions is the versions directory on a kiosk: on the data
// partition, which stays writable when the root is read-only.
const DefaultVersions = "/var/lib/hongmajia/versions"

// The versions directory's own names; a version is never called that.
const (
	currentLink  = "current"
	previousLink = "previous"
	journalName  = "update.json"
	logName      = "update.log"
	lockName     = "update.lock"
	backupsDir   = "backups"
	installedRec = "installed.json"
	tmpPrefix    = ".tmp-"
)

// Installed is what a versions directory holds: the current and previous
// versions ("" when none), for kioskctl status.
type Installed struct {
	Current  string `json:"current"`
	Previous string `json:"previous"`
	// Interrupted: an update was stopped midway; the next update, rollback
	// or the kiosk's start finishes it.
	Interrupted bool `json:"interrupted,omitempty"`
}

// ReadInstalled reads the versions directory's links (as anyone may:
// kioskctl status without sudo).
func ReadInstalled(dir string) (Installed, error) {
	var in Installed
	r, err := os.OpenRoot(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return in, nil
	}
	if err != nil {
		return in, fmt.Errorf("versions: %w", err)
	}
	defer r.Close()
	if in.Current, err = readLink(r, currentLink); err != nil {
		return in, err
	}
	if in.Previous, err = readLink(r, previousLink); err != nil {
		return in, err
	}
	_, err = r.Lstat(journalName)
	in.Interrupted = err == nil
	return in, nil
}

// readLink is the version a link names, "" when there is no link.
func readLink(r *os.Root, name string) (string, error) {
	t, err := r.Readlink(name)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("versions: %w", err)
	}
	return path.Base(t), nil
}

// setLink points name at version, or removes it for "": a new link made
// beside it and renamed over it, so the name always holds the old link or
// the new one. The directory is synced, so the switch survives a power cut.
func setLink(r *os.Root, name, version string) error {
	if version == "" {
		if err := r.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("versions: %w", err)
		}
		return syncRoot(r)
	}
	tmp := tmpPrefix + name
	_ = r.Remove(tmp)
	// Relative: the link names the version beside it, so the versions
	// directory resolves the same under a throwaway install root.
	if err := r.Symlink(version, tmp); err != nil {
		return fmt.Errorf("versions: %w", err)
	}
	if err := r.Rename(tmp, name); err != nil {
		r.Remove(tmp)
		return fmt.Errorf("versions: switch %s to %s: %w", name, version, err)
	}
	return syncRoot(r)
}

// readManifest reads an installed version's manifest (checked when it was
// unpacked).
func readManifest(r *os.Root, version string) (*Manifest, error) {
	b, err := r.ReadFile(path.Join(version, manifestName))
	if err != nil {
		return nil, fmt.Errorf("version %s: %w", version, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("version %s: manifest: %w", version, err)
	}
	return &m, nil
}

// reserved says whether a name in the versions directory is not a version.
func reserved(name string) bool {
	switch name {
	case currentLink, previousLink, journalName, logName, lockName, backupsDir, OutcomeName:
		return true
	}
	return strings.HasPrefix(name, ".")
}

// lock takes the versions directory's lock: one update at a time. The
// kernel drops it when the holder dies, so a killed updater never blocks
// the next one.
func lock(r *os.Root) (*os.File, error) {
	f, err := r.OpenFile(lockName, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("versions: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errBusy
		}
		return nil, fmt.Errorf("versions: lock: %w", err)
	}
	return f, nil
}

var errBusy = errors.New("another update or rollback is running on this kiosk")

// freeBytes is the free space for an unprivileged user on dir's filesystem.
func freeBytes(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}
