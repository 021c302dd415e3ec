// Package image_test tests mkimage.sh, which makes a kiosk's SD card image
// from Raspberry Pi OS, and the first-boot script it puts in the image.
//
// No Raspberry Pi OS image is downloaded: the test builds a small one of
// the same shape (an MBR with a FAT boot partition holding config.txt and
// cmdline.txt, and an ext4 root made with mkfs.ext4 -d from a tree with
// /etc/fstab, /etc/os-release and a dpkg database), runs the script on it
// with --dpkg-root, and reads the result back from its partitions. The
// package is installed with dpkg --root and --force-depends rather than
// apt in a chroot: the synthetic root has no libc, shell or apt to run,
// and the test needs no network. It runs as root (loop devices, mount), as
// make test does.
package image_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/internal/debpkg"
	"github.com/hongmajia/hongmajia/kiosk/update"
)

const repo = "../.."

const (
	mib      = 1 << 20
	diskID   = "0x1234abcd"
	bootSize = 16 * mib
	rootSize = 48 * mib
	bootAt   = 4 * mib // where Raspberry Pi OS's first partition starts
)

var (
	configTxt  = "# Raspberry Pi OS\n#dtparam=spi=on\ndtparam=audio=on\n[pi4]\narm_boost=1\n"
	cmdlineTxt = "console=serial0,115200 console=tty1 root=PARTUUID=1234abcd-02 rootfstype=ext4 fsck.repair=yes rootwait quiet init=/usr/lib/raspberrypi-sys-mods/firstboot\n"
	fstab      = "proc  /proc  proc  defaults  0  0\nPARTUUID=1234abcd-01  /boot/firmware  vfat  defaults  0  2\nPARTUUID=1234abcd-02  /  ext4  defaults,noatime  0  1\n"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("the image test runs as root (as make test does): loop devices and mount")
	}
	for _, tool := range []string{"sfdisk", "mkfs.vfat", "mcopy", "mkfs.ext4", "xz", "dpkg"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: make test installs it (deploy/dev/ensure-deps.sh image)", tool)
		}
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func write(t *testing.T, path, s string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), mode); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// synthetic makes a Raspberry Pi OS-shaped image in dir: a Desktop one
// (its display manager enabled), so that the test sees it turned off.
// Without osRelease its root is not recognisably Linux.
func synthetic(t *testing.T, dir string, osRelease bool) string {
	t.Helper()
	tree := filepath.Join(dir, "tree")
	write(t, filepath.Join(tree, "etc/fstab"), fstab, 0o644)
	if osRelease {
		write(t, filepath.Join(tree, "etc/os-release"), "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_CODENAME=bookworm\n", 0o644)
	}
	write(t, filepath.Join(tree, "etc/passwd"), "root:x:0:0:root:/root:/bin/bash\n", 0o644)
	write(t, filepath.Join(tree, "etc/group"), "root:x:0:\nlp:x:7:\ndialout:x:20:\naudio:x:29:\nvideo:x:44:\nspi:x:995:\ngpio:x:996:\ninput:x:101:\nrender:x:102:\n", 0o644)
	write(t, filepath.Join(tree, "var/lib/dpkg/status"), "", 0o644)
	write(t, filepath.Join(tree, "var/lib/dpkg/available"), "", 0o644)
	for _, d := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates", "boot/firmware", "tmp", "usr/sbin"} {
		if err := os.MkdirAll(filepath.Join(tree, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(tree, "etc/systemd/system"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/lib/systemd/system/lightdm.service", filepath.Join(tree, "etc/systemd/system/display-manager.service")); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "root.ext4")
	run(t, "mkfs.ext4", "-q", "-F", "-L", "rootfs", "-d", tree, root, strconv.Itoa(rootSize/1024))

	boot := filepath.Join(dir, "boot.vfat")
	run(t, "mkfs.vfat", "-C", "-n", "bootfs", boot, strconv.Itoa(bootSize/1024))
	write(t, filepath.Join(dir, "config.txt"), configTxt, 0o644)
	write(t, filepath.Join(dir, "cmdline.txt"), cmdlineTxt, 0o644)
	run(t, "mcopy", "-i", boot, filepath.Join(dir, "config.txt"), filepath.Join(dir, "cmdline.txt"), "::")

	img := filepath.Join(dir, "raspios.img")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(bootAt + bootSize + rootSize); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		file string
		at   int64
	}{{boot, bootAt}, {root, bootAt + bootSize}} {
		b, err := os.ReadFile(p.file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt(b, p.at); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	table := "label: dos\nlabel-id: " + diskID + "\nunit: sectors\n\n" +
		"start=8192, size=32768, type=c\nstart=40960, size=98304, type=83\n"
	cmd := exec.Command("sfdisk", "--quiet", img)
	cmd.Stdin = strings.NewReader(table)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sfdisk: %v\n%s", err, out)
	}
	return img
}

// kioskDeb builds hongmajia-kiosk for arm64 from the repository's deploy/
// with stand-in binaries (shell scripts): what the image test looks at is
// where the package's files land, not the programs.
func kioskDeb(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "bin")
	for _, b := range []string{"kiosk", "kiosk-screen", "kioskctl", "hubd"} {
		write(t, filepath.Join(bin, b), "#!/bin/sh\necho "+b+" 0.11.1\n", 0o755)
	}
	info, err := debpkg.KioskInfo(debpkg.Options{Root: repo, Bin: bin, Arch: "arm64", Version: "0.11.1",
		MTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := debpkg.Build(info)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, debpkg.FileName(info))
	write(t, p, string(b), 0o644)
	return p
}

// partition is one of sfdisk --json's.
type partition struct {
	Start int64  `json:"start"`
	Size  int64  `json:"size"`
	Type  string `json:"type"`
}

func partitions(t *testing.T, img string) (id string, parts []partition) {
	t.Helper()
	var table struct {
		PartitionTable struct {
			Label      string      `json:"label"`
			ID         string      `json:"id"`
			Partitions []partition `json:"partitions"`
		} `json:"partitiontable"`
	}
	if err := json.Unmarshal([]byte(run(t, "sfdisk", "--json", img)), &table); err != nil {
		t.Fatal(err)
	}
	if table.PartitionTable.Label != "dos" {
		t.Fatalf("%s: partition table %q, want dos", img, table.PartitionTable.Label)
	}
	return table.PartitionTable.ID, table.PartitionTable.Partitions
}

// mount mounts an ext4 partition of img read-only (mount sets up the loop
// device) and returns where.
func mount(t *testing.T, img string, p partition) string {
	t.Helper()
	dir := t.TempDir()
	run(t, "mount", "-t", "ext4", "-o", "ro,loop,offset="+strconv.FormatInt(p.Start*512, 10)+",sizelimit="+strconv.FormatInt(p.Size*512, 10), img, dir)
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v\n%s", dir, err, out)
		}
	})
	return dir
}

