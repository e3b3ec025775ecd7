package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/internal/fakesmtp2go"
)

func (a *app) sendTestCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "send-test --url URL --event TYPE",
		Short:   "Post a realistic delivery to a URL, like the App's Test button",
		Example: "  smtp2go-webhooks send-test --url http://127.0.0.1:8788/webhook --event bounce --field bounce=soft",
		Args:    noArgs,
	}
	st := &sendTest{}
	fs := cmd.Flags()
	fs.StringVar(&st.url, "url", "", "the endpoint to post to")
	st.event = newEnumFlag(fs, "event", "", deliveryEventEnum, string(smtp2go.EventDelivered),
		"event `TYPE`: "+strings.Join(emailEventEnum.values, ", ")+", or sms_delivered, sms_failed… (SMS events also as failed, rejected, sending, submitted)")
	st.format = newEnumFlag(fs, "format", "", formatEnum, string(smtp2go.OutputForm), "body `FORMAT`: form or json")
	st.auth = newEnumFlag(fs, "auth", "", authEnum, "none", "Authorization header to send: bearer, basic or none")
	fs.StringVar(&st.valueFile, "auth-value-file", "", "read the bearer token, or user:pass for basic, from `FILE`")
	fs.StringVar(&st.valueEnv, "auth-value-env", "", "read the bearer token, or user:pass for basic, from the environment variable `NAME`")
	fs.StringVar(&st.headers, "headers", "", "comma-separated custom header `NAMES` to include, as a webhook's headers list does (each reads \"Headers Unavailable\")")
	fs.Var(&st.headerValues, "header-value", "include the custom header `NAME=VALUE` with that value (repeatable)")
	fs.Var(&st.fields, "field", "set the delivery's field `NAME=VALUE`, as SMTP2GO names it (rcpt, bounce, message…), or add one; empty drops it (repeatable)")
	_ = cmd.RegisterFlagCompletionFunc("event", deliveryEventEnum.complete)
	_ = cmd.RegisterFlagCompletionFunc("format", formatEnum.complete)
	_ = cmd.RegisterFlagCompletionFunc("auth", authEnum.complete)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return a.sendTest(cmd.Context(), st) }
	return cmd
}

// sendTest is the command line of send-test.
type sendTest struct {
	url, valueFile, valueEnv, headers string
	event, format, auth               *enumFlag
	fields, headerValues              pairsFlag
}

func (a *app) sendTest(ctx context.Context, st *sendTest) error {
	e, url, format, auth, event := a.env, st.url, st.format, st.auth, st.event
	headers, headerValues, fields := st.headers, st.headerValues, st.fields
	if u, err := neturl.Parse(url); url == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("--url must be an absolute http or https URL")
	}
	cfg := fakesmtp2go.DeliverConfig{Format: format.value, Headers: splitList(headers), Fields: map[string]string{}}
	if st.valueFile != "" && st.valueEnv != "" {
		return usagef("give --auth-value-file or --auth-value-env, not both")
	}
	value, haveValue, err := secretValue(e, st.valueFile, st.valueEnv)
	if err != nil {
		return err
	}
	switch auth.value {
	case "none":
		if haveValue {
			return usagef("an auth value was given with --auth none")
		}
	case string(smtp2go.AuthBearer):
		cfg.Authorization = "Bearer " + value
	case string(smtp2go.AuthBasic):
		user, pass, ok := strings.Cut(value, ":")
		if !ok {
			return usagef("--auth basic wants user:pass as its value")
		}
		cfg.Authorization = fakesmtp2go.BasicAuthorization(user, pass)
	}
	if auth.value != "none" && !haveValue {
		return usagef("--auth %s needs --auth-value-file or --auth-value-env", auth.value)
	}
	ev := fakesmtp2go.SampleEvent(smtp2go.EventType(event.value))
	for i, name := range headerValues.names {
		cfg.Headers = append(cfg.Headers, name)
		cfg.Fields[name] = headerValues.values[i]
	}
	for i, name := range fields.names {
		cfg.Fields[name] = fields.values[i]
	}

	answer := &answerRecorder{}
	cfg.HTTPClient = answer.client()
	defer cfg.HTTPClient.CloseIdleConnections()
	d, err := fakesmtp2go.Deliver(ctx, url, ev, cfg)
	reason := answer.reason()
	if err == nil && !d.OK() {
		err = refused(d.Status, reason, auth.value)
	}
	if a.json() {
		out := deliveryOut{URL: d.URL, Event: string(d.Type), ID: d.EventID, Format: string(d.Format), LatencyMS: float64(d.Latency.Microseconds()) / 1000}
		if d.Status != 0 {
			out.Status = &d.Status
		}
		if !d.OK() {
			out.Reason = reason
		}
		if werr := writeJSON(e.stdout, struct {
			Delivery deliveryOut `json:"delivery"`
		}{out}); werr != nil {
			return werr
		}
	} else if d.Status != 0 {
		fmt.Fprintf(e.stdout, "sent %s (%s, id %s) to %s: %d %s in %s\n", d.Type, d.Format, d.EventID, d.URL, d.Status, http.StatusText(d.Status), d.Latency.Round(100*time.Microsecond))
		if !d.OK() && reason != "" {
			fmt.Fprintf(e.stdout, "the endpoint's reason: %s\n", reason)
		}
	}
	if err != nil && d.Status == 0 {
		return fmt.Errorf("delivery failed: %w", err) // err names the (redacted) URL
	}
	return err
}

// deliveryOut is a delivery as send-test prints it in JSON. Status is null
// when no answer came.
type deliveryOut struct {
	URL       string  `json:"url"`
	Event     string  `json:"event"`
	ID        string  `json:"id"`
	Format    string  `json:"format"`
	Status    *int    `json:"status"`
	Reason    string  `json:"reason,omitempty"` // the body of a refusal
	LatencyMS float64 `json:"latency_ms"`
}

// refused is the error of an endpoint that answered status, not 2xx, with
// reason; for a 401 its hint says what to pass.
func refused(status int, reason, auth string) error {
	msg := fmt.Sprintf("the endpoint answered %d %s", status, http.StatusText(status))
	if reason != "" {
		msg += ": " + reason
	}
	var err error = &statusError{status: status, msg: msg}
	switch {
	case status == http.StatusUnauthorized && auth == "none":
		err = withHint(err, "It wants credentials: pass --auth bearer or --auth basic, with --auth-value-env or --auth-value-file.")
	case status == http.StatusUnauthorized:
		err = withHint(err, fmt.Sprintf("It refused the --auth %s value given.", auth))
	}
	return err
}

// answerRecorder keeps the start of the body of the answer to a delivery:
// the reason a receiver gives for a refusal.
type answerRecorder struct {
	mu   sync.Mutex
	body []byte
}

// client is an HTTP client for one delivery that follows no redirect, as
// SMTP2GO's deliveries do not, and keeps what the answer's body says.
func (ar *answerRecorder) client() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	return &http.Client{
		Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
			resp, err := tr.RoundTrip(r)
			if err == nil {
				resp.Body = &teeBody{ReadCloser: resp.Body, ar: ar}
			}
			return resp, err
		}),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func (ar *answerRecorder) reason() string {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	return strings.TrimSpace(string(ar.body))
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// teeBody copies the first 512 bytes read from a body to its recorder.
type teeBody struct {
	io.ReadCloser
	ar *answerRecorder
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	t.ar.mu.Lock()
	if room := 512 - len(t.ar.body); room > 0 {
		t.ar.body = append(t.ar.body, p[:min(n, room)]...)
	}
	t.ar.mu.Unlock()
	return n, err
}
