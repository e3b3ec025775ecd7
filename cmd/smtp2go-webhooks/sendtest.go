package main

import (
	"context"
	"fmt"
	"net/http"
	neturl "net/url"
	"strings"
	"time"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/internal/fakesmtp2go"
)

func cmdSendTest(ctx context.Context, e *env, args []string) error {
	var url, valueFile, valueEnv, headers string
	var fields, headerValues pairsFlag
	fs := newFlagSet("send-test")
	fs.StringVar(&url, "url", "", "the endpoint to post to")
	event := newEnumFlag(fs, "event", deliveryEventEnum, string(smtp2go.EventDelivered),
		"event `TYPE`: "+strings.Join(emailEventEnum.values, ", ")+", or sms_delivered, sms_failed… (SMS events also as failed, rejected, sending, submitted)")
	format := newEnumFlag(fs, "format", formatEnum, string(smtp2go.OutputForm), "body `FORMAT`: form or json")
	auth := newEnumFlag(fs, "auth", authEnum, "none", "Authorization header to send: bearer, basic or none")
	fs.StringVar(&valueFile, "auth-value-file", "", "read the bearer token, or user:pass for basic, from `FILE`")
	fs.StringVar(&valueEnv, "auth-value-env", "", "read the bearer token, or user:pass for basic, from the environment variable `NAME`")
	fs.StringVar(&headers, "headers", "", "comma-separated custom header `NAMES` to include, as a webhook's headers list does (each reads \"Headers Unavailable\")")
	fs.Var(&headerValues, "header-value", "include the custom header `NAME=VALUE` with that value (repeatable)")
	fs.Var(&fields, "field", "set the delivery's field `NAME=VALUE`, as SMTP2GO names it (rcpt, bounce, message…), or add one; empty drops it (repeatable)")
	output := outputFlag(fs)
	if err := parseNoArgs(e, fs, args); err != nil {
		return err
	}
	if u, err := neturl.Parse(url); url == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &usageError{msg: "--url must be an absolute http or https URL", help: helpText("send-test", fs)}
	}
	cfg := fakesmtp2go.DeliverConfig{Format: format.value, Headers: splitList(headers), Fields: map[string]string{}}
	if valueFile != "" && valueEnv != "" {
		return usagef("give --auth-value-file or --auth-value-env, not both")
	}
	value, haveValue, err := secretValue(e, valueFile, valueEnv)
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

	d, err := fakesmtp2go.Deliver(ctx, url, ev, cfg)
	if err == nil && !d.OK() {
		err = refused(d.Status, auth.value)
	}
	if output.value == "json" {
		out := deliveryOut{URL: d.URL, Event: string(d.Type), ID: d.EventID, Format: string(d.Format), LatencyMS: float64(d.Latency.Microseconds()) / 1000}
		if d.Status != 0 {
			out.Status = &d.Status
		}
		if werr := writeJSON(e.stdout, struct {
			Delivery deliveryOut `json:"delivery"`
		}{out}); werr != nil {
			return werr
		}
	} else if d.Status != 0 {
		fmt.Fprintf(e.stdout, "sent %s (%s, id %s) to %s: %d %s in %s\n", d.Type, d.Format, d.EventID, d.URL, d.Status, http.StatusText(d.Status), d.Latency.Round(100*time.Microsecond))
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
	LatencyMS float64 `json:"latency_ms"`
}

// refused is the error of an endpoint that answered status, not 2xx; for a
// 401 it says what to pass.
func refused(status int, auth string) error {
	msg := fmt.Sprintf("the endpoint answered %d %s", status, http.StatusText(status))
	if status == http.StatusUnauthorized {
		if auth == "none" {
			msg += ": it wants credentials; pass --auth bearer or --auth basic, with --auth-value-env or --auth-value-file"
		} else {
			msg += fmt.Sprintf(": it refused the --auth %s value given", auth)
		}
	}
	return &statusError{status: status, msg: msg}
}