// fatRead reads a file of the FAT partition p of img with mtools (a
// container may have no vfat module to mount it with).
func fatRead(t *testing.T, img string, p partition, name string) string {
	t.Helper()
	cmd := exec.Command("mtype", "-i", img+"@@"+strconv.FormatInt(p.Start*512, 10), "::"+name)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("mtype %s: %v", name, err)
	}
	return string(out)
}

// ext4Super reads the volume name and the size from the superblock of the
// ext4 file system at a partition of img.
func ext4Super(t *testing.T, img string, p partition) (label string, size int64) {
	t.Helper()
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sb := make([]byte, 1024)
	if _, err := f.ReadAt(sb, p.Start*512+1024); err != nil {
		t.Fatal(err)
	}
	if magic := binary.LittleEndian.Uint16(sb[0x38:]); magic != 0xEF53 {
		t.Fatalf("partition at sector %d: no ext4 superblock (magic %#x)", p.Start, magic)
	}
	blocks := int64(binary.LittleEndian.Uint32(sb[0x4:])) | int64(binary.LittleEndian.Uint32(sb[0x150:]))<<32
	return string(bytes.TrimRight(sb[0x78:0x88], "\x00")), blocks << (10 + binary.LittleEndian.Uint32(sb[0x18:]))
}

// fsck checks a partition's ext4 file system, changing nothing.
func fsck(t *testing.T, img string, p partition) {
	t.Helper()
	part := filepath.Join(t.TempDir(), "part")
	src, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(part)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, io.NewSectionReader(src, p.Start*512, p.Size*512)); err != nil {
		t.Fatal(err)
	}
	dst.Close()
	run(t, "e2fsck", "-fn", part)
}

