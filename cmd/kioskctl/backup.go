package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/ledger"
)

func init() {
	commands["backup"] = command{summary: "a consistent, verified copy of the ledger while the kiosk runs: -o FILE [--force], " +
		"or dated to a USB stick or over SSH: --to DIR|USER@HOST:DIR [--keep N]", run: runBackup}
}

// defaultKeep is how many dated backups of a kiosk --to keeps.
const defaultKeep = 14

func runBackup(e *env, args []string) error {
	f, data := newFlagSet(e, "backup")
	out := f.String("o", "", "file to write the copy to")
	force := f.Bool("force", false, "replace FILE if it exists")
	to := f.String("to", "", "a directory on another disk (a USB stick's) or USER@HOST:DIR over ssh: a dated copy there")
	keep := f.Int("keep", defaultKeep, "with --to: keep this kiosk's newest N dated copies there, remove the older ones (0: keep all)")
	if err := parseFlags(f, args); err != nil {
		return err
	}
	switch {
	case *out == "" && *to == "":
		return fmt.Errorf("%w: say where: -o FILE is required, or --to DIR|USER@HOST:DIR", errUsage)
	case *out != "" && *to != "":
		return fmt.Errorf("%w: -o and --to: one or the other", errUsage)
	case *keep < 0:
		return fmt.Errorf("%w: --keep %d: a count, 0 for all", errUsage, *keep)
	}
	if *to != "" {
		return backupTo(e, *data, *to, *keep)
	}
	// A backup must not silently replace another (yesterday's good copy, or
	// the ledger itself given by mistake).
	if st, err := os.Stat(*out); err == nil {
		if st.IsDir() {
			return fmt.Errorf("%s is a directory: give a file name (or --to %s for a dated copy there)", *out, *out)
		}
		if !*force {
			return fmt.Errorf("%s exists: not replacing it (use --force to)", *out)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("backup: %w", err)
	}
	ctx, stop := interruptible()
	defer stop()
	// Read-only: a copy is a look too, and must not change the ledger.
	l, err := openLedgerReadOnly(ctx, *data)
	if err != nil {
		return err
	}
	defer l.Close()
	rep, size, err := backupFile(ctx, e, l, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s: %s, %d entries; verified (integrity, hash chain, sequences, balances, stock)\n",
		*out, humanBytes(uint64(size)), rep.Entries)
	return nil
}

// backupFile copies the ledger to out and verifies the copy as anyone
// restoring it would: its integrity, chains and balances, read-only.
func backupFile(ctx context.Context, e *env, l *ledger.Ledger, out string) (*ledger.VerifyReport, int64, error) {
	if same, _ := sameFile(out, l.Path()); same {
		return nil, 0, fmt.Errorf("%s is the ledger itself", out)
	}
	cleanStale(e, filepath.Dir(out))
	if err := interrupted(ctx, l.Backup(ctx, out), out); err != nil {
		return nil, 0, err
	}
	rep, err := ledger.VerifyFile(ctx, out)
	if err != nil {
		return nil, 0, fmt.Errorf("backup written to %s but could not be verified: %w", out, err)
	}
	if !rep.OK() {
		return nil, 0, fmt.Errorf("backup written to %s but failed verification: %v", out, rep.Problems)
	}
	st, err := os.Stat(out)
	if err != nil {
		return nil, 0, err
	}
	return rep, st.Size(), nil
}

// backupTo writes a dated copy into a directory on another disk, or over
// ssh, and keeps the newest keep of this kiosk's copies there.
func backupTo(e *env, data, to string, keep int) error {
	ctx, stop := interruptible()
	defer stop()
	l, err := openLedgerReadOnly(ctx, data)
	if err != nil {
		return err
	}
	defer l.Close()
	prefix := backupPrefix(l.Terminal().ID)
	name := prefix + clock.Real{}.Now().In(l.Location()).Format("20060102-150405") + ".db"
	if host, dir, ok := remote(to); ok {
		return backupOverSSH(ctx, e, l, host, dir, name, prefix, keep)
	}

	st, err := os.Stat(to)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s does not exist (is the USB stick mounted? `lsblk` shows it; mount it, e.g. sudo mount /dev/sda1 /mnt)", to)
	case err != nil:
		return fmt.Errorf("backup: %w", err)
	case !st.IsDir():
		return fmt.Errorf("%s is not a directory: --to takes a directory (or -o FILE)", to)
	}
	// A copy on the ledger's own SD card dies with it.
	if sameDisk(to, l.Path()) {
		return fmt.Errorf("%s is on the same disk as the ledger: a backup there is lost with the SD card; "+
			"give a USB stick's directory or USER@HOST:DIR (-o FILE writes anywhere)", to)
	}
	out := filepath.Join(to, name)
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("%s exists: not replacing it", out)
	}
	rep, size, err := backupFile(ctx, e, l, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s: %s, %d entries; verified (integrity, hash chain, sequences, balances, stock)\n",
		out, humanBytes(uint64(size)), rep.Entries)
	if keep == 0 {
		return nil
	}
	ents, err := os.ReadDir(to)
	if err != nil {
		return fmt.Errorf("backup: keep %d: %w", keep, err)
	}
	var names []string
	for _, ent := range ents {
		if ent.Type().IsRegular() && isDatedBackup(ent.Name(), prefix) {
			names = append(names, ent.Name())
		}
	}
	for _, old := range older(names, keep) {
		if err := os.Remove(filepath.Join(to, old)); err != nil {
			return fmt.Errorf("backup: remove an old copy: %w", err)
		}
		fmt.Fprintf(e.stdout, "removed %s (keeping the newest %d)\n", filepath.Join(to, old), keep)
	}
	return nil
}

