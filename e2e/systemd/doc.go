// Package systemd proves the terminal's systemd units (deploy/systemd)
// under a real systemd: a throwaway container booted with systemd-nspawn
// (the host's /usr read-only, its own /etc, /var and /run), the units
// installed unchanged with a drop-in that replaces only what a container
// cannot run (X on tty7, a PAM session) and shortens RestartSec and
// WatchdogSec. A UI that exits 2 is restarted, then stopped at the start
// limit; a kiosk that stops telling the watchdog it is alive is killed
// and restarted; the real headless station (cmd/kiosk --headless) is
// ready, kept alive by its watchdog messages, and restarted when it hangs.
// It has tests only; they run as root (as make test does) and need
// systemd-nspawn (Debian's systemd-container, which make test installs).
package systemd
