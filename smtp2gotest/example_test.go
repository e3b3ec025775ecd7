package smtp2gotest_test

import (
	"context"
	"fmt"

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
