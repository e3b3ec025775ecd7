package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/spf13/cobra"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/internal/fakesmtp2go"
)

func (a *app) triggerCommand() *cobra.Command {
	cmd, sub := apiCommand("trigger EVENT", "Make the fake SMTP2GO deliver a sample event to its webhooks",
		"trigger bounce --field bounce=soft", cobra.ExactArgs(1))
	cmd.Long = `Make the fake SMTP2GO ("smtp2go-webhooks fake") deliver a realistic sample
event to every webhook subscribed to it, with the webhook's format, auth and
headers, and print each delivery's status. Against anything but the fake it
fails: SMTP2GO itself has no such endpoint.`
	cmd.ValidArgs = deliveryEventEnum.values
	var fields pairsFlag
	cmd.Flags().Var(&fields, "field", "set the delivery's field `NAME=VALUE`, as SMTP2GO names it (rcpt, bounce, message…), or add one; empty drops it (repeatable)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		event, err := deliveryEventEnum.parse("EVENT", args[0])
		if err != nil {
			return err
		}
		key, err := a.global.key(a.env)
		if err != nil {
			return err
		}
		return a.withCall(cmd, func(c *call) error {
			res, err := trigger(c, key, fakesmtp2go.TriggerRequest{Event: event, Fields: fields.fields(), SubaccountID: *sub})
			if err == nil {
				err = a.printTrigger(event, res)
			}
			return err
		})
	}
	return cmd
}

// trigger sends req to the fake at the client's base URL.
func trigger(c *call, key string, req fakesmtp2go.TriggerRequest) (*fakesmtp2go.TriggerResponse, error) {
	base := c.client.BaseURL()
	body, _ := json.Marshal(req)
	url := strings.TrimSuffix(base, "/v3/") + fakesmtp2go.TriggerPath
	hr, err := http.NewRequestWithContext(c.ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("X-Smtp2go-Api-Key", key)
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(hr)
	if err != nil {
		if inner := errors.Unwrap(err); inner != nil {
			err = inner // the url.Error names the URL; the message names the base already
		}
		return nil, fmt.Errorf("trigger at %s: %w", smtp2go.RedactURL(base), err)
	}
	defer resp.Body.Close()
	var doc struct {
		Data fakesmtp2go.TriggerResponse `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc); err != nil || !doc.Data.Fake {
		return nil, withHint(fmt.Errorf("%s is not the fake SMTP2GO (it answered %d %s)", smtp2go.RedactURL(base), resp.StatusCode, http.StatusText(resp.StatusCode)),
			"trigger works only against \"smtp2go-webhooks fake\": point --base-url or "+envBaseURL+" at it.")
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &statusError{status: resp.StatusCode, msg: "the fake refused the trigger: " + doc.Data.Error}
	}
	return &doc.Data, nil
}

// printTrigger prints each delivery, and fails when one did not succeed.
func (a *app) printTrigger(event string, res *fakesmtp2go.TriggerResponse) error {
	if len(res.Deliveries) == 0 || a.json() {
		if err := a.show(struct {
			Deliveries []fakesmtp2go.TriggerDelivery `json:"deliveries"`
		}{res.Deliveries}, "No webhook subscribes to %s: nothing was delivered.\n", event); err != nil {
			return err
		}
	}
	failed := 0
	for _, d := range res.Deliveries {
		answer := fmt.Sprintf("%d %s", d.Status, http.StatusText(d.Status))
		if d.Status == 0 {
			answer = "no answer: " + d.Error
		}
		if d.Status < 200 || d.Status > 299 {
			failed++
		}
		if !a.json() {
			fmt.Fprintf(a.env.stdout, "sent %s (%s, id %s) to webhook %d %s: %s after %d attempt(s)\n",
				event, d.Format, d.EventID, d.WebhookID, d.URL, answer, d.Attempts)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d deliveries failed", failed, len(res.Deliveries))
	}
	return nil
}
