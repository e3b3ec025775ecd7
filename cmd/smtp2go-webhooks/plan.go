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

// A plan is what ensure and apply would do, shown before they do it, in
// Terraform's manner: "+ create", "~ update" with each field old -> new,
// "- remove", and "Plan: 1 to add, 1 to change, 0 to remove." What differs
// is the SDK's to say (Webhook.Changes, and Ensure's Changes and Removed):
// the CLI compares nothing itself.

// Plan actions.
const (
	actionCreate    = "create"
	actionUpdate    = "update"
	actionRemove    = "remove"
	actionUnchanged = "unchanged"
)

// Statuses of a change.
const (
	statusPlanned   = "planned" // --dry-run, or not carried out yet
	statusUnchanged = "unchanged"
	statusDone      = "done"
	statusFailed    = "failed"
	statusNotRun    = "not run" // an earlier change failed
)

// wanted is one webhook as the input describes it: the request, and which
// of the auth settings the input gave. What it leaves out is kept as the
// webhook has it, so that leaving out --auth never drops the auth.
type wanted struct {
	req        *smtp2go.AddWebhookRequest
	typeGiven  bool // --auth, or auth_header_type in a file
	valueGiven bool // --auth-value-env or -file, or auth_header_value in a file
	where      string
}

// change is one entry of a plan.
type change struct {
	action   string
	id       int64 // 0 for a create not made yet
	url      string
	fields   []smtp2go.FieldChange // create: what it sets; update: old -> new
	reason   string                // remove: why
	dupOf    int64                 // a duplicate that Ensure removes as it keeps this webhook
	req      *smtp2go.AddWebhookRequest
	status   string
	err      error
	webhook  *smtp2go.Webhook // carried out: the webhook as it now is
	before   *smtp2go.Webhook // the webhook kept, as it was when planned
	isChange bool             // create, update or remove: counts in the plan
	// authSent is, for an update, the auth value the input gives when
	// SMTP2GO does not show the current one: Ensure cannot compare them and
	// counts them as equal, so it is sent all the same, by an Edit when
	// Ensure changes nothing.
	authSent *smtp2go.FieldChange
}

// plan is the changes, in the order shown: the input's webhooks in its
// order, each followed by its duplicates; then those to prune.
type plan struct {
	changes    []*change
	subaccount string
	dryRun     bool
	carried    bool // carryOut has begun: only the changes done count
	// ensure: the webhook kept, as listed before any change; nil for a
	// create or for apply.
	before *smtp2go.Webhook
	ensure bool
}

// planEnsure plans what ensure does for w.
func planEnsure(c *call, w wanted) (*plan, error) {
	p, err := makePlan(c, []wanted{w}, nil, false)
	if err != nil {
		return nil, err
	}
	p.subaccount, p.ensure, p.before = w.req.SubaccountID, true, p.changes[0].before
	return p, nil
}

// makePlan asks the SDK's Plan what Ensure would do for each webhook
// wanted, and, with prune, removes the account's webhooks (current) whose
// URL is in no entry. The CLI compares nothing itself: it only fills in
// the auth an entry leaves out from the webhook Plan says is kept.
func makePlan(c *call, want []wanted, current []smtp2go.Webhook, prune bool) (*plan, error) {
	p := &plan{}
	for _, w := range want {
		ep, err := planOne(c, w)
		if err != nil {
			return nil, err
		}
		url := smtp2go.RedactURL(w.req.URL)
		if ep.Webhook == nil {
			p.add(&change{action: actionCreate, url: url, fields: ep.Changes, req: w.req})
			continue
		}
		kept := ep.Webhook
		ch := &change{action: actionUnchanged, id: kept.ID, url: url, fields: ep.Changes, req: w.req, before: kept}
		if w.valueGiven && !authValueShown(kept) && w.req.AuthHeaderValue != "" &&
			!slices.ContainsFunc(ep.Changes, func(f smtp2go.FieldChange) bool { return f.Field == "auth_header_value" }) {
			// The value given may be the one SMTP2GO holds, or not: nothing
			// tells, so it is sent rather than dropped.
			old := ""
			if kept.AuthHeaderType != smtp2go.AuthNone {
				old = notShown
			}
			ch.authSent = &smtp2go.FieldChange{Field: "auth_header_value", Old: old, New: w.req.AuthHeaderValue.String()}
			ch.fields = append(slices.Clone(ch.fields), *ch.authSent)
		}
		if len(ch.fields) > 0 {
			ch.action = actionUpdate
		}
		p.add(ch)
		for _, id := range ep.Remove {
			p.add(&change{action: actionRemove, id: id, url: url, reason: fmt.Sprintf("duplicate of %d", kept.ID), dupOf: kept.ID})
		}
	}
	if prune {
		wantedURL := map[string]bool{}
		for _, w := range want {
			wantedURL[w.req.URL] = true
		}
		extra := slices.Clone(current)
		slices.SortFunc(extra, func(a, b smtp2go.Webhook) int { return cmp.Compare(a.ID, b.ID) })
		for _, w := range extra {
			if !wantedURL[w.URL] {
				p.add(&change{action: actionRemove, id: w.ID, url: smtp2go.RedactURL(w.URL), reason: "not in the file"})
			}
		}
	}
	return p, nil
}

