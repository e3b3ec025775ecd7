package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/relaykit/smtp2go"
)

// Plan actions, and statuses of a change.
const (
	actionCreate    = "create"
	actionUpdate    = "update"
	actionRemove    = "remove"
	actionUnchanged = "unchanged"

	statusPlanned   = "planned" // --dry-run, or not carried out yet
	statusUnchanged = "unchanged"
	statusDone      = "done"
	statusFailed    = "failed"
	statusNotRun    = "not run" // an earlier change failed
)

// plan is what ensure and apply would do, shown in Terraform's manner, and
// their JSON document; the SDK's Plan and Ensure say what differs. Changes
// are the input's webhooks in order, each followed by its duplicates, then
// those to prune. Webhook is ensure's webhook as it now is (with --dry-run,
// as it was; null if it is to be created).
type plan struct {
	DryRun  bool        `json:"dry_run"`
	Changes []*change   `json:"changes"`
	Summary summary     `json:"summary"`
	Webhook *webhookOut `json:"webhook,omitempty"`

	subaccount string
	ensure     bool
}

// change is one entry of a plan.
type change struct {
	Action  string      `json:"action"` // create, update, remove or unchanged
	ID      *int64      `json:"id"`     // null for a create not made
	URL     string      `json:"url"`
	Fields  []fieldOut  `json:"fields"`
	Reason  string      `json:"reason,omitempty"`
	Status  string      `json:"status"` // planned, unchanged, done, failed or not run
	Error   string      `json:"error,omitempty"`
	Hint    string      `json:"hint,omitempty"`    // what text output prints after the plan
	Webhook *webhookOut `json:"webhook,omitempty"` // done: the webhook as it now is

	req   *smtp2go.AddWebhookRequest // what Ensure is asked; nil for a removal
	dupOf int64                      // a duplicate that Ensure removes as it keeps webhook dupOf
}

// fieldOut is an SDK FieldChange, in JSON.
type fieldOut struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

type summary struct {
	Add    int `json:"add"`
	Change int `json:"change"`
	Remove int `json:"remove"`
}

func fieldsOf(changes []smtp2go.FieldChange) []fieldOut {
	return mapped(changes, func(f smtp2go.FieldChange) fieldOut { return fieldOut(f) })
}

// makePlan plans each webhook wanted and, with prune, the removal of the
// account's webhooks whose URL is in no entry.
func makePlan(c *call, p *plan, want []*input, prune bool) error {
	p.Changes = []*change{}
	for _, in := range want {
		if err := p.planOne(c, in); err != nil {
			return err
		}
	}
	if !prune {
		return nil
	}
	list, err := c.client.Webhooks.List(c.ctx, &smtp2go.ListWebhooksRequest{SubaccountID: p.subaccount})
	if err != nil {
		return err
	}
	slices.SortFunc(list.Webhooks, func(a, b smtp2go.Webhook) int { return cmp.Compare(a.ID, b.ID) })
	for _, w := range list.Webhooks {
		if !slices.ContainsFunc(want, func(in *input) bool { return in.req.URL == w.URL }) {
			p.add(&change{Action: actionRemove, ID: &w.ID, URL: smtp2go.RedactURL(w.URL), Reason: "not in the file"})
		}
	}
	return nil
}

// planOne adds what the SDK's Plan says of in: asked first with the auth in
// gives, or none, to learn which webhook is kept, then with the auth in
// leaves out taken from that webhook.
func (p *plan) planOne(c *call, in *input) error {
	req := in.req
	probe := in.probe(req)
	ep, err := c.client.Webhooks.Plan(c.ctx, probe)
	if err == nil && (in.fields.AuthHeaderType == nil || in.fields.AuthHeaderValue == nil) {
		err = settleAuth(in, req, ep.Webhook)
		if err == nil && (req.AuthHeaderType != probe.AuthHeaderType || req.AuthHeaderValue != probe.AuthHeaderValue) {
			ep, err = c.client.Webhooks.Plan(c.ctx, req)
		}
	}
	if err != nil {
		return inInput(in.where, err)
	}
	url := smtp2go.RedactURL(req.URL)
	ch := &change{Action: actionCreate, URL: url, Fields: fieldsOf(ep.Changes), req: req}
	if kept := ep.Webhook; kept != nil {
		ch.Action, ch.ID = actionUnchanged, &kept.ID
		if ep.Action == smtp2go.EnsureUpdated {
			ch.Action = actionUpdate
		} else if in.fields.AuthHeaderValue != nil && kept.AuthHeaderType != smtp2go.AuthNone && !authValueShown(kept) {
			ch.Hint = fmt.Sprintf("SMTP2GO does not show the current auth value of webhook %d, so it is kept; rotate it with \"smtp2go-webhooks edit %d --auth-value-env VAR\" (or --auth-value-file).", kept.ID, kept.ID)
		}
		if p.ensure {
			p.Webhook = toOut(*kept)
		}
	}
	p.add(ch)
	for _, id := range ep.Remove {
		p.add(&change{Action: actionRemove, ID: &id, URL: url, Reason: fmt.Sprintf("duplicate of %d", *ch.ID), dupOf: *ch.ID})
	}
	return nil
}

