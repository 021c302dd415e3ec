package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hongmajia/hongmajia/ledger/demo"
)

func TestDemoPrintsCardsAndPINs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	code, out, stderr := kioskctl(t, "demo", "--data", dir, "--people", "30", "--entries", "100")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	l := openDemo(t, dir)
	// The ledger says it holds demo data, and which cards keys 1–9 tap.
	mark, err := l.Demo(context.Background())
	if err != nil || !mark.Demo || len(mark.KeyCards) != 9 || mark.KeyCards[0] != demo.CardUID(1) || mark.KeyCards[8] != demo.CardUID(9) {
		t.Fatalf("demo mark %+v, %v", mark, err)
	}
	keys, err := demo.KeyCards(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 9 {
		t.Fatalf("%d key cards", len(keys))
	}
	// Keys 1–9 in order, each with its UID and holder, before any other card.
	at := strings.Index(out, "演示卡 demo cards")
	for _, k := range keys {
		line := fmt.Sprintf("  %d %s  %s", k.Key, k.UID, k.Name)
		i := strings.Index(out, line)
		if i < at {
			t.Fatalf("key %d line %q missing or out of order in:\n%s", k.Key, line, out)
		}
		at = i
	}
	if other := strings.Index(out, "其他卡 other cards"); other < at {
		t.Errorf("other cards listed before the key cards")
	}
	wantIn(t, "demo", out, "和平里街道党群服务中心", "便民服务", "30 people",
		"1 88000001  王堃", "2 88000002  李喆", "3 88000003  陈赟", "4 88000004  周玥",
		"89000012", "补卡 replaces 88000012", "88000020  郑淑华", "挂失 lost", "注销 revoked",
		"99000001  刘芳", "PIN 2580", "99000002  孙立伟", "技术员 technician", "PIN 1379")

	code, _, stderr = kioskctl(t, "status", "--data", dir)
	if code != 0 {
		t.Fatalf("status after demo: exit %d: %s", code, stderr)
	}
}

func TestDemoRefuses(t *testing.T) {
	dir := demoData(t)
	code, _, stderr := kioskctl(t, "demo", "--data", dir)
	if code != 1 {
		t.Fatalf("demo over a ledger: exit %d, want 1", code)
	}
	wantIn(t, "stderr", stderr, "a ledger already exists in "+dir)
	code, _, stderr = kioskctl(t, "demo")
	if code != 2 {
		t.Errorf("demo into the default data directory: exit %d, want 2", code)
	}
	wantIn(t, "stderr", stderr, "name the demo's directory with --data")
	for _, args := range [][]string{{"--people", "0"}, {"--entries", "-1"}, {"--people", "many"}, {"extra"}} {
		code, _, stderr := kioskctl(t, append([]string{"demo", "--data", filepath.Join(t.TempDir(), "d")}, args...)...)
		if code != 2 {
			t.Errorf("demo %v: exit %d, want 2: %s", args, code, stderr)
		}
	}
}
