package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/internal/fakesmtp2go"
	"github.com/relaykit/smtp2go/webhook"
)

// demoCommand runs the whole cycle offline: a fake SMTP2GO and a receiver
// in this process, driven by the SDK calls a provisioning script makes.
func (a *app) demoCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "demo",
		Short:   "Run a full cycle against an in-process fake SMTP2GO (offline)",
		Example: "  smtp2go-webhooks demo",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return a.demo(cmd.Context()) },
	}
}

func (a *app) demo(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out := a.env.stdout
	if a.json() {
		out = io.Discard // a summary is printed instead
	}
	step := func(n int, what string) { fmt.Fprintf(out, "\n%d. %s\n", n, what) }
	fmt.Fprintln(out, "smtp2go-webhooks demo: a fake SMTP2GO and a webhook receiver, both on 127.0.0.1, driven by the real SDK.")

	// SMTP2GO's side: the fake API, which also delivers events.
	cfg := fakesmtp2go.DefaultConfig()
	cfg.RedeliveryWaits = []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond}
	api := fakesmtp2go.New(cfg)
	defer api.Close()
	apiSrv, err := serve("127.0.0.1:0", api)
	if err != nil {
		return err
	}
	defer apiSrv.stop(5 * time.Second)
	base := apiSrv.url + "/v3/"
	client, err := smtp2go.NewClient(api.APIKey(), smtp2go.WithBaseURL(base), smtp2go.WithRetryWait(time.Millisecond, 5*time.Millisecond))
	if err != nil {
		return err
	}

	// The user's side: the SDK's handler, behind basic auth, whose callback
	// fails when told to, as a database that is down would.
	password := rand.Text()
	received := make(chan *webhook.Event, 16)
	var failNext atomic.Bool
	recv, err := serve("127.0.0.1:0", webhook.NewHandler(func(_ context.Context, ev *webhook.Event) error {
		if failNext.Swap(false) {
			return errors.New("database unavailable (simulated)")
		}
		received <- ev
		return nil
	}, webhook.WithBasicAuth("smtp2go", password)))
	if err != nil {
		return err
	}
	defer recv.stop(5 * time.Second)
	recvURL := recv.url + "/webhook"
	fmt.Fprintf(out, "   fake SMTP2GO API: %s\n   receiver:         %s (basic auth)\n", base, recvURL)
	// deliver has the fake deliver ev, and returns the event the receiver
	// took: its callback queued it before answering 2xx.
	deliver := func(ev webhook.Event) (*webhook.Event, error) {
		if results, err := api.Emit(ctx, "", ev); err != nil || len(results) != 1 || !results[0].OK() {
			return nil, fmt.Errorf("delivery of %s failed: %+v %v", ev.Type, results, err)
		}
		select {
		case got := <-received:
			return got, nil
		case <-ctx.Done():
			return nil, fmt.Errorf("the receiver answered %s but did not take it: %w", ev.Type, ctx.Err())
		}
	}

	step(1, "Add a webhook pointing at the receiver (webhook/add)")
	events := []smtp2go.EventType{smtp2go.EventProcessed, smtp2go.EventDelivered, smtp2go.EventOpen, smtp2go.EventClick, smtp2go.EventBounce}
	added, err := client.Webhooks.Add(ctx, &smtp2go.AddWebhookRequest{
		URL: recvURL, Events: events, Headers: []string{"X-Customer-Id"}, OutputFormat: smtp2go.OutputForm,
		AuthHeaderType: smtp2go.AuthBasic, AuthHeaderValue: smtp2go.BasicAuthValue("smtp2go", password),
	})
	if err != nil {
		return err
	}
	id := added.Webhook.ID
	fmt.Fprintf(out, "   created webhook %d (request_id %s)\n", id, added.RequestID)

	step(2, "List the account's webhooks (webhook/view)")
	list, err := client.Webhooks.List(ctx, nil)
	if err != nil {
		return err
	}
	var table strings.Builder
	_ = printWebhooks(&table, false, list.Webhooks) // a Builder takes every write
	fmt.Fprint(out, "   "+strings.ReplaceAll(strings.TrimSuffix(table.String(), "\n"), "\n", "\n   ")+"\n")

	step(3, "SMTP2GO delivers events as form posts; the receiver parses each into a typed webhook.Event")
	for _, typ := range events {
		ev := fakesmtp2go.SampleEvent(typ)
		ev.Fields = map[string][]string{"X-Customer-Id": {"cust-4711"}}
		got, err := deliver(ev)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "   %-9s -> %s\n", typ, describe(got))
	}

	step(4, "Edit the webhook: JSON bodies, and spam complaints too (webhook/edit sends the full state)")
	edited, err := client.Webhooks.Edit(ctx, &smtp2go.EditWebhookRequest{
		ID: id, OutputFormat: smtp2go.Ptr(smtp2go.OutputJSON), Events: append(events, smtp2go.EventSpam),
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   webhook %d now sends %s for: %s\n", edited.Webhook.ID, edited.Webhook.OutputFormat, strings.Join(names(edited.Webhook.Events), ", "))

	step(5, "A delivery fails once: the receiver's callback errors, answers 500, and SMTP2GO redelivers the same id")
	failNext.Store(true)
	before := len(api.Deliveries())
	got, err := deliver(fakesmtp2go.SampleEvent(smtp2go.EventSpam))
	if err != nil {
		return err
	}
	redelivered := 0
	for _, d := range api.Deliveries()[before:] {
		fmt.Fprintf(out, "   attempt %d: id %s -> %d %s\n", d.Attempt, d.EventID, d.Status, http.StatusText(d.Status))
		if d.Attempt > 1 {
			redelivered++
		}
	}
	fmt.Fprintf(out, "   spam      -> %s\n", describe(got))
	delivered := len(events) + 1 // step 3's, and step 5's spam

	step(6, "Remove the webhook (webhook/remove)")
	if _, err := client.Webhooks.Remove(ctx, &smtp2go.RemoveWebhookRequest{ID: id}); err != nil {
		return err
	}
	if list, err = client.Webhooks.List(ctx, nil); err != nil {
		return err
	}
	fmt.Fprintf(out, "   removed webhook %d; %d webhooks left\n", id, len(list.Webhooks))

	return a.show(struct {
		OK             bool  `json:"ok"`
		WebhookID      int64 `json:"webhook_id"`
		EventsReceived int   `json:"events_received"`
		Redeliveries   int   `json:"redeliveries"`
	}{true, id, delivered, redelivered}, "\ndemo ok: webhook %d added, listed, edited and removed; %d events received as typed values (%d redelivery); no SMTP2GO account used, nothing sent beyond 127.0.0.1\n", id, delivered, redelivered)
}
