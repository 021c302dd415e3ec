package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"os/signal"
	"strings"
	"syscall"

	"github.com/hongmajia/hongmajia/hub"
	"github.com/hongmajia/hongmajia/hub/server"
)

func init() {
	commands["serve"] = command{summary: "serve --listen ADDR [--cert FILE --key FILE] [--url URL]: run the hub (TLS, or plain HTTP on loopback only)", run: runServe}
}

func runServe(e *env, args []string) error {
	f, data := newFlagSet(e, "serve")
	listen := f.String("listen", "127.0.0.1:8443", "address to listen on, HOST:PORT")
	cert := f.String("cert", "", "TLS certificate (PEM); with --key")
	key := f.String("key", "", "TLS private key (PEM); with --cert")
	url := f.String("url", "", "the hub's address as kiosks reach it, told them at enrollment (default: the address they used)")
	level := f.String("log", "info", "log level: debug, info, warn or error")
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
	h, err := openHub(ctx, *data, true, hub.Options{Log: log, URL: strings.TrimRight(*url, "/")})
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
	log.Info("hubd serving", "addr", ln.Addr().String(), "tls", tlsCfg != nil, "data", *data, "hub_key", h.Fingerprint(), "web", web)
	err = server.New(h, log).Serve(ctx, ln, tlsCfg)
	log.Info("hubd stopped")
	return err
}
