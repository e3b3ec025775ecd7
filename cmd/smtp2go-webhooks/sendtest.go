package main

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"net/http"
	neturl "net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/internal/fakesmtp2go"
	"github.com/relaykit/smtp2go/webhook"
)

func (a *app) sendTestCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "send-test --url URL --event TYPE",
		Short:   "Post a realistic delivery to a URL, like the App's Test button",
		Example: "  smtp2go-webhooks send-test --url http://127.0.0.1:8788/webhook --event bounce --field bounce=soft",
		Args:    cobra.NoArgs,
	}
	fs := cmd.Flags()
	url := fs.String("url", "", "the endpoint to post to")
	event := newEnumFlag(cmd, "event", deliveryEventEnum, string(smtp2go.EventDelivered),
		"event `TYPE`: "+strings.Join(emailEventEnum.values, ", ")+", or sms_delivered, sms_failed… (SMS events also as failed, rejected, sending, submitted)")
	format := newEnumFlag(cmd, "format", formatEnum, string(smtp2go.OutputForm), "body `FORMAT`: form or json")
	auth := newEnumFlag(cmd, "auth", authEnum, "none", "Authorization header to send: bearer, basic or none")
	var valueFile, valueEnv string
	authValueFlags(cmd, &valueFile, &valueEnv, "the bearer token, or user:pass for basic,")
	headers := fs.String("headers", "", "comma-separated custom header `NAMES` to include, as a webhook's headers list does (each reads \"Headers Unavailable\")")
	var headerValues, fields pairsFlag
	fs.Var(&headerValues, "header-value", "include the custom header `NAME=VALUE` with that value (repeatable)")
	fs.Var(&fields, "field", "set the delivery's field `NAME=VALUE`, as SMTP2GO names it (rcpt, bounce, message…), or add one; empty drops it (repeatable)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if u, err := neturl.Parse(*url); *url == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("--url must be an absolute http or https URL")
		}
		value, from, err := secretValue(a.env, valueFile, valueEnv)
		if err != nil {
			return err
		}
		// --field is applied last: it sets a field, whatever else named it.
		cfg := fakesmtp2go.DeliverConfig{Format: format.value, Headers: append(splitList(*headers), headerValues.names...), Fields: headerValues.fields()}
		maps.Copy(cfg.Fields, fields.fields())
		user, pass, isPair := strings.Cut(value, ":")
		switch {
		case auth.value == "none" && from != "":
			return usagef("an auth value was given with --auth none")
		case auth.value != "none" && from == "":
			return usagef("--auth %s needs --auth-value-file or --auth-value-env", auth.value)
		case auth.value == string(smtp2go.AuthBearer):
			cfg.Authorization = "Bearer " + value
		case auth.value == string(smtp2go.AuthBasic) && !isPair:
			return usagef("--auth basic wants user:pass as its value")
		case auth.value == string(smtp2go.AuthBasic):
			cfg.Authorization = fakesmtp2go.BasicAuthorization(user, pass)
		}
		return a.sendTest(cmd, *url, fakesmtp2go.SampleEvent(smtp2go.EventType(event.value)), cfg, auth.value)
	}
	return cmd
}

// sendTest delivers ev to url and prints the answer, with a refusal's reason.
func (a *app) sendTest(cmd *cobra.Command, url string, ev webhook.Event, cfg fakesmtp2go.DeliverConfig, auth string) error {
	// As SMTP2GO's deliveries, it follows no redirect and keeps no connection.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	answer := &reasonTransport{RoundTripper: tr}
	cfg.HTTPClient = &http.Client{Transport: answer, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	d, err := fakesmtp2go.Deliver(cmd.Context(), url, ev, cfg)
	if err == nil && !d.OK() {
		err = refused(d.Status, answer.reason, auth)
	}
	if a.json() {
		// Status is null when no answer came, and Reason is the body of a refusal.
		type deliveryOut struct {
			URL       string  `json:"url"`
			Event     string  `json:"event"`
			ID        string  `json:"id"`
			Format    string  `json:"format"`
			Status    *int    `json:"status"`
			Reason    string  `json:"reason,omitempty"`
			LatencyMS float64 `json:"latency_ms"`
		}
		out := deliveryOut{URL: d.URL, Event: string(d.Type), ID: d.EventID, Format: string(d.Format),
			Status: nonZero(d.Status), LatencyMS: float64(d.Latency.Microseconds()) / 1000}
		if !d.OK() {
			out.Reason = answer.reason
		}
		if werr := writeJSON(a.env.stdout, struct {
			Delivery deliveryOut `json:"delivery"`
		}{out}); werr != nil {
			return werr
		}
	} else if d.Status != 0 {
		fmt.Fprintf(a.env.stdout, "sent %s (%s, id %s) to %s: %d %s in %s\n", d.Type, d.Format, d.EventID, d.URL, d.Status, http.StatusText(d.Status), d.Latency.Round(100*time.Microsecond))
		if !d.OK() && answer.reason != "" {
			fmt.Fprintf(a.env.stdout, "the endpoint's reason: %s\n", answer.reason)
		}
	}
	if err != nil && d.Status == 0 {
		return fmt.Errorf("delivery failed: %w", err) // err names the (redacted) URL
	}
	return err
}

// refused is the error of an endpoint that answered status, not 2xx, with
// reason.
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

// reasonTransport keeps the start of the body of the answer to a delivery,
// a refusal's reason; Deliver calls it in the goroutine that reads reason.
type reasonTransport struct {
	http.RoundTripper
	reason string
}

func (t *reasonTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.RoundTripper.RoundTrip(r)
	if err == nil {
		start, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		t.reason = strings.TrimSpace(string(start))
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(start), resp.Body), resp.Body}
	}
	return resp, err
}