func link(t *testing.T, path string) string {
	t.Helper()
	s, err := os.Readlink(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mkimage(args ...string) (string, error) {
	cmd := exec.Command("bash", append([]string{"mkimage.sh"}, args...)...)
	cmd.Env = append(os.Environ(), "PATH=/usr/sbin:/usr/bin:/sbin:/bin")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestMkimageMakesAKioskImage(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	img := synthetic(t, dir, true)
	_, before := partitions(t, img)
	run(t, "xz", "-0", "-T1", img) // Raspberry Pi OS comes as .img.xz
	deb := kioskDeb(t, dir)

	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "haidian-release.pub")
	write(t, key, update.FormatPublicKey(pub, "海淀区 王工"), 0o644)
	config := filepath.Join(dir, "kiosk.toml")
	write(t, config, read(t, filepath.Join(repo, "deploy/etc/kiosk.toml"))+"\n# this center's\n", 0o644)
	firstboot := filepath.Join(dir, "hongmajia.txt")
	write(t, firstboot, "center = 和平里街道党群服务中心\ncenter_id = hepingli\n", 0o644)

	out := filepath.Join(dir, "kiosk.img")
	began := time.Now()
	got, err := mkimage("--image", img+".xz", "--deb", deb, "-o", out, "--key", key, "--config", config,
		"--firstboot", firstboot, "--dpkg-root", "--root-grow", "64M", "--data-size", "32M")
	if err != nil {
		t.Fatalf("mkimage: %v\n%s", err, got)
	}
	t.Logf("mkimage took %s:\n%s", time.Since(began).Round(time.Millisecond), got)
	if !strings.Contains(got, "--dpkg-root: the package's dependencies are not in the image") {
		t.Errorf("mkimage --dpkg-root does not say the dependencies are missing:\n%s", got)
	}
	if _, err := os.Stat(out + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s.tmp left behind: %v", out, err)
	}
	noLoops(t, dir)

	// The partitions: boot as it was, root grown, a data partition after it.
	id, parts := partitions(t, out)
	if id != diskID {
		t.Errorf("disk id %s, want %s kept (fstab and cmdline.txt name the partitions by it)", id, diskID)
	}
	if len(parts) != 3 {
		t.Fatalf("%d partitions, want 3: %+v", len(parts), parts)
	}
	if parts[0] != before[0] {
		t.Errorf("boot partition %+v, want %+v unchanged", parts[0], before[0])
	}
	if parts[1].Start != before[1].Start || parts[1].Size != before[1].Size+64*2048 || parts[1].Type != "83" {
		t.Errorf("root partition %+v, want %+v grown by 64 MiB", parts[1], before[1])
	}
	if d := parts[2]; d.Start < parts[1].Start+parts[1].Size || d.Start%8192 != 0 || d.Size != 32*2048 || d.Type != "83" {
		t.Errorf("data partition %+v, want 32 MiB of type 83 after the root, 4 MiB aligned", d)
	}
	if fi, err := os.Stat(out); err != nil || fi.Size() != (parts[2].Start+parts[2].Size)*512 {
		t.Errorf("image size %v (%v), want it to end with the data partition", fi.Size(), err)
	}
	if l, size := ext4Super(t, out, parts[1]); l != "rootfs" || size != parts[1].Size*512 {
		t.Errorf("root file system %q of %d MiB, want rootfs kept, grown to its partition's %d MiB", l, size/mib, parts[1].Size/2048)
	}
	if l, size := ext4Super(t, out, parts[2]); l != "hongmajia" || size != parts[2].Size*512 {
		t.Errorf("data file system %q of %d MiB, want hongmajia filling its partition's %d MiB", l, size/mib, parts[2].Size/2048)
	}
	fsck(t, out, parts[1])
	fsck(t, out, parts[2])

	root := mount(t, out, parts[1])
	data := mount(t, out, parts[2])

	// fstab: the data partition, written for real.
	wantFstab := fstab + "LABEL=hongmajia  /var/lib/hongmajia  ext4  defaults,noatime,commit=5  0  2\n"
	if got := read(t, filepath.Join(root, "etc/fstab")); got != wantFstab {
		t.Errorf("fstab:\n%s\nwant:\n%s", got, wantFstab)
	}
	// config.txt: SPI on for every Pi, after the [pi4] section.
	if got, want := fatRead(t, out, parts[0], "config.txt"), configTxt+"\n[all]\n# hongmajia: the MFRC522 card reader on SPI0\ndtparam=spi=on\n"; got != want {
		t.Errorf("config.txt:\n%s\nwant:\n%s", got, want)
	}
	// cmdline.txt: Raspberry Pi OS's resize of a root that is no longer
	// the last partition is gone; the rest stays.
	if got, want := fatRead(t, out, parts[0], "cmdline.txt"), strings.Replace(cmdlineTxt, " init=/usr/lib/raspberrypi-sys-mods/firstboot", "", 1); got != want {
		t.Errorf("cmdline.txt:\n%q\nwant:\n%q", got, want)
	}
	if got := read(t, filepath.Join(root, "etc/systemd/system.conf.d/hongmajia-watchdog.conf")); !regexp.MustCompile(`(?m)^\[Manager\]\nRuntimeWatchdogSec=15$`).MatchString(got) {
		t.Errorf("watchdog.conf:\n%s", got)
	}
	if got := link(t, filepath.Join(root, "etc/localtime")); got != "/usr/share/zoneinfo/Asia/Shanghai" {
		t.Errorf("/etc/localtime -> %s", got)
	}
	if got := read(t, filepath.Join(root, "etc/timezone")); got != "Asia/Shanghai\n" {
		t.Errorf("/etc/timezone %q", got)
	}
	if got := link(t, filepath.Join(root, "etc/systemd/system/default.target")); !strings.HasSuffix(got, "/systemd/system/multi-user.target") {
		t.Errorf("default.target -> %s, want multi-user.target (the console)", got)
	}
	if _, err := os.Lstat(filepath.Join(root, "etc/systemd/system/display-manager.service")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("display-manager.service still enabled: %v", err)
	}

	// The package: installed in dpkg's database, its files in place, the
	// kiosk enabled, the user made.
	if status := read(t, filepath.Join(root, "var/lib/dpkg/status")); !regexp.MustCompile(`(?m)^Package: hongmajia-kiosk\nStatus: install ok installed$`).MatchString(status) {
		t.Errorf("dpkg status has no installed hongmajia-kiosk:\n%s", status)
	}
	for _, f := range []string{"usr/lib/systemd/system/hongmajia-kiosk.service", "usr/lib/systemd/system/hongmajia-station.service", "usr/lib/udev/rules.d/60-hongmajia.rules", "usr/lib/sysusers.d/hongmajia.conf"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Errorf("the package's %s: %v", f, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(root, "usr/bin/kioskctl")); err != nil {
		t.Errorf("kioskctl: %v", err)
	}
	if got := link(t, filepath.Join(root, "etc/systemd/system/multi-user.target.wants/hongmajia-kiosk.service")); got != "/usr/lib/systemd/system/hongmajia-kiosk.service" {
		t.Errorf("hongmajia-kiosk.service enabled as %s", got)
	}
	if got := link(t, filepath.Join(root, "etc/systemd/system/multi-user.target.wants/hongmajia-update.path")); got != "/usr/lib/systemd/system/hongmajia-update.path" {
		t.Errorf("hongmajia-update.path enabled as %s (fleet updates through the hub)", got)
	}
	if _, err := os.Lstat(filepath.Join(root, "etc/systemd/system/multi-user.target.wants/hongmajia-station.service")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the station is enabled too: %v", err)
	}
	if got := read(t, filepath.Join(root, "etc/hongmajia/trusted-keys/haidian-release.pub")); got != read(t, key) {
		t.Errorf("trusted key:\n%s\nwant:\n%s", got, read(t, key))
	}
	if fi, err := os.Stat(filepath.Join(root, "etc/hongmajia/trusted-keys")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("trusted-keys: %v %v, want 0755", fi.Mode(), err)
	}
	if got := read(t, filepath.Join(root, "etc/hongmajia/kiosk.toml")); got != read(t, config) {
		t.Errorf("kiosk.toml:\n%s\nwant the one given", got)
	}
	var uid, gid uint32
	for line := range strings.Lines(read(t, filepath.Join(root, "etc/passwd"))) {
		if f := strings.Split(line, ":"); f[0] == "hongmajia" {
			u, _ := strconv.Atoi(f[2])
			g, _ := strconv.Atoi(f[3])
			uid, gid = uint32(u), uint32(g)
		}
	}
	if uid == 0 {
		t.Fatalf("no user hongmajia in the image's passwd:\n%s", read(t, filepath.Join(root, "etc/passwd")))
	}

	// The data partition is the data directory: the kiosk's, 0750.
	fi, err := os.Stat(data)
	if err != nil {
		t.Fatal(err)
	}
	if sys := fi.Sys().(*syscall.Stat_t); sys.Uid != uid || sys.Gid != gid || fi.Mode().Perm() != 0o750 {
		t.Errorf("data partition's top: %d:%d %v, want %d:%d 0750", sys.Uid, sys.Gid, fi.Mode().Perm(), uid, gid)
	}
	if fi, err := os.Stat(filepath.Join(root, "var/lib/hongmajia")); err != nil || !fi.IsDir() {
		t.Errorf("no mount point /var/lib/hongmajia on the root: %v", err)
	}

	// The first boot: its unit enabled, before the kiosk, on the boot
	// partition's files; the center's file and the example there.
	unit := read(t, filepath.Join(root, "etc/systemd/system/hongmajia-firstboot.service"))
	for _, want := range []string{"ConditionPathExists=|/boot/firmware/hongmajia.txt", "ConditionPathExists=|/boot/firmware/hongmajia-token.txt",
		"Before=hongmajia-kiosk.service", "ExecStart=/usr/local/sbin/hongmajia-firstboot", "RequiresMountsFor=/var/lib/hongmajia /boot/firmware"} {
		if !strings.Contains(unit, want) {
			t.Errorf("hongmajia-firstboot.service lacks %q:\n%s", want, unit)
		}
	}
	if strings.Contains(unit, "@BOOT@") {
		t.Errorf("hongmajia-firstboot.service: @BOOT@ left:\n%s", unit)
	}
	if got := link(t, filepath.Join(root, "etc/systemd/system/multi-user.target.wants/hongmajia-firstboot.service")); got != "/etc/systemd/system/hongmajia-firstboot.service" {
		t.Errorf("hongmajia-firstboot.service enabled as %s", got)
	}
	if fi, err := os.Stat(filepath.Join(root, "usr/local/sbin/hongmajia-firstboot")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("hongmajia-firstboot: %v %v", fi, err)
	}
	if got := fatRead(t, out, parts[0], "hongmajia.txt"); got != read(t, firstboot) {
		t.Errorf("boot partition's hongmajia.txt:\n%s", got)
	}
	if got := fatRead(t, out, parts[0], "hongmajia-firstboot.example.txt"); got != read(t, "hongmajia-firstboot.example.txt") {
		t.Errorf("boot partition's example:\n%s", got)
	}
}

// noLoops fails the test if a loop device still holds a file under dir.
func noLoops(t *testing.T, dir string) {
	t.Helper()
	for line := range strings.Lines(run(t, "losetup", "-a")) {
		if strings.Contains(line, dir) {
			t.Errorf("loop device left: %s", line)
		}
	}
}

// An image not shaped like Raspberry Pi OS's is refused, and nothing is
// left: no output, no temporary file, no loop device, whether it is
// refused at once (one partition) or once its partitions are open (no
// Linux root in the second).
func TestMkimageRefusesAnImageItCannotUse(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	one := filepath.Join(dir, "one.img")
	write(t, one, "", 0o644)
	if err := os.Truncate(one, 8*mib); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sfdisk", "--quiet", one)
	cmd.Stdin = strings.NewReader("label: dos\nstart=2048, type=83\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sfdisk: %v\n%s", err, out)
	}
	notLinux := synthetic(t, filepath.Join(dir, "notlinux"), false)
	deb := kioskDeb(t, dir)
	out := filepath.Join(dir, "kiosk.img")
	for img, want := range map[string]string{
		one:      "has 1 partitions, want Raspberry Pi OS's two",
		notLinux: "the second partition holds no Linux root",
	} {
		got, err := mkimage("--image", img, "--deb", deb, "-o", out, "--dpkg-root")
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Fatalf("mkimage of %s: %v, want exit 1\n%s", img, err, got)
		}
		for _, want := range []string{want, "not written"} {
			if !strings.Contains(got, want) {
				t.Errorf("mkimage of %s said:\n%s\nwant %q", img, got, want)
			}
		}
		for _, p := range []string{out, out + ".tmp", out + ".tmp.log"} {
			if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s: %v, want nothing", p, err)
			}
		}
		noLoops(t, dir)
		if m := run(t, "findmnt", "-rn", "-o", "TARGET"); strings.Contains(m, "hongmajia-image") {
			t.Errorf("mounts left:\n%s", m)
		}
	}

	got, err := mkimage("--image", one, "--deb", one, "-o", out)
	if err == nil || !strings.Contains(got, "is not a hongmajia-kiosk package") {
		t.Errorf("mkimage with an image as the package: %v\n%s", err, got)
	}
}
