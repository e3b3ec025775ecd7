package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/relaykit/smtp2go"
)

// call is what a command that calls the API has: its client, and its
// context bounded by --timeout.
type call struct {
	ctx    context.Context
	client *smtp2go.Client
}

// withCall runs f with the client and cmd's context bounded by --timeout.
func (a *app) withCall(cmd *cobra.Command, f func(*call) error) (err error) {
	client, err := a.global.client(a.env)
	if err != nil {
		return err
	}
	ctx, finish := a.global.bound(cmd.Context())
	defer finish(&err)
	return f(&call{ctx: ctx, client: client})
}

// subaccountFlag defines --subaccount on a command that calls the API.
func subaccountFlag(cmd *cobra.Command) *string {
	return cmd.Flags().String("subaccount", "", "act for this subaccount `ID`")
}

// oneID is the argument check of commands that take one webhook ID.
func oneID(_ *cobra.Command, args []string) error {
	if len(args) != 1 {
		return usagef("want exactly one webhook ID, got %d arguments", len(args))
	}
	if id, err := strconv.ParseInt(args[0], 10, 64); err != nil || id <= 0 {
		return usagef("webhook ID must be a positive integer, got %q", args[0])
	}
	return nil
}

func parseID(s string) int64 {
	id, _ := strconv.ParseInt(s, 10, 64) // oneID checked it
	return id
}

func (a *app) listCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the account's webhooks",
		Example: "  smtp2go-webhooks list -o json",
		Args:    noArgs,
	}
	sub := subaccountFlag(cmd)
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
	cmd := &cobra.Command{
		Use:     "get ID",
		Short:   "Show one webhook",
		Example: "  smtp2go-webhooks get 1001",
		Args:    oneID,
	}
	sub := subaccountFlag(cmd)
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