// backupPrefix starts the name of every dated copy of a terminal's ledger:
// several kiosks may back up to one stick or server.
func backupPrefix(terminal string) string {
	safe := strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return '_'
	}, terminal)
	return "hongmajia-" + safe + "-"
}

var datedSuffix = regexp.MustCompile(`^[0-9]{8}-[0-9]{6}\.db$`)

func isDatedBackup(name, prefix string) bool {
	rest, ok := strings.CutPrefix(name, prefix)
	return ok && datedSuffix.MatchString(rest)
}

// older are the names beyond the newest keep; dated names sort by time.
func older(names []string, keep int) []string {
	slices.Sort(names)
	if len(names) <= keep {
		return nil
	}
	return names[:len(names)-keep]
}

// remote splits USER@HOST:DIR (or HOST:DIR) as scp does: a colon before
// any slash.
func remote(to string) (host, dir string, ok bool) {
	host, dir, ok = strings.Cut(to, ":")
	if !ok || host == "" || strings.Contains(host, "/") {
		return "", "", false
	}
	if dir == "" {
		dir = "."
	}
	return host, dir, true
}

// sameDisk reports whether two paths are on one filesystem.
func sameDisk(a, b string) bool {
	var sa, sb syscall.Stat_t
	if syscall.Stat(a, &sa) != nil || syscall.Stat(b, &sb) != nil {
		return false
	}
	return sa.Dev == sb.Dev
}

// backupOverSSH makes the copy in a temporary directory here, verifies it,
// and sends it through the system's ssh (its keys, known hosts and
// password prompt: no secret passes kioskctl's command line) to DIR on
// HOST, where it is renamed into place once whole, and the older copies
// beyond keep are removed.
func backupOverSSH(ctx context.Context, e *env, l *ledger.Ledger, host, dir, name, prefix string, keep int) error {
	ssh, err := exec.LookPath("ssh")
	if err != nil {
		return errors.New("no ssh here to send the copy with: sudo apt install openssh-client")
	}
	tmp, err := os.MkdirTemp("", "hongmajia-backup-")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(tmp)
	local := filepath.Join(tmp, name)
	rep, size, err := backupFile(ctx, e, l, local)
	if err != nil {
		return err
	}
	file, err := os.Open(local)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer file.Close()
	// One POSIX sh script, so a password is asked once.
	script := strings.Join([]string{
		"set -e",
		"mkdir -p -- " + shq(dir),
		"cd -- " + shq(dir),
		"cat > " + shq("."+name+".part"),
		"mv -f -- " + shq("."+name+".part") + " " + shq(name),
		`echo "size=$(wc -c < ` + shq(name) + `)"`,
	}, "\n")
	if keep > 0 {
		script += "\n" + "ls -1 | grep -E " + shq("^"+regexp.QuoteMeta(prefix)+"[0-9]{8}-[0-9]{6}\\.db$") +
			" | sort -r | tail -n +" + strconv.Itoa(keep+1) + ` | while read -r f; do rm -f -- "$f"; echo "removed=$f"; done`
	}
	cmd := exec.CommandContext(ctx, ssh, "--", host, script)
	cmd.Stdin = file
	cmd.Stderr = e.stderr
	answer, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: the copy to %s:%s was not finished (a .part file may be left there): %w", host, dir, errInterrupted)
		}
		return fmt.Errorf("send the copy to %s:%s with ssh: %w (ssh says why above)", host, dir, err)
	}
	var sent int64 = -1
	var removed []string
	for line := range strings.Lines(string(answer)) {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "size="); ok {
			sent, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		} else if v, ok := strings.CutPrefix(line, "removed="); ok {
			removed = append(removed, v)
		}
	}
	if sent != size {
		return fmt.Errorf("the copy on %s:%s/%s has %d bytes, %d were sent: try again", host, dir, name, sent, size)
	}
	fmt.Fprintf(e.stdout, "wrote %s:%s/%s: %s, %d entries; verified (integrity, hash chain, sequences, balances, stock) before sending, size checked there\n",
		host, dir, name, humanBytes(uint64(size)), rep.Entries)
	for _, r := range removed {
		fmt.Fprintf(e.stdout, "removed %s:%s/%s (keeping the newest %d)\n", host, dir, r, keep)
	}
	return nil
}

// shq quotes s for a POSIX shell.
func shq(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// sameFile reports whether two paths name one file.
func sameFile(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}
