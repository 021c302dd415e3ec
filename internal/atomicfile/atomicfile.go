// Package atomicfile replaces files so that a crash, a power cut or a full
// disk leaves the old file or the new one, never half of either: the new
// content goes to a temporary file beside the target, is fsynced, renamed
// into place, and the directory is fsynced so the rename survives too.
//
// A process killed while it writes (SIGKILL, a power cut) leaves its
// temporary file behind, full size. Temporary files have one recognisable
// name, "."+target+"."+random+TempSuffix, and Clean removes stale ones.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// TempSuffix ends the name of every temporary file Replace and Write make.
const TempSuffix = ".hmj-tmp"

// StaleAfter is how long a temporary file must have gone unmodified for
// Clean to take it as abandoned: a writer at work modifies its file all the
// time, so one left alone this long belongs to a process that died.
const StaleAfter = time.Minute

// IsTemp reports whether name (a base name) is a temporary file's.
func IsTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.HasSuffix(name, TempSuffix) && len(name) > 1+len(TempSuffix)
}

// Clean removes the temporary files in dir that were last modified at least
// StaleAfter before now, and returns their paths. A file that vanishes
// meanwhile (its writer finished) is no error.
func Clean(dir string, now time.Time) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("atomicfile: clean: %w", err)
	}
	var removed []string
	var errs []error
	for _, e := range ents {
		if !e.Type().IsRegular() || !IsTemp(e.Name()) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // gone
		}
		if now.Sub(fi.ModTime()) < StaleAfter {
			continue // a writer may be at work
		}
		p := filepath.Join(dir, e.Name())
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, p)
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("atomicfile: clean: %w", err)
	}
	return removed, nil
}

// Replace makes the file at path anew. fill gets the name of an empty
// temporary file in path's directory and writes the new content there (by
// name, for writers such as SQLite's VACUUM INTO that open the file
// themselves). The temporary file is then given perm, fsynced and renamed
// over path, and the directory fsynced. When fill or any step fails, path is
// left as it was and the temporary file is removed.
func Replace(path string, perm fs.FileMode, fill func(tmpPath string) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*"+TempSuffix)
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	tmp := f.Name()
	renamed := false
	defer func() {
		if !renamed {
			os.Remove(tmp)
		}
	}()
	if err := f.Close(); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	// Before fill: what it writes is never readable by more than perm allows.
	if err := os.Chmod(tmp, perm); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err := fill(tmp); err != nil {
		return err
	}
	// After fill too: a writer may have made the file anew.
	if err := os.Chmod(tmp, perm); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	renamed = true
	return SyncDir(dir)
}

// Write makes the file at path anew with what write writes, as Replace does.
func Write(path string, perm fs.FileMode, write func(w io.Writer) error) error {
	return Replace(path, perm, func(tmpPath string) error {
		f, err := os.OpenFile(tmpPath, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return fmt.Errorf("atomicfile: %w", err)
		}
		err = write(f)
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("atomicfile: %w", cerr)
		}
		return err
	})
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("atomicfile: sync %s: %w", path, err)
	}
	return nil
}

// SyncDir fsyncs a directory so that a create, rename or remove in it
// survives a power cut.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("atomicfile: sync %s: %w", dir, err)
	}
	return nil
}
