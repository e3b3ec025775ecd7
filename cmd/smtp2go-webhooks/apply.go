package main

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/relaykit/smtp2go"
)

func (a *app) applyCommand() *cobra.Command {
	cmd, sub := apiCommand("apply -f FILE", "Make the account's webhooks match a file, showing the plan first",
		"apply -f webhooks.json --prune --dry-run", cobra.NoArgs)
	cmd.Long = cmd.Short + ".\n\n" +
		aboutPlan("apply", "Each entry is", "output_format", "events, sms_events, headers or usernames", "auth_header_type and auth_header_value", `"auth_header_type": "none"`) +
		"\n\nWith --prune, the webhooks whose URL is in no entry are removed."
	pf := planFlagsOf(cmd)
	file := cmd.Flags().StringP("file", "f", "", "the webhooks wanted: `FILE` holding a JSON array of webhook/add bodies (- for stdin)")
	_ = cmd.MarkFlagRequired("file")
	prune := cmd.Flags().Bool("prune", false, "also remove the webhooks whose URL is not in the file")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		want, err := readWanted(a.env, *file, *sub)
		if err != nil {
			return err
		}
		return a.withCall(cmd, func(c *call) error {
			p := &plan{subaccount: *sub}
			if err := makePlan(c, p, want, *prune); err != nil {
				return err
			}
			return a.report(c, p, pf, "No changes: the webhooks are set up as the file says.")
		})
	}
	return cmd
}

// readWanted reads and checks the file: every entry valid, no URL twice.
// Nothing has been sent when it fails. Entries are numbered from 1.
func readWanted(e *env, path, subaccount string) ([]*input, error) {
	data, err := readInput(e, "-f", path)
	if err != nil {
		return nil, err
	}
	// An array, even an empty one: a null or an object (a template gone
	// wrong) must not read as "no webhooks" and, with --prune, remove them.
	var entries []json.RawMessage
	err = json.Unmarshal(data, &entries)
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) { // its text quotes at most one character, never a value
		return nil, invalidf("%s: not JSON: %v (at byte %d)", path, err, syntax.Offset)
	}
	if err != nil || entries == nil {
		return nil, invalidf("%s: want a JSON array of webhook/add bodies", path)
	}
	seen := map[string]int{}
	out := make([]*input, len(entries))
	for i, raw := range entries {
		in := &input{where: fmt.Sprintf("%s: entry %d", path, i+1)}
		if err := in.readBody(in.where, raw); err != nil {
			return nil, err
		}
		if in.subaccount != "" && in.subaccount != subaccount {
			return nil, invalidf("%s: subaccount_id %q differs from --subaccount %q; apply one account at a time", in.where, in.subaccount, subaccount)
		}
		req := in.probe(in.whole(subaccount))
		if err := req.Validate(); err != nil {
			return nil, inInput(in.where, err)
		}
		if j, dup := seen[req.URL]; dup {
			return nil, invalidf("%s: entries %d and %d have the same url %s", path, j, i+1, smtp2go.RedactURL(req.URL))
		}
		seen[req.URL] = i + 1
		out[i] = in
	}
	return out, nil
}
