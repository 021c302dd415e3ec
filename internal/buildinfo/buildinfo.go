// Package buildinfo is the version a program was built as. A release
// build (make deb, make bundle) sets it with the linker:
//
//	go build -ldflags "-X github.com/hongmajia/hongmajia/internal/buildinfo.version=1.4.2"
//
// so kioskctl status, the control socket's status, the hub and
// `kiosk --version` name the release; a development build names the commit.
package buildinfo

import "runtime/debug"

// version is set by -X at a release build; empty otherwise.
var version string

// Version is the release version the build was given, else the first 12
// digits of the commit it was built from, else "dev".
func Version() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return s.Value[:12]
		}
	}
	return "dev"
}

// Release is the release version the build was given by -X, "" for a
// development build.
func Release() string { return version }
