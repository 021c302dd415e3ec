package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/hongmajia/hongmajia/hub"
)

// A staff PIN is never an argument: arguments stay in the shell's history
// and every user of the machine sees them in ps. It is asked twice on the
// terminal with echo off, or, for scripts, read as two lines from stdin.
// (kioskctl asks the same way; its copy is on the ledger's limits.)

// refusePINFlag refuses --pin in any spelling before the flags are parsed,
// with the reason: the flag package would only say it is not defined.
func refusePINFlag(args []string) error { return refuseSecretFlag(args, "the PIN", "pin") }

// refuseSecretFlag refuses any of the flags names (a secret's) before the
// flags are parsed.
func refuseSecretFlag(args []string, what string, names ...string) error {
	for _, a := range args {
		if a == "--" {
			return nil
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		for _, n := range names {
			if strings.HasPrefix(a, "-") && strings.EqualFold(name, n) {
				return fmt.Errorf("%w: %s is never given on the command line (it would stay in the shell history and show in ps): it is asked for, or read as two lines from stdin", errUsage, what)
			}
		}
	}
	return nil
}

// readPIN asks for a new PIN twice and returns it when both agree and the
// kiosk's pad can type it.
func readPIN(e *env) (string, error) {
	first, err := readTwice(e, "PIN", fmt.Sprintf("PIN (%d–%d digits, %d–%d位数字): ", hub.MinPINDigits, hub.MaxPINDigits, hub.MinPINDigits, hub.MaxPINDigits),
		"PIN again 再输一次: ")
	if err != nil {
		return "", err
	}
	if !hub.ValidPIN(first) {
		return "", fmt.Errorf("a PIN is %d to %d digits, which the kiosk's pad can type (密码为%d到%d位数字)",
			hub.MinPINDigits, hub.MaxPINDigits, hub.MinPINDigits, hub.MaxPINDigits)
	}
	return first, nil
}

// readTwice reads a new secret twice, asked on the terminal with echo
// off, or as two lines of stdin; it returns it when both agree.
func readTwice(e *env, what, prompt, again string) (string, error) {
	if e.stdin == nil {
		return "", fmt.Errorf("no %s: stdin is closed", what)
	}
	var first, second string
	var err error
	if f, ok := e.stdin.(*os.File); ok && isTerminal(f) {
		if first, err = askHidden(f, e.stderr, prompt); err != nil {
			return "", err
		}
		if second, err = askHidden(f, e.stderr, again); err != nil {
			return "", err
		}
	} else {
		r := bufio.NewReader(e.stdin)
		if first, err = readLine(r); err != nil {
			return "", fmt.Errorf("read the %s from stdin (two lines, the %s twice): %w", what, what, err)
		}
		if second, err = readLine(r); err != nil {
			return "", fmt.Errorf("read the %s again from stdin (two lines, the %s twice): %w", what, what, err)
		}
	}
	if first != second {
		return "", fmt.Errorf("the two %ss differ (两次输入的密码不一致): nothing was added", what)
	}
	return first, nil
}

// readLine reads one line without its line ending; the last line may lack one.
func readLine(r *bufio.Reader) (string, error) {
	s, err := r.ReadString('\n')
	if errors.Is(err, io.EOF) && s != "" {
		err = nil
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(s, "\r\n"), nil
}

// askHidden prompts and reads a line from the terminal with echo off,
// restoring the terminal's state whatever happens.
func askHidden(tty *os.File, prompt io.Writer, question string) (string, error) {
	restore, err := echoOff(tty)
	if err != nil {
		return "", fmt.Errorf("turn the terminal's echo off: %w", err)
	}
	fmt.Fprint(prompt, question)
	// Ctrl-C at the prompt must not leave the shell without echo.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		select {
		case <-sig:
			restore()
			fmt.Fprintln(prompt)
			os.Exit(130)
		case <-done:
		}
	}()
	line, err := readLine(bufio.NewReaderSize(tty, 64))
	close(done)
	signal.Stop(sig)
	restore()
	fmt.Fprintln(prompt)
	return line, err
}
