// Package atomicfile replaces files so that a crash, a power cut or a full
// disk leaves the old file or the new one, never half of either: the new
// content goes to a temporary file beside the target, is fsynced, renamed
// into place, and the directory is fsynced so the rename survives too.
package atomicfile

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Replace makes the file at path anew. fill gets the name of an empty
// temporary file in path's directory and writes the new content there (by
// name, for writers such as SQLite's VACUUM INTO that open the file
// themselves). The temporary file is then given perm, fsynced and renamed
// over path, and the directory fsynced. When fill or any step fails, path is
// left as it was and the temporary file is removed.
func Replace(path string, perm fs.FileMode, fill func(tmpPath string) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
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
