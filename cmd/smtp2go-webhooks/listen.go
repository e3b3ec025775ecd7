package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/webhook"
)

func (a *app) listenCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "listen",
		Short: "Receive deliveries and print one line for each request answered",
		Long: `Receive deliveries and print one line for each request answered: its
status and the event, or, for a request refused, the reason given.

Runs until Ctrl-C (or SIGTERM), then finishes the deliveries in progress and
exits 0: a server that is stopped has done its job (other commands exit 130
when interrupted). A second Ctrl-C ends it at once.`,
		Example: "  HOOK_TOKEN=s3cret smtp2go-webhooks listen --addr 127.0.0.1:8788 --bearer-env HOOK_TOKEN",
		Args:    cobra.NoArgs,
	}
	fs := cmd.Flags()
	addr := fs.String("addr", "127.0.0.1:8080", "listen on `HOST:PORT` (port 0 picks a free one)")
	path := fs.String("path", "/webhook", "URL `PATH` to receive deliveries on")
	basicEnv := fs.String("basic-auth-env", "", "require basic auth; the environment variable `NAME` holds user:pass")
	bearerEnv := fs.String("bearer-env", "", "require a bearer token; the environment variable `NAME` holds it")
	maxBody := fs.Int64("max-body-bytes", webhook.DefaultMaxBodyBytes, "largest delivery body accepted, in `BYTES`")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return a.listen(cmd.Context(), *addr, *path, *basicEnv, *bearerEnv, *maxBody)
	}
	return cmd
}

func (a *app) listen(ctx context.Context, addr, path, basicEnv, bearerEnv string, maxBody int64) error {
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " ?#") {
		return usagef("--path must start with / and hold no spaces, ? or #")
	}
	if maxBody <= 0 {
		return usagef("--max-body-bytes must be positive, got %d", maxBody)
	}
	logger := newLogger(a.env.stderr, a.json())
	opts := []webhook.Option{webhook.WithMaxBodyBytes(maxBody), webhook.WithLogger(logger)}
	userPass, _, err := secretValue(a.env, "", basicEnv)
	user, pass, ok := strings.Cut(userPass, ":")
	switch {
	case err != nil:
		return err
	case basicEnv != "" && !ok:
		return usagef("%s must hold user:pass", basicEnv)
	case basicEnv != "":
		opts = append(opts, webhook.WithBasicAuth(user, pass))
	}
	token, _, err := secretValue(a.env, "", bearerEnv)
	switch {
	case err != nil:
		return err
	case bearerEnv != "":
		opts = append(opts, webhook.WithBearerToken(token))
	}
	printLine := printer(a.env.stdout, a.json())
	// The event's line is printed before the handler answers 200, so that a
	// failed write answers 500, and SMTP2GO delivers again.
	hook := webhook.NewHandler(func(ctx context.Context, ev *webhook.Event) error {
		if rec, ok := ctx.Value(recorderKey{}).(*recorder); ok {
			rec.printed = true
		}
		return printLine(requestOut{Status: http.StatusOK, Event: toEventOut(ev)}, ev)
	}, opts...)
	// The path is compared as it is: in a ServeMux pattern, braces and
	// methods mean something.
	route := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w}
		r = r.WithContext(context.WithValue(r.Context(), recorderKey{}, rec))
		if r.URL.Path != path {
			http.Error(rec, "not the webhook path, "+path, http.StatusNotFound)
		} else {
			hook.ServeHTTP(rec, r)
		}
		if !rec.printed || rec.status >= 300 { // no event, or its line could not be written
			_ = printLine(requestOut{Status: cmp.Or(rec.status, http.StatusOK), Method: r.Method, Path: r.URL.Path, Reason: strings.TrimSpace(string(rec.body))}, nil)
		}
	})

	srv, err := serve(addr, route)
	if err != nil {
		return err
	}
	if basicEnv == "" && bearerEnv == "" {
		logger.Warn("no credentials required: anyone who can reach this address can post events; pass --bearer-env or --basic-auth-env")
	}
	logger.Info("listening", "url", srv.url+path)
	select {
	case err := <-srv.served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing in-flight deliveries")
	if err := srv.stop(10 * time.Second); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// recorder keeps the status and the start of the body (a refusal's reason)
// of an answer, and whether the event's line was printed.
type recorder struct {
	http.ResponseWriter
	status  int
	body    []byte
	printed bool
}

type recorderKey struct{}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if len(r.body) < 512 {
		r.body = append(r.body, p[:min(len(p), 512-len(r.body))]...)
	}
	return r.ResponseWriter.Write(p)
}

// requestOut is a request as listen prints it in JSON.
type requestOut struct {
	Status int       `json:"status"`
	Method string    `json:"method,omitempty"`
	Path   string    `json:"path,omitempty"`
	Reason string    `json:"reason,omitempty"`
	Event  *eventOut `json:"event,omitempty"`
}

// printer returns a function that writes the line of a request: out, or as
// text ev if not nil. Lines are written whole: deliveries arrive concurrently.
func printer(w io.Writer, asJSON bool) func(out requestOut, ev *webhook.Event) error {
	var mu sync.Mutex
	return func(out requestOut, ev *webhook.Event) error {
		var line bytes.Buffer
		switch {
		case asJSON:
			enc := json.NewEncoder(&line)
			enc.SetEscapeHTML(false) // keep <addresses> readable
			if err := enc.Encode(out); err != nil {
				return err
			}
		case ev != nil:
			fmt.Fprintf(&line, "%d %s\n", out.Status, describe(ev))
		case out.Reason != "":
			fmt.Fprintf(&line, "%d %s %s: %s\n", out.Status, out.Method, out.Path, out.Reason)
		default:
			fmt.Fprintf(&line, "%d %s %s\n", out.Status, out.Method, out.Path)
		}
		mu.Lock()
		defer mu.Unlock()
		_, err := w.Write(line.Bytes())
		return err
	}
}

// describe is an event in one line: its type, ID, and what happened.
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

// eventOut is an event as listen prints it in JSON: the typed fields, and
// every field as received, with "auth" (maybe an API key) masked.
type eventOut struct {
	Type       smtp2go.EventType   `json:"type"`
	RawType    string              `json:"raw_type"`
	ID         string              `json:"id,omitempty"`
	EmailID    string              `json:"email_id,omitempty"`
	MessageID  string              `json:"message_id,omitempty"`
	Time       time.Time           `json:"time,omitzero"`
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

func toEventOut(ev *webhook.Event) *eventOut {
	out := &eventOut{
		Type: ev.Type, RawType: ev.RawType, ID: ev.ID, EmailID: ev.EmailID, MessageID: ev.MessageID, Time: ev.Time,
		Rcpt: ev.Rcpt, Recipients: ev.Recipients, Sender: ev.Sender, Subject: ev.Subject,
		Bounce: ev.Bounce, Message: ev.Message, URL: ev.URL, Fields: map[string][]string{},
	}
	if s := ev.SMS; s != nil {
		out.SMS = &smsOut{DestinationNumber: s.DestinationNumber, SourceNumber: s.SourceNumber, MessageID: s.MessageID, StatusCode: s.StatusCode, RetryCount: s.RetryCount}
	}
	for k, v := range ev.Fields {
		if strings.EqualFold(k, "auth") {
			v = []string{"[redacted]"}
		}
		out.Fields[k] = v
	}
	return out
}
