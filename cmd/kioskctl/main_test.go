package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestUnknownCommandExits2(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(&env{stdout: &out, stderr: &errb}, []string{"frobnicate"}); code != 2 {
		t.Fatalf("exit = %d, want 2", code)
	}
	if !strings.Contains(errb.String(), `unknown command "frobnicate"`) {
		t.Fatalf("stderr = %q", errb.String())
	}
}

func TestNoArgumentsPrintsUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(&env{stdout: &out, stderr: &errb}, nil); code != 2 {
		t.Fatalf("exit = %d, want 2", code)
	}
	if !strings.Contains(errb.String(), "usage: kioskctl") {
		t.Fatalf("stderr = %q", errb.String())
	}
}
