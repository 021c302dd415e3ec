package atomicfile_test

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/internal/atomicfile"
)

// only checks that dir holds exactly the named files: no temporary file.
func only(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, " ") != strings.Join(names, " ") {
		t.Errorf("%s holds %v, want %v", dir, got, names)
	}
}

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	for i, perm := range []fs.FileMode{0o600, 0o644, 0o640} {
		want := fmt.Sprintf("version %d\n", i)
		if err := atomicfile.Write(path, perm, func(w io.Writer) error {
			_, err := io.WriteString(w, want)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != want {
			t.Errorf("after write %d: %q %v", i, b, err)
		}
		if m := mode(t, path); m != perm {
			t.Errorf("write %d: mode %v, want %v", i, m, perm)
		}
		only(t, dir, "out.csv")
	}
}

func TestFailedWriteLeavesTheOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	err := atomicfile.Write(path, 0o600, func(w io.Writer) error {
		io.WriteString(w, "half of the new")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write = %v, want the write func's error", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("the old file became %q", b)
	}
	if m := mode(t, path); m != 0o644 {
		t.Errorf("the old file's mode became %v", m)
	}
	only(t, dir, "out.csv")

	// A missing file stays missing.
	if err := atomicfile.Write(filepath.Join(dir, "new.csv"), 0o600, func(io.Writer) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("Write = %v", err)
	}
	only(t, dir, "out.csv")
	// So does one in a directory that is not there.
	if err := atomicfile.Write(filepath.Join(dir, "no", "x.csv"), 0o600, func(io.Writer) error { return nil }); err == nil {
		t.Fatal("Write into a missing directory succeeded")
	}
}

func TestReplace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.db")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	// fill gets an empty file beside path, already restricted, and may write
	// it by name, even make it anew.
	err := atomicfile.Replace(path, 0o600, func(tmp string) error {
		if filepath.Dir(tmp) != dir || tmp == path {
			t.Errorf("temporary file %s, want one beside %s", tmp, path)
		}
		fi, err := os.Stat(tmp)
		if err != nil || fi.Size() != 0 || fi.Mode().Perm() != 0o600 {
			t.Errorf("temporary file %v %v, want empty and 0600", fi, err)
		}
		if err := os.Remove(tmp); err != nil {
			return err
		}
		return os.WriteFile(tmp, []byte("new"), 0o666)
	})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("replaced file %q", b)
	}
	if m := mode(t, path); m != 0o600 {
		t.Errorf("mode %v, want 0600 whatever fill made", m)
	}
	only(t, dir, "ledger.db")

	// A failing fill leaves the old file and no temporary one, even after
	// writing it.
	boom := errors.New("integrity check failed")
	err = atomicfile.Replace(path, 0o600, func(tmp string) error {
		if err := os.WriteFile(tmp, []byte("corrupt"), 0o600); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Replace = %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("after a failed Replace: %q", b)
	}
	only(t, dir, "ledger.db")
}

func TestSyncDir(t *testing.T) {
	if err := atomicfile.SyncDir(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.SyncDir(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.HasPrefix(err.Error(), "atomicfile: ") {
		t.Errorf("SyncDir of a missing directory = %v", err)
	}
}

func TestTemporaryFilesHaveOneName(t *testing.T) {
	dir := t.TempDir()
	var seen []string
	for _, target := range []string{"entries.csv", "before-update.db", ".hidden"} {
		err := atomicfile.Replace(filepath.Join(dir, target), 0o600, func(tmp string) error {
			seen = append(seen, filepath.Base(tmp))
			if filepath.Dir(tmp) != dir {
				t.Errorf("temporary file %s not beside %s", tmp, target)
			}
			return errors.New("stop")
		})
		if err == nil {
			t.Fatal("a failed fill reported no error")
		}
	}
	for _, name := range seen {
		if !atomicfile.IsTemp(name) || !strings.HasSuffix(name, ".hmj-tmp") || !strings.HasPrefix(name, ".") {
			t.Errorf("temporary file %q does not have the temporary files' name", name)
		}
	}
	only(t, dir)
}

func TestCleanRemovesStaleTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	files := []struct {
		name  string
		age   time.Duration
		stays bool
	}{
		{".entries.csv.123456.hmj-tmp", 2 * time.Minute, false},   // an export killed two minutes ago
		{".backup.db.987654.hmj-tmp", 10 * 24 * time.Hour, false}, // a backup killed last week
		{".entries.csv.555555.hmj-tmp", 20 * time.Second, true},   // an export at work
		{"entries.csv", time.Hour, true},                          // the targets themselves
		{"ledger.db", time.Hour, true},
		{"notes.hmj-tmp", time.Hour, true},       // not one of ours: no leading dot
		{".hmj-tmp", time.Hour, true},            // nor this
		{".entries.csv.tmp-42", time.Hour, true}, // another program's
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now.Add(-f.age), now.Add(-f.age)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, ".dir.1.hmj-tmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	removed, err := atomicfile.Clean(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, ".backup.db.987654.hmj-tmp"), filepath.Join(dir, ".entries.csv.123456.hmj-tmp")}
	if strings.Join(removed, " ") != strings.Join(want, " ") {
		t.Errorf("removed %v, want %v", removed, want)
	}
	for _, f := range files {
		_, err := os.Stat(filepath.Join(dir, f.name))
		if stays := err == nil; stays != f.stays {
			t.Errorf("%s: stays %v, want %v", f.name, stays, f.stays)
		}
	}
	if _, err := atomicfile.Clean(filepath.Join(dir, "missing"), now); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Clean of a missing directory: %v", err)
	}
}
