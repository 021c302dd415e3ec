package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/server"
)

func init() {
	commands["serve"] = command{summary: "serve --listen ADDR [--cert FILE --key FILE] [--url URL] [--metrics-addr ADDR]: run the hub (TLS, or plain HTTP on loopback only)", run: runServe}
}

func runServe(e *env, args []string) error {
	if err := refuseSecretFlag(args, "the metrics token", "metrics-token", "token"); err != nil {
		return fmt.Errorf("%w (`hubd metrics token` makes it; --metrics-token-file FILE names a file that holds it)", err)
	}
	f, data := newFlagSet(e, "serve")
	listen := f.String("listen", "127.0.0.1:8443", "address to listen on, HOST:PORT")
	cert := f.String("cert", "", "TLS certificate (PEM); with --key")
	key := f.String("key", "", "TLS private key (PEM); with --cert")
	url := f.String("url", "", "the hub's address as kiosks reach it, told them at enrollment (default: the address they used)")
	level := f.String("log", "info", "log level: debug, info, warn or error")
	tokenFile := f.String("metrics-token-file", "", "the file of the bearer token /metrics asks for on the hub's listener (default: "+server.MetricsTokenFile+" in the data directory, which `hubd metrics token` writes)")
	metricsAddr := f.String("metrics-addr", "", "also serve /metrics without a token on this address, plain HTTP, e.g. 127.0.0.1:9101 (:9101 is loopback)")
	if err := parseFlags(f, args); err != nil {
		return err
	}
	if (*cert == "") != (*key == "") {
		return fmt.Errorf("%w: --cert and --key go together", errUsage)
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("%w: --log %q: want debug, info, warn or error", errUsage, *level)
	}
	if err := server.CheckListen(*listen, *cert != ""); err != nil {
		return err
	}
	opts := server.Options{MetricsTokenFile: *tokenFile}
	if *tokenFile != "" {
		// Named: it must be there and good now, not at the first scrape.
		if _, err := server.ReadMetricsToken(*tokenFile); err != nil {
			return err
		}
	} else {
		// Read at each scrape: `hubd metrics token` needs no restart.
		opts.MetricsTokenFile = filepath.Join(data.dir, server.MetricsTokenFile)
	}
	var metricsAt string
	var metricsLoopback bool
	if *metricsAddr != "" {
		var err error
		if metricsAt, metricsLoopback, err = server.MetricsAddr(*metricsAddr); err != nil {
			return fmt.Errorf("%w: --metrics-addr: %v", errUsage, err)
		}
	}
	var tlsCfg *tls.Config
	if *cert != "" {
		var err error
		if tlsCfg, err = server.LoadTLS(*cert, *key); err != nil {
			return err
		}
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: lv}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	h, err := openHub(ctx, data, true, hub.Options{Log: log, URL: strings.TrimRight(*url, "/")})
	if err != nil {
		return err
	}
	defer h.Close()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	// Where staff open the web: the kiosks' address, or the listener's.
	web := strings.TrimRight(*url, "/") + "/"
	if *url == "" {
		web = "http://" + ln.Addr().String() + "/"
		if tlsCfg != nil {
			web = "https://" + ln.Addr().String() + "/"
		}
	}
	opts.Log = log
	srv := server.NewWith(h, opts)
	metricsDone := make(chan error, 1)
	if metricsAt != "" {
		mln, err := net.Listen("tcp", metricsAt)
		if err != nil {
			ln.Close()
			return fmt.Errorf("--metrics-addr: %w", err)
		}
		if !metricsLoopback {
			log.Warn("metrics served without a token off loopback: anyone who reaches the address reads them", "metrics_addr", mln.Addr().String())
		}
		log.Info("metrics serving", "metrics_addr", mln.Addr().String(), "path", server.PathMetrics)
		go func() { metricsDone <- srv.ServeMetrics(ctx, mln) }()
	} else {
		metricsDone <- nil
	}
	log.Info("hubd serving", "addr", ln.Addr().String(), "tls", tlsCfg != nil, "data", data.dir, "config", data.configName(), "store", data.store(), "hub_key", h.Fingerprint(), "web", web)
	err = srv.Serve(ctx, ln, tlsCfg)
	stop() // the metrics' listener stops with the hub's
	if merr := <-metricsDone; merr != nil {
		log.Error("metrics listener", "err", merr)
	}
	log.Info("hubd stopped")
	return err
}
