package main

import (
	"slices"
	"strings"

	"github.com/relaykit/smtp2go"
)

// These comparisons stand in for the ones the SDK no longer exports, until
// the plan is taken from WebhooksService.Plan.

// authValueShown reports whether w's auth value is the secret itself, which
// the SDK would send back.
func authValueShown(w *smtp2go.Webhook) bool {
	if w.AuthHeaderType == smtp2go.AuthNone || w.AuthHeaderValue == "" {
		return false
	}
	req := smtp2go.AddWebhookRequest{URL: "https://example.com/", AuthHeaderType: w.AuthHeaderType, AuthHeaderValue: w.AuthHeaderValue}
	return req.Validate() == nil
}

func isDuplicateOf(a, b smtp2go.Webhook) bool {
	return a.URL == b.URL && len(changesOf(&a, &b)) == 0 && len(changesOf(&b, &a)) == 0
}

func changesFor(have *smtp2go.Webhook, req *smtp2go.AddWebhookRequest) []smtp2go.FieldChange {
	want := smtp2go.Webhook{URL: req.URL, Events: req.Events, SMSEvents: req.SMSEvents, Headers: req.Headers, Usernames: req.Usernames,
		OutputFormat: req.OutputFormat, AuthHeaderType: req.AuthHeaderType, AuthHeaderValue: req.AuthHeaderValue}
	return changesOf(have, &want)
}

func changesOf(h, w *smtp2go.Webhook) []smtp2go.FieldChange {
	var out []smtp2go.FieldChange
	add := func(field string, differ bool, old, new string) {
		if differ {
			out = append(out, smtp2go.FieldChange{Field: field, Old: old, New: new})
		}
	}
	add("events", !sameSet(names(h.Events), names(w.Events)), strings.Join(names(h.Events), ", "), strings.Join(names(w.Events), ", "))
	add("sms_events", !sameSet(names(h.SMSEvents), names(w.SMSEvents)), strings.Join(names(h.SMSEvents), ", "), strings.Join(names(w.SMSEvents), ", "))
	add("headers", !sameSet(h.Headers, w.Headers), strings.Join(h.Headers, ", "), strings.Join(w.Headers, ", "))
	add("usernames", !sameSet(h.Usernames, w.Usernames), strings.Join(redactedNames(h.Usernames), ", "), strings.Join(redactedNames(w.Usernames), ", "))
	add("output_format", format(h.OutputFormat) != format(w.OutputFormat), string(format(h.OutputFormat)), string(format(w.OutputFormat)))
	add("auth_header_type", h.AuthHeaderType != w.AuthHeaderType, string(h.AuthHeaderType), string(w.AuthHeaderType))
	add("auth_header_value", h.AuthHeaderValue != "" && authValueShown(h) && h.AuthHeaderValue != w.AuthHeaderValue,
		h.AuthHeaderValue.String(), w.AuthHeaderValue.String())
	return out
}

func redactedNames(in []string) []string {
	out := make([]string, len(in))
	for i, n := range in {
		out[i] = smtp2go.RedactURL(n)
	}
	return out
}

func format(f smtp2go.OutputFormat) smtp2go.OutputFormat {
	if f == "" {
		return smtp2go.OutputForm
	}
	return f
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}
