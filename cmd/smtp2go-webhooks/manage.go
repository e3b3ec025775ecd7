package main

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/relaykit/smtp2go"
)

// oneID is the argument check of the commands that take a webhook ID.
func oneID(cmd *cobra.Command, args []string) error {
	if err := cobra.ExactArgs(1)(cmd, args); err != nil {
		return err
	}
	if id, err := strconv.ParseInt(args[0], 10, 64); err != nil || id <= 0 {
		return fmt.Errorf("webhook ID must be a positive integer, got %q", args[0])
	}
	return nil
}

func parseID(s string) int64 {
	id, _ := strconv.ParseInt(s, 10, 64) // oneID checked it
	return id
}

// apiCommand is a command that calls the API, so takes --subaccount.
func apiCommand(use, short, example string, args cobra.PositionalArgs) (*cobra.Command, *string) {
	cmd := &cobra.Command{Use: use, Short: short, Example: "  smtp2go-webhooks " + example, Args: args}
	return cmd, cmd.Flags().String("subaccount", "", "act for this subaccount `ID`")
}

// webhookCommand is an apiCommand that takes the flags of a webhook.
func webhookCommand(use, short, example string, args cobra.PositionalArgs) (*cobra.Command, *webhookFlags, *string) {
	cmd, sub := apiCommand(use, short, example, args)
	wf := &webhookFlags{}
	wf.register(cmd)
	return cmd, wf, sub
}

func (a *app) listCommand() *cobra.Command {
	cmd, sub := apiCommand("list", "List the account's webhooks", "list -o json", cobra.NoArgs)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return a.withCall(cmd, func(c *call) error {
			res, err := c.client.Webhooks.List(c.ctx, &smtp2go.ListWebhooksRequest{SubaccountID: *sub})
			if err != nil {
				return err
			}
			return printWebhooks(a.env.stdout, a.json(), res.Webhooks)
		})
	}
	return cmd
}

func (a *app) getCommand() *cobra.Command {
	cmd, sub := apiCommand("get ID", "Show one webhook", "get 1001", oneID)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return a.withCall(cmd, func(c *call) error {
			w, err := c.client.Webhooks.Get(c.ctx, parseID(args[0]), &smtp2go.GetWebhookOptions{SubaccountID: *sub})
			if err != nil {
				return err
			}
			return printResult(a.env.stdout, a.json(), "", *w)
		})
	}
	return cmd
}

// wholeWebhook is the whole webhook the flags of add or ensure describe.
func (a *app) wholeWebhook(wf *webhookFlags, subaccount string) (*input, *smtp2go.AddWebhookRequest, error) {
	in, err := wf.input(a.env)
	if err != nil {
		return nil, nil, err
	}
	if deref(in.fields.URL) == "" {
		return nil, nil, invalidf("--url is required (or a url in --from-json)")
	}
	return in, in.whole(subaccount), nil
}

func (a *app) addCommand() *cobra.Command {
	cmd, wf, sub := webhookCommand("add --url URL --events EVENTS", "Create a webhook",
		"add --url https://example.com/hook --events delivered,bounce --format json", cobra.NoArgs)
	allowDuplicate := cmd.Flags().Bool("allow-duplicate", false, "create it even if a webhook already has the URL (each then delivers every event)")
	allowEmpty := cmd.Flags().Bool("allow-empty", false, "create it even with no events and no SMS events (it then delivers nothing)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		in, req, err := a.wholeWebhook(wf, *sub)
		if err != nil {
			return err
		}
		if err := req.Validate(); err != nil {
			return in.explain(err, req.AuthHeaderType)
		}
		if len(req.Events) == 0 && len(req.SMSEvents) == 0 && !*allowEmpty {
			return withHint(invalidf("the webhook would receive no events"), "Give --events or --sms-events (or --allow-empty).")
		}
		return a.withCall(cmd, func(c *call) error {
			if err := refuseDuplicate(c, req.URL, req.SubaccountID, 0, *allowDuplicate); err != nil {
				return err
			}
			res, err := c.client.Webhooks.Add(c.ctx, req)
			if errors.Is(err, smtp2go.ErrOutcomeUnknown) {
				return withHint(err, "\"smtp2go-webhooks ensure\" settles it: it adds only when no webhook has the URL.")
			}
			if err != nil {
				return err
			}
			return printResult(a.env.stdout, a.json(), "created", res.Webhook)
		})
	}
	return cmd
}

