package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"text/tabwriter"

	"github.com/relaykit/smtp2go"
)

// step is one change apply makes, or would make with --dry-run.
type step struct {
	Action string `json:"action"` // create, update, unchanged or remove
	ID     int64  `json:"id,omitempty"`
	URL    string `json:"url"`    // redacted for printing
	Status string `json:"status"` // planned (dry run), done, failed or not run
	Error  string `json:"error,omitempty"`
	req    *smtp2go.AddWebhookRequest
}

// Step statuses.
const (
	statusPlanned = "planned"
	statusDone    = "done"
	statusFailed  = "failed"
	statusNotRun  = "not run"
)

// phases is the order apply carries steps out in: removals first, so that an
// account at its webhook limit (one, on free plans) can still converge.
var phases = []string{"remove", "update", "create", "unchanged"}

func cmdApply(ctx context.Context, e *env, args []string) error {
	var api apiFlags
	var file string
	var prune, dryRun bool
	fs := newFlagSet("apply")
	api.register(fs)
	fs.StringVar(&file, "f", "", "the desired webhooks: `FILE` holding a JSON array of webhook/add bodies (- for stdin)")
	fs.Var(fs.Lookup("f").Value, "file", "")
	fs.BoolVar(&prune, "prune", false, "also remove webhooks that are not in the file")
	fs.BoolVar(&dryRun, "dry-run", false, "print the plan and change nothing")
	if err := parseNoArgs(e, fs, args); err != nil {
		return err
	}
	if file == "" {
		return &usageError{msg: "-f FILE is required: the JSON array of the webhooks wanted", help: helpText("apply", fs)}
	}
	desired, err := readDesired(e, file, api.subaccount)
	if err != nil {
		return err
	}
	c, err := api.client(e)
	if err != nil {
		return err
	}
	current, err := c.Webhooks.List(ctx, &smtp2go.ListWebhooksRequest{SubaccountID: api.subaccount})
	if err != nil {
		return err
	}
	steps, err := plan(desired, current.Webhooks, prune)
	if err != nil {
		return err
	}
	if dryRun {
		for i := range steps {
			steps[i].Status = statusPlanned
		}
		return printPlan(e, api.json(), steps, true)
	}
	err = carryOutAll(ctx, c, steps, api.subaccount)
	// What was done is printed even when a step failed, so that a script can
	// tell what changed.
	if perr := printPlan(e, api.json(), steps, false); perr != nil && err == nil {
		err = perr
	}
	return err
}

// carryOutAll carries the steps out phase by phase, and stops at the first
// failure, marking the steps left as not run.
func carryOutAll(ctx context.Context, c *smtp2go.Client, steps []step, subaccount string) error {
	for i := range steps {
		steps[i].Status = statusNotRun
	}
	for _, phase := range phases {
		for i := range steps {
			s := &steps[i]
			if s.Action != phase {
				continue
			}
			if err := carryOut(ctx, c, s, subaccount); err != nil {
				s.Status, s.Error = statusFailed, err.Error()
				return fmt.Errorf("%s %s: %w", s.Action, s.URL, err)
			}
			s.Status = statusDone
		}
	}
	return nil
}

// readDesired reads and checks the file: every entry valid, no URL twice.
// Nothing has been sent when it fails. Entries are numbered from 1.
func readDesired(e *env, path, subaccount string) ([]*smtp2go.AddWebhookRequest, error) {
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
	out := make([]*smtp2go.AddWebhookRequest, len(entries))
	for i, raw := range entries {
		n := i + 1
		body, err := parseBody(fmt.Sprintf("%s: entry %d", path, n), raw)
		if err != nil {
			return nil, err
		}
		if body.subaccountID != "" && body.subaccountID != subaccount {
			return nil, usagef("%s: entry %d: subaccount_id %q differs from --subaccount %q; apply one account at a time", path, n, body.subaccountID, subaccount)
		}
		var w smtp2go.Webhook
		body.fields.ApplyTo(&w)
		req := addRequestFor(w, subaccount)
		if err := req.Validate(); err != nil {
			return nil, fmt.Errorf("%s: entry %d: %w", path, n, err)
		}
		if j, dup := seen[req.URL]; dup {
			return nil, usagef("%s: entries %d and %d have the same url %s", path, j, n, smtp2go.RedactURL(req.URL))
		}
		seen[req.URL] = n
		out[i] = req
	}
	return out, nil
}

