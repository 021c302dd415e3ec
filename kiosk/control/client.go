package control

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
)

// Request sends one command to the terminal whose control socket is at path
// and returns the answer's text (without "ok"); an "error" answer is an
// error with the reason as its text.
func Request(ctx context.Context, path, line string) (string, error) {
	if strings.ContainsAny(line, "\r\n") {
		return "", fmt.Errorf("control: command %q spans lines", line)
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return "", fmt.Errorf("reach the terminal at %s (is kiosk running?): %w", path, err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	_, werr := io.WriteString(c, line+"\n")
	// Read even when the write failed: a busy server answers and closes
	// before reading, and its answer is still there to read.
	answer, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		if werr != nil {
			return "", fmt.Errorf("send %q: %w", line, werr)
		}
		return "", fmt.Errorf("read the answer to %q: %w", line, err)
	}
	answer = strings.TrimRight(answer, "\r\n")
	switch {
	case answer == "ok":
		return "", nil
	case strings.HasPrefix(answer, "ok "):
		return answer[3:], nil
	case strings.HasPrefix(answer, "error "):
		return "", errors.New(answer[6:])
	}
	return "", fmt.Errorf("unexpected answer to %q: %q", line, answer)
}
