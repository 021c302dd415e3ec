// Package control is the terminal's control socket: a Unix socket in the data
// directory that speaks one line per command and answers one line, "ok" or
// "ok TEXT" for success and "error REASON" for failure.
//
// The package is the protocol only (the socket, the server loop, the client
// and the status document); what the commands do is the caller's Handler.
// It imports nothing of the terminal, so kioskctl and a health check can
// talk to a running terminal without linking it (a test checks).
package control