// refuseDuplicate fails, unless allowed, when a webhook other than except
// has url: each would deliver every event.
func refuseDuplicate(c *call, url, subaccount string, except int64, allowed bool) error {
	if allowed {
		return nil
	}
	list, err := c.client.Webhooks.List(c.ctx, &smtp2go.ListWebhooksRequest{SubaccountID: subaccount})
	if err != nil {
		return err
	}
	for _, w := range list.Webhooks {
		if w.URL == url && w.ID != except {
			return withHint(invalidf("webhook %d already has the URL %s", w.ID, smtp2go.RedactURL(url)),
				"Change that webhook with \"smtp2go-webhooks ensure\" or \"edit\", or pass --allow-duplicate.")
		}
	}
	return nil
}

func (a *app) editCommand() *cobra.Command {
	cmd, wf, sub := webhookCommand("edit ID", "Change the given fields of a webhook", "edit 1001 --events delivered,bounce,spam", oneID)
	allowDuplicate := cmd.Flags().Bool("allow-duplicate", false, "give it the --url even if another webhook has it")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		in, err := wf.input(a.env)
		if err != nil {
			return err
		}
		if reflect.ValueOf(in.fields).IsZero() {
			return usagef("nothing to change: give the fields to change as flags or in --from-json")
		}
		req := in.fields
		req.ID, req.SubaccountID = parseID(args[0]), cmp.Or(*sub, in.subaccount)
		return a.withCall(cmd, func(c *call) error {
			if req.URL != nil {
				if err := refuseDuplicate(c, *req.URL, req.SubaccountID, req.ID, *allowDuplicate); err != nil {
					return err
				}
			}
			typ := deref(req.AuthHeaderType)
			if req.AuthHeaderValue != nil && req.AuthHeaderType == nil {
				// basic wants user:pass encoded: look the current type up.
				current, err := c.client.Webhooks.Get(c.ctx, req.ID, &smtp2go.GetWebhookOptions{SubaccountID: req.SubaccountID})
				if err != nil {
					return err
				}
				typ = current.AuthHeaderType
			}
			if req.AuthHeaderValue != nil {
				req.AuthHeaderValue = smtp2go.Ptr(basicValue(typ, *req.AuthHeaderValue))
			}
			res, err := c.client.Webhooks.Edit(c.ctx, &req)
			if err != nil {
				return in.explain(err, typ)
			}
			return printResult(a.env.stdout, a.json(), "updated", res.Webhook)
		})
	}
	return cmd
}

func (a *app) removeCommand() *cobra.Command {
	cmd, sub := apiCommand("remove ID", "Delete a webhook, after asking", "remove 1001 --yes", oneID)
	cmd.Long = `Delete a webhook. On a terminal, remove shows what it would delete and asks;
only 'yes' proceeds. Without a terminal it needs --yes (or --auto-approve).`
	var yes bool
	yesFlag(cmd, &yes)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		id := parseID(args[0])
		return a.withCall(cmd, func(c *call) error {
			// webhook/remove's answer to an unknown ID is not documented:
			// look first, so that a missing ID exits 3.
			w, err := c.client.Webhooks.Get(c.ctx, id, &smtp2go.GetWebhookOptions{SubaccountID: *sub})
			if err != nil {
				return err
			}
			p := &plan{}
			p.add(&change{Action: actionRemove, ID: &id, URL: smtp2go.RedactURL(w.URL), Reason: "asked for"})
			if err := a.confirm(p, yes, false); err != nil {
				return err
			}
			if _, err := c.client.Webhooks.Remove(c.ctx, &smtp2go.RemoveWebhookRequest{ID: id, SubaccountID: *sub}); err != nil {
				return err
			}
			return printResult(a.env.stdout, a.json(), "removed", *w)
		})
	}
	return cmd
}

func (a *app) ensureCommand() *cobra.Command {
	cmd, wf, sub := webhookCommand("ensure --url URL", "Create or update the webhook with a URL so that it matches, showing the plan first",
		"ensure --url https://example.com/hook --events bounce,spam --dry-run", cobra.NoArgs)
	cmd.Long = cmd.Short + ".\n\n" + aboutPlan("ensure", "The flags (and --from-json) are", "--format",
		"--events, --sms-events, --headers or --usernames", "--auth and the auth value", "--auth none") + "\nedit changes only the fields given."
	pf := planFlagsOf(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		in, req, err := a.wholeWebhook(wf, *sub)
		if err != nil {
			return err
		}
		if err := in.probe(req).Validate(); err != nil {
			return in.explain(err, req.AuthHeaderType)
		}
		return a.withCall(cmd, func(c *call) error {
			p := &plan{subaccount: req.SubaccountID, ensure: true}
			if err := makePlan(c, p, []*input{in}, false); err != nil {
				return in.explain(err, req.AuthHeaderType)
			}
			return a.report(c, p, pf, fmt.Sprintf("No changes: webhook %d is set up as asked.", deref(p.Changes[0].ID)))
		})
	}
	return cmd
}
