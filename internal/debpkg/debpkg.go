// Package debpkg builds the Debian packages hongmajia-kiosk and
// hongmajia-hub with nfpm, from built binaries and the repository's deploy/
// files: the units, the sysusers and tmpfiles snippets, the udev rules, the
// configuration (conffiles) and the maintainer scripts. `make deb` runs it
// through its command, mkdeb.
//
// What goes where is read from deploy/ by kind, not listed file by file,
// so a unit or a session script added there is packaged; a file in those
// directories the package has no place for is an error, never dropped.
package debpkg

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"time"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
)

// Options say what to package.
type Options struct {
	// Root is the repository: deploy/ and README.md are read from it.
	Root string
	// Bin holds the binaries built for Arch (kiosk, kiosk-screen, kioskctl,
	// hubd).
	Bin string
	// Arch is Debian's name of the architecture: amd64 or arm64.
	Arch string
	// Version is the packages' version, a Debian version starting with a
	// digit, e.g. 0.11.1532.
	Version string
	// MTime is every file's time in the packages (a build of the same
	// commit is the same bytes).
	MTime time.Time
}

// Arches are the architectures the packages are built for: the Pi, and a
// PC (the hub, the tests).
var Arches = []string{"amd64", "arm64"}

// Names of the two packages.
const (
	Kiosk = "hongmajia-kiosk"
	Hub   = "hongmajia-hub"
)

// Where hongmajia-kiosk puts its programs, and the versions directory its
// postinst seeds them into (kiosk/update's; on the data partition).
const (
	ProgramDir  = "/usr/lib/hongmajia/bin"
	VersionsDir = "/var/lib/hongmajia/versions"
)

const (
	maintainer = "Hongmajia <hongmajia@localhost>"
	homepage   = "https://github.com/hongmajia/hongmajia"
	unitDir    = "/usr/lib/systemd/system"
)

// kioskDepends are what kiosk-screen needs at run time on Debian bookworm,
// trixie and Raspberry Pi OS: libX11 and libasound are linked; GLFW opens
// the other X libraries and ebiten the GL ones by name (libGLESv2 first on
// a Pi), Mesa draws; a bare X server with libinput for the touch panel
// (`kiosk session` starts it itself with its cookie, blanking off: no
// xinit, xset or xauth). trixie renamed libasound2 libasound2t64 (which
// provides the old name).
var kioskDepends = []string{
	"libc6",
	"libasound2t64 | libasound2",
	"libx11-6", "libx11-xcb1", "libxext6", "libxrender1",
	"libxcursor1", "libxrandr2", "libxinerama1", "libxi6", "libxxf86vm1",
	"libgl1", "libgles2", "libegl1", "libglx-mesa0", "libgl1-mesa-dri",
	"xserver-xorg-core", "xserver-xorg-input-libinput",
	"systemd",
}

// KioskInfo describes hongmajia-kiosk: the terminal (touch kiosk or
// headless station) and the technician's kioskctl.
func KioskInfo(o Options) (*nfpm.Info, error) {
	var c contents
	// The programs go to ProgramDir, which postinst seeds as a version
	// of the versions directory. /usr/bin/kioskctl is a copy, root's:
	// root (postinst, the units' ExecStartPre, sudo) never runs a program
	// found through the data directory, which the kiosk's user owns. The
	// kiosk and its screen run through the current version, relative
	// links so that a dpkg --root install resolves inside its root.
	for _, b := range []string{"kiosk", "kiosk-screen", "kioskctl"} {
		c.file(filepath.Join(o.Bin, b), ProgramDir+"/"+b, 0o755)
	}
	c.file(filepath.Join(o.Bin, "kioskctl"), "/usr/bin/kioskctl", 0o755)
	for _, b := range []string{"kiosk", "kiosk-screen"} {
		c.symlink("../.."+VersionsDir+"/current/"+b, "/usr/bin/"+b)
	}
	if err := c.units(filepath.Join(o.Root, "deploy", "systemd"), "hongmajia"); err != nil {
		return nil, err
	}
	if err := c.dir(filepath.Join(o.Root, "deploy", "udev"), "/usr/lib/udev/rules.d", false); err != nil {
		return nil, err
	}
	if err := c.conffiles(filepath.Join(o.Root, "deploy", "etc"), "/etc/hongmajia"); err != nil {
		return nil, err
	}
	c.file(filepath.Join(o.Root, "README.md"), "/usr/share/doc/"+Kiosk+"/README.md", 0o644)
	info := o.info(Kiosk, c)
	info.Description = "Hongmajia volunteer-points kiosk (红马甲)\n" +
		"The touch-screen kiosk (kiosk, kiosk-screen) or headless station of a\n" +
		"center, its SQLite ledger in /var/lib/hongmajia, and the technician's\n" +
		"kioskctl; the systemd units, the user hongmajia and the udev rules for\n" +
		"the SPI reader, GPIO and keyboard-wedge readers."
	info.Depends = kioskDepends
	// The embedded fonts cover GB2312 and the 通用规范汉字表; a system CJK
	// font draws rarer characters (Noto Sans CJK first, with its bold).
	info.Recommends = []string{"fonts-wqy-microhei"}
	info.Suggests = []string{"fonts-noto-cjk"}
	return info, o.scripts(info, Kiosk)
}

