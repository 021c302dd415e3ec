package buildinfo

import "testing"

// A development build (no -X) has no release and names a commit or "dev";
// a release build names its version (the end-to-end update test builds
// the programs with -X and reads it back from kioskctl status).
func TestVersion(t *testing.T) {
	if Release() != "" {
		t.Fatalf("Release() = %q in a test build", Release())
	}
	if v := Version(); v == "" {
		t.Error("Version() is empty without -X")
	}
	version = "1.4.2"
	defer func() { version = "" }()
	if Version() != "1.4.2" || Release() != "1.4.2" {
		t.Errorf("with version set: %q %q", Version(), Release())
	}
}
