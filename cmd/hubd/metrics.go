package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/hongmajia/hongmajia/hub/server"
	"github.com/hongmajia/hongmajia/internal/atomicfile"
)

func init() {
	commands["metrics"] = command{summary: "metrics token: a new bearer token for /metrics on the hub's listener (shown once; metrics.token keeps its hash)", run: runMetrics}
}

func runMetrics(e *env, args []string) error {
	if len(args) == 0 || args[0] != "token" {
		fmt.Fprintln(e.stderr, "usage: hubd metrics token [--data DIR]")
		fmt.Fprintln(e.stderr, "A new bearer token for Prometheus to scrape /metrics on the hub's listener; it replaces the one before at once.")
		if len(args) == 0 {
			return fmt.Errorf("%w: metrics token", errUsage)
		}
		return fmt.Errorf("%w: metrics %q: want token", errUsage, args[0])
	}
	f, data := newFlagSet(e, "metrics token")
	if err := parseFlags(f, args[1:]); err != nil {
		return err
	}
	if err := data.checkDB(); err != nil {
		return err
	}
	if err := data.checkHubDir(); err != nil {
		return fmt.Errorf("no hub in %s (give another with --data DIR): %w", data.dir, err)
	}
	token, line := server.NewMetricsToken()
	path := filepath.Join(data.dir, server.MetricsTokenFile)
	if err := atomicfile.Write(path, 0o600, func(w io.Writer) error { _, err := io.WriteString(w, line); return err }); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	fmt.Fprintln(e.stdout, token)
	fmt.Fprintf(e.stderr, "监控令牌 the bearer token for /metrics on the hub's listener; it is shown only now (%s keeps its hash) and replaces the one before.\n", path)
	fmt.Fprintln(e.stderr, "Put it in a file only Prometheus reads, and name that file in the scrape job: authorization: {credentials_file: FILE}.")
	return nil
}
