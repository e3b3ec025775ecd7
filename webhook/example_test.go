package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/relaykit/smtp2go/webhook"
)

func ExampleParse() {
	// A delivery as SMTP2GO posts it with the default "form" output format.
	form := url.Values{
		"event":         {"bounce"},
		"id":            {"92a3b4c5d6e7f8091a2b3c4d5e6f7081"},
		"email_id":      {"1abc-0002"},
		"rcpt":          {"nobody@example.org"},
		"bounce":        {"hard"},
		"time":          {"2026-03-24T08:23:22Z"},
		"X-Customer-Id": {"cust-42"}, // a header the webhook asked for
	}
	r := httptest.NewRequest(http.MethodPost, "/smtp2go", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")

	ev, err := webhook.Parse(r)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ev.Type, ev.Bounce, ev.Rcpt, ev.Time.Format(time.RFC3339))
	fmt.Println("customer:", ev.Header("x-customer-id"))
	// Output:
	// bounce hard nobody@example.org 2026-03-24T08:23:22Z
	// customer: cust-42
}

func ExampleParseBody() {
	// A delivery with the "json" output format: processed lists every
	// recipient, and numbers may come as numbers or strings.
	body := []byte(`{
		"event": "processed",
		"id": "3c4d5e6f708192a3b4c5d6e7f8091a2b",
		"email_id": "1abc-0002",
		"recipients": ["jane@example.org", "john@example.net"],
		"sendtime": "2026-03-24T08:23:19.052765+00:00",
		"campaign": {"name": "spring", "wave": 2}
	}`)
	ev, err := webhook.ParseBody("application/json", body)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ev.Type, ev.Recipients)
	fmt.Println(ev.SendTime)
	fmt.Println(ev.Fields.Get("campaign"))

	_, err = webhook.ParseBody("application/json", []byte(`["processed"]`))
	fmt.Println(err)
	// Output:
	// processed [jane@example.org john@example.net]
	// 2026-03-24 08:23:19.052765 +0000 UTC
	// {"name":"spring","wave":2}
	// webhook: malformed payload: json: top level must be an object
}

func ExampleNewHandler() {
	mux := http.NewServeMux()
	mux.Handle("/smtp2go", webhook.NewHandler(
		func(ctx context.Context, ev *webhook.Event) error {
			// Keep this fast (SMTP2GO waits 10 seconds): store or enqueue.
			fmt.Println("received", ev.Type, "for", ev.Rcpt)
			return nil
		},
		// The user and password set in the webhook's URL or auth header.
		webhook.WithBasicAuth("smtp2go", "s3cret"),
	))

	// Drive the handler as SMTP2GO would: the same event twice, then once
	// without credentials.
	body := "event=delivered&id=0f1e2d3c4b5a69788796a5b4c3d2e1f0&rcpt=jane%40example.org"
	deliver := func(auth bool) {
		r := httptest.NewRequest(http.MethodPost, "/smtp2go", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if auth {
			r.SetBasicAuth("smtp2go", "s3cret")
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		if challenge := w.Header().Get("WWW-Authenticate"); challenge != "" {
			fmt.Println(w.Code, challenge)
			return
		}
		fmt.Println(w.Code)
	}
	deliver(true)
	deliver(true) // a redelivery: acknowledged, the callback does not run again
	deliver(false)
	// Output:
	// received delivered for jane@example.org
	// 200
	// 200
	// 401 Basic realm="smtp2go-webhook"
}

func ExampleWithDeduplicator() {
	// Replicas behind a load balancer share one store, so that a redelivery
	// that lands on another replica is still recognised. In production the
	// store is redisdedup.New(rdb) or pgdedup.New(pool); a MemoryDeduplicator
	// stands in for it here.
	shared := webhook.NewMemoryDeduplicator(webhook.DefaultDedupTTL, 0)
	record := func(ctx context.Context, ev *webhook.Event) error {
		fmt.Println("processing", ev.Type, ev.ID)
		return nil
	}
	replicas := []http.Handler{
		webhook.NewHandler(record, webhook.WithDeduplicator(shared)),
		webhook.NewHandler(record, webhook.WithDeduplicator(shared)),
	}

	body := "event=bounce&bounce=hard&id=0f1e2d3c4b5a69788796a5b4c3d2e1f0"
	for i, replica := range []http.Handler{replicas[0], replicas[1]} {
		r := httptest.NewRequest(http.MethodPost, "/smtp2go", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		replica.ServeHTTP(w, r)
		fmt.Println("replica", i, "answered", w.Code)
	}
	// Output:
	// processing bounce 0f1e2d3c4b5a69788796a5b4c3d2e1f0
	// replica 0 answered 200
	// replica 1 answered 200
}
