package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
	"github.com/hongmajia/hongmajia/record"
)

// The kiosk's user (uid and gid kioskUID) owns the data directory (0750) and
// the ledger (0640, as the units' UMask=0027 makes it); a technician in its
// group (technicianUID) looks without sudo, a stranger is told how to.
const (
	kioskUID      = 4242
	technicianUID = 4343
	strangerUID   = 4444
)

// TestTechniciansLookWithoutSudo: status, verify, export and backup as a
// member of the kiosk's group, on a stopped kiosk's ledger (no WAL index:
// the group may not make one in the directory) and on a running one's (its
// WAL holds writes not yet in the file), change nothing of the data
// directory and see every entry.
func TestTechniciansLookWithoutSudo(t *testing.T) {
	for _, running := range []bool{false, true} {
		name := "stopped"
		if running {
			name = "running"
		}
		t.Run(name, func(t *testing.T) {
			base, err := os.MkdirTemp("", "hmj-group")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(filepath.Join(base, "data"), 0o700); os.RemoveAll(base) })
			if err := os.Chmod(base, 0o755); err != nil {
				t.Fatal(err)
			}
			data := filepath.Join(base, "data")
			if err := os.Rename(demoData(t), data); err != nil {
				t.Fatal(err)
			}
			var entries int64
			if running {
				// A terminal at work: the ledger open for writing, its last
				// write in the WAL only.
				l, err := ledger.Open(context.Background(), data, ledger.Options{PIN: ledgertest.CheapPIN})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { l.Close() })
				if _, err := l.EnrolPerson(context.Background(), ledger.EnrolPerson{ID: record.NewEntryID(), MemberNo: "GRP-1", Name: "周玥", Kind: record.Resident}); err != nil {
					t.Fatal(err)
				}
				st, err := l.Status(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				entries = st.Entries
			} else {
				l := openDemo(t, data)
				st, err := l.Status(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				entries = st.Entries
				l.Close()
			}
			out := filepath.Join(base, "out")
			if err := os.Mkdir(out, 0o755); err != nil {
				t.Fatal(err)
			}

			look := func(args ...string) (int, string) {
				return kioskctlInProcess(t, args...)
			}
			if os.Geteuid() == 0 {
				shareWithGroup(t, data, out)
				bin := publicCopy(t)
				look = func(args ...string) (int, string) {
					return kioskctlAs(t, bin, technicianUID, []uint32{kioskUID}, args...)
				}
				code, got := kioskctlAs(t, bin, strangerUID, nil, "status", "--data", data)
				if code != 1 || !strings.Contains(got, "join the hongmajia group") {
					t.Errorf("a stranger's status: exit %d\n%s", code, got)
				}
			} else if !running {
				// Not root: the directory the looker may not write is made
				// so by taking write away from its owner, this user.
				if err := os.Chmod(data, 0o550); err != nil {
					t.Fatal(err)
				}
			}
			before := listDir(t, data)
			for _, args := range [][]string{
				{"status", "--json"},
				{"verify"},
				{"export", "--format", "csv", "-o", filepath.Join(out, "entries.csv")},
				{"backup", "-o", filepath.Join(out, "backup.db")},
			} {
				code, got := look(append(args, "--data", data)...)
				if code != 0 {
					t.Errorf("kioskctl %s: exit %d\n%s", strings.Join(args, " "), code, got)
				}
				if args[0] == "status" && !strings.Contains(got, `"entries": `+strconv.FormatInt(entries, 10)) {
					t.Errorf("status does not count %d entries:\n%s", entries, got)
				}
			}
			if after := listDir(t, data); after != before {
				t.Errorf("the data directory changed:\nbefore %s\nafter  %s", before, after)
			}
			rep, err := ledger.VerifyFile(context.Background(), filepath.Join(out, "backup.db"))
			if err != nil || !rep.OK() || int64(rep.Entries) != entries {
				t.Errorf("the backup: %v %+v, want %d entries", err, rep, entries)
			}
		})
	}
}

// listDir is the data directory's files, their sizes and modes.
func listDir(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %d %v; ", e.Name(), fi.Size(), fi.Mode())
	}
	return b.String()
}

// shareWithGroup makes data the kiosk user's, as a package installs it
// and the kiosk writes it, and out the technician's.
func shareWithGroup(t *testing.T, data, out string) {
	t.Helper()
	ents, err := os.ReadDir(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		p := filepath.Join(data, e.Name())
		mode := os.FileMode(0o640)
		if e.Name() == "kiosk.lock" || e.Name() == "kiosk.key" {
			mode = 0o600
		}
		if err := os.Chown(p, kioskUID, kioskUID); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(data, kioskUID, kioskUID); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(data, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(out, technicianUID, technicianUID); err != nil {
		t.Fatal(err)
	}
}

// publicCopy is this test binary where other users may run it.
func publicCopy(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "hmj-bin")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "kioskctl")
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// kioskctlAs runs kioskctl as another user with groups, and returns its
// exit code and its output.
func kioskctlAs(t *testing.T, bin string, uid uint32, groups []uint32, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HONGMAJIA_KIOSKCTL_MAIN=1", "HOME=/nonexistent")
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid, Groups: groups}}
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

func kioskctlInProcess(t *testing.T, args ...string) (int, string) {
	t.Helper()
	code, out, stderr := kioskctl(t, args...)
	return code, out + stderr
}
