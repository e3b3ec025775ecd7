package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/relaykit/smtp2go"
)

// The JSON contract: a success is one JSON object on stdout (for listen,
// one a line), a webhook in it always a webhookOut, and an error
// {"error": errorOut} on stderr.

// webhookOut is a webhook as the CLI prints it in JSON: the API's field
// names, lists never null, secrets masked.
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

// toOut is w as the CLI prints it, its URL and usernames through RedactURL.
func toOut(w smtp2go.Webhook) *webhookOut {
	return &webhookOut{
		ID: w.ID, URL: smtp2go.RedactURL(w.URL), Events: names(w.Events), SMSEvents: names(w.SMSEvents),
		Headers: append([]string{}, w.Headers...), Usernames: mapped(w.Usernames, smtp2go.RedactURL), OutputFormat: string(w.OutputFormat),
		AuthHeaderType: string(w.AuthHeaderType), AuthHeaderValue: w.AuthHeaderValue.String(),
	}
}

// resultOut is the document of a command that shows or changes one webhook.
type resultOut struct {
	Action  string      `json:"action,omitempty"` // created, updated or removed; none for get
	Webhook *webhookOut `json:"webhook"`
}

// show prints doc with --output json, else the text of format and args.
func (a *app) show(doc any, format string, args ...any) error {
	if a.json() {
		return writeJSON(a.env.stdout, doc)
	}
	_, err := fmt.Fprintf(a.env.stdout, format, args...)
	return err
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// listOut is the document of list.
type listOut struct {
	Webhooks []*webhookOut `json:"webhooks"`
}

// printWebhooks prints webhooks as a table, or as a JSON document.
func printWebhooks(w io.Writer, asJSON bool, list []smtp2go.Webhook) error {
	if asJSON {
		return writeJSON(w, listOut{Webhooks: mapped(list, toOut)})
	}
	if len(list) == 0 {
		_, err := fmt.Fprintln(w, "No webhooks.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tURL\tEVENTS\tSMS EVENTS\tFORMAT\tAUTH")
	for _, wh := range list {
		o := toOut(wh)
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", o.ID, o.URL, cmp.Or(strings.Join(o.Events, ","), "-"),
			cmp.Or(strings.Join(o.SMSEvents, ","), "-"), cmp.Or(o.OutputFormat, "-"), cmp.Or(o.AuthHeaderType, "-"))
	}
	return tw.Flush()
}

// printResult prints what a command did to one webhook (none for get), and
// the webhook.
func printResult(w io.Writer, asJSON bool, action string, wh smtp2go.Webhook) error {
	if asJSON {
		return writeJSON(w, resultOut{Action: action, Webhook: toOut(wh)})
	}
	if action != "" {
		fmt.Fprintf(w, "%s webhook %d\n", action, wh.ID)
		if action == "removed" {
			return nil
		}
	}
	o := toOut(wh)
	auth := strings.TrimSpace(cmp.Or(o.AuthHeaderType, "none") + " " + o.AuthHeaderValue)
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	fmt.Fprintf(tw, "ID:\t%d\nURL:\t%s\nEvents:\t%s\nSMS events:\t%s\nHeaders:\t%s\nUsernames:\t%s\nFormat:\t%s\nAuth:\t%s\n",
		o.ID, o.URL, cmp.Or(strings.Join(o.Events, ", "), "-"), cmp.Or(strings.Join(o.SMSEvents, ", "), "-"),
		cmp.Or(strings.Join(o.Headers, ", "), "-"), cmp.Or(strings.Join(o.Usernames, ", "), "(all)"), cmp.Or(o.OutputFormat, "-"), auth)
	return tw.Flush()
}