func (p *plan) add(c *change) {
	c.Status = statusPlanned
	if c.Action == actionUnchanged {
		c.Status = statusUnchanged
	}
	if c.Fields == nil {
		c.Fields = []fieldOut{}
	}
	p.Changes = append(p.Changes, c)
}

// settleAuth takes the auth in leaves out from the webhook kept (nil for a
// create): without either, its auth as listed now; with a value alone, its
// type. A value SMTP2GO does not show cannot be kept.
func settleAuth(in *input, req *smtp2go.AddWebhookRequest, kept *smtp2go.Webhook) error {
	if in.fields.AuthHeaderType != nil || kept == nil {
		return nil
	}
	req.AuthHeaderType = kept.AuthHeaderType
	switch {
	case in.fields.AuthHeaderValue != nil && kept.AuthHeaderType == smtp2go.AuthNone:
		return invalidf("an auth value, but webhook %d has no auth type to keep: say bearer or basic", kept.ID)
	case in.fields.AuthHeaderValue != nil:
		req.AuthHeaderValue = basicValue(kept.AuthHeaderType, req.AuthHeaderValue)
	case kept.AuthHeaderType != smtp2go.AuthNone && !authValueShown(kept):
		return invalidf("webhook %d has %s auth whose value SMTP2GO does not show, so it cannot be kept as it is: give the auth it should have (or none)",
			kept.ID, kept.AuthHeaderType)
	default:
		req.AuthHeaderValue = kept.AuthHeaderValue
	}
	return nil
}

// authValueShown reports whether w's auth value is the secret, not none or
// a mask.
func authValueShown(w *smtp2go.Webhook) bool {
	req := smtp2go.AddWebhookRequest{URL: "https://example.com/", AuthHeaderType: w.AuthHeaderType, AuthHeaderValue: w.AuthHeaderValue}
	return w.AuthHeaderType != smtp2go.AuthNone && w.AuthHeaderValue != "" && req.Validate() == nil
}

// counts returns how many webhooks the plan adds, changes and removes (once
// carried out, did).
func (p *plan) counts() (s summary) {
	for _, c := range p.Changes {
		if c.Status != statusPlanned && c.Status != statusDone {
			continue
		}
		switch c.Action {
		case actionCreate:
			s.Add++
		case actionUpdate:
			s.Change++
		case actionRemove:
			s.Remove++
		}
	}
	return s
}

func (p *plan) hasChanges() bool { return p.counts() != summary{} }

// carryOut makes the changes, saying each: the removals first, so that an
// account at its webhook limit can still converge, then each webhook
// through Ensure. It stops at the first failure; the rest are "not run".
func (p *plan) carryOut(ctx context.Context, c *smtp2go.Client, out io.Writer) error {
	for _, ch := range p.Changes {
		if ch.Status == statusPlanned {
			ch.Status = statusNotRun
		}
	}
	var todo []*change
	for _, phase := range []string{actionRemove, actionUpdate, actionCreate, actionUnchanged} {
		for _, ch := range p.Changes {
			hasDup := ch.ID != nil && slices.ContainsFunc(p.Changes, func(d *change) bool { return d.dupOf == *ch.ID })
			if ch.Action == phase && (ch.req != nil || ch.dupOf == 0) && (phase != actionUnchanged || hasDup) {
				todo = append(todo, ch)
			}
		}
	}
	for _, ch := range todo {
		if ch.req == nil {
			if _, err := c.Webhooks.Remove(ctx, &smtp2go.RemoveWebhookRequest{ID: *ch.ID, SubaccountID: p.subaccount}); err != nil {
				return ch.fail(err)
			}
			ch.Status = statusDone
			fmt.Fprintf(out, "removed webhook %d\n", *ch.ID)
		} else if err := p.ensureOne(ctx, c, ch, out); err != nil {
			return ch.fail(err)
		}
	}
	return nil
}

