package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/internal/fakesmtp2go"
	"github.com/relaykit/smtp2go/webhook"
)

// demoEvents are the email events the demo sends, in order.
var demoEvents = []smtp2go.EventType{
	smtp2go.EventProcessed, smtp2go.EventDelivered, smtp2go.EventOpen, smtp2go.EventClick, smtp2go.EventBounce,
}

// cmdDemo runs the whole cycle offline: a fake SMTP2GO and a real receiver in
// this process, driven by the same SDK calls a provisioning script makes.
func (a *app) demoCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "demo",
		Short:   "Run a full cycle against an in-process fake SMTP2GO (offline)",
		Example: "  smtp2go-webhooks demo",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return demo(cmd.Context(), a.env, a.json()) },
	}
}

func demo(ctx context.Context, e *env, asJSON bool) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// With --output json, the narration is dropped and a summary printed.
	out := e.stdout
	if asJSON {
		out = io.Discard
	}
	step := func(n int, format string, args ...any) {
		fmt.Fprintf(out, "\n%d. %s\n", n, fmt.Sprintf(format, args...))
	}

	fmt.Fprintln(out, "smtp2go-webhooks demo: a fake SMTP2GO and a webhook receiver, both on 127.0.0.1, driven by the real SDK.")

	// SMTP2GO's side: the fake API, which also delivers events.
	cfg := fakesmtp2go.DefaultConfig()
	cfg.RedeliveryWaits = []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond}
	api, err := startFake("127.0.0.1:0", cfg)
	if err != nil {
		return err
	}
	defer api.close()
	client, err := smtp2go.NewClient(api.APIKey(), smtp2go.WithBaseURL(api.url), smtp2go.WithRetryWait(time.Millisecond, 5*time.Millisecond))
	if err != nil {
		return err
	}

	// The user's side: a receiver protected by basic auth.
	password := rand.Text()
	recv, err := startReceiver(password)
	if err != nil {
		return err
	}
	defer recv.close()
	fmt.Fprintf(out, "   fake SMTP2GO API: %s\n   receiver:         %s (basic auth)\n", api.url, recv.url)

	step(1, "Add a webhook pointing at the receiver (webhook/add)")
	added, err := client.Webhooks.Add(ctx, &smtp2go.AddWebhookRequest{
		URL:             recv.url,
		Events:          demoEvents,
		Headers:         []string{"X-Customer-Id"},
		OutputFormat:    smtp2go.OutputForm,
		AuthHeaderType:  smtp2go.AuthBasic,
		AuthHeaderValue: smtp2go.BasicAuthValue("smtp2go", password),
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
	if err := printWebhooks(indent(out), false, list.Webhooks); err != nil {
		return err
	}

	step(3, "SMTP2GO delivers events as form posts; the receiver parses each into a typed webhook.Event")
	delivered := 0
	for _, typ := range demoEvents {
		ev := fakesmtp2go.SampleEvent(typ)
		ev.Fields = map[string][]string{"X-Customer-Id": {"cust-4711"}}
		if err := emit(ctx, api, ev); err != nil {
			return err
		}
		got := recv.next()
		fmt.Fprintf(out, "   %-9s -> %s\n", typ, describe(got))
		delivered++
	}

	step(4, "Edit the webhook: JSON bodies, and spam complaints too (webhook/edit sends the full state)")
	edited, err := client.Webhooks.Edit(ctx, &smtp2go.EditWebhookRequest{
		ID:           id,
		OutputFormat: smtp2go.Ptr(smtp2go.OutputJSON),
		Events:       append(append([]smtp2go.EventType(nil), demoEvents...), smtp2go.EventSpam),
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   webhook %d now sends %s for: %s\n", edited.Webhook.ID, edited.Webhook.OutputFormat, joinEvents(edited.Webhook.Events))

	step(5, "A delivery fails once: the receiver's callback errors, answers 500, and SMTP2GO redelivers the same id")
	recv.failNext()
	before := len(api.Deliveries())
	if err := emit(ctx, api, fakesmtp2go.SampleEvent(smtp2go.EventSpam)); err != nil {
		return err
	}
	got := recv.next()
	redelivered := 0
	for _, d := range api.Deliveries()[before:] {
		fmt.Fprintf(out, "   attempt %d: id %s -> %d %s\n", d.Attempt, d.EventID, d.Status, http.StatusText(d.Status))
		if d.Attempt > 1 {
			redelivered++
		}
	}
	fmt.Fprintf(out, "   spam      -> %s\n", describe(got))
	delivered++

	step(6, "Remove the webhook (webhook/remove)")
	if _, err := client.Webhooks.Remove(ctx, &smtp2go.RemoveWebhookRequest{ID: id}); err != nil {
		return err
	}
	list, err = client.Webhooks.List(ctx, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   removed webhook %d; %d webhooks left\n", id, len(list.Webhooks))

	fmt.Fprintf(out, "\ndemo ok: webhook %d added, listed, edited and removed; %d events received as typed values (%d redelivery); no SMTP2GO account used, nothing sent beyond 127.0.0.1\n", id, delivered, redelivered)
	if asJSON {
		return writeJSON(e.stdout, struct {
			OK             bool  `json:"ok"`
			WebhookID      int64 `json:"webhook_id"`
			EventsReceived int   `json:"events_received"`
			Redeliveries   int   `json:"redeliveries"`
		}{true, id, delivered, redelivered})
	}
	return nil
}

// emit has the fake deliver ev and checks that the receiver took it.
func emit(ctx context.Context, api *fakeServer, ev webhook.Event) error {
	results, err := api.Emit(ctx, "", ev)
	if err != nil {
		return err
	}
	if len(results) != 1 || !results[0].OK() {
		return fmt.Errorf("delivery of %s failed: %+v", ev.Type, results)
	}
	return nil
}

func joinEvents(events []smtp2go.EventType) string {
	s := make([]string, len(events))
	for i, e := range events {
		s[i] = string(e)
	}
	return strings.Join(s, ", ")
}

// receiver is the demo's webhook endpoint: the SDK's handler on loopback,
// handing each event to the demo.
type receiver struct {
	url    string
	srv    *http.Server
	events chan *webhook.Event

	mu   sync.Mutex
	fail bool
}

func startReceiver(password string) (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{url: "http://" + ln.Addr().String() + "/webhook", events: make(chan *webhook.Event, 16)}
	mux := http.NewServeMux()
	mux.Handle("/webhook", webhook.NewHandler(r.handle, webhook.WithBasicAuth("smtp2go", password)))
	r.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

func (r *receiver) handle(_ context.Context, ev *webhook.Event) error {
	r.mu.Lock()
	fail := r.fail
	r.fail = false
	r.mu.Unlock()
	if fail {
		return errors.New("database unavailable (simulated)")
	}
	r.events <- ev
	return nil
}

func (r *receiver) failNext() {
	r.mu.Lock()
	r.fail = true
	r.mu.Unlock()
}

// next returns the event the receiver processed last. Emit has returned
// only after the receiver answered, so it is already waiting.
func (r *receiver) next() *webhook.Event {
	select {
	case ev := <-r.events:
		return ev
	default:
		return &webhook.Event{Type: "(none received)"}
	}
}

func (r *receiver) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = r.srv.Shutdown(ctx)
}

// indent prefixes every line written with three spaces.
func indent(w io.Writer) io.Writer { return &indenter{w: w, start: true} }

type indenter struct {
	w     io.Writer
	start bool
}

func (in *indenter) Write(p []byte) (int, error) {
	for i, c := range p {
		if in.start {
			if _, err := io.WriteString(in.w, "   "); err != nil {
				return i, err
			}
			in.start = false
		}
		if _, err := in.w.Write([]byte{c}); err != nil {
			return i, err
		}
		in.start = c == '\n'
	}
	return len(p), nil
}
