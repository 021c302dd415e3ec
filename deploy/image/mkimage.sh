#!/bin/bash
# mkimage.sh — turn a Raspberry Pi OS Lite (arm64) image into a Hongmajia
# kiosk's image: flash it, boot it, and the Pi is a kiosk (README,
# "A kiosk, step by step"). `make image IMG=… DEB=…` runs it.
#
#   mkimage.sh --image RASPIOS.img[.xz] --deb hongmajia-kiosk_V_arm64.deb -o OUT.img
#              [--key RELEASE.pub]... [--config kiosk.toml] [--firstboot hongmajia.txt]
#              [--station] [--root-grow 1024M] [--data-size 256M] [--dpkg-root]
#
# What it does to the copy (the input is never written):
#   - grows the root partition by --root-grow (the X server, Mesa, the
#     package) and adds a third partition, ext4 labelled hongmajia, for
#     /var/lib/hongmajia (fstab: noatime,commit=5); the first boot grows it
#     to the end of the SD card. The ledger is never on the root, so the
#     root may be read-only and never on Raspberry Pi OS's RAM overlay;
#   - installs the package in the image: in a chroot (qemu-user-static on
#     a PC) with apt, which fetches its dependencies (needs the network), or
#     with --dpkg-root: dpkg --root with --force-depends, the package alone
#     (no network, no chroot: the test's way; the Pi then needs
#     `sudo apt-get -f install` once, online, before the kiosk can start);
#   - SPI on (config.txt), the hardware watchdog (RuntimeWatchdogSec=15),
#     the time zone Asia/Shanghai, boot to the console (no display manager),
#     hongmajia-kiosk enabled (hongmajia-station with --station), the
#     release keys in /etc/hongmajia/trusted-keys/, a kiosk.toml;
#   - hongmajia-firstboot.service, for what only the Pi can do: grow the
#     data partition, make the center's ledger and enroll with the hub from
#     hongmajia.txt and hongmajia-token.txt on the boot partition
#     (hongmajia-firstboot.example.txt there says how).
# Raspberry Pi OS's own first-boot resize is taken out of cmdline.txt: it
# grows only a root that is the last partition, and asks on the console
# when it cannot.
#
# Needs root (loop devices, mount), sfdisk, mkfs.ext4, resize2fs, e2fsck,
# xz for a .xz image, and for the chroot on a PC qemu-user-static
# registered with binfmt_misc (make deps-qemu).
set -euo pipefail

prog=mkimage
here=$(cd "$(dirname "$0")" && pwd)

die() {
	echo "$prog: $*" >&2
	exit 1
}
usage() {
	sed -n '5,7p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
say() { echo "$prog: $*"; }

image="" deb="" out="" config="" firstboot="" station="" dpkgroot=""
keys=()
root_grow=1024 # MiB
data_size=256  # MiB

# mib reads a size (N, NM or NG) as MiB.
mib() {
	case "$1" in
	*[Gg]) echo $((${1%[Gg]} * 1024)) ;;
	*[Mm]) echo "${1%[Mm]}" ;;
	*) echo "$1" ;;
	esac
}

while [ $# -gt 0 ]; do
	case "$1" in
	--image) image=$2; shift ;;
	--deb) deb=$2; shift ;;
	-o) out=$2; shift ;;
	--key) keys+=("$2"); shift ;;
	--config) config=$2; shift ;;
	--firstboot) firstboot=$2; shift ;;
	--station) station=1 ;;
	--root-grow) root_grow=$(mib "$2"); shift ;;
	--data-size) data_size=$(mib "$2"); shift ;;
	--dpkg-root) dpkgroot=1 ;;
	-h | --help) usage ;;
	*) echo "$prog: unknown argument $1" >&2; usage ;;
	esac
	shift
done
[ -n "$image" ] && [ -n "$deb" ] && [ -n "$out" ] || usage
case "$root_grow$data_size" in *[!0-9]*) die "--root-grow and --data-size: a size such as 512M or 2G" ;; esac
[ "$data_size" -ge 16 ] || die "--data-size: at least 16M"

[ "$(id -u)" -eq 0 ] || die "needs root (loop devices, mount, chroot): sudo make image …"
[ -f "$image" ] || die "no image $image (Raspberry Pi OS Lite, arm64: .img or .img.xz)"
[ -f "$deb" ] || die "no package $deb (make deb: dist/hongmajia-kiosk_VERSION_arm64.deb)"
[ "$(dpkg-deb --field "$deb" Package 2>/dev/null)" = hongmajia-kiosk ] || die "$deb is not a hongmajia-kiosk package"
for k in ${keys[@]+"${keys[@]}"}; do
	[ -f "$k" ] || die "no key $k"
	read -r tag _ <"$k" || true
	[ "$tag" = hongmajia-release-key ] || die "$k is not a release public key (kioskctl keygen writes KEY.pub)"
