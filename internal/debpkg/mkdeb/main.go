// Command mkdeb builds the Debian packages hongmajia-kiosk and
// hongmajia-hub for one architecture from built binaries (`make deb` runs
// it for amd64 and arm64):
//
//	mkdeb --arch arm64 --bin bin/arm64 --version 0.11.1532 -o dist
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/hongmajia/hongmajia/internal/debpkg"
)

func main() {
	arch := flag.String("arch", "amd64", "Debian architecture: amd64 or arm64")
	bin := flag.String("bin", "bin", "directory of the binaries built for --arch")
	version := flag.String("version", "", "the packages' version (a Debian version, starting with a digit)")
	root := flag.String("root", ".", "the repository (deploy/, README.md)")
	out := flag.String("o", "dist", "directory to write the packages to")
	epoch := flag.String("mtime", os.Getenv("SOURCE_DATE_EPOCH"), "the files' time in the packages, seconds since 1970 (the commit's: the same commit makes the same packages)")
	only := flag.String("package", "", "build only this package ("+debpkg.Kiosk+" or "+debpkg.Hub+"); default both")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "mkdeb: no arguments expected; see mkdeb --help")
		os.Exit(2)
	}
	secs, err := strconv.ParseInt(*epoch, 10, 64)
	if err != nil {
		fmt.Fprintf(os.Stderr, "mkdeb: --mtime %q: want seconds since 1970\n", *epoch)
		os.Exit(2)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "mkdeb:", err)
		os.Exit(1)
	}
	names := []string{debpkg.Kiosk, debpkg.Hub}
	if *only != "" {
		names = []string{*only}
	}
	paths, err := debpkg.Write(debpkg.Options{
		Root: *root, Bin: *bin, Arch: *arch, Version: *version, MTime: time.Unix(secs, 0).UTC(),
	}, *out, names...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkdeb:", err)
		os.Exit(1)
	}
	for _, p := range paths {
		fmt.Println(p)
	}
}
