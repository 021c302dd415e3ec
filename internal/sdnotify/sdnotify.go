// Package sdnotify tells systemd how a service is doing, as sd_notify(3)
// does: READY=1 once it serves, WATCHDOG=1 while it is alive (a unit with
// WatchdogSec= is restarted when these stop), STATUS= for `systemctl
// status`. A datagram to the socket systemd names in NOTIFY_SOCKET; without
// it (not started by systemd, or a unit without Type=notify) every call does
// nothing.
package sdnotify

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// States a service sends; see sd_notify(3).
const (
	Ready    = "READY=1"
	Stopping = "STOPPING=1"
	Watchdog = "WATCHDOG=1"
)

// Status is a STATUS= line for `systemctl status`.
func Status(text string) string {
	return "STATUS=" + strings.ReplaceAll(text, "\n", " ")
}

// Enabled reports whether NOTIFY_SOCKET names a socket to tell.
func Enabled() bool { return os.Getenv("NOTIFY_SOCKET") != "" }

// Notify sends states (each one "KEY=VALUE") in one datagram to
// NOTIFY_SOCKET. It reports false and no error when there is no socket to
// tell.
func Notify(states ...string) (bool, error) {
	addr := os.Getenv("NOTIFY_SOCKET")
	if addr == "" {
		return false, nil
	}
	if len(states) == 0 {
		return false, errors.New("sdnotify: nothing to send")
	}
	for _, s := range states {
		if !strings.Contains(s, "=") || strings.Contains(s, "\n") {
			return false, fmt.Errorf("sdnotify: %q is not one KEY=VALUE line", s)
		}
	}
	// A leading "@" names a socket in the abstract namespace, as systemd
	// writes it and as Go's net package reads it.
	if !strings.HasPrefix(addr, "/") && !strings.HasPrefix(addr, "@") {
		return false, fmt.Errorf("sdnotify: NOTIFY_SOCKET=%q is neither a path nor an abstract socket", addr)
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return false, fmt.Errorf("sdnotify: %w", err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(strings.Join(states, "\n") + "\n")); err != nil {
		return false, fmt.Errorf("sdnotify: %w", err)
	}
	return true, nil
}

// WatchdogInterval is how often systemd expects WATCHDOG=1 (the unit's
// WatchdogSec=, from WATCHDOG_USEC); 0 when there is no watchdog, or when
// WATCHDOG_PID names another process (the watchdog is that process's to
// keep, as sd_watchdog_enabled(3) says). Ping at half of it.
func WatchdogInterval() (time.Duration, error) {
	s := os.Getenv("WATCHDOG_USEC")
	if s == "" {
		return 0, nil
	}
	usec, err := strconv.ParseUint(s, 10, 63)
	if err != nil || usec == 0 {
		return 0, fmt.Errorf("sdnotify: WATCHDOG_USEC=%q is not a positive number of microseconds", s)
	}
	if p := os.Getenv("WATCHDOG_PID"); p != "" {
		pid, err := strconv.Atoi(p)
		if err != nil {
			return 0, fmt.Errorf("sdnotify: WATCHDOG_PID=%q is not a process id", p)
		}
		if pid != os.Getpid() {
			return 0, nil
		}
	}
	return time.Duration(usec) * time.Microsecond, nil
}
