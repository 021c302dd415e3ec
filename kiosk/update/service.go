package update

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// Service is the kiosk's service as an update stops and starts it.
type Service interface {
	Stop(ctx context.Context) error
	Start(ctx context.Context) error
}

// DefaultUnit is the touch kiosk's systemd unit; a headless station's is
// hongmajia-station.
const DefaultUnit = "hongmajia-kiosk"

// Systemd is a systemd unit, stopped and started with systemctl.
type Systemd struct{ Unit string }

// Stop stops the unit and waits until it has stopped.
func (s Systemd) Stop(ctx context.Context) error { return s.systemctl(ctx, "stop", s.Unit) }

// Start forgets the unit's failures first: a version that crashed until
// its start limit must not keep the version after it from starting.
func (s Systemd) Start(ctx context.Context) error {
	_ = s.systemctl(ctx, "reset-failed", s.Unit)
	return s.systemctl(ctx, "start", s.Unit)
}

func (s Systemd) systemctl(ctx context.Context, args ...string) error {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "systemctl", args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("systemctl %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}
