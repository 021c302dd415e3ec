#!/bin/sh
# ensure-deps.sh PROFILE... — install the Debian packages a make target needs,
# only when some are missing, with one clear message. Profiles:
#   build  cgo toolchain and the X11 headers ebiten compiles against, and
#          Noto Sans CJK (fonts-noto-cjk), the system font the kiosk draws
#          the characters its embedded fonts lack with (CJK Extension A…)
#   test   build + Xvfb, Mesa and xdotool for the UI tests, Chromium for
#          the hub's web's browser tests (hub/web, driven with chromedp),
#          and systemd's sysusers and tmpfiles, which the packages' test
#          runs (internal/debpkg); apt's package lists, which it reads;
#          systemd-nspawn (systemd-container), in which the units' test
#          boots a systemd (e2e/systemd); PostgreSQL's server (postgresql,
#          which pulls postgresql-15 on Debian 12 and creates the postgres
#          user), which the hub's store tests start on a temporary directory
#          (internal/pgtest)
#   qemu   qemu-user-static, registered with the kernel (binfmt_misc) for
#          arm64, so that `make test-arm64` runs arm64 tests that start
#          themselves again as a child (the ledger's crash test)
#   image  what `make image` and its test use to make a kiosk's SD card
#          image: sfdisk (fdisk), mkfs.vfat (dosfstools), mtools, ext4's
#          tools, xz, and qemu-user-static for the Pi's chroot (qemu)
#   bench  test (Chromium is also the peer `make bench` measures the kiosk
#          against; PostgreSQL the hub's SQLite store is measured beside)
#   cross  build for the Pi (linux/arm64) with cgo
set -eu

build_pkgs="gcc libc6-dev pkg-config libx11-dev libxrandr-dev libxcursor-dev libxinerama-dev libxi-dev libxxf86vm-dev libgl-dev libasound2-dev fonts-noto-cjk"
image_pkgs="fdisk dosfstools mtools e2fsprogs xz-utils util-linux"
test_pkgs="xvfb xauth libgl1-mesa-dri libgles2 xdotool fonts-noto-cjk chromium systemd systemd-container postgresql"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
fi

pkgs=""
lists=""
qemu=""
for profile in "$@"; do
	case "$profile" in
	build) pkgs="$pkgs $build_pkgs" ;;
	test) pkgs="$pkgs $build_pkgs $test_pkgs $image_pkgs"; lists=1 ;;
	image) pkgs="$pkgs $image_pkgs" ;;
	qemu) pkgs="$pkgs qemu-user-static"; qemu=1 ;;
	bench) pkgs="$pkgs $build_pkgs $test_pkgs" ;;
	cross) pkgs="$pkgs gcc-aarch64-linux-gnu libc6-dev-arm64-cross libx11-dev:arm64 libxrandr-dev:arm64 libxcursor-dev:arm64 libxinerama-dev:arm64 libxi-dev:arm64 libxxf86vm-dev:arm64 libgl-dev:arm64 libasound2-dev:arm64 qemu-user-static" ;;
	*) echo "ensure-deps: unknown profile $profile" >&2; exit 2 ;;
	esac
done

missing=""
for p in $pkgs; do
	case " $missing " in *" $p "*) continue ;; esac
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$status" in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done

# binfmt registers arm64 binaries with the kernel, so that they run under
# qemu as any program does (a test that starts itself again as a child).
binfmt() {
	[ -z "$qemu" ] && return 0
	[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] && return 0
	if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
		$SUDO mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || true
	fi
	if ! $SUDO /usr/lib/systemd/systemd-binfmt /usr/lib/binfmt.d/qemu-aarch64.conf || [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
		echo "hongmajia: could not register qemu-aarch64 with binfmt_misc (a container without the privilege?): the arm64 tests need it" >&2
		exit 1
	fi
}

# apt's lists: a test reads them (apt-cache); an image may come without.
if [ -n "$lists" ] && [ -z "$missing" ] && ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then
	$SUDO apt-get update -q >/dev/null
fi

if [ -z "$missing" ]; then
	binfmt
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "hongmajia: these Debian packages are needed but this is not a Debian system:$missing" >&2
	exit 1
fi
echo "hongmajia: installing the Debian packages this needs (once):$missing"
case "$missing" in
*:arm64*) $SUDO dpkg --add-architecture arm64 ;;
esac
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { $SUDO apt-get update -q && $SUDO apt-get install -y -q --no-install-recommends $missing; } >"$log" 2>&1; then
	cat "$log" >&2
	echo "hongmajia: apt-get failed installing:$missing" >&2
	rm -f "$log"
	exit 1
fi
rm -f "$log"
binfmt
