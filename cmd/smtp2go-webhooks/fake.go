package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/relaykit/smtp2go/internal/fakesmtp2go"
)

var viewEnum = enum{what: "view shape", values: []string{fakesmtp2go.ViewArray, fakesmtp2go.ViewObject, fakesmtp2go.ViewWrapped}}

// fakeCommand serves the fake SMTP2GO until interrupted, as stripe-mock
// serves Stripe's API: for trying the CLI, and for tests in any language.
func (a *app) fakeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fake",
		Short: "Run a fake SMTP2GO API on this machine, for trying the CLI and testing",
		Long: `Run a fake SMTP2GO API on this machine, for trying the CLI and testing.
"smtp2go-webhooks trigger EVENT" makes it deliver an event to its webhooks.

Runs until Ctrl-C (or SIGTERM), then exits 0: a server that is stopped has
done its job (other commands exit 130 when interrupted). Its webhooks are
kept in memory, and go with it.`,
		Example: "  smtp2go-webhooks fake --addr 127.0.0.1:8025",
		Args:    cobra.NoArgs,
	}
	fs := cmd.Flags()
	addr := fs.String("addr", "127.0.0.1:8025", "listen on `HOST:PORT` (port 0 picks a free one)")
	apiKey := fs.String("api-key", "", "the API `KEY` the fake accepts, to fix it in scripts (default: a new random one); never a real key")
	limit := fs.Int("webhook-limit", fakesmtp2go.DefaultWebhookLimit, "at most `N` webhooks per account: 1 as on free plans, 10 on paid ones; 0 for no limit")
	view := newEnumFlag(cmd, "view-shape", viewEnum, fakesmtp2go.ViewArray, "`SHAPE` of webhook/view's data: array (as SMTP2GO answers), object (as it documents) or wrapped")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		logger := newLogger(a.env.stderr, a.json())
		cfg := fakesmtp2go.DefaultConfig()
		cfg.APIKey, cfg.WebhookLimit, cfg.ViewShape = *apiKey, *limit, view.value
		cfg.OnRequest = func(r fakesmtp2go.Request) {
			logger.Info("request", "method", r.Method, "path", r.Path, "status", r.Status)
		}
		api := fakesmtp2go.New(cfg)
		defer api.Close()
		srv, err := serve(*addr, api)
		if err != nil {
			return err
		}
		base := srv.url + "/v3/"
		err = a.show(struct {
			BaseURL string `json:"base_url"`
			APIKey  string `json:"api_key"`
		}{base, api.APIKey()}, "Fake SMTP2GO API on %s (Ctrl-C to stop). In another terminal:\n\n  export %s=%s\n  export %s=%s\n\n",
			base, envBaseURL, base, envAPIKey, api.APIKey())
		if err == nil {
			<-cmd.Context().Done()
		}
		_ = srv.stop(5 * time.Second)
		logger.Info("stopped")
		return err
	}
	return cmd
}

// newLogger returns the logger of a command that runs until interrupted.
func newLogger(w io.Writer, asJSON bool) *slog.Logger {
	if asJSON {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// server is an HTTP server on an address of this machine; its url has
// loopback for an unspecified IP (0.0.0.0, ::).
type server struct {
	*http.Server
	url    string
	served chan error // what Serve returned
}

func serve(addr string, h http.Handler) (*server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err) // in use, or not ours: not a usage error
	}
	host := ln.Addr().String()
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		host = net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
	}
	s := &server{Server: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}, url: "http://" + host, served: make(chan error, 1)}
	go func() { s.served <- s.Serve(ln) }()
	return s, nil
}

// stop stops serving, letting the requests in flight finish within grace.
func (s *server) stop(grace time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := s.Shutdown(ctx)
	if err != nil {
		_ = s.Close()
	}
	return err
}
