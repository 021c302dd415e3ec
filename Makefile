# Hongmajia — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)
export CGO_ENABLED := 1

GO       ?= go
DATA     ?= $(CURDIR)/.demo
BIN      := $(CURDIR)/bin
XVFB     := xvfb-run -a -s "-screen 0 1280x800x24"
TESTTIME ?= 30m
PKGS     := ./...
# BENCH selects the packages `make bench` runs, e.g. BENCH=./cmd/kiosk-screen/
# for the kiosk against Chromium alone (the ledger's 1M-entry run takes minutes).
BENCH    ?= $(PKGS)

# NODISPLAY is every package whose tests need no display (all but the
# screens and the screen binary) nor root: dpkg (the packages' test, the SD
# card image's) or systemd-nspawn (the units' test, e2e/systemd), nor
# Debian's PostgreSQL server (internal/pgtest's own tests). `make check`
# runs them without cgo.
NODISPLAY = $(shell $(GO) list ./... | grep -v -e /kiosk/ui -e /cmd/kiosk-screen -e /internal/debpkg -e /deploy/image -e /e2e/systemd -e /internal/pgtest)

# ARM64 is what `make test-arm64` runs as linux/arm64 binaries under
# qemu-user-static: the record, the ledger (SQLite, fsync, the crash test's
# kills) and the drivers, pure Go, so that a fault only a Pi's CPU shows is
# caught here. The crash test kills its child 20 times there (200 natively).
# Two wedge cases ask the kernel for EVIOCGRAB on a plain file, an ioctl qemu
# does not translate (ENOSYS where a kernel says ENOTTY): native run only.
ARM64      := ./record/... ./ledger/... ./drivers/...
ARM64SKIP  := TestOpenErrors/(not_an_input_device|by-id_link_resolved)

# VERSION is the packages' version (`make deb VERSION=1.2.0` for a
# release): 0.11 and the number of commits, so that a later build of main
# is a newer package.
VERSION  ?= 0.11.$(shell git rev-list --count HEAD 2>/dev/null || echo 0)
DIST     := $(CURDIR)/dist
# RELEASE is how make deb and make bundle build: stripped (-s -w, no paths
# of this machine), and told their version, which kioskctl status, the
# control socket's status, the hub and `kiosk --version` report. make build
# and make run keep the symbols and DWARF for a debugger.
REL      := $(BIN)/release
RELEASE  := -trimpath -ldflags="-s -w -X github.com/hongmajia/hongmajia/internal/buildinfo.version=$(VERSION)"

.PHONY: all run test test-arm64 check bench lint vet fmt-check staticcheck build build-pi release-amd64 release-arm64 deb bundle bundle-args image deps-build deps-test deps-bench deps-cross deps-qemu clean

all: build

deps-build:
	@./deploy/dev/ensure-deps.sh build

deps-test:
	@./deploy/dev/ensure-deps.sh test

deps-bench:
	@./deploy/dev/ensure-deps.sh bench

deps-cross:
	@./deploy/dev/ensure-deps.sh build cross

deps-qemu:
	@./deploy/dev/ensure-deps.sh qemu

## run: the kiosk with demo data (see README).
run: deps-build build
	@./deploy/dev/run-demo.sh "$(BIN)" "$(DATA)"

## test: lint, then every test with -race, UI tests under Xvfb, then the
## record's, the ledger's and the drivers' tests as arm64 binaries.
test: deps-test lint
	$(XVFB) $(GO) test -race -count=1 -timeout $(TESTTIME) $(PKGS)
	@$(MAKE) --no-print-directory test-arm64

## test-arm64: $(ARM64)'s tests as linux/arm64 binaries under qemu (about
## 3 minutes; the first run compiles SQLite for arm64 as well).
test-arm64: deps-qemu
	CGO_ENABLED=0 GOARCH=arm64 HONGMAJIA_CRASH_KILLS=20 $(GO) test -count=1 -timeout $(TESTTIME) \
		-exec qemu-aarch64-static -skip '$(ARM64SKIP)' $(ARM64)

## check: the fast loop for the ledger, the record, the drivers and the
## tools: gofmt, vet and the tests of every package that needs no display,
## without cgo, Xvfb or Chromium (so without the hub's web's tests in
## Chromium, TestInABrowser). The hub's tests on PostgreSQL need Debian's
## postgresql, which `make test` installs. `make test` is the full suite.
check: fmt-check
	CGO_ENABLED=0 $(GO) vet $(NODISPLAY)
	CGO_ENABLED=0 $(GO) test -count=1 -skip 'InABrowser$$' $(NODISPLAY)

