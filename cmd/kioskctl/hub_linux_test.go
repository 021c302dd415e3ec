package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hongmajia/hongmajia/clock"
)

// On a terminal the enrollment token is asked with echo off: a secret, it
// never shows.
func TestEnrollOnATerminalHidesTheToken(t *testing.T) {
	h := startHub(t, clock.Real{})
	dir := workingCenter(t)
	tok := h.token(t)
	master, tty := openPTY(t)
	var shown screen
	go func() {
		b := make([]byte, 256)
		for {
			n, err := master.Read(b)
			shown.mu.Lock()
			shown.buf.Write(b[:n])
			shown.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	done := make(chan int, 1)
	go func() {
		done <- run(&env{stdout: tty, stderr: tty, stdin: tty}, []string{"enroll", "--data", dir, "--hub", h.url})
	}()
	shown.waitFor(t, "token 令牌")
	fmt.Fprint(master, tok+"\r")
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d; the terminal shows:\n%s", code, shown.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("enroll never finished; the terminal shows:\n%s", shown.String())
	}
	shown.waitFor(t, "已接入区平台")
	if strings.Contains(shown.String(), tok) {
		t.Fatalf("the token showed on the terminal:\n%s", shown.String())
	}
}