func (p *plan) add(c *change) {
	c.isChange = c.action != actionUnchanged
	c.status = statusUnchanged
	if c.isChange {
		c.status = statusPlanned
	}
	p.changes = append(p.changes, c)
}

// planOne is the SDK's plan for w: asked first with the auth w gives, or
// none, to learn which webhook is kept, and again once the auth w leaves
// out is taken from that webhook.
func planOne(c *call, w wanted) (*smtp2go.EnsurePlan, error) {
	probe := *w.req
	if !w.typeGiven || !w.valueGiven {
		probe.AuthHeaderType, probe.AuthHeaderValue = smtp2go.AuthNone, ""
	}
	ep, err := c.client.Webhooks.Plan(c.ctx, &probe)
	if err != nil || (w.typeGiven && w.valueGiven) {
		return ep, inInput(w.where, err)
	}
	if err := settleAuth(w, ep.Webhook); err != nil {
		return nil, err
	}
	if w.req.AuthHeaderType == probe.AuthHeaderType && w.req.AuthHeaderValue == probe.AuthHeaderValue {
		return ep, nil
	}
	ep, err = c.client.Webhooks.Plan(c.ctx, w.req)
	return ep, inInput(w.where, err)
}

// settleAuth fills in the auth settings the input left out from the
// webhook's current ones (kept; nil when it is to be created): without
// either, the webhook keeps its auth; with a value alone, its type. A kept
// auth is the value as this listing shows it, written back when the plan is
// carried out: Ensure lists again, but compares with the request, so a
// value rotated between the plan and the apply is set back. A value that
// SMTP2GO does not show cannot be kept that way, and is refused.
func settleAuth(w wanted, kept *smtp2go.Webhook) error {
	if w.typeGiven || kept == nil {
		return nil
	}
	w.req.AuthHeaderType = kept.AuthHeaderType
	if w.valueGiven {
		if kept.AuthHeaderType == smtp2go.AuthNone {
			return inInput(w.where, invalidf("an auth value, but webhook %d has no auth type to keep: say bearer or basic", kept.ID))
		}
		w.req.AuthHeaderValue = basicValue(kept.AuthHeaderType, w.req.AuthHeaderValue)
		return nil
	}
	if kept.AuthHeaderType != smtp2go.AuthNone && !authValueShown(kept) {
		return inInput(w.where, invalidf("webhook %d has %s auth whose value SMTP2GO does not show, so it cannot be kept as it is: give the auth it should have (or none)",
			kept.ID, kept.AuthHeaderType))
	}
	w.req.AuthHeaderValue = kept.AuthHeaderValue
	return nil
}

// notShown is how a plan shows an auth value that SMTP2GO does not show.
const notShown = "(not shown)"

// inInput prefixes err with where in the input it comes from, if anywhere.
func inInput(where string, err error) error {
	if err == nil || where == "" {
		return err
	}
	return &cliError{msg: where + ": " + err.Error(), err: err}
}

