package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hongmajia/hongmajia/ledger"
)

// stick is a directory on another filesystem than the test's data
// directories, as a USB stick is: /dev/shm, a tmpfs.
func stick(t *testing.T, data string) string {
	t.Helper()
	dir, err := os.MkdirTemp("/dev/shm", "hmj-usb")
	if err != nil {
		t.Fatalf("a directory on another disk for the test (/dev/shm): %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if sameDisk(dir, data) {
		t.Fatalf("/dev/shm is on the disk of %s here: the test needs another", data)
	}
	return dir
}

func touch(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("an older backup"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// A dated, verified copy on the stick; this kiosk's older copies beyond
// --keep removed, another kiosk's and other files left alone.
func TestBackupToAStickIsDatedAndKept(t *testing.T) {
	data := demoData(t)
	term := openDemo(t, data).Terminal().ID
	usb := stick(t, data)
	prefix := backupPrefix(term)
	other := backupPrefix("T-other") + "20240101-000000.db"
	touch(t, usb, prefix+"20240101-000000.db", prefix+"20240102-000000.db", prefix+"20240103-000000.db", other, "notes.txt")

	out := must(t, "backup", "--data", data, "--to", usb, "--keep", "2")
	got := names(t, usb)
	var fresh string
	for _, n := range got {
		if isDatedBackup(n, prefix) && !strings.HasPrefix(n, prefix+"2024") {
			fresh = n
		}
	}
	if fresh == "" {
		t.Fatalf("no new dated copy in %v", got)
	}
	want := []string{fresh, prefix + "20240103-000000.db", other, "notes.txt"}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("on the stick: %v, want %v", got, want)
	}
	wantIn(t, "stdout", out, "wrote "+filepath.Join(usb, fresh), "verified",
		"removed "+filepath.Join(usb, prefix+"20240101-000000.db"), "removed "+filepath.Join(usb, prefix+"20240102-000000.db"))
	if rep, err := ledger.VerifyFile(context.Background(), filepath.Join(usb, fresh)); err != nil || !rep.OK() || rep.Entries == 0 {
		t.Fatalf("the copy: %v %+v", err, rep)
	}

	// --keep 0 keeps everything.
	touch(t, usb, prefix+"20230101-000000.db")
	os.Remove(filepath.Join(usb, fresh))
	must(t, "backup", "--data", data, "--to", usb, "--keep", "0")
	if n := len(names(t, usb)); n != 5 {
		t.Errorf("--keep 0 left %d files: %v", n, names(t, usb))
	}
}

func TestBackupToBadTargets(t *testing.T) {
	data := demoData(t)
	usb := stick(t, data)
	for name, tc := range map[string]struct {
		args []string
		code int
		want string
	}{
		"the ledger's own disk": {[]string{"--to", t.TempDir()}, 1, "same disk as the ledger"},
		"no stick mounted":      {[]string{"--to", filepath.Join(usb, "gone")}, 1, "is the USB stick mounted"},
		"a file":                {[]string{"--to", filepath.Join(data, ledger.FileName)}, 1, "not a directory"},
		"both -o and --to":      {[]string{"--to", usb, "-o", filepath.Join(usb, "x.db")}, 2, "one or the other"},
		"a negative keep":       {[]string{"--to", usb, "--keep", "-1"}, 2, "--keep -1"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := kioskctl(t, append([]string{"backup", "--data", data}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, stderr)
			}
			wantIn(t, "stderr", stderr, tc.want)
		})
	}
	if n := names(t, usb); len(n) != 0 {
		t.Errorf("something was written: %v", n)
	}
}

// fakeSSH puts an ssh in PATH that runs the remote command here, in home,
// with sh, as the server's shell would: the network is the only part
// left out.
func fakeSSH(t *testing.T, home string) {
	t.Helper()
	bin := t.TempDir()
	script := `#!/bin/sh
[ "$1" = "--" ] && shift
echo "$1" > "$FAKE_SSH_HOME/.host"
cd "$FAKE_SSH_HOME" || exit 255
exec sh -c "$2"
`
	if err := os.WriteFile(filepath.Join(bin, "ssh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	t.Setenv("FAKE_SSH_HOME", home)
}

func TestBackupOverSSH(t *testing.T) {
	data := demoData(t)
	term := openDemo(t, data).Terminal().ID
	prefix := backupPrefix(term)
	home := t.TempDir()
	fakeSSH(t, home)
	remoteDir := filepath.Join(home, "kiosks", "和平里")
	if err := os.MkdirAll(remoteDir, 0o755); err != nil {
		t.Fatal(err)
	}
	touch(t, remoteDir, prefix+"20240101-000000.db", prefix+"20240102-000000.db", "notes.txt")

	out := must(t, "backup", "--data", data, "--to", "tech@nas:kiosks/和平里", "--keep", "2")
	if b, _ := os.ReadFile(filepath.Join(home, ".host")); strings.TrimSpace(string(b)) != "tech@nas" {
		t.Errorf("ssh to %q", b)
	}
	got := names(t, remoteDir)
	var fresh string
	for _, n := range got {
		if isDatedBackup(n, prefix) && !strings.HasPrefix(n, prefix+"2024") {
			fresh = n
		}
	}
	want := []string{fresh, prefix + "20240102-000000.db", "notes.txt"}
	slices.Sort(want)
	if fresh == "" || !slices.Equal(got, want) {
		t.Fatalf("on the server: %v, want %v", got, want)
	}
	wantIn(t, "stdout", out, "wrote tech@nas:kiosks/和平里/"+fresh, "size checked there", "removed tech@nas:kiosks/和平里/"+prefix+"20240101-000000.db")
	if rep, err := ledger.VerifyFile(context.Background(), filepath.Join(remoteDir, fresh)); err != nil || !rep.OK() || rep.Entries == 0 {
		t.Fatalf("the copy: %v %+v", err, rep)
	}

	// A server that cannot take it: said, and exit 1.
	touch(t, home, "blocker")
	code, _, stderr := kioskctl(t, "backup", "--data", data, "--to", "tech@nas:blocker/kiosks")
	if code != 1 || !strings.Contains(stderr, "send the copy to tech@nas:blocker/kiosks with ssh") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}
