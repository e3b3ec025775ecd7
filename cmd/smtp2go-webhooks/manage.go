package main

import (
	"context"
	"fmt"

	"github.com/relaykit/smtp2go"
)

func cmdList(ctx context.Context, e *env, args []string) error {
	var api apiFlags
	fs := newFlagSet("list")
	api.register(fs)
	if err := parseNoArgs(e, fs, args); err != nil {
		return err
	}
	c, err := api.client(e)
	if err != nil {
		return err
	}
	res, err := c.Webhooks.List(ctx, &smtp2go.ListWebhooksRequest{SubaccountID: api.subaccount})
	if err != nil {
		return err
	}
	return printWebhooks(e.stdout, api.output, res.Webhooks)
}

func cmdGet(ctx context.Context, e *env, args []string) error {
	c, id, api, err := parseIDCommand(e, "get", args)
	if err != nil {
		return err
	}
	w, err := c.Webhooks.Get(ctx, id, &smtp2go.GetWebhookOptions{SubaccountID: api.subaccount})
	if err != nil {
		return err
	}
	return printWebhook(e.stdout, api.output, *w)
}

// parseIDCommand reads the command line of get and remove: the API flags and
// one webhook ID. It returns the client, the ID and the flags.
func parseIDCommand(e *env, name string, args []string) (*smtp2go.Client, int64, apiFlags, error) {
	var api apiFlags
	fs := newFlagSet(name)
	api.register(fs)
	id, err := parseIDArg(e, fs, args)
	if err != nil {
		return nil, 0, api, err
	}
	c, err := api.client(e)
	if err != nil {
		return nil, 0, api, err
	}
	return c, id, api, nil
}

func cmdAdd(ctx context.Context, e *env, args []string) error {
	c, req, output, err := parseAddCommand(e, "add", args)
	if err != nil {
		return err
	}
	res, err := c.Webhooks.Add(ctx, req)
	if err != nil {
		return err
	}
	if output == "json" {
		return writeJSON(e.stdout, toOut(res.Webhook))
	}
	fmt.Fprintf(e.stdout, "created webhook %d\n", res.Webhook.ID)
	return printDetails(e.stdout, res.Webhook)
}

// parseAddCommand reads the command line of add and ensure: the API flags,
// the webhook's flags and --from-json, no arguments. It returns the client,
// the request and the output format.
func parseAddCommand(e *env, name string, args []string) (*smtp2go.Client, *smtp2go.AddWebhookRequest, string, error) {
	var api apiFlags
	var wf webhookFlags
	fs := newFlagSet(name)
	api.register(fs)
	wf.register(fs)
	if err := parseNoArgs(e, fs, args); err != nil {
		return nil, nil, "", err
	}
	req, err := wf.addRequest(e, api.subaccount)
	if err != nil {
		return nil, nil, "", err
	}
	c, err := api.client(e)
	if err != nil {
		return nil, nil, "", err
	}
	return c, req, api.output, nil
}

func cmdEdit(ctx context.Context, e *env, args []string) error {
	var api apiFlags
	var wf webhookFlags
	fs := newFlagSet("edit")
	api.register(fs)
	wf.register(fs)
	id, err := parseIDArg(e, fs, args)
	if err != nil {
		return err
	}
	req, err := wf.editRequest(e, id, api.subaccount)
	if err != nil {
		return err
	}
	if req.URL == nil && req.Events == nil && req.SMSEvents == nil && req.Headers == nil && req.Usernames == nil &&
		req.OutputFormat == nil && req.AuthHeaderType == nil && req.AuthHeaderValue == nil {
		return &usageError{msg: "nothing to change: give the fields to change as flags or in --from-json", help: helpText("edit", fs)}
	}
	c, err := api.client(e)
	if err != nil {
		return err
	}
	if req.AuthHeaderValue != nil && req.AuthHeaderType == nil {
		// A new value for the current type: basic wants user:pass encoded,
		// so look the type up.
		current, err := c.Webhooks.Get(ctx, id, &smtp2go.GetWebhookOptions{SubaccountID: req.SubaccountID})
		if err != nil {
			return err
		}
		req.AuthHeaderValue = smtp2go.Ptr(basicValue(current.AuthHeaderType, *req.AuthHeaderValue))
	}
	res, err := c.Webhooks.Edit(ctx, req)
	if err != nil {
		return err
	}
	if api.output == "json" {
		return writeJSON(e.stdout, toOut(res.Webhook))
	}
	fmt.Fprintf(e.stdout, "updated webhook %d\n", res.Webhook.ID)
	return printDetails(e.stdout, res.Webhook)
}

func cmdRemove(ctx context.Context, e *env, args []string) error {
	c, id, api, err := parseIDCommand(e, "remove", args)
	if err != nil {
		return err
	}
	// webhook/remove's answer to an unknown ID is not documented; look first,
	// so that a missing ID exits 3 like get and edit.
	if _, err := c.Webhooks.Get(ctx, id, &smtp2go.GetWebhookOptions{SubaccountID: api.subaccount}); err != nil {
		return err
	}
	res, err := c.Webhooks.Remove(ctx, &smtp2go.RemoveWebhookRequest{ID: id, SubaccountID: api.subaccount})
	if err != nil {
		return err
	}
	if api.output == "json" {
		return writeJSON(e.stdout, map[string]any{"removed": id, "request_id": res.RequestID})
	}
	fmt.Fprintf(e.stdout, "removed webhook %d\n", id)
	return nil
}

func cmdEnsure(ctx context.Context, e *env, args []string) error {
	c, req, output, err := parseAddCommand(e, "ensure", args)
	if err != nil {
		return err
	}
	res, err := c.Webhooks.Ensure(ctx, req)
	if err != nil {
		return err
	}
	if output == "json" {
		return writeJSON(e.stdout, struct {
			Action  smtp2go.EnsureAction `json:"action"`
			Webhook webhookOut           `json:"webhook"`
		}{res.Action, toOut(res.Webhook)})
	}
	fmt.Fprintf(e.stdout, "%s %d\n", res.Action, res.Webhook.ID)
	return nil
}