## bench: every benchmark (see README for what the numbers mean); the kiosk's
## are measured side by side with Chromium --kiosk (cmd/kiosk-screen/bench_test.go).
bench: deps-bench
	$(XVFB) $(GO) test -run '^$$' -bench . -benchmem -timeout 180m $(BENCH)

lint: vet fmt-check staticcheck

vet: deps-build
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

staticcheck: deps-build
	$(GO) tool staticcheck $(PKGS)

build: deps-build
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./cmd/...

## build-pi: cross-build for a Raspberry Pi 4/5 (linux/arm64).
build-pi: deps-cross
	@mkdir -p $(BIN)/arm64
	CC=aarch64-linux-gnu-gcc GOOS=linux GOARCH=arm64 CGO_ENABLED=1 $(GO) build -o $(BIN)/arm64/ ./cmd/...

## release-amd64, release-arm64: the release builds (RELEASE) in bin/release/.
release-amd64: deps-build
	@mkdir -p $(REL)/amd64
	$(GO) build $(RELEASE) -o $(REL)/amd64/ ./cmd/...

release-arm64: deps-cross
	@mkdir -p $(REL)/arm64
	CC=aarch64-linux-gnu-gcc GOOS=linux GOARCH=arm64 CGO_ENABLED=1 $(GO) build $(RELEASE) -o $(REL)/arm64/ ./cmd/...

## deb: hongmajia-kiosk and hongmajia-hub for amd64 and arm64 in dist/
## (internal/debpkg), from the release builds.
deb: release-amd64 release-arm64
	@mkdir -p $(DIST)
	SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct) $(GO) run ./internal/debpkg/mkdeb --arch amd64 --bin $(REL)/amd64 --version $(VERSION) -o $(DIST)
	SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct) $(GO) run ./internal/debpkg/mkdeb --arch arm64 --bin $(REL)/arm64 --version $(VERSION) -o $(DIST)

## bundle: a signed release bundle of the Pi build, for `kioskctl update`
## (README "Updating a kiosk"): make bundle KEY=~/hongmajia-release.key [VERSION=1.4.2]
bundle: bundle-args release-arm64
	$(GO) run ./cmd/kioskctl bundle --key "$(KEY)" --version "$(VERSION)" -o $(BIN)/hongmajia-$(VERSION)-arm64.bundle \
		$(REL)/arm64/kiosk $(REL)/arm64/kiosk-screen $(REL)/arm64/kioskctl

bundle-args:
	@if [ -z "$(KEY)" ]; then echo "usage: make bundle KEY=path/to/release.key [VERSION=1.4.2] (kioskctl keygen makes the key)"; exit 2; fi

## image: a kiosk's SD card image from Raspberry Pi OS Lite (arm64) and the
## kiosk's package (README "A kiosk, step by step"), as root:
## sudo make image IMG=raspios-lite-arm64.img.xz DEB=dist/hongmajia-kiosk_V_arm64.deb
##   [PUB=release.key.pub] [CONFIG=kiosk.toml] [FIRSTBOOT=hongmajia.txt] [OUT=kiosk.img]
##   [IMAGEOPTS="--station --dpkg-root --root-grow 1G --data-size 256M"]
## The package's dependencies come from Raspberry Pi OS's archive in a
## chroot (qemu-user-static): this machine needs the network.
OUT ?= $(DIST)/hongmajia-kiosk.img
PUB ?= $(if $(KEY),$(KEY).pub)
image:
	@if [ "$$(id -u)" -ne 0 ]; then echo "make image needs root (loop devices, mount, chroot): sudo make image IMG=… DEB=…"; exit 2; fi
	@if [ -z "$(IMG)" ] || [ -z "$(DEB)" ]; then echo "usage: sudo make image IMG=raspios-lite-arm64.img.xz DEB=dist/hongmajia-kiosk_VERSION_arm64.deb [PUB=release.key.pub] [CONFIG=kiosk.toml] [FIRSTBOOT=hongmajia.txt] [OUT=file.img]"; exit 2; fi
	@./deploy/dev/ensure-deps.sh image $(if $(findstring --dpkg-root,$(IMAGEOPTS)),,qemu)
	@mkdir -p $(dir $(OUT))
	./deploy/image/mkimage.sh --image "$(IMG)" --deb "$(DEB)" -o "$(OUT)" $(if $(PUB),--key "$(PUB)") \
		$(if $(CONFIG),--config "$(CONFIG)") $(if $(FIRSTBOOT),--firstboot "$(FIRSTBOOT)") $(IMAGEOPTS)

clean:
	rm -rf $(BIN) $(DATA) $(DIST)
