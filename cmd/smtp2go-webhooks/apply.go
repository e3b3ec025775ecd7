package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"text/tabwriter"

	"github.com/relaykit/smtp2go"
)

// step is one change apply makes, or would make with --dry-run.
type step struct {
	Action string `json:"action"` // create, update, unchanged or remove
	ID     int64  `json:"id,omitempty"`
	URL    string `json:"url"` // redacted for printing
	req    *smtp2go.AddWebhookRequest
}

func cmdApply(ctx context.Context, e *env, args []string) error {
	var api apiFlags
	var file string
	var prune, dryRun bool
	fs := newFlagSet("apply")
	api.register(fs)
	fs.StringVar(&file, "f", "", "the desired webhooks: `FILE` holding a JSON array of webhook/add bodies (- for stdin)")
	fs.BoolVar(&prune, "prune", false, "also remove webhooks that are not in the file")
	fs.BoolVar(&dryRun, "dry-run", false, "print the plan and change nothing")
	if err := parseNoArgs(e, fs, args); err != nil {
		return err
	}
	if file == "" {
		return &usageError{msg: "-f FILE is required", help: helpText("apply", fs)}
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
	if !dryRun {
		for i := range steps {
			if err := carryOut(ctx, c, &steps[i], api.subaccount); err != nil {
				return fmt.Errorf("%s %s: %w", steps[i].Action, steps[i].URL, err)
			}
		}
	}
	return printPlan(e, api.output, steps, dryRun)
}

// readDesired reads and checks the file: every entry valid, no URL twice.
// Nothing has been sent when it fails.
func readDesired(e *env, path, subaccount string) ([]*smtp2go.AddWebhookRequest, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = readAllLimited(e.stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, usagef("-f: %v", err)
	}
	var entries []json.RawMessage
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, usagef("%s: want a JSON array of webhook/add bodies: %v", path, err)
	}
	seen := map[string]int{}
	out := make([]*smtp2go.AddWebhookRequest, len(entries))
	for i, raw := range entries {
		body, err := parseJSONBody(raw)
		if err != nil {
			return nil, usagef("%s: entry %d: %v", path, i, err)
		}
		if body.subaccountID != "" && body.subaccountID != subaccount {
			return nil, usagef("%s: entry %d: subaccount_id %q differs from --subaccount %q; apply one account at a time", path, i, body.subaccountID, subaccount)
		}
		req := addRequestFor(body.webhook, subaccount)
		if err := req.Validate(); err != nil {
			return nil, fmt.Errorf("%s: entry %d: %w", path, i, err)
		}
		if j, dup := seen[req.URL]; dup {
			return nil, usagef("%s: entries %d and %d have the same url %s", path, j, i, smtp2go.RedactURL(req.URL))
		}
		seen[req.URL] = i
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
		// meanwhile is updated rather than duplicated.
		res, err := c.Webhooks.Ensure(ctx, s.req)
		if err != nil {
			return err
		}
		s.ID = res.Webhook.ID
	case "remove":
		_, err := c.Webhooks.Remove(ctx, &smtp2go.RemoveWebhookRequest{ID: s.ID, SubaccountID: subaccount})
		return err
	}
	return nil
}

func printPlan(e *env, format string, steps []step, dryRun bool) error {
	if steps == nil {
		steps = []step{}
	}
	if format == "json" {
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
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Action, id, s.URL)
		counts[s.Action]++
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
