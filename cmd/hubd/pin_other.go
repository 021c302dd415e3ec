//go:build !linux

package main

import (
	"errors"
	"os"
)

// isTerminal: hubd runs on Linux; elsewhere the PIN is read
// from stdin as two lines.
func isTerminal(*os.File) bool { return false }

func echoOff(*os.File) (func(), error) { return nil, errors.New("not supported on this system") }