// ensureOne has Ensure make ch, and records what it did (the account may
// have changed since the plan).
func (p *plan) ensureOne(ctx context.Context, c *smtp2go.Client, ch *change, out io.Writer) error {
	res, err := c.Webhooks.Ensure(ctx, ch.req)
	if err != nil {
		return err
	}
	kept := ch.ID
	ch.Status, ch.ID, ch.Webhook = statusDone, &res.Webhook.ID, toOut(res.Webhook)
	switch res.Action {
	case smtp2go.EnsureCreated:
		ch.Action = actionCreate
		fmt.Fprintf(out, "created webhook %d\n", *ch.ID)
	case smtp2go.EnsureUpdated:
		ch.Action, ch.Fields = actionUpdate, fieldsOf(res.Changes)
		fmt.Fprintf(out, "updated webhook %d\n", *ch.ID)
	default:
		ch.Action, ch.Fields, ch.Status = actionUnchanged, []fieldOut{}, statusUnchanged
	}
	for _, id := range res.Removed {
		i := slices.IndexFunc(p.Changes, func(d *change) bool { return d.Action == actionRemove && *d.ID == id })
		if i < 0 { // a duplicate that appeared since the plan
			p.add(&change{Action: actionRemove, ID: &id, URL: ch.URL, Reason: fmt.Sprintf("duplicate of %d", *ch.ID), dupOf: *ch.ID})
			i = len(p.Changes) - 1
		}
		p.Changes[i].Status = statusDone
		fmt.Fprintf(out, "removed webhook %d (duplicate of %d)\n", id, *ch.ID)
	}
	for _, d := range p.Changes {
		if kept != nil && d.dupOf == *kept && d.Status == statusNotRun {
			d.Status = statusUnchanged // gone, but not by this run
		}
	}
	return nil
}

func (ch *change) fail(err error) error {
	ch.Status, ch.Error = statusFailed, err.Error()
	what := ch.Action + " " + ch.URL
	if ch.ID != nil {
		what = fmt.Sprintf("%s %d %s", ch.Action, *ch.ID, ch.URL)
	}
	if errors.Is(err, smtp2go.ErrOutcomeUnknown) {
		return withHint(&changeError{what: what, err: err}, "Running the command again settles it: it looks before it adds.")
	}
	return &changeError{what: what, err: err}
}

// changeError is a change of a plan that failed, and why.
type changeError struct {
	what string
	err  error
}

func (e *changeError) Error() string { return e.what + ": " + e.err.Error() }
func (e *changeError) Unwrap() error { return e.err }

// print writes the plan as text.
func (p *plan) print(w io.Writer, noChanges string) {
	s := p.counts()
	if s == (summary{}) {
		fmt.Fprintln(w, noChanges)
	}
	for _, c := range p.Changes {
		switch {
		case c.Status == statusUnchanged:
			continue
		case c.Action == actionCreate:
			fmt.Fprintf(w, "  + create %s\n", c.URL)
		case c.Action == actionUpdate:
			fmt.Fprintf(w, "  ~ update %d %s\n", *c.ID, c.URL)
		case c.Action == actionRemove:
			fmt.Fprintf(w, "  - remove %d %s (%s)\n", *c.ID, c.URL, c.Reason)
		}
		width := 0
		for _, f := range c.Fields {
			width = max(width, len(f.Field)+1)
		}
		for _, f := range c.Fields {
			value := cmp.Or(f.New, "(none)")
			if c.Action == actionUpdate {
				value = cmp.Or(f.Old, "(none)") + " -> " + value
			}
			fmt.Fprintf(w, "      %-*s %s\n", width, f.Field+":", value)
		}
	}
	if s != (summary{}) {
		fmt.Fprintf(w, "\nPlan: %d to add, %d to change, %d to remove.\n", s.Add, s.Change, s.Remove)
	}
	for _, c := range p.Changes {
		if c.Hint != "" {
			fmt.Fprintln(w, c.Hint)
		}
	}
}

