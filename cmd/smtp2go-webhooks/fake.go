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

// fakeCommand runs the fake SMTP2GO as a server of its own, until
// interrupted: for trying the CLI without an account, and for tests written
// in other languages, as stripe-mock serves Stripe's.
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
		api, err := startFake(*addr, cfg)
		if err != nil {
			return err
		}
		if a.json() {
			err = writeJSON(a.env.stdout, struct {
				BaseURL string `json:"base_url"`
				APIKey  string `json:"api_key"`
			}{api.url, api.APIKey()})
		} else {
			_, err = fmt.Fprintf(a.env.stdout, "Fake SMTP2GO API on %s (Ctrl-C to stop). In another terminal:\n\n  export %s=%s\n  export %s=%s\n\n",
				api.url, envBaseURL, api.url, envAPIKey, api.APIKey())
		}
		if err == nil {
			<-cmd.Context().Done()
		}
		api.close()
		logger.Info("stopped")
		return err
	}
	return cmd
}

// newLogger returns the logger of a command that runs until interrupted:
// text lines, or JSON lines with --output json.
func newLogger(w io.Writer, asJSON bool) *slog.Logger {
	if asJSON {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// fakeServer is a fake SMTP2GO served on a loopback port.
type fakeServer struct {
	*fakesmtp2go.Fake
	url string // the API's base URL, ending in /v3/
	srv *http.Server
}

// startFake serves a fake SMTP2GO configured by cfg on addr.
func startFake(addr string, cfg fakesmtp2go.Config) (*fakeServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err) // in use, or not ours: not a usage error
	}
	f := &fakeServer{Fake: fakesmtp2go.New(cfg), url: "http://" + reachable(ln.Addr()) + "/v3/"}
	f.srv = &http.Server{Handler: f.Fake, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = f.srv.Serve(ln) }()
	return f, nil
}

// close stops serving, letting requests in flight finish for a moment.
func (f *fakeServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.srv.Shutdown(ctx); err != nil {
		_ = f.srv.Close()
	}
	f.Fake.Close()
}

// reachable is an address a client on this machine can connect to: the
// listener's, with an unspecified IP (0.0.0.0, ::) replaced by loopback.
func reachable(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return addr.String()
	}
	return net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
}