// plan compares the desired webhooks with the current ones.
func plan(desired []*smtp2go.AddWebhookRequest, current []smtp2go.Webhook, prune bool) ([]step, error) {
	byURL := map[string][]smtp2go.Webhook{}
	for _, w := range current {
		byURL[w.URL] = append(byURL[w.URL], w)
	}
	var steps []step
	wanted := map[string]bool{}
	for _, req := range desired {
		wanted[req.URL] = true
		have := byURL[req.URL]
		s := step{URL: smtp2go.RedactURL(req.URL), req: req}
		switch {
		case len(have) == 0:
			s.Action = "create"
		case len(have) > 1:
			return nil, fmt.Errorf("%w: %s has %d webhooks; remove all but one first", smtp2go.ErrDuplicateURL, s.URL, len(have))
		case have[0].Matches(req):
			s.Action, s.ID = "unchanged", have[0].ID
		default:
			s.Action, s.ID = "update", have[0].ID
		}
		steps = append(steps, s)
	}
	if prune {
		var extra []smtp2go.Webhook
		for _, w := range current {
			if !wanted[w.URL] {
				extra = append(extra, w)
			}
		}
		sort.Slice(extra, func(i, j int) bool { return extra[i].ID < extra[j].ID })
		for _, w := range extra {
			steps = append(steps, step{Action: "remove", ID: w.ID, URL: smtp2go.RedactURL(w.URL)})
		}
	}
	return steps, nil
}

func carryOut(ctx context.Context, c *smtp2go.Client, s *step, subaccount string) error {
	switch s.Action {
	case "create", "update":
		// Ensure looks again before it changes anything, so a webhook created
		// meanwhile is updated rather than duplicated; what it did is what
		// is reported.
		res, err := c.Webhooks.Ensure(ctx, s.req)
		if err != nil {
			return err
		}
		s.ID = res.Webhook.ID
		s.Action = map[smtp2go.EnsureAction]string{smtp2go.EnsureCreated: "create", smtp2go.EnsureUpdated: "update", smtp2go.EnsureUnchanged: "unchanged"}[res.Action]
	case "remove":
		_, err := c.Webhooks.Remove(ctx, &smtp2go.RemoveWebhookRequest{ID: s.ID, SubaccountID: subaccount})
		return err
	}
	return nil
}

func printPlan(e *env, asJSON bool, steps []step, dryRun bool) error {
	if steps == nil {
		steps = []step{}
	}
	if asJSON {
		return writeJSON(e.stdout, struct {
			DryRun bool   `json:"dry_run"`
			Steps  []step `json:"steps"`
		}{dryRun, steps})
	}
	if dryRun {
		fmt.Fprintln(e.stdout, "Plan (dry run: nothing was changed):")
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	counts := map[string]int{}
	for _, s := range steps {
		id := "-"
		if s.ID != 0 {
			id = fmt.Sprint(s.ID)
		}
		note := ""
		switch s.Status {
		case statusFailed:
			note = "\tFAILED: " + s.Error
		case statusNotRun:
			note = "\t(not run)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s%s\n", s.Action, id, s.URL, note)
		if s.Status == statusDone || s.Status == statusPlanned {
			counts[s.Action]++
		}
	}
	tw.Flush()
	if dryRun {
		fmt.Fprintf(e.stdout, "%d to create, %d to update, %d unchanged, %d to remove\n",
			counts["create"], counts["update"], counts["unchanged"], counts["remove"])
	} else {
		fmt.Fprintf(e.stdout, "%d created, %d updated, %d unchanged, %d removed\n",
			counts["create"], counts["update"], counts["unchanged"], counts["remove"])
	}
	return nil
}
