package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/webhook"
)

// shutdownGrace bounds how long listen waits for in-flight deliveries after
// SIGINT or SIGTERM.
const shutdownGrace = 10 * time.Second

func cmdListen(ctx context.Context, e *env, args []string) error {
	var addr, path, basicEnv, bearerEnv string
	var maxBody int64
	fs := newFlagSet("listen")
	fs.StringVar(&addr, "addr", "127.0.0.1:8080", "listen on `HOST:PORT` (port 0 picks a free one)")
	fs.StringVar(&path, "path", "/webhook", "URL `PATH` to receive deliveries on")
	fs.StringVar(&basicEnv, "basic-auth-env", "", "require basic auth; the environment variable `NAME` holds user:pass")
	fs.StringVar(&bearerEnv, "bearer-env", "", "require a bearer token; the environment variable `NAME` holds it")
	fs.Int64Var(&maxBody, "max-body-bytes", webhook.DefaultMaxBodyBytes, "largest delivery body accepted, in `BYTES`")
	output := outputFlag(fs)
	if err := parseNoArgs(e, fs, args); err != nil {
		return err
	}
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " ?#") {
		return usagef("--path must start with / and hold no spaces, ? or #")
	}
	if maxBody <= 0 {
		return usagef("--max-body-bytes must be positive, got %d", maxBody)
	}
	opts := []webhook.Option{webhook.WithMaxBodyBytes(maxBody)}
	if basicEnv != "" {
		userPass, _, err := secretValue(e, "", basicEnv)
		if err != nil {
			return err
		}
		user, pass, ok := strings.Cut(userPass, ":")
		if !ok {
			return usagef("%s must hold user:pass", basicEnv)
		}
		opts = append(opts, webhook.WithBasicAuth(user, pass))
	}
	if bearerEnv != "" {
		token, _, err := secretValue(e, "", bearerEnv)
		if err != nil {
			return err
		}
		opts = append(opts, webhook.WithBearerToken(token))
	}
	asJSON := output.value == "json"
	logger := newLogger(e.stderr, asJSON)
	opts = append(opts, webhook.WithLogger(logger))

	printer := &eventPrinter{w: e.stdout, json: asJSON}
	hook := webhook.NewHandler(printer.print, opts...)
	// The path is compared as it is, not used as a ServeMux pattern, in
	// which braces and methods mean something.
	route := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			// Most likely a webhook pointed at the wrong path: say so.
			logger.Warn("not the webhook path; answered 404", "method", r.Method, "path", r.URL.Path, "status", http.StatusNotFound, "webhook_path", path)
			http.NotFound(w, r)
			return
		}
		hook.ServeHTTP(w, r)
	})

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err) // in use, or not ours: not a usage error
	}
	srv := &http.Server{Handler: route, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if basicEnv == "" && bearerEnv == "" {
		logger.Warn("no credentials required: anyone who can reach this address can post events; pass --bearer-env or --basic-auth-env")
	}
	logger.Info("listening", "url", "http://"+reachable(ln.Addr())+path)

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing in-flight deliveries")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}

// eventPrinter writes each event as one line: a JSON document, or a short
// description. Deliveries arrive concurrently, and lines must not
// interleave.
type eventPrinter struct {
	mu   sync.Mutex
	w    io.Writer
	json bool
}

func (p *eventPrinter) print(_ context.Context, ev *webhook.Event) error {
	var line bytes.Buffer
	if p.json {
		enc := json.NewEncoder(&line) // one line, ending in a newline
		enc.SetEscapeHTML(false)      // keep <addresses> readable
		if err := enc.Encode(toEventOut(ev)); err != nil {
			return err
		}
	} else {
		line.WriteString(describe(ev) + "\n")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err := p.w.Write(line.Bytes())
	return err // a failed write answers 500, and SMTP2GO delivers again
}

// describe is an event in one line: its type and ID, and the fields that
// tell what happened.
func describe(ev *webhook.Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s id=%s", ev.Type, ev.ID)
	switch {
	case ev.Bounce != "":
		fmt.Fprintf(&b, " rcpt=%s bounce=%s", ev.Rcpt, ev.Bounce)
	case ev.URL != "":
		fmt.Fprintf(&b, " rcpt=%s url=%s", ev.Rcpt, ev.URL)
	case len(ev.Recipients) > 0:
		fmt.Fprintf(&b, " recipients=%s", strings.Join(ev.Recipients, ","))
	case ev.Rcpt != "":
		fmt.Fprintf(&b, " rcpt=%s", ev.Rcpt)
	case ev.SMS != nil:
		fmt.Fprintf(&b, " to=%s status_code=%d", ev.SMS.DestinationNumber, ev.SMS.StatusCode)
	}
	if c := ev.Header("X-Customer-Id"); c != "" {
		fmt.Fprintf(&b, " X-Customer-Id=%s", c)
	}
	return b.String()
}

// eventOut is an event as listen prints it: stable snake_case names, the
// typed fields, and every field as received (with "auth", which may be an
// API key, masked).
type eventOut struct {
	Type       smtp2go.EventType   `json:"type"`
	RawType    string              `json:"raw_type"`
	ID         string              `json:"id,omitempty"`
	EmailID    string              `json:"email_id,omitempty"`
	MessageID  string              `json:"message_id,omitempty"`
	Time       *time.Time          `json:"time,omitempty"`
	Rcpt       string              `json:"rcpt,omitempty"`
	Recipients []string            `json:"recipients,omitempty"`
	Sender     string              `json:"sender,omitempty"`
	Subject    string              `json:"subject,omitempty"`
	Bounce     webhook.BounceType  `json:"bounce,omitempty"`
	Message    string              `json:"message,omitempty"`
	URL        string              `json:"url,omitempty"`
	SMS        *smsOut             `json:"sms,omitempty"`
	Fields     map[string][]string `json:"fields"`
}

type smsOut struct {
	DestinationNumber string `json:"destination_number,omitempty"`
	SourceNumber      string `json:"source_number,omitempty"`
	MessageID         string `json:"message_id,omitempty"`
	StatusCode        int    `json:"status_code,omitempty"`
	RetryCount        int    `json:"retry_count,omitempty"`
}

// redactedAuth stands for an event's "auth" field, which may be an API key,
// as package webhook prints it.
const redactedAuth = "[redacted]"

func toEventOut(ev *webhook.Event) eventOut {
	out := eventOut{
		Type: ev.Type, RawType: ev.RawType, ID: ev.ID, EmailID: ev.EmailID, MessageID: ev.MessageID,
		Rcpt: ev.Rcpt, Recipients: ev.Recipients, Sender: ev.Sender, Subject: ev.Subject,
		Bounce: ev.Bounce, Message: ev.Message, URL: ev.URL, Fields: map[string][]string{},
	}
	if !ev.Time.IsZero() {
		t := ev.Time
		out.Time = &t
	}
	if s := ev.SMS; s != nil {
		out.SMS = &smsOut{DestinationNumber: s.DestinationNumber, SourceNumber: s.SourceNumber, MessageID: s.MessageID, StatusCode: s.StatusCode, RetryCount: s.RetryCount}
	}
	for k, v := range ev.Fields {
		if strings.EqualFold(k, "auth") {
			v = []string{redactedAuth}
		}
		out.Fields[k] = v
	}
	return out
}
