package update_test

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/hongmajia/hongmajia/kiosk/update"
)

func TestCompareVersions(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.0.0", "1.0.0", 0},
		{"1.0.0", "1.0.1", -1},
		{"1.10.0", "1.9.9", 1},
		{"2", "1.99", 1},
		{"1.5", "1.5.0", 0},
		{"1.5.0-rc1", "1.5.0", -1},
		{"1.5.0-rc2", "1.5.0-rc1", 1},
		{"2025.11.3", "2025.2.30", 1},
	} {
		if got := update.CompareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("CompareVersions(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := update.CompareVersions(tc.b, tc.a); got != -tc.want {
			t.Errorf("CompareVersions(%s, %s) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
}

func TestBinaryArch(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{exe: runtime.GOARCH, "version_test.go": ""} {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := update.BinaryArch(f)
		f.Close()
		if err != nil || got != want {
			t.Errorf("BinaryArch(%s) = %q, %v; want %q", path, got, err, want)
		}
	}
}

func TestSeedMakesTheNewerPackageCurrent(t *testing.T) {
	versions := filepath.Join(t.TempDir(), "versions")
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "kioskctl"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		version       string
		made          bool
		current, prev string
	}{
		{"1.0.0", true, "1.0.0", ""},
		{"1.0.0", false, "1.0.0", ""}, // reinstalled
		{"0.9.0", false, "1.0.0", ""}, // older
		{"1.1.0", true, "1.1.0", "1.0.0"},
	} {
		made, err := update.Seed(versions, src, tc.version, runtime.GOARCH, 6)
		if err != nil || made != tc.made {
			t.Fatalf("Seed %s = %v, %v; want %v", tc.version, made, err, tc.made)
		}
		in, err := update.ReadInstalled(versions)
		if err != nil || in.Current != tc.current || in.Previous != tc.prev {
			t.Fatalf("after Seed %s: %+v %v", tc.version, in, err)
		}
	}
	// current/kioskctl is the package's program, through the link.
	if b, err := os.ReadFile(filepath.Join(versions, "current", "kioskctl")); err != nil || string(b) != "#!/bin/sh\n" {
		t.Errorf("current/kioskctl: %q %v", b, err)
	}
	if _, err := update.Seed(versions, src, "v2", runtime.GOARCH, 6); err == nil {
		t.Error("Seed took a version that is not numbers")
	}
}