// counts returns how many webhooks the plan adds, changes and removes; once
// carried out, how many it did.
func (p *plan) counts() (add, change, remove int) {
	for _, c := range p.changes {
		if !c.isChange || (p.carried && c.status != statusDone) {
			continue
		}
		switch c.action {
		case actionCreate:
			add++
		case actionUpdate:
			change++
		case actionRemove:
			remove++
		}
	}
	return add, change, remove
}

// hasChanges reports whether the plan changes anything (or, carried out,
// changed anything).
func (p *plan) hasChanges() bool {
	add, change, remove := p.counts()
	return add+change+remove > 0
}

// carryOut makes the changes: the removals first, so that an account at its
// webhook limit (one, on free plans) can still converge, then each webhook
// through Ensure, which looks again before it changes anything. It stops at
// the first failure; the changes left are "not run". Each change done is
// reported on progress, if not nil.
func (p *plan) carryOut(ctx context.Context, c *smtp2go.Client, subaccount string, progress io.Writer) error {
	p.carried = true
	for _, ch := range p.changes {
		if ch.isChange {
			ch.status = statusNotRun
		}
	}
	say := func(format string, args ...any) {
		if progress != nil {
			fmt.Fprintf(progress, format+"\n", args...)
		}
	}
	for _, ch := range p.changes {
		if ch.action != actionRemove || ch.dupOf != 0 {
			continue
		}
		if _, err := c.Webhooks.Remove(ctx, &smtp2go.RemoveWebhookRequest{ID: ch.id, SubaccountID: subaccount}); err != nil {
			return ch.fail(err)
		}
		ch.status = statusDone
		say("removed webhook %d", ch.id)
	}
	for _, phase := range []string{actionUpdate, actionCreate, actionUnchanged} {
		for _, ch := range slices.Clone(p.changes) {
			if ch.action != phase || ch.req == nil || ch.status == statusDone {
				continue
			}
			if phase == actionUnchanged && !p.hasDuplicates(ch.id) {
				continue // nothing to do
			}
			res, err := c.Webhooks.Ensure(ctx, ch.req)
			if err != nil {
				return ch.fail(err)
			}
			if ch.authSent != nil && res.Action == smtp2go.EnsureUnchanged {
				// Ensure counted the value SMTP2GO does not show as equal to
				// the one given, and sent nothing: send the one given.
				edited, err := c.Webhooks.Edit(ctx, &smtp2go.EditWebhookRequest{ID: res.Webhook.ID, SubaccountID: subaccount,
					AuthHeaderType: &ch.req.AuthHeaderType, AuthHeaderValue: &ch.req.AuthHeaderValue})
				if err != nil {
					return ch.fail(err)
				}
				res.Action, res.Webhook, res.Changes = smtp2go.EnsureUpdated, edited.Webhook, nil
			}
			p.ensured(ch, res, say)
		}
	}
	return nil
}

func (p *plan) hasDuplicates(id int64) bool {
	return slices.ContainsFunc(p.changes, func(c *change) bool { return c.dupOf == id })
}

// ensured records what Ensure did for ch: as it reports it, which may not
// be what was planned if the account changed meanwhile.
func (p *plan) ensured(ch *change, res *smtp2go.EnsureWebhookResponse, say func(string, ...any)) {
	ch.status, ch.id, ch.webhook = statusDone, res.Webhook.ID, &res.Webhook
	switch res.Action {
	case smtp2go.EnsureCreated:
		ch.action = actionCreate
		say("created webhook %d", ch.id)
	case smtp2go.EnsureUpdated:
		ch.action, ch.fields = actionUpdate, res.Changes
		if ch.authSent != nil && !slices.ContainsFunc(res.Changes, func(f smtp2go.FieldChange) bool { return f.Field == ch.authSent.Field }) {
			ch.fields = append(slices.Clone(res.Changes), *ch.authSent) // sent, though Ensure could not compare it
		}
		say("updated webhook %d", ch.id)
	default:
		ch.action, ch.fields, ch.status = actionUnchanged, nil, statusUnchanged
	}
	ch.isChange = ch.action != actionUnchanged
	for _, id := range res.Removed {
		i := slices.IndexFunc(p.changes, func(c *change) bool { return c.id == id && c.action == actionRemove })
		if i < 0 { // a duplicate that appeared since the plan
			p.add(&change{action: actionRemove, id: id, url: ch.url, reason: fmt.Sprintf("duplicate of %d", ch.id), dupOf: ch.id})
			i = len(p.changes) - 1
		}
		p.changes[i].status = statusDone
		say("removed webhook %d (duplicate of %d)", id, ch.id)
	}
	for _, c := range p.changes {
		if c.dupOf == ch.id && c.status != statusDone {
			c.status, c.isChange = statusDone, false // gone, but not by this run
		}
	}
}

