package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"

	"github.com/relaykit/smtp2go"
)

func cmdList(ctx context.Context, e *env, args []string) (err error) {
	var api apiFlags
	fs := newFlagSet("list")
	api.register(fs)
	if err := parseNoArgs(e, fs, args); err != nil {
		return err
	}
	ctx, finish := api.bound(ctx)
	defer finish(&err)
	c, err := api.client(e)
	if err != nil {
		return err
	}
	res, err := c.Webhooks.List(ctx, &smtp2go.ListWebhooksRequest{SubaccountID: api.subaccount})
	if err != nil {
		return err
	}
	return printWebhooks(e.stdout, api.json(), res.Webhooks)
}

func cmdGet(ctx context.Context, e *env, args []string) (err error) {
	c, id, api, err := parseIDCommand(e, "get", args)
	if err != nil {
		return err
	}
	ctx, finish := api.bound(ctx)
	defer finish(&err)
	w, err := c.Webhooks.Get(ctx, id, &smtp2go.GetWebhookOptions{SubaccountID: api.subaccount})
	if err != nil {
		return err
	}
	return printResult(e.stdout, api.json(), "", *w)
}

// parseIDCommand reads the command line of get and remove: the API flags and
// one webhook ID. It returns the client, the ID and the flags.
func parseIDCommand(e *env, name string, args []string) (*smtp2go.Client, int64, *apiFlags, error) {
	api := &apiFlags{}
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

// addCommand is the command line of add and ensure: the API flags, the
// webhook's flags and --from-json, no arguments.
type addCommand struct {
	api apiFlags
	wf  webhookFlags
	fs  *flag.FlagSet
}

// newAddCommand defines the flags of add or ensure; the caller may add its
// own before calling parse.
func newAddCommand(name string) *addCommand {
	ac := &addCommand{fs: newFlagSet(name)}
	ac.api.register(ac.fs)
	ac.wf.register(ac.fs)
	return ac
}

// parse reads args and returns the webhook they describe, checked as far
// as it can be before the account is looked at, and the client.
func (ac *addCommand) parse(e *env, args []string) (wanted, *smtp2go.Client, error) {
	if err := parseNoArgs(e, ac.fs, args); err != nil {
		return wanted{}, nil, err
	}
	w, err := ac.wf.wanted(e, ac.api.subaccount)
	if err != nil {
		return wanted{}, nil, err
	}
	if err := w.validate(); err != nil {
		return wanted{}, nil, ac.wf.explain(err)
	}
	c, err := ac.api.client(e)
	if err != nil {
		return wanted{}, nil, err
	}
	return w, c, nil
}

func cmdAdd(ctx context.Context, e *env, args []string) (err error) {
	ac := newAddCommand("add")
	allowDuplicate := ac.fs.Bool("allow-duplicate", false, "create it even if a webhook already has the URL (each then delivers every event)")
	allowEmpty := ac.fs.Bool("allow-empty", false, "create it even with no events and no SMS events (it then delivers nothing)")
	w, c, err := ac.parse(e, args)
	if err != nil {
		return err
	}
	ctx, finish := ac.api.bound(ctx)
	defer finish(&err)
	req := w.req
	if err := req.Validate(); err != nil { // with the auth given, whole
		return ac.wf.explain(err)
	}
	if len(req.Events) == 0 && len(req.SMSEvents) == 0 && !*allowEmpty {
		return usagef("the webhook would receive no events: give --events or --sms-events (or --allow-empty)")
	}
	if !*allowDuplicate {
		list, err := c.Webhooks.List(ctx, &smtp2go.ListWebhooksRequest{SubaccountID: req.SubaccountID})
		if err != nil {
			return err
		}
		for _, w := range list.Webhooks {
			if w.URL == req.URL {
				return usagef("webhook %d already has the URL %s: change it with \"smtp2go-webhooks ensure\" or \"edit\", or pass --allow-duplicate",
					w.ID, smtp2go.RedactURL(req.URL))
			}
		}
	}
	res, err := c.Webhooks.Add(ctx, req)
	if errors.Is(err, smtp2go.ErrOutcomeUnknown) {
		return fmt.Errorf("%w; \"smtp2go-webhooks ensure\" settles it: it adds only when no webhook has the URL", err)
	}
	if err != nil {
		return err
	}
	return printResult(e.stdout, ac.api.json(), "created", res.Webhook)
}

func cmdEdit(ctx context.Context, e *env, args []string) (err error) {
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
	ctx, finish := api.bound(ctx)
	defer finish(&err)
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
		return wf.explain(err)
	}
	return printResult(e.stdout, api.json(), "updated", res.Webhook)
}

func cmdRemove(ctx context.Context, e *env, args []string) (err error) {
	c, id, api, err := parseIDCommand(e, "remove", args)
	if err != nil {
		return err
	}
	ctx, finish := api.bound(ctx)
	defer finish(&err)
	// webhook/remove's answer to an unknown ID is not documented; look first,
	// so that a missing ID exits 3 like get and edit.
	w, err := c.Webhooks.Get(ctx, id, &smtp2go.GetWebhookOptions{SubaccountID: api.subaccount})
	if err != nil {
		return err
	}
	if _, err := c.Webhooks.Remove(ctx, &smtp2go.RemoveWebhookRequest{ID: id, SubaccountID: api.subaccount}); err != nil {
		return err
	}
	return printResult(e.stdout, api.json(), "removed", *w)
}

func cmdEnsure(ctx context.Context, e *env, args []string) error {
	return withDetailedExitCode(args, ensure(ctx, e, args))
}

func ensure(ctx context.Context, e *env, args []string) (err error) {
	ac := newAddCommand("ensure")
	var pf planFlags
	pf.register(ac.fs, &ac.api)
	w, c, err := ac.parse(e, args)
	if err != nil {
		return err
	}
	ctx, finish := ac.api.bound(ctx)
	defer finish(&err)
	list, err := c.Webhooks.List(ctx, &smtp2go.ListWebhooksRequest{SubaccountID: w.req.SubaccountID})
	if err != nil {
		return err
	}
	p, err := makePlan([]wanted{w}, list.Webhooks, false)
	if err != nil {
		return ac.wf.explain(err)
	}
	kept := p.changes[0]
	noChanges := fmt.Sprintf("No changes: webhook %d is set up as asked.", kept.id)
	return p.report(ctx, e, &pf, c, w.req.SubaccountID, noChanges, func(doc *planOut) {
		switch i := slices.IndexFunc(list.Webhooks, func(h smtp2go.Webhook) bool { return h.ID == kept.id }); {
		case kept.webhook != nil:
			out := toOut(*kept.webhook)
			doc.Webhook = &out
		case i >= 0:
			out := toOut(list.Webhooks[i])
			doc.Webhook = &out
		}
	})
}
