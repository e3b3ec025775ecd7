package main

import (
	"context"
	"fmt"
	"net/http"
	neturl "net/url"
	"strings"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/smtp2gotest"
)

func cmdSendTest(ctx context.Context, e *env, args []string) error {
	var url, event, format, auth, valueFile, valueEnv, headers, output string
	fs := newFlagSet("send-test")
	fs.StringVar(&url, "url", "", "the endpoint to post to")
	fs.StringVar(&event, "event", "delivered", "event `TYPE`: processed, delivered, open, click, bounce, spam, unsubscribe, resubscribe, reject, or sms_delivered, sms_failed, …")
	fs.StringVar(&format, "format", "form", "body format: form or json")
	fs.StringVar(&auth, "auth", "none", "Authorization header to send: bearer, basic or none")
	fs.StringVar(&valueFile, "auth-value-file", "", "read the bearer token, or user:pass for basic, from `FILE`")
	fs.StringVar(&valueEnv, "auth-value-env", "", "read the bearer token, or user:pass for basic, from the environment variable `NAME`")
	fs.StringVar(&headers, "headers", "", "comma-separated custom header names to include, as a webhook's headers list does")
	fs.StringVar(&output, "output", "table", "output format: table or json")
	if err := parseNoArgs(e, fs, args); err != nil {
		return err
	}
	if u, err := neturl.Parse(url); url == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &usageError{msg: "--url must be an absolute http or https URL", help: helpText("send-test", fs)}
	}
	if output != "table" && output != "json" {
		return usagef("--output must be table or json, got %q", output)
	}
	typ := smtp2go.EventType(strings.ToLower(strings.TrimSpace(event)))
	if !typ.Valid() && !isSMSEvent(typ) {
		return usagef("--event: unknown event %q", event)
	}
	opts := []smtp2gotest.DeliverOption{}
	switch smtp2go.OutputFormat(format) {
	case smtp2go.OutputForm, smtp2go.OutputJSON:
		opts = append(opts, smtp2gotest.WithFormat(smtp2go.OutputFormat(format)))
	default:
		return usagef("--format must be form or json, got %q", format)
	}
	if valueFile != "" && valueEnv != "" {
		return usagef("give --auth-value-file or --auth-value-env, not both")
	}
	value, haveValue, err := secretValue(e, valueFile, valueEnv)
	if err != nil {
		return err
	}
	switch auth {
	case "none", "":
		if haveValue {
			return usagef("an auth value was given with --auth none")
		}
	case "bearer", "basic":
		if !haveValue {
			return usagef("--auth %s needs --auth-value-file or --auth-value-env", auth)
		}
		if auth == "bearer" {
			opts = append(opts, smtp2gotest.WithBearerToken(value))
		} else {
			user, pass, ok := strings.Cut(value, ":")
			if !ok {
				return usagef("--auth basic wants user:pass as its value")
			}
			opts = append(opts, smtp2gotest.WithBasicAuth(user, pass))
		}
	default:
		return usagef("--auth must be bearer, basic or none, got %q", auth)
	}
	if headers != "" {
		opts = append(opts, smtp2gotest.WithHeaders(splitList(headers)...))
	}

	d, err := smtp2gotest.Deliver(ctx, url, smtp2gotest.SampleEvent(typ), opts...)
	if output == "json" {
		out := map[string]any{"url": d.URL, "event": d.Type, "id": d.EventID, "format": d.Format, "status": d.Status, "latency_ms": d.Latency.Milliseconds()}
		if d.Err != nil {
			out["error"] = d.Err.Error()
		}
		if werr := writeJSON(e.stdout, out); werr != nil {
			return werr
		}
	} else if err == nil {
		fmt.Fprintf(e.stdout, "sent %s (%s, id %s) to %s: %d %s in %s\n", d.Type, d.Format, d.EventID, d.URL, d.Status, http.StatusText(d.Status), d.Latency.Round(100_000))
	}
	if err != nil {
		return fmt.Errorf("delivery failed: %w", err) // err names the (redacted) URL
	}
	if !d.OK() {
		return fmt.Errorf("the endpoint answered %d %s", d.Status, http.StatusText(d.Status))
	}
	return nil
}

func isSMSEvent(t smtp2go.EventType) bool {
	for _, s := range smtp2go.SMSEventTypes() {
		if s.EventType() == t {
			return true
		}
	}
	return false
}
