package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
	"github.com/hongmajia/hongmajia/drivers/rfid"
	"github.com/hongmajia/hongmajia/kiosk/app"
	"github.com/hongmajia/hongmajia/ledger/demo"
	"github.com/hongmajia/hongmajia/ledger/ledgertest"
)

// runningTerminal is a terminal (app.App) serving its control socket on a
// small demo data directory.
func runningTerminal(t *testing.T) (string, *app.App) {
	t.Helper()
	// A short directory: a socket path must fit in 108 bytes.
	dir, err := os.MkdirTemp("", "hmj")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	clk := clock.NewFake(ledgertest.Start)
	lo := ledgertest.Options(clk, clock.NewFakeSync(true))
	if _, err := demo.Create(context.Background(), dir, demo.Options{People: 10, NoHistory: true, Ledger: lo}); err != nil {
		t.Fatal(err)
	}
	cfg := app.DefaultConfig()
	cfg.Data = dir
	app, err := app.NewApp(context.Background(), cfg, &app.AppOptions{Clock: clk, Logf: t.Logf, Ledger: lo})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	return dir, app
}

func readerEvent(t *testing.T, app *app.App) rfid.Event {
	t.Helper()
	select {
	case ev := <-app.Events():
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("the tap did not reach the terminal's reader within 5 s")
		return rfid.Event{}
	}
}

func TestTapAndPingTheRunningTerminal(t *testing.T) {
	dir, app := runningTerminal(t)

	if code, out, errs := kioskctl(t, "ping", "--data", dir); code != 0 || out != "pong\n" {
		t.Errorf("ping: %d %q %q", code, out, errs)
	}
	code, out, errs := kioskctl(t, "tap", "--data", dir, string(demo.CardUID(4)))
	if code != 0 || out != "tapped 88000004\n" {
		t.Fatalf("tap: %d %q %q", code, out, errs)
	}
	if ev := readerEvent(t, app); ev.Kind != rfid.EventTap || ev.Tap.UID.Hex() != "88000004" {
		t.Errorf("event %+v", ev)
	}
	if code, out, errs := kioskctl(t, "tap", "--data", dir, "--remove"); code != 0 || !strings.Contains(out, "removed") {
		t.Errorf("tap --remove: %d %q %q", code, out, errs)
	}
	if ev := readerEvent(t, app); ev.Kind != rfid.EventLeft {
		t.Errorf("event %+v", ev)
	}
	// The terminal's refusal comes back as kioskctl's error.
	if code, _, errs := kioskctl(t, "tap", "--data", dir, "not-a-card"); code != 1 || !strings.Contains(errs, "malformed card UID") {
		t.Errorf("bad UID: %d %q", code, errs)
	}
}

func TestTapListsDemoCards(t *testing.T) {
	dir, _ := runningTerminal(t)
	code, out, errs := kioskctl(t, "tap", "--data", dir, "--list")
	if code != 0 {
		t.Fatalf("tap --list: %d %q", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != demo.Keys+1 {
		t.Fatalf("%d lines, want %d cards and a hint:\n%s", len(lines), demo.Keys, out)
	}
	for k := 1; k <= demo.Keys; k++ {
		if !strings.HasPrefix(lines[k-1], fmt.Sprintf("%d  %s", k, demo.CardUID(k))) {
			t.Errorf("line %d: %q", k, lines[k-1])
		}
	}
	if !strings.Contains(lines[demo.Keys], "kioskctl tap --data "+dir+" 88000001") {
		t.Errorf("hint %q", lines[demo.Keys])
	}
}

func TestTapWithoutTerminal(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"ping", "--data", dir}, {"tap", "--data", dir, "88000001"}} {
		code, _, errs := kioskctl(t, args...)
		if code != 1 || !strings.Contains(errs, "is kiosk running?") {
			t.Errorf("%v: %d %q", args, code, errs)
		}
	}
	if code, _, errs := kioskctl(t, "tap", "--data", dir); code != 2 || !strings.Contains(errs, "give one card UID") {
		t.Errorf("no UID: %d %q", code, errs)
	}
	if code, _, errs := kioskctl(t, "tap", "--data", dir, "--list"); code != 1 || !strings.Contains(errs, "no ledger") {
		t.Errorf("--list without a ledger: %d %q", code, errs)
	}
}

// TestTapPrintsWhatTheTerminalDid: kioskctl tap prints the station's answer
// to the tap, not a bare ok.
func TestTapPrintsWhatTheTerminalDid(t *testing.T) {
	dir, a := runningTerminal(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.RunStation(ctx) }()
	defer func() { cancel(); <-done }()
	// The station answers taps once it runs: its status names its activity.
	for deadline := time.Now().Add(10 * time.Second); a.Status(ctx).Station == ""; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the station did not start")
		}
	}
	code, out, errs := kioskctl(t, "tap", "--data", dir, string(demo.CardUID(5)))
	if code != 0 || !strings.HasPrefix(out, "checked in: ") || !strings.Contains(out, "at 便民服务") {
		t.Errorf("tap: %d %q %q", code, out, errs)
	}
	code, out, errs = kioskctl(t, "tap", "--data", dir, "0A0B0C0D")
	if code != 0 || !strings.HasPrefix(out, "refused: the card is not registered") {
		t.Errorf("unknown card: %d %q %q", code, out, errs)
	}
}
