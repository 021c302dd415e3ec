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
# screens and the screen binary): `make check` runs them without cgo.
NODISPLAY = $(shell $(GO) list ./... | grep -v -e /kiosk/ui -e /cmd/kiosk-screen)

.PHONY: all run test check bench lint vet fmt-check staticcheck build build-pi bundle bundle-args deps-build deps-test deps-bench deps-cross clean

all: build

deps-build:
	@./deploy/dev/ensure-deps.sh build

deps-test:
	@./deploy/dev/ensure-deps.sh test

deps-bench:
	@./deploy/dev/ensure-deps.sh bench

deps-cross:
	@./deploy/dev/ensure-deps.sh build cross

## run: the kiosk with demo data (see README).
run: deps-build build
	@./deploy/dev/run-demo.sh "$(BIN)" "$(DATA)"

## test: lint, then every test with -race, UI tests under Xvfb.
test: deps-test lint
	$(XVFB) $(GO) test -race -count=1 -timeout $(TESTTIME) $(PKGS)

## check: the fast loop for the ledger, the record, the drivers and the
## tools: gofmt, vet and the tests of every package that needs no display,
## without cgo, Xvfb or any Debian package (so without the hub's web's
## tests in Chromium, TestInABrowser). `make test` is the full suite.
check: fmt-check
	CGO_ENABLED=0 $(GO) vet $(NODISPLAY)
	CGO_ENABLED=0 $(GO) test -count=1 -skip 'InABrowser$$' $(NODISPLAY)

## bench: every benchmark (see README for what the numbers mean); the kiosk's
## are measured side by side with Chromium --kiosk (cmd/kiosk-screen/bench_test.go).
bench: deps-bench
	$(XVFB) $(GO) test -run '^$$' -bench . -benchmem -timeout 60m $(BENCH)

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

## bundle: a signed release bundle of the Pi build, for `kioskctl update`
## (README "Updating a kiosk"): make bundle VERSION=1.4.2 KEY=~/hongmajia-release.key
bundle: bundle-args build-pi
	$(GO) run ./cmd/kioskctl bundle --key "$(KEY)" --version "$(VERSION)" -o $(BIN)/hongmajia-$(VERSION)-arm64.bundle \
		$(BIN)/arm64/kiosk $(BIN)/arm64/kiosk-screen $(BIN)/arm64/kioskctl

bundle-args:
	@if [ -z "$(VERSION)" ] || [ -z "$(KEY)" ]; then echo "usage: make bundle VERSION=1.4.2 KEY=path/to/release.key (kioskctl keygen makes one)"; exit 2; fi

clean:
	rm -rf $(BIN) $(DATA)