func (ch *change) fail(err error) error {
	ch.status, ch.err = statusFailed, err
	what := ch.action + " " + ch.url
	if ch.id != 0 {
		what = fmt.Sprintf("%s %d %s", ch.action, ch.id, ch.url)
	}
	if errors.Is(err, smtp2go.ErrOutcomeUnknown) {
		return withHint(&changeError{what: what, err: err}, "Running the command again settles it: it looks before it adds.")
	}
	return &changeError{what: what, err: err}
}

// changeError is a change of a plan that failed: which, and why.
type changeError struct {
	what string
	err  error
}

func (e *changeError) Error() string { return e.what + ": " + e.err.Error() }
func (e *changeError) Unwrap() error { return e.err }

// printPlan writes the plan as text.
func (p *plan) printPlan(w io.Writer, noChanges string) {
	if !p.hasChanges() {
		fmt.Fprintln(w, noChanges)
		return
	}
	for _, c := range p.changes {
		if !c.isChange {
			continue
		}
		switch c.action {
		case actionCreate:
			fmt.Fprintf(w, "  + create %s\n", c.url)
		case actionUpdate:
			fmt.Fprintf(w, "  ~ update %d %s\n", c.id, c.url)
		case actionRemove:
			fmt.Fprintf(w, "  - remove %d %s (%s)\n", c.id, c.url, c.reason)
		}
		width := 0
		for _, f := range c.fields {
			width = max(width, len(f.Field)+1)
		}
		for _, f := range c.fields {
			value := orNone(f.New)
			if c.action == actionUpdate {
				value = orNone(f.Old) + " -> " + value
			}
			fmt.Fprintf(w, "      %-*s %s\n", width, f.Field+":", value)
		}
	}
	add, change, remove := p.counts()
	fmt.Fprintf(w, "\nPlan: %d to add, %d to change, %d to remove.\n", add, change, remove)
}

func orNone(s string) string { return dashOr(s, "(none)") }

// planOut is the JSON document of ensure and apply: the plan, each change
// with its status once carried out, and the totals. Webhook is ensure's
// webhook as it now is (or, with --dry-run, as it is before any change;
// null if it is to be created).
type planOut struct {
	DryRun  bool        `json:"dry_run"`
	Changes []changeOut `json:"changes"`
	Summary summaryOut  `json:"summary"`
	Webhook *webhookOut `json:"webhook,omitempty"`
}

type changeOut struct {
	Action  string      `json:"action"` // create, update, remove or unchanged
	ID      *int64      `json:"id"`     // null for a create not made
	URL     string      `json:"url"`
	Fields  []fieldOut  `json:"fields"` // create: what it sets; update: old and new
	Reason  string      `json:"reason,omitempty"`
	Status  string      `json:"status"` // planned, unchanged, done, failed or not run
	Error   string      `json:"error,omitempty"`
	Webhook *webhookOut `json:"webhook,omitempty"` // done: the webhook as it now is
}

// fieldOut is a field a change sets, as the SDK's FieldChange says it:
// secrets masked, lists joined with ", ".
type fieldOut struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

type summaryOut struct {
	Add    int `json:"add"`
	Change int `json:"change"`
	Remove int `json:"remove"`
}