// report prints the plan, asks if it removes a webhook, carries it out
// unless it is a dry run, and prints what was done (with --output json, the
// plan's document, even when a change failed).
func (a *app) report(c *call, p *plan, pf *planFlags, noChanges string) error {
	out := a.env.stdout
	if a.json() {
		out = io.Discard // the plan's document is printed at the end
	}
	p.DryRun = pf.dryRun
	p.print(out, noChanges)
	var err error
	switch {
	case !p.hasChanges():
	case p.DryRun:
		fmt.Fprintln(out, "\nDry run: nothing was changed.")
	default:
		if err := a.confirm(p, pf.yes, !a.json()); err != nil {
			return err
		}
		fmt.Fprintln(out)
		if err = p.carryOut(c.ctx, c.client, out); err == nil {
			s := p.counts()
			fmt.Fprintf(out, "\nApply complete: %d added, %d changed, %d removed.\n", s.Add, s.Change, s.Remove)
		}
	}
	if p.ensure && p.Changes[0].Webhook != nil {
		p.Webhook = p.Changes[0].Webhook
	}
	if a.json() {
		p.Summary = p.counts()
		if werr := writeJSON(a.env.stdout, p); werr != nil && err == nil {
			err = werr
		}
	}
	if err == nil && pf.detailedExitCode && p.hasChanges() {
		return &exitError{code: exitChanges}
	}
	return err
}

// aboutPlan is the help of ensure and apply, named name, on when they act
// and what the input leaves out.
func aboutPlan(name, input, format, lists, auth, none string) string {
	return fmt.Sprintf(`%[1]s acts as soon as it has shown the plan, without asking,
unless the plan removes a webhook (--prune, or a duplicate):
then it asks on a terminal, and needs --yes without one.
--dry-run shows the plan and stops there.

%[2]s the whole webhook wanted, not changes to it:
a setting left out is reset.
Leaving out %[3]s sets form.
Leaving out %[4]s empties them.
Leaving out %[5]s keeps the webhook's auth when SMTP2GO shows its value;
when it does not, %[1]s refuses and asks for the auth (%[6]s removes it).
An auth value given is not compared with one SMTP2GO does not show:
it is kept, and the plan says to rotate it with edit.`, name, input, format, lists, auth, none)
}

// planFlags are the flags of ensure and apply.
type planFlags struct{ dryRun, detailedExitCode, yes bool }

func planFlagsOf(cmd *cobra.Command) *planFlags {
	pf := &planFlags{}
	cmd.Flags().BoolVar(&pf.dryRun, "dry-run", false, "show the plan and change nothing")
	cmd.Flags().BoolVar(&pf.detailedExitCode, "detailed-exitcode", false, "exit 0 when nothing changes (or would), 2 when something does, 1 on any error")
	yesFlag(cmd, &pf.yes)
	return pf
}

// yesFlag defines --yes, whose alias is --auto-approve.
func yesFlag(cmd *cobra.Command, yes *bool) {
	cmd.Flags().BoolVarP(yes, "yes", "y", false, "remove webhooks without asking (alias --auto-approve); needed without a terminal")
}

// confirm lets a plan that removes webhooks go ahead with --yes, or when
// the person at the terminal answers yes (shown: the plan is on the screen
// already), in Terraform's manner.
func (a *app) confirm(p *plan, yes, shown bool) error {
	remove := p.counts().Remove
	if yes || remove == 0 {
		return nil
	}
	if a.env.isTerminal == nil || !a.env.isTerminal() {
		return withHint(usagef("the plan removes %d webhook(s), and there is no terminal to ask: nothing was changed", remove),
			"Pass --yes (or --auto-approve) to remove without asking.")
	}
	if !shown {
		p.print(a.env.stderr, "")
	}
	fmt.Fprint(a.env.stderr, "\nDo you want to perform these actions? Only 'yes' will be accepted: ")
	answer, _ := bufio.NewReader(a.env.stdin).ReadString('\n')
	if strings.TrimSpace(answer) != "yes" {
		return &cliError{kind: kindInterrupted, msg: "cancelled: nothing was changed"}
	}
	return nil
}
