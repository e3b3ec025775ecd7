package smtp2go

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	withRetryAfter := func(status int, v string) *http.Response {
		return &http.Response{StatusCode: status, Header: http.Header{"Retry-After": {v}}}
	}
	tests := []struct {
		name     string
		min, max time.Duration
		n        int
		resp     *http.Response
		lo, hi   time.Duration
	}{
		{"first wait", time.Second, 10 * time.Second, 0, nil, time.Second, 2 * time.Second},
		{"grows", time.Second, 10 * time.Second, 2, nil, 4 * time.Second, 8 * time.Second},
		{"capped", time.Second, 10 * time.Second, 40, nil, 10 * time.Second, 10 * time.Second},
		{"capped on the way", time.Second, 10 * time.Second, 3, nil, 8 * time.Second, 10 * time.Second},
		{"Retry-After honoured", time.Second, 10 * time.Second, 0, withRetryAfter(429, "3"), 3 * time.Second, 3 * time.Second},
		{"Retry-After on 503", time.Second, 10 * time.Second, 0, withRetryAfter(503, "4"), 4 * time.Second, 4 * time.Second},
		{"huge Retry-After capped", time.Second, 10 * time.Second, 0, withRetryAfter(429, "86400"), 10 * time.Second, 10 * time.Second},
		{"Retry-After ignored on 500", time.Second, 10 * time.Second, 0, withRetryAfter(500, "9"), time.Second, 2 * time.Second},
		{"negative Retry-After ignored", time.Second, 10 * time.Second, 0, withRetryAfter(429, "-5"), time.Second, 2 * time.Second},
		{"HTTP-date in the past", time.Second, 10 * time.Second, 0, withRetryAfter(429, "Mon, 02 Jan 2006 15:04:05 GMT"), time.Second, time.Second},
		// WithRetryWait(0, max) once waited max before every retry.
		{"min 0: at once", 0, time.Hour, 0, nil, 0, 0},
		{"min 0: at once, later too", 0, time.Hour, 5, nil, 0, 0},
		{"min 0: Retry-After honoured", 0, time.Hour, 2, withRetryAfter(503, "3"), 3 * time.Second, 3 * time.Second},
	}
	for _, tt := range tests {
		seen := map[time.Duration]bool{}
		for range 50 { // jitter: every draw within bounds
			d := backoff(tt.min, tt.max, tt.n, tt.resp)
			seen[d] = true
			if d < tt.lo || d > tt.hi {
				t.Errorf("%s: backoff = %s, want within [%s, %s]", tt.name, d, tt.lo, tt.hi)
				break
			}
		}
		if tt.lo != tt.hi && len(seen) < 2 {
			t.Errorf("%s: 50 draws gave one wait: no jitter", tt.name)
		}
	}
}

func TestCheckRetryWaitMustFitTheContext(t *testing.T) {
	t.Parallel()
	resp := func() *http.Response {
		return &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"5"}}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	client := func(max time.Duration) *Client {
		c, err := NewClient("k", WithRetryWait(time.Millisecond, max))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if retry, _ := client(time.Minute).checkRetry(ctx, resp(), nil); retry {
		t.Error("a 5s Retry-After is retried within a 1s deadline")
	}
	if retry, _ := client(10*time.Millisecond).checkRetry(ctx, resp(), nil); !retry {
		t.Error("a Retry-After capped at 10ms is not retried within a 1s deadline")
	}
	if retry, _ := client(time.Minute).checkRetry(context.Background(), resp(), nil); !retry {
		t.Error("without a deadline a 429 is not retried")
	}
}

func TestExcerptNeverKeepsPartOfASecret(t *testing.T) {
	t.Parallel()
	const secret = "api-0123456789ABCDEFabcdef0123456789"
	for cut := maxExcerpt - len(secret); cut <= maxExcerpt+2; cut++ {
		body := strings.Repeat("x", cut) + secret + " tail"
		got := excerpt([]byte(body), []string{secret})
		if strings.Contains(got, secret[:8]) {
			t.Fatalf("cut at %d: excerpt keeps part of the secret", cut)
		}
	}
	// A secret split by what the excerpt drops is whole once it is dropped.
	for _, split := range []string{"tok\x00en-SECRET9", "tok\xffen-SECRET9", "tok\u200ben-SECRET9"} {
		if got := excerpt([]byte("echo "+split), []string{"token-SECRET9"}); strings.Contains(got, "SECRET9") {
			t.Errorf("excerpt of %q = %q: the secret is whole again", split, got)
		}
	}
	if got := excerpt([]byte("a\x00b\xff\n\n  c\u00e9"), nil); got != "ab cé" {
		t.Errorf("excerpt = %q", got)
	}
	// Cut at maxExcerpt bytes, on a rune boundary: "é" is two bytes.
	if got := excerpt([]byte("x"+strings.Repeat("é", maxExcerpt)), nil); got != "x"+strings.Repeat("é", maxExcerpt/2-1)+"…" {
		t.Errorf("long excerpt = %q (%d bytes)", got, len(got))
	}
}