func (p *plan) document() planOut {
	out := planOut{DryRun: p.dryRun, Changes: []changeOut{}}
	for _, c := range p.changes {
		co := changeOut{Action: c.action, URL: c.url, Fields: []fieldOut{}, Reason: c.reason, Status: c.status}
		for _, f := range c.fields {
			co.Fields = append(co.Fields, fieldOut(f))
		}
		if c.id != 0 {
			co.ID = &c.id
		}
		if c.err != nil {
			co.Error = c.err.Error()
		}
		if c.webhook != nil {
			wo := toOut(*c.webhook)
			co.Webhook = &wo
		}
		out.Changes = append(out.Changes, co)
	}
	out.Summary.Add, out.Summary.Change, out.Summary.Remove = p.counts()
	if p.ensure {
		switch kept := p.changes[0]; {
		case kept.webhook != nil:
			wo := toOut(*kept.webhook)
			out.Webhook = &wo
		case p.before != nil:
			wo := toOut(*p.before)
			out.Webhook = &wo
		}
	}
	return out
}

// report prints the plan, asks when it removes a webhook, carries it out
// unless it is a dry run, and prints what was done: the plan's document
// with --output json, else the plan, a line for each change made, and the
// totals. With --detailed-exitcode, a plan that changes (or changed)
// something exits 2.
func (a *app) report(c *call, p *plan, pf *planFlags, noChanges string) error {
	out := a.env.stdout
	p.dryRun = pf.dryRun
	if !a.json() {
		p.printPlan(out, noChanges)
	}
	var err error
	switch {
	case p.dryRun && p.hasChanges() && !a.json():
		fmt.Fprintln(out, "\nDry run: nothing was changed.")
	case !p.dryRun && p.hasChanges():
		if err := a.confirm(p, pf.yes, !a.json()); err != nil {
			return err
		}
		var progress io.Writer
		if !a.json() {
			fmt.Fprintln(out)
			progress = out
		}
		if err = p.carryOut(c.ctx, c.client, p.subaccount, progress); err == nil && !a.json() {
			add, change, remove := p.counts()
			fmt.Fprintf(out, "\nApply complete: %d added, %d changed, %d removed.\n", add, change, remove)
		}
	}
	if a.json() {
		// What was done is printed even when a change failed, so that a
		// script can tell what changed.
		if werr := writeJSON(out, p.document()); werr != nil && err == nil {
			err = werr
		}
	}
	if err == nil && pf.detailedExitCode && p.hasChanges() {
		return &exitError{code: exitChanges}
	}
	return err
}

// planFlags are the flags of the commands that plan: ensure and apply.
type planFlags struct {
	dryRun           bool
	detailedExitCode bool
	yes              bool
}

func planFlagsOf(cmd *cobra.Command) *planFlags {
	pf := &planFlags{}
	cmd.Flags().BoolVar(&pf.dryRun, "dry-run", false, "show the plan and change nothing")
	cmd.Flags().BoolVar(&pf.detailedExitCode, "detailed-exitcode", false, "exit 0 when nothing changes (or would), 2 when something does, 1 on any error")
	cmd.Flags().BoolVarP(&pf.yes, "yes", "y", false, "remove webhooks without asking (alias --auto-approve); needed without a terminal")
	return pf
}

// yesFlag defines --yes (and its alias --auto-approve) on a command that
// removes webhooks.
func yesFlag(cmd *cobra.Command) *bool {
	return cmd.Flags().BoolP("yes", "y", false, "remove without asking (alias --auto-approve); needed without a terminal")
}

// confirm lets a plan that removes webhooks go ahead: with --yes, or when
// the person at the terminal answers yes, in Terraform's manner. Without a
// terminal and --yes it is a usage error, and nothing is changed. shown
// says whether the plan is on the screen already.
func (a *app) confirm(p *plan, yes, shown bool) error {
	_, _, remove := p.counts()
	if yes || remove == 0 {
		return nil
	}
	if a.env.isTerminal == nil || !a.env.isTerminal() {
		return withHint(usagef("the plan removes %d webhook(s), and there is no terminal to ask: nothing was changed", remove),
			"Pass --yes (or --auto-approve) to remove without asking.")
	}
	w := a.env.stderr
	if !shown {
		p.printPlan(w, "")
	}
	fmt.Fprint(w, "\nDo you want to perform these actions? Only 'yes' will be accepted: ")
	answer, _ := bufio.NewReader(a.env.stdin).ReadString('\n')
	if strings.TrimSpace(answer) != "yes" {
		return &cliError{kind: kindInterrupted, msg: "cancelled: nothing was changed"}
	}
	return nil
}