// HubInfo describes hongmajia-hub: hubd and its unit.
func HubInfo(o Options) (*nfpm.Info, error) {
	var c contents
	c.file(filepath.Join(o.Bin, "hubd"), "/usr/bin/hubd", 0o755)
	if err := c.units(filepath.Join(o.Root, "deploy", "hub"), "hongmajia-hub"); err != nil {
		return nil, err
	}
	c.conf(filepath.Join(o.Root, "deploy", "hub", "hongmajia-hub.default"), "/etc/default/hongmajia-hub")
	c.file(filepath.Join(o.Root, "README.md"), "/usr/share/doc/"+Hub+"/README.md", 0o644)
	info := o.info(Hub, c)
	info.Description = "Hongmajia district hub (红马甲)\n" +
		"hubd: the district's registry, the kiosks' nightly sync and the hub's\n" +
		"web for district and center staff, in one SQLite file in\n" +
		"/var/lib/hongmajia-hub or a PostgreSQL database; its systemd unit, its\n" +
		"configuration /etc/hongmajia/hubd.toml and the user hongmajia-hub."
	info.Depends = []string{"libc6", "systemd"}
	return info, o.scripts(info, Hub)
}

func (o Options) info(name string, c contents) *nfpm.Info {
	info := &nfpm.Info{
		Name:       name,
		Arch:       o.Arch,
		Platform:   "linux",
		Version:    o.Version,
		Section:    "misc",
		Priority:   "optional",
		Maintainer: maintainer,
		Homepage:   homepage,
		MTime:      o.MTime,
		Overridables: nfpm.Overridables{
			Contents: c.list,
			Umask:    0o022,
		},
	}
	// Debian's version as given: nfpm would otherwise read it as semver.
	info.VersionSchema = "none"
	info.DisableGlobbing = true
	return nfpm.WithDefaults(info)
}

// scripts sets the maintainer scripts deploy/deb/NAME.{postinst,prerm,postrm}.
func (o Options) scripts(info *nfpm.Info, name string) error {
	for _, s := range []struct {
		ext string
		to  *string
	}{
		{"postinst", &info.Scripts.PostInstall},
		{"prerm", &info.Scripts.PreRemove},
		{"postrm", &info.Scripts.PostRemove},
	} {
		p := filepath.Join(o.Root, "deploy", "deb", name+"."+s.ext)
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("debpkg: %s's %s: %w", name, s.ext, err)
		}
		*s.to = p
	}
	return nil
}

// contents gathers a package's files.
type contents struct{ list files.Contents }

func (c *contents) file(src, dst string, mode fs.FileMode) {
	c.list = append(c.list, &files.Content{
		Source: src, Destination: dst,
		FileInfo: &files.ContentFileInfo{Owner: "root", Group: "root", Mode: mode},
	})
}

// symlink adds a symbolic link at dst to target.
func (c *contents) symlink(target, dst string) {
	c.list = append(c.list, &files.Content{
		Source: target, Destination: dst, Type: files.TypeSymlink,
		FileInfo: &files.ContentFileInfo{Owner: "root", Group: "root", Mode: 0o777},
	})
}

// conf adds a conffile: an edited one survives an upgrade.
func (c *contents) conf(src, dst string) {
	c.list = append(c.list, &files.Content{
		Source: src, Destination: dst, Type: files.TypeConfig,
		FileInfo: &files.ContentFileInfo{Owner: "root", Group: "root", Mode: 0o644},
	})
}

