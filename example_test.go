package smtp2go_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"sync"

	"github.com/jarcoal/httpmock"
	"github.com/relaykit/smtp2go"
	"github.com/relaykit/smtp2go/smtp2gotest"
)

// exampleTransport stands in for SMTP2GO in the examples, so that they run
// offline. Real code leaves out WithHTTPClient and WithBaseURL.
func exampleTransport() *httpmock.MockTransport {
	mt := httpmock.NewMockTransport()
	webhook := `{"id":4320,"url":"https://example.com/smtp2go","events":["delivered","bounce"],"sms_events":[],"headers":["X-Customer-Id"],"usernames":[],"output_format":"json","auth_header_type":"bearer","auth_header_value":"tok-1"}`
	mt.RegisterResponder("POST", "https://api.smtp2go.com/v3/webhook/add",
		httpmock.NewStringResponder(200, `{"request_id":"req-add","data":`+webhook+`}`))
	mt.RegisterResponder("POST", "https://api.smtp2go.com/v3/webhook/view",
		httpmock.NewStringResponder(200, `{"request_id":"req-view","data":[`+webhook+`]}`))
	mt.RegisterResponder("POST", "https://api.smtp2go.com/v3/webhook/edit",
		httpmock.NewStringResponder(200, `{"request_id":"req-edit","data":{"id":4320,"url":"https://example.com/smtp2go","events":["delivered","bounce","spam"],"output_format":"json"}}`))
	mt.RegisterResponder("POST", "https://api.smtp2go.com/v3/webhook/remove",
		httpmock.NewStringResponder(200, `{"request_id":"req-remove"}`))
	return mt
}

func exampleClient() *smtp2go.Client {
	client, err := smtp2go.NewClient("api-0123456789ABCDEFabcdef0123456789",
		smtp2go.WithHTTPClient(&http.Client{Transport: exampleTransport()}))
	if err != nil {
		log.Fatal(err)
	}
	return client
}

