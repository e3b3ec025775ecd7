package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/relaykit/smtp2go"
)

// webhookOut is a webhook as the CLI prints it in JSON: the API's field
// names, lists never null, and secrets masked.
type webhookOut struct {
	ID              int64    `json:"id"`
	URL             string   `json:"url"`
	Events          []string `json:"events"`
	SMSEvents       []string `json:"sms_events"`
	Headers         []string `json:"headers"`
	Usernames       []string `json:"usernames"`
	OutputFormat    string   `json:"output_format"`
	AuthHeaderType  string   `json:"auth_header_type"`
	AuthHeaderValue string   `json:"auth_header_value"`
}

// masked is what the CLI prints instead of an auth value.
const masked = "********"

func toOut(w smtp2go.Webhook) webhookOut {
	r := w.Redacted()
	out := webhookOut{
		ID:             r.ID,
		URL:            r.URL,
		Events:         strs(r.Events),
		SMSEvents:      strs(r.SMSEvents),
		Headers:        nonNil(r.Headers),
		Usernames:      nonNil(r.Usernames),
		OutputFormat:   string(r.OutputFormat),
		AuthHeaderType: string(r.AuthHeaderType),
	}
	if w.AuthHeaderValue != "" {
		out.AuthHeaderValue = masked
	}
	return out
}

func strs[T ~string](in []T) []string {
	out := make([]string, len(in))
	for i, v := range in {
		out[i] = string(v)
	}
	return out
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// printWebhooks prints webhooks as a table, or as a JSON array.
func printWebhooks(w io.Writer, format string, list []smtp2go.Webhook) error {
	if format == "json" {
		out := make([]webhookOut, len(list))
		for i, wh := range list {
			out[i] = toOut(wh)
		}
		return writeJSON(w, out)
	}
	if len(list) == 0 {
		_, err := fmt.Fprintln(w, "No webhooks.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tURL\tEVENTS\tSMS EVENTS\tFORMAT\tAUTH")
	for _, wh := range list {
		o := toOut(wh)
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", o.ID, o.URL, dash(strings.Join(o.Events, ",")),
			dash(strings.Join(o.SMSEvents, ",")), dash(o.OutputFormat), dash(o.AuthHeaderType))
	}
	return tw.Flush()
}

// printWebhook prints one webhook as "field: value" lines, or a JSON object.
func printWebhook(w io.Writer, format string, wh smtp2go.Webhook) error {
	if format == "json" {
		return writeJSON(w, toOut(wh))
	}
	return printDetails(w, wh)
}

func printDetails(w io.Writer, wh smtp2go.Webhook) error {
	o := toOut(wh)
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	fmt.Fprintf(tw, "ID:\t%d\n", o.ID)
	fmt.Fprintf(tw, "URL:\t%s\n", o.URL)
	fmt.Fprintf(tw, "Events:\t%s\n", dash(strings.Join(o.Events, ", ")))
	fmt.Fprintf(tw, "SMS events:\t%s\n", dash(strings.Join(o.SMSEvents, ", ")))
	fmt.Fprintf(tw, "Headers:\t%s\n", dash(strings.Join(o.Headers, ", ")))
	fmt.Fprintf(tw, "Usernames:\t%s\n", dashOr(strings.Join(o.Usernames, ", "), "(all)"))
	fmt.Fprintf(tw, "Format:\t%s\n", dash(o.OutputFormat))
	auth := dashOr(o.AuthHeaderType, "none")
	if o.AuthHeaderValue != "" {
		auth += " " + masked
	}
	fmt.Fprintf(tw, "Auth:\t%s\n", auth)
	return tw.Flush()
}

func dash(s string) string { return dashOr(s, "-") }

func dashOr(s, empty string) string {
	if s == "" {
		return empty
	}
	return s
}