// TestDecodeOneWebhookShapes: the answers of webhook/add and webhook/edit are
// read in each shape webhook/view is, whether or not the one-pass path
// takes them.
func TestDecodeOneWebhookShapes(t *testing.T) {
	t.Parallel()
	const hook = `{"id":4320,"url":"https://example.com/h","events":"bounce"}`
	for _, data := range []string{hook, "[" + hook + "]", `{"webhooks":[` + hook + `]}`} {
		var got addedWebhook
		requestID, err := decode([]byte(`{"request_id":"r-1","data":`+data+`}`), &got)
		if err != nil || requestID != "r-1" || got.ID != 4320 || got.URL != "https://example.com/h" || len(got.Events) != 1 {
			t.Errorf("data %s: decoded %+v, %q, %v", data, got.Webhook, requestID, err)
		}
	}
	var none addedWebhook
	if _, err := decode([]byte(`{"request_id":"r-2","data":{"url":"https://example.com/h"}}`), &none); err == nil {
		t.Error("an answer without an id decoded without error")
	}
}

func TestLooksMasked(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{"": false, "********": true, "tok****": true, "•••": true, "tok-123": false, "dXNlcjpwYXNz": false} {
		if got := looksMasked(Secret(v)); got != want {
			t.Errorf("looksMasked(%q) = %t", v, got)
		}
	}
}

func TestTolerantWebhookDecoding(t *testing.T) {
	t.Parallel()
	var raw wireWebhook[flexStrings]
	err := json.Unmarshal([]byte(`{"id":4320.0,"url":"https://x.example","events":["open",null],"headers":"X-A, X-B,","usernames":null,"output_format":"JSON","auth_header_type":" Bearer "}`), &raw)
	if err != nil {
		t.Fatal(err)
	}
	w := raw.webhook()
	want := Webhook{ID: 4320, URL: "https://x.example", Events: []EventType{EventOpen}, Headers: []string{"X-A", "X-B"}, OutputFormat: OutputJSON, AuthHeaderType: AuthBearer}
	if !reflect.DeepEqual(w, want) {
		t.Errorf("decoded %+v\nwant    %+v", w, want)
	}
	for _, bad := range []string{`{"id":1.5}`, `{"id":"x1"}`, `{"events":[1]}`, `{"events":{}}`} {
		if err := json.Unmarshal([]byte(bad), &w); err == nil {
			t.Errorf("%s decoded without error", bad)
		}
	}
}

func TestFieldErrorsShapes(t *testing.T) {
	t.Parallel()
	// An unusable field_validation_errors does not lose the code and message.
	e := newAPIError("webhook/add", 400, []byte(`{"data":{"error":"denied","error_code":"`+codePermissionDenied+`","field_validation_errors":"url"}}`), nil)
	if e.Code != codePermissionDenied || e.Message != "denied" || len(e.FieldErrors) != 0 {
		t.Errorf("APIError = %+v", e)
	}
}

// TestPlanDuplicates: webhooks with one URL are duplicates only when no
// setting differs looked at from either side, whichever has the lower ID.
func TestPlanDuplicates(t *testing.T) {
	t.Parallel()
	base := Webhook{URL: "https://example.com/h", Events: []EventType{EventBounce, EventSpam}, OutputFormat: OutputForm}
	with := func(change func(w *Webhook)) Webhook {
		w := base
		change(&w)
		return w
	}
	duplicates := func(a, b Webhook) bool {
		a.ID, b.ID = 1, 2
		p, err := plan([]Webhook{a, b}, &AddWebhookRequest{URL: a.URL})
		return err == nil && len(p.Remove) == 1
	}
	bearer := with(func(w *Webhook) { w.AuthHeaderType, w.AuthHeaderValue = AuthBearer, "tok-1" })
	withheld := with(func(w *Webhook) { w.AuthHeaderType = AuthBearer })
	masked, masked2 := bearer, bearer
	masked.AuthHeaderValue, masked2.AuthHeaderValue = "********", "***"
	for _, tt := range []struct {
		name string
		a, b Webhook
		want bool
	}{
		{"the same", base, base, true},
		{"lists in another order, the format left to the default", base, with(func(w *Webhook) {
			w.Events = []EventType{EventSpam, EventBounce}
			w.OutputFormat = ""
		}), true},
		{"another URL", base, with(func(w *Webhook) { w.URL += "?b" }), false},
		{"another usernames filter", base, with(func(w *Webhook) { w.Usernames = []string{"other"} }), false},
		{"auth on one side only", base, bearer, false},
		{"a value withheld on one side, shown on the other", withheld, bearer, false},
		{"masked values", masked, masked2, true},
		{"two shown values that differ", bearer, with(func(w *Webhook) { w.AuthHeaderType, w.AuthHeaderValue = AuthBearer, "tok-2" }), false},
	} {
		if got := duplicates(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: duplicates = %t, want %t", tt.name, got, tt.want)
		}
		if got := duplicates(tt.b, tt.a); got != tt.want {
			t.Errorf("%s, the other way round: duplicates = %t, want %t", tt.name, got, tt.want)
		}
	}
}
