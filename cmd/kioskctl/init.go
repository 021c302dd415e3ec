package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/hongmajia/hongmajia/kiosk/control"
	"github.com/hongmajia/hongmajia/ledger"
)

func init() {
	commands["init"] = command{summary: "make a real, empty center's ledger: --center NAME [--center-id ID]", run: runInit}
}

func runInit(e *env, args []string) error {
	f, data := newFlagSet(e, "init")
	name := f.String("center", "", "the center's name, as the idle screen shows it (和平里街道党群服务中心)")
	id := f.String("center-id", "", "the center's id in the district (letters, digits, - and _); default: made from the name")
	f.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: kioskctl init --center NAME [--center-id ID] [--data DIR]")
		fmt.Fprintln(e.stderr, "Makes a new, empty ledger for a real center; then import people, activities and the")
		fmt.Fprintln(e.stderr, "catalog (kioskctl import), add staff cards (kioskctl staff add) and start the kiosk.")
		f.PrintDefaults()
	}
	if err := parseFlags(f, args); err != nil {
		return err
	}
	*name = strings.TrimSpace(*name)
	if *name == "" || utf8.RuneCountInString(*name) > 64 {
		return fmt.Errorf("%w: --center NAME is required (at most 64 characters)", errUsage)
	}
	if *id == "" {
		*id = centerIDFor(*name)
	} else if !validCenterID(*id) {
		return fmt.Errorf("%w: --center-id %q: 1 to 32 letters, digits, - or _", errUsage, *id)
	}
	ctx := context.Background()
	l, err := ledger.Create(ctx, *data, ledger.Terminal{Center: *id, CenterName: *name}, ledgerOptions)
	if errors.Is(err, ledger.ErrExists) {
		return fmt.Errorf("a ledger already exists in %s: init makes new centers only (kioskctl status shows what it holds)", *data)
	}
	if err != nil {
		return err
	}
	term := l.Terminal()
	if err := l.Close(); err != nil {
		return err
	}
	owner, err := ownLikeDir(*data)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "新中心 new center in %s\n", *data)
	fmt.Fprintf(e.stdout, "  中心 center %s (%s), 终端 terminal %s\n", term.CenterName, term.Center, term.ID)
	if owner != "" {
		fmt.Fprintf(e.stdout, "  %s\n", owner)
	}
	at, as := "", ""
	if *data != defaultData {
		at = " --data " + *data
	} else {
		// On a kiosk the ledger is the hongmajia user's.
		as = "sudo -u hongmajia "
	}
	fmt.Fprintln(e.stdout, "下一步 next:")
	fmt.Fprintf(e.stdout, "  %skioskctl import people FILE%s --preview      (then without --preview; CSV or XLSX)\n", as, at)
	fmt.Fprintf(e.stdout, "  %skioskctl import activities FILE%s --preview\n", as, at)
	fmt.Fprintf(e.stdout, "  %skioskctl import catalog FILE%s --preview\n", as, at)
	fmt.Fprintf(e.stdout, "  %skioskctl staff add%s --name NAME --card UID  (the PIN is asked twice)\n", as, at)
	fmt.Fprintln(e.stdout, "  sudo systemctl enable --now hongmajia-kiosk")
	return nil
}

// centerIDFor makes a center's id from its name when the district gave
// none: the same name always gives the same id, in ASCII.
func centerIDFor(name string) string {
	sum := sha256.Sum256([]byte(name))
	return "C-" + strings.ToUpper(hex.EncodeToString(sum[:4]))
}

func validCenterID(id string) bool {
	if len(id) == 0 || len(id) > 32 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// ownLikeDir gives the ledger's files, the data directory's lock and the
// files named in extra to the data directory's owner when kioskctl runs as
// root: `sudo kioskctl init` on a Pi would otherwise leave a ledger.db the
// kiosk's user (hongmajia) cannot write, `sudo kioskctl enroll` a kiosk.key
// it cannot read. It says what it did.
func ownLikeDir(dir string, extra ...string) (string, error) {
	if os.Geteuid() != 0 {
		return "", nil
	}
	st, err := os.Stat(dir)
	if err != nil {
		return "", err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok || sys.Uid == 0 {
		return "", nil
	}
	path := filepath.Join(dir, ledger.FileName)
	paths := []string{path, path + "-wal", path + "-shm", filepath.Join(dir, control.LockName)}
	for _, name := range extra {
		paths = append(paths, filepath.Join(dir, name))
	}
	for _, p := range paths {
		if err := os.Lchown(p, int(sys.Uid), int(sys.Gid)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("give %s to the data directory's owner: %w", p, err)
		}
	}
	return fmt.Sprintf("所有者 owner: uid %d, as %s (the kiosk's user)", sys.Uid, dir), nil
}

// parseArgs parses flags wherever they stand among the arguments
// ("import people FILE --preview" as well as "import --preview people
// FILE") and returns the others in order. "--" ends the flags.
func parseArgs(f *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		left := f.Args()
		if len(left) == 0 {
			return rest, nil
		}
		// Parse stopped at an argument, or after "--": then all are arguments.
		if len(args) > len(left) && args[len(args)-len(left)-1] == "--" {
			return append(rest, left...), nil
		}
		rest = append(rest, left[0])
		args = left[1:]
	}
}