func (a *app) addCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "add --url URL --events EVENTS",
		Short:   "Create a webhook",
		Example: "  smtp2go-webhooks add --url https://example.com/hook --events delivered,bounce --format json",
		Args:    noArgs,
	}
	var wf webhookFlags
	wf.register(cmd)
	sub := subaccountFlag(cmd)
	allowDuplicate := cmd.Flags().Bool("allow-duplicate", false, "create it even if a webhook already has the URL (each then delivers every event)")
	allowEmpty := cmd.Flags().Bool("allow-empty", false, "create it even with no events and no SMS events (it then delivers nothing)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		w, err := wf.wanted(a.env, *sub)
		if err != nil {
			return err
		}
		req := w.req
		if err := req.Validate(); err != nil { // with the auth given, whole
			return wf.explain(err)
		}
		if len(req.Events) == 0 && len(req.SMSEvents) == 0 && !*allowEmpty {
			return withHint(invalidf("the webhook would receive no events"), "Give --events or --sms-events (or --allow-empty).")
		}
		return a.withCall(cmd, func(c *call) error {
			if !*allowDuplicate {
				if err := refuseDuplicate(c, req.URL, req.SubaccountID, 0); err != nil {
					return err
				}
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

// refuseDuplicate fails when a webhook other than the one with ID except
// has url: two webhooks with one URL deliver every event twice.
func refuseDuplicate(c *call, url, subaccount string, except int64) error {
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
	cmd := &cobra.Command{
		Use:     "edit ID",
		Short:   "Change the given fields of a webhook",
		Example: "  smtp2go-webhooks edit 1001 --events delivered,bounce,spam",
		Args:    oneID,
	}
	var wf webhookFlags
	wf.register(cmd)
	sub := subaccountFlag(cmd)
	allowDuplicate := cmd.Flags().Bool("allow-duplicate", false, "give it the --url even if another webhook has it")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		id := parseID(args[0])
		req, err := wf.editRequest(a.env, id, *sub)
		if err != nil {
			return err
		}
		if req.URL == nil && req.Events == nil && req.SMSEvents == nil && req.Headers == nil && req.Usernames == nil &&
			req.OutputFormat == nil && req.AuthHeaderType == nil && req.AuthHeaderValue == nil {
			return usagef("nothing to change: give the fields to change as flags or in --from-json")
		}
		return a.withCall(cmd, func(c *call) error {
			if req.URL != nil && !*allowDuplicate {
				if err := refuseDuplicate(c, *req.URL, req.SubaccountID, id); err != nil {
					return err
				}
			}
			if req.AuthHeaderValue != nil && req.AuthHeaderType == nil {
				// A new value for the current type: basic wants user:pass encoded,
				// so look the type up.
				current, err := c.client.Webhooks.Get(c.ctx, id, &smtp2go.GetWebhookOptions{SubaccountID: req.SubaccountID})
				if err != nil {
					return err
				}
				req.AuthHeaderValue = smtp2go.Ptr(basicValue(current.AuthHeaderType, *req.AuthHeaderValue))
			}
			res, err := c.client.Webhooks.Edit(c.ctx, req)
			if err != nil {
				return wf.explain(err)
			}
			return printResult(a.env.stdout, a.json(), "updated", res.Webhook)
		})
	}
	return cmd
}

func (a *app) removeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "remove ID",
		Short: "Delete a webhook, after asking",
		Long: `Delete a webhook. On a terminal, remove shows what it would delete and asks;
only 'yes' proceeds. Without a terminal it needs --yes (or --auto-approve).`,
		Example: "  smtp2go-webhooks remove 1001 --yes",
		Args:    oneID,
	}
	sub := subaccountFlag(cmd)
	yes := yesFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		id := parseID(args[0])
		return a.withCall(cmd, func(c *call) error {
			// webhook/remove's answer to an unknown ID is not documented; look first,
			// so that a missing ID exits 3 like get and edit.
			w, err := c.client.Webhooks.Get(c.ctx, id, &smtp2go.GetWebhookOptions{SubaccountID: *sub})
			if err != nil {
				return err
			}
			p := &plan{}
			p.add(&change{action: actionRemove, id: id, url: smtp2go.RedactURL(w.URL), reason: "asked for"})
			if err := a.confirm(p, *yes, false); err != nil {
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
	cmd := &cobra.Command{
		Use:     "ensure --url URL",
		Short:   "Create or update the webhook with a URL so that it matches, showing the plan first",
		Long:    "Create or update the webhook with a URL so that it matches, showing the plan first.\n\n" + aboutEnsure,
		Example: "  smtp2go-webhooks ensure --url https://example.com/hook --events bounce,spam --dry-run",
		Args:    noArgs,
	}
	var wf webhookFlags
	wf.register(cmd)
	sub := subaccountFlag(cmd)
	pf := planFlagsOf(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		w, err := wf.wanted(a.env, *sub)
		if err != nil {
			return err
		}
		if err := w.validate(); err != nil {
			return wf.explain(err)
		}
		return a.withCall(cmd, func(c *call) error {
			p, err := planEnsure(c, w)
			if err != nil {
				return wf.explain(err)
			}
			return a.report(c, p, pf, fmt.Sprintf("No changes: webhook %d is set up as asked.", p.changes[0].id))
		})
	}
	return cmd
}

// aboutEnsure is the help of ensure on what it does with auth.
const aboutEnsure = `ensure acts as soon as it has shown the plan, without asking, unless the
plan removes a webhook: then it asks on a terminal, and needs --yes without
one. --dry-run shows the plan and stops there.

The flags (and --from-json) are the whole webhook wanted, not changes to it:
a setting left out is reset, so leaving out --format sets form, and leaving
out --events, --sms-events, --headers or --usernames empties them (edit
changes only the fields given). Auth is the exception: leaving out --auth
and the auth value keeps the webhook's auth when SMTP2GO shows its value;
when SMTP2GO does not show it, ensure refuses and asks for the auth
(--auth none removes it).`
