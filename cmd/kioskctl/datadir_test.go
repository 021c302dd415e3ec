package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hongmajia/hongmajia/ledger"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
)

func init() { demoPIN = ledgertest.CheapPIN }

// kioskctl runs the tool as main does and returns its exit code and output.
func kioskctl(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(&env{stdout: &out, stderr: &errb}, args)
	return code, out.String(), errb.String()
}

// demoTemplate is a small demo ledger made once with kioskctl demo; each
// test gets its own copy (making one takes seconds under -race).
var demoTemplate struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	// A test runs this binary as kioskctl itself to signal or kill it.
	if os.Getenv("HONGMAJIA_KIOSKCTL_MAIN") == "1" {
		main()
	}
	code := m.Run()
	if demoTemplate.dir != "" {
		os.RemoveAll(demoTemplate.dir)
	}
	for _, f := range cleanups {
		f()
	}
	os.Exit(code)
}

// cleanups run when every test has: what tests share is removed then.
var cleanups []func()

// demoData returns a fresh copy of a data directory that kioskctl demo made.
func demoData(t *testing.T) string {
	t.Helper()
	demoTemplate.once.Do(func() {
		if demoTemplate.dir, demoTemplate.err = os.MkdirTemp("", "kioskctl-demo-"); demoTemplate.err != nil {
			return
		}
		var out, errb bytes.Buffer
		args := []string{"demo", "--data", filepath.Join(demoTemplate.dir, "data"), "--people", "15", "--entries", "150"}
		if code := run(&env{stdout: &out, stderr: &errb}, args); code != 0 {
			demoTemplate.err = fmt.Errorf("kioskctl demo: exit %d: %s", code, errb.String())
		}
	})
	if demoTemplate.err != nil {
		t.Fatal(demoTemplate.err)
	}
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(demoTemplate.dir, "data"))); err != nil {
		t.Fatalf("copy demo data: %v", err)
	}
	return dir
}

// openDemo opens a data directory for a test to read or write beside kioskctl.
func openDemo(t *testing.T, dir string) *ledger.Ledger {
	t.Helper()
	l, err := ledger.Open(context.Background(), dir, ledger.Options{PIN: ledgertest.CheapPIN})
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func wantIn(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s does not say %q:\n%s", what, w, got)
		}
	}
}

func TestPadRightCountsChineseAsTwoColumns(t *testing.T) {
	for _, tc := range []struct {
		in    string
		width int
		want  string
	}{
		{"people", 8, "people  "},
		{"人员", 6, "人员  "},
		{"王堃 x", 8, "王堃 x  "},
		{"toolongtext", 4, "toolongtext"},
	} {
		if got := padRight(tc.in, tc.width); got != tc.want {
			t.Errorf("padRight(%q, %d) = %q, want %q", tc.in, tc.width, got, tc.want)
		}
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[uint64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 30: "5.0 GiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
