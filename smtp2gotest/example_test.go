package smtp2gotest_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/relaykit/smtp2go/webhook"

	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/smtp2gotest"
)

func ExampleNewServer() {
	// In a test, pass t: the server then closes when the test ends.
	srv := smtp2gotest.NewServer(nil)
	defer srv.Close()

	client := srv.Client()
	res, err := client.Webhooks.Add(context.Background(), &smtp2go.AddWebhookRequest{
		URL:    "https://example.com/smtp2go",
		Events: []smtp2go.EventType{smtp2go.EventDelivered, smtp2go.EventBounce},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("created", res.Webhook.ID, res.Webhook.URL, res.Webhook.Events)

	// Assert on the fake's state and on what it received.
	for _, w := range srv.Webhooks() {
		fmt.Println("stored", w.ID, w.OutputFormat)
	}
	for _, r := range srv.Requests() {
		fmt.Println(r.Endpoint, r.Status, r.Header.Get("X-Smtp2go-Api-Key"))
	}
	// Output:
	// created 1001 https://example.com/smtp2go [delivered bounce]
	// stored 1001 form
	// webhook/add 200 [redacted]
}

func ExampleServer_Fail() {
	srv := smtp2gotest.NewServer(nil)
	defer srv.Close()

	// SMTP2GO is unavailable twice, then answers.
	srv.Fail("webhook/view", smtp2gotest.Fault{Status: 503, Times: 2})

	list, err := srv.Client().Webhooks.List(context.Background(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("webhooks:", len(list.Webhooks))
	for _, r := range srv.Requests() {
		fmt.Println(r.Endpoint, r.Status)
	}
	// Output:
	// webhooks: 0
	// webhook/view 503
	// webhook/view 503
	// webhook/view 200
}

func ExampleServer_Emit() {
	srv := smtp2gotest.NewServer(nil)
	defer srv.Close()

	// The code under test: an endpoint that receives SMTP2GO's deliveries.
	handler := webhook.NewHandler(func(ctx context.Context, ev *webhook.Event) error {
		fmt.Println("received", ev.Type, ev.Rcpt, ev.Bounce)
		return nil
	}, webhook.WithBearerToken("s3cret"))
	endpoint := httptest.NewServer(handler)
	defer endpoint.Close()

	// Register it as SMTP2GO's API would, then play an event.
	_, err := srv.Client().Webhooks.Add(context.Background(), &smtp2go.AddWebhookRequest{
		URL:             endpoint.URL,
		Events:          []smtp2go.EventType{smtp2go.EventBounce},
		OutputFormat:    smtp2go.OutputJSON,
		AuthHeaderType:  smtp2go.AuthBearer,
		AuthHeaderValue: "s3cret",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	deliveries, err := srv.Emit(context.Background(), smtp2gotest.SampleEvent(smtp2go.EventBounce))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range deliveries {
		fmt.Println("webhook", d.WebhookID, d.Format, "attempt", d.Attempt, "status", d.Status)
	}
	// Output:
	// received bounce no-such-user@example.org hard
	// webhook 1001 json attempt 1 status 200
}

func ExampleDeliver() {
	// Any endpoint will do: here, one built with the SDK's handler.
	endpoint := httptest.NewServer(webhook.NewHandler(func(ctx context.Context, ev *webhook.Event) error {
		fmt.Println("received", ev.Type, "for customer", ev.Header("X-Customer-Id"))
		return nil
	}, webhook.WithBasicAuth("smtp2go", "hook-pass")))
	defer endpoint.Close()

	// What the App's Test button sends: one delivery, custom headers
	// "Headers Unavailable" unless the event carries them.
	ev := smtp2gotest.SampleEvent(smtp2go.EventDelivered)
	ev.Fields.Set("X-Customer-Id", "C-42")
	d, err := smtp2gotest.Deliver(context.Background(), endpoint.URL, ev,
		smtp2gotest.WithBasicAuth("smtp2go", "hook-pass"),
		smtp2gotest.WithHeaders("X-Customer-Id"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("status", d.Status, "ok", d.OK())
	// Output:
	// received delivered for customer C-42
	// status 200 ok true
}