done
[ -z "$config" ] || [ -f "$config" ] || die "no configuration $config"
[ -z "$firstboot" ] || [ -f "$firstboot" ] || die "no first-boot file $firstboot"
for tool in sfdisk losetup mkfs.ext4 resize2fs e2fsck mtype mcopy; do
	command -v "$tool" >/dev/null || die "$tool is missing: make image installs it (deploy/dev/ensure-deps.sh image)"
done
# The boot partition (FAT) is read and written with mtools, never mounted:
# no vfat module needed (a container may lack it).
export MTOOLS_SKIP_CHECK=1

start_time=$SECONDS
work="$out.tmp"
mnt=""
loops=()
mounts=()
restore=()

cleanup() {
	local rc=$?
	set +e
	for ((i = ${#restore[@]} - 1; i >= 0; i--)); do eval "${restore[i]}"; done
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}"; done
	for l in ${loops[@]+"${loops[@]}"}; do losetup -d "$l"; done
	[ -n "$mnt" ] && rmdir "$mnt" 2>/dev/null
	if [ $rc -ne 0 ]; then
		rm -f "$work" "$work.log"
		echo "$prog: failed; $out not written" >&2
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# loop attaches the byte range of a partition (start and size in sectors)
# as a loop device, in $dev: no partition device nodes needed (a container
# has none). Not run in $(…): cleanup must see the device.
loop() {
	dev=$(losetup --show -f -o $(($1 * 512)) --sizelimit $(($2 * 512)) "$work")
	loops+=("$dev")
}
mountat() {
	mkdir -p "$2"
	mount "${@:3}" "$1" "$2"
	mounts+=("$2")
}

# 1. The copy.
say "copying $image"
case "$image" in
*.xz) command -v xz >/dev/null || die "xz is missing (xz-utils)"; xz -dc "$image" >"$work" ;;
*) cp --sparse=always "$image" "$work" ;;
esac

# 2. The partitions: Raspberry Pi OS's two (FAT boot, ext4 root), MBR.
table=$(sfdisk -d "$work") || die "$image has no partition table"
grep -q '^label: dos' <<<"$table" || die "$image: not an MBR (dos) partition table, as Raspberry Pi OS's is"
mapfile -t parts < <(grep -E '^[^ ].* : start=' <<<"$table")
[ ${#parts[@]} -eq 2 ] || die "$image has ${#parts[@]} partitions, want Raspberry Pi OS's two (boot and root): an image made by mkimage already?"
field() { sed -E "s/.*[ ,]$2= *([^,]*).*/\1/" <<<"$1"; }
boot_start=$(field "${parts[0]}" start) boot_size=$(field "${parts[0]}" size)
root_start=$(field "${parts[1]}" start) root_size=$(field "${parts[1]}" size)
[ "$(field "${parts[1]}" type)" = 83 ] || die "$image: the second partition is not Linux (type 83)"

align=8192 # 4 MiB, as Raspberry Pi OS aligns
new_root_size=$((root_size + root_grow * 2048))
data_start=$(((root_start + new_root_size + align - 1) / align * align))
data_sectors=$((data_size * 2048))
truncate -s $(((data_start + data_sectors) * 512)) "$work"
{
	grep -vE '^[^ ].* : start=|^(device|last-lba|first-lba):' <<<"$table"
	echo "${parts[0]#* : }"
	echo "start=$root_start, size=$new_root_size, type=83"
	echo "start=$data_start, size=$data_sectors, type=83"
} | sfdisk --quiet --no-reread --no-tell-kernel "$work" >"$work.log" 2>&1 || { cat "$work.log" >&2; die "sfdisk could not write the partition table"; }
rm -f "$work.log"
say "root partition grown by ${root_grow}M; data partition of ${data_size}M (grown to the card at first boot)"

loop "$root_start" "$new_root_size"
root_dev=$dev
e2fsck -fy "$root_dev" >/dev/null 2>&1 || [ $? -le 1 ] || die "the image's root file system has errors e2fsck cannot fix"
resize2fs -p "$root_dev" >/dev/null 2>&1 || die "resize2fs of the root failed"
loop "$data_start" "$data_sectors"
data_dev=$dev
# Features an older e2fsck (a Pi OS of bullseye's days) does not know are
# left off: the Pi checks this file system at every boot.
feat=""
grep -q orphan_file /etc/mke2fs.conf 2>/dev/null && feat="-O ^orphan_file"
# shellcheck disable=SC2086
mkfs.ext4 -q -F -L hongmajia $feat "$data_dev"

mnt=$(mktemp -d /tmp/hongmajia-image.XXXXXX)
mountat "$root_dev" "$mnt"
[ -f "$mnt/etc/os-release" ] || die "the second partition holds no Linux root (no /etc/os-release)"
boot=/boot/firmware
[ -d "$mnt/boot/firmware" ] || boot=/boot # before bookworm
bootfs="$work@@$((boot_start * 512))"
files=$(mktemp -d /tmp/hongmajia-boot.XXXXXX)
restore+=("rm -rf '$files'")
mtype -i "$bootfs" ::config.txt >"$files/config.txt" 2>/dev/null || die "the first partition holds no config.txt: not a Raspberry Pi OS image"
mountat "$data_dev" "$mnt/var/lib/hongmajia"

# 3. The package, installed onto the data partition (its versions and the
# data directory belong there, not under the mount point).
if [ -n "$dpkgroot" ]; then
	say "installing $(basename "$deb") with dpkg --root, without its dependencies"
	PATH=/usr/sbin:/usr/bin:/sbin:/bin dpkg --root="$mnt" --force-script-chrootless --force-depends --force-architecture \
		--log=/dev/null -i "$deb" >"$work.log" 2>&1 || { cat "$work.log" >&2; die "dpkg could not install $deb"; }
	rm -f "$work.log"
else
	if [ "$(uname -m)" != aarch64 ]; then
		bf=/proc/sys/fs/binfmt_misc/qemu-aarch64
		[ -e "$bf" ] || die "arm64 programs do not run here: qemu-user-static is not registered with binfmt_misc (make deps-qemu); or --dpkg-root"
		if ! grep -q '^flags:.*F' "$bf"; then
			# Without the F flag the kernel opens the interpreter inside the chroot.
			interp=$(sed -n 's/^interpreter //p' "$bf")
			mkdir -p "$mnt$(dirname "$interp")"
			cp "$interp" "$mnt$interp"
			restore+=("rm -f '$mnt$interp'")
		fi
	fi
	for d in proc sys dev dev/pts; do
		mountat "/$d" "$mnt/$d" --bind
	done
	if [ -e "$mnt/etc/resolv.conf" ] || [ -L "$mnt/etc/resolv.conf" ]; then
		mv "$mnt/etc/resolv.conf" "$mnt/etc/resolv.conf.hongmajia"
		restore+=("mv -f '$mnt/etc/resolv.conf.hongmajia' '$mnt/etc/resolv.conf'")
	else
		restore+=("rm -f '$mnt/etc/resolv.conf'")
	fi
	cp -L /etc/resolv.conf "$mnt/etc/resolv.conf"
	# No service starts inside the chroot.
	printf '#!/bin/sh\nexit 101\n' >"$mnt/usr/sbin/policy-rc.d"
	chmod 755 "$mnt/usr/sbin/policy-rc.d"
	restore+=("rm -f '$mnt/usr/sbin/policy-rc.d'")
	cp "$deb" "$mnt/tmp/hongmajia-kiosk.deb"
	restore+=("rm -f '$mnt/tmp/hongmajia-kiosk.deb'")
	say "apt-get update in the image (needs the network)"
	if ! chroot "$mnt" apt-get update -q >"$mnt/tmp/apt.log" 2>&1 || grep -q '^\(W\|E\): Failed to fetch' "$mnt/tmp/apt.log"; then
		tail -5 "$mnt/tmp/apt.log" >&2
		die "apt could not reach Raspberry Pi OS's archive (no network?): the package's dependencies (the X server, Mesa) cannot be installed. Run make image on a machine with network, or with --dpkg-root (the package alone: then sudo apt-get -f install once on the Pi, online)"
	fi
	say "apt-get install the package and its dependencies"
	chroot "$mnt" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q /tmp/hongmajia-kiosk.deb >"$mnt/tmp/apt.log" 2>&1 ||
		{ tail -20 "$mnt/tmp/apt.log" >&2; die "apt-get install failed in the image"; }
	chroot "$mnt" apt-get clean
	rm -f "$mnt/tmp/apt.log"
fi
uid=$(awk -F: '$1 == "hongmajia" { print $3 }' "$mnt/etc/passwd")
gid=$(awk -F: '$1 == "hongmajia" { print $3 }' "$mnt/etc/group")
[ -n "$uid" ] && [ -n "$gid" ] || die "the package did not make the user hongmajia in the image"
# The data partition's top is the data directory: the kiosk's, 0750.
chown "$uid:$gid" "$mnt/var/lib/hongmajia"
chmod 0750 "$mnt/var/lib/hongmajia"

unitdir=/usr/lib/systemd/system
[ -f "$mnt$unitdir/hongmajia-kiosk.service" ] || unitdir=/lib/systemd/system
[ -f "$mnt$unitdir/hongmajia-kiosk.service" ] || die "the package's units are not in the image"
enable() { # enable UNIT [TARGET]
	mkdir -p "$mnt/etc/systemd/system/${2:-multi-user.target}.wants"
	ln -sfn "$3" "$mnt/etc/systemd/system/${2:-multi-user.target}.wants/$1"
}

# 4. The Pi's settings.
say "fstab, SPI, watchdog, time zone, console boot"
if ! grep -qE '^[^#]*[[:space:]]/var/lib/hongmajia[[:space:]]' "$mnt/etc/fstab"; then
	printf 'LABEL=hongmajia  /var/lib/hongmajia  ext4  defaults,noatime,commit=5  0  2\n' >>"$mnt/etc/fstab"
fi
if ! grep -qE '^dtparam=spi=on' "$files/config.txt"; then
	# In an [all] section of its own: the file may end in a [pi4] one.
	printf '\n[all]\n# hongmajia: the MFRC522 card reader on SPI0\ndtparam=spi=on\n' >>"$files/config.txt"
	mcopy -o -i "$bootfs" "$files/config.txt" ::config.txt
fi
if mtype -i "$bootfs" ::cmdline.txt >"$files/cmdline.txt" 2>/dev/null; then
	sed -i -E 's# ?init=[^ ]*(firstboot|init_resize)[^ ]*##' "$files/cmdline.txt"
	mcopy -o -i "$bootfs" "$files/cmdline.txt" ::cmdline.txt
fi
mkdir -p "$mnt/etc/systemd/system.conf.d"
cat >"$mnt/etc/systemd/system.conf.d/hongmajia-watchdog.conf" <<'EOF'
# hongmajia: the Pi's hardware watchdog restarts a hung Pi (bcm2835-wdt
# allows at most about 15 s).
[Manager]
RuntimeWatchdogSec=15
RebootWatchdogSec=2min
EOF
ln -sfn /usr/share/zoneinfo/Asia/Shanghai "$mnt/etc/localtime"
echo Asia/Shanghai >"$mnt/etc/timezone"
ln -sfn "$unitdir/multi-user.target" "$mnt/etc/systemd/system/default.target"
rm -f "$mnt/etc/systemd/system/display-manager.service"
if [ -n "$station" ]; then
	enable hongmajia-station.service multi-user.target "$unitdir/hongmajia-station.service"
else
	enable hongmajia-kiosk.service multi-user.target "$unitdir/hongmajia-kiosk.service"
fi
# Root's watch for the bundle the district hub offers at the nightly sync.
enable hongmajia-update.path multi-user.target "$unitdir/hongmajia-update.path"

# 5. Keys and configuration.
install -d -m 0755 "$mnt/etc/hongmajia/trusted-keys"
for k in ${keys[@]+"${keys[@]}"}; do
	install -m 0644 "$k" "$mnt/etc/hongmajia/trusted-keys/$(basename "${k%.pub}").pub"
done
[ -z "$config" ] || install -m 0644 "$config" "$mnt/etc/hongmajia/kiosk.toml"

# 6. The first boot.
install -D -m 0755 "$here/hongmajia-firstboot" "$mnt/usr/local/sbin/hongmajia-firstboot"
sed "s#@BOOT@#$boot#g" "$here/hongmajia-firstboot.service" >"$mnt/etc/systemd/system/hongmajia-firstboot.service"
sed -i "s#^boot=.*#boot=\${HONGMAJIA_BOOT:-$boot}#" "$mnt/usr/local/sbin/hongmajia-firstboot"
enable hongmajia-firstboot.service multi-user.target /etc/systemd/system/hongmajia-firstboot.service
mcopy -o -i "$bootfs" "$here/hongmajia-firstboot.example.txt" ::hongmajia-firstboot.example.txt
[ -z "$firstboot" ] || mcopy -o -i "$bootfs" "$firstboot" ::hongmajia.txt

sync
trap - EXIT
cleanup
mv "$work" "$out"
say "$out is ready ($((SECONDS - start_time)) s): flash it (Raspberry Pi Imager, Use custom), put hongmajia.txt and hongmajia-token.txt on its boot partition, boot the Pi"
[ -z "$dpkgroot" ] || say "installed with --dpkg-root: the package's dependencies are not in the image; on the Pi, online: sudo apt-get -f install"
