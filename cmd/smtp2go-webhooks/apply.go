package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/relaykit/smtp2go"
)

func cmdApply(ctx context.Context, e *env, args []string) error {
	return withDetailedExitCode(args, apply(ctx, e, args))
}

func apply(ctx context.Context, e *env, args []string) (err error) {
	var api apiFlags
	var pf planFlags
	var file string
	var prune bool
	fs := newFlagSet("apply")
	api.register(fs)
	pf.register(fs, &api)
	fs.StringVar(&file, "f", "", "the webhooks wanted: `FILE` holding a JSON array of webhook/add bodies (- for stdin)")
	fs.Var(fs.Lookup("f").Value, "file", "")
	fs.BoolVar(&prune, "prune", false, "also remove the webhooks whose URL is not in the file")
	if err := parseNoArgs(e, fs, args); err != nil {
		return err
	}
	if file == "" {
		return &usageError{msg: "-f FILE is required: the JSON array of the webhooks wanted", help: helpText("apply", fs)}
	}
	want, err := readWanted(e, file, api.subaccount)
	if err != nil {
		return err
	}
	c, err := api.client(e)
	if err != nil {
		return err
	}
	ctx, finish := api.bound(ctx)
	defer finish(&err)
	current, err := c.Webhooks.List(ctx, &smtp2go.ListWebhooksRequest{SubaccountID: api.subaccount})
	if err != nil {
		return err
	}
	p, err := makePlan(want, current.Webhooks, prune)
	if err != nil {
		return err
	}
	return p.report(ctx, e, &pf, c, api.subaccount, "No changes: the webhooks are set up as the file says.", nil)
}

// readWanted reads and checks the file: every entry valid, no URL twice.
// Nothing has been sent when it fails. Entries are numbered from 1.
func readWanted(e *env, path, subaccount string) ([]wanted, error) {
	data, err := readInput(e, "-f", path)
	if err != nil {
		return nil, err
	}
	// An array, even an empty one, and nothing else: a null or an object
	// (a template gone wrong) must not read as "no webhooks" and, with
	// --prune, remove them all.
	var entries []json.RawMessage
	if trimmed := bytes.TrimSpace(data); len(trimmed) == 0 || trimmed[0] != '[' {
		return nil, usagef("%s: want a JSON array of webhook/add bodies", path)
	}
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, usagef("%s: want a JSON array of webhook/add bodies: %v", path, err)
	}
	seen := map[string]int{}
	out := make([]wanted, len(entries))
	for i, raw := range entries {
		n := i + 1
		where := fmt.Sprintf("%s: entry %d", path, n)
		body, err := parseBody(where, raw)
		if err != nil {
			return nil, err
		}
		if body.subaccountID != "" && body.subaccountID != subaccount {
			return nil, usagef("%s: subaccount_id %q differs from --subaccount %q; apply one account at a time", where, body.subaccountID, subaccount)
		}
		w := wantedFrom(body.fields, subaccount, where)
		if err := w.validate(); err != nil {
			return nil, err
		}
		if j, dup := seen[w.req.URL]; dup {
			return nil, usagef("%s: entries %d and %d have the same url %s", path, j, n, smtp2go.RedactURL(w.req.URL))
		}
		seen[w.req.URL] = n
		out[i] = w
	}
	return out, nil
}

// wantedFrom is the webhook that fields describe, as a whole: what they
// leave out is empty, but for the auth settings, which are kept.
func wantedFrom(fields *smtp2go.EditWebhookRequest, subaccount, where string) wanted {
	req := &smtp2go.AddWebhookRequest{
		URL: deref(fields.URL), Events: fields.Events, SMSEvents: fields.SMSEvents, Headers: fields.Headers, Usernames: fields.Usernames,
		OutputFormat: deref(fields.OutputFormat), AuthHeaderType: deref(fields.AuthHeaderType), SubaccountID: subaccount,
	}
	req.AuthHeaderValue = basicValue(req.AuthHeaderType, deref(fields.AuthHeaderValue))
	return wanted{
		req:        req,
		typeGiven:  fields.AuthHeaderType != nil,
		valueGiven: fields.AuthHeaderValue != nil,
		where:      where,
	}
}

// validate checks what can be checked before the webhook's current auth is
// known: the request with auth only as far as the input gave it.
func (w wanted) validate() error {
	req := *w.req
	if !w.typeGiven || !w.valueGiven {
		req.AuthHeaderType, req.AuthHeaderValue = smtp2go.AuthNone, ""
	}
	if req.URL == "" {
		return inInput(w.where, usagef("url is required"))
	}
	return inInput(w.where, req.Validate())
}