// units adds dir's systemd units, base.sysusers and base.tmpfiles as the
// snippets the postinst applies, and each NAME.toml as the conffile
// /etc/hongmajia/NAME.toml (the hub's hubd.toml); base.default is the
// package's to add (a conffile).
func (c *contents) units(dir, base string) error {
	names, err := listDir(dir)
	if err != nil {
		return err
	}
	for _, n := range names {
		src := filepath.Join(dir, n)
		switch ext := path.Ext(n); {
		case slices.Contains([]string{".service", ".socket", ".timer", ".path", ".target"}, ext):
			c.file(src, unitDir+"/"+n, 0o644)
		case n == base+".sysusers":
			c.file(src, "/usr/lib/sysusers.d/"+base+".conf", 0o644)
		case n == base+".tmpfiles":
			c.file(src, "/usr/lib/tmpfiles.d/"+base+".conf", 0o644)
		case n == base+".default":
			// a conffile, added by its package
		case ext == ".toml":
			// A configuration every command reads, not only the unit:
			// it holds no secret (a password in it is refused), so it is
			// 0644 as /etc/default's.
			c.conf(src, "/etc/hongmajia/"+n)
		default:
			return fmt.Errorf("debpkg: %s: no place for it in the package (a unit, %s.sysusers, %s.tmpfiles or a NAME.toml)", src, base, base)
		}
	}
	return nil
}

// dir adds every file of src under dst, 0644, or with the repository's
// execute bits when exec.
func (c *contents) dir(src, dst string, exec bool) error {
	names, err := listDir(src)
	if err != nil {
		return err
	}
	for _, n := range names {
		p := filepath.Join(src, n)
		mode := fs.FileMode(0o644)
		if exec {
			st, err := os.Stat(p)
			if err != nil {
				return fmt.Errorf("debpkg: %w", err)
			}
			if st.Mode()&0o100 != 0 {
				mode = 0o755
			}
		}
		c.file(p, dst+"/"+n, mode)
	}
	return nil
}

// conffiles adds every file under src as a conffile at the same place
// under dst.
func (c *contents) conffiles(src, dst string) error {
	n := 0
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file", p)
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		c.conf(p, dst+"/"+filepath.ToSlash(rel))
		n++
		return nil
	})
	if err != nil {
		return fmt.Errorf("debpkg: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("debpkg: no configuration in %s", src)
	}
	return nil
}

// listDir is dir's regular files, by name; a directory in it is an error
// (nothing in the package would take its files).
func listDir(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("debpkg: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.Type().IsRegular() {
			return nil, fmt.Errorf("debpkg: %s: not a regular file", filepath.Join(dir, e.Name()))
		}
		names = append(names, e.Name())
	}
	return names, nil
}

// Build writes the package info describes and returns its bytes.
func Build(info *nfpm.Info) ([]byte, error) {
	for _, c := range info.Contents {
		if c.Source == "" || c.Type == files.TypeSymlink {
			continue
		}
		if _, err := os.Stat(c.Source); err != nil {
			// A binary not built says which make target builds it.
			return nil, fmt.Errorf("debpkg: %s: %w (make build, make build-pi)", info.Name, err)
		}
	}
	if err := nfpm.Validate(info); err != nil {
		return nil, fmt.Errorf("debpkg: %s: %w", info.Name, err)
	}
	var buf bytes.Buffer
	if err := deb.Default.Package(info, &buf); err != nil {
		return nil, fmt.Errorf("debpkg: %s: %w", info.Name, err)
	}
	return buf.Bytes(), nil
}

// FileName is the package's conventional name, NAME_VERSION_ARCH.deb.
func FileName(info *nfpm.Info) string {
	return deb.Default.ConventionalFileName(info)
}

// WriteAll builds both packages for o.Arch into dir and returns their
// paths.
func WriteAll(o Options, dir string) ([]string, error) {
	return Write(o, dir, Kiosk, Hub)
}

// Write builds the packages named (Kiosk, Hub) for o.Arch into dir and
// returns their paths.
func Write(o Options, dir string, names ...string) ([]string, error) {
	if o.Version == "" || o.Version[0] < '0' || o.Version[0] > '9' {
		return nil, fmt.Errorf("debpkg: version %q: a Debian version starts with a digit", o.Version)
	}
	if !slices.Contains(Arches, o.Arch) {
		return nil, fmt.Errorf("debpkg: architecture %q: want one of %v", o.Arch, Arches)
	}
	var paths []string
	for _, name := range names {
		describe := map[string]func(Options) (*nfpm.Info, error){Kiosk: KioskInfo, Hub: HubInfo}[name]
		if describe == nil {
			return nil, fmt.Errorf("debpkg: no package %q: %s or %s", name, Kiosk, Hub)
		}
		info, err := describe(o)
		if err != nil {
			return nil, err
		}
		b, err := Build(info)
		if err != nil {
			return nil, err
		}
		p := filepath.Join(dir, FileName(info))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return nil, fmt.Errorf("debpkg: %w", err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}
