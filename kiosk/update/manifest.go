package update

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hongmajia/hongmajia/hubsync"
)

// Manifest describes a release: what a bundle holds and what it needs.
type Manifest struct {
	Format  int    `json:"format"` // 1
	Version string `json:"version"`
	// Arch is GOARCH: the kiosk's must match.
	Arch string `json:"arch"`
	// MinSchema is the ledger schema this version needs: an older ledger is
	// migrated to it when the version starts, and the version before it
	// cannot open the result (so an update that brings a migration tries it
	// on a copy first, and a rollback puts back the ledger as it was).
	MinSchema int       `json:"min_schema"`
	Created   time.Time `json:"created"`
	KeyID     string    `json:"key_id"`
	Files     []File    `json:"files"`
}

// File is one file of a release.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	Mode   uint32 `json:"mode"` // 0755 for programs, 0644 otherwise
}

// manifestFormat is the Format this package writes and reads.
const manifestFormat = 1

// Size is the sum of the release's file sizes: what unpacking it takes.
func (m *Manifest) Size() int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Size
	}
	return n
}

func (m *Manifest) check() error {
	if m.Format != manifestFormat {
		return fmt.Errorf("manifest format %d, this kioskctl reads %d", m.Format, manifestFormat)
	}
	if err := checkVersion(m.Version); err != nil {
		return err
	}
	if m.Arch == "" || len(m.Files) == 0 {
		return errors.New("manifest without architecture or files")
	}
	seen := map[string]bool{}
	for _, f := range m.Files {
		if err := checkName(f.Name); err != nil {
			return err
		}
		if seen[f.Name] {
			return fmt.Errorf("manifest names %s twice", f.Name)
		}
		seen[f.Name] = true
		if f.Size < 0 || len(f.SHA256) != 64 || f.Mode&^0o777 != 0 {
			return fmt.Errorf("manifest entry %s is malformed", f.Name)
		}
	}
	// Every later update and rollback runs the current version's kioskctl
	// (LedgerTool): a release without one would install, and then leave the
	// kiosk stuck on it.
	if !seen[ToolProgram] {
		return fmt.Errorf("no %s among its files (every later update and rollback runs the version's own; bundle it with kiosk and kiosk-screen)", ToolProgram)
	}
	return nil
}

// ToolProgram is the program every release must hold: the updater runs the
// current version's for the ledger's part of an update and a rollback.
const ToolProgram = "kioskctl"

// checkName allows plain file names only: a bundle never writes outside its
// version's directory, nor over its manifest.
func checkName(n string) error {
	if n == "" || n == "." || n == ".." || strings.ContainsAny(n, "/\\\x00") || strings.HasPrefix(n, ".") ||
		n == manifestName || n == signatureName {
		return fmt.Errorf("file name %q not allowed in a bundle", n)
	}
	return nil
}

// checkVersion accepts the versions hubsync.CheckVersion does: the hub
// offers and orders them alike.
func checkVersion(v string) error { return hubsync.CheckVersion(v) }

// CompareVersions orders two versions (hubsync.CompareVersions): numbers
// part by part, a suffixed version before the same numbers without one.
func CompareVersions(a, b string) int { return hubsync.CompareVersions(a, b) }

// BinaryArch is the GOARCH a program file was built for, "" when it is not
// an ELF program (a script, a data file).
func BinaryArch(r io.ReaderAt) (string, error) {
	var magic [4]byte
	if n, _ := r.ReadAt(magic[:], 0); n < 4 || string(magic[:]) != elf.ELFMAG {
		return "", nil
	}
	f, err := elf.NewFile(r)
	if err != nil {
		return "", fmt.Errorf("a damaged program: %w", err)
	}
	defer f.Close()
	switch f.Machine {
	case elf.EM_AARCH64:
		return "arm64", nil
	case elf.EM_X86_64:
		return "amd64", nil
	case elf.EM_ARM:
		return "arm", nil
	case elf.EM_386:
		return "386", nil
	case elf.EM_RISCV:
		return "riscv64", nil
	}
	return "", fmt.Errorf("a program for %v, which no kiosk runs", f.Machine)
}