func ExampleNewClient() {
	// The key is required: NewClient never reads the environment.
	client, err := smtp2go.NewClient("api-0123456789ABCDEFabcdef0123456789",
		smtp2go.WithRegion(smtp2go.RegionEU),
		smtp2go.WithRetryMax(5),
		smtp2go.WithUserAgent("provisioner/1.0"),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(client.BaseURL())
	// Output:
	// https://eu-api.smtp2go.com/v3/
}

func ExampleNewClientFromEnv() {
	// As a deployment would set them.
	os.Setenv("SMTP2GO_API_KEY", "api-0123456789ABCDEFabcdef0123456789")
	os.Setenv("SMTP2GO_REGION", "au")
	defer os.Unsetenv("SMTP2GO_API_KEY")
	defer os.Unsetenv("SMTP2GO_REGION")

	client, err := smtp2go.NewClientFromEnv(smtp2go.WithUserAgent("provisioner/1.0"))
	if err != nil {
		log.Fatal(err) // names the variable that is missing or wrong; never shows the key
	}
	fmt.Println(client.BaseURL())

	// Options win over the environment.
	client, err = smtp2go.NewClientFromEnv(smtp2go.WithRegion(smtp2go.RegionUS))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(client.BaseURL())
	// Output:
	// https://au-api.smtp2go.com/v3/
	// https://us-api.smtp2go.com/v3/
}

func ExampleBasicAuthValue() {
	req := &smtp2go.AddWebhookRequest{
		URL:             "https://example.com/smtp2go",
		Events:          []smtp2go.EventType{smtp2go.EventBounce},
		AuthHeaderType:  smtp2go.AuthBasic,
		AuthHeaderValue: smtp2go.BasicAuthValue("smtp2go", "s3cret"),
	}
	fmt.Println(req.Validate() == nil)
	fmt.Printf("%+v\n", *req) // the value is a Secret: printing never shows it
	// Output:
	// true
	// {URL:https://example.com/smtp2go Events:[bounce] SMSEvents:[] Headers:[] Usernames:[] OutputFormat: AuthHeaderType:basic AuthHeaderValue:[redacted] SubaccountID:}
}

func ExampleWebhooksService_Add() {
	client := exampleClient()
	res, err := client.Webhooks.Add(context.Background(), &smtp2go.AddWebhookRequest{
		URL:             "https://example.com/smtp2go",
		Events:          []smtp2go.EventType{smtp2go.EventDelivered, smtp2go.EventBounce},
		Headers:         []string{"X-Customer-Id"},
		OutputFormat:    smtp2go.OutputJSON,
		AuthHeaderType:  smtp2go.AuthBearer,
		AuthHeaderValue: "tok-1",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Webhook.ID, res.Webhook.Events)
	// Output: 4320 [delivered bounce]
}

func ExampleWebhooksService_List() {
	client := exampleClient()
	res, err := client.Webhooks.List(context.Background(), nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, w := range res.Webhooks {
		fmt.Println(w.ID, w.URL, w.OutputFormat)
	}
	// Output: 4320 https://example.com/smtp2go json
}

func ExampleWebhooksService_Edit() {
	client := exampleClient()
	// Only the events change; Edit reads the rest and sends it unchanged.
	res, err := client.Webhooks.Edit(context.Background(), &smtp2go.EditWebhookRequest{
		ID:     4320,
		Events: []smtp2go.EventType{smtp2go.EventDelivered, smtp2go.EventBounce, smtp2go.EventSpam},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Webhook.Events)
	// Output: [delivered bounce spam]
}

func ExampleWebhooksService_Remove() {
	client := exampleClient()
	res, err := client.Webhooks.Remove(context.Background(), &smtp2go.RemoveWebhookRequest{ID: 4320})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.RequestID, res.Webhook == nil)
	// Output: req-remove true
}

func ExampleWebhooksService_Ensure() {
	client := exampleClient()
	// Run at every start, in every replica: the account ends with one webhook
	// for the URL, set up as asked.
	res, err := client.Webhooks.Ensure(context.Background(), &smtp2go.AddWebhookRequest{
		URL:             "https://example.com/smtp2go",
		Events:          []smtp2go.EventType{smtp2go.EventBounce, smtp2go.EventDelivered, smtp2go.EventSpam}, // order does not matter
		Headers:         []string{"X-Customer-Id"},
		OutputFormat:    smtp2go.OutputJSON,
		AuthHeaderType:  smtp2go.AuthBearer,
		AuthHeaderValue: "tok-1",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Action, res.Webhook.ID)
	for _, c := range res.Changes {
		fmt.Printf("%s: %s -> %s\n", c.Field, c.Old, c.New)
	}
	// Output:
	// updated 4320
	// events: delivered, bounce -> bounce, delivered, spam
}

func ExampleWebhooksService_Plan() {
	client := exampleClient()
	// What Ensure would do, for a review step or a dry run: only
	// webhook/view is sent.
	plan, err := client.Webhooks.Plan(context.Background(), &smtp2go.AddWebhookRequest{
		URL:             "https://example.com/smtp2go",
		Events:          []smtp2go.EventType{smtp2go.EventDelivered, smtp2go.EventBounce},
		Headers:         []string{"X-Customer-Id"},
		OutputFormat:    smtp2go.OutputJSON,
		AuthHeaderType:  smtp2go.AuthBearer,
		AuthHeaderValue: "tok-2",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(plan.Action, plan.Webhook.ID, len(plan.Remove))
	for _, c := range plan.Changes {
		fmt.Printf("%s: %s -> %s\n", c.Field, c.Old, c.New) // secrets masked
	}
	// Output:
	// updated 4320 0
	// auth_header_value: [redacted] -> [redacted]
}

func ExampleWebhooksService_Get() {
	client := exampleClient()
	w, err := client.Webhooks.Get(context.Background(), 4320, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(w.URL, w.AuthHeaderType, w.AuthHeaderValue)
	_, err = client.Webhooks.Get(context.Background(), 99, nil)
	fmt.Println(errors.Is(err, smtp2go.ErrNotFound))
	// Output:
	// https://example.com/smtp2go bearer [redacted]
	// true
}

func ExampleSecret() {
	token := smtp2go.Secret("tok-0123456789")
	fmt.Println(token, fmt.Sprintf("%q %#v", token, token))
	b, _ := json.Marshal(struct{ Token smtp2go.Secret }{token})
	fmt.Println(string(b))
	fmt.Println(len(token.Reveal())) // the wire encoding's way out
	// Output:
	// [redacted] "[redacted]" "[redacted]"
	// {"Token":"[redacted]"}
	// 14
}

func ExampleRedactURL() {
	fmt.Println(smtp2go.RedactURL("https://hook:pa55@example.com/smtp2go?sig=abc123"))
	fmt.Println(smtp2go.RedactURL("api-0123456789ABCDEFabcdef0123456789")) // a username that is an API key
	// Output:
	// https://hook:[redacted]@example.com/smtp2go?sig=[redacted]
	// api-[redacted]
}

// Replicas of a service that all run Ensure at start converge on one
// webhook, even from an account where an earlier deploy left duplicates.
func ExampleWebhooksService_Ensure_replicas() {
	srv := smtp2gotest.NewServer(nil) // a fake SMTP2GO on loopback
	defer srv.Close()
	req := smtp2go.AddWebhookRequest{URL: "https://example.com/smtp2go", Events: []smtp2go.EventType{smtp2go.EventBounce}}
	for range 2 { // a replica that died between adding and cleaning up left these
		if _, err := srv.Client().Webhooks.Add(context.Background(), &req); err != nil {
			log.Fatal(err)
		}
	}

	ids := make(chan int64, 5)
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() { // each replica with a client of its own
			defer wg.Done()
			res, err := srv.Client().Webhooks.Ensure(context.Background(), &req)
			if err != nil {
				log.Fatal(err)
			}
			ids <- res.Webhook.ID
		}()
	}
	wg.Wait()
	close(ids)
	same := true
	for id := range ids {
		same = same && id == srv.Webhooks()[0].ID
	}
	fmt.Println("webhooks:", len(srv.Webhooks()), "every replica got that one:", same)
	// Output: webhooks: 1 every replica got that one: true
}

// An add that fails ambiguously is not repeated: the error says so, and
// names the webhooks set up as asked that one list found.
func ExampleOutcomeUnknownError() {
	mt := exampleTransport()
	mt.RegisterResponder("POST", "https://api.smtp2go.com/v3/webhook/add", httpmock.NewStringResponder(503, ""))
	client, err := smtp2go.NewClient("api-0123456789ABCDEFabcdef0123456789",
		smtp2go.WithHTTPClient(&http.Client{Transport: mt}), smtp2go.WithRetryWait(0, 0))
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.Webhooks.Add(context.Background(), &smtp2go.AddWebhookRequest{
		URL:             "https://example.com/smtp2go",
		Events:          []smtp2go.EventType{smtp2go.EventDelivered, smtp2go.EventBounce},
		Headers:         []string{"X-Customer-Id"},
		OutputFormat:    smtp2go.OutputJSON,
		AuthHeaderType:  smtp2go.AuthBearer,
		AuthHeaderValue: "tok-1",
	})
	var unknown *smtp2go.OutcomeUnknownError
	if errors.As(err, &unknown) {
		// Created by this call, or there before? Only Ensure, which lists
		// first, can tell.
		fmt.Println(errors.Is(err, smtp2go.ErrServer), unknown.Candidates)
	}
	// Output: true [4320]
}

func ExampleAPIError() {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("POST", "https://api.smtp2go.com/v3/webhook/add", httpmock.NewStringResponder(400,
		`{"request_id":"5f0c1a2b-0000-4000-8000-000000000001","data":{"error":"You do not have permission to access this API endpoint","error_code":"E_ApiResponseCodes.ENDPOINT_PERMISSION_DENIED"}}`))
	client, err := smtp2go.NewClient("api-0123456789ABCDEFabcdef0123456789", smtp2go.WithHTTPClient(&http.Client{Transport: mt}))
	if err != nil {
		log.Fatal(err)
	}

	_, err = client.Webhooks.Add(context.Background(), &smtp2go.AddWebhookRequest{URL: "https://example.com/smtp2go"})
	if errors.Is(err, smtp2go.ErrForbidden) {
		fmt.Println("the API key lacks webhook permissions")
	}
	var apiErr *smtp2go.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code, apiErr.RequestID)
	}

	_, err = client.Webhooks.Add(context.Background(), &smtp2go.AddWebhookRequest{URL: "https://example.com/smtp2go", Events: []smtp2go.EventType{"opened"}})
	var invalid *smtp2go.ValidationError
	if errors.As(err, &invalid) {
		fmt.Println("not sent:", invalid.Field)
	}
	// Output:
	// the API key lacks webhook permissions
	// 400 E_ApiResponseCodes.ENDPOINT_PERMISSION_DENIED 5f0c1a2b-0000-4000-8000-000000000001
	// not sent: events[0]
}
